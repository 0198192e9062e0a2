//! The `environments` table.

use slipway_domain::environment::ValidEnvironment;
use slipway_domain::{EnvironmentId, ProjectId};
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct EnvironmentRow {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub tier: String,
    pub position: i64,
    /// How it deploys (`DeploySettings` as JSON; valid when written).
    pub deploy_settings: String,
    /// Promotion into it waits until its configuration matches the
    /// previous environment's (`storage::config_drift`).
    pub require_config_match: i64,
}

const COLUMNS: &str = "id, project_id, name, tier, position, deploy_settings, require_config_match";

pub async fn for_project(
    conn: &mut AnyConnection,
    project: ProjectId,
) -> Result<Vec<EnvironmentRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM environments WHERE project_id = $1 ORDER BY position, id"
    )))
    .bind(project.0)
    .fetch_all(conn)
    .await
}

/// Environments of many projects in one query (no N+1 on list pages).
pub async fn for_projects(
    conn: &mut AnyConnection,
    projects: &[ProjectId],
) -> Result<Vec<EnvironmentRow>, sqlx::Error> {
    if projects.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = projects.iter().map(|p| p.0.to_string()).collect();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM environments WHERE project_id IN ({}) ORDER BY project_id, position, id",
        ids.join(", ")
    )))
    .fetch_all(conn)
    .await
}

pub async fn find(
    conn: &mut AnyConnection,
    id: EnvironmentId,
) -> Result<Option<EnvironmentRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM environments WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await
}

pub async fn insert(
    conn: &mut AnyConnection,
    project: ProjectId,
    env: &ValidEnvironment,
    position: i64,
    now: i64,
) -> Result<EnvironmentId, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO environments (project_id, name, tier, position, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(project.0)
    .bind(env.name.as_str())
    .bind(env.tier.as_str())
    .bind(position)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(EnvironmentId(id))
}

pub async fn update(
    conn: &mut AnyConnection,
    id: EnvironmentId,
    env: &ValidEnvironment,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE environments SET name = $1, tier = $2, updated_at = $3 WHERE id = $4")
        .bind(env.name.as_str())
        .bind(env.tier.as_str())
        .bind(now)
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_position(
    conn: &mut AnyConnection,
    id: EnvironmentId,
    position: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE environments SET position = $1, updated_at = $2 WHERE id = $3")
        .bind(position)
        .bind(now)
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: EnvironmentId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM environments WHERE id = $1")
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores how an environment deploys (already parsed and valid).
pub async fn set_deploy_settings(
    conn: &mut AnyConnection,
    id: i64,
    json: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE environments SET deploy_settings = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(json)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
