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
    RollBack,
    Abandon,
}

impl Transition {
    pub const ALL: [Transition; 8] = [
        Transition::Submit,
        Transition::Approve,
        Transition::Change,
        Transition::Promote { break_glass: false },
        Transition::Promote { break_glass: true },
        Transition::Complete,
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
        assert_eq!(checked, 7 * 8);
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
}
