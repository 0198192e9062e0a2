//! Regressions from the outside security and reliability probe: each test
//! failed on the code the probe ran against.

use crate::helpers::{TestApp, ADMIN_PASSWORD};
use crate::on_both_databases;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// 100 KB of `>` (100,000 nested quotes) and 39,000 nested `<div>`s used to
/// take 45 s and 4.5 s on the async runtime, stalling every other request.
async fn a_pathological_preview_answers_fast_and_health_checks_stay_fast(app: &TestApp) {
    let admin = app.admin().await;
    let health = reqwest::Client::new();
    for payload in [">".repeat(100_000), "<div>".repeat(39_000)] {
        let started = Instant::now();
        let form = [("markdown", payload.as_str())];
        let preview = app.post(&admin, "/api/notes/preview", &form);
        let probe = async {
            // While the preview is being answered, /healthz keeps answering.
            let mut worst = Duration::ZERO;
            for _ in 0..10 {
                let t = Instant::now();
                let r = health.get(app.url("/healthz")).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                worst = worst.max(t.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            worst
        };
        let (res, worst) = tokio::join!(preview, probe);
        let took = started.elapsed();
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.unwrap();
        assert!(!html.contains("<div"), "raw HTML in bulk is shown as text");
        assert!(
            took < Duration::from_secs(2),
            "{} bytes took {took:?}",
            payload.len()
        );
        assert!(worst < Duration::from_millis(50), "/healthz took {worst:?}");
    }
    // Over the size limit: refused with a reason, not rendered.
    let res = app
        .post(
            &admin,
            "/api/notes/preview",
            &[("markdown", "x".repeat(300_000).as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("too long"));
}

/// 40 parallel wrong passwords on one account: at most five are checked
/// (each costs an argon2 hash), the rest are refused before hashing.
async fn parallel_wrong_passwords_are_checked_at_most_five_times(app: &TestApp) {
    app.user_with_role("victim", "engineer", None).await;
    let before = failed_logins(app).await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (client, url, origin) = (
            app.client(),
            app.url("/api/session/login"),
            app.base.clone(),
        );
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("origin", origin)
                .header("accept", "application/json")
                .form(&[("username", "victim"), ("password", "wrong password 123")])
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut statuses = std::collections::BTreeMap::new();
    for t in tasks {
        *statuses.entry(t.await.unwrap().as_u16()).or_insert(0) += 1;
    }
    let evaluated = failed_logins(app).await - before;
    assert!(evaluated <= 5, "{evaluated} passwords were checked");
    assert_eq!(
        statuses.get(&401).copied().unwrap_or(0),
        evaluated,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.get(&429).copied().unwrap_or(0),
        40 - evaluated,
        "{statuses:?}"
    );
    // The address is throttled too (5 failures per address per minute), so
    // even the right password of another account waits out the minute.
    let res = app
        .client()
        .post(app.url("/api/session/login"))
        .header("origin", &app.base)
        .header("accept", "application/json")
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn failed_logins(app: &TestApp) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE action = 'login.failed'")
            .fetch_one(app.services.store.pool())
            .await
            .unwrap();
    n
}

/// State-changing requests must say they come from Slipway's own pages.
async fn forged_writes_are_refused(app: &TestApp) {
    let admin = app.admin().await;
    let url = app.url("/api/projects/create");
    let attempts: [(&str, Vec<(&str, String)>); 5] = [
        (
            "foreign origin",
            vec![("origin", "https://evil.example".into())],
        ),
        ("null origin", vec![("origin", "null".into())]),
        (
            "no origin, foreign referer",
            vec![("referer", "https://evil.example/x".into())],
        ),
        ("nothing at all", vec![]),
        (
            "cross-site fetch",
            vec![("sec-fetch-site", "cross-site".into())],
        ),
        // (A spoofed Host matching a foreign Origin can only be told apart
        // with public_url set: with_a_public_url_only_its_origin_may_write.)
    ];
    let before = app.audit_count().await;
    for (what, headers) in attempts {
        let mut req = admin.post(&url).header("accept", "application/json");
        for (k, v) in &headers {
            req = req.header(*k, v);
        }
        let res = req
            .form(&project_form("Forged", "forged"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{what}");
    }
    assert_eq!(app.audit_count().await, before, "nothing changed");
    // The page's own requests pass: Origin, or a same-origin Referer.
    let res = admin
        .post(&url)
        .header("accept", "application/json")
        .header("referer", app.url("/projects/new"))
        .form(&project_form("Referred", "referred"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
}

fn project_form(name: &'static str, slug: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("project[name]", name),
        ("project[slug]", slug),
        ("environments[0][name]", "dev"),
        ("environments[0][tier]", "development"),
    ]
}

/// With `public_url` set, a write must come from exactly that origin:
/// scheme, host and port (behind a proxy the Host header is internal).
async fn with_a_public_url_only_its_origin_may_write(db: crate::helpers::Db) {
    let app = TestApp::spawn_with(db, |s| {
        s.public_url = Some("https://releases.example.com".into());
    })
    .await;
    let admin = app.client();
    let login = |origin: &'static str| {
        admin
            .post(app.url("/api/session/login"))
            .header("origin", origin)
            .header("accept", "application/json")
            .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
            .send()
    };
    for refused in [
        "http://releases.example.com",
        "https://releases.example.com:8443",
        "https://evil.example",
    ] {
        assert_eq!(
            login(refused).await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{refused}"
        );
    }
    let own = app.base.clone();
    let res = admin
        .post(app.url("/api/session/login"))
        .header("origin", own)
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "the internal address is not the public one"
    );
    assert_eq!(
        login("https://releases.example.com")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_public_url_only_its_origin_may_write_sqlite() {
    with_a_public_url_only_its_origin_may_write(crate::helpers::Db::Sqlite).await;
}

/// One policy per kind of text: no NUL or control characters in names and
/// titles, bounded lengths, and errors that never echo a megabyte back.
async fn free_text_is_bounded_and_never_echoed(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let before = app.audit_count().await;
    let huge = "x".repeat(1_000_000);
    for (what, title, version) in [
        ("NUL in the title", "Coupons\0", "1.0.0"),
        ("a 1 MB title", huge.as_str(), "1.0.0"),
        ("a newline in the title", "Two\nlines", "1.0.0"),
        ("markup in the version", "Fine", "1.0.0</title>"),
        ("NUL in the version", "Fine", "1.0.0\0"),
    ] {
        let res = app
            .post(
                &admin,
                "/api/releases/create",
                &[
                    ("slug", "shop"),
                    ("version", version),
                    ("title", title),
                    ("artifact", "0123456789abcdef0123456789abcdef01234567"),
                ],
            )
            .await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
        assert!(
            body.len() < 2_000,
            "{what}: the answer repeats the input ({} bytes)",
            body.len()
        );
    }
    let res = app
        .post(
            &admin,
            "/api/calendar/freezes/create",
            &[
                ("project", "shop"),
                ("name", "Year\0end"),
                ("reason", "Holidays"),
                ("kind", "once"),
                ("start", "2026-12-20T00:00"),
                ("end", "2027-01-02T00:00"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.audit_count().await, before, "nothing was stored");
}

/// URLs with credentials stored before they were refused are never shown:
/// not on the project page, not on the repository page, not in the audit log.
async fn stored_credentials_in_urls_are_redacted(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    sqlx::query(
        "UPDATE projects SET repository_url = $1, repository_web_url = $2 WHERE slug = 'shop'",
    )
    .bind("https://bot:ghp_SECRET1@github.com/acme/shop.git")
    .bind("https://ghp_SECRET2@github.com/acme/shop")
    .execute(app.services.store.pool())
    .await
    .unwrap();
    // An audit record from before, too.
    sqlx::query(
        "INSERT INTO audit_events (occurred_at, actor_id, actor_name, action, subject_type, \
         subject_id, subject_label, project_id, before_json, after_json) \
         VALUES ($1, NULL, 'admin', 'project.updated', 'project', '1', 'shop', NULL, $2, NULL)",
    )
    .bind(1_767_225_600_000_i64)
    .bind(r#"{"repository_url":"https://bot:ghp_SECRET3@github.com/acme/shop.git"}"#)
    .execute(app.services.store.pool())
    .await
    .unwrap();
    for page in ["/projects/shop", "/projects/shop/repository", "/audit"] {
        let html = app.get(&admin, page).await.text().await.unwrap();
        assert!(!html.contains("SECRET"), "{page} shows a credential");
    }
    let (_, v) = {
        let r = app.post(&admin, "/api/audit/list", &[]).await;
        (r.status(), r.text().await.unwrap())
    };
    assert!(!v.contains("SECRET"), "{v}");
}

on_both_databases!(
    free_text_is_bounded_and_never_echoed,
    stored_credentials_in_urls_are_redacted,
    a_pathological_preview_answers_fast_and_health_checks_stay_fast,
    parallel_wrong_passwords_are_checked_at_most_five_times,
    forged_writes_are_refused,
);
