//! A project's release policy as it meets git: how release tags are named,
//! which scheme numbers them (SemVer or CalVer), which branch is the main
//! line, and — for a repository holding several components (a monorepo) —
//! each component's own tag prefix and the paths its commits touch.

use crate::validation::FieldErrors;
use crate::version::VersionPolicy;
use semver::Version;
use serde::{Deserialize, Serialize};

/// How versions are numbered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// Semantic Versioning 2.0: the commits decide major/minor/patch.
    #[default]
    Semver,
    /// Calendar versioning `YYYY.M.PATCH`: the date decides, commits only
    /// decide whether there is a release at all.
    Calver,
}

/// One component of a monorepo: released on its own tags, from the commits
/// that touch its paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub name: String,
    /// e.g. `api-v` gives tags `api-v1.4.0`.
    pub tag_prefix: String,
    /// Repository paths (directories or files) whose changes belong to it.
    pub paths: Vec<String>,
}

/// Everything that decides a project's versions and tags. Stored per
/// project, and readable from a TOML file by `slipway version --policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReleasePolicy {
    pub scheme: Scheme,
    /// Prefix of release tags, `v` for `v1.4.0`; may be empty.
    pub tag_prefix: String,
    /// The branch releases are made from; hotfix and release branches are
    /// checked against it for forward merges.
    pub main_branch: String,
    #[serde(flatten)]
    pub versioning: VersionPolicy,
    pub components: Vec<Component>,
    /// What release notes leave out.
    #[serde(default)]
    pub notes: crate::notes::NotesPolicy,
}

impl Default for ReleasePolicy {
    fn default() -> Self {
        Self {
            scheme: Scheme::Semver,
            tag_prefix: "v".into(),
            main_branch: "main".into(),
            versioning: VersionPolicy::default(),
            components: Vec::new(),
            notes: crate::notes::NotesPolicy::default(),
        }
    }
}

/// What one release line looks at: its tag prefix and path filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseLine {
    pub component: Option<String>,
    pub tag_prefix: String,
    pub paths: Vec<String>,
}

impl ReleaseLine {
    /// The version a tag name stands for on this line, if it is one of its
    /// tags (`v1.4.0` with prefix `v` -> 1.4.0; `api-v1.0.0` is not).
    pub fn version_of(&self, tag: &str) -> Option<Version> {
        let rest = tag.strip_prefix(self.tag_prefix.as_str())?;
        // SemVer build metadata is not part of a release tag's identity.
        Version::parse(rest).ok().filter(|v| v.build.is_empty())
    }

    pub fn tag_for(&self, version: &Version) -> String {
        format!("{}{version}", self.tag_prefix)
    }
}

impl ReleasePolicy {
    /// Every key a policy file may use (serde's `deny_unknown_fields` does
    /// not work with the flattened versioning rules, so readers check this).
    pub const KEYS: [&'static str; 10] = [
        "scheme",
        "tag_prefix",
        "main_branch",
        "minor_types",
        "patch_types",
        "other_bump",
        "breaking_minor_while_zero",
        "initial_version",
        "components",
        "notes",
    ];

    /// The release line of the whole repository (`None`) or of a component.
    pub fn line(&self, component: Option<&str>) -> Result<ReleaseLine, String> {
        match component {
            None => Ok(ReleaseLine {
                component: None,
                tag_prefix: self.tag_prefix.clone(),
                paths: Vec::new(),
            }),
            Some(name) => self
                .components
                .iter()
                .find(|c| c.name == name)
                .map(|c| ReleaseLine {
                    component: Some(c.name.clone()),
                    tag_prefix: c.tag_prefix.clone(),
                    paths: c.paths.clone(),
                })
                .ok_or_else(|| {
                    let known: Vec<&str> =
                        self.components.iter().map(|c| c.name.as_str()).collect();
                    if known.is_empty() {
                        format!("There is no component \"{name}\": this policy defines none.")
                    } else {
                        format!(
                            "There is no component \"{name}\"; the policy defines {}.",
                            known.join(", ")
                        )
                    }
                }),
        }
    }

