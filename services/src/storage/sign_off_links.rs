//! The `approval_links` table: single-use sign-off links, stored by the
//! hash of their token only.

use sqlx::AnyConnection;

pub struct NewLink<'a> {
    pub token_hash: &'a str,
    pub release_id: i64,
    pub user_id: i64,
    pub expires_at: i64,
}

pub async fn insert(
    conn: &mut AnyConnection,
    l: &NewLink<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO approval_links (token_hash, release_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(l.token_hash)
    .bind(l.release_id)
    .bind(l.user_id)
    .bind(now)
    .bind(l.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A link as found by its token's hash, with where it leads.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LinkRow {
    pub id: i64,
    pub user_id: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub project_slug: String,
    pub release_id: i64,
}

pub async fn find_by_hash(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<LinkRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT l.id, l.user_id, l.expires_at, l.used_at, p.slug AS project_slug, l.release_id FROM approval_links l \
         JOIN releases r ON r.id = l.release_id JOIN projects p ON p.id = r.project_id WHERE l.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// Uses a link up. False when it was used meanwhile.
pub async fn mark_used(conn: &mut AnyConnection, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE approval_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}
