//! The `releases`, `release_transitions` and `approvals` tables.

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
    pub state: String,
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
    from: &str,
    to: &str,
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
    .bind(from)
    .bind(to)
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
    pub from: &'a str,
    pub to: &'a str,
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
    .bind(t.from)
    .bind(t.to)
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

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApprovalRow {
    pub id: i64,
    pub release_id: i64,
    pub environment_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub roles: String,
    pub decision: String,
    pub comment: String,
    pub artifact: String,
    pub notes_revision: i64,
    pub created_at: i64,
    pub ended_at: Option<i64>,
    pub ended_reason: Option<String>,
}

const APPROVAL_COLUMNS: &str =
    "id, release_id, environment_id, user_id, user_name, roles, decision, \
     comment, artifact, notes_revision, created_at, ended_at, ended_reason";

pub struct NewApproval<'a> {
    pub release_id: i64,
    pub environment_id: i64,
    pub user: (i64, &'a str),
    pub roles: &'a str,
    pub decision: &'a str,
    pub comment: &'a str,
    pub artifact: &'a str,
    pub notes_revision: i64,
}

/// Records a decision. The partial unique index allows one live decision
/// per person: the caller ends the previous one in the same transaction,
/// and a concurrent duplicate fails with a unique violation.
pub async fn insert_approval(
    conn: &mut AnyConnection,
    a: &NewApproval<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO approvals (release_id, environment_id, user_id, user_name, roles, decision, comment, \
         artifact, notes_revision, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(a.release_id)
    .bind(a.environment_id)
    .bind(a.user.0)
    .bind(a.user.1)
    .bind(a.roles)
    .bind(a.decision)
    .bind(a.comment)
    .bind(a.artifact)
    .bind(a.notes_revision)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends live decisions: one person's (`user` Some), or everyone's on a
/// release (the subject changed). Returns how many ended.
pub async fn end_approvals(
    conn: &mut AnyConnection,
    release_id: i64,
    user: Option<i64>,
    reason: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = match user {
        Some(u) => {
            sqlx::query(
                "UPDATE approvals SET ended_at = $3, ended_reason = $4 \
                 WHERE release_id = $1 AND user_id = $2 AND ended_at IS NULL",
            )
            .bind(release_id)
            .bind(u)
            .bind(now)
            .bind(reason)
            .execute(conn)
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE approvals SET ended_at = $2, ended_reason = $3 \
                 WHERE release_id = $1 AND ended_at IS NULL",
            )
            .bind(release_id)
            .bind(now)
            .bind(reason)
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected())
}

/// Live decisions for a release and environment, oldest first.
pub async fn live_approvals(
    conn: &mut AnyConnection,
    release_id: i64,
    environment_id: i64,
) -> Result<Vec<ApprovalRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE release_id = $1 AND environment_id = $2 \
         AND ended_at IS NULL ORDER BY id"
    )))
    .bind(release_id)
    .bind(environment_id)
    .fetch_all(conn)
    .await
}

/// Every decision ever made on a release, newest first (for the record).
pub async fn all_approvals(
    conn: &mut AnyConnection,
    release_id: i64,
) -> Result<Vec<ApprovalRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE release_id = $1 ORDER BY id DESC"
    )))
    .bind(release_id)
    .fetch_all(conn)
    .await
}

pub async fn approval_policy(
    conn: &mut AnyConnection,
    environment_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT policy_json FROM approval_policies WHERE environment_id = $1")
            .bind(environment_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(p,)| p))
}

pub async fn set_approval_policy(
    conn: &mut AnyConnection,
    environment_id: i64,
    policy_json: &str,
    by: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO approval_policies (environment_id, policy_json, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (environment_id) DO UPDATE SET policy_json = $2, updated_by = $3, updated_at = $4",
    )
    .bind(environment_id)
    .bind(policy_json)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
