//! Asking for a deployment: by a promotion (inside its transaction, once
//! the gate allowed it) or by a rollback (a person, the API, the CLI, or
//! the runner after a failure).
//!
//! One request makes one deployment: the idempotency key is unique, one
//! release has at most one unfinished deployment into an environment, and
//! the release's own state change (approved → deploying) is conditional,
//! so a double click, two people or two instances promoting at once end in
//! one deployment (the others are told it is already being deployed).
//!
//! Everything the deployment is judged by later — approvals in force,
//! checklist, notes revision, break-glass, the adapter and checks — is
//! frozen into it here, never recomputed.

use super::{parse_settings, view, Deployments, JOB_KIND};
use crate::audit::{self, AuditSubject};
use crate::error::is_unique_violation;
use crate::releases::Loaded;
use crate::storage::deployments::{self as store, NewDeployment};
use crate::storage::{approvals, checklists, environments, holds, jobs, projects};
use crate::{ServiceError, Services};
use serde_json::json;
use slipway_domain::artifact::ArtifactRef;
use slipway_domain::deployment::view::DeploymentView;
use slipway_domain::deployment::{self, DeploymentKind, DeploymentState, Landing};
use slipway_domain::{AuditAction, Permission, Principal, ProjectId};

/// What identifies a stored artifact reference: its digest or commit id
/// (a reference stored before artifacts were typed is its own identity).
pub(crate) fn identity_of(artifact: &str) -> String {
    ArtifactRef::parse(artifact)
        .map(|a| a.identity().to_owned())
        .unwrap_or_else(|_| artifact.to_owned())
}

/// A promotion's deployment, made in the promotion's transaction.
pub(crate) struct PromotionRequest<'a> {
    pub env: &'a environments::EnvironmentRow,
    pub break_glass: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
}

/// What a promotion asked for: the deployment, and whether it finished at
/// once (an environment that only records promotions and has no checks).
pub(crate) struct Requested {
    pub deployment_id: i64,
    pub finished: bool,
}

