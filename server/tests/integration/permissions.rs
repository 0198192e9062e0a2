//! The permission matrix: every mutating server function, called as every
//! role and anonymously. Refusals are 401/403 (404 where the project is not
//! visible at all, or the token is not one's to revoke) and change nothing;
//! allowed calls succeed.

use crate::helpers::TestApp;
use crate::on_both_databases;
use reqwest::{Client, StatusCode};
use slipway_domain::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    /// A role granted on project `alpha` (admin: for all projects).
    Role(Role),
    /// A stakeholder of another project only.
    Outsider,
}

const ENDPOINTS: &[&str] = &[
    "projects/create",
    "projects/update",
    "projects/archive",
    "environments/add",
    "environments/update",
    "environments/move",
    "environments/remove",
    "users/create",
    "users/grant",
    "users/revoke",
    "users/disable",
    "tokens/create",
    "projects/tokens/create",
    "tokens/revoke",
];

/// What the product promises, written out by hand (not derived from the code
/// under test).
fn allowed(who: Who, endpoint: &str) -> bool {
    match who {
        Who::Anonymous => false,
        // Everyone signed in may make tokens for themselves.
        _ if endpoint == "tokens/create" => true,
        Who::Outsider => false,
        Who::Role(Role::Admin) => true,
        // Here: revoking a service token of `alpha`.
        Who::Role(Role::ReleaseManager) => {
            endpoint.starts_with("projects/") && endpoint != "projects/create"
                || endpoint.starts_with("environments/")
                || endpoint == "tokens/revoke"
        }
        Who::Role(_) => false,
    }
}

fn expected_refusal(who: Who, endpoint: &str) -> &'static [StatusCode] {
    match who {
        Who::Anonymous => &[StatusCode::UNAUTHORIZED],
        // A token one may not revoke looks like no token at all.
        _ if endpoint == "tokens/revoke" => &[StatusCode::NOT_FOUND],
        Who::Outsider if !endpoint.starts_with("users/") && endpoint != "projects/create" => {
            &[StatusCode::NOT_FOUND]
        }
        _ => &[StatusCode::FORBIDDEN],
    }
}

struct Ctx {
    env_id: String,
    grant_id: String,
    n: usize,
}

async fn form_for(app: &TestApp, endpoint: &str, ctx: &mut Ctx) -> Vec<(String, String)> {
    ctx.n += 1;
    let n = ctx.n;
    let f = |pairs: &[(&str, String)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    };
    match endpoint {
        "projects/create" => f(&[
            ("project[name]", format!("New {n}")),
            ("project[slug]", format!("new-{n}")),
        ]),
        "projects/update" => f(&[
            ("slug", "alpha".into()),
            ("project[name]", "Alpha".into()),
            ("project[slug]", "alpha".into()),
            ("project[description]", format!("edit {n}")),
        ]),
        "projects/archive" => f(&[("slug", "alpha".into()), ("archived", "true".into())]),
        "environments/add" => f(&[
            ("slug", "alpha".into()),
            ("environment[name]", format!("extra-{n}")),
            ("environment[tier]", "staging".into()),
        ]),
        "environments/update" => f(&[
            ("slug", "alpha".into()),
            ("id", ctx.env_id.clone()),
            ("environment[name]", format!("renamed-{n}")),
            ("environment[tier]", "development".into()),
        ]),
        "environments/move" => f(&[
            ("slug", "alpha".into()),
            ("id", ctx.env_id.clone()),
            ("direction", "down".into()),
        ]),
        "environments/remove" => {
            // Remove a fresh environment so the pipeline survives.
            let admin = app.admin_principal().await;
            app.services
                .projects()
                .add_environment(
                    &admin,
                    "alpha",
                    &slipway_domain::EnvironmentDraft::new(
                        &format!("temp-{n}"),
                        slipway_domain::EnvironmentTier::Development,
                    ),
                )
                .await
                .unwrap();
            let p = app.services.projects().get(&admin, "alpha").await.unwrap();
            let id = p
                .environments
                .iter()
                .find(|e| e.name == format!("temp-{n}"))
                .unwrap()
                .id;
            f(&[("slug", "alpha".into()), ("id", id.to_string())])
        }
        "users/create" => f(&[
            ("username", format!("made{n}")),
            ("password", "a long enough password".into()),
            ("role", String::new()),
        ]),
        "users/grant" => f(&[
            ("username", "target".into()),
            ("role", "support".into()),
            ("project", "alpha".into()),
        ]),
        "users/revoke" => f(&[("grant_id", ctx.grant_id.clone())]),
        "users/disable" => f(&[("username", "target".into()), ("disabled", "true".into())]),
        "tokens/create" => f(&[
            ("name", format!("token {n}")),
            ("scopes[]", "releases:write".into()),
            ("expires_in", "30d".into()),
        ]),
        "projects/tokens/create" => f(&[
            ("slug", "alpha".into()),
            ("name", format!("CI {n}")),
            ("scopes[]", "evidence:write".into()),
        ]),
        "tokens/revoke" => {
            // A fresh service token of alpha each time, so each caller
            // finds one to revoke.
            let admin = app.admin_principal().await;
            let input = slipway_services::api_tokens::NewTokenInput {
                name: format!("CI {n}"),
                ..Default::default()
            };
            let issued = app
                .services
                .api_tokens()
                .create_service(&admin, "alpha", &input)
                .await
                .unwrap();
            f(&[("id", issued.token.id.to_string())])
        }
        other => panic!("no request for {other}"),
    }
}

