//! `/api/v1/.../releases`: list, create (from a ref, or by hand), read,
//! change the artifact, submit, abandon, decisions, and the version plan.
//!
//! Releases are named by id alone (`/api/v1/releases/{id}`): the handler
//! asks the services which project the release belongs to (a release the
//! token cannot see is 404), then calls the method the release page calls.

use super::auth::Caller;
use super::problem::Problem;
use super::{decode_cursor, encode_cursor, with_etag, ApiJson, ApiPath, ApiQuery, Page};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use slipway_domain::{
    artifact::ArtifactRef,
    release::{self, ReleaseVersion},
};
use slipway_domain::{ErrorKind, FieldErrors};
use slipway_services::releases::{
    ChangeInput, DecisionRecord, NewFromRefInput, ReleaseFilter, ReleaseOverview,
};
use slipway_services::Services;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_releases, create_release))
        .routes(routes!(get_release, change_release))
        .routes(routes!(submit_release))
        .routes(routes!(abandon_release))
        .routes(routes!(list_decisions))
        .routes(routes!(version_plan))
}

/// Where a release is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseState {
    Draft,
    Candidate,
    Approved,
    Deploying,
    Released,
    RolledBack,
    Abandoned,
}

impl From<release::ReleaseState> for ReleaseState {
    fn from(s: release::ReleaseState) -> Self {
        match s {
            release::ReleaseState::Draft => ReleaseState::Draft,
            release::ReleaseState::Candidate => ReleaseState::Candidate,
            release::ReleaseState::Approved => ReleaseState::Approved,
            release::ReleaseState::Deploying => ReleaseState::Deploying,
            release::ReleaseState::Released => ReleaseState::Released,
            release::ReleaseState::RolledBack => ReleaseState::RolledBack,
            release::ReleaseState::Abandoned => ReleaseState::Abandoned,
        }
    }
}

/// A release: what it ships and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct Release {
    pub id: i64,
    /// The project's slug.
    pub project: String,
    pub version: String,
    pub title: String,
    pub state: ReleaseState,
    /// The commit id or artifact digest it ships.
    pub artifact: String,
    /// The revision of its release notes it ships (0 without notes).
    pub notes_revision: i64,
    /// The text (Markdown) of that revision; null without notes.
    pub notes_markdown: Option<String>,
    /// The planned date, `YYYY-MM-DD`.
    pub planned: Option<String>,
    /// Who created it (display name).
    pub author: String,
    /// The last environment it entered.
    pub reached_environment: Option<String>,
    /// The environment it goes to next; null at the end of the pipeline or
    /// once abandoned or rolled back.
    pub next_environment: Option<String>,
    /// Why a promotion into the next environment would be refused now
    /// (empty when it would pass).
    pub promotion_blockers: Vec<String>,
    /// The next environment's approval policy on the live decisions.
    pub approval: ApprovalStatus,
    /// The release's page: absolute when the server knows its public URL.
    pub web_url: String,
}

/// The approval policy's verdict for the next environment.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalStatus {
    pub satisfied: bool,
    /// In words: who approved, what is missing.
    pub explanation: String,
    /// Whose approval is still needed, in words.
    pub missing: Vec<String>,
}

impl Release {
    fn from_overview(r: ReleaseOverview, services: &Services) -> Self {
        let path = format!("/projects/{}/releases/{}", r.project_slug, r.id);
        let web_url = match services.public_url.as_deref() {
            Some(base) => format!("{}{path}", base.trim_end_matches('/')),
            None => path,
        };
        Release {
            id: r.id,
            project: r.project_slug,
            version: r.version,
            title: r.title,
            state: r.state.into(),
            artifact: r.artifact,
            notes_revision: r.notes_revision,
            notes_markdown: r.notes_markdown,
            planned: r.planned,
            author: r.author,
            reached_environment: r.reached_environment,
            next_environment: r.next_environment,
            promotion_blockers: r.promotion_blockers,
            approval: ApprovalStatus {
                satisfied: r.approval_satisfied,
                explanation: r.approval_explanation,
                missing: r.approval_missing,
            },
            web_url,
        }
    }
}

/// Approve or reject.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Reject,
}

