//! What the API reads about releases, by the release's id alone: one
//! release or a page of a project's releases (where each stands: the
//! approval verdict for its next environment and what the gate would say),
//! and a release's decisions. The same rules as the release page
//! ([`Releases::get`]), without what only the page shows.

use super::decisions::{parse_policy, verdict_on, Verdict};
use super::promotion::GateFacts;
use super::{parse_roles, Loaded, Releases};
use crate::clock::{format_date_ms, from_ms};
use crate::storage::{approvals, checklists, environments, projects, releases as store, users};
use crate::ServiceError;
use slipway_domain::approval::{ApprovalPolicy, Decision};
use slipway_domain::gate::{self, ActiveFreeze, GateDecision};
use slipway_domain::release::{ReleaseState, Transition};
use slipway_domain::{Permission, Principal, ProjectId};

/// A release and where it stands, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseOverview {
    pub id: i64,
    pub project_slug: String,
    pub version: String,
    pub title: String,
    pub state: ReleaseState,
    pub artifact: String,
    pub notes_revision: i64,
    /// The text of the notes revision the release ships; `None` without notes.
    pub notes_markdown: Option<String>,
    /// `YYYY-MM-DD`.
    pub planned: Option<String>,
    /// The author's display name.
    pub author: String,
    pub reached_environment: Option<String>,
    /// Where it goes next; `None` at the end of the pipeline, or when it
    /// was abandoned or rolled back.
    pub next_environment: Option<String>,
    /// Why promotion would be refused now (empty when it would pass).
    pub promotion_blockers: Vec<String>,
    pub approval_satisfied: bool,
    pub approval_explanation: String,
    /// Who is still needed, in words.
    pub approval_missing: Vec<String>,
}

/// Which of a project's releases to read: newest first, older than
/// `before` (a release id), in `state`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReleaseFilter {
    pub state: Option<ReleaseState>,
    pub before: Option<i64>,
    /// At most this many (1–200).
    pub limit: u32,
}

/// A page of releases, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasePage {
    pub items: Vec<ReleaseOverview>,
    /// Whether older releases match the filter too.
    pub more: bool,
}

/// One decision on a release, live or ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    /// The environment it was made for (`None` if that environment was
    /// removed since).
    pub environment: Option<String>,
    pub user: String,
    /// The decider's roles on the project when they decided.
    pub roles: Vec<String>,
    pub decision: Decision,
    pub comment: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// Why it no longer counts (`None` while it counts).
    pub ended: Option<String>,
}

impl DecisionRecord {
    /// Whether it still counts.
    pub fn live(&self) -> bool {
        self.ended.is_none()
    }
}

/// An instant as RFC 3339 (`2026-11-23T14:05:00Z`).
fn rfc3339(ms: i64) -> String {
    from_ms(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| crate::clock::format_ms(ms))
}

/// The release row and its project, when the actor may see them (unknown
/// and invisible look alike: both "release was not found").
async fn visible(
    conn: &mut sqlx::AnyConnection,
    actor: &Principal,
    id: i64,
) -> Result<(projects::ProjectRow, store::ReleaseRow), ServiceError> {
    let release = store::find_by_id(conn, id)
        .await?
        .ok_or(ServiceError::NotFound("release"))?;
    let project = projects::find(conn, ProjectId(release.project_id))
        .await?
        .ok_or(ServiceError::NotFound("release"))?;
    if !actor.can(Permission::ViewProject, Some(ProjectId(project.id))) {
        return Err(ServiceError::NotFound("release"));
    }
    Ok((project, release))
}

