//! Server functions for signing in and out and for one's own account.

use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::read::CurrentUser;

/// Who is signed in, for the navigation. `None` when nobody is.
#[server(endpoint = "session/me")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    use slipway_domain::Permission;
    let viewer = crate::server::viewer();
    Ok(viewer.principal.map(|p| CurrentUser {
        is_admin: p.is_admin(),
        can_create_projects: p.can(Permission::CreateProject, None),
        can_view_audit: p.can(Permission::ViewAudit, None)
            || p.grants
                .iter()
                .any(|g| g.role.allows(Permission::ViewAudit)),
        must_change_password: p.must_change_password,
        username: p.username,
        display_name: p.display_name,
    }))
}

/// Signs in. The session id is cycled so a session fixed before sign-in is
/// useless afterwards.
#[server(endpoint = "session/login")]
pub async fn login(
    username: String,
    password: String,
    #[server(default)] next: String,
) -> Result<(), AppError> {
    use crate::server::{check, fail, redirect_to, services, viewer};
    let services = services()?;
    let viewer = viewer();
    if username.trim().is_empty() || password.is_empty() {
        let mut errors = slipway_domain::FieldErrors::new();
        if username.trim().is_empty() {
            errors.push("username", "Enter your username.");
        }
        if password.is_empty() {
            errors.push("password", "Enter your password.");
        }
        return Err(fail(AppError::Validation(errors)));
    }
    let user = check(
        services
            .accounts()
            .login(&username, &password, viewer.client_ip.as_deref())
            .await,
    )?;
    renew_session(user).await?;
    redirect_to(if next.is_empty() { "/" } else { &next });
    Ok(())
}

/// The request's session (provided by the server's session layer).
#[cfg(feature = "ssr")]
async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract().await.map_err(|e| {
        tracing::error!(error = %e, "session unavailable");
        crate::server::fail(AppError::Internal)
    })
}

/// Starts a fresh session id for `user` (sign-in, password change).
#[cfg(feature = "ssr")]
async fn renew_session(user: slipway_services::accounts::SessionUser) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(slipway_services::accounts::SESSION_USER_KEY, user)
        .await
        .map_err(session_error)
}

#[cfg(feature = "ssr")]
fn session_error(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store failed");
    crate::server::fail(AppError::Unavailable)
}

/// Signs out: the session is deleted from the store and the cookie cleared.
#[server(endpoint = "session/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::redirect_to;
    let session = session().await?;
    session.flush().await.map_err(session_error)?;
    redirect_to("/login");
    Ok(())
}

/// Changes one's own password. Other sessions of the account end; this one
/// continues under a fresh id.
#[server(endpoint = "account/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use crate::server::{check, fail, principal, services};
    let actor = principal()?;
    if new_password != confirm_password {
        let mut errors = slipway_domain::FieldErrors::new();
        errors.push("confirm_password", "The two new passwords differ.");
        return Err(fail(AppError::Validation(errors)));
    }
    let services = services()?;
    let user = check(
        services
            .accounts()
            .change_own_password(&actor, &current_password, &new_password)
            .await,
    )?;
    renew_session(user).await?;
    Ok(())
}
