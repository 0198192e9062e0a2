//! Running an environment's checks after a deployment: fail-closed (the
//! rules are `slipway_domain::deployment::check`). A check that cannot be
//! run, errors, times out or never becomes healthy before its deadline has
//! failed; only what the rules call a pass passes.

use slipway_domain::deployment::check::{self, Check, CommandCheck, HttpCheck, Observed};
use slipway_domain::deployment::view::CheckResult;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::Command;
use tokio::sync::watch;

/// The most of an answer's body that is read (and judged).
const BODY_MAX: usize = 1024 * 1024;

/// Runs every check, one after another; a Cancel stops what remains
/// (each reported as not passed).
pub async fn run_all(checks: &[Check], stop: watch::Receiver<bool>) -> Vec<CheckResult> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .build();
    let mut results = Vec::with_capacity(checks.len());
    for c in checks {
        if *stop.borrow() {
            results.push(CheckResult {
                name: c.name().to_owned(),
                passed: false,
                detail: "not run: the deployment was stopped".into(),
                attempts: 0,
                elapsed_ms: 0,
            });
            continue;
        }
        let result = match (c, &client) {
            (Check::Http(h), Ok(client)) => http(client, h, stop.clone()).await,
            (Check::Http(h), Err(e)) => CheckResult {
                name: h.name.clone(),
                passed: false,
                detail: format!("no HTTP client: {e}"),
                attempts: 0,
                elapsed_ms: 0,
            },
            (Check::Command(k), _) => command(k).await,
        };
        results.push(result);
    }
    results
}

async fn http(client: &reqwest::Client, c: &HttpCheck, stop: watch::Receiver<bool>) -> CheckResult {
    let began = Instant::now();
    let mut attempts = 0u32;
    let mut last = String::from("no attempt was made");
    loop {
        let elapsed = ms(began.elapsed());
        let Some(delay) = check::retry_delay_ms(c, attempts, elapsed) else {
            break;
        };
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if *stop.borrow() {
            last = "stopped".into();
            break;
        }
        attempts += 1;
        // Each attempt ends by the deadline and never waits much beyond
        // the latency budget.
        let left = c.deadline_ms.saturating_sub(ms(began.elapsed())).max(1);
        let limit = Duration::from_millis(left.min(c.latency_budget_ms.saturating_add(5_000)));
        let sent = Instant::now();
        let observed = match tokio::time::timeout(limit, fetch(client, &c.url)).await {
            Ok(Ok((status, body))) => Ok((status, body, ms(sent.elapsed()))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!("no answer within {} ms", limit.as_millis())),
        };
        let verdict = match &observed {
            Ok((status, body, latency_ms)) => check::judge(
                c,
                &Observed::Response {
                    status: *status,
                    body,
                    latency_ms: *latency_ms,
                },
            ),
            Err(e) => check::judge(c, &Observed::Error(e.clone())),
        };
        match verdict {
            Ok(summary) => {
                return CheckResult {
                    name: c.name.clone(),
                    passed: true,
                    detail: summary,
                    attempts,
                    elapsed_ms: ms(began.elapsed()),
                }
            }
            Err(reason) => last = reason,
        }
    }
    CheckResult {
        name: c.name.clone(),
        passed: false,
        detail: last,
        attempts,
        elapsed_ms: ms(began.elapsed()),
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<(u16, String), String> {
    let mut res = client.get(url).send().await.map_err(describe)?;
    let status = res.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(describe)? {
        body.extend_from_slice(&chunk);
        if body.len() > BODY_MAX {
            body.truncate(BODY_MAX);
            break;
        }
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Says what went wrong without the URL's query (it may carry a token).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

async fn command(c: &CommandCheck) -> CheckResult {
    let began = Instant::now();
    let mut cmd = Command::new(&c.program);
    cmd.args(&c.args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    let outcome = match cmd.spawn() {
        Err(e) => Err(format!("could not start {}: {e}", c.program)),
        Ok(mut child) => {
            match tokio::time::timeout(Duration::from_millis(c.timeout_ms), child.wait()).await {
                Ok(Ok(s)) if s.success() => Ok("exited 0".to_owned()),
                Ok(Ok(s)) => Err(match s.code() {
                    Some(code) => format!("exited with status {code}"),
                    None => "stopped by a signal".to_owned(),
                }),
                Ok(Err(e)) => Err(format!("could not wait for it: {e}")),
                Err(_) => {
                    let _ = child.kill().await;
                    Err(format!("did not finish within {} ms", c.timeout_ms))
                }
            }
        }
    };
    let (passed, detail) = match outcome {
        Ok(d) => (true, d),
        Err(d) => (false, d),
    };
    CheckResult {
        name: c.name.clone(),
        passed,
        detail,
        attempts: 1,
        elapsed_ms: ms(began.elapsed()),
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
