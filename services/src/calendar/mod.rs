//! The release calendar: freeze windows and release trains (create, list,
//! remove), month and week views of planned releases with their conflicts,
//! and private iCalendar feeds (RFC 5545) per project or for everything.
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

use crate::accounts::require;
use crate::clock::format_ms;
use crate::storage::{audit as audit_store, calendar as store, grants, projects, users};
use crate::{tokens, ServiceError, Services};
use icalendar::{Component, EventLike, Property, ValueType};
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan, Zoned};
use serde_json::json;
use slipway_domain::calendar::{
    dependency_clash, is_utc, observances, show, weekday, FreezeRule, FreezeWindow, Period, Train,
    TrainRun,
};
use slipway_domain::project::DependencyGraph;
use slipway_domain::read::{
    CalendarDay, CalendarEntry, CalendarEntryKind, CalendarProject, CalendarView, FeedView,
    FreezeView, TrainView,
};
use slipway_domain::{AuditAction, FieldErrors, Permission, Principal, ProjectId, UserId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

pub struct Calendar<'a> {
    pub(crate) services: &'a Services,
}

/// What people enter to add a freeze window.
#[derive(Debug, Clone, Default)]
pub struct FreezeInput {
    /// The project's slug; empty for every project (admins only).
    pub project: String,
    pub name: String,
    pub reason: String,
    /// `once` (default) or `weekly`.
    pub kind: String,
    /// One-off: `2026-12-18T17:00` (a `datetime-local` value) or `2026-12-18 17:00`.
    pub start: String,
    pub end: String,
    /// Weekly: `friday`, `15:00`, `monday`, `08:00`.
    pub start_day: String,
    pub start_time: String,
    pub end_day: String,
    pub end_time: String,
    /// An IANA name, e.g. `Europe/Berlin`.
    pub time_zone: String,
}

/// What people enter to add a release train.
#[derive(Debug, Clone, Default)]
pub struct TrainInput {
    /// The project's slug; empty for every project (admins only).
    pub project: String,
    pub name: String,
    /// `YYYY-MM-DD`: the first release; the train runs on its weekday.
    pub first_release: String,
    /// 1 to 12.
    pub every_weeks: String,
    /// `10:00`.
    pub release_time: String,
    /// Days before release day, 0 for the same day.
    pub cutoff_days_before: String,
    /// `17:00`.
    pub cutoff_time: String,
    pub time_zone: String,
}

/// A feed just created. The token is in `path` and shown once; only its
/// hash is stored.
#[derive(Debug, Clone)]
pub struct NewFeed {
    pub id: i64,
    /// `/calendar/<token>.ics`: the caller puts its public address in front.
    pub path: String,
}

/// How far the overlap check for new freezes looks ahead.
const OVERLAP_HORIZON_HOURS: i64 = 24 * 365;
/// What a feed covers, around today.
const FEED_DAYS_BACK: i64 = 90;
const FEED_DAYS_AHEAD: i64 = 365;
/// Train departures and cutoffs are moments; calendars show them this long.
const TRAIN_EVENT_MINUTES: i64 = 30;

const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ServiceError {
    ServiceError::Internal(Box::new(e))
}

fn day_name(d: Weekday) -> &'static str {
    DAY_NAMES[usize::from(d.to_monday_zero_offset().unsigned_abs())]
}

/// A time zone people typed or chose, by IANA name, with the name to store.
fn parse_zone(name: &str) -> Result<(TimeZone, String), String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Choose the team's time zone, e.g. Europe/Berlin.".into());
    }
    let tz = jiff::tz::db().get(name).map_err(|_| {
        format!(
            "\"{name}\" is not a time zone Slipway knows: use an IANA name such as Europe/Berlin or America/New_York."
        )
    })?;
    let stored = tz.iana_name().unwrap_or(name).to_owned();
    Ok((tz, stored))
}

/// A stored zone; unknown ones (the tz database lost a name) read as UTC, as
/// the promotion gate does.
fn stored_zone(name: &str) -> TimeZone {
    jiff::tz::db().get(name).unwrap_or(TimeZone::UTC)
}

fn parse_date_time(s: &str, what: &str) -> Result<DateTime, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("Give the {what}, e.g. 2026-12-18 17:00."));
    }
    s.replacen(' ', "T", 1)
        .parse::<DateTime>()
        .map_err(|_| format!("\"{s}\" is not a date and time like 2026-12-18 17:00."))
}

fn parse_time(s: &str, what: &str) -> Result<Time, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("Give the {what}, e.g. 17:00."));
    }
    s.parse::<Time>()
        .map_err(|_| format!("\"{s}\" is not a time of day like 17:00."))
}

fn parse_date(s: &str, what: &str) -> Result<Date, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("Give the {what}, e.g. 2026-12-01."));
    }
    s.parse::<Date>()
        .map_err(|_| format!("\"{s}\" is not a date like 2026-12-01."))
}

fn parse_day(s: &str, what: &str) -> Result<Weekday, String> {
    if s.trim().is_empty() {
        return Err(format!("Choose the day the freeze {what}."));
    }
    weekday::parse(s)
}

/// Parses and validates a freeze; errors name the form's fields.
fn parse_freeze(input: &FreezeInput) -> Result<(FreezeWindow, TimeZone, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let weekly = match input.kind.trim() {
        "" | "once" => false,
        "weekly" => true,
        other => {
            errors.push(
                "kind",
                format!("\"{other}\" is not a kind of freeze: choose one-off or weekly."),
            );
            false
        }
    };
    let rule = if weekly {
        let start_day = errors.check("start_day", parse_day(&input.start_day, "starts"));
        let start_time = errors.check("start_time", parse_time(&input.start_time, "start time"));
        let end_day = errors.check("end_day", parse_day(&input.end_day, "ends"));
        let end_time = errors.check("end_time", parse_time(&input.end_time, "end time"));
        match (start_day, start_time, end_day, end_time) {
            (Some(start_day), Some(start_time), Some(end_day), Some(end_time)) => {
                Some(FreezeRule::Weekly {
                    start_day,
                    start_time,
                    end_day,
                    end_time,
                })
            }
            _ => None,
        }
    } else {
        let start = errors.check("start", parse_date_time(&input.start, "start"));
        let end = errors.check("end", parse_date_time(&input.end, "end"));
        start
            .zip(end)
            .map(|(start, end)| FreezeRule::Once { start, end })
    };
    let zone = errors.check("time_zone", parse_zone(&input.time_zone));
    let parsed = rule.is_some();
    let window = FreezeWindow {
        name: input.name.trim().to_owned(),
        reason: input.reason.trim().to_owned(),
        // Stands in for a rule that did not parse, to check name and reason.
        rule: rule.unwrap_or(FreezeRule::Weekly {
            start_day: Weekday::Monday,
            start_time: Time::midnight(),
            end_day: Weekday::Tuesday,
            end_time: Time::midnight(),
        }),
    };
    if let Err(found) = window.validate() {
        for e in found.0 {
            if !parsed && e.field != "name" && e.field != "reason" {
                continue;
            }
            // A weekly freeze has no "end" field; its end is a day and time.
            let field = if weekly && e.field == "end" {
                "end_time".to_owned()
            } else {
                e.field
            };
            errors.push(field, e.message);
        }
    }
    match zone {
        Some((tz, name)) if errors.is_empty() => Ok((window, tz, name)),
        _ => Err(errors),
    }
}

