//! The `users` table.

use slipway_domain::UserId;
use sqlx::AnyConnection;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub session_epoch: i64,
    pub created_at: i64,
    pub email: Option<String>,
}

// Booleans are read as 0/1 integers: sqlx's `Any` driver cannot map SQLite's
// BOOLEAN columns, and `CASE` reads the same on SQLite and PostgreSQL.
const COLUMNS: &str = "id, username, display_name, password_hash, \
    CASE WHEN must_change_password THEN 1 ELSE 0 END AS must_change_password, \
    CASE WHEN disabled THEN 1 ELSE 0 END AS disabled, session_epoch, created_at, email";

impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for UserRow {
    fn from_row(row: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(Self {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            password_hash: row.try_get("password_hash")?,
            must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
            disabled: row.try_get::<i64, _>("disabled")? != 0,
            session_epoch: row.try_get("session_epoch")?,
            created_at: row.try_get("created_at")?,
            email: row.try_get("email")?,
        })
    }
}

pub async fn find_by_username(
    conn: &mut AnyConnection,
    username: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE username = $1 AND kind = 'person'"
    )))
    .bind(username)
    .fetch_optional(conn)
    .await
}

pub async fn find(conn: &mut AnyConnection, id: UserId) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE kind = 'person' ORDER BY username"
    )))
    .fetch_all(conn)
    .await
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE kind = 'person'")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

pub async fn insert(
    conn: &mut AnyConnection,
    user: &NewUser<'_>,
    now: i64,
) -> Result<UserId, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (username, display_name, password_hash, must_change_password, disabled, session_epoch, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
    )
    .bind(user.username)
    .bind(user.display_name)
    .bind(user.password_hash)
    .bind(user.must_change_password)
    .bind(false)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(UserId(id))
}

/// Sets a new password and ends every other session of the user.
pub async fn set_password(
    conn: &mut AnyConnection,
    id: UserId,
    password_hash: &str,
    must_change: bool,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (epoch,): (i64,) = sqlx::query_as(
        "UPDATE users SET password_hash = $1, must_change_password = $2, session_epoch = session_epoch + 1, updated_at = $3 \
         WHERE id = $4 RETURNING session_epoch",
    )
    .bind(password_hash)
    .bind(must_change)
    .bind(now)
    .bind(id.0)
    .fetch_one(conn)
    .await?;
    Ok(epoch)
}

pub async fn set_disabled(
    conn: &mut AnyConnection,
    id: UserId,
    disabled: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET disabled = $1, session_epoch = session_epoch + 1, updated_at = $2 WHERE id = $3",
    )
    .bind(disabled)
    .bind(now)
    .bind(id.0)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets (or, with `None`, removes) a person's e-mail address.
pub async fn set_email(
    conn: &mut AnyConnection,
    id: UserId,
    email: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET email = $1, updated_at = $2 WHERE id = $3")
        .bind(email)
        .bind(now)
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// Display names of these users: `(id, display name)`.
pub async fn display_names(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, display_name FROM users WHERE id IN ({})",
        super::id_list(ids.iter().copied())
    )))
    .fetch_all(conn)
    .await
}
