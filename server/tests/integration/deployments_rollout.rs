//! Progressive rollout, on SQLite and PostgreSQL, with the real command
//! adapter and HTTP checks of `deployments.rs`: each step's weight reaches
//! the adapter, the checks run after every step, a rollout pauses between
//! steps (by setting or on request) until Resume, Abort rolls back to the
//! last verified version, a failed step rolls back by itself, and the API
//! drives the same actions with a token.

use crate::deployments::{deploy_form, ended, health_check, shop_as_admin, Target};
use crate::helpers::TestApp;
use crate::on_both_databases;
use serde_json::Value;
use slipway_domain::deployment::adapter::DeploySettingsForm;
use slipway_domain::deployment::view::DeploymentView;
use slipway_domain::deployment::DeploymentState;
use slipway_domain::Principal;
use slipway_services::ServiceError;
use std::time::{Duration, Instant};

/// The command adapter of `deployments.rs`, also appending each step's
/// `$SLIPWAY_WEIGHT` to `weights-<env>`, with `rollout` steps.
fn rollout_form(target: &Target, rollout: &str, pause: bool, extra: &str) -> DeploySettingsForm {
    let weights = format!(
        "echo \"$SLIPWAY_WEIGHT\" >> '{}/weights-'\"$SLIPWAY_ENVIRONMENT\"",
        target.dir.path().display()
    );
    let extra = if extra.is_empty() {
        weights
    } else {
        format!("{weights}; {extra}")
    };
    DeploySettingsForm {
        rollout: rollout.into(),
        pause_between_steps: pause,
        ..deploy_form(
            target.dir.path(),
            &extra,
            vec![health_check(target, "dev", "10", "3")],
            true,
        )
    }
}

/// Project `shop` as the admin, whose dev deploys with [`rollout_form`].
async fn rolling_out(
    app: &TestApp,
    rollout: &str,
    pause: bool,
    extra: &str,
) -> (Principal, Target) {
    let p = shop_as_admin(app).await;
    let target = Target::start().await;
    app.services
        .deployments()
        .update_settings(
            &p,
            "shop",
            "dev",
            &rollout_form(&target, rollout, pause, extra),
        )
        .await
        .unwrap();
    (p, target)
}

