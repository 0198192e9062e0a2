//! Private iCalendar feeds (RFC 5545) that calendar apps subscribe to:
//! their links (a feed token each, shown once, only its hash stored), and
//! the feed's text.

use super::schedule::{gather, Gathered, Scope};
use super::{add_days, internal, Calendar, Change, Sight};
use crate::accounts::require;
use crate::clock::format_ms;
use crate::storage::{calendar as store, grants, projects, users};
use crate::{tokens, ServiceError};
use icalendar::{Component, EventLike, Property, ValueType};
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan, Zoned};
use serde_json::json;
use slipway_domain::calendar::{is_utc, observances, show};
use slipway_domain::read::FeedView;
use slipway_domain::{AuditAction, Permission, Principal, ProjectId, UserId};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

/// A feed just created. The token is in `path` and shown once; only its
/// hash is stored.
#[derive(Debug, Clone)]
pub struct NewFeed {
    pub id: i64,
    /// `/calendar/<token>.ics`: the caller puts its public address in front.
    pub path: String,
}

/// What a feed covers, around today.
const FEED_DAYS_BACK: i64 = 90;
const FEED_DAYS_AHEAD: i64 = 365;
/// Train departures and cutoffs are moments; calendars show them this long.
const TRAIN_EVENT_MINUTES: i64 = 30;

impl Calendar<'_> {
    /// Creates a private feed for the signed-in person: every project they
    /// see (`project` empty) or one. The token is in the returned path and
    /// shown once.
    #[tracing::instrument(skip_all, fields(project = %project))]
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
        let change = Change {
            action: AuditAction::FeedTokenCreated,
            subject_id: id,
            subject_label: match &project {
                Some(p) => format!("{}'s calendar feed for {}", actor.username, p.slug),
                None => format!("{}'s calendar feed", actor.username),
            },
            project: pid,
            before: None,
            after: Some(json!({ "project": project.as_ref().map(|p| &p.slug) })),
        };
        Self::record(&mut tx, actor, change, now).await?;
        tx.commit().await?;
        Ok(NewFeed {
            id,
            path: format!("/calendar/{token}.ics"),
        })
    }

    /// The signed-in person's feeds (never their tokens).
    #[tracing::instrument(skip_all)]
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
    #[tracing::instrument(skip_all, fields(feed.id = id))]
    pub async fn revoke_feed(&self, actor: &Principal, id: i64) -> Result<(), ServiceError> {
        let mut tx = self.services.store.begin().await?;
        let now = self.services.clock.now_ms();
        if !store::revoke_feed(&mut tx, id, actor.id, now).await? {
            return Err(ServiceError::NotFound("calendar feed"));
        }
        let change = Change {
            action: AuditAction::FeedTokenRevoked,
            subject_id: id,
            subject_label: format!("{}'s calendar feed", actor.username),
            project: None,
            before: None,
            after: None,
        };
        Self::record(&mut tx, actor, change, now).await?;
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
            token: None,
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
    #[tracing::instrument(skip_all)]
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
        let sight = Sight::of(&mut conn, &owner).await?;
        let scope: HashSet<i64> = sight
            .active
            .iter()
            .filter(|p| feed.project_id.is_none_or(|id| id == p.id))
            .map(|p| p.id)
            .collect();
        if feed.project_id.is_some() && scope.is_empty() {
            return Err(GONE);
        }
        let today = self.today()?;
        let first = add_days(today, -FEED_DAYS_BACK)?;
        let last = add_days(today, FEED_DAYS_AHEAD)?;
        let seen: HashSet<i64> = sight.active.iter().map(|p| p.id).collect();
        let g = gather(
            &mut conn,
            &Scope {
                shown: &scope,
                seen: &seen,
                names: &sight.names,
            },
            first,
            last,
        )
        .await?;

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
        let mut events = Events::new(base_url, self.now()?);
        events.releases(&mut cal, &g)?;
        events.trains(&mut cal, &g, &sight)?;
        events.freezes(&mut cal, &g, &sight);
        let mut text = String::new();
        write!(text, "{cal}").map_err(internal)?;
        Ok(with_time_zones(&text, &events.zones.vtimezones()?))
    }
}

/// Writes the events of a feed, keeping track of the zones they use.
struct Events<'a> {
    /// `https://slipway.example.com`, for links.
    base: &'a str,
    /// For event ids: `release-7@slipway.example.com`.
    host: &'a str,
    now: Timestamp,
    zones: FeedZones,
}

impl<'a> Events<'a> {
    fn new(base_url: &'a str, now: Timestamp) -> Self {
        let base = base_url.trim_end_matches('/');
        let host = base
            .split_once("://")
            .map_or(base, |(_, rest)| rest)
            .split(['/', ':'])
            .next()
            .filter(|h| !h.is_empty())
            .unwrap_or("slipway");
        Self {
            base,
            host,
            now,
            zones: FeedZones::default(),
        }
    }

    fn stamp(&self) -> Property {
        Property::new("DTSTAMP", self.now.strftime("%Y%m%dT%H%M%SZ").to_string())
    }

