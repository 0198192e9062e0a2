//! `GET /sign/{token}`: a sign-off link from an e-mail or chat message.
//! It opens the release page at the decision for the one approver it was
//! sent to, once, before it expires. It never approves anything by itself.

use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use slipway_services::accounts::Viewer;
use slipway_services::releases::SignOffLinkError;

pub async fn open(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(viewer): Extension<Viewer>,
) -> Response {
    let outcome = state
        .services
        .releases()
        .open_sign_off_link(viewer.principal.as_ref(), &token)
        .await;
    match outcome {
        Ok(path) => Redirect::to(&path).into_response(),
        Err(SignOffLinkError::SignIn) => {
            // Back here after signing in; the token stays in the link only.
            Redirect::to(&format!("/login?next=/sign/{token}")).into_response()
        }
        Err(e) => {
            let message = match &e {
                SignOffLinkError::Service(inner) => {
                    tracing::error!(error = %inner, "opening a sign-off link failed");
                    "Slipway could not open this link right now. Try again in a moment.".to_owned()
                }
                other => other.to_string(),
            };
            (
                e.status(),
                [(header::CACHE_CONTROL, "no-store")],
                Html(page(&message)),
            )
                .into_response()
        }
    }
}

/// A small self-contained page (the link may be opened from anywhere).
fn page(message: &str) -> String {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-off link</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/pkg/slipway.css\"></head><body><main class=\"status-panel panel\">\
         <h1>Sign-off link</h1><p data-test=\"sign-link-message\">{escaped}</p>\
         <p class=\"actions\"><a class=\"button primary\" href=\"/\">Go to the dashboard</a></p></main></body></html>"
    )
}
