//! Release notes: drafted from the repository, edited by people, merged
//! with new commits on regeneration (human edits win, conflicts are shown),
//! every revision kept, and published as an annotated tag.

use crate::accounts::require;
use crate::audit::{self, AuditSubject};
use crate::clock::format_ms;
use crate::error::is_unique_violation;
use crate::git::{publish, Repo};
use crate::repositories::{blocking, Connected};
use crate::storage::notes as store;
use crate::versioning::Plan;
use crate::{ServiceError, Services};
use serde_json::json;
use slipway_domain::notes::{conflict_count, diff_lines, merge, DiffLine};
use slipway_domain::read::{NotesSummary, NotesView, RevisionSummary};
use slipway_domain::{AuditAction, Permission, Principal, ProjectId};
use std::sync::Arc;

pub struct Notes<'a> {
    pub(crate) services: &'a Services,
}

/// Release notes may be long, but not unbounded.
pub const NOTES_MAX_BYTES: usize = 200_000;

fn stale(current: i64, expected: i64, latest: &store::RevisionRow) -> ServiceError {
    ServiceError::Conflict(format!(
        "Someone saved a newer revision (#{current}, by {}) since you opened revision #{expected}. \
         Your text was not saved: copy it, reload the page and apply your change again.",
        latest.author_name
    ))
}

/// A new revision of release notes: why it was made, its text, the
/// generated text it was merged against, and the plan it follows (when
/// regenerated from the repository).
struct Revision<'a> {
    kind: &'a str,
    body: &'a str,
    generated: &'a str,
    action: AuditAction,
    plan: Option<&'a Plan>,
}

