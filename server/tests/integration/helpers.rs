//! `TestApp`: a running Slipway on 127.0.0.1:0 with its own database.

use reqwest::{Client, Response, StatusCode};
use slipway_domain::Principal;
use slipway_server::config::Settings;
use slipway_server::{prepare, start, Running};
use slipway_services::accounts::{Authority, NewUserInput};
use sqlx::Connection;
use tempfile::TempDir;

pub const ADMIN_PASSWORD: &str = "admin password for tests";
pub const USER_PASSWORD: &str = "user password for tests";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    /// What the app's own pages send as `Origin`: the public URL when one is
    /// configured, else the address it listens on.
    pub origin: String,
    pub running: Option<Running>,
    pub services: slipway_services::Services,

    /// PostgreSQL: the per-test database and the URL of the server's admin db.
    pub pg: Option<(String, String)>,
    admin: tokio::sync::OnceCell<Principal>,
    _dir: TempDir,
}

/// Generates a `sqlite` and a `postgres` test from `async fn name(app: &TestApp)`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Db::Sqlite).await;
                    super::$name(&app).await;
                    app.finish().await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Db::Postgres).await;
                    super::$name(&app).await;
                    app.finish().await;
                }
            }
        )*
    };
}

pub fn postgres_admin_url() -> String {
    match std::env::var("SLIPWAY_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "SLIPWAY_TEST_POSTGRES_URL is not set. The PostgreSQL variants of the integration \
             tests need a server they may create databases on, e.g.\n  \
             export SLIPWAY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test\n\
             (./scripts/test.sh and .ci/run set it)."
        ),
    }
}

pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    format!("{base}/{db}{query}")
}

pub fn test_settings(dir: &TempDir, database_url: Option<String>) -> Settings {
    Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        database_url: database_url.map(secrecy::SecretString::from),
        admin_password: Some(secrecy::SecretString::from(ADMIN_PASSWORD.to_owned())),
        public_url: None,
        session_idle_hours: 12,
        log: "warn".into(),
        site_root: dir.path().join("site"),
        git_tagger_email: "slipway@test.invalid".into(),
        git_credentials: Default::default(),
        review_due_hours: 48,
        smtp_url: None,
        mail_from: "Slipway <slipway@test.invalid>".into(),
        // Tests connect repositories they create under the temporary
        // directory (the data directory, also there, stays refused).
        local_repositories: vec![std::env::temp_dir().canonicalize().unwrap()],
        trusted_proxies: Vec::new(),
        // Short, so a never-answering remote fails within a test's patience.
        git_network_timeout: std::time::Duration::from_secs(2),
    }
}

