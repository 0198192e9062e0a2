//! schemathesis (PyPI) against the live API with an admin token: it reads
//! `/api/openapi.json`, generates valid and invalid requests for every
//! operation, and checks every answer. Zero server errors and zero answers
//! that contradict the document (body schema, content type) are allowed.

use crate::helpers::{Db, TestApp};
use reqwest::StatusCode;
use std::process::Command;

fn schemathesis_installed() {
    let have = Command::new("schemathesis").arg("--version").output();
    if have.is_ok_and(|o| o.status.success()) {
        return;
    }
    let out = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "schemathesis==4.32.5"])
        .output()
        .expect("python3 is needed by the tests");
    assert!(
        out.status.success(),
        "pip install schemathesis failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_schema() {
    schemathesis_installed();
    let app = TestApp::spawn(Db::Sqlite).await;
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let token = app
        .personal_token(
            "admin",
            "read,releases:write,evidence:write,promote,audit:read",
            None,
        )
        .await;
    // Something to read: a release of the project.
    let created = app
        .api()
        .post(app.url("/api/v1/projects/shop/releases"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "version": "1.0.0", "artifact": format!("sha256:{}", "a".repeat(64)) }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.status(),
        StatusCode::CREATED,
        "{}",
        created.text().await.unwrap()
    );

    let report = tempfile::tempdir().unwrap();
    let base = app.base.clone();
    let header = format!("Authorization: Bearer {token}");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("schemathesis")
            .args(["run", &format!("{base}/api/openapi.json"), "--url", &base])
            .args(["--header", &header])
            .args([
                "--checks",
                "not_a_server_error,response_schema_conformance,content_type_conformance",
            ])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-examples", "40", "--seed", "14", "--workers", "2"])
            .args(["--generation-database", "none", "--no-color"])
            .args(["--report", "junit", "--report-dir"])
            .arg(report.path())
            // Its cache (.schemathesis/) goes with the report, not into the tree.
            .current_dir(report.path())
            .env("SCHEMATHESIS_HOOKS", "")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains(&token),
        "schemathesis sanitises the token in its output"
    );
    // It did test every operation (not a run that found nothing to call).
    assert!(stdout.contains("/api/v1/releases/{id}/promote"), "{stdout}");
    eprintln!(
        "{}",
        stdout
            .lines()
            .rev()
            .take(12)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    app.finish().await;
}
