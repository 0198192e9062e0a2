//! The status of the response being built (server only). Its own module, so
//! errors (which set it) and the server helpers (which return errors) do not
//! import each other.

use http::header::ACCEPT;
use http::request::Parts;
use http::StatusCode;
use leptos::prelude::use_context;

/// Sets the status of the response being built: a server function's answer
/// or a rendered page.
///
/// A plain HTML form post (no JavaScript yet) is redirected back to the form by
/// Leptos with the error in the URL, so its status is left alone there.
pub fn set_status(code: u16) {
    let Some(parts) = use_context::<Parts>() else {
        return;
    };
    let is_server_fn = parts.uri.path().starts_with("/api/");
    let accepts_html = parts
        .headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if is_server_fn && accepts_html {
        return;
    }
    if let (Some(res), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        StatusCode::from_u16(code),
    ) {
        res.set_status(code);
    }
}
