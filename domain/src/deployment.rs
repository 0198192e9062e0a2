//! A deployment: one artifact entering one environment through the
//! environment's deploy adapter, then verified by its checks.
//!
//! ```text
//! queued ──start──▶ deploying ──deployed──▶ verifying ──passed──▶ succeeded
//!                        ▲                       │
//!                        └───────next step───────┤  (progressive rollout)
//!   │                  │                       │
//!   ├──────cancel──────┴─────────cancel────────┴──▶ cancelled
//!   └──────fail────────┴──────────fail─────────┴──▶ failed ──replaced──▶ rolled back
//! ```
//!
//! Rules, in the order the runner meets them:
//! 1. A deployment is created `queued`; at most one deployment per
//!    environment is past `queued` and unfinished at a time (the runner
//!    starts the oldest queued one when the environment is free), and one
//!    release never has two unfinished deployments into one environment.
//! 2. `start` hands the artifact to the adapter; `deployed` means the
//!    adapter said it is done; `passed` means every check passed. Any
//!    error, timeout or unhealthy check is `fail` — never a pass
//!    ([`check`] is fail-closed).
//! 3. A failed promotion whose environment rolls back automatically is
//!    `replaced` by a rollback deployment: it ends `rolled back`.
//! 4. After a crash (the job's lease lapsed), [`recover`] says what to do
//!    with each state: queued ones start as usual, verifying ones run their
//!    checks again (checks only read), deploying ones resume only when the
//!    adapter can tell how far it got, and otherwise fail with the reason.
//! 5. A rollback goes to [`rollback_target`]: the newest artifact verified
//!    in the environment that is not what runs there now and not held.
//! 6. A progressive rollout goes back from `verifying` to `deploying` for
//!    each next step ([`rollout`] decides when, and when it pauses: a
//!    paused rollout stays `verifying`, its environment taken).

pub mod adapter;
pub mod changes;
pub mod check;
pub mod gitops;
pub mod rollout;
pub mod view;

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentState {
    /// Waiting for its turn (another deployment runs in the environment).
    Queued,
    /// The adapter is moving the artifact.
    Deploying,
    /// The artifact is in place; the checks run.
    Verifying,
    /// Deployed and every check passed: the environment runs it, verified.
    Succeeded,
    /// The adapter or a check failed (or Slipway lost track of it).
    Failed,
    /// Failed, and replaced by an automatic rollback.
    RolledBack,
    /// Stopped by a person before it finished.
    Cancelled,
}

impl DeploymentState {
    pub const ALL: [DeploymentState; 7] = [
        DeploymentState::Queued,
        DeploymentState::Deploying,
        DeploymentState::Verifying,
        DeploymentState::Succeeded,
        DeploymentState::Failed,
        DeploymentState::RolledBack,
        DeploymentState::Cancelled,
    ];

    /// The states of an unfinished deployment (what the database's
    /// "one at a time" constraints range over).
    pub const UNFINISHED: [DeploymentState; 3] = [
        DeploymentState::Queued,
        DeploymentState::Deploying,
        DeploymentState::Verifying,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentState::Queued => "queued",
            DeploymentState::Deploying => "deploying",
            DeploymentState::Verifying => "verifying",
            DeploymentState::Succeeded => "succeeded",
            DeploymentState::Failed => "failed",
            DeploymentState::RolledBack => "rolled_back",
            DeploymentState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            DeploymentState::Queued => "Queued",
            DeploymentState::Deploying => "Deploying",
            DeploymentState::Verifying => "Running checks",
            DeploymentState::Succeeded => "Succeeded",
            DeploymentState::Failed => "Failed",
            DeploymentState::RolledBack => "Failed, rolled back",
            DeploymentState::Cancelled => "Cancelled",
        }
    }

    pub fn is_finished(self) -> bool {
        !Self::UNFINISHED.contains(&self)
    }

    /// Applies a step, or says why it is not possible now.
    pub fn apply(self, step: DeploymentStep) -> Result<DeploymentState, String> {
        use DeploymentState::*;
        use DeploymentStep::*;
        match (self, step) {
            (Queued, Start) => Ok(Deploying),
            (Deploying, Deployed) => Ok(Verifying),
            (Verifying, Passed) => Ok(Succeeded),
            (Verifying, NextStep) => Ok(Deploying),
            (Queued | Deploying | Verifying, Fail) => Ok(Failed),
            (Queued | Deploying | Verifying, Cancel) => Ok(Cancelled),
            (Failed, Replaced) => Ok(RolledBack),
            (from, step) if from.is_finished() => Err(format!(
                "This deployment has ended ({}); it cannot {} now.",
                from.label().to_lowercase(),
                step.label()
            )),
            (from, step) => Err(format!(
                "A deployment that is {} cannot {} now.",
                from.label().to_lowercase(),
                step.label()
            )),
        }
    }
}

