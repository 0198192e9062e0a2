//! The releases part of the REST API over real HTTP with real tokens, on
//! SQLite and PostgreSQL, against real git repositories (a working copy
//! pushing to a bare "origin" the project is connected to). Every refusal
//! checks that nothing changed.

use crate::helpers::TestApp;
use crate::on_both_databases;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use slipway_services::git::fixture::Fixture;
use std::path::PathBuf;

/// A developer's clone and the origin Slipway is connected to: v1.0.0,
/// then a feature and a fix (so 1.1.0 is next).
struct Upstream {
    work: Fixture,
    origin: PathBuf,
}

impl Upstream {
    fn new() -> Self {
        let mut work = Fixture::new();
        let origin = work.bare_remote("origin");
        work.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
        work.commit("feat: first release");
        work.tag("v1.0.0");
        work.commit("feat(cart): add coupons\n\nRefs: SHOP-12");
        work.commit("fix: rounding of totals (#7)");
        work.git(&["push", "-q", "origin", "main", "--tags"]);
        Self { work, origin }
    }

    fn url(&self) -> String {
        format!("file://{}", self.origin.display())
    }

    /// Pushes a new branch with one more fix, without Slipway fetching.
    fn push_branch(&mut self, name: &str) -> String {
        self.work.git(&["checkout", "-q", "-b", name]);
        let sha = self.work.commit("fix: pushed a moment ago");
        self.work.git(&["push", "-q", "origin", name]);
        self.work.git(&["checkout", "-q", "main"]);
        sha
    }
}

/// Connects `slug` to `url` through the repository settings page (fetching
/// on demand only).
async fn connect(app: &TestApp, admin: &Client, slug: &str, url: &str) {
    let res = app
        .post(
            admin,
            "/api/repositories/configure",
            &[
                ("slug", slug),
                ("form[url]", url),
                ("form[web_url]", "https://git.example.com/acme/shop"),
                ("form[issue_url]", "https://jira.example.com/browse/{key}"),
                ("form[tag_prefix]", "v"),
                ("form[main_branch]", "main"),
                ("form[scheme]", "semver"),
                ("form[minor_types]", "feat"),
                ("form[patch_types]", "fix, perf"),
                ("form[other_bump]", "none"),
                ("form[breaking_minor_while_zero]", "on"),
                ("form[initial_version]", "0.1.0"),
                ("form[fetch_interval_s]", "0"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
}

/// A project "shop" connected to a fresh upstream, and the admin's client.
async fn shop(app: &TestApp) -> (Client, Upstream) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let up = Upstream::new();
    connect(app, &admin, "shop", &up.url()).await;
    (admin, up)
}

/// Sends a request with a token; the status, headers and JSON body.
async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = app.api().request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let text = res.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, value)
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let (s, _, v) = call(app, token, Method::GET, path, None).await;
    (s, v)
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let (s, _, v) = call(app, token, Method::POST, path, Some(body)).await;
    (s, v)
}

/// A problem with a 422 on `field`.
#[track_caller]
fn assert_field(status: StatusCode, problem: &Value, field: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["type"], "urn:slipway:problem:invalid", "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        fields.contains(&field),
        "expected a problem on {field}: {problem}"
    );
}

