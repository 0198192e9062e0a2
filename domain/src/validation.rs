//! Validation errors that name the field they belong to, so forms can show
//! each message next to its input.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field's name, e.g. `slug` or `environments[1].name`.
    pub field: String,
    /// A sentence a person can act on.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// All the problems found in one submission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Records the error of a parse result, returning the parsed value if any.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.push(field, message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for one field, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// All messages on one line, for command-line output:
    /// `tag_prefix: Tag prefix must not contain ' '.; main_branch: ...`.
    pub fn summary(&self) -> String {
        self.0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// `Ok(value)` when no error was recorded.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// Free text, one policy per kind of field. Single-line fields (names,
/// titles, versions) refuse every control character (NUL, newlines, tabs,
/// escapes: they break PostgreSQL, iCalendar feeds and page titles);
/// multi-line fields (descriptions, comments, notes) allow newlines and tabs
/// only, with CRLF made LF. Lengths count characters, not bytes. Error
/// messages never repeat the input (it may be a megabyte), only its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    SingleLine,
    MultiLine,
}

impl TextKind {
    /// Trims and checks `input` for a field called `what` (for messages).
    pub fn parse(self, input: &str, what: &str, min: usize, max: usize) -> Result<String, String> {
        let normalized;
        let text = match self {
            TextKind::SingleLine => input.trim(),
            TextKind::MultiLine => {
                normalized = input.replace("\r\n", "\n");
                normalized.trim()
            }
        };
        let bad = |c: char| match self {
            TextKind::SingleLine => c.is_control(),
            TextKind::MultiLine => c.is_control() && c != '\n' && c != '\t',
        };
        if text.chars().any(bad) {
            return Err(match self {
                TextKind::SingleLine => {
                    format!("{what} must be one line of text, without control characters.")
                }
                TextKind::MultiLine => format!("{what} contains control characters."),
            });
        }
        let len = text.chars().count();
        if len < min {
            if min == 1 {
                return Err(format!("{what} is required."));
            }
            return Err(format!("{what} must be at least {min} characters."));
        }
        if len > max {
            return Err(format!(
                "{what} must be at most {max} characters (this one has {len})."
            ));
        }
        Ok(text.to_owned())
    }
}

/// A single-line field: trimmed, `min..=max` characters, no control
/// characters (see [`TextKind`]).
pub fn bounded_text(input: &str, what: &str, min: usize, max: usize) -> Result<String, String> {
    TextKind::SingleLine.parse(input, what, min, max)
}

/// A multi-line field: trimmed, CRLF made LF, `min..=max` characters,
/// newlines and tabs but no other control characters.
pub fn bounded_multiline(
    input: &str,
    what: &str,
    min: usize,
    max: usize,
) -> Result<String, String> {
    TextKind::MultiLine.parse(input, what, min, max)
}

/// Input as an error message may quote it: at most 40 characters, control
/// characters shown as spaces.
pub fn shown(input: &str) -> String {
    let mut out: String = input
        .trim()
        .chars()
        .take(40)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if input.trim().chars().count() > 40 {
        out.push('…');
    }
    out
}

