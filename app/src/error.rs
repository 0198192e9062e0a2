//! The one error type every server function returns.
//!
//! Policy (as in crates.io's `util/errors.rs`): a variant says what went wrong
//! in words a person can act on. Internal causes are logged on the server where
//! they happen and never sent to the browser; sign-in failures never say
//! whether the account exists. Each variant maps to one HTTP status.

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};
use slipway_domain::FieldErrors;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("You need to sign in to see this.")]
    Unauthenticated,
    #[error("Your account does not have permission to do this.")]
    Forbidden,
    #[error("This {0} does not exist, or you cannot see it.")]
    NotFound(String),
    #[error("Some fields need attention.")]
    Validation(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    #[error("Unknown username or wrong password.")]
    InvalidCredentials,
    #[error("Too many failed sign-in attempts. Wait a minute, then try again.")]
    RateLimited,
    #[error("Slipway cannot reach its database right now. Try again in a moment; if this persists, tell your administrator.")]
    Unavailable,
    #[error("Something went wrong on the server. It has been logged; try again, and tell your administrator if it persists.")]
    Internal,
    #[error("The request could not be understood: {0}")]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::ServerFn(value)
    }
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => 401,
            AppError::Forbidden => 403,
            AppError::NotFound(_) => 404,
            AppError::Validation(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::RateLimited => 429,
            AppError::Unavailable => 503,
            AppError::Internal => 500,
            AppError::ServerFn(e) => match e {
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_) => 400,
                _ => 500,
            },
        }
    }

    /// Field-level messages, when this is a validation error.
    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Validation(f) => Some(f),
            _ => None,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<slipway_services::ServiceError> for AppError {
    fn from(e: slipway_services::ServiceError) -> Self {
        use slipway_services::ServiceError as S;
        match e {
            S::Unauthenticated => AppError::Unauthenticated,
            S::Forbidden => AppError::Forbidden,
            S::NotFound(what) => AppError::NotFound(what.to_owned()),
            S::Validation(f) => AppError::Validation(f),
            S::Conflict(m) => AppError::Conflict(m),
            S::InvalidCredentials => AppError::InvalidCredentials,
            S::RateLimited => AppError::RateLimited,
            S::Unavailable(_) => AppError::Unavailable,
            S::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                AppError::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_errors_round_trip_and_map_to_400() {
        let e: AppError =
            serde_json::from_str(r#"{"ServerFn":{"Args":"missing field `project`"}}"#)
                .expect("parses");
        assert_eq!(e.status(), 400);
        assert_eq!(AppError::Forbidden.status(), 403);
    }
}
