//! The webhook adapter against a real receiver started here: a Python
//! program that verifies each delivery's Standard Webhooks signature with
//! the `standardwebhooks` package (an independent implementation), refuses
//! the first delivery of each id (Slipway must retry with the same
//! `webhook-id`), then calls back with the deployment's token. Also: a
//! receiver that reports failure, one that never answers, one that is
//! down, and callbacks that are forged or malformed.

use crate::deployments::{ended, Target};
use crate::helpers::{python_module, Db, TestApp};
use serde_json::Value;
use slipway_domain::deployment::adapter::DeploySettingsForm;
use slipway_domain::deployment::DeploymentState;
use slipway_domain::Principal;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const NEW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OLD_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

struct Receiver {
    child: Child,
    url: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Receiver {
    /// `secret`: the one the receiver verifies with (Slipway signs with both).
    fn start(secret: &str, mode: &str) -> Receiver {
        python_module("standardwebhooks", "standardwebhooks");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("deliveries.jsonl");
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/integration/webhook_receiver.py"
        );
        let mut child = Command::new("python3")
            .args([script, secret, mode, log.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().unwrap();
        Receiver {
            child,
            url: format!("http://127.0.0.1:{port}/hooks"),
            log,
            _dir: dir,
        }
    }

    fn deliveries(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn app_with_secrets(db: Db) -> TestApp {
    TestApp::spawn_with(db, |s| {
        s.webhook_secrets.insert(
            "deploys".into(),
            vec![
                secrecy::SecretString::from(NEW_SECRET),
                secrecy::SecretString::from(OLD_SECRET),
            ],
        );
    })
    .await
}

fn webhook(url: &str, timeout: &str) -> DeploySettingsForm {
    DeploySettingsForm {
        adapter: "webhook".into(),
        webhook_url: url.into(),
        webhook_secret: "deploys".into(),
        timeout_s: timeout.into(),
        ..Default::default()
    }
}

async fn promote(app: &TestApp, p: &Principal, version: &str, n: u32) -> i64 {
    let artifact = format!("registry.example.com/shop@sha256:{n:064x}");
    crate::deployments::promote_new(app, p, "shop", version, &artifact).await
}

async fn webhooks_are_signed_retried_with_the_same_id_and_reported_back(app: &TestApp) {
    let p = crate::deployments::shop_as_admin(app).await;
    // The receiver knows only the old secret: rotation keeps it working.
    let receiver = Receiver::start(OLD_SECRET, "ok");
    app.services
        .deployments()
        .update_settings(&p, "shop", "dev", &webhook(&receiver.url, "60"))
        .await
        .unwrap();
    let id = promote(app, &p, "1.0.0", 1).await;
    let d = ended(app, id).await;
    assert_eq!(d.state, DeploymentState::Succeeded, "{d:?}");
    let deliveries = receiver.deliveries();
    assert_eq!(
        deliveries.len(),
        2,
        "refused once, retried once: {deliveries:?}"
    );
    assert!(
        deliveries.iter().all(|d| d["verified"] == true),
        "{deliveries:?}"
    );
    assert_eq!(
        deliveries[0]["id"], deliveries[1]["id"],
        "a retry keeps its webhook-id"
    );
    assert_eq!(deliveries[0]["id"], format!("msg_slipway_deployment_{id}"));
    let data = &deliveries[1]["payload"]["data"];
    assert_eq!(data["digest"], format!("sha256:{:064x}", 1));
    assert_eq!(data["environment"], "dev");
    assert_eq!(data["version"], "1.0.0");
    assert_eq!(data["rollback"], false);
    let out = app
        .services
        .deployments()
        .output_since(id, 0)
        .await
        .unwrap()
        .unwrap()
        .0;
    assert!(out.contains("answered 500"), "{out}");
    assert!(
        out.contains("[receiver: running] rolling out to 3 pods"),
        "{out}"
    );
    assert!(
        out.contains("[receiver: succeeded] 3/3 pods ready"),
        "{out}"
    );
    assert!(
        !out.contains("slwd_"),
        "the callback token stays out of the output"
    );
    // A second release: a new webhook-id.
    let second = promote(app, &p, "1.1.0", 2).await;
    assert_eq!(ended(app, second).await.state, DeploymentState::Succeeded);
    let ids: std::collections::BTreeSet<String> = receiver
        .deliveries()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
}

async fn a_receiver_that_fails_never_answers_or_is_down_fails_the_deployment(app: &TestApp) {
    let p = crate::deployments::shop_as_admin(app).await;
    let deployments = app.services.deployments();
    for (n, (mode, timeout, why)) in [
        (
            "fail",
            "30",
            "the receiver reported a failure: pods crash-looping",
        ),
        ("silent", "4", "did not report a result within 4 s"),
        ("down", "8", "not accepted within 8 s"),
    ]
    .into_iter()
    .enumerate()
    {
        let receiver = Receiver::start(NEW_SECRET, mode);
        deployments
            .update_settings(&p, "shop", "dev", &webhook(&receiver.url, timeout))
            .await
            .unwrap();
        let id = promote(app, &p, &format!("2.{n}.0"), 10 + n as u32).await;
        let d = ended(app, id).await;
        assert_eq!(d.state, DeploymentState::Failed, "{mode}: {d:?}");
        assert!(
            d.error.as_deref().unwrap_or_default().contains(why),
            "{mode}: {d:?}"
        );
    }
    // An unknown secret name fails at once, saying so.
    deployments
        .update_settings(
            &p,
            "shop",
            "dev",
            &DeploySettingsForm {
                webhook_secret: "nope".into(),
                ..webhook("http://127.0.0.1:9/", "30")
            },
        )
        .await
        .unwrap();
    let id = promote(app, &p, "3.0.0", 30).await;
    let d = ended(app, id).await;
    assert!(
        d.error
            .as_deref()
            .unwrap_or_default()
            .contains("not in Slipway's configuration"),
        "{d:?}"
    );
}

async fn forged_and_malformed_callbacks_are_refused(app: &TestApp) {
    let p = crate::deployments::shop_as_admin(app).await;
    let target = Target::start().await;
    // A receiver that never reports: the deployment waits while we knock.
    let receiver = Receiver::start(NEW_SECRET, "silent");
    app.services
        .deployments()
        .update_settings(&p, "shop", "dev", &webhook(&receiver.url, "30"))
        .await
        .unwrap();
    let id = promote(app, &p, "4.0.0", 40).await;
    // Wait until it is deploying (delivered).
    let began = std::time::Instant::now();
    while receiver.deliveries().len() < 2 {
        assert!(began.elapsed().as_secs() < 20);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let token = receiver.deliveries()[1]["payload"]["callback"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = app.url(&format!("/api/v1/deployments/{id}/status"));
    let client = app.api();
    let post = |auth: Option<String>, body: String| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let mut req = client
                .post(url)
                .header("content-type", "application/json")
                .body(body);
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            req.send().await.unwrap().status().as_u16()
        }
    };
    let ok_body = r#"{"state":"running","message":"halfway"}"#.to_owned();
    assert_eq!(post(None, ok_body.clone()).await, 401);
    assert_eq!(
        post(Some("Bearer slwd_0000".into()), ok_body.clone()).await,
        401
    );
    // A service API token is not a callback token.
    let api_token = app.service_token("shop", "promote").await;
    assert_eq!(
        post(Some(format!("Bearer {api_token}")), ok_body.clone()).await,
        401
    );
    // Another deployment's id with this token.
    let other = app.url(&format!("/api/v1/deployments/{}/status", id + 1000));
    let res = client
        .post(other)
        .bearer_auth(&token)
        .json(&serde_json::json!({"state": "succeeded"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let bearer = Some(format!("Bearer {token}"));
    assert_eq!(
        post(bearer.clone(), r#"{"state":"done"}"#.into()).await,
        422
    );
    assert_eq!(
        post(bearer.clone(), r#"{"state":"running","extra":1}"#.into()).await,
        422
    );
    assert_eq!(post(bearer.clone(), "not json".into()).await, 400);
    assert_eq!(
        post(
            bearer.clone(),
            format!(r#"{{"state":"running","message":"{}"}}"#, "x".repeat(5000))
        )
        .await,
        422
    );
    // Nothing of that changed the deployment; the real report ends it.
    assert_eq!(
        post(
            bearer.clone(),
            r#"{"state":"succeeded","message":"done"}"#.into()
        )
        .await,
        202
    );
    assert_eq!(ended(app, id).await.state, DeploymentState::Succeeded);
    // After the end: 409.
    assert_eq!(post(bearer, ok_body).await, 409);
    drop(target);
}

macro_rules! webhook_tests {
    ($($name:ident),*) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = app_with_secrets(Db::Sqlite).await;
                super::$name(&app).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = app_with_secrets(Db::Postgres).await;
                super::$name(&app).await;
                app.finish().await;
            }
        }
    )*};
}

webhook_tests!(
    webhooks_are_signed_retried_with_the_same_id_and_reported_back,
    a_receiver_that_fails_never_answers_or_is_down_fails_the_deployment,
    forged_and_malformed_callbacks_are_refused
);
