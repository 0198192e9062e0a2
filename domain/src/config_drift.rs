//! Configuration drift: each environment holds its configuration as keys and
//! values (secrets only as references to where they live, never their
//! values), edited in the browser and through the API. A page compares the
//! environments side by side; a promotion shows the differences for its
//! target, and a target may require them cleared first (see [`crate::gate`]).
//!
//! Rules, in the order [`ConfigForm::parse`], [`DriftRulesForm::parse`],
//! [`compare`] and [`promotion_differences`] apply them:
//! 1. A key is trimmed, 1 to 128 characters, starts with an ASCII letter or
//!    `_` and continues with ASCII letters, digits, `_`, `.` or `-`
//!    (`DATABASE_URL`, `checkout.timeout-ms`). Keys are case-sensitive, as
//!    environment variables are.
//! 2. A plain value is trimmed (CRLF made LF), may be empty, holds at most
//!    4,096 characters and no control characters except line breaks and
//!    tabs. A value that is a URL with a password or token in it
//!    (`postgres://shop:pw@db/shop`) is refused: it belongs in a secret.
//! 3. A secret is stored as a reference to where it lives, never as its
//!    value: `scheme://location`, the scheme a lower-case letter followed by
//!    lower-case letters, digits, `+`, `.` or `-` (upper case is made lower),
//!    the location non-empty, without blanks or control characters, with no
//!    user name or password, at most 1,000 characters in all
//!    (`vault://secret/data/shop#db_password`, `aws-sm://prod/shop/db`,
//!    `env://DATABASE_PASSWORD`, `file:///run/secrets/db`).
//! 4. Form rows left wholly blank are ignored (forms offer one more); errors
//!    name the row's index in the submitted list (`rows[2].key`,
//!    `rows[2].value`); a key given twice is refused on its second row,
//!    naming the first; at most 500 keys per environment (`rows`).
//! 5. The project's must-match keys are given one per line or comma
//!    separated; repeats count once; at most 500 (`must_match`).
//! 6. Environments are compared in pipeline order, each with the next one:
//!    a key set in one but not the other is a [`DriftFinding::Missing`]; a
//!    must-match key set in both with different values is a
//!    [`DriftFinding::Differs`]. Other keys may differ freely. Secrets
//!    compare by reference; a plain value never equals a secret.
//! 7. A promotion lists every key that differs between the environment the
//!    release comes from and its target (nothing for the first
//!    environment); those that are findings under rule 6 are marked, and
//!    only they block a target that requires configuration to match.

use crate::validation::{shown, url_has_credentials, FieldErrors};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The longest key.
pub const KEY_MAX: usize = 128;
/// The longest plain value.
pub const VALUE_MAX: usize = 4_096;
/// The longest secret reference.
pub const SECRET_REFERENCE_MAX: usize = 1_000;
/// The most keys an environment may hold.
pub const ENTRIES_MAX: usize = 500;
/// The most keys a project may mark "must match".
pub const MUST_MATCH_MAX: usize = 500;

const KEY_HELP: &str = "A key starts with a letter or _ and contains only letters, digits, _, . and - (e.g. DATABASE_URL or checkout.timeout-ms).";

/// A configuration key: see rule 1 of the module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConfigKey(String);

impl ConfigKey {
    pub fn parse(input: &str) -> Result<ConfigKey, String> {
        let key = input.trim();
        if key.is_empty() {
            return Err("Give the key, e.g. DATABASE_URL.".into());
        }
        let len = key.chars().count();
        if len > KEY_MAX {
            return Err(format!(
                "A key is at most {KEY_MAX} characters (this one has {len})."
            ));
        }
        let ok = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return Err(KEY_HELP.into());
        }
        Ok(ConfigKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ConfigKey {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ConfigKey::parse(&value)
    }
}

impl From<ConfigKey> for String {
    fn from(key: ConfigKey) -> String {
        key.0
    }
}

impl Borrow<str> for ConfigKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One key's value: plain text, or a reference to where a secret lives.
/// Deserializing checks it (rules 2 and 3), so a stored value is valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "RawConfigValue")]
pub enum ConfigValue {
    Plain {
        value: String,
    },
    /// Where the secret lives (`vault://secret/data/shop#db_password`).
    Secret {
        reference: String,
    },
}

/// [`ConfigValue`] as it arrives, before its checks.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum RawConfigValue {
    Plain { value: String },
    Secret { reference: String },
}

impl TryFrom<RawConfigValue> for ConfigValue {
    type Error = String;
    fn try_from(raw: RawConfigValue) -> Result<Self, Self::Error> {
        match raw {
            RawConfigValue::Plain { value } => ConfigValue::plain(&value),
            RawConfigValue::Secret { reference } => ConfigValue::secret(&reference),
        }
    }
}

impl ConfigValue {
    /// A plain value (rule 2).
    pub fn plain(input: &str) -> Result<ConfigValue, String> {
        let normalized = input.replace("\r\n", "\n");
        let value = normalized.trim();
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(
                "A value may contain line breaks and tabs but no other control characters.".into(),
            );
        }
        let len = value.chars().count();
        if len > VALUE_MAX {
            return Err(format!(
                "A value is at most 4,096 characters (this one has {len})."
            ));
        }
        if !value.contains(char::is_whitespace) && url_has_credentials(value) {
            return Err("This value has a password or token in it: store it as a secret instead, as a reference to where it lives (e.g. vault://secret/data/shop#database_url).".into());
        }
        Ok(ConfigValue::Plain {
            value: value.to_owned(),
        })
    }

    /// A reference to where a secret lives (rule 3). Messages never repeat
    /// the input: it may be the secret itself, pasted by mistake.
    pub fn secret(input: &str) -> Result<ConfigValue, String> {
        let r = input.trim();
        if r.is_empty() {
            return Err("Give where the secret lives, e.g. vault://secret/data/shop#db_password: Slipway stores only that reference, never the secret itself.".into());
        }
        let Some((scheme, rest)) = r.split_once("://") else {
            return Err("Slipway stores only a reference to where a secret lives, never its value: give it as scheme://location, e.g. vault://secret/data/shop#db_password or env://DATABASE_PASSWORD.".into());
        };
        let scheme = scheme.to_ascii_lowercase();
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_lowercase())
            && scheme.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '.' | '-')
            });
        if !scheme_ok {
            return Err("Before :// name the kind of store the secret lives in (vault, aws-sm, env, k8s, file, …): a letter, then letters, digits, +, . or -.".into());
        }
        if rest.is_empty() {
            return Err(format!(
                "After {scheme}:// say where the secret lives, e.g. vault://secret/data/shop#db_password."
            ));
        }
        if r.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("A secret reference contains no blanks or control characters.".into());
        }
        let len = r.chars().count();
        if len > SECRET_REFERENCE_MAX {
            return Err(format!(
                "A secret reference is at most 1,000 characters (this one has {len})."
            ));
        }
        let reference = format!("{scheme}://{rest}");
        if url_has_credentials(&reference) {
            return Err("Leave user names and passwords out of the reference: Slipway stores only where the secret lives, never the secret itself.".into());
        }
        Ok(ConfigValue::Secret { reference })
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, ConfigValue::Secret { .. })
    }

    /// The value as shown: the text itself, or `secret → vault://…`.
    pub fn display(&self) -> String {
        match self {
            ConfigValue::Plain { value } => value.clone(),
            ConfigValue::Secret { reference } => format!("secret \u{2192} {reference}"),
        }
    }

    /// The value inside a sentence: plain text shortened to one line of at
    /// most 40 characters (the page shows it whole), a secret as
    /// [`ConfigValue::display`] shows it.
    fn spoken(&self) -> String {
        match self {
            ConfigValue::Plain { value } if value.is_empty() => "an empty value".into(),
            ConfigValue::Plain { value } => shown(value),
            ConfigValue::Secret { .. } => self.display(),
        }
    }
}