/// Creates the deployment of a promotion the gate allowed. The caller has
/// moved the release to `deploying`; when this returns `finished`, the
/// caller completes the release's arrival itself.
pub(crate) async fn promotion(
    services: &Services,
    conn: &mut sqlx::AnyConnection,
    actor: &Principal,
    l: &Loaded,
    req: PromotionRequest<'_>,
) -> Result<Requested, ServiceError> {
    let settings = parse_settings(&req.env.deploy_settings)?;
    let now = services.clock.now_ms();
    let identity = identity_of(&l.release.artifact);
    let current = store::current(conn, l.project.id)
        .await?
        .into_iter()
        .find(|d| d.environment_id == req.env.id);
    let approvals = approvals::live(conn, l.release.id, req.env.id).await?;
    let checklist = checklists::items(conn, l.release.id).await?;
    let evidence = json!({
        "release": l.release.id,
        "version": l.release.version,
        "artifact": l.release.artifact,
        "notes_revision": l.release.notes_revision,
        "approvals": approvals.iter().map(|a| json!({
            "by": a.user_name, "decision": a.decision.as_str(), "at": crate::clock::format_ms(a.created_at),
            "artifact": a.artifact, "notes_revision": a.notes_revision, "comment": a.comment,
        })).collect::<Vec<_>>(),
        "checklist": checklist.iter().map(|c| json!({
            "item": c.title, "ticked_by": c.ticked_by_name,
            "ticked_at": c.ticked_at.map(crate::clock::format_ms), "evidence": c.evidence,
        })).collect::<Vec<_>>(),
        "break_glass": req.break_glass,
        "requested_by": actor.username,
        "requested_at": crate::clock::format_ms(now),
    });
    let finished = !settings.deploys() && settings.checks.is_empty();
    let key = match req.idempotency_key {
        Some(k) => k.to_owned(),
        None => {
            let earlier = store::for_release(conn, l.release.id)
                .await?
                .iter()
                .filter(|d| d.environment_id == req.env.id)
                .count();
            format!("promotion:{}:{}:{}", l.release.id, req.env.id, earlier + 1)
        }
    };
    let settings_json =
        serde_json::to_string(&settings).map_err(|e| ServiceError::Internal(Box::new(e)))?;
    let new = NewDeployment {
        project_id: l.project.id,
        environment_id: req.env.id,
        release_id: l.release.id,
        kind: DeploymentKind::Promotion,
        state: if finished {
            DeploymentState::Succeeded
        } else {
            DeploymentState::Queued
        },
        artifact: &l.release.artifact,
        identity: &identity,
        previous_identity: current.as_ref().map(|c| c.identity.as_str()),
        rollback_of: None,
        idempotency_key: &key,
        automatic: false,
        actor: (Some(actor.id.0), &actor.username),
        settings: &settings_json,
        evidence: &evidence.to_string(),
    };
    let id = match store::insert(conn, &new, now).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(ServiceError::Conflict(
                "This release is already being deployed there.".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    if finished {
        crate::storage::verifications::set(
            conn,
            req.env.id,
            &identity,
            "passed",
            "",
            Some(id),
            now,
        )
        .await?;
    } else {
        jobs::enqueue(conn, JOB_KIND, id, now).await?;
    }
    audit::record(
        conn,
        actor,
        AuditAction::DeploymentRequested,
        subject(id, &l.project.slug, &req.env.name, ProjectId(l.project.id)),
        None,
        Some(json!({
            "release": l.release.id, "version": l.release.version, "artifact": l.release.artifact,
            "environment": req.env.name, "kind": "promotion", "adapter": settings.adapter.label(),
        })),
        now,
    )
    .await?;
    Ok(Requested {
        deployment_id: id,
        finished,
    })
}

pub(crate) fn subject(id: i64, project: &str, env: &str, pid: ProjectId) -> AuditSubject {
    AuditSubject {
        id: id.to_string(),
        label: format!("{project} {env} deployment {id}"),
        project: Some(pid),
    }
}

/// Why a rollback is asked for.
pub(crate) struct RollbackRequest<'a> {
    pub env: &'a environments::EnvironmentRow,
    pub project: &'a projects::ProjectRow,
    /// The runner, after a failure (no person pressed anything).
    pub automatic: Option<&'a store::DeploymentRow>,
    pub idempotency_key: Option<&'a str>,
    pub reason: &'a str,
}

/// Creates a rollback deployment of `env` to its last verified artifact,
/// and holds what runs there now (or the failed artifact) there.
pub(crate) async fn rollback_in(
    services: &Services,
    conn: &mut sqlx::AnyConnection,
    actor: &Principal,
    req: RollbackRequest<'_>,
) -> Result<store::DeploymentRow, ServiceError> {
    let now = services.clock.now_ms();
    if let Some(key) = req.idempotency_key {
        if let Some(existing) = store::find_by_key(conn, key).await? {
            return Ok(existing);
        }
    }
    let settings = parse_settings(&req.env.deploy_settings)?;
    let current = store::current(conn, req.project.id)
        .await?
        .into_iter()
        .find(|d| d.environment_id == req.env.id);
    // A rollback by a person pre-empts the promotions under way or queued
    // in the environment: they are cancelled, so the rollback starts as
    // soon as the adapter has stopped, instead of waiting behind them.
    let pre_empted: Vec<store::DeploymentRow> = match req.automatic {
        Some(_) => Vec::new(),
        None => store::unfinished(conn, req.project.id)
            .await?
            .into_iter()
            .filter(|d| d.environment_id == req.env.id && d.kind == DeploymentKind::Promotion)
            .collect(),
    };
    let in_flight = pre_empted
        .iter()
        .find(|d| d.state != DeploymentState::Queued);
    // What is taken out: the failed artifact (automatic), else the one
    // being deployed (it may already take traffic), else what runs.
    let (out_identity, out_version, out_deployment) = match (req.automatic, in_flight, &current) {
        (Some(failed), _, _) => (
            Some(failed.identity.clone()),
            failed.version.clone(),
            Some(failed.id),
        ),
        (None, Some(f), _) => (Some(f.identity.clone()), f.version.clone(), Some(f.id)),
        (None, None, Some(c)) => (Some(c.identity.clone()), c.version.clone(), Some(c.id)),
        (None, None, None) => (None, String::new(), None),
    };
    let landings: Vec<Landing> = store::landings(conn, req.env.id, 100)
        .await?
        .into_iter()
        .map(super::landing)
        .collect();
    let held: Vec<String> = holds::active_in(conn, req.env.id)
        .await?
        .into_iter()
        .map(|h| h.identity)
        .collect();
    let target =
        deployment::rollback_target(&req.env.name, &landings, out_identity.as_deref(), &held)
            .map_err(ServiceError::Conflict)?
            .clone();
    let key = match req.idempotency_key {
        Some(k) => k.to_owned(),
        None => format!(
            "rollback:{}:{}:{}",
            req.env.id,
            out_deployment.unwrap_or_default(),
            target.deployment_id
        ),
    };
    if let Some(existing) = store::find_by_key(conn, &key).await? {
        if !existing.state.is_finished() {
            return Ok(existing);
        }
    }
    let key = if store::find_by_key(conn, &key).await?.is_some() {
        format!("{key}:{now}")
    } else {
        key
    };
    let settings_json =
        serde_json::to_string(&settings).map_err(|e| ServiceError::Internal(Box::new(e)))?;
    let evidence = json!({
        "release": target.release_id,
        "version": target.version,
        "artifact": target.artifact,
        "rollback_of": out_deployment,
        "taken_out": {"version": out_version, "identity": out_identity},
        "reason": req.reason,
        "requested_by": actor.username,
        "requested_at": crate::clock::format_ms(now),
        "automatic": req.automatic.is_some(),
        "pre_empted": pre_empted.iter().map(|d| d.id).collect::<Vec<_>>(),
    });
    let new = NewDeployment {
        project_id: req.project.id,
        environment_id: req.env.id,
        release_id: target.release_id,
        kind: DeploymentKind::Rollback,
        state: DeploymentState::Queued,
        artifact: &target.artifact,
        identity: &target.identity,
        previous_identity: out_identity.as_deref(),
        rollback_of: out_deployment,
        idempotency_key: &key,
        automatic: req.automatic.is_some(),
        actor: (Some(actor.id.0).filter(|id| *id != 0), &actor.username),
        settings: &settings_json,
        evidence: &evidence.to_string(),
    };
    let id = match store::insert(conn, &new, now).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(ServiceError::Conflict(format!(
                "A rollback of {} to {} is already under way.",
                req.env.name, target.version
            )))
        }
        Err(e) => return Err(e.into()),
    };
    if let (Some(identity), Some(from)) = (&out_identity, out_deployment) {
        let reason = match req.automatic {
            Some(_) => format!(
                "rolled back automatically on {} ({}).",
                crate::clock::format_ms(now),
                req.reason
            ),
            None => format!(
                "rolled back by {} on {}: {}",
                actor.display_name,
                crate::clock::format_ms(now),
                req.reason
            ),
        };
        holds::insert(
            conn,
            &holds::NewHold {
                environment_id: req.env.id,
                identity,
                version: &out_version,
                reason: &reason,
                deployment_id: from,
                held_by_name: &actor.username,
            },
            now,
        )
        .await?;
    }
    jobs::enqueue(conn, JOB_KIND, id, now).await?;
    for d in &pre_empted {
        if store::request_cancel(conn, d.id).await? {
            jobs::wake(conn, JOB_KIND, d.id, now).await?;
        }
    }
    audit::record(
        conn,
        actor,
        AuditAction::RollbackRequested,
        subject(id, &req.project.slug, &req.env.name, ProjectId(req.project.id)),
        None,
        Some(json!({
            "environment": req.env.name, "to_version": target.version, "to_artifact": target.artifact,
            "from_version": out_version, "from_identity": out_identity, "automatic": req.automatic.is_some(),
            "reason": req.reason,
        })),
        now,
    )
    .await?;
    store::find(conn, id)
        .await?
        .ok_or(ServiceError::NotFound("deployment"))
}