/// Parses and validates a train; errors name the form's fields.
fn parse_train(input: &TrainInput) -> Result<(Train, TimeZone, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let first_release = errors.check(
        "first_release",
        parse_date(&input.first_release, "date of the first release"),
    );
    let every_weeks =
        errors.check(
            "every_weeks",
            input.every_weeks.trim().parse::<u8>().map_err(|_| {
                "Give how many weeks apart releases are: a number from 1 to 12.".into()
            }),
        );
    let release_time = errors.check(
        "release_time",
        parse_time(&input.release_time, "release time"),
    );
    let cutoff_days_before = errors.check(
        "cutoff_days_before",
        match input.cutoff_days_before.trim().parse::<i64>() {
            Ok(n) if n < 0 => Err(
                "The cutoff is after the release day: it must come before the release (0 for the same day, 4 for the Friday before a Tuesday)."
                    .to_owned(),
            ),
            Ok(n) => u8::try_from(n)
                .map_err(|_| "The cutoff must fall within the train's cadence.".to_owned()),
            Err(_) => Err(
                "Give how many days before release day the cutoff is: 0 for the same day, 4 for the Friday before a Tuesday."
                    .to_owned(),
            ),
        },
    );
    let cutoff_time = errors.check("cutoff_time", parse_time(&input.cutoff_time, "cutoff time"));
    let zone = errors.check("time_zone", parse_zone(&input.time_zone));
    let name = input.name.trim().to_owned();
    let parsed = match (
        first_release,
        every_weeks,
        release_time,
        cutoff_days_before,
        cutoff_time,
    ) {
        (
            Some(first_release),
            Some(every_weeks),
            Some(release_time),
            Some(cutoff_days_before),
            Some(cutoff_time),
        ) => Some(Train {
            name: name.clone(),
            first_release,
            every_weeks,
            release_time,
            cutoff_days_before,
            cutoff_time,
        }),
        _ => None,
    };
    let checked = parsed.clone().unwrap_or(Train {
        // Stands in for values that did not parse, to check the name.
        name,
        first_release: Date::constant(2026, 1, 6),
        every_weeks: 1,
        release_time: Time::constant(12, 0, 0, 0),
        cutoff_days_before: 1,
        cutoff_time: Time::constant(12, 0, 0, 0),
    });
    if let Err(found) = checked.validate() {
        for e in found.0 {
            if parsed.is_some() || e.field == "name" {
                errors.push(e.field, e.message);
            }
        }
    }
    match (parsed, zone) {
        (Some(train), Some((tz, name))) if errors.is_empty() => Ok((train, tz, name)),
        _ => Err(errors),
    }
}

/// The first period of `theirs` that overlaps one of `mine`.
fn first_clash<'p>(mine: &[Period], theirs: &'p [Period]) -> Option<&'p Period> {
    theirs.iter().find(|b| {
        mine.iter().any(|a| {
            a.start.timestamp() < b.end.timestamp() && b.start.timestamp() < a.end.timestamp()
        })
    })
}

/// "2026-12-18 17:00 to 2027-01-04 09:00" or "Every Friday 15:00 to Monday 08:00".
fn describe_rule(rule: &FreezeRule) -> String {
    match rule {
        FreezeRule::Once { start, end } => format!(
            "{} to {}",
            start.strftime("%Y-%m-%d %H:%M"),
            end.strftime("%Y-%m-%d %H:%M")
        ),
        FreezeRule::Weekly {
            start_day,
            start_time,
            end_day,
            end_time,
        } => format!(
            "Every {} {} to {} {}",
            day_name(*start_day),
            start_time.strftime("%H:%M"),
            day_name(*end_day),
            end_time.strftime("%H:%M")
        ),
    }
}

/// "Every 2 weeks on Tuesday at 10:00 (from 2026-11-03), cutoff 4 days before at 17:00".
fn describe_train(t: &Train) -> String {
    let every = match t.every_weeks {
        1 => "Every week".to_owned(),
        n => format!("Every {n} weeks"),
    };
    let cutoff = match t.cutoff_days_before {
        0 => "the same day".to_owned(),
        1 => "1 day before".to_owned(),
        n => format!("{n} days before"),
    };
    format!(
        "{every} on {} at {} (from {}), cutoff {cutoff} at {}",
        day_name(t.first_release.weekday()),
        t.release_time.strftime("%H:%M"),
        t.first_release,
        t.cutoff_time.strftime("%H:%M")
    )
}

fn release_label(r: &store::PlannedRow) -> String {
    if r.title.trim().is_empty() {
        format!("{} {}", r.project_name, r.version)
    } else {
        format!("{} {} — {}", r.project_name, r.version, r.title)
    }
}

fn state_label(state: &str) -> String {
    slipway_domain::release::ReleaseState::parse(state)
        .map_or_else(|| state.to_owned(), |s| s.label().to_owned())
}

/// Midnight at the start of `d` in `tz`.
fn start_of(d: Date, tz: &TimeZone) -> Result<Timestamp, ServiceError> {
    Ok(d.to_zoned(tz.clone()).map_err(internal)?.timestamp())
}

fn add_days(d: Date, n: i64) -> Result<Date, ServiceError> {
    d.checked_add(n.days()).map_err(internal)
}

/// `?month=2026-11&project=shop`.
fn query(key: &str, value: &str, project: Option<&str>) -> String {
    match project {
        Some(p) => format!("?{key}={value}&project={p}"),
        None => format!("?{key}={value}"),
    }
}

struct Freeze {
    row: store::FreezeRow,
    window: FreezeWindow,
    tz: TimeZone,
}

