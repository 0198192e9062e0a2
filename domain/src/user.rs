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

#[cfg(test)]
mod tests {
    use super::*;

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
