//! The permission matrix over the API: every mutating route, called with a
//! personal token of every role, with service tokens with and without the
//! route's scope, by an outsider and anonymously. What the product promises
//! is written out by hand below (not derived from the code under test);
//! every refusal is 401/403/404 and changes nothing.

use crate::helpers::{release_input, TestApp};
use crate::on_both_databases;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use slipway_domain::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    /// A personal token with every scope, of someone with this role on `alpha`.
    Role(Role),
    /// A personal token with every scope, of an engineer of `beta` only.
    Outsider,
    /// A service token of `alpha` with exactly the route's scope.
    ServiceScoped,
    /// A service token of `alpha` that may only read.
    ServiceReadOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Create,
    ChangeArtifact,
    Submit,
    Abandon,
    RecordEvidence,
    TickChecklist,
    Promote,
}

const ROUTES: [Route; 7] = [
    Route::Create,
    Route::ChangeArtifact,
    Route::Submit,
    Route::Abandon,
    Route::RecordEvidence,
    Route::TickChecklist,
    Route::Promote,
];

fn scope(route: Route) -> &'static str {
    match route {
        Route::RecordEvidence => "read,evidence:write",
        Route::Promote => "read,promote",
        _ => "read,releases:write",
    }
}

/// The promise, per role.
fn allowed(who: Who, route: Route) -> bool {
    use Role::*;
    match who {
        Who::Anonymous | Who::Outsider | Who::ServiceReadOnly => false,
        Who::ServiceScoped => true,
        Who::Role(Admin) => true,
        Who::Role(role) => match route {
            Route::RecordEvidence => matches!(role, ReleaseManager | TechLead | Engineer | Sre),
            Route::Promote => matches!(role, ReleaseManager | Engineer | Sre),
            _ => matches!(role, ReleaseManager | TechLead | Engineer),
        },
    }
}

fn refusal(who: Who) -> StatusCode {
    match who {
        Who::Anonymous => StatusCode::UNAUTHORIZED,
        Who::Outsider => StatusCode::NOT_FOUND,
        _ => StatusCode::FORBIDDEN,
    }
}

fn digest(n: usize) -> String {
    format!("sha256:{:064x}", n)
}

/// What a release looks like to the admin: everything a refused call
/// must leave as it was.
async fn snapshot(app: &TestApp, id: i64) -> Value {
    let admin = app.admin_principal().await;
    let r = app
        .services
        .releases()
        .get(&admin, "alpha", id)
        .await
        .unwrap();
    let evidence: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM release_evidence WHERE release_id = $1")
            .bind(id)
            .fetch_one(app.services.store.pool())
            .await
            .unwrap();
    let releases: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM releases")
        .fetch_one(app.services.store.pool())
        .await
        .unwrap();
    json!({
        "state": r.state.as_str(), "artifact": r.artifact,
        "ticked": r.checklist.iter().filter(|i| i.ticked.is_some()).count(),
        "evidence": evidence.0, "releases": releases.0,
    })
}

on_both_databases!(every_mutating_route_as_everyone);

async fn every_mutating_route_as_everyone(app: &TestApp) {
    let admin_client = app.admin().await;
    app.create_project(&admin_client, "Alpha", "alpha").await;
    app.create_project(&admin_client, "Beta", "beta").await;
    let admin = app.admin_principal().await;

    let mut tokens: Vec<(Who, Option<String>)> = vec![(Who::Anonymous, None)];
    for role in Role::ALL {
        let name = format!("u_{}", role.as_str());
        let project = (role != Role::Admin).then_some("alpha");
        app.user_with_role(&name, role.as_str(), project).await;
        let all = "read,releases:write,evidence:write,promote,audit:read";
        tokens.push((
            Who::Role(role),
            Some(app.personal_token(&name, all, None).await),
        ));
    }
    app.user_with_role("outsider", "engineer", Some("beta"))
        .await;
    let all = "read,releases:write,evidence:write,promote";
    tokens.push((
        Who::Outsider,
        Some(app.personal_token("outsider", all, None).await),
    ));
    let read_only = app.service_token("alpha", "read").await;
    tokens.push((Who::ServiceReadOnly, Some(read_only)));

    let mut n = 0;
    let mut checked = 0;
    for route in ROUTES {
        let scoped = app.service_token("alpha", scope(route)).await;
        for (who, token) in tokens
            .iter()
            .cloned()
            .chain([(Who::ServiceScoped, Some(scoped))])
        {
            n += 1;
            // A fresh release in the state the route acts on.
            let id = app
                .services
                .releases()
                .create(
                    &admin,
                    "alpha",
                    &release_input(&format!("1.0.{n}"), &digest(n)),
                )
                .await
                .unwrap();
            if route == Route::Promote {
                app.services
                    .releases()
                    .submit(&admin, "alpha", id)
                    .await
                    .unwrap();
            }
            let (method, path, body) = match route {
                Route::Create => (
                    Method::POST,
                    "/api/v1/projects/alpha/releases".to_owned(),
                    json!({ "version": format!("2.0.{n}"), "artifact": digest(10_000 + n) }),
                ),
                Route::ChangeArtifact => (
                    Method::PATCH,
                    format!("/api/v1/releases/{id}"),
                    json!({ "artifact": digest(20_000 + n), "expected_artifact": digest(n) }),
                ),
                Route::Submit => (
                    Method::POST,
                    format!("/api/v1/releases/{id}/submit"),
                    json!({}),
                ),
                Route::Abandon => (
                    Method::POST,
                    format!("/api/v1/releases/{id}/abandon"),
                    json!({ "reason": "not needed" }),
                ),
                Route::RecordEvidence => (
                    Method::POST,
                    format!("/api/v1/releases/{id}/evidence"),
                    json!({ "kind": "unit-tests", "outcome": "passed", "summary": "ok" }),
                ),
                Route::TickChecklist => (
                    Method::POST,
                    format!("/api/v1/releases/{id}/checklist/qa-scope"),
                    json!({ "done": true }),
                ),
                Route::Promote => (
                    Method::POST,
                    format!("/api/v1/releases/{id}/promote"),
                    json!({}),
                ),
            };
            let before = snapshot(app, id).await;
            let mut req = app
                .api()
                .request(method.clone(), app.url(&path))
                .json(&body);
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            let text = res.text().await.unwrap();
            if allowed(who, route) {
                // Past the permission check: done, or (promote) refused by
                // the gate with its reasons — never 401/403/404.
                let ok = status.is_success()
                    || (route == Route::Promote && status == StatusCode::CONFLICT);
                assert!(ok, "{who:?} {method} {path}: {status} {text}");
            } else {
                assert_eq!(status, refusal(who), "{who:?} {method} {path}: {text}");
                assert_eq!(
                    snapshot(app, id).await,
                    before,
                    "{who:?} {method} {path} changed something"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ROUTES.len() * (Role::ALL.len() + 4));
}
