//! The repository settings form as submitted, and its parsing into a
//! release policy with per-field errors.

use serde::{Deserialize, Serialize};
use slipway_domain::tagging::{Component, ReleasePolicy, Scheme};
use slipway_domain::version::Bump;
use slipway_domain::FieldErrors;

/// Every field of the repository settings page, as strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryForm {
    pub url: String,
    #[serde(default)]
    pub web_url: String,
    #[serde(default)]
    pub credential: String,
    #[serde(default)]
    pub issue_url: String,
    #[serde(default)]
    pub tag_prefix: String,
    #[serde(default)]
    pub main_branch: String,
    #[serde(default)]
    pub scheme: String,
    #[serde(default)]
    pub minor_types: String,
    #[serde(default)]
    pub patch_types: String,
    #[serde(default)]
    pub other_bump: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub breaking_minor_while_zero: Option<String>,
    #[serde(default)]
    pub initial_version: String,
    /// One component per line: `name tag-prefix path[,path...]`.
    #[serde(default)]
    pub components: String,
    #[serde(default)]
    pub fetch_interval_s: String,
    /// Types left out of the notes' "Other changes".
    #[serde(default)]
    pub notes_hidden_types: String,
    /// Checkboxes: release commits and bots' dependency updates are left out
    /// unless ticked.
    #[serde(default)]
    pub notes_include_release_commits: Option<String>,
    #[serde(default)]
    pub notes_include_bot_updates: Option<String>,
}

fn list(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Components as the form shows them.
pub fn components_text(components: &[Component]) -> String {
    components
        .iter()
        .map(|c| format!("{} {} {}", c.name, c.tag_prefix, c.paths.join(",")))
        .collect::<Vec<_>>()
        .join("\n")
}

impl RepositoryForm {
    /// The form for a stored policy.
    pub fn from_policy(
        url: Option<String>,
        web_url: Option<String>,
        credential: Option<String>,
        issue_url: Option<String>,
        policy: &ReleasePolicy,
        fetch_interval_s: i64,
    ) -> Self {
        Self {
            url: url.unwrap_or_default(),
            web_url: web_url.unwrap_or_default(),
            credential: credential.unwrap_or_default(),
            issue_url: issue_url.unwrap_or_default(),
            tag_prefix: policy.tag_prefix.clone(),
            main_branch: policy.main_branch.clone(),
            scheme: match policy.scheme {
                Scheme::Semver => "semver".into(),
                Scheme::Calver => "calver".into(),
            },
            minor_types: policy.versioning.minor_types.join(", "),
            patch_types: policy.versioning.patch_types.join(", "),
            other_bump: match policy.versioning.other_bump {
                Bump::None => "none",
                Bump::Patch => "patch",
                Bump::Minor => "minor",
                Bump::Major => "major",
            }
            .into(),
            breaking_minor_while_zero: policy
                .versioning
                .breaking_minor_while_zero
                .then(|| "on".into()),
            initial_version: policy.versioning.initial_version.to_string(),
            components: components_text(&policy.components),
            fetch_interval_s: fetch_interval_s.to_string(),
            notes_hidden_types: policy.notes.hidden_types.join(", "),
            notes_include_release_commits: policy
                .notes
                .include_release_commits
                .then(|| "on".into()),
            notes_include_bot_updates: policy.notes.include_bot_updates.then(|| "on".into()),
        }
    }

    /// The release policy and fetch interval, or what is wrong, by field.
    pub fn parse(&self) -> Result<(ReleasePolicy, i64), FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut policy = ReleasePolicy {
            tag_prefix: self.tag_prefix.trim().to_owned(),
            main_branch: self.main_branch.trim().to_owned(),
            ..ReleasePolicy::default()
        };
        policy.scheme = match self.scheme.trim() {
            "" | "semver" => Scheme::Semver,
            "calver" => Scheme::Calver,
            other => {
                errors.push(
                    "scheme",
                    format!("\"{other}\" is not a versioning scheme: choose SemVer or CalVer."),
                );
                Scheme::Semver
            }
        };
        policy.versioning.minor_types = list(&self.minor_types);
        policy.versioning.patch_types = list(&self.patch_types);
        policy.versioning.other_bump = match self.other_bump.trim() {
            "" | "none" => Bump::None,
            "patch" => Bump::Patch,
            "minor" => Bump::Minor,
            other => {
                errors.push(
                    "other_bump",
                    format!("\"{other}\" is not a choice here: none, patch or minor."),
                );
                Bump::None
            }
        };
        policy.versioning.breaking_minor_while_zero = self.breaking_minor_while_zero.is_some();
        policy.notes.hidden_types = list(&self.notes_hidden_types);
        policy.notes.include_release_commits = self.notes_include_release_commits.is_some();
        policy.notes.include_bot_updates = self.notes_include_bot_updates.is_some();
        match semver::Version::parse(self.initial_version.trim()) {
            Ok(v) => policy.versioning.initial_version = v,
            Err(_) => errors.push(
                "initial_version",
                format!(
                    "\"{}\" is not a version like 0.1.0.",
                    self.initial_version.trim()
                ),
            ),
        }
        for (i, line) in self.components.lines().enumerate() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                [] => {}
                [name, prefix, paths] => policy.components.push(Component {
                    name: (*name).to_owned(),
                    tag_prefix: (*prefix).to_owned(),
                    paths: paths.split(',').filter(|p| !p.is_empty()).map(str::to_owned).collect(),
                }),
                _ => errors.push(
                    "components",
                    format!(
                        "Line {}: write a component as \"name tag-prefix path,path\", e.g. \"api api-v services/api\".",
                        i + 1
                    ),
                ),
            }
        }
        let interval = match self.fetch_interval_s.trim() {
            "" => 300,
            s => match s.parse::<i64>() {
                Ok(n) => n,
                Err(_) => {
                    errors.push(
                        "fetch_interval_s",
                        "Enter a number of seconds, e.g. 300, or 0 for on demand only.",
                    );
                    300
                }
            },
        };
        if let Err(policy_errors) = policy.validate() {
            for e in policy_errors.0 {
                let field = if e.field.starts_with("components") {
                    "components".to_owned()
                } else {
                    e.field
                };
                errors.push(field, e.message);
            }
        }
        errors.into_result(|| (policy, interval))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_policy() {
        let mut policy = ReleasePolicy::default();
        policy.notes.hidden_types = vec!["chore".into(), "ci".into()];
        policy.notes.include_bot_updates = true;
        policy.components.push(Component {
            name: "api".into(),
            tag_prefix: "api-v".into(),
            paths: vec!["services/api".into(), "shared".into()],
        });
        let form =
            RepositoryForm::from_policy(Some("/srv/git/x".into()), None, None, None, &policy, 600);
        assert_eq!(form.parse().unwrap(), (policy, 600));
    }

    #[test]
    fn explains_each_bad_field() {
        let form = RepositoryForm {
            url: "x".into(),
            tag_prefix: "v v".into(),
            main_branch: "main".into(),
            scheme: "lunar".into(),
            other_bump: "huge".into(),
            initial_version: "one".into(),
            components: "api\n".into(),
            fetch_interval_s: "soon".into(),
            ..RepositoryForm::default()
        };
        let errors = form.parse().unwrap_err();
        for key in [
            "tag_prefix",
            "scheme",
            "other_bump",
            "initial_version",
            "components",
            "fetch_interval_s",
        ] {
            assert!(errors.get(key).is_some(), "{key}: {errors:?}");
        }
    }
}
