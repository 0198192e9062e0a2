//! Browser sessions, stored in the same database as everything else
//! (a `tower_sessions::SessionStore` over the `sessions` table).
//!
//! Beside its data, a session row keeps the id of the user signed in to it
//! (`user_id`, written from the data on every save), so that a request
//! reads its session, that user and their role grants in one statement
//! ([`signed_in`]).

use super::grants::GrantRow;
use crate::clock::{to_ms, Clock};
use crate::Store;
use async_trait::async_trait;
use serde::Deserialize;
use sqlx::AnyConnection;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    store: Store,
    clock: Clock,
}

impl DbSessionStore {
    pub fn new(store: Store, clock: Clock) -> Self {
        Self { store, clock }
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// The user a session's data says is signed in, for the `user_id` column.
fn user_id_of(record: &Record) -> Option<i64> {
    let user = record.data.get(SESSION_USER_KEY)?;
    SessionUser::deserialize(user).ok().map(|u| u.user_id.0)
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(backend)?;
        // Ids are 128 random bits; on the astronomically unlikely collision, draw again.
        for _ in 0..3 {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, data, expires_at, user_id) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(&data)
            .bind(to_ms(record.expiry_date))
            .bind(user_id_of(record))
            .execute(self.store.pool())
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(backend("could not allocate a session id"))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(backend)?;
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at, user_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, \
             user_id = excluded.user_id",
        )
        .bind(record.id.to_string())
        .bind(data)
        .bind(to_ms(record.expiry_date))
        .bind(user_id_of(record))
        .execute(self.store.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(id.to_string())
        .bind(self.clock.now_ms())
        .fetch_optional(self.store.pool())
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(backend)?,
            expiry_date: crate::clock::from_ms(expires_at),
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(self.store.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(self.clock.now_ms())
            .execute(self.store.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// The user a session row names, as [`signed_in`] reads it (no password
/// hash: a request never needs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub session_epoch: i64,
}

/// One row of [`signed_in`]: the session's data, the user its `user_id`
/// names (when that user exists) and one of their role grants (a user
/// without grants gives one row without a grant).
#[derive(Debug, Clone)]
pub struct SignedInRow {
    pub data: String,
    pub user: Option<SessionUserRow>,
    pub grant: Option<GrantRow>,
}

impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for SignedInRow {
    fn from_row(row: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        let user = match row.try_get::<Option<i64>, _>("user_id")? {
            None => None,
            Some(id) => Some(SessionUserRow {
                id,
                username: row.try_get("username")?,
                display_name: row.try_get("display_name")?,
                must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
                disabled: row.try_get::<i64, _>("disabled")? != 0,
                session_epoch: row.try_get("session_epoch")?,
            }),
        };
        let grant = match (user.as_ref(), row.try_get::<Option<i64>, _>("grant_id")?) {
            (Some(u), Some(id)) => Some(GrantRow {
                id,
                user_id: u.id,
                project_id: row.try_get("grant_project_id")?,
                role: row.try_get("grant_role")?,
                project_slug: row.try_get("project_slug")?,
                project_name: row.try_get("project_name")?,
            }),
            _ => None,
        };
        Ok(Self {
            data: row.try_get("data")?,
            user,
            grant,
        })
    }
}

/// A live (unexpired) session with the user signed in to it and that
/// user's role grants, in one statement: no rows when there is no such
/// session. Grants come in the order [`super::grants::for_user`] gives.
/// Booleans are read as 0/1 (see `users`).
pub async fn signed_in(
    conn: &mut AnyConnection,
    id: &Id,
    now_ms: i64,
) -> Result<Vec<SignedInRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.data, u.id AS user_id, u.username, u.display_name, \
         CASE WHEN u.must_change_password THEN 1 ELSE 0 END AS must_change_password, \
         CASE WHEN u.disabled THEN 1 ELSE 0 END AS disabled, u.session_epoch, \
         g.id AS grant_id, g.project_id AS grant_project_id, g.role AS grant_role, \
         p.slug AS project_slug, p.name AS project_name \
         FROM sessions s \
         LEFT JOIN users u ON u.id = s.user_id \
         LEFT JOIN role_grants g ON g.user_id = u.id \
         LEFT JOIN projects p ON p.id = g.project_id \
         WHERE s.id = $1 AND s.expires_at > $2 \
         ORDER BY p.slug, g.role",
    )
    .bind(id.to_string())
    .bind(now_ms)
    .fetch_all(conn)
    .await
}

/// What a session remembers about who is signed in. `epoch` ends the session
/// when the password changes or the account is disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionUser {
    pub user_id: slipway_domain::UserId,
    pub epoch: i64,
}

/// The key under which a session's data holds its [`SessionUser`].
pub const SESSION_USER_KEY: &str = "user";
