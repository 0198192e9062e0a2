//! Releases: create, submit for sign-off, approve or reject (bound to the
//! artifact and notes revision), revoke, change (voids approvals), promote
//! through the gate (approval policy, checklist, freezes, break-glass),
//! roll back, abandon. Every change is one transaction with its audit event.
//!
//! Concurrency: a decision first touches the release row on the condition
//! that the artifact is still the one the approver saw, so a decision and a
//! change of artifact are serialised by the database (row lock on
//! PostgreSQL, the write lock on SQLite); one live decision per person is
//! enforced by a partial unique index.

mod evidence;
mod reviews;

pub use evidence::EvidenceInput;

use crate::accounts::require;
use crate::clock::{format_date_ms, format_ms};
use crate::error::is_unique_violation;
use crate::notifications::{self, NewNotification};
use crate::storage::{
    audit as audit_store, environments, notes as notes_store, projects, releases as store, Tx,
};
use crate::{ServiceError, Services};
use serde_json::json;
use slipway_domain::approval::{self, Approval, ApprovalPolicy, Decision, Subject};
use slipway_domain::checklist::{Checklist, ChecklistTemplate};
use slipway_domain::gate::{self, ActiveFreeze, BreakGlass, GateDecision, GateInput};
use slipway_domain::read::{
    ChecklistItemView, DecisionView, EnvironmentPolicy, ReleaseSummary, ReleaseView, SignOffItem,
    TransitionView,
};
use slipway_domain::release::{ReleaseState, Transition};
use slipway_domain::validation::{bounded_multiline, bounded_text, shown};
use slipway_domain::{
    AuditAction, EnvironmentTier, Permission, Principal, ProjectId, Role, UserId,
};

pub struct Releases<'a> {
    pub(crate) services: &'a Services,
}

/// What people enter to create a release.
#[derive(Debug, Clone, Default)]
pub struct NewReleaseInput {
    pub version: String,
    pub title: String,
    /// Release notes to ship (their current revision is bound).
    pub notes_id: Option<i64>,
    /// The commit (later: artifact digest); defaults to the notes' commit.
    pub artifact: String,
    /// `YYYY-MM-DD`, optional.
    pub planned: String,
}

/// Breaking glass: why, and who reviews it afterwards (usernames).
#[derive(Debug, Clone, Copy)]
pub struct BreakGlassInput<'a> {
    pub reason: &'a str,
    pub reviewers: &'a [String],
}

/// A sign-off link as created: the path to hand over once, and where it
/// was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLink {
    pub path: String,
    /// Whether it is being e-mailed too (the address stays private).
    pub emailed: bool,
}

pub use slipway_domain::release::SIGN_OFF_LINK_HOURS;

/// Why a sign-off link does not open the page.
#[derive(Debug, thiserror::Error)]
pub enum SignOffLinkError {
    #[error("This sign-off link is not valid.")]
    Unknown,
    #[error(
        "This sign-off link was already used. Open the release from Slipway's dashboard instead."
    )]
    Used,
    #[error("This sign-off link has expired. Open the release from Slipway's dashboard instead.")]
    Expired,
    #[error("Sign in first: the link opens the release once you are signed in.")]
    SignIn,
    #[error(
        "This sign-off link was sent to someone else. Open the release from your own dashboard."
    )]
    NotYours,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<sqlx::Error> for SignOffLinkError {
    fn from(e: sqlx::Error) -> Self {
        SignOffLinkError::Service(e.into())
    }
}

fn state_of(row: &store::ReleaseRow) -> Result<ReleaseState, ServiceError> {
    ReleaseState::parse(&row.state).ok_or_else(|| {
        ServiceError::Internal(format!("unknown release state {:?}", row.state).into())
    })
}

fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_roles(text: &str) -> Vec<Role> {
    text.split(',').filter_map(|r| r.parse().ok()).collect()
}

fn parse_planned(s: &str) -> Result<Option<i64>, ServiceError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(s, &format).map_err(|_| {
        ServiceError::field(
            "planned",
            format!("\"{}\" is not a date like 2026-12-01.", shown(s)),
        )
    })?;
    Ok(Some(crate::clock::to_ms(date.midnight().assume_utc())))
}

/// The longest release title.
const TITLE_MAX: usize = 200;

fn validate_version(v: &str) -> Result<(), ServiceError> {
    slipway_domain::validation::release_version(v)
        .map(drop)
        .map_err(|m| ServiceError::field("version", m))
}

fn validate_artifact(a: &str) -> Result<(), ServiceError> {
    let ok = (7..=128).contains(&a.len())
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::field(
            "artifact",
            "Give the commit id (or artifact digest such as sha256:…) this release ships.",
        ))
    }
}

/// The environment after `reached` in pipeline order, and the one before it.
fn next_environment(
    envs: &[environments::EnvironmentRow],
    reached: Option<i64>,
) -> Option<(
    &environments::EnvironmentRow,
    Option<&environments::EnvironmentRow>,
)> {
    match reached {
        None => envs.first().map(|e| (e, None)),
        Some(r) => {
            let i = envs.iter().position(|e| e.id == r)?;
            envs.get(i + 1).map(|e| (e, Some(&envs[i])))
        }
    }
}

fn tier(e: &environments::EnvironmentRow) -> EnvironmentTier {
    e.tier.parse().unwrap_or(EnvironmentTier::Development)
}

/// Everything about one release that rules need, loaded in one place.
struct Loaded {
    project: projects::ProjectRow,
    release: store::ReleaseRow,
    state: ReleaseState,
    envs: Vec<environments::EnvironmentRow>,
}

impl Loaded {
    fn pid(&self) -> ProjectId {
        ProjectId(self.project.id)
    }

