//! Progressive rollout: a deployment moves traffic to the new artifact in
//! steps (`10, 50, 100` percent, [`super::adapter::DeploySettings::rollout`]),
//! each step handed to the adapter as its weight and verified by the
//! environment's checks before the next.
//!
//! Rules, in the order the runner meets them:
//! 1. A deployment starts at step 0; without a rollout it has one step of
//!    100 and this module never holds it back.
//! 2. When a step's checks passed: after the last step the deployment
//!    succeeds; otherwise it pauses when the environment pauses between
//!    steps or someone pressed Pause, and goes on to the next step when
//!    not.
//! 3. Resume is possible only while paused; it starts the next step.
//! 4. Pause is possible only on a rollout that has a step left (a
//!    deployment in its last step finishes on its own).
//! 5. Abort stops the rollout wherever it is and rolls back to the last
//!    verified version (a failed step does the same when the environment
//!    rolls back by itself). Rollbacks themselves are never progressive:
//!    they restore the whole traffic at once.

use serde::{Deserialize, Serialize};

/// What happens when a step's checks passed (rule 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterStep {
    /// That was the last step: the deployment succeeded.
    Finish,
    /// Deploy step `step` (0-based) at `weight` percent now.
    Next { step: usize, weight: u8 },
    /// Wait for Resume before step `step`.
    Pause { step: usize, weight: u8 },
}

/// Rule 2.
pub fn after_checks_passed(
    steps: &[u8],
    step: usize,
    pause_between_steps: bool,
    pause_requested: bool,
) -> AfterStep {
    let next = step + 1;
    match steps.get(next) {
        None => AfterStep::Finish,
        Some(&weight) if pause_between_steps || pause_requested => {
            AfterStep::Pause { step: next, weight }
        }
        Some(&weight) => AfterStep::Next { step: next, weight },
    }
}

/// The weight of a step (100 past the end or without steps).
pub fn weight_at(steps: &[u8], step: usize) -> u8 {
    steps.get(step).copied().unwrap_or(100)
}

/// Where a rollout stands, as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutProgress {
    /// The weights of all steps.
    pub steps: Vec<u8>,
    /// The step deployed or being deployed (0-based).
    pub step: usize,
    /// Waiting for Resume before the next step.
    pub paused: bool,
    /// Someone pressed Pause: it pauses after this step's checks.
    pub pause_requested: bool,
}

impl RolloutProgress {
    /// Whether this is a progressive rollout at all (more than one step).
    pub fn is_progressive(&self) -> bool {
        self.steps.len() > 1
    }

    pub fn weight(&self) -> u8 {
        weight_at(&self.steps, self.step)
    }

    /// Rule 4: a step is left after the current one.
    pub fn may_pause(&self) -> bool {
        !self.paused && !self.pause_requested && self.step + 1 < self.steps.len()
    }

    /// "Step 2 of 3: 50% of traffic", "Paused after step 1 of 3 (10%); next: 50%".
    pub fn describe(&self) -> String {
        let n = self.steps.len();
        if self.paused {
            format!(
                "Paused after step {} of {n} ({}% of traffic); next: {}%.",
                self.step + 1,
                self.weight(),
                weight_at(&self.steps, self.step + 1)
            )
        } else {
            format!(
                "Step {} of {n}: {}% of traffic{}.",
                self.step + 1,
                self.weight(),
                if self.pause_requested {
                    "; pauses after this step's checks"
                } else {
                    ""
                }
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployment_without_steps_finishes_after_its_one_step() {
        assert_eq!(after_checks_passed(&[], 0, false, false), AfterStep::Finish);
        assert_eq!(after_checks_passed(&[], 0, true, true), AfterStep::Finish);
        assert_eq!(weight_at(&[], 0), 100);
    }

    #[test]
    fn steps_follow_each_other_until_the_last_finishes() {
        let steps = [10, 50, 100];
        assert_eq!(
            after_checks_passed(&steps, 0, false, false),
            AfterStep::Next {
                step: 1,
                weight: 50
            }
        );
        assert_eq!(
            after_checks_passed(&steps, 1, false, false),
            AfterStep::Next {
                step: 2,
                weight: 100
            }
        );
        assert_eq!(
            after_checks_passed(&steps, 2, false, false),
            AfterStep::Finish
        );
    }

    #[test]
    fn a_rollout_pauses_between_steps_when_set_or_asked_never_after_the_last() {
        let steps = [10, 100];
        assert_eq!(
            after_checks_passed(&steps, 0, true, false),
            AfterStep::Pause {
                step: 1,
                weight: 100
            }
        );
        assert_eq!(
            after_checks_passed(&steps, 0, false, true),
            AfterStep::Pause {
                step: 1,
                weight: 100
            }
        );
        assert_eq!(
            after_checks_passed(&steps, 1, true, true),
            AfterStep::Finish
        );
    }

    #[test]
    fn progress_reads_as_people_say_it() {
        let mut p = RolloutProgress {
            steps: vec![10, 50, 100],
            step: 0,
            paused: false,
            pause_requested: false,
        };
        assert!(p.is_progressive() && p.may_pause());
        assert_eq!(p.describe(), "Step 1 of 3: 10% of traffic.");
        p.pause_requested = true;
        assert!(!p.may_pause());
        assert!(p.describe().ends_with("pauses after this step's checks."));
        p.paused = true;
        p.pause_requested = false;
        assert_eq!(
            p.describe(),
            "Paused after step 1 of 3 (10% of traffic); next: 50%."
        );
        assert!(!p.may_pause());
        p.paused = false;
        p.step = 2;
        assert!(!p.may_pause(), "the last step cannot pause");
        let single = RolloutProgress {
            steps: vec![100],
            step: 0,
            paused: false,
            pause_requested: false,
        };
        assert!(!single.is_progressive() && !single.may_pause());
    }
}