/// The user-info part of a URL (`user:password@` in
/// `https://user:password@host/`), when it has one.
pub fn url_userinfo(url: &str) -> Option<&str> {
    let (_, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    authority.rsplit_once('@').map(|(userinfo, _)| userinfo)
}

/// Whether a URL carries a secret before its host: any user-info over
/// http(s) (`https://TOKEN@host` is a token), a password anywhere else
/// (`ssh://git@host` only names the account).
pub fn url_has_credentials(url: &str) -> bool {
    let scheme = url
        .trim()
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    match url_userinfo(url) {
        None => false,
        Some(info) => info.contains(':') || matches!(scheme.as_deref(), Some("http" | "https")),
    }
}

/// `text` with the credentials of every URL in it replaced by `***`
/// (`https://***@host/`): for showing URLs and audit records stored before
/// such URLs were refused.
pub fn redact_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        let scheme: String = head[..i]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        match authority.rsplit_once('@') {
            Some((info, host)) if url_has_credentials(&format!("{scheme}://{info}@{host}")) => {
                out.push_str("***@");
                out.push_str(host);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The longest release version: SemVer with pre-release and build metadata,
/// or CalVer, fits easily.
pub const VERSION_MAX: usize = 60;

/// A release's version: what a version may contain (letters, digits, `.`,
/// `-`, `+`, `_`), starting with a letter or digit (`1.4.0`, `v2.0.0-rc.1`,
/// `2026.11.2`), at most [`VERSION_MAX`] characters.
pub fn release_version(input: &str) -> Result<String, String> {
    let v = input.trim();
    let ok = !v.is_empty()
        && v.chars().count() <= VERSION_MAX
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'));
    if ok {
        Ok(v.to_owned())
    } else {
        Err(format!(
            "Give the version as letters, digits, dots, hyphens, plus signs or underscores, e.g. 1.4.0 or 2.0.0-rc.1 (at most {VERSION_MAX} characters)."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_fields_refuse_every_control_character() {
        for bad in ["a\0b", "a\nb", "a\tb", "a\u{1b}[31mb", "a\rb"] {
            assert!(bounded_text(bad, "Title", 1, 100).is_err(), "{bad:?}");
        }
        assert_eq!(bounded_text(" ok ", "Title", 1, 100), Ok("ok".into()));
    }

    #[test]
    fn multi_line_fields_keep_newlines_and_tabs_but_not_nul() {
        assert_eq!(
            bounded_multiline("a\r\nb\tc\n", "Notes", 0, 100),
            Ok("a\nb\tc".into())
        );
        assert!(bounded_multiline("a\0b", "Notes", 0, 100).is_err());
        assert!(bounded_multiline("a\u{7}b", "Notes", 0, 100).is_err());
    }

    #[test]
    fn errors_never_repeat_long_input() {
        let huge = "x".repeat(1_000_000);
        let e = bounded_text(&huge, "Title", 1, 200).unwrap_err();
        assert!(e.len() < 100, "{e}");
        assert!(e.contains("1000000"), "{e}");
        assert_eq!(shown(&huge).chars().count(), 41);
        assert_eq!(shown("a\nb"), "a b");
    }

    #[test]
    fn credentials_in_urls_are_found_and_redacted() {
        assert!(url_has_credentials(
            "https://bot:ghp_SECRET@github.com/a/b.git"
        ));
        assert!(url_has_credentials("https://ghp_TOKEN@github.com/a/b.git"));
        assert!(url_has_credentials("ssh://git:pw@host/a.git"));
        assert!(!url_has_credentials("ssh://git@host/a.git"));
        assert!(!url_has_credentials("git@github.com:a/b.git"));
        assert!(!url_has_credentials("https://github.com/a/b?x=a@b"));
        assert_eq!(
            redact_credentials(
                r#"{"repository_url":"https://bot:ghp_SECRET@github.com/a/b.git","x":"ssh://git@h/r"}"#
            ),
            r#"{"repository_url":"https://***@github.com/a/b.git","x":"ssh://git@h/r"}"#
        );
        assert_eq!(
            redact_credentials("see https://TOKEN@h/x and http://h/y"),
            "see https://***@h/x and http://h/y"
        );
        assert_eq!(redact_credentials("no urls here"), "no urls here");
    }

    #[test]
    fn versions_hold_only_what_a_version_may_contain() {
        for ok in [
            "1.4.0",
            "v2.0.0-rc.1",
            "2026.11.2",
            "1.0.0+build.5",
            "0.1.0_hotfix",
        ] {
            assert_eq!(release_version(ok), Ok(ok.to_owned()));
        }
        for bad in [
            "",
            "1.0.0</title><meta http-equiv=\"refresh\">",
            "1.0 .0",
            "-1.0.0",
            "1.0.0\0",
            "ünïcode",
            &"1".repeat(VERSION_MAX + 1),
        ] {
            assert!(release_version(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bounded_text_trims_and_counts_characters_not_bytes() {
        assert_eq!(bounded_text("  héllo ", "Name", 1, 5), Ok("héllo".into()));
        assert!(bounded_text("héllo!", "Name", 1, 5).is_err());
    }

    #[test]
    fn bounded_text_rejects_empty_and_control_characters() {
        assert_eq!(
            bounded_text("   ", "Name", 1, 5),
            Err("Name is required.".into())
        );
        assert!(bounded_text("a\u{0}b", "Name", 1, 5).is_err());
    }

    #[test]
    fn field_errors_report_by_field() {
        let mut errors = FieldErrors::new();
        assert!(errors.check::<u8>("a", Err("bad".into())).is_none());
        assert_eq!(errors.check("b", Ok(3)), Some(3));
        assert_eq!(errors.get("a"), Some("bad"));
        assert_eq!(errors.get("b"), None);
        assert!(errors.into_result(|| ()).is_err());
    }
}
