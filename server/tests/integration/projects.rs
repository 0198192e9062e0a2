use crate::helpers::TestApp;
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::Value;

async fn body_json(res: reqwest::Response) -> Value {
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Field names that carry a validation message in an error body.
fn error_fields(v: &Value) -> Vec<String> {
    v["Validation"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn admin_creates_a_project_with_three_environments(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Payments API", "payments").await;

    let html = app.get(&admin, "/projects").await.text().await.unwrap();
    assert!(html.contains("Payments API"), "{html}");
    let detail = app.get(&admin, "/projects/payments").await;
    assert_eq!(detail.status(), StatusCode::OK);
    let html = detail.text().await.unwrap();
    let dev = html.find(">dev<").unwrap();
    let staging = html.find(">staging<").unwrap();
    let prod = html.find(">prod<").unwrap();
    assert!(dev < staging && staging < prod, "environments out of order");

    // The change is in the audit log, with what was created.
    let audit = app
        .get(&admin, "/audit?action=project.created")
        .await
        .text()
        .await
        .unwrap();
    assert!(audit.contains("project.created"), "{audit}");
    assert!(audit.contains("payments"), "{audit}");
}

async fn the_slug_is_derived_from_the_name_when_left_empty(app: &TestApp) {
    let admin = app.admin().await;
    let res = app
        .post(
            &admin,
            "/api/projects/create",
            &[("project[name]", "Mobile App (iOS)"), ("project[slug]", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_json(res).await, Value::String("mobile-app-ios".into()));
}

async fn duplicate_slug_is_refused_next_to_the_field(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Payments", "payments").await;
    let before = app.audit_count().await;
    let res = app
        .post(
            &admin,
            "/api/projects/create",
            &[
                ("project[name]", "Payments again"),
                ("project[slug]", "payments"),
            ],
        )
        .await;
    let status = res.status();
    let v = body_json(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(error_fields(&v), vec!["slug".to_owned()], "{v}");
    assert_eq!(app.audit_count().await, before);
}

async fn empty_and_overlong_fields_are_explained(app: &TestApp) {
    let admin = app.admin().await;
    let long = "x".repeat(5000);
    let res = app
        .post(
            &admin,
            "/api/projects/create",
            &[
                ("project[name]", "   "),
                ("project[slug]", "Not A Slug!"),
                ("project[description]", &long),
                ("project[repository_web_url]", "javascript:alert(1)"),
                ("environments[0][name]", "dev"),
                ("environments[0][tier]", "development"),
                ("environments[1][name]", "dev"),
                ("environments[1][tier]", "staging"),
                ("environments[2][name]", "prod"),
                ("environments[2][tier]", "moon"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v = body_json(res).await;
    let fields = error_fields(&v);
    for expected in [
        "name",
        "slug",
        "description",
        "repository_web_url",
        "environments[1].name",
        "environments[2].tier",
    ] {
        assert!(
            fields.iter().any(|f| f == expected),
            "missing {expected} in {v}"
        );
    }
    let list = app.post(&admin, "/api/projects/list", &[]).await;
    assert_eq!(body_json(list).await, Value::Array(vec![]));
}

async fn environments_are_renamed_reordered_added_and_removed(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let p = app
        .services
        .projects()
        .get(Some(&app.admin_principal().await), "shop")
        .await
        .unwrap();
    let prod = p
        .environments
        .iter()
        .find(|e| e.name == "prod")
        .unwrap()
        .id
        .to_string();
    let dev = p
        .environments
        .iter()
        .find(|e| e.name == "dev")
        .unwrap()
        .id
        .to_string();

    let ok = |r: reqwest::Response| async move {
        let s = r.status();
        assert_eq!(s, StatusCode::OK, "{}", r.text().await.unwrap());
    };
    ok(app
        .post(
            &admin,
            "/api/environments/update",
            &[
                ("slug", "shop"),
                ("id", &prod),
                ("environment[name]", "production"),
                ("environment[tier]", "production"),
            ],
        )
        .await)
    .await;
    ok(app
        .post(
            &admin,
            "/api/environments/move",
            &[("slug", "shop"), ("id", &dev), ("direction", "down")],
        )
        .await)
    .await;
    ok(app
        .post(
            &admin,
            "/api/environments/add",
            &[
                ("slug", "shop"),
                ("environment[name]", "qa"),
                ("environment[tier]", "staging"),
            ],
        )
        .await)
    .await;

    // Moving the last one further down is refused with a reason.
    let qa_res = app
        .post(&admin, "/api/projects/get", &[("slug", "shop")])
        .await;
    let detail = body_json(qa_res).await;
    let names: Vec<&str> = detail["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["staging", "dev", "production", "qa"]);
    let qa = detail["environments"][3]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let res = app
        .post(
            &admin,
            "/api/environments/move",
            &[("slug", "shop"), ("id", &qa), ("direction", "down")],
        )
        .await;
    assert!(res.status().is_client_error(), "{}", res.status());

    ok(app
        .post(
            &admin,
            "/api/environments/remove",
            &[("slug", "shop"), ("id", &qa)],
        )
        .await)
    .await;
    let res = app
        .post(
            &admin,
            "/api/environments/add",
            &[
                ("slug", "shop"),
                ("environment[name]", "dev"),
                ("environment[tier]", "development"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "duplicate environment name"
    );
    let res = app
        .post(
            &admin,
            "/api/environments/move",
            &[("slug", "shop"), ("id", &dev), ("direction", "sideways")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn archiving_hides_and_restoring_shows(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Legacy", "legacy").await;
    let res = app
        .post(
            &admin,
            "/api/projects/archive",
            &[("slug", "legacy"), ("archived", "true")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let list = body_json(app.post(&admin, "/api/projects/list", &[]).await).await;
    assert_eq!(list, Value::Array(vec![]));
    let all = body_json(
        app.post(
            &admin,
            "/api/projects/list",
            &[("include_archived", "true")],
        )
        .await,
    )
    .await;
    assert_eq!(all[0]["archived"], Value::Bool(true));
    // Archived projects' environments are frozen.
    let res = app
        .post(
            &admin,
            "/api/environments/add",
            &[
                ("slug", "legacy"),
                ("environment[name]", "qa"),
                ("environment[tier]", "staging"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .post(
            &admin,
            "/api/projects/archive",
            &[("slug", "legacy"), ("archived", "false")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let list = body_json(app.post(&admin, "/api/projects/list", &[]).await).await;
    assert_eq!(list[0]["slug"], Value::String("legacy".into()));
}

async fn project_edits_are_audited_with_before_and_after(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Docs", "docs").await;
    let res = app
        .post(
            &admin,
            "/api/projects/update",
            &[
                ("slug", "docs"),
                ("project[name]", "Docs site"),
                ("project[slug]", "docs-site"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = body_json(
        app.post(&admin, "/api/audit/list", &[("action", "project.updated")])
            .await,
    )
    .await;
    assert_eq!(page["total"], Value::from(1));
    let event = &page["events"][0];
    assert_eq!(event["actor"], Value::String("admin".into()));
    assert!(
        event["before"].as_str().unwrap().contains("\"Docs\""),
        "{event}"
    );
    assert!(
        event["after"].as_str().unwrap().contains("Docs site"),
        "{event}"
    );
    assert_eq!(
        app.get(&admin, "/projects/docs").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&admin, "/projects/docs-site").await.status(),
        StatusCode::OK
    );
}

async fn audit_log_pages_and_filters(app: &TestApp) {
    let admin = app.admin().await;
    for i in 0..55 {
        app.create_project(&admin, &format!("Project {i}"), &format!("p{i}"))
            .await;
    }
    // 55 projects make more than one page of 50.
    let first = body_json(app.post(&admin, "/api/audit/list", &[("page", "1")]).await).await;
    assert_eq!(first["events"].as_array().unwrap().len(), 50);
    let total = first["total"].as_i64().unwrap();
    assert!(total > 50);
    let second = body_json(app.post(&admin, "/api/audit/list", &[("page", "2")]).await).await;
    assert_eq!(
        second["events"].as_array().unwrap().len() as i64,
        (total - 50).min(50)
    );
    let only = body_json(
        app.post(&admin, "/api/audit/list", &[("project", "p7")])
            .await,
    )
    .await;
    assert!(only["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["project_slug"] == Value::String("p7".into())));
    assert!(only["total"].as_i64().unwrap() >= 1);
    let html = app.get(&admin, "/audit?project=p7&page=1").await;
    assert_eq!(html.status(), StatusCode::OK);
}

on_both_databases!(
    admin_creates_a_project_with_three_environments,
    the_slug_is_derived_from_the_name_when_left_empty,
    duplicate_slug_is_refused_next_to_the_field,
    empty_and_overlong_fields_are_explained,
    environments_are_renamed_reordered_added_and_removed,
    archiving_hides_and_restoring_shows,
    project_edits_are_audited_with_before_and_after,
    audit_log_pages_and_filters,
);