/// One key and its value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConfigEntry {
    pub key: ConfigKey,
    pub value: ConfigValue,
}

/// An environment's configuration, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentConfig {
    #[serde(default)]
    pub entries: BTreeMap<ConfigKey, ConfigValue>,
}

impl EnvironmentConfig {
    /// The value of a key (by [`ConfigKey`] or `&str`).
    pub fn get<Q>(&self, key: &Q) -> Option<&ConfigValue>
    where
        ConfigKey: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.get(key)
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &ConfigKey> {
        self.entries.keys()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, sorted by key (for listing them).
    pub fn to_entries(&self) -> Vec<ConfigEntry> {
        self.entries
            .iter()
            .map(|(key, value)| ConfigEntry {
                key: key.clone(),
                value: value.clone(),
            })
            .collect()
    }
}

impl FromIterator<ConfigEntry> for EnvironmentConfig {
    /// Later entries of a key replace earlier ones.
    fn from_iter<I: IntoIterator<Item = ConfigEntry>>(iter: I) -> Self {
        EnvironmentConfig {
            entries: iter.into_iter().map(|e| (e.key, e.value)).collect(),
        }
    }
}

/// An environment's configuration as typed into the form (or sent to the
/// API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfigForm {
    pub rows: Vec<ConfigRowForm>,
}

/// One row of the form. For a secret, `value` is the reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfigRowForm {
    pub key: String,
    pub value: String,
    pub secret: bool,
}

impl ConfigRowForm {
    /// Nothing typed (a ticked "secret" box alone does not count).
    pub fn is_blank(&self) -> bool {
        self.key.trim().is_empty() && self.value.trim().is_empty()
    }
}

impl ConfigForm {
    /// The form for a configuration already stored (for editing it).
    pub fn from_config(config: &EnvironmentConfig) -> Self {
        let rows = config
            .entries
            .iter()
            .map(|(key, value)| match value {
                ConfigValue::Plain { value } => ConfigRowForm {
                    key: key.to_string(),
                    value: value.clone(),
                    secret: false,
                },
                ConfigValue::Secret { reference } => ConfigRowForm {
                    key: key.to_string(),
                    value: reference.clone(),
                    secret: true,
                },
            })
            .collect();
        ConfigForm { rows }
    }

    /// Every problem named by its field (`rows[2].key`, `rows[2].value`,
    /// `rows`).
    pub fn parse(&self) -> Result<EnvironmentConfig, FieldErrors> {
        let mut errors = FieldErrors::new();
        let filled = self.rows.iter().filter(|r| !r.is_blank()).count();
        if filled > ENTRIES_MAX {
            errors.push(
                "rows",
                format!("An environment holds at most 500 keys (this one has {filled})."),
            );
        }
        let mut entries = BTreeMap::new();
        // The row each key was first given in.
        let mut first_row: BTreeMap<ConfigKey, usize> = BTreeMap::new();
        for (i, row) in self.rows.iter().enumerate() {
            if row.is_blank() {
                continue;
            }
            let key = errors.check(&format!("rows[{i}].key"), ConfigKey::parse(&row.key));
            let value = if row.secret {
                ConfigValue::secret(&row.value)
            } else {
                ConfigValue::plain(&row.value)
            };
            let value = errors.check(&format!("rows[{i}].value"), value);
            let Some(key) = key else { continue };
            if let Some(first) = first_row.get(&key) {
                errors.push(
                    format!("rows[{i}].key"),
                    format!(
                        "{key} is already set in row {}; give each key once.",
                        first + 1
                    ),
                );
                continue;
            }
            first_row.insert(key.clone(), i);
            if let Some(value) = value {
                entries.insert(key, value);
            }
        }
        errors.into_result(|| EnvironmentConfig { entries })
    }
}

/// The project's drift rules: which keys must have the same value in
/// neighbouring environments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftRules {
    #[serde(default)]
    pub must_match: BTreeSet<ConfigKey>,
}

impl DriftRules {
    /// Whether `key` must have the same value in neighbouring environments.
    pub fn requires_match(&self, key: &ConfigKey) -> bool {
        self.must_match.contains(key)
    }
}

/// The drift rules as typed into the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DriftRulesForm {
    /// Keys that must match, one per line or comma separated.
    pub must_match: String,
}

impl DriftRulesForm {
    /// The form for rules already stored: one key per line.
    pub fn from_rules(rules: &DriftRules) -> Self {
        DriftRulesForm {
            must_match: rules
                .must_match
                .iter()
                .map(ConfigKey::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// Problems go to the field `must_match`, naming the bad keys.
    pub fn parse(&self) -> Result<DriftRules, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut must_match = BTreeSet::new();
        let mut bad = Vec::new();
        for name in self
            .must_match
            .split(['\n', ','])
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match ConfigKey::parse(name) {
                Ok(key) => {
                    must_match.insert(key);
                }
                Err(_) => bad.push(format!("\u{201c}{}\u{201d}", shown(name))),
            }
        }
        if !bad.is_empty() {
            let listed = if bad.len() > 5 {
                format!("{} and {} more", bad[..5].join(", "), bad.len() - 5)
            } else {
                bad.join(", ")
            };
            let which = if bad.len() == 1 {
                "Not a valid key"
            } else {
                "Not valid keys"
            };
            errors.push(
                "must_match",
                format!("{which}: {listed}. {KEY_HELP} Keys go one per line or separated by commas, at most {KEY_MAX} characters each."),
            );
        }
        if must_match.len() > MUST_MATCH_MAX {
            errors.push(
                "must_match",
                format!(
                    "At most 500 keys can be marked must match (this list has {}).",
                    must_match.len()
                ),
            );
        }
        errors.into_result(|| DriftRules { must_match })
    }
}

/// An environment in a comparison: its place (index of its column) and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub index: usize,
    pub name: String,
}