    /// Checks the policy; errors are keyed by field (`tag_prefix`,
    /// `main_branch`, `components[1].paths`, ...).
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if let Err(e) = check_ref_part(&self.tag_prefix, true) {
            errors.push("tag_prefix", format!("Tag prefix {e}"));
        }
        if self.main_branch.is_empty() {
            errors.push("main_branch", "Name the main branch, e.g. main.");
        } else if let Err(e) = check_ref_part(&self.main_branch, false) {
            errors.push("main_branch", format!("Main branch {e}"));
        }
        for t in &self.notes.hidden_types {
            if t.is_empty()
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                errors.push(
                    "notes_hidden_types",
                    format!(
                        "\"{}\" is not a commit type: use letters, digits and '-', e.g. chore.",
                        crate::validation::shown(t)
                    ),
                );
            }
        }
        for t in self
            .versioning
            .minor_types
            .iter()
            .chain(&self.versioning.patch_types)
        {
            if t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                errors.push(
                    "types",
                    format!(
                        "\"{t}\" is not a commit type: use letters, digits and '-', e.g. feat."
                    ),
                );
            }
        }
        if !self.versioning.initial_version.pre.is_empty() {
            errors.push(
                "initial_version",
                "The first version must be a final version such as 0.1.0 or 1.0.0.",
            );
        }
        let mut names: Vec<&str> = Vec::new();
        for (i, c) in self.components.iter().enumerate() {
            let valid_name = !c.name.is_empty()
                && c.name.len() <= 40
                && c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
            if !valid_name {
                errors.push(
                    format!("components[{i}].name"),
                    "Component names use lowercase letters, digits and '-', e.g. api.",
                );
            } else if names.contains(&c.name.as_str()) {
                errors.push(
                    format!("components[{i}].name"),
                    format!("There are two components named \"{}\".", c.name),
                );
            }
            names.push(&c.name);
            if c.tag_prefix.is_empty() || c.tag_prefix == self.tag_prefix {
                errors.push(
                    format!("components[{i}].tag_prefix"),
                    "Each component needs its own tag prefix, e.g. api-v.",
                );
            } else if let Err(e) = check_ref_part(&c.tag_prefix, true) {
                errors.push(
                    format!("components[{i}].tag_prefix"),
                    format!("Tag prefix {e}"),
                );
            }
            if c.paths.is_empty() {
                errors.push(
                    format!("components[{i}].paths"),
                    "List the paths whose changes belong to this component, e.g. services/api.",
                );
            }
            for p in &c.paths {
                if p.is_empty()
                    || p.starts_with('/')
                    || p.split('/').any(|s| s == ".." || s == ".")
                    || p.contains('\\')
                {
                    errors.push(
                        format!("components[{i}].paths"),
                        format!("\"{p}\" is not a path inside the repository (use forward slashes, no .. or leading /)."),
                    );
                }
            }
        }
        errors.into_result(|| ())
    }
}

/// The rules of `git check-ref-format` that matter for one name part.
fn check_ref_part(s: &str, may_be_empty: bool) -> Result<(), String> {
    if s.is_empty() {
        return if may_be_empty {
            Ok(())
        } else {
            Err("must not be empty.".into())
        };
    }
    if s.len() > 100 {
        return Err("is too long (at most 100 characters).".into());
    }
    let bad_char = s
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(*c));
    if let Some(c) = bad_char {
        return Err(format!("must not contain {c:?}."));
    }
    if s.contains("..")
        || s.contains("@{")
        || s.starts_with(['-', '.', '/'])
        || s.ends_with(".lock")
    {
        return Err(
            "is not a valid git name (no '..', '@{', leading '-', '.' or '/', or trailing .lock)."
                .into(),
        );
    }
    Ok(())
}

/// A branch name made from a version: `release/1.4` for 1.4.x releases.
pub fn release_branch(version: &Version) -> String {
    format!("release/{}.{}", version.major, version.minor)
}

