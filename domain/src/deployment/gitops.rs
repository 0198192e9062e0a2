//! The GitOps adapter's settings: Slipway writes the new digest into a file
//! of a Git repository, commits and pushes; Argo CD or Flux syncs from
//! there. Slipway never talks to the cluster, so it never fights a
//! controller that syncs by itself — a rollback is one more commit.
//!
//! Rules, in the order [`GitopsForm::parse`] applies them:
//! 1. The repository is a URL Slipway can push to (`https://`, `ssh://`,
//!    `git://`, `file://` or an absolute path) without a user name,
//!    password or token in it: credentials are named, and configuration
//!    holds them.
//! 2. The branch is a plain branch name (default `main`).
//! 3. The file is a path relative to the repository's root, without `..`
//!    and never inside `.git`.
//! 4. The key path says where in a YAML file the value goes:
//!    `image.digest` (Helm values), `images[name=shop/api].digest`
//!    (a Kustomize `images` entry chosen by a field),
//!    `spec.template.spec.containers[0].image` (a list item by position).
//!    Empty: the whole file is the value (a plain file).
//! 5. What is written: the digest alone (`sha256:…`, or the commit id) or
//!    the whole reference (`registry/…@sha256:…`).
//! 6. An optional second key path receives the rollout weight (percent)
//!    for progressive rollouts.

use super::AdapterInput;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest key path accepted, and its most segments.
const KEY_PATH_MAX: usize = 500;
const KEY_SEGMENTS_MAX: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitopsAdapter {
    pub repo_url: String,
    pub branch: String,
    /// The file, relative to the repository's root.
    pub path: String,
    /// Where in the YAML file the value goes; `None`: the whole file.
    #[serde(default)]
    pub key: Option<KeyPath>,
    pub value: GitopsValue,
    /// Where the rollout weight goes, if anywhere.
    #[serde(default)]
    pub weight_key: Option<KeyPath>,
    /// The name of a git credential in Slipway's configuration.
    #[serde(default)]
    pub credential: Option<String>,
    pub timeout_s: u32,
}

/// What the adapter writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GitopsValue {
    /// `sha256:…` (or the commit id for source deployments).
    #[default]
    Digest,
    /// `registry.example.com/shop/api@sha256:…`.
    Reference,
}

impl GitopsValue {
    pub fn as_str(self) -> &'static str {
        match self {
            GitopsValue::Digest => "digest",
            GitopsValue::Reference => "reference",
        }
    }

    /// The text written for a deployment.
    pub fn pick(self, input: &AdapterInput) -> &str {
        match self {
            GitopsValue::Digest => &input.digest,
            GitopsValue::Reference => &input.artifact,
        }
    }
}

/// A path to one value in a YAML document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyPath(Vec<Segment>);

/// One step of a [`KeyPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A mapping key: `image`.
    Key(String),
    /// A list item by position: `[0]`.
    Index(usize),
    /// The list item whose `field` is `value`: `[name=shop/api]`.
    Match { field: String, value: String },
}

impl KeyPath {
    /// Parses `a.b[0].c[name=x].d`.
    pub fn parse(input: &str) -> Result<KeyPath, String> {
        let bad = |why: &str| {
            format!(
                "{why} Write the key path like image.digest, images[name=shop/api].digest or containers[0].image."
            )
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(bad("The key path is empty."));
        }
        if s.chars().count() > KEY_PATH_MAX || s.chars().any(char::is_control) {
            return Err(bad(&format!(
                "A key path has at most {KEY_PATH_MAX} characters and no control characters."
            )));
        }
        let mut segments = Vec::new();
        let mut rest = s;
        // Whether a name may (must) come next: at the start and after '.'.
        let mut expect_name = true;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let Some(end) = after.find(']') else {
                    return Err(bad("A [ is not closed."));
                };
                let inside = &after[..end];
                segments.push(bracket(inside).map_err(|w| bad(&w))?);
                rest = &after[end + 1..];
                expect_name = false;
            } else if let Some(after) = rest.strip_prefix('.') {
                if expect_name {
                    return Err(bad("A key is missing (two dots, or a dot at the start)."));
                }
                rest = after;
                expect_name = true;
                if rest.is_empty() {
                    return Err(bad("The key path ends with a dot."));
                }
            } else {
                if !expect_name {
                    return Err(bad("Separate keys with a dot."));
                }
                let end = rest.find(['.', '[', ']']).unwrap_or(rest.len());
                let name = &rest[..end];
                if name.is_empty() || name.chars().any(char::is_whitespace) {
                    return Err(bad("A key is empty or has blanks in it."));
                }
                segments.push(Segment::Key(name.to_owned()));
                rest = &rest[end..];
                if rest.starts_with(']') {
                    return Err(bad("A ] has no [."));
                }
                expect_name = false;
            }
        }
        if segments.len() > KEY_SEGMENTS_MAX {
            return Err(bad(&format!(
                "A key path has at most {KEY_SEGMENTS_MAX} steps."
            )));
        }
        Ok(KeyPath(segments))
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }
}

