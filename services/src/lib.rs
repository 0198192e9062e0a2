//! Slipway's server-side services.
//!
//! Layering: the UI (`app`) and the binary (`server`) call the services here;
//! the services check permissions, parse input into domain types, and call the
//! storage layer inside one transaction together with the audit event. Nothing
//! here renders HTML, and nothing here is compiled to wasm.

pub mod accounts;
pub mod audit;
pub mod clock;
pub mod demo;
pub mod error;
pub mod git;
pub mod projects;
pub mod storage;
pub mod versioning;

pub use clock::Clock;
pub use error::ServiceError;
pub use storage::{Backend, Store};

use std::sync::Arc;

/// Everything a request handler needs, cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub clock: Clock,
    pub login_limiter: Arc<accounts::rate_limit::LoginLimiter>,
}

impl Services {
    pub fn new(store: Store, clock: Clock) -> Self {
        Self {
            store,
            clock,
            login_limiter: Arc::new(accounts::rate_limit::LoginLimiter::default()),
        }
    }

    pub fn accounts(&self) -> accounts::Accounts<'_> {
        accounts::Accounts { services: self }
    }

    pub fn projects(&self) -> projects::Projects<'_> {
        projects::Projects { services: self }
    }

    pub fn audit(&self) -> audit::AuditLog<'_> {
        audit::AuditLog { services: self }
    }
}