/// What a refusal must leave alone: releases, notes, notes revisions and
/// audit events, counted.
async fn footprint(app: &TestApp) -> [i64; 4] {
    let mut out = [0; 4];
    for (i, table) in [
        "releases",
        "release_notes",
        "release_note_revisions",
        "audit_events",
    ]
    .iter()
    .enumerate()
    {
        let (n,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(app.services.store.pool())
                .await
                .unwrap();
        out[i] = n;
    }
    out
}

/// Creates a release by hand through the API; its id.
async fn create_by_hand(app: &TestApp, token: &str, version: &str) -> i64 {
    let (status, r) = post(
        app,
        token,
        "/api/v1/projects/shop/releases",
        json!({ "version": version, "artifact": "abcdef1234567" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    r["id"].as_i64().unwrap()
}

on_both_databases!(
    a_release_from_a_ref_gets_the_proposed_version_notes_and_commit,
    a_given_version_notes_and_digest_are_kept,
    a_ref_pushed_after_the_last_fetch_is_found,
    invalid_input_is_422_on_its_field_and_changes_nothing,
    a_stale_expected_artifact_is_409_and_decisions_show_what_it_voided,
    submit_and_abandon_in_the_wrong_state_are_409,
    tokens_reach_only_what_their_scopes_and_owners_allow,
    reads_answer_304_to_a_matching_etag,
    the_cursor_pages_through_releases_newest_first,
    the_version_plan_explains_the_next_version,
    the_openapi_document_describes_the_release_routes,
);

async fn a_release_from_a_ref_gets_the_proposed_version_notes_and_commit(app: &TestApp) {
    let (_, up) = shop(app).await;
    let ci = app.service_token("shop", "releases:write").await;
    let (status, headers, r) = call(
        app,
        &ci,
        Method::POST,
        "/api/v1/projects/shop/releases",
        Some(json!({ "ref": "main" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    assert_eq!(
        headers["location"],
        format!("/api/v1/releases/{id}").as_str()
    );
    assert_eq!(r["project"], "shop");
    assert_eq!(r["version"], "1.1.0");
    assert_eq!(r["state"], "draft");
    assert_eq!(r["artifact"], up.work.head().as_str(), "the ref's commit");
    assert_eq!(r["notes_revision"], 1);
    let notes = r["notes_markdown"].as_str().unwrap();
    assert!(notes.contains("**cart:** add coupons"), "{notes}");
    assert!(notes.contains("rounding of totals"), "{notes}");
    assert_eq!(r["next_environment"], "dev");
    assert_eq!(r["reached_environment"], Value::Null);
    assert_eq!(
        r["web_url"],
        format!("/projects/shop/releases/{id}").as_str()
    );
    assert_eq!(r["approval"]["satisfied"], false);
    assert!(
        r["promotion_blockers"]
            .as_array()
            .is_some_and(|b| !b.is_empty()),
        "{r}"
    );

    // What the location names is what was answered.
    let (status, again) = get(app, &ci, &format!("/api/v1/releases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, r);
    // The pages see the same release, with the same notes.
    let admin = app.admin_principal().await;
    let view = app
        .services
        .releases()
        .get(&admin, "shop", id)
        .await
        .unwrap();
    assert_eq!(view.version, "1.1.0");
    assert!(view.notes_id.is_some());
    assert!(view.notes_html.contains("coupons"));
    let actions: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM audit_events ORDER BY id DESC LIMIT 2")
            .fetch_all(app.services.store.pool())
            .await
            .unwrap();
    let actions: Vec<&str> = actions.iter().map(|(a,)| a.as_str()).collect();
    assert_eq!(actions, ["release.created", "notes.drafted"]);

    // The same version again: refused, nothing new.
    let before = footprint(app).await;
    let (status, p) = post(
        app,
        &ci,
        "/api/v1/projects/shop/releases",
        json!({ "ref": "main" }),
    )
    .await;
    assert_field(status, &p, "version");
    assert_eq!(footprint(app).await, before);
}

async fn a_given_version_notes_and_digest_are_kept(app: &TestApp) {
    let (_admin, _upstream) = shop(app).await;
    let ci = app.service_token("shop", "releases:write").await;
    let digest = format!("sha256:{}", "ab".repeat(32));
    let text = "# Spring release\n\nWritten by hand.\r\n";
    let (status, r) = post(
        app,
        &ci,
        "/api/v1/projects/shop/releases",
        json!({
            "ref": "main", "version": "2.0.0", "artifact": digest, "title": "Spring",
            "notes": text, "planned": "2026-12-01",
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["version"], "2.0.0");
    assert_eq!(r["artifact"], digest.as_str());
    assert_eq!(r["title"], "Spring");
    assert_eq!(r["planned"], "2026-12-01");
    assert_eq!(
        r["notes_revision"], 2,
        "the drafted revision, then the given text"
    );
    assert_eq!(
        r["notes_markdown"],
        "# Spring release\n\nWritten by hand.\n"
    );

    // Without a ref: by hand, no notes.
    let (status, r) = post(
        app,
        &ci,
        "/api/v1/projects/shop/releases",
        json!({ "version": "2.0.1", "artifact": "0123456789abcdef" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["notes_markdown"], Value::Null);
    assert_eq!(r["notes_revision"], 0);
    assert_eq!(r["artifact"], "0123456789abcdef");

    // From a ref with nothing to release, a given version still makes one.
    let (status, r) = post(
        app,
        &ci,
        "/api/v1/projects/shop/releases",
        json!({ "ref": "v1.0.0", "version": "1.0.1" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["notes_markdown"], Value::Null);
    assert_eq!(r["artifact"].as_str().map(str::len), Some(40), "{r}");
}

async fn a_ref_pushed_after_the_last_fetch_is_found(app: &TestApp) {
    let (_, mut up) = shop(app).await;
    let ci = app.service_token("shop", "releases:write").await;
    // Fetched once (main).
    let (status, _) = get(app, &ci, "/api/v1/projects/shop/version-plan").await;
    assert_eq!(status, StatusCode::OK);
    let sha = up.push_branch("hotfix/tax");
    let (status, r) = post(
        app,
        &ci,
        "/api/v1/projects/shop/releases",
        json!({ "ref": "hotfix/tax" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["artifact"], sha.as_str());
    assert_eq!(r["version"], "1.1.0");
}

async fn invalid_input_is_422_on_its_field_and_changes_nothing(app: &TestApp) {
    let (_admin, _upstream) = shop(app).await;
    let ci = app.service_token("shop", "releases:write").await;
    let path = "/api/v1/projects/shop/releases";
    let before = footprint(app).await;
    for (body, field) in [
        (json!({ "ref": "no-such-branch" }), "ref"),
        (json!({ "ref": "v1.0.0" }), "ref"), // nothing to release, no version
        (
            json!({ "ref": "main", "version": "one point oh" }),
            "version",
        ),
        (
            json!({ "version": "1.2.0", "artifact": "sha256:!!" }),
            "artifact",
        ),
        (json!({ "ref": "main", "artifact": "x" }), "artifact"),
        (json!({}), "version"),
        (json!({ "artifact": "abcdef1234" }), "version"),
        (
            json!({ "version": "1.2.0", "artifact": "abcdef1", "notes": "# hi" }),
            "notes",
        ),
        (json!({ "ref": "main", "notes": "   " }), "notes"),
        (json!({ "ref": "main", "notes": "a\u{0}b" }), "notes"),
        (
            json!({ "ref": "main", "notes": "n".repeat(300_000) }),
            "notes",
        ),
        (json!({ "ref": "main", "title": "t".repeat(201) }), "title"),
        (json!({ "ref": "main", "planned": "next week" }), "planned"),
        (json!({ "ref": "main", "colour": "red" }), "body"),
        (json!({ "version": 1 }), "body"),
        (json!({ "ref": ["main"] }), "body"),
        (json!({ "ref": "r".repeat(300) }), "ref"),
    ] {
        let (status, p) = post(app, &ci, path, body.clone()).await;
        assert_field(status, &p, field);
        if field == "ref" && body["ref"] == "v1.0.0" {
            assert!(
                p["detail"].as_str().unwrap().contains("nothing to release"),
                "{p}"
            );
        }
    }
    // A megabyte: refused as a problem, never a server error.
    for body in [
        json!({ "ref": "main", "title": "x".repeat(1 << 20) }),
        json!({ "ref": "main", "notes": "x".repeat(1_000_000) }),
    ] {
        let (status, headers, p) = call(app, &ci, Method::POST, path, Some(body)).await;
        assert!(status.is_client_error(), "{status} {p}");
        assert_eq!(headers["content-type"], "application/problem+json");
    }
    // Not JSON.
    let res = app
        .api()
        .post(app.url(path))
        .bearer_auth(&ci)
        .body("version=1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // A filter that is not a state.
    let (status, p) = get(app, &ci, "/api/v1/projects/shop/releases?state=shipped").await;
    assert_field(status, &p, "state");
    let (status, p) = get(app, &ci, "/api/v1/projects/shop/releases?cursor=zz").await;
    assert_field(status, &p, "cursor");
    let (status, p) = get(app, &ci, "/api/v1/projects/shop/releases?limit=0").await;
    assert_field(status, &p, "limit");
    assert_eq!(footprint(app).await, before, "refusals change nothing");
}

async fn a_stale_expected_artifact_is_409_and_decisions_show_what_it_voided(app: &TestApp) {
    let (_admin, _upstream) = shop(app).await;
    app.user_with_role("tess", "tech_lead", Some("shop")).await;
    let ci = app.service_token("shop", "releases:write").await;
    let id = create_by_hand(app, &ci, "1.2.0").await;
    let (status, r) = post(
        app,
        &ci,
        &format!("/api/v1/releases/{id}/submit"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "candidate");
    let tess = app.principal("tess").await;
    app.services
        .releases()
        .decide(
            &tess,
            "shop",
            id,
            &crate::helpers::decision(
                slipway_domain::approval::Decision::Approve,
                "fine",
                "abcdef1234567",
                0,
            ),
        )
        .await
        .unwrap();
    let (status, d) = get(app, &ci, &format!("/api/v1/releases/{id}/decisions")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d.as_array().unwrap().len(), 1);
    assert_eq!(d[0]["decision"], "approve");
    assert_eq!(d[0]["environment"], "dev");
    assert_eq!(d[0]["user"], "tess");
    assert_eq!(d[0]["roles"], json!(["tech_lead"]));
    assert_eq!(d[0]["live"], true);
    assert_eq!(d[0]["ended"], Value::Null);
    assert!(d[0]["at"].as_str().unwrap().ends_with('Z'), "{d}");

    let digest = format!("sha256:{}", "cd".repeat(32));
    let release = format!("/api/v1/releases/{id}");
    let patch = |body: Value| call(app, &ci, Method::PATCH, &release, Some(body));
    let before = footprint(app).await;
    let (status, _, p) = patch(json!({ "artifact": digest, "expected_artifact": "0000000" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["type"], "urn:slipway:problem:conflict");
    let (status, _, p) =
        patch(json!({ "artifact": "no!", "expected_artifact": "abcdef1234567" })).await;
    assert_field(status, &p, "artifact");
    let (status, _, p) = patch(json!({ "artifact": digest })).await;
    assert_field(status, &p, "body");
    assert_eq!(footprint(app).await, before);
    let (_, r) = get(app, &ci, &format!("/api/v1/releases/{id}")).await;
    assert_eq!(r["artifact"], "abcdef1234567", "unchanged");
    let (_, d) = get(app, &ci, &format!("/api/v1/releases/{id}/decisions")).await;
    assert_eq!(d[0]["live"], true, "the decision still counts");

    let (status, _, r) =
        patch(json!({ "artifact": digest, "expected_artifact": "abcdef1234567" })).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["artifact"], digest.as_str());
    let (_, d) = get(app, &ci, &format!("/api/v1/releases/{id}/decisions")).await;
    assert_eq!(d[0]["live"], false);
    assert!(
        d[0]["ended"].as_str().unwrap().contains("artifact changed"),
        "{d}"
    );
}

async fn submit_and_abandon_in_the_wrong_state_are_409(app: &TestApp) {
    let (_admin, _upstream) = shop(app).await;
    let ci = app.service_token("shop", "releases:write").await;
    let id = create_by_hand(app, &ci, "1.3.0").await;
    let submit = format!("/api/v1/releases/{id}/submit");
    let abandon = format!("/api/v1/releases/{id}/abandon");

    let before = footprint(app).await;
    let (status, p) = post(app, &ci, &submit, json!({ "force": true })).await;
    assert_field(status, &p, "body");
    let (status, p) = post(app, &ci, &abandon, json!({ "reason": "x", "now": 1 })).await;
    assert_field(status, &p, "body");
    assert_eq!(footprint(app).await, before);

    // No body at all is fine.
    let res = app
        .api()
        .post(app.url(&submit))
        .bearer_auth(&ci)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["state"], "candidate");

    let before = footprint(app).await;
    let (status, p) = post(app, &ci, &submit, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert_eq!(footprint(app).await, before);

    let (status, r) = post(
        app,
        &ci,
        &abandon,
        json!({ "reason": "superseded by 1.3.1" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "abandoned");
    assert_eq!(r["next_environment"], Value::Null);
    assert_eq!(
        r["promotion_blockers"].as_array().map(Vec::len),
        Some(1),
        "{r}"
    );

    let before = footprint(app).await;
    for path in [&submit, &abandon] {
        let (status, p) = post(app, &ci, path, json!({ "reason": "again" })).await;
        // submit takes no reason: refused as a field; abandon again: 409.
        if path == &abandon {
            assert_eq!(status, StatusCode::CONFLICT, "{p}");
        } else {
            assert_field(status, &p, "body");
        }
    }
    let (status, p) = post(app, &ci, &submit, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert_eq!(footprint(app).await, before);
    let (_, r) = get(app, &ci, &format!("/api/v1/releases/{id}")).await;
    assert_eq!(r["state"], "abandoned");
}

async fn tokens_reach_only_what_their_scopes_and_owners_allow(app: &TestApp) {
    let (admin, _upstream) = shop(app).await;
    app.create_project(&admin, "Blog", "blog").await;
    let writer = app.service_token("shop", "releases:write").await;
    let id = create_by_hand(app, &writer, "1.0.5").await;
    let reader = app
        .service_token("shop", "read,evidence:write,promote")
        .await;
    let other = app.service_token("blog", "releases:write").await;
    app.user_with_role("stan", "stakeholder", Some("shop"))
        .await;
    let stan = app
        .personal_token("stan", "read,releases:write", None)
        .await;
    let before = footprint(app).await;

    // A service token that may only read.
    let (status, p) = post(
        app,
        &reader,
        "/api/v1/projects/shop/releases",
        json!({ "ref": "main" }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
    assert_eq!(p["type"], "urn:slipway:problem:forbidden");
    let (status, _) = post(
        app,
        &reader,
        &format!("/api/v1/releases/{id}/submit"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(app, &reader, &format!("/api/v1/releases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "reading needs no scope beyond read");

    // Another project's token: the release and the project look absent.
    for path in [
        format!("/api/v1/releases/{id}"),
        format!("/api/v1/releases/{id}/decisions"),
        "/api/v1/projects/shop/releases".to_owned(),
        "/api/v1/projects/shop/version-plan".to_owned(),
    ] {
        let (status, p) = get(app, &other, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {p}");
    }
    let (status, p) = get(app, &other, &format!("/api/v1/releases/{id}")).await;
    assert_eq!(p["detail"], "release was not found", "{status}");
    let (status, _) = post(
        app,
        &other,
        "/api/v1/projects/shop/releases",
        json!({ "version": "9.0.0", "artifact": "abcdef1" }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(
        app,
        &other,
        &format!("/api/v1/releases/{id}/abandon"),
        json!({ "reason": "mine now" }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(app, &writer, "/api/v1/releases/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A personal token acts within its owner's roles: a stakeholder reads,
    // but creates nothing, whatever the token's scopes.
    let (status, _) = get(app, &stan, &format!("/api/v1/releases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, p) = post(
        app,
        &stan,
        "/api/v1/projects/shop/releases",
        json!({ "ref": "main" }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
    let (status, _) = post(
        app,
        &stan,
        "/api/v1/projects/shop/releases",
        json!({ "version": "9.0.0", "artifact": "abcdef1" }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        footprint(app).await,
        before,
        "nothing was created or changed"
    );
    let (_, r) = get(app, &writer, &format!("/api/v1/releases/{id}")).await;
    assert_eq!(r["state"], "draft");

    // An engineer's token with the scope creates, as the engineer.
    app.user_with_role("erin", "engineer", Some("shop")).await;
    let erin = app.personal_token("erin", "releases:write", None).await;
    let (status, r) = post(
        app,
        &erin,
        "/api/v1/projects/shop/releases",
        json!({ "ref": "main" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["author"], "erin");
    // Without the scope, the engineer's token may not.
    let erin_reads = app.personal_token("erin", "read", None).await;
    let (status, _) = post(
        app,
        &erin_reads,
        "/api/v1/projects/shop/releases",
        json!({ "version": "9.0.0", "artifact": "abcdef1" }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn reads_answer_304_to_a_matching_etag(app: &TestApp) {
    let (_admin, _upstream) = shop(app).await;
    let ci = app.service_token("shop", "releases:write").await;
    let id = create_by_hand(app, &ci, "1.4.0").await;
    for path in [
        "/api/v1/projects/shop/releases".to_owned(),
        format!("/api/v1/releases/{id}"),
        format!("/api/v1/releases/{id}/decisions"),
        "/api/v1/projects/shop/version-plan?ref=main".to_owned(),
    ] {
        let (status, headers, _) = call(app, &ci, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let res = app
            .api()
            .get(app.url(&path))
            .bearer_auth(&ci)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(res.headers()["etag"], etag.as_str());
    }
    // A change makes a new tag.
    let path = format!("/api/v1/releases/{id}");
    let (_, headers, _) = call(app, &ci, Method::GET, &path, None).await;
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, _) = post(app, &ci, &format!("{path}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let res = app
        .api()
        .get(app.url(&path))
        .bearer_auth(&ci)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_ne!(res.headers()["etag"], etag.as_str());
}

async fn the_cursor_pages_through_releases_newest_first(app: &TestApp) {
    let (_admin, _upstream) = shop(app).await;
    let ci = app.service_token("shop", "releases:write").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(create_by_hand(app, &ci, &format!("1.5.{i}")).await);
    }
    for id in [ids[1], ids[4]] {
        let (status, _) = post(
            app,
            &ci,
            &format!("/api/v1/releases/{id}/submit"),
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/api/v1/projects/shop/releases?limit=3".to_owned(),
            Some(c) => format!("/api/v1/projects/shop/releases?limit=3&cursor={c}"),
        };
        let (status, page) = get(app, &ci, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|r| r["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 5, "the cursor must end");
    }
    assert_eq!(pages, 3);
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
    assert_eq!(seen, newest_first);

    let (_, page) = get(app, &ci, "/api/v1/projects/shop/releases?state=candidate").await;
    let candidates: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(candidates, [ids[4], ids[1]]);
    assert!(page.get("next_cursor").is_none());
    let (_, page) = get(app, &ci, "/api/v1/projects/shop/releases?state=released").await;
    assert_eq!(page["items"], json!([]));
}

async fn the_version_plan_explains_the_next_version(app: &TestApp) {
    let (admin, up) = shop(app).await;
    let ci = app.service_token("shop", "read").await;
    let (status, plan) = get(app, &ci, "/api/v1/projects/shop/version-plan?ref=main").await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["ref"], "main");
    assert_eq!(plan["commit"], up.work.head().as_str());
    assert_eq!(plan["next"], "1.1.0");
    assert_eq!(plan["tag"], "v1.1.0");
    assert_eq!(plan["bump"], "minor");
    assert_eq!(plan["last_release"], "v1.0.0");
    assert!(
        plan["explanation"].as_str().unwrap().contains("feature"),
        "{plan}"
    );
    let commits = plan["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 2);
    assert_eq!(commits[0]["subject"], "fix: rounding of totals (#7)");
    assert_eq!(commits[0]["kind"], "fix");
    assert_eq!(commits[0]["drives_bump"], false);
    assert_eq!(commits[1]["kind"], "feat");
    assert_eq!(commits[1]["drives_bump"], true);
    assert_eq!(commits[1]["breaking"], false);
    assert_eq!(commits[1]["sha"].as_str().map(str::len), Some(40));

    // The tag itself: nothing to release, and why.
    let (status, plan) = get(app, &ci, "/api/v1/projects/shop/version-plan?ref=v1.0.0").await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["next"], Value::Null);
    assert!(!plan["explanation"].as_str().unwrap().is_empty());

    let (status, p) = get(
        app,
        &ci,
        "/api/v1/projects/shop/version-plan?ref=main&colour=red",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    // No repository: a conflict that says so.
    app.create_project(&admin, "Blog", "blog").await;
    let blog = app.service_token("blog", "read").await;
    let (status, p) = get(app, &blog, "/api/v1/projects/blog/version-plan").await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("no repository"),
        "{p}"
    );
}

/// The routes are in the OpenAPI document, with their parameters as
/// clients send them.
async fn the_openapi_document_describes_the_release_routes(app: &TestApp) {
    let doc: Value = app
        .api()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = &doc["paths"];
    for (path, method) in [
        ("/api/v1/projects/{slug}/releases", "get"),
        ("/api/v1/projects/{slug}/releases", "post"),
        ("/api/v1/releases/{id}", "get"),
        ("/api/v1/releases/{id}", "patch"),
        ("/api/v1/releases/{id}/submit", "post"),
        ("/api/v1/releases/{id}/abandon", "post"),
        ("/api/v1/releases/{id}/decisions", "get"),
        ("/api/v1/projects/{slug}/version-plan", "get"),
    ] {
        let op = &paths[path][method];
        assert_eq!(op["tags"], json!(["releases"]), "{method} {path}");
        for (status, response) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') {
                assert!(
                    response["content"]["application/problem+json"].is_object(),
                    "{method} {path} {status} is not a problem"
                );
            }
        }
    }
    let plan_params: Vec<&str> = paths["/api/v1/projects/{slug}/version-plan"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(plan_params, ["slug", "ref", "component", "channel"]);
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["NewRelease"]["properties"]["ref"].is_object());
    assert_eq!(schemas["NewRelease"]["additionalProperties"], false);
    assert_eq!(
        schemas["ReleaseState"]["enum"].as_array().map(Vec::len),
        Some(7)
    );
}