fn bracket(inside: &str) -> Result<Segment, String> {
    if let Ok(i) = inside.trim().parse::<usize>() {
        return Ok(Segment::Index(i));
    }
    match inside.split_once('=') {
        Some((field, value))
            if !field.trim().is_empty() && !value.trim().is_empty() && !value.contains('[') =>
        {
            Ok(Segment::Match {
                field: field.trim().to_owned(),
                value: value.trim().to_owned(),
            })
        }
        _ => Err(format!(
            "[{inside}] is neither a position ([0]) nor a choice by field ([name=shop/api])."
        )),
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Match { field, value } => write!(f, "[{field}={value}]")?,
            }
        }
        Ok(())
    }
}

impl TryFrom<String> for KeyPath {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        KeyPath::parse(&s)
    }
}

impl From<KeyPath> for String {
    fn from(k: KeyPath) -> String {
        k.to_string()
    }
}

/// The GitOps fields as typed into the settings form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GitopsForm {
    pub repo_url: String,
    pub branch: String,
    pub path: String,
    pub key: String,
    /// `digest` or `reference`.
    pub value: String,
    pub weight_key: String,
    pub credential: String,
}

impl GitopsForm {
    pub fn from_adapter(a: &GitopsAdapter) -> Self {
        GitopsForm {
            repo_url: a.repo_url.clone(),
            branch: a.branch.clone(),
            path: a.path.clone(),
            key: a.key.as_ref().map(ToString::to_string).unwrap_or_default(),
            value: a.value.as_str().to_owned(),
            weight_key: a
                .weight_key
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            credential: a.credential.clone().unwrap_or_default(),
        }
    }

    /// Every problem, named `gitops.<field>`; the timeout is the form's.
    pub fn parse(
        &self,
        timeout_s: Option<u32>,
        errors: &mut crate::FieldErrors,
    ) -> Option<GitopsAdapter> {
        let repo_url = errors.check("gitops.repo_url", repo_url(&self.repo_url));
        let branch = errors.check("gitops.branch", branch(&self.branch));
        let path = errors.check("gitops.path", file_path(&self.path));
        let key = match self.key.trim() {
            "" => Some(None),
            k => errors.check("gitops.key", KeyPath::parse(k)).map(Some),
        };
        let weight_key = match self.weight_key.trim() {
            "" => Some(None),
            k => errors
                .check("gitops.weight_key", KeyPath::parse(k))
                .map(Some),
        };
        if weight_key.as_ref().is_some_and(Option::is_some)
            && key.as_ref().is_some_and(Option::is_none)
        {
            errors.push(
                "gitops.weight_key",
                "A weight key needs a YAML file: give the key path of the digest too.",
            );
        }
        let value = match self.value.trim() {
            "" | "digest" => Some(GitopsValue::Digest),
            "reference" => Some(GitopsValue::Reference),
            _ => {
                errors.push(
                    "gitops.value",
                    "Choose what is written: the digest alone, or the whole reference.",
                );
                None
            }
        };
        let credential = match self.credential.trim().to_ascii_lowercase() {
            c if c.is_empty() => Some(None),
            c if c.len() <= 64
                && c.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') =>
            {
                Some(Some(c))
            }
            _ => {
                errors.push("gitops.credential", "Name the git credential as it is called in Slipway's configuration ([git_credentials.NAME]); the token itself never goes here.");
                None
            }
        };
        if let (Some(url), Some(Some(_))) = (&repo_url, &credential) {
            if url.starts_with("http://") {
                errors.push(
                    "gitops.credential",
                    "Over http:// the credential would travel in clear: use https://.",
                );
            }
        }
        Some(GitopsAdapter {
            repo_url: repo_url?,
            branch: branch?,
            path: path?,
            key: key?,
            value: value?,
            weight_key: weight_key?,
            credential: credential?,
            timeout_s: timeout_s?,
        })
    }
}

