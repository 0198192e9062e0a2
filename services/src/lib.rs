//! Slipway's server-side services.
//!
//! Layering: the UI (`app`) and the binary (`server`) call the services here;
//! the services check permissions, parse input into domain types, and call the
//! storage layer inside one transaction together with the audit event. Nothing
//! here renders HTML, and nothing here is compiled to wasm.

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod calendar;
pub mod clock;
pub mod config_drift;
pub mod demo;
pub mod deployments;
pub mod error;
pub mod events;
pub mod git;
pub mod jobs;
pub mod markdown;
pub mod notes;
pub mod notifications;
pub mod projects;
pub mod releases;
pub mod repositories;
pub mod storage;
pub mod tokens;
pub mod versioning;

pub use clock::Clock;
pub use error::ServiceError;
pub use storage::{Backend, Store};

use slipway_domain::ProjectId;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything a request handler needs, cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub clock: Clock,
    pub login_limiter: Arc<accounts::rate_limit::LoginLimiter>,
    pub git: Arc<GitSettings>,
    /// Rules for releases that come from configuration.
    pub release_settings: Arc<ReleaseSettings>,
    /// Live updates to open browsers (and other instances).
    pub events: Arc<events::Events>,
    /// E-mail delivery, when SMTP is configured.
    pub mailer: Option<Arc<notifications::Mailer>>,
    /// Wakes the e-mail delivery job after a commit that queued mail.
    pub(crate) outbox_wake: notifications::Wake,
    /// Markdown rendering off the runtime, cached by content.
    pub markdown: Arc<markdown::Renderer>,
    /// How people reach Slipway (`public_url`), for absolute links.
    pub public_url: Option<Arc<str>>,
    /// One lock per git repository Slipway writes to (a project's mirror:
    /// fetches, tags and branches never overlap; a GitOps repository:
    /// pushes from this instance take turns).
    repo_locks: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// API rules from configuration.
    pub api_settings: Arc<ApiSettings>,
    /// The key API tokens are hashed with (read from the database once).
    pub(crate) api_token_key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
    /// Wakes the deployment runner (a deployment was asked for or ended).
    pub(crate) deploy_wake: Arc<tokio::sync::Notify>,
    /// This instance's identity when it leases jobs (`crate::jobs`).
    pub(crate) worker: Arc<str>,
    /// Where this Slipway answers (webhook callbacks point here).
    pub base_url: Arc<str>,
    /// Signing secrets of webhook adapters, by name (rotation: two).
    pub webhook_secrets: Arc<BTreeMap<String, Vec<secrecy::SecretString>>>,
}

/// Release rules from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSettings {
    /// Hours the named reviewers have to close a break-glass review.
    pub review_due_hours: i64,
}

impl Default for ReleaseSettings {
    fn default() -> Self {
        Self {
            review_due_hours: 48,
        }
    }
}

/// API rules from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiSettings {
    /// The longest an API token may live, in days.
    pub token_max_days: u32,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            token_max_days: 365,
        }
    }
}

/// Where mirrors live and which credentials exist (from configuration).
#[derive(Debug, Clone)]
pub struct GitSettings {
    /// One bare mirror per project: `<mirrors_dir>/<project id>.git`.
    pub mirrors_dir: PathBuf,
    pub credentials: BTreeMap<String, git::GitCredential>,
    pub tagger_email: String,
    /// Directories (resolved) whose repositories may be connected by local
    /// path; empty: none. See [`git::mirror::allow_local`].
    pub local_repositories: Vec<PathBuf>,
    /// Slipway's own data: never a repository source, whatever the list says.
    pub data_dir: PathBuf,
}

impl GitSettings {
    /// Mirrors under `data_dir/mirrors`, no credentials.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self {
            mirrors_dir: data_dir.join("mirrors"),
            credentials: BTreeMap::new(),
            tagger_email: "slipway@localhost".into(),
            local_repositories: Vec::new(),
            data_dir: data_dir.to_owned(),
        }
    }
}

impl Services {
    pub fn new(store: Store, clock: Clock, git: GitSettings) -> Self {
        let events = Arc::new(events::Events::new(store.clone()));
        Self {
            store,
            clock,
            login_limiter: Arc::new(accounts::rate_limit::LoginLimiter::default()),
            git: Arc::new(git),
            events,
            release_settings: Arc::new(ReleaseSettings::default()),
            mailer: None,
            outbox_wake: Arc::default(),
            public_url: None,
            markdown: Arc::default(),
            repo_locks: Arc::default(),
            api_token_key: Arc::default(),
            api_settings: Arc::new(ApiSettings::default()),
            deploy_wake: Arc::default(),
            worker: jobs::owner(),
            base_url: Arc::from("http://127.0.0.1:3000"),
            webhook_secrets: Arc::default(),
        }
    }

    pub fn with_base_url(mut self, url: &str) -> Self {
        self.base_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    pub fn with_webhook_secrets(
        mut self,
        secrets: BTreeMap<String, Vec<secrecy::SecretString>>,
    ) -> Self {
        self.webhook_secrets = Arc::new(secrets);
        self
    }

    /// Tells this instance's deployment runner to look for work now
    /// (other instances find it within a second).
    pub fn wake_deployments(&self) {
        self.deploy_wake.notify_one();
    }

    pub(crate) fn mirror_lock(&self, project: ProjectId) -> Arc<tokio::sync::Mutex<()>> {
        self.repo_lock(format!("mirror:{}", project.0))
    }

    /// The lock of a GitOps repository, by its URL.
    pub(crate) fn gitops_lock(&self, url: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.repo_lock(format!("gitops:{url}"))
    }

    fn repo_lock(&self, key: String) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = match self.repo_locks.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        locks.entry(key).or_default().clone()
    }

    pub fn repositories(&self) -> repositories::Repositories<'_> {
        repositories::Repositories { services: self }
    }

    /// The same services with release rules from configuration.
    pub fn with_release_settings(mut self, settings: ReleaseSettings) -> Self {
        self.release_settings = Arc::new(settings);
        self
    }

    /// The same services with API rules from configuration.
    pub fn with_api_settings(mut self, settings: ApiSettings) -> Self {
        self.api_settings = Arc::new(settings);
        self
    }

    /// The same services with the public URL from configuration.
    pub fn with_public_url(mut self, url: Option<&str>) -> Self {
        self.public_url = url.map(Arc::from);
        self
    }

    /// The same services sending e-mail through `mailer`.
    pub fn with_mailer(mut self, mailer: notifications::Mailer) -> Self {
        self.mailer = Some(Arc::new(mailer));
        self
    }

    pub fn notifications(&self) -> notifications::Notifications<'_> {
        notifications::Notifications { services: self }
    }

    pub fn releases(&self) -> releases::Releases<'_> {
        releases::Releases { services: self }
    }

    pub fn notes(&self) -> notes::Notes<'_> {
        notes::Notes { services: self }
    }

    pub fn accounts(&self) -> accounts::Accounts<'_> {
        accounts::Accounts { services: self }
    }

    pub fn projects(&self) -> projects::Projects<'_> {
        projects::Projects { services: self }
    }

    pub fn audit(&self) -> audit::AuditLog<'_> {
        audit::AuditLog { services: self }
    }

    pub fn api_tokens(&self) -> api_tokens::ApiTokens<'_> {
        api_tokens::ApiTokens { services: self }
    }

    pub fn calendar(&self) -> calendar::Calendar<'_> {
        calendar::Calendar { services: self }
    }
}
