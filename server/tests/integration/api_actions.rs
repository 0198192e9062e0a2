//! The release-actions part of the API over HTTP with real tokens:
//! evidence, checklists, promotion through the gate, what runs where, and
//! the audit log. Every refusal checks that nothing changed.

use crate::helpers::{decision, release_input, TestApp};
use crate::on_both_databases;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use slipway_domain::approval::{ApprovalPolicy, Decision};
use slipway_domain::Principal;
use slipway_services::releases::EvidenceInput;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

on_both_databases!(
    evidence_from_a_service_token_ticks_the_checklist,
    evidence_without_the_scope_is_403_and_records_nothing,
    bad_evidence_is_422_and_records_nothing,
    promotion_is_refused_with_every_reason_then_allowed_after_sign_off,
    promotion_without_the_scope_or_the_role_is_403_and_changes_nothing,
    status_follows_promotions_and_roll_backs,
    status_of_a_project_with_nothing_deployed_is_all_null,
    audit_needs_audit_read_and_pages_with_the_cursor,
    a_release_of_another_project_is_404,
);

struct Answer {
    status: StatusCode,
    content_type: String,
    etag: Option<String>,
    body: Value,
}

async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut req = app.api().request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_default();
    let etag = header("etag");
    let text = res.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer {
        status,
        content_type,
        etag,
        body,
    }
}

async fn get(app: &TestApp, token: &str, path: &str) -> Answer {
    call(app, token, Method::GET, path, None).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Answer {
    call(app, token, Method::POST, path, Some(body)).await
}

/// Asserts a problem of `status` (and of `kind` when given); returns it.
fn problem(a: &Answer, status: StatusCode, kind: Option<&str>) -> Value {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.content_type, "application/problem+json", "{}", a.body);
    assert_eq!(a.body["status"], status.as_u16(), "{}", a.body);
    if let Some(kind) = kind {
        assert_eq!(
            a.body["type"],
            format!("urn:slipway:problem:{kind}"),
            "{}",
            a.body
        );
    }
    a.body.clone()
}

/// Project `shop` (dev, staging, prod) with a team: erin (engineer),
/// paula (product owner), sam (SRE), rick (release manager), tess (tech
/// lead). Dev needs no approval.
struct Team {
    erin: Principal,
    paula: Principal,
    sam: Principal,
    rick: Principal,
}

async fn team(app: &TestApp) -> Team {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    for (name, role) in [
        ("erin", "engineer"),
        ("paula", "product_owner"),
        ("sam", "sre"),
        ("rick", "release_manager"),
        ("tess", "tech_lead"),
    ] {
        app.user_with_role(name, role, Some("shop")).await;
    }
    let team = Team {
        erin: app.principal("erin").await,
        paula: app.principal("paula").await,
        sam: app.principal("sam").await,
        rick: app.principal("rick").await,
    };
    set_required(app, &team.rick, "dev", 0).await;
    team
}

async fn set_required(app: &TestApp, by: &Principal, env: &str, required: u32) {
    app.services
        .releases()
        .set_policy(
            by,
            "shop",
            env,
            &ApprovalPolicy {
                required,
                groups: vec![],
            },
        )
        .await
        .unwrap();
}

/// A release of `shop` by erin; submitted (so approved for dev) when asked.
async fn release(app: &TestApp, t: &Team, version: &str, submit: bool) -> i64 {
    let releases = app.services.releases();
    let id = releases
        .create(&t.erin, "shop", &release_input(version, SHA))
        .await
        .unwrap();
    if submit {
        releases.submit(&t.erin, "shop", id).await.unwrap();
    }
    id
}

/// The release's state and the environment it reached, read as admin.
async fn where_is(app: &TestApp, id: i64) -> (String, Option<String>) {
    let admin = app.admin_principal().await;
    let v = app
        .services
        .releases()
        .get(&admin, "shop", id)
        .await
        .unwrap();
    (v.state.as_str().to_owned(), v.reached_environment)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(app.services.store.pool())
        .await
        .unwrap();
    n
}

/// Rows that any change to a release writes: its transitions, evidence,
/// ticked items and the audit log.
async fn footprint(app: &TestApp) -> [i64; 4] {
    [
        count(app, "SELECT COUNT(*) FROM release_transitions").await,
        count(app, "SELECT COUNT(*) FROM release_evidence").await,
        count(
            app,
            "SELECT COUNT(*) FROM checklist_items WHERE ticked_at IS NOT NULL",
        )
        .await,
        count(app, "SELECT COUNT(*) FROM audit_events").await,
    ]
}

