//! `/api/v1/releases/{id}/…`: what CI does to a release besides creating
//! it — record evidence, tick checklist items, ask for promotion.
//!
//! Releases are addressed by id alone; [`locate`] finds the project (an
//! unknown release and one the token cannot see are both 404). Promotion
//! goes through the one gate, without break-glass: a token never breaks
//! glass. A refusal is 409 `gate-refused` with every reason.

use super::auth::Caller;
use super::problem::Problem;
use super::{with_etag, ApiJson, ApiPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use slipway_domain::read::{ChecklistItemView, EvidenceView};
use slipway_domain::Principal;
use slipway_services::releases::EvidenceInput;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_evidence, record_evidence))
        .routes(routes!(list_checklist))
        .routes(routes!(tick_item))
        .routes(routes!(promote))
}

/// The slug of the project of release `id`, if the caller can see it.
async fn locate(state: &AppState, caller: &Principal, id: i64) -> Result<String, Problem> {
    Ok(state.services.releases().locate(caller, id).await?)
}

/// Evidence about a release's artifact.
#[derive(Debug, Serialize, ToSchema)]
pub struct Evidence {
    /// What it is (`smoke-tests`, `qa-report`, …).
    pub kind: String,
    /// `passed`, `failed` or `info`.
    pub outcome: String,
    pub summary: String,
    /// Where the report is.
    #[schema(required = true)]
    pub url: Option<String>,
    /// Who recorded it (for a service token: its service account).
    pub recorded_by: String,
    /// When (UTC).
    pub at: String,
    /// False when it was recorded for an earlier artifact of the release.
    pub current: bool,
    /// Titles of the checklist items it ticked.
    pub ticked: Vec<String>,
}

impl From<EvidenceView> for Evidence {
    fn from(e: EvidenceView) -> Self {
        Evidence {
            kind: e.kind,
            outcome: e.outcome,
            summary: e.summary,
            url: e.url,
            recorded_by: e.recorded_by,
            at: e.at,
            current: e.current,
            ticked: e.ticked,
        }
    }
}

/// Evidence to record on the release's current artifact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvidence {
    /// Lower case with dashes, e.g. `smoke-tests`. Passed evidence ticks the
    /// checklist items waiting for its kind.
    #[schema(example = "smoke-tests")]
    pub kind: String,
    /// `passed`, `failed` or `info`.
    #[schema(example = "passed")]
    pub outcome: String,
    /// A sentence on what it shows (at most 500 characters).
    #[schema(example = "42 smoke tests passed in staging")]
    pub summary: String,
    /// Where the report is: an http(s) link.
    #[serde(default)]
    pub url: Option<String>,
}

/// A release's evidence, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/releases/{id}/evidence",
    tag = "release-actions",
    params(("id" = i64, Path, description = "The release's id")),
    responses(
        (status = 200, description = "The evidence, newest first", body = Vec<Evidence>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_evidence(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    let slug = locate(&state, &caller, id).await?;
    let release = state.services.releases().get(&caller, &slug, id).await?;
    let items: Vec<Evidence> = release.evidence.into_iter().map(Evidence::from).collect();
    Ok(with_etag(&headers, &items))
}

/// Records evidence on the release's current artifact; passed evidence
/// ticks the checklist items waiting for its kind. Needs `evidence:write`.
#[utoipa::path(
    post,
    path = "/api/v1/releases/{id}/evidence",
    tag = "release-actions",
    params(("id" = i64, Path, description = "The release's id")),
    request_body = NewEvidence,
    responses(
        (status = 201, description = "Recorded; `ticked` lists the checklist items it ticked", body = Evidence),
        (status = 400, description = "Not JSON, or the body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `evidence:write`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The release is closed, or its artifact changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid evidence: each field and what is wrong with it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn record_evidence(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewEvidence>,
) -> Result<Response, Problem> {
    let slug = locate(&state, &caller, id).await?;
    let input = EvidenceInput {
        kind: body.kind,
        outcome: body.outcome,
        summary: body.summary,
        url: body.url.unwrap_or_default(),
    };
    let stored = state
        .services
        .releases()
        .record_evidence(&caller, &slug, id, &input)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(Evidence::from(stored))).into_response())
}

/// An item of a release's checklist.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistItem {
    /// Its identifier (`qa-scope`), for ticking it.
    pub key: String,
    pub title: String,
    pub help: String,
    /// The tier it must be ticked before (`staging`, `production`), if any.
    #[schema(required = true)]
    pub required_before: Option<String>,
    /// Who ticked it and when, as the release page says it; null if not.
    #[schema(required = true)]
    pub ticked: Option<String>,
    pub done: bool,
}

