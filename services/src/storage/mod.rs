//! The one storage layer: SQLite (embedded, default) or PostgreSQL, same SQL.
//!
//! Queries are written once in the dialect both engines share (`$1`
//! placeholders, `RETURNING`, explicit column lists) and run through sqlx's
//! `Any` driver. Each engine has its own migrations (`migrations/sqlite`,
//! `migrations/postgres`) because DDL is where the two differ. Every feature
//! is tested on both.
//!
//! Repository functions take a `&mut AnyConnection` so callers decide the
//! transaction: a change and its audit event always commit together.

pub mod api_tokens;
pub mod approvals;
pub mod audit;
pub mod calendar;
pub mod checklists;
pub mod config_drift;
pub mod deployments;
pub mod environments;
pub mod events;
pub mod evidence;
pub mod grants;
pub mod holds;
pub mod jobs;
pub mod notes;
pub mod notifications;
pub mod projects;
pub mod releases;
pub mod repositories;
pub mod reviews;
pub mod sessions;
pub mod sign_off_links;
pub mod users;
pub mod verifications;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// A transaction that may write, from [`Store::begin`]. On SQLite it also
/// holds the process's turn to write (see there); it dereferences to the
/// connection, so storage functions take `&mut tx`.
#[derive(Debug)]
pub struct Tx {
    tx: Transaction<'static, sqlx::Any>,
    /// Released after the transaction ends (fields drop in order).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// Row ids for an `IN (...)` list. Ids are integers, so writing them into
/// the SQL text is safe, and it spares both engines a placeholder limit.
pub(crate) fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    ids.into_iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Which engine a URL names, or why it names none we support.
    pub fn of_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err("must start with sqlite: or postgres://".into())
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL: {0}")]
    Url(String),
    #[error("cannot connect to the {backend} database: {source}")]
    Connect {
        backend: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A connection pool to Slipway's database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Kept for connections outside the pool (PostgreSQL LISTEN).
    url: std::sync::Arc<secrecy::SecretString>,
    /// SQLite: one writer at a time in this process, in arrival order.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Store {
    /// Connects (creating the SQLite file if needed). Does not migrate.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url).map_err(StoreError::Url)?;
        let options = AnyConnectOptions::from_str(url).map_err(|e| StoreError::Connect {
            backend: backend.name(),
            source: e,
        })?;
        let pool_options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(3))
            .min_connections(1);
        let pool_options = match backend {
            Backend::Sqlite => pool_options.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                         PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                    )
                    .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => pool_options.max_connections(16),
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Connect {
                backend: backend.name(),
                source: e,
            })?;
        Ok(Self {
            pool,
            backend,
            url: std::sync::Arc::new(secrecy::SecretString::from(url.to_owned())),
            writer: std::sync::Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The URL of the embedded SQLite database in a data directory.
    pub fn sqlite_url_in(data_dir: &std::path::Path) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("slipway.db").display()
        )
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The database URL (a secret: it may hold a password).
    pub fn url(&self) -> std::sync::Arc<secrecy::SecretString> {
        self.url.clone()
    }

    /// Applies every pending migration of this engine.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.backend.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// Starts a transaction that may write. On SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`): a deferred transaction that reads
    /// and then writes must upgrade its lock, and when another writer got
    /// there first SQLite fails the upgrade at once ("database is locked")
    /// instead of waiting out the busy timeout. Taken up front, concurrent
    /// writers queue behind each other (readers are never blocked: WAL).
    ///
    /// Within one process, SQLite writers also wait their turn on a fair
    /// async lock before they take a connection: SQLite's own busy handler
    /// sleeps in growing steps (up to 100 ms) and wakes in no order, which
    /// made 32 concurrent writers see a p99 of 700 ms; queued here, each
    /// waits only for the writes ahead of it. The busy timeout still covers
    /// other processes (the CLI) sharing the file.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let turn = self.writer.clone().lock_owned().await;
                let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(Tx {
                    tx,
                    _turn: Some(turn),
                })
            }
            Backend::Postgres => Ok(Tx {
                tx: self.pool.begin().await?,
                _turn: None,
            }),
        }
    }

    /// Ready means: the database answers, and every migration this binary
    /// knows is applied successfully.
    pub async fn readiness(&self) -> Result<(), String> {
        let expected: Vec<i64> = self.backend.migrator().iter().map(|m| m.version).collect();
        let applied: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT version, CASE WHEN success THEN 1 ELSE 0 END FROM _sqlx_migrations ORDER BY version",
        )
                .fetch_all(&self.pool)
                .await
                .map_err(|e| format!("database unreachable: {e}"))?;
        for version in expected {
            match applied.iter().find(|(v, _)| *v == version) {
                Some((_, 1)) => {}
                Some(_) => return Err(format!("migration {version} is marked failed")),
                None => return Err(format!("migration {version} is not applied")),
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
