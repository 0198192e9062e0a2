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

/// Trims the input and checks its length in characters (not bytes).
pub(crate) fn bounded_text(
    input: &str,
    what: &str,
    min: usize,
    max: usize,
) -> Result<String, String> {
    let trimmed = input.trim();
    let len = trimmed.chars().count();
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
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(format!("{what} contains control characters."));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

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
