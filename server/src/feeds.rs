//! `GET /calendar/{token}.ics`: private iCalendar feeds that Google Calendar,
//! Outlook and Apple Calendar subscribe to. The token is the only
//! credential (calendar apps send no cookies); unknown, malformed and
//! revoked tokens all answer a bare 404.

use crate::config::Settings;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use slipway_services::ServiceError;

/// The route's handler. Links in the feed use `SLIPWAY_PUBLIC_URL` when it
/// is set, else the address the calendar app asked (`Host`).
pub fn route(settings: &Settings) -> MethodRouter<AppState> {
    let public_url = settings.public_url.clone();
    get(
        move |State(state): State<AppState>, Path(file): Path<String>, headers: HeaderMap| {
            let public_url = public_url.clone();
            async move { serve(&state, public_url.as_deref(), &file, &headers).await }
        },
    )
}

/// `https://slipway.example.com`, from the configuration or the request.
fn base_url(public_url: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(url) = public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

async fn serve(
    state: &AppState,
    public_url: Option<&str>,
    file: &str,
    headers: &HeaderMap,
) -> Response {
    let base = base_url(public_url, headers);
    let feed = match file.strip_suffix(".ics") {
        Some(token) => state.services.calendar().ics(token, &base).await,
        None => Err(ServiceError::NotFound("calendar feed")),
    };
    match feed {
        Ok(body) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"slipway.ics\"",
                ),
            ],
            body,
        )
            .into_response(),
        // Calendar apps show no page: a bare status, with a word for people
        // who open the address in a browser.
        Err(e) => {
            let status = e.status();
            match e {
                ServiceError::NotFound(_) => (status, "Not found").into_response(),
                ServiceError::Unavailable(_) => {
                    (status, "Slipway cannot reach its database right now.").into_response()
                }
                other => {
                    tracing::error!(error = %other, "could not build a calendar feed");
                    status.into_response()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::base_url;
    use axum::http::{HeaderMap, HeaderValue};

    #[test]
    fn links_use_the_public_url_else_the_host_asked() {
        let mut h = HeaderMap::new();
        assert_eq!(
            base_url(Some("https://slipway.example.com/"), &h),
            "https://slipway.example.com"
        );
        h.insert("host", HeaderValue::from_static("127.0.0.1:3000"));
        assert_eq!(base_url(None, &h), "http://127.0.0.1:3000");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(base_url(None, &h), "https://127.0.0.1:3000");
        h.insert("host", HeaderValue::from_static("evil\"<x>"));
        assert_eq!(base_url(None, &h), "https://localhost");
    }
}
