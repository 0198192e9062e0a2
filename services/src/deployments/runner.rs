//! The deployment runner: takes deployment jobs and drives each through
//! the state machine of `slipway_domain::deployment` — the adapter, then
//! the checks — recording every step as it happens.
//!
//! Several instances may run it against one database: a job is leased
//! before it is worked on and the lease is renewed every few seconds while
//! the adapter or the checks run; a runner that dies lets it lapse, and
//! whichever runner takes the job next applies `deployment::recover` to
//! the state it finds. One deployment per environment runs at a time (a
//! database constraint); the others wait, queued, in order.

use super::{acting_for, checks, command, parse_settings, request, steps_of, Stop, JOB_KIND};
use crate::audit;
use crate::jobs::Lease;
use crate::releases::lifecycle::Step;
use crate::releases::Releases;
use crate::storage::deployments::{self as store, DeploymentRow};
use crate::storage::{environments, jobs, projects, verifications};
use crate::{ServiceError, Services};
use serde_json::json;
use slipway_domain::deployment::adapter::{Adapter, DeploySettings};
use slipway_domain::deployment::rollout::{after_checks_passed, weight_at, AfterStep};
use slipway_domain::deployment::view::CheckResult;
use slipway_domain::deployment::{
    recover, AdapterInput, DeploymentKind, DeploymentState, DeploymentStep, Recovery,
};
use slipway_domain::evidence::Outcome;
use slipway_domain::release::{ReleaseState, Transition};
use slipway_domain::{AuditAction, ProjectId};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How long a lease lasts without renewal: after a crash, another runner
/// takes the job over this long after the last renewal.
pub const LEASE_MS: i64 = 10_000;
/// How often a working runner renews its lease (and looks for Cancel).
const RENEW_EVERY: Duration = Duration::from_secs(2);
/// How soon a deployment waiting for its turn looks again.
const WAIT_TURN_MS: i64 = 1_000;
/// How soon a paused rollout looks again (Resume and Abort wake it at
/// once; this bounds the wait when a wake-up came while the runner still
/// held the job).
const PAUSED_LOOK_MS: i64 = 5_000;

#[derive(Clone)]
pub struct Runner {
    services: Services,
    owner: Arc<str>,
    working: Arc<Mutex<HashSet<i64>>>,
}

impl Runner {
    pub fn new(services: Services) -> Self {
        Self {
            services,
            owner: crate::jobs::owner(),
            working: Arc::default(),
        }
    }

