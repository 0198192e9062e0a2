//! A project's repository: connection settings and release policy, the
//! mirror and its fetches (on demand and on schedule), the next-release
//! plan, forward-merge warnings, release/hotfix branches, and "where is my
//! change?" search across the projects a person can see.

use crate::accounts::require;
use crate::audit::{self, AuditSubject};
use crate::clock::format_ms;
use crate::git::{cherry, mirror, publish, GitCredential, Repo};
use crate::storage::{projects, repositories};
use crate::versioning::{self, ChangeQuery, Plan, PlanRequest};
use crate::{ServiceError, Services};
use serde_json::json;
use slipway_domain::notes::Links;
use slipway_domain::read::{ForwardMerge, FoundChange, PlanView, PlannedCommit, RepositoryView};
use slipway_domain::tagging::ReleasePolicy;
use slipway_domain::validation::{redact_credentials, url_has_credentials};
use slipway_domain::{AuditAction, FieldErrors, Permission, Principal, ProjectId};
use std::path::PathBuf;
use std::sync::Arc;

pub struct Repositories<'a> {
    pub(crate) services: &'a Services,
}

/// What people submit on the repository settings page.
#[derive(Debug, Clone)]
pub struct RepositoryInput {
    pub url: String,
    pub web_url: String,
    pub credential: String,
    pub issue_url: String,
    pub policy: ReleasePolicy,
    pub fetch_interval_s: i64,
}

/// Everything a git operation on a project's mirror needs, loaded once.
pub(crate) struct Connected {
    pub project: projects::ProjectRow,
    pub url: String,
    pub policy: ReleasePolicy,
    pub links: Links,
    pub credential: Option<GitCredential>,
    pub mirror: PathBuf,
}

impl Connected {
    pub fn id(&self) -> ProjectId {
        ProjectId(self.project.id)
    }
}

/// Runs blocking git work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServiceError::Internal(Box::new(e)))?
}

/// An http(s) address without credentials in it.
/// How many scheduled fetches run at the same time.
const SCHEDULED_FETCHES_AT_ONCE: usize = 4;

/// How long a page waits for a fetch before using the mirror as it is.
const PAGE_FETCH_WAIT: std::time::Duration = std::time::Duration::from_secs(4);

fn is_http_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://")) && !url_has_credentials(s)
}

