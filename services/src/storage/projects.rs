//! The `projects` and `project_dependencies` tables.

use super::Backend;
use slipway_domain::project::ValidProject;
use slipway_domain::ProjectId;
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct ProjectRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub repository_url: Option<String>,
    pub repository_web_url: Option<String>,
    pub archived_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, slug, name, description, repository_url, repository_web_url, archived_at, created_at, updated_at";

pub async fn find_by_slug(
    conn: &mut AnyConnection,
    slug: &str,
) -> Result<Option<ProjectRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM projects WHERE slug = $1"
    )))
    .bind(slug)
    .fetch_optional(conn)
    .await
}

/// Sets the repository URL and web URL (the Repository page).
pub async fn set_repository(
    conn: &mut AnyConnection,
    id: ProjectId,
    url: Option<&str>,
    web_url: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE projects SET repository_url = $2, repository_web_url = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id.0)
    .bind(url)
    .bind(web_url)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(
    conn: &mut AnyConnection,
    id: ProjectId,
) -> Result<Option<ProjectRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM projects WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await
}

/// Projects in name order; `only` restricts to the given ids (`None` = all).
pub async fn list(
    conn: &mut AnyConnection,
    include_archived: bool,
    only: Option<&[ProjectId]>,
) -> Result<Vec<ProjectRow>, sqlx::Error> {
    let mut sql = format!("SELECT {COLUMNS} FROM projects WHERE 1 = 1");
    if !include_archived {
        sql.push_str(" AND archived_at IS NULL");
    }
    if let Some(ids) = only {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // ids are integers we produced, never user text.
        let list: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
        sql.push_str(&format!(" AND id IN ({})", list.join(", ")));
    }
    sql.push_str(" ORDER BY archived_at IS NOT NULL, LOWER(name), id");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await
}

pub async fn insert(
    conn: &mut AnyConnection,
    p: &ValidProject,
    now: i64,
) -> Result<ProjectId, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO projects (slug, name, description, repository_url, repository_web_url, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(p.slug.as_str())
    .bind(p.name.as_str())
    .bind(&p.description)
    .bind(p.repository_url.as_deref())
    .bind(p.repository_web_url.as_deref())
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(ProjectId(id))
}

pub async fn update(
    conn: &mut AnyConnection,
    id: ProjectId,
    p: &ValidProject,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE projects SET slug = $1, name = $2, description = $3, repository_url = $4, repository_web_url = $5, updated_at = $6 \
         WHERE id = $7",
    )
    .bind(p.slug.as_str())
    .bind(p.name.as_str())
    .bind(&p.description)
    .bind(p.repository_url.as_deref())
    .bind(p.repository_web_url.as_deref())
    .bind(now)
    .bind(id.0)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_archived(
    conn: &mut AnyConnection,
    id: ProjectId,
    archived_at: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE projects SET archived_at = $1, updated_at = $2 WHERE id = $3")
        .bind(archived_at)
        .bind(now)
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM projects")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// Every dependency, as `(project_id, depends_on_id)` pairs (the table stays
/// small: a few per project).
pub async fn dependencies(conn: &mut AnyConnection) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT project_id, depends_on_id FROM project_dependencies \
         ORDER BY project_id, depends_on_id",
    )
    .fetch_all(conn)
    .await
}

/// Makes concurrent changes to dependencies take turns, so two people cannot
/// each add one half of a loop. PostgreSQL: a table lock that conflicts only
/// with itself and writers (readers go on); SQLite: writers already take turns.
pub async fn lock_dependencies(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<(), sqlx::Error> {
    if backend == Backend::Postgres {
        sqlx::query("LOCK TABLE project_dependencies IN SHARE ROW EXCLUSIVE MODE")
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub async fn add_dependency(
    conn: &mut AnyConnection,
    project: ProjectId,
    depends_on: ProjectId,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO project_dependencies (project_id, depends_on_id, created_at) \
         VALUES ($1, $2, $3)",
    )
    .bind(project.0)
    .bind(depends_on.0)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove_dependency(
    conn: &mut AnyConnection,
    project: ProjectId,
    depends_on: ProjectId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM project_dependencies WHERE project_id = $1 AND depends_on_id = $2")
        .bind(project.0)
        .bind(depends_on.0)
        .execute(conn)
        .await?;
    Ok(())
}
