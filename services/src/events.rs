//! Live updates: "release 42 of project 7 changed". Every change to a
//! release is published after its transaction commits; browsers subscribed
//! to that release reload it (server-sent events, see the server's
//! `live.rs`).
//!
//! One instance: an in-process broadcast channel. Several instances on one
//! PostgreSQL: each publish is also a `NOTIFY slipway_events`, and every
//! instance LISTENs and re-broadcasts what other instances published.

use crate::storage::{self, Backend, Store};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub project_id: i64,
    pub release_id: i64,
    /// Which Slipway instance published it.
    #[serde(default)]
    pub origin: String,
}

pub struct Events {
    tx: broadcast::Sender<Event>,
    instance: String,
    store: Store,
}

impl Events {
    pub fn new(store: Store) -> Self {
        let (tx, _) = broadcast::channel(1024);
        let (instance, _) = crate::tokens::generate();
        Self {
            tx,
            instance: instance[..16].to_owned(),
            store,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Tells every open browser (on every instance) that a release changed.
    /// Never fails the caller: live updates are a convenience on top of
    /// data that is already committed.
    pub async fn release_changed(&self, project_id: i64, release_id: i64) {
        let event = Event {
            project_id,
            release_id,
            origin: self.instance.clone(),
        };
        let _ = self.tx.send(event.clone());
        if self.store.backend() == Backend::Postgres {
            let payload = serde_json::to_string(&event).unwrap_or_default();
            if let Err(e) = self.notify_other_instances(&payload).await {
                tracing::warn!(error = %e, "could not notify other instances");
            }
        }
    }

    async fn notify_other_instances(&self, payload: &str) -> Result<(), sqlx::Error> {
        let mut conn = self.store.pool().acquire().await?;
        storage::events::notify(&mut conn, payload).await
    }

    /// On PostgreSQL, relays what other instances publish, reconnecting
    /// after failures. Runs until the task is dropped; a no-op on SQLite.
    pub async fn relay_from_other_instances(&self) {
        if self.store.backend() != Backend::Postgres {
            return;
        }
        loop {
            match self.listen_once().await {
                Ok(()) => {}
                Err(e) => tracing::warn!(error = %e, "live updates: listening failed; retrying"),
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    async fn listen_once(&self) -> Result<(), sqlx::Error> {
        let mut listener = storage::events::listen(self.store.url().expose_secret()).await?;
        loop {
            let n = listener.recv().await?;
            match serde_json::from_str::<Event>(n.payload()) {
                Ok(e) if e.origin != self.instance => {
                    let _ = self.tx.send(e);
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "ignoring a malformed live event"),
            }
        }
    }
}
