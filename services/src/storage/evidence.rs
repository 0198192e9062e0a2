//! The `release_evidence` table: what was recorded about which artifact.

use slipway_domain::evidence::Outcome;
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EvidenceRow {
    pub artifact: String,
    pub kind: String,
    pub outcome: String,
    pub summary: String,
    pub url: Option<String>,
    pub recorded_by_name: String,
    pub recorded_at: i64,
}

pub struct NewEvidence<'a> {
    pub release_id: i64,
    pub artifact: &'a str,
    pub kind: &'a str,
    pub outcome: Outcome,
    pub summary: &'a str,
    pub url: Option<&'a str>,
    pub recorded_by: (i64, &'a str),
}

pub async fn insert(
    conn: &mut AnyConnection,
    e: &NewEvidence<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO release_evidence (release_id, artifact, kind, outcome, summary, url, recorded_by, recorded_by_name, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.release_id)
    .bind(e.artifact)
    .bind(e.kind)
    .bind(e.outcome.as_str())
    .bind(e.summary)
    .bind(e.url)
    .bind(e.recorded_by.0)
    .bind(e.recorded_by.1)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A release's evidence, newest first.
pub async fn for_release(
    conn: &mut AnyConnection,
    release_id: i64,
) -> Result<Vec<EvidenceRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT artifact, kind, outcome, summary, url, recorded_by_name, recorded_at \
         FROM release_evidence WHERE release_id = $1 ORDER BY recorded_at DESC, id DESC",
    )
    .bind(release_id)
    .fetch_all(conn)
    .await
}
