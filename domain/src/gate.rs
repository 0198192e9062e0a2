//! The promotion gate: the one place that answers "may this release's
//! artifact enter this environment now, and if not, why not?". The portal's
//! Promote button, the API and (later) the deploy adapters all ask it.
//!
//! It weighs, in order: the release's state, the pipeline order, whether
//! the artifact's checks passed in the previous environment (the last run
//! counts: a failed re-run revokes "verified"), whether the artifact is
//! held in the target after a rollback, the approval policy of the target
//! environment, the checklist items required before it, configuration
//! drift between the previous environment and the target (when the target
//! requires its configuration to match; see [`crate::config_drift`]), and
//! freeze windows (which block production promotions). Break-glass, with a
//! reason and the permission for it, bypasses approvals, checklist,
//! configuration drift and freezes — never the order, failed checks or a
//! hold; everything it bypassed is listed so the post-release review knows
//! what to look at.

use crate::environment::EnvironmentTier;
use crate::release::{ReleaseState, Transition};
use serde::{Deserialize, Serialize};

/// A freeze window that is in force now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveFreeze {
    pub name: String,
    pub reason: String,
    /// When it ends, as people read it ("2026-12-27 09:00 Europe/Berlin").
    pub until: String,
}

/// Break-glass as requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakGlass {
    pub reason: String,
}

/// Shortest reason accepted for breaking glass.
pub const BREAK_GLASS_REASON_MIN: usize = 10;

/// Everything the gate looks at, gathered by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateInput {
    pub state: ReleaseState,
    pub target_name: String,
    pub target_tier: EnvironmentTier,
    /// The environment before the target in the pipeline, and whether this
    /// release has reached it (`None` when the target is the first one).
    pub previous: Option<(String, bool)>,
    /// How the artifact's checks fared in the previous environment.
    pub previous_checks: PreviousChecks,
    /// Why the artifact is held in the target (after a rollback), if it is.
    pub held: Option<String>,
    /// The target's approval policy is satisfied (bound to the current
    /// artifact and notes), with its explanation.
    pub approved: bool,
    pub approval_explanation: String,
    /// Titles of checklist items required before the target, not ticked.
    pub unmet_checklist: Vec<String>,
    /// The configuration drift findings between the previous environment
    /// and the target, as sentences
    /// ([`crate::config_drift::promotion_differences`], then
    /// [`crate::config_drift::gate_findings`]).
    pub config_drift: Vec<String>,
    /// The target requires configuration drift cleared before promotion.
    pub require_config_match: bool,
    pub active_freezes: Vec<ActiveFreeze>,
    pub break_glass: Option<BreakGlass>,
    /// The person asking holds the break-glass permission.
    pub may_break_glass: bool,
}

/// The last verification of the artifact in the previous environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PreviousChecks {
    /// No deployment verified it there (the first environment, or a
    /// promotion recorded before deployments existed).
    NotRecorded,
    Passed,
    /// Its checks are running there now.
    Running,
    /// The last run failed: `when` and `why`, as people read them.
    Failed {
        when: String,
        why: String,
    },
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum GateDecision {
    Allow,
    /// Allowed only because of break-glass; `bypassed` lists what would
    /// otherwise have blocked (for the post-release review).
    AllowBreakGlass {
        bypassed: Vec<String>,
    },
    /// Refused, with every reason at once (not just the first).
    Block {
        reasons: Vec<String>,
    },
}

impl GateDecision {
    pub fn is_allowed(&self) -> bool {
        !matches!(self, GateDecision::Block { .. })
    }
}

