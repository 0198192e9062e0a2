//! Promoting a release into its next environment through the gate: the
//! approval policy, the checklist, freeze windows, the pipeline order, and
//! break-glass (which opens a post-release review). The gate itself is
//! `slipway_domain::gate`: this module gathers its facts and applies its
//! answer.

use super::decisions::Verdict;
use super::lifecycle::Step;
use super::{tier, Loaded, Releases};
use crate::storage::{checklists, environments, verifications};
use crate::ServiceError;
use slipway_domain::gate::{
    self, ActiveFreeze, BreakGlass, GateDecision, GateInput, PreviousChecks,
};
use slipway_domain::release::{ReleaseState, Transition};
use slipway_domain::validation::{bounded_multiline, shown};
use slipway_domain::{EnvironmentTier, Permission, Principal, ProjectId};

/// Breaking glass: why, and who reviews it afterwards (usernames).
#[derive(Debug, Clone, Copy)]
pub struct BreakGlassInput<'a> {
    pub reason: &'a str,
    pub reviewers: &'a [String],
}

/// A promotion that went through: the release as it is now and the
/// environment it entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promoted {
    pub release_id: i64,
    pub version: String,
    /// `deploying` while the deployment runs, `released` when the
    /// environment only records promotions.
    pub state: ReleaseState,
    pub environment: String,
    /// The deployment that moves the artifact.
    pub deployment_id: i64,
}

/// What the gate is asked about, besides the release itself.
pub(super) struct GateFacts<'a> {
    pub env: &'a environments::EnvironmentRow,
    pub previous: Option<&'a environments::EnvironmentRow>,
    pub verdict: &'a Verdict,
    pub checklist: &'a [checklists::ItemRow],
    pub freezes: Vec<ActiveFreeze>,
    /// Checks, hold and configuration findings.
    pub deploy: DeployFacts,
}

impl Loaded {
    /// The gate's input for promoting this release into `facts.env`.
    pub(super) fn gate_input(
        &self,
        facts: GateFacts<'_>,
        break_glass: Option<BreakGlass>,
        may_break_glass: bool,
    ) -> GateInput {
        let target_tier = tier(facts.env);
        GateInput {
            state: self.release.state,
            target_name: facts.env.name.clone(),
            target_tier,
            previous: facts.previous.map(|p| {
                (
                    p.name.clone(),
                    self.release.reached_environment_id == Some(p.id),
                )
            }),
            previous_checks: facts.deploy.previous_checks,
            held: facts.deploy.held,
            approved: facts.verdict.evaluation.satisfied,
            approval_explanation: facts.verdict.evaluation.explanation.clone(),
            unmet_checklist: unmet_checklist(facts.checklist, target_tier),
            active_freezes: facts.freezes,
            config_drift: facts.deploy.config_drift,
            require_config_match: facts.env.require_config_match != 0,
            break_glass,
            may_break_glass,
        }
    }
}

/// Titles of the items required before `target` that are not ticked.
fn unmet_checklist(items: &[checklists::ItemRow], target: EnvironmentTier) -> Vec<String> {
    items
        .iter()
        .filter(|c| {
            c.ticked_at.is_none()
                && c.required_before
                    .as_deref()
                    .and_then(|t| t.parse::<EnvironmentTier>().ok())
                    .is_some_and(|t| target >= t)
        })
        .map(|c| c.title.clone())
        .collect()
}

/// What the gate weighs besides approvals, checklist and freezes.
pub(crate) struct DeployFacts {
    /// The artifact's last checks in the environment before the target.
    pub previous_checks: PreviousChecks,
    /// Why the artifact is held in the target, if it is.
    pub held: Option<String>,
    /// Configuration findings between the previous environment and the
    /// target, when the target requires matching configuration.
    pub config_drift: Vec<String>,
}

/// What the gate weighs about deployments and configuration: how the
/// artifact's last checks went in the environment before `env`, whether
/// it is held in `env`, and (when `env` requires it) the configuration
/// findings between the two. One statement, two with configuration.
pub(crate) async fn deploy_facts(
    conn: &mut sqlx::AnyConnection,
    artifact: &str,
    env: &environments::EnvironmentRow,
    previous: Option<&environments::EnvironmentRow>,
) -> Result<DeployFacts, ServiceError> {
    let identity = crate::deployments::request::identity_of(artifact);
    let (last, held) =
        verifications::gate_facts(conn, previous.map(|p| p.id), env.id, &identity).await?;
    let previous_checks = match last {
        None => PreviousChecks::NotRecorded,
        Some(v) => match v.state.as_str() {
            "passed" => PreviousChecks::Passed,
            "running" => PreviousChecks::Running,
            _ => PreviousChecks::Failed {
                when: crate::clock::format_ms(v.at),
                why: v.why,
            },
        },
    };
    let config_drift = if env.require_config_match != 0 {
        let differences = crate::config_drift::differences(conn, env, previous).await?;
        slipway_domain::config_drift::gate_findings(&differences)
    } else {
        Vec::new()
    };
    Ok(DeployFacts {
        previous_checks,
        held,
        config_drift,
    })
}

