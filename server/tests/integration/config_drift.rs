//! Configuration drift on SQLite and PostgreSQL: editing an environment's
//! configuration (bad rows named, secrets only as references, nothing
//! stored on error, audited), the comparison of the environments, the
//! promotion gate of an environment that requires matching configuration,
//! who may read and write, the REST API, and the page over HTTP.

use crate::helpers::{release_input, TestApp, USER_PASSWORD};
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::{json, Value};
use slipway_domain::approval::ApprovalPolicy;
use slipway_domain::config_drift::{
    ConfigForm, ConfigRowForm, ConfigValue, DriftFinding, DriftRulesForm, EnvironmentConfig,
};
use slipway_domain::Principal;
use slipway_services::ServiceError;

on_both_databases!(
    editing_names_bad_rows_keeps_secret_values_out_and_is_audited,
    the_comparison_finds_missing_keys_and_must_match_differences_only,
    a_target_requiring_matching_configuration_refuses_drift_until_it_is_fixed,
    engineers_read_the_configuration_and_release_managers_change_it,
    the_api_reads_and_replaces_configuration_with_a_token,
    the_page_shows_the_table_and_its_findings_and_escapes_values,
    the_page_forms_post_nested_rows_and_the_rules,
);

/// A configuration form from `(key, value, secret)` rows.
fn form(rows: &[(&str, &str, bool)]) -> ConfigForm {
    ConfigForm {
        rows: rows
            .iter()
            .map(|(key, value, secret)| ConfigRowForm {
                key: (*key).to_owned(),
                value: (*value).to_owned(),
                secret: *secret,
            })
            .collect(),
    }
}

/// Replaces the configuration of `env` in project `shop`.
async fn set(
    app: &TestApp,
    by: &Principal,
    env: &str,
    rows: &[(&str, &str, bool)],
) -> EnvironmentConfig {
    app.services
        .config_drift()
        .update_environment(by, "shop", env, &form(rows))
        .await
        .unwrap()
}

/// Sets the must-match keys and the environments that require a match.
async fn rules(app: &TestApp, by: &Principal, must_match: &str, required: &[&str]) {
    let required: Vec<String> = required.iter().map(|s| (*s).to_owned()).collect();
    app.services
        .config_drift()
        .update_rules(
            by,
            "shop",
            &DriftRulesForm {
                must_match: must_match.into(),
            },
            &required,
        )
        .await
        .unwrap();
}

/// Project `shop` (dev, staging, prod); the admin as a principal.
async fn shop(app: &TestApp) -> Principal {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    app.admin_principal().await
}

fn plain(v: &str) -> ConfigValue {
    ConfigValue::plain(v).unwrap()
}

/// How many configuration changes the audit log holds.
async fn config_events(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_events \
         WHERE action IN ('environment.config_updated', 'project.config_rules_updated')",
    )
    .fetch_one(app.services.store.pool())
    .await
    .unwrap();
    n
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as("SELECT action, subject_label FROM audit_events ORDER BY id")
        .fetch_all(app.services.store.pool())
        .await
        .unwrap()
}