impl From<ChecklistItemView> for ChecklistItem {
    fn from(c: ChecklistItemView) -> Self {
        ChecklistItem {
            done: c.ticked.is_some(),
            key: c.key,
            title: c.title,
            help: c.help,
            required_before: c.required_before,
            ticked: c.ticked,
        }
    }
}

/// A release's checklist, in the template's order.
#[utoipa::path(
    get,
    path = "/api/v1/releases/{id}/checklist",
    tag = "release-actions",
    params(("id" = i64, Path, description = "The release's id")),
    responses(
        (status = 200, description = "The checklist", body = Vec<ChecklistItem>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_checklist(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    let slug = locate(&state, &caller, id).await?;
    let release = state.services.releases().get(&caller, &slug, id).await?;
    let items: Vec<ChecklistItem> = release
        .checklist
        .into_iter()
        .map(ChecklistItem::from)
        .collect();
    Ok(with_etag(&headers, &items))
}

/// Ticking a checklist item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tick {
    /// Must be `true`: items are ticked, never unticked, through the API.
    #[schema(example = true)]
    pub done: bool,
}

/// Ticks an item of the release's checklist by hand (evidence ticks items
/// of its kind by itself). Needs `releases:write`, as on the release page.
#[utoipa::path(
    post,
    path = "/api/v1/releases/{id}/checklist/{key}",
    tag = "release-actions",
    params(
        ("id" = i64, Path, description = "The release's id"),
        ("key" = String, Path, description = "The item's key (`qa-scope`)"),
    ),
    request_body = Tick,
    responses(
        (status = 200, description = "Ticked; the item as it is now", body = ChecklistItem),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `releases:write`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No such item, it is already ticked, or the release is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn tick_item(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath((id, key)): ApiPath<(i64, String)>,
    ApiJson(body): ApiJson<Tick>,
) -> Result<Response, Problem> {
    if !body.done {
        return Err(Problem::field(
            "done",
            "must be true: items are ticked, never unticked, through the API",
        ));
    }
    let slug = locate(&state, &caller, id).await?;
    let releases = state.services.releases();
    releases.tick(&caller, &slug, id, &key).await?;
    let release = releases.get(&caller, &slug, id).await?;
    let item = release
        .checklist
        .into_iter()
        .find(|c| c.key == key)
        .map(ChecklistItem::from)
        .ok_or_else(|| Problem::not_found("checklist item"))?;
    Ok(axum::Json(item).into_response())
}

/// Asking for promotion.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoteRequest {
    /// The environment meant; refused (409) unless it is the release's next
    /// one. Leave it out to promote into whichever is next.
    #[serde(default)]
    #[schema(example = "staging")]
    pub environment: Option<String>,
}

/// A promotion the gate allowed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Promotion {
    pub release_id: i64,
    pub version: String,
    /// The release's state now: `deploying` while its deployment runs
    /// (follow it at `/api/v1/deployments/{deployment_id}`), `released`
    /// when the environment only records promotions.
    pub state: String,
    /// The environment it is entering.
    pub environment: String,
    /// The deployment that moves the artifact there.
    pub deployment_id: i64,
}

/// Promotes the release into its next environment through the gate
/// (approvals, checklist, freezes, pipeline order). Never breaks glass.
/// Needs `promote`.
#[utoipa::path(
    post,
    path = "/api/v1/releases/{id}/promote",
    tag = "release-actions",
    params(
        ("id" = i64, Path, description = "The release's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry find the deployment the first request started"),
    ),
    request_body = PromoteRequest,
    responses(
        (status = 200, description = "Allowed: the deployment started (or, with a known Idempotency-Key, the one the first request started)", body = Promotion),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `promote`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: `urn:slipway:problem:gate-refused` with every reason in `reasons`; or `environment` is not the next one; or the release reached the last environment", body = Problem, content_type = "application/problem+json",
            example = json!({
                "type": "urn:slipway:problem:gate-refused",
                "title": "Promotion refused",
                "status": 409,
                "detail": "The gate refused the promotion; every reason is in `reasons`.",
                "reasons": [
                    "Not approved for staging: needs 1 more approval.",
                    "Checklist items required before staging: QA scope agreed."
                ]
            })),
        (status = 422, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn promote(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PromoteRequest>,
) -> Result<Response, Problem> {
    let key = super::deployments::idempotency_key(&headers, caller.id.0, "promote")?;
    let slug = locate(&state, &caller, id).await?;
    let environment = body
        .environment
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let done = state
        .services
        .releases()
        .promote_into(&caller, &slug, id, environment, None, key.as_deref())
        .await?;
    Ok(axum::Json(Promotion {
        release_id: done.release_id,
        version: done.version,
        state: done.state.as_str().to_owned(),
        environment: done.environment,
        deployment_id: done.deployment_id,
    })
    .into_response())
}
