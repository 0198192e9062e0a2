//! Server functions for the calendar. Each authenticates, calls the calendar
//! service (which checks the permission, parses and validates), and maps the
//! error.
//!
//! The add forms post flat fields (`project`, `name`, `start`, ...): the
//! project goes apart, the rest into the domain's input struct
//! (`#[server(flatten)]`), which the service parses.

use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::calendar::input::{FreezeInput, TrainInput};
use slipway_domain::read::{CalendarView, FeedView};

/// `month` `YYYY-MM` (default: this month) or `week` `YYYY-MM-DD`;
/// `project` a slug, or empty for every project.
#[server(endpoint = "calendar/view")]
pub async fn get_calendar(
    #[server(default)] month: String,
    #[server(default)] week: String,
    #[server(default)] project: String,
) -> Result<CalendarView, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .calendar()
            .view(&actor, &month, &week, &project)
            .await,
    )
}

/// Adds a freeze window; `project` empty means every project (admins).
#[server(endpoint = "calendar/freezes/create")]
pub async fn create_freeze(
    #[server(default)] project: String,
    #[server(flatten)] freeze: FreezeInput,
) -> Result<i64, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .calendar()
            .create_freeze(&actor, &project, &freeze)
            .await,
    )
}

#[server(endpoint = "calendar/freezes/remove")]
pub async fn remove_freeze(id: i64) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.calendar().remove_freeze(&actor, id).await)
}

/// Adds a release train; `project` empty means every project (admins).
#[server(endpoint = "calendar/trains/create")]
pub async fn create_train(
    #[server(default)] project: String,
    #[server(flatten)] train: TrainInput,
) -> Result<i64, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .calendar()
            .create_train(&actor, &project, &train)
            .await,
    )
}

#[server(endpoint = "calendar/trains/remove")]
pub async fn remove_train(id: i64) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.calendar().remove_train(&actor, id).await)
}

/// The signed-in person's calendar feeds (never their addresses).
#[server(endpoint = "calendar/feeds")]
pub async fn list_feeds() -> Result<Vec<FeedView>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.calendar().feeds(&actor).await)
}

/// Creates a private feed and returns its full address, shown only now.
#[server(endpoint = "calendar/feeds/create")]
pub async fn create_feed(#[server(default)] project: String) -> Result<String, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    let feed = check(services()?.calendar().create_feed(&actor, &project).await)?;
    Ok(format!("{}{}", public_base(&services()?), feed.path))
}

#[server(endpoint = "calendar/feeds/revoke")]
pub async fn revoke_feed(id: i64) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.calendar().revoke_feed(&actor, id).await)
}

/// Where calendar apps reach Slipway: the configured `public_url`, else the
/// address this request came to.
#[cfg(feature = "ssr")]
fn public_base(services: &slipway_services::Services) -> String {
    if let Some(url) = services.public_url.as_deref() {
        return url.trim_end_matches('/').to_owned();
    }
    let parts = use_context::<http::request::Parts>();
    let header = |name: &str| {
        parts
            .as_ref()
            .and_then(|p| p.headers.get(name))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let host = header("host")
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or_else(|| "localhost".into());
    let https = header("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}