impl Releases<'_> {
    /// Freeze windows in force now for a project (its own and global ones).
    pub(super) async fn active_freezes(
        &self,
        conn: &mut sqlx::AnyConnection,
        project: ProjectId,
    ) -> Result<Vec<ActiveFreeze>, ServiceError> {
        let now = self.services.clock.now_ms();
        crate::calendar::freezes::active_freezes(conn, project, now).await
    }

    /// Promotes into the next environment through the gate; returns the
    /// environment's name. A refusal is one [`ServiceError::Conflict`] with
    /// every reason in it (what the pages show); [`Releases::promote_into`]
    /// is the same promotion with the reasons kept apart.
    pub async fn promote(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        break_glass: Option<BreakGlassInput<'_>>,
    ) -> Result<String, ServiceError> {
        match self
            .promote_into(actor, slug, id, None, break_glass, None)
            .await
        {
            Ok(done) => Ok(done.environment),
            Err(refused @ ServiceError::GateRefused(_)) => {
                Err(ServiceError::Conflict(refused.to_string()))
            }
            Err(e) => Err(e),
        }
    }

    /// Promotes into the next environment through the gate: the release is
    /// deploying, and a deployment (`crate::deployments`) moves its
    /// artifact through the environment's adapter and checks; the release
    /// arrives there when they pass. An environment that only records
    /// promotions (no adapter, no checks) runs it at once.
    ///
    /// `expected`, when given, must name the release's next environment
    /// (a caller that means staging never promotes into production); it is
    /// checked in the promotion's own transaction. A refusal of the gate is
    /// [`ServiceError::GateRefused`] with every reason.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn promote_into(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        expected: Option<&str>,
        break_glass: Option<BreakGlassInput<'_>>,
        idempotency_key: Option<&str>,
    ) -> Result<Promoted, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let mut l = self
            .load_for(&mut tx, actor, (slug, id), Permission::PromoteReleases)
            .await?;
        // A retried request: answer with what the first one started.
        if let Some(key) = idempotency_key {
            if let Some(d) = crate::storage::deployments::find_by_key(&mut tx, key).await? {
                if d.release_id == id {
                    return Ok(Promoted {
                        release_id: id,
                        environment: l.env_name(Some(d.environment_id)).unwrap_or_default(),
                        version: l.release.version,
                        state: l.release.state,
                        deployment_id: d.id,
                    });
                }
                return Err(ServiceError::Conflict(
                    "This Idempotency-Key was used for another request.".into(),
                ));
            }
        }
        let (env, prev) = l
            .target()
            .map(|(e, p)| (e.clone(), p.cloned()))
            .ok_or_else(|| {
                ServiceError::Conflict("This release has reached the last environment.".into())
            })?;
        if let Some(expected) = expected.filter(|e| *e != env.name) {
            return Err(ServiceError::Conflict(format!(
                "This release goes to {} next, not to \"{}\": releases move through the pipeline in order.",
                env.name,
                shown(expected)
            )));
        }
        let verdict = Self::verdict(&mut tx, &l, &env).await?;
        let reviewers_named = break_glass.map(|b| b.reviewers).unwrap_or_default();
        let break_glass = match break_glass {
            None => None,
            Some(b) => Some(BreakGlass {
                reason: bounded_multiline(b.reason, "The reason", 0, 2000)
                    .map_err(|m| ServiceError::field("break_glass_reason", m))?,
            }),
        };
        let checklist = checklists::items(&mut tx, l.release.id).await?;
        let freezes = self.active_freezes(&mut tx, l.pid()).await?;
        let deploy = deploy_facts(&mut tx, &l.release.artifact, &env, prev.as_ref()).await?;
        let facts = GateFacts {
            env: &env,
            previous: prev.as_ref(),
            verdict: &verdict,
            checklist: &checklist,
            freezes,
            deploy,
        };
        let may_break_glass = actor.can(Permission::BreakGlass, Some(l.pid()));
        let input = l.gate_input(facts, break_glass.clone(), may_break_glass);
        let bypassed = match gate::decide(&input) {
            GateDecision::Block { reasons } => return Err(ServiceError::GateRefused(reasons)),
            GateDecision::Allow => None,
            GateDecision::AllowBreakGlass { bypassed } => Some(bypassed),
        };
        let reviewers = match bypassed {
            Some(_) => {
                self.check_reviewers(actor, l.pid(), reviewers_named)
                    .await?
            }
            None => Vec::new(),
        };
        let reason = break_glass
            .as_ref()
            .map(|b| b.reason.clone())
            .unwrap_or_default();
        if l.release.state == ReleaseState::Released && bypassed.is_none() {
            let step = Step {
                transition: Transition::Approve,
                target: Some(env.id),
                reached: None,
                reason: &verdict.evaluation.explanation,
            };
            self.transition(&mut tx, actor, &mut l, step).await?;
        }
        let step = Step {
            transition: Transition::Promote {
                break_glass: bypassed.is_some(),
            },
            target: Some(env.id),
            reached: None,
            reason: &reason,
        };
        self.transition(&mut tx, actor, &mut l, step).await?;
        let requested = crate::deployments::request::promotion(
            self.services,
            &mut tx,
            actor,
            &l,
            crate::deployments::request::PromotionRequest {
                env: &env,
                break_glass: bypassed.is_some().then_some(reason.as_str()),
                idempotency_key,
            },
        )
        .await?;
        if requested.finished {
            // An environment that only records promotions: it runs it now.
            let step = Step {
                transition: Transition::Complete,
                target: None,
                reached: Some(env.id),
                reason: "",
            };
            self.transition(&mut tx, actor, &mut l, step).await?;
        }
        if let Some(bypassed) = bypassed {
            let opened = super::reviews::OpenReview {
                env: &env,
                reason: &reason,
                bypassed: &bypassed,
                reviewers: &reviewers,
            };
            self.open_review(&mut tx, actor, &l, opened).await?;
        }
        tx.commit().await?;
        self.services.notifications().wake();
        if !requested.finished {
            self.services.wake_deployments();
        }
        self.services.events.release_changed(l.project.id, id).await;
        Ok(Promoted {
            release_id: l.release.id,
            version: l.release.version,
            state: l.release.state,
            environment: env.name,
            deployment_id: requested.deployment_id,
        })
    }
}
