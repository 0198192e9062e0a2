//! Deployments over the API: read one (and its adapter's output), list an
//! environment's, roll an environment back, run its checks again, cancel,
//! and pause, resume or abort a progressive rollout.
//!
//! A promotion (`POST /api/v1/releases/{id}/promote`) answers with the
//! deployment it started; pipelines follow it here. Rolling back and
//! running the checks again need the `rollback` scope; cancelling needs
//! `promote` or `rollback`, and so do pausing and resuming a rollout;
//! aborting one rolls back, so it needs `rollback`. `Idempotency-Key` on a rollback (and a
//! promotion) makes a retried request find the deployment the first one
//! made instead of making another.

use super::auth::Caller;
use super::problem::Problem;
use super::{with_etag, ApiJson, ApiPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use slipway_domain::deployment::view::{CheckResult, DeploymentView};
use slipway_domain::ErrorKind;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_deployment))
        .routes(routes!(deployment_output))
        .routes(routes!(cancel_deployment))
        .routes(routes!(pause_rollout))
        .routes(routes!(resume_rollout))
        .routes(routes!(abort_rollout))
        .routes(routes!(list_deployments))
        .routes(routes!(rollback))
        .routes(routes!(rerun_checks))
}

/// A deployment: an artifact entering an environment through its adapter,
/// then verified by its checks.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deployment {
    pub id: i64,
    /// `promotion` or `rollback`.
    pub kind: String,
    /// `queued`, `deploying`, `verifying`, `succeeded`, `failed`,
    /// `rolled_back` (failed, then rolled back automatically) or `cancelled`.
    pub state: String,
    pub environment: String,
    pub release_id: i64,
    pub version: String,
    /// The artifact it deploys (by digest, or a commit).
    pub artifact: String,
    /// What ran there before (its digest or commit).
    #[schema(required = true)]
    pub previous: Option<String>,
    /// Started by Slipway itself (an automatic rollback).
    pub automatic: bool,
    /// Who asked for it.
    pub actor: String,
    pub requested_at: String,
    #[schema(required = true)]
    pub started_at: Option<String>,
    #[schema(required = true)]
    pub finished_at: Option<String>,
    /// Why it failed.
    #[schema(required = true)]
    pub error: Option<String>,
    pub checks: Vec<Check>,
    /// For a queued one: how many deployments of its environment are ahead.
    #[schema(required = true)]
    pub ahead: Option<i64>,
    /// A progressive rollout's progress (`null`: deployed in one step).
    #[schema(required = true)]
    pub rollout: Option<Rollout>,
}

/// Where a progressive rollout stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rollout {
    /// The weight of each step, in percent of traffic.
    #[schema(example = json!([10, 50, 100]))]
    pub steps: Vec<u8>,
    /// The step deployed or deploying, counted from 1.
    pub step: usize,
    /// Its weight.
    pub weight: u8,
    /// Waiting for `resume` before the next step.
    pub paused: bool,
    /// Someone asked it to pause after this step's checks.
    pub pause_requested: bool,
    /// As people read it ("Step 2 of 3: 50% of traffic.").
    pub description: String,
}

/// One check's outcome in a deployment.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub detail: String,
    pub attempts: u32,
    pub elapsed_ms: u64,
}

impl From<CheckResult> for Check {
    fn from(c: CheckResult) -> Self {
        Check {
            name: c.name,
            passed: c.passed,
            detail: c.detail,
            attempts: c.attempts,
            elapsed_ms: c.elapsed_ms,
        }
    }
}

impl From<DeploymentView> for Deployment {
    fn from(d: DeploymentView) -> Self {
        Deployment {
            id: d.id,
            kind: d.kind.as_str().to_owned(),
            state: d.state.as_str().to_owned(),
            environment: d.environment,
            release_id: d.release_id,
            version: d.version,
            artifact: d.artifact,
            previous: d.previous,
            automatic: d.automatic,
            actor: d.actor,
            requested_at: d.requested_at,
            started_at: d.started_at,
            finished_at: d.finished_at,
            error: d.error,
            checks: d.checks.into_iter().map(Check::from).collect(),
            ahead: d.ahead,
            rollout: d.rollout.map(|r| Rollout {
                description: r.describe(),
                weight: r.weight(),
                step: r.step + 1,
                paused: r.paused,
                pause_requested: r.pause_requested,
                steps: r.steps,
            }),
        }
    }
}

