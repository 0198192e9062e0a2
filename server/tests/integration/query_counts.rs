//! How many SQL statements one request runs, on SQLite and PostgreSQL.
//!
//! Each page a signed-in person opens often, and one Approve click, is
//! measured twice: with 2 projects (each with a release waiting for
//! sign-off and a freeze, in the month shown) and again after growing to 10.
//! What a page costs may not grow with what it shows: a page's [`Budget`]
//! says how many statements it may run in all, and how many more per extra
//! item (0 where the page is free of N+1 queries; the pages still above 0
//! are being batched). The counts and the statements are printed:
//!
//! ```sh
//! cargo test -p slipway --test integration query_counts -- --nocapture --test-threads 1
//! ```

use crate::helpers::sql_count::{SqlCounter, Statements};
use crate::helpers::{release_input, TestApp, USER_PASSWORD};
use crate::on_both_databases_counting_sql;
use reqwest::{Client, StatusCode};
use slipway_domain::approval::ApprovalPolicy;
use slipway_domain::Principal;
use slipway_services::accounts::Authority;
use slipway_services::releases::NewReleaseInput;
use time::{Date, Duration, OffsetDateTime};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// The two sizes measured.
const SMALL: usize = 2;
const LARGE: usize = 10;

/// What one request may cost: at most `total` statements, and at most
/// `per_item` more for each project (with its release and freeze) beyond
/// the first ones. `reloads` allows for panels whose data Leptos sometimes
/// loads more than once while rendering one page (their resources are
/// created inside a `Suspend` that can run again), which makes those pages'
/// counts vary between runs by up to that many statements. Tighten these
/// as pages get batched; never loosen them.
struct Budget {
    page: &'static str,
    total: usize,
    per_item: usize,
    reloads: usize,
}

/// `/projects`: the viewer (session, user and grants in one statement), the
/// projects, their environments.
const PROJECT_LIST: Budget = Budget {
    page: "project list",
    total: 3,
    per_item: 0,
    reloads: 0,
};

/// A release's sign-off page: the viewer, the project, release and
/// environments, the notes revision, every decision (the live ones are
/// among them), the policy, the checklist (read once, also for the gate and
/// the evidence ticks), the timeline, the people's names, the freezes, the
/// evidence, and what the gate weighs about deployments (the artifact's
/// last checks in the previous environment and a hold in the next, in one
/// statement). Measured: 12.
const RELEASE_PAGE: Budget = Budget {
    page: "release sign-off page",
    total: 12,
    per_item: 0,
    reloads: 0,
};

/// `/` of an approver: the "waiting for your sign-off" list in a fixed
/// number of statements (`Releases::waiting_for`: visible projects, their
/// environments, releases that accept decisions, the approver's live
/// decisions, the policies), the post-release reviews panel (projects,
/// reviews, reviewers) and the inbox. Measured: 11 with 2 and with 10
/// projects. The inbox and the reviews panel are sometimes loaded twice in
/// one render (their resources are created inside a `Suspend` that Leptos
/// can run again), hence `reloads`.
const DASHBOARD: Budget = Budget {
    page: "dashboard",
    total: 21,
    per_item: 0,
    reloads: 10,
};

/// `/calendar?month=…` with a release and a freeze per project: 8, but the
/// "Subscribe" panel's list of links is loaded one to three times.
const CALENDAR_MONTH: Budget = Budget {
    page: "calendar month",
    total: 10,
    per_item: 0,
    reloads: 2,
};

/// One Approve click (the sign-off page's `releases/decide` call): the
/// viewer, taking the release row, reading project, release and
/// environments once, ending and recording the decision, its audit event,
/// and reconciling (policy and live decisions). PostgreSQL adds `COMMIT`
/// (sqlx does not report SQLite's) and the `pg_notify` for other instances.
/// Measured: 10 on SQLite, 12 on PostgreSQL.
const APPROVE_CLICK: Budget = Budget {
    page: "approve click",
    total: 12,
    per_item: 0,
    reloads: 0,
};

/// What the two sizes cost, for one page.
struct Measured<'a> {
    budget: &'a Budget,
    small: Statements,
    large: Statements,
}

