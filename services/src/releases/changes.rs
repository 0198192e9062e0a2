//! What promoting a release changes in its next environment, for the
//! people who sign off and for the Promote confirmation: the versions it
//! skips since what runs there, and the features, fixes, breaking changes
//! (with migration notes) and issues of the commits between that release's
//! commit and this one's — worked out from git even before anyone has
//! edited (or drafted) the notes. The words are `slipway_domain::deployment::changes`.

use super::Releases;
use crate::git::Repo;
use crate::repositories::blocking;
use crate::storage::{notes as notes_store, releases as store};
use crate::versioning::{self, PlanRequest};
use crate::ServiceError;
use slipway_domain::artifact::{ArtifactKind, ArtifactRef};
use slipway_domain::deployment::changes::{summarize, RangeEntry};
use slipway_domain::deployment::view::WhatChanges;
use slipway_domain::release::ReleaseState;
use slipway_domain::Principal;
use std::sync::Arc;

impl Releases<'_> {
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn what_changes(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
    ) -> Result<WhatChanges, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let l = self.load(&mut conn, actor, slug, id).await?;
        let Some((env, prev)) = l.target().map(|(e, p)| (e.clone(), p.cloned())) else {
            return Ok(WhatChanges {
                unknown: Some("This release has reached the last environment.".into()),
                ..Default::default()
            });
        };
        let running = super::status::running(&mut conn, l.pid())
            .await?
            .into_iter()
            .find(|r| r.environment_id == env.id);
        let running_release = match &running {
            Some(r) if r.release_id != l.release.id => {
                store::find_by_id(&mut conn, r.release_id).await?
            }
            _ => None,
        };
        let this_commit = commit_of(&mut conn, &l.release).await?;
        let running_commit = match &running_release {
            Some(r) => commit_of(&mut conn, r).await?,
            None => None,
        };
        let skipped = skipped(
            &store::list(&mut conn, l.pid(), 500).await?,
            running_release.as_ref(),
            &l.release,
        );
        let config = crate::config_drift::differences(&mut conn, &env, prev.as_ref()).await?;
        drop(conn);
        let base = WhatChanges {
            environment: env.name.clone(),
            running: running_release.as_ref().map(|r| r.version.clone()),
            skipped,
            config,
            ..Default::default()
        };
        if l.project.repository_url.is_none() {
            return Ok(WhatChanges {
                unknown: Some("No repository is connected to this project, so Slipway cannot list what changed; read the release notes.".into()),
                ..base
            });
        }
        let Some(this_commit) = this_commit else {
            return Ok(WhatChanges {
                unknown: Some("This release ships an artifact by digest and has no notes drafted from a commit, so Slipway cannot tell which commits it contains.".into()),
                ..base
            });
        };
        let c = Arc::new(
            self.services
                .repositories()
                .connection_of(l.project.clone())
                .await?,
        );
        let today = self.services.clock.today();
        let planned = blocking(move || {
            let repo = Repo::open(&c.mirror)?;
            Ok(versioning::plan(
                &repo,
                &c.policy,
                &PlanRequest {
                    rev: &this_commit,
                    component: None,
                    channel: None,
                    since: running_commit.as_deref(),
                    today,
                },
            )?)
        })
        .await;
        let plan = match planned {
            Ok(p) => p,
            Err(e) => {
                tracing::info!(error = %e, "could not read the commits of a release");
                return Ok(WhatChanges {
                    unknown: Some("Slipway could not read this release's commits from the repository (is it fetched?); read the release notes.".into()),
                    ..base
                });
            }
        };
        // Oldest first: the order they were made in.
        let entries: Vec<RangeEntry<'_>> = plan
            .commits
            .iter()
            .rev()
            .map(|c| RangeEntry {
                id: &c.id,
                message: &c.message,
            })
            .collect();
        Ok(WhatChanges {
            config: base.config.clone(),
            ..summarize(
                &base.environment,
                base.running.clone(),
                base.skipped.clone(),
                &entries,
                &plan.analysis.cancelled,
            )
        })
    }
}

/// The commit a release ships: its artifact when that is a commit, else
/// the commit its notes were drafted from.
async fn commit_of(
    conn: &mut sqlx::AnyConnection,
    r: &store::ReleaseRow,
) -> Result<Option<String>, ServiceError> {
    if let Ok(a) = ArtifactRef::parse(&r.artifact) {
        if a.kind() == ArtifactKind::Commit {
            return Ok(Some(a.as_str().to_owned()));
        }
    }
    match r.notes_id {
        Some(n) => Ok(
            notes_store::find(conn, slipway_domain::ProjectId(r.project_id), n)
                .await?
                .map(|n| n.tip_commit),
        ),
        None => Ok(None),
    }
}

/// Releases with a version between what runs and this one (SemVer order)
/// that are not abandoned: promoting this one skips them there.
fn skipped(
    all: &[store::ReleaseRow],
    running: Option<&store::ReleaseRow>,
    this: &store::ReleaseRow,
) -> Vec<String> {
    let (Ok(top), Some(Ok(bottom))) = (
        semver::Version::parse(this.version.trim_start_matches('v')),
        running.map(|r| semver::Version::parse(r.version.trim_start_matches('v'))),
    ) else {
        return Vec::new();
    };
    let mut between: Vec<(semver::Version, String)> = all
        .iter()
        .filter(|r| r.id != this.id && r.state != ReleaseState::Abandoned)
        .filter_map(|r| {
            semver::Version::parse(r.version.trim_start_matches('v'))
                .ok()
                .filter(|v| *v > bottom && *v < top)
                .map(|v| (v, r.version.clone()))
        })
        .collect();
    between.sort();
    between.into_iter().map(|(_, s)| s).collect()
}
