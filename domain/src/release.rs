//! A release's lifecycle as an explicit state machine:
//!
//! ```text
//! draft ──submit──▶ candidate ──approve──▶ approved ──promote──▶ deploying ──complete──▶ released
//!   │                 ▲  │                    │                     │                     │
//!   │                 └──┼──── change ────────┘                     └──roll back──▶ rolled back
//!   └──abandon──▶ abandoned ◀──abandon──(candidate, approved)       released ──roll back──┘
//! ```
//!
//! A released release moves on to the next environment through the same
//! approve → promote → complete steps. Break-glass promotes without approval
//! (from candidate or released) and is recorded as such. Every refusal says
//! why in words a product owner understands.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseState {
    /// Being prepared: notes and artifact may change freely.
    Draft,
    /// Ready for sign-off; approvals are being gathered.
    Candidate,
    /// Approved for the next environment.
    Approved,
    /// Entering an environment.
    Deploying,
    /// Running in an environment (possibly not the last one yet).
    Released,
    /// Taken back out after a problem.
    RolledBack,
    /// Given up before it was released.
    Abandoned,
}

impl ReleaseState {
    pub const ALL: [ReleaseState; 7] = [
        ReleaseState::Draft,
        ReleaseState::Candidate,
        ReleaseState::Approved,
        ReleaseState::Deploying,
        ReleaseState::Released,
        ReleaseState::RolledBack,
        ReleaseState::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseState::Draft => "draft",
            ReleaseState::Candidate => "candidate",
            ReleaseState::Approved => "approved",
            ReleaseState::Deploying => "deploying",
            ReleaseState::Released => "released",
            ReleaseState::RolledBack => "rolled_back",
            ReleaseState::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            ReleaseState::Draft => "Draft",
            ReleaseState::Candidate => "Waiting for sign-off",
            ReleaseState::Approved => "Approved",
            ReleaseState::Deploying => "Deploying",
            ReleaseState::Released => "Released",
            ReleaseState::RolledBack => "Rolled back",
            ReleaseState::Abandoned => "Abandoned",
        }
    }

    /// Whether approvers may decide (approve, reject, revoke) now: once
    /// submitted, while it waits for or has sign-off for its next
    /// environment. The one answer every page, service and rule asks.
    pub fn accepts_decisions(self) -> bool {
        matches!(
            self,
            ReleaseState::Candidate | ReleaseState::Approved | ReleaseState::Released
        )
    }

    /// Whether its artifact and notes may still change (voiding decisions).
    pub fn accepts_changes(self) -> bool {
        self.apply(Transition::Change).is_ok()
    }

    /// No transition leaves these.
    pub fn is_final(self) -> bool {
        matches!(self, ReleaseState::RolledBack | ReleaseState::Abandoned)
    }

    /// Applies a transition, or says why it is not possible now.
    pub fn apply(self, t: Transition) -> Result<ReleaseState, TransitionError> {
        use ReleaseState::*;
        use Transition::*;
        let next = match (self, t) {
            (Draft, Submit) => Candidate,
            (Candidate | Released, Approve) => Approved,
            // Notes or artifact changed: approvals are void, sign-off starts over.
            (Draft, Change) => Draft,
            (Candidate | Approved, Change) => Candidate,
            (Approved, Promote { .. }) => Deploying,
            (Candidate | Released, Promote { break_glass: true }) => Deploying,
            (Deploying, Complete) => Released,
            // The deployment failed: back to where it stood before (it
            // still runs in the environments it reached; approvals bound to
            // its artifact stay, and are weighed again).
            (
                Deploying,
                DeployFailed {
                    reached_before: true,
                },
            ) => Released,
            (
                Deploying,
                DeployFailed {
                    reached_before: false,
                },
            ) => Candidate,
            (Deploying | Released, RollBack) => RolledBack,
            (Draft | Candidate | Approved, Abandon) => Abandoned,
            (from, t) => {
                return Err(TransitionError {
                    from,
                    transition: t,
                    reason: refusal(from, t),
                })
            }
        };
        Ok(next)
    }

    /// The transitions possible from here (for buttons and help text).
    pub fn possible(self) -> Vec<Transition> {
        Transition::ALL
            .into_iter()
            .filter(|t| self.apply(*t).is_ok())
            .collect()
    }
}

impl std::str::FromStr for ReleaseState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| format!("unknown release state {s:?}"))
    }
}

