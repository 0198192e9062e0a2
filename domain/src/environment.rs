//! Environments: the ordered places an artifact moves through (dev -> staging -> prod).

use crate::validation::{bounded_text, FieldErrors};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

pub const ENVIRONMENT_NAME_MAX: usize = 40;
pub const ENVIRONMENTS_MAX: usize = 20;

/// How much is at stake in an environment; later rules (approvals, freezes)
/// key on the tier, not on the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentTier {
    Development,
    Staging,
    Production,
}

impl EnvironmentTier {
    pub const ALL: [EnvironmentTier; 3] = [
        EnvironmentTier::Development,
        EnvironmentTier::Staging,
        EnvironmentTier::Production,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EnvironmentTier::Development => "development",
            EnvironmentTier::Staging => "staging",
            EnvironmentTier::Production => "production",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EnvironmentTier::Development => "Development",
            EnvironmentTier::Staging => "Staging",
            EnvironmentTier::Production => "Production",
        }
    }
}

impl fmt::Display for EnvironmentTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for EnvironmentTier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        EnvironmentTier::ALL
            .into_iter()
            .find(|t| t.as_str() == wanted)
            .ok_or_else(|| {
                format!("Tier must be one of development, staging or production, not \"{s}\".")
            })
    }
}

/// An environment's name: lowercase letters, digits, hyphens, as used in deploy tooling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EnvironmentName(String);

impl EnvironmentName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = bounded_text(input, "Environment name", 1, ENVIRONMENT_NAME_MAX)?;
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !s
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(
                "Environment name may contain only lowercase letters, digits, '-' and '_', and must start with a letter or digit."
                    .into(),
            );
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvironmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One environment row as typed into a form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentDraft {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub tier: String,
}

impl EnvironmentDraft {
    pub fn new(name: &str, tier: EnvironmentTier) -> Self {
        Self {
            name: name.into(),
            tier: tier.as_str().into(),
        }
    }

    /// The pipeline most teams start with.
    pub fn standard_pipeline() -> Vec<EnvironmentDraft> {
        vec![
            EnvironmentDraft::new("dev", EnvironmentTier::Development),
            EnvironmentDraft::new("staging", EnvironmentTier::Staging),
            EnvironmentDraft::new("prod", EnvironmentTier::Production),
        ]
    }

    fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
    }
}

/// A validated environment, in pipeline order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidEnvironment {
    pub name: EnvironmentName,
    pub tier: EnvironmentTier,
}

/// Validates a whole pipeline. Blank rows (no name) are skipped, so a form can
/// offer spare rows. Field names are `environments[i].name` / `.tier`, with `i`
/// the row's index in the submitted list.
pub fn validate_environments(
    drafts: &[EnvironmentDraft],
) -> Result<Vec<ValidEnvironment>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut valid: Vec<ValidEnvironment> = Vec::new();
    let filled = drafts.iter().filter(|d| !d.is_blank()).count();
    if filled > ENVIRONMENTS_MAX {
        errors.push(
            "environments",
            format!("A project can have at most {ENVIRONMENTS_MAX} environments."),
        );
    }
    for (i, draft) in drafts.iter().enumerate() {
        if draft.is_blank() {
            continue;
        }
        let name = errors.check(
            &format!("environments[{i}].name"),
            EnvironmentName::parse(&draft.name),
        );
        let tier = errors.check(&format!("environments[{i}].tier"), draft.tier.parse());
        if let (Some(name), Some(tier)) = (name, tier) {
            if valid.iter().any(|v| v.name == name) {
                errors.push(
                    format!("environments[{i}].name"),
                    format!("\"{name}\" is already used by another environment of this project."),
                );
            } else {
                valid.push(ValidEnvironment { name, tier });
            }
        }
    }
    errors.into_result(|| valid)
}

/// Checks one environment on its own (for the add/rename forms).
pub fn validate_environment(draft: &EnvironmentDraft) -> Result<ValidEnvironment, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", EnvironmentName::parse(&draft.name));
    let tier = errors.check("tier", draft.tier.parse());
    match (name, tier) {
        (Some(name), Some(tier)) => Ok(ValidEnvironment { name, tier }),
        _ => Err(errors),
    }
}

/// Where an environment moves when someone clicks "up" or "down".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    Up,
    Down,
}

/// Reorders ids in place; returns false when the move is not possible.
pub fn move_in_order<T: PartialEq>(order: &mut [T], item: &T, direction: Move) -> bool {
    let Some(pos) = order.iter().position(|x| x == item) else {
        return false;
    };
    match direction {
        Move::Up if pos > 0 => {
            order.swap(pos, pos - 1);
            true
        }
        Move::Down if pos + 1 < order.len() => {
            order.swap(pos, pos + 1);
            true
        }
        _ => false,
    }
}

