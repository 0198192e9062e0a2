//! Projects: one product or service that Slipway releases.

use crate::environment::{validate_environments, EnvironmentDraft, ValidEnvironment};
use crate::validation::{bounded_text, FieldErrors};
use serde::{Deserialize, Serialize};
use std::fmt;

pub const NAME_MAX: usize = 100;
pub const SLUG_MAX: usize = 63;
pub const DESCRIPTION_MAX: usize = 2_000;
pub const URL_MAX: usize = 2_048;

/// A project's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(input: &str) -> Result<Self, String> {
        bounded_text(input, "Name", 1, NAME_MAX).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The short identifier used in URLs and the CLI: lowercase letters, digits
/// and single hyphens, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProjectSlug(String);

impl ProjectSlug {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("Slug is required.".into());
        }
        let len = s.chars().count();
        if len > SLUG_MAX {
            return Err(format!(
                "Slug must be at most {SLUG_MAX} characters (this one has {len})."
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err("Slug must start with a lowercase letter (a-z).".into());
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(
                "Slug may contain only lowercase letters (a-z), digits and hyphens.".into(),
            );
        }
        if s.ends_with('-') || s.contains("--") {
            return Err("Slug must not end with a hyphen or contain two in a row.".into());
        }
        if RESERVED_SLUGS.contains(&s) {
            return Err(format!("\"{s}\" is reserved; choose another slug."));
        }
        Ok(Self(s.to_owned()))
    }

    /// Suggests a slug from a name: "Payments API (EU)" -> "payments-api-eu".
    pub fn suggest(name: &str) -> String {
        let mut out = String::new();
        for c in name.trim().chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        let trimmed = out.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
        let mut slug: String = trimmed.chars().take(SLUG_MAX).collect();
        while slug.ends_with('-') {
            slug.pop();
        }
        slug
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Slugs that would collide with the portal's own paths under `/projects/`.
const RESERVED_SLUGS: &[&str] = &["new", "archived", "edit"];

/// Parses an optional URL field: empty means "not set".
fn optional_url(input: &str, what: &str, schemes: &[&str]) -> Result<Option<String>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > URL_MAX {
        return Err(format!("{what} must be at most {URL_MAX} characters."));
    }
    if s.chars().any(char::is_whitespace) {
        return Err(format!("{what} must not contain spaces."));
    }
    let scheme_ok = schemes.iter().any(|scheme| {
        s.len() > scheme.len() + 3
            && s[..scheme.len()].eq_ignore_ascii_case(scheme)
            && s[scheme.len()..].starts_with("://")
    });
    // scp-like git remotes: git@host:group/repo.git
    let scp_like = schemes.contains(&"ssh")
        && s.contains('@')
        && s.contains(':')
        && !s.contains("://")
        && s.find('@') < s.find(':');
    if scheme_ok || scp_like {
        Ok(Some(s.to_owned()))
    } else {
        Err(format!(
            "{what} must start with {}.",
            schemes
                .iter()
                .map(|s| format!("{s}://"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// What a person typed into the project form, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectDraft {
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub repository_url: String,
    #[serde(default)]
    pub repository_web_url: String,
}

/// A project's details after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidProject {
    pub name: ProjectName,
    pub slug: ProjectSlug,
    pub description: String,
    pub repository_url: Option<String>,
    pub repository_web_url: Option<String>,
}

impl ProjectDraft {
    /// A new project may leave its slug empty: it is then derived from the
    /// name ("Payments API (EU)" -> "payments-api-eu").
    pub fn with_suggested_slug(mut self) -> Self {
        if self.slug.trim().is_empty() {
            self.slug = ProjectSlug::suggest(&self.name);
        }
        self
    }

    /// Validates every field and reports all problems at once.
    pub fn validate(&self) -> Result<ValidProject, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", ProjectName::parse(&self.name));
        let slug = errors.check("slug", ProjectSlug::parse(&self.slug));
        let description = errors.check(
            "description",
            bounded_text(&self.description, "Description", 0, DESCRIPTION_MAX),
        );
        let repository_url = errors.check(
            "repository_url",
            optional_url(
                &self.repository_url,
                "Repository URL",
                &["https", "http", "ssh", "git", "file"],
            ),
        );
        let repository_web_url = errors.check(
            "repository_web_url",
            optional_url(
                &self.repository_web_url,
                "Repository web URL",
                &["https", "http"],
            ),
        );
        match (name, slug, description, repository_url, repository_web_url) {
            (
                Some(name),
                Some(slug),
                Some(description),
                Some(repository_url),
                Some(repository_web_url),
            ) if errors.is_empty() => Ok(ValidProject {
                name,
                slug,
                description,
                repository_url,
                repository_web_url,
            }),
            _ => Err(errors),
        }
    }

    /// Validates the project together with its initial environments.
    pub fn validate_with_environments(
        &self,
        environments: &[EnvironmentDraft],
    ) -> Result<(ValidProject, Vec<ValidEnvironment>), FieldErrors> {
        let project = self.validate();
        let envs = validate_environments(environments);
        match (project, envs) {
            (Ok(p), Ok(e)) => Ok((p, e)),
            (p, e) => {
                let mut all = FieldErrors::new();
                if let Err(pe) = p {
                    all.0.extend(pe.0);
                }
                if let Err(ee) = e {
                    all.0.extend(ee.0);
                }
                Err(all)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ProjectDraft {
        ProjectDraft {
            name: "Payments API".into(),
            slug: "payments-api".into(),
            description: "Takes money.".into(),
            repository_url: "git@github.com:acme/payments.git".into(),
            repository_web_url: "https://github.com/acme/payments".into(),
        }
    }

    #[test]
    fn a_complete_draft_validates() {
        let valid = draft().validate().ok();
        assert_eq!(
            valid.map(|v| v.slug.as_str().to_owned()),
            Some("payments-api".to_owned())
        );
    }

    #[test]
    fn slugs_follow_the_rules() {
        assert!(ProjectSlug::parse("web-2").is_ok());
        for bad in [
            "", "Web", "2web", "web_app", "web-", "we--b", "new", "wéb", "a b",
        ] {
            assert!(ProjectSlug::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(ProjectSlug::parse(&"a".repeat(SLUG_MAX)).is_ok());
        assert!(ProjectSlug::parse(&"a".repeat(SLUG_MAX + 1)).is_err());
    }

    #[test]
    fn slug_suggestion_is_a_valid_slug() {
        assert_eq!(ProjectSlug::suggest("Payments API (EU)"), "payments-api-eu");
        assert_eq!(ProjectSlug::suggest("  42 Things! "), "things");
        assert!(ProjectSlug::parse(&ProjectSlug::suggest("Über Service")).is_ok());
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = ProjectDraft {
            name: " ".into(),
            slug: "Bad Slug".into(),
            description: "x".repeat(DESCRIPTION_MAX + 1),
            repository_url: "ftp://example.com/repo".into(),
            repository_web_url: "javascript:alert(1)".into(),
        };
        let errors = bad.validate().err().unwrap_or_default();
        for field in [
            "name",
            "slug",
            "description",
            "repository_url",
            "repository_web_url",
        ] {
            assert!(errors.get(field).is_some(), "no error for {field}");
        }
    }

    #[test]
    fn over_long_name_is_refused_with_its_length() {
        let mut d = draft();
        d.name = "n".repeat(NAME_MAX + 1);
        let errors = d.validate().err().unwrap_or_default();
        assert!(errors.get("name").unwrap_or("").contains("101"));
    }

    #[test]
    fn urls_are_optional_but_checked() {
        let mut d = draft();
        d.repository_url = String::new();
        d.repository_web_url = "  ".into();
        let v = d.validate().ok();
        assert_eq!(v.as_ref().map(|v| v.repository_url.clone()), Some(None));
        d.repository_web_url = "https://x y".into();
        assert!(d.validate().is_err());
    }

    #[test]
    fn an_empty_slug_is_derived_from_the_name_and_a_given_one_kept() {
        let draft = ProjectDraft {
            name: "Mobile App (iOS)".into(),
            ..ProjectDraft::default()
        };
        assert_eq!(draft.with_suggested_slug().slug, "mobile-app-ios");
        let draft = ProjectDraft {
            name: "Mobile".into(),
            slug: "mob".into(),
            ..ProjectDraft::default()
        };
        assert_eq!(draft.with_suggested_slug().slug, "mob");
    }
}
