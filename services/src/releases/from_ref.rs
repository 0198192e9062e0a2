//! Creating a release in one step, from a ref of the project's repository:
//! the version the engine proposes for it (or the one given), release
//! notes drafted from it as the pages draft them (and the caller's own
//! text saved over them as an edited revision, when given), and its commit
//! as the artifact (or the one given). Without a ref it is a release made
//! by hand, as on the Releases page. One method, so every caller (the API
//! today, the Releases page later) takes the same path.
//!
//! Everything that can be refused is checked before anything is written:
//! permissions, the project's state, the fields, the ref, whether there is
//! anything to release, whether the version is free. The writes that
//! follow (notes drafted, notes edited, release created) are each one
//! transaction with its audit event, as when a person does them one by one.

use super::{NewReleaseInput, Releases};
use crate::accounts::require;
use crate::git::{GitError, Repo};
use crate::notes::NOTES_MAX_BYTES;
use crate::repositories::{blocking, Connected};
use crate::storage::{notes as notes_store, releases as store};
use crate::versioning::Plan;
use crate::ServiceError;
use slipway_domain::validation::shown;
use slipway_domain::{artifact::ArtifactRef, release::ReleaseVersion};
use slipway_domain::{FieldErrors, Permission, Principal, ProjectId};
use std::sync::Arc;

/// What a caller gives to create a release (see the module comment).
#[derive(Debug, Clone, Default)]
pub struct NewFromRefInput {
    /// A branch, tag or commit of the connected repository. `None`: a
    /// release made by hand, which needs `version` (and an artifact).
    pub git_ref: Option<String>,
    /// Default: the version proposed for the ref.
    pub version: Option<ReleaseVersion>,
    /// Default: the ref's commit.
    pub artifact: Option<ArtifactRef>,
    pub title: String,
    /// Markdown saved as an edited revision of the notes drafted from the
    /// ref (needs `git_ref`).
    pub notes: Option<String>,
    /// `YYYY-MM-DD`, optional.
    pub planned: String,
}

/// The longest ref accepted (git allows longer; nobody types them).
const REF_MAX: usize = 255;