async fn drop_database(name: &str, admin: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

/// A test that fails before `finish` still removes its PostgreSQL database
/// (on a thread of its own: `drop` cannot wait on the test's runtime).
impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((name, admin)) = self.pg.take() {
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(drop_database(&name, &admin));
                }
            })
            .join();
        }
    }
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        Self::spawn_with(db, |_| {}).await
    }

    /// A running Slipway whose settings `configure` adjusts first.
    pub async fn spawn_with(db: Db, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut pg = None;
        let database_url = match db {
            Db::Sqlite => None,
            Db::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("slipway_test_{}", uuid_like());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to SLIPWAY_TEST_POSTGRES_URL: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let url = with_database(&admin, &name);
                pg = Some((name, admin));
                Some(url)
            }
        };
        let mut settings = test_settings(&dir, database_url);
        configure(&mut settings);
        let public_url = settings.public_url.clone();
        // A stand-in for the built browser bundle.
        std::fs::create_dir_all(settings.site_root.join("pkg")).unwrap();
        std::fs::write(
            settings.site_root.join("pkg/slipway.css"),
            ".panel { padding: 1rem; }\n".repeat(100),
        )
        .unwrap();
        let services = prepare(&settings, false).await.unwrap();
        let running = start(&settings, services.clone()).await.unwrap();
        let base = format!("http://{}", running.addr);
        TestApp {
            origin: public_url.unwrap_or_else(|| base.clone()),
            base,
            running: Some(running),
            services,

            pg,
            admin: tokio::sync::OnceCell::new(),
            _dir: dir,
        }
    }

    /// Stops the server and drops the PostgreSQL database.
    pub async fn finish(mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.stop().await;
        }
        self.services.store.close().await;
        if let Some((name, admin)) = self.pg.take() {
            drop_database(&name, &admin).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A browser-like client with its own cookie jar, not signed in.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            // A hung request fails its test instead of stalling the suite.
            .timeout(std::time::Duration::from_secs(45))
            .build()
            .unwrap()
    }

    /// Signs in through the real login server function.
    pub async fn login(&self, username: &str, password: &str) -> Client {
        let client = self.client();
        let res = self
            .post(
                &client,
                "/api/session/login",
                &[("username", username), ("password", password)],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "login of {username} failed: {}",
            res.text().await.unwrap_or_default()
        );
        client
    }

    pub async fn admin(&self) -> Client {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// POSTs a form the way the Leptos client does (same origin).
    pub async fn post(&self, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(path))
            .header("origin", &self.origin)
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
    }

    /// Creates a user with `role` on one project (`Some(slug)`) or on all.
    pub async fn user_with_role(&self, username: &str, role: &str, project: Option<&str>) {
        let accounts = self.services.accounts();
        accounts
            .create_user(
                Authority::Operator,
                &NewUserInput {
                    username: username.into(),
                    display_name: String::new(),
                    password: USER_PASSWORD.into(),
                    role: None,
                },
            )
            .await
            .unwrap();
        accounts
            .grant(Authority::Operator, username, role, project)
            .await
            .unwrap();
    }

    /// The admin as a principal, for reading state through the services.
    /// (Signs in once; later calls reuse it, so reading state writes nothing.)
    pub async fn admin_principal(&self) -> Principal {
        self.admin
            .get_or_init(|| async {
                let accounts = self.services.accounts();
                let session = accounts.login("admin", ADMIN_PASSWORD, None).await.unwrap();
                accounts.principal(session).await.unwrap().unwrap()
            })
            .await
            .clone()
    }

    /// The principal of a user made with `user_with_role` (signed in through
    /// the services, as a request would be).
    pub async fn principal(&self, username: &str) -> Principal {
        let accounts = self.services.accounts();
        let session = accounts.login(username, USER_PASSWORD, None).await.unwrap();
        accounts.principal(session).await.unwrap().unwrap()
    }

    /// Creates a project through the HTTP API as admin.
    pub async fn create_project(&self, admin: &Client, name: &str, slug: &str) {
        let res = self
            .post(
                admin,
                "/api/projects/create",
                &[
                    ("project[name]", name),
                    ("project[slug]", slug),
                    ("environments[0][name]", "dev"),
                    ("environments[0][tier]", "development"),
                    ("environments[1][name]", "staging"),
                    ("environments[1][tier]", "staging"),
                    ("environments[2][name]", "prod"),
                    ("environments[2][tier]", "production"),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap_or_default()
        );
    }

    /// How many audit events exist (every change writes one).
    pub async fn audit_count(&self) -> i64 {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events")
            .fetch_one(self.services.store.pool())
            .await
            .unwrap();
        n
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{:x}_{}_{}",
        nanos,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Makes sure a Python module the tests use as an independent checker
/// (`icalendar`, `aiosmtpd`) is importable, installing `package` once.
pub fn python_module(module: &str, package: &str) {
    static READY: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut ready = READY.lock().unwrap_or_else(|p| p.into_inner());
    if ready.iter().any(|m| m == module) {
        return;
    }
    let have = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .expect("python3 is needed by the tests");
    if !have.status.success() {
        let out = std::process::Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", package])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pip install {package} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    ready.push(module.to_owned());
}

/// A decision as the sign-off page sends it.
pub fn decision(
    decision: slipway_domain::approval::Decision,
    comment: &str,
    seen_artifact: &str,
    seen_revision: i64,
) -> slipway_services::releases::DecisionInput {
    slipway_services::releases::DecisionInput {
        decision,
        comment: comment.into(),
        seen_artifact: seen_artifact.into(),
        seen_revision,
    }
}

/// A change of artifact as the release page sends it.
pub fn change_to(artifact: &str, expected: &str) -> slipway_services::releases::ChangeInput {
    slipway_services::releases::ChangeInput {
        artifact: slipway_domain::release::ArtifactDigest::parse(artifact).unwrap(),
        expected_artifact: expected.into(),
    }
}

/// A new release shipping `artifact`, with the rest left empty.
pub fn release_input(version: &str, artifact: &str) -> slipway_services::releases::NewReleaseInput {
    slipway_services::releases::NewReleaseInput {
        version: slipway_domain::release::ReleaseVersion::parse(version).unwrap(),
        title: String::new(),
        notes_id: None,
        artifact: Some(slipway_domain::release::ArtifactDigest::parse(artifact).unwrap()),
        planned: String::new(),
    }
}