fn smoke_tests() -> Value {
    json!({
        "kind": "smoke-tests",
        "outcome": "passed",
        "summary": "42 smoke tests passed in staging",
        "url": "https://ci.example.com/runs/1"
    })
}

async fn evidence_from_a_service_token_ticks_the_checklist(app: &TestApp) {
    let t = team(app).await;
    let id = release(app, &t, "1.4.0", false).await;
    let ci = app.service_token("shop", "read,evidence:write").await;

    let a = post(
        app,
        &ci,
        &format!("/api/v1/releases/{id}/evidence"),
        smoke_tests(),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let e = &a.body;
    assert_eq!(
        (
            &e["kind"],
            &e["outcome"],
            &e["summary"],
            &e["url"],
            &e["current"]
        ),
        (
            &json!("smoke-tests"),
            &json!("passed"),
            &json!("42 smoke tests passed in staging"),
            &json!("https://ci.example.com/runs/1"),
            &json!(true)
        )
    );
    assert_eq!(
        e["ticked"],
        json!(["Load/performance smoke for risky changes"])
    );
    let by = e["recorded_by"].as_str().unwrap();
    assert!(!by.is_empty() && by != "admin" && by != "erin", "{by}");
    assert!(e["at"].as_str().is_some_and(|at| !at.is_empty()));

    // The checklist shows the item ticked from the evidence.
    let a = get(app, &ci, &format!("/api/v1/releases/{id}/checklist")).await;
    assert_eq!(a.status, StatusCode::OK);
    let items = a.body.as_array().unwrap();
    assert_eq!(items.len(), 8);
    let smoke = items.iter().find(|i| i["key"] == "perf-smoke").unwrap();
    assert_eq!(smoke["done"], true);
    assert!(
        smoke["ticked"].as_str().unwrap().contains("smoke-tests"),
        "{smoke}"
    );
    let qa = items.iter().find(|i| i["key"] == "qa-scope").unwrap();
    assert_eq!((&qa["done"], &qa["ticked"]), (&json!(false), &Value::Null));
    assert_eq!(qa["required_before"], "staging");

    // Listed, newest first, with an ETag that answers 304.
    let a = get(app, &ci, &format!("/api/v1/releases/{id}/evidence")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body.as_array().map(Vec::len), Some(1));
    assert_eq!(a.body[0]["ticked"], e["ticked"]);
    assert_eq!(a.body[0]["recorded_by"], e["recorded_by"]);
    assert_eq!(a.body[0]["at"], e["at"]);
    let etag = a.etag.unwrap();
    let res = app
        .api()
        .get(app.url(&format!("/api/v1/releases/{id}/evidence")))
        .bearer_auth(&ci)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);

    // A failed run ticks nothing.
    let failed = json!({"kind": "smoke-tests", "outcome": "failed", "summary": "3 failed"});
    let a = post(app, &ci, &format!("/api/v1/releases/{id}/evidence"), failed).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(
        (&a.body["ticked"], &a.body["url"]),
        (&json!([]), &Value::Null)
    );
}

async fn evidence_without_the_scope_is_403_and_records_nothing(app: &TestApp) {
    let t = team(app).await;
    let id = release(app, &t, "1.4.0", false).await;
    let path = format!("/api/v1/releases/{id}/evidence");
    let read_only = app
        .service_token("shop", "read,releases:write,promote")
        .await;
    let erins = app
        .personal_token("erin", "read,releases:write", None)
        .await;
    let paulas = app
        .personal_token("paula", "read,evidence:write", None)
        .await;
    let ci = app.service_token("shop", "read,evidence:write").await;
    let before = footprint(app).await;
    problem(
        &post(app, &read_only, &path, smoke_tests()).await,
        StatusCode::FORBIDDEN,
        Some("forbidden"),
    );
    // Erin may record evidence on the pages; her token without the scope may not.
    problem(
        &post(app, &erins, &path, smoke_tests()).await,
        StatusCode::FORBIDDEN,
        Some("forbidden"),
    );
    // The scope without the role: a product owner does not record evidence.
    problem(
        &post(app, &paulas, &path, smoke_tests()).await,
        StatusCode::FORBIDDEN,
        Some("forbidden"),
    );
    assert_eq!(footprint(app).await, before, "nothing was recorded");
    let a = get(app, &read_only, &path).await;
    assert_eq!(a.body, json!([]));
    // Ticking by hand needs releases:write.
    problem(
        &post(
            app,
            &ci,
            &format!("/api/v1/releases/{id}/checklist/qa-scope"),
            json!({"done": true}),
        )
        .await,
        StatusCode::FORBIDDEN,
        Some("forbidden"),
    );
    assert_eq!(footprint(app).await, before, "nothing was ticked");
}