impl Releases<'_> {
    /// Creates a draft release from a ref (or by hand, without one).
    /// Returns its id.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn create_from_ref(
        &self,
        actor: &Principal,
        slug: &str,
        input: &NewFromRefInput,
    ) -> Result<i64, ServiceError> {
        let git_ref = input
            .git_ref
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let Some(git_ref) = git_ref else {
            return self.create_by_hand(actor, slug, input).await;
        };
        let project = self
            .creatable(actor, slug, &input.title, &input.planned)
            .await?
            .project;
        let pid = ProjectId(project.id);
        if git_ref.chars().count() > REF_MAX || git_ref.chars().any(char::is_control) {
            return Err(ServiceError::field(
                "ref",
                format!("Give a branch, tag or commit (at most {REF_MAX} characters)."),
            ));
        }
        let notes = input.notes.as_deref().map(notes_text).transpose()?;
        if let Some(v) = &input.version {
            self.version_free(pid, v.as_str()).await?;
        }
        let c = Arc::new(self.services.repositories().connection_of(project).await?);
        let plan = self.plan_for(&c, git_ref).await?;
        let Some(proposed) = plan.next.clone() else {
            // Nothing to draft notes from: a version given by hand still
            // makes a release of the ref's commit.
            let Some(version) = input.version.clone() else {
                return Err(ServiceError::field(
                    "ref",
                    format!(
                        "There is nothing to release from {git_ref}: {}",
                        plan.explanation
                    ),
                ));
            };
            if notes.is_some() {
                return Err(ServiceError::field(
                    "notes",
                    format!(
                        "There are no notes to draft from {git_ref} ({}); leave notes out.",
                        plan.explanation
                    ),
                ));
            }
            let artifact = match &input.artifact {
                Some(a) => a.clone(),
                None => {
                    ArtifactRef::parse(&plan.tip).map_err(|m| ServiceError::field("artifact", m))?
                }
            };
            let new = NewReleaseInput {
                version,
                title: input.title.clone(),
                notes_id: None,
                artifact: Some(artifact),
                planned: input.planned.clone(),
            };
            return self.create(actor, slug, &new).await;
        };
        require(actor, Permission::EditNotes, Some(pid))?;
        if input.version.is_none() {
            self.version_free(pid, &proposed).await?;
        }
        let notes_service = self.services.notes();
        let notes_id = notes_service
            .draft(actor, slug, Some(git_ref), None, None)
            .await?;
        if let Some(text) = &notes {
            notes_service
                .save(actor, slug, notes_id, text, 1)
                .await
                .map_err(|e| renamed(e, "body", "notes"))?;
        }
        let version = match &input.version {
            Some(v) => v.clone(),
            // The version the notes were drafted for (the plan above, unless
            // the branch moved in between).
            None => {
                let mut conn = self.services.store.pool().acquire().await?;
                let drafted = notes_store::find(&mut conn, pid, notes_id)
                    .await?
                    .map_or(proposed, |n| n.version);
                ReleaseVersion::parse(&drafted).map_err(|m| ServiceError::field("version", m))?
            }
        };
        let new = NewReleaseInput {
            version,
            title: input.title.clone(),
            notes_id: Some(notes_id),
            // `None`: the commit the notes were drafted from.
            artifact: input.artifact.clone(),
            planned: input.planned.clone(),
        };
        self.create(actor, slug, &new).await
    }

    /// A release without a ref: a version is needed, and notes cannot be
    /// drafted.
    async fn create_by_hand(
        &self,
        actor: &Principal,
        slug: &str,
        input: &NewFromRefInput,
    ) -> Result<i64, ServiceError> {
        let mut errors = FieldErrors::new();
        if input.notes.is_some() {
            errors.push(
                "notes",
                "Notes are drafted from a ref: give ref as well, or leave notes out.",
            );
        }
        let Some(version) = input.version.clone() else {
            errors.push("version", "Give the version, or a ref to propose one from.");
            return Err(errors.into());
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let new = NewReleaseInput {
            version,
            title: input.title.clone(),
            notes_id: None,
            artifact: input.artifact.clone(),
            planned: input.planned.clone(),
        };
        self.create(actor, slug, &new).await
    }

    /// The plan from `git_ref`, as the pages make it (fetching first). When
    /// the mirror does not know the ref, it is fetched once more, waiting
    /// for the remote however long it takes (within the network timeout);
    /// a ref still unknown then is the caller's mistake.
    async fn plan_for(&self, c: &Arc<Connected>, git_ref: &str) -> Result<Plan, ServiceError> {
        let repositories = self.services.repositories();
        let failed = match repositories.fresh_plan(c, git_ref, None, None).await {
            Ok(plan) => return Ok(plan),
            Err(e) => e,
        };
        if lookup(c, git_ref).await != Lookup::Unknown {
            return Err(failed);
        }
        repositories.sync(c).await?;
        match lookup(c, git_ref).await {
            Lookup::Unknown => Err(ServiceError::field(
                "ref",
                format!(
                    "\"{}\" is not a branch, tag or commit of this project's repository.",
                    shown(git_ref)
                ),
            )),
            Lookup::Empty => Err(ServiceError::field(
                "ref",
                "The repository has no commits yet.",
            )),
            Lookup::Known => repositories.fresh_plan(c, git_ref, None, None).await,
            Lookup::Unreadable => Err(failed),
        }
    }

    /// Refuses a version the project already has a release of.
    async fn version_free(&self, project: ProjectId, version: &str) -> Result<(), ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        if store::version_taken(&mut conn, project, version).await? {
            return Err(ServiceError::field(
                "version",
                format!("There is already a release {version} in this project."),
            ));
        }
        Ok(())
    }
}

/// What the mirror knows of a ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Known,
    Unknown,
    /// The repository has no commits.
    Empty,
    /// No mirror yet, or it cannot be read.
    Unreadable,
}

/// Looks `git_ref` up in the project's mirror (no fetch).
async fn lookup(c: &Arc<Connected>, git_ref: &str) -> Lookup {
    let (dir, rev) = (c.mirror.clone(), git_ref.to_owned());
    let resolved =
        blocking(move || Ok(Repo::open(&dir).and_then(|r| r.resolve(&rev).map(drop)))).await;
    match resolved {
        Ok(Ok(())) => Lookup::Known,
        Ok(Err(GitError::UnknownRef(_))) => Lookup::Unknown,
        Ok(Err(GitError::Empty)) => Lookup::Empty,
        Ok(Err(_)) | Err(_) => Lookup::Unreadable,
    }
}

/// Notes text as the notes editor saves it (LF line ends), checked before
/// anything is written. The rules are those of `Notes::save`.
fn notes_text(body: &str) -> Result<String, ServiceError> {
    let body = body.replace("\r\n", "\n");
    let problem = if body.trim().is_empty() {
        Some("Release notes cannot be empty.".to_owned())
    } else if body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        Some("Release notes contain control characters (such as NUL); remove them.".to_owned())
    } else if body.len() > NOTES_MAX_BYTES {
        Some(format!(
            "Release notes are limited to {} KB.",
            NOTES_MAX_BYTES / 1000
        ))
    } else {
        None
    };
    match problem {
        Some(m) => Err(ServiceError::field("notes", m)),
        None => Ok(body),
    }
}

/// The same error with a field renamed (a service's field name is not the
/// caller's).
fn renamed(e: ServiceError, from: &str, to: &str) -> ServiceError {
    match e {
        ServiceError::Validation(mut fields) => {
            for f in &mut fields.0 {
                if f.field == from {
                    f.field = to.to_owned();
                }
            }
            ServiceError::Validation(fields)
        }
        other => other,
    }
}
