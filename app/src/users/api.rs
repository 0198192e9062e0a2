//! Server functions for administering accounts and role grants.

use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::read::UserSummary;

#[server(endpoint = "users/list")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.accounts().list_users(&actor).await)
}

#[server(endpoint = "users/get")]
pub async fn get_user(username: String) -> Result<UserSummary, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.accounts().find_user(&actor, &username).await)
}

#[server(endpoint = "users/create")]
pub async fn create_user(
    username: String,
    #[server(default)] display_name: String,
    password: String,
    #[server(default)] role: String,
) -> Result<(), AppError> {
    use crate::server::{check, principal, redirect_to, services};
    use slipway_services::accounts::{Authority, NewUserInput};
    let actor = principal()?;
    let input = NewUserInput {
        username: username.clone(),
        display_name,
        password,
        role: Some(role),
    };
    check(
        services()?
            .accounts()
            .create_user(Authority::User(&actor), &input)
            .await,
    )?;
    redirect_to(&format!(
        "/admin/users/{}",
        username.trim().to_ascii_lowercase()
    ));
    Ok(())
}

/// Grants a role for one project (slug) or, with an empty project, for all.
#[server(endpoint = "users/grant")]
pub async fn grant_role(
    username: String,
    role: String,
    #[server(default)] project: String,
) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    use slipway_services::accounts::Authority;
    let actor = principal()?;
    let project = Some(project.as_str()).filter(|p| !p.trim().is_empty());
    check(
        services()?
            .accounts()
            .grant(Authority::User(&actor), &username, &role, project)
            .await,
    )
}

#[server(endpoint = "users/revoke")]
pub async fn revoke_role(grant_id: i64) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.accounts().revoke(&actor, grant_id).await)
}

#[server(endpoint = "users/disable")]
pub async fn set_user_disabled(username: String, disabled: bool) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .accounts()
            .set_disabled(&actor, &username, disabled)
            .await,
    )
}
