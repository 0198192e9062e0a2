//! Accounts: usernames and password rules.

use crate::validation::bounded_text;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const USERNAME_MAX: usize = 64;
pub const DISPLAY_NAME_MAX: usize = 100;
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 256;

/// A login name: lowercase letters, digits, '.', '-' and '_'.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err("Username is required.".into());
        }
        if s.chars().count() > USERNAME_MAX {
            return Err(format!(
                "Username must be at most {USERNAME_MAX} characters."
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err(
                "Username may contain only letters, digits, '.', '-' and '_', and must start with a letter or digit."
                    .into(),
            );
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name such as "Ada Lovelace".
pub fn parse_display_name(input: &str) -> Result<String, String> {
    bounded_text(input, "Display name", 1, DISPLAY_NAME_MAX)
}

/// A new password that meets the policy. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(input: &str) -> Result<Self, String> {
        let len = input.chars().count();
        if len < PASSWORD_MIN {
            return Err(format!(
                "Password must be at least {PASSWORD_MIN} characters."
            ));
        }
        if len > PASSWORD_MAX {
            return Err(format!(
                "Password must be at most {PASSWORD_MAX} characters."
            ));
        }
        if input.trim().is_empty() {
            return Err("Password must not be only spaces.".into());
        }
        Ok(Self(input.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The longest e-mail address (RFC 5321's path limit).
pub const EMAIL_MAX: usize = 254;

/// An optional e-mail address as people type it: empty means "none".
/// `local@domain` with the characters RFC 5322 allows unquoted in the local
/// part (no leading, trailing or double dots) and a domain of letters,
/// digits and hyphens in dot-separated labels. The mailer checks it again
/// when it sends.
pub fn parse_email(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > EMAIL_MAX {
        return Err(format!(
            "An e-mail address has at most {EMAIL_MAX} characters."
        ));
    }
    let refused = || {
        format!(
            "\"{}\" is not an e-mail address like paula@example.com.",
            crate::validation::shown(s)
        )
    };
    let (local, domain) = s.rsplit_once('@').ok_or_else(refused)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok {
        Ok(Some(s.to_owned()))
    } else {
        Err(refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses() {
        assert_eq!(parse_email("  "), Ok(None));
        for ok in [
            "paula@example.com",
            "p.o+tag@mail.example.co.uk",
            "ops@localhost",
            "a_b-c@x-y.io",
        ] {
            assert_eq!(parse_email(ok), Ok(Some(ok.to_owned())), "{ok}");
        }
        for bad in [
            "paula",
            "@example.com",
            "paula@",
            "pa..ula@example.com",
            ".p@example.com",
            "p@-example.com",
            "p@exa_mple.com",
            "p q@example.com",
            "p@example..com",
            "p<x>@example.com",
        ] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(300));
        assert!(parse_email(&long).unwrap_err().contains("254"));
    }

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(
            Username::parse(" Ada.L ").map(|u| u.to_string()),
            Ok("ada.l".into())
        );
        for bad in ["", ".ada", "ada lovelace", "ådа"] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_follow_the_policy_and_never_print() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&" ".repeat(20)).is_err());
        let p = Password::parse("correct horse battery");
        assert_eq!(
            p.as_ref().map(|p| format!("{p:?}")),
            Ok("Password(<redacted>)".into())
        );
    }

    #[test]
    fn display_names_are_required() {
        assert!(parse_display_name(" ").is_err());
        assert_eq!(parse_display_name(" Ada "), Ok("Ada".into()));
    }
}
