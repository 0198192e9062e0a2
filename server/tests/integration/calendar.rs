//! The release calendar through the HTTP API, on SQLite and PostgreSQL:
//! freeze windows and trains with their bad inputs, conflicts in the month
//! and week views, freezes blocking production promotion, and the private
//! iCalendar feeds, parsed by an independent parser (Python's `icalendar`).

use crate::helpers::release_input;
use crate::helpers::{TestApp, USER_PASSWORD};
use crate::on_both_databases;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use slipway_domain::approval::ApprovalPolicy;
use slipway_domain::read::{CalendarEntry, CalendarEntryKind, CalendarView};
use slipway_domain::Principal;
use slipway_services::releases::NewReleaseInput;
use slipway_services::ServiceError;
use std::io::Write;
use std::process::{Command, Stdio};
use time::{Date, Duration, OffsetDateTime, Weekday};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// `YYYY-MM-DD`, `days` from today (UTC).
fn day(days: i64) -> Date {
    today() + Duration::days(days)
}

fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The first `weekday` on or after `d`.
fn next(mut d: Date, weekday: Weekday) -> Date {
    while d.weekday() != weekday {
        d = d.next_day().unwrap();
    }
    d
}

async fn body_json(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

/// `(field, message)` of a 422 body.
fn field_errors(v: &Value) -> Vec<(String, String)> {
    v["Validation"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap_or_default().to_owned(),
                        f["message"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(app.services.store.pool())
        .await
        .unwrap();
    n
}

/// Freeze form fields, one-off from `start` to `end` (`YYYY-MM-DDTHH:MM`).
fn once<'a>(
    project: &'a str,
    name: &'a str,
    start: &'a str,
    end: &'a str,
    zone: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("project", project),
        ("name", name),
        ("reason", "Holiday traffic"),
        ("kind", "once"),
        ("start", start),
        ("end", end),
        ("time_zone", zone),
    ]
}

async fn create_freeze(
    app: &TestApp,
    client: &Client,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    body_json(app.post(client, "/api/calendar/freezes/create", form).await).await
}

fn train_form<'a>(
    project: &'a str,
    first: &'a str,
    cutoff_days: &'a str,
    cutoff_time: &'a str,
    zone: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("project", project),
        ("name", "Web fortnightly"),
        ("first_release", first),
        ("every_weeks", "2"),
        ("release_time", "10:00"),
        ("cutoff_days_before", cutoff_days),
        ("cutoff_time", cutoff_time),
        ("time_zone", zone),
    ]
}

async fn create_train(
    app: &TestApp,
    client: &Client,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    body_json(app.post(client, "/api/calendar/trains/create", form).await).await
}

async fn planned_release(
    app: &TestApp,
    by: &Principal,
    slug: &str,
    version: &str,
    on: Date,
) -> i64 {
    app.services
        .releases()
        .create(
            by,
            slug,
            &NewReleaseInput {
                title: "Coupons".into(),
                planned: ymd(on),
                ..release_input(version, SHA)
            },
        )
        .await
        .unwrap()
}

async fn calendar(app: &TestApp, client: &Client, form: &[(&str, &str)]) -> CalendarView {
    let res = app.post(client, "/api/calendar/view", form).await;
    assert_eq!(res.status(), StatusCode::OK);
    serde_json::from_str(&res.text().await.unwrap()).unwrap()
}

fn entries_on(v: &CalendarView, date: Date) -> Vec<&CalendarEntry> {
    let date = ymd(date);
    v.weeks
        .iter()
        .flatten()
        .filter(|d| d.date == date)
        .flat_map(|d| d.entries.iter())
        .collect()
}

/// Projects `shop` and `blog`; rick manages shop's releases.
async fn setup(app: &TestApp) -> (Client, Client) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    app.create_project(&admin, "Blog", "blog").await;
    app.user_with_role("rick", "release_manager", Some("shop"))
        .await;
    let rick = app.login("rick", USER_PASSWORD).await;
    (admin, rick)
}

