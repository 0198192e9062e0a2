//! Administering accounts and the roles they hold.
pub mod api;
pub mod detail;
pub mod list;
pub mod new;