async fn bad_evidence_is_422_and_records_nothing(app: &TestApp) {
    let t = team(app).await;
    let id = release(app, &t, "1.4.0", false).await;
    let ci = app
        .service_token("shop", "read,evidence:write,releases:write")
        .await;
    let path = format!("/api/v1/releases/{id}/evidence");
    let before = footprint(app).await;
    let with = |field: &str, value: Value| {
        let mut body = smoke_tests();
        body[field] = value;
        body
    };
    for (body, field) in [
        (with("outcome", json!("great")), "outcome"),
        (with("url", json!("ftp://ci.example.com/runs/1")), "url"),
        (with("url", json!("javascript:alert(1)")), "url"),
        (with("summary", json!("x".repeat(1_000_000))), "summary"),
        (with("summary", json!("   ")), "summary"),
        (with("kind", json!("Smoke Tests!")), "kind"),
        (with("extra", json!(1)), "body"),
        (with("kind", json!(5)), "body"),
        (with("url", json!(["https://a.example"])), "body"),
        (json!({"kind": "smoke-tests", "outcome": "passed"}), "body"),
    ] {
        let p = problem(
            &post(app, &ci, &path, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("invalid"),
        );
        let fields: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert!(fields.contains(&field), "{field}: {p}");
    }
    // Checklist ticks: only true, only known items.
    let tick = format!("/api/v1/releases/{id}/checklist/qa-scope");
    problem(
        &post(app, &ci, &tick, json!({"done": false})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("invalid"),
    );
    problem(
        &post(app, &ci, &tick, json!({"done": true, "note": 1})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("invalid"),
    );
    problem(
        &post(
            app,
            &ci,
            &format!("/api/v1/releases/{id}/checklist/no-such-item"),
            json!({"done": true}),
        )
        .await,
        StatusCode::CONFLICT,
        Some("conflict"),
    );
    assert_eq!(footprint(app).await, before, "nothing was recorded");
    // And the item, ticked by hand, answers as it is now.
    let a = post(app, &ci, &tick, json!({"done": true})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        (&a.body["key"], &a.body["done"]),
        (&json!("qa-scope"), &json!(true))
    );
    problem(
        &post(app, &ci, &tick, json!({"done": true})).await,
        StatusCode::CONFLICT,
        None,
    );
}

async fn promotion_is_refused_with_every_reason_then_allowed_after_sign_off(app: &TestApp) {
    let t = team(app).await;
    let id = release(app, &t, "1.4.0", true).await;
    let ci = app
        .service_token("shop", "read,promote,releases:write")
        .await;
    let promote = format!("/api/v1/releases/{id}/promote");

    // Dev needs nobody.
    let a = post(app, &ci, &promote, json!({})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body["deployment_id"].as_i64().is_some(), "{}", a.body);
    assert_eq!(
        a.body,
        json!({"release_id": id, "version": "1.4.0", "state": "released", "environment": "dev", "deployment_id": a.body["deployment_id"]})
    );
    let here = where_is(app, id).await;
    assert_eq!(here, ("released".to_owned(), Some("dev".to_owned())));
    let before = footprint(app).await;

    // Not the next environment: named, refused.
    let p = problem(
        &post(app, &ci, &promote, json!({"environment": "prod"})).await,
        StatusCode::CONFLICT,
        Some("conflict"),
    );
    assert!(p["detail"].as_str().unwrap().contains("staging"), "{p}");

    // Staging: one approval and the QA scope item, both missing: both said.
    let p = problem(
        &post(app, &ci, &promote, json!({})).await,
        StatusCode::CONFLICT,
        Some("gate-refused"),
    );
    let reasons: Vec<&str> = p["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(reasons.len(), 2, "{p}");
    assert!(reasons[0].starts_with("Not approved for staging"), "{p}");
    assert!(reasons[1].contains("QA scope agreed"), "{p}");
    assert_eq!(footprint(app).await, before, "a refusal changes nothing");
    assert_eq!(where_is(app, id).await, here);

    // The pages still see one message with every reason.
    let page_refusal = app
        .services
        .releases()
        .promote(&t.sam, "shop", id, None)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(page_refusal, reasons.join(" "));

    // Sign-off by the product owner: the checklist is what is left.
    app.services
        .releases()
        .decide(
            &t.paula,
            "shop",
            id,
            &decision(Decision::Approve, "ok", SHA, 0),
        )
        .await
        .unwrap();
    let p = problem(
        &post(app, &ci, &promote, json!({"environment": "staging"})).await,
        StatusCode::CONFLICT,
        Some("gate-refused"),
    );
    assert_eq!(p["reasons"].as_array().map(Vec::len), Some(1), "{p}");
    let a = post(
        app,
        &ci,
        &format!("/api/v1/releases/{id}/checklist/qa-scope"),
        json!({"done": true}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    let a = post(app, &ci, &promote, json!({"environment": "staging"})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["environment"], "staging");
    assert_eq!(a.body["state"], "released");
    assert_eq!(where_is(app, id).await.1.as_deref(), Some("staging"));

    let a = get(app, &ci, "/api/v1/projects/shop/status").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let envs = a.body["environments"].as_array().unwrap();
    let names: Vec<&str> = envs.iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, ["dev", "staging", "prod"]);
    for env in &envs[..2] {
        assert_eq!(env["current"]["release_id"], id, "{env}");
        assert_eq!(env["current"]["version"], "1.4.0");
        assert_eq!(env["current"]["artifact"], SHA);
    }
    assert_eq!(envs[2]["current"], Value::Null);

    // The description names these routes and their problems.
    let doc: Value = app
        .api()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/releases/{id}/evidence",
        "/api/v1/releases/{id}/checklist",
        "/api/v1/releases/{id}/checklist/{key}",
        "/api/v1/releases/{id}/promote",
        "/api/v1/projects/{slug}/status",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert!(
        doc["paths"]["/api/v1/releases/{id}/promote"]["post"]["responses"]["409"]["content"]
            ["application/problem+json"]
            .is_object()
    );
}

async fn promotion_without_the_scope_or_the_role_is_403_and_changes_nothing(app: &TestApp) {
    let t = team(app).await;
    let id = release(app, &t, "1.4.0", true).await;
    let promote = format!("/api/v1/releases/{id}/promote");
    let no_scope = app
        .service_token("shop", "read,releases:write,evidence:write")
        .await;
    let tess = app.personal_token("tess", "read,promote", None).await;
    let sams = app.personal_token("sam", "read,promote", None).await;
    let here = where_is(app, id).await;
    assert_eq!(here, ("approved".to_owned(), None));
    let before = footprint(app).await;

    problem(
        &post(app, &no_scope, &promote, json!({})).await,
        StatusCode::FORBIDDEN,
        Some("forbidden"),
    );
    // The scope, but a tech lead does not promote.
    problem(
        &post(app, &tess, &promote, json!({})).await,
        StatusCode::FORBIDDEN,
        Some("forbidden"),
    );
    // No break-glass over the API, not even for an SRE.
    problem(
        &post(
            app,
            &sams,
            &promote,
            json!({"break_glass_reason": "Payments are down"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("invalid"),
    );
    assert_eq!(footprint(app).await, before);
    assert_eq!(where_is(app, id).await, here);

    // With every environment open, the last one is the end of the road.
    for env in ["staging", "prod"] {
        set_required(app, &t.rick, env, 0).await;
    }
    let admin = app.admin_principal().await;
    let view = app
        .services
        .releases()
        .get(&admin, "shop", id)
        .await
        .unwrap();
    for item in view.checklist {
        app.services
            .releases()
            .tick(&t.rick, "shop", id, &item.key)
            .await
            .unwrap();
    }
    for env in ["dev", "staging", "prod"] {
        let a = post(app, &sams, &promote, json!({"environment": env})).await;
        assert_eq!(
            (a.status, &a.body["environment"]),
            (StatusCode::OK, &json!(env)),
            "{}",
            a.body
        );
    }
    let before = footprint(app).await;
    let p = problem(
        &post(app, &sams, &promote, json!({})).await,
        StatusCode::CONFLICT,
        Some("conflict"),
    );
    assert!(
        p["detail"].as_str().unwrap().contains("last environment"),
        "{p}"
    );
    assert_eq!(footprint(app).await, before);
}

async fn status_follows_promotions_and_roll_backs(app: &TestApp) {
    let t = team(app).await;
    let sams = app.personal_token("sam", "read,promote", None).await;
    let first = release(app, &t, "1.0.0", true).await;
    let a = post(
        app,
        &sams,
        &format!("/api/v1/releases/{first}/promote"),
        json!({}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let second = release(app, &t, "1.1.0", true).await;
    let a = post(
        app,
        &sams,
        &format!("/api/v1/releases/{second}/promote"),
        json!({}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    let dev_now = |body: &Value| body["environments"][0]["current"].clone();
    let a = get(app, &sams, "/api/v1/projects/shop/status").await;
    let current = dev_now(&a.body);
    assert_eq!(
        (&current["release_id"], &current["version"]),
        (&json!(second), &json!("1.1.0"))
    );
    assert_eq!(current["by"], "sam");
    assert!(current["since"].as_str().is_some_and(|s| !s.is_empty()));

    // Rolled back out of dev: the one before runs there again.
    app.services
        .releases()
        .roll_back(&t.sam, "shop", second, "broke checkout")
        .await
        .unwrap();
    let a = get(app, &sams, "/api/v1/projects/shop/status").await;
    assert_eq!(dev_now(&a.body)["release_id"], first, "{}", a.body);
    app.services
        .releases()
        .roll_back(&t.sam, "shop", first, "broke too")
        .await
        .unwrap();
    let a = get(app, &sams, "/api/v1/projects/shop/status").await;
    assert_eq!(dev_now(&a.body), Value::Null, "{}", a.body);
    let _ = (&t.erin, &t.paula);
}

async fn status_of_a_project_with_nothing_deployed_is_all_null(app: &TestApp) {
    let t = team(app).await;
    let _draft = release(app, &t, "1.0.0", true).await;
    let ci = app.service_token("shop", "read").await;
    let a = get(app, &ci, "/api/v1/projects/shop/status").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        a.body,
        json!({
            "project": "shop",
            "environments": [
                {"name": "dev", "tier": "development", "position": 0, "current": null},
                {"name": "staging", "tier": "staging", "position": 1, "current": null},
                {"name": "prod", "tier": "production", "position": 2, "current": null},
            ]
        })
    );
    let res = app
        .api()
        .get(app.url("/api/v1/projects/shop/status"))
        .bearer_auth(&ci)
        .header("if-none-match", a.etag.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    problem(
        &get(app, &ci, "/api/v1/projects/nope/status").await,
        StatusCode::NOT_FOUND,
        Some("not-found"),
    );
}

/// Every page of `/api/v1/audit?{query}` by the cursor; the events' ids.
async fn all_pages(app: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("/api/v1/audit?{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let a = get(app, token, &path).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        ids.extend(
            a.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["id"].as_i64()),
        );
        match a.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return ids,
        }
    }
    panic!("paging never ended");
}

async fn audit_needs_audit_read_and_pages_with_the_cursor(app: &TestApp) {
    let t = team(app).await;
    let id = release(app, &t, "1.4.0", false).await;
    // More events than one of the service's pages (50).
    let releases = app.services.releases();
    for i in 0..55 {
        let input = EvidenceInput {
            kind: "unit-tests".into(),
            outcome: "info".into(),
            summary: format!("run {i}"),
            url: String::new(),
        };
        releases
            .record_evidence(&t.erin, "shop", id, &input)
            .await
            .unwrap();
    }

    // Without the scope, or without the role: 403.
    let no_scope = app.service_token("shop", "read").await;
    problem(
        &get(app, &no_scope, "/api/v1/audit").await,
        StatusCode::FORBIDDEN,
        Some("forbidden"),
    );
    let erins = app.personal_token("erin", "read,audit:read", None).await;
    problem(
        &get(app, &erins, "/api/v1/audit").await,
        StatusCode::FORBIDDEN,
        Some("forbidden"),
    );

    let ci = app.service_token("shop", "read,audit:read").await;
    let a = get(app, &ci, "/api/v1/audit?limit=200").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let everything: Vec<i64> = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["id"].as_i64())
        .collect();
    assert!(everything.len() > 55, "{}", everything.len());
    assert!(a.body.get("next_cursor").is_none());
    assert!(everything.windows(2).all(|w| w[0] > w[1]), "newest first");
    let items = a.body["items"].as_array().unwrap();
    let latest = items
        .iter()
        .find(|e| e["action"] == "evidence.recorded")
        .unwrap();
    assert_eq!(latest["project"], "shop");
    assert_eq!(latest["subject_id"], id.to_string());
    assert_eq!(
        latest["after"]["summary"], "run 54",
        "snapshots are JSON: {latest}"
    );

    // Page by page, across the service's pages: the same events.
    assert_eq!(all_pages(app, &ci, "limit=7").await, everything);
    assert_eq!(all_pages(app, &ci, "limit=50").await, everything);

    // Events added while paging come first, never twice or in between.
    let a = get(app, &ci, "/api/v1/audit?limit=20").await;
    let cursor = a.body["next_cursor"].as_str().unwrap().to_owned();
    for i in 0..3 {
        let input = EvidenceInput {
            kind: "unit-tests".into(),
            outcome: "info".into(),
            summary: format!("late run {i}"),
            url: String::new(),
        };
        releases
            .record_evidence(&t.erin, "shop", id, &input)
            .await
            .unwrap();
    }
    let b = get(
        app,
        &ci,
        &format!("/api/v1/audit?limit=200&cursor={cursor}"),
    )
    .await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.body);
    let rest: Vec<i64> = b.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["id"].as_i64())
        .collect();
    assert_eq!(rest, everything[20..]);

    // Filters.
    let recorded = all_pages(app, &ci, "action=evidence.recorded&limit=30").await;
    assert_eq!(recorded.len(), 58);
    let by_erin = all_pages(app, &ci, "actor=erin&project=shop&limit=200").await;
    assert!(by_erin.len() >= 58);
    problem(
        &get(app, &ci, "/api/v1/audit?action=nonsense").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("invalid"),
    );
    problem(
        &get(app, &ci, "/api/v1/audit?cursor=zz").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("invalid"),
    );
    problem(
        &get(app, &ci, "/api/v1/audit?limit=0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("invalid"),
    );
    problem(
        &get(app, &ci, "/api/v1/audit?page=2").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("invalid"),
    );

    // An admin's token sees every project's events.
    let admins = app.personal_token("admin", "read,audit:read", None).await;
    let a = get(app, &admins, "/api/v1/audit?limit=200").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "api_token.created"));
    let _ = (&t.paula, &t.sam, &t.rick);
}

async fn a_release_of_another_project_is_404(app: &TestApp) {
    let t = team(app).await;
    let admin = app.admin().await;
    app.create_project(&admin, "Other", "other").await;
    let id = release(app, &t, "1.4.0", true).await;
    let theirs = app
        .service_token(
            "other",
            "read,releases:write,evidence:write,promote,audit:read",
        )
        .await;
    let here = where_is(app, id).await;
    let before = footprint(app).await;
    for missing in [id, 999_999] {
        let base = format!("/api/v1/releases/{missing}");
        for a in [
            get(app, &theirs, &format!("{base}/evidence")).await,
            get(app, &theirs, &format!("{base}/checklist")).await,
            post(app, &theirs, &format!("{base}/evidence"), smoke_tests()).await,
            post(
                app,
                &theirs,
                &format!("{base}/checklist/qa-scope"),
                json!({"done": true}),
            )
            .await,
            post(app, &theirs, &format!("{base}/promote"), json!({})).await,
        ] {
            let p = problem(&a, StatusCode::NOT_FOUND, Some("not-found"));
            assert_eq!(p["detail"], "release was not found", "{p}");
        }
    }
    problem(
        &get(app, &theirs, "/api/v1/releases/abc/evidence").await,
        StatusCode::NOT_FOUND,
        Some("not-found"),
    );
    problem(
        &get(app, &theirs, "/api/v1/projects/shop/status").await,
        StatusCode::NOT_FOUND,
        Some("not-found"),
    );
    assert_eq!(footprint(app).await, before);
    assert_eq!(where_is(app, id).await, here);
    // Its own audit log holds none of shop's events.
    let a = get(app, &theirs, "/api/v1/audit?limit=200").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        a.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["project"] == "other"),
        "{}",
        a.body
    );
}
