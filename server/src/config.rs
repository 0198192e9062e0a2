//! Configuration: one typed settings struct, validated at start.
//!
//! Sources, later wins: built-in defaults, an optional TOML file
//! (`--config FILE` or `SLIPWAY_CONFIG`), then `SLIPWAY_*` environment
//! variables. An invalid value stops the start with a message that names the
//! key and says why. Secrets are wrapped so `Debug` and logs never show them.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use slipway_services::git::GitCredential;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Every setting's key; `SLIPWAY_<KEY>` in the environment.
const KEYS: [&str; 19] = [
    "demo_password",
    "api_token_max_days",
    "api_rate_per_second",
    "api_rate_burst",
    "git_network_timeout_s",
    "local_repositories",
    "trusted_proxies",
    "review_due_hours",
    "smtp_url",
    "mail_from",
    "addr",
    "git_tagger_email",
    "data_dir",
    "database_url",
    "admin_password",
    "public_url",
    "session_idle_hours",
    "log",
    "site_root",
];

/// The settings as read, before validation (all plain strings and numbers).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    addr: String,
    data_dir: PathBuf,
    database_url: Option<String>,
    admin_password: Option<String>,
    public_url: String,
    session_idle_hours: u32,
    log: String,
    site_root: PathBuf,
    git_tagger_email: String,
    git_credentials: BTreeMap<String, RawCredential>,
    webhook_secrets: BTreeMap<String, ListSetting>,
    review_due_hours: i64,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    local_repositories: ListSetting,
    trusted_proxies: ListSetting,
    git_network_timeout_s: u64,
    api_token_max_days: u32,
    api_rate_per_second: u32,
    api_rate_burst: u32,
    demo_password: Option<String>,
}

/// A list setting: a TOML array, or in the environment one string with a
/// separator (`SLIPWAY_TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1`,
/// `SLIPWAY_LOCAL_REPOSITORIES=/srv/git:/opt/repos` like PATH).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum ListSetting {
    List(Vec<String>),
    Text(String),
}

impl ListSetting {
    fn items(&self, separator: char) -> Vec<String> {
        let items: Vec<&str> = match self {
            ListSetting::List(l) => l.iter().map(String::as_str).collect(),
            ListSetting::Text(t) => t.split(separator).collect(),
        };
        items
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// `[git_credentials.NAME]`: a token (https) or an SSH key file (ssh).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredential {
    username: Option<String>,
    token: Option<String>,
    ssh_key: Option<PathBuf>,
    ssh_passphrase: Option<String>,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:3000".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            admin_password: None,
            public_url: String::new(),
            session_idle_hours: 12,
            log: "info".into(),
            site_root: PathBuf::from("target/site"),
            git_tagger_email: "slipway@localhost".into(),
            git_credentials: BTreeMap::new(),
            webhook_secrets: BTreeMap::new(),
            review_due_hours: 48,
            smtp_url: None,
            mail_from: None,
            local_repositories: ListSetting::List(Vec::new()),
            trusted_proxies: ListSetting::List(Vec::new()),
            git_network_timeout_s: 30,
            api_token_max_days: 365,
            api_rate_per_second: 20,
            api_rate_burst: 100,
            demo_password: None,
        }
    }
}

