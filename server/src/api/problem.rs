//! Errors of the REST API as RFC 9457 problem details
//! (`application/problem+json`).
//!
//! Every error has a stable `type` (`urn:slipway:problem:<name>`) that
//! clients may match on; `title` is the same for every error of a type,
//! `detail` says what happened this time. Validation errors (422) list the
//! fields and what is wrong with each. The status comes from the one table,
//! `ErrorKind::status`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use slipway_domain::ErrorKind;
use slipway_services::ServiceError;
use utoipa::ToSchema;

/// A problem detail (RFC 9457), boxed: handlers return it as their error,
/// and a small error keeps their results small. Reads and writes its fields
/// through `Deref`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem(Box<ProblemDetails>);

impl std::ops::Deref for Problem {
    type Target = ProblemDetails;
    fn deref(&self) -> &ProblemDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemDetails {
        &mut self.0
    }
}

/// The members of a problem detail.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:slipway:problem:forbidden",
    "title": "Not allowed",
    "status": 403,
    "detail": "This token may not do this: it lacks the scope or its owner the role."
}))]
pub struct ProblemDetails {
    /// Stable identifier of the kind of problem.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short, the same for every problem of this type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened, for people.
    pub detail: String,
    /// For 422: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For a refused promotion: every reason the gate gave.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// For 429: seconds to wait (also in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// One field's problem in a 422.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field, as named in the request body or query (`version`).
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        let (name, title) = describe(kind);
        Self::typed(kind, name, title, detail)
    }

    /// A problem with a more specific type than its kind's (for example
    /// `token-expired` rather than `unauthenticated`).
    pub fn typed(kind: ErrorKind, name: &str, title: &str, detail: impl Into<String>) -> Self {
        Problem(Box::new(ProblemDetails {
            type_: format!("urn:slipway:problem:{name}"),
            title: title.to_owned(),
            status: kind.status(),
            detail: detail.into(),
            errors: Vec::new(),
            reasons: Vec::new(),
            retry_after: None,
        }))
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut p = Problem::new(ErrorKind::Invalid, format!("{field}: {message}"));
        p.errors.push(FieldProblem {
            field: field.to_owned(),
            message,
        });
        p
    }

    pub fn not_found(what: &str) -> Self {
        Problem::new(ErrorKind::NotFound, format!("{what} was not found"))
    }
}

/// The type name and title of each kind.
fn describe(kind: ErrorKind) -> (&'static str, &'static str) {
    match kind {
        ErrorKind::BadRequest => ("bad-request", "Bad request"),
        ErrorKind::Unauthenticated => ("unauthenticated", "Authentication required"),
        ErrorKind::Forbidden => ("forbidden", "Not allowed"),
        ErrorKind::NotFound => ("not-found", "Not found"),
        ErrorKind::Conflict => ("conflict", "Conflict"),
        ErrorKind::Gone => ("gone", "Gone"),
        ErrorKind::Invalid => ("invalid", "Invalid input"),
        ErrorKind::RateLimited => ("rate-limited", "Too many requests"),
        ErrorKind::Internal => ("internal", "Internal error"),
        ErrorKind::Unavailable => ("unavailable", "Unavailable"),
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        let kind = e.kind();
        match e {
            ServiceError::Validation(fields) => {
                let detail = fields
                    .0
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut p = Problem::new(kind, detail);
                p.errors = fields
                    .0
                    .into_iter()
                    .map(|f| FieldProblem {
                        field: f.field,
                        message: f.message,
                    })
                    .collect();
                p
            }
            ServiceError::GateRefused(reasons) => {
                let mut p = Problem::typed(
                    kind,
                    "gate-refused",
                    "Promotion refused",
                    "The gate refused the promotion; every reason is in `reasons`.",
                );
                p.reasons = reasons;
                p
            }
            ServiceError::Forbidden => Problem::new(
                kind,
                "Not allowed: the token lacks the scope, or its owner the role, for this.",
            ),
            ServiceError::Internal(ref cause) => {
                // The cause goes to the log, never to the client.
                tracing::error!(error = %cause, "internal error in an API request");
                Problem::new(
                    kind,
                    "Something went wrong on the server; it has been logged.",
                )
            }
            ServiceError::Unavailable(ref cause) => {
                tracing::error!(error = %cause, "database unavailable in an API request");
                Problem::new(kind, "The database is unavailable; try again shortly.")
            }
            other => Problem::new(kind, other.to_string()),
        }
    }
}

impl From<JsonRejection> for Problem {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => Problem::typed(
                ErrorKind::BadRequest,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as JSON with Content-Type: application/json.",
            ),
            JsonRejection::JsonDataError(e) => {
                // serde's message names the field and what was expected.
                Problem::field(
                    "body",
                    e.body_text()
                        .trim_start_matches(
                            "Failed to deserialize the JSON body into the target type: ",
                        )
                        .to_owned(),
                )
            }
            JsonRejection::JsonSyntaxError(e) => Problem::new(
                ErrorKind::BadRequest,
                format!("The body is not valid JSON: {}", e.body_text()),
            ),
            JsonRejection::BytesRejection(_) => {
                let mut p = Problem::typed(
                    ErrorKind::BadRequest,
                    "payload-too-large",
                    "Payload too large",
                    "The body is too large or could not be read (at most 1 MiB).",
                );
                // 413: a status of its own that no service error has.
                p.status = 413;
                p
            }
            other => Problem::new(ErrorKind::BadRequest, other.body_text()),
        }
    }
}

impl From<QueryRejection> for Problem {
    fn from(r: QueryRejection) -> Self {
        Problem::field("query", r.body_text())
    }
}

impl From<PathRejection> for Problem {
    fn from(r: PathRejection) -> Self {
        Problem::new(ErrorKind::NotFound, r.body_text())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"slipway\""),
            );
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_type_and_title_of_its_own() {
        let mut names: Vec<_> = ErrorKind::ALL.iter().map(|k| describe(*k).0).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn validation_errors_list_their_fields() {
        let mut fields = slipway_domain::FieldErrors::new();
        fields.push("version", "not SemVer");
        let p = Problem::from(ServiceError::Validation(fields));
        assert_eq!(p.status, 422);
        assert_eq!(p.type_, "urn:slipway:problem:invalid");
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].field, "version");
    }

    #[test]
    fn a_refused_promotion_lists_every_reason() {
        let p = Problem::from(ServiceError::GateRefused(vec![
            "Not approved for staging.".into(),
            "Checklist items required before staging: QA scope agreed.".into(),
        ]));
        assert_eq!(p.status, 409);
        assert_eq!(p.type_, "urn:slipway:problem:gate-refused");
        assert_eq!(p.reasons.len(), 2);
    }
}
