//! The `environment_config` and `config_must_match` tables: each
//! environment's configuration (secrets only as references) and the keys a
//! project wants equal everywhere.

use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConfigRow {
    pub environment_id: i64,
    pub key: String,
    /// `plain` or `secret`.
    pub kind: String,
    pub value: String,
}

/// The configuration of the given environments.
pub async fn for_environments(
    conn: &mut AnyConnection,
    environments: &[i64],
) -> Result<Vec<ConfigRow>, sqlx::Error> {
    if environments.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = environments.iter().map(i64::to_string).collect();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT environment_id, key, kind, value FROM environment_config \
         WHERE environment_id IN ({}) ORDER BY environment_id, key",
        ids.join(", ")
    )))
    .fetch_all(conn)
    .await
}

/// The configuration of the given environments and the project's
/// must-match keys, in one statement (the gate asks on every page): the
/// must-match keys come back with `environment_id` 0.
pub async fn with_rules(
    conn: &mut AnyConnection,
    project: i64,
    environments: &[i64],
) -> Result<Vec<ConfigRow>, sqlx::Error> {
    let ids: Vec<String> = environments.iter().map(i64::to_string).collect();
    let ids = if ids.is_empty() {
        "0".to_owned()
    } else {
        ids.join(", ")
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT environment_id, key, kind, value FROM environment_config WHERE environment_id IN ({ids}) \
         UNION ALL SELECT 0 AS environment_id, key, 'rule' AS kind, '' AS value FROM config_must_match WHERE project_id = $1 \
         ORDER BY 1, 2"
    )))
    .bind(project)
    .fetch_all(conn)
    .await
}

/// Replaces an environment's configuration with `entries` (key, kind, value).
pub async fn replace(
    conn: &mut AnyConnection,
    environment: i64,
    entries: &[(String, &'static str, String)],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM environment_config WHERE environment_id = $1")
        .bind(environment)
        .execute(&mut *conn)
        .await?;
    for (key, kind, value) in entries {
        sqlx::query(
            "INSERT INTO environment_config (environment_id, key, kind, value) VALUES ($1, $2, $3, $4)",
        )
        .bind(environment)
        .bind(key)
        .bind(*kind)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The keys that must match across a project's environments.
pub async fn must_match(
    conn: &mut AnyConnection,
    project: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT key FROM config_must_match WHERE project_id = $1 ORDER BY key")
            .bind(project)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(k,)| k).collect())
}

pub async fn set_must_match(
    conn: &mut AnyConnection,
    project: i64,
    keys: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM config_must_match WHERE project_id = $1")
        .bind(project)
        .execute(&mut *conn)
        .await?;
    for key in keys {
        sqlx::query("INSERT INTO config_must_match (project_id, key) VALUES ($1, $2)")
            .bind(project)
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Whether promotion into the environment waits for matching configuration.
pub async fn set_required(
    conn: &mut AnyConnection,
    environment: i64,
    required: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE environments SET require_config_match = $1 WHERE id = $2")
        .bind(i64::from(required))
        .bind(environment)
        .execute(conn)
        .await?;
    Ok(())
}
