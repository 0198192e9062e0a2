//! Post-release reviews opened by break-glass. The person who broke glass
//! names the reviewers (people who may approve the project's releases, not
//! themselves); each is told, each writes their conclusion, and the review
//! closes when the last of them has. Open and overdue reviews show on the
//! dashboard and the project page until then.

use super::{audit_release, Loaded, Releases};
use crate::accounts::require;
use crate::clock::format_ms;
use crate::notifications::{self, NewNotification};
use crate::storage::{audit as audit_store, environments, projects, Tx};
use crate::ServiceError;
use serde_json::json;
use slipway_domain::read::{ReviewView, ReviewerView};
use slipway_domain::review;
use slipway_domain::{AuditAction, Permission, Principal, ProjectId, UserId};
use std::collections::HashSet;

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: i64,
    opened_by: Option<i64>,
    conclusion: Option<String>,
    release_id: i64,
    version: String,
    environment: Option<String>,
    reason: String,
    bypassed: String,
    opened_by_name: String,
    opened_at: i64,
    due_at: i64,
    closed_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ReviewerRow {
    user_id: i64,
    user_name: String,
    completed_at: Option<i64>,
    conclusion: Option<String>,
}

async fn reviewers_of(
    conn: &mut sqlx::AnyConnection,
    review: i64,
) -> Result<Vec<ReviewerRow>, ServiceError> {
    Ok(sqlx::query_as(
        "SELECT user_id, user_name, completed_at, conclusion FROM post_release_reviewers \
         WHERE review_id = $1 ORDER BY user_name",
    )
    .bind(review)
    .fetch_all(conn)
    .await?)
}

