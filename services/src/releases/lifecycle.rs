//! A release's life: created as a draft with its own checklist, submitted
//! for sign-off, changed (which voids every decision), abandoned or rolled
//! back — and [`Releases::transition`], the one way its state changes.

use super::{Loaded, Releases};
use crate::clock::format_ms;
use crate::error::is_unique_violation;
use crate::notifications::{self, NewNotification};
use crate::storage::{approvals, checklists, notes as notes_store, releases as store, Tx};
use crate::ServiceError;
use serde_json::json;
use slipway_domain::artifact::ArtifactRef;
use slipway_domain::checklist::Checklist;
use slipway_domain::release::{ReleaseState, ReleaseVersion, Transition};
use slipway_domain::validation::{bounded_text, shown};
use slipway_domain::{AuditAction, Permission, Principal, ProjectId};

/// What people enter to create a release.
#[derive(Debug, Clone)]
pub struct NewReleaseInput {
    pub version: ReleaseVersion,
    pub title: String,
    /// Release notes to ship (their current revision is bound).
    pub notes_id: Option<i64>,
    /// The commit (later: artifact digest); `None`: the notes' commit.
    pub artifact: Option<ArtifactRef>,
    /// `YYYY-MM-DD`, optional.
    pub planned: String,
}

/// A new artifact for a release, and the one the person saw (so two
/// changes at once cannot silently overwrite each other).
#[derive(Debug, Clone)]
pub struct ChangeInput {
    pub artifact: ArtifactRef,
    pub expected_artifact: String,
}

/// A release that may be created: its project, and the title and planned
/// date as parsed.
pub(super) struct Creatable {
    pub project: crate::storage::projects::ProjectRow,
    pub title: String,
    pub planned: Option<i64>,
}

/// One state change: which transition, the environment it aims at or has
/// reached, and why.
pub(crate) struct Step<'a> {
    pub transition: Transition,
    pub target: Option<i64>,
    pub reached: Option<i64>,
    pub reason: &'a str,
}

/// The longest release title.
const TITLE_MAX: usize = 200;

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

fn artifact_error(message: String) -> ServiceError {
    ServiceError::field("artifact", message)
}

