//! Deployments, by action. A newcomer finds each by its name:
//! - [`request`]: a deployment asked for by a promotion (inside the
//!   promotion's transaction, after the one gate allowed it) or by a
//!   rollback; one per request (idempotency key and database constraints);
//! - [`runner`]: the job that drives a deployment through its state
//!   machine (`slipway_domain::deployment`): the adapter, then the checks;
//!   picks up after a crash; rolls back automatically;
//! - [`command`]: the command adapter (a program, `SLIPWAY_*` variables,
//!   timeout, cancel, output streamed into the deployment);
//! - [`webhook`]: the webhook adapter (Standard Webhooks signatures,
//!   retries with the same id, the receiver's callback or a status URL);
//! - [`gitops`]: the GitOps adapter (the digest written into a file of a
//!   Git repository, committed with a trailer, pushed; rejected pushes
//!   written again on the new tip);
//! - [`checks`]: HTTP and command checks, fail-closed;
//! - [`settings`]: how an environment deploys;
//! - [`actions`]: cancel, run the checks again, release a hold;
//! - [`queries`]: the environment page (what runs, what waits, history).
//!
//! Durability: every deployment is a row and a job (`storage::jobs`). The
//! runner holds the job's lease while it works and renews it; when Slipway
//! stops, the lease lapses and any instance takes the job over and applies
//! `deployment::recover`.

pub mod actions;
pub mod checks;
pub mod command;
pub mod gitops;
mod output;
pub mod queries;
pub mod request;
pub mod runner;
pub mod settings;
pub mod webhook;

pub use runner::Runner;

use crate::storage::deployments::DeploymentRow;
use crate::{ServiceError, Services};
use slipway_domain::deployment::adapter::DeploySettings;
use slipway_domain::deployment::rollout::RolloutProgress;
use slipway_domain::deployment::view::{CheckResult, DeploymentView};
use slipway_domain::{Principal, UserId};

/// Why an adapter (or the checks) stopped short.
pub(crate) enum Stop {
    Failed(String),
    Cancelled,
}

/// The job kind of deployments.
pub const JOB_KIND: &str = "deployment";

pub struct Deployments<'a> {
    pub(crate) services: &'a Services,
}

/// An environment's stored settings. They were valid when written; one
/// that no longer parses (written by a newer version) deploys nothing and
/// says so, rather than guess.
pub(crate) fn parse_settings(json: &str) -> Result<DeploySettings, ServiceError> {
    serde_json::from_str(json).map_err(|e| {
        ServiceError::Conflict(format!(
            "This environment's deploy settings cannot be read ({e}); an administrator must set them again."
        ))
    })
}

/// The steps of a deployment: its settings' rollout for a promotion; a
/// rollback restores all traffic at once.
pub(crate) fn steps_of(d: &DeploymentRow, settings: &DeploySettings) -> Vec<u8> {
    match d.kind {
        slipway_domain::deployment::DeploymentKind::Promotion => settings.steps(),
        slipway_domain::deployment::DeploymentKind::Rollback => vec![100],
    }
}

/// Who the runner acts as when it records what happened: the person (or
/// token) who asked for the deployment. It carries no rights: the runner
/// only records, the request was authorised when it was made.
pub(crate) fn acting_for(d: &DeploymentRow) -> Principal {
    Principal {
        id: UserId(d.actor_id.unwrap_or_default()),
        username: d.actor_name.clone(),
        display_name: d.actor_name.clone(),
        grants: Vec::new(),
        must_change_password: false,
        token: None,
    }
}

/// A stored landing as the domain's rules read it.
pub(crate) fn landing(
    r: crate::storage::deployments::LandingRow,
) -> slipway_domain::deployment::Landing {
    slipway_domain::deployment::Landing {
        deployment_id: r.id,
        release_id: r.release_id,
        version: r.version,
        artifact: r.artifact,
        identity: r.identity,
        verified: r.verified != 0,
    }
}

/// A deployment as pages and the API show it.
pub(crate) fn view(d: &DeploymentRow, environment: &str, ahead: Option<i64>) -> DeploymentView {
    use crate::clock::format_ms;
    DeploymentView {
        id: d.id,
        kind: d.kind,
        state: d.state,
        environment: environment.to_owned(),
        release_id: d.release_id,
        version: d.version.clone(),
        artifact: d.artifact.clone(),
        previous: d.previous_identity.clone(),
        automatic: d.automatic != 0,
        actor: d.actor_name.clone(),
        requested_at: format_ms(d.created_at),
        started_at: d.started_at.map(format_ms),
        finished_at: d.finished_at.map(format_ms),
        error: d.error.clone(),
        checks: serde_json::from_str::<Vec<CheckResult>>(&d.checks).unwrap_or_default(),
        ahead,
        rollout: parse_settings(&d.settings)
            .ok()
            .map(|s| RolloutProgress {
                steps: steps_of(d, &s),
                step: d.step_index(),
                paused: d.paused_at.is_some() && !d.state.is_finished(),
                pause_requested: d.pause_requested != 0,
            })
            .filter(RolloutProgress::is_progressive),
    }
}

impl Services {
    pub fn deployments(&self) -> Deployments<'_> {
        Deployments { services: self }
    }
}
