use crate::helpers::{test_settings, TestApp};
use crate::on_both_databases;
use reqwest::StatusCode;
use std::process::Command;

fn slipway() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_slipway"));
    // Start from a clean slate: no SLIPWAY_* from the developer's shell.
    for (k, _) in std::env::vars() {
        if k.starts_with("SLIPWAY_") {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn malformed_config_exits_non_zero_naming_the_key() {
    let out = slipway()
        .args(["migrate"])
        .env("SLIPWAY_ADDR", "localhost-ish")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SLIPWAY_ADDR") && err.contains("localhost-ish"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("slipway.toml");
    std::fs::write(&file, "session_idle_hours = \"many\"\n").unwrap();
    let out = slipway()
        .arg("--config")
        .arg(&file)
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("session_idle_hours"), "{err}");
}

#[tokio::test]
async fn a_failing_migration_stops_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(&dir, None);
    std::fs::create_dir_all(&settings.data_dir).unwrap();
    // A foreign table where Slipway's first migration wants to create one.
    let url = settings.database_url();
    let store = slipway_services::Store::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE users (something_else TEXT)")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let err = match slipway_server::prepare(&settings, false).await {
        Ok(_) => panic!("start must fail"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("migration"), "{err}");
}

async fn malformed_server_function_bodies_get_400(app: &TestApp) {
    let admin = app.admin().await;
    // No arguments at all.
    let res = app.post(&admin, "/api/projects/create", &[]).await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "{}",
        res.text().await.unwrap()
    );
    // A number that is not one.
    let res = app
        .post(
            &admin,
            "/api/environments/remove",
            &[("slug", "x"), ("id", "not-a-number")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // An unknown server function.
    let res = app.post(&admin, "/api/projects/explode", &[]).await;
    assert!(res.status().is_client_error());
}

async fn unknown_pages_and_projects_are_404(app: &TestApp) {
    let admin = app.admin().await;
    let res = app.get(&admin, "/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Not found"));
    assert_eq!(
        app.get(&admin, "/projects/nope").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn user_admin_validates_and_guards_the_last_admin(app: &TestApp) {
    let admin = app.admin().await;
    let res = app
        .post(
            &admin,
            "/api/users/create",
            &[
                ("username", "Bad Name!"),
                ("password", "short"),
                ("role", "wizard"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    for field in ["username", "password", "role"] {
        assert!(
            body.contains(&format!("\"field\":\"{field}\"")),
            "{field}: {body}"
        );
    }
    let me = app
        .services
        .accounts()
        .find_user(&app.admin_principal().await, "admin")
        .await
        .unwrap();
    let res = app
        .post(
            &admin,
            "/api/users/revoke",
            &[("grant_id", &me.grants[0].id.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .post(
            &admin,
            "/api/users/disable",
            &[("username", "admin"), ("disabled", "true")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

on_both_databases!(
    malformed_server_function_bodies_get_400,
    unknown_pages_and_projects_are_404,
    user_admin_validates_and_guards_the_last_admin,
);
