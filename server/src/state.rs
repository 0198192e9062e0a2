//! What every handler shares: the services, the Leptos options, and how
//! requests are trusted. Its own module, so that the router (`web.rs`) and
//! the handlers it mounts (feeds, live updates, sign-off links) both depend
//! on it instead of on each other.

use leptos::prelude::LeptosOptions;
use slipway_services::Services;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    /// How requests are trusted: the public URL and the reverse proxies.
    pub origin: Arc<OriginSettings>,
    /// Requests per API token.
    pub api_limiter: Arc<crate::api::rate_limit::TokenLimiter>,
}

/// The parts of the configuration that decide where a request comes from.
#[derive(Debug, Clone, Default)]
pub struct OriginSettings {
    pub public_url: Option<String>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
