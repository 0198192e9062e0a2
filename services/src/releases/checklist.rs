//! Checklists: each project's template (copied into every new release) and
//! ticking a release's own items by hand. (Evidence ticks items too: see
//! `evidence`.)

use super::Releases;
use crate::audit::{self, AuditSubject};
use crate::storage::checklists;
use crate::ServiceError;
use serde_json::json;
use slipway_domain::checklist::ChecklistTemplate;
use slipway_domain::{AuditAction, Permission, Principal, ProjectId};

impl Releases<'_> {
    /// The project's checklist template (the default until someone edits
    /// it), and whether the actor may edit it.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn checklist_template(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<(ChecklistTemplate, bool), ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        let mut conn = self.services.store.pool().acquire().await?;
        let template = self.template_of(&mut conn, pid).await?;
        Ok((
            template,
            actor.can(Permission::ManageReleasePolicies, Some(pid)),
        ))
    }

    pub(super) async fn template_of(
        &self,
        conn: &mut sqlx::AnyConnection,
        pid: ProjectId,
    ) -> Result<ChecklistTemplate, ServiceError> {
        match checklists::template(conn, pid).await? {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| ServiceError::Internal(Box::new(e)))
            }
            None => Ok(ChecklistTemplate::default()),
        }
    }

    /// Replaces the project's checklist template; releases created from now
    /// on get it (existing releases keep their own checklists).
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn set_checklist_template(
        &self,
        actor: &Principal,
        slug: &str,
        template: &ChecklistTemplate,
    ) -> Result<(), ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        crate::accounts::require(actor, Permission::ManageReleasePolicies, Some(pid))?;
        template.validate()?;
        let json =
            serde_json::to_string(template).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let before = self.template_of(&mut tx, pid).await?;
        checklists::set_template(&mut tx, pid, &json, now).await?;
        let subject = AuditSubject {
            id: pid.to_string(),
            label: project.slug.clone(),
            project: Some(pid),
        };
        audit::record(
            &mut tx,
            actor,
            AuditAction::ChecklistTemplateUpdated,
            subject,
            Some(json!(before)),
            Some(json!(template)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ticks a checklist item of a release.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn tick(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        key: &str,
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let l = self
            .load_for(&mut tx, actor, (slug, id), Permission::ManageReleases)
            .await?;
        if l.release.state.is_final() {
            return Err(ServiceError::Conflict("This release is closed.".into()));
        }
        let now = self.services.clock.now_ms();
        if !checklists::tick(&mut tx, id, key, (actor.id.0, &actor.username), now).await? {
            return Err(ServiceError::Conflict(
                "That item does not exist or is already ticked.".into(),
            ));
        }
        let after = json!({ "item": key });
        self.audit(
            &mut tx,
            actor,
            &l,
            AuditAction::ChecklistTicked,
            (None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        self.services.events.release_changed(l.project.id, id).await;
        Ok(())
    }
}
