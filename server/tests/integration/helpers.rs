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
    /// Where this Slipway keeps its data, and its database URL (for a
    /// second process on the same data: `deployments_crash.rs`).
    pub data_dir: std::path::PathBuf,
    pub database_url: Option<String>,
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

/// Like [`on_both_databases!`] for `async fn name(app: &TestApp, sql: &SqlCounter)`:
/// the test's server runs on a runtime whose SQL statements `sql` counts.
#[macro_export]
macro_rules! on_both_databases_counting_sql {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    let sql = $crate::helpers::sql_count::SqlCounter::new();
                    sql.block_on(async {
                        let app = $crate::helpers::TestApp::spawn($crate::helpers::Db::Sqlite).await;
                        super::$name(&app, &sql).await;
                        app.finish().await;
                    });
                }
                #[test]
                fn postgres() {
                    let sql = $crate::helpers::sql_count::SqlCounter::new();
                    sql.block_on(async {
                        let app = $crate::helpers::TestApp::spawn($crate::helpers::Db::Postgres).await;
                        super::$name(&app, &sql).await;
                        app.finish().await;
                    });
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
        api_token_max_days: 365,
        // Off: tests that want the limit set it (api rate-limit test).
        api_rate_per_second: 0,
        api_rate_burst: 100,
        demo_password: None,
        webhook_secrets: Default::default(),
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
        let mut settings = test_settings(&dir, database_url.clone());
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
            data_dir: settings.data_dir.clone(),
            database_url,
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
    /// A personal API token for `username` (`scopes` as the CLI takes them),
    /// limited to `project` when given.
    pub async fn personal_token(
        &self,
        username: &str,
        scopes: &str,
        project: Option<&str>,
    ) -> String {
        let input = slipway_services::api_tokens::NewTokenInput {
            name: format!("test token of {username}"),
            scopes: scopes.into(),
            projects: project.map(|p| vec![p.to_owned()]).unwrap_or_default(),
            expires_in: String::new(),
        };
        self.services
            .api_tokens()
            .create_for_user(username, &input)
            .await
            .expect("personal token")
            .secret
    }

    /// A service token of `project`, created by the admin.
    pub async fn service_token(&self, project: &str, scopes: &str) -> String {
        let admin = self.admin_principal().await;
        let input = slipway_services::api_tokens::NewTokenInput {
            name: format!("CI of {project}"),
            scopes: scopes.into(),
            projects: Vec::new(),
            expires_in: String::new(),
        };
        self.services
            .api_tokens()
            .create_service(&admin, project, &input)
            .await
            .expect("service token")
            .secret
    }

    /// A client for the API (no cookies).
    pub fn api(&self) -> Client {
        Client::builder().build().unwrap()
    }

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

    /// The actions of every audit event, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT action FROM audit_events ORDER BY id")
            .fetch_all(self.services.store.pool())
            .await
            .unwrap();
        rows.into_iter().map(|(a,)| a).collect()
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
        artifact: slipway_domain::artifact::ArtifactRef::parse(artifact).unwrap(),
        expected_artifact: expected.into(),
    }
}

/// A new release shipping `artifact`, with the rest left empty.
pub fn release_input(version: &str, artifact: &str) -> slipway_services::releases::NewReleaseInput {
    slipway_services::releases::NewReleaseInput {
        version: slipway_domain::release::ReleaseVersion::parse(version).unwrap(),
        title: String::new(),
        notes_id: None,
        artifact: Some(slipway_domain::artifact::ArtifactRef::parse(artifact).unwrap()),
        planned: String::new(),
    }
}

