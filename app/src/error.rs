//! The one error type every server function returns.
//!
//! Policy (as in crates.io's `util/errors.rs`): a variant says what went wrong
//! in words a person can act on. Internal causes are logged on the server where
//! they happen and never sent to the browser; sign-in failures never say
//! whether the account exists.
//!
//! Status: each variant is one [`ErrorKind`], and the kind decides the HTTP
//! status (the same table the services' errors use). A server function's
//! response gets that status when its error is serialised (see
//! [`FromServerFnError::ser`] below), whichever way the error arose: returned
//! by the function, or raised by the framework before the function ran (a
//! malformed body, a missing argument). A page gets the status of the error
//! it shows (`ErrorPanel`).

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::{Bytes, Encodes};
use serde::{Deserialize, Serialize};
use slipway_domain::{ErrorKind, FieldErrors};

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

    /// Serialising an error is the moment a server function answers with it,
    /// so on the server this is where the response gets the error's status:
    /// the one place, for every error path. (A plain HTML form post is
    /// redirected back to its form instead; see `response::set_status`.)
    fn ser(&self) -> Bytes {
        #[cfg(feature = "ssr")]
        crate::response::set_status(self.status());
        JsonEncoding::encode(self)
            .or_else(|e| {
                JsonEncoding::encode(&AppError::ServerFn(ServerFnErrorErr::Serialization(
                    e.to_string(),
                )))
            })
            .unwrap_or_default()
    }
}

impl AppError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => ErrorKind::Unauthenticated,
            AppError::Forbidden => ErrorKind::Forbidden,
            AppError::NotFound(_) => ErrorKind::NotFound,
            AppError::Validation(_) => ErrorKind::Invalid,
            AppError::Conflict(_) => ErrorKind::Conflict,
            AppError::RateLimited => ErrorKind::RateLimited,
            AppError::Unavailable => ErrorKind::Unavailable,
            AppError::Internal => ErrorKind::Internal,
            AppError::ServerFn(e) => match e {
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_) => ErrorKind::BadRequest,
                _ => ErrorKind::Internal,
            },
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        self.kind().status()
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
            // The pages show a refused promotion as one message, as always.
            e @ S::GateRefused(_) => AppError::Conflict(e.to_string()),
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

    /// A service error keeps its status when it becomes the app's error.
    #[cfg(feature = "ssr")]
    #[test]
    fn service_errors_keep_their_status() {
        use slipway_services::ServiceError as S;
        let all = [
            S::Unauthenticated,
            S::Forbidden,
            S::NotFound("release"),
            S::field("slug", "is taken"),
            S::Conflict("no".into()),
            S::GateRefused(vec!["Not approved.".into()]),
            S::InvalidCredentials,
            S::RateLimited,
            S::Internal("boom".into()),
        ];
        for e in all {
            let status = e.status().as_u16();
            assert_eq!(AppError::from(e).status(), status);
        }
        // `Unavailable` carries a database error this crate cannot build.
        assert_eq!(AppError::Unavailable.status(), 503);
    }
}
