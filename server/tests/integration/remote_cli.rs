//! The remote commands against a real server, and the CI examples
//! (`docs/ci/release.sh`, which the GitHub Actions and GitLab CI files run)
//! end to end against a real git repository: create the release, record
//! the test run, submit, ask for promotion (refused with the gate's
//! reasons), then — after sign-off — promoted, and `status` shows it.

use crate::helpers::{decision, TestApp};
use crate::on_both_databases;
use reqwest::{Client, StatusCode};
use slipway_services::git::fixture::Fixture;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A clone that CI checked out, and the origin Slipway mirrors.
struct Repo {
    work: Fixture,
    origin: PathBuf,
}

impl Repo {
    fn new() -> Self {
        let mut work = Fixture::new();
        let origin = work.bare_remote("origin");
        work.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
        work.commit("feat: first release");
        work.tag("v1.0.0");
        work.commit("feat(cart): add coupons\n\nRefs: SHOP-12");
        work.commit("fix: rounding of totals");
        work.git(&["push", "-q", "origin", "main", "--tags"]);
        Repo { work, origin }
    }
}

async fn connect(app: &TestApp, admin: &Client, repo: &Repo) {
    let url = format!("file://{}", repo.origin.display());
    let res = app
        .post(
            admin,
            "/api/repositories/configure",
            &[
                ("slug", "shop"),
                ("form[url]", &url),
                ("form[web_url]", ""),
                ("form[issue_url]", ""),
                ("form[tag_prefix]", "v"),
                ("form[main_branch]", "main"),
                ("form[scheme]", "semver"),
                ("form[minor_types]", "feat"),
                ("form[patch_types]", "fix, perf"),
                ("form[other_bump]", "none"),
                ("form[breaking_minor_while_zero]", "on"),
                ("form[initial_version]", "0.1.0"),
                ("form[fetch_interval_s]", "0"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `slipway ARGS` with the server and token in the environment only.
fn slipway(app: &TestApp, token: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(args)
        .env("SLIPWAY_SERVER", &app.base)
        .env("SLIPWAY_TOKEN", token)
        .env_remove("SLIPWAY_CONFIG")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

on_both_databases!(the_ci_example_creates_records_submits_and_promotes_through_the_gate);

async fn the_ci_example_creates_records_submits_and_promotes_through_the_gate(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let repo = Repo::new();
    connect(app, &admin, &repo).await;
    let token = app
        .service_token("shop", "read,releases:write,evidence:write,promote")
        .await;

    // What the pipelines run, in the checkout they built.
    let out = Command::new("bash")
        .arg(repo_root().join("docs/ci/release.sh"))
        .current_dir(repo.work.path())
        .env("SLIPWAY_SERVER", &app.base)
        .env("SLIPWAY_TOKEN", &token)
        .env("SLIPWAY_PROJECT", "shop")
        .env("SLIPWAY_BIN", env!("CARGO_BIN_EXE_slipway"))
        .env("TEST_SUMMARY", "412 passed, 0 failed")
        .env("TEST_REPORT_URL", "https://ci.example.com/runs/7")
        .env("PROMOTE_TO", "dev")
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "release.sh failed:\n{stdout}\n{stderr}"
    );
    assert!(stderr.contains("next version: 1.1.0"), "{stderr}");
    assert!(
        stderr.contains("promotion to dev is waiting"),
        "the gate refuses before sign-off: {stderr}"
    );
    assert!(!stdout.contains(&token) && !stderr.contains(&token));
    let id: i64 = stdout.lines().last().unwrap().trim().parse().unwrap();

    // The release as the pages see it: notes drafted from the commits,
    // bound to the commit built, the test run recorded, waiting for sign-off.
    let admin_p = app.admin_principal().await;
    let release = app
        .services
        .releases()
        .get(&admin_p, "shop", id)
        .await
        .unwrap();
    assert_eq!(release.version, "1.1.0");
    assert_eq!(release.artifact, repo.work.head());
    assert_eq!(release.state, "candidate");
    assert!(release.notes_html.contains("add coupons"));
    assert!(!release.gate_blockers.is_empty());

    // `slipway promote` says why it is refused, with exit code 2.
    let refused = slipway(
        app,
        &token,
        &["promote", "--release", &id.to_string(), "--env", "dev"],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).lines().count() >= 2,
        "every reason: {}",
        text(&refused.stderr)
    );

    // Someone signs off (the browser suite does it through the page).
    app.user_with_role("paula", "product_owner", Some("shop"))
        .await;
    let paula = app.principal("paula").await;
    let seen = app
        .services
        .releases()
        .get(&paula, "shop", id)
        .await
        .unwrap();
    app.services
        .releases()
        .decide(
            &paula,
            "shop",
            id,
            &decision(
                slipway_domain::approval::Decision::Approve,
                "",
                &seen.artifact,
                seen.notes_revision,
            ),
        )
        .await
        .unwrap();

    let promoted = slipway(
        app,
        &token,
        &["promote", "--release", &id.to_string(), "--env", "dev"],
    );
    assert!(promoted.status.success(), "{}", text(&promoted.stderr));
    assert!(text(&promoted.stdout).contains("to dev"));

    let status = slipway(
        app,
        &token,
        &["status", "--project", "shop", "--format", "json"],
    );
    assert!(status.status.success(), "{}", text(&status.stderr));
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let dev = status["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "dev")
        .unwrap();
    assert_eq!(dev["current"]["version"], "1.1.0");

    let shown = slipway(app, &token, &["release", "show", &id.to_string()]);
    assert!(shown.status.success());
    assert!(text(&shown.stdout).contains("1.1.0"));
    let listed = slipway(app, &token, &["release", "list", "--project", "shop"]);
    assert!(text(&listed.stdout).contains(&id.to_string()));
}

on_both_databases!(remote_commands_exit_0_1_or_2);

async fn remote_commands_exit_0_1_or_2(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let token = app.service_token("shop", "read").await;

    let ok = slipway(app, &token, &["status", "--project", "shop"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));

    // Refused or bad input: 2, one line, never the token.
    for args in [
        vec!["release", "show", "999999"],
        vec!["status", "--project", "nope"],
        vec![
            "evidence",
            "record",
            "--release",
            "1",
            "--kind",
            "x",
            "--outcome",
            "passed",
        ],
        vec!["release", "create", "--project", "shop"],
    ] {
        let out = slipway(app, &token, &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains(&token));
        assert!(text(&out.stderr).starts_with("slipway: "));
    }
    let bad = slipway(app, "slw_nonsense", &["status", "--project", "shop"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("not a Slipway API token"));

    // JSON: the problem document itself.
    let json = slipway(
        app,
        &token,
        &["release", "show", "999999", "--format", "json"],
    );
    let problem: serde_json::Value =
        serde_json::from_str(text(&json.stderr).trim_start_matches("slipway: ").trim()).unwrap();
    assert_eq!(problem["status"], 404);

    // The server is not there: 1.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let down = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(["status", "--project", "shop"])
        .env("SLIPWAY_SERVER", &closed)
        .env("SLIPWAY_TOKEN", &token)
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(1), "{}", text(&down.stderr));
    assert!(!text(&down.stderr).contains(&token));

    // The help shows where the token comes from, never its value.
    let help = slipway(app, &token, &["status", "--help"]);
    assert!(text(&help.stdout).contains("SLIPWAY_TOKEN"));
    assert!(!text(&help.stdout).contains(&token));
}

/// The token never reaches the log, even at debug level and when refused:
/// a real `slipway serve` process, its standard error captured.
#[test]
fn tokens_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let data = dir.path().join("data");
    let bin = env!("CARGO_BIN_EXE_slipway");
    let mut server = Command::new(bin)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("SLIPWAY_DATA_DIR", &data)
        .env("SLIPWAY_ADMIN_PASSWORD", crate::helpers::ADMIN_PASSWORD)
        .env("SLIPWAY_LOG", "debug")
        .env("SLIPWAY_SITE_ROOT", dir.path().join("site"))
        .env_remove("SLIPWAY_CONFIG")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read the log as it is written: at debug level the background jobs'
    // statements fill a pipe nobody drains, and the server would block.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut all = Vec::new();
            if let Some(mut p) = pipe {
                let _ = std::io::Read::read_to_end(&mut p, &mut all);
            }
            all
        })
    };
    let stderr = drain(
        server
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let stdout = drain(
        server
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let base = format!("http://127.0.0.1:{port}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{base}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the server did not start");
    });
    // The operator's path: a token for CI before anyone signs in.
    let out = Command::new(bin)
        .args([
            "admin",
            "create-token",
            "--username",
            "admin",
            "--name",
            "log test",
        ])
        .args(["--scope", "read,releases:write"])
        .env("SLIPWAY_DATA_DIR", &data)
        .env_remove("SLIPWAY_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    assert!(
        !text(&out.stderr).contains(&token),
        "the token goes to stdout only"
    );
    assert!(slipway_domain::token::looks_like_token(&token));
    runtime.block_on(async {
        let client = Client::new();
        let ok = client
            .get(format!("{base}/api/v1/projects"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        let bad = client
            .post(format!("{base}/api/v1/projects/nope/releases"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "version": "1.0.0" }))
            .send()
            .await
            .unwrap();
        assert!(bad.status().is_client_error());
        // Refused tokens are not logged either.
        let _ = client
            .get(format!("{base}/api/v1/projects"))
            .bearer_auth(format!("{token}x"))
            .send()
            .await;
        let unknown_project = format!("{base}/api/v1/projects/nope/status");
        let _ = client.get(unknown_project).bearer_auth(&token).send().await;
    });
    let _ = Command::new("kill").arg(server.id().to_string()).status();
    let _ = server.wait();
    let log = text(&stderr.join().unwrap_or_default()) + &text(&stdout.join().unwrap_or_default());
    assert!(
        log.contains("/api/v1/projects"),
        "the log captured the requests: {log}"
    );
    let secret = token.trim_start_matches("slw_");
    assert!(!log.contains(secret), "the token reached the log:\n{log}");
}
