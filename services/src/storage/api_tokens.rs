//! The `api_tokens` table (and `api_token_projects`, `installation_secrets`):
//! API tokens stored by the keyed hash of their secret only.

use super::id_list;
use slipway_domain::token::{TokenKind, TokenScope};
use sqlx::AnyConnection;

pub struct NewToken<'a> {
    pub kind: TokenKind,
    pub name: &'a str,
    pub user_id: i64,
    pub project_id: Option<i64>,
    /// `None`: every project the source can reach.
    pub projects: Option<&'a [i64]>,
    pub scopes: &'a [TokenScope],
    pub token_hash: &'a str,
    pub hint: &'a str,
    pub created_by: i64,
    pub expires_at: i64,
}

pub async fn insert(
    conn: &mut AnyConnection,
    t: &NewToken<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO api_tokens (kind, name, user_id, project_id, all_projects, scopes, token_hash, hint, created_at, created_by, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(t.kind.as_str())
    .bind(t.name)
    .bind(t.user_id)
    .bind(t.project_id)
    .bind(i64::from(t.projects.is_none()))
    .bind(TokenScope::join(t.scopes))
    .bind(t.token_hash)
    .bind(t.hint)
    .bind(now)
    .bind(t.created_by)
    .bind(t.expires_at)
    .fetch_one(&mut *conn)
    .await?;
    for project in t.projects.unwrap_or_default() {
        sqlx::query("INSERT INTO api_token_projects (token_id, project_id) VALUES ($1, $2)")
            .bind(id)
            .bind(project)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

/// A token with what the pages and the authentication need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: TokenKind,
    pub name: String,
    pub user_id: i64,
    pub project_id: Option<i64>,
    pub project_slug: Option<String>,
    pub all_projects: i64,
    pub scopes: String,
    pub hint: String,
    pub created_at: i64,
    pub created_by_name: Option<String>,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    /// The person (personal) or service account (service) it acts as.
    pub user_disabled: i64,
}

impl TokenRow {
    /// The stored scopes; an unknown one (written by a newer version) is
    /// left out, never widened.
    pub fn scopes(&self) -> Vec<TokenScope> {
        self.scopes
            .split(',')
            .filter_map(|s| s.parse().ok())
            .collect()
    }
}

const COLUMNS: &str = "t.id, t.kind, t.name, t.user_id, t.project_id, p.slug AS project_slug, \
    t.all_projects, t.scopes, t.hint, t.created_at, c.display_name AS created_by_name, t.expires_at, \
    t.revoked_at, t.last_used_at, t.last_used_ip, \
    CASE WHEN u.disabled THEN 1 ELSE 0 END AS user_disabled \
    FROM api_tokens t JOIN users u ON u.id = t.user_id \
    LEFT JOIN projects p ON p.id = t.project_id LEFT JOIN users c ON c.id = t.created_by";

pub async fn find_by_hash(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<TokenRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE t.token_hash = $1"
    )))
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<TokenRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A person's own tokens, newest first.
pub async fn personal_of(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE t.kind = 'personal' AND t.user_id = $1 ORDER BY t.id DESC"
    )))
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// A project's service tokens, newest first.
pub async fn service_of(
    conn: &mut AnyConnection,
    project_id: i64,
) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE t.kind = 'service' AND t.project_id = $1 ORDER BY t.id DESC"
    )))
    .bind(project_id)
    .fetch_all(conn)
    .await
}

/// The projects of tokens limited to some (token id, project id, slug).
pub async fn projects_of(
    conn: &mut AnyConnection,
    token_ids: &[i64],
) -> Result<Vec<(i64, i64, String)>, sqlx::Error> {
    if token_ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT tp.token_id, tp.project_id, p.slug FROM api_token_projects tp \
         JOIN projects p ON p.id = tp.project_id WHERE tp.token_id IN ({}) ORDER BY p.slug",
        id_list(token_ids.iter().copied())
    )))
    .fetch_all(conn)
    .await
}

/// Revokes a token; false when it was revoked already.
pub async fn revoke(
    conn: &mut AnyConnection,
    id: i64,
    by: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a use, at most once per `every_ms` per token (so that a busy CI
/// token does not write on every request).
pub async fn touch(
    conn: &mut AnyConnection,
    id: i64,
    ip: Option<&str>,
    now: i64,
    every_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2, last_used_ip = $3 \
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $4 OR last_used_ip IS DISTINCT FROM $3)",
    )
    .bind(id)
    .bind(now)
    .bind(ip)
    .bind(now - every_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// A service account for a service token: cannot sign in, holds no roles.
pub async fn insert_service_account(
    conn: &mut AnyConnection,
    username: &str,
    display_name: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (username, display_name, password_hash, must_change_password, disabled, session_epoch, created_at, updated_at, kind) \
         VALUES ($1, $2, '!', $3, $3, 0, $4, $4, 'service') RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(false)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// An installation secret, creating it with `fresh` when there is none yet
/// (several instances starting at once agree on the first one written).
pub async fn installation_secret(
    conn: &mut AnyConnection,
    name: &str,
    fresh: &str,
) -> Result<String, sqlx::Error> {
    sqlx::query("INSERT INTO installation_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(fresh)
        .execute(&mut *conn)
        .await?;
    let (value,): (String,) =
        sqlx::query_as("SELECT value FROM installation_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(conn)
            .await?;
    Ok(value)
}
