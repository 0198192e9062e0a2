//! How an environment deploys: its adapter, its checks, and whether it
//! rolls back by itself. Set per environment in the browser (admins and
//! release managers) and through the API; stored as JSON and parsed here
//! on the way in, so a stored value is always a valid one.
//!
//! Rules, in the order [`DeploySettingsForm::parse`] applies them:
//! 1. The adapter is `record` (promotion only records that the artifact
//!    entered: for environments Slipway does not deploy to) or `command`.
//! 2. A command adapter names a program (a path or a name on `PATH`, no
//!    blanks or control characters, at most 500 characters) and its
//!    arguments one per line — never a shell line: values reach the program
//!    as `SLIPWAY_*` variables, so nothing a user typed is interpolated.
//!    Its working directory, when given, is an absolute path; its timeout
//!    is 1 to 7,200 seconds (default 600).
//! 3. Checks are parsed by [`super::check`]; at most 20.
//! 4. Automatic rollback needs an adapter that deploys (not `record`).

use super::check::{Check, CheckForm};
use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};

/// The longest a command adapter may run before it is stopped (seconds).
pub const MAX_TIMEOUT_S: u32 = 7_200;
pub const DEFAULT_TIMEOUT_S: u32 = 600;
/// The most checks an environment may have.
pub const MAX_CHECKS: usize = 20;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploySettings {
    pub adapter: Adapter,
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Roll back to the last verified version when a deployment fails.
    #[serde(default)]
    pub auto_rollback: bool,
}

impl DeploySettings {
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
}

impl Adapter {
    pub fn label(&self) -> &'static str {
        match self {
            Adapter::Record => "Record only",
            Adapter::Command(_) => "Run a command",
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
}

impl DeploySettingsForm {
    /// The form for settings already stored (for editing them).
    pub fn from_settings(s: &DeploySettings) -> Self {
        let mut form = DeploySettingsForm {
            adapter: "record".into(),
            checks: s.checks.iter().map(CheckForm::from_check).collect(),
            auto_rollback: s.auto_rollback,
            ..Default::default()
        };
        if let Adapter::Command(c) = &s.adapter {
            form.adapter = "command".into();
            form.program = c.program.clone();
            form.args = c.args.join("\n");
            form.workdir = c.workdir.clone().unwrap_or_default();
            form.timeout_s = c.timeout_s.to_string();
        }
        form
    }

    /// Every problem named by its field (`program`, `checks[2].url`, …).
    pub fn parse(&self) -> Result<DeploySettings, FieldErrors> {
        let mut errors = FieldErrors::new();
        let adapter = match self.adapter.trim() {
            "" | "record" => Some(Adapter::Record),
            "command" => self.command(&mut errors).map(Adapter::Command),
            _ => {
                errors.push(
                    "adapter",
                    "Choose how this environment deploys: record only, or run a command.",
                );
                None
            }
        };
        if self.checks.len() > MAX_CHECKS {
            errors.push(
                "checks",
                format!("At most {MAX_CHECKS} checks per environment."),
            );
        }
        let mut checks = Vec::new();
        for (i, c) in self.checks.iter().enumerate() {
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
        let auto_rollback = self.auto_rollback;
        errors.into_result(|| DeploySettings {
            adapter: adapter.unwrap_or_default(),
            checks,
            auto_rollback,
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
        let timeout_s = match self.timeout_s.trim() {
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
        };
        Some(CommandAdapter {
            program: program?,
            args,
            workdir: workdir?,
            timeout_s: timeout_s?,
        })
    }
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
