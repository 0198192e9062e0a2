//! Freeze windows and release trains, in the team's time zone.
//!
//! Pure: time zones come in as `jiff::tz::TimeZone` values that the caller
//! looked up (the server reads the system's tz database); nothing here reads
//! the clock or files. Daylight-saving gaps and folds resolve the way people
//! expect ("compatible": a wall time that does not exist moves forward).
//!
//! What people type into the forms is read into these rules by [`input`].

pub mod input;

use crate::project::DependencyGraph;
use crate::validation::FieldErrors;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan, Zoned};
use serde::{Deserialize, Serialize};

/// When a freeze applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FreezeRule {
    /// From one wall-clock moment to another.
    Once { start: DateTime, end: DateTime },
    /// Every week, e.g. Friday 15:00 to Monday 08:00.
    Weekly {
        #[serde(with = "weekday")]
        start_day: Weekday,
        start_time: Time,
        #[serde(with = "weekday")]
        end_day: Weekday,
        end_time: Time,
    },
}

/// Weekdays as `monday` ... `sunday` in stored policies and forms.
pub mod weekday {
    use jiff::civil::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub const NAMES: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];

    /// As people read it: `Monday` ... `Sunday`.
    pub const LABELS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];

    fn index(day: Weekday) -> usize {
        usize::from(day.to_monday_zero_offset().unsigned_abs())
    }

    pub fn name(day: Weekday) -> &'static str {
        NAMES[index(day)]
    }

    /// `Monday`; its first three letters (`Mon`) are the short form.
    pub fn label(day: Weekday) -> &'static str {
        LABELS[index(day)]
    }

    pub fn parse(s: &str) -> Result<Weekday, String> {
        let wanted = s.trim().to_ascii_lowercase();
        NAMES
            .iter()
            .position(|n| *n == wanted || n.get(..3) == Some(wanted.as_str()))
            .and_then(|i| Weekday::from_monday_zero_offset(i as i8).ok())
            .ok_or_else(|| format!("\"{s}\" is not a day of the week."))
    }

    pub fn serialize<S: Serializer>(day: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(name(*day))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).map_err(serde::de::Error::custom)
    }
}

impl FreezeRule {
    /// `2026-12-18 17:00 to 2027-01-04 09:00` or `Every Friday 15:00 to Monday 08:00`.
    pub fn describe(&self) -> String {
        match self {
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
                weekday::label(*start_day),
                start_time.strftime("%H:%M"),
                weekday::label(*end_day),
                end_time.strftime("%H:%M")
            ),
        }
    }
}

/// A period during which production promotions are blocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeWindow {
    pub name: String,
    pub reason: String,
    pub rule: FreezeRule,
}

/// One concrete freeze period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub start: Zoned,
    pub end: Zoned,
}

fn zoned(dt: DateTime, tz: &TimeZone) -> Option<Zoned> {
    tz.to_ambiguous_zoned(dt).compatible().ok()
}

/// `2026-12-24 18:00 Europe/Berlin` (or the offset for unnamed zones).
pub fn show(z: &Zoned) -> String {
    let name = z
        .time_zone()
        .iana_name()
        .map_or_else(|| z.offset().to_string(), str::to_owned);
    format!("{} {name}", z.strftime("%Y-%m-%d %H:%M"))
}

