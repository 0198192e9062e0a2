//! What people do to a deployment or an environment besides promoting and
//! rolling back: cancel a deployment, pause, resume or abort a progressive
//! rollout, run the checks again on what runs, release a hold.

use super::{view, Deployments, JOB_KIND};
use crate::audit;
use crate::storage::deployments::{self as store, NewDeployment};
use crate::storage::{holds, jobs};
use crate::ServiceError;
use serde_json::json;
use slipway_domain::deployment::adapter::{Adapter, DeploySettings};
use slipway_domain::deployment::view::DeploymentView;
use slipway_domain::deployment::DeploymentState;
use slipway_domain::validation::bounded_multiline;
use slipway_domain::{AuditAction, Permission, Principal, ProjectId};

impl Deployments<'_> {
    /// Stops an unfinished deployment of `env` (the runner kills the
    /// adapter or stops the checks; a queued one simply never starts).
    pub async fn cancel(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
        id: i64,
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let (project, env_row) = self.locate(&mut tx, actor, slug, env).await?;
        let pid = ProjectId(project.id);
        if !(actor.can(Permission::PromoteReleases, Some(pid))
            || actor.can(Permission::RollBack, Some(pid)))
        {
            return Err(ServiceError::Forbidden);
        }
        let d = store::find(&mut tx, id)
            .await?
            .filter(|d| d.environment_id == env_row.id)
            .ok_or(ServiceError::NotFound("deployment"))?;
        if moved_traffic(&d) {
            return Err(ServiceError::Conflict(format!(
                "Deployment {} is rolling out and has moved traffic to {}: cancelling would leave the traffic split. Abort it to roll back, or resume it.",
                d.id, d.version
            )));
        }
        if !store::request_cancel(&mut tx, d.id).await? {
            return Err(ServiceError::Conflict(format!(
                "Deployment {} has ended ({}); there is nothing to cancel.",
                d.id,
                d.state.label().to_lowercase()
            )));
        }
        jobs::wake(&mut tx, JOB_KIND, d.id, self.services.clock.now_ms()).await?;
        tx.commit().await?;
        self.services.wake_deployments();
        Ok(())
    }

    /// Pauses a progressive rollout after its current step's checks (people
    /// who may promote or roll back). Audited.
    pub async fn pause(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
        id: i64,
    ) -> Result<DeploymentView, ServiceError> {
        self.rollout_action(actor, slug, env, id, RolloutAction::Pause, "")
            .await
    }

    /// Resumes a paused rollout: its next step deploys now. Audited.
    pub async fn resume(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
        id: i64,
    ) -> Result<DeploymentView, ServiceError> {
        self.rollout_action(actor, slug, env, id, RolloutAction::Resume, "")
            .await
    }

    /// Aborts a rollout wherever it stands and rolls back to the last
    /// verified version (the rollback permission). Audited, with why.
    pub async fn abort(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
        id: i64,
        reason: &str,
    ) -> Result<DeploymentView, ServiceError> {
        self.rollout_action(actor, slug, env, id, RolloutAction::Abort, reason)
            .await
    }

    async fn rollout_action(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
        id: i64,
        action: RolloutAction,
        reason: &str,
    ) -> Result<DeploymentView, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let (project, env_row) = self.locate(&mut tx, actor, slug, env).await?;
        let pid = ProjectId(project.id);
        let allowed = match action {
            RolloutAction::Abort => actor.can(Permission::RollBack, Some(pid)),
            RolloutAction::Pause | RolloutAction::Resume => {
                actor.can(Permission::PromoteReleases, Some(pid))
                    || actor.can(Permission::RollBack, Some(pid))
            }
        };
        if !allowed {
            return Err(ServiceError::Forbidden);
        }
        let reason = bounded_multiline(reason, "The reason", 0, 2000)
            .map_err(|m| ServiceError::field("reason", m))?;
        let d = store::find(&mut tx, id)
            .await?
            .filter(|d| d.environment_id == env_row.id)
            .ok_or(ServiceError::NotFound("deployment"))?;
        let progress = view(&d, &env_row.name, None).rollout;
        let ended = || {
            ServiceError::Conflict(format!(
                "Deployment {} has ended ({}).",
                d.id,
                d.state.label().to_lowercase()
            ))
        };
        if d.state.is_finished() {
            return Err(ended());
        }
        let now = self.services.clock.now_ms();
        let (audit_action, done) = match action {
            RolloutAction::Pause => {
                if !progress.is_some_and(|p| p.may_pause()) {
                    return Err(ServiceError::Conflict(
                        "Only a progressive rollout with a step left can pause, and only once until it is resumed.".into(),
                    ));
                }
                (
                    AuditAction::RolloutPaused,
                    store::request_pause(&mut tx, d.id).await?,
                )
            }
            RolloutAction::Resume => {
                let Some(p) = progress.filter(|p| p.paused) else {
                    return Err(ServiceError::Conflict(
                        "This deployment is not paused: there is nothing to resume.".into(),
                    ));
                };
                let from = i64::try_from(p.step).unwrap_or(i64::MAX);
                if !store::resume(&mut tx, d.id, from).await? {
                    return Err(ServiceError::Conflict(
                        "This rollout is being stopped or was resumed already.".into(),
                    ));
                }
                (AuditAction::RolloutResumed, true)
            }
            RolloutAction::Abort => {
                if d.kind != slipway_domain::deployment::DeploymentKind::Promotion {
                    return Err(ServiceError::Conflict(
                        "A rollback cannot be aborted: it restores the last verified version. Cancel it instead."
                            .into(),
                    ));
                }
                (
                    AuditAction::RolloutAborted,
                    store::request_abort(&mut tx, d.id).await?,
                )
            }
        };
        if !done {
            return Err(ended());
        }
        audit::record(
            &mut tx,
            actor,
            audit_action,
            super::request::subject(d.id, &project.slug, &env_row.name, pid),
            None,
            Some(json!({ "step": d.step + 1, "version": d.version, "reason": reason })),
            now,
        )
        .await?;
        jobs::wake(&mut tx, JOB_KIND, d.id, now).await?;
        let d = store::find(&mut tx, d.id)
            .await?
            .ok_or(ServiceError::NotFound("deployment"))?;
        tx.commit().await?;
        self.services.wake_deployments();
        self.services
            .events
            .release_changed(project.id, d.release_id)
            .await;
        Ok(view(&d, &env_row.name, None))
    }

    /// Runs the environment's checks again against what runs there now, as
    /// a new deployment of the same artifact through "record only" (the
    /// artifact is not moved): a failure revokes "verified" there, and the
    /// gate refuses to promote it further until a run passes.
    pub async fn rerun_checks(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
    ) -> Result<DeploymentView, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let (project, env_row) = self.locate(&mut tx, actor, slug, env).await?;
        let pid = ProjectId(project.id);
        if !(actor.can(Permission::PromoteReleases, Some(pid))
            || actor.can(Permission::RollBack, Some(pid)))
        {
            return Err(ServiceError::Forbidden);
        }
        let settings = super::parse_settings(&env_row.deploy_settings)?;
        if settings.checks.is_empty() {
            return Err(ServiceError::Conflict(format!(
                "{} has no checks to run; add some in its deploy settings.",
                env_row.name
            )));
        }
        let current = store::current(&mut tx, project.id)
            .await?
            .into_iter()
            .find(|d| d.environment_id == env_row.id)
            .ok_or_else(|| {
                ServiceError::Conflict(format!("Nothing runs in {} yet.", env_row.name))
            })?;
        let now = self.services.clock.now_ms();
        // The same artifact, checks only: the adapter is not run again.
        let checks_only = DeploySettings {
            adapter: Adapter::Record,
            checks: settings.checks.clone(),
            ..Default::default()
        };
        let settings_json =
            serde_json::to_string(&checks_only).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let key = format!("recheck:{}:{}:{now}", env_row.id, current.id);
        let new = NewDeployment {
            project_id: project.id,
            environment_id: env_row.id,
            release_id: current.release_id,
            kind: current.kind,
            state: DeploymentState::Queued,
            artifact: &current.artifact,
            identity: &current.identity,
            previous_identity: Some(&current.identity),
            rollback_of: None,
            idempotency_key: &key,
            automatic: false,
            actor: (Some(actor.id.0), &actor.username),
            settings: &settings_json,
            evidence: &json!({"checks_again_for": current.id, "requested_by": actor.username})
                .to_string(),
        };
        let id = match store::insert(&mut tx, &new, now).await {
            Ok(id) => id,
            Err(e) if crate::error::is_unique_violation(&e) => {
                return Err(ServiceError::Conflict(format!(
                    "{} {} is already being deployed or checked there.",
                    project.name, current.version
                )))
            }
            Err(e) => return Err(e.into()),
        };
        jobs::enqueue(&mut tx, JOB_KIND, id, now).await?;
        audit::record(
            &mut tx,
            actor,
            AuditAction::ChecksRerun,
            super::request::subject(id, &project.slug, &env_row.name, pid),
            None,
            Some(json!({"environment": env_row.name, "version": current.version, "artifact": current.artifact})),
            now,
        )
        .await?;
        let d = store::find(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound("deployment"))?;
        tx.commit().await?;
        self.services.wake_deployments();
        Ok(view(&d, &env_row.name, None))
    }

    /// Releases a hold on an artifact in `env`, with a reason (audited).
    pub async fn release_hold(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
        hold: i64,
        reason: &str,
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let (project, env_row) = self.locate(&mut tx, actor, slug, env).await?;
        let pid = ProjectId(project.id);
        crate::accounts::require(actor, Permission::RollBack, Some(pid))?;
        let reason = bounded_multiline(reason, "The reason", 10, 2000).map_err(|m| {
            ServiceError::field(
                "reason",
                format!("{m} Say why it may be promoted there again."),
            )
        })?;
        let active = holds::active_in(&mut tx, env_row.id).await?;
        let h = active
            .into_iter()
            .find(|h| h.id == hold)
            .ok_or(ServiceError::NotFound("hold"))?;
        let now = self.services.clock.now_ms();
        holds::release(&mut tx, h.id, &actor.username, &reason, now).await?;
        audit::record(
            &mut tx,
            actor,
            AuditAction::HoldReleased,
            audit::AuditSubject {
                id: h.id.to_string(),
                label: format!("{} {} hold on {}", project.slug, env_row.name, h.version),
                project: Some(pid),
            },
            Some(json!({"held": h.reason, "identity": h.identity})),
            Some(json!({"released_because": reason})),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RolloutAction {
    Pause,
    Resume,
    Abort,
}

/// A progressive promotion past its queue: some traffic may run it, so it
/// ends by Abort (rolling back) or by finishing, never by Cancel.
pub(crate) fn moved_traffic(d: &store::DeploymentRow) -> bool {
    d.kind == slipway_domain::deployment::DeploymentKind::Promotion
        && d.state != DeploymentState::Queued
        && !d.state.is_finished()
        && super::parse_settings(&d.settings)
            .map(|s| super::steps_of(d, &s).len() > 1)
            .unwrap_or(false)
}
