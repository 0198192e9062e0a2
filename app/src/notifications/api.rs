//! Server functions for the inbox and e-mail addresses. Each authenticates
//! and leaves the permission checks to the services.

use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::read::NotificationView;

#[server(endpoint = "notifications/list")]
pub async fn my_notifications() -> Result<Vec<NotificationView>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.notifications().inbox(&actor, 30).await)
}

/// Marks one notification (`id`) or all (no `id`) as read.
#[server(endpoint = "notifications/read")]
pub async fn mark_read(#[server(default)] id: Option<i64>) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.notifications().mark_read(&actor, id).await)
}

/// The signed-in person's e-mail address, if they gave one.
#[server(endpoint = "account/email/get")]
pub async fn my_email() -> Result<Option<String>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .accounts()
            .email_of(&actor, &actor.username)
            .await,
    )
}

/// Sets (or, empty, removes) an e-mail address: your own, or anyone's as a
/// user admin.
#[server(endpoint = "account/email")]
pub async fn set_email(username: String, #[server(default)] email: String) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .accounts()
            .set_email(&actor, &username, &email)
            .await,
    )
}

/// Whether this Slipway sends e-mail at all (`smtp_url` is set).
#[server(endpoint = "account/email/enabled")]
pub async fn mail_enabled() -> Result<bool, AppError> {
    use crate::server::{principal, services};
    principal()?;
    Ok(services()?.mailer.is_some())
}
