//! The `slipway` binary's library: configuration, start-up, HTTP server and
//! command line. Integration tests start the real server through [`start`].

pub mod api;
pub mod assets;
pub mod cli;
pub mod config;
pub mod demo;
pub mod feeds;
pub mod git_cli;
pub mod live;
pub mod origin;
pub mod remote;
pub mod sign_links;
pub mod state;
pub mod web;

use config::Settings;
use secrecy::ExposeSecret;
use slipway_services::storage::sessions::DbSessionStore;
use slipway_services::storage::StoreError;
use slipway_services::{Clock, ServiceError, Services, Store};
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Service(#[from] ServiceError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// The git part of the settings, as the services need it.
pub fn git_settings(settings: &Settings) -> slipway_services::GitSettings {
    slipway_services::GitSettings {
        mirrors_dir: settings.data_dir.join("mirrors"),
        credentials: settings.git_credentials.clone(),
        tagger_email: settings.git_tagger_email.clone(),
        local_repositories: settings.local_repositories.clone(),
        data_dir: settings.data_dir.clone(),
    }
}

/// Connects to the database and applies migrations; a failure stops here.
pub async fn open_store(settings: &Settings) -> Result<Store, StartError> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartError::DataDir {
        path: settings.data_dir.display().to_string(),
        source,
    })?;
    let store = Store::connect(&settings.database_url()).await?;
    store.migrate().await?;
    Ok(store)
}

/// Everything `serve` does before it accepts connections: database,
/// migrations, the first admin account, and optionally the demo project.
pub async fn prepare(settings: &Settings, seed_demo: bool) -> Result<Services, StartError> {
    // Once per process (main has normally done it already).
    slipway_services::git::set_network_timeout(settings.git_network_timeout);
    let store = open_store(settings).await?;
    let mut services = Services::new(store, Clock::system(), git_settings(settings))
        .with_release_settings(slipway_services::ReleaseSettings {
            review_due_hours: settings.review_due_hours,
        })
        .with_public_url(settings.public_url.as_deref())
        .with_base_url(&settings.local_base_url())
        .with_webhook_secrets(settings.webhook_secrets.clone())
        .with_api_settings(slipway_services::ApiSettings {
            token_max_days: settings.api_token_max_days,
        });
    if let Some(mailer) = settings.mailer() {
        services = services.with_mailer(mailer);
    }
    let configured = settings
        .admin_password
        .as_ref()
        .map(|p| p.expose_secret().to_owned());
    match services
        .accounts()
        .bootstrap_admin(configured.as_deref())
        .await?
    {
        Some(one_time) => tracing::warn!(
            "created the first account \"admin\" with the one-time password {one_time} \
             (shown only now; sign in and choose your own password)"
        ),
        None if configured.is_some() => {}
        None => {}
    }
    if seed_demo {
        let password = settings
            .demo_password
            .as_ref()
            .map(|p| p.expose_secret().to_owned());
        if let Some(users) =
            slipway_services::demo::seed(&services, &settings.local_base_url(), password.as_deref())
                .await?
        {
            tracing::info!("created the demo project \"demo\" (dev -> staging -> prod)");
            // Demo accounts only (never without --seed-demo): shown so a
            // newcomer can sign in as each role at once.
            for u in users {
                tracing::warn!(
                    "demo user {} ({}) has the password {}",
                    u.username,
                    u.role.label(),
                    if password.is_some() {
                        "set in SLIPWAY_DEMO_PASSWORD"
                    } else {
                        u.password.as_str()
                    }
                );
            }
        }
    }
    Ok(services)
}

/// A server that is accepting connections.
pub struct Running {
    pub addr: SocketAddr,
    pub services: Services,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting connections, finishes open requests, and waits.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// Waits until the server stops (on Ctrl-C or SIGTERM when started by `serve`).
    pub async fn wait(self) -> std::io::Result<()> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Binds `settings.addr` (port 0 picks a free port) and serves the portal.
pub async fn start(settings: &Settings, services: Services) -> Result<Running, StartError> {
    let listener = TcpListener::bind(settings.addr)
        .await
        .map_err(|source| StartError::Listen {
            addr: settings.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: settings.addr,
        source,
    })?;
    // Webhook callbacks point here: the public URL, else the address bound
    // (which knows the port when the settings asked for any free one).
    let services = match settings.public_url {
        Some(_) => services,
        None => services.with_base_url(
            &Settings {
                addr,
                ..settings.clone()
            }
            .local_base_url(),
        ),
    };
    let router = web::router(settings, services.clone());
    let (tx, rx) = oneshot::channel::<()>();

    // Expired sessions are removed in the background.
    let sessions = DbSessionStore::new(services.store.clone(), services.clock.clone());
    let cleanup = tokio::spawn(async move {
        use tower_sessions::session_store::ExpiredDeletion;
        let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            if let Err(e) = sessions.delete_expired().await {
                tracing::warn!(error = %e, "could not delete expired sessions");
            }
        }
    });

    // Repository mirrors are fetched on their schedule (checked every minute).
    let fetcher_services = services.clone();
    let fetcher = tokio::spawn(async move {
        let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
        every_minute.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every_minute.tick().await;
            if let Err(e) = fetcher_services.repositories().fetch_due().await {
                tracing::warn!(error = %e, "scheduled repository fetch failed");
            }
        }
    });

    // Notification e-mail: sent right after the change that queued it (woken),
    // and retried on a timer.
    let mail_services = services.clone();
    let mailer = tokio::spawn(async move {
        if mail_services.mailer.is_none() {
            match mail_services.notifications().settle_without_mail().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    count = n,
                    "e-mail is not set up (smtp_url): queued notification e-mails were given up"
                ),
                Err(e) => tracing::warn!(error = %e, "could not settle queued e-mails"),
            }
            return;
        }
        let notifications = mail_services.notifications();
        loop {
            if let Err(e) = notifications.deliver_due().await {
                tracing::warn!(error = %e, "notification e-mail delivery failed");
            }
            tokio::select! {
                () = notifications.woken() => {}
                () = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
            }
        }
    });

    // Deployments: the runner picks up what is due (woken at once when one
    // is asked for here; every second for other instances' and after a
    // restart, when leases of a stopped instance lapse).
    let deployer = tokio::spawn(slipway_services::deployments::Runner::new(services.clone()).run());

    // Live updates published by other instances (PostgreSQL LISTEN).
    let relay_services = services.clone();
    let relay = tokio::spawn(async move {
        relay_services.events.relay_from_other_instances().await;
    });

    let task = tokio::spawn(async move {
        let result = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.await;
        })
        .await;
        cleanup.abort();
        fetcher.abort();
        mailer.abort();
        deployer.abort();
        relay.abort();
        result
    });
    Ok(Running {
        addr,
        services,
        shutdown: Some(tx),
        task,
    })
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
