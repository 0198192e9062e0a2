//! The `deployments` table: an artifact entering an environment, its
//! state, its frozen evidence, the adapter's output and the checks' results.

use slipway_domain::deployment::{DeploymentKind, DeploymentState};
use sqlx::AnyConnection;

/// The adapter's output kept per deployment; beyond it the rest is
/// dropped and a line says so.
pub const OUTPUT_MAX: usize = 512 * 1024;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeploymentRow {
    pub id: i64,
    pub project_id: i64,
    pub environment_id: i64,
    pub release_id: i64,
    pub version: String,
    #[sqlx(try_from = "String")]
    pub kind: DeploymentKind,
    #[sqlx(try_from = "String")]
    pub state: DeploymentState,
    pub artifact: String,
    pub identity: String,
    pub previous_identity: Option<String>,
    pub rollback_of: Option<i64>,
    pub automatic: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub settings: String,
    pub evidence: String,
    pub checks: String,
    pub error: Option<String>,
    pub verified: i64,
    pub cancel_requested: i64,
    /// Progressive rollout: the step (0-based), when it paused before the
    /// next one, and whether someone asked it to pause or to abort.
    pub step: i64,
    pub paused_at: Option<i64>,
    pub pause_requested: i64,
    pub abort_requested: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl DeploymentRow {
    /// Someone pressed Cancel.
    pub fn cancel_requested(&self) -> bool {
        self.cancel_requested != 0
    }

    /// Someone pressed Abort (stop the rollout and roll back).
    pub fn abort_requested(&self) -> bool {
        self.abort_requested != 0
    }

    /// The rollout step, as an index.
    pub fn step_index(&self) -> usize {
        usize::try_from(self.step).unwrap_or(0)
    }
}

const COLUMNS: &str = "d.id, d.project_id, d.environment_id, d.release_id, r.version, d.kind, d.state, \
    d.artifact, d.identity, d.previous_identity, d.rollback_of, d.automatic, d.actor_id, d.actor_name, \
    d.settings, d.evidence, d.checks, d.error, d.verified, d.cancel_requested, d.step, d.paused_at, d.pause_requested, d.abort_requested, d.created_at, d.started_at, d.finished_at \
    FROM deployments d JOIN releases r ON r.id = d.release_id";

pub struct NewDeployment<'a> {
    pub project_id: i64,
    pub environment_id: i64,
    pub release_id: i64,
    pub kind: DeploymentKind,
    pub state: DeploymentState,
    pub artifact: &'a str,
    pub identity: &'a str,
    pub previous_identity: Option<&'a str>,
    pub rollback_of: Option<i64>,
    pub idempotency_key: &'a str,
    pub automatic: bool,
    pub actor: (Option<i64>, &'a str),
    pub settings: &'a str,
    pub evidence: &'a str,
}

/// Inserts a deployment; a unique violation (same idempotency key, or an
/// unfinished deployment of the release into the environment) is the
/// caller's to read.
pub async fn insert(
    conn: &mut AnyConnection,
    d: &NewDeployment<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let finished = d.state.is_finished().then_some(now);
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO deployments (project_id, environment_id, release_id, kind, state, artifact, identity, \
         previous_identity, rollback_of, idempotency_key, automatic, actor_id, actor_name, settings, evidence, \
         verified, created_at, started_at, finished_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id",
    )
    .bind(d.project_id)
    .bind(d.environment_id)
    .bind(d.release_id)
    .bind(d.kind.as_str())
    .bind(d.state.as_str())
    .bind(d.artifact)
    .bind(d.identity)
    .bind(d.previous_identity)
    .bind(d.rollback_of)
    .bind(d.idempotency_key)
    .bind(i64::from(d.automatic))
    .bind(d.actor.0)
    .bind(d.actor.1)
    .bind(d.settings)
    .bind(d.evidence)
    .bind(i64::from(d.state == DeploymentState::Succeeded))
    .bind(now)
    .bind(finished)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn find_by_key(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE d.idempotency_key = $1"
    )))
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// The unfinished deployment of a release into an environment, if any.
pub async fn unfinished_for(
    conn: &mut AnyConnection,
    release_id: i64,
    environment_id: i64,
) -> Result<Option<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE d.release_id = $1 AND d.environment_id = $2 \
         AND d.state IN ('queued', 'deploying', 'verifying')"
    )))
    .bind(release_id)
    .bind(environment_id)
    .fetch_optional(conn)
    .await
}