/// A decision on a release, live or ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct Decision {
    /// The environment it was made for; null if that environment was
    /// removed since.
    pub environment: Option<String>,
    /// The username of who decided.
    pub user: String,
    /// Their roles on the project when they decided (`release_manager`, ...).
    pub roles: Vec<String>,
    pub decision: Verdict,
    pub comment: String,
    /// When, RFC 3339 (UTC).
    pub at: String,
    /// Whether it still counts.
    pub live: bool,
    /// Why it no longer counts (the artifact or notes changed, revoked, ...).
    pub ended: Option<String>,
}

impl From<DecisionRecord> for Decision {
    fn from(d: DecisionRecord) -> Self {
        Decision {
            live: d.live(),
            environment: d.environment,
            user: d.user,
            roles: d.roles,
            decision: match d.decision {
                slipway_domain::approval::Decision::Approve => Verdict::Approve,
                slipway_domain::approval::Decision::Reject => Verdict::Reject,
            },
            comment: d.comment,
            at: d.at,
            ended: d.ended,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReleaseQuery {
    /// Only releases in this state.
    #[param(value_type = Option<ReleaseState>)]
    pub state: Option<String>,
    /// At most this many items (1–200, default 50).
    pub limit: Option<u32>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists a project's releases, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{slug}/releases",
    tag = "releases",
    params(("slug" = String, Path, description = "The project's slug"), ReleaseQuery),
    responses(
        (status = 200, description = "The releases, newest first", body = Page<Release>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter (`state`, `limit`, `cursor`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_releases(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReleaseQuery>,
) -> Result<Response, Problem> {
    let filter = ReleaseFilter {
        state: match query.state.as_deref() {
            None => None,
            Some(s) => Some(release::ReleaseState::parse(s.trim()).ok_or_else(|| {
                Problem::field(
                    "state",
                    "must be one of draft, candidate, approved, deploying, released, rolled_back, abandoned",
                )
            })?),
        },
        limit: super::Paging {
            limit: query.limit,
            cursor: None,
        }
        .limit()? as u32,
        before: match query.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(
                decode_cursor(c)?
                    .parse::<i64>()
                    .map_err(|_| Problem::field("cursor", "is not a cursor this API gave out"))?,
            ),
        },
    };
    let page = state
        .services
        .releases()
        .overviews(&caller, &slug, filter)
        .await?;
    let next_cursor = page
        .more
        .then(|| page.items.last().map(|r| encode_cursor(&r.id.to_string())))
        .flatten();
    let page = Page {
        items: page
            .items
            .into_iter()
            .map(|r| Release::from_overview(r, &state.services))
            .collect(),
        next_cursor,
    };
    Ok(with_etag(&headers, &page))
}

/// A new release. With `ref`, the version and the notes are proposed from
/// the ref's Conventional Commits; without, `version` is required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRelease {
    /// A branch, tag or commit of the project's repository.
    #[serde(rename = "ref")]
    #[schema(rename = "ref")]
    pub git_ref: Option<String>,
    /// SemVer or CalVer (`1.4.0`, `2026.11.2`); default: the one proposed
    /// for `ref`.
    pub version: Option<String>,
    /// The commit id or artifact digest (`sha256:...`) it ships; default:
    /// the ref's commit.
    pub artifact: Option<String>,
    pub title: Option<String>,
    /// Release notes (Markdown), saved over the notes drafted from `ref`.
    pub notes: Option<String>,
    /// The planned date, `YYYY-MM-DD`.
    pub planned: Option<String>,
}

/// Creates a draft release.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{slug}/releases",
    tag = "releases",
    params(("slug" = String, Path, description = "The project's slug")),
    request_body = NewRelease,
    responses(
        (status = 201, description = "Created; `Location` names it", body = Release,
            headers(("Location" = String, description = "/api/v1/releases/{id}"))),
        (status = 400, description = "Not JSON, or too large", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `releases:write`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The project is archived, has no repository (with `ref`), or the repository cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown field, unknown `ref`, nothing to release from `ref`, version taken", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create_release(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<NewRelease>,
) -> Result<Response, Problem> {
    let mut errors = FieldErrors::new();
    let version = match body.version.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => ReleaseVersion::parse(v)
            .map_err(|m| errors.push("version", m))
            .ok(),
    };
    let artifact = match body.artifact.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a) => ArtifactRef::parse(a)
            .map_err(|m| errors.push("artifact", m))
            .ok(),
    };
    if !errors.is_empty() {
        return Err(slipway_services::ServiceError::Validation(errors).into());
    }
    let input = NewFromRefInput {
        git_ref: body.git_ref,
        version,
        artifact,
        title: body.title.unwrap_or_default(),
        notes: body.notes,
        planned: body.planned.unwrap_or_default(),
    };
    let releases = state.services.releases();
    let id = releases.create_from_ref(&caller, &slug, &input).await?;
    let release = Release::from_overview(releases.overview(&caller, id).await?, &state.services);
    let location = HeaderValue::from_str(&format!("/api/v1/releases/{id}"))
        .map_err(|_| Problem::new(ErrorKind::Internal, "could not name the new release"))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(release),
    )
        .into_response())
}

/// One release.
#[utoipa::path(
    get,
    path = "/api/v1/releases/{id}",
    tag = "releases",
    params(("id" = i64, Path, description = "The release's id")),
    responses(
        (status = 200, description = "The release", body = Release),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_release(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    let release = state.services.releases().overview(&caller, id).await?;
    Ok(with_etag(
        &headers,
        &Release::from_overview(release, &state.services),
    ))
}

/// A new artifact for a release. Every live decision is voided and
/// sign-off starts over.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactChange {
    /// The commit id or artifact digest (`sha256:...`) it ships from now on.
    pub artifact: String,
    /// The artifact the release ships now, as the caller last saw it: if
    /// it changed meanwhile, the change is refused (409).
    pub expected_artifact: String,
}

/// Changes a release's artifact.
#[utoipa::path(
    patch,
    path = "/api/v1/releases/{id}",
    tag = "releases",
    params(("id" = i64, Path, description = "The release's id")),
    request_body = ArtifactChange,
    responses(
        (status = 200, description = "Changed; the release as it is now", body = Release),
        (status = 400, description = "Not JSON, or too large", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `releases:write`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`expected_artifact` is stale, or the release's state allows no change", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown field", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn change_release(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ArtifactChange>,
) -> Result<Response, Problem> {
    let input = ChangeInput {
        artifact: ArtifactRef::parse(&body.artifact).map_err(|m| Problem::field("artifact", m))?,
        expected_artifact: body.expected_artifact,
    };
    let releases = state.services.releases();
    let slug = releases.locate(&caller, id).await?;
    releases.change(&caller, &slug, id, &input).await?;
    current(&state, &caller, id).await
}

/// Submits a draft for sign-off (it becomes a candidate for its first
/// environment). No body, or `{}`.
#[utoipa::path(
    post,
    path = "/api/v1/releases/{id}/submit",
    tag = "releases",
    params(("id" = i64, Path, description = "The release's id")),
    request_body(content = Option<NoFields>, description = "Nothing, or `{}`"),
    responses(
        (status = 200, description = "Submitted; the release as it is now", body = Release),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `releases:write`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft, or the project has no environments", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A body other than `{}`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn submit_release(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body.map_err(|_| {
        Problem::typed(
            ErrorKind::BadRequest,
            "payload-too-large",
            "Payload too large",
            "The body is too large or could not be read (at most 1 MiB).",
        )
    })?;
    nothing_or_empty_object(&body)?;
    let releases = state.services.releases();
    let slug = releases.locate(&caller, id).await?;
    releases.submit(&caller, &slug, id).await?;
    current(&state, &caller, id).await
}

