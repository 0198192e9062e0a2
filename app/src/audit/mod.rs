//! The audit log: every change, who made it, when, before and after.
pub mod api;
pub mod page;
