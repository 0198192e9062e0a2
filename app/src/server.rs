//! Server-only helpers shared by the server functions: the request's viewer,
//! the services, and setting a response's HTTP status.

use crate::error::AppError;
use http::request::Parts;
use leptos::prelude::use_context;
use slipway_domain::Principal;
use slipway_services::accounts::Viewer;
use slipway_services::{ServiceError, Services};

/// The services, provided to every render and server function by the router.
pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| {
        tracing::error!("services missing from the Leptos context");
        AppError::Internal
    })
}

/// Who is asking, as resolved by the session middleware.
pub fn viewer() -> Viewer {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<Viewer>().cloned())
        .unwrap_or_default()
}

/// The signed-in principal, or `Unauthenticated`.
pub fn principal() -> Result<Principal, AppError> {
    viewer()
        .principal
        .ok_or_else(|| fail(AppError::Unauthenticated))
}

/// The error a server function fails with. Its HTTP status is set when the
/// function answers with it (`AppError`'s `FromServerFnError::ser`), not
/// here: an error a page renders sets the page's status (`ErrorPanel`).
pub fn fail(e: impl Into<AppError>) -> AppError {
    e.into()
}

/// Shorthand for mapping a service result.
pub fn check<T>(r: Result<T, ServiceError>) -> Result<T, AppError> {
    r.map_err(fail)
}

/// Redirects after a successful plain form post or client call. Only paths on
/// this site are accepted, so `next` parameters cannot send people elsewhere.
pub fn redirect_to(path: &str) {
    leptos_axum::redirect(&safe_local_path(path));
}

pub fn safe_local_path(path: &str) -> String {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control());
    if ok {
        path.to_owned()
    } else {
        "/".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_local_path;

    #[test]
    fn only_local_paths_survive() {
        assert_eq!(safe_local_path("/projects/x"), "/projects/x");
        assert_eq!(safe_local_path("//evil.example"), "/");
        assert_eq!(safe_local_path("https://evil.example"), "/");
        assert_eq!(safe_local_path("/\\evil.example"), "/");
        assert_eq!(safe_local_path("/a\nb"), "/");
    }
}
