//! The `freeze_windows`, `trains` and `feed_tokens` tables, and planned
//! releases for the calendar.
//!
//! Freeze rules are stored as the serde JSON of `calendar::FreezeRule`
//! (the promotion gate reads them), trains as the serde JSON of
//! `calendar::Train`; both with the IANA name of their time zone.

use slipway_domain::{ProjectId, UserId};
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FreezeRow {
    pub id: i64,
    /// `None`: every project.
    pub project_id: Option<i64>,
    pub name: String,
    pub reason: String,
    pub rule_json: String,
    pub time_zone: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TrainRow {
    pub id: i64,
    /// `None`: every project.
    pub project_id: Option<i64>,
    pub name: String,
    pub rule_json: String,
    pub time_zone: String,
    pub created_at: i64,
}

/// Who created a policy: id 0 is the built-in system actor (no user row).
fn creator(by: UserId) -> Option<i64> {
    Some(by.0).filter(|id| *id > 0)
}

/// Every freeze window, oldest first (the table stays small: a handful per
/// project).
pub async fn freezes(conn: &mut AnyConnection) -> Result<Vec<FreezeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, project_id, name, reason, rule_json, time_zone, created_at \
         FROM freeze_windows ORDER BY id",
    )
    .fetch_all(conn)
    .await
}

/// The freeze windows of one scope: one project's own (`Some`), or the
/// global ones (`None`).
pub async fn freezes_of_scope(
    conn: &mut AnyConnection,
    project: Option<ProjectId>,
) -> Result<Vec<FreezeRow>, sqlx::Error> {
    let sql = match project {
        Some(_) => {
            "SELECT id, project_id, name, reason, rule_json, time_zone, created_at \
             FROM freeze_windows WHERE project_id = $1 ORDER BY id"
        }
        None => {
            "SELECT id, project_id, name, reason, rule_json, time_zone, created_at \
             FROM freeze_windows WHERE project_id IS NULL ORDER BY id"
        }
    };
    let query = sqlx::query_as(sql);
    let query = match project {
        Some(p) => query.bind(p.0),
        None => query,
    };
    query.fetch_all(conn).await
}

/// The freeze windows that apply to `project`: its own and the global ones,
/// oldest first.
pub async fn freezes_for_project(
    conn: &mut AnyConnection,
    project: ProjectId,
) -> Result<Vec<FreezeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, project_id, name, reason, rule_json, time_zone, created_at \
         FROM freeze_windows WHERE project_id = $1 OR project_id IS NULL ORDER BY id",
    )
    .bind(project.0)
    .fetch_all(conn)
    .await
}

pub async fn find_freeze(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<FreezeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, project_id, name, reason, rule_json, time_zone, created_at \
         FROM freeze_windows WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub struct NewFreeze<'a> {
    pub project: Option<ProjectId>,
    pub name: &'a str,
    pub reason: &'a str,
    pub rule_json: &'a str,
    pub time_zone: &'a str,
    pub created_by: UserId,
}

pub async fn insert_freeze(
    conn: &mut AnyConnection,
    f: &NewFreeze<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO freeze_windows (project_id, name, reason, rule_json, time_zone, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(f.project.map(|p| p.0))
    .bind(f.name)
    .bind(f.reason)
    .bind(f.rule_json)
    .bind(f.time_zone)
    .bind(creator(f.created_by))
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// True when the row existed.
pub async fn delete_freeze(conn: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM freeze_windows WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Every release train, oldest first.
pub async fn trains(conn: &mut AnyConnection) -> Result<Vec<TrainRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, project_id, name, rule_json, time_zone, created_at FROM trains ORDER BY id",
    )
    .fetch_all(conn)
    .await
}

pub async fn find_train(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<TrainRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, project_id, name, rule_json, time_zone, created_at FROM trains WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub struct NewTrain<'a> {
    pub project: Option<ProjectId>,
    pub name: &'a str,
    pub rule_json: &'a str,
    pub time_zone: &'a str,
    pub created_by: UserId,
}

pub async fn insert_train(
    conn: &mut AnyConnection,
    t: &NewTrain<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO trains (project_id, name, rule_json, time_zone, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(t.project.map(|p| p.0))
    .bind(t.name)
    .bind(t.rule_json)
    .bind(t.time_zone)
    .bind(creator(t.created_by))
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn delete_train(conn: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM trains WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A release with a planned date, with its project.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PlannedRow {
    pub id: i64,
    pub project_id: i64,
    pub project_slug: String,
    pub project_name: String,
    pub version: String,
    pub title: String,
    pub state: String,
    pub planned_at: i64,
}

/// Releases planned in `[from, to)` (epoch ms), abandoned ones left out, in
/// date order.
pub async fn planned_between(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<Vec<PlannedRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id, r.project_id, p.slug AS project_slug, p.name AS project_name, r.version, \
         r.title, r.state, r.planned_at \
         FROM releases r JOIN projects p ON p.id = r.project_id \
         WHERE r.planned_at >= $1 AND r.planned_at < $2 AND r.state <> 'abandoned' \
         ORDER BY r.planned_at, p.slug, r.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FeedRow {
    pub id: i64,
    pub user_id: i64,
    pub project_id: Option<i64>,
    pub project_slug: Option<String>,
    pub project_name: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

const FEED_SELECT: &str = "SELECT f.id, f.user_id, f.project_id, p.slug AS project_slug, \
     p.name AS project_name, f.created_at, f.revoked_at \
     FROM feed_tokens f LEFT JOIN projects p ON p.id = f.project_id";

pub async fn insert_feed(
    conn: &mut AnyConnection,
    user: UserId,
    project: Option<ProjectId>,
    token_hash: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO feed_tokens (user_id, project_id, token_hash, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user.0)
    .bind(project.map(|p| p.0))
    .bind(token_hash)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The feed with this token hash, revoked or not.
pub async fn feed_by_hash(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<FeedRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{FEED_SELECT} WHERE f.token_hash = $1"
    )))
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// One person's feeds, newest first.
pub async fn feeds_of(conn: &mut AnyConnection, user: UserId) -> Result<Vec<FeedRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{FEED_SELECT} WHERE f.user_id = $1 ORDER BY f.id DESC"
    )))
    .bind(user.0)
    .fetch_all(conn)
    .await
}

/// Revokes one of `user`'s live feeds; false when there is none such.
pub async fn revoke_feed(
    conn: &mut AnyConnection,
    id: i64,
    user: UserId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE feed_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(user.0)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
