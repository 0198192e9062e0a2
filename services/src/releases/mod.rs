//! Releases, by action. A newcomer finds each by its name:
//! - [`lifecycle`]: create, submit, change (voids decisions), abandon, roll
//!   back, and the one way a release changes state;
//! - [`decisions`]: approve or reject (bound to the artifact and notes
//!   revision), revoke, and reconciling the state with the policy;
//! - [`promotion`]: promote through the gate (approval policy, checklist,
//!   freezes, break-glass);
//! - [`checklist`]: the project's template and ticking a release's items;
//! - [`policies`]: each environment's approval policy;
//! - [`sign_off_links`]: single-use links that ask one approver;
//! - [`evidence`], [`reviews`]: evidence about the artifact, post-release
//!   reviews of break-glass;
//! - [`queries`]: what pages read (release page, lists, the sign-off queue);
//! - [`from_ref`]: create in one step from a ref (version, notes, artifact);
//! - [`overview`]: what the API reads about a release named by its id alone.
//!
//! Every change is one transaction with its audit event. Rules live in the
//! domain (`release`, `approval`, `gate`, `checklist`); SQL in storage.
//!
//! Concurrency: a decision first takes the release row on the condition
//! that the artifact is still the one the approver saw, so a decision and a
//! change of artifact are serialised by the database (row lock on
//! PostgreSQL, the write lock on SQLite); one live decision per person is
//! enforced by a partial unique index.

mod changes;
mod checklist;
pub(crate) mod decisions;
pub(crate) mod evidence;
mod from_ref;
pub(crate) mod lifecycle;
mod locate;
mod overview;
mod policies;
pub(crate) mod promotion;
mod queries;
mod reviews;
mod sign_off_links;
mod status;

pub use decisions::DecisionInput;
pub use evidence::EvidenceInput;
pub use from_ref::NewFromRefInput;
pub use lifecycle::{ChangeInput, NewReleaseInput};
pub use overview::{DecisionRecord, ReleaseFilter, ReleaseOverview, ReleasePage};
pub use promotion::{BreakGlassInput, Promoted};
pub use sign_off_links::{IssuedLink, SignOffLinkError};
pub use status::{Deployed, EnvironmentStatus, ProjectStatus};

use crate::audit::{self, AuditSubject};
use crate::storage::{environments, projects, releases as store};
use crate::{ServiceError, Services};
use slipway_domain::approval::Subject;
use slipway_domain::{
    AuditAction, EnvironmentTier, Permission, Principal, ProjectId, Role, UserId,
};

pub struct Releases<'a> {
    pub(crate) services: &'a Services,
}

/// Everything about one release that the rules need, read once per action
/// and passed on (and kept current as the action changes the release).
pub(crate) struct Loaded {
    pub project: projects::ProjectRow,
    pub release: store::ReleaseRow,
    /// The project's environments in pipeline order.
    pub envs: Vec<environments::EnvironmentRow>,
}

impl Loaded {
    pub(crate) fn pid(&self) -> ProjectId {
        ProjectId(self.project.id)
    }

    pub(crate) fn env_name(&self, id: Option<i64>) -> Option<String> {
        id.and_then(|id| {
            self.envs
                .iter()
                .find(|e| e.id == id)
                .map(|e| e.name.clone())
        })
    }

    /// The environment the release goes to next, and the one before it.
    pub(crate) fn target(
        &self,
    ) -> Option<(
        &environments::EnvironmentRow,
        Option<&environments::EnvironmentRow>,
    )> {
        next_environment(&self.envs, self.release.reached_environment_id)
    }

    /// What approvers decide about (for the self-approval rule).
    fn subject(&self) -> Subject {
        subject_of(&self.release)
    }

    fn audit_subject(&self) -> AuditSubject {
        AuditSubject {
            id: self.release.id.to_string(),
            label: format!("{} {}", self.project.slug, self.release.version),
            project: Some(self.pid()),
        }
    }
}

/// What approvers decide about: who made it, what it ships.
fn subject_of(release: &store::ReleaseRow) -> Subject {
    Subject {
        author: UserId(release.author_id.unwrap_or_default()),
        artifact_creator: release.artifact_created_by.map(UserId),
        digest: release.artifact.clone(),
        notes_revision: release.notes_revision,
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
            envs.get(i + 1).map(|e| (e, envs.get(i)))
        }
    }
}

fn tier(e: &environments::EnvironmentRow) -> EnvironmentTier {
    e.tier.parse().unwrap_or(EnvironmentTier::Development)
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

impl Releases<'_> {
    /// Reads a release by id for work already allowed when it was asked
    /// for (the deployment runner); no permission is checked here.
    pub(crate) async fn load_by_id(
        conn: &mut sqlx::AnyConnection,
        id: i64,
    ) -> Result<Loaded, ServiceError> {
        let release = store::find_by_id(conn, id)
            .await?
            .ok_or(ServiceError::NotFound("release"))?;
        let project = projects::find(conn, ProjectId(release.project_id))
            .await?
            .ok_or(ServiceError::NotFound("project"))?;
        let envs = environments::for_project(conn, ProjectId(release.project_id)).await?;
        Ok(Loaded {
            project,
            release,
            envs,
        })
    }

    /// Reads a release the actor may see (unknown and invisible look alike).
    pub(crate) async fn load(
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
            project,
            release,
            envs,
        })
    }

    /// The active projects the actor may see, in the project list's order,
    /// in one query.
    async fn visible_projects(
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
    ) -> Result<Vec<projects::ProjectRow>, ServiceError> {
        let only = actor.visible_projects();
        Ok(projects::list(conn, false, only.as_deref()).await?)
    }

    /// Reads a release for a change that needs `permission`.
    pub(crate) async fn load_for(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
        (slug, id): (&str, i64),
        permission: Permission,
    ) -> Result<Loaded, ServiceError> {
        let l = self.load(conn, actor, slug, id).await?;
        crate::accounts::require(actor, permission, Some(l.pid()))?;
        Ok(l)
    }

    /// Records the audit event of a change to one release, in the
    /// transaction of the change.
    pub(crate) async fn audit(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
        l: &Loaded,
        action: AuditAction,
        (before, after): (Option<serde_json::Value>, Option<serde_json::Value>),
    ) -> Result<(), ServiceError> {
        let now = self.services.clock.now_ms();
        audit::record(conn, actor, action, l.audit_subject(), before, after, now).await
    }
}