    fn env_name(&self, id: Option<i64>) -> Option<String> {
        id.and_then(|id| {
            self.envs
                .iter()
                .find(|e| e.id == id)
                .map(|e| e.name.clone())
        })
    }

    fn target(
        &self,
    ) -> Option<(
        &environments::EnvironmentRow,
        Option<&environments::EnvironmentRow>,
    )> {
        next_environment(&self.envs, self.release.reached_environment_id)
    }

    fn subject(&self) -> Subject {
        Subject {
            author: UserId(self.release.author_id.unwrap_or_default()),
            artifact_creator: self.release.artifact_created_by.map(UserId),
            digest: self.release.artifact.clone(),
            notes_revision: self.release.notes_revision,
        }
    }
}

impl Releases<'_> {
    async fn load(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
        slug: &str,
        id: i64,
    ) -> Result<Loaded, ServiceError> {
        let project = projects::find_by_slug(conn, slug)
            .await?
            .ok_or(ServiceError::NotFound("project"))?;
        let pid = ProjectId(project.id);
        if !actor.can(Permission::ViewProject, Some(pid)) {
            return Err(ServiceError::NotFound("project"));
        }
        let release = store::find(conn, pid, id)
            .await?
            .ok_or(ServiceError::NotFound("release"))?;
        let envs = environments::for_project(conn, pid).await?;
        Ok(Loaded {
            state: state_of(&release)?,
            project,
            release,
            envs,
        })
    }

    async fn policy_for(
        conn: &mut sqlx::AnyConnection,
        env: &environments::EnvironmentRow,
    ) -> Result<ApprovalPolicy, ServiceError> {
        Ok(match store::approval_policy(conn, env.id).await? {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| ServiceError::Internal(Box::new(e)))?
            }
            None => ApprovalPolicy::default(),
        })
    }

    async fn evaluation(
        conn: &mut sqlx::AnyConnection,
        l: &Loaded,
        env: &environments::EnvironmentRow,
    ) -> Result<
        (
            ApprovalPolicy,
            approval::Evaluation,
            Vec<store::ApprovalRow>,
        ),
        ServiceError,
    > {
        let policy = Self::policy_for(conn, env).await?;
        let live = store::live_approvals(conn, l.release.id, env.id).await?;
        let approvals: Vec<Approval> = live
            .iter()
            .map(|a| Approval {
                user: UserId(a.user_id),
                name: a.user_name.clone(),
                roles: parse_roles(&a.roles),
                decision: if a.decision == "reject" {
                    Decision::Reject
                } else {
                    Decision::Approve
                },
                comment: a.comment.clone(),
                digest: a.artifact.clone(),
                notes_revision: a.notes_revision,
            })
            .collect();
        let evaluation = approval::evaluate(&policy, &l.subject(), &approvals);
        Ok((policy, evaluation, live))
    }

    async fn checklist(
        conn: &mut sqlx::AnyConnection,
        release_id: i64,
    ) -> Result<Vec<ChecklistRow>, ServiceError> {
        Ok(sqlx::query_as(
            "SELECT key, title, help, required_before, auto_from, ticked_by_name, ticked_at, evidence \
             FROM checklist_items WHERE release_id = $1 ORDER BY position",
        )
        .bind(release_id)
        .fetch_all(conn)
        .await?)
    }

    /// Writes a state change with its timeline entry and audit event.
    #[allow(clippy::too_many_arguments)]
    async fn transition(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        l: &Loaded,
        from: ReleaseState,
        t: Transition,
        target: Option<i64>,
        reached: Option<i64>,
        reason: &str,
    ) -> Result<ReleaseState, ServiceError> {
        let to = from
            .apply(t)
            .map_err(|e| ServiceError::Conflict(e.reason))?;
        let now = self.services.clock.now_ms();
        if !store::set_state(
            tx,
            l.release.id,
            from.as_str(),
            to.as_str(),
            target,
            reached,
            now,
        )
        .await?
        {
            return Err(ServiceError::Conflict(
                "Someone changed this release at the same moment; reload and try again.".into(),
            ));
        }
        let break_glass = matches!(t, Transition::Promote { break_glass: true });
        store::insert_transition(
            tx,
            &store::NewTransition {
                release_id: l.release.id,
                from: from.as_str(),
                to: to.as_str(),
                transition: t.label(),
                environment_id: reached.or(target),
                actor: (actor.id.0, &actor.username),
                reason,
                break_glass,
            },
            now,
        )
        .await?;
        audit_release(tx, actor, l, AuditAction::ReleaseTransitioned, Some(json!({ "state": from.as_str() })), Some(json!({
                    "state": to.as_str(), "transition": t.label(), "environment": l.env_name(reached.or(target)),
                    "reason": reason, "break_glass": break_glass,
                })), now).await?;
        Ok(to)
    }

    /// Creates a draft release with its own checklist. Returns its id.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn create(
        &self,
        actor: &Principal,
        slug: &str,
        input: &NewReleaseInput,
    ) -> Result<i64, ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        require(actor, Permission::ManageReleases, Some(pid))?;
        if project.archived_at.is_some() {
            return Err(ServiceError::Conflict(
                "This project is archived; restore it to make releases.".into(),
            ));
        }
        validate_version(&input.version)?;
        let title = bounded_text(&input.title, "The title", 0, TITLE_MAX)
            .map_err(|m| ServiceError::field("title", m))?;
        let planned = parse_planned(&input.planned)?;
        let mut tx = self.services.store.begin().await?;
        let (notes_id, notes_revision, notes_commit) = match input.notes_id {
            None => (None, 0, None),
            Some(nid) => {
                let n = notes_store::find(&mut tx, pid, nid).await?.ok_or_else(|| {
                    ServiceError::field(
                        "notes_id",
                        "These release notes do not exist in this project.",
                    )
                })?;
                let rev = notes_store::latest_revision(&mut tx, nid)
                    .await?
                    .map_or(0, |r| r.number);
                (
                    Some(nid),
                    rev,
                    Some(n.published_commit.unwrap_or(n.tip_commit)),
                )
            }
        };
        let artifact = match (input.artifact.trim(), notes_commit) {
            ("", Some(c)) => c,
            (a, _) => a.to_owned(),
        };
        validate_artifact(&artifact)?;
        let now = self.services.clock.now_ms();
        let id = store::insert(
            &mut tx,
            pid,
            &store::NewRelease {
                version: input.version.trim(),
                title: &title,
                notes_id,
                notes_revision,
                artifact: &artifact,
                // Until artifacts are built by Slipway, whoever names the
                // commit a release ships counts as the artifact's creator.
                artifact_created_by: Some(actor.id.0),
                author_id: actor.id.0,
                owner_id: actor.id.0,
                planned_at: planned,
            },
            now,
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ServiceError::field(
                    "version",
                    format!(
                        "There is already a release {} in this project.",
                        input.version.trim()
                    ),
                )
            } else {
                e.into()
            }
        })?;
        let template = Self::template_of(&mut tx, pid).await?;
        let checklist: Checklist = template.instantiate();
        for (i, item) in checklist.items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO checklist_items (release_id, key, position, title, help, required_before, auto_from) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(&item.template.key)
            .bind(i as i64)
            .bind(&item.template.title)
            .bind(&item.template.help)
            .bind(item.template.required_before.map(|t| t.as_str()))
            .bind(item.template.auto_from.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: Some((actor.id, &actor.username)),
                action: AuditAction::ReleaseCreated,
                subject_id: id.to_string(),
                subject_label: format!("{} {}", project.slug, input.version.trim()),
                project: Some(pid),
                before: None,
                after: Some(json!({
                    "version": input.version.trim(), "artifact": artifact, "notes_id": notes_id,
                    "notes_revision": notes_revision, "planned_at": planned.map(format_ms),
                })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

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
            .map(|r| {
                let state = ReleaseState::parse(&r.state);
                ReleaseSummary {
                    id: r.id,
                    version: r.version,
                    title: r.title,
                    state: r.state.clone(),
                    state_label: state.map_or(r.state, |s| s.label().to_owned()),
                    planned: r.planned_at.map(format_date_ms),
                    reached_environment: r
                        .reached_environment_id
                        .and_then(|id| envs.iter().find(|e| e.id == id).map(|e| e.name.clone())),
                }
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
        let (policy_text, satisfied, explanation, missing, live) = match &target {
            Some((env, _)) => {
                let (policy, e, live) = Self::evaluation(&mut conn, &l, env).await?;
                (
                    policy.describe(),
                    e.satisfied,
                    e.explanation,
                    e.missing,
                    live,
                )
            }
            None => (
                "This release has reached the last environment.".to_owned(),
                false,
                "There is no further environment to approve for.".to_owned(),
                Vec::new(),
                Vec::new(),
            ),
        };
        let all = store::all_approvals(&mut conn, l.release.id).await?;
        let checklist = Self::checklist(&mut conn, l.release.id).await?;
        let transitions: Vec<TransitionRow> = sqlx::query_as(
            "SELECT from_state, to_state, environment_id, actor_name, reason, \
             CASE WHEN break_glass THEN 1 ELSE 0 END AS break_glass, created_at \
             FROM release_transitions WHERE release_id = $1 ORDER BY id",
        )
        .bind(l.release.id)
        .fetch_all(&mut *conn)
        .await?;
        let names: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, display_name FROM users WHERE id = $1 OR id = $2")
                .bind(l.release.author_id.unwrap_or_default())
                .bind(l.release.owner_id.unwrap_or_default())
                .fetch_all(&mut *conn)
                .await?;
        let name_of = |id: Option<i64>| {
            id.and_then(|id| names.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()))
                .unwrap_or_else(|| "—".into())
        };
        let gate_blockers = match &target {
            Some((env, prev)) => match gate::decide(
                &self
                    .gate_input(
                        &mut conn,
                        &l,
                        env,
                        prev.as_ref(),
                        satisfied,
                        &explanation,
                        None,
                        false,
                    )
                    .await?,
            ) {
                GateDecision::Block { reasons } => reasons,
                _ => Vec::new(),
            },
            None => vec!["There is no further environment.".into()],
        };
        let mine = live
            .iter()
            .find(|a| a.user_id == actor.id.0)
            .map(|a| a.decision.clone());
        let cannot = approval::can_approve(&l.subject(), actor.id).err();
        let decidable = matches!(
            l.state,
            ReleaseState::Candidate | ReleaseState::Approved | ReleaseState::Released
        ) && target.is_some();
        let evidence = Self::evidence(&mut conn, l.release.id, &l.release.artifact).await?;
        drop(conn);
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
            state: l.state.as_str().into(),
            state_label: l.state.label().into(),
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
                    decision: a.decision.clone(),
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
            can_record_evidence: !l.state.is_final()
                && (actor.can(Permission::ManageReleases, Some(pid))
                    || actor.can(Permission::PromoteReleases, Some(pid))),
            reviewer_candidates,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn gate_input(
        &self,
        conn: &mut sqlx::AnyConnection,
        l: &Loaded,
        env: &environments::EnvironmentRow,
        previous: Option<&environments::EnvironmentRow>,
        approved: bool,
        explanation: &str,
        break_glass: Option<BreakGlass>,
        may_break_glass: bool,
    ) -> Result<GateInput, ServiceError> {
        let target_tier = tier(env);
        let unmet: Vec<String> = Self::checklist(conn, l.release.id)
            .await?
            .into_iter()
            .filter(|c| {
                c.ticked_at.is_none()
                    && c.required_before
                        .as_deref()
                        .and_then(|t| t.parse::<EnvironmentTier>().ok())
                        .is_some_and(|t| target_tier >= t)
            })
            .map(|c| c.title)
            .collect();
        let freezes = self.active_freezes(conn, l.pid()).await?;
        Ok(GateInput {
            state: l.state,
            target_name: env.name.clone(),
            target_tier,
            previous: previous.map(|p| {
                (
                    p.name.clone(),
                    l.release.reached_environment_id == Some(p.id),
                )
            }),
            approved,
            approval_explanation: explanation.to_owned(),
            unmet_checklist: unmet,
            active_freezes: freezes,
            break_glass,
            may_break_glass,
        })
    }

    /// Freeze windows in force now for a project (its own and global ones).
    async fn active_freezes(
        &self,
        conn: &mut sqlx::AnyConnection,
        project: ProjectId,
    ) -> Result<Vec<ActiveFreeze>, ServiceError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT name, reason, rule_json, time_zone FROM freeze_windows \
             WHERE project_id = $1 OR project_id IS NULL ORDER BY id",
        )
        .bind(project.0)
        .fetch_all(conn)
        .await?;
        let now = jiff::Timestamp::from_millisecond(self.services.clock.now_ms())
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let mut out = Vec::new();
        for (name, reason, rule_json, zone) in rows {
            let rule = serde_json::from_str(&rule_json)
                .map_err(|e| ServiceError::Internal(Box::new(e)))?;
            let tz = jiff::tz::db().get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
            let window = slipway_domain::calendar::FreezeWindow {
                name: name.clone(),
                reason: reason.clone(),
                rule,
            };
            if let Some(p) = window.active_at(&tz, now) {
                out.push(ActiveFreeze {
                    name,
                    reason,
                    until: slipway_domain::calendar::show(&p.end),
                });
            }
        }
        Ok(out)
    }

    /// Draft -> candidate: ask for sign-off for the first environment.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn submit(&self, actor: &Principal, slug: &str, id: i64) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let l = self.load(&mut tx, actor, slug, id).await?;
        require(actor, Permission::ManageReleases, Some(l.pid()))?;
        let target = l.target().map(|(e, _)| e.id).ok_or_else(|| {
            ServiceError::Conflict(
                "This project has no environments: add some before releasing.".into(),
            )
        })?;
        self.transition(
            &mut tx,
            actor,
            &l,
            l.state,
            Transition::Submit,
            Some(target),
            None,
            "",
        )
        .await?;
        self.reconcile(&mut tx, actor, slug, id).await?;
        tx.commit().await?;
        self.services.events.release_changed(l.project.id, id).await;
        Ok(())
    }

    /// Abandon a release that was not released.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn abandon(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        reason: &str,
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let l = self.load(&mut tx, actor, slug, id).await?;
        require(actor, Permission::ManageReleases, Some(l.pid()))?;
        let target = l.release.target_environment_id;
        self.transition(
            &mut tx,
            actor,
            &l,
            l.state,
            Transition::Abandon,
            target,
            None,
            reason.trim(),
        )
        .await?;
        tx.commit().await?;
        self.services.events.release_changed(l.project.id, id).await;
        Ok(())
    }

    /// After a decision or change: approved when the target's policy is
    /// satisfied, back to candidate when it no longer is.
    async fn reconcile(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        slug: &str,
        id: i64,
    ) -> Result<(), ServiceError> {
        let l = self.load(tx, actor, slug, id).await?;
        let Some((env, _)) = l.target() else {
            return Ok(());
        };
        let env = env.clone();
        let (_, evaluation, _) = Self::evaluation(tx, &l, &env).await?;
        match (l.state, evaluation.satisfied) {
            (ReleaseState::Candidate | ReleaseState::Released, true) => {
                self.transition(
                    tx,
                    actor,
                    &l,
                    l.state,
                    Transition::Approve,
                    Some(env.id),
                    None,
                    &evaluation.explanation,
                )
                .await?;
            }
            (ReleaseState::Approved, false) => {
                self.transition(
                    tx,
                    actor,
                    &l,
                    l.state,
                    Transition::Change,
                    Some(env.id),
                    None,
                    &evaluation.explanation,
                )
                .await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Approve or reject, with a comment, for the release's next
    /// environment. `seen_artifact` / `seen_revision` are what the approver
    /// looked at: if the release changed since, the decision is refused.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn decide(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        decision: Decision,
        comment: &str,
        seen_artifact: &str,
        seen_revision: i64,
    ) -> Result<(), ServiceError> {
        let comment = bounded_multiline(comment, "The comment", 0, 2000)
            .map_err(|m| ServiceError::field("comment", m))?;
        let comment = comment.as_str();
        if decision == Decision::Reject && comment.is_empty() {
            return Err(ServiceError::field(
                "comment",
                "Say why you reject it, so the team can fix it.",
            ));
        }
        let mut tx = self.services.store.begin().await?;
        let l = self.load(&mut tx, actor, slug, id).await?;
        require(actor, Permission::ApproveReleases, Some(l.pid()))?;
        let now = self.services.clock.now_ms();
        // Serialise with changes and promotions: from here the release row
        // is ours until commit, and only if it is still what was seen.
        let touched = sqlx::query(
            "UPDATE releases SET updated_at = $4 WHERE id = $1 AND artifact = $2 AND notes_revision = $3",
        )
        .bind(id)
        .bind(seen_artifact)
        .bind(seen_revision)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if touched.rows_affected() != 1 {
            return Err(ServiceError::Conflict(
                "This release changed since you opened it (new artifact or notes). Reload the page and review it again.".into(),
            ));
        }
        let l = self.load(&mut tx, actor, slug, id).await?;
        if !matches!(
            l.state,
            ReleaseState::Candidate | ReleaseState::Approved | ReleaseState::Released
        ) {
            return Err(ServiceError::Conflict(format!(
                "This release is {}: there is nothing to sign off now.",
                l.state.label().to_lowercase()
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
        store::end_approvals(
            &mut tx,
            id,
            Some(actor.id.0),
            "replaced by a newer decision",
            now,
        )
        .await?;
        let roles = actor.roles_for(l.pid());
        let decision_text = match decision {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        };
        let inserted = store::insert_approval(
            &mut tx,
            &store::NewApproval {
                release_id: id,
                environment_id: env.id,
                user: (actor.id.0, &actor.username),
                roles: &roles_text(&roles),
                decision: decision_text,
                comment,
                artifact: seen_artifact,
                notes_revision: seen_revision,
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
        audit_release(
            &mut tx,
            actor,
            &l,
            AuditAction::ApprovalRecorded,
            None,
            Some(json!({
                "decision": decision_text, "comment": comment, "environment": env.name,
                "artifact": seen_artifact, "notes_revision": seen_revision,
            })),
            now,
        )
        .await?;
        self.reconcile(&mut tx, actor, slug, id).await?;
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
        let l = self.load(&mut tx, actor, slug, id).await?;
        require(actor, Permission::ApproveReleases, Some(l.pid()))?;
        if !matches!(
            l.state,
            ReleaseState::Candidate | ReleaseState::Approved | ReleaseState::Released
        ) {
            return Err(ServiceError::Conflict(
                "The promotion has started: decisions can no longer be revoked.".into(),
            ));
        }
        let now = self.services.clock.now_ms();
        if store::end_approvals(&mut tx, id, Some(actor.id.0), "revoked", now).await? == 0 {
            return Err(ServiceError::Conflict(
                "You have no decision on this release to revoke.".into(),
            ));
        }
        audit_release(
            &mut tx,
            actor,
            &l,
            AuditAction::ApprovalRevoked,
            None,
            None,
            now,
        )
        .await?;
        self.reconcile(&mut tx, actor, slug, id).await?;
        tx.commit().await?;
        self.services.events.release_changed(l.project.id, id).await;
        Ok(())
    }

    /// Changes the artifact (and/or binds the current notes revision):
    /// every live decision is voided and sign-off starts over.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn change(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        artifact: &str,
        expected_artifact: &str,
    ) -> Result<(), ServiceError> {
        let artifact = artifact.trim();
        validate_artifact(artifact)?;
        let mut tx = self.services.store.begin().await?;
        let l = self.load(&mut tx, actor, slug, id).await?;
        require(actor, Permission::ManageReleases, Some(l.pid()))?;
        let now = self.services.clock.now_ms();
        // Lock the row first (only while it is still changeable and still
        // ships what the caller saw), then decide on what is there now.
        let locked = sqlx::query(
            "UPDATE releases SET updated_at = $3 WHERE id = $1 AND artifact = $2 \
             AND state IN ('draft', 'candidate', 'approved')",
        )
        .bind(id)
        .bind(expected_artifact)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if locked.rows_affected() != 1 {
            let l = self.load(&mut tx, actor, slug, id).await?;
            l.state
                .apply(Transition::Change)
                .map_err(|e| ServiceError::Conflict(e.reason))?;
            return Err(ServiceError::Conflict(
                "The artifact was changed by someone else meanwhile; reload and try again.".into(),
            ));
        }
        let l = self.load(&mut tx, actor, slug, id).await?;
        let revision = match l.release.notes_id {
            Some(nid) => notes_store::latest_revision(&mut tx, nid)
                .await?
                .map_or(0, |r| r.number),
            None => 0,
        };
        store::set_subject(
            &mut tx,
            id,
            expected_artifact,
            artifact,
            revision,
            actor.id.0,
            now,
        )
        .await?;
        let why = if artifact != l.release.artifact {
            format!(
                "the artifact changed ({} → {})",
                short(&l.release.artifact),
                short(artifact)
            )
        } else {
            format!(
                "the notes changed (revision {} → {revision})",
                l.release.notes_revision
            )
        };
        // One notice per person, whatever environments they decided for.
        let live: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT user_id, MIN(decision), MAX(decision) FROM approvals \
             WHERE release_id = $1 AND ended_at IS NULL GROUP BY user_id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let voided = store::end_approvals(&mut tx, id, None, &why, now).await?;
        // Evidence is about one artifact: what it ticked no longer holds.
        let unticked = if artifact != l.release.artifact {
            sqlx::query(
                "UPDATE checklist_items SET ticked_at = NULL, evidence = NULL \
                 WHERE release_id = $1 AND evidence IS NOT NULL",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            0
        };
        for (user, first, last) in &live {
            if *user == actor.id.0 {
                continue;
            }
            notifications::enqueue(
                &mut tx,
                self.services,
                &NewNotification {
                    user_id: *user,
                    kind: "decision_voided",
                    subject: format!(
                        "Your {} of {} {} no longer counts",
                        match (first.as_str(), last.as_str()) {
                            ("approve", "approve") => "approval",
                            ("reject", "reject") => "rejection",
                            _ => "decisions",
                        },
                        l.project.name,
                        l.release.version
                    ),
                    body: format!(
                        "{} changed {} {}: {why}. Decisions made before the change no longer count, \
                         so the release needs your decision again.",
                        actor.display_name, l.project.name, l.release.version
                    ),
                    link: format!("/projects/{}/releases/{id}#decision", l.project.slug),
                    email_link: None,
                    release_id: Some(id),
                },
            )
            .await?;
        }
        audit_release(&mut tx, actor, &l, AuditAction::ReleaseChanged, Some(json!({ "artifact": l.release.artifact, "notes_revision": l.release.notes_revision })), Some(json!({ "artifact": artifact, "notes_revision": revision, "decisions_voided": voided, "evidence_ticks_undone": unticked, "why": why })), now).await?;
        if l.state == ReleaseState::Approved {
            self.transition(
                &mut tx,
                actor,
                &l,
                l.state,
                Transition::Change,
                l.release.target_environment_id,
                None,
                &why,
            )
            .await?;
        }
        tx.commit().await?;
        self.services.notifications().wake();
        self.services.events.release_changed(l.project.id, id).await;
        Ok(())
    }

    /// Promotes into the next environment through the gate. Until deploy
    /// adapters exist, promotion is the recorded decision that the artifact
    /// entered the environment: deploying, then released there.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn promote(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        break_glass: Option<BreakGlassInput<'_>>,
    ) -> Result<String, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let l = self.load(&mut tx, actor, slug, id).await?;
        require(actor, Permission::PromoteReleases, Some(l.pid()))?;
        let (env, prev) = l
            .target()
            .map(|(e, p)| (e.clone(), p.cloned()))
            .ok_or_else(|| {
                ServiceError::Conflict("This release has reached the last environment.".into())
            })?;
        let (_, evaluation, _) = Self::evaluation(&mut tx, &l, &env).await?;
        let reviewers_named = break_glass.map(|b| b.reviewers).unwrap_or_default();
        let break_glass = match break_glass {
            None => None,
            Some(b) => Some(BreakGlass {
                reason: bounded_multiline(b.reason, "The reason", 0, 2000)
                    .map_err(|m| ServiceError::field("break_glass_reason", m))?,
            }),
        };
        let input = self
            .gate_input(
                &mut tx,
                &l,
                &env,
                prev.as_ref(),
                evaluation.satisfied,
                &evaluation.explanation,
                break_glass.clone(),
                actor.can(Permission::BreakGlass, Some(l.pid())),
            )
            .await?;
        let decision = gate::decide(&input);
        let bypassed = match &decision {
            GateDecision::Block { reasons } => {
                return Err(ServiceError::Conflict(reasons.join(" ")))
            }
            GateDecision::Allow => None,
            GateDecision::AllowBreakGlass { bypassed } => Some(bypassed.clone()),
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
        let mut state = l.state;
        if state == ReleaseState::Released && bypassed.is_none() {
            state = self
                .transition(
                    &mut tx,
                    actor,
                    &l,
                    state,
                    Transition::Approve,
                    Some(env.id),
                    None,
                    &evaluation.explanation,
                )
                .await?;
        }
        state = self
            .transition(
                &mut tx,
                actor,
                &l,
                state,
                Transition::Promote {
                    break_glass: bypassed.is_some(),
                },
                Some(env.id),
                None,
                &reason,
            )
            .await?;
        self.transition(
            &mut tx,
            actor,
            &l,
            state,
            Transition::Complete,
            None,
            Some(env.id),
            "",
        )
        .await?;
        if let Some(bypassed) = bypassed {
            self.open_review(&mut tx, actor, &l, &env, &reason, &bypassed, &reviewers)
                .await?;
        }
        tx.commit().await?;
        self.services.notifications().wake();
        self.services.events.release_changed(l.project.id, id).await;
        Ok(env.name)
    }

    /// Rolls a deployed or released release back.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn roll_back(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        reason: &str,
    ) -> Result<(), ServiceError> {
        if reason.trim().is_empty() {
            return Err(ServiceError::field("reason", "Say why it is rolled back."));
        }
        let mut tx = self.services.store.begin().await?;
        let l = self.load(&mut tx, actor, slug, id).await?;
        require(actor, Permission::PromoteReleases, Some(l.pid()))?;
        let reached = l.release.reached_environment_id;
        self.transition(
            &mut tx,
            actor,
            &l,
            l.state,
            Transition::RollBack,
            None,
            reached,
            reason.trim(),
        )
        .await?;
        tx.commit().await?;
        self.services.events.release_changed(l.project.id, id).await;
        Ok(())
    }

    /// Sets an environment's approval policy. Returns warnings (e.g. a
    /// production environment that needs no approval).
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn set_policy(
        &self,
        actor: &Principal,
        slug: &str,
        environment: &str,
        policy: &ApprovalPolicy,
    ) -> Result<Vec<String>, ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        require(actor, Permission::ManageReleasePolicies, Some(pid))?;
        let mut tx = self.services.store.begin().await?;
        let env = environments::for_project(&mut tx, pid)
            .await?
            .into_iter()
            .find(|e| e.name == environment)
            .ok_or(ServiceError::NotFound("environment"))?;
        let warnings = policy.validate(tier(&env) == EnvironmentTier::Production)?;
        let before = store::approval_policy(&mut tx, env.id).await?;
        let json =
            serde_json::to_string(policy).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let now = self.services.clock.now_ms();
        store::set_approval_policy(&mut tx, env.id, &json, actor.id.0, now).await?;
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: Some((actor.id, &actor.username)),
                action: AuditAction::ApprovalPolicyUpdated,
                subject_id: env.id.to_string(),
                subject_label: format!("{}/{}", project.slug, env.name),
                project: Some(pid),
                before: before.and_then(|b| serde_json::from_str(&b).ok()),
                after: Some(json!(policy)),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(warnings)
    }

    /// Releases across the projects the actor can see that wait for their
    /// decision: submitted, with a next environment, not authored by them,
    /// and no live decision of theirs.
    #[tracing::instrument(skip_all)]
    pub async fn waiting_for(&self, actor: &Principal) -> Result<Vec<SignOffItem>, ServiceError> {
        let visible = self.services.projects().list(actor, false).await?;
        let mut conn = self.services.store.pool().acquire().await?;
        let mut out = Vec::new();
        for p in visible {
            let Some(project) = projects::find_by_slug(&mut conn, &p.slug).await? else {
                continue;
            };
            let pid = ProjectId(project.id);
            if !actor.can(Permission::ApproveReleases, Some(pid)) {
                continue;
            }
            let envs = environments::for_project(&mut conn, pid).await?;
            let rows: Vec<store::ReleaseRow> = store::list(&mut conn, pid, 100)
                .await?
                .into_iter()
                .filter(|r| matches!(r.state.as_str(), "candidate" | "approved" | "released"))
                .collect();
            for r in rows {
                let Some((env, _)) = next_environment(&envs, r.reached_environment_id) else {
                    continue;
                };
                if r.author_id == Some(actor.id.0) || r.artifact_created_by == Some(actor.id.0) {
                    continue;
                }
                let live = store::live_approvals(&mut conn, r.id, env.id).await?;
                if live.iter().any(|a| a.user_id == actor.id.0) {
                    continue;
                }
                let policy = Self::policy_for(&mut conn, env).await?;
                if r.state == "released" && policy.people_needed() == 0 {
                    continue;
                }
                if r.state == "approved" {
                    continue; // already enough sign-off for now
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

    /// Creates a sign-off link for one approver: single-use, valid for
    /// [`SIGN_OFF_LINK_HOURS`], bound to that person. The approver is told in
    /// their Slipway inbox and, when they have an address and mail is set
    /// up, gets the link by e-mail; the path is also returned once, to paste
    /// into chat. The token is not stored, only its hash (the queued e-mail
    /// holds it until it is sent).
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn issue_sign_off_link(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        approver: &str,
    ) -> Result<IssuedLink, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let l = self.load(&mut tx, actor, slug, id).await?;
        require(actor, Permission::ManageReleases, Some(l.pid()))?;
        if !matches!(
            l.state,
            ReleaseState::Candidate | ReleaseState::Approved | ReleaseState::Released
        ) {
            return Err(ServiceError::Conflict(format!(
                "This release is {}: there is nothing to sign off.",
                l.state.label().to_lowercase()
            )));
        }
        let target = self
            .services
            .accounts()
            .principal_of(approver.trim())
            .await?
            .filter(|p| p.can(Permission::ApproveReleases, Some(l.pid())))
            .ok_or_else(|| {
                ServiceError::field(
                    "approver",
                    format!(
                        "\"{}\" is not someone who can approve releases of this project.",
                        approver.trim()
                    ),
                )
            })?;
        approval::can_approve(&l.subject(), target.id).map_err(|_| {
            ServiceError::field(
                "approver",
                format!(
                    "{} cannot approve this release (they made it).",
                    target.username
                ),
            )
        })?;
        let (token, hash) = crate::tokens::generate();
        let now = self.services.clock.now_ms();
        sqlx::query(
            "INSERT INTO approval_links (token_hash, release_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&hash)
        .bind(id)
        .bind(target.id.0)
        .bind(now)
        .bind(now + SIGN_OFF_LINK_HOURS * 3_600_000)
        .execute(&mut *tx)
        .await?;
        let path = format!("/sign/{token}");
        let emailed = notifications::enqueue(
            &mut tx,
            self.services,
            &NewNotification {
                user_id: target.id.0,
                kind: "sign_off_requested",
                subject: format!(
                    "Sign-off requested: {} {}",
                    l.project.name, l.release.version
                ),
                body: format!(
                    "{} asks you to sign off {} {}{}: open the release to see what ships, then approve \
                     or reject.",
                    actor.display_name,
                    l.project.name,
                    l.release.version,
                    if l.release.title.is_empty() { String::new() } else { format!(" ({})", l.release.title) }
                ),
                link: format!("/projects/{}/releases/{id}#decision", l.project.slug),
                email_link: Some(path.clone()),
                release_id: Some(id),
            },
        )
        .await?;
        tx.commit().await?;
        self.services.notifications().wake();
        Ok(IssuedLink { path, emailed })
    }

    /// Opens a sign-off link: checks it is genuine, unused, unexpired and
    /// meant for the signed-in person, uses it up, and returns where to go
    /// (the release page, at the decision). It never decides anything.
    #[tracing::instrument(skip_all)]
    pub async fn open_sign_off_link(
        &self,
        viewer: Option<&Principal>,
        token: &str,
    ) -> Result<String, SignOffLinkError> {
        if !crate::tokens::looks_valid(token) {
            return Err(SignOffLinkError::Unknown);
        }
        let hash = crate::tokens::hash(token);
        let mut conn = self.services.store.pool().acquire().await?;
        let row: Option<(i64, i64, i64, Option<i64>, String, i64)> = sqlx::query_as(
            "SELECT l.id, l.user_id, l.expires_at, l.used_at, p.slug, l.release_id FROM approval_links l \
             JOIN releases r ON r.id = l.release_id JOIN projects p ON p.id = r.project_id WHERE l.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((link, user, expires_at, used_at, slug, release)) = row else {
            return Err(SignOffLinkError::Unknown);
        };
        if used_at.is_some() {
            return Err(SignOffLinkError::Used);
        }
        if expires_at <= self.services.clock.now_ms() {
            return Err(SignOffLinkError::Expired);
        }
        let viewer = viewer.ok_or(SignOffLinkError::SignIn)?;
        if viewer.id.0 != user {
            return Err(SignOffLinkError::NotYours);
        }
        let used =
            sqlx::query("UPDATE approval_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
                .bind(link)
                .bind(self.services.clock.now_ms())
                .execute(&mut *conn)
                .await?;
        if used.rows_affected() != 1 {
            return Err(SignOffLinkError::Used);
        }
        Ok(format!("/projects/{slug}/releases/{release}#decision"))
    }

    /// The project's checklist template (the default until someone edits it).
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn checklist_template(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<(ChecklistTemplate, bool), ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        let mut conn = self.services.store.pool().acquire().await?;
        let template = Self::template_of(&mut conn, pid).await?;
        Ok((
            template,
            actor.can(Permission::ManageReleasePolicies, Some(pid)),
        ))
    }

    async fn template_of(
        conn: &mut sqlx::AnyConnection,
        pid: ProjectId,
    ) -> Result<ChecklistTemplate, ServiceError> {
        Ok(
            match sqlx::query_as::<_, (String,)>(
                "SELECT template_json FROM checklist_templates WHERE project_id = $1",
            )
            .bind(pid.0)
            .fetch_optional(conn)
            .await?
            {
                Some((json,)) => {
                    serde_json::from_str(&json).map_err(|e| ServiceError::Internal(Box::new(e)))?
                }
                None => ChecklistTemplate::default(),
            },
        )
    }

    /// Replaces the project's checklist template; releases created from now
    /// on get it (existing releases keep their own checklists).
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn set_checklist_template(
        &self,
        actor: &Principal,
        slug: &str,
        template: &ChecklistTemplate,
    ) -> Result<(), ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        require(actor, Permission::ManageReleasePolicies, Some(pid))?;
        template.validate()?;
        let json =
            serde_json::to_string(template).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let before = Self::template_of(&mut tx, pid).await?;
        sqlx::query(
            "INSERT INTO checklist_templates (project_id, template_json, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (project_id) DO UPDATE SET template_json = $2, updated_at = $3",
        )
        .bind(pid.0)
        .bind(&json)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: Some((actor.id, &actor.username)),
                action: AuditAction::ChecklistTemplateUpdated,
                subject_id: pid.to_string(),
                subject_label: project.slug.clone(),
                project: Some(pid),
                before: Some(json!(before)),
                after: Some(json!(template)),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every environment's approval policy, in pipeline order.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn policies(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<Vec<EnvironmentPolicy>, ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        let can_edit = actor.can(Permission::ManageReleasePolicies, Some(pid));
        let mut conn = self.services.store.pool().acquire().await?;
        let mut out = Vec::new();
        for env in environments::for_project(&mut conn, pid).await? {
            let policy = Self::policy_for(&mut conn, &env).await?;
            let production = tier(&env) == EnvironmentTier::Production;
            out.push(EnvironmentPolicy {
                environment: env.name.clone(),
                tier: tier(&env),
                required: policy.required,
                groups: policy
                    .groups
                    .iter()
                    .map(|g| {
                        (
                            g.at_least,
                            g.any_of.iter().map(|r| r.as_str().to_owned()).collect(),
                        )
                    })
                    .collect(),
                description: policy.describe(),
                warnings: policy.warnings(production),
                can_edit,
            });
        }
        Ok(out)
    }

    /// Ticks a checklist item of a release.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn tick(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        key: &str,
    ) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let l = self.load(&mut tx, actor, slug, id).await?;
        require(actor, Permission::ManageReleases, Some(l.pid()))?;
        if l.state.is_final() {
            return Err(ServiceError::Conflict("This release is closed.".into()));
        }
        let now = self.services.clock.now_ms();
        let done = sqlx::query(
            "UPDATE checklist_items SET ticked_by = $3, ticked_by_name = $4, ticked_at = $5 \
             WHERE release_id = $1 AND key = $2 AND ticked_at IS NULL",
        )
        .bind(id)
        .bind(key)
        .bind(actor.id.0)
        .bind(&actor.username)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(ServiceError::Conflict(
                "That item does not exist or is already ticked.".into(),
            ));
        }
        audit_release(
            &mut tx,
            actor,
            &l,
            AuditAction::ChecklistTicked,
            None,
            Some(json!({ "item": key })),
            now,
        )
        .await?;
        tx.commit().await?;
        self.services.events.release_changed(l.project.id, id).await;
        Ok(())
    }
}

/// The audit event of a change to one release (with its project).
async fn audit_release(
    conn: &mut sqlx::AnyConnection,
    actor: &Principal,
    l: &Loaded,
    action: AuditAction,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    now: i64,
) -> Result<(), ServiceError> {
    audit_store::insert(
        conn,
        &audit_store::NewEvent {
            actor: Some((actor.id, &actor.username)),
            action,
            subject_id: l.release.id.to_string(),
            subject_label: format!("{} {}", l.project.slug, l.release.version),
            project: Some(l.pid()),
            before,
            after,
        },
        now,
    )
    .await?;
    Ok(())
}

fn short(s: &str) -> String {
    s.chars().take(12).collect()
}

#[derive(sqlx::FromRow)]
struct ChecklistRow {
    key: String,
    title: String,
    help: String,
    required_before: Option<String>,
    #[allow(dead_code)]
    auto_from: Option<String>,
    ticked_by_name: Option<String>,
    ticked_at: Option<i64>,
    evidence: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TransitionRow {
    from_state: String,
    to_state: String,
    environment_id: Option<i64>,
    actor_name: String,
    reason: String,
    break_glass: i64,
    created_at: i64,
}