impl Releases<'_> {
    /// Checks the named reviewers of a break-glass promotion: at least one,
    /// each someone else who may approve this project's releases. Returns
    /// `(user id, username)` pairs.
    pub(super) async fn check_reviewers(
        &self,
        actor: &Principal,
        project: ProjectId,
        names: &[String],
    ) -> Result<Vec<(i64, String)>, ServiceError> {
        let names = review::named(&actor.username, names)
            .map_err(|m| ServiceError::field("reviewers", m))?;
        let mut out = Vec::new();
        for name in names {
            let person = self
                .services
                .accounts()
                .principal_of(&name)
                .await?
                .filter(|p| p.can(Permission::ApproveReleases, Some(project)))
                .ok_or_else(|| {
                    ServiceError::field(
                        "reviewers",
                        format!(
                            "\"{name}\" is not someone who can approve this project's releases."
                        ),
                    )
                })?;
            out.push((person.id.0, person.username));
        }
        Ok(out)
    }

    /// Opens the review of a break-glass promotion inside its transaction,
    /// names the reviewers and tells them.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn open_review(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        l: &Loaded,
        env: &environments::EnvironmentRow,
        reason: &str,
        bypassed: &[String],
        reviewers: &[(i64, String)],
    ) -> Result<(), ServiceError> {
        let now = self.services.clock.now_ms();
        let due = now + self.services.release_settings.review_due_hours * 3_600_000;
        let (review,): (i64,) = sqlx::query_as(
            "INSERT INTO post_release_reviews (release_id, environment_id, reason, bypassed, opened_by, opened_by_name, opened_at, due_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(l.release.id)
        .bind(env.id)
        .bind(reason)
        .bind(bypassed.join("\n"))
        .bind(actor.id.0)
        .bind(&actor.username)
        .bind(now)
        .bind(due)
        .fetch_one(&mut **tx)
        .await?;
        for (user, name) in reviewers {
            sqlx::query(
                "INSERT INTO post_release_reviewers (review_id, user_id, user_name) VALUES ($1, $2, $3)",
            )
            .bind(review)
            .bind(user)
            .bind(name)
            .execute(&mut **tx)
            .await?;
            notifications::enqueue(
                tx,
                self.services,
                &NewNotification {
                    user_id: *user,
                    kind: "review_assigned",
                    subject: format!(
                        "Review needed: {} {} went to {} by break-glass",
                        l.project.name, l.release.version, env.name
                    ),
                    body: format!(
                        "{} promoted {} {} to {} without the usual process.\nReason: {reason}\nBypassed: {}\n\n\
                         You are named to review it by {}. Open the release and write what the review found.",
                        actor.display_name,
                        l.project.name,
                        l.release.version,
                        env.name,
                        bypassed.join("; "),
                        format_ms(due)
                    ),
                    link: format!("/projects/{}/releases/{}", l.project.slug, l.release.id),
                    email_link: None,
                    release_id: Some(l.release.id),
                },
            )
            .await?;
        }
        audit_release(
            tx,
            actor,
            l,
            AuditAction::BreakGlassUsed,
            None,
            Some(json!({
                "environment": env.name, "reason": reason, "bypassed": bypassed,
                "reviewers": reviewers.iter().map(|(_, n)| n).collect::<Vec<_>>(), "review_due": format_ms(due),
            })),
            now,
        )
        .await?;
        Ok(())
    }

    /// The rules' view of the named reviewers.
    fn rule_view(reviewers: &[ReviewerRow], eligible: &HashSet<i64>) -> Vec<review::Reviewer> {
        reviewers
            .iter()
            .map(|v| review::Reviewer {
                user: UserId(v.user_id),
                concluded: v.completed_at.is_some(),
                eligible: eligible.contains(&v.user_id),
            })
            .collect()
    }

    fn may_conclude(
        actor: &Principal,
        project: ProjectId,
        opened_by: Option<i64>,
        reviewers: &[ReviewerRow],
        eligible: &HashSet<i64>,
    ) -> bool {
        review::may_conclude(
            actor.id,
            actor.can(Permission::ApproveReleases, Some(project)),
            opened_by.map(UserId),
            &Self::rule_view(reviewers, eligible),
        )
    }

    async fn eligible(&self, project: ProjectId) -> Result<HashSet<i64>, ServiceError> {
        Ok(self
            .services
            .accounts()
            .people_who_can(Permission::ApproveReleases, project)
            .await?
            .into_iter()
            .map(|p| p.id.0)
            .collect())
    }

    /// Post-release reviews opened by break-glass in the projects the actor
    /// can see (one project with `slug`), open ones first; `open_only`
    /// leaves out closed ones (the dashboard).
    pub async fn reviews(
        &self,
        actor: &Principal,
        slug: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<ReviewView>, ServiceError> {
        let visible = self.services.projects().list(actor, false).await?;
        let now = self.services.clock.now_ms();
        let mut out = Vec::new();
        for p in visible.iter().filter(|p| slug.is_none_or(|s| s == p.slug)) {
            let mut conn = self.services.store.pool().acquire().await?;
            let Some(project) = projects::find_by_slug(&mut conn, &p.slug).await? else {
                continue;
            };
            let pid = ProjectId(project.id);
            let rows: Vec<ReviewRow> = sqlx::query_as(
                "SELECT r.id, r.release_id, rel.version, e.name AS environment, r.reason, r.bypassed, \
                 r.opened_by, r.opened_by_name, r.opened_at, r.due_at, r.closed_at, r.conclusion \
                 FROM post_release_reviews r JOIN releases rel ON rel.id = r.release_id \
                 LEFT JOIN environments e ON e.id = r.environment_id \
                 WHERE rel.project_id = $1 ORDER BY r.closed_at IS NOT NULL, r.due_at",
            )
            .bind(project.id)
            .fetch_all(&mut *conn)
            .await?;
            let rows: Vec<ReviewRow> = rows
                .into_iter()
                .filter(|r| !open_only || r.closed_at.is_none())
                .collect();
            if rows.is_empty() {
                continue;
            }
            let mut with_reviewers = Vec::new();
            for r in rows {
                let reviewers = reviewers_of(&mut conn, r.id).await?;
                with_reviewers.push((r, reviewers));
            }
            drop(conn);
            let eligible = self.eligible(pid).await?;
            for (r, reviewers) in with_reviewers {
                let can_close = r.closed_at.is_none()
                    && Self::may_conclude(actor, pid, r.opened_by, &reviewers, &eligible);
                out.push(ReviewView {
                    id: r.id,
                    project_slug: project.slug.clone(),
                    project_name: project.name.clone(),
                    release_id: r.release_id,
                    version: r.version,
                    environment: r.environment,
                    reason: r.reason,
                    bypassed: r.bypassed.lines().map(str::to_owned).collect(),
                    opened_by: r.opened_by_name,
                    opened_at: format_ms(r.opened_at),
                    due_at: format_ms(r.due_at),
                    overdue: r.closed_at.is_none() && r.due_at < now,
                    closed: r.closed_at.map(|at| {
                        if reviewers.is_empty() {
                            format!(
                                "Closed on {}: {}",
                                format_ms(at),
                                r.conclusion.clone().unwrap_or_default()
                            )
                        } else {
                            format!("Closed on {}", format_ms(at))
                        }
                    }),
                    reviewers: reviewers
                        .into_iter()
                        .map(|v| {
                            ReviewerView {
                            done: match v.completed_at {
                                Some(at) => Some(format!(
                                    "Done on {}: {}",
                                    format_ms(at),
                                    v.conclusion.unwrap_or_default()
                                )),
                                None if !eligible.contains(&v.user_id) => Some(
                                    "can no longer review (disabled or without the approver role); \
                                     not waited for"
                                        .to_owned(),
                                ),
                                None => None,
                            },
                            name: v.user_name,
                        }
                        })
                        .collect(),
                    can_close,
                });
            }
        }
        Ok(out)
    }

    /// A named reviewer concludes their part of a post-release review; the
    /// review closes when no named reviewer who can still review is left
    /// waiting. When none is (they left, or the review predates named
    /// reviewers), anyone else who may approve concludes and closes it.
    pub async fn close_review(
        &self,
        actor: &Principal,
        slug: &str,
        review: i64,
        conclusion: &str,
    ) -> Result<(), ServiceError> {
        let conclusion = conclusion.trim();
        if conclusion.chars().count() < 10 || conclusion.len() > 4000 {
            return Err(ServiceError::field(
                "conclusion",
                "Write what the review found and what follows from it (10 to 4,000 characters).",
            ));
        }
        let project = self.services.repositories().project(actor, slug).await?;
        let pid = ProjectId(project.id);
        require(actor, Permission::ApproveReleases, Some(pid))?;
        let eligible = self.eligible(pid).await?;
        let mut tx = self.services.store.begin().await?;
        // Lock the review first, so the last two reviewers concluding at the
        // same moment cannot both see the other as still pending.
        sqlx::query("UPDATE post_release_reviews SET closed_at = closed_at WHERE id = $1")
            .bind(review)
            .execute(&mut *tx)
            .await?;
        let row: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT r.release_id, r.opened_by, r.closed_at FROM post_release_reviews r \
             JOIN releases rel ON rel.id = r.release_id WHERE r.id = $1 AND rel.project_id = $2",
        )
        .bind(review)
        .bind(pid.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((release_id, opened_by, closed_at)) = row else {
            return Err(ServiceError::NotFound("review"));
        };
        if closed_at.is_some() {
            return Err(ServiceError::Conflict(
                "This review is already closed.".into(),
            ));
        }
        if opened_by == Some(actor.id.0) {
            return Err(ServiceError::Conflict(
                "You broke glass for this release, so someone else must review it.".into(),
            ));
        }
        let named = reviewers_of(&mut tx, review).await?;
        if !Self::may_conclude(actor, pid, opened_by, &named, &eligible) {
            return Err(ServiceError::Conflict(
                if named.iter().any(|v| v.user_id == actor.id.0) {
                    "You have already given your conclusion for this review.".to_owned()
                } else {
                    format!(
                        "Only the named reviewers complete this review: {}.",
                        named
                            .iter()
                            .map(|v| v.user_name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            ));
        }
        let now = self.services.clock.now_ms();
        if named.iter().any(|v| v.user_id == actor.id.0) {
            sqlx::query(
                "UPDATE post_release_reviewers SET completed_at = $3, conclusion = $4 \
                 WHERE review_id = $1 AND user_id = $2 AND completed_at IS NULL",
            )
            .bind(review)
            .bind(actor.id.0)
            .bind(now)
            .bind(conclusion)
            .execute(&mut *tx)
            .await?;
        } else {
            // Standing in for reviewers who are gone: recorded like theirs.
            sqlx::query(
                "INSERT INTO post_release_reviewers (review_id, user_id, user_name, completed_at, conclusion) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(review)
            .bind(actor.id.0)
            .bind(&actor.username)
            .bind(now)
            .bind(conclusion)
            .execute(&mut *tx)
            .await?;
        }
        let all = reviewers_of(&mut tx, review).await?;
        let closes = review::waiting_for(&Self::rule_view(&all, &eligible)).is_empty();
        if closes {
            let summary = all
                .iter()
                .filter(|v| v.completed_at.is_some())
                .map(|v| {
                    format!(
                        "{}: {}",
                        v.user_name,
                        v.conclusion.as_deref().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            sqlx::query(
                "UPDATE post_release_reviews SET closed_at = $2, closed_by = $3, conclusion = $4 \
                 WHERE id = $1 AND closed_at IS NULL",
            )
            .bind(review)
            .bind(now)
            .bind(actor.id.0)
            .bind(summary)
            .execute(&mut *tx)
            .await?;
        }
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: Some((actor.id, &actor.username)),
                action: if closes {
                    AuditAction::ReviewClosed
                } else {
                    AuditAction::ReviewCompleted
                },
                subject_id: review.to_string(),
                subject_label: format!("{} release {release_id}", project.slug),
                project: Some(pid),
                before: None,
                after: Some(json!({ "conclusion": conclusion, "review_closed": closes })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