impl fmt::Display for DeploymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl TryFrom<String> for DeploymentState {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or_else(|| format!("unknown deployment state {s:?}"))
    }
}

/// Something that happens to a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentStep {
    Start,
    Deployed,
    Passed,
    Fail,
    Cancel,
    Replaced,
    /// A rollout step passed its checks: the next step deploys.
    NextStep,
}

impl DeploymentStep {
    pub const ALL: [DeploymentStep; 7] = [
        DeploymentStep::Start,
        DeploymentStep::Deployed,
        DeploymentStep::Passed,
        DeploymentStep::Fail,
        DeploymentStep::Cancel,
        DeploymentStep::Replaced,
        DeploymentStep::NextStep,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DeploymentStep::Start => "start",
            DeploymentStep::Deployed => "finish deploying",
            DeploymentStep::Passed => "pass its checks",
            DeploymentStep::Fail => "fail",
            DeploymentStep::Cancel => "be cancelled",
            DeploymentStep::Replaced => "be rolled back",
            DeploymentStep::NextStep => "go on to its next rollout step",
        }
    }
}

/// Why a deployment exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentKind {
    /// A release's artifact promoted into the environment.
    Promotion,
    /// The last verified artifact put back (by a person or automatically).
    Rollback,
}

impl DeploymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentKind::Promotion => "promotion",
            DeploymentKind::Rollback => "rollback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "promotion" => Some(DeploymentKind::Promotion),
            "rollback" => Some(DeploymentKind::Rollback),
            _ => None,
        }
    }
}

impl TryFrom<String> for DeploymentKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or_else(|| format!("unknown deployment kind {s:?}"))
    }
}

/// What the runner does with a deployment whose lease lapsed (rule 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// Go on from the state it is in (queued: start; verifying: run the
    /// checks again from the first; deploying: ask the adapter how far it
    /// got).
    Resume,
    /// Mark it failed with this reason.
    Fail(String),
    /// Nothing to do: it has ended.
    Nothing,
}

/// Rule 4: what to do after a crash, given whether the adapter can resume
/// a deployment it had started.
pub fn recover(state: DeploymentState, adapter_resumes: bool) -> Recovery {
    match state {
        DeploymentState::Queued | DeploymentState::Verifying => Recovery::Resume,
        DeploymentState::Deploying if adapter_resumes => Recovery::Resume,
        DeploymentState::Deploying => Recovery::Fail(
            "Slipway stopped while the adapter was deploying, and this adapter cannot tell whether it finished; the environment may run either version. Check it, then promote again or roll back."
                .into(),
        ),
        _ => Recovery::Nothing,
    }
}

/// An artifact that arrived in an environment (a finished deployment that
/// put it there), newest first in the lists the rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landing {
    pub deployment_id: i64,
    pub release_id: i64,
    pub version: String,
    /// The stored artifact reference.
    pub artifact: String,
    /// What identifies it ([`crate::artifact::ArtifactRef::identity`]).
    pub identity: String,
    /// It passed its checks there and no later run of them failed.
    pub verified: bool,
}