fn weights(target: &Target) -> Vec<String> {
    target
        .deployed("weights-dev")
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

async fn promote(app: &TestApp, p: &Principal, version: &str, n: u32) -> i64 {
    let artifact = format!("registry.example.com/shop/api@sha256:{n:064x}");
    crate::deployments::promote_new(app, p, "shop", version, &artifact).await
}

async fn find(app: &TestApp, id: i64) -> DeploymentView {
    let admin = app.admin_principal().await;
    app.services
        .deployments()
        .by_id(&admin, id)
        .await
        .unwrap()
        .1
}

/// Waits until deployment `id` is paused between steps (at most 30 s).
async fn paused(app: &TestApp, id: i64) -> DeploymentView {
    let began = Instant::now();
    loop {
        let d = find(app, id).await;
        if d.rollout.as_ref().is_some_and(|r| r.paused) {
            return d;
        }
        assert!(!d.state.is_finished(), "ended instead of pausing: {d:?}");
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "deployment {id} did not pause: {d:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn each_step_gets_its_weight_and_passes_its_checks_before_the_next(app: &TestApp) {
    let (p, target) = rolling_out(app, "10, 50", false, "").await;
    let id = promote(app, &p, "1.0.0", 1).await;
    let d = ended(app, id).await;
    assert_eq!(d.state, DeploymentState::Succeeded, "{d:?}");
    assert_eq!(weights(&target), ["10", "50", "100"]);
    let output = app
        .services
        .deployments()
        .output_since(id, 0)
        .await
        .unwrap()
        .unwrap()
        .0;
    for line in [
        "Step 1 of 3: 10% of traffic",
        "Step 1 of 3 (10% of traffic) passed its checks.",
        "Step 2 of 3 (50% of traffic) passed its checks.",
        "Step 3 of 3: 100% of traffic",
    ] {
        assert!(output.contains(line), "{line}: {output}");
    }
    let rollout = d.rollout.unwrap();
    assert_eq!((rollout.steps, rollout.step), (vec![10, 50, 100], 2));
}

async fn a_paused_rollout_waits_for_resume_and_abort_rolls_back(app: &TestApp) {
    let (p, target) = rolling_out(app, "10", true, "").await;
    let deployments = app.services.deployments();

    let first = promote(app, &p, "1.0.0", 1).await;
    let d = paused(app, first).await;
    assert_eq!(d.state, DeploymentState::Verifying);
    assert_eq!(weights(&target), ["10"]);
    // It stays paused: nothing moves without Resume.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(weights(&target), ["10"]);
    let err = deployments
        .pause(&p, "shop", "dev", first)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err:?}");
    deployments.resume(&p, "shop", "dev", first).await.unwrap();
    assert_eq!(ended(app, first).await.state, DeploymentState::Succeeded);
    assert_eq!(weights(&target), ["10", "100"]);
    let err = deployments
        .resume(&p, "shop", "dev", first)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err:?}");

    // 1.1.0 pauses at 10%, then is aborted: 1.0.0 comes back whole.
    let second = promote(app, &p, "1.1.0", 2).await;
    paused(app, second).await;
    assert_eq!(target.deployed("dev").as_deref(), Some("1.1.0"));
    // Cancel would leave the traffic split: refused, Abort is the way.
    let err = deployments
        .cancel(&p, "shop", "dev", second)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ServiceError::Conflict(m) if m.contains("Abort it to roll back")),
        "{err:?}"
    );
    // A promotion queued behind it waits for the abort's rollback too.
    let queued = promote(app, &p, "1.2.0", 3).await;
    deployments
        .abort(&p, "shop", "dev", second, "errors went up at 10%")
        .await
        .unwrap();
    let d = ended(app, second).await;
    assert_eq!(d.state, DeploymentState::RolledBack, "{d:?}");
    assert!(
        d.error
            .unwrap_or_default()
            .contains("aborted at step 1 of 2 (10% of traffic)"),
        "{first}"
    );
    let page = deployments
        .environment_page(&p, "shop", "dev")
        .await
        .unwrap();
    let rollback = page
        .history
        .iter()
        .find(|h| h.kind == slipway_domain::deployment::DeploymentKind::Rollback)
        .unwrap()
        .clone();
    let rollback = ended(app, rollback.id).await;
    assert_eq!(rollback.state, DeploymentState::Succeeded, "{rollback:?}");
    assert_eq!(rollback.version, "1.0.0");
    // A rollback is never progressive: all traffic at once.
    assert!(rollback.rollout.is_none());
    // The rollback ran before the queued promotion, which then rolls out.
    let queued = paused(app, queued).await;
    assert!(
        queued.started_at.clone().unwrap_or_default()
            >= rollback.finished_at.clone().unwrap_or_default(),
        "{queued:?} {rollback:?}"
    );
    assert_eq!(weights(&target), ["10", "100", "10", "100", "10"]);
    deployments
        .abort(&p, "shop", "dev", queued.id, "")
        .await
        .unwrap();
    ended(app, queued.id).await;
    let page = deployments
        .environment_page(&p, "shop", "dev")
        .await
        .unwrap();
    assert!(
        page.holds.iter().any(|h| h.version == "1.1.0"),
        "{:?}",
        page.holds
    );
    // The audit log names who paused, resumed and aborted.
    let events = app.audit_actions().await;
    for action in ["deployment.resumed", "deployment.aborted"] {
        assert!(events.iter().any(|a| a == action), "{action}: {events:?}");
    }
}

async fn pause_asked_during_a_step_takes_effect_after_its_checks(app: &TestApp) {
    // Each step takes a second, so Pause arrives while step 1 deploys.
    let (p, target) = rolling_out(app, "10, 50", false, "sleep 1").await;
    let deployments = app.services.deployments();
    let id = promote(app, &p, "1.0.0", 1).await;
    let d = deployments.pause(&p, "shop", "dev", id).await.unwrap();
    assert!(d.rollout.unwrap().pause_requested);
    let d = paused(app, id).await;
    let rollout = d.rollout.unwrap();
    assert_eq!((rollout.step, rollout.pause_requested), (0, false));
    assert_eq!(weights(&target), ["10"]);

    // The API resumes it with a token that may promote; it goes on to the
    // end without pausing again.
    let ci = app.service_token("shop", "releases:write,promote").await;
    let res = app
        .api()
        .post(app.url(&format!("/api/v1/deployments/{id}/resume")))
        .bearer_auth(&ci)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["rollout"]["step"], 2, "{body}");
    assert_eq!(ended(app, id).await.state, DeploymentState::Succeeded);
    assert_eq!(weights(&target), ["10", "50", "100"]);
    // Aborting needs the rollback scope; it has ended anyway.
    let res = app
        .api()
        .post(app.url(&format!("/api/v1/deployments/{id}/abort")))
        .bearer_auth(&ci)
        .json(&serde_json::json!({"reason": "too late"}))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 403 | 409),
        "{}",
        res.status()
    );
}

