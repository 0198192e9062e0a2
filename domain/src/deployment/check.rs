//! Checks that verify a deployment: fail-closed.
//!
//! Rules:
//! 1. An HTTP check passes only when a response arrives with the expected
//!    status, within the latency budget, whose body contains the expected
//!    text (if any) and whose JSON has the expected value at the pointer
//!    (if any). Anything else — a connection error, a timeout, a body that
//!    is not JSON when a pointer is asked for — is a failure with the
//!    reason, never a pass.
//! 2. A failed attempt is tried again after a back-off that doubles
//!    (capped at 30 s), at most `retries` more times, and never past the
//!    check's deadline: when the next attempt would start after it, the
//!    check has failed ([`retry_delay_ms`]).
//! 3. A command check passes only when its program exits 0 within its
//!    timeout.
//! 4. URLs are `http://` or `https://` without credentials in them.

use crate::validation::{url_has_credentials, FieldErrors};
use serde::{Deserialize, Serialize};

/// The longest back-off between two attempts.
pub const MAX_BACKOFF_MS: u64 = 30_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    Http(HttpCheck),
    Command(CommandCheck),
}

impl Check {
    pub fn name(&self) -> &str {
        match self {
            Check::Http(c) => &c.name,
            Check::Command(c) => &c.name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCheck {
    pub name: String,
    pub url: String,
    pub expect_status: u16,
    #[serde(default)]
    pub body_contains: Option<String>,
    /// A JSON pointer (RFC 6901) and the value expected there.
    #[serde(default)]
    pub json_pointer: Option<(String, String)>,
    /// The slowest acceptable answer.
    pub latency_budget_ms: u64,
    /// Attempts after the first.
    pub retries: u32,
    /// The first back-off; it doubles.
    pub backoff_ms: u64,
    /// The whole check, all attempts, must end within this.
    pub deadline_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandCheck {
    pub name: String,
    pub program: String,
    #[serde(default)]
    pub args: Vec<String>,
    pub timeout_ms: u64,
}

/// What one HTTP attempt saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed<'a> {
    Response {
        status: u16,
        body: &'a str,
        latency_ms: u64,
    },
    /// No response: refused, unreachable, timed out, TLS failed, …
    Error(String),
}

/// Rule 1: whether an attempt passed; `Ok` carries a one-line summary,
/// `Err` the reason it failed.
pub fn judge(check: &HttpCheck, observed: &Observed<'_>) -> Result<String, String> {
    let (status, body, latency_ms) = match observed {
        Observed::Error(e) => return Err(format!("no answer: {e}")),
        Observed::Response {
            status,
            body,
            latency_ms,
        } => (*status, *body, *latency_ms),
    };
    if status != check.expect_status {
        return Err(format!(
            "answered {status}, expected {}",
            check.expect_status
        ));
    }
    if latency_ms > check.latency_budget_ms {
        return Err(format!(
            "answered in {latency_ms} ms, over the budget of {} ms",
            check.latency_budget_ms
        ));
    }
    if let Some(text) = &check.body_contains {
        if !body.contains(text.as_str()) {
            return Err(format!(
                "the answer does not contain \u{201c}{text}\u{201d}"
            ));
        }
    }
    if let Some((pointer, expected)) = &check.json_pointer {
        let json: serde_json::Value = serde_json::from_str(body).map_err(|_| {
            "the answer is not JSON, so its value at the pointer cannot be checked".to_owned()
        })?;
        let found = json
            .pointer(pointer)
            .ok_or_else(|| format!("the answer has nothing at {pointer}"))?;
        let found_text = match found {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if &found_text != expected {
            return Err(format!("{pointer} is {found_text}, expected {expected}"));
        }
    }
    Ok(format!("answered {status} in {latency_ms} ms"))
}

/// Rule 2: how long to wait before the next attempt, after `attempts`
/// attempts (all failed) and `elapsed_ms` since the check began; `None`
/// when the check has failed for good.
pub fn retry_delay_ms(check: &HttpCheck, attempts: u32, elapsed_ms: u64) -> Option<u64> {
    if attempts == 0 {
        return Some(0);
    }
    if attempts > check.retries {
        return None;
    }
    let factor = 1u64
        .checked_shl(attempts.saturating_sub(1))
        .unwrap_or(u64::MAX);
    let delay = check.backoff_ms.saturating_mul(factor).min(MAX_BACKOFF_MS);
    (elapsed_ms.saturating_add(delay) < check.deadline_ms).then_some(delay)
}

/// A check as typed into the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckForm {
    /// `http` or `command`.
    pub kind: String,
    pub name: String,
    pub url: String,
    pub expect_status: String,
    pub body_contains: String,
    pub json_pointer: String,
    pub json_value: String,
    pub latency_budget_ms: String,
    pub retries: String,
    pub deadline_s: String,
    pub program: String,
    /// One argument per line.
    pub args: String,
    pub timeout_s: String,
}

impl CheckForm {
    /// A row nobody filled in (no name, URL or program).
    pub fn is_blank(&self) -> bool {
        self.name.trim().is_empty() && self.url.trim().is_empty() && self.program.trim().is_empty()
    }

    pub fn from_check(c: &Check) -> Self {
        match c {
            Check::Http(h) => CheckForm {
                kind: "http".into(),
                name: h.name.clone(),
                url: h.url.clone(),
                expect_status: h.expect_status.to_string(),
                body_contains: h.body_contains.clone().unwrap_or_default(),
                json_pointer: h
                    .json_pointer
                    .as_ref()
                    .map(|p| p.0.clone())
                    .unwrap_or_default(),
                json_value: h
                    .json_pointer
                    .as_ref()
                    .map(|p| p.1.clone())
                    .unwrap_or_default(),
                latency_budget_ms: h.latency_budget_ms.to_string(),
                retries: h.retries.to_string(),
                deadline_s: (h.deadline_ms / 1000).to_string(),
                ..Default::default()
            },
            Check::Command(k) => CheckForm {
                kind: "command".into(),
                name: k.name.clone(),
                program: k.program.clone(),
                args: k.args.join("\n"),
                timeout_s: (k.timeout_ms / 1000).to_string(),
                ..Default::default()
            },
        }
    }

    pub fn parse(&self) -> Result<Check, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            errors.push("name", "Name the check in a few words, e.g. \u{201c}health endpoint\u{201d} (at most 100 characters).");
        }
        let name = name.to_owned();
        match self.kind.trim() {
            "" | "http" => {
                let url = errors.check("url", check_url(&self.url));
                let expect_status = errors.check(
                    "expect_status",
                    number(
                        &self.expect_status,
                        200,
                        100,
                        599,
                        "The expected status is a number from 100 to 599.",
                    ),
                );
                let latency = errors.check(
                    "latency_budget_ms",
                    number(
                        &self.latency_budget_ms,
                        2_000,
                        1,
                        60_000,
                        "The latency budget is 1 to 60,000 milliseconds.",
                    ),
                );
                let retries = errors.check(
                    "retries",
                    number(
                        &self.retries,
                        5,
                        0,
                        100,
                        "Retries are a number from 0 to 100.",
                    ),
                );
                let deadline = errors.check(
                    "deadline_s",
                    number(
                        &self.deadline_s,
                        120,
                        1,
                        3_600,
                        "The deadline is 1 to 3,600 seconds.",
                    ),
                );
                let body_contains = match self.body_contains.trim() {
                    "" => None,
                    t if t.chars().count() <= 500 => Some(t.to_owned()),
                    _ => {
                        errors.push(
                            "body_contains",
                            "The expected text is at most 500 characters.",
                        );
                        None
                    }
                };
                let json_pointer = match (self.json_pointer.trim(), self.json_value.trim()) {
                    ("", "") => None,
                    (p, v)
                        if (p.is_empty() || p.starts_with('/'))
                            && p.len() <= 500
                            && v.len() <= 500 =>
                    {
                        Some((p.to_owned(), v.to_owned()))
                    }
                    _ => {
                        errors.push("json_pointer", "A JSON pointer starts with / (e.g. /status), or is empty for the whole answer; at most 500 characters.");
                        None
                    }
                };
                errors.into_result(|| {
                    Check::Http(HttpCheck {
                        name,
                        url: url.unwrap_or_default(),
                        expect_status: expect_status.unwrap_or(200) as u16,
                        body_contains,
                        json_pointer,
                        latency_budget_ms: latency.unwrap_or(2_000),
                        retries: retries.unwrap_or(5) as u32,
                        backoff_ms: 1_000,
                        deadline_ms: deadline.unwrap_or(120) * 1000,
                    })
                })
            }
            "command" => {
                let program = self.program.trim();
                if program.is_empty()
                    || program.chars().count() > 500
                    || program.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    errors.push(
                        "program",
                        "Name the program to run, without arguments: they go one per line.",
                    );
                }
                let args: Vec<String> = self
                    .args
                    .lines()
                    .map(|l| l.trim_end_matches('\r'))
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned)
                    .collect();
                if args.len() > 100
                    || args
                        .iter()
                        .any(|a| a.chars().any(char::is_control) || a.chars().count() > 2000)
                {
                    errors.push(
                        "args",
                        "At most 100 arguments, one per line, without control characters.",
                    );
                }
                let timeout = errors.check(
                    "timeout_s",
                    number(
                        &self.timeout_s,
                        60,
                        1,
                        3_600,
                        "The timeout is 1 to 3,600 seconds.",
                    ),
                );
                let program = program.to_owned();
                errors.into_result(|| {
                    Check::Command(CommandCheck {
                        name,
                        program,
                        args,
                        timeout_ms: timeout.unwrap_or(60) * 1000,
                    })
                })
            }
            _ => {
                errors.push("kind", "A check is an HTTP request or a command.");
                Err(errors)
            }
        }
    }
}