impl FreezeWindow {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if crate::validation::bounded_text(&self.name, "Name", 1, 80).is_err() {
            errors.push(
                "name",
                "Name the freeze (at most 80 characters), e.g. Year-end freeze.",
            );
        }
        if crate::validation::bounded_multiline(&self.reason, "Reason", 1, 500).is_err() {
            errors.push(
                "reason",
                "Say why (at most 500 characters): people who are blocked will read it.",
            );
        }
        match &self.rule {
            FreezeRule::Once { start, end } if end <= start => {
                errors.push("end", "The freeze must end after it starts.");
            }
            FreezeRule::Weekly {
                start_day,
                start_time,
                end_day,
                end_time,
            } if start_day == end_day && start_time == end_time => {
                errors.push(
                    "end",
                    "A weekly freeze cannot start and end at the same moment.",
                );
            }
            _ => {}
        }
        errors.into_result(|| ())
    }

    /// The freeze periods that overlap `[from, to)`, in order.
    pub fn periods(&self, tz: &TimeZone, from: Timestamp, to: Timestamp) -> Vec<Period> {
        match &self.rule {
            FreezeRule::Once { start, end } => match (zoned(*start, tz), zoned(*end, tz)) {
                (Some(s), Some(e)) if s.timestamp() < to && e.timestamp() > from => {
                    vec![Period { start: s, end: e }]
                }
                _ => Vec::new(),
            },
            FreezeRule::Weekly {
                start_day,
                start_time,
                end_day,
                end_time,
            } => {
                let mut out = Vec::new();
                let from_date = from.to_zoned(tz.clone()).date();
                // Start a week early: a period that began last week may
                // still be running.
                let Ok(mut day) = from_date.checked_sub(7.days()) else {
                    return out;
                };
                while day.weekday() != *start_day {
                    let Ok(next) = day.tomorrow() else { return out };
                    day = next;
                }
                for _ in 0..1000 {
                    let Some(start) = zoned(day.to_datetime(*start_time), tz) else {
                        break;
                    };
                    if start.timestamp() >= to {
                        break;
                    }
                    let mut end_date = day;
                    while end_date.weekday() != *end_day {
                        let Ok(next) = end_date.tomorrow() else {
                            return out;
                        };
                        end_date = next;
                    }
                    if end_date == day && *end_time <= *start_time {
                        let Ok(next) = end_date.checked_add(7.days()) else {
                            return out;
                        };
                        end_date = next;
                    }
                    let Some(end) = zoned(end_date.to_datetime(*end_time), tz) else {
                        break;
                    };
                    if end.timestamp() > from {
                        out.push(Period { start, end });
                    }
                    let Ok(next) = day.checked_add(7.days()) else {
                        break;
                    };
                    day = next;
                }
                out
            }
        }
    }

    /// The period in force at `at`, if any.
    pub fn active_at(&self, tz: &TimeZone, at: Timestamp) -> Option<Period> {
        let later = at.checked_add(1.second()).ok()?;
        self.periods(tz, at, later)
            .into_iter()
            .find(|p| p.start.timestamp() <= at && at < p.end.timestamp())
    }
}

/// Pairs of windows (indexes) that overlap within `[from, to)`: a sign that
/// someone entered the same freeze twice, or two that should be one.
pub fn overlapping(
    windows: &[FreezeWindow],
    tz: &TimeZone,
    from: Timestamp,
    to: Timestamp,
) -> Vec<(usize, usize)> {
    let periods: Vec<Vec<Period>> = windows.iter().map(|w| w.periods(tz, from, to)).collect();
    let mut out = Vec::new();
    for i in 0..windows.len() {
        for j in i + 1..windows.len() {
            let clash = periods[i].iter().any(|a| {
                periods[j].iter().any(|b| {
                    a.start.timestamp() < b.end.timestamp()
                        && b.start.timestamp() < a.end.timestamp()
                })
            });
            if clash {
                out.push((i, j));
            }
        }
    }
    out
}

/// A release train: a release every `every_weeks` weeks on the weekday of
/// `first_release`, at `release_time`, with a code-freeze cutoff
/// `cutoff_days_before` days earlier at `cutoff_time`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Train {
    pub name: String,
    pub first_release: Date,
    pub every_weeks: u8,
    pub release_time: Time,
    pub cutoff_days_before: u8,
    pub cutoff_time: Time,
}

/// One departure of a train.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainRun {
    pub cutoff: Zoned,
    pub release: Zoned,
}