/// Slipway's validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the portal listens (`SLIPWAY_ADDR`).
    pub addr: SocketAddr,
    /// Everything Slipway stores on disk lives here (`SLIPWAY_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; unset means the embedded SQLite
    /// file `$SLIPWAY_DATA_DIR/slipway.db` (`SLIPWAY_DATABASE_URL`).
    pub database_url: Option<SecretString>,
    /// Initial password of the `admin` account, used only on first start
    /// (`SLIPWAY_ADMIN_PASSWORD`); without it a one-time password is printed.
    pub admin_password: Option<SecretString>,
    /// The address people use to reach Slipway (`SLIPWAY_PUBLIC_URL`); when
    /// it is https, cookies are marked Secure.
    pub public_url: Option<String>,
    /// Sessions end after this many hours without activity.
    pub session_idle_hours: u32,
    /// Log filter, e.g. `info` or `slipway=debug,info` (`SLIPWAY_LOG`).
    pub log: String,
    /// Where the compiled stylesheet, wasm and JS live (`SLIPWAY_SITE_ROOT`).
    pub site_root: PathBuf,
    /// The e-mail address on release tags Slipway creates (`SLIPWAY_GIT_TAGGER_EMAIL`).
    pub git_tagger_email: String,
    /// Named credentials for repositories (`[git_credentials.NAME]` or
    /// `SLIPWAY_GIT_CREDENTIALS__NAME__TOKEN`); repositories refer to them by name.
    pub git_credentials: BTreeMap<String, GitCredential>,
    /// Named signing secrets of webhook deploy adapters
    /// (`[webhook_secrets] NAME = ["whsec_new", "whsec_old"]`, or
    /// `SLIPWAY_WEBHOOK_SECRETS__NAME="whsec_new whsec_old"`): deliveries
    /// are signed with each (at most two, for rotation). Adapters name them;
    /// they are never stored in the database, shown or logged.
    pub webhook_secrets: BTreeMap<String, Vec<SecretString>>,
    /// Hours reviewers have to close a break-glass review (`SLIPWAY_REVIEW_DUE_HOURS`).
    pub review_due_hours: i64,
    /// Where notification e-mail goes out (`SLIPWAY_SMTP_URL`), e.g.
    /// `smtp://mail.example.com:587?tls=required` or
    /// `smtps://user:password@mail.example.com`; unset: dashboard only.
    pub smtp_url: Option<SecretString>,
    /// The sender of notification e-mail (`SLIPWAY_MAIL_FROM`).
    pub mail_from: String,
    /// Directories whose repositories may be connected by local path or
    /// file:// URL (`SLIPWAY_LOCAL_REPOSITORIES`, `:`-separated). Empty by
    /// default: only network URLs. Slipway's own data directory never is.
    pub local_repositories: Vec<PathBuf>,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` headers name the
    /// client (`SLIPWAY_TRUSTED_PROXIES`, addresses or networks, comma
    /// separated). Empty by default: the connecting address is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a git remote may take to connect, and then to answer each
    /// read or write, before a fetch or push fails (`SLIPWAY_GIT_NETWORK_TIMEOUT_S`).
    pub git_network_timeout: std::time::Duration,
    /// The longest an API token may live, in days (`SLIPWAY_API_TOKEN_MAX_DAYS`).
    pub api_token_max_days: u32,
    /// Requests per second one API token may make, sustained
    /// (`SLIPWAY_API_RATE_PER_SECOND`); beyond it the API answers 429 with
    /// `Retry-After`. 0 turns the limit off.
    pub api_rate_per_second: u32,
    /// How many requests a token may make at once above that rate
    /// (`SLIPWAY_API_RATE_BURST`).
    pub api_rate_burst: u32,
    /// The password of every demo user `--seed-demo` creates
    /// (`SLIPWAY_DEMO_PASSWORD`, for workshops and tests); unset, each gets
    /// a generated one, printed at start. Ignored without `--seed-demo`.
    pub demo_password: Option<SecretString>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {key}: {reason}")]
    Invalid { key: String, reason: String },
    #[error("cannot read configuration file {path}: {reason}")]
    File { path: String, reason: String },
}

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: env_name(key),
        reason: reason.into(),
    }
}

/// `smtp://user:password@mail.example.com` without TLS would send the
/// password in clear; only a relay on this machine is exempt.
fn sends_password_in_clear(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("smtp://") else {
        return false; // smtps:// is TLS from the first byte
    };
    let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = authority.split('/').next().unwrap_or_default();
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return false;
    };
    let has_password = userinfo.contains(':');
    let tls = query
        .split('&')
        .any(|p| p == "tls=required" || p == "tls=wrapper");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    has_password && !tls && !local
}

/// `database_url` -> `SLIPWAY_DATABASE_URL (database_url)`.
fn env_name(key: &str) -> String {
    if key.is_empty() {
        "configuration".into()
    } else if let Some((table, name)) = key.split_once('.') {
        format!("[{table}.{name}]")
    } else {
        format!("SLIPWAY_{} ({key})", key.to_ascii_uppercase())
    }
}

impl Settings {
    /// Loads from the process environment and the optional file.
    pub fn load(config_file: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_from(config_file, Env::prefixed("SLIPWAY_"))
    }

