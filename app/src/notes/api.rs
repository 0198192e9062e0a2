//! Server functions for release notes. Each authenticates, calls the notes
//! service (which checks the permission and validates), and maps the error.

use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::notes::DiffLine;
use slipway_domain::read::{NotesSummary, NotesView};

/// Drafts notes for the next release, then opens the editor.
#[server(endpoint = "notes/draft")]
pub async fn draft_notes(
    slug: String,
    #[server(default)] rev: String,
    #[server(default)] component: String,
    #[server(default)] channel: String,
) -> Result<i64, AppError> {
    use crate::server::{check, principal, redirect_to, services};
    let actor = principal()?;
    let id = check(
        services()?
            .notes()
            .draft(&actor, &slug, Some(&rev), Some(&component), Some(&channel))
            .await,
    )?;
    redirect_to(&format!("/projects/{slug}/notes/{id}"));
    Ok(id)
}

#[server(endpoint = "notes/list")]
pub async fn list_notes(slug: String) -> Result<Vec<NotesSummary>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.notes().list(&actor, &slug).await)
}

#[server(endpoint = "notes/get")]
pub async fn get_notes(slug: String, id: i64) -> Result<NotesView, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.notes().get(&actor, &slug, id).await)
}

/// Saves the edited text; returns the new revision number.
#[server(endpoint = "notes/save")]
pub async fn save_notes(
    slug: String,
    id: i64,
    expected_revision: i64,
    body: String,
) -> Result<i64, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .notes()
            .save(&actor, &slug, id, &body, expected_revision)
            .await,
    )
}

/// Fetches, regenerates and merges; returns (revision, conflicts).
#[server(endpoint = "notes/regenerate")]
pub async fn regenerate_notes(
    slug: String,
    id: i64,
    expected_revision: i64,
) -> Result<(i64, usize), AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .notes()
            .regenerate(&actor, &slug, id, expected_revision)
            .await,
    )
}

#[server(endpoint = "notes/restore")]
pub async fn restore_revision(
    slug: String,
    id: i64,
    number: i64,
    expected_revision: i64,
) -> Result<i64, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .notes()
            .restore(&actor, &slug, id, number, expected_revision)
            .await,
    )
}

#[server(endpoint = "notes/diff")]
pub async fn diff_revisions(
    slug: String,
    id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<DiffLine>, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(services()?.notes().diff(&actor, &slug, id, from, to).await)
}

/// Renders markdown to sanitized HTML for the live preview.
#[server(endpoint = "notes/preview")]
pub async fn preview_notes(markdown: String) -> Result<String, AppError> {
    use crate::server::{fail, principal, services};
    principal()?;
    if markdown.len() > slipway_services::notes::NOTES_MAX_BYTES {
        return Err(fail(AppError::Conflict(format!(
            "The text is too long to preview (at most {} KB).",
            slipway_services::notes::NOTES_MAX_BYTES / 1000
        ))));
    }
    // Off the async runtime, within a time budget, cached by content.
    Ok(services()?.markdown.render(&markdown).await.to_string())
}

/// Publishes: annotated tag with the notes, pushed. Returns the tag.
#[server(endpoint = "notes/publish")]
pub async fn publish_notes(
    slug: String,
    id: i64,
    expected_revision: i64,
) -> Result<String, AppError> {
    use crate::server::{check, principal, services};
    let actor = principal()?;
    check(
        services()?
            .notes()
            .publish(&actor, &slug, id, expected_revision)
            .await,
    )
}
