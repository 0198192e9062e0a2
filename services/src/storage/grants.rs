//! The `role_grants` table.

use slipway_domain::{Grant, ProjectId, Role, UserId};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub user_id: i64,
    pub project_id: Option<i64>,
    pub role: String,
    pub project_slug: Option<String>,
    pub project_name: Option<String>,
}

impl GrantRow {
    /// Rows with a role this binary does not know are skipped (logged), never
    /// turned into more access.
    pub fn to_grant(&self) -> Option<Grant> {
        match self.role.parse::<Role>() {
            Ok(role) => Some(Grant {
                project: self.project_id.map(ProjectId),
                role,
            }),
            Err(e) => {
                tracing::warn!(grant = self.id, "ignoring grant: {e}");
                None
            }
        }
    }
}

const SELECT: &str =
    "SELECT g.id, g.user_id, g.project_id, g.role, p.slug AS project_slug, p.name AS project_name \
     FROM role_grants g LEFT JOIN projects p ON p.id = g.project_id";

pub async fn for_user(
    conn: &mut AnyConnection,
    user: UserId,
) -> Result<Vec<GrantRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.user_id = $1 ORDER BY p.slug, g.role"
    )))
    .bind(user.0)
    .fetch_all(conn)
    .await
}

pub async fn all(conn: &mut AnyConnection) -> Result<Vec<GrantRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY g.user_id, p.slug, g.role"
    )))
    .fetch_all(conn)
    .await
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<GrantRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE g.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Inserts a grant; returns `None` when the user already holds it.
pub async fn insert(
    conn: &mut AnyConnection,
    user: UserId,
    grant: Grant,
    granted_by: Option<UserId>,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let existing: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM role_grants WHERE user_id = $1 AND COALESCE(project_id, 0) = $2 AND role = $3",
    )
    .bind(user.0)
    .bind(grant.project.map_or(0, |p| p.0))
    .bind(grant.role.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    if existing.is_some() {
        return Ok(None);
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO role_grants (user_id, project_id, role, granted_at, granted_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user.0)
    .bind(grant.project.map(|p| p.0))
    .bind(grant.role.as_str())
    .bind(now)
    .bind(granted_by.map(|u| u.0))
    .fetch_one(conn)
    .await?;
    Ok(Some(id))
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM role_grants WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn count_admins(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM role_grants g JOIN users u ON u.id = g.user_id \
         WHERE g.role = 'admin' AND g.project_id IS NULL AND u.disabled = $1",
    )
    .bind(false)
    .fetch_one(conn)
    .await?;
    Ok(n)
}
