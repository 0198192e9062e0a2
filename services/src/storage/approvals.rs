//! The `approvals` table (one row per decision; a live decision has no
//! `ended_at`) and the `approval_policies` of environments.

use slipway_domain::approval::Decision;
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApprovalRow {
    pub id: i64,
    pub release_id: i64,
    pub environment_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub roles: String,
    #[sqlx(try_from = "String")]
    pub decision: Decision,
    pub comment: String,
    pub artifact: String,
    pub notes_revision: i64,
    pub created_at: i64,
    pub ended_at: Option<i64>,
    pub ended_reason: Option<String>,
}

const APPROVAL_COLUMNS: &str =
    "id, release_id, environment_id, user_id, user_name, roles, decision, \
     comment, artifact, notes_revision, created_at, ended_at, ended_reason";

pub struct NewApproval<'a> {
    pub release_id: i64,
    pub environment_id: i64,
    pub user: (i64, &'a str),
    pub roles: &'a str,
    pub decision: Decision,
    pub comment: &'a str,
    pub artifact: &'a str,
    pub notes_revision: i64,
}

/// Records a decision. The partial unique index allows one live decision
/// per person: the caller ends the previous one in the same transaction,
/// and a concurrent duplicate fails with a unique violation.
pub async fn insert(
    conn: &mut AnyConnection,
    a: &NewApproval<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO approvals (release_id, environment_id, user_id, user_name, roles, decision, comment, \
         artifact, notes_revision, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(a.release_id)
    .bind(a.environment_id)
    .bind(a.user.0)
    .bind(a.user.1)
    .bind(a.roles)
    .bind(a.decision.as_str())
    .bind(a.comment)
    .bind(a.artifact)
    .bind(a.notes_revision)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends live decisions: one person's (`user` Some), or everyone's on a
/// release (the subject changed). Returns how many ended.
pub async fn end(
    conn: &mut AnyConnection,
    release_id: i64,
    user: Option<i64>,
    reason: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = match user {
        Some(u) => {
            sqlx::query(
                "UPDATE approvals SET ended_at = $3, ended_reason = $4 \
                 WHERE release_id = $1 AND user_id = $2 AND ended_at IS NULL",
            )
            .bind(release_id)
            .bind(u)
            .bind(now)
            .bind(reason)
            .execute(conn)
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE approvals SET ended_at = $2, ended_reason = $3 \
                 WHERE release_id = $1 AND ended_at IS NULL",
            )
            .bind(release_id)
            .bind(now)
            .bind(reason)
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected())
}

/// Live decisions for a release and environment, oldest first.
pub async fn live(
    conn: &mut AnyConnection,
    release_id: i64,
    environment_id: i64,
) -> Result<Vec<ApprovalRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE release_id = $1 AND environment_id = $2 \
         AND ended_at IS NULL ORDER BY id"
    )))
    .bind(release_id)
    .bind(environment_id)
    .fetch_all(conn)
    .await
}

/// Every decision ever made on a release, newest first (for the record).
pub async fn all(
    conn: &mut AnyConnection,
    release_id: i64,
) -> Result<Vec<ApprovalRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE release_id = $1 ORDER BY id DESC"
    )))
    .bind(release_id)
    .fetch_all(conn)
    .await
}

pub async fn policy(
    conn: &mut AnyConnection,
    environment_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT policy_json FROM approval_policies WHERE environment_id = $1")
            .bind(environment_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(p,)| p))
}

pub async fn set_policy(
    conn: &mut AnyConnection,
    environment_id: i64,
    policy_json: &str,
    by: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO approval_policies (environment_id, policy_json, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (environment_id) DO UPDATE SET policy_json = $2, updated_by = $3, updated_at = $4",
    )
    .bind(environment_id)
    .bind(policy_json)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Policies of many environments in one query: `(environment id, JSON)`.
pub async fn policies(
    conn: &mut AnyConnection,
    environments: &[i64],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if environments.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT environment_id, policy_json FROM approval_policies WHERE environment_id IN ({})",
        super::id_list(environments.iter().copied())
    )))
    .fetch_all(conn)
    .await
}

/// One person's live decisions, on any release: `(release id, environment id)`.
pub async fn live_of_user(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT release_id, environment_id FROM approvals WHERE user_id = $1 AND ended_at IS NULL",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
}

/// Who has a live decision on a release, with the decisions they hold
/// (`(user id, decisions)`; several when they decided for several
/// environments), so each can be told once when the decisions are voided.
pub async fn live_deciders(
    conn: &mut AnyConnection,
    release_id: i64,
) -> Result<Vec<(i64, Vec<Decision>)>, sqlx::Error> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT user_id, decision FROM approvals WHERE release_id = $1 AND ended_at IS NULL ORDER BY user_id, id",
    )
    .bind(release_id)
    .fetch_all(conn)
    .await?;
    let mut out: Vec<(i64, Vec<Decision>)> = Vec::new();
    for (user, decision) in rows {
        let decision = Decision::try_from(decision).map_err(|e| sqlx::Error::ColumnDecode {
            index: "decision".into(),
            source: e.into(),
        })?;
        match out.last_mut() {
            Some((u, ds)) if *u == user => ds.push(decision),
            _ => out.push((user, vec![decision])),
        }
    }
    Ok(out)
}
