//! The `releases` table and its timeline (`release_transitions`).

use slipway_domain::release::ReleaseState;
use slipway_domain::ProjectId;
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReleaseRow {
    pub id: i64,
    pub project_id: i64,
    pub version: String,
    pub title: String,
    pub notes_id: Option<i64>,
    pub notes_revision: i64,
    pub artifact: String,
    pub artifact_created_by: Option<i64>,
    pub author_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub planned_at: Option<i64>,
    #[sqlx(try_from = "String")]
    pub state: ReleaseState,
    pub target_environment_id: Option<i64>,
    pub reached_environment_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, project_id, version, title, notes_id, notes_revision, artifact, \
     artifact_created_by, author_id, owner_id, planned_at, state, target_environment_id, \
     reached_environment_id, created_at, updated_at";

pub struct NewRelease<'a> {
    pub version: &'a str,
    pub title: &'a str,
    pub notes_id: Option<i64>,
    pub notes_revision: i64,
    pub artifact: &'a str,
    pub artifact_created_by: Option<i64>,
    pub author_id: i64,
    pub owner_id: i64,
    pub planned_at: Option<i64>,
}

pub async fn insert(
    conn: &mut AnyConnection,
    project: ProjectId,
    r: &NewRelease<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO releases (project_id, version, title, notes_id, notes_revision, artifact, artifact_created_by, \
         author_id, owner_id, planned_at, state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'draft', $11, $11) RETURNING id",
    )
    .bind(project.0)
    .bind(r.version)
    .bind(r.title)
    .bind(r.notes_id)
    .bind(r.notes_revision)
    .bind(r.artifact)
    .bind(r.artifact_created_by)
    .bind(r.author_id)
    .bind(r.owner_id)
    .bind(r.planned_at)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn find(
    conn: &mut AnyConnection,
    project: ProjectId,
    id: i64,
) -> Result<Option<ReleaseRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM releases WHERE id = $1 AND project_id = $2"
    )))
    .bind(id)
    .bind(project.0)
    .fetch_optional(conn)
    .await
}

/// A project's latest releases, newest first.
pub async fn list(
    conn: &mut AnyConnection,
    project: ProjectId,
    limit: i64,
) -> Result<Vec<ReleaseRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM releases WHERE project_id = $1 ORDER BY id DESC LIMIT $2"
    )))
    .bind(project.0)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Releases of a project on their way through the pipeline: they have
/// reached an environment and are neither abandoned nor rolled back.
/// (version, reached environment id)
pub async fn reached_environments(
    conn: &mut AnyConnection,
    project: ProjectId,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT version, reached_environment_id FROM releases \
         WHERE project_id = $1 AND reached_environment_id IS NOT NULL \
         AND state NOT IN ('abandoned', 'rolled_back') ORDER BY id",
    )
    .bind(project.0)
    .fetch_all(conn)
    .await
}

