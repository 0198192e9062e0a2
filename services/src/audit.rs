//! The audit log: recording an event inside the change's own transaction
//! ([`record`]), and reading it back for the audit page.

use crate::clock::format_ms;
use crate::storage::{audit as audit_store, projects};
use crate::{ServiceError, Services};
use slipway_domain::read::{AuditEventView, AuditPage};
use slipway_domain::validation::redact_credentials;
use slipway_domain::{Permission, Principal, ProjectId};

pub const PER_PAGE: i64 = 50;

/// What an audit event is about: its id, the words people read for it, and
/// its project.
#[derive(Debug, Clone)]
pub(crate) struct AuditSubject {
    pub id: String,
    pub label: String,
    pub project: Option<ProjectId>,
}

/// Records that `actor` did `action` to `subject`, with the state before
/// and after, in the caller's transaction: the change and its audit event
/// commit together or not at all.
pub(crate) async fn record(
    conn: &mut sqlx::AnyConnection,
    actor: &Principal,
    action: slipway_domain::AuditAction,
    subject: AuditSubject,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    now: i64,
) -> Result<(), ServiceError> {
    audit_store::insert(
        conn,
        &audit_store::NewEvent {
            actor: Some((actor.id, &actor.username)),
            action,
            subject_id: subject.id,
            subject_label: subject.label,
            project: subject.project,
            before,
            after,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Filters as they arrive from the page's query string; empty means "any".
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub subject_type: String,
    #[serde(default)]
    pub project: String,
    #[serde(default)]
    pub page: i64,
}

pub struct AuditLog<'a> {
    pub(crate) services: &'a Services,
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl AuditLog<'_> {
    /// Events the actor may read: all for admins (and other installation-wide
    /// auditors), otherwise those of projects where they hold an auditing role.
    #[tracing::instrument(skip_all)]
    pub async fn list(&self, actor: &Principal, q: &AuditQuery) -> Result<AuditPage, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let all_projects = projects::list(&mut conn, true, None).await?;
        let visible: Option<Vec<ProjectId>> = if actor.can(Permission::ViewAudit, None) {
            None
        } else {
            let ids: Vec<ProjectId> = all_projects
                .iter()
                .map(|p| ProjectId(p.id))
                .filter(|id| actor.can(Permission::ViewAudit, Some(*id)))
                .collect();
            if ids.is_empty() {
                return Err(ServiceError::Forbidden);
            }
            Some(ids)
        };
        let project = match non_empty(&q.project) {
            None => None,
            Some(slug) => match all_projects.iter().find(|p| p.slug == slug) {
                Some(p) => Some(ProjectId(p.id)),
                None => {
                    return Err(ServiceError::field(
                        "project",
                        format!("There is no project \"{slug}\"."),
                    ))
                }
            },
        };
        let filter = audit_store::Filter {
            actor: non_empty(&q.actor),
            action: non_empty(&q.action),
            subject_type: non_empty(&q.subject_type),
            project,
            visible_projects: visible.clone(),
        };
        let page = q.page.max(1);
        let offset = (page - 1).saturating_mul(PER_PAGE);
        let (rows, total) = audit_store::list(&mut conn, &filter, PER_PAGE, offset).await?;
        let actors = if visible.is_none() {
            audit_store::actors(&mut conn).await?
        } else {
            Vec::new()
        };
        Ok(AuditPage {
            events: rows
                .into_iter()
                .map(|r| AuditEventView {
                    id: r.id,
                    occurred_at: format_ms(r.occurred_at),
                    actor: r.actor_name,
                    action: r.action,
                    subject_type: r.subject_type,
                    subject_id: r.subject_id,
                    subject_label: r.subject_label,
                    project_slug: r.project_slug,
                    // Records written before URLs with credentials were
                    // refused may hold one: never shown.
                    before: r.before_json.as_deref().map(redact_credentials),
                    after: r.after_json.as_deref().map(redact_credentials),
                })
                .collect(),
            total,
            page,
            per_page: PER_PAGE,
            actors,
            projects: all_projects
                .iter()
                .filter(|p| {
                    visible
                        .as_ref()
                        .is_none_or(|v| v.contains(&ProjectId(p.id)))
                })
                .map(|p| (p.slug.clone(), p.name.clone()))
                .collect(),
        })
    }
}