    /// Planned releases: all-day events on their date.
    fn releases(&self, cal: &mut icalendar::Calendar, g: &Gathered) -> Result<(), ServiceError> {
        let date = |key: &str, d: Date| {
            Property::new(key, d.strftime("%Y%m%d").to_string())
                .append_parameter(ValueType::Date)
                .done()
        };
        for r in &g.releases {
            let url = format!(
                "{}/projects/{}/releases/{}",
                self.base, r.row.project_slug, r.row.id
            );
            let mut e = icalendar::Event::new();
            e.uid(&format!("release-{}@{}", r.row.id, self.host))
                .summary(&ical_text(&r.label()))
                .description(&ical_text(&format!(
                    "{}. Planned for {}.{}\n{url}",
                    r.state(),
                    r.date,
                    warnings(&r.conflicts)
                )))
                .url(&url)
                .append_property(self.stamp())
                .append_property(date("DTSTART", r.date))
                .append_property(date("DTEND", add_days(r.date, 1)?))
                .append_property(Property::new("TRANSP", "TRANSPARENT"))
                .categories(["Release"]);
            cal.push(e.done());
        }
        Ok(())
    }

    /// Each train departure: its release and its cutoff, as short events.
    fn trains(
        &mut self,
        cal: &mut icalendar::Calendar,
        g: &Gathered,
        sight: &Sight,
    ) -> Result<(), ServiceError> {
        let length = TRAIN_EVENT_MINUTES.minutes();
        for (t, departures) in &g.trains {
            let project = sight
                .name(t.row.project_id)
                .unwrap_or_else(|| "all projects".to_owned());
            for dep in departures {
                let (release, cutoff) = (&dep.run.release, &dep.run.cutoff);
                let key = release.date().strftime("%Y%m%d");
                let mut e = icalendar::Event::new();
                e.uid(&format!("train-{}-{key}@{}", t.row.id, self.host))
                    .summary(&ical_text(&format!("{} — release", t.row.name)))
                    .description(&ical_text(&format!(
                        "Release train of {project}: departs {} (cutoff {}).{}",
                        show(release),
                        show(cutoff),
                        warnings(&dep.conflicts)
                    )))
                    .append_property(self.stamp())
                    .append_property(self.zones.property("DTSTART", release))
                    .append_property(
                        self.zones
                            .property("DTEND", &release.checked_add(length).map_err(internal)?),
                    )
                    .categories(["Release train"]);
                cal.push(e.done());
                let mut c = icalendar::Event::new();
                c.uid(&format!("train-{}-{key}-cutoff@{}", t.row.id, self.host))
                    .summary(&ical_text(&format!("{} — code-freeze cutoff", t.row.name)))
                    .description(&ical_text(&format!(
                        "Code-freeze cutoff of {project}'s train: {}, for the release {}.",
                        show(cutoff),
                        show(release)
                    )))
                    .append_property(self.stamp())
                    .append_property(self.zones.property("DTSTART", cutoff))
                    .append_property(
                        self.zones
                            .property("DTEND", &cutoff.checked_add(length).map_err(internal)?),
                    )
                    .categories(["Release train"]);
                cal.push(c.done());
            }
        }
        Ok(())
    }

    /// Each freeze period, from its start to its end.
    fn freezes(&mut self, cal: &mut icalendar::Calendar, g: &Gathered, sight: &Sight) {
        for (f, periods) in &g.freezes {
            let project = sight
                .name(f.row.project_id)
                .unwrap_or_else(|| "all projects".to_owned());
            for p in periods {
                let mut e = icalendar::Event::new();
                e.uid(&format!(
                    "freeze-{}-{}@{}",
                    f.row.id,
                    p.start.timestamp().as_second(),
                    self.host
                ))
                .summary(&ical_text(&format!("Freeze: {}", f.row.name)))
                .description(&ical_text(&format!(
                    "Production promotions are blocked for {project}: {}\n{} to {}",
                    f.row.reason,
                    show(&p.start),
                    show(&p.end)
                )))
                .append_property(self.stamp())
                .append_property(self.zones.property("DTSTART", &p.start))
                .append_property(self.zones.property("DTEND", &p.end))
                .append_property(Property::new("TRANSP", "TRANSPARENT"))
                .categories(["Freeze"]);
                cal.push(e.done());
            }
        }
    }
}

/// The conflicts of an entry, one `⚠` line each, for its description.
fn warnings(conflicts: &[String]) -> String {
    conflicts.iter().map(|c| format!("\n⚠ {c}")).collect()
}

/// Text for an iCalendar property: control characters other than newlines
/// (stored before inputs refused them) become spaces, so a feed never
/// carries them raw.
fn ical_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn event_ids_use_the_host_of_the_public_address() {
        let now = Timestamp::UNIX_EPOCH;
        let e = Events::new("https://slipway.example.com:8443/", now);
        assert_eq!(
            (e.base, e.host),
            ("https://slipway.example.com:8443", "slipway.example.com")
        );
        assert_eq!(Events::new("", now).host, "slipway");
        assert_eq!(ical_text("a\u{7}b\nc"), "a b\nc");
        assert_eq!(warnings(&["x".into(), "y".into()]), "\n⚠ x\n⚠ y");
    }
}