/// Drift of one key between two neighbouring environments (rule 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DriftFinding {
    /// Set in one environment but not in its neighbour.
    Missing {
        key: ConfigKey,
        present_in: Tier,
        missing_in: Tier,
    },
    /// A must-match key with different values; `left` comes first in the
    /// pipeline.
    Differs {
        key: ConfigKey,
        left: Tier,
        right: Tier,
        left_value: ConfigValue,
        right_value: ConfigValue,
    },
}

impl DriftFinding {
    pub fn key(&self) -> &ConfigKey {
        match self {
            DriftFinding::Missing { key, .. } | DriftFinding::Differs { key, .. } => key,
        }
    }

    /// The two environments it is about, in pipeline order.
    pub fn tiers(&self) -> [&Tier; 2] {
        match self {
            DriftFinding::Missing {
                present_in,
                missing_in,
                ..
            } => {
                if present_in.index <= missing_in.index {
                    [present_in, missing_in]
                } else {
                    [missing_in, present_in]
                }
            }
            DriftFinding::Differs { left, right, .. } => [left, right],
        }
    }

    /// A sentence for people: "FEATURE_X is set in staging but missing in
    /// prod.", "DATABASE_POOL must match, but staging has 20 and prod has
    /// 10."
    pub fn describe(&self) -> String {
        match self {
            DriftFinding::Missing {
                key,
                present_in,
                missing_in,
            } => missing_sentence(key, &present_in.name, &missing_in.name),
            DriftFinding::Differs {
                key,
                left,
                right,
                left_value,
                right_value,
            } => must_match_sentence(key, &left.name, left_value, &right.name, right_value),
        }
    }
}

fn missing_sentence(key: &ConfigKey, present_in: &str, missing_in: &str) -> String {
    format!("{key} is set in {present_in} but missing in {missing_in}.")
}

fn must_match_sentence(
    key: &ConfigKey,
    left: &str,
    left_value: &ConfigValue,
    right: &str,
    right_value: &ConfigValue,
) -> String {
    format!(
        "{key} must match, but {left} has {} and {right} has {}.",
        left_value.spoken(),
        right_value.spoken()
    )
}

/// The finding, if any, for one key between two neighbouring environments.
fn judge(
    key: &ConfigKey,
    must_match: bool,
    left: (&Tier, Option<&ConfigValue>),
    right: (&Tier, Option<&ConfigValue>),
) -> Option<DriftFinding> {
    match (left.1, right.1) {
        (None, None) => None,
        (Some(_), None) => Some(DriftFinding::Missing {
            key: key.clone(),
            present_in: left.0.clone(),
            missing_in: right.0.clone(),
        }),
        (None, Some(_)) => Some(DriftFinding::Missing {
            key: key.clone(),
            present_in: right.0.clone(),
            missing_in: left.0.clone(),
        }),
        (Some(l), Some(r)) if must_match && l != r => Some(DriftFinding::Differs {
            key: key.clone(),
            left: left.0.clone(),
            right: right.0.clone(),
            left_value: l.clone(),
            right_value: r.clone(),
        }),
        (Some(_), Some(_)) => None,
    }
}

/// The side-by-side comparison of a project's environments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftReport {
    /// The environments' names, in pipeline order (the columns).
    pub environments: Vec<String>,
    /// One row per key set anywhere, sorted by key.
    pub rows: Vec<DriftRow>,
}

/// One key across all environments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftRow {
    pub key: ConfigKey,
    pub must_match: bool,
    /// The value in each environment, in the order of
    /// [`DriftReport::environments`].
    pub cells: Vec<Option<ConfigValue>>,
    pub findings: Vec<DriftFinding>,
}

impl DriftRow {
    /// For each cell, whether it is part of a finding (to colour it): both
    /// environments of a finding are.
    pub fn highlighted(&self) -> Vec<bool> {
        let mut marks = vec![false; self.cells.len()];
        for finding in &self.findings {
            for tier in finding.tiers() {
                if let Some(mark) = marks.get_mut(tier.index) {
                    *mark = true;
                }
            }
        }
        marks
    }
}

impl DriftReport {
    pub fn finding_count(&self) -> usize {
        self.rows.iter().map(|r| r.findings.len()).sum()
    }

    /// Every finding, by key, then in pipeline order.
    pub fn findings(&self) -> impl Iterator<Item = &DriftFinding> {
        self.rows.iter().flat_map(|r| r.findings.iter())
    }
}

/// Compares environments given in pipeline order (dev, staging, prod), each
/// with the next one (rule 6).
pub fn compare(tiers: &[(String, &EnvironmentConfig)], rules: &DriftRules) -> DriftReport {
    let columns: Vec<Tier> = tiers
        .iter()
        .enumerate()
        .map(|(index, (name, _))| Tier {
            index,
            name: name.clone(),
        })
        .collect();
    let keys: BTreeSet<&ConfigKey> = tiers.iter().flat_map(|(_, c)| c.keys()).collect();
    let rows = keys
        .into_iter()
        .map(|key| {
            let must_match = rules.requires_match(key);
            let cells: Vec<Option<ConfigValue>> =
                tiers.iter().map(|(_, c)| c.get(key).cloned()).collect();
            let findings = columns
                .windows(2)
                .filter_map(|pair| {
                    let (l, r) = (&pair[0], &pair[1]);
                    judge(
                        key,
                        must_match,
                        (l, cells[l.index].as_ref()),
                        (r, cells[r.index].as_ref()),
                    )
                })
                .collect();
            DriftRow {
                key: key.clone(),
                must_match,
                cells,
                findings,
            }
        })
        .collect();
    DriftReport {
        environments: tiers.iter().map(|(name, _)| name.clone()).collect(),
        rows,
    }
}

/// A key whose value differs between the environment a release comes from
/// and the one it is promoted to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigDifference {
    pub key: ConfigKey,
    /// The environment the release comes from, and the target.
    pub from_environment: String,
    pub to_environment: String,
    pub from: Option<ConfigValue>,
    pub to: Option<ConfigValue>,
    pub must_match: bool,
    /// A drift finding (rule 6): set in one only, or a must-match key with
    /// different values. Only findings block.
    pub finding: bool,
}

