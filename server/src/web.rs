//! The HTTP server: router, middleware and health endpoints.
//!
//! Cookie and header policy live here, in one place (as kanidm does): the
//! session cookie is HttpOnly, SameSite=Lax and Secure under https; every
//! response carries the security headers; state-changing requests from other
//! origins are refused before they reach a handler.

use crate::config::Settings;
pub use crate::state::{AppState, OriginSettings};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use slipway_services::accounts::{SessionPrincipal, Viewer};
use slipway_services::storage::sessions::DbSessionStore;
use slipway_services::Services;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

pub const SESSION_COOKIE: &str = "slipway_session";

pub fn router(settings: &Settings, services: Services) -> Router {
    let leptos_options = LeptosOptions::builder()
        .output_name("slipway")
        .site_root(settings.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.addr)
        .build();
    let state = AppState {
        leptos_options: leptos_options.clone(),
        services: services.clone(),
        origin: Arc::new(OriginSettings {
            public_url: settings.public_url.clone(),
            trusted_proxies: settings.trusted_proxies.clone(),
        }),
        api_limiter: Arc::new(crate::api::rate_limit::TokenLimiter::new(
            settings.api_rate_per_second,
            settings.api_rate_burst,
        )),
    };
    let routes = route_list();
    let context = {
        let services = services.clone();
        move || provide_context(services.clone())
    };
    let pages = Router::new()
        .route("/sign/{token}", get(crate::sign_links::open))
        .route("/live/releases/{slug}/{id}", get(crate::live::release))
        .route("/live/deployments/{id}", get(crate::live::deployment))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::render_app_to_stream_with_context(context, {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        }))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            resolve_viewer,
        ))
        .layer(
            SessionManagerLayer::new(DbSessionStore::new(
                services.store.clone(),
                services.clock.clone(),
            ))
            .with_name(SESSION_COOKIE)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(settings.secure_cookies())
            .with_expiry(Expiry::OnInactivity(time::Duration::hours(i64::from(
                settings.session_idle_hours,
            ))))
            .with_always_save(false),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            same_origin_writes,
        ));

    let assets = Router::new()
        .route("/pkg/{*file}", get(crate::assets::serve))
        .route("/favicon.svg", get(crate::assets::serve))
        .with_state(crate::assets::Assets::load(&settings.site_root));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/demo/apps/{env}/health", get(crate::demo::health))
        .route("/readyz", get(readyz))
        .route("/calendar/{file}", crate::feeds::route(settings))
        .merge(assets)
        // Outside the session layer: the API reads tokens, never cookies.
        .merge(crate::api::router(&state))
        .merge(pages)
        .layer(middleware::from_fn(security_headers))
        // A bug that panics answers 500 (and is logged) instead of dropping
        // the connection; no request path is meant to panic.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        // A safety net: no request may hold a connection forever.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            std::time::Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // Never the query string, and never the secret in link paths.
            tracing::debug_span!(
                "request",
                method = %req.method(),
                path = %loggable_path(req.uri().path()),
            )
        }))
        .with_state(state)
}

/// The app's routes, computed once per process. Leptos suppresses resource
/// loading process-wide while it generates a route list, so generating it
/// again while another router in the same process serves requests (as the
/// integration tests do) would stall that router's pages.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// The paths of every page the router serves, in axum's syntax
/// (`/projects/{slug}`), for `slipway routes`.
pub fn page_paths() -> Vec<String> {
    let mut paths: Vec<String> = route_list().iter().map(|r| r.path().to_owned()).collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Resolves who is asking, once per request, from the session.
async fn resolve_viewer(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let client_ip = crate::origin::request_client_ip(&req, &state.origin.trusted_proxies);
    let mut viewer = Viewer {
        principal: None,
        client_ip,
    };
    // One statement: the session, its user and their grants. The session
    // layer itself never loads the record unless a handler changes it.
    if let Some(id) = session.id() {
        match state.services.accounts().session_principal(&id).await {
            Ok(SessionPrincipal::SignedIn(p)) => viewer.principal = Some(p),
            Ok(SessionPrincipal::Anonymous) => {}
            // Password changed or account disabled since sign-in; or the
            // session expired or ended: it is deleted and its cookie cleared.
            Ok(SessionPrincipal::Ended | SessionPrincipal::Missing) => {
                if let Err(e) = session.flush().await {
                    tracing::warn!(error = %e, "could not end a stale session");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "could not load the session");
                return unavailable_page();
            }
        }
    }
    req.extensions_mut().insert(viewer);
    next.run(req).await
}

/// Refuses state-changing requests that do not come from Slipway's own
/// pages, as a second line behind SameSite=Lax cookies (the rules:
/// [`crate::origin::write_allowed`]).
async fn same_origin_writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let headers = req.headers();
        let header = |name| {
            headers
                .get(name)
                .and_then(|h: &HeaderValue| h.to_str().ok())
        };
        let write = crate::origin::WriteRequest {
            origin: header("origin"),
            referer: header("referer"),
            sec_fetch_site: header("sec-fetch-site"),
            host: header("host"),
        };
        if !crate::origin::write_allowed(&write, state.origin.public_url.as_deref()) {
            tracing::warn!(origin = ?write.origin, host = ?write.host, "refused a write from another origin");
            return (
                StatusCode::FORBIDDEN,
                "Slipway accepts changes only from its own pages (this request did not say it came from them).",
            )
                .into_response();
        }
    }
    next.run(req).await
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'",
        ),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    res
}

/// A request path fit for logs: the tokens of sign-off links and calendar
/// feeds are secrets, so they are replaced, and so is anything shaped like
/// an API token (sent where it does not belong).
pub fn loggable_path(path: &str) -> String {
    for prefix in ["/sign/", "/calendar/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            if !rest.is_empty() {
                return format!("{prefix}[redacted]");
            }
        }
    }
    match path.find(slipway_domain::token::TOKEN_PREFIX) {
        Some(i) => format!("{}[redacted]", &path[..i]),
        None => path.to_owned(),
    }
}

/// `GET /healthz`: the process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers and every migration is applied.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.services.store.readiness().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {reason}"),
            )
                .into_response()
        }
    }
}

/// A self-contained page for when the database is down: it cannot depend on
/// anything that needs the database.
fn unavailable_page() -> Response {
    let body = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Slipway is unavailable</title><link rel="stylesheet" href="/pkg/slipway.css"></head>
<body><main id="main" class="panel status-panel" data-test="status-503">
<p class="status-code">503</p><h1>Slipway is having trouble</h1>
<p>Slipway cannot reach its database right now. Nothing you did caused this. Try again in a moment; if it persists, tell your administrator.</p>
<p><a class="button" href="/">Try again</a></p></main></body></html>"#;
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn link_tokens_never_reach_the_logs() {
        assert_eq!(loggable_path("/sign/0123abcd"), "/sign/[redacted]");
        assert_eq!(
            loggable_path("/calendar/0123abcd.ics"),
            "/calendar/[redacted]"
        );
        assert_eq!(loggable_path("/calendar"), "/calendar");
        assert_eq!(loggable_path("/projects/shop"), "/projects/shop");
        assert_eq!(
            loggable_path(&format!("/api/v1/projects/slw_{}", "a".repeat(64))),
            "/api/v1/projects/[redacted]"
        );
    }
}
