//! What happens between two dates, with its conflicts worked out: planned
//! releases, freeze periods and train departures. The calendar page
//! (`views`) and the feed (`ical`) both read it, in a fixed number of
//! queries (four) whatever the number of entries.

use super::freezes::Freeze;
use super::trains::TrainPolicy;
use super::{add_days, internal, start_of};
use crate::storage::{calendar as store, projects};
use crate::ServiceError;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use slipway_domain::calendar::{dependency_clash, Period, TrainRun};
use slipway_domain::project::DependencyGraph;
use std::collections::{HashMap, HashSet};

/// A release planned on a date, with what it clashes with.
pub(super) struct Planned {
    pub(super) row: store::PlannedRow,
    pub(super) date: Date,
    pub(super) conflicts: Vec<String>,
}

impl Planned {
    /// `Shop 1.4.0`, or `Shop 1.4.0 — Spring sale` with a title.
    pub(super) fn label(&self) -> String {
        let r = &self.row;
        if r.title.trim().is_empty() {
            format!("{} {}", r.project_name, r.version)
        } else {
            format!("{} {} — {}", r.project_name, r.version, r.title)
        }
    }

    /// The release's state as people read it (`Draft`, `Released`...).
    pub(super) fn state(&self) -> String {
        let state = &self.row.state;
        slipway_domain::release::ReleaseState::parse(state)
            .map_or_else(|| state.to_owned(), |s| s.label().to_owned())
    }
}

/// One departure of a train, with the freezes it departs inside.
pub(super) struct Departure {
    pub(super) run: TrainRun,
    pub(super) conflicts: Vec<String>,
}

/// Everything in a calendar between two dates, with conflicts worked out.
pub(super) struct Gathered {
    pub(super) releases: Vec<Planned>,
    /// Every freeze in scope, with its periods in the range (maybe none).
    pub(super) freezes: Vec<(Freeze, Vec<Period>)>,
    pub(super) trains: Vec<(TrainPolicy, Vec<Departure>)>,
}

/// Which projects a calendar is about.
pub(super) struct Scope<'a> {
    /// The projects whose entries are shown (all the viewer sees, or one).
    pub(super) shown: &'a HashSet<i64>,
    /// Every active project the viewer sees: a release of one of them on the
    /// same day as a shown one clashes when one depends on the other, even
    /// when the calendar is filtered to one project.
    pub(super) seen: &'a HashSet<i64>,
    /// Names of the projects the viewer sees (archived ones too), for the
    /// chains of dependencies in messages.
    pub(super) names: &'a HashMap<i64, String>,
}

/// Loads and relates the calendar of `scope` from `first` to `last`
/// (inclusive dates): four queries (freezes, planned releases, project
/// dependencies, trains).
pub(super) async fn gather(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope<'_>,
    first: Date,
    last: Date,
) -> Result<Gathered, ServiceError> {
    let after = add_days(last, 1)?;
    let freezes = freezes_in(conn, scope, first, after).await?;
    let releases = releases_in(conn, scope, &freezes, first, after).await?;
    let trains = trains_in(conn, scope, &freezes, first, last).await?;
    Ok(Gathered {
        releases,
        freezes,
        trains,
    })
}

/// Freezes and trains of every project (`None`) are in every scope.
fn in_scope(scope: &Scope<'_>, project: Option<i64>) -> bool {
    project.is_none_or(|p| scope.shown.contains(&p))
}

/// The freezes in scope with their periods from `first` until `after`.
async fn freezes_in(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope<'_>,
    first: Date,
    after: Date,
) -> Result<Vec<(Freeze, Vec<Period>)>, ServiceError> {
    let mut freezes = Vec::new();
    for row in store::freezes(conn).await? {
        if in_scope(scope, row.project_id) {
            let f = Freeze::load(row)?;
            let periods = f
                .window
                .periods(&f.tz, start_of(first, &f.tz)?, start_of(after, &f.tz)?);
            freezes.push((f, periods));
        }
    }
    Ok(freezes)
}

/// The shown releases planned from `first` until `after`, each with the
/// freezes it is planned in and the releases of projects it depends on (or
/// that depend on it) planned the same day.
async fn releases_in(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope<'_>,
    freezes: &[(Freeze, Vec<Period>)],
    first: Date,
    after: Date,
) -> Result<Vec<Planned>, ServiceError> {
    let from_ms = start_of(first, &TimeZone::UTC)?.as_millisecond();
    let to_ms = start_of(after, &TimeZone::UTC)?.as_millisecond();
    let mut seen = Vec::new();
    for row in store::planned_between(conn, from_ms, to_ms).await? {
        if scope.seen.contains(&row.project_id) {
            let date = Timestamp::from_millisecond(row.planned_at)
                .map_err(internal)?
                .to_zoned(TimeZone::UTC)
                .date();
            seen.push((row, date));
        }
    }
    let graph = DependencyGraph::new(projects::dependencies(conn).await?);
    let name = |id: i64| {
        scope
            .names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "a project you cannot see".to_owned())
    };
    let mut releases = Vec::new();
    for (row, date) in seen
        .iter()
        .filter(|(r, _)| scope.shown.contains(&r.project_id))
    {
        let mut conflicts = Vec::new();
        for (f, _) in freezes.iter().filter(|(f, _)| f.covers(row.project_id)) {
            let day = f.window.periods(
                &f.tz,
                start_of(*date, &f.tz)?,
                start_of(add_days(*date, 1)?, &f.tz)?,
            );
            if let Some(p) = day.first() {
                conflicts.push(f.explain(p));
            }
        }
        // Same day, and one project depends on the other.
        conflicts.extend(
            seen.iter()
                .filter(|(o, d)| d == date && o.project_id != row.project_id)
                .filter_map(|(o, _)| {
                    dependency_clash(
                        &graph,
                        row.project_id,
                        o.project_id,
                        &format!("{} {}", o.project_name, o.version),
                        name,
                    )
                }),
        );
        releases.push(Planned {
            row: row.clone(),
            date: *date,
            conflicts,
        });
    }
    Ok(releases)
}

/// The trains in scope with their departures whose release or cutoff falls
/// from `first` to `last`, each with the freezes it departs inside.
async fn trains_in(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope<'_>,
    freezes: &[(Freeze, Vec<Period>)],
    first: Date,
    last: Date,
) -> Result<Vec<(TrainPolicy, Vec<Departure>)>, ServiceError> {
    let mut trains = Vec::new();
    for row in store::trains(conn).await? {
        if !in_scope(scope, row.project_id) {
            continue;
        }
        let t = TrainPolicy::load(row)?;
        // Look one cadence further, for cutoffs in range whose release is not.
        let until = add_days(last, i64::from(t.train.every_weeks.max(1)) * 7)?;
        let mut departures = Vec::new();
        for run in t.train.runs(&t.tz, first, until) {
            let (release_day, cutoff_day) = (run.release.date(), run.cutoff.date());
            if !(first..=last).contains(&release_day) && !(first..=last).contains(&cutoff_day) {
                continue;
            }
            let conflicts = freezes
                .iter()
                .filter(|(f, _)| f.row.project_id.is_none() || f.row.project_id == t.row.project_id)
                .filter_map(|(f, _)| {
                    f.window
                        .active_at(&f.tz, run.release.timestamp())
                        .map(|p| format!("Departs {}", f.explain(&p)))
                })
                .collect();
            departures.push(Departure { run, conflicts });
        }
        trains.push((t, departures));
    }
    Ok(trains)
}