impl ConfigDifference {
    /// A sentence for people; findings read as on the comparison page.
    pub fn describe(&self) -> String {
        let (from, to) = (&self.from_environment, &self.to_environment);
        match (&self.from, &self.to) {
            (Some(_), None) => missing_sentence(&self.key, from, to),
            (None, Some(_)) => missing_sentence(&self.key, to, from),
            (Some(f), Some(t)) if self.must_match => must_match_sentence(&self.key, from, f, to, t),
            (Some(f), Some(t)) => format!(
                "{} differs: {from} has {} and {to} has {}.",
                self.key,
                f.spoken(),
                t.spoken()
            ),
            (None, None) => format!("{} is set in neither {from} nor {to}.", self.key),
        }
    }
}

/// The configuration differences a promotion into `to` brings, from the
/// environment before it (`None` for the first environment: nothing to
/// compare). Sorted by key; see rule 7.
pub fn promotion_differences(
    from: Option<(&str, &EnvironmentConfig)>,
    to: (&str, &EnvironmentConfig),
    rules: &DriftRules,
) -> Vec<ConfigDifference> {
    let Some((from_name, from_config)) = from else {
        return Vec::new();
    };
    let (to_name, to_config) = to;
    let keys: BTreeSet<&ConfigKey> = from_config.keys().chain(to_config.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (f, t) = (from_config.get(key), to_config.get(key));
            if f == t {
                return None;
            }
            let must_match = rules.requires_match(key);
            let finding = f.is_none() || t.is_none() || must_match;
            Some(ConfigDifference {
                key: key.clone(),
                from_environment: from_name.to_owned(),
                to_environment: to_name.to_owned(),
                from: f.cloned(),
                to: t.cloned(),
                must_match,
                finding,
            })
        })
        .collect()
}

/// The sentences of the findings among `differences`: what the promotion
/// gate weighs ([`crate::gate::GateInput::config_drift`]).
pub fn gate_findings(differences: &[ConfigDifference]) -> Vec<String> {
    differences
        .iter()
        .filter(|d| d.finding)
        .map(ConfigDifference::describe)
        .collect()
}

/// One environment's configuration as the configuration page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentConfigView {
    pub name: String,
    pub config: EnvironmentConfig,
    /// Promotion into it waits until no finding is left with the
    /// environment before it.
    pub require_match: bool,
}

