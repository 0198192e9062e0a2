//! What runs where: for each environment of a project, the release that
//! runs there now, derived from the releases' timelines.
//!
//! The rule (one query, [`store::running`]): a release *arrives* in an
//! environment when its promotion there completes (the transition to
//! `released` recorded with that environment). What runs in an environment
//! is the release of its latest arrival that has not *left* it again: a
//! later roll-back (or abandonment) of that release recorded with that
//! environment. So rolling back the newest release of production shows the
//! one before it again; an environment nothing arrived in shows nothing.
//!
//! A roll-back is recorded with the environment the release had reached
//! (its furthest one), and abandoning with the environment it was heading
//! for, so a release abandoned on its way to production still shows where
//! it already runs: it runs there until something replaces it.
//!
//! A rollback deployment (`crate::deployments`) puts an older release back
//! without that release arriving anew: when the newest finished rollback
//! deployment of an environment is newer than the latest arrival there,
//! what it put back runs there (with the artifact it deployed).
//!
//! The artifact shown for an arrival is the release's artifact now. (The
//! rules let a release that runs somewhere change its artifact while it
//! waits for its next environment; then the one shown is the new one.)

use super::Releases;
use crate::clock::format_ms;
use crate::storage::{deployments, environments, releases as store};
use crate::ServiceError;
use slipway_domain::{EnvironmentTier, Principal, ProjectId};

/// A project's environments in promotion order, with what runs in each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectStatus {
    pub project: String,
    pub environments: Vec<EnvironmentStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentStatus {
    pub name: String,
    pub tier: EnvironmentTier,
    pub position: i64,
    /// `None` when nothing runs there (nothing arrived, or it all left).
    pub current: Option<Deployed>,
}

/// The release that runs in an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub release_id: i64,
    pub version: String,
    pub artifact: String,
    /// When it arrived there.
    pub since: String,
    /// Who promoted it there.
    pub by: String,
}

impl Releases<'_> {
    /// What runs in each environment of a project now. Three queries,
    /// however many environments and releases.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn status(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<ProjectStatus, ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        let mut conn = self.services.store.pool().acquire().await?;
        let envs = environments::for_project(&mut conn, pid).await?;
        let mut running = running(&mut conn, pid).await?;
        drop(conn);
        Ok(ProjectStatus {
            project: project.slug,
            environments: envs
                .iter()
                .map(|e| EnvironmentStatus {
                    tier: super::tier(e),
                    current: running
                        .iter()
                        .position(|r| r.environment_id == e.id)
                        .map(|i| running.swap_remove(i))
                        .map(|r| Deployed {
                            release_id: r.release_id,
                            version: r.version,
                            artifact: r.artifact,
                            since: format_ms(r.since),
                            by: r.by_name,
                        }),
                    name: e.name.clone(),
                    position: e.position,
                })
                .collect(),
        })
    }
}

/// What runs in each environment of a project (the module's rule), one
/// row per environment where something runs. Two statements.
pub(crate) async fn running(
    conn: &mut sqlx::AnyConnection,
    pid: ProjectId,
) -> Result<Vec<store::RunningRow>, ServiceError> {
    let mut arrivals = store::running(conn, pid).await?;
    let rollbacks = deployments::current_rollbacks(conn, pid.0).await?;
    for r in rollbacks {
        let since = r.finished_at.unwrap_or(r.created_at);
        let put_back = store::RunningRow {
            environment_id: r.environment_id,
            release_id: r.release_id,
            version: r.version.clone(),
            artifact: r.artifact.clone(),
            since,
            by_name: r.actor_name.clone(),
        };
        match arrivals
            .iter_mut()
            .find(|a| a.environment_id == r.environment_id)
        {
            Some(a) if a.since > since => {}
            Some(a) => *a = put_back,
            None => arrivals.push(put_back),
        }
    }
    Ok(arrivals)
}
