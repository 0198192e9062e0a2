//! The remote commands: `slipway release|evidence|promote|status` against a
//! running server's REST API (`/api/v1`), for CI pipelines.
//!
//! Exit codes: 0 done; 1 the server or the network failed (5xx, timeout,
//! cannot connect); 2 refused or bad input (4xx, or arguments that make no
//! sense). With `--format json` the API's JSON is printed as it came;
//! problems go to standard error as one line (text) or as the problem
//! document (json).
//!
//! The token is read from `SLIPWAY_TOKEN` (preferred: arguments are visible
//! to every user of the machine in `ps`), `--token-file`, or `--token`. It is
//! never printed, not even in errors.

use clap::{Args, Subcommand, ValueEnum};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// Where the server is and how to authenticate.
#[derive(Debug, Clone, Args)]
pub struct RemoteArgs {
    /// The Slipway server, e.g. https://slipway.example.com (also SLIPWAY_SERVER).
    #[arg(long, env = "SLIPWAY_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// An API token. Prefer SLIPWAY_TOKEN or --token-file: arguments show in `ps`.
    #[arg(
        long,
        env = "SLIPWAY_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Read the API token from this file.
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// How to print the answer.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Create a release: from a ref of the project's repository (version and
    /// notes proposed from its Conventional Commits) or with an explicit version.
    Create {
        #[arg(long, value_name = "SLUG")]
        project: String,
        /// A branch, tag or commit of the connected repository.
        #[arg(long = "ref", value_name = "REF")]
        git_ref: Option<String>,
        /// The version (default: the one proposed for --ref).
        #[arg(long, value_name = "SEMVER")]
        version: Option<String>,
        /// The artifact: an OCI digest (sha256:...) or a commit SHA;
        /// default: the commit of --ref.
        #[arg(long, value_name = "DIGEST")]
        artifact: Option<String>,
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
        /// Release notes in Markdown from this file (default: drafted from --ref).
        #[arg(long, value_name = "FILE")]
        notes_file: Option<PathBuf>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Show a release: state, artifact, decisions and what blocks promotion.
    Show {
        /// The release's id.
        id: i64,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// List a project's releases, newest first.
    List {
        #[arg(long, value_name = "SLUG")]
        project: String,
        /// Only releases in this state (draft, candidate, approved, ...).
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Submit a draft release for sign-off.
    Submit {
        id: i64,
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Record evidence (a test run, a scan) on a release's current artifact.
    Record {
        #[arg(long, value_name = "ID")]
        release: i64,
        /// What it is: unit-tests, smoke-tests, security-scan, ...
        #[arg(long, value_name = "KIND")]
        kind: String,
        /// passed, failed or info.
        #[arg(long, value_name = "OUTCOME")]
        outcome: String,
        #[arg(long, value_name = "TEXT", default_value = "")]
        summary: String,
        /// Where the report is (http or https).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    #[arg(long, value_name = "ID")]
    pub release: i64,
    /// The environment to promote into (must be the release's next one).
    #[arg(long = "env", value_name = "ENVIRONMENT")]
    pub environment: Option<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// Roll an environment back to its last verified version.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[arg(long, value_name = "SLUG")]
    pub project: String,
    #[arg(long = "env", value_name = "ENVIRONMENT")]
    pub environment: String,
    /// Why (recorded with the rollback and the hold on what it takes out).
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Wait until the deployment has ended; exit 3 when it failed or was
    /// cancelled.
    #[arg(long)]
    pub wait: bool,
    /// How long to wait at most, in seconds (then exit 1).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub wait_timeout: u64,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long, value_name = "SLUG")]
    pub project: String,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// A remote command, parsed.
#[derive(Debug)]
pub enum Remote {
    Release(ReleaseCommand),
    Evidence(EvidenceCommand),
    Promote(PromoteArgs),
    Rollback(RollbackArgs),
    Status(StatusArgs),
}

/// How a remote command ended: the exit code and what to print on stderr.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

fn bad(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn broken(message: impl Into<String>) -> Failure {
    Failure {
        code: 1,
        message: message.into(),
    }
}

/// One request to the API.
struct Call {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
}

impl Call {
    fn get(path: String) -> Self {
        Call {
            method: Method::GET,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    fn post(path: String, body: Value) -> Self {
        Call {
            method: Method::POST,
            path,
            query: Vec::new(),
            body: Some(body),
        }
    }
}

struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Client {
    fn new(remote: &RemoteArgs) -> Result<Client, Failure> {
        let base = remote
            .server
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("no server: pass --server URL or set SLIPWAY_SERVER"))?;
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(bad(format!(
                "the server \"{base}\" must start with http:// or https://"
            )));
        }
        let token = match (&remote.token, &remote.token_file) {
            (_, Some(file)) => std::fs::read_to_string(file)
                .map_err(|e| {
                    bad(format!(
                        "cannot read the token file {}: {e}",
                        file.display()
                    ))
                })?
                .trim()
                .to_owned(),
            (Some(t), None) => t.trim().to_owned(),
            (None, None) => {
                return Err(bad(
                    "no token: set SLIPWAY_TOKEN (or pass --token-file FILE)",
                ))
            }
        };
        if token.is_empty() {
            return Err(bad("the token is empty"));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("slipway-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| broken(format!("cannot set up HTTP: {e}")))?;
        Ok(Client {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http,
        })
    }

    /// Sends the call; `Ok` with the JSON of a 2xx answer, `Err` with the
    /// exit code and the problem's own words otherwise.
    async fn send(&self, call: Call, format: OutputFormat) -> Result<Value, Failure> {
        let url = format!("{}{}", self.base, call.path);
        let mut req = self
            .http
            .request(call.method, &url)
            .bearer_auth(&self.token)
            .query(&call.query);
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        let res = req.send().await.map_err(|e| {
            // reqwest's errors name the URL, never the headers.
            broken(format!("cannot reach {}: {}", self.base, without_url(&e)))
        })?;
        let status = res.status();
        let text = res.text().await.map_err(|e| {
            broken(format!(
                "the answer from {} broke off: {}",
                self.base,
                without_url(&e)
            ))
        })?;
        let body: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status.is_success() {
            return Ok(body);
        }
        let message = match format {
            OutputFormat::Json => body.to_string(),
            OutputFormat::Text => describe_problem(status, &body),
        };
        Err(Failure {
            code: if status.is_client_error() { 2 } else { 1 },
            message,
        })
    }
}

fn without_url(e: &reqwest::Error) -> String {
    let mut e = e.to_string();
    if let Some(i) = e.find(" for url") {
        e.truncate(i);
    }
    e
}

/// A problem document as one line: its detail, the field errors and the
/// gate's reasons.
fn describe_problem(status: StatusCode, body: &Value) -> String {
    let detail = body["detail"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("the server answered {status}"));
    let mut parts = vec![detail];
    if let Some(reasons) = body["reasons"].as_array() {
        for r in reasons.iter().filter_map(Value::as_str) {
            parts.push(format!("- {r}"));
        }
    }
    parts.join("\n")
}

/// Runs a remote command; what to print on success goes to stdout.
pub async fn run(command: Remote) -> Result<(), Failure> {
    let mut wait: Option<(WaitArgs, &'static str)> = None;
    let (call, remote, render): (Call, RemoteArgs, fn(&Value) -> String) = match command {
        Remote::Release(ReleaseCommand::Create {
            project,
            git_ref,
            version,
            artifact,
            title,
            notes_file,
            remote,
        }) => {
            if git_ref.is_none() && version.is_none() {
                return Err(bad("say what to release: --ref REF (version proposed from its commits) or --version SEMVER"));
            }
            let notes = match notes_file {
                None => None,
                Some(f) => Some(std::fs::read_to_string(&f).map_err(|e| {
                    bad(format!("cannot read the notes file {}: {e}", f.display()))
                })?),
            };
            let mut body = serde_json::Map::new();
            for (k, v) in [
                ("ref", git_ref),
                ("version", version),
                ("artifact", artifact),
                ("title", title),
                ("notes", notes),
            ] {
                if let Some(v) = v {
                    body.insert(k.into(), Value::String(v));
                }
            }
            (
                Call::post(
                    format!("/api/v1/projects/{}/releases", segment(&project)),
                    Value::Object(body),
                ),
                remote,
                render_release,
            )
        }
        Remote::Release(ReleaseCommand::Show { id, remote }) => (
            Call::get(format!("/api/v1/releases/{id}")),
            remote,
            render_release,
        ),
        Remote::Release(ReleaseCommand::List {
            project,
            state,
            limit,
            remote,
        }) => {
            let mut call = Call::get(format!("/api/v1/projects/{}/releases", segment(&project)));
            call.query.push(("limit", limit.to_string()));
            if let Some(s) = state {
                call.query.push(("state", s));
            }
            (call, remote, render_release_list)
        }
        Remote::Release(ReleaseCommand::Submit { id, remote }) => (
            Call::post(format!("/api/v1/releases/{id}/submit"), json!({})),
            remote,
            render_release,
        ),
        Remote::Evidence(EvidenceCommand::Record {
            release,
            kind,
            outcome,
            summary,
            url,
            remote,
        }) => {
            let mut body = json!({ "kind": kind, "outcome": outcome, "summary": summary });
            if let Some(url) = url {
                body["url"] = Value::String(url);
            }
            (
                Call::post(format!("/api/v1/releases/{release}/evidence"), body),
                remote,
                render_evidence,
            )
        }
        Remote::Promote(PromoteArgs {
            release,
            environment,
            wait: w,
            remote,
        }) => {
            let body = match environment {
                Some(e) => json!({ "environment": e }),
                None => json!({}),
            };
            wait = Some((w, "deployment_id"));
            (
                Call::post(format!("/api/v1/releases/{release}/promote"), body),
                remote,
                render_promotion,
            )
        }
        Remote::Rollback(RollbackArgs {
            project,
            environment,
            reason,
            wait: w,
            remote,
        }) => {
            wait = Some((w, "id"));
            (
                Call::post(
                    format!(
                        "/api/v1/projects/{}/environments/{}/rollback",
                        segment(&project),
                        segment(&environment)
                    ),
                    json!({ "reason": reason }),
                ),
                remote,
                render_rollback,
            )
        }
        Remote::Status(StatusArgs { project, remote }) => (
            Call::get(format!("/api/v1/projects/{}/status", segment(&project))),
            remote,
            render_status,
        ),
    };
    let client = Client::new(&remote)?;
    let answer = client.send(call, remote.format).await?;
    match remote.format {
        OutputFormat::Json => println!("{answer}"),
        OutputFormat::Text => println!("{}", render(&answer)),
    }
    match wait {
        Some((w, field)) if w.wait => match answer[field].as_i64() {
            Some(id) => follow(&client, id, &w, remote.format).await,
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Waits for deployment `id` to end; prints it; a failure is exit 3.
async fn follow(
    client: &Client,
    id: i64,
    w: &WaitArgs,
    format: OutputFormat,
) -> Result<(), Failure> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(w.wait_timeout);
    loop {
        let d = client
            .send(Call::get(format!("/api/v1/deployments/{id}")), format)
            .await?;
        let state = s(&d, "state").to_owned();
        if !matches!(state.as_str(), "queued" | "deploying" | "verifying") {
            match format {
                OutputFormat::Json => println!("{d}"),
                OutputFormat::Text => println!("{}", render_deployment(&d)),
            }
            return if state == "succeeded" {
                Ok(())
            } else {
                Err(Failure {
                    code: 3,
                    message: format!("deployment {id} {state}: {}", s(&d, "error")),
                })
            };
        }
        if std::time::Instant::now() > until {
            return Err(broken(format!(
                "deployment {id} is still {state} after {} s",
                w.wait_timeout
            )));
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// A path segment (slugs are plain, but never trust arguments).
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

fn render_release(r: &Value) -> String {
    let mut out = format!(
        "release {} {} {} ({})\nartifact: {}",
        r["id"],
        s(r, "project"),
        s(r, "version"),
        s(r, "state"),
        s(r, "artifact"),
    );
    if let Some(env) = r["reached_environment"].as_str() {
        out.push_str(&format!("\nruns in: {env}"));
    }
    if let Some(env) = r["next_environment"].as_str() {
        out.push_str(&format!("\nnext: {env}"));
    }
    if let Some(blockers) = r["promotion_blockers"].as_array() {
        for b in blockers.iter().filter_map(Value::as_str) {
            out.push_str(&format!("\n  blocked: {b}"));
        }
    }
    if let Some(url) = r["web_url"].as_str() {
        out.push_str(&format!("\n{url}"));
    }
    out
}

fn render_release_list(page: &Value) -> String {
    let items = page["items"].as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return "no releases".into();
    }
    items
        .iter()
        .map(|r| {
            format!(
                "{}\t{}\t{}\t{}",
                r["id"],
                s(r, "version"),
                s(r, "state"),
                s(r, "artifact")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_evidence(e: &Value) -> String {
    let mut out = format!("recorded {} ({})", s(e, "kind"), s(e, "outcome"));
    if let Some(ticked) = e["ticked"].as_array() {
        for t in ticked.iter().filter_map(Value::as_str) {
            out.push_str(&format!("\n  ticked: {t}"));
        }
    }
    out
}

fn render_promotion(p: &Value) -> String {
    format!(
        "promoting release {} ({}) to {}: deployment {} ({})",
        p["release_id"],
        s(p, "version"),
        s(p, "environment"),
        p["deployment_id"],
        s(p, "state")
    )
}

fn render_rollback(d: &Value) -> String {
    format!(
        "rolling {} back to {} ({}): deployment {}",
        s(d, "environment"),
        s(d, "version"),
        s(d, "artifact"),
        d["id"]
    )
}

fn render_deployment(d: &Value) -> String {
    let mut out = format!(
        "deployment {} of {} to {}: {}",
        d["id"],
        s(d, "version"),
        s(d, "environment"),
        s(d, "state")
    );
    if let Some(e) = d["error"].as_str() {
        out.push_str(&format!("\n  {e}"));
    }
    for c in d["checks"].as_array().into_iter().flatten() {
        let mark = if c["passed"].as_bool() == Some(true) {
            "passed"
        } else {
            "FAILED"
        };
        out.push_str(&format!(
            "\n  check {}: {mark}: {}",
            s(c, "name"),
            s(c, "detail")
        ));
    }
    out
}

fn render_status(st: &Value) -> String {
    let envs = st["environments"].as_array().cloned().unwrap_or_default();
    envs.iter()
        .map(|e| match e["current"].as_object() {
            Some(_) => format!(
                "{}\t{}\t{}\tsince {}",
                s(e, "name"),
                s(&e["current"], "version"),
                s(&e["current"], "artifact"),
                s(&e["current"], "since")
            ),
            None => format!("{}\t-", s(e, "name")),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_read_as_one_message_with_their_reasons() {
        let body = json!({
            "type": "urn:slipway:problem:gate-refused",
            "detail": "Promotion to staging was refused.",
            "reasons": ["Needs 1 more approval (product owner).", "Checklist: QA sign-off."]
        });
        let text = describe_problem(StatusCode::CONFLICT, &body);
        assert!(text.starts_with("Promotion to staging was refused."));
        assert!(text.contains("- Needs 1 more approval"));
        assert_eq!(
            describe_problem(StatusCode::BAD_GATEWAY, &Value::Null),
            "the server answered 502 Bad Gateway"
        );
    }

    #[test]
    fn arguments_never_escape_their_path_segment() {
        assert_eq!(segment("shop-api"), "shop-api");
        assert_eq!(segment("../admin"), "..%2Fadmin");
        assert_eq!(segment("a b?c"), "a%20b%3Fc");
    }
}