/// Puts things back after an allowed call so the next caller finds the same state.
async fn restore(app: &TestApp, endpoint: &str, ctx: &mut Ctx) {
    let admin = app.admin_principal().await;
    match endpoint {
        "projects/archive" => app
            .services
            .projects()
            .set_archived(&admin, "alpha", false)
            .await
            .unwrap(),
        "environments/move" => {
            let id = slipway_domain::EnvironmentId(ctx.env_id.parse().unwrap());
            app.services
                .projects()
                .move_environment(&admin, "alpha", id, slipway_domain::environment::Move::Up)
                .await
                .unwrap();
        }
        "users/grant" => {
            let u = app
                .services
                .accounts()
                .find_user(&admin, "target")
                .await
                .unwrap();
            let g = u.grants.iter().find(|g| g.role == Role::Support).unwrap();
            app.services.accounts().revoke(&admin, g.id).await.unwrap();
        }
        "users/revoke" => {
            app.services
                .accounts()
                .grant(
                    slipway_services::accounts::Authority::Operator,
                    "target",
                    "engineer",
                    Some("alpha"),
                )
                .await
                .unwrap();
            ctx.grant_id = target_grant(app).await;
        }
        "users/disable" => app
            .services
            .accounts()
            .set_disabled(&admin, "target", false)
            .await
            .unwrap(),
        _ => {}
    }
}

async fn target_grant(app: &TestApp) -> String {
    let admin = app.admin_principal().await;
    let u = app
        .services
        .accounts()
        .find_user(&admin, "target")
        .await
        .unwrap();
    u.grants
        .iter()
        .find(|g| g.role == Role::Engineer)
        .unwrap()
        .id
        .to_string()
}

/// Everything a refused call could have changed.
async fn snapshot(app: &TestApp) -> (i64, String, String, (i64, i64)) {
    let admin = app.admin_principal().await;
    let p = app.services.projects().get(&admin, "alpha").await.unwrap();
    let users = app.services.accounts().list_users(&admin).await.unwrap();
    // API tokens: how many, and how many revoked.
    let tokens: (i64, i64) = sqlx::query_as("SELECT COUNT(*), COUNT(revoked_at) FROM api_tokens")
        .fetch_one(app.services.store.pool())
        .await
        .unwrap();
    (
        app.audit_count().await,
        format!("{p:?}"),
        format!("{users:?}"),
        tokens,
    )
}

async fn every_mutation_checks_permission_for_every_role(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    app.create_project(&admin, "Beta", "beta").await;
    app.user_with_role("target", "engineer", Some("alpha"))
        .await;
    app.user_with_role("outsider", "stakeholder", Some("beta"))
        .await;

    let mut callers: Vec<(Who, Client)> = vec![(Who::Anonymous, app.client())];
    for role in Role::ALL {
        let name = format!("as-{}", role.as_str().replace('_', "-"));
        let scope = if role.is_project_scoped() {
            Some("alpha")
        } else {
            None
        };
        app.user_with_role(&name, role.as_str(), scope).await;
        callers.push((
            Who::Role(role),
            app.login(&name, crate::helpers::USER_PASSWORD).await,
        ));
    }
    callers.push((
        Who::Outsider,
        app.login("outsider", crate::helpers::USER_PASSWORD).await,
    ));

    let p = app
        .services
        .projects()
        .get(&app.admin_principal().await, "alpha")
        .await
        .unwrap();
    let mut ctx = Ctx {
        env_id: p.environments[0].id.to_string(),
        grant_id: target_grant(app).await,
        n: 0,
    };

    let mut checked = 0;
    for endpoint in ENDPOINTS {
        for (who, client) in &callers {
            let form = form_for(app, endpoint, &mut ctx).await;
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let before = snapshot(app).await;
            let res = app.post(client, &format!("/api/{endpoint}"), &pairs).await;
            let status = res.status();
            let body = res.text().await.unwrap();
            if allowed(*who, endpoint) {
                assert!(
                    status.is_success(),
                    "{who:?} {endpoint}: expected success, got {status} {body}"
                );
                assert!(
                    snapshot(app).await.0 > before.0,
                    "{who:?} {endpoint}: allowed change not audited"
                );
                restore(app, endpoint, &mut ctx).await;
            } else {
                assert!(
                    expected_refusal(*who, endpoint).contains(&status),
                    "{who:?} {endpoint}: expected {:?}, got {status} {body}",
                    expected_refusal(*who, endpoint)
                );
                assert_eq!(
                    snapshot(app).await,
                    before,
                    "{who:?} {endpoint}: a refused call changed something"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ENDPOINTS.len() * (Role::ALL.len() + 2));
}

/// Pages for administrators answer 403 (with an explanation) to others.
async fn admin_pages_are_forbidden_to_a_stakeholder(app: &TestApp) {
    app.user_with_role("sam", "stakeholder", None).await;
    let sam = app.login("sam", crate::helpers::USER_PASSWORD).await;
    for page in [
        "/admin/users",
        "/admin/users/new",
        "/admin/users/admin",
        "/projects/new",
    ] {
        let res = app.get(&sam, page).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{page}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("You do not have access to this page"),
            "{page}: {html}"
        );
    }
    // Read-only pages work.
    assert_eq!(app.get(&sam, "/projects").await.status(), StatusCode::OK);
}

/// A request from another site is refused before any handler runs.
async fn cross_site_writes_are_refused(app: &TestApp) {
    let admin = app.admin().await;
    let res = admin
        .post(app.url("/api/projects/create"))
        .header("origin", "https://evil.example")
        .form(&[("project[name]", "Evil"), ("project[slug]", "evil")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let list = app
        .post(&admin, "/api/projects/list", &[])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(list, "[]");
}

on_both_databases!(
    every_mutation_checks_permission_for_every_role,
    admin_pages_are_forbidden_to_a_stakeholder,
    cross_site_writes_are_refused,
);
