//! The `holds` table: artifacts rolled back out of an environment, which
//! automation does not promote there again until the hold is released.

use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HoldRow {
    pub id: i64,
    pub environment_id: i64,
    pub identity: String,
    pub version: String,
    pub reason: String,
    pub held_at: i64,
    pub held_by_name: String,
}

const COLUMNS: &str = "id, environment_id, identity, version, reason, held_at, held_by_name";

pub struct NewHold<'a> {
    pub environment_id: i64,
    pub identity: &'a str,
    pub version: &'a str,
    pub reason: &'a str,
    pub deployment_id: i64,
    pub held_by_name: &'a str,
}

/// Holds an artifact in an environment (once: holding it again is a no-op).
pub async fn insert(
    conn: &mut AnyConnection,
    h: &NewHold<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO holds (environment_id, identity, version, reason, deployment_id, held_at, held_by_name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (environment_id, identity) WHERE released_at IS NULL DO NOTHING",
    )
    .bind(h.environment_id)
    .bind(h.identity)
    .bind(h.version)
    .bind(h.reason)
    .bind(h.deployment_id)
    .bind(now)
    .bind(h.held_by_name)
    .execute(conn)
    .await?;
    Ok(())
}

/// The active hold on an artifact in an environment.
pub async fn active(
    conn: &mut AnyConnection,
    environment_id: i64,
    identity: &str,
) -> Result<Option<HoldRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM holds WHERE environment_id = $1 AND identity = $2 AND released_at IS NULL"
    )))
    .bind(environment_id)
    .bind(identity)
    .fetch_optional(conn)
    .await
}

/// Every active hold in an environment, newest first.
pub async fn active_in(
    conn: &mut AnyConnection,
    environment_id: i64,
) -> Result<Vec<HoldRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM holds WHERE environment_id = $1 AND released_at IS NULL ORDER BY id DESC"
    )))
    .bind(environment_id)
    .fetch_all(conn)
    .await
}

/// Releases a hold; false when it was not active.
pub async fn release(
    conn: &mut AnyConnection,
    id: i64,
    by: &str,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE holds SET released_at = $2, released_by_name = $3, release_reason = $4 \
         WHERE id = $1 AND released_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .bind(by)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