/// Compares with the stored text (`state == "approved"`), for tests and
/// logs that read like the database.
impl PartialEq<&str> for ReleaseState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl TryFrom<String> for ReleaseState {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for ReleaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Something that happens to a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Transition {
    /// Ask for sign-off.
    Submit,
    /// The approval policy of the next environment is satisfied.
    Approve,
    /// The notes or the artifact changed.
    Change,
    /// Start entering the next environment; `break_glass` skips approvals.
    Promote {
        break_glass: bool,
    },
    /// The environment now runs it.
    Complete,
    /// Its deployment into the next environment failed; `reached_before`:
    /// it had already reached an earlier environment.
    DeployFailed {
        reached_before: bool,
    },
    RollBack,
    Abandon,
}

impl Transition {
    pub const ALL: [Transition; 10] = [
        Transition::Submit,
        Transition::Approve,
        Transition::Change,
        Transition::Promote { break_glass: false },
        Transition::Promote { break_glass: true },
        Transition::Complete,
        Transition::DeployFailed {
            reached_before: false,
        },
        Transition::DeployFailed {
            reached_before: true,
        },
        Transition::RollBack,
        Transition::Abandon,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Transition::Submit => "submit for sign-off",
            Transition::Approve => "approve",
            Transition::Change => "change the notes or artifact",
            Transition::Promote { break_glass: false } => "promote",
            Transition::Promote { break_glass: true } => "promote with break-glass",
            Transition::Complete => "mark as released",
            Transition::DeployFailed { .. } => "record a failed deployment",
            Transition::RollBack => "roll back",
            Transition::Abandon => "abandon",
        }
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{reason}")]
pub struct TransitionError {
    pub from: ReleaseState,
    pub transition: Transition,
    pub reason: String,
}

fn refusal(from: ReleaseState, t: Transition) -> String {
    use ReleaseState::*;
    use Transition::*;
    let state = from.label().to_lowercase();
    match (from, t) {
        (RolledBack | Abandoned, _) => format!(
            "This release is {state}; nothing more can happen to it. Start a new release instead."
        ),
        (_, Submit) => format!("Only a draft can be submitted for sign-off; this release is {state}."),
        (Draft, Approve) => "Submit the draft for sign-off before approving it.".into(),
        (Approved, Approve) => "This release is already approved.".into(),
        (_, Approve) => format!("A release that is {state} cannot be approved now."),
        (Deploying | Released, Change) => format!(
            "The notes and artifact of a release that is {state} are final; make a new release for new changes."
        ),
        (Draft, Promote { break_glass: false }) => {
            "A draft cannot be promoted: submit it and get it approved first.".into()
        }
        (Draft, Promote { break_glass: true }) => {
            "Even break-glass needs a submitted release: submit the draft first.".into()
        }
        (Candidate | Released, Promote { break_glass: false }) => {
            "This release needs approval for the next environment before it can be promoted.".into()
        }
        (Deploying, Promote { .. }) => "This release is already being deployed.".into(),
        (_, Complete) => format!("Only a release that is deploying can be marked as released; this one is {state}."),
        (_, DeployFailed { .. }) => format!("Only a release that is deploying can fail to deploy; this one is {state}."),
        (_, RollBack) => format!(
            "Only a release that is deploying or released can be rolled back; this one is {state}."
        ),
        (Deploying | Released, Abandon) => format!(
            "A release that is {state} cannot be abandoned; roll it back instead."
        ),
        _ => format!("A release that is {state} cannot {} now.", t.label()),
    }
}

/// How long a sign-off link stays valid.
pub const SIGN_OFF_LINK_HOURS: i64 = 72;

/// A release's version as people name it (`1.4.0`, `v2.0.0-rc.1`,
/// `2026.11.2`): checked once where it enters (form, API, CLI) and carried
/// typed to the database. The rule: [`crate::validation::release_version`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReleaseVersion(String);

impl ReleaseVersion {
    /// Trims and checks; the error is the sentence to show next to the field.
    pub fn parse(input: &str) -> Result<Self, String> {
        crate::validation::release_version(input).map(ReleaseVersion)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReleaseVersion {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ReleaseVersion> for String {
    fn from(v: ReleaseVersion) -> String {
        v.0
    }
}

impl fmt::Display for ReleaseVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ReleaseState::*;
    use Transition::*;

    /// The whole table, written out by hand: (from, transition) -> to.
    /// Anything not listed is refused.
    const ALLOWED: &[(ReleaseState, Transition, ReleaseState)] = &[
        (Draft, Submit, Candidate),
        (Draft, Change, Draft),
        (Draft, Abandon, Abandoned),
        (Candidate, Approve, Approved),
        (Candidate, Change, Candidate),
        (Candidate, Promote { break_glass: true }, Deploying),
        (Candidate, Abandon, Abandoned),
        (Approved, Change, Candidate),
        (Approved, Promote { break_glass: false }, Deploying),
        (Approved, Promote { break_glass: true }, Deploying),
        (Approved, Abandon, Abandoned),
        (Deploying, Complete, Released),
        (
            Deploying,
            DeployFailed {
                reached_before: true,
            },
            Released,
        ),
        (
            Deploying,
            DeployFailed {
                reached_before: false,
            },
            Candidate,
        ),
        (Deploying, RollBack, RolledBack),
        (Released, Approve, Approved),
        (Released, Promote { break_glass: true }, Deploying),
        (Released, RollBack, RolledBack),
    ];

    #[test]
    fn every_state_and_transition_matches_the_table() {
        let mut checked = 0;
        for from in ReleaseState::ALL {
            for t in Transition::ALL {
                let expected = ALLOWED
                    .iter()
                    .find(|(f, tr, _)| *f == from && *tr == t)
                    .map(|(_, _, to)| *to);
                match (from.apply(t), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from:?} {t:?}"),
                    (Err(e), None) => {
                        assert_eq!((e.from, e.transition), (from, t));
                        assert!(e.reason.ends_with('.'), "{from:?} {t:?}: {}", e.reason);
                        assert!(e.reason.len() > 20, "{from:?} {t:?}: {}", e.reason);
                    }
                    (got, want) => panic!("{from:?} {t:?}: got {got:?}, want {want:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 7 * 10);
    }

    #[test]
    fn refusals_say_what_to_do_instead() {
        assert!(Released
            .apply(Abandon)
            .unwrap_err()
            .reason
            .contains("roll it back instead"));
        assert!(Candidate
            .apply(Promote { break_glass: false })
            .unwrap_err()
            .reason
            .contains("needs approval"));
        assert!(Abandoned
            .apply(Submit)
            .unwrap_err()
            .reason
            .contains("Start a new release"));
        assert!(Draft
            .apply(Approve)
            .unwrap_err()
            .reason
            .contains("Submit the draft"));
    }

    #[test]
    fn final_states_allow_nothing() {
        for s in ReleaseState::ALL {
            assert_eq!(s.is_final(), s.possible().is_empty(), "{s:?}");
        }
    }

    #[test]
    fn a_release_walks_through_two_environments() {
        let mut s = Draft;
        for t in [
            Submit,
            Approve,
            Promote { break_glass: false },
            Complete,
            Approve,
            Promote { break_glass: false },
            Complete,
        ] {
            s = s.apply(t).unwrap();
        }
        assert_eq!(s, Released);
        assert_eq!(s.apply(RollBack).unwrap(), RolledBack);
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for s in ReleaseState::ALL {
            assert_eq!(ReleaseState::parse(s.as_str()), Some(s));
        }
        assert_eq!(ReleaseState::parse("shipped"), None);
    }

    #[test]
    fn decisions_are_accepted_exactly_while_sign_off_is_open() {
        let accepting: Vec<ReleaseState> = ReleaseState::ALL
            .into_iter()
            .filter(|s| s.accepts_decisions())
            .collect();
        assert_eq!(accepting, vec![Candidate, Approved, Released]);
    }

    #[test]
    fn changes_are_accepted_exactly_where_the_change_transition_is() {
        for s in ReleaseState::ALL {
            assert_eq!(
                s.accepts_changes(),
                matches!(s, Draft | Candidate | Approved),
                "{s:?}"
            );
        }
    }

    #[test]
    fn states_round_trip_through_their_stored_text() {
        for s in ReleaseState::ALL {
            assert_eq!(s.as_str().parse::<ReleaseState>(), Ok(s));
            assert_eq!(ReleaseState::try_from(s.as_str().to_owned()), Ok(s));
        }
        assert!("shipped".parse::<ReleaseState>().is_err());
    }

    #[test]
    fn versions_are_trimmed_checked_and_typed() {
        assert_eq!(ReleaseVersion::parse(" 1.4.0 ").unwrap().as_str(), "1.4.0");
        assert_eq!(
            ReleaseVersion::parse("v2.0.0-rc.1+b_7")
                .unwrap()
                .to_string(),
            "v2.0.0-rc.1+b_7"
        );
        for bad in ["", " ", "-1.0", "1.0 beta", "1.0</title>", &"9".repeat(61)] {
            assert!(ReleaseVersion::parse(bad).is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&ReleaseVersion::parse("1.2.3").unwrap()).unwrap();
        assert_eq!(json, "\"1.2.3\"");
        assert!(serde_json::from_str::<ReleaseVersion>("\"1 2\"").is_err());
    }
}