fn repo_url(input: &str) -> Result<String, String> {
    let u = input.trim();
    if u.is_empty() || u.len() > 2000 || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "Give the repository to push to: an https://, ssh:// or git:// URL, or a local path."
                .into(),
        );
    }
    let remote = u.contains("://");
    if !remote && !u.starts_with('/') {
        return Err("Give the repository as an https://, ssh://, git:// or file:// URL, or an absolute local path.".into());
    }
    if remote {
        let scheme = u.split("://").next().unwrap_or_default();
        if !["https", "http", "ssh", "git", "file"].contains(&scheme) {
            return Err(format!(
                "Slipway cannot push to {scheme}:// URLs: use https://, ssh://, git:// or file://."
            ));
        }
        if crate::validation::url_has_credentials(u)
            || (matches!(scheme, "https" | "http")
                && u.split('/').nth(2).is_some_and(|a| a.contains('@')))
        {
            return Err("Leave user names, passwords and tokens out of the URL: name a configured credential below.".into());
        }
    }
    Ok(u.to_owned())
}

fn branch(input: &str) -> Result<String, String> {
    let b = match input.trim() {
        "" => "main",
        b => b,
    };
    let ok = b.len() <= 200
        && !b.starts_with(['-', '/', '.'])
        && !b.ends_with(['/', '.'])
        && !b.contains("..")
        && !b.contains("//")
        && !b.ends_with(".lock")
        && !b
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\@{".contains(c));
    if ok {
        Ok(b.to_owned())
    } else {
        Err(format!(
            "\u{201c}{b}\u{201d} is not a branch name git accepts."
        ))
    }
}

fn file_path(input: &str) -> Result<String, String> {
    let p = input.trim();
    let parts: Vec<&str> = p.split('/').collect();
    let ok = !p.is_empty()
        && p.len() <= 500
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.chars().any(char::is_control)
        && parts
            .iter()
            .all(|s| !s.is_empty() && *s != "." && *s != "..")
        && !parts.iter().any(|s| s.eq_ignore_ascii_case(".git"));
    if ok {
        Ok(p.to_owned())
    } else {
        Err("Give the file's path from the repository's root, such as envs/prod/values.yaml (no leading /, no ..).".into())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::FieldErrors;

    fn key(s: &str) -> Vec<Segment> {
        KeyPath::parse(s).unwrap().0
    }

    #[test]
    fn key_paths_name_keys_positions_and_items_by_field() {
        assert_eq!(
            key("image.digest"),
            [Segment::Key("image".into()), Segment::Key("digest".into())]
        );
        assert_eq!(
            key("images[name=shop/api].digest"),
            [
                Segment::Key("images".into()),
                Segment::Match {
                    field: "name".into(),
                    value: "shop/api".into()
                },
                Segment::Key("digest".into())
            ]
        );
        assert_eq!(
            key("spec.containers[0].image"),
            [
                Segment::Key("spec".into()),
                Segment::Key("containers".into()),
                Segment::Index(0),
                Segment::Key("image".into())
            ]
        );
        assert_eq!(key("[2]"), [Segment::Index(2)]);
        assert_eq!(key("a[1][0]").len(), 3);
        for s in [
            "image.digest",
            "images[name=shop/api].digest",
            "a[1][0].b",
            "app-v2_x",
        ] {
            assert_eq!(KeyPath::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn malformed_key_paths_are_refused_with_an_example() {
        for s in [
            "", " ", ".a", "a.", "a..b", "a[", "a]", "a[x]", "a[=x]", "a[x=]", "a[0]b", "a b",
            "a\u{7}",
        ] {
            let err = KeyPath::parse(s).unwrap_err();
            assert!(err.contains("image.digest"), "{s:?}: {err}");
        }
        let long = vec!["k"; KEY_SEGMENTS_MAX + 1].join(".");
        assert!(KeyPath::parse(&long).is_err());
        assert!(KeyPath::parse(&"k".repeat(KEY_PATH_MAX + 1)).is_err());
    }

    #[test]
    fn key_paths_round_trip_through_json_and_refuse_bad_stored_ones() {
        let k = KeyPath::parse("images[name=api].digest").unwrap();
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(json, "\"images[name=api].digest\"");
        assert_eq!(serde_json::from_str::<KeyPath>(&json).unwrap(), k);
        assert!(serde_json::from_str::<KeyPath>("\"a..b\"").is_err());
    }

    fn form() -> GitopsForm {
        GitopsForm {
            repo_url: " git://127.0.0.1:9418/deploy.git ".into(),
            branch: "".into(),
            path: "envs/prod/values.yaml".into(),
            key: "image.digest".into(),
            value: "".into(),
            weight_key: "".into(),
            credential: "Deploy-Bot".into(),
        }
    }

    #[test]
    fn a_gitops_adapter_defaults_to_main_and_the_digest() {
        let mut errors = FieldErrors::new();
        let a = form().parse(Some(60), &mut errors).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(a.repo_url, "git://127.0.0.1:9418/deploy.git");
        assert_eq!(a.branch, "main");
        assert_eq!(a.value, GitopsValue::Digest);
        assert_eq!(a.credential.as_deref(), Some("deploy-bot"));
        assert_eq!(a.key.as_ref().unwrap().to_string(), "image.digest");
        let again = GitopsForm::from_adapter(&a);
        let mut errors = FieldErrors::new();
        assert_eq!(again.parse(Some(60), &mut errors).unwrap(), a);
    }

    #[test]
    fn a_plain_file_has_no_key_and_then_no_weight_key() {
        let f = GitopsForm {
            key: "".into(),
            weight_key: "rollout.weight".into(),
            ..form()
        };
        let mut errors = FieldErrors::new();
        assert!(f.parse(Some(60), &mut errors).is_none() || !errors.is_empty());
        assert!(errors.get("gitops.weight_key").is_some());
        let f = GitopsForm {
            key: "".into(),
            ..form()
        };
        let mut errors = FieldErrors::new();
        assert_eq!(f.parse(Some(60), &mut errors).unwrap().key, None);
    }

    #[test]
    fn every_bad_gitops_field_is_named() {
        let f = GitopsForm {
            repo_url: "https://bot:ghp_secret@github.com/org/deploy.git".into(),
            branch: "feature branch".into(),
            path: "../etc/passwd".into(),
            key: "a..b".into(),
            value: "tag".into(),
            weight_key: "[x]".into(),
            credential: "has space".into(),
        };
        let mut errors = FieldErrors::new();
        assert!(f.parse(Some(60), &mut errors).is_none());
        for field in [
            "repo_url",
            "branch",
            "path",
            "key",
            "value",
            "weight_key",
            "credential",
        ] {
            assert!(
                errors.get(&format!("gitops.{field}")).is_some(),
                "{field}: {errors:?}"
            );
        }
    }

    #[test]
    fn repositories_need_a_scheme_slipway_pushes_to_and_no_credentials() {
        for ok in [
            "https://github.com/org/deploy.git",
            "ssh://git@github.com/org/deploy.git",
            "git://127.0.0.1/deploy.git",
            "file:///srv/git/deploy.git",
            "/srv/git/deploy.git",
        ] {
            assert!(repo_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "deploy.git",
            "ftp://x/y",
            "https://token@github.com/org/x.git",
            "https://u:p@github.com/x",
            "git://a b",
        ] {
            assert!(repo_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn branches_and_paths_follow_gits_rules() {
        for ok in ["main", "release/1.x", "env-prod"] {
            assert!(branch(ok).is_ok(), "{ok}");
        }
        for bad in ["-x", "a..b", "a b", "x.lock", "a:b", "/x", "x/"] {
            assert!(branch(bad).is_err(), "{bad}");
        }
        for ok in ["values.yaml", "envs/prod/kustomization.yaml", "VERSION"] {
            assert!(file_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/etc/x",
            "a/../b",
            "./a",
            ".git/config",
            "a/.GIT/x",
            "a//b",
            "a\\b",
        ] {
            assert!(file_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_value_written_is_the_digest_or_the_whole_reference() {
        let input = AdapterInput {
            deployment_id: 1,
            project: "shop".into(),
            environment: "prod".into(),
            release_id: 1,
            version: "1.0.0".into(),
            artifact: "r.example/shop@sha256:ab".into(),
            digest: "sha256:ab".into(),
            previous_digest: None,
            rollback: false,
            weight: 100,
            requested_by: "alice".into(),
        };
        assert_eq!(GitopsValue::Digest.pick(&input), "sha256:ab");
        assert_eq!(
            GitopsValue::Reference.pick(&input),
            "r.example/shop@sha256:ab"
        );
    }
}
