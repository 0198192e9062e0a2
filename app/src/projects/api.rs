//! Server functions for projects and their environments. Each one
//! authenticates, calls the projects service (which checks the permission and
//! validates), and maps the error; nothing else.

use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::project::ProjectDependencies;
use slipway_domain::read::{ProjectDetail, ProjectSummary};
use slipway_domain::{EnvironmentDraft, ProjectDraft};

#[server(endpoint = "projects/list")]
pub async fn list_projects(
    #[server(default)] include_archived: bool,
) -> Result<Vec<ProjectSummary>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.projects().list(&actor, include_archived).await)
}

#[server(endpoint = "projects/get")]
pub async fn get_project(slug: String) -> Result<ProjectDetail, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.projects().get(&actor, &slug).await)
}

/// Creates a project with its pipeline, then opens its page.
#[server(endpoint = "projects/create")]
pub async fn create_project(
    project: ProjectDraft,
    #[server(default)] environments: Vec<EnvironmentDraft>,
) -> Result<String, AppError> {
    use crate::server::{check, principal, redirect_to, services};
    let actor = principal()?;
    let slug = check(
        services()?
            .projects()
            .create(&actor, &project, &environments)
            .await,
    )?;
    redirect_to(&format!("/projects/{slug}"));
    Ok(slug)
}

#[server(endpoint = "projects/update")]
pub async fn update_project(slug: String, project: ProjectDraft) -> Result<String, AppError> {
    use crate::server::{check, principal, redirect_to, services};
    let actor = principal()?;
    let new_slug = check(services()?.projects().update(&actor, &slug, &project).await)?;
    redirect_to(&format!("/projects/{new_slug}"));
    Ok(new_slug)
}

#[server(endpoint = "projects/archive")]
pub async fn set_project_archived(slug: String, archived: bool) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .projects()
            .set_archived(&actor, &slug, archived)
            .await,
    )
}

#[server(endpoint = "environments/add")]
pub async fn add_environment(slug: String, environment: EnvironmentDraft) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .projects()
            .add_environment(&actor, &slug, &environment)
            .await,
    )
}

#[server(endpoint = "environments/update")]
pub async fn update_environment(
    slug: String,
    id: i64,
    environment: EnvironmentDraft,
) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    use slipway_domain::EnvironmentId;
    let actor = principal()?;
    check(
        services()?
            .projects()
            .update_environment(&actor, &slug, EnvironmentId(id), &environment)
            .await,
    )
}

#[server(endpoint = "environments/remove")]
pub async fn remove_environment(slug: String, id: i64) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    use slipway_domain::EnvironmentId;
    let actor = principal()?;
    check(
        services()?
            .projects()
            .remove_environment(&actor, &slug, EnvironmentId(id))
            .await,
    )
}

/// Moves an environment one place earlier ("up") or later ("down") in the pipeline.
#[server(endpoint = "environments/move")]
pub async fn move_environment(slug: String, id: i64, direction: String) -> Result<(), AppError> {
    use crate::server::{check, fail, principal, services};
    use slipway_domain::environment::Move;
    use slipway_domain::EnvironmentId;
    let actor = principal()?;
    let direction = match direction.as_str() {
        "up" => Move::Up,
        "down" => Move::Down,
        _ => {
            let mut e = slipway_domain::FieldErrors::new();
            e.push("direction", "Direction must be \"up\" or \"down\".");
            return Err(fail(AppError::Validation(e)));
        }
    };
    check(
        services()?
            .projects()
            .move_environment(&actor, &slug, EnvironmentId(id), direction)
            .await,
    )
}

/// What a project depends on and what depends on it, with the edit form's choices.
#[server(endpoint = "projects/dependencies")]
pub async fn get_dependencies(slug: String) -> Result<ProjectDependencies, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.projects().dependencies(&actor, &slug).await)
}

/// Sets what a project depends on: the slugs of the ticked boxes
/// (`depends_on[]=blog&depends_on[]=api`; none ticked: no dependencies).
#[server(endpoint = "projects/dependencies/set")]
pub async fn set_dependencies(
    slug: String,
    #[server(default)] depends_on: Vec<String>,
) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .projects()
            .set_dependencies(&actor, &slug, &depends_on)
            .await,
    )
}
