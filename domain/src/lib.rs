//! Slipway's domain: the types and rules of release management, with no I/O.
//!
//! Everything here is pure and deterministic so it can run in the browser
//! (wasm), in the server and in tests alike. Inputs from the outside world are
//! *parsed* into these types (`ProjectSlug::parse`, `Role::from_str`, ...);
//! once a value exists it is valid.

pub mod access;
pub mod approval;
pub mod artifact;
pub mod audit;
pub mod calendar;
pub mod checklist;
pub mod config_drift;
pub mod conventional;
pub mod deployment;
pub mod environment;
pub mod error_kind;
pub mod evidence;
pub mod gate;
pub mod ids;
pub mod notes;
pub mod project;
pub mod read;
pub mod release;
pub mod review;
pub mod role;
pub mod tagging;
pub mod token;
pub mod user;
pub mod validation;
pub mod version;

pub use access::{Grant, Principal};
pub use audit::AuditAction;
pub use environment::{EnvironmentDraft, EnvironmentName, EnvironmentTier};
pub use error_kind::ErrorKind;
pub use ids::{AuditEventId, EnvironmentId, ProjectId, UserId};
pub use project::{ProjectDraft, ProjectName, ProjectSlug};
pub use role::{Permission, Role};
pub use user::{Password, Username};
pub use validation::{FieldError, FieldErrors};
