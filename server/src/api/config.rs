//! Configuration drift over the API: each environment's configuration
//! (plain values, and secrets only as references to where they live), the
//! comparison of a project's environments, and the drift rules.
//!
//! Shapes, chosen to read the same everywhere:
//! - an entry is `{"key": "PORT", "value": "8080"}` for a plain value and
//!   `{"key": "DB_PASSWORD", "secret_reference": "vault://…"}` for a
//!   secret, never both;
//! - `PUT …/environments/{environment}/config` takes the rows of the
//!   configuration form (`{"rows": [{"key", "value", "secret"}]}`, a
//!   secret's `value` being its reference) and replaces the whole
//!   configuration; errors name the row by its index (`rows[1].key`);
//! - `PUT …/config/rules` takes the keys that must match (one per line or
//!   comma separated) and the environments whose promotions wait for
//!   matching configuration.
//!
//! Reading needs a token that can read the project. Writing needs the
//! `config:write` scope: a personal token whose owner is an admin or a
//! release manager of the project, or the project's service token.

use super::auth::Caller;
use super::problem::Problem;
use super::{with_etag, ApiJson, ApiPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use slipway_domain::config_drift as domain;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_config))
        .routes(routes!(get_environment_config, put_environment_config))
        .routes(routes!(put_rules))
}

/// A value: plain text in `value`, or for a secret only where it lives in
/// `secret_reference`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigValue {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "20")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "vault://secret/data/shop#db_password")]
    pub secret_reference: Option<String>,
}

impl From<&domain::ConfigValue> for ConfigValue {
    fn from(v: &domain::ConfigValue) -> Self {
        match v {
            domain::ConfigValue::Plain { value } => ConfigValue {
                value: Some(value.clone()),
                secret_reference: None,
            },
            domain::ConfigValue::Secret { reference } => ConfigValue {
                value: None,
                secret_reference: Some(reference.clone()),
            },
        }
    }
}

/// One key of an environment's configuration: `value` for plain text,
/// `secret_reference` for a secret (never its value).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigEntry {
    #[schema(example = "DATABASE_POOL")]
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "20")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "vault://secret/data/shop#db_password")]
    pub secret_reference: Option<String>,
}

fn entries(config: &domain::EnvironmentConfig) -> Vec<ConfigEntry> {
    config
        .entries
        .iter()
        .map(|(key, value)| {
            let v = ConfigValue::from(value);
            ConfigEntry {
                key: key.to_string(),
                value: v.value,
                secret_reference: v.secret_reference,
            }
        })
        .collect()
}

/// An environment's configuration, sorted by key.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnvironmentConfig {
    pub environment: String,
    pub entries: Vec<ConfigEntry>,
}

/// An environment in the comparison.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparedEnvironment {
    pub name: String,
    /// A promotion into it waits until no drift is left between it and the
    /// environment before it.
    pub require_match: bool,
    /// Its configuration, sorted by key.
    pub entries: Vec<ConfigEntry>,
}

/// Drift of one key between two neighbouring environments.
#[derive(Debug, Serialize, ToSchema)]
pub struct DriftFinding {
    /// `missing`: set in one of the two only; `differs`: a must-match key
    /// with different values.
    #[schema(example = "missing")]
    pub kind: String,
    /// The two environments, in pipeline order.
    pub environments: Vec<String>,
    /// The finding in words, as the page and the promotion gate say it.
    #[schema(example = "FEATURE_X is set in staging but missing in prod.")]
    pub sentence: String,
}

impl From<&domain::DriftFinding> for DriftFinding {
    fn from(f: &domain::DriftFinding) -> Self {
        let kind = match f {
            domain::DriftFinding::Missing { .. } => "missing",
            domain::DriftFinding::Differs { .. } => "differs",
        };
        DriftFinding {
            kind: kind.to_owned(),
            environments: f.tiers().iter().map(|t| t.name.clone()).collect(),
            sentence: f.describe(),
        }
    }
}

/// One key across every environment.
#[derive(Debug, Serialize, ToSchema)]
pub struct DriftRow {
    pub key: String,
    /// The key must have the same value in neighbouring environments.
    pub must_match: bool,
    /// Its value in each environment, in the order of `environments`;
    /// `null` where it is not set.
    pub cells: Vec<Option<ConfigValue>>,
    /// For each cell, whether it is part of a finding.
    pub highlighted: Vec<bool>,
    pub findings: Vec<DriftFinding>,
}

/// A project's environments compared side by side.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigComparison {
    pub project: String,
    /// In pipeline order (the columns of `rows[].cells`).
    pub environments: Vec<ComparedEnvironment>,
    /// The keys that must match, sorted.
    pub must_match: Vec<String>,
    /// How many findings there are in all.
    pub finding_count: usize,
    /// One row per key set in any environment, sorted by key.
    pub rows: Vec<DriftRow>,
    /// Whether this token may change the configuration and the rules.
    pub may_edit: bool,
}

impl From<domain::ConfigPage> for ConfigComparison {
    fn from(p: domain::ConfigPage) -> Self {
        ConfigComparison {
            finding_count: p.report.finding_count(),
            rows: p
                .report
                .rows
                .iter()
                .map(|r| DriftRow {
                    key: r.key.to_string(),
                    must_match: r.must_match,
                    cells: r
                        .cells
                        .iter()
                        .map(|c| c.as_ref().map(ConfigValue::from))
                        .collect(),
                    highlighted: r.highlighted(),
                    findings: r.findings.iter().map(DriftFinding::from).collect(),
                })
                .collect(),
            environments: p
                .environments
                .iter()
                .map(|e| ComparedEnvironment {
                    name: e.name.clone(),
                    require_match: e.require_match,
                    entries: entries(&e.config),
                })
                .collect(),
            must_match: rules_keys(&p.rules),
            project: p.project,
            may_edit: p.may_edit,
        }
    }
}

