//! Freeze windows: adding one (refused when it overlaps another of the same
//! scope), removing one, and the freezes in force now, which block
//! production promotions ([`active_freezes`]).

use super::{internal, known_zone, scoped_label, stored_zone, Calendar, Change, FreezeInput};
use crate::storage::calendar as store;
use crate::ServiceError;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::json;
use slipway_domain::calendar::{show, FreezeRule, FreezeWindow, Period};
use slipway_domain::gate::ActiveFreeze;
use slipway_domain::{AuditAction, Principal, ProjectId};

/// How far the overlap check for new freezes looks ahead.
const OVERLAP_HORIZON_HOURS: i64 = 24 * 365;

/// A stored freeze window, read back into its rule and zone.
pub(super) struct Freeze {
    pub(super) row: store::FreezeRow,
    pub(super) window: FreezeWindow,
    pub(super) tz: TimeZone,
}

impl Freeze {
    pub(super) fn load(row: store::FreezeRow) -> Result<Self, ServiceError> {
        let rule: FreezeRule = serde_json::from_str(&row.rule_json).map_err(internal)?;
        Ok(Self {
            tz: stored_zone(&row.time_zone),
            window: FreezeWindow {
                name: row.name.clone(),
                reason: row.reason.clone(),
                rule,
            },
            row,
        })
    }

    /// Applies to releases of `project`.
    pub(super) fn covers(&self, project: i64) -> bool {
        self.row.project_id.is_none_or(|p| p == project)
    }

    /// `Inside the freeze “Year-end freeze” (... to ...): Holiday traffic`.
    pub(super) fn explain(&self, p: &Period) -> String {
        format!(
            "Inside the freeze “{}” ({} to {}): {}",
            self.row.name,
            show(&p.start),
            show(&p.end),
            self.row.reason
        )
    }
}

/// The freezes in force for `project` at `now_ms` (epoch ms): its own and
/// the global ones, oldest first, each with when it ends. The promotion
/// gate refuses production while there is one.
#[tracing::instrument(skip_all, fields(project.id = project.0))]
pub async fn active_freezes(
    conn: &mut sqlx::AnyConnection,
    project: ProjectId,
    now_ms: i64,
) -> Result<Vec<ActiveFreeze>, ServiceError> {
    let rows = store::freezes_for_project(conn, project).await?;
    let now = Timestamp::from_millisecond(now_ms).map_err(internal)?;
    let mut out = Vec::new();
    for row in rows {
        let f = Freeze::load(row)?;
        if let Some(p) = f.window.active_at(&f.tz, now) {
            out.push(ActiveFreeze {
                name: f.window.name,
                reason: f.window.reason,
                until: show(&p.end),
            });
        }
    }
    Ok(out)
}

/// The first period of `theirs` that overlaps one of `mine`.
fn first_clash<'p>(mine: &[Period], theirs: &'p [Period]) -> Option<&'p Period> {
    theirs.iter().find(|b| {
        mine.iter().any(|a| {
            a.start.timestamp() < b.end.timestamp() && b.start.timestamp() < a.end.timestamp()
        })
    })
}

