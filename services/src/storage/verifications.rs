//! The `verifications` table: whether an artifact passed its checks in an
//! environment, by the last run.

use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct VerificationRow {
    pub environment_id: i64,
    pub identity: String,
    pub state: String,
    pub why: String,
    pub at: i64,
}

/// Records the latest run's outcome (`passed`, `failed` or `running`).
pub async fn set(
    conn: &mut AnyConnection,
    environment_id: i64,
    identity: &str,
    state: &str,
    why: &str,
    deployment_id: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO verifications (environment_id, identity, state, why, deployment_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (environment_id, identity) DO UPDATE SET state = EXCLUDED.state, \
         why = EXCLUDED.why, deployment_id = COALESCE(EXCLUDED.deployment_id, verifications.deployment_id), \
         at = EXCLUDED.at",
    )
    .bind(environment_id)
    .bind(identity)
    .bind(state)
    .bind(why)
    .bind(deployment_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(
    conn: &mut AnyConnection,
    environment_id: i64,
    identity: &str,
) -> Result<Option<VerificationRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT environment_id, identity, state, why, at FROM verifications \
         WHERE environment_id = $1 AND identity = $2",
    )
    .bind(environment_id)
    .bind(identity)
    .fetch_optional(conn)
    .await
}

/// What the promotion gate weighs about deployments, in one statement: the
/// artifact's last verification in the previous environment (`previous`,
/// when there is one) and the reason of an active hold on it in the target.
pub async fn gate_facts(
    conn: &mut AnyConnection,
    previous: Option<i64>,
    target: i64,
    identity: &str,
) -> Result<(Option<VerificationRow>, Option<String>), sqlx::Error> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT 'checks', state, why, at FROM verifications \
         WHERE environment_id = $1 AND identity = $3 \
         UNION ALL SELECT 'hold', '', reason, held_at FROM holds \
         WHERE environment_id = $2 AND identity = $3 AND released_at IS NULL",
    )
    .bind(previous.unwrap_or(-1))
    .bind(target)
    .bind(identity)
    .fetch_all(conn)
    .await?;
    let mut checks = None;
    let mut hold = None;
    for (what, state, why, at) in rows {
        match what.as_str() {
            "checks" if previous.is_some() => {
                checks = Some(VerificationRow {
                    environment_id: previous.unwrap_or_default(),
                    identity: identity.to_owned(),
                    state,
                    why,
                    at,
                })
            }
            "hold" => hold = Some(why),
            _ => {}
        }
    }
    Ok((checks, hold))
}
