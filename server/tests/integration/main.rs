//! Slipway's integration tests: one binary (as crates.io does), each test
//! starting the real server on port 0 against a fresh database, on SQLite and
//! on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod auth;
mod bad_input;
mod calendar;
mod cli;
mod hardening;
mod health;
mod notifications;
mod permissions;
mod projects;
mod releases;
mod signoff;
