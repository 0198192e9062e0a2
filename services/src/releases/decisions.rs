//! Approving and rejecting a release for its next environment, revoking
//! one's decision, and reconciling the release's state with the policy
//! after each (approved when satisfied, back to waiting when not).

use super::lifecycle::Step;
use super::{parse_roles, roles_text, Loaded, Releases};
use crate::error::is_unique_violation;
use crate::storage::{approvals, environments, Tx};
use crate::ServiceError;
use serde_json::json;
use slipway_domain::approval::{self, Approval, ApprovalPolicy, Decision};
use slipway_domain::release::{ReleaseState, Transition};
use slipway_domain::validation::bounded_multiline;
use slipway_domain::{AuditAction, Permission, Principal, UserId};

/// One approver's decision, bound to what they looked at: if the release
/// changed since (`seen_artifact`, `seen_revision`), it is refused.
#[derive(Debug, Clone)]
pub struct DecisionInput {
    pub decision: Decision,
    pub comment: String,
    pub seen_artifact: String,
    pub seen_revision: i64,
}

/// The policy's verdict on the live decisions for one environment.
pub(super) struct Verdict {
    pub policy: ApprovalPolicy,
    pub evaluation: approval::Evaluation,
}

impl Releases<'_> {
    /// An environment's approval policy (the default until someone sets one).
    pub(super) async fn policy_for(
        conn: &mut sqlx::AnyConnection,
        env: &environments::EnvironmentRow,
    ) -> Result<ApprovalPolicy, ServiceError> {
        match approvals::policy(conn, env.id).await? {
            Some(json) => parse_policy(&json),
            None => Ok(ApprovalPolicy::default()),
        }
    }

    /// Reads the policy and the live decisions for `env` and evaluates them.
    pub(super) async fn verdict(
        conn: &mut sqlx::AnyConnection,
        l: &Loaded,
        env: &environments::EnvironmentRow,
    ) -> Result<Verdict, ServiceError> {
        let policy = Self::policy_for(conn, env).await?;
        let live = approvals::live(conn, l.release.id, env.id).await?;
        Ok(verdict_on(policy, l, &live))
    }

    /// After a decision or change: approved when the target's policy is
    /// satisfied, back to candidate when it no longer is. Works on what
    /// the action loaded (the release is not read again).
    pub(crate) async fn reconcile(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        l: &mut Loaded,
    ) -> Result<(), ServiceError> {
        let Some((env, _)) = l.target() else {
            return Ok(());
        };
        let env = env.clone();
        let Verdict { evaluation, .. } = Self::verdict(tx, l, &env).await?;
        let transition = match (l.release.state, evaluation.satisfied) {
            (ReleaseState::Candidate | ReleaseState::Released, true) => Transition::Approve,
            (ReleaseState::Approved, false) => Transition::Change,
            _ => return Ok(()),
        };
        let step = Step {
            transition,
            target: Some(env.id),
            reached: None,
            reason: &evaluation.explanation,
        };
        self.transition(tx, actor, l, step).await?;
        Ok(())
    }

    /// Approve or reject, with a comment, for the release's next
    /// environment.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn decide(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        input: &DecisionInput,
    ) -> Result<(), ServiceError> {
        let decision = input.decision;
        let comment = bounded_multiline(&input.comment, "The comment", 0, 2000)
            .map_err(|m| ServiceError::field("comment", m))?;
        if decision == Decision::Reject && comment.is_empty() {
            return Err(ServiceError::field(
                "comment",
                "Say why you reject it, so the team can fix it.",
            ));
        }
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        // Serialise with changes and promotions: from here the release row
        // is ours until commit, and only if it is still what was seen.
        let locked = crate::storage::releases::lock_if_subject(
            &mut tx,
            id,
            &input.seen_artifact,
            Some(input.seen_revision),
            now,
        )
        .await?;
        let mut l = self
            .load_for(&mut tx, actor, (slug, id), Permission::ApproveReleases)
            .await?;
        if !locked {
            return Err(ServiceError::Conflict(
                "This release changed since you opened it (new artifact or notes). Reload the page and review it again.".into(),
            ));
        }
        if !l.release.state.accepts_decisions() {
            return Err(ServiceError::Conflict(format!(
                "This release is {}: there is nothing to sign off now.",
                l.release.state.label().to_lowercase()
            )));
        }
        let Some((env, _)) = l.target() else {
            return Err(ServiceError::Conflict(
                "This release has reached the last environment.".into(),
            ));
        };
        let env = env.clone();
        if decision == Decision::Approve {
            approval::can_approve(&l.subject(), actor.id).map_err(ServiceError::Conflict)?;
        }
        approvals::end(
            &mut tx,
            id,
            Some(actor.id.0),
            "replaced by a newer decision",
            now,
        )
        .await?;
        let roles = actor.roles_for(l.pid());
        let inserted = approvals::insert(
            &mut tx,
            &approvals::NewApproval {
                release_id: id,
                environment_id: env.id,
                user: (actor.id.0, &actor.username),
                roles: &roles_text(&roles),
                decision,
                comment: &comment,
                artifact: &input.seen_artifact,
                notes_revision: input.seen_revision,
            },
            now,
        )
        .await;
        match inserted {
            Ok(()) => {}
            // A simultaneous identical click: the decision is already recorded.
            Err(e) if is_unique_violation(&e) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let after = json!({
            "decision": decision.as_str(), "comment": comment, "environment": env.name,
            "artifact": input.seen_artifact, "notes_revision": input.seen_revision,
        });
        self.audit(
            &mut tx,
            actor,
            &l,
            AuditAction::ApprovalRecorded,
            (None, Some(after)),
        )
        .await?;
        self.reconcile(&mut tx, actor, &mut l).await?;
        tx.commit().await.map_err(|e| {
            if is_unique_violation(&e) {
                ServiceError::Conflict(
                    "Your decision was recorded by another request at the same moment.".into(),
                )
            } else {
                e.into()
            }
        })?;
        self.services.events.release_changed(l.project.id, id).await;
        Ok(())
    }

    /// Withdraws the actor's own decision, until the promotion starts.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn revoke(&self, actor: &Principal, slug: &str, id: i64) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let mut l = self
            .load_for(&mut tx, actor, (slug, id), Permission::ApproveReleases)
            .await?;
        if !l.release.state.accepts_decisions() {
            return Err(ServiceError::Conflict(
                "The promotion has started: decisions can no longer be revoked.".into(),
            ));
        }
        let now = self.services.clock.now_ms();
        if approvals::end(&mut tx, id, Some(actor.id.0), "revoked", now).await? == 0 {
            return Err(ServiceError::Conflict(
                "You have no decision on this release to revoke.".into(),
            ));
        }
        self.audit(
            &mut tx,
            actor,
            &l,
            AuditAction::ApprovalRevoked,
            (None, None),
        )
        .await?;
        self.reconcile(&mut tx, actor, &mut l).await?;
        tx.commit().await?;
        self.services.events.release_changed(l.project.id, id).await;
        Ok(())
    }
}

pub(super) fn parse_policy(json: &str) -> Result<ApprovalPolicy, ServiceError> {
    serde_json::from_str(json).map_err(|e| ServiceError::Internal(Box::new(e)))
}

/// The policy's verdict on these live decisions.
pub(super) fn verdict_on(
    policy: ApprovalPolicy,
    l: &Loaded,
    live: &[approvals::ApprovalRow],
) -> Verdict {
    let approvals: Vec<Approval> = live
        .iter()
        .map(|a| Approval {
            user: UserId(a.user_id),
            name: a.user_name.clone(),
            roles: parse_roles(&a.roles),
            decision: a.decision,
            comment: a.comment.clone(),
            digest: a.artifact.clone(),
            notes_revision: a.notes_revision,
        })
        .collect();
    let evaluation = approval::evaluate(&policy, &l.subject(), &approvals);
    Verdict { policy, evaluation }
}
