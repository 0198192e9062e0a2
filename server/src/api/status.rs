//! `/api/v1/projects/{slug}/status`: what runs where.

use super::auth::Caller;
use super::problem::Problem;
use super::{with_etag, ApiPath};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use slipway_services::releases::{Deployed, EnvironmentStatus, ProjectStatus};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(project_status))
}

/// A project's environments in promotion order, with what runs in each.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// The project's slug.
    pub project: String,
    /// Dev first.
    pub environments: Vec<EnvironmentNow>,
}

/// An environment and the release that runs there.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnvironmentNow {
    pub name: String,
    /// `development`, `staging` or `production`.
    pub tier: String,
    /// 0 for the first environment a release enters.
    pub position: i64,
    /// What runs there now; null when nothing does.
    #[schema(required = true)]
    pub current: Option<Running>,
}

/// The release that runs in an environment: the latest one promoted there
/// that was not rolled back out of it since.
#[derive(Debug, Serialize, ToSchema)]
pub struct Running {
    pub release_id: i64,
    pub version: String,
    /// The release's artifact (a digest or a commit).
    pub artifact: String,
    /// When it arrived there (UTC).
    pub since: String,
    /// Who promoted it there.
    pub by: String,
}

impl From<ProjectStatus> for Status {
    fn from(s: ProjectStatus) -> Self {
        Status {
            project: s.project,
            environments: s
                .environments
                .into_iter()
                .map(EnvironmentNow::from)
                .collect(),
        }
    }
}

impl From<EnvironmentStatus> for EnvironmentNow {
    fn from(e: EnvironmentStatus) -> Self {
        EnvironmentNow {
            name: e.name,
            tier: e.tier.as_str().to_owned(),
            position: e.position,
            current: e.current.map(Running::from),
        }
    }
}

impl From<Deployed> for Running {
    fn from(d: Deployed) -> Self {
        Running {
            release_id: d.release_id,
            version: d.version,
            artifact: d.artifact,
            since: d.since,
            by: d.by,
        }
    }
}

/// What runs in each environment of a project now, derived from the
/// releases' timelines: per environment, the latest release promoted there
/// that was not rolled back out of it since (rolling back the newest shows
/// the one before it again).
#[utoipa::path(
    get,
    path = "/api/v1/projects/{slug}/status",
    tag = "status",
    params(("slug" = String, Path, description = "The project's slug")),
    responses(
        (status = 200, description = "Each environment with what runs there", body = Status),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn project_status(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, Problem> {
    let status = state.services.releases().status(&caller, &slug).await?;
    Ok(with_etag(&headers, &Status::from(status)))
}