async fn a_step_that_fails_its_checks_rolls_back_by_itself(app: &TestApp) {
    let (p, target) = rolling_out(app, "10, 50", false, "").await;
    let good = promote(app, &p, "1.0.0", 1).await;
    assert_eq!(ended(app, good).await.state, DeploymentState::Succeeded);
    let bad = promote(app, &p, "1.1.0-broken", 2).await;
    let d = ended(app, bad).await;
    assert_eq!(d.state, DeploymentState::RolledBack, "{d:?}");
    let error = d.error.unwrap_or_default();
    assert!(error.contains("(step 1 of 3, 10% of traffic)"), "{error}");
    let began = Instant::now();
    while target.deployed("dev").as_deref() != Some("1.0.0") {
        assert!(began.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Step 1 only, then the rollback at 100.
    assert_eq!(weights(&target), ["10", "50", "100", "10", "100"]);
}

async fn a_rollback_by_hand_pre_empts_what_is_under_way(app: &TestApp) {
    let (p, target) = rolling_out(app, "10", true, "").await;
    let deployments = app.services.deployments();
    let first = promote(app, &p, "1.0.0", 1).await;
    paused(app, first).await;
    deployments.resume(&p, "shop", "dev", first).await.unwrap();
    assert_eq!(ended(app, first).await.state, DeploymentState::Succeeded);

    // A paused rollout: the rollback cancels it and takes its version out.
    let second = promote(app, &p, "1.1.0", 2).await;
    paused(app, second).await;
    let page = deployments
        .environment_page(&p, "shop", "dev")
        .await
        .unwrap();
    let preview = page.rollback.clone().unwrap();
    assert_eq!(
        (preview.from_version.as_deref(), preview.to_version.as_str()),
        (Some("1.1.0"), "1.0.0")
    );
    let back = deployments
        .rollback(&p, "shop", "dev", "1.1.0 misbehaves at 10%", None)
        .await
        .unwrap();
    assert_eq!(ended(app, back.id).await.state, DeploymentState::Succeeded);
    assert_eq!(ended(app, second).await.state, DeploymentState::Cancelled);
    assert_eq!(target.deployed("dev").as_deref(), Some("1.0.0"));

    // An adapter that would run for half a minute: the rollback does not
    // wait for it.
    deployments
        .update_settings(
            &p,
            "shop",
            "dev",
            &rollout_form(
                &target,
                "",
                false,
                "[ \"$SLIPWAY_ROLLBACK\" = true ] || sleep 30",
            ),
        )
        .await
        .unwrap();
    let slow = promote(app, &p, "1.2.0", 3).await;
    let began = Instant::now();
    while find(app, slow).await.state != DeploymentState::Deploying {
        assert!(began.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let clicked = Instant::now();
    let back = deployments
        .rollback(&p, "shop", "dev", "1.2.0 hangs", None)
        .await
        .unwrap();
    assert_eq!(ended(app, back.id).await.state, DeploymentState::Succeeded);
    assert!(
        clicked.elapsed() < Duration::from_secs(10),
        "the rollback waited {:?}",
        clicked.elapsed()
    );
    assert_eq!(ended(app, slow).await.state, DeploymentState::Cancelled);
    assert_eq!(target.deployed("dev").as_deref(), Some("1.0.0"));
}

on_both_databases!(
    a_rollback_by_hand_pre_empts_what_is_under_way,
    each_step_gets_its_weight_and_passes_its_checks_before_the_next,
    a_paused_rollout_waits_for_resume_and_abort_rolls_back,
    pause_asked_during_a_step_takes_effect_after_its_checks,
    a_step_that_fails_its_checks_rolls_back_by_itself
);
