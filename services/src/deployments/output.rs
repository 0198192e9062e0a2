//! An adapter's output on its way into the deployment: collected as it
//! comes (from async readers or a blocking git thread alike), written a few
//! times a second so every open page shows it live, and bounded by
//! `storage::deployments::OUTPUT_MAX`.

use crate::storage::deployments::{self as store, OUTPUT_MAX};
use crate::Services;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often output is written to the deployment while an adapter runs.
const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// Output collected and not yet written, and how much was written.
#[derive(Default)]
struct Pending {
    text: String,
    written: usize,
    truncated: bool,
}

/// The output of one deployment's adapter. Cloning shares it.
#[derive(Clone)]
pub(super) struct Output {
    services: Services,
    deployment: i64,
    pending: Arc<Mutex<Pending>>,
}

impl Output {
    pub(super) fn new(services: &Services, deployment: i64) -> Self {
        Self {
            services: services.clone(),
            deployment,
            pending: Arc::default(),
        }
    }

    /// Adds text (lines end with `\n`); past the bound, one line says the
    /// rest was dropped.
    pub(super) fn push(&self, text: &str) {
        let Ok(mut p) = self.pending.lock() else {
            return;
        };
        if p.truncated {
            return;
        }
        if p.written + p.text.len() + text.len() > OUTPUT_MAX {
            p.text
                .push_str("[output truncated: only the first 512 KiB are kept]\n");
            p.truncated = true;
            return;
        }
        p.text.push_str(text);
    }

    /// Adds one line.
    pub(super) fn line(&self, line: &str) {
        self.push(&format!("{line}\n"));
    }

    /// Writes what was collected.
    pub(super) async fn flush(&self) {
        let text = match self.pending.lock() {
            Ok(mut p) if !p.text.is_empty() => {
                let t = std::mem::take(&mut p.text);
                p.written += t.len();
                t
            }
            _ => return,
        };
        let written = async {
            let mut conn = self.services.store.pool().acquire().await?;
            store::append_output(&mut conn, self.deployment, &text).await
        };
        if let Err(e) = written.await {
            tracing::warn!(error = %e, deployment = self.deployment, "could not store a deployment's output");
        }
    }

    /// Writes every few hundred milliseconds until the handle is aborted
    /// (then call [`Output::flush`] once more for the rest).
    pub(super) fn keep_flushing(&self) -> tokio::task::JoinHandle<()> {
        let out = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(FLUSH_EVERY).await;
                out.flush().await;
            }
        })
    }
}

/// Resolves when the runner says stop.
pub(super) async fn stopped(mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