async fn freezes_and_trains_are_validated_and_bad_input_stores_nothing(app: &TestApp) {
    let (admin, rick) = setup(app).await;
    app.user_with_role("stella", "stakeholder", Some("shop"))
        .await;
    let stella = app.login("stella", USER_PASSWORD).await;
    let (start, end) = (
        format!("{}T17:00", ymd(day(20))),
        format!("{}T09:00", ymd(day(37))),
    );

    let (status, v) = create_freeze(
        app,
        &rick,
        &once("shop", "Year-end freeze", &start, &end, "Europe/Berlin"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(count(app, "freeze_windows").await, 1);
    let stored: (String, String) =
        sqlx::query_as("SELECT rule_json, time_zone FROM freeze_windows")
            .fetch_one(app.services.store.pool())
            .await
            .unwrap();
    assert!(stored.0.contains("\"kind\":\"once\""), "{}", stored.0);
    assert_eq!(stored.1, "Europe/Berlin");

    let (freezes, audit) = (count(app, "freeze_windows").await, app.audit_count().await);
    // Overlapping freeze windows of the same project: refused, naming the other.
    let (s2, e2) = (
        format!("{}T00:00", ymd(day(30))),
        format!("{}T00:00", ymd(day(45))),
    );
    let (status, v) = create_freeze(
        app,
        &rick,
        &once("shop", "Second freeze", &s2, &e2, "Europe/Berlin"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let errors = field_errors(&v);
    assert!(
        errors
            .iter()
            .any(|(f, m)| f == "start" && m.contains("Year-end freeze")),
        "{errors:?}"
    );
    // A weekly one overlaps too (every weekend falls inside it).
    let weekly = [
        ("project", "shop"),
        ("name", "No weekend deploys"),
        ("reason", "Nobody is around"),
        ("kind", "weekly"),
        ("start_day", "friday"),
        ("start_time", "15:00"),
        ("end_day", "monday"),
        ("end_time", "08:00"),
        ("time_zone", "Europe/Berlin"),
    ];
    let (status, v) = create_freeze(app, &rick, &weekly).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        field_errors(&v)
            .iter()
            .any(|(f, m)| f == "start_day" && m.contains("Year-end freeze")),
        "{v}"
    );
    // End before start; an unknown time zone; a weekly freeze of no length.
    let (status, v) = create_freeze(
        app,
        &rick,
        &once("shop", "Backwards", &end, &start, "Europe/Berlin"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        field_errors(&v)
            .iter()
            .any(|(f, m)| f == "end" && m.contains("end after it starts")),
        "{v}"
    );
    let (status, v) = create_freeze(
        app,
        &rick,
        &once("shop", "Elsewhere", &s2, &e2, "Mars/Olympus_Mons"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        field_errors(&v)
            .iter()
            .any(|(f, m)| f == "time_zone" && m.contains("Mars/Olympus_Mons")),
        "{v}"
    );
    let mut empty = weekly.to_vec();
    empty[6] = ("end_day", "friday");
    empty[7] = ("end_time", "15:00");
    let (status, v) = create_freeze(app, &rick, &empty).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(field_errors(&v).iter().any(|(f, _)| f == "end_time"), "{v}");
    assert_eq!(
        count(app, "freeze_windows").await,
        freezes,
        "nothing stored"
    );
    assert_eq!(app.audit_count().await, audit, "nothing audited");

    // Scope: only admins freeze every project; a global window is another
    // scope, so it may overlap a project's; stakeholders change nothing.
    let (status, _) = create_freeze(app, &rick, &once("", "Global", &s2, &e2, "UTC")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = create_freeze(app, &stella, &once("shop", "Mine", &s2, &e2, "UTC")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = create_freeze(app, &rick, &once("blog", "Not mine", &s2, &e2, "UTC")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "rick cannot see blog");
    let (status, v) =
        create_freeze(app, &admin, &once("", "Company offsite", &s2, &e2, "UTC")).await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // Trains: a cutoff after the release is refused, whichever way.
    let first = ymd(next(day(3), Weekday::Tuesday));
    let (trains, audit) = (count(app, "trains").await, app.audit_count().await);
    let (status, v) = create_train(
        app,
        &rick,
        &train_form("shop", &first, "0", "11:00", "Europe/Berlin"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        field_errors(&v)
            .iter()
            .any(|(f, m)| f == "cutoff_time" && m.contains("after the release")),
        "{v}"
    );
    let (status, v) = create_train(
        app,
        &rick,
        &train_form("shop", &first, "-2", "17:00", "Europe/Berlin"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        field_errors(&v)
            .iter()
            .any(|(f, m)| f == "cutoff_days_before" && m.contains("after the release day")),
        "{v}"
    );
    let (status, v) = create_train(
        app,
        &rick,
        &train_form("shop", &first, "14", "17:00", "Europe/Berlin"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        field_errors(&v)
            .iter()
            .any(|(f, _)| f == "cutoff_days_before"),
        "{v}"
    );
    let (status, v) = create_train(
        app,
        &rick,
        &train_form("shop", &first, "4", "17:00", "Nowhere/Special"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        field_errors(&v).iter().any(|(f, _)| f == "time_zone"),
        "{v}"
    );
    assert_eq!(count(app, "trains").await, trains, "nothing stored");
    assert_eq!(app.audit_count().await, audit, "nothing audited");
    let (status, v) = create_train(
        app,
        &rick,
        &train_form("shop", &first, "4", "17:00", "Europe/Berlin"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let train_id = v.as_i64().unwrap();

    // Listed with their rules; removed by whoever may.
    let v = calendar(app, &rick, &[("project", "shop")]).await;
    let f = v
        .freezes
        .iter()
        .find(|f| f.name == "Year-end freeze")
        .unwrap();
    assert!(f.can_remove && f.time_zone == "Europe/Berlin", "{f:?}");
    let global = v
        .freezes
        .iter()
        .find(|f| f.name == "Company offsite")
        .unwrap();
    assert!(
        !global.can_remove && global.project_slug.is_none(),
        "{global:?}"
    );
    let t = &v.trains[0];
    assert!(
        t.cadence.starts_with("Every 2 weeks on Tuesday at 10:00"),
        "{t:?}"
    );
    assert!(
        t.next
            .as_deref()
            .unwrap_or_default()
            .contains("Europe/Berlin"),
        "{t:?}"
    );
    let res = app
        .post(
            &stella,
            "/api/calendar/freezes/remove",
            &[("id", &f.id.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post(
            &rick,
            "/api/calendar/freezes/remove",
            &[("id", &global.id.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post(
            &rick,
            "/api/calendar/freezes/remove",
            &[("id", &f.id.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post(
            &rick,
            "/api/calendar/trains/remove",
            &[("id", &train_id.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(count(app, "trains").await, 0);
    // The removal is in the audit log.
    let html = app
        .get(&admin, "/audit?action=freeze.removed")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Year-end freeze"), "{html}");
}

fn release_on<'v>(on: &[&'v CalendarEntry], slug: &str, id: i64) -> &'v CalendarEntry {
    let href = format!("/projects/{slug}/releases/{id}");
    on.iter()
        .find(|e| e.href.as_deref() == Some(href.as_str()))
        .copied()
        .unwrap_or_else(|| panic!("no {href} in {on:?}"))
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

async fn conflicts_are_flagged_in_the_month_and_week_views(app: &TestApp) {
    let (admin, rick) = setup(app).await;
    app.create_project(&admin, "API", "api").await;
    app.create_project(&admin, "Docs", "docs").await;
    let admin_p = app.admin_principal().await;
    let d = day(40);
    let (start, end) = (
        format!("{}T00:00", ymd(d - Duration::days(1))),
        format!("{}T00:00", ymd(d + Duration::days(1))),
    );
    let (status, v) = create_freeze(
        app,
        &rick,
        &once("shop", "Launch freeze", &start, &end, "Europe/Berlin"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let inside = planned_release(app, &admin_p, "shop", "1.4.0", d).await;
    let blog = planned_release(app, &admin_p, "blog", "2.0.0", d).await;
    let api = planned_release(app, &admin_p, "api", "3.0.0", d).await;
    let docs = planned_release(app, &admin_p, "docs", "1.0.0", d).await;
    let after = planned_release(app, &admin_p, "shop", "1.5.0", d + Duration::days(1)).await;
    let month = format!("{:04}-{:02}", d.year(), u8::from(d.month()));

    // No dependencies yet: four projects releasing the same day is no
    // conflict, only the freeze is.
    let v = calendar(app, &admin, &[("month", &month)]).await;
    let on = entries_on(&v, d);
    let shop = release_on(&on, "shop", inside);
    assert_eq!(shop.conflicts.len(), 1, "{shop:?}");
    assert!(
        shop.conflicts[0].starts_with("Inside the freeze"),
        "{shop:?}"
    );
    for (slug, id) in [("blog", blog), ("api", api), ("docs", docs)] {
        let e = release_on(&on, slug, id);
        assert!(e.conflicts.is_empty(), "unrelated projects: {e:?}");
    }
    assert_eq!(v.conflict_count, 1);

    // Shop depends on Blog, which depends on API; Docs stands alone.
    let (status, v) = crate::projects::set_dependencies(app, &admin, "shop", &["blog"]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = crate::projects::set_dependencies(app, &admin, "blog", &["api"]).await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // The month holding the day, for the admin who sees every project.
    let v = calendar(app, &admin, &[("month", &month)]).await;
    assert!(!v.is_week);
    assert!(v.weeks.iter().all(|w| w.len() == 7));
    assert_eq!(v.weeks[0][0].weekday, "Mon");
    let on = entries_on(&v, d);
    let shop = release_on(&on, "shop", inside);
    assert_eq!(shop.kind, CalendarEntryKind::Release);
    assert_eq!(shop.label, "Shop 1.4.0 — Coupons");
    assert!(
        shop.conflicts
            .iter()
            .any(|c| c.contains("Inside the freeze “Launch freeze”")
                && c.contains("Holiday traffic")),
        "{shop:?}"
    );
    assert_eq!(
        sorted(&shop.conflicts[1..]),
        [
            "Same day as API 3.0.0, which Shop depends on (through Blog)",
            "Same day as Blog 2.0.0, which Shop depends on",
        ],
        "both directions, transitively"
    );
    assert_eq!(
        sorted(&release_on(&on, "blog", blog).conflicts),
        [
            "Same day as API 3.0.0, which Blog depends on",
            "Same day as Shop 1.4.0, which depends on Blog",
        ],
        "the shop freeze does not cover blog"
    );
    assert_eq!(
        sorted(&release_on(&on, "api", api).conflicts),
        [
            "Same day as Blog 2.0.0, which depends on API",
            "Same day as Shop 1.4.0, which depends on API (through Blog)",
        ]
    );
    assert!(release_on(&on, "docs", docs).conflicts.is_empty());
    assert!(on
        .iter()
        .any(|e| e.kind == CalendarEntryKind::Freeze && e.label == "Launch freeze"));
    assert_eq!(v.conflict_count, 3);
    assert!(v.prev.starts_with("?month=") && v.next.starts_with("?month="));

    // The week from the day before: the release after the freeze is clean.
    let v = calendar(app, &admin, &[("week", &ymd(d - Duration::days(1)))]).await;
    assert!(v.is_week);
    assert_eq!(v.weeks.len(), 1);
    assert_eq!(v.weeks[0].len(), 7);
    let later = entries_on(&v, d + Duration::days(1));
    let clean = release_on(&later, "shop", after);
    assert!(clean.conflicts.is_empty(), "{clean:?}");
    // Filtered to shop: the others are not shown, but what shop depends on
    // still clashes.
    let v = calendar(app, &admin, &[("month", &month), ("project", "shop")]).await;
    let on = entries_on(&v, d);
    assert!(on.iter().all(|e| !e.label.starts_with("Blog")));
    let shop = release_on(&on, "shop", inside);
    assert_eq!(shop.conflicts.len(), 3, "{shop:?}");
    // Rick sees only shop: releases of projects he cannot see do not count.
    let v = calendar(app, &rick, &[("month", &month)]).await;
    let on = entries_on(&v, d);
    assert!(on.iter().all(|e| !e.label.starts_with("Blog")));
    assert_eq!(release_on(&on, "shop", inside).conflicts.len(), 1);
    assert_eq!(v.projects.len(), 1);
    let res = app
        .post(&rick, "/api/calendar/view", &[("project", "blog")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post(&rick, "/api/calendar/view", &[("month", "2026-13")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Dependencies removed: no more clash.
    let (status, v) = crate::projects::set_dependencies(app, &admin, "shop", &[]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let v = calendar(app, &admin, &[("month", &month)]).await;
    let on = entries_on(&v, d);
    assert_eq!(release_on(&on, "shop", inside).conflicts.len(), 1);
    assert_eq!(
        release_on(&on, "api", api).conflicts,
        ["Same day as Blog 2.0.0, which depends on API"]
    );
    let (status, v) = crate::projects::set_dependencies(app, &admin, "shop", &["blog"]).await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // The page shows the same, server-rendered.
    let res = app.get(&admin, &format!("/calendar?month={month}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Inside the freeze")
            && html.contains("Same day as Blog 2.0.0, which Shop depends on"),
        "{html}"
    );
    assert!(
        html.contains("Add a freeze window") && html.contains("Subscribe"),
        "{html}"
    );
    // Signed out: to the sign-in page and back.
    let res = app.get(&app.client(), "/calendar").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/login?next=/calendar");
}

async fn a_freeze_made_here_blocks_production_promotion(app: &TestApp) {
    let (_, rick) = setup(app).await;
    app.user_with_role("sam", "sre", Some("shop")).await;
    let rick_p = app.principal("rick").await;
    let sam = app.principal("sam").await;
    let releases = app.services.releases();
    for env in ["dev", "staging", "prod"] {
        releases
            .set_policy(
                &rick_p,
                "shop",
                env,
                &ApprovalPolicy {
                    required: 0,
                    groups: vec![],
                },
            )
            .await
            .unwrap();
    }
    let id = planned_release(app, &rick_p, "shop", "3.0.0", today()).await;
    let view = releases.get(&rick_p, "shop", id).await.unwrap();
    for item in view.checklist.into_iter().filter(|i| i.ticked.is_none()) {
        releases.tick(&rick_p, "shop", id, &item.key).await.unwrap();
    }
    releases.submit(&rick_p, "shop", id).await.unwrap();
    releases.promote(&sam, "shop", id, None).await.unwrap();
    releases.promote(&sam, "shop", id, None).await.unwrap();

    // In force now, in New York time.
    let (start, end) = (
        format!("{}T00:00", ymd(day(-2))),
        format!("{}T00:00", ymd(day(2))),
    );
    let (status, v) = create_freeze(
        app,
        &rick,
        &once("shop", "Incident freeze", &start, &end, "America/New_York"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let blocked = match releases.promote(&sam, "shop", id, None).await {
        Err(ServiceError::Conflict(m)) => m,
        other => panic!("expected the freeze to block, got {other:?}"),
    };
    assert!(
        blocked.contains("frozen") && blocked.contains("Holiday traffic"),
        "{blocked}"
    );
    assert!(blocked.contains("America/New_York"), "{blocked}");

    // Removed, the promotion goes through.
    let res = app
        .post(
            &rick,
            "/api/calendar/freezes/remove",
            &[("id", &v.as_i64().unwrap().to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        releases.promote(&sam, "shop", id, None).await.unwrap(),
        "prod"
    );
}

const PARSE_ICS: &str = r#"
import datetime, json, sys
from zoneinfo import ZoneInfo
import icalendar

cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
errors = list(getattr(cal, "errors", []))

# Each VTIMEZONE as written, and as a time zone built from its own
# STANDARD/DAYLIGHT parts only (not looked up by name), to check them.
zones = {}
for tz in cal.walk("VTIMEZONE"):
    errors += list(getattr(tz, "errors", []))
    zones[str(tz["tzid"])] = {
        "own": tz.to_tz(lookup_tzid=False),
        "parts": [
            {
                "kind": part.name,
                "start": part.decoded("dtstart").isoformat(),
                "from": part["tzoffsetfrom"].to_ical(),
                "to": part["tzoffsetto"].to_ical(),
                "name": str(part.get("tzname")),
                "stray": sorted(k for k in part.keys() if k in ("DTSTAMP", "UID")),
            }
            for part in tz.subcomponents
        ],
        "stray": sorted(k for k in tz.keys() if k in ("DTSTAMP", "UID")),
    }

def when(ev, key):
    v = ev.decoded(key)
    if isinstance(v, datetime.datetime):
        tzid = ev[key].params.get("TZID")
        own = None
        if tzid in zones:
            own = v.replace(tzinfo=zones[tzid]["own"]).astimezone(datetime.timezone.utc).isoformat()
        return {
            "kind": "datetime",
            "value": v.isoformat(),
            "tzid": tzid,
            "tz": str(v.tzinfo) if v.tzinfo else None,
            "utc": v.astimezone(datetime.timezone.utc).isoformat() if v.tzinfo else None,
            "utc_by_vtimezone": own,
            "berlin": v.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %a %H:%M") if v.tzinfo else None,
            "local": v.strftime("%Y-%m-%d %a %H:%M"),
        }
    return {"kind": "date", "value": v.isoformat(), "tzid": None, "tz": None, "utc": None, "berlin": None}

events = []
for ev in cal.walk("VEVENT"):
    errors += list(getattr(ev, "errors", []))
    events.append({
        "uid": str(ev.get("uid")),
        "summary": str(ev.get("summary")),
        "description": str(ev.get("description") or ""),
        "url": str(ev.get("url")) if ev.get("url") else None,
        "start": when(ev, "dtstart"),
        "end": when(ev, "dtend"),
        "stamp": when(ev, "dtstamp"),
    })
print(json.dumps({
    "version": str(cal.get("version")),
    "prodid": str(cal.get("prodid")),
    "name": str(cal.get("x-wr-calname")),
    "errors": [str(e) for e in errors],
    "events": events,
    "zones": {k: {"parts": v["parts"], "stray": v["stray"]} for k, v in zones.items()},
}))
"#;

/// The feed parsed by Python's `icalendar`.
fn parse_ics(ics: &str) -> Value {
    crate::helpers::python_module("icalendar", "icalendar");
    let mut child = Command::new("python3")
        .args(["-c", PARSE_ICS])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "icalendar refused the feed: {}\n{ics}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]), "{ics}");
    v
}

async fn create_feed(app: &TestApp, client: &Client, project: &str) -> String {
    let (status, v) = body_json(
        app.post(
            client,
            "/api/calendar/feeds/create",
            &[("project", project)],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let url = v.as_str().unwrap().to_owned();
    assert!(url.starts_with(&app.base) && url.ends_with(".ics"), "{url}");
    url
}

/// GETs a feed the way a calendar app does: no cookies.
async fn fetch(url: &str) -> (StatusCode, String, String) {
    let res = reqwest::get(url).await.unwrap();
    let kind = res
        .headers()
        .get("content-type")
        .map(|h| h.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status(), kind, res.text().await.unwrap())
}

fn events<'v>(v: &'v Value, summary_contains: &str) -> Vec<&'v Value> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["summary"].as_str().unwrap().contains(summary_contains))
        .collect()
}

async fn the_ics_feed_is_valid_icalendar_and_private(app: &TestApp) {
    let (admin, rick) = setup(app).await;
    app.user_with_role("bea", "stakeholder", Some("blog")).await;
    let bea = app.login("bea", USER_PASSWORD).await;
    let admin_p = app.admin_principal().await;
    let d = day(30);
    let shop_id = planned_release(app, &admin_p, "shop", "1.4.0", d).await;
    let blog_id = planned_release(app, &admin_p, "blog", "9.9.9", d + Duration::days(2)).await;
    let first = next(day(3), Weekday::Tuesday);
    let (status, v) = create_train(
        app,
        &rick,
        &train_form("shop", &ymd(first), "4", "17:00", "Europe/Berlin"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let fs = next(day(50), Weekday::Friday);
    let (start, end) = (
        format!("{}T17:00", ymd(fs)),
        format!("{}T09:00", ymd(fs + Duration::days(3))),
    );
    let (status, v) = create_freeze(
        app,
        &rick,
        &once("shop", "Launch freeze", &start, &end, "Europe/Berlin"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = create_freeze(
        app,
        &admin,
        &once(
            "",
            "Company offsite",
            &format!("{}T12:00", ymd(day(60))),
            &format!("{}T18:00", ymd(day(60))),
            "UTC",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");

    let url = create_feed(app, &rick, "").await;
    let (status, kind, ics) = fetch(&url).await;
    assert_eq!(status, StatusCode::OK, "{ics}");
    assert!(kind.starts_with("text/calendar"), "{kind}");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    assert!(
        ics.split("\r\n").all(|l| l.len() <= 75),
        "lines are folded at 75 octets"
    );
    let cal = parse_ics(&ics);
    assert_eq!(cal["version"], "2.0");
    assert!(cal["prodid"].as_str().unwrap().contains("Slipway"));

    // The planned release: an all-day event with a stable UID and a link.
    let r = events(&cal, "Shop 1.4.0");
    assert_eq!(r.len(), 1, "{cal}");
    let r = r[0];
    assert_eq!(r["summary"], "Shop 1.4.0 — Coupons");
    assert_eq!(r["start"]["kind"], "date");
    assert_eq!(r["start"]["value"], ymd(d));
    assert_eq!(r["end"]["value"], ymd(d + Duration::days(1)));
    assert_eq!(
        r["url"],
        format!("{}/projects/shop/releases/{shop_id}", app.base)
    );
    let uid = r["uid"].as_str().unwrap().to_owned();
    assert!(uid.starts_with(&format!("release-{shop_id}@")), "{uid}");
    let (_, _, again) = fetch(&url).await;
    assert_eq!(
        events(&parse_ics(&again), "Shop 1.4.0")[0]["uid"],
        uid.as_str(),
        "UIDs are stable"
    );

    // Train departures and cutoffs: Tuesday 10:00 and Friday 17:00 in the
    // train's zone, written as such (TZID), which is 09:00/16:00 UTC in
    // winter and 08:00/15:00 UTC in summer: the feed spans both.
    assert!(
        ics.contains(&format!(
            "\r\nDTSTART;TZID=Europe/Berlin:{}T100000\r\n",
            ymd(first).replace('-', "")
        )),
        "{ics}"
    );
    let departures = events(&cal, "Web fortnightly — release");
    let cutoffs = events(&cal, "Web fortnightly — code-freeze cutoff");
    assert!(departures.len() >= 20, "{}", departures.len());
    assert_eq!(departures.len(), cutoffs.len());
    for e in departures.iter().chain(&cutoffs) {
        for end in ["start", "end"] {
            assert_eq!(e[end]["tzid"], "Europe/Berlin", "{e}");
            assert_eq!(e[end]["tz"], "Europe/Berlin", "{e}");
            assert_eq!(
                e[end]["utc"], e[end]["utc_by_vtimezone"],
                "the VTIMEZONE agrees with the tz database: {e}"
            );
        }
        assert!(
            e["description"].as_str().unwrap().contains("Europe/Berlin"),
            "{e}"
        );
    }
    let utc_times = |list: &[&Value]| -> Vec<String> {
        list.iter()
            .map(|e| e["start"]["utc"].as_str().unwrap()[11..16].to_owned())
            .collect()
    };
    for e in &departures {
        assert!(
            e["start"]["berlin"]
                .as_str()
                .unwrap()
                .ends_with("Tue 10:00"),
            "{e}"
        );
        assert!(
            e["end"]["berlin"].as_str().unwrap().ends_with("Tue 10:30"),
            "{e}"
        );
    }
    let times = utc_times(&departures);
    assert!(
        times.iter().any(|t| t == "09:00") && times.iter().any(|t| t == "08:00"),
        "winter and summer departures: {times:?}"
    );
    assert!(
        times.iter().all(|t| t == "09:00" || t == "08:00"),
        "{times:?}"
    );
    assert!(departures.iter().any(|e| e["start"]["berlin"]
        .as_str()
        .unwrap()
        .starts_with(&ymd(first))));
    for e in &cutoffs {
        assert!(
            e["start"]["berlin"]
                .as_str()
                .unwrap()
                .ends_with("Fri 17:00"),
            "{e}"
        );
    }
    let times = utc_times(&cutoffs);
    assert!(
        times.iter().any(|t| t == "16:00") && times.iter().any(|t| t == "15:00"),
        "winter and summer cutoffs: {times:?}"
    );
    // The freeze, from Friday 17:00 to Monday 09:00 Berlin time.
    let f = events(&cal, "Freeze: Launch freeze");
    assert_eq!(f.len(), 1, "{cal}");
    assert_eq!(f[0]["start"]["tzid"], "Europe/Berlin");
    assert_eq!(f[0]["start"]["local"], format!("{} Fri 17:00", ymd(fs)));
    assert_eq!(f[0]["start"]["berlin"], format!("{} Fri 17:00", ymd(fs)));
    assert_eq!(
        f[0]["end"]["berlin"],
        format!("{} Mon 09:00", ymd(fs + Duration::days(3)))
    );
    for end in ["start", "end"] {
        assert_eq!(f[0][end]["utc"], f[0][end]["utc_by_vtimezone"], "{}", f[0]);
    }
    assert!(f[0]["description"]
        .as_str()
        .unwrap()
        .contains("Holiday traffic"));
    // The global freeze in UTC: UTC times, no VTIMEZONE for it.
    let o = events(&cal, "Freeze: Company offsite");
    assert_eq!(o.len(), 1, "{cal}");
    assert!(o[0]["start"]["tzid"].is_null(), "{}", o[0]);
    assert_eq!(o[0]["start"]["tz"], "UTC", "{}", o[0]);
    assert_eq!(
        o[0]["start"]["utc"],
        format!("{}T12:00:00+00:00", ymd(day(60)))
    );
    // One VTIMEZONE per zone used, before the events, with winter and summer
    // time as the tz database has them, and nothing that does not belong.
    assert_eq!(ics.matches("BEGIN:VTIMEZONE").count(), 1, "{ics}");
    assert!(ics.find("BEGIN:VTIMEZONE") < ics.find("BEGIN:VEVENT"));
    let zones = cal["zones"].as_object().unwrap();
    assert_eq!(zones.keys().collect::<Vec<_>>(), ["Europe/Berlin"], "{cal}");
    let berlin = &zones["Europe/Berlin"];
    assert_eq!(berlin["stray"], serde_json::json!([]));
    let parts = berlin["parts"].as_array().unwrap();
    assert!(parts.len() >= 3, "{berlin}");
    for part in parts {
        assert_eq!(part["stray"], serde_json::json!([]), "{part}");
        let (from, to, name) = if part["kind"] == "DAYLIGHT" {
            ("+0100", "+0200", "CEST")
        } else {
            ("+0200", "+0100", "CET")
        };
        assert_eq!(
            (
                part["from"].as_str().unwrap(),
                part["to"].as_str().unwrap(),
                part["name"].as_str().unwrap()
            ),
            (from, to, name),
            "{part}"
        );
    }
    assert!(parts.iter().any(|p| p["kind"] == "DAYLIGHT"));
    assert!(parts.iter().any(|p| p["kind"] == "STANDARD"));
    // Rick cannot see blog: not in his feed.
    assert!(events(&cal, "Blog").is_empty(), "{cal}");

    // A stakeholder of blog sees blog's release and nothing of shop.
    let bea_url = create_feed(app, &bea, "").await;
    let (status, _, ics) = fetch(&bea_url).await;
    assert_eq!(status, StatusCode::OK);
    let cal = parse_ics(&ics);
    assert_eq!(events(&cal, "Blog 9.9.9").len(), 1, "{cal}");
    assert!(
        events(&cal, "Shop").is_empty()
            && events(&cal, "Web fortnightly").is_empty()
            && events(&cal, "Launch freeze").is_empty(),
        "{cal}"
    );
    assert_eq!(
        app.post(&bea, "/api/calendar/feeds/create", &[("project", "shop")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Blog's team is in New York: its train leaves at 10:00 there.
    let first_day = ymd(first);
    let mut ny = train_form("blog", &first_day, "1", "12:00", "America/New_York");
    ny[1] = ("name", "Blog weekly");
    let (status, v) = create_train(app, &admin, &ny).await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // The admin's shop-only feed: only the zone it uses.
    let shop_url = create_feed(app, &admin, "shop").await;
    let cal = parse_ics(&fetch(&shop_url).await.2);
    assert_eq!(events(&cal, "Shop 1.4.0").len(), 1);
    assert!(events(&cal, "Blog").is_empty(), "{cal}");
    assert_eq!(cal["name"], "Slipway: Shop");
    assert_eq!(
        cal["zones"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["Europe/Berlin"]
    );
    // Everything: one VTIMEZONE for each of the two zones.
    let text = fetch(&create_feed(app, &admin, "").await).await.2;
    assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 2, "{text}");
    let all = parse_ics(&text);
    assert_eq!(
        all["zones"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["America/New_York", "Europe/Berlin"]
    );
    let blog_train = events(&all, "Blog weekly — release");
    assert!(blog_train.len() >= 20, "{all}");
    let mut seen_utc = std::collections::BTreeSet::new();
    for e in &blog_train {
        assert_eq!(e["start"]["tzid"], "America/New_York", "{e}");
        assert!(
            e["start"]["local"].as_str().unwrap().ends_with("Tue 10:00"),
            "{e}"
        );
        assert_eq!(e["start"]["utc"], e["start"]["utc_by_vtimezone"], "{e}");
        seen_utc.insert(e["start"]["utc"].as_str().unwrap()[11..16].to_owned());
    }
    assert_eq!(
        seen_utc.into_iter().collect::<Vec<_>>(),
        ["14:00", "15:00"],
        "EDT and EST"
    );
    for part in all["zones"]["America/New_York"]["parts"]
        .as_array()
        .unwrap()
    {
        let expected = if part["kind"] == "DAYLIGHT" {
            ("-0500", "-0400", "EDT")
        } else {
            ("-0400", "-0500", "EST")
        };
        assert_eq!(
            (
                part["from"].as_str().unwrap(),
                part["to"].as_str().unwrap(),
                part["name"].as_str().unwrap()
            ),
            expected,
            "{part}"
        );
    }
    assert_eq!(events(&all, "Blog 9.9.9").len(), 1);
    assert!(events(&all, "Blog 9.9.9")[0]["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/releases/{blog_id}")));

    // Only the hash is stored; the token is in no table.
    let token = url
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".ics")
        .to_owned();
    let (hashes,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM feed_tokens WHERE token_hash = $1")
            .bind(&token)
            .fetch_one(app.services.store.pool())
            .await
            .unwrap();
    assert_eq!(hashes, 0);

    // Revoked, unknown and malformed tokens: 404 with no detail.
    let feeds: Value = body_json(app.post(&rick, "/api/calendar/feeds", &[]).await)
        .await
        .1;
    let id = feeds[0]["id"].as_i64().unwrap();
    assert!(feeds[0]["revoked_at"].is_null());
    assert_eq!(
        app.post(
            &bea,
            "/api/calendar/feeds/revoke",
            &[("id", &id.to_string())]
        )
        .await
        .status(),
        StatusCode::NOT_FOUND,
        "only the owner revokes"
    );
    assert_eq!(
        app.post(
            &rick,
            "/api/calendar/feeds/revoke",
            &[("id", &id.to_string())]
        )
        .await
        .status(),
        StatusCode::OK
    );
    for dead in [
        url.clone(),
        format!("{}/calendar/{}.ics", app.base, "ab".repeat(32)),
        format!("{}/calendar/not-a-token.ics", app.base),
        format!("{}/calendar/{token}", app.base),
    ] {
        let (status, _, body) = fetch(&dead).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{dead}");
        assert_eq!(body, "Not found");
    }
    let feeds: Value = body_json(app.post(&rick, "/api/calendar/feeds", &[]).await)
        .await
        .1;
    assert!(feeds[0]["revoked_at"].is_string(), "{feeds}");
    // A disabled owner's feeds stop too.
    sqlx::query("UPDATE users SET disabled = TRUE WHERE username = 'bea'")
        .execute(app.services.store.pool())
        .await
        .unwrap();
    assert_eq!(fetch(&bea_url).await.0, StatusCode::NOT_FOUND);
}

on_both_databases!(
    freezes_and_trains_are_validated_and_bad_input_stores_nothing,
    conflicts_are_flagged_in_the_month_and_week_views,
    a_freeze_made_here_blocks_production_promotion,
    the_ics_feed_is_valid_icalendar_and_private,
);