impl Notes<'_> {
    async fn connected(&self, actor: &Principal, slug: &str) -> Result<Connected, ServiceError> {
        self.services.repositories().connected(actor, slug).await
    }

    /// Drafts notes for the next release from `rev`. Returns the notes id.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn draft(
        &self,
        actor: &Principal,
        slug: &str,
        rev: Option<&str>,
        component: Option<&str>,
        channel: Option<&str>,
    ) -> Result<i64, ServiceError> {
        let c = Arc::new(self.connected(actor, slug).await?);
        require(actor, Permission::EditNotes, Some(c.id()))?;
        let rev = rev
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or(&c.policy.main_branch)
            .to_owned();
        let component = component.filter(|s| !s.is_empty());
        let channel = channel.filter(|s| !s.is_empty());
        let plan = self
            .services
            .repositories()
            .fresh_plan(&c, &rev, component, channel)
            .await?;
        let (Some(version), Some(tag)) = (plan.next.clone(), plan.next_tag.clone()) else {
            return Err(ServiceError::Conflict(format!(
                "There is nothing to release from {rev}: {}",
                plan.explanation
            )));
        };
        let body = plan.notes(&c.links, Some(self.services.clock.date_string()));
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let id = store::insert(
            &mut tx,
            c.id(),
            &store::Planned {
                component,
                rev: &rev,
                channel,
                version: &version,
                tag_name: &tag,
                base_tag: plan.last_release.as_ref().map(|t| t.name.as_str()),
                tip_commit: &plan.tip,
            },
            actor.id.0,
            now,
        )
        .await?;
        store::insert_revision(
            &mut tx,
            &store::NewRevision {
                notes_id: id,
                number: 1,
                kind: "generated",
                body: &body,
                generated: &body,
                conflicts: 0,
                author: (actor.id.0, &actor.username),
            },
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            actor,
            AuditAction::NotesDrafted,
            AuditSubject {
                id: id.to_string(),
                label: format!("{} {tag}", c.project.slug),
                project: Some(c.id()),
            },
            None,
            Some(json!({ "version": version, "tag": tag, "ref": rev, "commit": plan.tip })),
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
    ) -> Result<Vec<NotesSummary>, ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        let mut conn = self.services.store.pool().acquire().await?;
        Ok(store::list(&mut conn, ProjectId(project.id), 100)
            .await?
            .into_iter()
            .map(|n| NotesSummary {
                id: n.id,
                version: n.version,
                tag_name: n.tag_name,
                component: n.component,
                rev: n.rev,
                published: n.status == "published",
                updated_at: format_ms(n.updated_at),
            })
            .collect())
    }

    async fn load(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
    ) -> Result<
        (
            crate::storage::projects::ProjectRow,
            store::NotesRow,
            store::RevisionRow,
        ),
        ServiceError,
    > {
        let project = self.services.repositories().project(actor, slug).await?;
        let mut conn = self.services.store.pool().acquire().await?;
        let notes = store::find(&mut conn, ProjectId(project.id), id)
            .await?
            .ok_or(ServiceError::NotFound("release notes"))?;
        let latest = store::latest_revision(&mut conn, id)
            .await?
            .ok_or(ServiceError::NotFound("release notes"))?;
        Ok((project, notes, latest))
    }

    #[tracing::instrument(skip_all, fields(project = %slug, notes.id = id))]
    pub async fn get(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
    ) -> Result<NotesView, ServiceError> {
        let (project, n, latest) = self.load(actor, slug, id).await?;
        let pid = ProjectId(project.id);
        let mut conn = self.services.store.pool().acquire().await?;
        let revisions = store::revisions(&mut conn, id).await?;
        let published = n.status == "published";
        Ok(NotesView {
            id: n.id,
            project_slug: project.slug,
            project_name: project.name,
            component: n.component,
            rev: n.rev,
            channel: n.channel,
            version: n.version,
            tag_name: n.tag_name,
            base_tag: n.base_tag,
            tip_commit: n.tip_commit,
            published,
            published_commit: n.published_commit,
            published_at: n.published_at.map(format_ms),
            html: self
                .services
                .markdown
                .render(&latest.body)
                .await
                .to_string(),
            body: latest.body,
            revision: latest.number,
            conflicts: latest.conflicts,
            revisions: revisions
                .into_iter()
                .map(|r| RevisionSummary {
                    number: r.number,
                    kind: r.kind,
                    author: r.author_name,
                    created_at: format_ms(r.created_at),
                    conflicts: r.conflicts,
                })
                .collect(),
            can_edit: !published && actor.can(Permission::EditNotes, Some(pid)),
            can_publish: !published && actor.can(Permission::PublishRelease, Some(pid)),
        })
    }

    /// Checks that the notes may be changed by the actor right now.
    async fn editable(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        expected_revision: i64,
    ) -> Result<
        (
            crate::storage::projects::ProjectRow,
            store::NotesRow,
            store::RevisionRow,
        ),
        ServiceError,
    > {
        let (project, n, latest) = self.load(actor, slug, id).await?;
        require(actor, Permission::EditNotes, Some(ProjectId(project.id)))?;
        if n.status == "published" {
            return Err(ServiceError::Conflict(format!(
                "These notes were published as {}; published notes do not change.",
                n.tag_name
            )));
        }
        if latest.number != expected_revision {
            return Err(stale(latest.number, expected_revision, &latest));
        }
        Ok((project, n, latest))
    }

    /// Writes a new revision and its audit event in one transaction.
    async fn write_revision(
        &self,
        actor: &Principal,
        (project, n, latest): (
            &crate::storage::projects::ProjectRow,
            &store::NotesRow,
            &store::RevisionRow,
        ),
        revision: Revision<'_>,
    ) -> Result<i64, ServiceError> {
        let Revision {
            kind,
            body,
            generated,
            action,
            plan,
        } = revision;
        let conflicts = conflict_count(body);
        let number = latest.number + 1;
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        store::insert_revision(
            &mut tx,
            &store::NewRevision {
                notes_id: n.id,
                number,
                kind,
                body,
                generated,
                conflicts: conflicts as i64,
                author: (actor.id.0, &actor.username),
            },
            now,
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                stale(number, latest.number, latest)
            } else {
                e.into()
            }
        })?;
        if let Some(plan) = plan {
            if let (Some(version), Some(tag)) = (&plan.next, &plan.next_tag) {
                store::update_plan(
                    &mut tx,
                    n.id,
                    &store::Planned {
                        component: n.component.as_deref(),
                        rev: &n.rev,
                        channel: n.channel.as_deref(),
                        version,
                        tag_name: tag,
                        base_tag: plan.last_release.as_ref().map(|t| t.name.as_str()),
                        tip_commit: &plan.tip,
                    },
                    now,
                )
                .await?;
            }
        }
        audit::record(
            &mut tx,
            actor,
            action,
            AuditSubject {
                id: n.id.to_string(),
                label: format!("{} {}", project.slug, n.tag_name),
                project: Some(ProjectId(project.id)),
            },
            Some(json!({ "revision": latest.number })),
            Some(json!({
                "revision": number, "kind": kind, "conflicts": conflicts,
                "commit": plan.map(|p| p.tip.clone()),
            })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(number)
    }

    /// Saves an edited text as a new revision. `expected_revision` is the
    /// revision the editor started from: a newer one refuses the save.
    #[tracing::instrument(skip_all, fields(project = %slug, notes.id = id))]
    pub async fn save(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        body: &str,
        expected_revision: i64,
    ) -> Result<i64, ServiceError> {
        let body = body.replace("\r\n", "\n");
        if body.trim().is_empty() {
            return Err(ServiceError::field(
                "body",
                "Release notes cannot be empty.",
            ));
        }
        // Kept byte for byte (no trimming), but no NUL or other control
        // characters besides newlines and tabs.
        if body
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(ServiceError::field(
                "body",
                "Release notes contain control characters (such as NUL); remove them and save again.",
            ));
        }
        if body.len() > NOTES_MAX_BYTES {
            return Err(ServiceError::field(
                "body",
                format!(
                    "Release notes are limited to {} KB.",
                    NOTES_MAX_BYTES / 1000
                ),
            ));
        }
        let (project, n, latest) = self.editable(actor, slug, id, expected_revision).await?;
        if body == latest.body {
            return Ok(latest.number);
        }
        self.write_revision(
            actor,
            (&project, &n, &latest),
            Revision {
                kind: "edited",
                body: &body,
                generated: &latest.generated,
                action: AuditAction::NotesEdited,
                plan: None,
            },
        )
        .await
    }

    /// Fetches, regenerates from the current commits, and merges: human
    /// edits are kept, new entries added, conflicts marked.
    #[tracing::instrument(skip_all, fields(project = %slug, notes.id = id))]
    pub async fn regenerate(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        expected_revision: i64,
    ) -> Result<(i64, usize), ServiceError> {
        let (project, n, latest) = self.editable(actor, slug, id, expected_revision).await?;
        let c = Arc::new(self.connected(actor, slug).await?);
        let plan = self
            .services
            .repositories()
            .fresh_plan(&c, &n.rev, n.component.as_deref(), n.channel.as_deref())
            .await?;
        if plan.next.is_none() {
            return Err(ServiceError::Conflict(format!(
                "There is nothing to release from {} any more: {}",
                n.rev, plan.explanation
            )));
        }
        let generated = plan.notes(&c.links, Some(self.services.clock.date_string()));
        let merged = merge(&latest.generated, &latest.body, &generated);
        let number = self
            .write_revision(
                actor,
                (&project, &n, &latest),
                Revision {
                    kind: "regenerated",
                    body: &merged.text,
                    generated: &generated,
                    action: AuditAction::NotesRegenerated,
                    plan: Some(&plan),
                },
            )
            .await?;
        Ok((number, merged.conflicts))
    }

    /// Makes an old revision's text the current one (as a new revision).
    #[tracing::instrument(skip_all, fields(project = %slug, notes.id = id))]
    pub async fn restore(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        number: i64,
        expected_revision: i64,
    ) -> Result<i64, ServiceError> {
        let (project, n, latest) = self.editable(actor, slug, id, expected_revision).await?;
        let old = {
            let mut conn = self.services.store.pool().acquire().await?;
            store::revision(&mut conn, id, number)
                .await?
                .ok_or(ServiceError::NotFound("revision"))?
        };
        self.write_revision(
            actor,
            (&project, &n, &latest),
            Revision {
                kind: "restored",
                body: &old.body,
                generated: &latest.generated,
                action: AuditAction::NotesRestored,
                plan: None,
            },
        )
        .await
    }

    /// The line-by-line difference between two revisions.
    #[tracing::instrument(skip_all, fields(project = %slug, notes.id = id))]
    pub async fn diff(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<DiffLine>, ServiceError> {
        let (_, _, _) = self.load(actor, slug, id).await?;
        let mut conn = self.services.store.pool().acquire().await?;
        let a = store::revision(&mut conn, id, from)
            .await?
            .ok_or(ServiceError::NotFound("revision"))?;
        let b = store::revision(&mut conn, id, to)
            .await?
            .ok_or(ServiceError::NotFound("revision"))?;
        Ok(diff_lines(&a.body, &b.body))
    }

    /// Publishes: an annotated tag on the notes' commit whose message is the
    /// current text, pushed to the remote; then the notes are final.
    #[tracing::instrument(skip_all, fields(project = %slug, notes.id = id))]
    pub async fn publish(
        &self,
        actor: &Principal,
        slug: &str,
        id: i64,
        expected_revision: i64,
    ) -> Result<String, ServiceError> {
        let (project, n, latest) = self.load(actor, slug, id).await?;
        let pid = ProjectId(project.id);
        require(actor, Permission::PublishRelease, Some(pid))?;
        if n.status == "published" {
            return Err(ServiceError::Conflict(format!(
                "These notes were already published as {}.",
                n.tag_name
            )));
        }
        if latest.number != expected_revision {
            return Err(stale(latest.number, expected_revision, &latest));
        }
        let conflicts = conflict_count(&latest.body);
        if conflicts > 0 {
            return Err(ServiceError::Conflict(format!(
                "The notes still have {conflicts} conflict(s) from regeneration: resolve the marked blocks and save first."
            )));
        }
        let c = Arc::new(self.connected(actor, slug).await?);
        let repos = self.services.repositories();
        repos.sync(&c).await?;
        // The commit must still be on the branch the notes were made from
        // (or on the main branch when they were made from a tag or commit).
        let expected_branch = {
            let (dir, rev) = (c.mirror.clone(), n.rev.clone());
            let main = c.policy.main_branch.clone();
            blocking(move || {
                let repo = Repo::open(&dir)?;
                let is_branch = repo.resolve(&format!("refs/heads/{rev}")).is_ok();
                Ok(if is_branch { rev } else { main })
            })
            .await?
        };
        let lock = self.services.mirror_lock(pid);
        let guard = lock.lock().await;
        let tagger = if actor.username.is_empty() {
            "Slipway".to_owned()
        } else {
            format!("{} (via Slipway)", actor.username)
        };
        let (dir, tag, commit, body, email, cred) = (
            c.mirror.clone(),
            n.tag_name.clone(),
            n.tip_commit.clone(),
            latest.body.clone(),
            self.services.git.tagger_email.clone(),
            c.credential.clone(),
        );
        let created = blocking(move || {
            Ok(publish::tag(
                &dir,
                &publish::TagRequest {
                    name: &tag,
                    target: &commit,
                    message: &body,
                    tagger_name: &tagger,
                    tagger_email: &email,
                    expected_branch: Some(&expected_branch),
                },
                Some(&publish::Push {
                    remote: "origin",
                    credential: cred.as_ref(),
                }),
            )?)
        })
        .await?;
        drop(guard);
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let marked = store::mark_published(&mut tx, id, &created.commit, actor.id.0, now)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    ServiceError::Conflict(format!(
                        "Other notes of this project were already published as {}.",
                        created.name
                    ))
                } else {
                    e.into()
                }
            })?;
        if !marked {
            return Err(ServiceError::Conflict(
                "These notes were published meanwhile.".into(),
            ));
        }
        audit::record(
            &mut tx,
            actor,
            AuditAction::ReleasePublished,
            AuditSubject {
                id: id.to_string(),
                label: format!("{} {}", project.slug, created.name),
                project: Some(pid),
            },
            None,
            Some(json!({
                "tag": created.name, "commit": created.commit, "revision": latest.number,
                "version": n.version,
            })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(created.name)
    }
}