    fn load_from(config_file: Option<&Path>, env: Env) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        if let Some(path) = config_file {
            if !path.is_file() {
                return Err(ConfigError::File {
                    path: path.display().to_string(),
                    reason: "no such file".into(),
                });
            }
            figment = figment.merge(Toml::file(path));
        }
        // Only Slipway's own keys: other SLIPWAY_* variables (SLIPWAY_CONFIG,
        // the test suite's SLIPWAY_TEST_POSTGRES_URL) are not settings.
        figment = figment.merge(env.clone().only(&KEYS));
        // SLIPWAY_GIT_CREDENTIALS__<NAME>__TOKEN (or __USERNAME, __SSH_KEY, ...).
        figment = figment.merge(env.clone().filter_map(|k| {
            k.as_str()
                .to_ascii_lowercase()
                .strip_prefix("git_credentials__")
                .map(|rest| format!("git_credentials.{}", rest.replace("__", ".")).into())
        }));
        // SLIPWAY_WEBHOOK_SECRETS__<NAME>="whsec_new whsec_old".
        figment = figment.merge(env.filter_map(|k| {
            k.as_str()
                .to_ascii_lowercase()
                .strip_prefix("webhook_secrets__")
                .map(|name| format!("webhook_secrets.{name}").into())
        }));
        let raw: RawSettings = figment.extract().map_err(|e| {
            let key = e.path.join(".");
            let reason = e.kind.to_string();
            match e.metadata.as_ref().and_then(|m| m.source.as_ref()) {
                Some(figment::Source::File(p)) if key.is_empty() => ConfigError::File {
                    path: p.display().to_string(),
                    reason,
                },
                _ => invalid(&key, reason),
            }
        })?;
        Self::validate(raw)
    }

    fn validate(raw: RawSettings) -> Result<Settings, ConfigError> {
        let addr: SocketAddr = raw.addr.trim().parse().map_err(|_| {
            invalid(
                "addr",
                format!(
                    "\"{}\" is not a socket address like 127.0.0.1:3000",
                    raw.addr
                ),
            )
        })?;
        if raw.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty"));
        }
        let database_url = match raw.database_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => {
                slipway_services::Backend::of_url(url).map_err(|m| invalid("database_url", m))?;
                Some(SecretString::from(url.to_owned()))
            }
        };
        let admin_password = match raw.admin_password {
            None => None,
            Some(p) if p.is_empty() => None,
            Some(p) => {
                slipway_domain::Password::parse(&p).map_err(|m| invalid("admin_password", m))?;
                Some(SecretString::from(p))
            }
        };
        let public_url = match raw.public_url.trim() {
            "" => None,
            u if u.starts_with("http://") || u.starts_with("https://") => {
                Some(u.trim_end_matches('/').to_owned())
            }
            u => {
                return Err(invalid(
                    "public_url",
                    format!("\"{u}\" must start with http:// or https://"),
                ))
            }
        };
        if raw.session_idle_hours == 0 || raw.session_idle_hours > 24 * 90 {
            return Err(invalid(
                "session_idle_hours",
                "must be between 1 and 2160 (90 days)",
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&raw.log)
            .map_err(|e| invalid("log", format!("not a log filter: {e}")))?;
        let email = raw.git_tagger_email.trim();
        if email.is_empty() || !email.contains('@') || email.contains(['<', '>', '\n']) {
            return Err(invalid(
                "git_tagger_email",
                format!("\"{email}\" is not an e-mail address"),
            ));
        }
        if !(1..=24 * 30).contains(&raw.review_due_hours) {
            return Err(invalid(
                "review_due_hours",
                "must be between 1 and 720 (30 days)",
            ));
        }
        let smtp_url = match raw.smtp_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => {
                // Built once here to validate; errors never repeat the URL
                // (it may carry a password).
                if sends_password_in_clear(url) {
                    return Err(invalid(
                        "smtp_url",
                        "carries a password over an unencrypted connection: use smtps:// or \
                         add ?tls=required (plain smtp:// with a password only to localhost)",
                    ));
                }
                let Some(from) = raw.mail_from.as_deref().filter(|f| !f.trim().is_empty()) else {
                    return Err(invalid(
                        "mail_from",
                        "must be set when smtp_url is set, e.g. \"Slipway <releases@example.com>\" \
                         (mail servers refuse the default sender)",
                    ));
                };
                slipway_services::notifications::Mailer::new(
                    url,
                    from,
                    public_url.as_deref().unwrap_or_default(),
                )
                .map_err(|e| match e {
                    slipway_services::notifications::MailSettingsError::From => {
                        invalid("mail_from", e.to_string())
                    }
                    slipway_services::notifications::MailSettingsError::PublicUrl => {
                        invalid("public_url", e.to_string())
                    }
                    _ => invalid("smtp_url", e.to_string()),
                })?;
                Some(SecretString::from(url.to_owned()))
            }
        };
        let mut local_repositories = Vec::new();
        for dir in raw
            .local_repositories
            .items(':')
            .into_iter()
            .map(PathBuf::from)
        {
            if !dir.is_absolute() {
                return Err(invalid(
                    "local_repositories",
                    format!("{} is not an absolute path", dir.display()),
                ));
            }
            let resolved = dir.canonicalize().map_err(|_| {
                invalid(
                    "local_repositories",
                    format!("{} is not a directory", dir.display()),
                )
            })?;
            if !resolved.is_dir() {
                return Err(invalid(
                    "local_repositories",
                    format!("{} is not a directory", dir.display()),
                ));
            }
            local_repositories.push(resolved);
        }
        if !(1..=3600).contains(&raw.git_network_timeout_s) {
            return Err(invalid(
                "git_network_timeout_s",
                "must be between 1 and 3600 seconds",
            ));
        }
        let mut trusted_proxies = Vec::new();
        for item in raw.trusted_proxies.items(',') {
            let net = item
                .parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    invalid(
                        "trusted_proxies",
                        format!("\"{item}\" is not an IP address or network like 10.0.0.0/8"),
                    )
                })?;
            trusted_proxies.push(net);
        }
        let mut git_credentials = BTreeMap::new();
        for (name, c) in raw.git_credentials {
            let key = format!("git_credentials.{name}");
            let valid_name = !name.is_empty()
                && name.len() <= 40
                && name.chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_'
                });
            if !valid_name {
                return Err(invalid(
                    &key,
                    "credential names use lowercase letters, digits, '-' and '_'",
                ));
            }
            let credential = match (c.token, c.ssh_key) {
                (Some(token), None) if !token.trim().is_empty() => GitCredential::Token {
                    username: c.username.unwrap_or_else(|| "x-access-token".into()),
                    token: SecretString::from(token.trim().to_owned()),
                },
                (None, Some(path)) => {
                    if !path.is_file() {
                        return Err(invalid(
                            &key,
                            format!("the SSH key file {} does not exist", path.display()),
                        ));
                    }
                    GitCredential::SshKey {
                        username: c.username.unwrap_or_else(|| "git".into()),
                        private_key: path,
                        passphrase: c.ssh_passphrase.map(SecretString::from),
                    }
                }
                _ => {
                    return Err(invalid(
                        &key,
                        "set exactly one of token (https) or ssh_key (ssh)",
                    ))
                }
            };
            git_credentials.insert(name, credential);
        }
        if !(1..=3650).contains(&raw.api_token_max_days) {
            return Err(invalid(
                "api_token_max_days",
                "must be between 1 and 3650 (ten years)",
            ));
        }
        if raw.api_rate_per_second > 0 && raw.api_rate_burst == 0 {
            return Err(invalid(
                "api_rate_burst",
                "must be at least 1 while api_rate_per_second is set",
            ));
        }
        let mut webhook_secrets = BTreeMap::new();
        for (name, list) in &raw.webhook_secrets {
            let key = format!("webhook_secrets.{name}");
            let secrets = list.items(' ');
            if secrets.is_empty() || secrets.len() > 2 {
                return Err(invalid(&key, "give one secret, or two while rotating"));
            }
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                || name.len() > 64
            {
                return Err(invalid(&key, "a secret's name is letters, digits, - and _"));
            }
            for s in &secrets {
                slipway_services::deployments::webhook::check_secret(s)
                    .map_err(|m| invalid(&key, m))?;
            }
            webhook_secrets.insert(
                name.to_ascii_lowercase(),
                secrets.into_iter().map(SecretString::from).collect(),
            );
        }
        let demo_password = match raw.demo_password {
            None => None,
            Some(p) if p.is_empty() => None,
            Some(p) => {
                slipway_domain::Password::parse(&p).map_err(|m| invalid("demo_password", m))?;
                Some(SecretString::from(p))
            }
        };
        Ok(Settings {
            webhook_secrets,
            demo_password,
            addr,
            data_dir: raw.data_dir,
            database_url,
            admin_password,
            public_url,
            session_idle_hours: raw.session_idle_hours,
            log: raw.log,
            site_root: raw.site_root,
            git_tagger_email: email.to_owned(),
            git_credentials,
            review_due_hours: raw.review_due_hours,
            smtp_url,
            mail_from: raw
                .mail_from
                .map(|f| f.trim().to_owned())
                .filter(|f| !f.is_empty())
                .unwrap_or_else(|| "Slipway <slipway@localhost>".into()),
            local_repositories,
            trusted_proxies,
            git_network_timeout: std::time::Duration::from_secs(raw.git_network_timeout_s),
            api_token_max_days: raw.api_token_max_days,
            api_rate_per_second: raw.api_rate_per_second,
            api_rate_burst: raw.api_rate_burst,
        })
    }

    /// The database to use: the configured URL or the embedded SQLite file.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => slipway_services::Store::sqlite_url_in(&self.data_dir),
        }
    }

    /// The mailer for notification e-mail, when `smtp_url` is set.
    pub fn mailer(&self) -> Option<slipway_services::notifications::Mailer> {
        let url = self.smtp_url.as_ref()?;
        slipway_services::notifications::Mailer::new(
            url.expose_secret(),
            &self.mail_from,
            self.public_url.as_deref().unwrap_or_default(),
        )
        .ok()
    }

    /// Where this Slipway answers, for calls it makes to itself (the demo's
    /// checks): the public URL, else the listen address (127.0.0.1 when it
    /// listens on every interface).
    pub fn local_base_url(&self) -> String {
        if let Some(u) = &self.public_url {
            return u.clone();
        }
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        }
        format!("http://{addr}")
    }

    /// Cookies carry `Secure` when people reach Slipway over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