impl Releases<'_> {
    /// One release, by its id.
    #[tracing::instrument(skip_all, fields(release.id = id))]
    pub async fn overview(
        &self,
        actor: &Principal,
        id: i64,
    ) -> Result<ReleaseOverview, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let (project, release) = visible(&mut conn, actor, id).await?;
        let envs = environments::for_project(&mut conn, ProjectId(project.id)).await?;
        let mut out = self
            .overviews_of(&mut conn, project, envs, vec![release])
            .await?;
        out.pop().ok_or(ServiceError::NotFound("release"))
    }

    /// A page of a project's releases, newest first.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn overviews(
        &self,
        actor: &Principal,
        slug: &str,
        filter: ReleaseFilter,
    ) -> Result<ReleasePage, ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        let limit = filter.limit.clamp(1, 200) as usize;
        let mut conn = self.services.store.pool().acquire().await?;
        // One more than asked for: whether there is a next page.
        let mut rows = store::page(
            &mut conn,
            pid,
            filter.state,
            filter.before,
            limit as i64 + 1,
        )
        .await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let envs = environments::for_project(&mut conn, pid).await?;
        let items = self.overviews_of(&mut conn, project, envs, rows).await?;
        Ok(ReleasePage { items, more })
    }

    /// Every decision made on a release, newest first.
    #[tracing::instrument(skip_all, fields(release.id = id))]
    pub async fn decisions(
        &self,
        actor: &Principal,
        id: i64,
    ) -> Result<Vec<DecisionRecord>, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let (project, release) = visible(&mut conn, actor, id).await?;
        let envs = environments::for_project(&mut conn, ProjectId(project.id)).await?;
        let all = approvals::all(&mut conn, release.id).await?;
        Ok(all
            .into_iter()
            .map(|a| DecisionRecord {
                environment: envs
                    .iter()
                    .find(|e| e.id == a.environment_id)
                    .map(|e| e.name.clone()),
                roles: parse_roles(&a.roles)
                    .iter()
                    .map(|r| r.as_str().to_owned())
                    .collect(),
                user: a.user_name,
                decision: a.decision,
                comment: a.comment,
                at: rfc3339(a.created_at),
                ended: a
                    .ended_reason
                    .or_else(|| a.ended_at.map(|_| "ended".to_owned())),
            })
            .collect())
    }

    /// Where each release stands. What the whole list shares (authors,
    /// notes, policies, freezes) is read once; each release that has a
    /// next environment adds two reads (its live decisions, its checklist).
    async fn overviews_of(
        &self,
        conn: &mut sqlx::AnyConnection,
        project: projects::ProjectRow,
        envs: Vec<environments::EnvironmentRow>,
        rows: Vec<store::ReleaseRow>,
    ) -> Result<Vec<ReleaseOverview>, ServiceError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let pid = ProjectId(project.id);
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let notes = store::bound_notes(conn, &ids).await?;
        let mut authors: Vec<i64> = rows.iter().filter_map(|r| r.author_id).collect();
        authors.sort_unstable();
        authors.dedup();
        let names = users::display_names(conn, &authors).await?;
        let env_ids: Vec<i64> = envs.iter().map(|e| e.id).collect();
        let policies = approvals::policies(conn, &env_ids).await?;
        let freezes = self.active_freezes(conn, pid).await?;
        let mut out = Vec::with_capacity(rows.len());
        for release in rows {
            let l = Loaded {
                project: project.clone(),
                release,
                envs: envs.clone(),
            };
            let standing = standing(conn, &l, &policies, &freezes).await?;
            let r = l.release;
            out.push(ReleaseOverview {
                notes_markdown: notes
                    .iter()
                    .find(|(id, _)| *id == r.id)
                    .map(|(_, body)| body.clone()),
                author: r
                    .author_id
                    .and_then(|a| names.iter().find(|(id, _)| *id == a))
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default(),
                planned: r.planned_at.map(format_date_ms),
                reached_environment: r
                    .reached_environment_id
                    .and_then(|id| l.envs.iter().find(|e| e.id == id))
                    .map(|e| e.name.clone()),
                next_environment: standing.next,
                promotion_blockers: standing.blockers,
                approval_satisfied: standing.satisfied,
                approval_explanation: standing.explanation,
                approval_missing: standing.missing,
                id: r.id,
                project_slug: project.slug.clone(),
                version: r.version,
                title: r.title,
                state: r.state,
                artifact: r.artifact,
                notes_revision: r.notes_revision,
            });
        }
        Ok(out)
    }
}

/// Where one release stands for its next environment.
struct Standing {
    next: Option<String>,
    satisfied: bool,
    explanation: String,
    missing: Vec<String>,
    blockers: Vec<String>,
}

/// The verdict of the next environment's policy on the live decisions, and
/// the gate's answer to a promotion now (as the release page shows them).
async fn standing(
    conn: &mut sqlx::AnyConnection,
    l: &Loaded,
    policies: &[(i64, String)],
    freezes: &[ActiveFreeze],
) -> Result<Standing, ServiceError> {
    let target = if l.release.state.is_final() {
        None
    } else {
        l.target()
    };
    let Some((env, previous)) = target else {
        return Ok(Standing {
            next: None,
            satisfied: false,
            explanation: "There is no further environment to approve for.".into(),
            missing: Vec::new(),
            // The state machine's own words when the state is the reason.
            blockers: vec![l
                .release
                .state
                .apply(Transition::Promote { break_glass: false })
                .err()
                .filter(|_| l.release.state.is_final())
                .map_or_else(
                    || "There is no further environment.".to_owned(),
                    |e| e.reason,
                )],
        });
    };
    let policy = match policies.iter().find(|(id, _)| *id == env.id) {
        Some((_, json)) => parse_policy(json)?,
        None => ApprovalPolicy::default(),
    };
    let live = approvals::live(conn, l.release.id, env.id).await?;
    let verdict: Verdict = verdict_on(policy, l, &live);
    let checklist = checklists::items(conn, l.release.id).await?;
    let deploy = super::promotion::deploy_facts(conn, &l.release.artifact, env, previous).await?;
    let facts = GateFacts {
        env,
        previous,
        verdict: &verdict,
        checklist: &checklist,
        freezes: freezes.to_vec(),
        deploy,
    };
    let blockers = match gate::decide(&l.gate_input(facts, None, false)) {
        GateDecision::Block { reasons } => reasons,
        _ => Vec::new(),
    };
    Ok(Standing {
        next: Some(env.name.clone()),
        satisfied: verdict.evaluation.satisfied,
        explanation: verdict.evaluation.explanation,
        missing: verdict.evaluation.missing,
        blockers,
    })
}
