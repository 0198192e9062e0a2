//! What people type to add a freeze window or a release train, read into
//! [`FreezeWindow`] and [`Train`] with errors that name the form's fields.
//!
//! Time zones are looked up by the caller (`zones`: an IANA name to a zone,
//! the server reads the system's tz database), so this stays pure.
//!
//! The rules for a freeze ([`FreezeInput::parse`]), in the order they apply:
//!
//! - `kind` is `once` (or empty) or `weekly`; anything else is refused.
//! - One-off: `start` and `end` are a date and time, `2026-12-18T17:00` (a
//!   `datetime-local` value) or `2026-12-18 17:00`.
//! - Weekly: `start_day` and `end_day` are days by name or their first three
//!   letters (`friday`, `Mon`), `start_time` and `end_time` times of day.
//! - `time_zone` is an IANA name the tz database knows; the zone's own name
//!   is the one stored.
//! - Name (1 to 80 characters) and reason (1 to 500) are trimmed and checked
//!   even when the times did not parse; the rule's own checks (the end after
//!   the start, a weekly freeze that is not empty) only when they did. A
//!   weekly freeze reports its end on `end_time` (it has no `end` field).
//!
//! The rules for a train ([`TrainInput::parse`]), in the order they apply:
//!
//! - `first_release` is a date; the train runs on its weekday.
//! - `every_weeks` is a whole number (1 to 12, see [`Train::validate`]).
//! - `release_time` and `cutoff_time` are times of day.
//! - `cutoff_days_before` is a whole number of days: not negative (that
//!   would be after release day), and within the cadence.
//! - `time_zone` as for freezes.
//! - The name is trimmed and checked even when the rest did not parse; the
//!   train's own checks ([`Train::validate`]) only when it did.

use super::{weekday, FreezeRule, FreezeWindow, Train};
use crate::validation::FieldErrors;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// What people enter to add a freeze window (the project it applies to
/// is chosen apart from it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FreezeInput {
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

/// What people enter to add a release train (the project it applies to
/// is chosen apart from it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainInput {
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
    /// An IANA name, e.g. `Europe/Berlin`.
    pub time_zone: String,
}

/// The time zone a team chose, with the name to store for it.
#[derive(Debug, Clone)]
pub struct TeamZone {
    pub tz: TimeZone,
    /// The zone's IANA name (`Europe/Berlin`).
    pub name: String,
}

/// A time zone people typed or chose, by IANA name; `zones` looks it up.
pub fn parse_zone(
    name: &str,
    zones: impl Fn(&str) -> Option<TimeZone>,
) -> Result<TeamZone, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Choose the team's time zone, e.g. Europe/Berlin.".into());
    }
    let tz = zones(name).ok_or_else(|| {
        format!(
            "\"{name}\" is not a time zone Slipway knows: use an IANA name such as Europe/Berlin or America/New_York."
        )
    })?;
    let stored = tz.iana_name().unwrap_or(name).to_owned();
    Ok(TeamZone { tz, name: stored })
}

/// `2026-12-18 17:00` or `2026-12-18T17:00`; `what` names it in the message.
pub fn parse_date_time(s: &str, what: &str) -> Result<DateTime, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("Give the {what}, e.g. 2026-12-18 17:00."));
    }
    s.replacen(' ', "T", 1)
        .parse::<DateTime>()
        .map_err(|_| format!("\"{s}\" is not a date and time like 2026-12-18 17:00."))
}

/// `17:00`; `what` names it in the message.
pub fn parse_time(s: &str, what: &str) -> Result<Time, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("Give the {what}, e.g. 17:00."));
    }
    s.parse::<Time>()
        .map_err(|_| format!("\"{s}\" is not a time of day like 17:00."))
}

/// `2026-12-01`; `what` names it in the message.
pub fn parse_date(s: &str, what: &str) -> Result<Date, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("Give the {what}, e.g. 2026-12-01."));
    }
    s.parse::<Date>()
        .map_err(|_| format!("\"{s}\" is not a date like 2026-12-01."))
}

