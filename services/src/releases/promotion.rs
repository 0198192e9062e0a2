//! Promoting a release into its next environment through the gate: the
//! approval policy, the checklist, freeze windows, the pipeline order, and
//! break-glass (which opens a post-release review). The gate itself is
//! `slipway_domain::gate`: this module gathers its facts and applies its
//! answer.

use super::decisions::Verdict;
use super::lifecycle::Step;
use super::{tier, Loaded, Releases};
use crate::storage::{checklists, environments};
use crate::ServiceError;
use slipway_domain::gate::{self, ActiveFreeze, BreakGlass, GateDecision, GateInput};
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
    pub state: ReleaseState,
    pub environment: String,
}

/// What the gate is asked about, besides the release itself.
pub(super) struct GateFacts<'a> {
    pub env: &'a environments::EnvironmentRow,
    pub previous: Option<&'a environments::EnvironmentRow>,
    pub verdict: &'a Verdict,
    pub checklist: &'a [checklists::ItemRow],
    pub freezes: Vec<ActiveFreeze>,
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
            approved: facts.verdict.evaluation.satisfied,
            approval_explanation: facts.verdict.evaluation.explanation.clone(),
            unmet_checklist: unmet_checklist(facts.checklist, target_tier),
            active_freezes: facts.freezes,
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
        match self.promote_into(actor, slug, id, None, break_glass).await {
            Ok(done) => Ok(done.environment),
            Err(refused @ ServiceError::GateRefused(_)) => {
                Err(ServiceError::Conflict(refused.to_string()))
            }
            Err(e) => Err(e),
        }
    }

    /// Promotes into the next environment through the gate. Until deploy
    /// adapters exist, promotion is the recorded decision that the artifact
    /// entered the environment: deploying, then released there.
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
    ) -> Result<Promoted, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let mut l = self
            .load_for(&mut tx, actor, (slug, id), Permission::PromoteReleases)
            .await?;
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
        let facts = GateFacts {
            env: &env,
            previous: prev.as_ref(),
            verdict: &verdict,
            checklist: &checklist,
            freezes,
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
        let step = Step {
            transition: Transition::Complete,
            target: None,
            reached: Some(env.id),
            reason: "",
        };
        self.transition(&mut tx, actor, &mut l, step).await?;
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
        self.services.events.release_changed(l.project.id, id).await;
        Ok(Promoted {
            release_id: l.release.id,
            version: l.release.version,
            state: l.release.state,
            environment: env.name,
        })
    }
}