impl Releases<'_> {
    /// Writes a state change with its timeline entry and audit event, and
    /// keeps `l` current.
    pub(crate) async fn transition(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        l: &mut Loaded,
        step: Step<'_>,
    ) -> Result<ReleaseState, ServiceError> {
        let Step {
            transition: t,
            target,
            reached,
            reason,
        } = step;
        let from = l.release.state;
        let to = from
            .apply(t)
            .map_err(|e| ServiceError::Conflict(e.reason))?;
        let now = self.services.clock.now_ms();
        if !store::set_state(tx, l.release.id, from, to, target, reached, now).await? {
            return Err(ServiceError::Conflict(
                "Someone changed this release at the same moment; reload and try again.".into(),
            ));
        }
        let break_glass = matches!(t, Transition::Promote { break_glass: true });
        store::insert_transition(
            tx,
            &store::NewTransition {
                release_id: l.release.id,
                from,
                to,
                transition: t.label(),
                environment_id: reached.or(target),
                actor: (actor.id.0, &actor.username),
                reason,
                break_glass,
            },
            now,
        )
        .await?;
        l.release.state = to;
        l.release.target_environment_id = target;
        if reached.is_some() {
            l.release.reached_environment_id = reached;
        }
        let after = json!({
            "state": to.as_str(), "transition": t.label(), "environment": l.env_name(reached.or(target)),
            "reason": reason, "break_glass": break_glass,
        });
        self.audit(
            tx,
            actor,
            l,
            AuditAction::ReleaseTransitioned,
            (Some(json!({ "state": from.as_str() })), Some(after)),
        )
        .await?;
        Ok(to)
    }

    /// What creating a release checks before anything is written: the
    /// project is visible and active, the actor may manage its releases,
    /// the title and the planned date parse.
    pub(super) async fn creatable(
        &self,
        actor: &Principal,
        slug: &str,
        title: &str,
        planned: &str,
    ) -> Result<Creatable, ServiceError> {
        let project = self.services.repositories().project(actor, slug).await?;
        crate::accounts::require(
            actor,
            Permission::ManageReleases,
            Some(ProjectId(project.id)),
        )?;
        if project.archived_at.is_some() {
            return Err(ServiceError::Conflict(
                "This project is archived; restore it to make releases.".into(),
            ));
        }
        let title = bounded_text(title, "The title", 0, TITLE_MAX)
            .map_err(|m| ServiceError::field("title", m))?;
        let planned = parse_planned(planned)?;
        Ok(Creatable {
            project,
            title,
            planned,
        })
    }

    /// Creates a draft release with its own checklist. Returns its id.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn create(
        &self,
        actor: &Principal,
        slug: &str,
        input: &NewReleaseInput,
    ) -> Result<i64, ServiceError> {
        let Creatable {
            project,
            title,
            planned,
        } = self
            .creatable(actor, slug, &input.title, &input.planned)
            .await?;
        let pid = ProjectId(project.id);
        let version = input.version.as_str();
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
        let artifact = match (&input.artifact, notes_commit) {
            (Some(a), _) => a.clone(),
            (None, commit) => {
                ArtifactRef::parse(commit.as_deref().unwrap_or_default()).map_err(artifact_error)?
            }
        };
        let now = self.services.clock.now_ms();
        let id = store::insert(
            &mut tx,
            pid,
            &store::NewRelease {
                version,
                title: &title,
                notes_id,
                notes_revision,
                artifact: artifact.as_str(),
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
                    format!("There is already a release {version} in this project."),
                )
            } else {
                e.into()
            }
        })?;
        let checklist: Checklist = self.template_of(&mut tx, pid).await?.instantiate();
        checklists::insert_items(&mut tx, id, &checklist.items).await?;
        crate::audit::record(
            &mut tx,
            actor,
            AuditAction::ReleaseCreated,
            crate::audit::AuditSubject {
                id: id.to_string(),
                label: format!("{} {version}", project.slug),
                project: Some(pid),
            },
            None,
            Some(json!({
                "version": version, "artifact": artifact.as_str(), "notes_id": notes_id,
                "notes_revision": notes_revision, "planned_at": planned.map(format_ms),
            })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Draft -> candidate: ask for sign-off for the first environment.
    #[tracing::instrument(skip_all, fields(project = %slug, release.id = id))]
    pub async fn submit(&self, actor: &Principal, slug: &str, id: i64) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let mut l = self
            .load_for(&mut tx, actor, (slug, id), Permission::ManageReleases)
            .await?;
        let target = l.target().map(|(e, _)| e.id).ok_or_else(|| {
            ServiceError::Conflict(
                "This project has no environments: add some before releasing.".into(),
            )
        })?;
        let step = Step {
            transition: Transition::Submit,
            target: Some(target),
            reached: None,
            reason: "",
        };
        self.transition(&mut tx, actor, &mut l, step).await?;
        self.reconcile(&mut tx, actor, &mut l).await?;
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
        let mut l = self
            .load_for(&mut tx, actor, (slug, id), Permission::ManageReleases)
            .await?;
        let step = Step {
            transition: Transition::Abandon,
            target: l.release.target_environment_id,
            reached: None,
            reason: reason.trim(),
        };
        self.transition(&mut tx, actor, &mut l, step).await?;
        tx.commit().await?;
        self.services.events.release_changed(l.project.id, id).await;
        Ok(())
    }

    /// Rolls a released release back out of the furthest environment it
    /// reached. When that environment has an earlier verified version, this
    /// is a rollback deployment of the environment (`crate::deployments`):
    /// the release is rolled back once the earlier version runs again.
    /// Otherwise (nothing to go back to) it is recorded as rolled back.
    /// Needs the rollback permission.
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
        let mut l = self
            .load_for(&mut tx, actor, (slug, id), Permission::RollBack)
            .await?;
        let env = l
            .release
            .reached_environment_id
            .and_then(|r| l.envs.iter().find(|e| e.id == r).cloned());
        if let (Some(env), ReleaseState::Released) = (env, l.release.state) {
            let runs_there = crate::storage::deployments::current(&mut tx, l.project.id)
                .await?
                .into_iter()
                .any(|d| d.environment_id == env.id && d.release_id == l.release.id);
            if runs_there {
                let request = crate::deployments::request::RollbackRequest {
                    env: &env,
                    project: &l.project,
                    automatic: None,
                    idempotency_key: None,
                    reason: reason.trim(),
                };
                match crate::deployments::request::rollback_in(
                    self.services,
                    &mut tx,
                    actor,
                    request,
                )
                .await
                {
                    Ok(_) => {
                        tx.commit().await?;
                        self.services.wake_deployments();
                        self.services.events.release_changed(l.project.id, id).await;
                        return Ok(());
                    }
                    // Nothing verified to go back to: recorded below.
                    Err(ServiceError::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let step = Step {
            transition: Transition::RollBack,
            target: None,
            reached: l.release.reached_environment_id,
            reason: reason.trim(),
        };
        self.transition(&mut tx, actor, &mut l, step).await?;
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
        input: &ChangeInput,
    ) -> Result<(), ServiceError> {
        let artifact = input.artifact.as_str();
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        // Take the row first (only while it is still changeable and still
        // ships what the caller saw), then read it once, as it is now.
        let locked = store::lock_if_changeable(&mut tx, id, &input.expected_artifact, now).await?;
        let mut l = self
            .load_for(&mut tx, actor, (slug, id), Permission::ManageReleases)
            .await?;
        if !locked {
            l.release
                .state
                .apply(Transition::Change)
                .map_err(|e| ServiceError::Conflict(e.reason))?;
            return Err(ServiceError::Conflict(
                "The artifact was changed by someone else meanwhile; reload and try again.".into(),
            ));
        }
        let revision = match l.release.notes_id {
            Some(nid) => notes_store::latest_revision(&mut tx, nid)
                .await?
                .map_or(0, |r| r.number),
            None => 0,
        };
        store::set_subject(
            &mut tx,
            id,
            &input.expected_artifact,
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
                input.artifact.short()
            )
        } else {
            format!(
                "the notes changed (revision {} → {revision})",
                l.release.notes_revision
            )
        };
        // One notice per person, whatever environments they decided for.
        let deciders = approvals::live_deciders(&mut tx, id).await?;
        let voided = approvals::end(&mut tx, id, None, &why, now).await?;
        // Evidence is about one artifact: what it ticked no longer holds.
        let unticked = if artifact != l.release.artifact {
            checklists::untick_evidence(&mut tx, id).await?
        } else {
            0
        };
        for (user, decisions) in &deciders {
            if *user == actor.id.0 {
                continue;
            }
            let what = match decisions.as_slice() {
                [first, rest @ ..] if rest.iter().all(|d| d == first) => first.noun(),
                _ => "decisions",
            };
            notifications::enqueue(
                &mut tx,
                self.services,
                &NewNotification {
                    user_id: *user,
                    kind: "decision_voided",
                    subject: format!(
                        "Your {what} of {} {} no longer counts",
                        l.project.name, l.release.version
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
        let before =
            json!({ "artifact": l.release.artifact, "notes_revision": l.release.notes_revision });
        let after = json!({ "artifact": artifact, "notes_revision": revision, "decisions_voided": voided, "evidence_ticks_undone": unticked, "why": why });
        self.audit(
            &mut tx,
            actor,
            &l,
            AuditAction::ReleaseChanged,
            (Some(before), Some(after)),
        )
        .await?;
        if l.release.state == ReleaseState::Approved {
            let step = Step {
                transition: Transition::Change,
                target: l.release.target_environment_id,
                reached: None,
                reason: &why,
            };
            self.transition(&mut tx, actor, &mut l, step).await?;
        }
        tx.commit().await?;
        self.services.notifications().wake();
        self.services.events.release_changed(l.project.id, id).await;
        Ok(())
    }
}

fn short(s: &str) -> String {
    s.chars().take(12).collect()
}