#[cfg(test)]
// figment's `Jail` closures return its (large) `figment::Error`; not ours to shrink.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    fn error_of(jail_body: impl FnOnce(&mut Jail) -> Result<(), figment::Error>) -> String {
        let mut message = String::new();
        Jail::expect_with(|jail| {
            jail_body(jail)?;
            message = match Settings::load(Some(Path::new("slipway.toml"))) {
                Ok(_) => "loaded".into(),
                Err(e) => e.to_string(),
            };
            Ok(())
        });
        message
    }

    #[test]
    fn list_settings_come_from_a_toml_array_or_a_separated_variable() {
        Jail::expect_with(|jail| {
            let dir = jail.directory().canonicalize().expect("jail dir");
            jail.set_env("SLIPWAY_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1");
            jail.set_env("SLIPWAY_LOCAL_REPOSITORIES", format!("{}:", dir.display()));
            let s = Settings::load(None).expect("loads");
            assert_eq!(s.trusted_proxies.len(), 2);
            assert_eq!(s.local_repositories, vec![dir.clone()]);
            jail.clear_env();
            jail.create_file(
                "slipway.toml",
                &format!(
                    "trusted_proxies = [\"::1\"]\nlocal_repositories = [\"{}\"]\n",
                    dir.display()
                ),
            )?;
            let s = Settings::load(Some(Path::new("slipway.toml"))).expect("loads");
            assert_eq!(s.trusted_proxies.len(), 1);
            assert_eq!(s.local_repositories, vec![dir]);
            Ok(())
        });
        let e = error_of(|jail| {
            jail.set_env("SLIPWAY_TRUSTED_PROXIES", "not-an-address");
            jail.create_file("slipway.toml", "").map(|_| ())
        });
        assert!(e.contains("trusted_proxies"), "{e}");
        let e = error_of(|jail| {
            jail.set_env("SLIPWAY_LOCAL_REPOSITORIES", "relative/dir");
            jail.create_file("slipway.toml", "").map(|_| ())
        });
        assert!(e.contains("local_repositories"), "{e}");
    }

    #[test]
    fn git_credentials_come_from_file_and_environment_and_never_show() {
        Jail::expect_with(|jail| {
            jail.create_file("id_test", "not really a key")?;
            jail.create_file(
                "slipway.toml",
                "[git_credentials.deploy]\nssh_key = \"id_test\"\n",
            )?;
            jail.set_env("SLIPWAY_GIT_CREDENTIALS__GITHUB__TOKEN", "ghp_topsecret");
            let s = Settings::load(Some(Path::new("slipway.toml"))).expect("loads");
            assert!(matches!(
                s.git_credentials.get("github"),
                Some(GitCredential::Token { username, .. }) if username == "x-access-token"
            ));
            assert!(matches!(
                s.git_credentials.get("deploy"),
                Some(GitCredential::SshKey { .. })
            ));
            assert!(!format!("{s:?}").contains("topsecret"));
            Ok(())
        });
        let e = error_of(|jail| {
            jail.create_file(
                "slipway.toml",
                "[git_credentials.x]\nssh_key = \"missing\"\n",
            )
            .map(|_| ())
        });
        assert!(
            e.contains("git_credentials.x") && e.contains("does not exist"),
            "{e}"
        );
        let e = error_of(|jail| {
            jail.create_file("slipway.toml", "[git_credentials.x]\nusername = \"bot\"\n")
                .map(|_| ())
        });
        assert!(e.contains("exactly one of token"), "{e}");
        let e = error_of(|jail| {
            jail.create_file("slipway.toml", "[git_credentials.x]\npassword = \"p\"\n")
                .map(|_| ())
        });
        assert!(e.contains("password"), "{e}");
    }

    #[test]
    fn smtp_settings_are_checked_and_the_password_never_shows() {
        Jail::expect_with(|jail| {
            jail.set_env(
                "SLIPWAY_SMTP_URL",
                "smtps://slipway:hunter2secret@mail.example.com",
            );
            jail.set_env("SLIPWAY_PUBLIC_URL", "https://slipway.example.com");
            jail.set_env("SLIPWAY_MAIL_FROM", "Releases <releases@example.com>");
            let s = Settings::load(None).expect("loads");
            assert!(s.mailer().is_some());
            assert!(!format!("{s:?}").contains("hunter2secret"));
            assert!(!format!("{:?}", s.mailer()).contains("hunter2secret"));
            Ok(())
        });
        let e = error_of(|jail| {
            jail.create_file("slipway.toml", "")?;
            jail.set_env(
                "SLIPWAY_SMTP_URL",
                "smtps://slipway:hunter2secret@mail.example.com",
            );
            jail.set_env("SLIPWAY_MAIL_FROM", "releases@example.com");
            Ok(())
        });
        assert!(
            e.contains("SLIPWAY_PUBLIC_URL")
                && e.contains("when smtp_url is set")
                && !e.contains("hunter2secret"),
            "{e}"
        );
        let e = error_of(|jail| {
            jail.create_file("slipway.toml", "")?;
            jail.set_env("SLIPWAY_SMTP_URL", "mail.example.com:hunter2secret");
            jail.set_env("SLIPWAY_PUBLIC_URL", "https://slipway.example.com");
            jail.set_env("SLIPWAY_MAIL_FROM", "releases@example.com");
            Ok(())
        });
        assert!(
            e.contains("SLIPWAY_SMTP_URL") && !e.contains("hunter2secret"),
            "{e}"
        );
        let e = error_of(|jail| {
            jail.create_file("slipway.toml", "")?;
            jail.set_env("SLIPWAY_SMTP_URL", "smtp://localhost:25");
            jail.set_env("SLIPWAY_PUBLIC_URL", "https://slipway.example.com");
            jail.set_env("SLIPWAY_MAIL_FROM", "not an address");
            Ok(())
        });
        assert!(e.contains("SLIPWAY_MAIL_FROM"), "{e}");
        let e = error_of(|jail| {
            jail.create_file("slipway.toml", "")?;
            jail.set_env("SLIPWAY_SMTP_URL", "smtp://localhost:25");
            jail.set_env("SLIPWAY_PUBLIC_URL", "https://slipway.example.com");
            Ok(())
        });
        assert!(
            e.contains("SLIPWAY_MAIL_FROM") && e.contains("must be set"),
            "{e}"
        );
        let e = error_of(|jail| {
            jail.create_file("slipway.toml", "")?;
            jail.set_env(
                "SLIPWAY_SMTP_URL",
                "smtp://bot:hunter2secret@mail.example.com:587",
            );
            jail.set_env("SLIPWAY_PUBLIC_URL", "https://slipway.example.com");
            jail.set_env("SLIPWAY_MAIL_FROM", "Releases <releases@example.com>");
            Ok(())
        });
        assert!(
            e.contains("unencrypted") && !e.contains("hunter2secret"),
            "{e}"
        );
        for (url, clear) in [
            ("smtp://bot:pw@mail.example.com:587", true),
            ("smtp://bot:pw@mail.example.com:587?tls=required", false),
            ("smtps://bot:pw@mail.example.com", false),
            ("smtp://bot:pw@localhost:25", false),
            ("smtp://mail.example.com:25", false),
        ] {
            assert_eq!(sends_password_in_clear(url), clear, "{url}");
        }
        Jail::expect_with(|_| {
            let s = Settings::load(None).expect("defaults load");
            assert!(s.smtp_url.is_none() && s.mailer().is_none());
            Ok(())
        });
    }

    #[test]
    fn defaults_are_valid_and_use_embedded_sqlite() {
        Jail::expect_with(|_| {
            let s = Settings::load(None).expect("defaults load");
            assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
            assert!(s.database_url().starts_with("sqlite://"));
            assert!(s.database_url().contains("slipway.db"));
            assert!(!s.secure_cookies());
            Ok(())
        });
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "slipway.toml",
                "addr = \"127.0.0.1:5000\"\nsession_idle_hours = 3\n",
            )?;
            jail.set_env("SLIPWAY_ADDR", "127.0.0.1:4000");
            let s = Settings::load(Some(Path::new("slipway.toml"))).expect("loads");
            assert_eq!(s.addr.port(), 4000);
            assert_eq!(s.session_idle_hours, 3);
            Ok(())
        });
    }

    #[test]
    fn an_invalid_value_names_its_key_and_reason() {
        let e = error_of(|j| {
            j.create_file("slipway.toml", "")?;
            j.set_env("SLIPWAY_ADDR", "not-an-address");
            Ok(())
        });
        assert!(
            e.contains("SLIPWAY_ADDR") && e.contains("not-an-address"),
            "{e}"
        );

        let e = error_of(|j| {
            j.create_file("slipway.toml", "")?;
            j.set_env("SLIPWAY_SESSION_IDLE_HOURS", "soon");
            Ok(())
        });
        assert!(e.contains("SLIPWAY_SESSION_IDLE_HOURS"), "{e}");

        let e = error_of(|j| {
            j.create_file("slipway.toml", "")?;
            j.set_env("SLIPWAY_DATABASE_URL", "mysql://db/x");
            Ok(())
        });
        assert!(e.contains("SLIPWAY_DATABASE_URL"), "{e}");

        let e = error_of(|j| {
            j.create_file("slipway.toml", "")?;
            j.set_env("SLIPWAY_ADMIN_PASSWORD", "short");
            Ok(())
        });
        assert!(
            e.contains("SLIPWAY_ADMIN_PASSWORD") && !e.contains("short\""),
            "{e}"
        );
    }

    #[test]
    fn malformed_toml_and_unknown_keys_are_refused() {
        let e = error_of(|j| {
            j.create_file("slipway.toml", "addr = \n")?;
            Ok(())
        });
        assert_ne!(e, "loaded");
        assert!(
            e.contains("slipway.toml") || e.contains("configuration"),
            "{e}"
        );

        let e = error_of(|j| {
            j.create_file("slipway.toml", "adress = \"127.0.0.1:1\"\n")?;
            Ok(())
        });
        assert!(e.contains("adress"), "{e}");
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        Jail::expect_with(|_| {
            let e = Settings::load(Some(Path::new("nope.toml")))
                .err()
                .map(|e| e.to_string());
            assert!(e.is_some_and(|e| e.contains("nope.toml")));
            Ok(())
        });
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        Jail::expect_with(|jail| {
            jail.set_env("SLIPWAY_ADMIN_PASSWORD", "correct horse battery staple");
            jail.set_env(
                "SLIPWAY_DATABASE_URL",
                "postgres://u:hunter2hunter2@db/slipway",
            );
            let s = Settings::load(None).expect("loads");
            let debug = format!("{s:?}");
            assert!(!debug.contains("correct horse"), "{debug}");
            assert!(!debug.contains("hunter2"), "{debug}");
            Ok(())
        });
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        Jail::expect_with(|jail| {
            jail.set_env("SLIPWAY_PUBLIC_URL", "https://releases.example.com/");
            let s = Settings::load(None).expect("loads");
            assert!(s.secure_cookies());
            assert_eq!(
                s.public_url.as_deref(),
                Some("https://releases.example.com")
            );
            Ok(())
        });
    }
}