/// The day a weekly freeze starts or ends (`what`: `starts`, `ends`).
fn parse_day(s: &str, what: &str) -> Result<Weekday, String> {
    if s.trim().is_empty() {
        return Err(format!("Choose the day the freeze {what}."));
    }
    weekday::parse(s)
}

impl FreezeInput {
    /// The freeze window and its zone, or every problem found, by field.
    pub fn parse(
        &self,
        zones: impl Fn(&str) -> Option<TimeZone>,
    ) -> Result<(FreezeWindow, TeamZone), FieldErrors> {
        let mut errors = FieldErrors::new();
        let weekly = match self.kind.trim() {
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
            self.weekly_rule(&mut errors)
        } else {
            let start = errors.check("start", parse_date_time(&self.start, "start"));
            let end = errors.check("end", parse_date_time(&self.end, "end"));
            start
                .zip(end)
                .map(|(start, end)| FreezeRule::Once { start, end })
        };
        let zone = errors.check("time_zone", parse_zone(&self.time_zone, zones));
        let parsed = rule.is_some();
        let window = FreezeWindow {
            name: self.name.trim().to_owned(),
            reason: self.reason.trim().to_owned(),
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
            Some(zone) if errors.is_empty() => Ok((window, zone)),
            _ => Err(errors),
        }
    }

    fn weekly_rule(&self, errors: &mut FieldErrors) -> Option<FreezeRule> {
        let start_day = errors.check("start_day", parse_day(&self.start_day, "starts"));
        let start_time = errors.check("start_time", parse_time(&self.start_time, "start time"));
        let end_day = errors.check("end_day", parse_day(&self.end_day, "ends"));
        let end_time = errors.check("end_time", parse_time(&self.end_time, "end time"));
        Some(FreezeRule::Weekly {
            start_day: start_day?,
            start_time: start_time?,
            end_day: end_day?,
            end_time: end_time?,
        })
    }
}

/// The number of days before release day the cutoff is.
fn parse_cutoff_days(s: &str) -> Result<u8, String> {
    match s.trim().parse::<i64>() {
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
    }
}