impl Measured<'_> {
    fn print(&self, engine: &str) {
        println!(
            "{engine:<10} {:<22} {:>3} statements with {SMALL} projects, {:>3} with {LARGE}",
            self.budget.page,
            self.small.count(),
            self.large.count(),
        );
        if self.small.count() != self.large.count() {
            println!("  with {SMALL}:\n{}  with {LARGE}:", self.small);
        }
        println!("{}", self.large);
    }

    fn check(&self, engine: &str) {
        let Budget {
            page,
            total,
            per_item,
            reloads,
        } = *self.budget;
        let (small, large) = (self.small.count(), self.large.count());
        assert!(
            large <= small + per_item * (LARGE - SMALL) + reloads,
            "{page} on {engine}: {small} statements with {SMALL} projects but {large} with {LARGE} \
             (at most {per_item} more per project allowed):\n{}",
            self.large
        );
        assert!(
            small.max(large) <= total,
            "{page} on {engine}: {} statements, at most {total} allowed:\n{}",
            small.max(large),
            self.large
        );
    }
}

/// The first day of the month after next: every planned day in it is in
/// the future.
fn month_shown() -> Date {
    let d = OffsetDateTime::now_utc().date() + Duration::days(62);
    d.replace_day(1).unwrap()
}

fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Projects `p1` … `p{n}` (from `from`): each with a release submitted for
/// dev sign-off (two approvals needed) planned in the month shown, a freeze
/// in that month, and `paula` a product owner of it.
async fn grow(app: &TestApp, admin: &Client, admin_p: &Principal, from: usize, to: usize) {
    let month = month_shown();
    for i in from..=to {
        let slug = format!("p{i}");
        app.create_project(admin, &format!("Project {i}"), &slug)
            .await;
        if i == 1 {
            app.user_with_role("paula", "product_owner", Some(&slug))
                .await;
        } else {
            app.services
                .accounts()
                .grant(Authority::Operator, "paula", "product_owner", Some(&slug))
                .await
                .unwrap();
        }
        app.services
            .releases()
            .set_policy(
                admin_p,
                &slug,
                "dev",
                &ApprovalPolicy {
                    required: 2,
                    groups: vec![],
                },
            )
            .await
            .unwrap();
        let day = month + Duration::days(i as i64);
        submitted_release(app, admin_p, &slug, "1.0.0", day).await;
        let (start, end) = (
            format!("{}T00:00", ymd(day + Duration::days(1))),
            format!("{}T06:00", ymd(day + Duration::days(1))),
        );
        let res = app
            .post(
                admin,
                "/api/calendar/freezes/create",
                &[
                    ("project", slug.as_str()),
                    ("name", "Maintenance"),
                    ("reason", "Database upgrade"),
                    ("kind", "once"),
                    ("start", &start),
                    ("end", &end),
                    ("time_zone", "Europe/Berlin"),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap_or_default()
        );
    }
}

async fn submitted_release(
    app: &TestApp,
    by: &Principal,
    slug: &str,
    version: &str,
    planned: Date,
) -> i64 {
    let releases = app.services.releases();
    let id = releases
        .create(
            by,
            slug,
            &NewReleaseInput {
                title: "Coupons".into(),
                planned: ymd(planned),
                ..release_input(version, SHA)
            },
        )
        .await
        .unwrap();
    releases.submit(by, slug, id).await.unwrap();
    id
}

/// The statements of one page view: the fewest of three views (the first
/// may open pooled connections, a background job may run alongside, and
/// some panels are sometimes loaded twice; see [`Budget`]).
async fn page(app: &TestApp, sql: &SqlCounter, client: &Client, path: &str) -> Statements {
    let mut fewest: Option<Statements> = None;
    for _ in 0..3 {
        let ((status, html), statements) = sql
            .measure(async {
                let res = app.get(client, path).await;
                (res.status(), res.text().await.unwrap())
            })
            .await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        if fewest
            .as_ref()
            .is_none_or(|f| statements.count() < f.count())
        {
            fewest = Some(statements);
        }
    }
    fewest.unwrap_or_default()
}

/// The statements of paula's Approve click on a fresh release of `p1`
/// (the first of the two approvals it needs), after one click to warm up:
/// the fewer of two clicks (a background job, such as the deployment
/// runner looking for work every second, may run alongside one).
async fn approve_click(
    app: &TestApp,
    sql: &SqlCounter,
    paula: &Client,
    admin_p: &Principal,
    size: usize,
) -> Statements {
    let mut fewest: Option<Statements> = None;
    for n in 0..3 {
        let id =
            submitted_release(app, admin_p, "p1", &format!("2.{size}.{n}"), month_shown()).await;
        let id = id.to_string();
        let (res, statements) = sql
            .measure(async {
                let res = app
                    .post(
                        paula,
                        "/api/releases/decide",
                        &[
                            ("slug", "p1"),
                            ("id", id.as_str()),
                            ("decision", "approve"),
                            ("seen_artifact", SHA),
                            ("seen_revision", "0"),
                        ],
                    )
                    .await;
                (res.status(), res.text().await.unwrap())
            })
            .await;
        assert_eq!(res.0, StatusCode::OK, "{}", res.1);
        if n > 0
            && fewest
                .as_ref()
                .is_none_or(|f| statements.count() < f.count())
        {
            fewest = Some(statements);
        }
    }
    fewest.unwrap_or_default()
}

/// Everything measured at one size.
struct Counts {
    projects: Statements,
    release: Statements,
    dashboard: Statements,
    calendar: Statements,
    approve: Statements,
}

async fn measure_all(
    app: &TestApp,
    sql: &SqlCounter,
    paula: &Client,
    admin_p: &Principal,
    release: &str,
    size: usize,
) -> Counts {
    let month = month_shown();
    let month = format!("{:04}-{:02}", month.year(), u8::from(month.month()));
    let dashboard = page(app, sql, paula, "/").await;
    let counts = Counts {
        projects: page(app, sql, paula, "/projects").await,
        release: page(app, sql, paula, release).await,
        calendar: page(app, sql, paula, &format!("/calendar?month={month}")).await,
        approve: approve_click(app, sql, paula, admin_p, size).await,
        dashboard,
    };
    // What was measured shows what it should (the counts mean something).
    let html = app.get(paula, "/").await.text().await.unwrap();
    assert_eq!(
        html.matches("#decision").count(),
        size,
        "the dashboard lists every release waiting for paula"
    );
    counts
}

async fn pages_cost_as_many_statements_for_ten_projects_as_for_two(
    app: &TestApp,
    sql: &SqlCounter,
) {
    let admin = app.admin().await;
    let admin_p = app.admin_principal().await;
    grow(app, &admin, &admin_p, 1, SMALL).await;
    let release = {
        let list = app.services.releases().list(&admin_p, "p1").await.unwrap();
        format!("/projects/p1/releases/{}", list[0].id)
    };
    let paula = app.login("paula", USER_PASSWORD).await;
    let small = measure_all(app, sql, &paula, &admin_p, &release, SMALL).await;
    grow(app, &admin, &admin_p, SMALL + 1, LARGE).await;
    let large = measure_all(app, sql, &paula, &admin_p, &release, LARGE).await;

    let engine = app.services.store.backend().name();
    let measured = [
        Measured {
            budget: &PROJECT_LIST,
            small: small.projects,
            large: large.projects,
        },
        Measured {
            budget: &RELEASE_PAGE,
            small: small.release,
            large: large.release,
        },
        Measured {
            budget: &DASHBOARD,
            small: small.dashboard,
            large: large.dashboard,
        },
        Measured {
            budget: &CALENDAR_MONTH,
            small: small.calendar,
            large: large.calendar,
        },
        Measured {
            budget: &APPROVE_CLICK,
            small: small.approve,
            large: large.approve,
        },
    ];
    for m in &measured {
        m.print(engine);
    }
    for m in &measured {
        m.check(engine);
    }
}

on_both_databases_counting_sql!(pages_cost_as_many_statements_for_ten_projects_as_for_two);