impl Repositories<'_> {
    /// The project, visible to the actor (unknown and invisible look alike).
    pub(crate) async fn project(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<projects::ProjectRow, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let row = projects::find_by_slug(&mut conn, slug)
            .await?
            .ok_or(ServiceError::NotFound("project"))?;
        if !actor.can(Permission::ViewProject, Some(ProjectId(row.id))) {
            return Err(ServiceError::NotFound("project"));
        }
        Ok(row)
    }

    pub(crate) fn mirror_dir(&self, project: ProjectId) -> PathBuf {
        self.services
            .git
            .mirrors_dir
            .join(format!("{}.git", project.0))
    }

    /// Loads the connection of a project the actor can see.
    pub(crate) async fn connected(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<Connected, ServiceError> {
        let project = self.project(actor, slug).await?;
        self.connection_of(project).await
    }

    /// The connection of a project row (no permission check: callers have
    /// checked, or are the scheduler).
    pub(crate) async fn connection_of(
        &self,
        project: projects::ProjectRow,
    ) -> Result<Connected, ServiceError> {
        let id = ProjectId(project.id);
        let mut conn = self.services.store.pool().acquire().await?;
        let repo = repositories::find(&mut conn, id).await?;
        let (Some(url), Some(repo)) = (project.repository_url.clone(), repo) else {
            return Err(ServiceError::Conflict(
                "This project has no repository connected yet: connect one on its Repository page."
                    .into(),
            ));
        };
        let policy: ReleasePolicy = serde_json::from_str(&repo.policy_json)
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let credential = match &repo.credential {
            None => None,
            Some(name) => Some(self.services.git.credentials.get(name).cloned().ok_or_else(|| {
                ServiceError::Conflict(format!(
                    "The credential \"{name}\" is not configured on this server any more; ask an admin, or choose another on the Repository page."
                ))
            })?),
        };
        Ok(Connected {
            links: Links {
                web_url: project.repository_web_url.clone(),
                issue_url: repo.issue_url.clone(),
            },
            mirror: self.mirror_dir(id),
            project,
            url,
            policy,
            credential,
        })
    }

    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn get(&self, actor: &Principal, slug: &str) -> Result<RepositoryView, ServiceError> {
        let project = self.project(actor, slug).await?;
        let id = ProjectId(project.id);
        let mut conn = self.services.store.pool().acquire().await?;
        let repo = repositories::find(&mut conn, id).await?;
        let policy = match &repo {
            Some(r) => serde_json::from_str(&r.policy_json)
                .map_err(|e| ServiceError::Internal(Box::new(e)))?,
            None => ReleasePolicy::default(),
        };
        Ok(RepositoryView {
            project_slug: project.slug.clone(),
            project_name: project.name.clone(),
            connected: repo.is_some() && project.repository_url.is_some(),
            url: project.repository_url.as_deref().map(redact_credentials),
            web_url: project
                .repository_web_url
                .as_deref()
                .map(redact_credentials),
            credential: repo.as_ref().and_then(|r| r.credential.clone()),
            credentials_available: self.services.git.credentials.keys().cloned().collect(),
            issue_url: repo.as_ref().and_then(|r| r.issue_url.clone()),
            policy,
            fetch_interval_s: repo.as_ref().map_or(300, |r| r.fetch_interval_s),
            last_fetched_at: repo.as_ref().and_then(|r| r.last_fetched_at).map(format_ms),
            last_fetch_ms: repo.as_ref().and_then(|r| r.last_fetch_ms),
            last_fetch_error: repo.as_ref().and_then(|r| r.last_fetch_error.clone()),
            can_configure: actor.can(Permission::ConfigureRepository, Some(id)),
            can_fetch: actor.can(Permission::FetchRepository, Some(id)),
            can_edit_notes: actor.can(Permission::EditNotes, Some(id)),
            can_publish: actor.can(Permission::PublishRelease, Some(id)),
        })
    }

    /// What to fetch for a repository URL: the URL itself, or for a local
    /// path the resolved path, when this installation allows it
    /// ([`mirror::allow_local`]).
    fn local_source(&self, url: &str) -> Result<String, String> {
        match mirror::local_path(url) {
            None => Ok(url.to_owned()),
            Some(path) => {
                let git = &self.services.git;
                mirror::allow_local(&path, &git.local_repositories, &git.data_dir)
                    .map(|p| p.display().to_string())
            }
        }
    }

    /// Connects (or changes) the project's repository and release policy.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn configure(
        &self,
        actor: &Principal,
        slug: &str,
        input: &RepositoryInput,
    ) -> Result<(), ServiceError> {
        let project = self.project(actor, slug).await?;
        let id = ProjectId(project.id);
        require(actor, Permission::ConfigureRepository, Some(id))?;
        if project.archived_at.is_some() {
            return Err(ServiceError::Conflict(
                "This project is archived; restore it to change its repository.".into(),
            ));
        }
        let mut errors = match input.policy.validate() {
            Ok(()) => FieldErrors::new(),
            Err(e) => e,
        };
        let url = input.url.trim();
        if let Err(m) = mirror::validate_url(url).and_then(|()| self.local_source(url).map(drop)) {
            errors.push("url", m);
        }
        let web_url = input.web_url.trim().trim_end_matches('/');
        if !web_url.is_empty() && !is_http_url(web_url) {
            errors.push(
                "web_url",
                "The web address must start with https:// (or http://).",
            );
        }
        let issue_url = input.issue_url.trim();
        if !issue_url.is_empty() && (!is_http_url(issue_url) || !issue_url.contains("{key}")) {
            errors.push(
                "issue_url",
                "Use an http(s) address containing {key}, e.g. https://jira.example.com/browse/{key}.",
            );
        }
        let credential = input.credential.trim();
        if !credential.is_empty() && !self.services.git.credentials.contains_key(credential) {
            errors.push(
                "credential",
                format!(
                    "There is no credential named \"{credential}\" in the server's configuration."
                ),
            );
        }
        if !(0..=7 * 24 * 3600).contains(&input.fetch_interval_s)
            || (input.fetch_interval_s > 0 && input.fetch_interval_s < 60)
        {
            errors.push(
                "fetch_interval_s",
                "Fetch every 60 seconds to 7 days, or 0 to fetch only on demand.",
            );
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let policy_json = serde_json::to_string(&input.policy)
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let before = repositories::find(&mut tx, id).await?;
        projects::set_repository(
            &mut tx,
            id,
            Some(url),
            (!web_url.is_empty()).then_some(web_url),
            now,
        )
        .await?;
        repositories::upsert(
            &mut tx,
            id,
            &repositories::Settings {
                credential: (!credential.is_empty()).then_some(credential),
                issue_url: (!issue_url.is_empty()).then_some(issue_url),
                policy_json: &policy_json,
                fetch_interval_s: input.fetch_interval_s,
            },
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            if before.is_some() {
                AuditAction::RepositoryUpdated
            } else {
                AuditAction::RepositoryConnected
            },
            AuditSubject {
                id: id.to_string(),
                label: project.slug.clone(),
                project: Some(id),
            },
            before.map(|b| {
                json!({
                    "url": project.repository_url, "web_url": project.repository_web_url,
                    "credential": b.credential, "issue_url": b.issue_url,
                    "policy": serde_json::from_str::<serde_json::Value>(&b.policy_json).ok(),
                    "fetch_interval_s": b.fetch_interval_s,
                })
            }),
            Some(json!({
                "url": url, "web_url": web_url, "credential": credential, "issue_url": issue_url,
                "policy": input.policy, "fetch_interval_s": input.fetch_interval_s,
            })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Fetches the project's mirror now (creating it on first use).
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn fetch(&self, actor: &Principal, slug: &str) -> Result<(), ServiceError> {
        let c = self.connected(actor, slug).await?;
        require(actor, Permission::FetchRepository, Some(c.id()))?;
        self.sync(&c).await
    }

    /// Fetches and records the outcome; one fetch per mirror at a time.
    pub(crate) async fn sync(&self, c: &Connected) -> Result<(), ServiceError> {
        self.start_sync(c)
            .await
            .map_err(|e| ServiceError::Internal(Box::new(e)))?
    }

    /// Starts a fetch as its own task, which holds the mirror's lock and
    /// records the outcome however long the remote takes (bounded by the
    /// network timeout, [`crate::git::set_network_timeout`]), so a caller
    /// may stop waiting without leaving the mirror unlocked or the outcome
    /// unrecorded.
    fn start_sync(&self, c: &Connected) -> tokio::task::JoinHandle<Result<(), ServiceError>> {
        let services = self.services.clone();
        let (id, slug, dir, cred) = (
            c.id(),
            c.project.slug.clone(),
            c.mirror.clone(),
            c.credential.clone(),
        );
        // A local path is checked again at every fetch (the allow-list may
        // have changed, or a symlink been swapped), and what is fetched is the
        // resolved path that passed.
        let source = self.local_source(&c.url);
        tokio::spawn(async move {
            let _guard = services.mirror_lock(id).lock_owned().await;
            let started = std::time::Instant::now();
            let result = blocking(move || {
                Ok(source
                    .map_err(crate::git::GitError::Refused)
                    .and_then(|url| mirror::sync(&url, &dir, cred.as_ref())))
            })
            .await?;
            let took = started.elapsed().as_millis() as i64;
            let now = services.clock.now_ms();
            let mut conn = services.store.pool().acquire().await?;
            match result {
                Ok(()) => {
                    repositories::record_fetch(&mut conn, id, now, took, None).await?;
                    Ok(())
                }
                Err(e) => {
                    let message = e.to_string();
                    tracing::warn!(project = %slug, error = %message, "fetch failed");
                    repositories::record_fetch(&mut conn, id, now, took, Some(&message)).await?;
                    Err(e.into())
                }
            }
        })
    }

    /// The scheduled fetch: every repository that is due, each on its own
    /// (a remote that never answers delays no other project). Returns how
    /// many were fetched successfully.
    #[tracing::instrument(skip_all)]
    pub async fn fetch_due(&self) -> Result<usize, ServiceError> {
        let now = self.services.clock.now_ms();
        let due = {
            let mut conn = self.services.store.pool().acquire().await?;
            repositories::due(&mut conn, now).await?
        };
        let permits = Arc::new(tokio::sync::Semaphore::new(SCHEDULED_FETCHES_AT_ONCE));
        let mut fetches = tokio::task::JoinSet::new();
        for id in due {
            let project = {
                let mut conn = self.services.store.pool().acquire().await?;
                match projects::find(&mut conn, id).await? {
                    Some(p) => p,
                    None => continue,
                }
            };
            let slug = project.slug.clone();
            match self.connection_of(project).await {
                Ok(c) => {
                    let (services, permits) = (self.services.clone(), permits.clone());
                    fetches.spawn(async move {
                        // A few at a time: a slow remote holds one slot, never all.
                        let _slot = permits.acquire_owned().await;
                        services.repositories().start_sync(&c).await
                    });
                }
                Err(e) => tracing::warn!(project = %slug, error = %e, "cannot fetch"),
            }
        }
        let mut ok = 0;
        while let Some(done) = fetches.join_next().await {
            if matches!(done, Ok(Ok(Ok(())))) {
                ok += 1;
            }
        }
        Ok(ok)
    }

    /// Fetches, then plans the next release of a line from `rev`: the one
    /// way the portal computes a plan (the Releases page, drafting and
    /// regenerating notes).
    pub(crate) async fn fresh_plan(
        &self,
        c: &Arc<Connected>,
        rev: &str,
        component: Option<&str>,
        channel: Option<&str>,
    ) -> Result<Plan, ServiceError> {
        // On demand: the plan reflects the remote as it is now (a fetch of
        // an up-to-date mirror only exchanges ref lists). A page waits a few
        // seconds at most: a slow remote's fetch goes on, and the plan uses
        // the mirror as it is.
        let fetch = self.start_sync(c);
        match tokio::time::timeout(PAGE_FETCH_WAIT, fetch).await {
            Ok(done) => done.map_err(|e| ServiceError::Internal(Box::new(e)))??,
            Err(_) if c.mirror.join("HEAD").exists() => tracing::info!(
                project = %c.project.slug,
                "the remote is slow; planning from the last fetch"
            ),
            Err(_) => {
                return Err(ServiceError::Conflict(format!(
                    "The repository has not answered within {} seconds, and it has not been fetched before. Slipway keeps trying in the background; look again in a minute.",
                    PAGE_FETCH_WAIT.as_secs()
                )))
            }
        }
        let today = self.services.clock.today();
        let (c, rev, component, channel) = (
            c.clone(),
            rev.to_owned(),
            component.map(str::to_owned),
            channel.map(str::to_owned),
        );
        blocking(move || {
            let repo = Repo::open(&c.mirror)?;
            Ok(versioning::plan(
                &repo,
                &c.policy,
                &PlanRequest {
                    rev: &rev,
                    component: component.as_deref(),
                    channel: channel.as_deref(),
                    since: None,
                    today,
                },
            )?)
        })
        .await
    }

    /// The next release from `rev` (default: the main branch); `None` when
    /// the project has no repository connected yet.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn plan(
        &self,
        actor: &Principal,
        slug: &str,
        rev: Option<&str>,
        component: Option<&str>,
        channel: Option<&str>,
    ) -> Result<Option<PlanView>, ServiceError> {
        let project = self.project(actor, slug).await?;
        if project.repository_url.is_none() {
            // Not an error: the page says how to connect one.
            return Ok(None);
        }
        let c = Arc::new(self.connection_of(project).await?);
        let rev = rev
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or(&c.policy.main_branch)
            .to_owned();
        let channel = channel.filter(|s| !s.is_empty());
        let plan = self
            .fresh_plan(&c, &rev, component.filter(|s| !s.is_empty()), channel)
            .await?;
        let channel = channel.map(str::to_owned);
        let notes = plan.notes(&c.links, Some(self.services.clock.date_string()));
        let notes_html = self.services.markdown.render(&notes).await.to_string();
        Ok(Some(plan_view(&plan, channel, &c.links, notes_html)))
    }

    /// Release and hotfix branches with commits that are not on the main
    /// branch yet (by patch-id).
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn forward_merges(
        &self,
        actor: &Principal,
        slug: &str,
    ) -> Result<Vec<ForwardMerge>, ServiceError> {
        let project = self.project(actor, slug).await?;
        if project.repository_url.is_none() {
            return Ok(Vec::new()); // nothing to warn about without a repository
        }
        let c = match self.connection_of(project).await {
            Ok(c) => c,
            // Not set up (or a credential went missing): no warning to give.
            Err(ServiceError::Conflict(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        if !c.mirror.join("HEAD").exists() {
            return Ok(Vec::new());
        }
        let (dir, main) = (c.mirror.clone(), c.policy.main_branch.clone());
        blocking(move || {
            let mut out = Vec::new();
            for branch in cherry::forward_branches(&dir)? {
                let commits = cherry::unmerged(&dir, &branch, &main)?;
                if !commits.is_empty() {
                    out.push(ForwardMerge {
                        branch,
                        main: main.clone(),
                        commits: commits.into_iter().map(|u| (u.id, u.subject)).collect(),
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    /// Creates `release/X.Y` from a ref, or `hotfix/X.Y.Z+1` from a release
    /// tag, and pushes it. Returns the branch name.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn create_branch(
        &self,
        actor: &Principal,
        slug: &str,
        kind: BranchKind,
        from: &str,
    ) -> Result<String, ServiceError> {
        let c = self.connected(actor, slug).await?;
        require(actor, Permission::PublishRelease, Some(c.id()))?;
        let from = from.trim();
        if from.is_empty() {
            return Err(ServiceError::field(
                "from",
                "Choose where the branch starts.",
            ));
        }
        self.sync(&c).await?;
        let lock = self.services.mirror_lock(c.id());
        let _guard = lock.lock().await;
        let (dir, policy, from_owned, cred) = (
            c.mirror.clone(),
            c.policy.clone(),
            from.to_owned(),
            c.credential.clone(),
        );
        let name = blocking(move || {
            let repo = Repo::open(&dir)?;
            let line = policy.line(None).map_err(ServiceError::Conflict)?;
            let name = match kind {
                BranchKind::Hotfix => {
                    let version = line.version_of(&from_owned).filter(|v| v.pre.is_empty()).ok_or_else(|| {
                        ServiceError::field("from", format!("\"{from_owned}\" is not a release tag of this project (like {}).", line.tag_for(&semver::Version::new(1, 4, 0))))
                    })?;
                    repo.resolve(&from_owned)?;
                    slipway_domain::tagging::hotfix_branch(&version)
                }
                BranchKind::Release => {
                    let tip = repo.resolve(&from_owned)?;
                    let tags = repo.version_tags(&line)?;
                    let last = repo.latest_reachable(&tags, tip, true)?.map(|t| t.version.clone());
                    let next = policy
                        .versioning
                        .next(last.as_ref(), slipway_domain::version::Bump::Minor)
                        .unwrap_or_else(|| policy.versioning.initial_version.clone());
                    slipway_domain::tagging::release_branch(&next)
                }
            };
            publish::branch(
                &dir,
                &name,
                &from_owned,
                Some(&publish::Push { remote: "origin", credential: cred.as_ref() }),
            )?;
            Ok(name)
        })
        .await?;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        audit::record(
            &mut tx,
            actor,
            AuditAction::BranchCreated,
            AuditSubject {
                id: c.id().to_string(),
                label: format!("{}:{name}", c.project.slug),
                project: Some(c.id()),
            },
            None,
            Some(json!({ "branch": name, "from": from })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(name)
    }

    /// "Where is my change?" across every project the actor can see that
    /// has a fetched repository.
    #[tracing::instrument(skip_all)]
    pub async fn search(
        &self,
        actor: &Principal,
        query: &str,
    ) -> Result<Vec<FoundChange>, ServiceError> {
        let query = ChangeQuery::parse(query).map_err(|m| ServiceError::field("q", m))?;
        let visible = self.services.projects().list(actor, false).await?;
        let mut out = Vec::new();
        for p in visible {
            let Ok(c) = self.connected(actor, &p.slug).await else {
                continue;
            };
            if !c.mirror.join("HEAD").exists() {
                continue;
            }
            let (dir, policy, q, main) = (
                c.mirror.clone(),
                c.policy.clone(),
                query.clone(),
                c.policy.main_branch.clone(),
            );
            let found = blocking(move || {
                let repo = Repo::open(&dir)?;
                Ok(versioning::find_change(
                    &repo, &policy, None, &main, &q, 50,
                )?)
            })
            .await?;
            out.extend(found.into_iter().map(|f| FoundChange {
                project_slug: c.project.slug.clone(),
                project_name: c.project.name.clone(),
                short_id: f.id.chars().take(7).collect(),
                url: c.links.commit_url(&f.id),
                id: f.id,
                subject: f.subject,
                author: f.author,
                first_release: f.first_release,
                releases: f.releases,
            }));
        }
        Ok(out)
    }
}

/// Which branch to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchKind {
    Release,
    Hotfix,
}

pub(crate) fn plan_view(
    plan: &Plan,
    channel: Option<String>,
    links: &Links,
    notes_html: String,
) -> PlanView {
    let commits = plan
        .commits
        .iter()
        .map(|c| PlannedCommit {
            short_id: c.id.chars().take(7).collect(),
            subject: c.message.subject.clone(),
            author: c.author.clone(),
            url: links.commit_url(&c.id),
            kind: c.message.kind().map(str::to_owned),
            breaking: c.message.is_breaking(),
            drives_bump: plan.analysis.drivers.contains(&c.id),
            cancelled: plan.analysis.cancelled.contains(&c.id),
            non_conforming: plan.analysis.non_conforming.contains(&c.id),
            id: c.id.clone(),
        })
        .collect();
    PlanView {
        rev: plan.rev.clone(),
        tip: plan.tip.clone(),
        component: plan.component.clone(),
        channel,
        last_release: plan.last_release.as_ref().map(|t| t.name.clone()),
        last_prerelease: plan.last_prerelease.as_ref().map(|t| t.name.clone()),
        next: plan.next.clone(),
        next_tag: plan.next_tag.clone(),
        bump: plan.bump.to_string(),
        explanation: plan.explanation.clone(),
        commits,
        merges: plan.merges,
        notes_html,
    }
}