impl Freeze {
    fn load(row: store::FreezeRow) -> Result<Self, ServiceError> {
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
    fn covers(&self, project: i64) -> bool {
        self.row.project_id.is_none_or(|p| p == project)
    }

    fn explain(&self, p: &Period) -> String {
        format!(
            "Inside the freeze “{}” ({} to {}): {}",
            self.row.name,
            show(&p.start),
            show(&p.end),
            self.row.reason
        )
    }
}

struct TrainPolicy {
    row: store::TrainRow,
    train: Train,
    tz: TimeZone,
}

impl TrainPolicy {
    fn load(row: store::TrainRow) -> Result<Self, ServiceError> {
        let mut train: Train = serde_json::from_str(&row.rule_json).map_err(internal)?;
        train.name.clone_from(&row.name);
        Ok(Self {
            tz: stored_zone(&row.time_zone),
            train,
            row,
        })
    }
}

struct Planned {
    row: store::PlannedRow,
    date: Date,
    conflicts: Vec<String>,
}

struct Departure {
    run: TrainRun,
    conflicts: Vec<String>,
}

/// Everything in a calendar between two dates, with conflicts worked out.
struct Gathered {
    releases: Vec<Planned>,
    /// Every freeze in scope, with its periods in the range (maybe none).
    freezes: Vec<(Freeze, Vec<Period>)>,
    trains: Vec<(TrainPolicy, Vec<Departure>)>,
}

/// Which projects a calendar is about.
struct Scope<'a> {
    /// The projects whose entries are shown (all the viewer sees, or one).
    shown: &'a HashSet<i64>,
    /// Every active project the viewer sees: a release of one of them on the
    /// same day as a shown one clashes when one depends on the other, even
    /// when the calendar is filtered to one project.
    seen: &'a HashSet<i64>,
    /// Names of the projects the viewer sees (archived ones too), for the
    /// chains of dependencies in messages.
    names: &'a HashMap<i64, String>,
}