async fn editing_names_bad_rows_keeps_secret_values_out_and_is_audited(app: &TestApp) {
    let admin = shop(app).await;
    let drift = app.services.config_drift();
    let before = app.audit_count().await;
    let pasted = "hunter2-correct-horse-battery";
    let bad = form(&[
        ("PORT", "8080", false),
        ("1bad key", "x", false),
        ("", "", false),
        ("DB_PASSWORD", pasted, true),
        ("DATABASE_URL", "postgres://shop:pw@db.internal/shop", false),
        ("PORT", "9090", false),
    ]);
    let err = drift
        .update_environment(&admin, "shop", "staging", &bad)
        .await
        .unwrap_err();
    let ServiceError::Validation(fields) = err else {
        panic!("expected field errors, got {err:?}")
    };
    let named: Vec<&str> = fields.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        named,
        [
            "rows[1].key",
            "rows[3].value",
            "rows[4].value",
            "rows[5].key"
        ],
        "{fields:?}"
    );
    // The secret pasted by mistake is never repeated back, nor the
    // password in the URL.
    for f in &fields.0 {
        assert!(!f.message.contains(pasted), "{f:?}");
        assert!(!f.message.contains("shop:pw"), "{f:?}");
    }
    assert!(fields
        .get("rows[3].value")
        .unwrap()
        .contains("scheme://location"));
    assert!(fields.get("rows[5].key").unwrap().contains("row 1"));
    // Nothing stored, nothing audited.
    assert!(drift
        .environment(&admin, "shop", "staging")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(app.audit_count().await, before);
    assert_eq!(config_events(app).await, 0);

    // A good form is stored whole (blank rows ignored, the scheme made
    // lower case) and audited with the secret as its reference only.
    let stored = set(
        app,
        &admin,
        "staging",
        &[
            ("PORT", " 8080 ", false),
            ("", "", true),
            ("DB_PASSWORD", "Vault://secret/data/shop#db", true),
        ],
    )
    .await;
    assert_eq!(stored.get("PORT"), Some(&plain("8080")));
    assert_eq!(
        stored.get("DB_PASSWORD"),
        Some(&ConfigValue::Secret {
            reference: "vault://secret/data/shop#db".into()
        })
    );
    assert_eq!(
        drift.environment(&admin, "shop", "staging").await.unwrap(),
        stored
    );
    let events = audit_actions(app).await;
    assert_eq!(
        events.last().unwrap(),
        &(
            "environment.config_updated".to_owned(),
            "shop staging".to_owned()
        )
    );
    assert_eq!(app.audit_count().await, before + 1);
    // Saving again replaces: what is left out is removed.
    let stored = set(app, &admin, "staging", &[("PORT", "80", false)]).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        drift
            .environment(&admin, "shop", "staging")
            .await
            .unwrap()
            .len(),
        1
    );
}

/// dev, staging and prod of `shop` with a must-match key (POOL), a key
/// missing in staging (DEBUG), one only in prod (SENTRY_DSN) and one that
/// differs without having to match (LOG_LEVEL).
async fn three_tiers(app: &TestApp, admin: &Principal) {
    set(
        app,
        admin,
        "dev",
        &[
            ("APP", "shop", false),
            ("DEBUG", "true", false),
            ("LOG_LEVEL", "debug", false),
            ("POOL", "5", false),
        ],
    )
    .await;
    set(
        app,
        admin,
        "staging",
        &[
            ("APP", "shop", false),
            ("LOG_LEVEL", "info", false),
            ("POOL", "20", false),
        ],
    )
    .await;
    set(
        app,
        admin,
        "prod",
        &[
            ("APP", "shop", false),
            ("LOG_LEVEL", "warn", false),
            ("POOL", "20", false),
            ("SENTRY_DSN", "env://SENTRY_DSN", true),
        ],
    )
    .await;
    rules(app, admin, "POOL", &[]).await;
}

async fn the_comparison_finds_missing_keys_and_must_match_differences_only(app: &TestApp) {
    let admin = shop(app).await;
    three_tiers(app, &admin).await;
    let page = app
        .services
        .config_drift()
        .page(&admin, "shop")
        .await
        .unwrap();
    assert!(page.may_edit);
    let names: Vec<&str> = page.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["dev", "staging", "prod"]);
    assert_eq!(page.report.environments, ["dev", "staging", "prod"]);
    let findings: Vec<String> = page.report.findings().map(DriftFinding::describe).collect();
    assert_eq!(
        findings,
        [
            "DEBUG is set in dev but missing in staging.",
            "POOL must match, but dev has 5 and staging has 20.",
            "SENTRY_DSN is set in prod but missing in staging.",
        ]
    );
    assert_eq!(page.report.finding_count(), 3);
    let row = |k: &str| {
        page.report
            .rows
            .iter()
            .find(|r| r.key.as_str() == k)
            .unwrap()
    };
    // LOG_LEVEL differs between staging and prod, but need not match.
    assert!(row("LOG_LEVEL").findings.is_empty());
    assert!(!row("LOG_LEVEL").must_match);
    assert!(row("APP").findings.is_empty());
    assert!(row("POOL").must_match);
    assert_eq!(row("POOL").highlighted(), [true, true, false]);
    assert_eq!(row("DEBUG").cells, [Some(plain("true")), None, None]);

    // Making POOL agree leaves only the missing keys.
    set(
        app,
        &admin,
        "dev",
        &[
            ("APP", "shop", false),
            ("DEBUG", "true", false),
            ("LOG_LEVEL", "debug", false),
            ("POOL", "20", false),
        ],
    )
    .await;
    let page = app
        .services
        .config_drift()
        .page(&admin, "shop")
        .await
        .unwrap();
    assert_eq!(page.report.finding_count(), 2);
    assert!(page
        .report
        .findings()
        .all(|f| matches!(f, DriftFinding::Missing { .. })));
}