/// The configuration page of a project: every environment, the rules,
/// and the side-by-side comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigPage {
    pub project: String,
    pub environments: Vec<EnvironmentConfigView>,
    pub rules: DriftRules,
    pub report: DriftReport,
    /// The person may edit configuration and rules.
    pub may_edit: bool,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(k: &str) -> ConfigKey {
        ConfigKey::parse(k).unwrap()
    }

    fn plain(v: &str) -> ConfigValue {
        ConfigValue::plain(v).unwrap()
    }

    fn secret(r: &str) -> ConfigValue {
        ConfigValue::secret(r).unwrap()
    }

    fn config(entries: &[(&str, ConfigValue)]) -> EnvironmentConfig {
        entries
            .iter()
            .map(|(k, v)| ConfigEntry {
                key: key(k),
                value: v.clone(),
            })
            .collect()
    }

    fn rules(keys: &[&str]) -> DriftRules {
        DriftRules {
            must_match: keys.iter().map(|k| key(k)).collect(),
        }
    }

    fn row(k: &str, v: &str, is_secret: bool) -> ConfigRowForm {
        ConfigRowForm {
            key: k.into(),
            value: v.into(),
            secret: is_secret,
        }
    }

    // Keys (rule 1).

    #[test]
    fn keys_are_trimmed_and_keep_letters_digits_underscores_dots_and_hyphens() {
        for ok in [
            "DATABASE_URL",
            "_private",
            "a",
            "checkout.timeout-ms",
            "Feature_X.v2-beta",
            "x9",
        ] {
            assert_eq!(ConfigKey::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(key("  PORT \n").as_str(), "PORT");
        assert_eq!(key("PORT").to_string(), "PORT");
    }

    #[test]
    fn keys_start_with_a_letter_or_underscore() {
        for bad in ["1PORT", "-x", ".x", "9"] {
            assert_eq!(ConfigKey::parse(bad), Err(KEY_HELP.into()), "{bad:?}");
        }
    }

    #[test]
    fn keys_refuse_blanks_symbols_non_ascii_and_control_characters() {
        for bad in [
            "DATABASE URL",
            "a/b",
            "a=b",
            "a:b",
            "$HOME",
            "ключ",
            "caf\u{e9}",
            "a\tb",
            "a\0",
        ] {
            assert!(ConfigKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_empty_key_is_asked_for() {
        for empty in ["", "   ", "\n"] {
            assert_eq!(
                ConfigKey::parse(empty),
                Err("Give the key, e.g. DATABASE_URL.".into())
            );
        }
    }

    #[test]
    fn keys_hold_at_most_128_characters() {
        assert!(ConfigKey::parse(&"K".repeat(KEY_MAX)).is_ok());
        let err = ConfigKey::parse(&"K".repeat(KEY_MAX + 1)).unwrap_err();
        assert_eq!(err, "A key is at most 128 characters (this one has 129).");
    }

    #[test]
    fn keys_are_case_sensitive_and_sorted() {
        assert_ne!(key("port"), key("PORT"));
        let mut keys = vec![key("b"), key("A"), key("a")];
        keys.sort();
        assert_eq!(keys, [key("A"), key("a"), key("b")]);
    }

    #[test]
    fn keys_serialize_as_strings_and_are_checked_when_read() {
        assert_eq!(
            serde_json::to_string(&key("DATABASE_URL")).unwrap(),
            "\"DATABASE_URL\""
        );
        let k: ConfigKey = serde_json::from_str("\" PORT \"").unwrap();
        assert_eq!(k, key("PORT"));
        assert!(serde_json::from_str::<ConfigKey>("\"1bad\"").is_err());
        assert!(serde_json::from_str::<ConfigKey>("\"\"").is_err());
    }

    // Plain values (rule 2).

    #[test]
    fn plain_values_are_trimmed_may_be_empty_and_keep_newlines_and_tabs() {
        assert_eq!(plain("  20 "), ConfigValue::Plain { value: "20".into() });
        assert_eq!(plain(""), ConfigValue::Plain { value: "".into() });
        assert_eq!(
            plain("line one\r\n\tline two\n"),
            ConfigValue::Plain {
                value: "line one\n\tline two".into()
            }
        );
    }

    #[test]
    fn plain_values_refuse_other_control_characters() {
        for bad in ["a\0b", "a\u{1b}[31m", "a\rb", "bell\u{7}"] {
            assert_eq!(
                ConfigValue::plain(bad),
                Err(
                    "A value may contain line breaks and tabs but no other control characters."
                        .into()
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn plain_values_hold_at_most_4096_characters_counted_not_bytes() {
        assert!(ConfigValue::plain(&"é".repeat(VALUE_MAX)).is_ok());
        let err = ConfigValue::plain(&"x".repeat(VALUE_MAX + 1)).unwrap_err();
        assert_eq!(
            err,
            "A value is at most 4,096 characters (this one has 4097)."
        );
    }

    #[test]
    fn a_plain_url_with_a_password_or_token_must_be_a_secret() {
        for bad in [
            "postgres://shop:hunter2@db.internal/shop",
            "https://ghp_TOKEN@github.com/acme/shop.git",
        ] {
            let err = ConfigValue::plain(bad).unwrap_err();
            assert!(err.contains("store it as a secret"), "{err}");
            assert!(!err.contains("hunter2") && !err.contains("ghp_TOKEN"));
        }
        for ok in [
            "postgres://db.internal/shop",
            "ssh://git@github.com/acme/shop.git",
            "contact ops@example.com via https://status.example.com",
        ] {
            assert!(ConfigValue::plain(ok).is_ok(), "{ok}");
        }
    }

    // Secret references (rule 3).

    #[test]
    fn secret_references_name_where_the_secret_lives() {
        for ok in [
            "vault://secret/data/shop#db_password",
            "aws-sm://prod/shop/db",
            "env://DATABASE_PASSWORD",
            "k8s://shop/db-credentials/password",
            "file:///run/secrets/db",
            "gcp+sm://projects/p/secrets/s/versions/3",
            "op.v2://vault/item/field",
        ] {
            assert_eq!(
                secret(ok),
                ConfigValue::Secret {
                    reference: ok.into()
                },
                "{ok}"
            );
        }
        assert_eq!(
            secret("  Vault://secret/x "),
            ConfigValue::Secret {
                reference: "vault://secret/x".into()
            }
        );
    }

    #[test]
    fn a_secret_without_a_scheme_is_refused_explaining_slipway_keeps_only_references() {
        for value in ["hunter2", "s3cr3t-p@ssw0rd", "kv/shop#api_key"] {
            let err = ConfigValue::secret(value).unwrap_err();
            assert!(
                err.starts_with(
                    "Slipway stores only a reference to where a secret lives, never its value"
                ),
                "{err}"
            );
            assert!(
                err.contains("vault://secret/data/shop#db_password"),
                "{err}"
            );
            assert!(
                !err.contains(value),
                "the message repeats the secret: {err}"
            );
        }
        let err = ConfigValue::secret("  ").unwrap_err();
        assert!(err.contains("never the secret itself"), "{err}");
    }

    #[test]
    fn secret_references_refuse_bad_schemes_empty_locations_and_blanks() {
        for bad_scheme in ["://x", "1vault://x", "my_store://x", "va ult://x", "-x://y"] {
            let err = ConfigValue::secret(bad_scheme).unwrap_err();
            assert!(err.starts_with("Before ://"), "{bad_scheme}: {err}");
        }
        assert_eq!(
            ConfigValue::secret("vault://"),
            Err("After vault:// say where the secret lives, e.g. vault://secret/data/shop#db_password.".into())
        );
        for blank in [
            "vault://secret/my db",
            "vault://a\tb",
            "vault://a\0b",
            "vault://a\nb",
        ] {
            assert_eq!(
                ConfigValue::secret(blank),
                Err("A secret reference contains no blanks or control characters.".into()),
                "{blank:?}"
            );
        }
    }

    #[test]
    fn secret_references_hold_at_most_1000_characters() {
        let prefix = "vault://";
        let fits = format!(
            "{prefix}{}",
            "a".repeat(SECRET_REFERENCE_MAX - prefix.len())
        );
        assert!(ConfigValue::secret(&fits).is_ok());
        let err = ConfigValue::secret(&format!("{fits}a")).unwrap_err();
        assert_eq!(
            err,
            "A secret reference is at most 1,000 characters (this one has 1001)."
        );
    }

    #[test]
    fn secret_references_carry_no_user_name_or_password() {
        for bad in [
            "https://admin:hunter2@vault.internal/v1/secret/shop",
            "https://TOKEN@vault.internal/v1/secret/shop",
        ] {
            let err = ConfigValue::secret(bad).unwrap_err();
            assert!(
                err.starts_with("Leave user names and passwords out"),
                "{err}"
            );
            assert!(!err.contains("hunter2") && !err.contains("TOKEN"));
        }
        assert!(ConfigValue::secret("https://vault.internal/v1/secret/shop").is_ok());
    }

    #[test]
    fn values_display_as_text_or_as_the_secret_reference() {
        assert_eq!(plain("20").display(), "20");
        assert_eq!(
            secret("vault://secret/data/shop#db_password").display(),
            "secret \u{2192} vault://secret/data/shop#db_password"
        );
        assert!(secret("env://X").is_secret());
        assert!(!plain("x").is_secret());
    }

    #[test]
    fn values_serialize_tagged_by_kind_and_are_checked_when_read() {
        assert_eq!(
            serde_json::to_string(&plain("20")).unwrap(),
            r#"{"kind":"plain","value":"20"}"#
        );
        assert_eq!(
            serde_json::to_string(&secret("env://DB")).unwrap(),
            r#"{"kind":"secret","reference":"env://DB"}"#
        );
        let v: ConfigValue =
            serde_json::from_str(r#"{"kind":"secret","reference":"aws-sm://prod/db"}"#).unwrap();
        assert_eq!(v, secret("aws-sm://prod/db"));
        for bad in [
            r#"{"kind":"secret","reference":"hunter2"}"#,
            r#"{"kind":"plain","value":"a\u0000b"}"#,
            r#"{"kind":"other","value":"x"}"#,
        ] {
            assert!(serde_json::from_str::<ConfigValue>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_environment_config_round_trips_through_json_keyed_by_name() {
        let c = config(&[
            ("PORT", plain("8080")),
            ("DB_PASSWORD", secret("vault://secret/shop#db")),
        ]);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"entries":{"DB_PASSWORD":{"kind":"secret","reference":"vault://secret/shop#db"},"PORT":{"kind":"plain","value":"8080"}}}"#
        );
        assert_eq!(serde_json::from_str::<EnvironmentConfig>(&json).unwrap(), c);
        assert!(serde_json::from_str::<EnvironmentConfig>(
            r#"{"entries":{"bad key":{"kind":"plain","value":"x"}}}"#
        )
        .is_err());
        assert_eq!(
            serde_json::from_str::<EnvironmentConfig>("{}").unwrap(),
            EnvironmentConfig::default()
        );
    }

    #[test]
    fn an_environment_config_looks_keys_up_by_name_and_lists_them_sorted() {
        let c = config(&[("b", plain("2")), ("a", plain("1"))]);
        assert_eq!(c.get("a"), Some(&plain("1")));
        assert_eq!(c.get(&key("b")), Some(&plain("2")));
        assert_eq!(c.get("c"), None);
        assert_eq!(
            c.keys().map(ConfigKey::as_str).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(c.len(), 2);
        assert!(!c.is_empty());
        assert_eq!(c.to_entries()[0].key, key("a"));
    }

    // The form (rule 4).

    #[test]
    fn the_form_parses_plain_values_and_secret_references() {
        let form = ConfigForm {
            rows: vec![
                row(" PORT ", " 8080 ", false),
                row("DB_PASSWORD", "vault://secret/shop#db", true),
                row("EMPTY_OK", "", false),
            ],
        };
        let c = form.parse().unwrap();
        assert_eq!(
            c,
            config(&[
                ("PORT", plain("8080")),
                ("DB_PASSWORD", secret("vault://secret/shop#db")),
                ("EMPTY_OK", plain("")),
            ])
        );
        // The form shows what was stored.
        assert_eq!(ConfigForm::from_config(&c).parse().unwrap(), c);
        assert!(ConfigForm::from_config(&c)
            .rows
            .iter()
            .any(|r| r.secret && r.value == "vault://secret/shop#db"));
    }

    #[test]
    fn wholly_blank_rows_are_ignored_but_count_in_the_row_index() {
        let form = ConfigForm {
            rows: vec![
                row("", "", false),
                row("  ", " ", true),
                row("1BAD", "x", false),
                row("", "", false),
            ],
        };
        let err = form.parse().unwrap_err();
        assert_eq!(err.0.len(), 1, "{err:?}");
        assert_eq!(err.get("rows[2].key"), Some(KEY_HELP));
        assert_eq!(
            ConfigForm {
                rows: vec![row("", "", false)]
            }
            .parse()
            .unwrap(),
            EnvironmentConfig::default()
        );
    }

    #[test]
    fn every_bad_field_is_named_by_its_row() {
        let form = ConfigForm {
            rows: vec![
                row("OK", "fine", false),
                row("", "a value without a key", false),
                row("BELL", "ring\u{7}", false),
                row("DB_PASSWORD", "hunter2", true),
                row("bad key", "vault://", true),
            ],
        };
        let err = form.parse().unwrap_err();
        assert_eq!(err.get("rows[0].key"), None);
        assert_eq!(err.get("rows[0].value"), None);
        assert_eq!(
            err.get("rows[1].key"),
            Some("Give the key, e.g. DATABASE_URL.")
        );
        assert!(err
            .get("rows[2].value")
            .unwrap()
            .contains("control characters"));
        assert!(err
            .get("rows[3].value")
            .unwrap()
            .starts_with("Slipway stores only a reference"));
        assert!(err.get("rows[4].key").is_some());
        assert!(err
            .get("rows[4].value")
            .unwrap()
            .starts_with("After vault://"));
        assert_eq!(err.0.len(), 5, "{err:?}");
    }

    #[test]
    fn a_key_given_twice_is_refused_on_its_second_row_naming_the_first() {
        let form = ConfigForm {
            rows: vec![
                row("", "", false),
                row("PORT", "8080", false),
                row("HOST", "0.0.0.0", false),
                row(" PORT", "9090", false),
                row("PORT", "vault://x/y", true),
            ],
        };
        let err = form.parse().unwrap_err();
        let msg = "PORT is already set in row 2; give each key once.";
        assert_eq!(err.get("rows[1].key"), None);
        assert_eq!(err.get("rows[3].key"), Some(msg));
        assert_eq!(err.get("rows[4].key"), Some(msg));
        assert_eq!(err.0.len(), 2, "{err:?}");
    }

    #[test]
    fn keys_differing_only_in_case_are_different_keys() {
        let form = ConfigForm {
            rows: vec![row("port", "1", false), row("PORT", "2", false)],
        };
        assert_eq!(form.parse().unwrap().len(), 2);
    }

    #[test]
    fn an_environment_holds_at_most_500_keys() {
        let mut rows: Vec<ConfigRowForm> = (0..ENTRIES_MAX)
            .map(|i| row(&format!("K{i}"), "v", false))
            .collect();
        rows.push(row("", "", false));
        assert_eq!(
            ConfigForm { rows: rows.clone() }.parse().unwrap().len(),
            ENTRIES_MAX
        );
        rows.push(row("ONE_MORE", "v", false));
        let err = ConfigForm { rows }.parse().unwrap_err();
        assert_eq!(
            err.get("rows"),
            Some("An environment holds at most 500 keys (this one has 501).")
        );
    }

    #[test]
    fn the_form_reads_json_with_missing_fields_as_empty() {
        let form: ConfigForm =
            serde_json::from_str(r#"{"rows":[{"key":"PORT","value":"80"},{"key":"S","value":"env://S","secret":true},{}]}"#)
                .unwrap();
        assert_eq!(
            form.parse().unwrap(),
            config(&[("PORT", plain("80")), ("S", secret("env://S"))])
        );
        let empty: ConfigForm = serde_json::from_str("{}").unwrap();
        assert_eq!(empty.parse().unwrap(), EnvironmentConfig::default());
    }

    // Must-match rules (rule 5).

    #[test]
    fn must_match_keys_go_one_per_line_or_comma_separated() {
        let form = DriftRulesForm {
            must_match: " DATABASE_POOL, FEATURE_X\r\n\n  checkout.timeout-ms ,,\nFEATURE_X".into(),
        };
        let r = form.parse().unwrap();
        assert_eq!(
            r,
            rules(&["DATABASE_POOL", "FEATURE_X", "checkout.timeout-ms"])
        );
        assert!(r.requires_match(&key("FEATURE_X")));
        assert!(!r.requires_match(&key("PORT")));
        assert_eq!(DriftRulesForm::from_rules(&r).parse().unwrap(), r);
        assert_eq!(
            DriftRulesForm::from_rules(&r).must_match,
            "DATABASE_POOL\nFEATURE_X\ncheckout.timeout-ms"
        );
        assert_eq!(
            DriftRulesForm::default().parse().unwrap(),
            DriftRules::default()
        );
    }

    #[test]
    fn bad_must_match_keys_are_named() {
        let err = DriftRulesForm {
            must_match: "GOOD\n1bad, has space".into(),
        }
        .parse()
        .unwrap_err();
        let msg = err.get("must_match").unwrap();
        assert!(
            msg.starts_with("Not valid keys: \u{201c}1bad\u{201d}, \u{201c}has space\u{201d}."),
            "{msg}"
        );
        let err = DriftRulesForm {
            must_match: "ok, 9lives".into(),
        }
        .parse()
        .unwrap_err();
        assert!(err
            .get("must_match")
            .unwrap()
            .starts_with("Not a valid key: \u{201c}9lives\u{201d}."));
        let many = (0..8)
            .map(|i| format!("{i}x"))
            .collect::<Vec<_>>()
            .join(",");
        let err = DriftRulesForm { must_match: many }.parse().unwrap_err();
        assert!(
            err.get("must_match").unwrap().contains("and 3 more"),
            "{err:?}"
        );
        let long = "K".repeat(KEY_MAX + 1);
        let err = DriftRulesForm { must_match: long }.parse().unwrap_err();
        assert!(
            err.get("must_match").unwrap().contains('\u{2026}'),
            "{err:?}"
        );
    }

    #[test]
    fn at_most_500_keys_must_match() {
        let keys = |n: usize| {
            (0..n)
                .map(|i| format!("K{i}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(DriftRulesForm {
            must_match: keys(MUST_MATCH_MAX)
        }
        .parse()
        .is_ok());
        let err = DriftRulesForm {
            must_match: keys(MUST_MATCH_MAX + 1),
        }
        .parse()
        .unwrap_err();
        assert_eq!(
            err.get("must_match"),
            Some("At most 500 keys can be marked must match (this list has 501).")
        );
    }

    // Comparing environments (rule 6).

    fn three_tiers() -> (EnvironmentConfig, EnvironmentConfig, EnvironmentConfig) {
        let dev = config(&[
            ("DATABASE_POOL", plain("5")),
            ("DB_PASSWORD", secret("vault://dev/shop#db")),
            ("DEBUG", plain("true")),
            ("LOG_LEVEL", plain("debug")),
        ]);
        let staging = config(&[
            ("DATABASE_POOL", plain("20")),
            ("DB_PASSWORD", secret("vault://staging/shop#db")),
            ("FEATURE_X", plain("on")),
            ("LOG_LEVEL", plain("info")),
        ]);
        let prod = config(&[
            ("DATABASE_POOL", plain("10")),
            ("DB_PASSWORD", secret("vault://staging/shop#db")),
            ("LOG_LEVEL", plain("warn")),
            ("SENTRY_DSN", secret("env://SENTRY_DSN")),
        ]);
        (dev, staging, prod)
    }

    fn report_of(
        tiers: &(EnvironmentConfig, EnvironmentConfig, EnvironmentConfig),
        r: &DriftRules,
    ) -> DriftReport {
        compare(
            &[
                ("dev".to_owned(), &tiers.0),
                ("staging".to_owned(), &tiers.1),
                ("prod".to_owned(), &tiers.2),
            ],
            r,
        )
    }

    fn row_of<'a>(report: &'a DriftReport, k: &str) -> &'a DriftRow {
        report.rows.iter().find(|r| r.key.as_str() == k).unwrap()
    }

    fn described(row: &DriftRow) -> Vec<String> {
        row.findings.iter().map(DriftFinding::describe).collect()
    }

    #[test]
    fn the_report_has_one_row_per_key_sorted_with_a_cell_per_environment() {
        let report = report_of(&three_tiers(), &DriftRules::default());
        assert_eq!(report.environments, ["dev", "staging", "prod"]);
        let keys: Vec<&str> = report.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "DATABASE_POOL",
                "DB_PASSWORD",
                "DEBUG",
                "FEATURE_X",
                "LOG_LEVEL",
                "SENTRY_DSN"
            ]
        );
        assert_eq!(
            row_of(&report, "FEATURE_X").cells,
            [None, Some(plain("on")), None]
        );
    }

    #[test]
    fn a_key_missing_in_the_next_tier_or_the_previous_one_is_a_finding() {
        let report = report_of(&three_tiers(), &DriftRules::default());
        // Only in dev: missing in staging, nothing to say about prod.
        let debug = row_of(&report, "DEBUG");
        assert_eq!(
            described(debug),
            ["DEBUG is set in dev but missing in staging."]
        );
        assert_eq!(debug.highlighted(), [true, true, false]);
        // Only in staging: missing both ways.
        let feature = row_of(&report, "FEATURE_X");
        assert_eq!(
            described(feature),
            [
                "FEATURE_X is set in staging but missing in dev.",
                "FEATURE_X is set in staging but missing in prod."
            ]
        );
        assert_eq!(feature.highlighted(), [true, true, true]);
        let DriftFinding::Missing {
            present_in,
            missing_in,
            ..
        } = &feature.findings[0]
        else {
            panic!("{feature:?}")
        };
        assert_eq!((present_in.index, missing_in.index), (1, 0));
    }

    #[test]
    fn a_key_only_in_the_last_tier_is_missing_in_the_one_before() {
        let report = report_of(&three_tiers(), &DriftRules::default());
        let sentry = row_of(&report, "SENTRY_DSN");
        assert_eq!(
            described(sentry),
            ["SENTRY_DSN is set in prod but missing in staging."]
        );
        assert_eq!(sentry.highlighted(), [false, true, true]);
    }

    #[test]
    fn must_match_keys_with_different_values_are_findings() {
        let report = report_of(&three_tiers(), &rules(&["DATABASE_POOL"]));
        let pool = row_of(&report, "DATABASE_POOL");
        assert!(pool.must_match);
        assert_eq!(
            described(pool),
            [
                "DATABASE_POOL must match, but dev has 5 and staging has 20.",
                "DATABASE_POOL must match, but staging has 20 and prod has 10."
            ]
        );
        assert_eq!(pool.highlighted(), [true, true, true]);
        assert_eq!(pool.findings[1].tiers().map(|t| t.index), [1, 2]);
        assert_eq!(report.finding_count(), 6);
    }

    #[test]
    fn other_keys_may_differ_without_a_finding() {
        let report = report_of(&three_tiers(), &rules(&["DATABASE_POOL"]));
        let log = row_of(&report, "LOG_LEVEL");
        assert!(!log.must_match);
        assert!(log.findings.is_empty());
        assert_eq!(log.highlighted(), [false, false, false]);
    }

    #[test]
    fn secrets_compare_by_reference() {
        let report = report_of(&three_tiers(), &rules(&["DB_PASSWORD"]));
        let db = row_of(&report, "DB_PASSWORD");
        assert_eq!(
            described(db),
            ["DB_PASSWORD must match, but dev has secret \u{2192} vault://dev/shop#db and staging has secret \u{2192} vault://staging/shop#db."]
        );
        // Same reference in staging and prod: no finding there.
        assert_eq!(db.highlighted(), [true, true, false]);
    }

    #[test]
    fn a_plain_value_never_matches_a_secret_with_the_same_text() {
        let a = config(&[("X", plain("env://X"))]);
        let b = config(&[("X", secret("env://X"))]);
        let report = compare(&[("a".into(), &a), ("b".into(), &b)], &rules(&["X"]));
        assert_eq!(report.finding_count(), 1);
    }

    #[test]
    fn long_and_empty_values_are_shortened_in_sentences() {
        let a = config(&[("CERT", plain(&format!("-----BEGIN\n{}", "A".repeat(200))))]);
        let b = config(&[("CERT", plain(""))]);
        let report = compare(&[("a".into(), &a), ("b".into(), &b)], &rules(&["CERT"]));
        let sentence = report.findings().next().unwrap().describe();
        assert!(sentence.len() < 120, "{sentence}");
        assert!(sentence.contains("a has -----BEGIN AAA"), "{sentence}");
        assert!(
            sentence.ends_with("\u{2026} and b has an empty value."),
            "{sentence}"
        );
    }

    #[test]
    fn comparing_one_environment_or_none_finds_nothing() {
        let (dev, _, _) = three_tiers();
        let one = compare(&[("dev".into(), &dev)], &rules(&["DEBUG"]));
        assert_eq!(one.finding_count(), 0);
        assert_eq!(one.rows.len(), dev.len());
        let none = compare(&[], &DriftRules::default());
        assert!(none.rows.is_empty() && none.environments.is_empty());
    }

    // Promotion (rule 7).

    #[test]
    fn promoting_into_the_first_environment_has_no_differences() {
        let (dev, _, _) = three_tiers();
        assert!(promotion_differences(None, ("dev", &dev), &rules(&["DEBUG"])).is_empty());
    }

    #[test]
    fn identical_configurations_have_no_differences() {
        let (_, staging, _) = three_tiers();
        let copy = staging.clone();
        assert!(promotion_differences(
            Some(("staging", &staging)),
            ("prod", &copy),
            &rules(&["DATABASE_POOL"])
        )
        .is_empty());
    }

    #[test]
    fn a_promotion_lists_added_removed_and_changed_keys_marking_findings() {
        let (_, staging, prod) = three_tiers();
        let d = promotion_differences(
            Some(("staging", &staging)),
            ("prod", &prod),
            &rules(&["DATABASE_POOL"]),
        );
        let keys: Vec<&str> = d.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(
            keys,
            ["DATABASE_POOL", "FEATURE_X", "LOG_LEVEL", "SENTRY_DSN"]
        );
        let sentences: Vec<String> = d.iter().map(ConfigDifference::describe).collect();
        assert_eq!(
            sentences,
            [
                "DATABASE_POOL must match, but staging has 20 and prod has 10.",
                "FEATURE_X is set in staging but missing in prod.",
                "LOG_LEVEL differs: staging has info and prod has warn.",
                "SENTRY_DSN is set in prod but missing in staging.",
            ]
        );
        assert_eq!(
            d.iter().map(|d| d.finding).collect::<Vec<_>>(),
            [true, true, false, true]
        );
        assert_eq!(d[1].from, Some(plain("on")));
        assert_eq!(d[1].to, None);
        assert_eq!(d[3].from, None);
        assert!(d[0].must_match && !d[2].must_match);
        assert_eq!(
            gate_findings(&d),
            [
                "DATABASE_POOL must match, but staging has 20 and prod has 10.",
                "FEATURE_X is set in staging but missing in prod.",
                "SENTRY_DSN is set in prod but missing in staging.",
            ]
        );
    }

    #[test]
    fn promotion_findings_read_as_on_the_comparison_page() {
        let tiers = three_tiers();
        let r = rules(&["DATABASE_POOL", "DB_PASSWORD"]);
        let page = report_of(&tiers, &r);
        let on_page: Vec<String> = page
            .findings()
            .filter(|f| f.tiers().map(|t| t.index) == [1, 2])
            .map(DriftFinding::describe)
            .collect();
        let mut promotion = gate_findings(&promotion_differences(
            Some(("staging", &tiers.1)),
            ("prod", &tiers.2),
            &r,
        ));
        promotion.sort();
        let mut on_page = on_page;
        on_page.sort();
        assert_eq!(promotion, on_page);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_value() -> impl Strategy<Value = ConfigValue> {
            prop_oneof![
                "[a-z0-9 ]{0,6}".prop_map(|v| plain(&v)),
                "[a-z]{1,4}".prop_map(|r| secret(&format!("vault://{r}"))),
            ]
        }

        fn any_config() -> impl Strategy<Value = EnvironmentConfig> {
            proptest::collection::btree_map("[A-C][A-C_]{0,2}", any_value(), 0..8).prop_map(|m| {
                EnvironmentConfig {
                    entries: m.into_iter().map(|(k, v)| (key(&k), v)).collect(),
                }
            })
        }

        fn any_rules() -> impl Strategy<Value = DriftRules> {
            proptest::collection::btree_set("[A-C][A-C_]{0,2}", 0..10).prop_map(|s| DriftRules {
                must_match: s.iter().map(|k| key(k)).collect(),
            })
        }

        proptest! {
            #[test]
            fn identical_configurations_across_tiers_never_drift(
                c in any_config(), r in any_rules(), n in 1usize..5
            ) {
                let tiers: Vec<(String, &EnvironmentConfig)> =
                    (0..n).map(|i| (format!("env{i}"), &c)).collect();
                let report = compare(&tiers, &r);
                prop_assert_eq!(report.finding_count(), 0);
                prop_assert_eq!(report.rows.len(), c.len());
                for row in &report.rows {
                    prop_assert!(row.highlighted().iter().all(|h| !h));
                }
                prop_assert!(promotion_differences(Some(("a", &c)), ("b", &c), &r).is_empty());
            }

            #[test]
            fn a_promotion_finds_what_the_comparison_finds(
                a in any_config(), b in any_config(), r in any_rules()
            ) {
                let report = compare(&[("a".into(), &a), ("b".into(), &b)], &r);
                let mut page: Vec<String> = report.findings().map(DriftFinding::describe).collect();
                let mut promotion = gate_findings(&promotion_differences(Some(("a", &a)), ("b", &b), &r));
                page.sort();
                promotion.sort();
                prop_assert_eq!(page, promotion);
            }
        }
    }
}