impl Train {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if crate::validation::bounded_text(&self.name, "Name", 1, 80).is_err() {
            errors.push(
                "name",
                "Name the train (at most 80 characters), e.g. Web fortnightly.",
            );
        }
        if !(1..=12).contains(&self.every_weeks) {
            errors.push("every_weeks", "A train runs every 1 to 12 weeks.");
        }
        let cadence_days = u32::from(self.every_weeks) * 7;
        if u32::from(self.cutoff_days_before) >= cadence_days.max(1) {
            errors.push(
                "cutoff_days_before",
                format!(
                    "The cutoff must fall within the train's cadence: fewer than {cadence_days} days before the release."
                ),
            );
        } else if self.cutoff_days_before == 0 && self.cutoff_time >= self.release_time {
            errors.push(
                "cutoff_time",
                "The cutoff is after the release on release day: it must come before the release.",
            );
        }
        errors.into_result(|| ())
    }

    /// `Every 2 weeks on Tuesday at 10:00 (from 2026-11-03), cutoff 4 days before at 17:00`.
    pub fn describe(&self) -> String {
        let every = match self.every_weeks {
            1 => "Every week".to_owned(),
            n => format!("Every {n} weeks"),
        };
        let cutoff = match self.cutoff_days_before {
            0 => "the same day".to_owned(),
            1 => "1 day before".to_owned(),
            n => format!("{n} days before"),
        };
        format!(
            "{every} on {} at {} (from {}), cutoff {cutoff} at {}",
            weekday::label(self.first_release.weekday()),
            self.release_time.strftime("%H:%M"),
            self.first_release,
            self.cutoff_time.strftime("%H:%M")
        )
    }

    /// Departures whose release falls in `[from, to]` (dates in the train's zone).
    pub fn runs(&self, tz: &TimeZone, from: Date, to: Date) -> Vec<TrainRun> {
        let mut out = Vec::new();
        let step = i64::from(self.every_weeks.max(1)) * 7;
        let mut n: i64 = 0;
        if from > self.first_release {
            let days = (from - self.first_release).get_days();
            n = i64::from(days) / step;
        }
        for _ in 0..10_000 {
            let Ok(day) = self.first_release.checked_add((n * step).days()) else {
                break;
            };
            if day > to {
                break;
            }
            n += 1;
            if day < from {
                continue;
            }
            let Ok(cutoff_day) = day.checked_sub(i64::from(self.cutoff_days_before).days()) else {
                continue;
            };
            if let (Some(release), Some(cutoff)) = (
                zoned(day.to_datetime(self.release_time), tz),
                zoned(cutoff_day.to_datetime(self.cutoff_time), tz),
            ) {
                out.push(TrainRun { cutoff, release });
            }
        }
        out
    }

    /// The next departure whose cutoff has not passed at `now`.
    pub fn next_run(&self, tz: &TimeZone, now: Timestamp) -> Option<TrainRun> {
        let today = now.to_zoned(tz.clone()).date();
        let horizon = today
            .checked_add((i64::from(self.every_weeks.max(1)) * 7 + 31).days())
            .ok()?;
        self.runs(tz, today, horizon)
            .into_iter()
            .find(|r| r.cutoff.timestamp() > now)
    }
}

/// One observance of a time zone, as an iCalendar VTIMEZONE lists them
/// (RFC 5545 §3.6.5): from `start`, a wall-clock time in `offset_from`,
/// the zone is `offset_to` and called `abbreviation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    pub start: DateTime,
    pub offset_from: Offset,
    pub offset_to: Offset,
    pub abbreviation: String,
    /// Summer time (DAYLIGHT) rather than standard time (STANDARD).
    pub daylight: bool,
}

/// Whether `tz` is UTC in all but name (UTC, Etc/UTC, Etc/GMT, ...): offset
/// zero, never changing. Times in such zones need no time zone definition.
pub fn is_utc(tz: &TimeZone) -> bool {
    tz.to_offset(Timestamp::UNIX_EPOCH) == Offset::UTC
        && tz.following(Timestamp::MIN).next().is_none()
        && tz.preceding(Timestamp::MAX).next().is_none()
}