/// Rule 4.
fn check_url(input: &str) -> Result<String, String> {
    let u = input.trim();
    let scheme_ok = u.starts_with("http://") || u.starts_with("https://");
    let rest = u.split_once("://").map_or("", |(_, r)| r);
    if !scheme_ok
        || rest.is_empty()
        || u.len() > 2000
        || u.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("Give the address to check as an http:// or https:// URL.".into());
    }
    if url_has_credentials(u) {
        return Err("Leave user names and passwords out of the URL.".into());
    }
    Ok(u.to_owned())
}

/// A whole number in `min..=max`, or `default` when empty.
fn number(input: &str, default: u64, min: u64, max: u64, error: &str) -> Result<u64, String> {
    match input.trim() {
        "" => Ok(default),
        t => t
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| error.to_owned()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn http() -> HttpCheck {
        HttpCheck {
            name: "health".into(),
            url: "http://127.0.0.1:8080/health".into(),
            expect_status: 200,
            body_contains: Some("ok".into()),
            json_pointer: None,
            latency_budget_ms: 500,
            retries: 3,
            backoff_ms: 1_000,
            deadline_ms: 10_000,
        }
    }

    fn response(status: u16, body: &str, latency_ms: u64) -> Observed<'_> {
        Observed::Response {
            status,
            body,
            latency_ms,
        }
    }

    #[test]
    fn a_check_passes_only_with_the_status_the_text_and_in_time() {
        assert!(judge(&http(), &response(200, "all ok", 20)).is_ok());
        let reasons = [
            judge(&http(), &response(503, "ok", 20)).unwrap_err(),
            judge(&http(), &response(200, "down", 20)).unwrap_err(),
            judge(&http(), &response(200, "ok", 501)).unwrap_err(),
            judge(&http(), &Observed::Error("connection refused".into())).unwrap_err(),
        ];
        assert!(reasons[0].contains("answered 503, expected 200"));
        assert!(reasons[1].contains("does not contain"));
        assert!(reasons[2].contains("over the budget of 500 ms"));
        assert!(reasons[3].contains("connection refused"));
    }

    #[test]
    fn a_json_pointer_must_find_the_expected_value_and_a_body_that_is_not_json_fails() {
        let check = HttpCheck {
            body_contains: None,
            json_pointer: Some(("/build/version".into(), "1.4.0".into())),
            ..http()
        };
        assert!(judge(
            &check,
            &response(200, r#"{"build":{"version":"1.4.0"}}"#, 5)
        )
        .is_ok());
        assert!(judge(
            &check,
            &response(200, r#"{"build":{"version":"1.3.9"}}"#, 5)
        )
        .unwrap_err()
        .contains("is 1.3.9, expected 1.4.0"));
        assert!(judge(&check, &response(200, r#"{"build":{}}"#, 5))
            .unwrap_err()
            .contains("nothing at /build/version"));
        assert!(judge(&check, &response(200, "<html>", 5))
            .unwrap_err()
            .contains("not JSON"));
        let boolean = HttpCheck {
            json_pointer: Some(("/ready".into(), "true".into())),
            ..check
        };
        assert!(judge(&boolean, &response(200, r#"{"ready":true}"#, 5)).is_ok());
        assert!(judge(&boolean, &response(200, r#"{"ready":false}"#, 5)).is_err());
    }

    #[test]
    fn retries_back_off_doubling_and_never_past_the_deadline() {
        let c = http(); // 3 retries, 1 s doubling, 10 s deadline
        assert_eq!(retry_delay_ms(&c, 0, 0), Some(0));
        assert_eq!(retry_delay_ms(&c, 1, 100), Some(1_000));
        assert_eq!(retry_delay_ms(&c, 2, 1_200), Some(2_000));
        assert_eq!(retry_delay_ms(&c, 3, 3_300), Some(4_000));
        assert_eq!(retry_delay_ms(&c, 4, 7_400), None, "retries used up");
        // The deadline ends it earlier.
        assert_eq!(retry_delay_ms(&c, 3, 6_500), None);
        let many = HttpCheck {
            retries: 100,
            deadline_ms: 3_600_000,
            ..http()
        };
        assert_eq!(retry_delay_ms(&many, 90, 0), Some(MAX_BACKOFF_MS));
    }

    #[test]
    fn the_form_fills_defaults_and_names_every_bad_field() {
        let form = CheckForm {
            name: "health".into(),
            url: " https://shop.example.com/health ".into(),
            ..Default::default()
        };
        let Check::Http(c) = form.parse().unwrap() else {
            panic!()
        };
        assert_eq!(c.url, "https://shop.example.com/health");
        assert_eq!(
            (c.expect_status, c.retries, c.deadline_ms),
            (200, 5, 120_000)
        );
        assert_eq!(
            CheckForm::from_check(&Check::Http(c.clone()))
                .parse()
                .unwrap(),
            Check::Http(c)
        );

        for (url, why) in [
            ("ftp://shop.example.com/", "http"),
            ("file:///etc/passwd", "http"),
            ("http://", "http"),
            ("http://user:pw@shop.example.com/", "passwords"),
        ] {
            let f = CheckForm {
                name: "x".into(),
                url: url.into(),
                ..Default::default()
            };
            let err = f.parse().unwrap_err();
            assert!(
                err.get("url").is_some_and(|m| m.contains(why)),
                "{url}: {err:?}"
            );
        }
        let bad = CheckForm {
            name: "".into(),
            url: "http://x/".into(),
            expect_status: "99".into(),
            latency_budget_ms: "0".into(),
            retries: "x".into(),
            deadline_s: "3601".into(),
            json_pointer: "status".into(),
            ..Default::default()
        };
        let err = bad.parse().unwrap_err();
        for field in [
            "name",
            "expect_status",
            "latency_budget_ms",
            "retries",
            "deadline_s",
            "json_pointer",
        ] {
            assert!(err.get(field).is_some(), "{field}: {err:?}");
        }
        let kind = CheckForm {
            kind: "ping".into(),
            name: "x".into(),
            ..Default::default()
        };
        assert!(kind.parse().unwrap_err().get("kind").is_some());
    }

    #[test]
    fn a_command_check_keeps_its_arguments_and_timeout() {
        let f = CheckForm {
            kind: "command".into(),
            name: "smoke".into(),
            program: "/usr/bin/env".into(),
            args: "true\n".into(),
            timeout_s: "5".into(),
            ..Default::default()
        };
        let Check::Command(c) = f.parse().unwrap() else {
            panic!()
        };
        assert_eq!(
            (c.args.as_slice(), c.timeout_ms),
            (["true".to_owned()].as_slice(), 5_000)
        );
        let bad = CheckForm {
            program: "a b".into(),
            timeout_s: "0".into(),
            ..f
        };
        let err = bad.parse().unwrap_err();
        assert!(err.get("program").is_some() && err.get("timeout_s").is_some());
    }
}
