//! A project's repository: connection and release policy settings, the
//! next-release plan, forward-merge warnings and release/hotfix branches.

pub mod api;
pub mod form;
pub mod releases;
pub mod settings;