/// Loads and relates the calendar of `scope` from `first` to `last`
/// (inclusive dates).
async fn gather(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope<'_>,
    first: Date,
    last: Date,
) -> Result<Gathered, ServiceError> {
    let in_scope = |p: Option<i64>| p.is_none_or(|p| scope.shown.contains(&p));
    let after = add_days(last, 1)?;

    let mut freezes = Vec::new();
    for row in store::freezes(conn).await? {
        if in_scope(row.project_id) {
            let f = Freeze::load(row)?;
            let periods = f
                .window
                .periods(&f.tz, start_of(first, &f.tz)?, start_of(after, &f.tz)?);
            freezes.push((f, periods));
        }
    }

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

    let mut trains = Vec::new();
    for row in store::trains(conn).await? {
        if !in_scope(row.project_id) {
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
    Ok(Gathered {
        releases,
        freezes,
        trains,
    })
}

/// The days a period touches, in its own zone, clamped to `[first, last]`.
fn days_of(p: &Period, first: Date, last: Date) -> Vec<Date> {
    let start = p.start.date().max(first);
    let end_date = p.end.timestamp().checked_sub(1.millisecond()).map_or_else(
        |_| p.end.date(),
        |t| t.to_zoned(p.end.time_zone().clone()).date(),
    );
    let end = end_date.min(last);
    let mut out = Vec::new();
    let mut d = start;
    while d <= end {
        out.push(d);
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    out
}

/// `10:00 Europe/Berlin`: a time on the day it is shown on.
fn clock_time(z: &Zoned) -> String {
    let zone = z.time_zone().iana_name().unwrap_or("UTC");
    format!("{} {zone}", z.strftime("%H:%M"))
}

/// The part of day `d` a freeze period covers: `from 17:00 Europe/Berlin`,
/// `until 09:00 Europe/Berlin`, `15:00–18:00 Europe/Berlin` or `all day`.
fn part_of_day(p: &Period, d: Date) -> String {
    let starts = p.start.date() == d && p.start.time() != Time::midnight();
    let ends = p.end.date() == d;
    let zone = p.start.time_zone().iana_name().unwrap_or("UTC");
    match (starts, ends) {
        (true, true) => format!(
            "{}–{} {zone}",
            p.start.strftime("%H:%M"),
            p.end.strftime("%H:%M")
        ),
        (true, false) => format!("from {}", clock_time(&p.start)),
        (false, true) => format!("until {}", clock_time(&p.end)),
        (false, false) => "all day".to_owned(),
    }
}

/// `+0100`, `-0430`, or `+053028` for the odd historical offset in seconds
/// (RFC 5545 §3.3.14).
fn utc_offset(o: Offset) -> String {
    let total = o.seconds();
    let sign = if total < 0 { '-' } else { '+' };
    let abs = total.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs % 3600 / 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

/// The time zones the timed events of a feed use, and when.
#[derive(Default)]
struct FeedZones {
    /// IANA name → the zone, and the first and last moments written in it.
    used: BTreeMap<String, (TimeZone, Timestamp, Timestamp)>,
}

impl FeedZones {
    /// `DTSTART;TZID=Europe/Berlin:20261201T100000`: the wall-clock time in
    /// the moment's own zone. UTC (and a zone without a name) is written as
    /// `DTSTART:20261201T090000Z`, as is a wall-clock time that a calendar
    /// would read back as another moment (never for times Slipway makes:
    /// they resolve gaps and folds the way RFC 5545 does).
    fn property(&mut self, key: &str, at: &Zoned) -> Property {
        let tz = at.time_zone();
        let t = at.timestamp();
        let wall = at.datetime();
        let reads_back = tz
            .to_ambiguous_zoned(wall)
            .compatible()
            .is_ok_and(|z| z.timestamp() == t);
        match tz.iana_name() {
            Some(name) if reads_back && !is_utc(tz) => {
                let (_, first, last) = self
                    .used
                    .entry(name.to_owned())
                    .or_insert_with(|| (tz.clone(), t, t));
                *first = (*first).min(t);
                *last = (*last).max(t);
                Property::new(key, wall.strftime("%Y%m%dT%H%M%S").to_string())
                    .add_parameter("TZID", name)
                    .done()
            }
            _ => Property::new(key, t.strftime("%Y%m%dT%H%M%SZ").to_string()),
        }
    }

    /// One VTIMEZONE per zone used, in name order.
    fn vtimezones(&self) -> Result<String, ServiceError> {
        let mut out = String::new();
        let mut line = |p: Property| -> Result<(), ServiceError> {
            let text: String = p.try_into().map_err(internal)?;
            out.push_str(&text);
            Ok(())
        };
        for (name, (tz, first, last)) in &self.used {
            line(Property::new("BEGIN", "VTIMEZONE"))?;
            line(Property::new("TZID", name))?;
            for o in observances(tz, *first, *last) {
                let part = if o.daylight { "DAYLIGHT" } else { "STANDARD" };
                line(Property::new("BEGIN", part))?;
                line(Property::new(
                    "DTSTART",
                    o.start.strftime("%Y%m%dT%H%M%S").to_string(),
                ))?;
                line(Property::new("TZOFFSETFROM", utc_offset(o.offset_from)))?;
                line(Property::new("TZOFFSETTO", utc_offset(o.offset_to)))?;
                if !o.abbreviation.is_empty() {
                    line(Property::new("TZNAME", o.abbreviation))?;
                }
                line(Property::new("END", part))?;
            }
            line(Property::new("END", "VTIMEZONE"))?;
        }
        Ok(out)
    }
}

/// The calendar's text with the VTIMEZONE components put in before its
/// first component (some calendar apps read a feed in one pass and must
/// know a zone before an event uses it), or before its end when it has none.
fn with_time_zones(calendar: &str, vtimezones: &str) -> String {
    let at = calendar
        .find("\r\nBEGIN:")
        .map(|i| i + 2)
        .or_else(|| calendar.rfind("END:VCALENDAR"))
        .unwrap_or(calendar.len());
    let mut out = String::with_capacity(calendar.len() + vtimezones.len());
    out.push_str(&calendar[..at]);
    out.push_str(vtimezones);
    out.push_str(&calendar[at..]);
    out
}

/// The frame of a view: which days, which of them are "in" it, and links.
struct Frame {
    title: String,
    is_week: bool,
    first: Date,
    last: Date,
    range: (Date, Date),
    prev: String,
    next: String,
}

impl Calendar<'_> {
    fn now(&self) -> Result<Timestamp, ServiceError> {
        Timestamp::from_millisecond(self.services.clock.now_ms()).map_err(internal)
    }

    fn today(&self) -> Result<Date, ServiceError> {
        Ok(self.now()?.to_zoned(TimeZone::UTC).date())
    }

    /// The projects (not archived) the actor can see, in name order.
    async fn visible_projects(
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
    ) -> Result<Vec<projects::ProjectRow>, ServiceError> {
        let only: Option<Vec<ProjectId>> = if actor.sees_all_projects() {
            None
        } else {
            Some(actor.grants.iter().filter_map(|g| g.project).collect())
        };
        Ok(projects::list(conn, false, only.as_deref())
            .await?
            .into_iter()
            .filter(|p| actor.can(Permission::ViewProject, Some(ProjectId(p.id))))
            .collect())
    }

    /// The names of every project the actor sees, archived ones too.
    async fn project_names(
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
    ) -> Result<HashMap<i64, String>, ServiceError> {
        Ok(projects::list(conn, true, None)
            .await?
            .into_iter()
            .filter(|p| actor.can(Permission::ViewProject, Some(ProjectId(p.id))))
            .map(|p| (p.id, p.name))
            .collect())
    }

    /// Where a new freeze or train applies, checking the actor may put it
    /// there: a project they manage policies for, or (admins) every project.
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

    /// Adds a freeze window. Refused, naming the other window, when it
    /// overlaps one of the same scope (the same project, or both global) in
    /// the next 365 days. Returns its id.
    ///
    /// The overlap check reads, then inserts, in one transaction: two
    /// overlapping windows created at the very same moment by two people
    /// could both pass. Overlaps are a sign of a duplicate,
    /// not a safety problem (the gate honours every window), so no lock is
    /// taken for it.
    pub async fn create_freeze(
        &self,
        actor: &Principal,
        input: &FreezeInput,
    ) -> Result<i64, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let project = Self::target(&mut tx, actor, &input.project).await?;
        let (window, tz, zone) = parse_freeze(input)?;
        let weekly = matches!(window.rule, FreezeRule::Weekly { .. });
        let pid = project.as_ref().map(|p| ProjectId(p.id));
        let from = self.now()?;
        let to = from
            .checked_add(OVERLAP_HORIZON_HOURS.hours())
            .map_err(internal)?;
        let mine = window.periods(&tz, from, to);
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
                time_zone: &zone,
                created_by: actor.id,
            },
            now,
        )
        .await?;
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: Some((actor.id, &actor.username)),
                action: AuditAction::FreezeCreated,
                subject_id: id.to_string(),
                subject_label: match &project {
                    Some(p) => format!("{}: {}", p.slug, window.name),
                    None => format!("{} (all projects)", window.name),
                },
                project: pid,
                before: None,
                after: Some(json!({
                    "name": window.name, "reason": window.reason, "rule": window.rule,
                    "time_zone": zone, "project": project.as_ref().map(|p| &p.slug),
                })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

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
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: Some((actor.id, &actor.username)),
                action: AuditAction::FreezeRemoved,
                subject_id: id.to_string(),
                subject_label: row.name.clone(),
                project: row.project_id.map(ProjectId),
                before: Some(json!({
                    "name": row.name, "reason": row.reason,
                    "rule": serde_json::from_str::<serde_json::Value>(&row.rule_json).ok(),
                    "time_zone": row.time_zone,
                })),
                after: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a release train. Returns its id.
    pub async fn create_train(
        &self,
        actor: &Principal,
        input: &TrainInput,
    ) -> Result<i64, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let project = Self::target(&mut tx, actor, &input.project).await?;
        let (train, _tz, zone) = parse_train(input)?;
        let pid = project.as_ref().map(|p| ProjectId(p.id));
        let rule_json = serde_json::to_string(&train).map_err(internal)?;
        let now = self.services.clock.now_ms();
        let id = store::insert_train(
            &mut tx,
            &store::NewTrain {
                project: pid,
                name: &train.name,
                rule_json: &rule_json,
                time_zone: &zone,
                created_by: actor.id,
            },
            now,
        )
        .await?;
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: Some((actor.id, &actor.username)),
                action: AuditAction::TrainCreated,
                subject_id: id.to_string(),
                subject_label: match &project {
                    Some(p) => format!("{}: {}", p.slug, train.name),
                    None => format!("{} (all projects)", train.name),
                },
                project: pid,
                before: None,
                after: Some(json!({
                    "train": train, "time_zone": zone,
                    "project": project.as_ref().map(|p| &p.slug),
                })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn remove_train(&self, actor: &Principal, id: i64) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let row = store::find_train(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound("train"))?;
        Self::may_remove(actor, row.project_id)?;
        if !store::delete_train(&mut tx, id).await? {
            return Err(ServiceError::NotFound("train"));
        }
        let now = self.services.clock.now_ms();
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: Some((actor.id, &actor.username)),
                action: AuditAction::TrainRemoved,
                subject_id: id.to_string(),
                subject_label: row.name.clone(),
                project: row.project_id.map(ProjectId),
                before: Some(json!({
                    "name": row.name,
                    "train": serde_json::from_str::<serde_json::Value>(&row.rule_json).ok(),
                    "time_zone": row.time_zone,
                })),
                after: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The view the page asks for: `week` (`YYYY-MM-DD`) if given, else
    /// `month` (`YYYY-MM`, default: this month); `project` empty for all.
    pub async fn view(
        &self,
        actor: &Principal,
        month: &str,
        week: &str,
        project: &str,
    ) -> Result<CalendarView, ServiceError> {
        let project = Some(project.trim()).filter(|p| !p.is_empty());
        if !week.trim().is_empty() {
            let from =
                parse_date(week, "week's first day").map_err(|m| ServiceError::field("week", m))?;
            return self.week(actor, from, project).await;
        }
        let (year, month) = match month.trim() {
            "" => {
                let today = self.today()?;
                (today.year(), today.month())
            }
            m => m
                .split_once('-')
                .and_then(|(y, m)| Some((y.parse::<i16>().ok()?, m.parse::<i8>().ok()?)))
                .ok_or_else(|| {
                    ServiceError::field("month", format!("\"{m}\" is not a month like 2026-12."))
                })?,
        };
        self.month(actor, year, month, project).await
    }

    /// A month as a grid of weeks (Monday to Sunday, with the neighbouring
    /// months' days that fill it), for the projects the actor sees or one.
    ///
    /// Flags a release planned inside a freeze of its project or a global
    /// one, and a release planned the same day as one of a project it
    /// depends on, or that depends on it (directly or through others). With
    /// a project filter, releases of the other projects the viewer sees
    /// still count for that, though they are not shown.
    pub async fn month(
        &self,
        actor: &Principal,
        year: i16,
        month: i8,
        project: Option<&str>,
    ) -> Result<CalendarView, ServiceError> {
        let first = Date::new(year, month, 1)
            .ok()
            .filter(|_| (1970..=2200).contains(&year))
            .ok_or_else(|| {
                ServiceError::field("month", format!("{year}-{month:02} is not a month."))
            })?;
        let last = first.last_of_month();
        let grid_first = add_days(first, -i64::from(first.weekday().to_monday_zero_offset()))?;
        let grid_last = add_days(last, 6 - i64::from(last.weekday().to_monday_zero_offset()))?;
        let prev = first.checked_sub(1.month()).map_err(internal)?;
        let next = first.checked_add(1.month()).map_err(internal)?;
        let name = MONTH_NAMES[usize::from(month.unsigned_abs()) - 1];
        let frame = Frame {
            title: format!("{name} {year}"),
            is_week: false,
            first: grid_first,
            last: grid_last,
            range: (first, last),
            prev: query("month", &prev.strftime("%Y-%m").to_string(), project),
            next: query("month", &next.strftime("%Y-%m").to_string(), project),
        };
        self.render(actor, project, frame).await
    }

    /// Seven days from `from`.
    pub async fn week(
        &self,
        actor: &Principal,
        from: Date,
        project: Option<&str>,
    ) -> Result<CalendarView, ServiceError> {
        if !(1970..=2200).contains(&from.year()) {
            return Err(ServiceError::field(
                "week",
                format!("{from} is out of range."),
            ));
        }
        let last = add_days(from, 6)?;
        let frame = Frame {
            title: format!("Week of {} {from}", &day_name(from.weekday())[..3]),
            is_week: true,
            first: from,
            last,
            range: (from, last),
            prev: query("week", &add_days(from, -7)?.to_string(), project),
            next: query("week", &add_days(from, 7)?.to_string(), project),
        };
        self.render(actor, project, frame).await
    }

    async fn render(
        &self,
        actor: &Principal,
        project: Option<&str>,
        frame: Frame,
    ) -> Result<CalendarView, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let visible = Self::visible_projects(&mut conn, actor).await?;
        let scope: HashSet<i64> = match project {
            Some(slug) => {
                let p = visible
                    .iter()
                    .find(|p| p.slug == slug)
                    .ok_or(ServiceError::NotFound("project"))?;
                HashSet::from([p.id])
            }
            None => visible.iter().map(|p| p.id).collect(),
        };
        let seen: HashSet<i64> = visible.iter().map(|p| p.id).collect();
        let names = Self::project_names(&mut conn, actor).await?;
        let g = gather(
            &mut conn,
            &Scope {
                shown: &scope,
                seen: &seen,
                names: &names,
            },
            frame.first,
            frame.last,
        )
        .await?;
        let slug_of = |id: Option<i64>| {
            id.and_then(|id| visible.iter().find(|p| p.id == id))
                .map(|p| p.slug.clone())
        };
        let name_of = |id: Option<i64>| {
            id.and_then(|id| visible.iter().find(|p| p.id == id))
                .map(|p| p.name.clone())
        };

        let mut days: BTreeMap<Date, Vec<CalendarEntry>> = BTreeMap::new();
        for (f, periods) in &g.freezes {
            for p in periods {
                for d in days_of(p, frame.first, frame.last) {
                    days.entry(d).or_default().push(CalendarEntry {
                        kind: CalendarEntryKind::Freeze,
                        label: f.row.name.clone(),
                        project_slug: slug_of(f.row.project_id),
                        detail: format!("{}: {}", part_of_day(p, d), f.row.reason),
                        href: None,
                        conflicts: Vec::new(),
                    });
                }
            }
        }
        let in_frame = |d: Date| (frame.first..=frame.last).contains(&d);
        for (t, departures) in &g.trains {
            for dep in departures {
                let (release, cutoff) = (&dep.run.release, &dep.run.cutoff);
                if in_frame(cutoff.date()) {
                    days.entry(cutoff.date()).or_default().push(CalendarEntry {
                        kind: CalendarEntryKind::TrainCutoff,
                        label: format!("{}: code-freeze cutoff", t.row.name),
                        project_slug: slug_of(t.row.project_id),
                        detail: format!(
                            "{} · for the release on {}",
                            clock_time(cutoff),
                            release.date()
                        ),
                        href: None,
                        conflicts: Vec::new(),
                    });
                }
                if in_frame(release.date()) {
                    days.entry(release.date()).or_default().push(CalendarEntry {
                        kind: CalendarEntryKind::TrainRelease,
                        label: format!("{}: release", t.row.name),
                        project_slug: slug_of(t.row.project_id),
                        detail: format!(
                            "{} · cutoff {}",
                            clock_time(release),
                            cutoff.strftime("%a %Y-%m-%d %H:%M")
                        ),
                        href: None,
                        conflicts: dep.conflicts.clone(),
                    });
                }
            }
        }
        for r in &g.releases {
            days.entry(r.date).or_default().push(CalendarEntry {
                kind: CalendarEntryKind::Release,
                label: release_label(&r.row),
                project_slug: Some(r.row.project_slug.clone()),
                detail: state_label(&r.row.state),
                href: Some(format!(
                    "/projects/{}/releases/{}",
                    r.row.project_slug, r.row.id
                )),
                conflicts: r.conflicts.clone(),
            });
        }
        let conflict_count = days
            .values()
            .flatten()
            .filter(|e| !e.conflicts.is_empty())
            .count();

        let today = self.today()?;
        let mut all_days = Vec::new();
        let mut d = frame.first;
        while d <= frame.last {
            all_days.push(CalendarDay {
                date: d.to_string(),
                day: d.day(),
                weekday: day_name(d.weekday())[..3].to_owned(),
                in_range: (frame.range.0..=frame.range.1).contains(&d),
                today: d == today,
                entries: days.remove(&d).unwrap_or_default(),
            });
            d = d.tomorrow().map_err(internal)?;
        }
        let weeks = all_days.chunks(7).map(<[CalendarDay]>::to_vec).collect();

        let now = self.now()?;
        let freezes = g
            .freezes
            .iter()
            .map(|(f, _)| FreezeView {
                id: f.row.id,
                name: f.row.name.clone(),
                reason: f.row.reason.clone(),
                project_slug: slug_of(f.row.project_id),
                project_name: name_of(f.row.project_id),
                when: describe_rule(&f.window.rule),
                time_zone: f.row.time_zone.clone(),
                can_remove: Self::can_remove(actor, f.row.project_id),
            })
            .collect();
        let trains = g
            .trains
            .iter()
            .map(|(t, _)| TrainView {
                id: t.row.id,
                name: t.row.name.clone(),
                project_slug: slug_of(t.row.project_id),
                project_name: name_of(t.row.project_id),
                cadence: describe_train(&t.train),
                time_zone: t.row.time_zone.clone(),
                next: t.train.next_run(&t.tz, now).map(|r| {
                    format!(
                        "Next release {} (cutoff {})",
                        show(&r.release),
                        show(&r.cutoff)
                    )
                }),
                can_remove: Self::can_remove(actor, t.row.project_id),
            })
            .collect();
        Ok(CalendarView {
            title: frame.title,
            is_week: frame.is_week,
            from: frame.first.to_string(),
            to: frame.last.to_string(),
            prev: frame.prev,
            next: frame.next,
            today: if frame.is_week {
                query("week", &today.to_string(), project)
            } else {
                query("month", &today.strftime("%Y-%m").to_string(), project)
            },
            project: project.map(str::to_owned),
            projects: visible
                .iter()
                .map(|p| CalendarProject {
                    slug: p.slug.clone(),
                    name: p.name.clone(),
                    can_manage: actor.can(Permission::ManageReleasePolicies, Some(ProjectId(p.id))),
                })
                .collect(),
            weeks,
            conflict_count,
            freezes,
            trains,
            can_manage_global: actor.is_admin(),
        })
    }

    /// Creates a private feed for the signed-in person: every project they
    /// see (`project` empty) or one. The token is in the returned path and
    /// shown once.
    pub async fn create_feed(
        &self,
        actor: &Principal,
        project: &str,
    ) -> Result<NewFeed, ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let project = match project.trim() {
            "" => None,
            slug => {
                let p = projects::find_by_slug(&mut tx, slug)
                    .await?
                    .ok_or(ServiceError::NotFound("project"))?;
                require(actor, Permission::ViewProject, Some(ProjectId(p.id)))
                    .map_err(|_| ServiceError::NotFound("project"))?;
                Some(p)
            }
        };
        let pid = project.as_ref().map(|p| ProjectId(p.id));
        let (token, hash) = tokens::generate();
        let now = self.services.clock.now_ms();
        let id = store::insert_feed(&mut tx, actor.id, pid, &hash, now).await?;
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: Some((actor.id, &actor.username)),
                action: AuditAction::FeedTokenCreated,
                subject_id: id.to_string(),
                subject_label: match &project {
                    Some(p) => format!("{}'s calendar feed for {}", actor.username, p.slug),
                    None => format!("{}'s calendar feed", actor.username),
                },
                project: pid,
                before: None,
                after: Some(json!({ "project": project.as_ref().map(|p| &p.slug) })),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(NewFeed {
            id,
            path: format!("/calendar/{token}.ics"),
        })
    }

    /// The signed-in person's feeds (never their tokens).
    pub async fn feeds(&self, actor: &Principal) -> Result<Vec<FeedView>, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        Ok(store::feeds_of(&mut conn, actor.id)
            .await?
            .into_iter()
            .map(|f| FeedView {
                id: f.id,
                project_slug: f.project_slug,
                project_name: f.project_name,
                created_at: format_ms(f.created_at),
                revoked_at: f.revoked_at.map(format_ms),
            })
            .collect())
    }

    /// Revokes one of the signed-in person's feeds: its address stops working.
    pub async fn revoke_feed(&self, actor: &Principal, id: i64) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let now = self.services.clock.now_ms();
        if !store::revoke_feed(&mut tx, id, actor.id, now).await? {
            return Err(ServiceError::NotFound("calendar feed"));
        }
        audit_store::insert(
            &mut tx,
            &audit_store::NewEvent {
                actor: Some((actor.id, &actor.username)),
                action: AuditAction::FeedTokenRevoked,
                subject_id: id.to_string(),
                subject_label: format!("{}'s calendar feed", actor.username),
                project: None,
                before: None,
                after: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The feed's owner as they are now (roles may have changed since the
    /// feed was made); `None` when the account is gone or disabled.
    async fn owner(
        conn: &mut sqlx::AnyConnection,
        user: UserId,
    ) -> Result<Option<Principal>, ServiceError> {
        let Some(u) = users::find(conn, user).await? else {
            return Ok(None);
        };
        if u.disabled {
            return Ok(None);
        }
        let grants = grants::for_user(conn, user).await?;
        Ok(Some(Principal {
            id: UserId(u.id),
            username: u.username,
            display_name: u.display_name,
            grants: grants
                .iter()
                .filter_map(grants::GrantRow::to_grant)
                .collect(),
            must_change_password: u.must_change_password,
        }))
    }

    /// The iCalendar (RFC 5545) text of a feed, from 90 days ago to a year
    /// ahead: planned releases as all-day events, train releases and cutoffs
    /// and freeze periods as timed events. `base_url` (`https://slipway.example.com`)
    /// makes the links to release pages. Unknown, malformed and revoked
    /// tokens, and feeds whose owner was disabled or lost access to the
    /// project, are all `NotFound` alike.
    ///
    /// Time zones: train departures, cutoffs and freeze periods are written
    /// in the zone stored with their train or freeze, as wall-clock times
    /// (`DTSTART;TZID=Europe/Berlin:20261201T100000`), so calendars show
    /// 10:00 Berlin time in summer and winter alike; UTC ones as UTC times
    /// (`...T090000Z`). Each zone used gets one VTIMEZONE, derived from the
    /// tz database jiff reads: the observance in force at the first time
    /// written in it and one per transition up to the last (see
    /// `calendar::observances`). The description repeats time and zone.
    ///
    /// The `icalendar` crate (0.17) writes the events, with its escaping and
    /// line folding. It cannot write a VTIMEZONE: its components always add
    /// DTSTAMP and UID lines, which a VTIMEZONE and its STANDARD/DAYLIGHT
    /// parts must not have. So each line of a VTIMEZONE, BEGIN and END
    /// included, is written by the crate's `Property` (escaped and folded),
    /// and the block goes in before the first event (`with_time_zones`).
    pub async fn ics(&self, token: &str, base_url: &str) -> Result<String, ServiceError> {
        const GONE: ServiceError = ServiceError::NotFound("calendar feed");
        if !tokens::looks_valid(token) {
            return Err(GONE);
        }
        let mut conn = self.services.store.pool().acquire().await?;
        let feed = store::feed_by_hash(&mut conn, &tokens::hash(token))
            .await?
            .filter(|f| f.revoked_at.is_none())
            .ok_or(GONE)?;
        let owner = Self::owner(&mut conn, UserId(feed.user_id))
            .await?
            .ok_or(GONE)?;
        let visible = Self::visible_projects(&mut conn, &owner).await?;
        let in_feed: Vec<&projects::ProjectRow> = visible
            .iter()
            .filter(|p| feed.project_id.is_none_or(|id| id == p.id))
            .collect();
        if feed.project_id.is_some() && in_feed.is_empty() {
            return Err(GONE);
        }
        let scope: HashSet<i64> = in_feed.iter().map(|p| p.id).collect();
        let today = self.today()?;
        let first = add_days(today, -FEED_DAYS_BACK)?;
        let last = add_days(today, FEED_DAYS_AHEAD)?;
        let seen: HashSet<i64> = visible.iter().map(|p| p.id).collect();
        let names = Self::project_names(&mut conn, &owner).await?;
        let g = gather(
            &mut conn,
            &Scope {
                shown: &scope,
                seen: &seen,
                names: &names,
            },
            first,
            last,
        )
        .await?;
        let now = self.now()?;

        let base = base_url.trim_end_matches('/');
        let host = base
            .split_once("://")
            .map_or(base, |(_, rest)| rest)
            .split(['/', ':'])
            .next()
            .filter(|h| !h.is_empty())
            .unwrap_or("slipway");
        let name_of = |id: Option<i64>| {
            id.and_then(|id| visible.iter().find(|p| p.id == id))
                .map(|p| p.name.clone())
        };
        let utc =
            |key: &str, t: Timestamp| Property::new(key, t.strftime("%Y%m%dT%H%M%SZ").to_string());
        let date = |key: &str, d: Date| {
            Property::new(key, d.strftime("%Y%m%d").to_string())
                .append_parameter(ValueType::Date)
                .done()
        };
        let warnings = |conflicts: &[String]| {
            conflicts
                .iter()
                .map(|c| format!("\n⚠ {c}"))
                .collect::<String>()
        };

        let mut cal = icalendar::Calendar::empty();
        cal.append_property(Property::new("VERSION", "2.0"))
            .append_property(Property::new("PRODID", "-//Slipway//Release calendar//EN"))
            .append_property(Property::new("CALSCALE", "GREGORIAN"))
            .append_property(Property::new("METHOD", "PUBLISH"))
            .append_property(Property::new(
                "X-WR-CALNAME",
                match feed.project_name.as_deref() {
                    Some(p) => format!("Slipway: {p}"),
                    None => "Slipway releases".to_owned(),
                },
            ))
            .append_property(
                Property::new("REFRESH-INTERVAL", "PT1H")
                    .append_parameter(ValueType::Duration)
                    .done(),
            )
            .append_property(Property::new("X-PUBLISHED-TTL", "PT1H"));

        for r in &g.releases {
            let url = format!(
                "{base}/projects/{}/releases/{}",
                r.row.project_slug, r.row.id
            );
            let mut e = icalendar::Event::new();
            e.uid(&format!("release-{}@{host}", r.row.id))
                .summary(&ical_text(&release_label(&r.row)))
                .description(&ical_text(&format!(
                    "{}. Planned for {}.{}\n{url}",
                    state_label(&r.row.state),
                    r.date,
                    warnings(&r.conflicts)
                )))
                .url(&url)
                .append_property(utc("DTSTAMP", now))
                .append_property(date("DTSTART", r.date))
                .append_property(date("DTEND", add_days(r.date, 1)?))
                .append_property(Property::new("TRANSP", "TRANSPARENT"))
                .categories(["Release"]);
            cal.push(e.done());
        }
        let length = TRAIN_EVENT_MINUTES.minutes();
        let mut zones = FeedZones::default();
        for (t, departures) in &g.trains {
            let project =
                name_of(t.row.project_id).map_or_else(|| "all projects".to_owned(), |n| n.clone());
            for dep in departures {
                let (release, cutoff) = (&dep.run.release, &dep.run.cutoff);
                let key = release.date().strftime("%Y%m%d");
                let mut e = icalendar::Event::new();
                e.uid(&format!("train-{}-{key}@{host}", t.row.id))
                    .summary(&ical_text(&format!("{} — release", t.row.name)))
                    .description(&ical_text(&format!(
                        "Release train of {project}: departs {} (cutoff {}).{}",
                        show(release),
                        show(cutoff),
                        warnings(&dep.conflicts)
                    )))
                    .append_property(utc("DTSTAMP", now))
                    .append_property(zones.property("DTSTART", release))
                    .append_property(
                        zones.property("DTEND", &release.checked_add(length).map_err(internal)?),
                    )
                    .categories(["Release train"]);
                cal.push(e.done());
                let mut c = icalendar::Event::new();
                c.uid(&format!("train-{}-{key}-cutoff@{host}", t.row.id))
                    .summary(&ical_text(&format!("{} — code-freeze cutoff", t.row.name)))
                    .description(&ical_text(&format!(
                        "Code-freeze cutoff of {project}'s train: {}, for the release {}.",
                        show(cutoff),
                        show(release)
                    )))
                    .append_property(utc("DTSTAMP", now))
                    .append_property(zones.property("DTSTART", cutoff))
                    .append_property(
                        zones.property("DTEND", &cutoff.checked_add(length).map_err(internal)?),
                    )
                    .categories(["Release train"]);
                cal.push(c.done());
            }
        }
        for (f, periods) in &g.freezes {
            let project =
                name_of(f.row.project_id).map_or_else(|| "all projects".to_owned(), |n| n.clone());
            for p in periods {
                let mut e = icalendar::Event::new();
                e.uid(&format!(
                    "freeze-{}-{}@{host}",
                    f.row.id,
                    p.start.timestamp().as_second()
                ))
                .summary(&ical_text(&format!("Freeze: {}", f.row.name)))
                .description(&ical_text(&format!(
                    "Production promotions are blocked for {project}: {}\n{} to {}",
                    f.row.reason,
                    show(&p.start),
                    show(&p.end)
                )))
                .append_property(utc("DTSTAMP", now))
                .append_property(zones.property("DTSTART", &p.start))
                .append_property(zones.property("DTEND", &p.end))
                .append_property(Property::new("TRANSP", "TRANSPARENT"))
                .categories(["Freeze"]);
                cal.push(e.done());
            }
        }
        let mut text = String::new();
        write!(text, "{cal}").map_err(internal)?;
        Ok(with_time_zones(&text, &zones.vtimezones()?))
    }
}

/// Text for an iCalendar property: control characters other than newlines
/// (stored before inputs refused them) become spaces, so a feed never
/// carries them raw.
fn ical_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn freeze(kind: &str) -> FreezeInput {
        FreezeInput {
            project: "shop".into(),
            name: "Year-end freeze".into(),
            reason: "Holiday traffic".into(),
            kind: kind.into(),
            start: "2026-12-18T17:00".into(),
            end: "2027-01-04 09:00".into(),
            start_day: "friday".into(),
            start_time: "15:00".into(),
            end_day: "Mon".into(),
            end_time: "08:00".into(),
            time_zone: "Europe/Berlin".into(),
        }
    }

    fn train() -> TrainInput {
        TrainInput {
            project: "shop".into(),
            name: "Web fortnightly".into(),
            first_release: "2026-11-03".into(),
            every_weeks: "2".into(),
            release_time: "10:00".into(),
            cutoff_days_before: "4".into(),
            cutoff_time: "17:00".into(),
            time_zone: "Europe/Berlin".into(),
        }
    }

    #[test]
    fn freezes_parse_from_the_form() {
        let (w, _, zone) = parse_freeze(&freeze("once")).unwrap();
        assert_eq!(zone, "Europe/Berlin");
        assert_eq!(
            describe_rule(&w.rule),
            "2026-12-18 17:00 to 2027-01-04 09:00"
        );
        let (w, _, _) = parse_freeze(&freeze("weekly")).unwrap();
        assert_eq!(describe_rule(&w.rule), "Every Friday 15:00 to Monday 08:00");
    }

    #[test]
    fn bad_freezes_name_their_fields() {
        let mut f = freeze("once");
        f.end = "2026-12-01 00:00".into();
        f.time_zone = "Mars/Olympus_Mons".into();
        let e = parse_freeze(&f).unwrap_err();
        assert!(e.get("end").unwrap().contains("end after it starts"));
        assert!(e.get("time_zone").unwrap().contains("Mars/Olympus_Mons"));
        let mut f = freeze("weekly");
        f.end_day = "friday".into();
        f.end_time = "15:00".into();
        f.name = String::new();
        let e = parse_freeze(&f).unwrap_err();
        assert!(
            e.get("end_time").is_some() && e.get("name").is_some(),
            "{e:?}"
        );
        let mut f = freeze("once");
        f.start = "soon".into();
        f.reason = " ".into();
        let e = parse_freeze(&f).unwrap_err();
        assert!(
            e.get("start").is_some() && e.get("reason").is_some(),
            "{e:?}"
        );
        assert!(e.get("end").is_none(), "{e:?}");
    }

    #[test]
    fn trains_parse_and_refuse_a_cutoff_after_the_release() {
        let (t, _, _) = parse_train(&train()).unwrap();
        assert_eq!(
            describe_train(&t),
            "Every 2 weeks on Tuesday at 10:00 (from 2026-11-03), cutoff 4 days before at 17:00"
        );
        let mut bad = train();
        bad.cutoff_days_before = "0".into();
        bad.cutoff_time = "11:00".into();
        assert!(parse_train(&bad)
            .unwrap_err()
            .get("cutoff_time")
            .unwrap()
            .contains("after the release"));
        bad.cutoff_days_before = "-1".into();
        assert!(parse_train(&bad)
            .unwrap_err()
            .get("cutoff_days_before")
            .unwrap()
            .contains("after the release day"));
        bad.cutoff_days_before = "14".into();
        assert!(parse_train(&bad)
            .unwrap_err()
            .get("cutoff_days_before")
            .is_some());
        let mut bad = train();
        bad.every_weeks = "x".into();
        bad.name = String::new();
        let e = parse_train(&bad).unwrap_err();
        assert!(
            e.get("every_weeks").is_some() && e.get("name").is_some(),
            "{e:?}"
        );
    }

    #[test]
    fn periods_cover_the_days_they_touch() {
        let tz = TimeZone::UTC;
        let p = Period {
            start: Date::constant(2026, 12, 18)
                .at(17, 0, 0, 0)
                .to_zoned(tz.clone())
                .unwrap(),
            end: Date::constant(2026, 12, 21).to_zoned(tz).unwrap(),
        };
        let days = days_of(
            &p,
            Date::constant(2026, 12, 1),
            Date::constant(2026, 12, 31),
        );
        assert_eq!(
            days.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["2026-12-18", "2026-12-19", "2026-12-20"],
            "the end is exclusive"
        );
        assert_eq!(
            days_of(
                &p,
                Date::constant(2026, 12, 19),
                Date::constant(2026, 12, 19)
            )
            .len(),
            1
        );
        let parts: Vec<String> = days.iter().map(|d| part_of_day(&p, *d)).collect();
        assert_eq!(parts, ["from 17:00 UTC", "all day", "all day"]);
        let short = Period {
            start: Date::constant(2026, 12, 18)
                .at(15, 0, 0, 0)
                .to_zoned(TimeZone::UTC)
                .unwrap(),
            end: Date::constant(2026, 12, 18)
                .at(18, 0, 0, 0)
                .to_zoned(TimeZone::UTC)
                .unwrap(),
        };
        assert_eq!(
            part_of_day(&short, Date::constant(2026, 12, 18)),
            "15:00–18:00 UTC"
        );
    }

    #[test]
    fn feed_times_carry_their_zone_and_each_zone_is_defined_once() {
        let berlin = jiff::tz::db().get("Europe/Berlin").unwrap();
        let at = |d: Date, tz: &TimeZone| d.at(10, 0, 0, 0).to_zoned(tz.clone()).unwrap();
        let mut zones = FeedZones::default();
        let line: String = zones
            .property("DTSTART", &at(Date::constant(2026, 12, 1), &berlin))
            .try_into()
            .unwrap();
        assert_eq!(line, "DTSTART;TZID=Europe/Berlin:20261201T100000\r\n");
        let line: String = zones
            .property("DTEND", &at(Date::constant(2027, 6, 1), &berlin))
            .try_into()
            .unwrap();
        assert_eq!(line, "DTEND;TZID=Europe/Berlin:20270601T100000\r\n");
        let line: String = zones
            .property("DTEND", &at(Date::constant(2026, 12, 1), &TimeZone::UTC))
            .try_into()
            .unwrap();
        assert_eq!(line, "DTEND:20261201T100000Z\r\n", "UTC needs no zone");
        // Winter time since October, summer time from March, nothing after
        // the last time written (June).
        assert_eq!(
            zones.vtimezones().unwrap(),
            "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
             BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD\r\n\
             BEGIN:DAYLIGHT\r\nDTSTART:20270328T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT\r\n\
             END:VTIMEZONE\r\n"
        );
    }

    #[test]
    fn time_zones_go_before_the_first_event() {
        let cal = "BEGIN:VCALENDAR\r\nX-WR-CALNAME:Long name\r\n BEGIN:folded\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(
            with_time_zones(cal, "BEGIN:VTIMEZONE\r\nEND:VTIMEZONE\r\n"),
            "BEGIN:VCALENDAR\r\nX-WR-CALNAME:Long name\r\n BEGIN:folded\r\nBEGIN:VTIMEZONE\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        assert_eq!(
            with_time_zones("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", ""),
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
        );
        assert_eq!(
            utc_offset(jiff::tz::Offset::from_seconds(19_800).unwrap()),
            "+0530"
        );
        assert_eq!(
            utc_offset(jiff::tz::Offset::from_seconds(-16_200).unwrap()),
            "-0430"
        );
        assert_eq!(
            utc_offset(jiff::tz::Offset::from_seconds(3_208).unwrap()),
            "+005328"
        );
        assert_eq!(utc_offset(jiff::tz::Offset::UTC), "+0000");
    }
}
