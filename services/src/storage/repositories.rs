//! The `repositories` table: a project's repository connection and policy.

use slipway_domain::ProjectId;
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RepositoryRow {
    pub project_id: i64,
    pub credential: Option<String>,
    pub issue_url: Option<String>,
    pub policy_json: String,
    pub fetch_interval_s: i64,
    pub last_fetched_at: Option<i64>,
    pub last_fetch_ms: Option<i64>,
    pub last_fetch_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "project_id, credential, issue_url, policy_json, fetch_interval_s, \
     last_fetched_at, last_fetch_ms, last_fetch_error, created_at, updated_at";

pub async fn find(
    conn: &mut AnyConnection,
    project: ProjectId,
) -> Result<Option<RepositoryRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM repositories WHERE project_id = $1"
    )))
    .bind(project.0)
    .fetch_optional(conn)
    .await
}

/// The connection settings people edit.
pub struct Settings<'a> {
    pub credential: Option<&'a str>,
    pub issue_url: Option<&'a str>,
    pub policy_json: &'a str,
    pub fetch_interval_s: i64,
}

pub async fn upsert(
    conn: &mut AnyConnection,
    project: ProjectId,
    s: &Settings<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO repositories (project_id, credential, issue_url, policy_json, fetch_interval_s, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (project_id) DO UPDATE SET credential = $2, issue_url = $3, policy_json = $4, \
         fetch_interval_s = $5, updated_at = $6",
    )
    .bind(project.0)
    .bind(s.credential)
    .bind(s.issue_url)
    .bind(s.policy_json)
    .bind(s.fetch_interval_s)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a fetch: when, how long it took, and the error if it failed.
pub async fn record_fetch(
    conn: &mut AnyConnection,
    project: ProjectId,
    at: i64,
    took_ms: i64,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE repositories SET last_fetched_at = $2, last_fetch_ms = $3, last_fetch_error = $4 \
         WHERE project_id = $1",
    )
    .bind(project.0)
    .bind(at)
    .bind(took_ms)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(())
}

/// Projects whose repository is due for a scheduled fetch.
pub async fn due(conn: &mut AnyConnection, now: i64) -> Result<Vec<ProjectId>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT r.project_id FROM repositories r JOIN projects p ON p.id = r.project_id \
         WHERE p.archived_at IS NULL AND p.repository_url IS NOT NULL AND r.fetch_interval_s > 0 \
         AND (r.last_fetched_at IS NULL OR r.last_fetched_at + r.fetch_interval_s * 1000 <= $1) \
         ORDER BY r.project_id",
    )
    .bind(now)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| ProjectId(id)).collect())
}