impl Calendar<'_> {
    /// Adds a freeze window to the project `slug` (empty: every project,
    /// admins only). Refused, naming the other window, when it overlaps one
    /// of the same scope (the same project, or both global) in the next 365
    /// days. Returns its id.
    ///
    /// The overlap check reads, then inserts, in one transaction: two
    /// overlapping windows created at the very same moment by two people
    /// could both pass. Overlaps are a sign of a duplicate,
    /// not a safety problem (the gate honours every window), so no lock is
    /// taken for it.
    #[tracing::instrument(skip_all, fields(project = %slug))]
    pub async fn create_freeze(
        &self,
        actor: &Principal,
        slug: &str,
        input: &FreezeInput,
    ) -> Result<i64, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let project = Self::target(&mut tx, actor, slug).await?;
        let (window, zone) = input.parse(known_zone)?;
        let weekly = matches!(window.rule, FreezeRule::Weekly { .. });
        let pid = project.as_ref().map(|p| ProjectId(p.id));
        let from = self.now()?;
        let to = from
            .checked_add(OVERLAP_HORIZON_HOURS.hours())
            .map_err(internal)?;
        let mine = window.periods(&zone.tz, from, to);
        for row in store::freezes_of_scope(&mut tx, pid).await? {
            let other = Freeze::load(row)?;
            let theirs = other.window.periods(&other.tz, from, to);
            if let Some(p) = first_clash(&mine, &theirs) {
                return Err(ServiceError::field(
                    if weekly { "start_day" } else { "start" },
                    format!(
                        "This overlaps the freeze “{}” ({} to {}). Change the times, or remove “{}” first.",
                        other.row.name,
                        show(&p.start),
                        show(&p.end),
                        other.row.name
                    ),
                ));
            }
        }
        let rule_json = serde_json::to_string(&window.rule).map_err(internal)?;
        let now = self.services.clock.now_ms();
        let id = store::insert_freeze(
            &mut tx,
            &store::NewFreeze {
                project: pid,
                name: &window.name,
                reason: &window.reason,
                rule_json: &rule_json,
                time_zone: &zone.name,
                created_by: actor.id,
            },
            now,
        )
        .await?;
        let change = Change {
            action: AuditAction::FreezeCreated,
            subject_id: id,
            subject_label: scoped_label(project.as_ref(), &window.name),
            project: pid,
            before: None,
            after: Some(json!({
                "name": window.name, "reason": window.reason, "rule": window.rule,
                "time_zone": zone.name, "project": project.as_ref().map(|p| &p.slug),
            })),
        };
        Self::record(&mut tx, actor, change, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Removes a freeze window: its project's release managers, or admins
    /// for a global one.
    #[tracing::instrument(skip_all, fields(freeze.id = id))]
    pub async fn remove_freeze(&self, actor: &Principal, id: i64) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let row = store::find_freeze(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound("freeze window"))?;
        Self::may_remove(actor, row.project_id)?;
        if !store::delete_freeze(&mut tx, id).await? {
            return Err(ServiceError::NotFound("freeze window"));
        }
        let now = self.services.clock.now_ms();
        let change = Change {
            action: AuditAction::FreezeRemoved,
            subject_id: id,
            subject_label: row.name.clone(),
            project: row.project_id.map(ProjectId),
            before: Some(json!({
                "name": row.name, "reason": row.reason,
                "rule": serde_json::from_str::<serde_json::Value>(&row.rule_json).ok(),
                "time_zone": row.time_zone,
            })),
            after: None,
        };
        Self::record(&mut tx, actor, change, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{projects, Store};
    use jiff::civil::{date, time, Weekday};
    use slipway_domain::{ProjectDraft, UserId};

    async fn project(conn: &mut sqlx::AnyConnection, name: &str, slug: &str) -> ProjectId {
        let draft = ProjectDraft {
            name: name.into(),
            slug: slug.into(),
            ..ProjectDraft::default()
        };
        projects::insert(conn, &draft.validate().unwrap(), 0)
            .await
            .unwrap()
    }

    async fn freeze(
        conn: &mut sqlx::AnyConnection,
        project: Option<ProjectId>,
        name: &str,
        rule: &FreezeRule,
        zone: &str,
    ) {
        let rule_json = serde_json::to_string(rule).unwrap();
        let new = store::NewFreeze {
            project,
            name,
            reason: "Holiday traffic",
            rule_json: &rule_json,
            time_zone: zone,
            created_by: UserId(0),
        };
        store::insert_freeze(conn, &new, 0).await.unwrap();
    }

    #[tokio::test]
    async fn the_freezes_in_force_are_the_projects_own_and_the_global_ones() {
        let dir = tempfile::tempdir().unwrap();
        let db = Store::connect(&Store::sqlite_url_in(dir.path()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let mut conn = db.pool().acquire().await.unwrap();
        let (shop, blog) = (
            project(&mut conn, "Shop", "shop").await,
            project(&mut conn, "Blog", "blog").await,
        );
        // Sunday 2026-12-20, 12:00 UTC.
        let now = date(2026, 12, 20)
            .at(12, 0, 0, 0)
            .to_zoned(TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_millisecond();
        let today = FreezeRule::Once {
            start: date(2026, 12, 20).at(11, 0, 0, 0),
            end: date(2026, 12, 20).at(14, 0, 0, 0),
        };
        let weekdays = FreezeRule::Weekly {
            start_day: Weekday::Monday,
            start_time: time(0, 0, 0, 0),
            end_day: Weekday::Friday,
            end_time: time(0, 0, 0, 0),
        };
        let weekend = FreezeRule::Weekly {
            start_day: Weekday::Friday,
            start_time: time(15, 0, 0, 0),
            end_day: Weekday::Monday,
            end_time: time(8, 0, 0, 0),
        };
        freeze(&mut conn, None, "Everyone", &today, "UTC").await;
        freeze(&mut conn, Some(blog), "Blog only", &today, "UTC").await;
        freeze(&mut conn, Some(shop), "Weekdays", &weekdays, "UTC").await;
        freeze(&mut conn, Some(shop), "Weekend", &weekend, "Europe/Berlin").await;
        // A zone the tz database no longer knows reads as UTC: 11:00 to
        // 14:00 UTC is in force at 12:00 UTC.
        freeze(&mut conn, Some(shop), "Lost zone", &today, "Mars/Olympus").await;

        let found = active_freezes(&mut conn, shop, now).await.unwrap();
        let shown: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.name.as_str(), f.until.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("Everyone", "2026-12-20 14:00 UTC"),
                ("Weekend", "2026-12-21 08:00 Europe/Berlin"),
                ("Lost zone", "2026-12-20 14:00 UTC"),
            ]
        );
        assert!(found.iter().all(|f| f.reason == "Holiday traffic"));
        let blogs = active_freezes(&mut conn, blog, now).await.unwrap();
        assert_eq!(
            blogs.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["Everyone", "Blog only"]
        );
    }
}
