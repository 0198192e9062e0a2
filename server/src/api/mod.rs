//! The REST API for CI and scripts: `/api/v1`, JSON, bearer tokens.
//!
//! Handlers are thin: they parse the request, call the same service method a
//! page calls (same permission checks, same rules), and shape the answer.
//! Every route is described with `utoipa` where it is written; the OpenAPI
//! 3.1 document (`/api/openapi.json`) is generated from those descriptions,
//! and `/api/docs` renders it with Swagger UI served by Slipway itself.
//!
//! Conventions, for every route:
//! - errors are problem details ([`problem::Problem`]);
//! - request bodies refuse unknown fields, bodies are at most 1 MiB;
//! - lists are paged by an opaque `cursor` (`next_cursor` in the answer);
//! - reads carry an `ETag` and answer 304 to a matching `If-None-Match`.

pub mod audit;
pub mod auth;
pub mod config;
pub mod deployments;
pub mod problem;
pub mod projects;
pub mod rate_limit;
pub mod release_actions;
pub mod releases;
pub mod status;

use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use problem::Problem;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// Request bodies larger than this are refused (413).
pub const BODY_LIMIT: usize = 1 << 20;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Slipway API",
        description = "Drive releases from CI: create releases, attach artifacts, record evidence, ask for promotion and read what runs where.\n\nAuthenticate with an API token (`Authorization: Bearer slw_...`), created on your account page (personal) or a project's page (service). Browser sessions are not accepted here.\n\nErrors are RFC 9457 problem details with a stable `type`.",
        license(name = "AGPL-3.0-only"),
    ),
    modifiers(&BearerAuth),
    security(("token" = [])),
    tags(
        (name = "projects", description = "Projects and their environments"),
        (name = "releases", description = "Releases: create from a ref, change, submit, abandon; decisions; the version plan"),
        (name = "release-actions", description = "Evidence, checklists and promotion of a release"),
        (name = "status", description = "What runs where"),
        (name = "deployments", description = "Deployments: follow one, roll an environment back, run its checks again, cancel"),
        (name = "config", description = "Configuration of environments (secrets only as references), their comparison, and the drift rules"),
        (name = "audit", description = "The audit log"),
    ),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("slw_ followed by 64 hex digits")
                    .description(Some("An API token: personal or a project's service token."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "callback",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("slwd_ followed by 64 hex digits")
                    .description(Some(
                        "A webhook deployment's callback token, from the webhook's payload.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The routes and their OpenAPI description, together.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(projects::routes())
        .merge(releases::routes())
        .merge(release_actions::routes())
        .merge(status::routes())
        .merge(deployments::routes())
        .merge(config::routes())
        .merge(audit::routes())
}

/// The OpenAPI document, generated once.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = routes().split_for_parts();
    let (_, callbacks) = deployments::callback_routes().split_for_parts();
    doc.merge(callbacks);
    doc
}

/// `/api/v1/*` (token-authenticated), `/api/openapi.json` and `/api/docs`.
pub fn router(state: &AppState) -> Router<AppState> {
    let (v1, mut doc) = routes().split_for_parts();
    // Webhook receivers report with the deployment's token, not an API token.
    let (callbacks, callbacks_doc) = deployments::callback_routes().split_for_parts();
    doc.merge(callbacks_doc);
    let doc = std::sync::Arc::new(doc);
    let v1 = v1
        // Not a fallback (the pages' router has that): unknown API paths
        // answer with a problem, after authentication like every API path.
        .route(
            "/api/v1/{*rest}",
            axum::routing::any(|| async {
                Problem::new(
                    slipway_domain::ErrorKind::NotFound,
                    "There is no such API route.",
                )
            }),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .route("/api/docs", get(docs_page))
        .route(
            "/api/docs/init.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    DOCS_INIT,
                )
            }),
        )
        .merge(callbacks.layer(DefaultBodyLimit::max(BODY_LIMIT)))
        .merge(v1)
}

/// The API documentation page: Swagger UI, from files Slipway serves
/// (`/pkg/swagger-ui*`, copied from npm's swagger-ui-dist by `scripts/build.sh`), so
/// it works on installations without internet access.
async fn docs_page() -> Response {
    let body = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Slipway API</title><link rel="stylesheet" href="/pkg/swagger-ui.css"></head>
<body><div id="swagger-ui" data-url="/api/openapi.json"><noscript>The API documentation needs JavaScript; the description itself is <a href="/api/openapi.json">/api/openapi.json</a>.</noscript></div>
<script src="/pkg/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body></html>"#;
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // Swagger UI sets inline styles; scripts only from this site.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
            ),
        ],
        body,
    )
        .into_response()
}