/// What a calendar needs to know about `tz` to place times from `from` to
/// `to`: the observance in force at `from` (starting at the transition that
/// began it, or at 1970 for a zone that never changed), then one per
/// transition up to `to`, taken from the tz database's rules.
pub fn observances(tz: &TimeZone, from: Timestamp, to: Timestamp) -> Vec<Observance> {
    let just_before = |t: Timestamp| {
        t.checked_sub(1.nanosecond())
            .map_or_else(|_| tz.to_offset(t), |b| tz.to_offset(b))
    };
    let observance = |t: Timestamp, offset_to: Offset, abbreviation: &str, daylight: bool| {
        let offset_from = just_before(t);
        Observance {
            start: offset_from.to_datetime(t),
            offset_from,
            offset_to,
            abbreviation: abbreviation.to_owned(),
            daylight,
        }
    };
    let mut out = Vec::new();
    let began = from
        .checked_add(1.nanosecond())
        .ok()
        .and_then(|after| tz.preceding(after).next());
    match began {
        Some(t) => out.push(observance(
            t.timestamp(),
            t.offset(),
            t.abbreviation(),
            t.dst().is_dst(),
        )),
        None => {
            let info = tz.to_offset_info(from);
            out.push(Observance {
                start: DateTime::constant(1970, 1, 1, 0, 0, 0, 0),
                offset_from: info.offset(),
                offset_to: info.offset(),
                abbreviation: info.abbreviation().to_owned(),
                daylight: info.dst().is_dst(),
            });
        }
    }
    // A zone changes its clocks a few times a year at most; the cap only
    // guards against a pathological rule.
    for t in tz
        .following(from)
        .take_while(|t| t.timestamp() <= to)
        .take(1_000)
    {
        out.push(observance(
            t.timestamp(),
            t.offset(),
            t.abbreviation(),
            t.dst().is_dst(),
        ));
    }
    out
}