fn rules_keys(rules: &domain::DriftRules) -> Vec<String> {
    rules.must_match.iter().map(|k| k.to_string()).collect()
}

/// A project's environments side by side: each one's configuration, the
/// rules, and the drift between neighbouring environments.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{slug}/config",
    tag = "config",
    params(("slug" = String, Path, description = "The project's slug")),
    responses(
        (status = 200, description = "The comparison", body = ConfigComparison),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_config(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, Problem> {
    let page = state.services.config_drift().page(&caller, &slug).await?;
    Ok(with_etag(&headers, &ConfigComparison::from(page)))
}

/// One environment's configuration, sorted by key.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{slug}/environments/{environment}/config",
    tag = "config",
    params(
        ("slug" = String, Path, description = "The project's slug"),
        ("environment" = String, Path, description = "The environment's name"),
    ),
    responses(
        (status = 200, description = "The configuration", body = EnvironmentConfig),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or environment, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_environment_config(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath((slug, env)): ApiPath<(String, String)>,
) -> Result<Response, Problem> {
    let config = state
        .services
        .config_drift()
        .environment(&caller, &slug, &env)
        .await?;
    let body = EnvironmentConfig {
        environment: env,
        entries: entries(&config),
    };
    Ok(with_etag(&headers, &body))
}

/// An environment's new configuration: every key it holds (what is left
/// out is removed).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigRequest {
    /// At most 500 keys; rows with neither key nor value are ignored.
    pub rows: Vec<ConfigRowRequest>,
}

/// One key of a [`ConfigRequest`].
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigRowRequest {
    /// Starts with a letter or `_`, then letters, digits, `_`, `.` or `-`
    /// (at most 128 characters).
    #[serde(default)]
    #[schema(example = "DATABASE_POOL")]
    pub key: String,
    /// Plain text (at most 4,096 characters, no password in a URL), or for
    /// a secret where it lives (`scheme://location`), never the secret.
    #[serde(default)]
    #[schema(example = "20")]
    pub value: String,
    /// `value` is a secret reference.
    #[serde(default)]
    pub secret: bool,
}

impl From<ConfigRequest> for domain::ConfigForm {
    fn from(r: ConfigRequest) -> Self {
        domain::ConfigForm {
            rows: r
                .rows
                .into_iter()
                .map(|row| domain::ConfigRowForm {
                    key: row.key,
                    value: row.value,
                    secret: row.secret,
                })
                .collect(),
        }
    }
}

/// Replaces an environment's configuration. Needs `config:write` (and,
/// for a personal token, an owner who is an admin or a release manager).
/// Recorded in the audit log.
#[utoipa::path(
    put,
    path = "/api/v1/projects/{slug}/environments/{environment}/config",
    tag = "config",
    params(
        ("slug" = String, Path, description = "The project's slug"),
        ("environment" = String, Path, description = "The environment's name"),
    ),
    request_body = ConfigRequest,
    responses(
        (status = 200, description = "The configuration as stored", body = EnvironmentConfig),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `config:write`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or environment, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rows; each error names its row (`rows[1].key`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn put_environment_config(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath((slug, env)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ConfigRequest>,
) -> Result<Response, Problem> {
    let config = state
        .services
        .config_drift()
        .update_environment(&caller, &slug, &env, &domain::ConfigForm::from(body))
        .await?;
    let body = EnvironmentConfig {
        environment: env,
        entries: entries(&config),
    };
    Ok(axum::Json(body).into_response())
}

/// The drift rules of a project.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesRequest {
    /// The keys that must have the same value in neighbouring
    /// environments, one per line or comma separated (at most 500).
    #[schema(example = "DATABASE_POOL\nFEATURE_X")]
    pub must_match: String,
    /// The environments a promotion into which waits until their
    /// configuration matches the environment before them; the others
    /// do not wait.
    #[schema(example = json!(["prod"]))]
    pub required: Vec<String>,
}

/// The drift rules as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigRules {
    /// The keys that must match, sorted.
    pub must_match: Vec<String>,
    /// The environments whose promotions wait for matching configuration,
    /// in pipeline order.
    pub required: Vec<String>,
}

/// Sets which keys must match and which environments wait for matching
/// configuration before a promotion into them. Needs `config:write` (and,
/// for a personal token, an owner who is an admin or a release manager).
/// Recorded in the audit log.
#[utoipa::path(
    put,
    path = "/api/v1/projects/{slug}/config/rules",
    tag = "config",
    params(("slug" = String, Path, description = "The project's slug")),
    request_body = RulesRequest,
    responses(
        (status = 200, description = "The rules as stored", body = ConfigRules),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `config:write`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid keys (`must_match`) or an unknown environment (`required`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn put_rules(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<RulesRequest>,
) -> Result<Response, Problem> {
    let drift = state.services.config_drift();
    let form = domain::DriftRulesForm {
        must_match: body.must_match,
    };
    drift
        .update_rules(&caller, &slug, &form, &body.required)
        .await?;
    let page = drift.page(&caller, &slug).await?;
    let rules = ConfigRules {
        must_match: rules_keys(&page.rules),
        required: page
            .environments
            .iter()
            .filter(|e| e.require_match)
            .map(|e| e.name.clone())
            .collect(),
    };
    Ok(axum::Json(rules).into_response())
}