/// Moves a release from `from` to `to`, only if it is still in `from`
/// (optimistic: a concurrent transition makes this return false).
pub async fn set_state(
    conn: &mut AnyConnection,
    id: i64,
    from: ReleaseState,
    to: ReleaseState,
    target_environment: Option<i64>,
    reached_environment: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE releases SET state = $3, target_environment_id = $4, \
         reached_environment_id = COALESCE($5, reached_environment_id), updated_at = $6 \
         WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(target_environment)
    .bind(reached_environment)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes what the release ships or says; only while the artifact is the
/// expected one (so a change and an approval never interleave unnoticed).
pub async fn set_subject(
    conn: &mut AnyConnection,
    id: i64,
    expected_artifact: &str,
    artifact: &str,
    notes_revision: i64,
    changed_by: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    // Whoever puts a different artifact in is its creator from then on (and
    // so may not approve it); binding a new notes revision changes nothing.
    let done = sqlx::query(
        "UPDATE releases SET artifact = $3, notes_revision = $4, updated_at = $5, \
         artifact_created_by = CASE WHEN artifact = $3 THEN artifact_created_by ELSE $6 END \
         WHERE id = $1 AND artifact = $2",
    )
    .bind(id)
    .bind(expected_artifact)
    .bind(artifact)
    .bind(notes_revision)
    .bind(now)
    .bind(changed_by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct NewTransition<'a> {
    pub release_id: i64,
    pub from: ReleaseState,
    pub to: ReleaseState,
    pub transition: &'a str,
    pub environment_id: Option<i64>,
    pub actor: (i64, &'a str),
    pub reason: &'a str,
    pub break_glass: bool,
}

pub async fn insert_transition(
    conn: &mut AnyConnection,
    t: &NewTransition<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO release_transitions (release_id, from_state, to_state, transition, environment_id, \
         actor_id, actor_name, reason, break_glass, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(t.release_id)
    .bind(t.from.as_str())
    .bind(t.to.as_str())
    .bind(t.transition)
    .bind(t.environment_id)
    .bind(t.actor.0)
    .bind(t.actor.1)
    .bind(t.reason)
    .bind(t.break_glass)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Releases of these projects that accept decisions now (candidate,
/// approved, released), newest first: the sign-off queue's candidates.
pub async fn accepting_decisions(
    conn: &mut AnyConnection,
    projects: &[ProjectId],
) -> Result<Vec<ReleaseRow>, sqlx::Error> {
    if projects.is_empty() {
        return Ok(Vec::new());
    }
    let states: Vec<String> = ReleaseState::ALL
        .into_iter()
        .filter(|s| s.accepts_decisions())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM releases WHERE project_id IN ({}) AND state IN ({}) ORDER BY id DESC",
        super::id_list(projects.iter().map(|p| p.0)),
        states.join(", ")
    )))
    .fetch_all(conn)
    .await
}

/// Takes the release row for this transaction (the row lock on PostgreSQL,
/// the write lock on SQLite), but only while it still ships `artifact`
/// with notes revision `notes_revision` (when given): what a decision or a
/// record was made about. False when it changed meanwhile (or is unknown).
pub async fn lock_if_subject(
    conn: &mut AnyConnection,
    id: i64,
    artifact: &str,
    notes_revision: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = match notes_revision {
        Some(revision) => {
            sqlx::query(
                "UPDATE releases SET updated_at = $4 WHERE id = $1 AND artifact = $2 AND notes_revision = $3",
            )
            .bind(id)
            .bind(artifact)
            .bind(revision)
            .bind(now)
            .execute(conn)
            .await?
        }
        None => {
            sqlx::query("UPDATE releases SET updated_at = updated_at WHERE id = $1 AND artifact = $2")
                .bind(id)
                .bind(artifact)
                .execute(conn)
                .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// Takes the release row while it still ships `artifact` and is in one of
/// the states whose artifact may change. False otherwise.
pub async fn lock_if_changeable(
    conn: &mut AnyConnection,
    id: i64,
    artifact: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let states: Vec<String> = ReleaseState::ALL
        .into_iter()
        .filter(|s| s.accepts_changes())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE releases SET updated_at = $3 WHERE id = $1 AND artifact = $2 AND state IN ({})",
        states.join(", ")
    )))
    .bind(id)
    .bind(artifact)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TransitionRow {
    #[sqlx(try_from = "String")]
    pub from_state: ReleaseState,
    #[sqlx(try_from = "String")]
    pub to_state: ReleaseState,
    pub environment_id: Option<i64>,
    pub actor_name: String,
    pub reason: String,
    pub break_glass: i64,
    pub created_at: i64,
}

/// A release's timeline, oldest first.
pub async fn transitions(
    conn: &mut AnyConnection,
    release_id: i64,
) -> Result<Vec<TransitionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT from_state, to_state, environment_id, actor_name, reason, \
         CASE WHEN break_glass THEN 1 ELSE 0 END AS break_glass, created_at \
         FROM release_transitions WHERE release_id = $1 ORDER BY id",
    )
    .bind(release_id)
    .fetch_all(conn)
    .await
}

/// The project (id, slug) of a release, found by the release's id alone.
pub async fn project_of(
    conn: &mut AnyConnection,
    release_id: i64,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.slug FROM releases r JOIN projects p ON p.id = r.project_id WHERE r.id = $1",
    )
    .bind(release_id)
    .fetch_optional(conn)
    .await
}

/// The release that runs in an environment now, and since when.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RunningRow {
    pub environment_id: i64,
    pub release_id: i64,
    pub version: String,
    pub artifact: String,
    /// When it arrived there (the "released" transition).
    pub since: i64,
    /// Who promoted it there.
    pub by_name: String,
}