impl Deployments<'_> {
    /// Rolls `env` of project `slug` back to its last verified version, as
    /// a new deployment through the same adapter (approvals and soak are
    /// skipped, the checks are not). Needs the rollback permission.
    #[tracing::instrument(skip_all, fields(project = %slug, environment = %env))]
    pub async fn rollback(
        &self,
        actor: &Principal,
        slug: &str,
        env: &str,
        reason: &str,
        idempotency_key: Option<&str>,
    ) -> Result<DeploymentView, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let (project, env_row) = self.locate(&mut tx, actor, slug, env).await?;
        crate::accounts::require(actor, Permission::RollBack, Some(ProjectId(project.id)))?;
        let reason = slipway_domain::validation::bounded_multiline(reason, "The reason", 0, 2000)
            .map_err(|m| ServiceError::field("reason", m))?;
        let reason = if reason.is_empty() {
            "no reason given".to_owned()
        } else {
            reason
        };
        let d = rollback_in(
            self.services,
            &mut tx,
            actor,
            RollbackRequest {
                env: &env_row,
                project: &project,
                automatic: None,
                idempotency_key,
                reason: &reason,
            },
        )
        .await?;
        tx.commit().await?;
        self.services.wake_deployments();
        self.services
            .events
            .release_changed(project.id, d.release_id)
            .await;
        Ok(view(&d, &env_row.name, None))
    }

    /// A project the actor may see and one of its environments by name
    /// (unknown and invisible look alike).
    pub(crate) async fn locate(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
        slug: &str,
        env: &str,
    ) -> Result<(projects::ProjectRow, environments::EnvironmentRow), ServiceError> {
        let project = projects::find_by_slug(conn, slug)
            .await?
            .filter(|p| actor.can(Permission::ViewProject, Some(ProjectId(p.id))))
            .ok_or(ServiceError::NotFound("project"))?;
        let env_row = environments::for_project(conn, ProjectId(project.id))
            .await?
            .into_iter()
            .find(|e| e.name == env)
            .ok_or(ServiceError::NotFound("environment"))?;
        Ok((project, env_row))
    }
}
