//! Deployments in the browser: an environment's page (what runs there,
//! what waits, the history with each deployment's output and checks, the
//! holds), Rollback and "Run checks again", and how the environment
//! deploys (its adapter, checks and automatic rollback).

pub mod api;
pub mod output;
pub mod page;
pub mod settings;
