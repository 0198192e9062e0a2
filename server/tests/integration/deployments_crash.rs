//! Deployments survive SIGKILL. A real `slipway serve` process runs the
//! deployments; the test kills it (SIGKILL) while a deployment is queued,
//! while its command adapter runs, while its checks run, and while a
//! progressive rollout is paused, starts it again, and expects every
//! deployment to end in a consistent, visible state within 30 s:
//! interrupted adapters fail with the reason (a command cannot be asked how
//! far it got), queued ones start, checks run again, a paused rollout stays
//! paused until Resume.
//!
//! And several instances share the work: two Slipway servers on one
//! PostgreSQL database, twenty promotions of one release through both APIs
//! at once: one deployment, run once.

use crate::deployments::{deploy_form, ended, Target};
use crate::helpers::{release_input, Db, TestApp};
use slipway_domain::deployment::check::CheckForm;
use slipway_domain::deployment::DeploymentState;
use slipway_domain::Principal;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `slipway serve` process on the test app's data (its in-process server
/// is stopped first, so only this process runs deployments).
struct Process {
    child: Child,
}

impl Process {
    fn start(app: &TestApp) -> Process {
        let site = app.data_dir.join("site");
        std::fs::create_dir_all(&site).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_slipway"));
        cmd.args(["serve", "--addr", "127.0.0.1:0"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SLIPWAY_DATA_DIR", &app.data_dir)
            .env("SLIPWAY_SITE_ROOT", &site)
            .env("SLIPWAY_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(url) = &app.database_url {
            cmd.env("SLIPWAY_DATABASE_URL", url);
        }
        Process {
            child: cmd.spawn().unwrap(),
        }
    }

    /// SIGKILL: no shutdown, no cleanup, leases left as they were.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn setup(app: &mut TestApp) -> Principal {
    let p = crate::deployments::shop_as_admin(app).await;
    // From here on, only the separate process runs deployments.
    if let Some(running) = app.running.take() {
        running.stop().await.unwrap();
    }
    p
}

async fn promote(app: &TestApp, p: &Principal, version: &str, n: u32) -> i64 {
    let artifact = format!("sha256:{n:064x}");
    crate::deployments::promote_new(app, p, "shop", version, &artifact).await
}

async fn state(app: &TestApp, id: i64) -> DeploymentState {
    let admin = app.admin_principal().await;
    app.services
        .deployments()
        .by_id(&admin, id)
        .await
        .unwrap()
        .1
        .state
}

async fn wait_for(app: &TestApp, id: i64, want: DeploymentState) {
    let began = Instant::now();
    while state(app, id).await != want {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "deployment {id} never became {want:?} (is {:?})",
            state(app, id).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn deployments_end_consistently_after_sigkill_in_every_state(app: &mut TestApp) {
    let p = setup(app).await;
    let target = Target::start().await;
    let deployments = app.services.deployments();
    // 1. Killed while the adapter runs (and a second one waits, queued).
    deployments
        .update_settings(
            &p,
            "shop",
            "dev",
            &deploy_form(target.dir.path(), "sleep 5", vec![], false),
        )
        .await
        .unwrap();
    let server = Process::start(app);
    let running = promote(app, &p, "1.0.0", 1).await;
    wait_for(app, running, DeploymentState::Deploying).await;
    let queued = promote(app, &p, "1.1.0", 2).await;
    assert_eq!(state(app, queued).await, DeploymentState::Queued);
    server.kill();
    let killed_at = Instant::now();
    let server = Process::start(app);
    let first = ended(app, running).await;
    assert_eq!(first.state, DeploymentState::Failed, "{first:?}");
    assert!(
        first
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("Slipway stopped while the adapter was deploying"),
        "{first:?}"
    );
    let second = ended(app, queued).await;
    assert_eq!(second.state, DeploymentState::Succeeded, "{second:?}");
    assert!(killed_at.elapsed() < Duration::from_secs(30));
    assert_eq!(target.deployed("dev").as_deref(), Some("1.1.0"));
    // The interrupted release is consistent: back to approved, promotable.
    let v = app
        .services
        .releases()
        .get(&p, "shop", first.release_id)
        .await
        .unwrap();
    assert_eq!(v.state.as_str(), "approved");

    // 2. Killed while the checks run: they run again, and pass.
    let slow_check = CheckForm {
        kind: "command".into(),
        name: "slow smoke".into(),
        program: "/bin/sleep".into(),
        args: "4".into(),
        timeout_s: "20".into(),
        ..Default::default()
    };
    deployments
        .update_settings(
            &p,
            "shop",
            "dev",
            &deploy_form(target.dir.path(), "", vec![slow_check], false),
        )
        .await
        .unwrap();
    let verifying = promote(app, &p, "1.2.0", 3).await;
    wait_for(app, verifying, DeploymentState::Verifying).await;
    server.kill();
    let server = Process::start(app);
    let d = ended(app, verifying).await;
    assert_eq!(d.state, DeploymentState::Succeeded, "{d:?}");
    assert_eq!(d.checks.len(), 1);
    let v = app
        .services
        .releases()
        .get(&p, "shop", d.release_id)
        .await
        .unwrap();
    assert_eq!(
        (v.state.as_str(), v.reached_environment.as_deref()),
        ("released", Some("dev"))
    );

    // 3. Killed while one is queued and nothing else runs (the process
    // died before it picked it up).
    server.kill();
    deployments
        .update_settings(
            &p,
            "shop",
            "dev",
            &deploy_form(target.dir.path(), "", vec![], false),
        )
        .await
        .unwrap();
    let waiting = promote(app, &p, "1.3.0", 4).await;
    assert_eq!(state(app, waiting).await, DeploymentState::Queued);
    let server = Process::start(app);
    assert_eq!(ended(app, waiting).await.state, DeploymentState::Succeeded);
    assert_eq!(target.deployed("dev").as_deref(), Some("1.3.0"));

    // 4. Killed while a progressive rollout is paused between its steps: it
    // is still paused after the restart (nothing moves without Resume), and
    // Resume finishes it.
    let form = slipway_domain::deployment::adapter::DeploySettingsForm {
        rollout: "50".into(),
        pause_between_steps: true,
        ..deploy_form(target.dir.path(), "", vec![], false)
    };
    deployments
        .update_settings(&p, "shop", "dev", &form)
        .await
        .unwrap();
    let paused = promote(app, &p, "1.4.0", 5).await;
    let admin = app.admin_principal().await;
    let is_paused = || async {
        deployments
            .by_id(&admin, paused)
            .await
            .unwrap()
            .1
            .rollout
            .is_some_and(|r| r.paused)
    };
    let began = Instant::now();
    while !is_paused().await {
        assert!(began.elapsed() < Duration::from_secs(30), "never paused");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill();
    let _server = Process::start(app);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(is_paused().await, "still paused after the restart");
    assert_eq!(state(app, paused).await, DeploymentState::Verifying);
    deployments.resume(&p, "shop", "dev", paused).await.unwrap();
    assert_eq!(ended(app, paused).await.state, DeploymentState::Succeeded);
    assert_eq!(target.deployed("dev").as_deref(), Some("1.4.0"));
}

mod sigkill {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let mut app = TestApp::spawn(Db::Sqlite).await;
        deployments_end_consistently_after_sigkill_in_every_state(&mut app).await;
        app.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let mut app = TestApp::spawn(Db::Postgres).await;
        deployments_end_consistently_after_sigkill_in_every_state(&mut app).await;
        app.finish().await;
    }
}

/// Two instances on one PostgreSQL database: twenty promotions of one
/// release, ten through each instance's API, make one deployment, and its
/// adapter runs once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres_run_one_deployment_once() {
    let app = TestApp::spawn(Db::Postgres).await;
    let p = crate::deployments::shop_as_admin(&app).await;
    let target = Target::start().await;
    let count = target.dir.path().join("runs");
    let extra = format!("echo run >> '{}'; sleep 1", count.display());
    app.services
        .deployments()
        .update_settings(
            &p,
            "shop",
            "dev",
            &deploy_form(target.dir.path(), &extra, vec![], false),
        )
        .await
        .unwrap();
    // The second instance: its own server and runner on the same database.
    let mut settings =
        crate::helpers::test_settings(&tempfile::tempdir().unwrap(), app.database_url.clone());
    settings.data_dir = app.data_dir.clone();
    let services2 = slipway_server::prepare(&settings, false).await.unwrap();
    let second = slipway_server::start(&settings, services2.clone())
        .await
        .unwrap();
    let bases = [app.base.clone(), format!("http://{}", second.addr)];

    let releases = app.services.releases();
    let id = releases
        .create(
            &p,
            "shop",
            &release_input("5.0.0", &format!("sha256:{:064x}", 50)),
        )
        .await
        .unwrap();
    releases.submit(&p, "shop", id).await.unwrap();
    let token = app.service_token("shop", "promote").await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let url = format!("{}/api/v1/releases/{id}/promote", bases[i % 2]);
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let page = app
        .services
        .deployments()
        .environment_page(&p, "shop", "dev")
        .await
        .unwrap();
    assert_eq!(page.history.len(), 1);
    let d = ended(&app, page.history[0].id).await;
    assert_eq!(d.state, DeploymentState::Succeeded);
    // Give a wrongly duplicated run time to show itself.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        std::fs::read_to_string(&count).unwrap(),
        "run\n",
        "the adapter ran more than once"
    );
    second.stop().await.unwrap();
    services2.store.close().await;
    app.finish().await;
}