/// What runs in each environment of a project now, in one query: per
/// environment, the latest *arrival* (a transition to `released` recorded
/// with that environment) whose release has not left it again since (no
/// later transition of the same release to `rolled_back` or `abandoned`
/// recorded with that environment). Environments nothing ever arrived in,
/// or that everything left again, have no row.
pub async fn running(
    conn: &mut AnyConnection,
    project: ProjectId,
) -> Result<Vec<RunningRow>, sqlx::Error> {
    sqlx::query_as(
        "WITH arrivals AS ( \
           SELECT a.id, a.environment_id, a.release_id, a.created_at, a.actor_name, \
                  ROW_NUMBER() OVER (PARTITION BY a.environment_id ORDER BY a.id DESC) AS latest \
           FROM release_transitions a JOIN releases r ON r.id = a.release_id \
           WHERE r.project_id = $1 AND a.to_state = 'released' AND a.environment_id IS NOT NULL \
             AND NOT EXISTS ( \
               SELECT 1 FROM release_transitions gone \
               WHERE gone.release_id = a.release_id AND gone.id > a.id \
                 AND gone.environment_id = a.environment_id \
                 AND gone.to_state IN ('rolled_back', 'abandoned'))) \
         SELECT arrivals.environment_id, r.id AS release_id, r.version, r.artifact, \
                arrivals.created_at AS since, arrivals.actor_name AS by_name \
         FROM arrivals JOIN releases r ON r.id = arrivals.release_id \
         WHERE arrivals.latest = 1 ORDER BY arrivals.environment_id",
    )
    .bind(project.0)
    .fetch_all(conn)
    .await
}

/// A release by its id alone (the API names releases by id). The caller
/// checks that the actor may see the release's project.
pub async fn find_by_id(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<ReleaseRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM releases WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// One page of a project's releases, newest first: only those older than
/// `before` (a release id) when given, only in `state` when given, at most
/// `limit`.
pub async fn page(
    conn: &mut AnyConnection,
    project: ProjectId,
    state: Option<ReleaseState>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ReleaseRow>, sqlx::Error> {
    // The state comes from the enum, so writing it into the SQL text is safe;
    // the optional id gets its own placeholder only when present.
    let state_filter = state
        .map(|s| format!(" AND state = '{}'", s.as_str()))
        .unwrap_or_default();
    match before {
        Some(before) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM releases WHERE project_id = $1 AND id < $2{state_filter} \
                 ORDER BY id DESC LIMIT $3"
            )))
            .bind(project.0)
            .bind(before)
            .bind(limit)
            .fetch_all(conn)
            .await
        }
        None => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM releases WHERE project_id = $1{state_filter} \
                 ORDER BY id DESC LIMIT $2"
            )))
            .bind(project.0)
            .bind(limit)
            .fetch_all(conn)
            .await
        }
    }
}

/// The Markdown of the notes revision each of these releases ships:
/// `(release id, text)`; releases without notes are left out.
pub async fn bound_notes(
    conn: &mut AnyConnection,
    releases: &[i64],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if releases.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.id, v.body FROM releases r \
         JOIN release_note_revisions v ON v.notes_id = r.notes_id AND v.number = r.notes_revision \
         WHERE r.id IN ({})",
        super::id_list(releases.iter().copied())
    )))
    .fetch_all(conn)
    .await
}

/// Whether the project already has a release with this version.
pub async fn version_taken(
    conn: &mut AnyConnection,
    project: ProjectId,
    version: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM releases WHERE project_id = $1 AND version = $2")
            .bind(project.0)
            .bind(version)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}