/// An environment's deployments, newest first, at most `limit`.
pub async fn for_environment(
    conn: &mut AnyConnection,
    environment_id: i64,
    limit: i64,
) -> Result<Vec<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE d.environment_id = $1 ORDER BY d.id DESC LIMIT $2"
    )))
    .bind(environment_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A release's deployments, newest first.
pub async fn for_release(
    conn: &mut AnyConnection,
    release_id: i64,
) -> Result<Vec<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE d.release_id = $1 ORDER BY d.id DESC"
    )))
    .bind(release_id)
    .fetch_all(conn)
    .await
}

/// Whether an older deployment of the environment is still unfinished
/// (queued ones wait for those before them).
pub async fn earlier_unfinished(
    conn: &mut AnyConnection,
    environment_id: i64,
    id: i64,
    kind: DeploymentKind,
) -> Result<i64, sqlx::Error> {
    // Rollbacks go first: a promotion waits for every unfinished rollback
    // and the older ones; a rollback waits only for what runs and for older
    // rollbacks (it never waits behind a queued promotion).
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM deployments WHERE environment_id = $1 AND id <> $2 \
         AND state IN ('queued', 'deploying', 'verifying') \
         AND (CASE WHEN $3 = 'promotion' THEN (id < $2 OR kind = 'rollback') \
              ELSE (state <> 'queued' OR (kind = 'rollback' AND id < $2)) END)",
    )
    .bind(environment_id)
    .bind(id)
    .bind(kind.as_str())
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Moves a deployment from `from` to `to`, only if it is still in `from`.
pub async fn set_state(
    conn: &mut AnyConnection,
    id: i64,
    from: DeploymentState,
    to: DeploymentState,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE deployments SET state = $3, \
         started_at = CASE WHEN $3 = 'deploying' THEN $4 ELSE started_at END, \
         finished_at = CASE WHEN $3 IN ('succeeded', 'failed', 'rolled_back', 'cancelled') THEN COALESCE(finished_at, $4) ELSE finished_at END, \
         verified = CASE WHEN $3 = 'succeeded' THEN 1 ELSE verified END \
         WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a deployment as failed (from any unfinished state) with why.
pub async fn fail(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE deployments SET state = 'failed', error = $2, finished_at = $3 \
         WHERE id = $1 AND state IN ('queued', 'deploying', 'verifying')",
    )
    .bind(id)
    .bind(error)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Appends to the adapter's output, keeping at most [`OUTPUT_MAX`]
/// characters (the caller trims what it sends).
pub async fn append_output(
    conn: &mut AnyConnection,
    id: i64,
    text: &str,
) -> Result<(), sqlx::Error> {
    // Bounded per deployment (all its steps and notes together).
    sqlx::query(
        "UPDATE deployments SET output = output || $2 WHERE id = $1 AND LENGTH(output) < $3",
    )
    .bind(id)
    .bind(text)
    .bind(i64::try_from(OUTPUT_MAX).unwrap_or(i64::MAX))
    .execute(conn)
    .await?;
    Ok(())
}

/// The output from character `from` on, and the deployment's state (what
/// the live stream sends).
pub async fn output_since(
    conn: &mut AnyConnection,
    id: i64,
    from: i64,
) -> Result<Option<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        // PostgreSQL's SUBSTR takes an INTEGER and LENGTH returns one.
        "SELECT SUBSTR(output, CAST($2 AS INTEGER) + 1), state, CAST(LENGTH(output) AS BIGINT) \
         FROM deployments WHERE id = $1",
    )
    .bind(id)
    .bind(from)
    .fetch_optional(conn)
    .await
}

/// The whole output.
pub async fn output(conn: &mut AnyConnection, id: i64) -> Result<String, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT output FROM deployments WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0).unwrap_or_default())
}

/// Records the checks' results (JSON).
pub async fn set_checks(conn: &mut AnyConnection, id: i64, json: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE deployments SET checks = $2 WHERE id = $1")
        .bind(id)
        .bind(json)
        .execute(conn)
        .await?;
    Ok(())
}

/// The artifacts that arrived in an environment and are not held there
/// (the newest succeeded deployment of each), newest first, with whether
/// they are verified there now.
pub async fn landings(
    conn: &mut AnyConnection,
    environment_id: i64,
    limit: i64,
) -> Result<Vec<LandingRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.id, d.release_id, r.version, d.artifact, d.identity, \
         CASE WHEN v.state = 'passed' THEN 1 ELSE 0 END AS verified \
         FROM deployments d JOIN releases r ON r.id = d.release_id \
         LEFT JOIN verifications v ON v.environment_id = d.environment_id AND v.identity = d.identity \
         WHERE d.id IN (SELECT MAX(id) FROM deployments \
           WHERE environment_id = $1 AND state = 'succeeded' GROUP BY identity) \
         AND d.identity NOT IN (SELECT h.identity FROM holds h \
           WHERE h.environment_id = $1 AND h.released_at IS NULL) \
         ORDER BY d.id DESC LIMIT $2",
    )
    .bind(environment_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LandingRow {
    pub id: i64,
    pub release_id: i64,
    pub version: String,
    pub artifact: String,
    pub identity: String,
    pub verified: i64,
}

/// What each environment of a project runs now by deployments: the newest
/// succeeded deployment per environment.
pub async fn current(
    conn: &mut AnyConnection,
    project_id: i64,
) -> Result<Vec<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE d.id IN (SELECT MAX(id) FROM deployments \
         WHERE project_id = $1 AND state = 'succeeded' GROUP BY environment_id)"
    )))
    .bind(project_id)
    .fetch_all(conn)
    .await
}

