//! API tokens in the browser: one's own on the account page, a project's
//! service tokens on the project page. Listed, created (the secret shown
//! once, right after) and revoked here; who may do what, and every check
//! on what is asked for, live in `slipway_services::api_tokens`.

pub mod api;
mod parts;
mod personal;
mod service;

pub use personal::PersonalTokens;
pub use service::ServiceTokens;
