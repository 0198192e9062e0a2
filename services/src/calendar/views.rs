//! The month and week views the calendar page shows: the days with their
//! entries and conflicts, and the freeze windows and trains listed below.
//!
//! A view reads what it shows in five queries, however many releases,
//! freezes, trains and projects there are: the projects the viewer sees,
//! then what `schedule::gather` reads.

use super::schedule::{gather, Gathered, Scope};
use super::{add_days, internal, Calendar, Sight};
use crate::ServiceError;
use jiff::civil::{Date, Time};
use jiff::{ToSpan, Zoned};
use slipway_domain::calendar::input::parse_date;
use slipway_domain::calendar::{show, weekday, Period};
use slipway_domain::read::{
    CalendarDay, CalendarEntry, CalendarEntryKind, CalendarProject, CalendarView, FreezeView,
    TrainView,
};
use slipway_domain::{Permission, Principal, ProjectId};
use std::collections::{BTreeMap, HashSet};

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

/// `Mon`.
fn short_day(d: Date) -> &'static str {
    let name = weekday::label(d.weekday());
    name.get(..3).unwrap_or(name)
}

/// `?month=2026-11&project=shop`.
fn query(key: &str, value: &str, project: Option<&str>) -> String {
    match project {
        Some(p) => format!("?{key}={value}&project={p}"),
        None => format!("?{key}={value}"),
    }
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

impl Frame {
    fn contains(&self, d: Date) -> bool {
        (self.first..=self.last).contains(&d)
    }
}

impl Calendar<'_> {
    /// The view the page asks for: `week` (`YYYY-MM-DD`) if given, else
    /// `month` (`YYYY-MM`, default: this month); `project` empty for all.
    #[tracing::instrument(skip_all, fields(project = %project, month = %month, week = %week))]
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
    #[tracing::instrument(skip_all, fields(project = project.unwrap_or_default(), year = year, month = month))]
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
    #[tracing::instrument(skip_all, fields(project = project.unwrap_or_default(), week = %from))]
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
            title: format!("Week of {} {from}", short_day(from)),
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
        let sight = Sight::of(&mut conn, actor).await?;
        let shown: HashSet<i64> = match project {
            Some(slug) => {
                let p = sight
                    .active
                    .iter()
                    .find(|p| p.slug == slug)
                    .ok_or(ServiceError::NotFound("project"))?;
                HashSet::from([p.id])
            }
            None => sight.active.iter().map(|p| p.id).collect(),
        };
        let seen: HashSet<i64> = sight.active.iter().map(|p| p.id).collect();
        let g = gather(
            &mut conn,
            &Scope {
                shown: &shown,
                seen: &seen,
                names: &sight.names,
            },
            frame.first,
            frame.last,
        )
        .await?;

        let mut days = entries(&g, &frame, &sight);
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
                weekday: short_day(d).to_owned(),
                in_range: (frame.range.0..=frame.range.1).contains(&d),
                today: d == today,
                entries: days.remove(&d).unwrap_or_default(),
            });
            d = d.tomorrow().map_err(internal)?;
        }
        let weeks = all_days.chunks(7).map(<[CalendarDay]>::to_vec).collect();
        let (freezes, trains) = self.policies(actor, &g, &sight)?;
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
            projects: sight
                .active
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

    /// The freeze windows and trains listed below the calendar.
    fn policies(
        &self,
        actor: &Principal,
        g: &Gathered,
        sight: &Sight,
    ) -> Result<(Vec<FreezeView>, Vec<TrainView>), ServiceError> {
        let now = self.now()?;
        let freezes = g
            .freezes
            .iter()
            .map(|(f, _)| FreezeView {
                id: f.row.id,
                name: f.row.name.clone(),
                reason: f.row.reason.clone(),
                project_slug: sight.slug(f.row.project_id),
                project_name: sight.name(f.row.project_id),
                when: f.window.rule.describe(),
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
                project_slug: sight.slug(t.row.project_id),
                project_name: sight.name(t.row.project_id),
                cadence: t.train.describe(),
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
        Ok((freezes, trains))
    }
}

/// The entries of each day in the frame: freezes, train cutoffs and
/// releases, then planned releases.
fn entries(g: &Gathered, frame: &Frame, sight: &Sight) -> BTreeMap<Date, Vec<CalendarEntry>> {
    let mut days: BTreeMap<Date, Vec<CalendarEntry>> = BTreeMap::new();
    for (f, periods) in &g.freezes {
        for p in periods {
            for d in days_of(p, frame.first, frame.last) {
                days.entry(d).or_default().push(CalendarEntry {
                    kind: CalendarEntryKind::Freeze,
                    label: f.row.name.clone(),
                    project_slug: sight.slug(f.row.project_id),
                    detail: format!("{}: {}", part_of_day(p, d), f.row.reason),
                    href: None,
                    conflicts: Vec::new(),
                });
            }
        }
    }
    for (t, departures) in &g.trains {
        for dep in departures {
            let (release, cutoff) = (&dep.run.release, &dep.run.cutoff);
            if frame.contains(cutoff.date()) {
                days.entry(cutoff.date()).or_default().push(CalendarEntry {
                    kind: CalendarEntryKind::TrainCutoff,
                    label: format!("{}: code-freeze cutoff", t.row.name),
                    project_slug: sight.slug(t.row.project_id),
                    detail: format!(
                        "{} · for the release on {}",
                        clock_time(cutoff),
                        release.date()
                    ),
                    href: None,
                    conflicts: Vec::new(),
                });
            }
            if frame.contains(release.date()) {
                days.entry(release.date()).or_default().push(CalendarEntry {
                    kind: CalendarEntryKind::TrainRelease,
                    label: format!("{}: release", t.row.name),
                    project_slug: sight.slug(t.row.project_id),
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
            label: r.label(),
            project_slug: Some(r.row.project_slug.clone()),
            detail: r.state(),
            href: Some(format!(
                "/projects/{}/releases/{}",
                r.row.project_slug, r.row.id
            )),
            conflicts: r.conflicts.clone(),
        });
    }
    days
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

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

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
    fn links_keep_the_project_filter() {
        assert_eq!(query("month", "2026-11", None), "?month=2026-11");
        assert_eq!(
            query("week", "2026-11-02", Some("shop")),
            "?week=2026-11-02&project=shop"
        );
        assert_eq!(short_day(Date::constant(2026, 11, 2)), "Mon");
    }
}
