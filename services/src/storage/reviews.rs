//! Post-release reviews opened by break-glass (`post_release_reviews`) and
//! their named reviewers (`post_release_reviewers`).

use slipway_domain::ProjectId;
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReviewRow {
    pub id: i64,
    pub project_id: i64,
    pub opened_by: Option<i64>,
    pub conclusion: Option<String>,
    pub release_id: i64,
    pub version: String,
    pub environment: Option<String>,
    pub reason: String,
    pub bypassed: String,
    pub opened_by_name: String,
    pub opened_at: i64,
    pub due_at: i64,
    pub closed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReviewerRow {
    pub review_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub completed_at: Option<i64>,
    pub conclusion: Option<String>,
}

pub struct NewReview<'a> {
    pub release_id: i64,
    pub environment_id: i64,
    pub reason: &'a str,
    /// What break-glass skipped, one per line.
    pub bypassed: &'a str,
    pub opened_by: (i64, &'a str),
    pub due_at: i64,
}

/// Opens a review; returns its id.
pub async fn insert(
    conn: &mut AnyConnection,
    r: &NewReview<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO post_release_reviews (release_id, environment_id, reason, bypassed, opened_by, opened_by_name, opened_at, due_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(r.release_id)
    .bind(r.environment_id)
    .bind(r.reason)
    .bind(r.bypassed)
    .bind(r.opened_by.0)
    .bind(r.opened_by.1)
    .bind(now)
    .bind(r.due_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Names a reviewer; with `concluded` (time, conclusion) when they stand
/// in for reviewers who are gone and conclude at once.
pub async fn insert_reviewer(
    conn: &mut AnyConnection,
    review: i64,
    user: (i64, &str),
    concluded: Option<(i64, &str)>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO post_release_reviewers (review_id, user_id, user_name, completed_at, conclusion) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(review)
    .bind(user.0)
    .bind(user.1)
    .bind(concluded.map(|(at, _)| at))
    .bind(concluded.map(|(_, c)| c))
    .execute(conn)
    .await?;
    Ok(())
}

/// Reviews of these projects, open ones first, soonest due first.
pub async fn for_projects(
    conn: &mut AnyConnection,
    projects: &[ProjectId],
    open_only: bool,
) -> Result<Vec<ReviewRow>, sqlx::Error> {
    if projects.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.id, rel.project_id, r.release_id, rel.version, e.name AS environment, r.reason, r.bypassed, \
         r.opened_by, r.opened_by_name, r.opened_at, r.due_at, r.closed_at, r.conclusion \
         FROM post_release_reviews r JOIN releases rel ON rel.id = r.release_id \
         LEFT JOIN environments e ON e.id = r.environment_id \
         WHERE rel.project_id IN ({}){} ORDER BY r.closed_at IS NOT NULL, r.due_at",
        super::id_list(projects.iter().map(|p| p.0)),
        if open_only { " AND r.closed_at IS NULL" } else { "" }
    )))
    .fetch_all(conn)
    .await
}

/// The named reviewers of these reviews, by name.
pub async fn reviewers(
    conn: &mut AnyConnection,
    reviews: &[i64],
) -> Result<Vec<ReviewerRow>, sqlx::Error> {
    if reviews.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT review_id, user_id, user_name, completed_at, conclusion FROM post_release_reviewers \
         WHERE review_id IN ({}) ORDER BY user_name",
        super::id_list(reviews.iter().copied())
    )))
    .fetch_all(conn)
    .await
}

/// Takes the review row for this transaction, so the last two reviewers
/// concluding at once cannot both see the other as still pending.
pub async fn lock(conn: &mut AnyConnection, review: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE post_release_reviews SET closed_at = closed_at WHERE id = $1")
        .bind(review)
        .execute(conn)
        .await?;
    Ok(())
}

/// `(release id, opened by, closed at)` of a review of this project.
pub async fn find(
    conn: &mut AnyConnection,
    project: ProjectId,
    review: i64,
) -> Result<Option<(i64, Option<i64>, Option<i64>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.release_id, r.opened_by, r.closed_at FROM post_release_reviews r \
         JOIN releases rel ON rel.id = r.release_id WHERE r.id = $1 AND rel.project_id = $2",
    )
    .bind(review)
    .bind(project.0)
    .fetch_optional(conn)
    .await
}

/// A named reviewer's conclusion.
pub async fn conclude(
    conn: &mut AnyConnection,
    review: i64,
    user: i64,
    conclusion: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE post_release_reviewers SET completed_at = $3, conclusion = $4 \
         WHERE review_id = $1 AND user_id = $2 AND completed_at IS NULL",
    )
    .bind(review)
    .bind(user)
    .bind(now)
    .bind(conclusion)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn close(
    conn: &mut AnyConnection,
    review: i64,
    by: i64,
    summary: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE post_release_reviews SET closed_at = $2, closed_by = $3, conclusion = $4 \
         WHERE id = $1 AND closed_at IS NULL",
    )
    .bind(review)
    .bind(now)
    .bind(by)
    .bind(summary)
    .execute(conn)
    .await?;
    Ok(())
}
