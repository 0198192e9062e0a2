//! `/api/v1/projects`: projects and their environments (read only).

use super::auth::Caller;
use super::problem::Problem;
use super::{page_by_key, with_etag, ApiPath, ApiQuery, Paging};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use slipway_domain::read::EnvironmentView;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects))
        .routes(routes!(get_project))
        .routes(routes!(list_environments))
}

/// A project.
#[derive(Debug, Serialize, ToSchema)]
pub struct Project {
    /// Its identifier in URLs (`shop-api`).
    pub slug: String,
    pub name: String,
    pub description: String,
    pub archived: bool,
    /// In promotion order (dev first).
    pub environments: Vec<Environment>,
}

/// An environment of a project, in promotion order.
#[derive(Debug, Serialize, ToSchema)]
pub struct Environment {
    pub name: String,
    /// `development`, `staging` or `production`.
    pub tier: String,
    /// 0 for the first environment a release enters.
    pub position: i64,
}

impl From<&EnvironmentView> for Environment {
    fn from(e: &EnvironmentView) -> Self {
        Environment {
            name: e.name.clone(),
            tier: e.tier.as_str().to_owned(),
            position: e.position,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProjectFilter {
    /// Include archived projects (default false).
    pub archived: Option<bool>,
    /// At most this many items (1–200, default 50).
    pub limit: Option<u32>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists the projects the token can see.
#[utoipa::path(
    get,
    path = "/api/v1/projects",
    tag = "projects",
    params(ProjectFilter),
    responses(
        (status = 200, description = "The projects, by name", body = super::Page<Project>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_projects(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiQuery(filter): ApiQuery<ProjectFilter>,
) -> Result<Response, Problem> {
    let projects = state
        .services
        .projects()
        .list(&caller, filter.archived.unwrap_or(false))
        .await?;
    let items: Vec<Project> = projects
        .into_iter()
        .map(|p| Project {
            environments: p.environments.iter().map(Environment::from).collect(),
            slug: p.slug,
            name: p.name,
            description: p.description,
            archived: p.archived,
        })
        .collect();
    let paging = Paging {
        limit: filter.limit,
        cursor: filter.cursor,
    };
    let page = page_by_key(items, &paging, |p| p.slug.clone())?;
    Ok(with_etag(&headers, &page))
}

/// One project with its environments.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{slug}",
    tag = "projects",
    params(("slug" = String, Path, description = "The project's slug")),
    responses(
        (status = 200, description = "The project", body = Project),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_project(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, Problem> {
    let p = state.services.projects().get(&caller, &slug).await?;
    let project = Project {
        environments: p.environments.iter().map(Environment::from).collect(),
        archived: p.archived_at.is_some(),
        slug: p.slug,
        name: p.name,
        description: p.description,
    };
    Ok(with_etag(&headers, &project))
}

/// A project's environments, in promotion order.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{slug}/environments",
    tag = "projects",
    params(("slug" = String, Path, description = "The project's slug")),
    responses(
        (status = 200, description = "The environments, dev first", body = Vec<Environment>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such project, or the token cannot see it", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list_environments(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, Problem> {
    let p = state.services.projects().get(&caller, &slug).await?;
    let envs: Vec<Environment> = p.environments.iter().map(Environment::from).collect();
    Ok(with_etag(&headers, &envs))
}
