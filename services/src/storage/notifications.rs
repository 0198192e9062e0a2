//! The `notifications` table: each person's inbox, and the e-mail outbox
//! (the same rows: `email_state` is `pending`, `sent` or `failed`;
//! `email_next_at` is when the next attempt is due). Each pending e-mail
//! has a job (`storage::jobs`, kind `email`) that carries its lease.

use sqlx::AnyConnection;

/// One notification as its inbox shows it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InboxRow {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub email_state: Option<String>,
    pub email_to: Option<String>,
    pub email_error: Option<String>,
}

const INBOX_COLUMNS: &str =
    "id, kind, subject, body, link, created_at, read_at, email_state, email_to, email_error";

/// One e-mail waiting to go out.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutgoingRow {
    pub id: i64,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub email_to: Option<String>,
    pub email_link: Option<String>,
    pub email_attempts: i64,
    pub email_next_at: Option<i64>,
}

const OUTGOING_COLUMNS: &str =
    "id, subject, body, link, email_to, email_link, email_attempts, email_next_at";

/// A notification to store.
pub struct NewNotificationRow<'a> {
    pub user_id: i64,
    pub kind: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub link: &'a str,
    pub release_id: Option<i64>,
    pub created_at: i64,
    /// The e-mail queued with it, due at once.
    pub email: Option<QueuedEmail<'a>>,
}

/// Where a notification is e-mailed.
#[derive(Clone, Copy)]
pub struct QueuedEmail<'a> {
    pub to: &'a str,
    /// A path for the e-mail only (it is dropped once sent).
    pub link: Option<&'a str>,
}

/// Inserts a notification; returns its id.
pub async fn insert(
    conn: &mut AnyConnection,
    n: &NewNotificationRow<'_>,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO notifications (user_id, kind, subject, body, link, release_id, created_at, \
         email_state, email_to, email_link, email_next_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(n.user_id)
    .bind(n.kind)
    .bind(n.subject)
    .bind(n.body)
    .bind(n.link)
    .bind(n.release_id)
    .bind(n.created_at)
    .bind(n.email.map(|_| "pending"))
    .bind(n.email.map(|e| e.to))
    .bind(n.email.and_then(|e| e.link))
    .bind(n.email.map(|_| n.created_at))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A person's latest notifications, unread first.
pub async fn list_for_user(
    conn: &mut AnyConnection,
    user_id: i64,
    limit: i64,
) -> Result<Vec<InboxRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {INBOX_COLUMNS} FROM notifications WHERE user_id = $1 \
         ORDER BY read_at IS NOT NULL, created_at DESC, id DESC LIMIT $2"
    )))
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Marks one unread notification of a person read; false when it is not
/// theirs, unknown, or already read.
pub async fn mark_read(
    conn: &mut AnyConnection,
    id: i64,
    user_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $3 WHERE id = $1 AND user_id = $2 AND read_at IS NULL",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks every unread notification of a person read.
pub async fn mark_all_read(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL")
            .bind(user_id)
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Whether the notification exists and is the person's.
pub async fn belongs_to(
    conn: &mut AnyConnection,
    id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let mine: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM notifications WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    Ok(mine.is_some())
}

/// Drops the e-mail-only links of notifications created before `before`.
pub async fn forget_email_links_before(
    conn: &mut AnyConnection,
    before: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE notifications SET email_link = NULL \
         WHERE email_link IS NOT NULL AND created_at < $1",
    )
    .bind(before)
    .execute(conn)
    .await?
    .rows_affected())
}

/// A pending e-mail, to send (its job is leased by the caller).
pub async fn outgoing(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<OutgoingRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {OUTGOING_COLUMNS} FROM notifications WHERE id = $1 AND email_state = 'pending'"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Records a sent e-mail and drops its link.
pub async fn mark_sent(conn: &mut AnyConnection, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notifications SET email_state = 'sent', email_sent_at = $2, email_link = NULL, \
         email_attempts = email_attempts + 1, email_error = NULL WHERE id = $1 AND email_state = 'pending'",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The outcome of a failed attempt.
pub struct FailedAttempt<'a> {
    /// `pending` (try again at `next_at`) or `failed` (given up: the link
    /// is dropped).
    pub state: &'a str,
    pub attempts: i64,
    pub error: &'a str,
    pub next_at: i64,
}

/// Records a failed attempt.
pub async fn record_failure(
    conn: &mut AnyConnection,
    id: i64,
    f: &FailedAttempt<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notifications SET email_state = $2, email_attempts = $3, email_error = $4, \
         email_next_at = $5, email_link = CASE WHEN $2 = 'failed' THEN NULL ELSE email_link END \
         WHERE id = $1 AND email_state = 'pending'",
    )
    .bind(id)
    .bind(f.state)
    .bind(f.attempts)
    .bind(f.error)
    .bind(f.next_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives up every pending e-mail with `reason`, dropping their links.
pub async fn fail_pending(conn: &mut AnyConnection, reason: &str) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE notifications SET email_state = 'failed', email_link = NULL, \
         email_error = $1 WHERE email_state = 'pending'",
    )
    .bind(reason)
    .execute(conn)
    .await?
    .rows_affected())
}