/// An empty object: the body of an action that takes no input.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

/// Accepts an empty body or `{}` (whitespace around it allowed).
fn nothing_or_empty_object(body: &[u8]) -> Result<(), Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    serde_json::from_slice::<NoFields>(body)
        .map(drop)
        .map_err(|e| Problem::field("body", format!("send no body, or {{}}: {e}")))
}

/// Why a release is given up.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Abandonment {
    /// Why it is abandoned (kept in its timeline and the audit log).
    #[serde(default)]
    pub reason: String,
}

/// Abandons a release that was not released.
#[utoipa::path(
    post,
    path = "/api/v1/releases/{id}/abandon",
    tag = "releases",
    params(("id" = i64, Path, description = "The release's id")),
    request_body = Abandonment,
    responses(
        (status = 200, description = "Abandoned; the release as it is now", body = Release),
        (status = 400, description = "Not JSON, or too large", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `releases:write`, or its owner the role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The release's state does not allow it (released, already abandoned, ...)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown field", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn abandon_release(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Abandonment>,
) -> Result<Response, Problem> {
    let releases = state.services.releases();
    let slug = releases.locate(&caller, id).await?;
    releases.abandon(&caller, &slug, id, &body.reason).await?;
    current(&state, &caller, id).await
}

/// The release as it is after an action.
async fn current(
    state: &AppState,
    caller: &slipway_domain::Principal,
    id: i64,
) -> Result<Response, Problem> {
    let release = state.services.releases().overview(caller, id).await?;
    Ok(axum::Json(Release::from_overview(release, &state.services)).into_response())
}

/// Every decision made on a release, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/releases/{id}/decisions",
    tag = "releases",
    params(("id" = i64, Path, description = "The release's id")),
    responses(
        (status = 200, description = "The decisions, newest first (ended ones too)", body = Vec<Decision>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_decisions(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, Problem> {
    let decisions: Vec<Decision> = state
        .services
        .releases()
        .decisions(&caller, id)
        .await?
        .into_iter()
        .map(Decision::from)
        .collect();
    Ok(with_etag(&headers, &decisions))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// A branch, tag or commit (default: the project's main branch).
    #[serde(rename = "ref")]
    #[param(rename = "ref")]
    pub git_ref: Option<String>,
    /// A component of a monorepo (its own tags and paths).
    pub component: Option<String>,
    /// A pre-release channel (`rc`, `beta`).
    pub channel: Option<String>,
}

/// The next version from a ref, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionPlan {
    /// The ref planned from.
    #[serde(rename = "ref")]
    #[schema(rename = "ref")]
    pub git_ref: String,
    /// The commit the release would be made from.
    pub commit: String,
    pub component: Option<String>,
    pub channel: Option<String>,
    /// The next version; null when there is nothing to release.
    pub next: Option<String>,
    /// The tag it would get.
    pub tag: Option<String>,
    /// `major`, `minor`, `patch`, or `no release`.
    pub bump: String,
    /// Why this version, in words.
    pub explanation: String,
    /// The last release tag before the ref.
    pub last_release: Option<String>,
    /// The commits since the last release, newest first.
    pub commits: Vec<PlannedCommit>,
}

/// A commit since the last release, as the version engine read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannedCommit {
    pub sha: String,
    pub subject: String,
    /// The Conventional Commit type (`feat`, `fix`, ...); null when the
    /// message does not follow the convention.
    pub kind: Option<String>,
    pub breaking: bool,
    /// Whether it decides the bump.
    pub drives_bump: bool,
}

/// The next version of a project from a ref, and why (fetches the
/// repository first).
#[utoipa::path(
    get,
    path = "/api/v1/projects/{slug}/version-plan",
    tag = "releases",
    params(("slug" = String, Path, description = "The project's slug"), PlanQuery),
    responses(
        (status = 200, description = "The plan", body = VersionPlan),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No repository connected, an unknown ref, or the repository cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn version_plan(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<PlanQuery>,
) -> Result<Response, Problem> {
    let plan = state
        .services
        .repositories()
        .plan(
            &caller,
            &slug,
            query.git_ref.as_deref(),
            query.component.as_deref(),
            query.channel.as_deref(),
        )
        .await?
        .ok_or_else(|| {
            Problem::new(
                ErrorKind::Conflict,
                "This project has no repository connected: connect one on its Repository page.",
            )
        })?;
    let plan = VersionPlan {
        git_ref: plan.rev,
        commit: plan.tip,
        component: plan.component,
        channel: plan.channel,
        next: plan.next,
        tag: plan.next_tag,
        bump: plan.bump,
        explanation: plan.explanation,
        last_release: plan.last_release,
        commits: plan
            .commits
            .into_iter()
            .map(|c| PlannedCommit {
                sha: c.id,
                subject: c.subject,
                kind: c.kind,
                breaking: c.breaking,
                drives_bump: c.drives_bump,
            })
            .collect(),
    };
    Ok(with_etag(&headers, &plan))
}