/// Nobody needs to approve any environment of `shop`.
async fn open_all(app: &TestApp, by: &Principal) {
    let none = ApprovalPolicy {
        required: 0,
        groups: vec![],
    };
    for env in ["dev", "staging", "prod"] {
        app.services
            .releases()
            .set_policy(by, "shop", env, &none)
            .await
            .unwrap();
    }
}

async fn a_target_requiring_matching_configuration_refuses_drift_until_it_is_fixed(app: &TestApp) {
    let admin = shop(app).await;
    open_all(app, &admin).await;
    set(
        app,
        &admin,
        "staging",
        &[("POOL", "20", false), ("LOG_LEVEL", "info", false)],
    )
    .await;
    set(
        app,
        &admin,
        "prod",
        &[("POOL", "10", false), ("LOG_LEVEL", "warn", false)],
    )
    .await;
    rules(app, &admin, "POOL", &["prod"]).await;
    let page = app
        .services
        .config_drift()
        .page(&admin, "shop")
        .await
        .unwrap();
    let required: Vec<bool> = page.environments.iter().map(|e| e.require_match).collect();
    assert_eq!(required, [false, false, true]);

    let releases = app.services.releases();
    let digest = format!("registry.example.com/shop/api@sha256:{:064x}", 7);
    let id = releases
        .create(&admin, "shop", &release_input("1.0.0", &digest))
        .await
        .unwrap();
    // Tick the release checklist: only configuration may stand in the way.
    let view = releases.get(&admin, "shop", id).await.unwrap();
    for item in view.checklist.into_iter().filter(|i| i.ticked.is_none()) {
        releases.tick(&admin, "shop", id, &item.key).await.unwrap();
    }
    releases.submit(&admin, "shop", id).await.unwrap();
    // dev has no configuration and staging some: drift, but staging does
    // not require matching configuration, so the release moves on.
    for env in ["dev", "staging"] {
        releases
            .promote_into(&admin, "shop", id, Some(env), None, None)
            .await
            .unwrap_or_else(|e| panic!("promotion into {env}: {e:?}"));
    }
    let refused = releases
        .promote_into(&admin, "shop", id, Some("prod"), None, None)
        .await;
    let Err(ServiceError::GateRefused(reasons)) = refused else {
        panic!("expected the gate to refuse, got {refused:?}")
    };
    let drift = reasons
        .iter()
        .find(|r| r.contains("Configuration differs"))
        .unwrap_or_else(|| panic!("{reasons:?}"));
    assert!(
        drift.contains("POOL must match, but staging has 20 and prod has 10"),
        "{drift}"
    );
    // A key that need not match is no reason.
    assert!(!drift.contains("LOG_LEVEL"), "{drift}");

    // Fixed: the promotion goes ahead.
    set(
        app,
        &admin,
        "prod",
        &[("POOL", "20", false), ("LOG_LEVEL", "warn", false)],
    )
    .await;
    let promoted = releases
        .promote_into(&admin, "shop", id, Some("prod"), None, None)
        .await
        .unwrap();
    assert_eq!(promoted.environment, "prod");
}

