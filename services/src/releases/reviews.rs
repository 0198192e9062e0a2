//! Post-release reviews opened by break-glass. The person who broke glass
//! names the reviewers (people who may approve the project's releases, not
//! themselves); each is told, each writes their conclusion, and the review
//! closes when the last of them has. Open and overdue reviews show on the
//! dashboard and the project page until then.

use super::{Loaded, Releases};
use crate::clock::format_ms;
use crate::notifications::{self, NewNotification};
use crate::storage::reviews::{self as store, ReviewerRow};
use crate::storage::{environments, Tx};
use crate::ServiceError;
use serde_json::json;
use slipway_domain::read::{ReviewView, ReviewerView};
use slipway_domain::review;
use slipway_domain::{AuditAction, Permission, Principal, ProjectId, UserId};
use std::collections::{HashMap, HashSet};

/// A break-glass promotion's review as it opens: where, why, what was
/// bypassed, and who reviews it (`(user id, username)`).
pub(super) struct OpenReview<'a> {
    pub env: &'a environments::EnvironmentRow,
    pub reason: &'a str,
    pub bypassed: &'a [String],
    pub reviewers: &'a [(i64, String)],
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
    pub(super) async fn open_review(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        l: &Loaded,
        r: OpenReview<'_>,
    ) -> Result<(), ServiceError> {
        let OpenReview {
            env,
            reason,
            bypassed,
            reviewers,
        } = r;
        let now = self.services.clock.now_ms();
        let due = now + self.services.release_settings.review_due_hours * 3_600_000;
        let bypassed_lines = bypassed.join("\n");
        let new = store::NewReview {
            release_id: l.release.id,
            environment_id: env.id,
            reason,
            bypassed: &bypassed_lines,
            opened_by: (actor.id.0, &actor.username),
            due_at: due,
        };
        let review = store::insert(tx, &new, now).await?;
        for (user, name) in reviewers {
            store::insert_reviewer(tx, review, (*user, name), None).await?;
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
        let after = json!({
            "environment": env.name, "reason": reason, "bypassed": bypassed,
            "reviewers": reviewers.iter().map(|(_, n)| n).collect::<Vec<_>>(), "review_due": format_ms(due),
        });
        self.audit(
            tx,
            actor,
            l,
            AuditAction::BreakGlassUsed,
            (None, Some(after)),
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
    /// leaves out closed ones (the dashboard). A fixed number of queries,
    /// however many projects and reviews.
    #[tracing::instrument(skip_all)]
    pub async fn reviews(
        &self,
        actor: &Principal,
        slug: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<ReviewView>, ServiceError> {
        let now = self.services.clock.now_ms();
        let mut conn = self.services.store.pool().acquire().await?;
        let found: Vec<_> = Self::visible_projects(&mut conn, actor)
            .await?
            .into_iter()
            .filter(|p| slug.is_none_or(|s| s == p.slug))
            .collect();
        let ids: Vec<ProjectId> = found.iter().map(|p| ProjectId(p.id)).collect();
        let mut rows = store::for_projects(&mut conn, &ids, open_only).await?;
        // Grouped by project in the order of the project list, as before.
        rows.sort_by_key(|r| found.iter().position(|p| p.id == r.project_id));
        let review_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut reviewers: HashMap<i64, Vec<ReviewerRow>> = HashMap::new();
        for v in store::reviewers(&mut conn, &review_ids).await? {
            reviewers.entry(v.review_id).or_default().push(v);
        }
        drop(conn);
        let mut eligible_by_project: HashMap<i64, HashSet<i64>> = HashMap::new();
        let mut out = Vec::new();
        for r in rows {
            let Some(project) = found.iter().find(|p| p.id == r.project_id) else {
                continue;
            };
            let pid = ProjectId(project.id);
            let eligible = match eligible_by_project.get(&project.id) {
                Some(e) => e.clone(),
                None => {
                    let e = self.eligible(pid).await?;
                    eligible_by_project.insert(project.id, e.clone());
                    e
                }
            };
            let reviewers = reviewers.remove(&r.id).unwrap_or_default();
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
                    .map(|v| ReviewerView {
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
                    })
                    .collect(),
                can_close,
            });
        }
        Ok(out)
    }

    /// A named reviewer concludes their part of a post-release review; the
    /// review closes when no named reviewer who can still review is left
    /// waiting. When none is (they left, or the review predates named
    /// reviewers), anyone else who may approve concludes and closes it.
    #[tracing::instrument(skip_all, fields(project = %slug, review.id = review))]
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
        crate::accounts::require(actor, Permission::ApproveReleases, Some(pid))?;
        let eligible = self.eligible(pid).await?;
        let mut tx = self.services.store.begin().await?;
        // Lock the review first, so the last two reviewers concluding at the
        // same moment cannot both see the other as still pending.
        store::lock(&mut tx, review).await?;
        let row = store::find(&mut tx, pid, review).await?;
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
        let named = store::reviewers(&mut tx, &[review]).await?;
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
            store::conclude(&mut tx, review, actor.id.0, conclusion, now).await?;
        } else {
            // Standing in for reviewers who are gone: recorded like theirs.
            let by = (actor.id.0, actor.username.as_str());
            store::insert_reviewer(&mut tx, review, by, Some((now, conclusion))).await?;
        }
        let all = store::reviewers(&mut tx, &[review]).await?;
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
            store::close(&mut tx, review, actor.id.0, &summary, now).await?;
        }
        let action = if closes {
            AuditAction::ReviewClosed
        } else {
            AuditAction::ReviewCompleted
        };
        let subject = crate::audit::AuditSubject {
            id: review.to_string(),
            label: format!("{} release {release_id}", project.slug),
            project: Some(pid),
        };
        let after = json!({ "conclusion": conclusion, "review_closed": closes });
        crate::audit::record(&mut tx, actor, action, subject, None, Some(after), now).await?;
        tx.commit().await?;
        Ok(())
    }
}