impl TrainInput {
    /// The train and its zone, or every problem found, by field.
    pub fn parse(
        &self,
        zones: impl Fn(&str) -> Option<TimeZone>,
    ) -> Result<(Train, TeamZone), FieldErrors> {
        let mut errors = FieldErrors::new();
        let first_release = errors.check(
            "first_release",
            parse_date(&self.first_release, "date of the first release"),
        );
        let every_weeks = errors.check(
            "every_weeks",
            self.every_weeks.trim().parse::<u8>().map_err(|_| {
                "Give how many weeks apart releases are: a number from 1 to 12.".into()
            }),
        );
        let release_time = errors.check(
            "release_time",
            parse_time(&self.release_time, "release time"),
        );
        let cutoff_days_before = errors.check(
            "cutoff_days_before",
            parse_cutoff_days(&self.cutoff_days_before),
        );
        let cutoff_time = errors.check("cutoff_time", parse_time(&self.cutoff_time, "cutoff time"));
        let zone = errors.check("time_zone", parse_zone(&self.time_zone, zones));
        let name = self.name.trim().to_owned();
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
            (Some(train), Some(zone)) if errors.is_empty() => Ok((train, zone)),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    /// A tz database of two zones, so the tests need no tz files.
    fn zones(name: &str) -> Option<TimeZone> {
        match name {
            "Europe/Berlin" => TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").ok(),
            "Etc/UTC" | "UTC" => Some(TimeZone::UTC),
            _ => None,
        }
    }

    fn freeze(kind: &str) -> FreezeInput {
        FreezeInput {
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
            name: "Web fortnightly".into(),
            first_release: "2026-11-03".into(),
            every_weeks: "2".into(),
            release_time: "10:00".into(),
            cutoff_days_before: "4".into(),
            cutoff_time: "17:00".into(),
            time_zone: "Europe/Berlin".into(),
        }
    }

    /// The fields with errors, in the order they were found.
    fn fields(e: &FieldErrors) -> Vec<&str> {
        e.0.iter().map(|f| f.field.as_str()).collect()
    }

    fn freeze_errors(f: &FreezeInput) -> FieldErrors {
        f.parse(zones).unwrap_err()
    }

    fn train_errors(t: &TrainInput) -> FieldErrors {
        t.parse(zones).unwrap_err()
    }

    #[test]
    fn freezes_parse_from_the_form() {
        let (w, zone) = freeze("once").parse(zones).unwrap();
        assert_eq!(zone.name, "Europe/Berlin");
        assert_eq!(w.rule.describe(), "2026-12-18 17:00 to 2027-01-04 09:00");
        assert_eq!(
            (w.name.as_str(), w.reason.as_str()),
            ("Year-end freeze", "Holiday traffic")
        );
        let (w, _) = freeze("weekly").parse(zones).unwrap();
        assert_eq!(w.rule.describe(), "Every Friday 15:00 to Monday 08:00");
    }

    #[test]
    fn bad_freezes_name_their_fields() {
        let mut f = freeze("once");
        f.end = "2026-12-01 00:00".into();
        f.time_zone = "Mars/Olympus_Mons".into();
        let e = f.parse(zones).unwrap_err();
        assert!(e.get("end").unwrap().contains("end after it starts"));
        assert!(e.get("time_zone").unwrap().contains("Mars/Olympus_Mons"));
        let mut f = freeze("weekly");
        f.end_day = "friday".into();
        f.end_time = "15:00".into();
        f.name = String::new();
        let e = f.parse(zones).unwrap_err();
        assert!(
            e.get("end_time").is_some() && e.get("name").is_some(),
            "{e:?}"
        );
        let mut f = freeze("once");
        f.start = "soon".into();
        f.reason = " ".into();
        let e = f.parse(zones).unwrap_err();
        assert!(
            e.get("start").is_some() && e.get("reason").is_some(),
            "{e:?}"
        );
        assert!(e.get("end").is_none(), "{e:?}");
    }

    #[test]
    fn trains_parse_and_refuse_a_cutoff_after_the_release() {
        let (t, _) = train().parse(zones).unwrap();
        assert_eq!(
            t.describe(),
            "Every 2 weeks on Tuesday at 10:00 (from 2026-11-03), cutoff 4 days before at 17:00"
        );
        let mut bad = train();
        bad.cutoff_days_before = "0".into();
        bad.cutoff_time = "11:00".into();
        assert!(bad
            .parse(zones)
            .unwrap_err()
            .get("cutoff_time")
            .unwrap()
            .contains("after the release"));
        bad.cutoff_days_before = "-1".into();
        assert!(bad
            .parse(zones)
            .unwrap_err()
            .get("cutoff_days_before")
            .unwrap()
            .contains("after the release day"));
        bad.cutoff_days_before = "14".into();
        assert!(bad
            .parse(zones)
            .unwrap_err()
            .get("cutoff_days_before")
            .is_some());
        let mut bad = train();
        bad.every_weeks = "x".into();
        bad.name = String::new();
        let e = bad.parse(zones).unwrap_err();
        assert!(
            e.get("every_weeks").is_some() && e.get("name").is_some(),
            "{e:?}"
        );
    }

    #[test]
    fn a_freeze_without_a_kind_is_a_one_off_and_an_unknown_kind_is_refused() {
        let (w, _) = freeze("").parse(zones).unwrap();
        assert!(matches!(w.rule, FreezeRule::Once { .. }));
        let (w, _) = freeze(" weekly ").parse(zones).unwrap();
        assert!(matches!(w.rule, FreezeRule::Weekly { .. }));
        let e = freeze_errors(&freeze("monthly"));
        assert_eq!(fields(&e), ["kind"]);
        assert_eq!(
            e.get("kind"),
            Some("\"monthly\" is not a kind of freeze: choose one-off or weekly.")
        );
    }

    #[test]
    fn names_and_reasons_are_trimmed_and_bounded() {
        let mut f = freeze("once");
        f.name = "  Year-end freeze ".into();
        f.reason = "\tHoliday traffic\n".into();
        let (w, _) = f.parse(zones).unwrap();
        assert_eq!(
            (w.name.as_str(), w.reason.as_str()),
            ("Year-end freeze", "Holiday traffic")
        );
        f.name = "x".repeat(81);
        f.reason = "y".repeat(501);
        let e = freeze_errors(&f);
        assert_eq!(fields(&e), ["name", "reason"]);
        assert!(e.get("name").unwrap().contains("at most 80 characters"));
        assert!(e.get("reason").unwrap().contains("at most 500 characters"));
        f.name = "x".repeat(80);
        f.reason = "y".repeat(500);
        assert!(f.parse(zones).is_ok());
    }

    #[test]
    fn one_off_times_are_dates_and_times() {
        let mut f = freeze("once");
        f.start = " 2026-12-18 17:00 ".into();
        f.end = "2027-01-04T09:00:30".into();
        let (w, _) = f.parse(zones).unwrap();
        assert_eq!(
            w.rule,
            FreezeRule::Once {
                start: date(2026, 12, 18).at(17, 0, 0, 0),
                end: date(2027, 1, 4).at(9, 0, 30, 0),
            }
        );
        f.start = String::new();
        f.end = "tomorrow".into();
        let e = freeze_errors(&f);
        assert_eq!(fields(&e), ["start", "end"]);
        assert_eq!(
            e.get("start"),
            Some("Give the start, e.g. 2026-12-18 17:00.")
        );
        assert_eq!(
            e.get("end"),
            Some("\"tomorrow\" is not a date and time like 2026-12-18 17:00.")
        );
        f.start = "18.12.2026 17:00".into();
        f.end = " ".into();
        let e = freeze_errors(&f);
        assert!(e.get("start").unwrap().contains("is not a date and time"));
        assert_eq!(e.get("end"), Some("Give the end, e.g. 2026-12-18 17:00."));
    }

    #[test]
    fn a_one_off_freeze_must_end_after_it_starts() {
        let mut f = freeze("once");
        f.end = "2026-12-18 17:00".into();
        let e = freeze_errors(&f);
        assert_eq!(fields(&e), ["end"]);
        assert_eq!(e.get("end"), Some("The freeze must end after it starts."));
        f.end = "2026-12-01 00:00".into();
        assert_eq!(fields(&freeze_errors(&f)), ["end"]);
    }

    #[test]
    fn weekly_days_and_times_are_read_by_name() {
        let mut f = freeze("weekly");
        f.start_day = " FRI ".into();
        f.end_day = "monday".into();
        f.start_time = "15:30".into();
        let (w, _) = f.parse(zones).unwrap();
        assert_eq!(
            w.rule,
            FreezeRule::Weekly {
                start_day: Weekday::Friday,
                start_time: time(15, 30, 0, 0),
                end_day: Weekday::Monday,
                end_time: time(8, 0, 0, 0),
            }
        );
        f.start_day = String::new();
        f.start_time = " ".into();
        f.end_day = "someday".into();
        f.end_time = "8 o'clock".into();
        let e = freeze_errors(&f);
        assert_eq!(
            fields(&e),
            ["start_day", "start_time", "end_day", "end_time"]
        );
        assert_eq!(
            e.get("start_day"),
            Some("Choose the day the freeze starts.")
        );
        assert_eq!(
            e.get("start_time"),
            Some("Give the start time, e.g. 17:00.")
        );
        assert_eq!(
            e.get("end_day"),
            Some("\"someday\" is not a day of the week.")
        );
        assert_eq!(
            e.get("end_time"),
            Some("\"8 o'clock\" is not a time of day like 17:00.")
        );
        f.end_day = " ".into();
        f.end_time = String::new();
        let e = freeze_errors(&f);
        assert_eq!(e.get("end_day"), Some("Choose the day the freeze ends."));
        assert_eq!(e.get("end_time"), Some("Give the end time, e.g. 17:00."));
    }

    #[test]
    fn a_weekly_freeze_of_no_length_is_refused_on_its_end_time() {
        let mut f = freeze("weekly");
        f.end_day = "friday".into();
        f.end_time = "15:00".into();
        f.name = String::new();
        let e = freeze_errors(&f);
        assert_eq!(fields(&e), ["name", "end_time"]);
        assert_eq!(
            e.get("end_time"),
            Some("A weekly freeze cannot start and end at the same moment.")
        );
        // The same day, ending earlier: it runs for almost a week.
        f.name = "Long".into();
        f.end_time = "14:00".into();
        assert!(f.parse(zones).is_ok());
    }

    #[test]
    fn when_the_times_do_not_parse_only_the_name_and_reason_are_checked_too() {
        let mut f = freeze("once");
        f.start = "soon".into();
        f.end = "2026-12-01 00:00".into();
        f.reason = " ".into();
        let e = freeze_errors(&f);
        assert_eq!(
            fields(&e),
            ["start", "reason"],
            "no \"end\": the rule did not parse"
        );
    }

    #[test]
    fn the_time_zone_is_required_known_and_stored_by_its_own_name() {
        let mut f = freeze("once");
        f.time_zone = " Etc/UTC ".into();
        let (_, zone) = f.parse(zones).unwrap();
        assert_eq!(zone.name, "UTC", "the zone's name, not the one typed");
        f.time_zone = String::new();
        let e = freeze_errors(&f);
        assert_eq!(fields(&e), ["time_zone"]);
        assert_eq!(
            e.get("time_zone"),
            Some("Choose the team's time zone, e.g. Europe/Berlin.")
        );
        f.time_zone = "Mars/Olympus_Mons".into();
        f.end = "2026-12-01 00:00".into();
        let e = freeze_errors(&f);
        assert_eq!(fields(&e), ["time_zone", "end"]);
        assert_eq!(
            e.get("time_zone"),
            Some("\"Mars/Olympus_Mons\" is not a time zone Slipway knows: use an IANA name such as Europe/Berlin or America/New_York.")
        );
        // A zone without a name (a rule string) keeps the name typed.
        let rule = |n: &str| (n == "CET").then(|| TimeZone::posix("CET-1").unwrap());
        assert_eq!(parse_zone(" CET ", rule).unwrap().name, "CET");
    }

    #[test]
    fn trains_parse_from_the_form() {
        let (t, zone) = train().parse(zones).unwrap();
        assert_eq!(zone.name, "Europe/Berlin");
        assert_eq!(
            t.describe(),
            "Every 2 weeks on Tuesday at 10:00 (from 2026-11-03), cutoff 4 days before at 17:00"
        );
        let mut padded = train();
        padded.name = " Web fortnightly ".into();
        padded.every_weeks = " 2 ".into();
        padded.cutoff_days_before = " 4 ".into();
        assert_eq!(padded.parse(zones).unwrap().0, t);
    }

    #[test]
    fn a_cutoff_after_the_release_is_refused() {
        let mut bad = train();
        bad.cutoff_days_before = "0".into();
        bad.cutoff_time = "11:00".into();
        let e = train_errors(&bad);
        assert_eq!(fields(&e), ["cutoff_time"]);
        assert!(e.get("cutoff_time").unwrap().contains("after the release"));
        bad.cutoff_time = "09:59".into();
        assert!(bad.parse(zones).is_ok(), "the same day, before the release");
        bad.cutoff_days_before = "-1".into();
        let e = train_errors(&bad);
        assert_eq!(fields(&e), ["cutoff_days_before"]);
        assert!(e
            .get("cutoff_days_before")
            .unwrap()
            .contains("after the release day"));
    }

    #[test]
    fn the_cutoff_falls_within_the_cadence() {
        let mut bad = train();
        bad.cutoff_days_before = "14".into();
        assert_eq!(
            train_errors(&bad).get("cutoff_days_before"),
            Some("The cutoff must fall within the train's cadence: fewer than 14 days before the release.")
        );
        bad.cutoff_days_before = "13".into();
        assert!(bad.parse(zones).is_ok());
        bad.cutoff_days_before = "256".into();
        assert_eq!(
            train_errors(&bad).get("cutoff_days_before"),
            Some("The cutoff must fall within the train's cadence.")
        );
        bad.cutoff_days_before = "four".into();
        assert!(train_errors(&bad)
            .get("cutoff_days_before")
            .unwrap()
            .starts_with("Give how many days before release day"));
    }

    #[test]
    fn a_train_runs_every_1_to_12_weeks() {
        let mut t = train();
        t.cutoff_days_before = "0".into();
        t.cutoff_time = "09:00".into();
        for (weeks, ok) in [("1", true), ("12", true), ("0", false), ("13", false)] {
            t.every_weeks = weeks.into();
            assert_eq!(t.parse(zones).is_ok(), ok, "{weeks}");
        }
        t.every_weeks = "13".into();
        assert_eq!(
            train_errors(&t).get("every_weeks"),
            Some("A train runs every 1 to 12 weeks.")
        );
        for weeks in ["x", "", "-1", "256", "1.5"] {
            t.every_weeks = weeks.into();
            assert_eq!(
                train_errors(&t).get("every_weeks"),
                Some("Give how many weeks apart releases are: a number from 1 to 12."),
                "{weeks}"
            );
        }
    }

    #[test]
    fn train_dates_and_times_name_their_fields() {
        let mut t = train();
        t.first_release = "2026-02-30".into();
        t.release_time = String::new();
        t.cutoff_time = "5pm".into();
        let e = train_errors(&t);
        assert_eq!(fields(&e), ["first_release", "release_time", "cutoff_time"]);
        assert_eq!(
            e.get("first_release"),
            Some("\"2026-02-30\" is not a date like 2026-12-01.")
        );
        assert_eq!(
            e.get("release_time"),
            Some("Give the release time, e.g. 17:00.")
        );
        assert_eq!(
            e.get("cutoff_time"),
            Some("\"5pm\" is not a time of day like 17:00.")
        );
        t.first_release = " ".into();
        assert_eq!(
            train_errors(&t).get("first_release"),
            Some("Give the date of the first release, e.g. 2026-12-01.")
        );
    }

    #[test]
    fn when_a_train_does_not_parse_only_its_name_is_checked_too() {
        let mut bad = train();
        bad.every_weeks = "x".into();
        bad.name = String::new();
        bad.cutoff_days_before = "40".into();
        bad.time_zone = "Nowhere".into();
        let e = train_errors(&bad);
        assert_eq!(
            fields(&e),
            ["every_weeks", "time_zone", "name"],
            "no cadence check: the cadence did not parse"
        );
        assert!(e.get("name").unwrap().contains("Name the train"));
        bad.every_weeks = "2".into();
        bad.name = "x".repeat(81);
        let e = train_errors(&bad);
        assert_eq!(fields(&e), ["time_zone", "name", "cutoff_days_before"]);
    }

    #[test]
    fn dates_read_alone() {
        assert_eq!(parse_date(" 2026-12-01 ", "week"), Ok(date(2026, 12, 1)));
        assert_eq!(
            parse_date("", "week's first day"),
            Err("Give the week's first day, e.g. 2026-12-01.".into())
        );
        assert_eq!(
            parse_date("12/01/2026", "week"),
            Err("\"12/01/2026\" is not a date like 2026-12-01.".into())
        );
    }

    #[test]
    fn inputs_read_from_a_form_with_fields_left_out() {
        let f: FreezeInput = serde_json::from_str(r#"{"name":"N","kind":"weekly"}"#).unwrap();
        assert_eq!(
            (f.name.as_str(), f.kind.as_str(), f.start.as_str()),
            ("N", "weekly", "")
        );
        let t: TrainInput = serde_json::from_str(r#"{"every_weeks":"2"}"#).unwrap();
        assert_eq!(t.every_weeks, "2");
        assert_eq!(t.name, "");
    }
}
