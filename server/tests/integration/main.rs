//! Slipway's integration tests: one binary (as crates.io does), each test
//! starting the real server on port 0 against a fresh database, on SQLite and
//! on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests may read the wall clock (to compare with what the server did) and
// wait for real peers; the product may not (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod helpers;

mod api_actions;
mod api_docs;
mod api_permissions;
mod api_releases;
mod api_schema;
mod api_tokens;
mod auth;
mod bad_input;
mod calendar;
mod cli;
mod config_drift;
mod deployments;
mod deployments_crash;
mod deployments_gitops;
mod deployments_rollout;
mod deployments_webhook;
mod hardening;
mod health;
mod notifications;
mod permissions;
mod projects;
mod query_counts;
mod releases;
mod remote_cli;
mod signoff;
mod token_pages;
