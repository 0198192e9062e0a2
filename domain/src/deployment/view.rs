//! What the pages and the API read about deployments (read models, sent to
//! the browser as they are).

use super::adapter::DeploySettingsForm;
use super::{DeploymentKind, DeploymentState};
use serde::{Deserialize, Serialize};

/// The outcome of one check in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    pub passed: bool,
    /// What it saw ("answered 200 in 12 ms") or why it failed.
    pub detail: String,
    pub attempts: u32,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentView {
    pub id: i64,
    pub kind: DeploymentKind,
    pub state: DeploymentState,
    pub environment: String,
    pub release_id: i64,
    pub version: String,
    pub artifact: String,
    /// What ran there when it was asked for (its digest or commit).
    pub previous: Option<String>,
    pub automatic: bool,
    /// Who asked for it.
    pub actor: String,
    pub requested_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    pub checks: Vec<CheckResult>,
    /// For a queued one: how many deployments are ahead of it.
    pub ahead: Option<i64>,
    /// Where a progressive rollout stands (`None`: one step).
    #[serde(default)]
    pub rollout: Option<super::rollout::RolloutProgress>,
}

/// An artifact held in an environment after a rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldView {
    pub id: i64,
    pub version: String,
    pub identity: String,
    pub reason: String,
    pub held_at: String,
    pub held_by: String,
}

/// What a rollback of the environment would do, for its confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackPreview {
    pub from_version: Option<String>,
    pub from_artifact: Option<String>,
    pub to_version: String,
    pub to_artifact: String,
}

/// An environment's page: what runs there, what waits, what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentPage {
    pub project_slug: String,
    pub project_name: String,
    pub environment: String,
    pub tier: String,
    /// The deployment that put what runs there now.
    pub current: Option<DeploymentView>,
    /// The newest version whose checks passed there and still count.
    pub last_verified: Option<DeploymentView>,
    /// Deployments not finished yet, oldest first (the running one first).
    pub waiting: Vec<DeploymentView>,
    /// Newest first.
    pub history: Vec<DeploymentView>,
    pub holds: Vec<HoldView>,
    /// The newest deployment failed (a red banner with Rollback).
    pub failed: Option<DeploymentView>,
    /// How it deploys, as the settings form shows it.
    pub settings: DeploySettingsForm,
    pub adapter_label: String,
    pub rollback: Result<RollbackPreview, String>,
    pub can_roll_back: bool,
    /// The person may promote here (and so pause and resume a rollout).
    #[serde(default)]
    pub can_promote: bool,
    pub can_configure: bool,
}

/// One change, as a product owner reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeLine {
    /// `checkout: coupons at checkout` (scope and description).
    pub text: String,
    /// The commit's first 7 characters.
    pub commit: String,
    /// Issues it closes (`#12`, `DEMO-12`).
    pub issues: Vec<String>,
    /// For a breaking change: what it says to do (its migration note).
    pub migration: Option<String>,
}

/// What promoting a release into an environment changes there, for the
/// people who sign off: versions it skips, features, fixes, breaking
/// changes with their migration notes and the issues, from the commits
/// between what runs there now and this release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatChanges {
    pub environment: String,
    /// What runs there now (a version), if anything.
    pub running: Option<String>,
    /// Releases between that one and this one that never got there.
    pub skipped: Vec<String>,
    pub breaking: Vec<ChangeLine>,
    pub features: Vec<ChangeLine>,
    pub fixes: Vec<ChangeLine>,
    pub performance: Vec<ChangeLine>,
    /// Everything else (docs, chores, ...), counted.
    pub other: usize,
    pub issues: Vec<String>,
    /// Why the changes could not be worked out, when they could not (no
    /// repository, an artifact that is not a commit, ...).
    pub unknown: Option<String>,
    /// Configuration keys that differ between the environment the release
    /// comes from and this one (drift findings marked).
    #[serde(default)]
    pub config: Vec<crate::config_drift::ConfigDifference>,
}

impl WhatChanges {
    pub fn is_empty(&self) -> bool {
        self.breaking.is_empty()
            && self.features.is_empty()
            && self.fixes.is_empty()
            && self.performance.is_empty()
            && self.other == 0
    }
}