async fn engineers_read_the_configuration_and_release_managers_change_it(app: &TestApp) {
    let admin = shop(app).await;
    app.user_with_role("erin", "engineer", Some("shop")).await;
    app.user_with_role("rick", "release_manager", Some("shop"))
        .await;
    app.user_with_role("otto", "engineer", None).await;
    let (erin, rick) = (app.principal("erin").await, app.principal("rick").await);
    set(app, &admin, "dev", &[("PORT", "80", false)]).await;
    let drift = app.services.config_drift();

    // The engineer reads, and is told they may not edit.
    let page = drift.page(&erin, "shop").await.unwrap();
    assert!(!page.may_edit);
    assert_eq!(page.report.rows.len(), 1);
    assert_eq!(
        drift.environment(&erin, "shop", "dev").await.unwrap().len(),
        1
    );
    let before = app.audit_count().await;
    assert!(matches!(
        drift
            .update_environment(&erin, "shop", "dev", &form(&[("PORT", "81", false)]))
            .await,
        Err(ServiceError::Forbidden)
    ));
    assert!(matches!(
        drift
            .update_rules(
                &erin,
                "shop",
                &DriftRulesForm {
                    must_match: "PORT".into()
                },
                &[]
            )
            .await,
        Err(ServiceError::Forbidden)
    ));
    assert_eq!(app.audit_count().await, before);
    assert_eq!(
        drift
            .environment(&admin, "shop", "dev")
            .await
            .unwrap()
            .get("PORT"),
        Some(&plain("80"))
    );

    // The release manager changes both.
    assert!(drift.page(&rick, "shop").await.unwrap().may_edit);
    set(app, &rick, "dev", &[("PORT", "81", false)]).await;
    rules(app, &rick, "PORT", &["staging"]).await;
    let page = drift.page(&admin, "shop").await.unwrap();
    assert!(page.rules.must_match.iter().any(|k| k.as_str() == "PORT"));
    assert!(page.environments[1].require_match);
    // An unknown environment in the rules is named.
    let err = drift
        .update_rules(
            &rick,
            "shop",
            &DriftRulesForm::default(),
            &["qa".to_owned()],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ServiceError::Validation(f) if f.get("required").is_some()),
        "{err:?}"
    );

    // Unknown projects and environments are not found, as are projects
    // the reader holds no role in.
    assert!(matches!(
        drift.environment(&rick, "shop", "qa").await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        drift.page(&rick, "nope").await,
        Err(ServiceError::NotFound(_))
    ));
    let admin_client = app.admin().await;
    app.create_project(&admin_client, "Blog", "blog").await;
    assert!(matches!(
        drift.page(&rick, "blog").await,
        Err(ServiceError::NotFound(_))
    ));
    // An engineer of every project reads them all, and writes none.
    let otto = app.principal("otto").await;
    assert!(drift.page(&otto, "blog").await.is_ok());
    assert!(matches!(
        drift
            .update_environment(&otto, "blog", "dev", &form(&[("A", "1", false)]))
            .await,
        Err(ServiceError::Forbidden)
    ));
}

