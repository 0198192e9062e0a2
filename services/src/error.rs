//! The services' error type.
//!
//! Policy: a `ServiceError` says what went wrong in terms a caller can act on.
//! Storage failures become `Internal`, are logged with their cause where they
//! happen, and are shown to people only as a generic message. Login failures
//! never say whether the user exists.
//!
//! Status: each error says which [`ErrorKind`] it is, and the kind decides
//! the HTTP status (one table, in the domain). Server functions (through the
//! app's error), calendar feeds, sign-off links and live updates answer with
//! [`ServiceError::status`] (and `releases::SignOffLinkError::status`).

use http::StatusCode;
use slipway_domain::{ErrorKind, FieldErrors};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("you need to sign in")]
    Unauthenticated,
    #[error("you do not have permission to do this")]
    Forbidden,
    #[error("{0} was not found")]
    NotFound(&'static str),
    #[error("some fields need attention: {0}")]
    Validation(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    /// The promotion gate refused, with every reason it gave. Shown as the
    /// reasons one after another, as the pages always showed a refusal.
    #[error("{}", .0.join(" "))]
    GateRefused(Vec<String>),
    #[error("unknown username or wrong password")]
    InvalidCredentials,
    #[error("too many failed sign-in attempts; wait a minute and try again")]
    RateLimited,
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ServiceError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.push(field, message);
        ServiceError::Validation(errors)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ServiceError::Unauthenticated | ServiceError::InvalidCredentials => {
                ErrorKind::Unauthenticated
            }
            ServiceError::Forbidden => ErrorKind::Forbidden,
            ServiceError::NotFound(_) => ErrorKind::NotFound,
            ServiceError::Validation(_) => ErrorKind::Invalid,
            ServiceError::Conflict(_) | ServiceError::GateRefused(_) => ErrorKind::Conflict,
            ServiceError::RateLimited => ErrorKind::RateLimited,
            ServiceError::Unavailable(_) => ErrorKind::Unavailable,
            ServiceError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        status_of(self.kind())
    }
}

/// The status of a kind, as the `http` crate's type.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    // Every kind's status is a valid code (tested below).
    StatusCode::from_u16(kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => {
                tracing::error!(error = %e, "database unavailable");
                ServiceError::Unavailable(e)
            }
            sqlx::Error::Database(ref db) if is_connection_loss(db.code().as_deref()) => {
                tracing::error!(error = %e, "database unavailable");
                ServiceError::Unavailable(e)
            }
            other => {
                tracing::error!(error = %other, "database error");
                ServiceError::Internal(Box::new(other))
            }
        }
    }
}

impl From<FieldErrors> for ServiceError {
    fn from(e: FieldErrors) -> Self {
        ServiceError::Validation(e)
    }
}

/// PostgreSQL codes that mean "the database is not there right now":
/// connection exceptions (08), operator intervention (57P: shutdown,
/// terminated), and a database that does not exist (3D000).
fn is_connection_loss(code: Option<&str>) -> bool {
    code.is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "3D000")
}

/// True when a database error is a unique-constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db.code().as_deref() == Some("23505")
                || db.code().as_deref() == Some("2067")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

impl From<crate::git::GitError> for ServiceError {
    fn from(e: crate::git::GitError) -> Self {
        use crate::git::GitError;
        match e {
            GitError::Read(ref m) => {
                tracing::error!(error = %m, "reading a repository failed");
                ServiceError::Internal(Box::new(e))
            }
            other => ServiceError::Conflict(other.to_string()),
        }
    }
}

impl From<crate::versioning::PlanError> for ServiceError {
    fn from(e: crate::versioning::PlanError) -> Self {
        match e {
            crate::versioning::PlanError::Git(g) => g.into(),
            crate::versioning::PlanError::Invalid(m) => ServiceError::Conflict(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_a_valid_status_code() {
        for kind in ErrorKind::ALL {
            assert_eq!(status_of(kind).as_u16(), kind.status());
        }
    }

    #[test]
    fn service_errors_answer_with_their_kinds_status() {
        let cases = [
            (ServiceError::Unauthenticated, StatusCode::UNAUTHORIZED),
            (ServiceError::InvalidCredentials, StatusCode::UNAUTHORIZED),
            (ServiceError::Forbidden, StatusCode::FORBIDDEN),
            (ServiceError::NotFound("release"), StatusCode::NOT_FOUND),
            (
                ServiceError::field("slug", "is taken"),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (ServiceError::Conflict("no".into()), StatusCode::CONFLICT),
            (
                ServiceError::GateRefused(vec!["Not approved.".into()]),
                StatusCode::CONFLICT,
            ),
            (ServiceError::RateLimited, StatusCode::TOO_MANY_REQUESTS),
            (
                ServiceError::Unavailable(sqlx::Error::PoolTimedOut),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                ServiceError::Internal("boom".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error:?}");
        }
    }

    #[test]
    fn a_gate_refusal_reads_as_its_reasons_one_after_another() {
        let refused = ServiceError::GateRefused(vec![
            "Not approved for staging: needs 1 more.".into(),
            "Checklist items required before staging: QA scope agreed.".into(),
        ]);
        assert_eq!(
            refused.to_string(),
            "Not approved for staging: needs 1 more. Checklist items required before staging: QA scope agreed."
        );
    }
}
