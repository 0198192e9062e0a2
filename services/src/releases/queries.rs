//! What pages read: a project's releases, a release's sign-off page, and
//! the releases waiting for the viewer's sign-off. Each in a fixed number
//! of queries, however many releases, decisions or projects there are.

use super::decisions::{parse_policy, verdict_on, Verdict};
use super::promotion::GateFacts;
use super::{next_environment, parse_roles, subject_of, Releases};
use crate::clock::{format_date_ms, format_ms};
use crate::storage::{
    approvals, checklists, environments, notes as notes_store, releases as store, users,
};
use crate::ServiceError;
use slipway_domain::approval::{self, ApprovalPolicy};
use slipway_domain::gate::{self, GateDecision};
use slipway_domain::read::{
    ChecklistItemView, DecisionView, ReleaseSummary, ReleaseView, SignOffItem, TransitionView,
};
use slipway_domain::release::ReleaseState;
use slipway_domain::{Permission, Principal, ProjectId};
use std::collections::HashSet;

impl Releases<'_> {
    /// A project's latest releases, newest first.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn list(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<Vec<ReleaseSummary>, ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        let mut conn = self.services.store.pool().acquire().await?;
        let envs = environments::for_project(&mut conn, pid).await?;
        Ok(store::list(&mut conn, pid, 200)
            .await?
            .into_iter()
            .map(|r| ReleaseSummary {
                id: r.id,
                version: r.version,
                title: r.title,
                state: r.state,
                planned: r.planned_at.map(format_date_ms),
                reached_environment: r
                    .reached_environment_id
                    .and_then(|id| envs.iter().find(|e| e.id == id).map(|e| e.name.clone())),
            })
            .collect())
    }

    /// The sign-off page.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn get(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
    ) -> Result<ReleaseView, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let l = self.load(&mut conn, actor, slug, id).await?;
        let pid = l.pid();
        let notes_html = match l.release.notes_id {
            Some(nid) => {
                match notes_store::revision(&mut conn, nid, l.release.notes_revision).await? {
                    Some(r) => self.services.markdown.render(&r.body).await.to_string(),
                    None => String::new(),
                }
            }
            None => String::new(),
        };
        let target = l.target().map(|(t, p)| (t.clone(), p.cloned()));
        // Every decision ever made; the live ones for the target are the
        // ones that count now.
        let all = approvals::all(&mut conn, l.release.id).await?;
        let verdict = match &target {
            Some((env, _)) => {
                let policy = Self::policy_for(&mut conn, env).await?;
                let mut live: Vec<approvals::ApprovalRow> = all
                    .iter()
                    .filter(|a| a.ended_at.is_none() && a.environment_id == env.id)
                    .cloned()
                    .collect();
                live.sort_by_key(|a| a.id);
                Some((verdict_on(policy, &l, &live), live))
            }
            None => None,
        };
        let checklist = checklists::items(&mut conn, l.release.id).await?;
        let transitions = store::transitions(&mut conn, l.release.id).await?;
        let people: Vec<i64> = [l.release.author_id, l.release.owner_id]
            .into_iter()
            .flatten()
            .collect();
        let names = users::display_names(&mut conn, &people).await?;
        let name_of = |id: Option<i64>| {
            id.and_then(|id| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()))
                .unwrap_or_else(|| "—".into())
        };
        let gate_blockers = match (&target, &verdict) {
            (Some((env, prev)), Some((verdict, _))) => {
                let deploy = super::promotion::deploy_facts(
                    &mut conn,
                    &l.release.artifact,
                    env,
                    prev.as_ref(),
                )
                .await?;
                let facts = GateFacts {
                    env,
                    previous: prev.as_ref(),
                    verdict,
                    checklist: &checklist,
                    freezes: self.active_freezes(&mut conn, pid).await?,
                    deploy,
                };
                match gate::decide(&l.gate_input(facts, None, false)) {
                    GateDecision::Block { reasons } => reasons,
                    _ => Vec::new(),
                }
            }
            _ => vec!["There is no further environment.".into()],
        };
        let evidence =
            Self::evidence(&mut conn, l.release.id, &l.release.artifact, &checklist).await?;
        drop(conn);
        let (policy_text, satisfied, explanation, missing, live) = match verdict {
            Some((Verdict { policy, evaluation }, live)) => (
                policy.describe(),
                evaluation.satisfied,
                evaluation.explanation,
                evaluation.missing,
                live,
            ),
            None => (
                "This release has reached the last environment.".to_owned(),
                false,
                "There is no further environment to approve for.".to_owned(),
                Vec::new(),
                Vec::new(),
            ),
        };
        let mine = live
            .iter()
            .find(|a| a.user_id == actor.id.0)
            .map(|a| a.decision);
        let cannot = approval::can_approve(&l.subject(), actor.id).err();
        let decidable = l.release.state.accepts_decisions() && target.is_some();
        let can_break_glass = actor.can(Permission::BreakGlass, Some(pid));
        let reviewer_candidates = if can_break_glass && target.is_some() {
            self.services
                .accounts()
                .people_who_can(Permission::ApproveReleases, pid)
                .await?
                .into_iter()
                .filter(|p| p.id != actor.id)
                .map(|p| (p.username, p.display_name))
                .collect()
        } else {
            Vec::new()
        };
        Ok(ReleaseView {
            id: l.release.id,
            project_slug: l.project.slug.clone(),
            project_name: l.project.name.clone(),
            version: l.release.version.clone(),
            title: l.release.title.clone(),
            state: l.release.state,
            artifact: l.release.artifact.clone(),
            notes_id: l.release.notes_id,
            notes_revision: l.release.notes_revision,
            notes_html,
            planned: l.release.planned_at.map(format_date_ms),
            author: name_of(l.release.author_id),
            owner: name_of(l.release.owner_id),
            target_environment: target.as_ref().map(|(e, _)| e.name.clone()),
            reached_environment: l.env_name(l.release.reached_environment_id),
            policy: policy_text,
            approval_satisfied: satisfied,
            approval_explanation: explanation,
            approval_missing: missing,
            decisions: all
                .iter()
                .map(|a| DecisionView {
                    user: a.user_name.clone(),
                    roles: parse_roles(&a.roles)
                        .iter()
                        .map(|r| r.label().to_owned())
                        .collect(),
                    decision: a.decision,
                    comment: a.comment.clone(),
                    at: format_ms(a.created_at),
                    ended: a.ended_reason.clone(),
                })
                .collect(),
            checklist: checklist
                .into_iter()
                .map(|c| ChecklistItemView {
                    ticked: c.ticked_at.map(|at| match &c.evidence {
                        Some(ev) => format!("Ticked automatically from {ev} on {}", format_ms(at)),
                        None => format!(
                            "Ticked by {} on {}",
                            c.ticked_by_name.clone().unwrap_or_default(),
                            format_ms(at)
                        ),
                    }),
                    key: c.key,
                    title: c.title,
                    help: c.help,
                    required_before: c.required_before,
                })
                .collect(),
            transitions: transitions
                .into_iter()
                .map(|t| TransitionView {
                    at: format_ms(t.created_at),
                    actor: t.actor_name,
                    from: t.from_state,
                    to: t.to_state,
                    environment: l.env_name(t.environment_id),
                    reason: t.reason,
                    break_glass: t.break_glass == 1,
                })
                .collect(),
            gate_blockers,
            my_decision: mine,
            can_manage: actor.can(Permission::ManageReleases, Some(pid)),
            can_decide: decidable && actor.can(Permission::ApproveReleases, Some(pid)),
            cannot_decide_because: cannot,
            can_promote: actor.can(Permission::PromoteReleases, Some(pid)),
            can_break_glass,
            evidence,
            can_record_evidence: !l.release.state.is_final()
                && actor.can(Permission::RecordEvidence, Some(pid)),
            reviewer_candidates,
        })
    }

    /// Releases across the projects the actor can see that wait for their
    /// decision: submitted, with a next environment, theirs to approve (the
    /// self-approval rule), and no live decision of theirs. Five queries,
    /// however many projects and releases.
    #[tracing::instrument(skip_all)]
    pub async fn waiting_for(&self, actor: &Principal) -> Result<Vec<SignOffItem>, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let projects: Vec<_> = Self::visible_projects(&mut conn, actor)
            .await?
            .into_iter()
            .filter(|p| actor.can(Permission::ApproveReleases, Some(ProjectId(p.id))))
            .collect();
        let ids: Vec<ProjectId> = projects.iter().map(|p| ProjectId(p.id)).collect();
        let envs = environments::for_projects(&mut conn, &ids).await?;
        let releases = store::accepting_decisions(&mut conn, &ids).await?;
        let mine: HashSet<(i64, i64)> = approvals::live_of_user(&mut conn, actor.id.0)
            .await?
            .into_iter()
            .collect();
        let env_ids: Vec<i64> = envs.iter().map(|e| e.id).collect();
        let policies = approvals::policies(&mut conn, &env_ids).await?;
        drop(conn);
        let mut out = Vec::new();
        for project in &projects {
            let envs: Vec<environments::EnvironmentRow> = envs
                .iter()
                .filter(|e| e.project_id == project.id)
                .cloned()
                .collect();
            for r in releases.iter().filter(|r| r.project_id == project.id) {
                let Some((env, _)) = next_environment(&envs, r.reached_environment_id) else {
                    continue;
                };
                if approval::can_approve(&subject_of(r), actor.id).is_err() {
                    continue;
                }
                if mine.contains(&(r.id, env.id)) {
                    continue;
                }
                let policy = match policies.iter().find(|(id, _)| *id == env.id) {
                    Some((_, json)) => parse_policy(json)?,
                    None => ApprovalPolicy::default(),
                };
                match r.state {
                    ReleaseState::Released if policy.people_needed() == 0 => continue,
                    ReleaseState::Approved => continue, // already enough sign-off for now
                    _ => {}
                }
                out.push(SignOffItem {
                    project_slug: project.slug.clone(),
                    project_name: project.name.clone(),
                    release_id: r.id,
                    version: r.version.clone(),
                    title: r.title.clone(),
                    environment: env.name.clone(),
                    planned: r.planned_at.map(format_date_ms),
                });
            }
        }
        Ok(out)
    }
}
