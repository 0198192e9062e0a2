//! Server functions for configuration drift. Each authenticates, calls the
//! configuration service (which checks the permission and parses every
//! field), and maps the error.

use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::config_drift::ConfigPage;

/// A project's configuration page: every environment's configuration, the
/// rules and the comparison.
#[server(endpoint = "config/page")]
pub async fn get_config_page(slug: String) -> Result<ConfigPage, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.config_drift().page(&actor, &slug).await)
}

/// One row of an environment's configuration form as posted
/// (`rows[2][key]`, `rows[2][value]`, `rows[2][secret]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConfigRowFields {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: String,
    /// A ticked checkbox sends `on`; an unticked one sends nothing.
    #[serde(default)]
    pub secret: Option<String>,
}

/// Replaces an environment's configuration with the rows of the form.
/// Errors name the row by its index in the form (`rows[2].key`).
#[server(endpoint = "config/environment")]
pub async fn save_environment_config(
    slug: String,
    env: String,
    #[server(default)] rows: Vec<ConfigRowFields>,
) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    use slipway_domain::config_drift::{ConfigForm, ConfigRowForm};
    let actor = principal()?;
    let form = ConfigForm {
        rows: rows
            .into_iter()
            .map(|r| ConfigRowForm {
                key: r.key,
                value: r.value,
                secret: r.secret.is_some(),
            })
            .collect(),
    };
    check(
        services()?
            .config_drift()
            .update_environment(&actor, &slug, &env, &form)
            .await,
    )
    .map(|_| ())
}

/// Saves the keys that must match (one per line) and the environments
/// whose promotions wait for matching configuration (`required[]=prod`).
#[server(endpoint = "config/rules")]
pub async fn save_config_rules(
    slug: String,
    #[server(default)] must_match: String,
    #[server(default)] required: Vec<String>,
) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    use slipway_domain::config_drift::DriftRulesForm;
    let actor = principal()?;
    check(
        services()?
            .config_drift()
            .update_rules(&actor, &slug, &DriftRulesForm { must_match }, &required)
            .await,
    )
    .map(|_| ())
}
