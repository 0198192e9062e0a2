//! How an environment deploys: its adapter, its checks, and whether it
//! rolls back by itself. Set per environment in the browser (admins and
//! release managers) and through the API; stored as JSON and parsed here
//! on the way in, so a stored value is always a valid one.
//!
//! Rules, in the order [`DeploySettingsForm::parse`] applies them:
//! 1. The adapter is `record` (promotion only records that the artifact
//!    entered: for environments Slipway does not deploy to), `command` or
//!    `webhook`.
//! 2. A command adapter names a program (a path or a name on `PATH`, no
//!    blanks or control characters, at most 500 characters) and its
//!    arguments one per line — never a shell line: values reach the program
//!    as `SLIPWAY_*` variables, so nothing a user typed is interpolated.
//!    Its working directory, when given, is an absolute path; its timeout
//!    is 1 to 7,200 seconds (default 600).
//! 3. Check rows left wholly empty are ignored (forms offer one more).
//!    A webhook adapter POSTs to an http(s) URL without credentials in it,
//!    signed per Standard Webhooks with the named secret (configuration
//!    holds the secret itself, never the database); the receiving system
//!    reports the result to the deployment's callback, or Slipway polls the
//!    optional status URL. Same timeout rule as commands.
//!    A GitOps adapter writes into a file of a Git repository
//!    ([`super::gitops`] has its rules).
//! 4. Checks are parsed by [`super::check`]; at most 20.
//! 5. Automatic rollback needs an adapter that deploys (not `record`).
//! 6. A progressive rollout lists its steps as percentages, rising, each
//!    1 to 100 (`10, 50, 100`; a last step of 100 is added when missing),
//!    at most 10; it needs an adapter that deploys. The checks run after
//!    every step; with "pause between steps" someone presses Resume.

use super::check::{Check, CheckForm};
use super::gitops::{GitopsAdapter, GitopsForm};
use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};

/// The longest a command adapter may run before it is stopped (seconds).
pub const MAX_TIMEOUT_S: u32 = 7_200;
pub const DEFAULT_TIMEOUT_S: u32 = 600;
/// The most checks an environment may have.
pub const MAX_CHECKS: usize = 20;
/// The most steps a progressive rollout may have.
pub const MAX_STEPS: usize = 10;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploySettings {
    pub adapter: Adapter,
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Roll back to the last verified version when a deployment fails.
    #[serde(default)]
    pub auto_rollback: bool,
    /// Progressive rollout: the weight (percent) of each step, rising,
    /// ending at 100. Empty: one step of 100.
    #[serde(default)]
    pub rollout: Vec<u8>,
    /// Wait for someone to press Resume after each step but the last.
    #[serde(default)]
    pub pause_between_steps: bool,
}

impl DeploySettings {
    /// The weights of the steps (at least one: 100).
    pub fn steps(&self) -> Vec<u8> {
        if self.rollout.is_empty() {
            vec![100]
        } else {
            self.rollout.clone()
        }
    }

    /// Whether promotion moves anything (an adapter other than `record`).
    pub fn deploys(&self) -> bool {
        !matches!(self.adapter, Adapter::Record)
    }