/// Starts Swagger UI on the document (a file, not an inline script: the
/// page's policy allows scripts from this site only).
const DOCS_INIT: &str = r##"window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
  });
});
"##;

/// A JSON body whose rejections are problem details.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Problem))]
pub struct ApiJson<T>(pub T);

/// A query string whose rejections are problem details.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct ApiQuery<T>(pub T);

/// Path parameters whose rejections are problem details.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Problem))]
pub struct ApiPath<T>(pub T);

/// A JSON answer with an `ETag` (a hash of the body); 304 when the client
/// already has it.
pub fn with_etag<T: Serialize>(request: &HeaderMap, value: &T) -> Response {
    let body = match serde_json::to_vec(value) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "could not serialise an API answer");
            return Problem::new(
                slipway_domain::ErrorKind::Internal,
                "could not serialise the answer",
            )
            .into_response();
        }
    };
    let digest = Sha256::digest(&body);
    let tag: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{tag}\"");
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| {
            h.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
        });
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag_value),
        ],
        body,
    )
        .into_response()
}

/// A page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Paging parameters every list takes.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// At most this many items (1–200, default 50).
    pub limit: Option<u32>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Paging {
    pub fn limit(&self) -> Result<usize, Problem> {
        match self.limit {
            None => Ok(50),
            Some(n @ 1..=200) => Ok(n as usize),
            Some(_) => Err(Problem::field("limit", "must be between 1 and 200")),
        }
    }
}

/// Pages a list the service returned whole, by an opaque cursor made of
/// the key of the last item shown.
pub fn page_by_key<T>(
    items: Vec<T>,
    paging: &Paging,
    key: impl Fn(&T) -> String,
) -> Result<Page<T>, Problem> {
    let limit = paging.limit()?;
    let after = match paging.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(decode_cursor(c)?),
    };
    let mut rest: Vec<T> = match &after {
        None => items,
        Some(after) => items
            .into_iter()
            .skip_while(|i| key(i) != *after)
            .skip(1)
            .collect(),
    };
    let next_cursor = (rest.len() > limit).then(|| encode_cursor(&key(&rest[limit - 1])));
    rest.truncate(limit);
    Ok(Page {
        items: rest,
        next_cursor,
    })
}

/// Cursors are opaque to clients: hex of the key.
pub fn encode_cursor(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

pub fn decode_cursor(cursor: &str) -> Result<String, Problem> {
    let invalid = || Problem::field("cursor", "is not a cursor this API gave out");
    let hex = cursor.as_bytes();
    if !hex.len().is_multiple_of(2) || hex.len() > 512 {
        return Err(invalid());
    }
    let digit = |b: u8| (b as char).to_digit(16);
    let bytes: Option<Vec<u8>> = hex
        .chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect();
    String::from_utf8(bytes.ok_or_else(invalid)?).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = encode_cursor("shop-api");
        assert_eq!(decode_cursor(&c).ok().as_deref(), Some("shop-api"));
        assert!(decode_cursor("zz").is_err());
        assert!(decode_cursor("abc").is_err());
        // Not ASCII: refused, not sliced inside a character.
        assert!(decode_cursor("\u{104745}\u{93562}").is_err());
        assert!(decode_cursor("é1").is_err());
    }

    #[test]
    fn pages_follow_the_cursor() {
        let items: Vec<String> = (1..=5).map(|i| format!("p{i}")).collect();
        let paging = Paging {
            limit: Some(2),
            cursor: None,
        };
        let first = page_by_key(items.clone(), &paging, |s| s.clone()).ok();
        let first = first
            .as_ref()
            .map(|p| (p.items.clone(), p.next_cursor.clone()));
        assert_eq!(
            first.as_ref().map(|f| f.0.clone()),
            Some(vec!["p1".to_owned(), "p2".to_owned()])
        );
        let next = Paging {
            limit: Some(2),
            cursor: first.and_then(|f| f.1),
        };
        let second = page_by_key(items.clone(), &next, |s| s.clone()).ok();
        assert_eq!(
            second.map(|p| p.items),
            Some(vec!["p3".to_owned(), "p4".to_owned()])
        );
        let last = Paging {
            limit: Some(10),
            cursor: Some(encode_cursor("p4")),
        };
        let last = page_by_key(items, &last, |s| s.clone()).ok();
        assert_eq!(last.as_ref().map(|p| p.items.len()), Some(1));
        assert!(last.is_some_and(|p| p.next_cursor.is_none()));
    }
}