/// The `Idempotency-Key` header, namespaced by who sent it (1 to 200
/// visible ASCII characters).
pub fn idempotency_key(
    headers: &HeaderMap,
    caller: i64,
    what: &str,
) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Problem::new(
                ErrorKind::Invalid,
                "Idempotency-Key must be 1 to 200 visible ASCII characters.",
            )
        })?;
    Ok(Some(format!("api:{what}:{caller}:{key}")))
}

/// A deployment.
#[utoipa::path(
    get,
    path = "/api/v1/deployments/{id}",
    tag = "deployments",
    params(("id" = i64, Path, description = "The deployment's id")),
    responses(
        (status = 200, description = "The deployment", body = Deployment),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such deployment, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_deployment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    let (_, d) = state.services.deployments().by_id(&caller, id).await?;
    Ok(with_etag(&headers, &Deployment::from(d)))
}

/// The adapter's output so far (plain text).
#[utoipa::path(
    get,
    path = "/api/v1/deployments/{id}/output",
    tag = "deployments",
    params(("id" = i64, Path, description = "The deployment's id")),
    responses(
        (status = 200, description = "What the adapter printed so far", body = String, content_type = "text/plain"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such deployment, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn deployment_output(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    let deployments = state.services.deployments();
    deployments.by_id(&caller, id).await?;
    let text = deployments
        .output_since(id, 0)
        .await?
        .map(|(t, _, _)| t)
        .unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// Stops an unfinished deployment (the adapter is killed, or the checks
/// stop; a queued one never starts). Needs `promote` or `rollback`.
#[utoipa::path(
    post,
    path = "/api/v1/deployments/{id}/cancel",
    tag = "deployments",
    params(("id" = i64, Path, description = "The deployment's id")),
    responses(
        (status = 202, description = "Cancel asked for; the deployment ends `cancelled`"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `promote` and `rollback`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such deployment, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It has ended already", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn cancel_deployment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    let deployments = state.services.deployments();
    let (slug, d) = deployments.by_id(&caller, id).await?;
    deployments
        .cancel(&caller, &slug, &d.environment, id)
        .await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Pauses a progressive rollout after its current step's checks. Needs
/// `promote` or `rollback`.
#[utoipa::path(
    post,
    path = "/api/v1/deployments/{id}/pause",
    tag = "deployments",
    params(("id" = i64, Path, description = "The deployment's id")),
    responses(
        (status = 200, description = "It pauses after this step's checks", body = Deployment),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `promote` and `rollback`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such deployment, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It has ended, is not a progressive rollout, is in its last step or is already pausing", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn pause_rollout(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    let deployments = state.services.deployments();
    let (slug, d) = deployments.by_id(&caller, id).await?;
    let d = deployments
        .pause(&caller, &slug, &d.environment, id)
        .await?;
    Ok(axum::Json(Deployment::from(d)).into_response())
}

/// Resumes a paused rollout: its next step deploys now. Needs `promote`
/// or `rollback`.
#[utoipa::path(
    post,
    path = "/api/v1/deployments/{id}/resume",
    tag = "deployments",
    params(("id" = i64, Path, description = "The deployment's id")),
    responses(
        (status = 200, description = "The next step deploys", body = Deployment),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `promote` and `rollback`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such deployment, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is not paused", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn resume_rollout(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    let deployments = state.services.deployments();
    let (slug, d) = deployments.by_id(&caller, id).await?;
    let d = deployments
        .resume(&caller, &slug, &d.environment, id)
        .await?;
    Ok(axum::Json(Deployment::from(d)).into_response())
}

/// Why a rollout is aborted.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbortRequest {
    #[serde(default)]
    #[schema(example = "Error rate doubled at 10%")]
    pub reason: Option<String>,
}

/// Aborts a rollout wherever it stands and rolls the environment back to
/// its last verified version. Needs `rollback`.
#[utoipa::path(
    post,
    path = "/api/v1/deployments/{id}/abort",
    tag = "deployments",
    params(("id" = i64, Path, description = "The deployment's id")),
    request_body(content = AbortRequest, description = "Why (recorded in the audit log)"),
    responses(
        (status = 202, description = "Abort asked for; the deployment ends `rolled_back` (or `failed` when nothing was verified before)", body = Deployment),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `rollback`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such deployment, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It has ended, or it is a rollback", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The reason is too long", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn abort_rollout(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AbortRequest>,
) -> Result<Response, Problem> {
    let deployments = state.services.deployments();
    let (slug, d) = deployments.by_id(&caller, id).await?;
    let reason = body.reason.unwrap_or_default();
    let d = deployments
        .abort(&caller, &slug, &d.environment, id, &reason)
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(Deployment::from(d))).into_response())
}

/// An environment's deployments, newest first (the latest 50).
#[utoipa::path(
    get,
    path = "/api/v1/projects/{slug}/environments/{environment}/deployments",
    tag = "deployments",
    params(
        ("slug" = String, Path, description = "The project's slug"),
        ("environment" = String, Path, description = "The environment's name"),
    ),
    responses(
        (status = 200, description = "Newest first", body = Vec<Deployment>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or environment, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_deployments(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath((slug, env)): ApiPath<(String, String)>,
) -> Result<Response, Problem> {
    let page = state
        .services
        .deployments()
        .environment_page(&caller, &slug, &env)
        .await?;
    let list: Vec<Deployment> = page.history.into_iter().map(Deployment::from).collect();
    Ok(with_etag(&headers, &list))
}

/// Why the environment is rolled back.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    /// Recorded with the rollback and the hold on what it takes out.
    #[serde(default)]
    #[schema(example = "Checkout errors after 1.4.0")]
    pub reason: Option<String>,
}

/// Rolls the environment back to its last verified version: a new
/// deployment of that version's artifact through the same adapter
/// (approvals are skipped, the checks are not). What ran is held there
/// until someone releases the hold. Needs `rollback`.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{slug}/environments/{environment}/rollback",
    tag = "deployments",
    params(
        ("slug" = String, Path, description = "The project's slug"),
        ("environment" = String, Path, description = "The environment's name"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry find the rollback the first request made"),
    ),
    request_body = RollbackRequest,
    responses(
        (status = 202, description = "The rollback deployment, queued", body = Deployment),
        (status = 400, description = "Not JSON, or a bad Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `rollback`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or environment, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing verified to roll back to, or a rollback is under way", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn rollback(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath((slug, env)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RollbackRequest>,
) -> Result<Response, Problem> {
    let key = idempotency_key(&headers, caller.id.0, "rollback")?;
    let d = state
        .services
        .deployments()
        .rollback(
            &caller,
            &slug,
            &env,
            body.reason.as_deref().unwrap_or_default(),
            key.as_deref(),
        )
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(Deployment::from(d))).into_response())
}

/// Runs the environment's checks again against what runs there; a failure
/// revokes "verified" there (the gate then refuses to promote that
/// artifact further until a run passes). Needs `promote` or `rollback`.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{slug}/environments/{environment}/checks",
    tag = "deployments",
    params(
        ("slug" = String, Path, description = "The project's slug"),
        ("environment" = String, Path, description = "The environment's name"),
    ),
    responses(
        (status = 202, description = "The checks, queued as a deployment of the same artifact that runs no adapter", body = Deployment),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `promote` and `rollback`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project or environment, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No checks configured, nothing runs there, or it is being deployed", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn rerun_checks(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath((slug, env)): ApiPath<(String, String)>,
) -> Result<Response, Problem> {
    let d = state
        .services
        .deployments()
        .rerun_checks(&caller, &slug, &env)
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(Deployment::from(d))).into_response())
}

/// The callback route, authenticated by the deployment's own token rather
/// than an API token (mounted outside the API's token check).
pub fn callback_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report_status))
}

/// What a webhook adapter's receiving system reports.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusReport {
    /// `running` (progress), `succeeded` or `failed`.
    #[schema(example = "succeeded")]
    pub state: String,
    /// Progress, or why it failed (at most 2,000 characters).
    #[serde(default)]
    pub message: Option<String>,
}

/// The receiving system of a webhook deployment reports progress and the
/// result. Authenticate with the deployment's callback token, which the
/// webhook's payload carries (`callback.token`), as a bearer token.
#[utoipa::path(
    post,
    path = "/api/v1/deployments/{id}/status",
    tag = "deployments",
    security(("callback" = [])),
    params(("id" = i64, Path, description = "The deployment's id")),
    request_body = StatusReport,
    responses(
        (status = 202, description = "Recorded"),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No token, or not this deployment's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The deployment is not deploying (it ended, or has not started)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown state or too long a message", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn report_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StatusReport>,
) -> Result<Response, Problem> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(slipway_services::deployments::webhook::CALLBACK_PREFIX))
        .ok_or_else(|| {
            Problem::new(
                ErrorKind::Unauthenticated,
                "Send the deployment's callback token: Authorization: Bearer slwd_…",
            )
        })?;
    state
        .services
        .deployments()
        .report(
            id,
            token,
            &body.state,
            body.message.as_deref().unwrap_or_default(),
        )
        .await?;
    Ok(StatusCode::ACCEPTED.into_response())
}
