//! The webhook adapter: POSTs the deployment to the receiving system as
//! JSON signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`: HMAC-SHA256 over `id.timestamp.body`, once per
//! configured secret so a secret can be rotated), then waits for the
//! result.
//!
//! - Delivery is retried with back-off (1, 2, 4, 8, 16 s) on a network
//!   error or a non-2xx answer, always with the same `webhook-id`, so the
//!   receiver can drop duplicates — also when Slipway restarts and
//!   delivers again.
//! - The result comes from the receiver: it calls
//!   `POST /api/v1/deployments/{id}/status` with the deployment's own
//!   callback token (in the payload; derived from the installation key, so
//!   a restarted Slipway sends the same one and stores nothing), or Slipway
//!   polls the adapter's status URL. `succeeded` ends the adapter's part,
//!   `failed` fails the deployment with the receiver's message; no answer
//!   within the timeout fails it too.

use super::Deployments;
use super::Stop;
use crate::storage::deployments as store;
use crate::{ServiceError, Services};
use secrecy::ExposeSecret;
use serde_json::json;
use slipway_domain::deployment::adapter::WebhookAdapter;
use slipway_domain::deployment::{AdapterInput, DeploymentState};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What a callback token starts with.
pub const CALLBACK_PREFIX: &str = "slwd_";
const BACKOFF_S: [u64; 5] = [1, 2, 4, 8, 16];
const POLL_EVERY: Duration = Duration::from_millis(500);

/// Whether a configured secret can sign (`whsec_` and base64, or base64).
pub fn check_secret(secret: &str) -> Result<(), String> {
    standardwebhooks::Webhook::new(secret)
        .map(|_| ())
        .map_err(|_| {
            "a webhook secret is whsec_ followed by base64 (as Standard Webhooks tools make them)"
                .to_owned()
        })
}

/// The `webhook-id` of a deployment's delivery: the same on every attempt
/// (and after a restart); each step of a progressive rollout (told apart by
/// its weight, which rises) is a delivery of its own.
pub fn message_id(deployment: i64, weight: u8) -> String {
    if weight >= 100 {
        format!("msg_slipway_deployment_{deployment}")
    } else {
        format!("msg_slipway_deployment_{deployment}_weight_{weight}")
    }
}

impl Deployments<'_> {
    /// The callback token of a deployment: only its receiver learns it.
    pub(crate) async fn callback_token(&self, deployment: i64) -> Result<String, ServiceError> {
        let mac = self
            .services
            .api_tokens()
            .hash(&format!("deployment-callback:{deployment}"))
            .await?;
        Ok(format!("{CALLBACK_PREFIX}{mac}"))
    }

    /// What the receiving system reports about deployment `id`, with the
    /// deployment's callback token: `running` (with a progress message),
    /// `succeeded` or `failed` (with why). Only while it is deploying.
    pub async fn report(
        &self,
        id: i64,
        token: &str,
        state: &str,
        message: &str,
    ) -> Result<(), ServiceError> {
        let expected = self.callback_token(id).await?;
        let same = token.len() == expected.len()
            && token
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(ServiceError::Unauthenticated);
        }
        if !matches!(state, "running" | "succeeded" | "failed") {
            return Err(ServiceError::field(
                "state",
                "Report running, succeeded or failed.",
            ));
        }
        let message =
            slipway_domain::validation::bounded_multiline(message, "The message", 0, 2000)
                .map_err(|m| ServiceError::field("message", m))?;
        let mut conn = self.services.store.pool().acquire().await?;
        let d = store::find(&mut conn, id)
            .await?
            .ok_or(ServiceError::NotFound("deployment"))?;
        if d.state != DeploymentState::Deploying {
            return Err(ServiceError::Conflict(format!(
                "Deployment {id} is {}, not deploying: there is nothing to report.",
                d.state.label().to_lowercase()
            )));
        }
        store::set_callback(&mut conn, id, state, &message).await?;
        let line = if message.is_empty() {
            format!("[receiver: {state}]\n")
        } else {
            format!("[receiver: {state}] {message}\n")
        };
        store::append_output(&mut conn, id, &line).await?;
        Ok(())
    }
}

