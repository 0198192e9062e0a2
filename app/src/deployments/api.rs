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

/// Saves how the environment deploys. Check rows left wholly empty are
/// ignored (the form always offers one more).
#[server(endpoint = "deployments/settings")]
#[allow(clippy::too_many_arguments)]
pub async fn save_deploy_settings(
    slug: String,
    env: String,
    #[server(default)] adapter: String,
    #[server(default)] program: String,
    #[server(default)] args: String,
    #[server(default)] workdir: String,
    #[server(default)] timeout_s: String,
    #[server(default)] auto_rollback: Option<String>,
    #[server(default)] checks: Vec<CheckForm>,
    #[server(default)] webhook_url: String,
    #[server(default)] webhook_secret: String,
    #[server(default)] webhook_status_url: String,
) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    use slipway_domain::deployment::adapter::DeploySettingsForm;
    let actor = principal()?;
    let form = DeploySettingsForm {
        adapter,
        program,
        args,
        workdir,
        timeout_s,
        checks: checks
            .into_iter()
            .filter(|c| {
                !(c.name.trim().is_empty()
                    && c.url.trim().is_empty()
                    && c.program.trim().is_empty())
            })
            .collect(),
        auto_rollback: auto_rollback.is_some(),
        webhook_url,
        webhook_secret,
        webhook_status_url,
    };
    check(
        services()?
            .deployments()
            .update_settings(&actor, &slug, &env, &form)
            .await,
    )
    .map(|_| ())
}