/// Whether a release that has reached `reached` (and passed every
/// environment before it) keeps its path when the pipeline changes from
/// `old` to `new` order: the environments it has passed stay before it, in
/// any order, and the ones still ahead of it stay in the same order. A
/// release that finished the pipeline (reached its last environment) is
/// not in flight, and keeps nothing to protect.
///
/// Anything else would let it skip an environment (moving prod above
/// staging while it sits in dev makes prod its next stop) or go back to
/// one it already left.
pub fn reorder_keeps_path<T: PartialEq>(old: &[T], new: &[T], reached: &T) -> bool {
    let Some(i) = old.iter().position(|e| e == reached) else {
        return true; // it reached an environment no longer in the pipeline
    };
    if i + 1 == old.len() {
        return true;
    }
    new.len() == old.len()
        && new.get(i) == Some(reached)
        && new[..i].iter().all(|e| old[..i].contains(e))
        && new[i + 1..] == old[i + 1..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_in_flight_keeps_its_path() {
        let old = ["dev", "staging", "prod"];
        // Sitting in dev: prod may not move before staging.
        assert!(!reorder_keeps_path(
            &old,
            &["dev", "prod", "staging"],
            &"dev"
        ));
        // Nor may dev move after staging (it would go back, then skip).
        assert!(!reorder_keeps_path(
            &old,
            &["staging", "dev", "prod"],
            &"dev"
        ));
        // In staging: dev and staging swapped puts it before dev again.
        assert!(!reorder_keeps_path(
            &old,
            &["staging", "dev", "prod"],
            &"staging"
        ));
        // Unchanged order is always fine.
        assert!(reorder_keeps_path(&old, &old, &"dev"));
        // Done with the pipeline: nothing to protect.
        assert!(reorder_keeps_path(
            &old,
            &["prod", "dev", "staging"],
            &"prod"
        ));
        // Reordering what it has already passed is fine.
        let four = ["a", "b", "c", "d"];
        assert!(reorder_keeps_path(&four, &["b", "a", "c", "d"], &"c"));
        assert!(!reorder_keeps_path(&four, &["a", "b", "d", "c"], &"b"));
    }

    #[test]
    fn the_standard_pipeline_is_valid_and_ordered() {
        let envs = validate_environments(&EnvironmentDraft::standard_pipeline()).ok();
        let names: Vec<String> = envs
            .unwrap_or_default()
            .iter()
            .map(|e| e.name.to_string())
            .collect();
        assert_eq!(names, ["dev", "staging", "prod"]);
    }

    #[test]
    fn blank_rows_are_skipped_and_duplicates_refused() {
        let drafts = vec![
            EnvironmentDraft::new("dev", EnvironmentTier::Development),
            EnvironmentDraft::default(),
            EnvironmentDraft::new("dev", EnvironmentTier::Staging),
        ];
        let errors = validate_environments(&drafts).err().unwrap_or_default();
        assert!(errors.get("environments[2].name").is_some());
        assert_eq!(errors.0.len(), 1);
    }

    #[test]
    fn bad_names_and_tiers_are_reported_per_row() {
        let drafts = vec![EnvironmentDraft {
            name: "Prod EU".into(),
            tier: "live".into(),
        }];
        let errors = validate_environments(&drafts).err().unwrap_or_default();
        assert!(errors.get("environments[0].name").is_some());
        assert!(errors.get("environments[0].tier").is_some());
    }

    #[test]
    fn too_many_environments_are_refused() {
        let drafts: Vec<_> = (0..=ENVIRONMENTS_MAX)
            .map(|i| EnvironmentDraft::new(&format!("e{i}"), EnvironmentTier::Development))
            .collect();
        let errors = validate_environments(&drafts).err().unwrap_or_default();
        assert!(errors.get("environments").is_some());
    }

    #[test]
    fn moving_stays_within_bounds() {
        let mut order = [1, 2, 3];
        assert!(move_in_order(&mut order, &3, Move::Up));
        assert_eq!(order, [1, 3, 2]);
        assert!(!move_in_order(&mut order, &1, Move::Up));
        assert!(!move_in_order(&mut order, &2, Move::Down));
        assert!(!move_in_order(&mut order, &9, Move::Down));
    }

    #[test]
    fn tiers_parse_case_insensitively() {
        assert_eq!("Production".parse(), Ok(EnvironmentTier::Production));
        assert!("prod".parse::<EnvironmentTier>().is_err());
    }
}