/// Decides a promotion.
pub fn decide(input: &GateInput) -> GateDecision {
    let mut hard: Vec<String> = Vec::new(); // never bypassed
    let mut soft: Vec<String> = Vec::new(); // break-glass may bypass

    let breaking_glass = input.break_glass.is_some();
    if let Some(bg) = &input.break_glass {
        if !input.may_break_glass {
            hard.push(
                "Break-glass needs the break-glass permission (on-call SREs and admins).".into(),
            );
        }
        if bg.reason.trim().chars().count() < BREAK_GLASS_REASON_MIN {
            hard.push(format!(
                "Say why you break glass (at least {BREAK_GLASS_REASON_MIN} characters): the reason goes into the post-release review."
            ));
        }
    }

    // The state machine has the last word on what a state allows; for a
    // candidate or a released release only the approval (or break-glass)
    // stands between it and the next environment, and that is judged below.
    if !matches!(
        input.state,
        ReleaseState::Approved | ReleaseState::Candidate | ReleaseState::Released
    ) {
        if let Err(e) = input.state.apply(Transition::Promote {
            break_glass: breaking_glass,
        }) {
            hard.push(e.reason);
        }
    }

    if let Some((prev, reached)) = &input.previous {
        if !reached {
            hard.push(format!(
                "Promote to {prev} first: releases move through the pipeline in order."
            ));
        }
    }

    if let Some((prev, _)) = &input.previous {
        match &input.previous_checks {
            PreviousChecks::NotRecorded | PreviousChecks::Passed => {}
            PreviousChecks::Running => hard.push(format!(
                "Its checks are still running in {prev}: wait until they pass."
            )),
            PreviousChecks::Failed { when, why } => hard.push(format!(
                "Not verified in {prev}: its checks failed {when} ({why}). Run the checks again; promotion waits until they pass."
            )),
        }
    }
    if let Some(held) = &input.held {
        hard.push(format!(
            "This artifact is held in {}: {held} Release the hold, with a reason, before promoting it there again.",
            input.target_name
        ));
    }

    if !input.approved {
        soft.push(format!(
            "Not approved for {}: {}",
            input.target_name, input.approval_explanation
        ));
    }
    if !input.unmet_checklist.is_empty() {
        soft.push(format!(
            "Checklist items required before {}: {}.",
            input.target_name,
            input.unmet_checklist.join(", ")
        ));
    }
    if input.require_config_match && !input.config_drift.is_empty() {
        let previous = input
            .previous
            .as_ref()
            .map_or("the previous environment", |(name, _)| name.as_str());
        let findings: Vec<&str> = input
            .config_drift
            .iter()
            .map(|f| f.trim().strip_suffix('.').unwrap_or(f.trim()))
            .collect();
        soft.push(format!(
            "Configuration differs between {previous} and {}: {}; fix the configuration or break glass.",
            input.target_name,
            findings.join("; ")
        ));
    }
    if input.target_tier == EnvironmentTier::Production {
        for f in &input.active_freezes {
            soft.push(format!(
                "Production is frozen until {} ({}): {}",
                f.until, f.name, f.reason
            ));
        }
    }

    if !hard.is_empty() {
        hard.extend(soft);
        return GateDecision::Block { reasons: hard };
    }
    match (soft.is_empty(), breaking_glass) {
        (true, _) => GateDecision::Allow,
        (false, true) => GateDecision::AllowBreakGlass { bypassed: soft },
        (false, false) => GateDecision::Block { reasons: soft },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ready() -> GateInput {
        GateInput {
            state: ReleaseState::Approved,
            target_name: "production".into(),
            target_tier: EnvironmentTier::Production,
            previous: Some(("staging".into(), true)),
            previous_checks: PreviousChecks::Passed,
            held: None,
            approved: true,
            approval_explanation: "Approved by Ada and Bob.".into(),
            unmet_checklist: vec![],
            config_drift: vec![],
            require_config_match: true,
            active_freezes: vec![],
            break_glass: None,
            may_break_glass: false,
        }
    }

    fn drift() -> Vec<String> {
        vec![
            "FEATURE_X is set in staging but missing in production.".into(),
            "DATABASE_POOL must match, but staging has 20 and production has 10.".into(),
        ]
    }

    fn freeze() -> ActiveFreeze {
        ActiveFreeze {
            name: "Year-end freeze".into(),
            reason: "Holiday traffic".into(),
            until: "2027-01-04 09:00 Europe/Berlin".into(),
        }
    }

    fn glass(reason: &str) -> Option<BreakGlass> {
        Some(BreakGlass {
            reason: reason.into(),
        })
    }

    fn reasons(d: GateDecision) -> Vec<String> {
        match d {
            GateDecision::Block { reasons } => reasons,
            other => panic!("expected a block, got {other:?}"),
        }
    }

    #[test]
    fn an_approved_release_with_everything_ticked_goes() {
        assert_eq!(decide(&ready()), GateDecision::Allow);
    }

    #[test]
    fn every_blocking_reason_is_given_at_once() {
        let input = GateInput {
            state: ReleaseState::Candidate,
            approved: false,
            approval_explanation: "Needs 1 more: a product owner or an SRE.".into(),
            unmet_checklist: vec!["Rollback plan documented or rehearsed".into()],
            active_freezes: vec![freeze()],
            ..ready()
        };
        let r = reasons(decide(&input));
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(r[0].contains("Needs 1 more: a product owner or an SRE."));
        assert!(r[1].contains("Rollback plan"));
        assert!(r[2].contains("frozen until 2027-01-04 09:00 Europe/Berlin"));
    }

    #[test]
    fn freezes_block_production_only() {
        let frozen = GateInput {
            active_freezes: vec![freeze()],
            ..ready()
        };
        assert!(!decide(&frozen).is_allowed());
        let staging = GateInput {
            target_name: "staging".into(),
            target_tier: EnvironmentTier::Staging,
            ..frozen
        };
        assert_eq!(decide(&staging), GateDecision::Allow);
    }

    #[test]
    fn break_glass_bypasses_approvals_checklist_and_freezes_and_lists_them() {
        let input = GateInput {
            state: ReleaseState::Candidate,
            approved: false,
            approval_explanation: "Needs 2 more approvals.".into(),
            unmet_checklist: vec!["Communications drafted".into()],
            active_freezes: vec![freeze()],
            break_glass: glass("Payments are down, INC-42"),
            may_break_glass: true,
            ..ready()
        };
        match decide(&input) {
            GateDecision::AllowBreakGlass { bypassed } => {
                assert_eq!(bypassed.len(), 3, "{bypassed:?}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn break_glass_needs_the_permission_and_a_reason() {
        let base = GateInput {
            state: ReleaseState::Candidate,
            approved: false,
            approval_explanation: "Needs 1 more approval.".into(),
            ..ready()
        };
        let r = reasons(decide(&GateInput {
            break_glass: glass("Payments are down"),
            may_break_glass: false,
            ..base.clone()
        }));
        assert!(r[0].contains("break-glass permission"), "{r:?}");
        let r = reasons(decide(&GateInput {
            break_glass: glass("  urgent "),
            may_break_glass: true,
            ..base.clone()
        }));
        assert!(r[0].contains("Say why"), "{r:?}");
        // Nothing to bypass: break-glass is simply allowed.
        assert_eq!(
            decide(&GateInput {
                break_glass: glass("Payments are down"),
                may_break_glass: true,
                ..ready()
            }),
            GateDecision::Allow
        );
    }

    #[test]
    fn break_glass_never_skips_the_pipeline_order_or_the_state_machine() {
        let skip = GateInput {
            previous: Some(("staging".into(), false)),
            break_glass: glass("Payments are down"),
            may_break_glass: true,
            ..ready()
        };
        assert!(reasons(decide(&skip))[0].contains("Promote to staging first"));
        for state in [
            ReleaseState::Draft,
            ReleaseState::Deploying,
            ReleaseState::RolledBack,
            ReleaseState::Abandoned,
        ] {
            let input = GateInput {
                state,
                break_glass: glass("Payments are down"),
                may_break_glass: true,
                ..ready()
            };
            assert!(!decide(&input).is_allowed(), "{state:?}");
        }
    }

    #[test]
    fn a_released_release_moves_on_when_approved_for_the_next_environment() {
        let next = GateInput {
            state: ReleaseState::Released,
            ..ready()
        };
        assert_eq!(decide(&next), GateDecision::Allow);
        let unapproved = GateInput {
            approved: false,
            approval_explanation: "Needs 1 more approval.".into(),
            ..next
        };
        assert!(reasons(decide(&unapproved))[0].contains("Not approved for production"));
    }

    #[test]
    fn the_first_environment_has_no_previous_one() {
        let first = GateInput {
            target_name: "dev".into(),
            target_tier: EnvironmentTier::Development,
            previous: None,
            ..ready()
        };
        assert_eq!(decide(&first), GateDecision::Allow);
    }

    #[test]
    fn failed_or_running_checks_in_the_previous_environment_block_even_break_glass() {
        let failed = GateInput {
            previous_checks: PreviousChecks::Failed {
                when: "2026-12-06 10:00 UTC".into(),
                why: "health answered 503".into(),
            },
            break_glass: glass("Customers are down, shipping the fix"),
            may_break_glass: true,
            ..ready()
        };
        let r = reasons(decide(&failed));
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].starts_with("Not verified in staging"), "{r:?}");
        assert!(r[0].contains("health answered 503"));
        let running = GateInput {
            previous_checks: PreviousChecks::Running,
            ..ready()
        };
        assert!(reasons(decide(&running))[0].contains("still running in staging"));
        // Unrecorded (promoted before deployments existed) does not block.
        let legacy = GateInput {
            previous_checks: PreviousChecks::NotRecorded,
            ..ready()
        };
        assert_eq!(decide(&legacy), GateDecision::Allow);
        // Without a previous environment there is nothing to have verified.
        let first = GateInput {
            previous: None,
            previous_checks: PreviousChecks::Failed {
                when: "x".into(),
                why: "y".into(),
            },
            ..ready()
        };
        assert_eq!(decide(&first), GateDecision::Allow);
    }

    #[test]
    fn a_held_artifact_is_refused_until_the_hold_is_released() {
        let held = GateInput {
            held: Some("rolled back on 2026-12-06 by Ada.".into()),
            break_glass: glass("We really want it back in production"),
            may_break_glass: true,
            ..ready()
        };
        let r = reasons(decide(&held));
        assert_eq!(r.len(), 1);
        assert!(
            r[0].contains("held in production: rolled back on 2026-12-06 by Ada."),
            "{r:?}"
        );
        assert!(r[0].contains("Release the hold"));
    }

    #[test]
    fn configuration_drift_blocks_a_target_that_requires_it_clear() {
        let input = GateInput {
            config_drift: drift(),
            ..ready()
        };
        let r = reasons(decide(&input));
        assert_eq!(
            r,
            ["Configuration differs between staging and production: FEATURE_X is set in staging but missing in production; DATABASE_POOL must match, but staging has 20 and production has 10; fix the configuration or break glass."]
        );
    }

    #[test]
    fn configuration_drift_is_ignored_when_the_target_does_not_require_it_clear() {
        let input = GateInput {
            config_drift: drift(),
            require_config_match: false,
            ..ready()
        };
        assert_eq!(decide(&input), GateDecision::Allow);
        // Required but clear: nothing to say.
        assert_eq!(decide(&ready()), GateDecision::Allow);
    }

    #[test]
    fn break_glass_bypasses_configuration_drift_and_lists_it() {
        let input = GateInput {
            config_drift: drift(),
            unmet_checklist: vec!["Communications drafted".into()],
            break_glass: glass("Payments are down, INC-42"),
            may_break_glass: true,
            ..ready()
        };
        match decide(&input) {
            GateDecision::AllowBreakGlass { bypassed } => {
                assert_eq!(bypassed.len(), 2, "{bypassed:?}");
                assert!(
                    bypassed[1].starts_with(
                        "Configuration differs between staging and production: FEATURE_X"
                    ),
                    "{bypassed:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn configuration_drift_never_hides_a_hard_reason() {
        let input = GateInput {
            previous: Some(("staging".into(), false)),
            config_drift: drift(),
            break_glass: glass("Payments are down, INC-42"),
            may_break_glass: true,
            ..ready()
        };
        let r = reasons(decide(&input));
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r[0].contains("Promote to staging first"));
        assert!(r[1].starts_with("Configuration differs"));
    }
}