/// Why a release of `mine` clashes with `theirs` (`Blog 2.0.0`) planned the
/// same day, if it does: one of the two projects depends on the other,
/// directly or through others. `name` gives a project's name by id.
///
/// "Same day as Blog 2.0.0, which Shop depends on" (Shop needs Blog), or
/// "Same day as Blog 2.0.0, which depends on Shop" (Blog needs Shop), with
/// "(through API)" when the dependency runs through other projects.
/// Releases of unrelated projects do not clash.
pub fn dependency_clash(
    graph: &DependencyGraph,
    mine: i64,
    theirs: i64,
    theirs_label: &str,
    name: impl Fn(i64) -> String,
) -> Option<String> {
    if mine == theirs {
        return None;
    }
    let through = |chain: &[i64]| match chain {
        [_, middle @ .., _] if !middle.is_empty() => format!(
            " (through {})",
            middle
                .iter()
                .map(|id| name(*id))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => String::new(),
    };
    if let Some(chain) = graph.path(mine, theirs) {
        return Some(format!(
            "Same day as {theirs_label}, which {} depends on{}",
            name(mine),
            through(&chain)
        ));
    }
    graph.path(theirs, mine).map(|chain| {
        format!(
            "Same day as {theirs_label}, which depends on {}{}",
            name(mine),
            through(&chain)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn berlin() -> TimeZone {
        // A fixed copy of the rules (CET/CEST) so the test needs no tz files.
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
    }

    fn at(tz: &TimeZone, y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        date(y, m, d)
            .at(h, min, 0, 0)
            .to_zoned(tz.clone())
            .unwrap()
            .timestamp()
    }

    fn year_end() -> FreezeWindow {
        FreezeWindow {
            name: "Year-end freeze".into(),
            reason: "Holiday traffic".into(),
            rule: FreezeRule::Once {
                start: date(2026, 12, 18).at(17, 0, 0, 0),
                end: date(2027, 1, 4).at(9, 0, 0, 0),
            },
        }
    }

    fn weekends() -> FreezeWindow {
        FreezeWindow {
            name: "No Friday deploys".into(),
            reason: "Nobody is around on weekends".into(),
            rule: FreezeRule::Weekly {
                start_day: Weekday::Friday,
                start_time: time(15, 0, 0, 0),
                end_day: Weekday::Monday,
                end_time: time(8, 0, 0, 0),
            },
        }
    }

    #[test]
    fn a_one_off_freeze_is_active_only_inside_its_window() {
        let tz = berlin();
        let f = year_end();
        assert!(f.active_at(&tz, at(&tz, 2026, 12, 18, 16, 59)).is_none());
        let p = f.active_at(&tz, at(&tz, 2026, 12, 24, 12, 0)).unwrap();
        assert_eq!(
            p.end.strftime("%Y-%m-%d %H:%M %z").to_string(),
            "2027-01-04 09:00 +0100"
        );
        assert!(
            f.active_at(&tz, at(&tz, 2027, 1, 4, 9, 0)).is_none(),
            "the end is exclusive"
        );
    }

    #[test]
    fn a_weekly_freeze_wraps_over_the_weekend() {
        let tz = berlin();
        let f = weekends();
        // 2026-11-27 is a Friday.
        assert!(f.active_at(&tz, at(&tz, 2026, 11, 27, 14, 59)).is_none());
        assert!(f.active_at(&tz, at(&tz, 2026, 11, 27, 15, 0)).is_some());
        assert!(f.active_at(&tz, at(&tz, 2026, 11, 29, 23, 0)).is_some());
        assert!(
            f.active_at(&tz, at(&tz, 2026, 11, 30, 7, 59)).is_some(),
            "Monday morning, started last week"
        );
        assert!(f.active_at(&tz, at(&tz, 2026, 11, 30, 8, 0)).is_none());
        assert!(f.active_at(&tz, at(&tz, 2026, 12, 2, 12, 0)).is_none());
    }

    #[test]
    fn weekly_freezes_follow_daylight_saving_time() {
        let tz = berlin();
        // Summer time ends 2026-10-25: Friday the 23rd 15:00 is +02:00, Monday the 26th 08:00 is +01:00.
        let p = weekends()
            .active_at(&tz, at(&tz, 2026, 10, 24, 12, 0))
            .unwrap();
        assert_eq!(p.start.offset().seconds(), 7200);
        assert_eq!(p.end.offset().seconds(), 3600);
        assert_eq!(p.end.strftime("%H:%M").to_string(), "08:00");
    }

    #[test]
    fn overlapping_freezes_are_found() {
        let tz = berlin();
        let (from, to) = (at(&tz, 2026, 12, 1, 0, 0), at(&tz, 2027, 2, 1, 0, 0));
        let mut second = year_end();
        second.rule = FreezeRule::Once {
            start: date(2027, 1, 3).at(0, 0, 0, 0),
            end: date(2027, 1, 10).at(0, 0, 0, 0),
        };
        let later = FreezeWindow {
            rule: FreezeRule::Once {
                start: date(2027, 1, 20).at(0, 0, 0, 0),
                end: date(2027, 1, 21).at(0, 0, 0, 0),
            },
            ..year_end()
        };
        assert_eq!(
            overlapping(&[year_end(), second, later.clone()], &tz, from, to),
            vec![(0, 1)]
        );
        // The weekly weekend freeze overlaps the year-end freeze, not a
        // Wednesday-to-Thursday one.
        assert_eq!(
            overlapping(&[weekends(), later, year_end()], &tz, from, to),
            vec![(0, 2)]
        );
    }

    #[test]
    fn bad_freezes_are_explained() {
        let mut f = year_end();
        f.rule = FreezeRule::Once {
            start: date(2027, 1, 4).at(0, 0, 0, 0),
            end: date(2027, 1, 4).at(0, 0, 0, 0),
        };
        f.name = " ".into();
        f.reason = String::new();
        let e = f.validate().unwrap_err();
        for k in ["name", "reason", "end"] {
            assert!(e.get(k).is_some(), "{k}");
        }
        assert_eq!(weekends().validate(), Ok(()));
    }

    fn fortnightly() -> Train {
        // Every other Tuesday at 10:00, cutoff the Friday before at 17:00.
        Train {
            name: "Web fortnightly".into(),
            first_release: date(2026, 11, 3),
            every_weeks: 2,
            release_time: time(10, 0, 0, 0),
            cutoff_days_before: 4,
            cutoff_time: time(17, 0, 0, 0),
        }
    }

    #[test]
    fn trains_run_on_their_cadence_with_the_cutoff_before() {
        let tz = berlin();
        let runs = fortnightly().runs(&tz, date(2026, 11, 10), date(2026, 12, 31));
        let releases: Vec<String> = runs.iter().map(|r| r.release.date().to_string()).collect();
        assert_eq!(
            releases,
            ["2026-11-17", "2026-12-01", "2026-12-15", "2026-12-29"]
        );
        assert_eq!(
            runs[0].cutoff.strftime("%a %Y-%m-%d %H:%M").to_string(),
            "Fri 2026-11-13 17:00"
        );
        assert!(runs
            .iter()
            .all(|r| r.release.date().weekday() == Weekday::Tuesday));
    }

    #[test]
    fn the_next_train_is_the_one_whose_cutoff_has_not_passed() {
        let tz = berlin();
        let t = fortnightly();
        let before_cutoff = t.next_run(&tz, at(&tz, 2026, 11, 13, 16, 0)).unwrap();
        assert_eq!(before_cutoff.release.date(), date(2026, 11, 17));
        let after_cutoff = t.next_run(&tz, at(&tz, 2026, 11, 13, 17, 30)).unwrap();
        assert_eq!(after_cutoff.release.date(), date(2026, 12, 1));
    }

    #[test]
    fn a_cutoff_after_its_release_is_refused() {
        let mut t = fortnightly();
        t.cutoff_days_before = 0;
        t.cutoff_time = time(11, 0, 0, 0);
        assert!(t
            .validate()
            .unwrap_err()
            .get("cutoff_time")
            .unwrap()
            .contains("after the release"));
        t.cutoff_days_before = 14;
        assert!(t
            .validate()
            .unwrap_err()
            .get("cutoff_days_before")
            .is_some());
        t.cutoff_days_before = 1;
        t.every_weeks = 0;
        assert!(t.validate().unwrap_err().get("every_weeks").is_some());
        assert_eq!(fortnightly().validate(), Ok(()));
    }

    #[test]
    fn weekly_rules_round_trip_through_json() {
        let json = serde_json::to_string(&weekends()).unwrap();
        assert!(json.contains("\"start_day\":\"friday\""), "{json}");
        let back: FreezeWindow = serde_json::from_str(&json).unwrap();
        assert_eq!(back, weekends());
        assert_eq!(weekday::parse("Tue"), Ok(Weekday::Tuesday));
        assert!(weekday::parse("someday").is_err());
    }

    #[test]
    fn rules_and_trains_describe_themselves() {
        assert_eq!(
            year_end().rule.describe(),
            "2026-12-18 17:00 to 2027-01-04 09:00"
        );
        assert_eq!(
            weekends().rule.describe(),
            "Every Friday 15:00 to Monday 08:00"
        );
        assert_eq!(
            fortnightly().describe(),
            "Every 2 weeks on Tuesday at 10:00 (from 2026-11-03), cutoff 4 days before at 17:00"
        );
        let weekly = Train {
            every_weeks: 1,
            cutoff_days_before: 1,
            ..fortnightly()
        };
        assert_eq!(
            weekly.describe(),
            "Every week on Tuesday at 10:00 (from 2026-11-03), cutoff 1 day before at 17:00"
        );
        let same_day = Train {
            cutoff_days_before: 0,
            cutoff_time: time(8, 30, 0, 0),
            ..weekly
        };
        assert!(
            same_day
                .describe()
                .ends_with("cutoff the same day at 08:30"),
            "{}",
            same_day.describe()
        );
        assert_eq!(weekday::label(Weekday::Sunday), "Sunday");
        assert_eq!(weekday::name(Weekday::Sunday), "sunday");
    }

    #[test]
    fn times_are_shown_with_their_zone() {
        let z = date(2026, 12, 24)
            .at(18, 0, 0, 0)
            .to_zoned(TimeZone::UTC)
            .unwrap();
        assert_eq!(show(&z), "2026-12-24 18:00 UTC");
    }

    #[test]
    fn only_releases_of_dependent_projects_clash() {
        // Shop (1) → Blog (2) → API (3); Docs (4) stands alone.
        let g = DependencyGraph::new([(1, 2), (2, 3)]);
        let name = |id: i64| ["", "Shop", "Blog", "API", "Docs"][id as usize].to_owned();
        assert_eq!(
            dependency_clash(&g, 1, 2, "Blog 2.0.0", name).as_deref(),
            Some("Same day as Blog 2.0.0, which Shop depends on")
        );
        assert_eq!(
            dependency_clash(&g, 2, 1, "Shop 1.4.0", name).as_deref(),
            Some("Same day as Shop 1.4.0, which depends on Blog")
        );
        assert_eq!(
            dependency_clash(&g, 1, 3, "API 3.0.0", name).as_deref(),
            Some("Same day as API 3.0.0, which Shop depends on (through Blog)")
        );
        assert_eq!(
            dependency_clash(&g, 3, 1, "Shop 1.4.0", name).as_deref(),
            Some("Same day as Shop 1.4.0, which depends on API (through Blog)")
        );
        assert_eq!(dependency_clash(&g, 1, 4, "Docs 1.0.0", name), None);
        assert_eq!(dependency_clash(&g, 4, 3, "API 3.0.0", name), None);
        assert_eq!(dependency_clash(&g, 1, 1, "Shop 1.5.0", name), None);
    }

    #[test]
    fn observances_follow_the_zone_across_summer_time() {
        let tz = berlin();
        // December 2026 to July 2027: winter time (since 2026-10-25), summer
        // time from 2027-03-28, back on 2027-10-31 (outside the range).
        let from = at(&tz, 2026, 12, 1, 0, 0);
        let to = at(&tz, 2027, 7, 1, 0, 0);
        let obs = observances(&tz, from, to);
        let shown: Vec<String> = obs
            .iter()
            .map(|o| {
                format!(
                    "{} {} {}→{} {}",
                    if o.daylight { "DAYLIGHT" } else { "STANDARD" },
                    o.start.strftime("%Y%m%dT%H%M%S"),
                    o.offset_from,
                    o.offset_to,
                    o.abbreviation
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "STANDARD 20261025T030000 +02→+01 CET",
                "DAYLIGHT 20270328T020000 +01→+02 CEST",
            ]
        );
    }

    #[test]
    fn a_zone_that_never_changes_has_one_observance() {
        let tz = TimeZone::fixed(jiff::tz::offset(5));
        let obs = observances(&tz, at(&tz, 2026, 1, 1, 0, 0), at(&tz, 2027, 1, 1, 0, 0));
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].offset_to.seconds(), 5 * 3600);
        assert_eq!(obs[0].offset_from, obs[0].offset_to);
        assert!(is_utc(&TimeZone::UTC));
        assert!(!is_utc(&tz));
        assert!(!is_utc(&berlin()));
    }
}
