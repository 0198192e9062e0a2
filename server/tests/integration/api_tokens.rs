//! API tokens: what each kind may reach, every way a token is refused, and
//! that the secret is never stored. (The routes' own behaviour is tested in
//! the `api_*` modules.)

use crate::helpers::{Db, TestApp};
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::Value;

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.api()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn problem_type(res: reqwest::Response) -> String {
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "errors are problem details"
    );
    let body: Value = res.json().await.unwrap();
    body["type"].as_str().unwrap_or_default().to_owned()
}

async fn slugs(app: &TestApp, token: &str) -> Vec<String> {
    let res = get(app, token, "/api/v1/projects").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap().to_owned())
        .collect()
}

on_both_databases!(
    personal_tokens_act_as_their_owner_within_their_projects,
    service_tokens_reach_their_own_project_only,
    refused_tokens_are_401_with_a_reason,
    a_cookie_is_not_a_token,
    only_a_keyed_hash_is_stored,
    creating_and_revoking_are_audited,
);

async fn personal_tokens_act_as_their_owner_within_their_projects(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    app.create_project(&admin, "Beta", "beta").await;
    app.create_project(&admin, "Gamma", "gamma").await;
    app.user_with_role("erin", "engineer", Some("alpha")).await;
    app.services
        .accounts()
        .grant(
            slipway_services::accounts::Authority::Operator,
            "erin",
            "engineer",
            Some("beta"),
        )
        .await
        .unwrap();

    let everywhere = app.personal_token("erin", "read", None).await;
    assert_eq!(slugs(app, &everywhere).await, ["alpha", "beta"]);
    let only_beta = app.personal_token("erin", "read", Some("beta")).await;
    assert_eq!(slugs(app, &only_beta).await, ["beta"]);
    assert_eq!(
        get(app, &only_beta, "/api/v1/projects/alpha")
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "a project outside the token's list looks like no project"
    );

    // The owner loses a role: the token loses it at once.
    let me = app.admin_principal().await;
    let erin = app
        .services
        .accounts()
        .find_user(&me, "erin")
        .await
        .unwrap();
    let beta_grant = erin
        .grants
        .iter()
        .find(|g| g.project_slug.as_deref() == Some("beta"))
        .unwrap()
        .id;
    app.services
        .accounts()
        .revoke(&me, beta_grant)
        .await
        .unwrap();
    assert_eq!(slugs(app, &everywhere).await, ["alpha"]);
    assert_eq!(
        get(app, &only_beta, "/api/v1/projects/beta").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn service_tokens_reach_their_own_project_only(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    app.create_project(&admin, "Beta", "beta").await;
    let ci = app.service_token("alpha", "read,evidence:write").await;
    assert_eq!(slugs(app, &ci).await, ["alpha"]);
    let res = get(app, &ci, "/api/v1/projects/alpha/environments").await;
    assert_eq!(res.status(), StatusCode::OK);
    let envs: Value = res.json().await.unwrap();
    assert!(envs.as_array().is_some_and(|e| !e.is_empty()));
    assert_eq!(
        get(app, &ci, "/api/v1/projects/beta").await.status(),
        StatusCode::NOT_FOUND
    );
    // A release manager cannot hand a token rights they lack.
    app.user_with_role("rita", "release_manager", Some("beta"))
        .await;
    let rita = app.principal("rita").await;
    let input = slipway_services::api_tokens::NewTokenInput {
        name: "too much".into(),
        scopes: "read".into(),
        ..Default::default()
    };
    let refused = app
        .services
        .api_tokens()
        .create_service(&rita, "alpha", &input)
        .await;
    assert!(refused.is_err(), "rita manages beta, not alpha");
    let engineer_only = slipway_services::api_tokens::NewTokenInput {
        name: "audit".into(),
        scopes: "read,audit:read,promote".into(),
        ..Default::default()
    };
    assert!(app
        .services
        .api_tokens()
        .create_service(&rita, "beta", &engineer_only)
        .await
        .is_ok());
}

async fn refused_tokens_are_401_with_a_reason(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    let token = app.personal_token("admin", "read", None).await;
    assert_eq!(
        get(app, &token, "/api/v1/projects").await.status(),
        StatusCode::OK
    );

    // No header at all.
    let res = app
        .api()
        .get(app.url("/api/v1/projects"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(
        problem_type(res).await,
        "urn:slipway:problem:unauthenticated"
    );

    for (bad, kind) in [
        ("not-a-token", "token-malformed"),
        (&*format!("slw_{}", "0".repeat(64)), "token-unknown"),
        (&*format!("{token}0"), "token-malformed"),
    ] {
        let res = get(app, bad, "/api/v1/projects").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{kind}");
        assert_eq!(
            problem_type(res).await,
            format!("urn:slipway:problem:{kind}")
        );
    }

    // Expired.
    let expiring = app.personal_token("admin", "read", None).await;
    sqlx::query("UPDATE api_tokens SET expires_at = 1 WHERE id = (SELECT MAX(id) FROM api_tokens)")
        .execute(app.services.store.pool())
        .await
        .unwrap();
    let res = get(app, &expiring, "/api/v1/projects").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem_type(res).await, "urn:slipway:problem:token-expired");

    // Revoked.
    let me = app.admin_principal().await;
    let mine = app.services.api_tokens().mine(&me).await.unwrap();
    let first = mine
        .iter()
        .find(|t| t.status == slipway_domain::read::TokenStatus::Active)
        .unwrap();
    app.services
        .api_tokens()
        .revoke(&me, first.id)
        .await
        .unwrap();
    let res = get(app, &token, "/api/v1/projects").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem_type(res).await, "urn:slipway:problem:token-revoked");

    // A disabled owner.
    app.user_with_role("dora", "engineer", Some("alpha")).await;
    let dora = app.personal_token("dora", "read", None).await;
    assert_eq!(
        get(app, &dora, "/api/v1/projects").await.status(),
        StatusCode::OK
    );
    app.services
        .accounts()
        .set_disabled(&me, "dora", true)
        .await
        .unwrap();
    let res = get(app, &dora, "/api/v1/projects").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        problem_type(res).await,
        "urn:slipway:problem:account-disabled"
    );
}

async fn a_cookie_is_not_a_token(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    // Signed in in the browser sense, but no token: the API does not care.
    let res = admin.get(app.url("/api/v1/projects")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn only_a_keyed_hash_is_stored(app: &TestApp) {
    let token = app.personal_token("admin", "read", None).await;
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT token_hash, hint FROM api_tokens")
        .fetch_all(app.services.store.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let (hash, hint) = &rows[0];
    let hex = token.strip_prefix("slw_").unwrap();
    assert!(!hash.contains(hex) && hash != &token);
    assert_eq!(hash.len(), 64);
    assert_eq!(hint.as_str(), &hex[..8]);
    // Keyed: the plain SHA-256 of the token is not what is stored.
    assert_ne!(hash, &slipway_services::tokens::hash(&token));
    // The secret appears nowhere in the database.
    let dump: Vec<(String,)> = sqlx::query_as("SELECT COALESCE(after_json, '') FROM audit_events")
        .fetch_all(app.services.store.pool())
        .await
        .unwrap();
    assert!(dump.iter().all(|(j,)| !j.contains(hex)));
}

async fn creating_and_revoking_are_audited(app: &TestApp) {
    let me = app.admin_principal().await;
    let before = app.audit_count().await;
    let token = app.personal_token("admin", "read", None).await;
    let id = app.services.api_tokens().mine(&me).await.unwrap()[0].id;
    app.services.api_tokens().revoke(&me, id).await.unwrap();
    // Revoking again changes nothing and records nothing.
    app.services.api_tokens().revoke(&me, id).await.unwrap();
    let _ = get(app, &token, "/api/v1/projects").await;
    let actions: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM audit_events ORDER BY id DESC LIMIT 3")
            .fetch_all(app.services.store.pool())
            .await
            .unwrap();
    let actions: Vec<&str> = actions.iter().map(|(a,)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "api_token.refused",
            "api_token.revoked",
            "api_token.created"
        ]
    );
    assert_eq!(app.audit_count().await, before + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_token_gets_429_with_retry_after() {
    let app = TestApp::spawn_with(Db::Sqlite, |s| {
        s.api_rate_per_second = 1;
        s.api_rate_burst = 3;
    })
    .await;
    let token = app.personal_token("admin", "read", None).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(get(&app, &token, "/api/v1/projects").await);
    }
    let limited = statuses
        .into_iter()
        .find(|r| r.status() == StatusCode::TOO_MANY_REQUESTS);
    let limited = limited.expect("the fourth or fifth request within a second is limited");
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait));
    assert_eq!(
        problem_type(limited).await,
        "urn:slipway:problem:rate-limited"
    );
    // Another token is not affected.
    let other = app.personal_token("admin", "read", None).await;
    assert_eq!(
        get(&app, &other, "/api/v1/projects").await.status(),
        StatusCode::OK
    );
    app.finish().await;
}