/// Counting the SQL statements a running server executes.
///
/// sqlx reports every statement it runs as a `tracing` event with target
/// `sqlx::query` (at DEBUG; production filters it out before it is built).
/// This test binary installs one global subscriber that listens only to
/// those events and to its own marker span. A test that counts builds its
/// own runtime ([`SqlCounter::block_on`]) whose every thread sits inside a
/// marker span, so all the work of that test's server — its request tasks,
/// the tasks Leptos spawns while rendering, and SQLite's connection threads
/// (sqlx runs each command there inside the caller's span) — is attributed
/// to it, and never the work of the other tests running at the same time.
pub mod sql_count {
    use std::collections::HashMap;
    use std::future::Future;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::Duration;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id};
    use tracing::subscriber::Interest;
    use tracing::{Event, Metadata, Subscriber};
    use tracing_subscriber::layer::{Context, SubscriberExt};
    use tracing_subscriber::registry::LookupSpan;
    use tracing_subscriber::Layer;

    const MARKER: &str = "slipway_tests::sql_count";
    const SQLX: &str = "sqlx::query";

    type Log = Arc<Mutex<Vec<String>>>;

    /// Every counter of the process, by the number its marker span carries.
    fn logs() -> &'static Mutex<HashMap<u64, Log>> {
        static LOGS: OnceLock<Mutex<HashMap<u64, Log>>> = OnceLock::new();
        LOGS.get_or_init(Default::default)
    }

    struct CountStatements;

    impl CountStatements {
        fn wanted(meta: &Metadata<'_>) -> bool {
            // Not only events: sqlx first asks `enabled!`, a hint.
            meta.target() == SQLX || (meta.is_span() && meta.target() == MARKER)
        }
    }

    /// The marker span's `counter` field.
    struct CounterField(Option<u64>);
    impl Visit for CounterField {
        fn record_u64(&mut self, field: &Field, value: u64) {
            if field.name() == "counter" {
                self.0 = Some(value);
            }
        }
        fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
    }

    /// The statement's text: sqlx gives a summary (its first words) and,
    /// when the statement is longer, the whole of it.
    #[derive(Default)]
    struct Statement {
        summary: String,
        full: String,
    }
    impl Visit for Statement {
        fn record_str(&mut self, field: &Field, value: &str) {
            match field.name() {
                "summary" => self.summary = value.to_owned(),
                "db.statement" => self.full = value.trim().to_owned(),
                _ => {}
            }
        }
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.record_str(field, format!("{value:?}").trim_matches('"'));
        }
    }

    impl<S> Layer<S> for CountStatements
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
            if Self::wanted(meta) {
                Interest::always()
            } else {
                Interest::never()
            }
        }

        fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
            Self::wanted(meta)
        }

        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
            let mut field = CounterField(None);
            attrs.record(&mut field);
            let log = field
                .0
                .and_then(|n| logs().lock().unwrap().get(&n).cloned());
            if let (Some(log), Some(span)) = (log, ctx.span(id)) {
                span.extensions_mut().insert(log);
            }
        }

        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let Some(scope) = ctx.event_scope(event) else {
                return;
            };
            for span in scope {
                if let Some(log) = span.extensions().get::<Log>() {
                    let mut statement = Statement::default();
                    event.record(&mut statement);
                    let text = if statement.full.is_empty() {
                        statement.summary
                    } else {
                        statement.full
                    };
                    log.lock().unwrap().push(text);
                    return;
                }
            }
        }
    }

    fn install() {
        static INSTALLED: OnceLock<()> = OnceLock::new();
        INSTALLED.get_or_init(|| {
            let subscriber = tracing_subscriber::registry().with(CountStatements);
            tracing::subscriber::set_global_default(subscriber)
                .expect("the statement counter is the only global subscriber of the tests");
        });
    }

    thread_local! {
        static ENTERED: std::cell::RefCell<Option<tracing::span::EnteredSpan>> =
            const { std::cell::RefCell::new(None) };
    }

    /// The statements run by everything on one runtime.
    pub struct SqlCounter {
        log: Log,
        span: tracing::Span,
    }

    /// What one measured piece of work ran.
    #[derive(Debug, Clone, Default)]
    pub struct Statements(pub Vec<String>);

    impl Statements {
        pub fn count(&self) -> usize {
            self.0.len()
        }
    }

    impl std::fmt::Display for Statements {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            for (i, s) in self.0.iter().enumerate() {
                writeln!(
                    f,
                    "  {:>3}. {}",
                    i + 1,
                    s.split_whitespace().collect::<Vec<_>>().join(" ")
                )?;
            }
            Ok(())
        }
    }

    impl SqlCounter {
        pub fn new() -> Self {
            install();
            static NEXT: AtomicU64 = AtomicU64::new(1);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let log = Log::default();
            logs().lock().unwrap().insert(n, log.clone());
            let span =
                tracing::info_span!(target: "slipway_tests::sql_count", "sql_count", counter = n);
            assert!(
                !span.is_disabled(),
                "the statement counter is not installed"
            );
            Self { log, span }
        }

        /// Runs `test` on a runtime (two workers, as `#[tokio::test]` gives
        /// the other tests) whose threads all count into this counter.
        pub fn block_on<F: Future>(&self, test: F) -> F::Output {
            let span = self.span.clone();
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .on_thread_start(move || {
                    ENTERED.with(|e| *e.borrow_mut() = Some(span.clone().entered()));
                })
                .on_thread_stop(|| {
                    ENTERED.with(|e| e.borrow_mut().take());
                })
                .build()
                .unwrap()
                .block_on(test)
        }

        /// The statements the server ran while `work` ran, and until it fell
        /// quiet after it (so work finishing after the response counts too).
        pub async fn measure<T>(&self, work: impl Future<Output = T>) -> (T, Statements) {
            self.log.lock().unwrap().clear();
            let out = work.await;
            let mut seen = usize::MAX;
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let now = self.log.lock().unwrap().len();
                if now == seen {
                    break;
                }
                seen = now;
            }
            let statements = std::mem::take(&mut *self.log.lock().unwrap());
            (out, Statements(statements))
        }
    }
}
