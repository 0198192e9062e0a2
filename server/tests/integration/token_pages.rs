//! The server functions behind the token pages (account page and project
//! page): creating, listing and revoking tokens over HTTP as the browser
//! does, who may do it, and bad input. (What a token may reach once made is
//! tested in `api_tokens`.)

use crate::helpers::{TestApp, USER_PASSWORD};
use crate::on_both_databases;
use reqwest::{Client, StatusCode};
use serde_json::Value;

on_both_databases!(
    a_personal_token_secret_is_returned_once_and_never_listed,
    service_tokens_are_made_by_release_managers_and_admins_only,
    people_revoke_their_own_tokens_and_nobody_else_s,
    bad_input_gives_field_errors_and_creates_nothing,
    the_pages_show_each_section_to_whom_it_concerns_and_never_a_secret,
);

async fn body_json(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

/// A form as posted: `(field, value)` pairs.
type Form<'a> = &'a [(&'a str, &'a str)];

/// The fields named in a 422 body.
fn error_fields(v: &Value) -> Vec<String> {
    v["Validation"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn mine(app: &TestApp, client: &Client) -> Vec<Value> {
    let (status, v) = body_json(app.post(client, "/api/tokens/mine", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["tokens"].as_array().unwrap().clone()
}

async fn of_project(app: &TestApp, client: &Client, slug: &str) -> (StatusCode, Value) {
    body_json(
        app.post(client, "/api/projects/tokens", &[("slug", slug)])
            .await,
    )
    .await
}

async fn api_status(app: &TestApp, secret: &str) -> StatusCode {
    app.api()
        .get(app.url("/api/v1/projects"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
        .status()
}

/// How many tokens exist at all.
async fn token_count(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_tokens")
        .fetch_one(app.services.store.pool())
        .await
        .unwrap();
    n
}

async fn a_personal_token_secret_is_returned_once_and_never_listed(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    app.create_project(&admin, "Beta", "beta").await;
    app.user_with_role("erin", "engineer", Some("alpha")).await;
    let erin = app.login("erin", USER_PASSWORD).await;
    let audit_before = app.audit_count().await;

    let res = app
        .post(
            &erin,
            "/api/tokens/create",
            &[
                ("name", "  GitHub Actions  "),
                ("scopes[]", "releases:write"),
                ("scopes[]", "promote"),
                ("projects[]", "alpha"),
                ("expires_in", "30d"),
            ],
        )
        .await;
    assert_eq!(
        res.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "a response with a secret is kept by no cache"
    );
    let (status, created) = body_json(res).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(slipway_domain::token::looks_like_token(&secret), "{secret}");
    let token = &created["token"];
    assert_eq!(token["name"], "GitHub Actions");
    assert_eq!(token["kind"], "personal");
    assert_eq!(token["status"], "Active");
    assert_eq!(token["hint"], format!("{}…", &secret[..12]));
    assert_eq!(
        token["scopes"],
        serde_json::json!(["Read", "WriteReleases", "Promote"])
    );
    assert_eq!(token["projects"], serde_json::json!(["alpha"]));
    assert!(token["last_used_at"].is_null());
    assert!(
        app.audit_count().await > audit_before,
        "creating is audited"
    );

    // Listed, but never with its secret (nor the part after the hint).
    let listed = mine(app, &erin).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], token["id"]);
    let text = app
        .post(&erin, "/api/tokens/mine", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !text.contains(&secret[4..]),
        "the list holds the secret: {text}"
    );
    assert!(
        !text.contains(&secret[12..]),
        "the list holds the secret: {text}"
    );

    // It works, and the list then says when and from where it was used.
    assert_eq!(api_status(app, &secret).await, StatusCode::OK);
    let listed = mine(app, &erin).await;
    assert!(listed[0]["last_used_at"].is_string(), "{listed:?}");
    assert_eq!(listed[0]["last_used_ip"], "127.0.0.1");

    // Nobody else lists it.
    assert!(mine(app, &admin).await.is_empty());
    // Without limits: every project the owner can reach.
    let (status, v) = body_json(
        app.post(&erin, "/api/tokens/create", &[("name", "everywhere")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v["token"]["projects"].is_null());
    assert_eq!(v["token"]["scopes"], serde_json::json!(["Read"]));
    // Anonymous callers are asked to sign in.
    let anonymous = app.client();
    for (endpoint, form) in [
        ("/api/tokens/mine", vec![]),
        ("/api/tokens/create", vec![("name", "x")]),
    ] {
        let res = app.post(&anonymous, endpoint, &form).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{endpoint}");
    }
}

async fn service_tokens_are_made_by_release_managers_and_admins_only(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    app.create_project(&admin, "Beta", "beta").await;
    app.user_with_role("rita", "release_manager", Some("alpha"))
        .await;
    app.user_with_role("erin", "engineer", Some("alpha")).await;
    app.user_with_role("otto", "stakeholder", Some("beta"))
        .await;
    let rita = app.login("rita", USER_PASSWORD).await;
    let erin = app.login("erin", USER_PASSWORD).await;
    let otto = app.login("otto", USER_PASSWORD).await;
    let form = [
        ("slug", "alpha"),
        ("name", "GitHub Actions"),
        ("scopes[]", "releases:write"),
        ("scopes[]", "evidence:write"),
        ("expires_in", "7d"),
    ];

    let (status, created) =
        body_json(app.post(&rita, "/api/projects/tokens/create", &form).await).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(created["token"]["kind"], "service");
    assert_eq!(created["token"]["project"], "alpha");
    assert_eq!(api_status(app, &secret).await, StatusCode::OK);

    let before = token_count(app).await;
    let res = app.post(&erin, "/api/projects/tokens/create", &form).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.post(&otto, "/api/projects/tokens/create", &form).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "outsiders learn nothing"
    );
    let res = app
        .post(&app.client(), "/api/projects/tokens/create", &form)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        token_count(app).await,
        before,
        "a refused call made a token"
    );
    let (status, v) = body_json(app.post(&admin, "/api/projects/tokens/create", &form).await).await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // The list: for those who may manage them; nothing (not an error) for
    // those who may see the project only; 404 for outsiders.
    let (status, v) = of_project(app, &rita, "alpha").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let tokens = v["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(
        !v.to_string().contains(&secret[12..]),
        "the list holds the secret"
    );
    assert!(tokens.iter().all(|t| t["kind"] == "service"));
    let (status, v) = of_project(app, &erin, "alpha").await;
    assert_eq!((status, v), (StatusCode::OK, Value::Null));
    let (status, _) = of_project(app, &otto, "alpha").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A service token is not one of its creator's own tokens.
    assert!(mine(app, &rita).await.is_empty());
}

async fn people_revoke_their_own_tokens_and_nobody_else_s(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    app.user_with_role("erin", "engineer", Some("alpha")).await;
    app.user_with_role("frank", "engineer", Some("alpha")).await;
    app.user_with_role("rita", "release_manager", Some("alpha"))
        .await;
    let erin = app.login("erin", USER_PASSWORD).await;
    let frank = app.login("frank", USER_PASSWORD).await;
    let rita = app.login("rita", USER_PASSWORD).await;

    let (_, created) = body_json(
        app.post(&erin, "/api/tokens/create", &[("name", "laptop")])
            .await,
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["token"]["id"].to_string();

    // Someone else's personal token: as if it did not exist.
    let audit = app.audit_count().await;
    let res = app.post(&frank, "/api/tokens/revoke", &[("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.post(&rita, "/api/tokens/revoke", &[("id", &id)]).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "managing a project is not owning its people's tokens"
    );
    let res = app
        .post(&erin, "/api/tokens/revoke", &[("id", "999999")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count().await, audit);
    assert_eq!(api_status(app, &secret).await, StatusCode::OK);

    // Her own: revoked, still listed, and refused from then on.
    let res = app.post(&erin, "/api/tokens/revoke", &[("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let listed = mine(app, &erin).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "Revoked");
    assert_eq!(api_status(app, &secret).await, StatusCode::UNAUTHORIZED);
    // Twice is not an error.
    let res = app.post(&erin, "/api/tokens/revoke", &[("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::OK);

    // A service token: its project's managers revoke it, engineers cannot.
    let (_, created) = body_json(
        app.post(
            &rita,
            "/api/projects/tokens/create",
            &[("slug", "alpha"), ("name", "CI")],
        )
        .await,
    )
    .await;
    let service_secret = created["secret"].as_str().unwrap().to_owned();
    let service_id = created["token"]["id"].to_string();
    let res = app
        .post(&erin, "/api/tokens/revoke", &[("id", &service_id)])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(api_status(app, &service_secret).await, StatusCode::OK);
    let res = app
        .post(&rita, "/api/tokens/revoke", &[("id", &service_id)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        api_status(app, &service_secret).await,
        StatusCode::UNAUTHORIZED
    );
    let (_, v) = of_project(app, &rita, "alpha").await;
    assert_eq!(v["tokens"][0]["status"], "Revoked");
}

async fn bad_input_gives_field_errors_and_creates_nothing(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    app.user_with_role("erin", "engineer", Some("alpha")).await;
    let erin = app.login("erin", USER_PASSWORD).await;
    let audit = app.audit_count().await;

    let cases: &[(Form, &[&str])] = &[
        (&[("name", "   ")], &["name"]),
        (
            &[("name", "ci"), ("scopes[]", "deploy-everything")],
            &["scopes"],
        ),
        (&[("name", "ci"), ("expires_in", "400d")], &["expires_in"]),
        (&[("name", "ci"), ("expires_in", "soon")], &["expires_in"]),
        (&[("name", "ci"), ("projects[]", "nowhere")], &["projects"]),
        (
            &[("name", ""), ("scopes[]", "root"), ("expires_in", "9999d")],
            &["name", "scopes", "expires_in"],
        ),
    ];
    for (form, fields) in cases {
        let (status, v) = body_json(app.post(&erin, "/api/tokens/create", form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {v}");
        assert_eq!(error_fields(&v), *fields, "{form:?}: {v}");
    }
    // Service tokens: the same checks.
    for (form, fields) in cases.iter().filter(|(_, f)| !f.contains(&"projects")) {
        let mut form = form.to_vec();
        form.push(("slug", "alpha"));
        let (status, v) =
            body_json(app.post(&admin, "/api/projects/tokens/create", &form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {v}");
        assert_eq!(error_fields(&v), *fields, "{form:?}: {v}");
    }
    // Over the maximum, the message says what the maximum is.
    let (_, v) = body_json(
        app.post(
            &erin,
            "/api/tokens/create",
            &[("name", "ci"), ("expires_in", "400d")],
        )
        .await,
    )
    .await;
    assert!(v.to_string().contains("365 days"), "{v}");

    assert_eq!(token_count(app).await, 0, "bad input made a token");
    assert_eq!(app.audit_count().await, audit, "bad input was recorded");
    assert!(mine(app, &erin).await.is_empty());
}

async fn the_pages_show_each_section_to_whom_it_concerns_and_never_a_secret(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    app.user_with_role("rita", "release_manager", Some("alpha"))
        .await;
    app.user_with_role("erin", "engineer", Some("alpha")).await;
    let rita = app.login("rita", USER_PASSWORD).await;
    let erin = app.login("erin", USER_PASSWORD).await;
    let (_, personal) = body_json(
        app.post(&rita, "/api/tokens/create", &[("name", "rita's laptop")])
            .await,
    )
    .await;
    let (_, service) = body_json(
        app.post(
            &rita,
            "/api/projects/tokens/create",
            &[("slug", "alpha"), ("name", "alpha CI")],
        )
        .await,
    )
    .await;
    let secrets = [
        personal["secret"].as_str().unwrap()[12..].to_owned(),
        service["secret"].as_str().unwrap()[12..].to_owned(),
    ];
    let account = page(app, &rita, "/account", &secrets).await;
    assert!(account.contains("Your API tokens"), "{account}");
    assert!(account.contains("rita&#x27;s laptop") || account.contains("rita's laptop"));
    assert!(!account.contains("alpha CI"), "a service token is not hers");
    let project = page(app, &rita, "/projects/alpha", &secrets).await;
    assert!(project.contains("Service tokens"), "{project}");
    assert!(project.contains("alpha CI"));
    // An engineer sees neither the section nor the tokens.
    let project = page(app, &erin, "/projects/alpha", &secrets).await;
    assert!(!project.contains("Service tokens"));
    assert!(!project.contains("alpha CI"));
    let account = page(app, &erin, "/account", &secrets).await;
    assert!(account.contains("You have no API tokens yet."));
}

/// A page's HTML, checked to hold none of `secrets`.
async fn page(app: &TestApp, client: &Client, path: &str, secrets: &[String]) -> String {
    let res = app.get(client, path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let html = res.text().await.unwrap();
    for s in secrets {
        assert!(!html.contains(s.as_str()), "{path} shows a secret");
    }
    html
}