/// Rule 5: where a rollback of `environment` goes, given its landings
/// (newest first), the identity that runs there now and the identities
/// held there. The error is the sentence to show.
pub fn rollback_target<'a>(
    environment: &str,
    landings: &'a [Landing],
    current: Option<&str>,
    held: &[String],
) -> Result<&'a Landing, String> {
    landings
        .iter()
        .find(|l| {
            l.verified && Some(l.identity.as_str()) != current && !held.contains(&l.identity)
        })
        .ok_or_else(|| {
            format!(
                "Nothing to roll back to: no other version was verified in {environment} (or every one is held there)."
            )
        })
}

/// The values every adapter is given (as `SLIPWAY_*` variables for the
/// command adapter, as the payload for webhooks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterInput {
    pub deployment_id: i64,
    pub project: String,
    pub environment: String,
    pub release_id: i64,
    pub version: String,
    /// The whole reference (`registry/…@sha256:…`, a digest or a commit).
    pub artifact: String,
    /// The digest or commit id alone.
    pub digest: String,
    /// What ran there before (its digest), if anything.
    pub previous_digest: Option<String>,
    pub rollback: bool,
    /// Percent of traffic for this step (100 without progressive rollout).
    pub weight: u8,
    /// Who asked for it (a user name, or the token's owner).
    pub requested_by: String,
}

