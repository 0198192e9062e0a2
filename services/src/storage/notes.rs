//! The `release_notes` and `release_note_revisions` tables.

use slipway_domain::ProjectId;
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NotesRow {
    pub id: i64,
    pub project_id: i64,
    pub component: Option<String>,
    pub rev: String,
    pub channel: Option<String>,
    pub version: String,
    pub tag_name: String,
    pub base_tag: Option<String>,
    pub tip_commit: String,
    pub status: String,
    pub published_commit: Option<String>,
    pub published_at: Option<i64>,
    pub published_by: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, project_id, component, rev, channel, version, tag_name, base_tag, tip_commit, \
     status, published_commit, published_at, published_by, created_by, created_at, updated_at";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RevisionRow {
    pub id: i64,
    pub notes_id: i64,
    pub number: i64,
    pub kind: String,
    pub body: String,
    pub generated: String,
    pub conflicts: i64,
    pub author_id: Option<i64>,
    pub author_name: String,
    pub created_at: i64,
}

const REVISION_COLUMNS: &str =
    "id, notes_id, number, kind, body, generated, conflicts, author_id, author_name, created_at";

/// The release a set of notes is for, as last planned.
pub struct Planned<'a> {
    pub component: Option<&'a str>,
    pub rev: &'a str,
    pub channel: Option<&'a str>,
    pub version: &'a str,
    pub tag_name: &'a str,
    pub base_tag: Option<&'a str>,
    pub tip_commit: &'a str,
}

pub async fn insert(
    conn: &mut AnyConnection,
    project: ProjectId,
    p: &Planned<'_>,
    by: i64,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO release_notes (project_id, component, rev, channel, version, tag_name, base_tag, tip_commit, \
         status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $10, $10) RETURNING id",
    )
    .bind(project.0)
    .bind(p.component)
    .bind(p.rev)
    .bind(p.channel)
    .bind(p.version)
    .bind(p.tag_name)
    .bind(p.base_tag)
    .bind(p.tip_commit)
    .bind(by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn find(
    conn: &mut AnyConnection,
    project: ProjectId,
    id: i64,
) -> Result<Option<NotesRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM release_notes WHERE id = $1 AND project_id = $2"
    )))
    .bind(id)
    .bind(project.0)
    .fetch_optional(conn)
    .await
}

pub async fn list(
    conn: &mut AnyConnection,
    project: ProjectId,
    limit: i64,
) -> Result<Vec<NotesRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM release_notes WHERE project_id = $1 ORDER BY id DESC LIMIT $2"
    )))
    .bind(project.0)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn update_plan(
    conn: &mut AnyConnection,
    id: i64,
    p: &Planned<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE release_notes SET version = $2, tag_name = $3, base_tag = $4, tip_commit = $5, updated_at = $6 \
         WHERE id = $1 AND status = 'draft'",
    )
    .bind(id)
    .bind(p.version)
    .bind(p.tag_name)
    .bind(p.base_tag)
    .bind(p.tip_commit)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a draft published; false when it was not a draft any more.
pub async fn mark_published(
    conn: &mut AnyConnection,
    id: i64,
    commit: &str,
    by: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE release_notes SET status = 'published', published_commit = $2, published_by = $3, \
         published_at = $4, updated_at = $4 WHERE id = $1 AND status = 'draft'",
    )
    .bind(id)
    .bind(commit)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct NewRevision<'a> {
    pub notes_id: i64,
    pub number: i64,
    pub kind: &'a str,
    pub body: &'a str,
    pub generated: &'a str,
    pub conflicts: i64,
    pub author: (i64, &'a str),
}

/// Inserts a revision; the unique (notes_id, number) makes a concurrent
/// save with the same number fail instead of overwriting.
pub async fn insert_revision(
    conn: &mut AnyConnection,
    r: &NewRevision<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO release_note_revisions (notes_id, number, kind, body, generated, conflicts, author_id, author_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(r.notes_id)
    .bind(r.number)
    .bind(r.kind)
    .bind(r.body)
    .bind(r.generated)
    .bind(r.conflicts)
    .bind(r.author.0)
    .bind(r.author.1)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn latest_revision(
    conn: &mut AnyConnection,
    notes_id: i64,
) -> Result<Option<RevisionRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REVISION_COLUMNS} FROM release_note_revisions WHERE notes_id = $1 ORDER BY number DESC LIMIT 1"
    )))
    .bind(notes_id)
    .fetch_optional(conn)
    .await
}

pub async fn revision(
    conn: &mut AnyConnection,
    notes_id: i64,
    number: i64,
) -> Result<Option<RevisionRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REVISION_COLUMNS} FROM release_note_revisions WHERE notes_id = $1 AND number = $2"
    )))
    .bind(notes_id)
    .bind(number)
    .fetch_optional(conn)
    .await
}

/// All revisions, newest first.
pub async fn revisions(
    conn: &mut AnyConnection,
    notes_id: i64,
) -> Result<Vec<RevisionRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REVISION_COLUMNS} FROM release_note_revisions WHERE notes_id = $1 ORDER BY number DESC"
    )))
    .bind(notes_id)
    .fetch_all(conn)
    .await
}
