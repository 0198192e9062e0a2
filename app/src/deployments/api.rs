//! Server functions for deployments. Each authenticates, calls the
//! deployments service (which checks the permission and the rules), and
//! maps the error.

use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::deployment::check::CheckForm;
use slipway_domain::deployment::view::{DeploymentView, EnvironmentPage};

#[server(endpoint = "deployments/environment")]
pub async fn get_environment(slug: String, env: String) -> Result<EnvironmentPage, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .deployments()
            .environment_page(&actor, &slug, &env)
            .await,
    )
}

/// Rolls the environment back to its last verified version.
#[server(endpoint = "deployments/rollback")]
pub async fn roll_back_environment(
    slug: String,
    env: String,
    #[server(default)] reason: String,
) -> Result<DeploymentView, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .deployments()
            .rollback(&actor, &slug, &env, &reason, None)
            .await,
    )
}

#[server(endpoint = "deployments/checks")]
pub async fn rerun_checks(slug: String, env: String) -> Result<DeploymentView, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .deployments()
            .rerun_checks(&actor, &slug, &env)
            .await,
    )
}

#[server(endpoint = "deployments/cancel")]
pub async fn cancel_deployment(slug: String, env: String, id: i64) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .deployments()
            .cancel(&actor, &slug, &env, id)
            .await,
    )
}

/// Pauses (`pause`), resumes (`resume`) or aborts (`abort`, rolling back)
/// a progressive rollout.
#[server(endpoint = "deployments/rollout")]
pub async fn control_rollout(
    slug: String,
    env: String,
    id: i64,
    action: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    let services = services()?;
    let deployments = services.deployments();
    let done = match action.as_str() {
        "pause" => deployments.pause(&actor, &slug, &env, id).await,
        "resume" => deployments.resume(&actor, &slug, &env, id).await,
        "abort" => deployments.abort(&actor, &slug, &env, id, &reason).await,
        _ => Err(slipway_services::ServiceError::field(
            "action",
            "Choose pause, resume or abort.",
        )),
    };
    check(done).map(|_| ())
}

#[server(endpoint = "deployments/release-hold")]
pub async fn release_hold(
    slug: String,
    env: String,
    hold: i64,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .deployments()
            .release_hold(&actor, &slug, &env, hold, &reason)
            .await,
    )
}

/// The deploy settings form as posted (`settings[program]`, …,
/// `settings[checks][0][url]`, …).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SettingsFields {
    #[serde(default)]
    pub adapter: String,
    #[serde(default)]
    pub program: String,
    #[serde(default)]
    pub args: String,
    #[serde(default)]
    pub workdir: String,
    #[serde(default)]
    pub timeout_s: String,
    /// A ticked checkbox sends `on`.
    #[serde(default)]
    pub auto_rollback: Option<String>,
    #[serde(default)]
    pub checks: Vec<CheckForm>,
    #[serde(default)]
    pub webhook_url: String,
    #[serde(default)]
    pub webhook_secret: String,
    #[serde(default)]
    pub webhook_status_url: String,
    /// `settings[gitops][repo_url]`, …
    #[serde(default)]
    pub gitops: slipway_domain::deployment::gitops::GitopsForm,
    #[serde(default)]
    pub rollout: String,
    #[serde(default)]
    pub pause_between_steps: Option<String>,
}

/// Saves how the environment deploys.
#[server(endpoint = "deployments/settings")]
pub async fn save_deploy_settings(
    slug: String,
    env: String,
    #[server(default)] settings: SettingsFields,
) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    use slipway_domain::deployment::adapter::DeploySettingsForm;
    let actor = principal()?;
    let f = settings;
    let form = DeploySettingsForm {
        adapter: f.adapter,
        program: f.program,
        args: f.args,
        workdir: f.workdir,
        timeout_s: f.timeout_s,
        checks: f.checks,
        auto_rollback: f.auto_rollback.is_some(),
        webhook_url: f.webhook_url,
        webhook_secret: f.webhook_secret,
        webhook_status_url: f.webhook_status_url,
        gitops: f.gitops,
        rollout: f.rollout,
        pause_between_steps: f.pause_between_steps.is_some(),
    };
    check(
        services()?
            .deployments()
            .update_settings(&actor, &slug, &env, &form)
            .await,
    )
    .map(|_| ())
}