    /// Runs for as long as the process does: picks up due deployments
    /// (woken at once when one is asked for, and every second), each in
    /// its own task.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.start_due().await {
                tracing::warn!(error = %e, "could not look for deployments to run");
            }
            tokio::select! {
                () = self.services.deploy_wake.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Leases every due deployment job it can and starts driving each.
    pub async fn start_due(&self) -> Result<usize, ServiceError> {
        let leases = self
            .services
            .jobs()
            .take_due(JOB_KIND, &self.owner, LEASE_MS, 64, |job| {
                self.is_working(job)
            })
            .await?;
        let started = leases.len();
        for lease in leases {
            self.set_working(lease.job, true);
            let runner = self.clone();
            tokio::spawn(async move {
                let job = lease.job;
                let deployment = lease.subject;
                if let Err(e) = runner.drive(lease).await {
                    tracing::warn!(error = %e, deployment, "deployment step failed; retried when its lease lapses");
                }
                runner.set_working(job, false);
            });
        }
        Ok(started)
    }

    fn is_working(&self, job: i64) -> bool {
        self.working
            .lock()
            .map(|w| w.contains(&job))
            .unwrap_or(false)
    }

    fn set_working(&self, job: i64, on: bool) {
        if let Ok(mut w) = self.working.lock() {
            if on {
                w.insert(job);
            } else {
                w.remove(&job);
            }
        }
    }

    /// Drives one deployment as far as it goes now. A lease taken over
    /// from a runner that stopped applies `deployment::recover` first.
    #[tracing::instrument(skip_all, fields(deployment = lease.subject))]
    async fn drive(&self, lease: Lease) -> Result<(), ServiceError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let heartbeat = self.heartbeat(lease.clone(), stop_tx);
        let mut recovering = lease.taken_over;
        let result = self.steps(&lease, &mut recovering, stop_rx).await;
        heartbeat.abort();
        result
    }

    async fn steps(
        &self,
        lease: &Lease,
        recovering: &mut bool,
        stop: watch::Receiver<bool>,
    ) -> Result<(), ServiceError> {
        let id = lease.subject;
        loop {
            let d = self.find(id).await?;
            let settings = parse_settings(&d.settings)?;
            let was_recovering = std::mem::take(recovering);
            if was_recovering && !d.state.is_finished() {
                tracing::info!(
                    state = d.state.as_str(),
                    "taking over a deployment whose runner stopped"
                );
                if let Recovery::Fail(reason) = recover(d.state, settings.adapter_resumes()) {
                    self.fail(&d, &reason, &[], false).await?;
                    continue;
                }
            }
            match d.state {
                DeploymentState::Queued => {
                    if d.cancel_requested() {
                        // Nothing was deployed: an abort is a cancel here.
                        self.cancel(&d).await?;
                        continue;
                    }
                    if !self.start(lease, &d).await? {
                        return Ok(()); // waits for its turn
                    }
                }
                DeploymentState::Deploying if d.cancel_requested() => {
                    // Cancel or Abort came before the adapter started.
                    self.stopped(&d).await?;
                }
                DeploymentState::Deploying => {
                    let steps = steps_of(&d, &settings);
                    if steps.len() > 1 {
                        self.note(
                            &d,
                            &format!(
                                "\u{2500}\u{2500} Step {} of {}: {}% of traffic \u{2500}\u{2500}",
                                d.step_index() + 1,
                                steps.len(),
                                weight_at(&steps, d.step_index())
                            ),
                        )
                        .await;
                    }
                    match self.deploy(&d, &settings.adapter, stop.clone()).await {
                        Ok(()) => self.deployed(&d).await?,
                        Err(Stop::Failed(reason)) => self.fail(&d, &reason, &[], false).await?,
                        Err(Stop::Cancelled) => self.stopped(&d).await?,
                    }
                }
                DeploymentState::Verifying if d.paused_at.is_some() => {
                    // Abort (which also asks to cancel) or a cancel, such as
                    // a rollback pre-empting the rollout.
                    if d.cancel_requested() {
                        self.stopped(&d).await?;
                        continue;
                    }
                    // Waiting for Resume (which wakes the job at once).
                    let now = self.services.clock.now_ms();
                    self.services
                        .jobs()
                        .retry_at(lease, now + PAUSED_LOOK_MS, None)
                        .await?;
                    return Ok(());
                }
                DeploymentState::Verifying => {
                    self.set_verification(&d, "running", "").await?;
                    let results = checks::run_all(&settings.checks, stop.clone()).await;
                    if *stop.borrow() && self.find(id).await?.cancel_requested() {
                        self.stopped(&d).await?;
                        continue;
                    }
                    match results.iter().find(|r| !r.passed) {
                        None => {
                            if !self.step_passed(lease, &d, &settings, &results).await? {
                                return Ok(()); // paused
                            }
                        }
                        Some(failed) => {
                            let reason = format!(
                                "check \u{201c}{}\u{201d} failed: {}",
                                failed.name, failed.detail
                            );
                            let reason = match steps_of(&d, &settings).len() {
                                n if n > 1 => format!(
                                    "{reason} (step {} of {n}, {}% of traffic)",
                                    d.step_index() + 1,
                                    weight_at(&steps_of(&d, &settings), d.step_index())
                                ),
                                _ => reason,
                            };
                            self.fail(&d, &reason, &results, false).await?;
                        }
                    }
                }
                DeploymentState::Succeeded
                | DeploymentState::Failed
                | DeploymentState::RolledBack
                | DeploymentState::Cancelled => {
                    self.services.jobs().finish(lease).await?;
                    self.wake_next(&d).await?;
                    return Ok(());
                }
            }
        }
    }

    /// Renews the lease while the deployment is worked on, and says stop
    /// when someone pressed Cancel or the lease was lost.
    fn heartbeat(&self, lease: Lease, stop: watch::Sender<bool>) -> tokio::task::JoinHandle<()> {
        let services = self.services.clone();
        tokio::spawn(async move {
            let id = lease.subject;
            loop {
                tokio::time::sleep(RENEW_EVERY).await;
                match services.jobs().renew(&lease, LEASE_MS).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(deployment = id, "lost the lease of a deployment; stopping");
                        let _ = stop.send(true);
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not renew a deployment's lease"),
                }
                let Ok(mut conn) = services.store.pool().acquire().await else {
                    continue;
                };
                if let Ok(Some(d)) = store::find(&mut conn, id).await {
                    if d.cancel_requested() {
                        let _ = stop.send(true);
                    }
                }
            }
        })
    }

    /// A step's checks passed: the deployment succeeds after its last step,
    /// else goes on to the next step or pauses before it (false: paused).
    async fn step_passed(
        &self,
        lease: &Lease,
        d: &DeploymentRow,
        settings: &DeploySettings,
        results: &[CheckResult],
    ) -> Result<bool, ServiceError> {
        let steps = steps_of(d, settings);
        let fresh = self.find(d.id).await?;
        if fresh.cancel_requested() {
            // Abort or Cancel came while the checks ran: it wins.
            self.stopped(&fresh).await?;
            return Ok(true);
        }
        let pause_requested = fresh.pause_requested != 0;
        let next = after_checks_passed(
            &steps,
            d.step_index(),
            settings.pause_between_steps,
            pause_requested,
        );
        let passed = format!(
            "Step {} of {} ({}% of traffic) passed its checks.",
            d.step_index() + 1,
            steps.len(),
            weight_at(&steps, d.step_index())
        );
        match next {
            AfterStep::Finish => {
                self.succeed(d, results).await?;
                Ok(true)
            }
            AfterStep::Next { weight, .. } => {
                let mut tx = self.services.store.begin().await?;
                store::set_checks(&mut tx, d.id, &checks_json(results)).await?;
                let advanced = store::advance(&mut tx, d.id, d.step).await?;
                tx.commit().await?;
                if advanced {
                    self.note(d, &passed).await;
                    self.changed(d).await;
                    return Ok(true);
                }
                // Someone pressed Pause, Cancel or Abort in between.
                let fresh = self.find(d.id).await?;
                if fresh.cancel_requested() {
                    self.stopped(&fresh).await?;
                    return Ok(true);
                }
                self.pause_before(lease, d, results, &passed, weight).await
            }
            AfterStep::Pause { weight, .. } => {
                self.pause_before(lease, d, results, &passed, weight).await
            }
        }
    }

    /// A step passed and the rollout waits for Resume (false: paused).
    async fn pause_before(
        &self,
        lease: &Lease,
        d: &DeploymentRow,
        results: &[CheckResult],
        passed: &str,
        weight: u8,
    ) -> Result<bool, ServiceError> {
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        store::set_checks(&mut tx, d.id, &checks_json(results)).await?;
        store::pause(&mut tx, d.id, now).await?;
        tx.commit().await?;
        self.note(
            d,
            &format!(
                "{passed} Paused before {weight}%: press Resume to go on, or Abort to roll back."
            ),
        )
        .await;
        self.services
            .jobs()
            .retry_at(lease, now + PAUSED_LOOK_MS, None)
            .await?;
        self.changed(d).await;
        Ok(false)
    }

    /// The adapter or the checks were stopped: Abort rolls back, Cancel
    /// cancels.
    async fn stopped(&self, d: &DeploymentRow) -> Result<(), ServiceError> {
        if self.find(d.id).await?.abort_requested() {
            self.abort(d).await
        } else {
            self.cancel(d).await
        }
    }

    /// Abort: the rollout fails where it stands and rolls back to the last
    /// verified version, whether or not the environment rolls back by
    /// itself.
    async fn abort(&self, d: &DeploymentRow) -> Result<(), ServiceError> {
        let settings = parse_settings(&d.settings)?;
        let steps = steps_of(d, &settings);
        let reason = format!(
            "the rollout was aborted at step {} of {} ({}% of traffic)",
            d.step_index() + 1,
            steps.len(),
            weight_at(&steps, d.step_index())
        );
        self.note(d, &format!("[aborted: {reason}]")).await;
        self.fail(d, &reason, &[], true).await
    }

    /// One line of the runner's own into the deployment's output.
    async fn note(&self, d: &DeploymentRow, line: &str) {
        let out = super::output::Output::new(&self.services, d.id);
        out.line(line);
        out.flush().await;
    }

    async fn find(&self, id: i64) -> Result<DeploymentRow, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        store::find(&mut conn, id)
            .await?
            .ok_or(ServiceError::NotFound("deployment"))
    }

    /// Queued → deploying, when the environment is free; false when it
    /// must wait (the job is given back to run again shortly).
    async fn start(&self, lease: &Lease, d: &DeploymentRow) -> Result<bool, ServiceError> {
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let ahead = store::earlier_unfinished(&mut tx, d.environment_id, d.id, d.kind).await?;
        let started = ahead == 0
            && match store::set_state(
                &mut tx,
                d.id,
                DeploymentState::Queued,
                DeploymentState::Deploying,
                now,
            )
            .await
            {
                Ok(done) => done,
                Err(e) if crate::error::is_unique_violation(&e) => false,
                Err(e) => return Err(e.into()),
            };
        if !started {
            tx.rollback().await?;
            self.services
                .jobs()
                .retry_at(lease, now + WAIT_TURN_MS, None)
                .await?;
            return Ok(false);
        }
        tx.commit().await?;
        self.changed(d).await;
        Ok(true)
    }

    /// The adapter is done: deploying → verifying.
    async fn deployed(&self, d: &DeploymentRow) -> Result<(), ServiceError> {
        let to = DeploymentState::Deploying
            .apply(DeploymentStep::Deployed)
            .map_err(ServiceError::Conflict)?;
        let now = self.services.clock.now_ms();
        let mut conn = self.services.store.pool().acquire().await?;
        store::set_state(&mut conn, d.id, DeploymentState::Deploying, to, now).await?;
        drop(conn);
        self.changed(d).await;
        Ok(())
    }

    /// Runs the adapter.
    async fn deploy(
        &self,
        d: &DeploymentRow,
        adapter: &Adapter,
        stop: watch::Receiver<bool>,
    ) -> Result<(), Stop> {
        match adapter {
            Adapter::Record => Ok(()),
            Adapter::Command(c) => {
                let input = self
                    .adapter_input(d)
                    .await
                    .map_err(|e| Stop::Failed(e.to_string()))?;
                command::run(&self.services, d.id, c, &input, stop).await
            }
            Adapter::Webhook(w) => {
                let input = self
                    .adapter_input(d)
                    .await
                    .map_err(|e| Stop::Failed(e.to_string()))?;
                super::webhook::run(&self.services, d.id, w, &input, stop).await
            }
            Adapter::Gitops(g) => {
                let input = self
                    .adapter_input(d)
                    .await
                    .map_err(|e| Stop::Failed(e.to_string()))?;
                super::gitops::run(&self.services, d.id, g, &input, stop).await
            }
        }
    }

    async fn adapter_input(&self, d: &DeploymentRow) -> Result<AdapterInput, ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let project = projects::find(&mut conn, ProjectId(d.project_id))
            .await?
            .ok_or(ServiceError::NotFound("project"))?;
        let env = environments::find(&mut conn, slipway_domain::EnvironmentId(d.environment_id))
            .await?
            .ok_or(ServiceError::NotFound("environment"))?;
        Ok(AdapterInput {
            deployment_id: d.id,
            project: project.slug,
            environment: env.name,
            release_id: d.release_id,
            version: d.version.clone(),
            artifact: d.artifact.clone(),
            digest: d.identity.clone(),
            previous_digest: d.previous_identity.clone(),
            rollback: d.kind == DeploymentKind::Rollback,
            weight: weight_at(&steps_of(d, &parse_settings(&d.settings)?), d.step_index()),
            requested_by: d.actor_name.clone(),
        })
    }

    async fn set_verification(
        &self,
        d: &DeploymentRow,
        state: &str,
        why: &str,
    ) -> Result<(), ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        let now = self.services.clock.now_ms();
        verifications::set(
            &mut conn,
            d.environment_id,
            &d.identity,
            state,
            why,
            Some(d.id),
            now,
        )
        .await?;
        Ok(())
    }

    /// Verified: the environment runs it. A promotion's release arrives
    /// there; a rollback takes the release it replaced out.
    async fn succeed(
        &self,
        d: &DeploymentRow,
        results: &[CheckResult],
    ) -> Result<(), ServiceError> {
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        if !store::set_state(
            &mut tx,
            d.id,
            DeploymentState::Verifying,
            DeploymentState::Succeeded,
            now,
        )
        .await?
        {
            return Ok(()); // someone else finished it
        }
        store::set_checks(&mut tx, d.id, &checks_json(results)).await?;
        verifications::set(
            &mut tx,
            d.environment_id,
            &d.identity,
            "passed",
            "",
            Some(d.id),
            now,
        )
        .await?;
        let actor = acting_for(d);
        let releases = self.services.releases();
        let mut l = Releases::load_by_id(&mut tx, d.release_id).await?;
        if d.kind == DeploymentKind::Promotion && l.release.state == ReleaseState::Deploying {
            let step = Step {
                transition: Transition::Complete,
                target: None,
                reached: Some(d.environment_id),
                reason: "",
            };
            releases.transition(&mut tx, &actor, &mut l, step).await?;
        }
        if d.kind == DeploymentKind::Rollback {
            self.take_out_replaced(&mut tx, d).await?;
        }
        if !results.is_empty() && l.release.artifact == d.artifact {
            let summary = format!(
                "All {} checks passed after deployment {} to {}.",
                results.len(),
                d.id,
                l.env_name(Some(d.environment_id)).unwrap_or_default()
            );
            crate::releases::evidence::record_in(
                &mut tx,
                &l,
                &actor,
                (CHECKS_EVIDENCE, Outcome::Passed, &summary, None),
                now,
            )
            .await?;
        }
        self.audit_finished(&mut tx, d, &actor, "succeeded", None)
            .await?;
        tx.commit().await?;
        self.changed(d).await;
        Ok(())
    }

    /// After a rollback succeeded: the release it replaced, if that release
    /// had arrived in this environment as its furthest, is rolled back.
    async fn take_out_replaced(
        &self,
        tx: &mut crate::storage::Tx,
        d: &DeploymentRow,
    ) -> Result<(), ServiceError> {
        let Some(replaced) = d.rollback_of else {
            return Ok(());
        };
        let Some(old) = store::find(tx, replaced).await? else {
            return Ok(());
        };
        if old.release_id == d.release_id {
            return Ok(());
        }
        let mut l = Releases::load_by_id(tx, old.release_id).await?;
        let arrived_here = l.release.reached_environment_id == Some(d.environment_id);
        if arrived_here
            && matches!(
                l.release.state,
                ReleaseState::Released | ReleaseState::Approved | ReleaseState::Candidate
            )
        {
            // Approved/candidate for the next environment: no longer.
            if l.release.state != ReleaseState::Released {
                return Ok(());
            }
            let step = Step {
                transition: Transition::RollBack,
                target: None,
                reached: Some(d.environment_id),
                reason: "replaced by a rollback",
            };
            self.services
                .releases()
                .transition(tx, &acting_for(d), &mut l, step)
                .await?;
        }
        Ok(())
    }

    /// Failed: recorded with why; a promotion's release goes back to where
    /// it stood; an environment that rolls back by itself does (and an
    /// aborted rollout always: `roll_back`).
    async fn fail(
        &self,
        d: &DeploymentRow,
        reason: &str,
        results: &[CheckResult],
        roll_back: bool,
    ) -> Result<(), ServiceError> {
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        if !store::fail(&mut tx, d.id, reason, now).await? {
            return Ok(());
        }
        store::set_checks(&mut tx, d.id, &checks_json(results)).await?;
        verifications::set(
            &mut tx,
            d.environment_id,
            &d.identity,
            "failed",
            reason,
            Some(d.id),
            now,
        )
        .await?;
        let actor = acting_for(d);
        let l = self.send_back(&mut tx, d, &actor, reason).await?;
        if l.release.artifact == d.artifact {
            let summary = format!(
                "Deployment {} to {} failed: {reason}",
                d.id,
                l.env_name(Some(d.environment_id)).unwrap_or_default()
            );
            let summary: String = summary.chars().take(500).collect();
            crate::releases::evidence::record_in(
                &mut tx,
                &l,
                &actor,
                (CHECKS_EVIDENCE, Outcome::Failed, &summary, None),
                now,
            )
            .await?;
        }
        self.audit_finished(&mut tx, d, &actor, "failed", Some(reason))
            .await?;
        let settings = parse_settings(&d.settings)?;
        if d.kind == DeploymentKind::Promotion && (settings.auto_rollback || roll_back) {
            let project = l.project.clone();
            let env = l
                .envs
                .iter()
                .find(|e| e.id == d.environment_id)
                .cloned()
                .ok_or(ServiceError::NotFound("environment"))?;
            let system = slipway_domain::Principal {
                username: "slipway".into(),
                display_name: "Slipway (automatic rollback)".into(),
                ..acting_for(d)
            };
            let request = request::RollbackRequest {
                env: &env,
                project: &project,
                automatic: Some(d),
                idempotency_key: Some(&format!("auto-rollback:{}", d.id)),
                reason,
            };
            match request::rollback_in(&self.services, &mut tx, &system, request).await {
                Ok(_) => {
                    store::set_state(
                        &mut tx,
                        d.id,
                        DeploymentState::Failed,
                        DeploymentState::RolledBack,
                        now,
                    )
                    .await?;
                }
                Err(ServiceError::Conflict(why)) => {
                    let note = format!("{reason}. Automatic rollback was not possible: {why}");
                    store::fail_note(&mut tx, d.id, &note).await?;
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        self.services.wake_deployments();
        self.changed(d).await;
        Ok(())
    }

    async fn cancel(&self, d: &DeploymentRow) -> Result<(), ServiceError> {
        let now = self.services.clock.now_ms();
        let mut tx = self.services.store.begin().await?;
        let current = store::find(&mut tx, d.id)
            .await?
            .ok_or(ServiceError::NotFound("deployment"))?;
        if current.state.is_finished()
            || !store::set_state(
                &mut tx,
                d.id,
                current.state,
                DeploymentState::Cancelled,
                now,
            )
            .await?
        {
            return Ok(());
        }
        if current.state != DeploymentState::Queued {
            // Half-deployed: not verified there, whatever it was before.
            verifications::set(
                &mut tx,
                d.environment_id,
                &d.identity,
                "failed",
                "cancelled while deploying",
                Some(d.id),
                now,
            )
            .await?;
        }
        let actor = acting_for(d);
        self.send_back(&mut tx, d, &actor, "cancelled").await?;
        self.audit_finished(&mut tx, d, &actor, "cancelled", None)
            .await?;
        tx.commit().await?;
        self.changed(d).await;
        Ok(())
    }

    /// A promotion that did not arrive: its release goes back to where it
    /// stood (`DeployFailed`), and its approvals are weighed again.
    async fn send_back(
        &self,
        tx: &mut crate::storage::Tx,
        d: &DeploymentRow,
        actor: &slipway_domain::Principal,
        reason: &str,
    ) -> Result<crate::releases::Loaded, ServiceError> {
        let releases = self.services.releases();
        let mut l = Releases::load_by_id(tx, d.release_id).await?;
        if d.kind == DeploymentKind::Promotion && l.release.state == ReleaseState::Deploying {
            let step = Step {
                transition: Transition::DeployFailed {
                    reached_before: l.release.reached_environment_id.is_some(),
                },
                target: Some(d.environment_id),
                reached: None,
                reason,
            };
            releases.transition(tx, actor, &mut l, step).await?;
            releases.reconcile(tx, actor, &mut l).await?;
        }
        Ok(l)
    }

    async fn audit_finished(
        &self,
        conn: &mut sqlx::AnyConnection,
        d: &DeploymentRow,
        actor: &slipway_domain::Principal,
        outcome: &str,
        reason: Option<&str>,
    ) -> Result<(), ServiceError> {
        let project = projects::find(&mut *conn, ProjectId(d.project_id))
            .await?
            .map(|p| p.slug)
            .unwrap_or_default();
        let env = environments::find(&mut *conn, slipway_domain::EnvironmentId(d.environment_id))
            .await?
            .map(|e| e.name)
            .unwrap_or_default();
        audit::record(
            conn,
            actor,
            AuditAction::DeploymentFinished,
            request::subject(d.id, &project, &env, ProjectId(d.project_id)),
            Some(json!({ "state": d.state.as_str() })),
            Some(json!({
                "state": outcome, "kind": d.kind.as_str(), "version": d.version,
                "artifact": d.artifact, "environment": env, "reason": reason,
            })),
            self.services.clock.now_ms(),
        )
        .await
    }

    /// The deployment ended: the next one queued in its environment may
    /// start now.
    async fn wake_next(&self, d: &DeploymentRow) -> Result<(), ServiceError> {
        let mut conn = self.services.store.pool().acquire().await?;
        // Every one waiting there: whichever goes first (rollbacks before
        // promotions) starts, the others look again.
        let waiting: Vec<i64> = store::unfinished(&mut conn, d.project_id)
            .await?
            .into_iter()
            .filter(|n| n.environment_id == d.environment_id)
            .map(|n| n.id)
            .collect();
        let now = self.services.clock.now_ms();
        for id in &waiting {
            jobs::wake(&mut conn, JOB_KIND, *id, now).await?;
        }
        if !waiting.is_empty() {
            self.services.wake_deployments();
        }
        Ok(())
    }

    async fn changed(&self, d: &DeploymentRow) {
        self.services
            .events
            .release_changed(d.project_id, d.release_id)
            .await;
    }
}

/// The evidence kind deployments record their checks under (it ticks the
/// checklist items waiting for smoke tests).
pub const CHECKS_EVIDENCE: &str = "smoke-tests";

fn checks_json(results: &[CheckResult]) -> String {
    serde_json::to_string(results).unwrap_or_else(|_| "[]".into())
}
