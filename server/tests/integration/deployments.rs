//! Deployments for real, on SQLite and PostgreSQL: the command adapter runs
//! a real program that "deploys" by writing the version into a directory
//! that a real HTTP server (started here on 127.0.0.1) serves as the
//! deployed service's health endpoint; the checks call it. Promotion,
//! fail-closed checks, automatic and manual rollback, holds, the adapter's
//! failures, one deployment per request under concurrency.

use crate::helpers::{release_input, TestApp};
use crate::on_both_databases;
use serde_json::Value;
use slipway_domain::approval::ApprovalPolicy;
use slipway_domain::deployment::adapter::DeploySettingsForm;
use slipway_domain::deployment::check::CheckForm;
use slipway_domain::deployment::view::DeploymentView;
use slipway_domain::deployment::DeploymentState;
use slipway_domain::Principal;
use slipway_services::ServiceError;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The deployed service: `GET /health/{env}` answers 200 with the version
/// written into `dir/{env}`, 503 when nothing was deployed, 500 when the
/// version contains "broken".
pub struct Target {
    pub dir: tempfile::TempDir,
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Target {
    pub async fn start() -> Target {
        use axum::extract::{Path as UrlPath, State};
        use axum::http::StatusCode;
        let dir = tempfile::tempdir().unwrap();
        let root: PathBuf = dir.path().to_owned();
        let app = axum::Router::new()
            .route(
                "/health/{env}",
                axum::routing::get(
                    |State(root): State<PathBuf>, UrlPath(env): UrlPath<String>| async move {
                        match std::fs::read_to_string(root.join(&env)) {
                            Err(_) => (
                                StatusCode::SERVICE_UNAVAILABLE,
                                "nothing deployed".to_owned(),
                            ),
                            Ok(v) if v.contains("broken") => (
                                StatusCode::INTERNAL_SERVER_ERROR,
                                format!("{{\"status\":\"down\",\"version\":\"{v}\"}}"),
                            ),
                            Ok(v) => (
                                StatusCode::OK,
                                format!("{{\"status\":\"ok\",\"version\":\"{v}\"}}"),
                            ),
                        }
                    },
                ),
            )
            .with_state(root);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Target { dir, base, task }
    }

    pub fn deployed(&self, env: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join(env)).ok()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A command adapter that writes `$SLIPWAY_VERSION` into `dir/$SLIPWAY_ENVIRONMENT`
/// (through `sh`, whose own script reads the variables: Slipway passes
/// them, never interpolates them), prints what it does, and shows that
/// Slipway's own environment did not leak into it.
pub fn deploy_form(
    dir: &Path,
    extra: &str,
    checks: Vec<CheckForm>,
    auto_rollback: bool,
) -> DeploySettingsForm {
    let write = format!(
        "printf '%s' \"$SLIPWAY_VERSION\" > '{}/'\"$SLIPWAY_ENVIRONMENT\"",
        dir.display()
    );
    let mut steps = vec![
        "echo \"deploying $SLIPWAY_VERSION ($SLIPWAY_DIGEST) to $SLIPWAY_ENVIRONMENT, rollback=$SLIPWAY_ROLLBACK, previous=$SLIPWAY_PREVIOUS_DIGEST\"".to_owned(),
        // Set in this test process by cargo: never passed on.
        "echo \"leaked=${CARGO_PKG_NAME:-none}\"".to_owned(),
    ];
    if !extra.is_empty() {
        steps.push(extra.to_owned());
    }
    steps.push(write);
    steps.push("echo done".to_owned());
    let script = steps.join("; ");
    DeploySettingsForm {
        adapter: "command".into(),
        program: "/bin/sh".into(),
        args: format!("-c\n{script}"),
        workdir: String::new(),
        timeout_s: "20".into(),
        checks,
        auto_rollback,
        ..Default::default()
    }
}

pub fn health_check(target: &Target, env: &str, deadline_s: &str, retries: &str) -> CheckForm {
    CheckForm {
        kind: "http".into(),
        name: "health".into(),
        url: format!("{}/health/{env}", target.base),
        expect_status: "200".into(),
        json_pointer: "/status".into(),
        json_value: "ok".into(),
        latency_budget_ms: "2000".into(),
        retries: retries.into(),
        deadline_s: deadline_s.into(),
        ..Default::default()
    }
}

fn digest(n: u32) -> String {
    format!("registry.example.com/shop/api@sha256:{n:064x}")
}

/// Project `shop` (dev, staging, prod) with nobody needed to approve dev,
/// and the admin, who does everything (for tests about the machinery).
pub async fn shop_as_admin(app: &TestApp) -> Principal {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let p = app.admin_principal().await;
    open_dev(app, &p).await;
    p
}

/// Nobody needs to approve dev in project `shop`.
async fn open_dev(app: &TestApp, by: &Principal) {
    let none = ApprovalPolicy {
        required: 0,
        groups: vec![],
    };
    app.services
        .releases()
        .set_policy(by, "shop", "dev", &none)
        .await
        .unwrap();
}

/// Project `shop` (dev, staging, prod) with nobody needed to approve dev.
async fn shop(app: &TestApp) -> (Principal, Principal, Principal) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    for (name, role) in [
        ("erin", "engineer"),
        ("sam", "sre"),
        ("rick", "release_manager"),
    ] {
        app.user_with_role(name, role, Some("shop")).await;
    }
    let rick = app.principal("rick").await;
    open_dev(app, &rick).await;
    (
        app.principal("erin").await,
        app.principal("sam").await,
        rick,
    )
}

/// A release of `artifact` submitted (and so approved for dev).
async fn submitted(app: &TestApp, by: &Principal, version: &str, artifact: &str) -> i64 {
    let releases = app.services.releases();
    let id = releases
        .create(by, "shop", &release_input(version, artifact))
        .await
        .unwrap();
    releases.submit(by, "shop", id).await.unwrap();
    id
}

/// A release of `artifact` in project `slug`, created, submitted and
/// promoted into its next environment: the deployment that moves it.
pub async fn promote_new(
    app: &TestApp,
    p: &Principal,
    slug: &str,
    version: &str,
    artifact: &str,
) -> i64 {
    let releases = app.services.releases();
    let id = releases
        .create(p, slug, &release_input(version, artifact))
        .await
        .unwrap();
    releases.submit(p, slug, id).await.unwrap();
    releases
        .promote_into(p, slug, id, None, None, None)
        .await
        .unwrap()
        .deployment_id
}

/// Waits until deployment `id` has ended (at most 30 s).
pub async fn ended(app: &TestApp, id: i64) -> DeploymentView {
    let admin = app.admin_principal().await;
    let began = Instant::now();
    loop {
        let (_, d) = app.services.deployments().by_id(&admin, id).await.unwrap();
        if d.state.is_finished() {
            return d;
        }
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "deployment {id} still {:?}",
            d.state
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn output(app: &TestApp, id: i64) -> String {
    app.services
        .deployments()
        .output_since(id, 0)
        .await
        .unwrap()
        .unwrap()
        .0
}

async fn running_in(app: &TestApp, env: &str) -> Option<String> {
    let admin = app.admin_principal().await;
    let status = app
        .services
        .releases()
        .status(&admin, "shop")
        .await
        .unwrap();
    status
        .environments
        .into_iter()
        .find(|e| e.name == env)
        .and_then(|e| e.current)
        .map(|c| c.version)
}

async fn a_promotion_runs_the_command_adapter_and_the_checks_then_the_release_arrives(
    app: &TestApp,
) {
    let (erin, _, rick) = shop(app).await;
    let target = Target::start().await;
    let deployments = app.services.deployments();
    deployments
        .update_settings(
            &rick,
            "shop",
            "dev",
            &deploy_form(
                target.dir.path(),
                "",
                vec![health_check(&target, "dev", "10", "3")],
                true,
            ),
        )
        .await
        .unwrap();
    let id = submitted(app, &erin, "1.0.0", &digest(1)).await;
    let promoted = app
        .services
        .releases()
        .promote_into(&erin, "shop", id, Some("dev"), None, None)
        .await
        .unwrap();
    assert_eq!(promoted.state.as_str(), "deploying");
    let d = ended(app, promoted.deployment_id).await;
    assert_eq!(d.state, DeploymentState::Succeeded, "{d:?}");
    assert_eq!(target.deployed("dev").as_deref(), Some("1.0.0"));
    assert_eq!(d.checks.len(), 1);
    assert!(d.checks[0].passed, "{:?}", d.checks);
    let out = output(app, d.id).await;
    assert!(
        out.contains(&format!(
            "deploying 1.0.0 (sha256:{:064x}) to dev, rollback=false, previous=",
            1
        )),
        "{out}"
    );
    assert!(
        out.contains("leaked=none"),
        "Slipway's environment leaked into the adapter: {out}"
    );
    assert!(out.contains("[finished]"), "{out}");
    // The release arrived; the checks are evidence on it.
    let v = app
        .services
        .releases()
        .get(&erin, "shop", id)
        .await
        .unwrap();
    assert_eq!(
        (v.state.as_str(), v.reached_environment.as_deref()),
        ("released", Some("dev"))
    );
    assert!(
        v.evidence
            .iter()
            .any(|e| e.kind == "smoke-tests" && e.outcome == "passed"),
        "{:?}",
        v.evidence
    );
    assert_eq!(running_in(app, "dev").await.as_deref(), Some("1.0.0"));
    let page = deployments
        .environment_page(&erin, "shop", "dev")
        .await
        .unwrap();
    assert_eq!(page.current.map(|c| c.version).as_deref(), Some("1.0.0"));
    assert_eq!(
        page.last_verified.map(|c| c.version).as_deref(),
        Some("1.0.0")
    );
    assert!(page.waiting.is_empty());
    // Engineers may not configure deployments.
    assert!(matches!(
        deployments
            .update_settings(&erin, "shop", "dev", &DeploySettingsForm::default())
            .await,
        Err(ServiceError::Forbidden)
    ));
}

async fn a_failed_check_rolls_back_automatically_and_holds_the_broken_version(app: &TestApp) {
    let (erin, sam, rick) = shop(app).await;
    let target = Target::start().await;
    let deployments = app.services.deployments();
    deployments
        .update_settings(
            &rick,
            "shop",
            "dev",
            &deploy_form(
                target.dir.path(),
                "",
                vec![health_check(&target, "dev", "3", "1")],
                true,
            ),
        )
        .await
        .unwrap();
    let good = submitted(app, &erin, "1.0.0", &digest(1)).await;
    let p = app
        .services
        .releases()
        .promote_into(&erin, "shop", good, None, None, None)
        .await
        .unwrap();
    assert_eq!(
        ended(app, p.deployment_id).await.state,
        DeploymentState::Succeeded
    );

    let broken = submitted(app, &erin, "1.1.0-broken", &digest(2)).await;
    let p = app
        .services
        .releases()
        .promote_into(&erin, "shop", broken, None, None, None)
        .await
        .unwrap();
    let failed = ended(app, p.deployment_id).await;
    assert_eq!(failed.state, DeploymentState::RolledBack, "{failed:?}");
    assert!(
        failed
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("health"),
        "{failed:?}"
    );
    assert!(!failed.checks[0].passed);
    // The automatic rollback: a new deployment of 1.0.0, marked as such.
    let page = deployments
        .environment_page(&sam, "shop", "dev")
        .await
        .unwrap();
    let rollback = page
        .history
        .iter()
        .find(|d| d.kind.as_str() == "rollback")
        .cloned()
        .unwrap();
    assert!(rollback.automatic);
    let rollback = ended(app, rollback.id).await;
    assert_eq!(rollback.state, DeploymentState::Succeeded, "{rollback:?}");
    assert_eq!(target.deployed("dev").as_deref(), Some("1.0.0"));
    assert!(output(app, rollback.id).await.contains("rollback=true"));
    assert_eq!(running_in(app, "dev").await.as_deref(), Some("1.0.0"));
    // The broken release went back to waiting; its digest is held in dev.
    let v = app
        .services
        .releases()
        .get(&erin, "shop", broken)
        .await
        .unwrap();
    assert_ne!(v.state.as_str(), "deploying");
    assert!(v.evidence.iter().any(|e| e.outcome == "failed"));
    let page = deployments
        .environment_page(&sam, "shop", "dev")
        .await
        .unwrap();
    assert_eq!(page.holds.len(), 1);
    assert_eq!(page.holds[0].version, "1.1.0-broken");
    assert!(page.failed.is_some());
    let refused = app
        .services
        .releases()
        .promote_into(&erin, "shop", broken, None, None, None)
        .await;
    match refused {
        Err(ServiceError::GateRefused(reasons)) => {
            assert!(
                reasons.iter().any(|r| r.contains("held in dev")),
                "{reasons:?}"
            )
        }
        other => panic!("expected the hold to refuse, got {other:?}"),
    }
    // Releasing the hold needs a reason and the rollback permission.
    let hold = page.holds[0].id;
    assert!(matches!(
        deployments
            .release_hold(&erin, "shop", "dev", hold, "fixed the config now")
            .await,
        Err(ServiceError::Forbidden)
    ));
    assert!(matches!(
        deployments
            .release_hold(&sam, "shop", "dev", hold, "ok")
            .await,
        Err(ServiceError::Validation(_))
    ));
    deployments
        .release_hold(
            &sam,
            "shop",
            "dev",
            hold,
            "The config was fixed in the cluster",
        )
        .await
        .unwrap();
    assert!(deployments
        .environment_page(&sam, "shop", "dev")
        .await
        .unwrap()
        .holds
        .is_empty());
}

async fn a_manual_rollback_puts_the_last_verified_version_back_and_audits_it(app: &TestApp) {
    let (erin, sam, rick) = shop(app).await;
    let target = Target::start().await;
    let deployments = app.services.deployments();
    deployments
        .update_settings(
            &rick,
            "shop",
            "dev",
            &deploy_form(
                target.dir.path(),
                "",
                vec![health_check(&target, "dev", "10", "3")],
                false,
            ),
        )
        .await
        .unwrap();
    // Nothing to roll back to yet.
    assert!(matches!(
        deployments.rollback(&sam, "shop", "dev", "", None).await,
        Err(ServiceError::Conflict(_))
    ));
    for (n, version) in [(1, "1.0.0"), (2, "1.1.0")] {
        let id = submitted(app, &erin, version, &digest(n)).await;
        let p = app
            .services
            .releases()
            .promote_into(&erin, "shop", id, None, None, None)
            .await
            .unwrap();
        assert_eq!(
            ended(app, p.deployment_id).await.state,
            DeploymentState::Succeeded
        );
    }
    assert_eq!(target.deployed("dev").as_deref(), Some("1.1.0"));
    let page = deployments
        .environment_page(&sam, "shop", "dev")
        .await
        .unwrap();
    let preview = page.rollback.unwrap();
    assert_eq!(
        (preview.from_version.as_deref(), preview.to_version.as_str()),
        (Some("1.1.0"), "1.0.0")
    );
    // Engineers promote but do not roll back.
    assert!(matches!(
        deployments.rollback(&erin, "shop", "dev", "", None).await,
        Err(ServiceError::Forbidden)
    ));
    let began = Instant::now();
    let d = deployments
        .rollback(&sam, "shop", "dev", "Checkout errors", None)
        .await
        .unwrap();
    // The same request again (a double click) finds the same rollback.
    let again = deployments
        .rollback(&sam, "shop", "dev", "Checkout errors", None)
        .await
        .unwrap();
    assert_eq!(again.id, d.id);
    let d = ended(app, d.id).await;
    assert_eq!(d.state, DeploymentState::Succeeded);
    assert!(began.elapsed() < Duration::from_secs(10));
    assert_eq!(target.deployed("dev").as_deref(), Some("1.0.0"));
    assert_eq!(running_in(app, "dev").await.as_deref(), Some("1.0.0"));
    let page = deployments
        .environment_page(&sam, "shop", "dev")
        .await
        .unwrap();
    assert_eq!(page.holds.len(), 1);
    assert!(page.holds[0].reason.contains("Checkout errors"));
    let log = app
        .services
        .audit()
        .list(
            &app.admin_principal().await,
            &slipway_services::audit::AuditQuery {
                action: "deployment.rollback_requested".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log.events.len(), 1);
}

async fn checks_fail_closed(app: &TestApp) {
    let (erin, _, rick) = shop(app).await;
    let target = Target::start().await;
    let deployments = app.services.deployments();
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        drop(l);
        a
    };
    let unreachable = CheckForm {
        url: format!("http://{closed}/health"),
        ..health_check(&target, "dev", "2", "1")
    };
    // Nothing ever deployed under this name: 503 until the deadline.
    let never_healthy = CheckForm {
        url: format!("{}/health/elsewhere", target.base),
        ..health_check(&target, "dev", "2", "50")
    };
    let failing_command = CheckForm {
        kind: "command".into(),
        name: "smoke".into(),
        program: "/bin/false".into(),
        timeout_s: "5".into(),
        ..Default::default()
    };
    let slow_command = CheckForm {
        kind: "command".into(),
        name: "slow".into(),
        program: "/bin/sleep".into(),
        args: "30".into(),
        timeout_s: "1".into(),
        ..Default::default()
    };
    for (n, (check, why)) in [
        (unreachable, "no answer"),
        (never_healthy, "answered 503"),
        (failing_command, "exited with status 1"),
        (slow_command, "did not finish within 1000 ms"),
    ]
    .into_iter()
    .enumerate()
    {
        deployments
            .update_settings(
                &rick,
                "shop",
                "dev",
                &deploy_form(target.dir.path(), "", vec![check], false),
            )
            .await
            .unwrap();
        let id = submitted(app, &erin, &format!("1.{n}.0"), &digest(10 + n as u32)).await;
        let began = Instant::now();
        let p = app
            .services
            .releases()
            .promote_into(&erin, "shop", id, None, None, None)
            .await
            .unwrap();
        let d = ended(app, p.deployment_id).await;
        assert_eq!(d.state, DeploymentState::Failed, "{why}: {d:?}");
        assert!(d.checks[0].detail.contains(why), "{why}: {:?}", d.checks);
        assert!(
            began.elapsed() < Duration::from_secs(15),
            "{why}: the deadline was not kept"
        );
        // The release did not arrive, and can be promoted again.
        let v = app
            .services
            .releases()
            .get(&erin, "shop", id)
            .await
            .unwrap();
        assert_eq!(v.reached_environment, None);
        assert_eq!(v.state.as_str(), "approved", "{why}");
    }
}

async fn adapter_failures_fail_the_deployment_with_the_reason(app: &TestApp) {
    let (erin, _, rick) = shop(app).await;
    let target = Target::start().await;
    let deployments = app.services.deployments();
    let not_found = DeploySettingsForm {
        program: "/nonexistent/deploy.sh".into(),
        ..deploy_form(target.dir.path(), "", vec![], false)
    };
    let non_zero = deploy_form(
        target.dir.path(),
        "echo 'helm: release failed' >&2; exit 3",
        vec![],
        false,
    );
    let too_slow = DeploySettingsForm {
        timeout_s: "1".into(),
        ..deploy_form(target.dir.path(), "sleep 30", vec![], false)
    };
    for (n, (form, why)) in [
        (not_found, "could not start /nonexistent/deploy.sh"),
        (non_zero, "exited with status 3"),
        (too_slow, "did not finish within 1 s"),
    ]
    .into_iter()
    .enumerate()
    {
        deployments
            .update_settings(&rick, "shop", "dev", &form)
            .await
            .unwrap();
        let id = submitted(app, &erin, &format!("2.{n}.0"), &digest(20 + n as u32)).await;
        let p = app
            .services
            .releases()
            .promote_into(&erin, "shop", id, None, None, None)
            .await
            .unwrap();
        let d = ended(app, p.deployment_id).await;
        assert_eq!(d.state, DeploymentState::Failed, "{why}");
        assert!(
            d.error.as_deref().unwrap_or_default().contains(why),
            "{why}: {d:?}"
        );
        let out = output(app, d.id).await;
        assert!(
            out.contains("[failed:") || out.contains("could not start"),
            "{out}"
        );
        if why.contains("status 3") {
            assert!(
                out.contains("helm: release failed"),
                "stderr is kept: {out}"
            );
        }
        assert_eq!(target.deployed("dev"), None);
    }
    // Bad settings are refused field by field and change nothing.
    let bad = DeploySettingsForm {
        adapter: "command".into(),
        program: "rm -rf /".into(),
        workdir: "tmp".into(),
        timeout_s: "99999".into(),
        checks: vec![CheckForm {
            name: "x".into(),
            url: "file:///etc/passwd".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    match deployments
        .update_settings(&rick, "shop", "dev", &bad)
        .await
    {
        Err(ServiceError::Validation(e)) => {
            for field in ["program", "workdir", "timeout_s", "checks[0].url"] {
                assert!(e.get(field).is_some(), "{field}: {e:?}");
            }
        }
        other => panic!("expected field errors, got {other:?}"),
    }
    let kept = deployments.settings(&rick, "shop", "dev").await.unwrap();
    assert!(
        matches!(kept.adapter, slipway_domain::deployment::adapter::Adapter::Command(ref c) if c.timeout_s == 1)
    );
}

async fn twenty_simultaneous_promotions_make_one_deployment(app: &TestApp) {
    let (erin, sam, rick) = shop(app).await;
    let target = Target::start().await;
    app.services
        .deployments()
        .update_settings(
            &rick,
            "shop",
            "dev",
            &deploy_form(target.dir.path(), "sleep 1", vec![], false),
        )
        .await
        .unwrap();
    let id = submitted(app, &erin, "3.0.0", &digest(30)).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let services = app.services.clone();
        let who = if i % 2 == 0 {
            erin.clone()
        } else {
            sam.clone()
        };
        tasks.push(tokio::spawn(async move {
            services
                .releases()
                .promote_into(&who, "shop", id, None, None, None)
                .await
        }));
    }
    let mut ok = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(p) => ok.push(p.deployment_id),
            Err(ServiceError::Conflict(_) | ServiceError::GateRefused(_)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok.len(), 1, "{ok:?}");
    let d = ended(app, ok[0]).await;
    assert_eq!(d.state, DeploymentState::Succeeded);
    let page = app
        .services
        .deployments()
        .environment_page(&erin, "shop", "dev")
        .await
        .unwrap();
    assert_eq!(page.history.len(), 1);
}

async fn the_api_rolls_back_with_a_token_and_an_idempotency_key(app: &TestApp) {
    let (erin, _, rick) = shop(app).await;
    let target = Target::start().await;
    app.services
        .deployments()
        .update_settings(
            &rick,
            "shop",
            "dev",
            &deploy_form(target.dir.path(), "", vec![], false),
        )
        .await
        .unwrap();
    let client = app.api();
    let ci = app.service_token("shop", "releases:write,promote").await;
    let mut last = 0;
    for (n, version) in [(1, "1.0.0"), (2, "1.1.0")] {
        let id = submitted(app, &erin, version, &digest(40 + n)).await;
        let res = client
            .post(app.url(&format!("/api/v1/releases/{id}/promote")))
            .bearer_auth(&ci)
            .header("idempotency-key", format!("pipeline-{n}"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let deployment = body["deployment_id"].as_i64().unwrap();
        // The pipeline retries: the same deployment, not a second one.
        let again: Value = client
            .post(app.url(&format!("/api/v1/releases/{id}/promote")))
            .bearer_auth(&ci)
            .header("idempotency-key", format!("pipeline-{n}"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(again["deployment_id"].as_i64(), Some(deployment));
        ended(app, deployment).await;
        let got: Value = client
            .get(app.url(&format!("/api/v1/deployments/{deployment}")))
            .bearer_auth(&ci)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(got["state"], "succeeded");
        last = deployment;
    }
    let out = client
        .get(app.url(&format!("/api/v1/deployments/{last}/output")))
        .bearer_auth(&ci)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(out.contains("deploying 1.1.0"), "{out}");
    // Without the rollback scope: refused, nothing made.
    let path = app.url("/api/v1/projects/shop/environments/dev/rollback");
    let res = client
        .post(&path)
        .bearer_auth(&ci)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let sre = app.service_token("shop", "rollback").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let res = client
            .post(&path)
            .bearer_auth(&sre)
            .header("idempotency-key", "incident-42")
            .json(&serde_json::json!({"reason": "errors after 1.1.0"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["version"], "1.0.0");
        assert_eq!(body["kind"], "rollback");
        ids.push(body["id"].as_i64().unwrap());
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ended(app, ids[0]).await.state, DeploymentState::Succeeded);
    assert_eq!(target.deployed("dev").as_deref(), Some("1.0.0"));
    // Unknown environment, bad key: problem details, never 500.
    let res = client
        .post(app.url("/api/v1/projects/shop/environments/nowhere/rollback"))
        .bearer_auth(&sre)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = client
        .post(&path)
        .bearer_auth(&sre)
        .header("idempotency-key", "")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

on_both_databases!(
    a_promotion_runs_the_command_adapter_and_the_checks_then_the_release_arrives,
    a_failed_check_rolls_back_automatically_and_holds_the_broken_version,
    a_manual_rollback_puts_the_last_verified_version_back_and_audits_it,
    checks_fail_closed,
    adapter_failures_fail_the_deployment_with_the_reason,
    twenty_simultaneous_promotions_make_one_deployment,
    the_api_rolls_back_with_a_token_and_an_idempotency_key,
);

/// The demo (`--seed-demo`) shows the whole product: a connected
/// repository proposing the next version, a release waiting for sign-off
/// with one approval, environments that deploy through the command adapter
/// with checks against the demo's own endpoint, and a broken build that
/// rolls back by itself.
async fn the_demo_signs_off_promotes_and_rolls_back_a_broken_build(app: &TestApp) {
    let users = slipway_services::demo::seed(&app.services, &app.base, Some("demo password 42"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(users.len(), 7);
    // Seeding again changes nothing.
    assert!(slipway_services::demo::seed(&app.services, &app.base, None)
        .await
        .unwrap()
        .is_none());
    let principal = |name: &str| {
        let services = app.services.clone();
        let name = name.to_owned();
        async move {
            let accounts = services.accounts();
            let session = accounts
                .login(&name, "demo password 42", None)
                .await
                .unwrap();
            accounts.principal(session).await.unwrap().unwrap()
        }
    };
    let (paula, eddie, sam) = (
        principal("paula").await,
        principal("eddie").await,
        principal("sam").await,
    );
    let releases = app.services.releases();
    let status = releases.status(&paula, "demo").await.unwrap();
    let running: Vec<_> = status
        .environments
        .iter()
        .map(|e| e.current.as_ref().map(|c| c.version.clone()))
        .collect();
    assert_eq!(
        running,
        [
            Some("1.2.0".into()),
            Some("1.1.0".into()),
            Some("1.1.0".into())
        ]
    );
    // The release waiting for the product owner, with the tech lead's approval.
    let waiting = releases.waiting_for(&paula).await.unwrap();
    let item = waiting
        .iter()
        .find(|w| w.version == "1.2.0")
        .expect("1.2.0 waits for paula");
    let v = releases.get(&paula, "demo", item.release_id).await.unwrap();
    assert_eq!(v.decisions.len(), 1);
    // What it changes in staging, in words, from the commits since 1.1.0.
    let w = releases.what_changes(&paula, "demo", v.id).await.unwrap();
    assert_eq!(
        (w.environment.as_str(), w.running.as_deref()),
        ("staging", Some("1.1.0"))
    );
    assert!(w.unknown.is_none(), "{w:?}");
    let texts = |l: &[slipway_domain::deployment::view::ChangeLine]| {
        l.iter().map(|c| c.text.clone()).collect::<Vec<_>>()
    };
    assert_eq!(texts(&w.features), ["checkout: coupons at checkout"]);
    assert_eq!(
        texts(&w.fixes),
        ["cart: keep the cart when the session expires"]
    );
    assert_eq!(w.performance.len(), 1);
    assert_eq!(w.other, 1, "the docs commit");
    assert_eq!(w.issues, ["DEMO-12", "DEMO-15"]);
    // And the configuration that differs from dev (no finding: the log
    // level need not match).
    let log = w
        .config
        .iter()
        .find(|d| d.key.as_str() == "LOG_LEVEL")
        .unwrap();
    assert!(!log.finding, "{log:?}");
    // Production runs 1.1.0 too; staging's next step would skip nothing.
    assert!(w.skipped.is_empty());
    assert!(
        v.notes_html.contains("coupon"),
        "the notes were drafted: {}",
        v.notes_html
    );
    app.services
        .releases()
        .decide(
            &paula,
            "demo",
            v.id,
            &crate::helpers::decision(
                slipway_domain::approval::Decision::Approve,
                "",
                &v.artifact,
                v.notes_revision,
            ),
        )
        .await
        .unwrap();
    let p = releases
        .promote_into(&eddie, "demo", v.id, Some("staging"), None, None)
        .await
        .unwrap();
    let d = ended(app, p.deployment_id).await;
    assert_eq!(d.state, DeploymentState::Succeeded, "{d:?}");
    assert!(d.checks[0].passed);
    assert_eq!(
        releases.status(&paula, "demo").await.unwrap().environments[1]
            .current
            .as_ref()
            .map(|c| c.version.as_str()),
        Some("1.2.0")
    );
    // On to production: the product owner and the SRE approve; the
    // configuration drift holds it until someone fixes it.
    for by in [&paula, &sam] {
        releases
            .decide(
                by,
                "demo",
                v.id,
                &crate::helpers::decision(
                    slipway_domain::approval::Decision::Approve,
                    "",
                    &v.artifact,
                    v.notes_revision,
                ),
            )
            .await
            .unwrap();
    }
    let refused = releases
        .promote_into(&eddie, "demo", v.id, Some("prod"), None, None)
        .await
        .unwrap_err();
    let reasons = format!("{refused:?}");
    assert!(
        reasons.contains("Configuration differs between staging and prod")
            && reasons.contains("PAYMENT_TIMEOUT_MS"),
        "{reasons}"
    );
    let admin = app.admin_principal().await;
    let drift = app.services.config_drift();
    let mut prod = slipway_domain::config_drift::ConfigForm::from_config(
        &drift.environment(&admin, "demo", "prod").await.unwrap(),
    );
    for row in &mut prod.rows {
        if row.key == "PAYMENT_TIMEOUT_MS" {
            row.value = "3000".into();
        }
    }
    prod.rows.push(slipway_domain::config_drift::ConfigRowForm {
        key: "FEATURE_COUPONS".into(),
        value: "on".into(),
        secret: false,
    });
    drift
        .update_environment(&admin, "demo", "prod", &prod)
        .await
        .unwrap();
    assert_eq!(
        drift
            .page(&paula, "demo")
            .await
            .unwrap()
            .report
            .finding_count(),
        0
    );
    let p = releases
        .promote_into(&eddie, "demo", v.id, Some("prod"), None, None)
        .await
        .unwrap();
    // Production rolls out in two steps and pauses after the first.
    let began = Instant::now();
    loop {
        let (_, d) = app
            .services
            .deployments()
            .by_id(&eddie, p.deployment_id)
            .await
            .unwrap();
        if d.rollout.as_ref().is_some_and(|r| r.paused) {
            break;
        }
        assert!(!d.state.is_finished(), "{d:?}");
        assert!(began.elapsed() < Duration::from_secs(30), "{d:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.services
        .deployments()
        .resume(&eddie, "demo", "prod", p.deployment_id)
        .await
        .unwrap();
    let d = ended(app, p.deployment_id).await;
    assert_eq!(d.state, DeploymentState::Succeeded, "{d:?}");
    assert_eq!(
        releases.status(&paula, "demo").await.unwrap().environments[2]
            .current
            .as_ref()
            .map(|c| c.version.as_str()),
        Some("1.2.0")
    );
    // The broken build: its checks fail, dev rolls back to 1.2.0 by itself.
    let broken = releases
        .list(&eddie, "demo")
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.version.contains("broken"))
        .unwrap();
    let p = releases
        .promote_into(&eddie, "demo", broken.id, Some("dev"), None, None)
        .await
        .unwrap();
    let d = ended(app, p.deployment_id).await;
    assert_eq!(d.state, DeploymentState::RolledBack, "{d:?}");
    let page = app
        .services
        .deployments()
        .environment_page(&sam, "demo", "dev")
        .await
        .unwrap();
    let rollback = page.history.iter().find(|h| h.automatic).unwrap().id;
    assert_eq!(ended(app, rollback).await.state, DeploymentState::Succeeded);
    assert_eq!(
        releases.status(&sam, "demo").await.unwrap().environments[0]
            .current
            .as_ref()
            .map(|c| c.version.as_str()),
        Some("1.2.0")
    );
}

on_both_databases!(the_demo_signs_off_promotes_and_rolls_back_a_broken_build);

/// Stored deploy settings are shown in text areas: the server-rendered page
/// escapes them, so an argument cannot close the text area and add markup.
async fn stored_arguments_cannot_break_out_of_their_text_area(app: &TestApp) {
    let p = shop_as_admin(app).await;
    let script = "</textarea><script>alert(1)</script>";
    let form = DeploySettingsForm {
        adapter: "command".into(),
        program: "/bin/echo".into(),
        args: script.into(),
        timeout_s: "10".into(),
        ..Default::default()
    };
    app.services
        .deployments()
        .update_settings(&p, "shop", "dev", &form)
        .await
        .unwrap();
    let client = app.admin().await;
    let res = app.get(&client, "/projects/shop/environments/dev").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"data-test="deploy-args""#), "{html}");
    assert!(!html.contains(script), "the argument was not escaped");
    assert!(html.contains("&lt;/textarea&gt;&lt;script&gt;"), "{html}");
}

on_both_databases!(stored_arguments_cannot_break_out_of_their_text_area);

/// The permission matrix over the deployment server functions: every
/// role on the project, a stakeholder of another project, and anonymous.
/// Refusals are 401 (anonymous), 404 (cannot see the project) or 403, and
/// change nothing; everyone else gets past the permission check (the call
/// may still be refused for what it asks, e.g. nothing to cancel).
async fn deployment_server_functions_check_permission_for_every_role(app: &TestApp) {
    use reqwest::StatusCode;
    let (erin, _, rick) = shop(app).await;
    let admin = app.admin().await;
    app.create_project(&admin, "Other", "other").await;
    // Two landings in dev (record only), so a rollback has a target, and a
    // hold to release.
    for (n, v) in [(1, "1.0.0"), (2, "1.1.0")] {
        let id = submitted(app, &erin, v, &digest(60 + n)).await;
        app.services
            .releases()
            .promote_into(&erin, "shop", id, None, None, None)
            .await
            .unwrap();
    }
    let sam = app.principal("sam").await;
    let d = app
        .services
        .deployments()
        .rollback(&sam, "shop", "dev", "matrix", None)
        .await
        .unwrap();
    ended(app, d.id).await;
    let hold = app
        .services
        .deployments()
        .environment_page(&rick, "shop", "dev")
        .await
        .unwrap()
        .holds[0]
        .id
        .to_string();
    let d_id = d.id.to_string();
    let mut who: Vec<(String, Option<reqwest::Client>)> = vec![("anonymous".into(), None)];
    for role in [
        "admin",
        "release_manager",
        "tech_lead",
        "product_owner",
        "sre",
        "engineer",
        "support",
        "stakeholder",
    ] {
        let name = format!("m_{role}");
        let project = (role != "admin").then_some("shop");
        app.user_with_role(&name, role, project).await;
        who.push((
            role.to_owned(),
            Some(app.login(&name, crate::helpers::USER_PASSWORD).await),
        ));
    }
    app.user_with_role("m_outsider", "stakeholder", Some("other"))
        .await;
    who.push((
        "outsider".into(),
        Some(app.login("m_outsider", crate::helpers::USER_PASSWORD).await),
    ));
    let base = [("slug", "shop"), ("env", "dev")];
    // (server function, its fields besides slug and env, who may call it)
    type Call<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [&'a str]);
    let calls: Vec<Call<'_>> = vec![
        (
            "deployments/settings",
            vec![("settings[adapter]", "record")],
            &["admin", "release_manager"],
        ),
        (
            "deployments/rollback",
            vec![("reason", "matrix")],
            &["admin", "release_manager", "sre"],
        ),
        (
            "deployments/checks",
            vec![],
            &["admin", "release_manager", "sre", "engineer"],
        ),
        (
            "deployments/cancel",
            vec![("id", d_id.as_str())],
            &["admin", "release_manager", "sre", "engineer"],
        ),
        (
            "deployments/release-hold",
            vec![("hold", hold.as_str()), ("reason", "short")],
            &["admin", "release_manager", "sre"],
        ),
    ];
    for (endpoint, extra, allowed) in &calls {
        for (role, client) in &who {
            let before = app.audit_count().await;
            let mut form: Vec<(&str, &str)> = base.to_vec();
            form.extend(extra.iter().copied());
            let anonymous = app.client();
            let res = app
                .post(
                    client.as_ref().unwrap_or(&anonymous),
                    &format!("/api/{endpoint}"),
                    &form,
                )
                .await;
            let status = res.status();
            let body = res.text().await.unwrap_or_default();
            if allowed.contains(&role.as_str()) {
                assert!(
                    ![
                        StatusCode::UNAUTHORIZED,
                        StatusCode::FORBIDDEN,
                        StatusCode::NOT_FOUND
                    ]
                    .contains(&status),
                    "{role} {endpoint}: refused with {status}: {body}"
                );
            } else {
                let want = match role.as_str() {
                    "anonymous" => StatusCode::UNAUTHORIZED,
                    "outsider" => StatusCode::NOT_FOUND,
                    _ => StatusCode::FORBIDDEN,
                };
                assert_eq!(status, want, "{role} {endpoint}: {body}");
                assert_eq!(
                    app.audit_count().await,
                    before,
                    "{role} {endpoint}: a refusal changed something"
                );
            }
        }
    }
}

on_both_databases!(deployment_server_functions_check_permission_for_every_role);
