//! Server functions for API tokens. Each authenticates, calls the tokens
//! service (which checks the permission and parses the input), and maps the
//! error.
//!
//! The create forms post `name`, `scopes[]` (identifiers such as
//! `releases:write`; `read` is always added), `expires_in` (`90d`) and, for
//! personal tokens, `projects[]` (slugs; none for every project).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use slipway_domain::read::TokenView;
use std::fmt;

/// Tokens as a page lists them, with what the create form needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    pub tokens: Vec<TokenView>,
    /// The longest a new token may live on this installation, in days.
    pub max_days: u32,
}

/// A token just created: its secret, shown this once, and how it is listed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub secret: String,
    pub token: TokenView,
}

/// Never prints the secret (so it cannot end up in a log by accident).
impl fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedToken")
            .field("secret", &"[hidden]")
            .field("token", &self.token)
            .finish()
    }
}

/// The signed-in person's own tokens (never their secrets).
#[server(endpoint = "tokens/mine")]
pub async fn my_tokens() -> Result<TokenList, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    let services = services()?;
    let tokens = services.api_tokens();
    Ok(TokenList {
        tokens: check(tokens.mine(&actor).await)?,
        max_days: tokens.max_days(),
    })
}

/// Creates a personal token and returns its secret: the only time it leaves
/// the server.
#[server(endpoint = "tokens/create")]
pub async fn create_token(
    #[server(default)] name: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] projects: Vec<String>,
    #[server(default)] expires_in: String,
) -> Result<CreatedToken, AppError> {
    use crate::server::{check, principal, services};
    use slipway_services::api_tokens::NewTokenInput;
    let actor = principal()?;
    let input = NewTokenInput {
        name,
        scopes: scopes.join(","),
        projects,
        expires_in,
    };
    let issued = check(
        services()?
            .api_tokens()
            .create_personal(&actor, &input)
            .await,
    )?;
    never_store();
    Ok(CreatedToken {
        secret: issued.secret,
        token: issued.token,
    })
}

/// A project's service tokens, or `None` when the signed-in person may not
/// manage them (the project page then shows no such section).
#[server(endpoint = "projects/tokens")]
pub async fn project_tokens(slug: String) -> Result<Option<TokenList>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    let services = services()?;
    let tokens = services.api_tokens();
    let list = check(tokens.of_project_if_manager(&actor, &slug).await)?;
    Ok(list.map(|tokens_of_project| TokenList {
        tokens: tokens_of_project,
        max_days: tokens.max_days(),
    }))
}

/// Creates a service token of a project (release managers and admins) and
/// returns its secret: the only time it leaves the server.
#[server(endpoint = "projects/tokens/create")]
pub async fn create_service_token(
    slug: String,
    #[server(default)] name: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] expires_in: String,
) -> Result<CreatedToken, AppError> {
    use crate::server::{check, principal, services};
    use slipway_services::api_tokens::NewTokenInput;
    let actor = principal()?;
    let input = NewTokenInput {
        name,
        scopes: scopes.join(","),
        projects: Vec::new(),
        expires_in,
    };
    let issued = check(
        services()?
            .api_tokens()
            .create_service(&actor, &slug, &input)
            .await,
    )?;
    never_store();
    Ok(CreatedToken {
        secret: issued.secret,
        token: issued.token,
    })
}

/// Revokes one's own personal token or a service token of a project one
/// manages (anything else is "not found").
#[server(endpoint = "tokens/revoke")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.api_tokens().revoke(&actor, id).await)
}

/// A response carrying a secret is kept by no cache.
#[cfg(feature = "ssr")]
fn never_store() {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
}
