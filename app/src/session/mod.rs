//! Signing in and out, and one's own account.
pub mod account;
pub mod api;
pub mod login;