    /// Whether a deployment that was deploying when Slipway stopped can
    /// be resumed (see [`super::recover`]).
    pub fn adapter_resumes(&self) -> bool {
        match self.adapter {
            // Recording has nothing to resume; it finishes in one step.
            Adapter::Record => true,
            // A program that was killed with Slipway cannot be asked.
            Adapter::Command(_) => false,
            // Delivered again with the same webhook-id (receivers drop the
            // duplicate); the result still comes to the callback.
            Adapter::Webhook(_) => true,
            // The commit names the deployment: a landed one is found, a
            // missing one is written.
            Adapter::Gitops(_) => true,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Adapter {
    /// Record the promotion only.
    #[default]
    Record,
    /// Run a program.
    Command(CommandAdapter),
    /// POST a signed webhook; the receiver reports back.
    Webhook(WebhookAdapter),
    /// Commit the digest into a Git repository (Argo CD, Flux).
    Gitops(GitopsAdapter),
}

impl Adapter {
    pub fn label(&self) -> &'static str {
        match self {
            Adapter::Record => "Record only",
            Adapter::Command(_) => "Run a command",
            Adapter::Webhook(_) => "Send a signed webhook",
            Adapter::Gitops(_) => "Commit to a GitOps repository",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandAdapter {
    pub program: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub workdir: Option<String>,
    pub timeout_s: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookAdapter {
    pub url: String,
    /// The name of a signing secret in Slipway's configuration.
    pub secret: String,
    /// Polled for the result when set (else the receiver calls back).
    #[serde(default)]
    pub status_url: Option<String>,
    pub timeout_s: u32,
}

/// The settings as typed into the form (or sent to the API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploySettingsForm {
    /// `record` or `command`.
    pub adapter: String,
    pub program: String,
    /// One argument per line.
    pub args: String,
    pub workdir: String,
    /// Seconds; empty for the default.
    pub timeout_s: String,
    pub checks: Vec<CheckForm>,
    pub auto_rollback: bool,
    /// Webhook: where to, which secret, and an optional status URL.
    #[serde(default)]
    pub webhook_url: String,
    #[serde(default)]
    pub webhook_secret: String,
    #[serde(default)]
    pub webhook_status_url: String,
    /// GitOps: repository, branch, file and key path.
    #[serde(default)]
    pub gitops: GitopsForm,
    /// Progressive rollout steps: `10, 50, 100`; empty for one step.
    #[serde(default)]
    pub rollout: String,
    #[serde(default)]
    pub pause_between_steps: bool,
}

impl DeploySettingsForm {
    /// The form for settings already stored (for editing them).
    pub fn from_settings(s: &DeploySettings) -> Self {
        let mut form = DeploySettingsForm {
            adapter: "record".into(),
            checks: s.checks.iter().map(CheckForm::from_check).collect(),
            auto_rollback: s.auto_rollback,
            rollout: s
                .rollout
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            pause_between_steps: s.pause_between_steps,
            ..Default::default()
        };
        match &s.adapter {
            Adapter::Record => {}
            Adapter::Command(c) => {
                form.adapter = "command".into();
                form.program = c.program.clone();
                form.args = c.args.join("\n");
                form.workdir = c.workdir.clone().unwrap_or_default();
                form.timeout_s = c.timeout_s.to_string();
            }
            Adapter::Webhook(w) => {
                form.adapter = "webhook".into();
                form.webhook_url = w.url.clone();
                form.webhook_secret = w.secret.clone();
                form.webhook_status_url = w.status_url.clone().unwrap_or_default();
                form.timeout_s = w.timeout_s.to_string();
            }
            Adapter::Gitops(g) => {
                form.adapter = "gitops".into();
                form.gitops = GitopsForm::from_adapter(g);
                form.timeout_s = g.timeout_s.to_string();
            }
        }
        form
    }

    /// Every problem named by its field (`program`, `checks[2].url`, …).
    pub fn parse(&self) -> Result<DeploySettings, FieldErrors> {
        let mut errors = FieldErrors::new();
        let adapter = match self.adapter.trim() {
            "" | "record" => Some(Adapter::Record),
            "command" => self.command(&mut errors).map(Adapter::Command),
            "webhook" => self.webhook(&mut errors).map(Adapter::Webhook),
            "gitops" => {
                let timeout = self.timeout(&mut errors);
                self.gitops.parse(timeout, &mut errors).map(Adapter::Gitops)
            }
            _ => {
                errors.push(
                    "adapter",
                    "Choose how this environment deploys: record only, run a command, send a webhook, or commit to a GitOps repository.",
                );
                None
            }
        };
        if self.checks.iter().filter(|c| !c.is_blank()).count() > MAX_CHECKS {
            errors.push(
                "checks",
                format!("At most {MAX_CHECKS} checks per environment."),
            );
        }
        let mut checks = Vec::new();
        // A row left wholly empty is no check (the form always offers one).
        let rows = self.checks.iter().filter(|c| !c.is_blank());
        for (i, c) in rows.enumerate() {
            match c.parse() {
                Ok(check) => checks.push(check),
                Err(e) => {
                    for f in e.0 {
                        errors.push(format!("checks[{i}].{}", f.field), f.message);
                    }
                }
            }
        }
        if self.auto_rollback && matches!(adapter, Some(Adapter::Record)) {
            errors.push(
                "auto_rollback",
                "Automatic rollback needs an adapter that deploys: with \u{201c}record only\u{201d} there is nothing to roll back.",
            );
        }
        let rollout = errors.check("rollout", rollout(&self.rollout));
        if rollout.as_ref().is_some_and(|r| !r.is_empty())
            && matches!(adapter, Some(Adapter::Record))
        {
            errors.push(
                "rollout",
                "A progressive rollout needs an adapter that deploys: \u{201c}record only\u{201d} moves no traffic.",
            );
        }
        if let (Some(Adapter::Gitops(g)), Some(r)) = (&adapter, &rollout) {
            if !r.is_empty() && g.weight_key.is_none() {
                errors.push(
                    "rollout",
                    "A progressive rollout through GitOps needs the key path the weight is written to (\u{201c}Key path for the rollout weight\u{201d}): without it every step would look the same to Argo CD or Flux.",
                );
            }
        }
        let pause_between_steps = self.pause_between_steps;
        if pause_between_steps && rollout.as_ref().is_some_and(|r| r.len() < 2) {
            errors.push(
                "pause_between_steps",
                "Pausing between steps needs at least two rollout steps (such as 10, 100).",
            );
        }
        let auto_rollback = self.auto_rollback;
        errors.into_result(|| DeploySettings {
            adapter: adapter.unwrap_or_default(),
            checks,
            auto_rollback,
            rollout: rollout.unwrap_or_default(),
            pause_between_steps,
        })
    }

    fn command(&self, errors: &mut FieldErrors) -> Option<CommandAdapter> {
        let program = errors.check("program", program(&self.program));
        let mut args = Vec::new();
        for line in self.args.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            if line.chars().any(char::is_control) || line.chars().count() > 2000 {
                errors.push("args", "Each argument goes on its own line, at most 2,000 characters, without control characters.");
                break;
            }
            args.push(line.to_owned());
        }
        if args.len() > 100 {
            errors.push("args", "At most 100 arguments.");
        }
        let workdir = match self.workdir.trim() {
            "" => Some(None),
            w if w.starts_with('/') && w.len() <= 1000 && !w.chars().any(char::is_control) => {
                Some(Some(w.to_owned()))
            }
            _ => {
                errors.push("workdir", "Give the working directory as an absolute path (starting with /), or leave it empty.");
                None
            }
        };
        let timeout_s = self.timeout(errors);
        Some(CommandAdapter {
            program: program?,
            args,
            workdir: workdir?,
            timeout_s: timeout_s?,
        })
    }
}

impl DeploySettingsForm {
    fn timeout(&self, errors: &mut FieldErrors) -> Option<u32> {
        match self.timeout_s.trim() {
            "" => Some(DEFAULT_TIMEOUT_S),
            t => match t.parse::<u32>() {
                Ok(n) if (1..=MAX_TIMEOUT_S).contains(&n) => Some(n),
                _ => {
                    errors.push(
                        "timeout_s",
                        format!("Give the timeout in whole seconds, 1 to {MAX_TIMEOUT_S}."),
                    );
                    None
                }
            },
        }
    }

    fn webhook(&self, errors: &mut FieldErrors) -> Option<WebhookAdapter> {
        let url = errors.check(
            "webhook_url",
            http_url(
                &self.webhook_url,
                "Give the address to send the webhook to as an http:// or https:// URL.",
            ),
        );
        let secret = self.webhook_secret.trim().to_ascii_lowercase();
        let secret_ok = !secret.is_empty()
            && secret.len() <= 64
            && secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !secret_ok {
            errors.push("webhook_secret", "Name the signing secret as it is called in Slipway's configuration ([webhook_secrets] NAME = \"whsec_\u{2026}\"); the secret itself never goes here.");
        }
        let status_url = match self.webhook_status_url.trim() {
            "" => Some(None),
            u => errors
                .check("webhook_status_url", http_url(u, "Give the status address as an http:// or https:// URL, or leave it empty for the callback."))
                .map(Some),
        };
        let timeout_s = self.timeout(errors);
        Some(WebhookAdapter {
            url: url?,
            secret: secret_ok.then_some(secret)?,
            status_url: status_url?,
            timeout_s: timeout_s?,
        })
    }
}

/// An http(s) URL without credentials or blanks.
fn http_url(input: &str, error: &str) -> Result<String, String> {
    let u = input.trim();
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or_default();
    if rest.is_empty() || u.len() > 2000 || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(error.to_owned());
    }
    if crate::validation::url_has_credentials(u) {
        return Err("Leave user names and passwords out of the URL.".into());
    }
    Ok(u.to_owned())
}

/// Rollout steps: `10, 50, 100` (commas or blanks), rising, each 1 to 100;
/// 100 is added at the end when missing. Empty: no progressive rollout.
fn rollout(input: &str) -> Result<Vec<u8>, String> {
    let bad = || {
        format!("List the rollout steps as rising percentages, such as 10, 50, 100 (at most {MAX_STEPS}), or leave it empty to deploy in one step.")
    };
    let mut steps: Vec<u8> = Vec::new();
    for part in input
        .split([',', ' ', ';'])
        .map(|p| p.trim().trim_end_matches('%'))
        .filter(|p| !p.is_empty())
    {
        let n: u8 = part.parse().map_err(|_| bad())?;
        if n == 0 || n > 100 || steps.last().is_some_and(|last| *last >= n) {
            return Err(bad());
        }
        steps.push(n);
    }
    if steps.last().is_some_and(|last| *last != 100) {
        steps.push(100);
    }
    if steps.len() > MAX_STEPS {
        return Err(bad());
    }
    // One step of 100 is no progressive rollout.
    if steps == [100] {
        steps.clear();
    }
    Ok(steps)
}

/// A program: a path or a name, no blanks, no control characters.
fn program(input: &str) -> Result<String, String> {
    let p = input.trim();
    if p.is_empty()
        || p.chars().count() > 500
        || p.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        Err("Name the program to run (a path such as /usr/local/bin/deploy.sh, or a name such as helm), without arguments: they go one per line below.".into())
    } else {
        Ok(p.to_owned())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn command_form() -> DeploySettingsForm {
        DeploySettingsForm {
            adapter: "command".into(),
            program: " helm ".into(),
            args: "upgrade\r\nshop\n\n--set\nimage.digest=$SLIPWAY_DIGEST\n".into(),
            workdir: "/srv/deploy".into(),
            timeout_s: "".into(),
            checks: vec![],
            auto_rollback: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_command_adapter_keeps_its_arguments_one_per_line_never_a_shell_line() {
        let s = command_form().parse().unwrap();
        let Adapter::Command(c) = &s.adapter else {
            panic!("{s:?}")
        };
        assert_eq!(c.program, "helm");
        // The "$" stays literal: no shell ever sees it.
        assert_eq!(
            c.args,
            ["upgrade", "shop", "--set", "image.digest=$SLIPWAY_DIGEST"]
        );
        assert_eq!(c.workdir.as_deref(), Some("/srv/deploy"));
        assert_eq!(c.timeout_s, DEFAULT_TIMEOUT_S);
        assert!(s.deploys());
        assert!(!s.adapter_resumes());
        // The form shows what was stored.
        let again = DeploySettingsForm::from_settings(&s).parse().unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn record_only_is_the_default_and_cannot_roll_back_by_itself() {
        let s = DeploySettingsForm::default().parse().unwrap();
        assert_eq!(s, DeploySettings::default());
        assert!(!s.deploys());
        let err = DeploySettingsForm {
            auto_rollback: true,
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert!(err.get("auto_rollback").is_some());
    }

    #[test]
    fn every_bad_field_is_named() {
        let form = DeploySettingsForm {
            adapter: "command".into(),
            program: "deploy.sh --now".into(),
            args: "ok\n\u{7}bell".into(),
            workdir: "relative/dir".into(),
            timeout_s: "0".into(),
            ..Default::default()
        };
        let err = form.parse().unwrap_err();
        for field in ["program", "args", "workdir", "timeout_s"] {
            assert!(err.get(field).is_some(), "{field}: {err:?}");
        }
        let err = DeploySettingsForm {
            adapter: "ftp".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert!(err.get("adapter").is_some());
        for t in ["7201", "-1", "1.5", "ten"] {
            let f = DeploySettingsForm {
                timeout_s: t.into(),
                ..command_form()
            };
            assert!(f.parse().unwrap_err().get("timeout_s").is_some(), "{t}");
        }
    }

    #[test]
    fn a_webhook_adapter_names_its_secret_and_never_holds_it() {
        let form = DeploySettingsForm {
            adapter: "webhook".into(),
            webhook_url: "https://deploy.example.com/hooks/slipway".into(),
            webhook_secret: "Deploys".into(),
            timeout_s: "300".into(),
            ..Default::default()
        };
        let s = form.parse().unwrap();
        let Adapter::Webhook(w) = &s.adapter else {
            panic!("{s:?}")
        };
        assert_eq!(
            (w.secret.as_str(), w.status_url.as_ref(), w.timeout_s),
            ("deploys", None, 300)
        );
        assert!(s.adapter_resumes());
        assert_eq!(DeploySettingsForm::from_settings(&s).parse().unwrap(), s);
        let bad = DeploySettingsForm {
            adapter: "webhook".into(),
            webhook_url: "ftp://x".into(),
            webhook_secret: "whsec_abc+/=".into(),
            webhook_status_url: "https://user:pw@x/status".into(),
            ..Default::default()
        };
        let err = bad.parse().unwrap_err();
        for field in ["webhook_url", "webhook_secret", "webhook_status_url"] {
            assert!(err.get(field).is_some(), "{field}: {err:?}");
        }
    }

    #[test]
    fn rows_nobody_filled_in_are_no_checks() {
        let form = DeploySettingsForm {
            checks: vec![
                CheckForm::default(),
                CheckForm {
                    name: "health".into(),
                    url: "http://127.0.0.1/health".into(),
                    ..Default::default()
                },
                CheckForm {
                    name: "  ".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        assert_eq!(form.parse().unwrap().checks.len(), 1);
    }

    #[test]
    fn a_gitops_adapter_resumes_and_shows_its_fields_again() {
        let form = DeploySettingsForm {
            adapter: "gitops".into(),
            gitops: GitopsForm {
                repo_url: "git://127.0.0.1/deploy.git".into(),
                path: "envs/prod/values.yaml".into(),
                key: "image.digest".into(),
                ..Default::default()
            },
            timeout_s: "120".into(),
            ..Default::default()
        };
        let s = form.parse().unwrap();
        let Adapter::Gitops(g) = &s.adapter else {
            panic!("{s:?}")
        };
        assert_eq!((g.branch.as_str(), g.timeout_s), ("main", 120));
        assert!(s.deploys() && s.adapter_resumes());
        assert_eq!(DeploySettingsForm::from_settings(&s).parse().unwrap(), s);
        let err = DeploySettingsForm {
            adapter: "gitops".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert!(err.get("gitops.repo_url").is_some(), "{err:?}");
        assert!(err.get("gitops.path").is_some(), "{err:?}");
    }

    #[test]
    fn rollout_steps_rise_to_one_hundred() {
        assert_eq!(rollout("10, 50, 100").unwrap(), [10, 50, 100]);
        assert_eq!(rollout("10% 50%").unwrap(), [10, 50, 100]);
        assert_eq!(rollout("").unwrap(), Vec::<u8>::new());
        assert_eq!(rollout("100").unwrap(), Vec::<u8>::new());
        for bad in [
            "0, 100",
            "50, 10",
            "10, 10",
            "101",
            "ten",
            "1,2,3,4,5,6,7,8,9,10,11",
        ] {
            assert!(rollout(bad).is_err(), "{bad}");
        }
        let s = DeploySettingsForm {
            rollout: "25".into(),
            pause_between_steps: true,
            ..command_form()
        }
        .parse()
        .unwrap();
        assert_eq!(s.steps(), [25, 100]);
        assert_eq!(DeploySettingsForm::from_settings(&s).rollout, "25, 100");
        assert_eq!(DeploySettings::default().steps(), [100]);
    }

    #[test]
    fn a_rollout_needs_an_adapter_and_a_pause_needs_two_steps() {
        let err = DeploySettingsForm {
            rollout: "10, 100".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert!(err.get("rollout").is_some());
        let err = DeploySettingsForm {
            pause_between_steps: true,
            ..command_form()
        }
        .parse()
        .unwrap_err();
        assert!(err.get("pause_between_steps").is_some());
    }

    #[test]
    fn stored_settings_refuse_unknown_fields() {
        let json = r#"{"adapter":{"kind":"command","program":"x","timeout_s":5,"shell":"sh -c"}}"#;
        assert!(serde_json::from_str::<DeploySettings>(json).is_err());
        let ok = r#"{"adapter":{"kind":"record"}}"#;
        assert_eq!(
            serde_json::from_str::<DeploySettings>(ok).unwrap(),
            DeploySettings::default()
        );
    }
}
