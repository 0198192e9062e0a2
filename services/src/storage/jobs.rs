//! The `jobs` table: leased work that outlives a request.
//!
//! A job is taken by a conditional UPDATE that sets a lease in the future
//! only if nobody holds an unexpired one, so on SQLite and PostgreSQL alike
//! exactly one runner (of any instance) gets it. The holder renews the
//! lease while it works; a runner that dies lets it lapse and another takes
//! the job over.

use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub subject_id: i64,
    pub attempts: i64,
    /// Set when an earlier holder's lease lapsed (it stopped mid-way).
    pub lease_owner: Option<String>,
}

/// Adds a job (once per kind and subject: adding it again is a no-op).
pub async fn enqueue(
    conn: &mut AnyConnection,
    kind: &str,
    subject_id: i64,
    run_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO jobs (kind, subject_id, run_at, created_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (kind, subject_id) DO UPDATE SET done_at = NULL, run_at = EXCLUDED.run_at \
         WHERE jobs.done_at IS NOT NULL",
    )
    .bind(kind)
    .bind(subject_id)
    .bind(run_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Jobs of `kind` due at `now` and not leased (or whose lease lapsed),
/// oldest first.
pub async fn due(
    conn: &mut AnyConnection,
    kind: &str,
    now: i64,
    limit: i64,
) -> Result<Vec<JobRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, kind, subject_id, attempts, lease_owner FROM jobs \
         WHERE kind = $1 AND done_at IS NULL AND run_at <= $2 \
         AND (lease_until IS NULL OR lease_until < $2) ORDER BY run_at, id LIMIT $3",
    )
    .bind(kind)
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Takes a job until `until` if nobody holds a live lease on it; true when
/// taken.
pub async fn lease(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET lease_owner = $2, lease_until = $4, attempts = attempts + 1 \
         WHERE id = $1 AND done_at IS NULL AND (lease_until IS NULL OR lease_until < $3)",
    )
    .bind(id)
    .bind(owner)
    .bind(now)
    .bind(until)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Extends a lease this owner holds; false when it lost it.
pub async fn renew(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND done_at IS NULL",
    )
    .bind(id)
    .bind(owner)
    .bind(until)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a job this owner holds.
pub async fn finish(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET done_at = $3, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives a held job back to run again at `run_at` (e.g. waiting for its
/// turn), recording why.
pub async fn release(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    run_at: i64,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET lease_until = NULL, lease_owner = NULL, run_at = $3, \
         last_error = COALESCE($4, last_error) WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .bind(run_at)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes a job due now (a deployment ended, the next may start).
pub async fn wake(
    conn: &mut AnyConnection,
    kind: &str,
    subject_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET run_at = $3 WHERE kind = $1 AND subject_id = $2 AND done_at IS NULL AND run_at > $3",
    )
    .bind(kind)
    .bind(subject_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends every open job of `kind` (their work was given up as a whole).
pub async fn finish_kind(
    conn: &mut AnyConnection,
    kind: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE jobs SET done_at = $2, lease_until = NULL WHERE kind = $1 AND done_at IS NULL",
    )
    .bind(kind)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}
