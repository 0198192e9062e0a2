//! Who calls the API: a bearer token, never a cookie.
//!
//! `/api/v1` is mounted outside the session layer, so a browser's cookie
//! there is never read: no session can act through the API, and there is no
//! cross-site request surface to defend. Each token is rate-limited on its
//! own (`api_rate_per_second`, `api_rate_burst`).

use super::problem::Problem;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use slipway_domain::{ErrorKind, Principal};
use slipway_services::api_tokens::{Authenticated, TokenRefusal};
use std::sync::Arc;

/// The authenticated caller of an API route.
#[derive(Debug, Clone)]
pub struct Caller(pub Arc<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            Problem::new(
                ErrorKind::Unauthenticated,
                "Send a token: Authorization: Bearer slw_...",
            )
        })
    }
}

/// Middleware on `/api/v1`: authenticates the bearer token and applies the
/// token's rate limit.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let secret = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            let (scheme, rest) = h.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_owned())
        });
    let Some(secret) = secret else {
        return Problem::new(
            ErrorKind::Unauthenticated,
            "This API takes a token, not a browser session: send Authorization: Bearer slw_... \
             (create one on your account page).",
        )
        .into_response();
    };
    let ip = crate::origin::request_client_ip(&req, &state.origin.trusted_proxies);
    let outcome = state
        .services
        .api_tokens()
        .authenticate(&secret, ip.as_deref())
        .await;
    let (principal, token) = match outcome {
        Ok(Authenticated::Yes(principal, token)) => (principal, token),
        Ok(Authenticated::No(refusal)) => return refused(refusal).into_response(),
        Err(e) => return Problem::from(e).into_response(),
    };
    if let Err(wait) = state.api_limiter.check(token) {
        let mut p = Problem::new(
            ErrorKind::RateLimited,
            format!("This token made too many requests; try again in {wait} s."),
        );
        p.retry_after = Some(wait);
        return p.into_response();
    }
    req.extensions_mut().insert(Caller(Arc::from(principal)));
    next.run(req).await
}

fn refused(refusal: TokenRefusal) -> Problem {
    let name = match refusal {
        TokenRefusal::Malformed => "token-malformed",
        TokenRefusal::Unknown => "token-unknown",
        TokenRefusal::Expired => "token-expired",
        TokenRefusal::Revoked => "token-revoked",
        TokenRefusal::Disabled => "account-disabled",
    };
    Problem::typed(
        ErrorKind::Unauthenticated,
        name,
        "Authentication required",
        refusal.to_string(),
    )
}