pub(super) async fn run(
    services: &Services,
    deployment: i64,
    adapter: &WebhookAdapter,
    input: &AdapterInput,
    stop: watch::Receiver<bool>,
) -> Result<(), Stop> {
    let began = Instant::now();
    let deadline = Duration::from_secs(u64::from(adapter.timeout_s));
    let say = |text: String| async move {
        if let Ok(mut conn) = services.store.pool().acquire().await {
            let _ = store::append_output(&mut conn, deployment, &format!("{text}\n")).await;
        }
    };
    let secrets = services
        .webhook_secrets
        .get(&adapter.secret)
        .cloned()
        .unwrap_or_default();
    if secrets.is_empty() {
        let why = format!(
            "the webhook secret \u{201c}{}\u{201d} is not in Slipway's configuration ([webhook_secrets])",
            adapter.secret
        );
        say(format!("[failed: {why}]")).await;
        return Err(Stop::Failed(why));
    }
    let token = services
        .deployments()
        .callback_token(deployment)
        .await
        .map_err(|e| Stop::Failed(e.to_string()))?;
    let body = json!({
        "type": "deployment.requested",
        "timestamp": crate::clock::format_rfc3339(services.clock.now()),
        "data": input,
        "callback": {
            "url": format!("{}/api/v1/deployments/{deployment}/status", services.base_url),
            "token": token,
        },
    })
    .to_string();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Stop::Failed(format!("no HTTP client: {e}")))?;
    let id = message_id(deployment, input.weight);
    // Deliver, retrying with the same webhook-id.
    let mut attempt = 0;
    loop {
        if *stop.borrow() {
            return Err(Stop::Cancelled);
        }
        attempt += 1;
        let timestamp = services.clock.now().unix_timestamp();
        let mut signatures = Vec::new();
        for s in &secrets {
            let signed = standardwebhooks::Webhook::new(s.expose_secret())
                .and_then(|w| w.sign(&id, timestamp, body.as_bytes()))
                .map_err(|e| Stop::Failed(format!("cannot sign the webhook: {e}")))?;
            signatures.push(signed);
        }
        let sent = client
            .post(&adapter.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signatures.join(" "))
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(res) if res.status().is_success() => {
                say(format!(
                    "Delivered to {} (attempt {attempt}): {}",
                    host(&adapter.url),
                    res.status()
                ))
                .await;
                break;
            }
            Ok(res) => {
                say(format!(
                    "Attempt {attempt}: {} answered {}",
                    host(&adapter.url),
                    res.status()
                ))
                .await
            }
            Err(e) => say(format!("Attempt {attempt}: {}", e.without_url())).await,
        }
        let Some(wait) = BACKOFF_S.get(attempt - 1).copied() else {
            let why = format!("the webhook was not accepted after {attempt} attempts");
            say(format!("[failed: {why}]")).await;
            return Err(Stop::Failed(why));
        };
        if began.elapsed() + Duration::from_secs(wait) > deadline {
            let why = format!(
                "the webhook was not accepted within {} s",
                adapter.timeout_s
            );
            say(format!("[failed: {why}]")).await;
            return Err(Stop::Failed(why));
        }
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
    // Wait for the result: the callback, or the status URL.
    loop {
        if *stop.borrow() {
            return Err(Stop::Cancelled);
        }
        let reported = match &adapter.status_url {
            Some(url) => poll(&client, url).await,
            None => {
                let mut conn = services
                    .store
                    .pool()
                    .acquire()
                    .await
                    .map_err(|e| Stop::Failed(e.to_string()))?;
                store::callback(&mut conn, deployment)
                    .await
                    .map_err(|e| Stop::Failed(e.to_string()))?
            }
        };
        match reported {
            Some((state, _)) if state == "succeeded" => {
                say("[finished: the receiver reported success]".into()).await;
                return Ok(());
            }
            Some((state, message)) if state == "failed" => {
                let why = format!(
                    "the receiver reported a failure: {}",
                    message.unwrap_or_default()
                );
                say(format!("[failed: {why}]")).await;
                return Err(Stop::Failed(why));
            }
            _ => {}
        }
        if began.elapsed() > deadline {
            let why = format!(
                "the receiver did not report a result within {} s",
                adapter.timeout_s
            );
            say(format!("[failed: {why}]")).await;
            return Err(Stop::Failed(why));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// `GET status_url`: `{"state": "running" | "succeeded" | "failed",
/// "message": ...}`; anything else counts as no answer yet.
async fn poll(client: &reqwest::Client, url: &str) -> Option<(String, Option<String>)> {
    let res = client.get(url).send().await.ok()?;
    if !res.status().is_success() {
        return None;
    }
    let v: serde_json::Value = res.json().await.ok()?;
    let state = v.get("state")?.as_str()?.to_owned();
    let message = v.get("message").and_then(|m| m.as_str()).map(str::to_owned);
    Some((state, message))
}

/// The host of a URL, for the output (never its path or query: they may
/// carry a token).
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}
