//! The command adapter: runs the environment's program with the
//! deployment's values in `SLIPWAY_*` variables.
//!
//! - No shell: the program and its arguments are exactly as configured;
//!   nothing a user typed is interpolated into a command line.
//! - A clean environment: only `PATH`, `HOME`, `LANG`, `TZ` and the
//!   `SLIPWAY_*` values, so the program never sees Slipway's own secrets
//!   (database URL, mail password) from its environment.
//! - Its standard output and error stream into the deployment as they come
//!   (flushed a few times a second; every open page shows them live), up
//!   to `storage::deployments::OUTPUT_MAX`.
//! - A timeout and Cancel stop it (SIGKILL); not found, not executable, a
//!   non-zero exit, a timeout or a cancel each fail the deployment with
//!   the reason.

use super::output::{stopped, Output};
use super::Stop;
use crate::Services;
use slipway_domain::deployment::adapter::CommandAdapter;
use slipway_domain::deployment::AdapterInput;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::watch;

/// Variables passed through from Slipway's own environment.
const PASSED_THROUGH: [&str; 4] = ["PATH", "HOME", "LANG", "TZ"];

pub(super) async fn run(
    services: &Services,
    deployment: i64,
    adapter: &CommandAdapter,
    input: &AdapterInput,
    stop: watch::Receiver<bool>,
) -> Result<(), Stop> {
    let mut cmd = Command::new(&adapter.program);
    cmd.args(&adapter.args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for name in PASSED_THROUGH {
        if let Some(v) = std::env::var_os(name) {
            cmd.env(name, v);
        }
    }
    for (name, value) in input.env_vars() {
        cmd.env(name, value);
    }
    if let Some(dir) = &adapter.workdir {
        cmd.current_dir(dir);
    }
    let out = Output::new(services, deployment);
    out.line(&format!("$ {} {}", adapter.program, adapter.args.join(" ")));
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let why = format!("could not start {}: {e}", adapter.program);
            out.line(&why);
            out.flush().await;
            return Err(Stop::Failed(why));
        }
    };
    let readers = [
        child
            .stdout
            .take()
            .map(|o| tokio::spawn(read_lines(o, out.clone()))),
        child
            .stderr
            .take()
            .map(|e| tokio::spawn(read_lines(e, out.clone()))),
    ];
    let flusher = out.keep_flushing();
    let timeout = Duration::from_secs(u64::from(adapter.timeout_s));
    let outcome = tokio::select! {
        status = child.wait() => match status {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(Stop::Failed(match s.code() {
                Some(code) => format!("{} exited with status {code}", adapter.program),
                None => format!("{} was stopped by a signal", adapter.program),
            })),
            Err(e) => Err(Stop::Failed(format!("could not wait for {}: {e}", adapter.program))),
        },
        () = tokio::time::sleep(timeout) => {
            let _ = child.kill().await;
            Err(Stop::Failed(format!("{} did not finish within {} s and was stopped", adapter.program, adapter.timeout_s)))
        }
        () = stopped(stop) => {
            let _ = child.kill().await;
            Err(Stop::Cancelled)
        }
    };
    // What the program printed last (a child it left behind may hold the
    // pipes open: wait briefly, not for ever).
    for reader in readers.into_iter().flatten() {
        let _ = tokio::time::timeout(Duration::from_millis(500), reader).await;
    }
    flusher.abort();
    let ending = match &outcome {
        Ok(()) => "[finished]\n".to_owned(),
        Err(Stop::Failed(why)) => format!("[failed: {why}]\n"),
        Err(Stop::Cancelled) => "[cancelled]\n".to_owned(),
    };
    out.push(&ending);
    out.flush().await;
    outcome
}

async fn read_lines(stream: impl AsyncRead + Unpin, out: Output) {
    let mut lines = BufReader::new(stream).lines();
    // Lines that are not UTF-8 end the reading of that stream: what came
    // before is kept.
    while let Ok(Some(line)) = lines.next_line().await {
        // A progress bar's carriage returns become line breaks.
        let line = line.trim_end_matches('\r').replace('\r', "\n");
        out.line(&line);
    }
}
