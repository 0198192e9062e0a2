//! The release calendar: freeze windows and release trains (create, list,
//! remove), month and week views of planned releases with their conflicts,
//! and private iCalendar feeds (RFC 5545) per project or for everything.
//!
//! Where things are:
//!
//! - [`freezes`]: adding and removing freeze windows, and the freezes in
//!   force now (what the promotion gate reads).
//! - `trains.rs`: adding and removing release trains.
//! - `schedule.rs`: what happens between two dates (planned releases,
//!   freeze periods, train departures) and its conflicts; the page and the
//!   feed both read it.
//! - `views.rs`: the month and week views the calendar page shows.
//! - `ical.rs`: the iCalendar feed and its private links (feed tokens).
//!
//! What people type is parsed and checked in the domain
//! (`slipway_domain::calendar::input`); the SQL is in `storage::calendar`.
//!
//! Times: freezes and trains are wall-clock rules in a named IANA zone,
//! looked up in the system's tz database (`jiff::tz::db()`); a release is
//! planned for a date (stored as midnight UTC). Every entry is placed on the
//! date it falls on in its own zone: a train leaving Tuesday 10:00 in
//! Europe/Berlin is on Tuesday, whatever the viewer's zone.
//!
//! Conflicts: a release planned on a day a freeze of its project (or a
//! global freeze) covers, in the freeze's zone; a train departing inside
//! such a freeze; and two releases planned the same day when one project
//! depends on the other, directly or through others ("Same day as Blog
//! 2.0.0, which Shop depends on"; see `project::DependencyGraph`). Releases
//! of unrelated projects on the same day are not a conflict. Only projects
//! the viewer sees take part.

pub mod freezes;
mod ical;
mod schedule;
mod trains;
mod views;

pub use ical::NewFeed;
pub use slipway_domain::calendar::input::{FreezeInput, TrainInput};

use crate::accounts::require;
use crate::storage::projects;
use crate::{ServiceError, Services};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use slipway_domain::{AuditAction, Permission, Principal, ProjectId};
use std::collections::HashMap;

pub struct Calendar<'a> {
    pub(crate) services: &'a Services,
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ServiceError {
    ServiceError::Internal(Box::new(e))
}

/// A zone people chose, from the system's tz database.
fn known_zone(name: &str) -> Option<TimeZone> {
    jiff::tz::db().get(name).ok()
}

/// A stored zone; unknown ones (the tz database lost a name) read as UTC, as
/// the promotion gate does.
fn stored_zone(name: &str) -> TimeZone {
    known_zone(name).unwrap_or(TimeZone::UTC)
}

/// Midnight at the start of `d` in `tz`.
fn start_of(d: Date, tz: &TimeZone) -> Result<Timestamp, ServiceError> {
    Ok(d.to_zoned(tz.clone()).map_err(internal)?.timestamp())
}

fn add_days(d: Date, n: i64) -> Result<Date, ServiceError> {
    d.checked_add(n.days()).map_err(internal)
}

/// The projects someone sees, read in one query.
struct Sight {
    /// Active (not archived) projects, in name order: the calendar's.
    active: Vec<projects::ProjectRow>,
    /// Names of every project they see, archived ones too, for the chains
    /// of dependencies in messages.
    names: HashMap<i64, String>,
}

impl Sight {
    async fn of(conn: &mut sqlx::AnyConnection, actor: &Principal) -> Result<Self, ServiceError> {
        // Ordered with archived projects last, so the active ones keep
        // their name order.
        let seen: Vec<projects::ProjectRow> = projects::list(conn, true, None)
            .await?
            .into_iter()
            .filter(|p| actor.can(Permission::ViewProject, Some(ProjectId(p.id))))
            .collect();
        let names = seen.iter().map(|p| (p.id, p.name.clone())).collect();
        let active = seen
            .into_iter()
            .filter(|p| p.archived_at.is_none())
            .collect();
        Ok(Self { active, names })
    }

    fn project(&self, id: Option<i64>) -> Option<&projects::ProjectRow> {
        id.and_then(|id| self.active.iter().find(|p| p.id == id))
    }

    /// The slug of an active project, `None` for every project.
    fn slug(&self, id: Option<i64>) -> Option<String> {
        self.project(id).map(|p| p.slug.clone())
    }

    /// The name of an active project, `None` for every project.
    fn name(&self, id: Option<i64>) -> Option<String> {
        self.project(id).map(|p| p.name.clone())
    }
}

/// One change to the calendar, for the audit log.
struct Change {
    action: AuditAction,
    subject_id: i64,
    subject_label: String,
    project: Option<ProjectId>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

/// `shop: Year-end freeze`, or `Year-end freeze (all projects)`.
fn scoped_label(project: Option<&projects::ProjectRow>, name: &str) -> String {
    match project {
        Some(p) => format!("{}: {name}", p.slug),
        None => format!("{name} (all projects)"),
    }
}

impl Calendar<'_> {
    fn now(&self) -> Result<Timestamp, ServiceError> {
        Timestamp::from_millisecond(self.services.clock.now_ms()).map_err(internal)
    }

    fn today(&self) -> Result<Date, ServiceError> {
        Ok(self.now()?.to_zoned(TimeZone::UTC).date())
    }

    /// Where a new freeze or train applies, checking the actor may put it
    /// there: a project they manage policies for, or (admins) every project
    /// (`slug` empty).
    async fn target(
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
        slug: &str,
    ) -> Result<Option<projects::ProjectRow>, ServiceError> {
        let slug = slug.trim();
        if slug.is_empty() {
            return if actor.is_admin() {
                Ok(None)
            } else {
                Err(ServiceError::Forbidden)
            };
        }
        let p = projects::find_by_slug(conn, slug)
            .await?
            .ok_or(ServiceError::NotFound("project"))?;
        let pid = ProjectId(p.id);
        if !actor.can(Permission::ViewProject, Some(pid)) {
            return Err(ServiceError::NotFound("project"));
        }
        require(actor, Permission::ManageReleasePolicies, Some(pid))?;
        Ok(Some(p))
    }

    /// May the actor remove a freeze or train of this scope? Unknown and
    /// invisible look the same.
    fn may_remove(actor: &Principal, project: Option<i64>) -> Result<(), ServiceError> {
        match project {
            None if actor.is_admin() => Ok(()),
            None => Err(ServiceError::Forbidden),
            Some(p) => {
                let pid = ProjectId(p);
                if !actor.can(Permission::ViewProject, Some(pid)) {
                    return Err(ServiceError::NotFound("freeze window or train"));
                }
                require(actor, Permission::ManageReleasePolicies, Some(pid)).map(|_| ())
            }
        }
    }

    fn can_remove(actor: &Principal, project: Option<i64>) -> bool {
        match project {
            None => actor.is_admin(),
            Some(p) => actor.can(Permission::ManageReleasePolicies, Some(ProjectId(p))),
        }
    }

    /// Writes the audit event of a change `actor` made, in the change's
    /// transaction.
    async fn record(
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
        change: Change,
        now: i64,
    ) -> Result<(), ServiceError> {
        let subject = crate::audit::AuditSubject {
            id: change.subject_id.to_string(),
            label: change.subject_label,
            project: change.project,
        };
        crate::audit::record(
            conn,
            actor,
            change.action,
            subject,
            change.before,
            change.after,
            now,
        )
        .await
    }
}
