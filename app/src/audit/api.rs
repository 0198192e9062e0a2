use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::read::AuditPage;

/// One page of the audit log, filtered. Empty filters mean "any".
#[server(endpoint = "audit/list")]
pub async fn list_audit(
    #[server(default)] actor: String,
    #[server(default)] action: String,
    #[server(default)] subject_type: String,
    #[server(default)] project: String,
    #[server(default)] page: i64,
) -> Result<AuditPage, AppError> {
    use crate::server::{check, principal, services};
    use slipway_services::audit::AuditQuery;
    let viewer = principal()?;
    let q = AuditQuery {
        actor,
        action,
        subject_type,
        project,
        page,
    };
    check(services()?.audit().list(&viewer, &q).await)
}