/// Unfinished deployments of a project, oldest first (what waits where).
pub async fn unfinished(
    conn: &mut AnyConnection,
    project_id: i64,
) -> Result<Vec<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE d.project_id = $1 AND d.state IN ('queued', 'deploying', 'verifying') \
         ORDER BY d.id"
    )))
    .bind(project_id)
    .fetch_all(conn)
    .await
}

/// Replaces why a failed deployment failed (adds what happened next).
pub async fn fail_note(conn: &mut AnyConnection, id: i64, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE deployments SET error = $2 WHERE id = $1")
        .bind(id)
        .bind(error)
        .execute(conn)
        .await?;
    Ok(())
}

/// The runner goes on to the next rollout step (verifying → deploying at
/// `from + 1`), only if nobody asked it to pause, cancel or abort
/// meanwhile; false otherwise (the caller reads the row again). The
/// webhook's last report is cleared: the next step is delivered anew.
pub async fn advance(conn: &mut AnyConnection, id: i64, from: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE deployments SET state = 'deploying', step = $2 + 1, callback_state = NULL, callback_message = NULL \
         WHERE id = $1 AND state = 'verifying' AND step = $2 AND paused_at IS NULL \
         AND pause_requested = 0 AND cancel_requested = 0",
    )
    .bind(id)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Resume: a rollout paused after step `from` goes on to the next step;
/// false when it is not paused there (already resumed, or cancelled).
pub async fn resume(conn: &mut AnyConnection, id: i64, from: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE deployments SET state = 'deploying', step = $2 + 1, paused_at = NULL, pause_requested = 0, \
         callback_state = NULL, callback_message = NULL \
         WHERE id = $1 AND state = 'verifying' AND step = $2 AND paused_at IS NOT NULL AND cancel_requested = 0",
    )
    .bind(id)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A rollout step passed and the rollout waits for Resume.
pub async fn pause(conn: &mut AnyConnection, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE deployments SET paused_at = $2, pause_requested = 0 \
         WHERE id = $1 AND state = 'verifying' AND paused_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Asks a running rollout to pause after its current step's checks.
pub async fn request_pause(conn: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE deployments SET pause_requested = 1 \
         WHERE id = $1 AND state IN ('queued', 'deploying', 'verifying') AND paused_at IS NULL",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Asks the runner to stop a rollout and roll back (it stops the adapter or
/// the checks like a cancel, then fails the deployment and rolls back).
pub async fn request_abort(conn: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE deployments SET abort_requested = 1, cancel_requested = 1 \
         WHERE id = $1 AND state IN ('queued', 'deploying', 'verifying')",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Asks the runner to stop an unfinished deployment; false when it has
/// ended already.
pub async fn request_cancel(conn: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE deployments SET cancel_requested = 1 \
         WHERE id = $1 AND state IN ('queued', 'deploying', 'verifying')",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The newest succeeded rollback deployment of each environment of a
/// project (what "what runs where" weighs against arrivals).
pub async fn current_rollbacks(
    conn: &mut AnyConnection,
    project_id: i64,
) -> Result<Vec<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} WHERE d.id IN (SELECT MAX(id) FROM deployments \
         WHERE project_id = $1 AND state = 'succeeded' AND kind = 'rollback' GROUP BY environment_id)"
    )))
    .bind(project_id)
    .fetch_all(conn)
    .await
}

/// Records what a webhook receiver reported.
pub async fn set_callback(
    conn: &mut AnyConnection,
    id: i64,
    state: &str,
    message: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE deployments SET callback_state = $2, callback_message = $3 WHERE id = $1")
        .bind(id)
        .bind(state)
        .bind(message)
        .execute(conn)
        .await?;
    Ok(())
}

/// What the webhook receiver reported last, if anything.
pub async fn callback(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT callback_state, callback_message FROM deployments WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|(state, message)| state.map(|s| (s, message))))
}