/// The hotfix branch for the release after `tagged`: `hotfix/1.4.1`.
pub fn hotfix_branch(tagged: &Version) -> String {
    format!(
        "hotfix/{}.{}.{}",
        tagged.major,
        tagged.minor,
        tagged.patch + 1
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn tags_are_read_with_the_line_prefix() {
        let policy = ReleasePolicy::default();
        let line = policy.line(None).unwrap();
        assert_eq!(line.version_of("v1.4.0"), Some(v("1.4.0")));
        assert_eq!(line.version_of("v2.0.0-rc.1"), Some(v("2.0.0-rc.1")));
        assert_eq!(line.version_of("1.4.0"), None);
        assert_eq!(line.version_of("v1.4"), None);
        assert_eq!(line.version_of("v1.4.0+build.7"), None);
        assert_eq!(line.version_of("api-v1.0.0"), None);
        assert_eq!(line.tag_for(&v("1.5.0")), "v1.5.0");
    }

    #[test]
    fn an_empty_prefix_reads_bare_versions() {
        let policy = ReleasePolicy {
            tag_prefix: String::new(),
            ..ReleasePolicy::default()
        };
        let line = policy.line(None).unwrap();
        assert_eq!(line.version_of("1.4.0"), Some(v("1.4.0")));
        assert_eq!(line.version_of("v1.4.0"), None);
    }

    fn monorepo() -> ReleasePolicy {
        ReleasePolicy {
            components: vec![
                Component {
                    name: "api".into(),
                    tag_prefix: "api-v".into(),
                    paths: vec!["services/api".into()],
                },
                Component {
                    name: "web".into(),
                    tag_prefix: "web-v".into(),
                    paths: vec!["web".into(), "shared/ui".into()],
                },
            ],
            ..ReleasePolicy::default()
        }
    }

    #[test]
    fn components_have_their_own_lines() {
        let policy = monorepo();
        assert_eq!(policy.validate(), Ok(()));
        let api = policy.line(Some("api")).unwrap();
        assert_eq!(api.version_of("api-v1.0.0"), Some(v("1.0.0")));
        assert_eq!(api.version_of("v1.0.0"), None);
        assert_eq!(api.paths, vec!["services/api".to_string()]);
        let err = policy.line(Some("db")).unwrap_err();
        assert!(err.contains("api, web"), "{err}");
        let err = ReleasePolicy::default().line(Some("db")).unwrap_err();
        assert!(err.contains("defines none"), "{err}");
    }

    #[test]
    fn bad_policies_are_explained_per_field() {
        let mut p = monorepo();
        p.tag_prefix = "v ".into();
        p.main_branch = String::new();
        p.versioning.minor_types = vec!["feat!".into()];
        p.versioning.initial_version = v("1.0.0-rc.1");
        p.components[1].name = "api".into();
        p.components[1].tag_prefix = "v ".into();
        p.components[0].paths = vec!["../etc".into(), "/abs".into()];
        let errors = p.validate().unwrap_err();
        for key in [
            "tag_prefix",
            "main_branch",
            "types",
            "initial_version",
            "components[1].name",
            "components[1].tag_prefix",
            "components[0].paths",
        ] {
            assert!(errors.get(key).is_some(), "missing {key}: {errors:?}");
        }
    }

    #[test]
    fn git_name_rules() {
        assert!(check_ref_part("v", true).is_ok());
        assert!(check_ref_part("release-", true).is_ok());
        assert!(check_ref_part("", true).is_ok());
        assert!(check_ref_part("", false).is_err());
        for bad in [
            "a..b", "-x", ".x", "x.lock", "a b", "a~", "a^", "a:b", "a?", "a*", "a[", "a\\b",
            "a@{b",
        ] {
            assert!(check_ref_part(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn policy_reads_from_toml_shaped_json_with_defaults() {
        let p: ReleasePolicy =
            serde_json::from_str(r#"{"tag_prefix":"rel-","minor_types":["feat","feature"]}"#)
                .unwrap();
        assert_eq!(p.tag_prefix, "rel-");
        assert_eq!(p.main_branch, "main");
        assert_eq!(p.versioning.minor_types, vec!["feat", "feature"]);
        assert_eq!(p.versioning.patch_types, vec!["fix", "perf"]);
    }

    #[test]
    fn branch_names() {
        assert_eq!(release_branch(&v("1.4.0")), "release/1.4");
        assert_eq!(hotfix_branch(&v("1.4.0")), "hotfix/1.4.1");
    }
}