async fn api_json(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

async fn api_put(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    api_json(
        app.api()
            .put(app.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn api_get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    api_json(
        app.api()
            .get(app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn the_api_reads_and_replaces_configuration_with_a_token(app: &TestApp) {
    let admin = shop(app).await;
    app.user_with_role("erin", "engineer", Some("shop")).await;
    app.user_with_role("rick", "release_manager", Some("shop"))
        .await;
    let writer = app.personal_token("rick", "read,config:write", None).await;
    let staging = "/api/v1/projects/shop/environments/staging/config";

    // PUT, then GET: the same entries, sorted, secrets as references.
    let body = json!({ "rows": [
        { "key": "POOL", "value": "20" },
        { "key": "DB_PASSWORD", "value": "vault://secret/data/shop#db", "secret": true },
        { "key": "", "value": "" },
    ]});
    let (status, put) = api_put(app, &writer, staging, body).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    let expected = json!({
        "environment": "staging",
        "entries": [
            { "key": "DB_PASSWORD", "secret_reference": "vault://secret/data/shop#db" },
            { "key": "POOL", "value": "20" },
        ]
    });
    assert_eq!(put, expected);
    let reader = app.personal_token("erin", "read", None).await;
    let (status, got) = api_get(app, &reader, staging).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got, expected);
    // The change is the release manager's in the audit log.
    let (actor, action): (String, String) = sqlx::query_as(
        "SELECT actor_name, action FROM audit_events \
         WHERE action = 'environment.config_updated' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.services.store.pool())
    .await
    .unwrap();
    assert_eq!(
        (actor.as_str(), action.as_str()),
        ("rick", "environment.config_updated")
    );

    // The rules, then the comparison.
    let (status, r) = api_put(
        app,
        &writer,
        "/api/v1/projects/shop/config/rules",
        json!({ "must_match": "POOL\nDB_PASSWORD", "required": ["prod"] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        r,
        json!({ "must_match": ["DB_PASSWORD", "POOL"], "required": ["prod"] })
    );
    set(app, &admin, "prod", &[("POOL", "10", false)]).await;
    let (status, page) = api_get(app, &reader, "/api/v1/projects/shop/config").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["project"], "shop");
    assert_eq!(page["may_edit"], false);
    assert_eq!(page["environments"][2]["name"], "prod");
    assert_eq!(page["environments"][2]["require_match"], true);
    assert_eq!(page["must_match"], json!(["DB_PASSWORD", "POOL"]));
    assert_eq!(page["finding_count"], 4);
    let pool = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "POOL")
        .unwrap();
    assert_eq!(
        pool["cells"],
        json!([null, { "value": "20" }, { "value": "10" }])
    );
    assert_eq!(pool["highlighted"], json!([true, true, true]));
    let sentences: Vec<&str> = pool["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["sentence"].as_str().unwrap())
        .collect();
    assert_eq!(
        sentences,
        [
            "POOL is set in staging but missing in dev.",
            "POOL must match, but staging has 20 and prod has 10."
        ]
    );
    assert_eq!(pool["findings"][1]["kind"], "differs");
    assert_eq!(
        pool["findings"][1]["environments"],
        json!(["staging", "prod"])
    );
    let (_, as_writer) = api_get(app, &writer, "/api/v1/projects/shop/config").await;
    assert_eq!(as_writer["may_edit"], true);

    // Bad rows: 422, each field named by its row; nothing changes.
    let before = config_events(app).await;
    let (status, problem) = api_put(
        app,
        &writer,
        staging,
        json!({ "rows": [
            { "key": "POOL", "value": "20" },
            { "key": "9lives", "value": "x" },
            { "key": "TOKEN", "value": "not-a-reference", "secret": true },
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["rows[1].key", "rows[2].value"]);
    assert!(
        !problem.to_string().contains("not-a-reference"),
        "{problem}"
    );
    // An unknown field or a missing `rows` is refused as well.
    let (status, _) = api_put(app, &writer, staging, json!({ "entries": [] })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, problem) = api_put(
        app,
        &writer,
        "/api/v1/projects/shop/config/rules",
        json!({ "must_match": "ok\n1bad", "required": [] }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "must_match");
    assert_eq!(config_events(app).await, before);

    // Refused: a read-only token, a token with another scope, an
    // engineer's token even with the scope, a service token without it;
    // unknown environments and projects are 404.
    let read_only = app.personal_token("rick", "read", None).await;
    let other_scope = app.personal_token("rick", "read,rollback", None).await;
    let engineer = app.personal_token("erin", "read,config:write", None).await;
    let service = app.service_token("shop", "read,rollback").await;
    let change = json!({ "rows": [{ "key": "POOL", "value": "1" }] });
    for token in [&read_only, &other_scope, &engineer, &service] {
        let (status, problem) = api_put(app, token, staging, change.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        assert_eq!(problem["type"], "urn:slipway:problem:forbidden");
        let (status, _) = api_put(
            app,
            token,
            "/api/v1/projects/shop/config/rules",
            json!({ "must_match": "", "required": [] }),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = api_put(
        app,
        &writer,
        "/api/v1/projects/shop/environments/qa/config",
        change.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api_get(app, &reader, "/api/v1/projects/nope/config").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A token limited to another project cannot reach this one at all.
    let admin_client = app.admin().await;
    app.create_project(&admin_client, "Blog", "blog").await;
    let elsewhere = app
        .personal_token("admin", "read,config:write", Some("blog"))
        .await;
    let (status, _) = api_put(app, &elsewhere, staging, change.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api_get(app, &elsewhere, "/api/v1/projects/shop/config").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(config_events(app).await, before);
    let (_, still) = api_get(app, &reader, staging).await;
    assert_eq!(still, expected);

    // The project's service token with the scope has all it needs (it
    // acts by its scopes alone, as for every other route).
    let ci = app.service_token("shop", "read,config:write").await;
    let (status, put) = api_put(app, &ci, staging, change).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    assert_eq!(put["entries"], json!([{ "key": "POOL", "value": "1" }]));
    assert_eq!(config_events(app).await, before + 1);
}

async fn the_page_shows_the_table_and_its_findings_and_escapes_values(app: &TestApp) {
    let admin = shop(app).await;
    three_tiers(app, &admin).await;
    let script = "<script>alert(1)</script>";
    set(
        app,
        &admin,
        "staging",
        &[
            ("APP", "shop", false),
            ("LOG_LEVEL", "info", false),
            ("POOL", "20", false),
            ("BANNER", script, false),
        ],
    )
    .await;
    let client = app.admin().await;
    let res = app.get(&client, "/projects/shop/config").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"data-test="config-table""#), "{html}");
    assert_eq!(html.matches(r#"data-test="config-row""#).count(), 6);
    assert!(html.contains(r#"data-test="drift-summary""#));
    assert!(html.contains("5 findings"), "{html}");
    assert!(html.contains("POOL must match, but dev has 5 and staging has 20."));
    assert!(html.contains("BANNER is set in staging but missing in prod."));
    assert!(html.contains(r#"data-test="drift-finding""#));
    assert!(html.contains(r#"class="config-cell drift""#));
    assert!(html.contains("not set"));
    assert!(html.contains("secret \u{2192} env://SENTRY_DSN"));
    // The value is shown as text, never as markup (in the table, in the
    // form's text area, and in the data the page hydrates from).
    assert!(!html.contains(script), "the value was not escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Admins get the forms.
    assert!(html.contains("Configuration of staging"));
    assert!(html.contains("Keys that must match in every environment"));
    assert!(html.contains("Promotion into prod waits until its configuration matches staging"));
    assert!(html.contains(r#"name="rows[0][key]""#));

    // An engineer sees the table only, and who can edit.
    app.user_with_role("erin", "engineer", Some("shop")).await;
    let erin = app.login("erin", USER_PASSWORD).await;
    let html = app
        .get(&erin, "/projects/shop/config")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"data-test="config-table""#));
    assert!(html.contains("Only admins and release managers"));
    assert!(!html.contains("Configuration of staging"));
    assert!(!html.contains(r#"name="rows[0][key]""#));

    // The project page links here.
    let project = app
        .get(&client, "/projects/shop")
        .await
        .text()
        .await
        .unwrap();
    assert!(project.contains(r#"href="/projects/shop/config""#));
}

async fn the_page_forms_post_nested_rows_and_the_rules(app: &TestApp) {
    let admin = shop(app).await;
    let client = app.admin().await;
    let bad = app
        .post(
            &client,
            "/api/config/environment",
            &[
                ("slug", "shop"),
                ("env", "prod"),
                ("rows[0][key]", "POOL"),
                ("rows[0][value]", "20"),
                ("rows[1][key]", "has space"),
                ("rows[1][value]", "x"),
                ("rows[2][key]", "S"),
                ("rows[2][value]", "just-the-secret"),
                ("rows[2][secret]", "on"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = bad.json().await.unwrap();
    let fields: Vec<&str> = v["Validation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["rows[1].key", "rows[2].value"]);
    assert!(!v.to_string().contains("just-the-secret"));

    let ok = app
        .post(
            &client,
            "/api/config/environment",
            &[
                ("slug", "shop"),
                ("env", "prod"),
                ("rows[0][key]", "POOL"),
                ("rows[0][value]", "20"),
                ("rows[1][key]", ""),
                ("rows[1][value]", ""),
                ("rows[2][key]", "S"),
                ("rows[2][value]", "env://S"),
                ("rows[2][secret]", "on"),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK, "{}", ok.text().await.unwrap());
    let prod = app
        .services
        .config_drift()
        .environment(&admin, "shop", "prod")
        .await
        .unwrap();
    assert_eq!(prod.get("POOL"), Some(&plain("20")));
    assert!(prod.get("S").unwrap().is_secret());

    let ok = app
        .post(
            &client,
            "/api/config/rules",
            &[
                ("slug", "shop"),
                ("must_match", "POOL\r\nS"),
                ("required[]", "prod"),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK, "{}", ok.text().await.unwrap());
    let page = app
        .services
        .config_drift()
        .page(&admin, "shop")
        .await
        .unwrap();
    assert_eq!(page.rules.must_match.len(), 2);
    let required: Vec<bool> = page.environments.iter().map(|e| e.require_match).collect();
    assert_eq!(required, [false, false, true]);

    // Without a role that may change configuration: refused.
    app.user_with_role("erin", "engineer", Some("shop")).await;
    let erin = app.login("erin", USER_PASSWORD).await;
    let refused = app
        .post(
            &erin,
            "/api/config/rules",
            &[("slug", "shop"), ("must_match", "")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let read = app
        .post(&erin, "/api/config/page", &[("slug", "shop")])
        .await;
    assert_eq!(read.status(), StatusCode::OK);
    let v: Value = read.json().await.unwrap();
    assert_eq!(v["may_edit"], false);
}