impl AdapterInput {
    /// The environment of a command adapter: `SLIPWAY_*` variables only;
    /// the values are never interpolated into a command line.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SLIPWAY_DEPLOYMENT_ID", self.deployment_id.to_string()),
            ("SLIPWAY_PROJECT", self.project.clone()),
            ("SLIPWAY_ENVIRONMENT", self.environment.clone()),
            ("SLIPWAY_RELEASE_ID", self.release_id.to_string()),
            ("SLIPWAY_VERSION", self.version.clone()),
            ("SLIPWAY_ARTIFACT", self.artifact.clone()),
            ("SLIPWAY_DIGEST", self.digest.clone()),
            (
                "SLIPWAY_PREVIOUS_DIGEST",
                self.previous_digest.clone().unwrap_or_default(),
            ),
            (
                "SLIPWAY_ROLLBACK",
                if self.rollback { "true" } else { "false" }.to_owned(),
            ),
            ("SLIPWAY_WEIGHT", self.weight.to_string()),
            ("SLIPWAY_REQUESTED_BY", self.requested_by.clone()),
        ]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::DeploymentState::*;
    use super::DeploymentStep::*;
    use super::*;

    /// The whole table, written out by hand: (from, step) -> to.
    const ALLOWED: [(DeploymentState, DeploymentStep, DeploymentState); 11] = [
        (Queued, Start, Deploying),
        (Deploying, Deployed, Verifying),
        (Verifying, Passed, Succeeded),
        (Queued, Fail, Failed),
        (Deploying, Fail, Failed),
        (Verifying, Fail, Failed),
        (Queued, Cancel, Cancelled),
        (Deploying, Cancel, Cancelled),
        (Verifying, Cancel, Cancelled),
        (Failed, Replaced, RolledBack),
        (Verifying, NextStep, Deploying),
    ];

    #[test]
    fn every_state_and_step_follows_the_table() {
        for from in DeploymentState::ALL {
            for step in DeploymentStep::ALL {
                let expected = ALLOWED
                    .iter()
                    .find(|(f, s, _)| *f == from && *s == step)
                    .map(|(_, _, to)| *to);
                match (from.apply(step), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from:?} {step:?}"),
                    (Err(reason), None) => {
                        assert!(reason.ends_with('.'), "{reason}");
                        assert!(reason.contains(step.label()), "{reason}");
                    }
                    (got, want) => panic!("{from:?} {step:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn finished_states_accept_nothing_but_a_failure_being_replaced() {
        for from in DeploymentState::ALL.into_iter().filter(|s| s.is_finished()) {
            let possible: Vec<_> = DeploymentStep::ALL
                .into_iter()
                .filter(|s| from.apply(*s).is_ok())
                .collect();
            let want: Vec<DeploymentStep> = if from == Failed {
                vec![Replaced]
            } else {
                vec![]
            };
            assert_eq!(possible, want, "{from:?}");
        }
        assert_eq!(DeploymentState::UNFINISHED.len(), 3);
    }

    #[test]
    fn states_and_kinds_round_trip_through_their_text() {
        for s in DeploymentState::ALL {
            assert_eq!(DeploymentState::parse(s.as_str()), Some(s));
            assert_eq!(DeploymentState::try_from(s.as_str().to_owned()), Ok(s));
        }
        assert!(DeploymentState::try_from("done".to_owned()).is_err());
        for k in [DeploymentKind::Promotion, DeploymentKind::Rollback] {
            assert_eq!(DeploymentKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DeploymentKind::parse("undo"), None);
    }

    #[test]
    fn after_a_crash_queued_and_verifying_resume_and_deploying_fails_unless_the_adapter_resumes() {
        assert_eq!(recover(Queued, false), Recovery::Resume);
        assert_eq!(recover(Verifying, false), Recovery::Resume);
        assert_eq!(recover(Deploying, true), Recovery::Resume);
        match recover(Deploying, false) {
            Recovery::Fail(reason) => assert!(reason.contains("may run either version")),
            other => panic!("{other:?}"),
        }
        for done in [Succeeded, Failed, RolledBack, Cancelled] {
            assert_eq!(recover(done, false), Recovery::Nothing);
            assert_eq!(recover(done, true), Recovery::Nothing);
        }
    }

    fn landing(id: i64, identity: &str, verified: bool) -> Landing {
        Landing {
            deployment_id: id,
            release_id: id,
            version: format!("1.{id}.0"),
            artifact: identity.to_owned(),
            identity: identity.to_owned(),
            verified,
        }
    }

    #[test]
    fn a_rollback_goes_to_the_newest_verified_artifact_that_is_not_running_and_not_held() {
        // Newest first: d (running, verified), c (not verified), b (held), a.
        let landings = [
            landing(4, "d", true),
            landing(3, "c", false),
            landing(2, "b", true),
            landing(1, "a", true),
        ];
        let held = vec!["b".to_owned()];
        let target = rollback_target("production", &landings, Some("d"), &held).unwrap();
        assert_eq!(target.identity, "a");
        // Without the hold, b.
        assert_eq!(
            rollback_target("production", &landings, Some("d"), &[])
                .unwrap()
                .identity,
            "b"
        );
        // The running artifact deployed twice is still never its own target.
        let again = [landing(5, "d", true), landing(4, "d", true)];
        let err = rollback_target("production", &again, Some("d"), &[]).unwrap_err();
        assert!(
            err.contains("no other version was verified in production"),
            "{err}"
        );
        // Nothing landed at all.
        assert!(rollback_target("dev", &[], None, &[]).is_err());
    }

    #[test]
    fn the_command_adapter_gets_every_value_as_a_slipway_variable() {
        let input = AdapterInput {
            deployment_id: 7,
            project: "shop".into(),
            environment: "staging".into(),
            release_id: 3,
            version: "1.4.0".into(),
            artifact: "r.example.com/shop@sha256:ab".into(),
            digest: "sha256:ab".into(),
            previous_digest: None,
            rollback: true,
            weight: 100,
            requested_by: "alice".into(),
        };
        let vars = input.env_vars();
        let get = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("SLIPWAY_DIGEST"), Some("sha256:ab"));
        assert_eq!(get("SLIPWAY_PREVIOUS_DIGEST"), Some(""));
        assert_eq!(get("SLIPWAY_ROLLBACK"), Some("true"));
        assert_eq!(get("SLIPWAY_WEIGHT"), Some("100"));
        assert_eq!(get("SLIPWAY_REQUESTED_BY"), Some("alice"));
        assert_eq!(vars.len(), 11);
        assert!(vars.iter().all(|(k, _)| k.starts_with("SLIPWAY_")));
    }
}
