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
        .get(&app.admin_principal().await, "shop")
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

/// Sets what `slug` depends on through the server function, as the form
/// posts it (`depends_on[]=blog&depends_on[]=api`).
pub async fn set_dependencies(
    app: &TestApp,
    client: &reqwest::Client,
    slug: &str,
    depends_on: &[&str],
) -> (StatusCode, Value) {
    let mut form = vec![("slug", slug)];
    form.extend(depends_on.iter().map(|d| ("depends_on[]", *d)));
    let res = app
        .post(client, "/api/projects/dependencies/set", &form)
        .await;
    (res.status(), body_json(res).await)
}

async fn dependencies_of(app: &TestApp, client: &reqwest::Client, slug: &str) -> Value {
    let res = app
        .post(client, "/api/projects/dependencies", &[("slug", slug)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    body_json(res).await
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Every stored dependency, as `project slug -> depends-on slug`.
async fn stored_dependencies(app: &TestApp) -> Vec<String> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.slug, d.slug FROM project_dependencies x \
         JOIN projects p ON p.id = x.project_id JOIN projects d ON d.id = x.depends_on_id \
         ORDER BY p.slug, d.slug",
    )
    .fetch_all(app.services.store.pool())
    .await
    .unwrap();
    rows.into_iter().map(|(a, b)| format!("{a}->{b}")).collect()
}

async fn dependencies_are_edited_shown_and_audited(app: &TestApp) {
    let admin = app.admin().await;
    for (name, slug) in [("Shop", "shop"), ("Blog", "blog"), ("API", "api")] {
        app.create_project(&admin, name, slug).await;
    }
    // The edit page offers every other project, with an explanation.
    let html = app
        .get(&admin, "/projects/shop/edit")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("This project depends on"), "{html}");
    assert!(html.contains("release calendar then warns"), "{html}");
    assert!(
        html.contains(r#"name="depends_on[]" value="blog""#),
        "{html}"
    );
    assert!(
        !html.contains(r#"name="depends_on[]" value="shop""#),
        "not itself: {html}"
    );

    let before = app.audit_count().await;
    let (status, v) = set_dependencies(app, &admin, "shop", &["blog"]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = set_dependencies(app, &admin, "blog", &["api"]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(stored_dependencies(app).await, ["blog->api", "shop->blog"]);
    assert_eq!(app.audit_count().await, before + 2);
    // Saving the same again changes and records nothing.
    let (status, _) = set_dependencies(app, &admin, "shop", &["blog"]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.audit_count().await, before + 2);

    let shop = dependencies_of(app, &admin, "shop").await;
    assert_eq!(names(&shop["depends_on"]), ["Blog"]);
    assert_eq!(names(&shop["depends_on_indirectly"]), ["API"]);
    assert!(names(&shop["depended_on_by"]).is_empty());
    let api = dependencies_of(app, &admin, "api").await;
    assert_eq!(names(&api["depended_on_by"]), ["Blog"]);
    assert_eq!(names(&api["depended_on_by_indirectly"]), ["Shop"]);
    let blog_choice = shop["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "blog")
        .unwrap();
    assert_eq!(blog_choice["checked"], Value::Bool(true));
    // API cannot choose Shop without a loop: the form says so beforehand.
    let shop_choice = api["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "shop")
        .unwrap();
    assert_eq!(
        shop_choice["loop_hint"],
        Value::String("Shop depends on API already".into())
    );

    // The project pages show both directions.
    let html = app
        .get(&admin, "/projects/shop")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Depends on") && html.contains(r#"href="/projects/blog""#),
        "{html}"
    );
    let html = app
        .get(&admin, "/projects/blog")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Depended on by") && html.contains(r#"href="/projects/shop""#),
        "{html}"
    );

    // The audit event has before and after.
    let page = body_json(
        app.post(
            &admin,
            "/api/audit/list",
            &[("action", "project.dependencies_changed")],
        )
        .await,
    )
    .await;
    assert_eq!(page["total"], Value::from(2), "{page}");
    let shop_event = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subject_label"] == "shop")
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(shop_event["before"].as_str().unwrap()).unwrap(),
        serde_json::json!({ "depends_on": [] })
    );
    assert_eq!(
        serde_json::from_str::<Value>(shop_event["after"].as_str().unwrap()).unwrap(),
        serde_json::json!({ "depends_on": ["blog"] })
    );

    // Nothing ticked: no dependencies.
    let (status, _) = set_dependencies(app, &admin, "shop", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored_dependencies(app).await, ["blog->api"]);
}

async fn bad_dependencies_are_refused_next_to_the_field_and_change_nothing(app: &TestApp) {
    let admin = app.admin().await;
    for (name, slug) in [
        ("Shop", "shop"),
        ("Blog", "blog"),
        ("API", "api"),
        ("Legacy", "legacy"),
    ] {
        app.create_project(&admin, name, slug).await;
    }
    // Blog → API → Shop.
    assert_eq!(
        set_dependencies(app, &admin, "blog", &["api"]).await.0,
        StatusCode::OK
    );
    assert_eq!(
        set_dependencies(app, &admin, "api", &["shop"]).await.0,
        StatusCode::OK
    );
    let res = app
        .post(
            &admin,
            "/api/projects/archive",
            &[("slug", "legacy"), ("archived", "true")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let stored = stored_dependencies(app).await;
    let audit = app.audit_count().await;
    for (chosen, expected) in [
        (vec!["shop"], "Shop cannot depend on itself"),
        (vec!["nope"], "no project \"nope\""),
        (vec!["legacy"], "Legacy is archived"),
        (vec!["blog"], "Shop → Blog → API → Shop"),
        (vec!["api"], "Shop → API → Shop"),
        (vec!["api", "shop"], "cannot depend on itself"),
    ] {
        let (status, v) = set_dependencies(app, &admin, "shop", &chosen).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{chosen:?}: {v}");
        assert_eq!(error_fields(&v), ["depends_on"], "{v}");
        let message = v["Validation"][0]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{chosen:?}: {message}");
        assert_eq!(stored_dependencies(app).await, stored, "{chosen:?}");
        assert_eq!(app.audit_count().await, audit, "{chosen:?}");
    }
    // An unknown project to edit, and an archived one.
    let (status, _) = set_dependencies(app, &admin, "nothing-here", &["blog"]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = set_dependencies(app, &admin, "legacy", &["blog"]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(stored_dependencies(app).await, stored);
    assert_eq!(app.audit_count().await, audit);
    assert_eq!(
        dependencies_of(app, &admin, "legacy").await["can_edit"],
        Value::Bool(false)
    );

    // Without JavaScript: the form posts, the page comes back with the
    // message next to the field, then with the change.
    let edit = app.url("/projects/shop/edit");
    let res = admin
        .post(app.url("/api/projects/dependencies/set"))
        .header("origin", &app.base)
        .header("accept", "text/html")
        .header("referer", &edit)
        .form(&[("slug", "shop"), ("depends_on[]", "blog")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with(&edit) && back.contains("__err"), "{back}");
    let html = admin
        .get(&back)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let error_at = html
        .find(r#"id="depends-on-error""#)
        .unwrap_or_else(|| panic!("{html}"));
    assert!(
        html[error_at..].contains("Shop → Blog → API → Shop"),
        "{html}"
    );
    assert_eq!(stored_dependencies(app).await, stored);
    let res = admin
        .post(app.url("/api/projects/dependencies/set"))
        .header("origin", &app.base)
        .header("accept", "text/html")
        .header("referer", &edit)
        .form(&[("slug", "blog")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    // Back to the page (Leptos strips any earlier error from the address).
    assert_eq!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .trim_end_matches('?'),
        edit
    );
    assert_eq!(
        stored_dependencies(app).await,
        ["api->shop"],
        "no box ticked"
    );
    assert_eq!(app.audit_count().await, audit + 1);
    let res = admin
        .post(app.url("/api/projects/dependencies/set"))
        .header("origin", &app.base)
        .header("accept", "text/html")
        .header("referer", &edit)
        .form(&[("slug", "shop"), ("depends_on[]", "legacy")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .contains("__err"));
}

/// Like the permission matrix: setting dependencies as every role on
/// `alpha` (each also a stakeholder of `beta`, so `beta` is a valid choice),
/// anonymously, and as an outsider who sees only `beta`.
async fn setting_dependencies_checks_permission_for_every_role(app: &TestApp) {
    use slipway_domain::Role;
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    app.create_project(&admin, "Beta", "beta").await;
    app.user_with_role("outsider", "stakeholder", Some("beta"))
        .await;
    let mut callers: Vec<(String, Option<Role>, reqwest::Client)> =
        vec![("anonymous".into(), None, app.client())];
    for role in Role::ALL {
        let name = format!("as-{}", role.as_str().replace('_', "-"));
        if role.is_project_scoped() {
            app.user_with_role(&name, role.as_str(), Some("alpha"))
                .await;
            app.services
                .accounts()
                .grant(
                    slipway_services::accounts::Authority::Operator,
                    &name,
                    "stakeholder",
                    Some("beta"),
                )
                .await
                .unwrap();
        } else {
            app.user_with_role(&name, role.as_str(), None).await;
        }
        callers.push((
            name.clone(),
            Some(role),
            app.login(&name, crate::helpers::USER_PASSWORD).await,
        ));
    }
    callers.push((
        "outsider".into(),
        None,
        app.login("outsider", crate::helpers::USER_PASSWORD).await,
    ));
    // What the product promises: who edits a project sets its dependencies.
    let allowed = |role: Option<Role>| matches!(role, Some(Role::Admin | Role::ReleaseManager));
    let mut checked = 0;
    for (who, role, client) in &callers {
        let before = (app.audit_count().await, stored_dependencies(app).await);
        let (status, body) = set_dependencies(app, client, "alpha", &["beta"]).await;
        if allowed(*role) {
            assert_eq!(status, StatusCode::OK, "{who}: {body}");
            assert_eq!(stored_dependencies(app).await, ["alpha->beta"], "{who}");
            assert!(app.audit_count().await > before.0, "{who}: not audited");
            let (status, _) = set_dependencies(app, &admin, "alpha", &[]).await;
            assert_eq!(status, StatusCode::OK);
        } else {
            let expected = match (who.as_str(), role) {
                ("anonymous", _) => StatusCode::UNAUTHORIZED,
                ("outsider", _) => StatusCode::NOT_FOUND,
                _ => StatusCode::FORBIDDEN,
            };
            assert_eq!(status, expected, "{who}: {body}");
            assert_eq!(
                (app.audit_count().await, stored_dependencies(app).await),
                before,
                "{who}: a refused call changed something"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, Role::ALL.len() + 2);
}

/// A release manager of one project sees and chooses only the projects he
/// can see; dependencies on the others stay as they are.
async fn dependencies_on_projects_one_cannot_see_are_kept(app: &TestApp) {
    let admin = app.admin().await;
    for (name, slug) in [("Shop", "shop"), ("Blog", "blog"), ("Docs", "docs")] {
        app.create_project(&admin, name, slug).await;
    }
    app.user_with_role("rick", "release_manager", Some("shop"))
        .await;
    app.services
        .accounts()
        .grant(
            slipway_services::accounts::Authority::Operator,
            "rick",
            "stakeholder",
            Some("docs"),
        )
        .await
        .unwrap();
    let rick = app.login("rick", crate::helpers::USER_PASSWORD).await;
    assert_eq!(
        set_dependencies(app, &admin, "shop", &["blog"]).await.0,
        StatusCode::OK
    );

    let v = dependencies_of(app, &rick, "shop").await;
    assert!(names(&v["depends_on"]).is_empty(), "{v}");
    assert_eq!(v["hidden"], Value::from(1));
    let choices: Vec<&str> = v["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert_eq!(choices, ["docs"]);
    let (status, v) = set_dependencies(app, &rick, "shop", &["blog"]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (status, v) = set_dependencies(app, &rick, "shop", &["docs"]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(stored_dependencies(app).await, ["shop->blog", "shop->docs"]);
    let html = app.get(&rick, "/projects/shop").await.text().await.unwrap();
    assert!(html.contains("1 project you cannot see"), "{html}");
}

on_both_databases!(
    dependencies_are_edited_shown_and_audited,
    bad_dependencies_are_refused_next_to_the_field_and_change_nothing,
    setting_dependencies_checks_permission_for_every_role,
    dependencies_on_projects_one_cannot_see_are_kept,
    admin_creates_a_project_with_three_environments,
    the_slug_is_derived_from_the_name_when_left_empty,
    duplicate_slug_is_refused_next_to_the_field,
    empty_and_overlong_fields_are_explained,
    environments_are_renamed_reordered_added_and_removed,
    archiving_hides_and_restoring_shows,
    project_edits_are_audited_with_before_and_after,
    audit_log_pages_and_filters,
);
