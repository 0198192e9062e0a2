//! Release checklists: a template per project (the default follows good
//! release practice), an instance per release, items required before an
//! environment tier, items ticked by people or automatically from evidence,
//! and who ticked what and when.

use crate::environment::EnvironmentTier;
use crate::ids::UserId;
use crate::validation::FieldErrors;
use serde::{Deserialize, Serialize};

/// One item of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemTemplate {
    /// Stable key within the template, e.g. `migrations-dry-run`.
    pub key: String,
    pub title: String,
    /// What "done" means, for people who do not do this every day.
    pub help: String,
    /// Must be ticked before promoting to an environment of this tier or a
    /// later one; `None` means recommended, never blocking.
    pub required_before: Option<EnvironmentTier>,
    /// Ticked automatically when this evidence arrives (e.g. `smoke-tests`).
    pub auto_from: Option<String>,
}

/// A project's checklist template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistTemplate {
    pub items: Vec<ItemTemplate>,
}

fn item(
    key: &str,
    title: &str,
    help: &str,
    required_before: Option<EnvironmentTier>,
    auto_from: Option<&str>,
) -> ItemTemplate {
    ItemTemplate {
        key: key.into(),
        title: title.into(),
        help: help.into(),
        required_before,
        auto_from: auto_from.map(Into::into),
    }
}

impl Default for ChecklistTemplate {
    /// Good release practice.
    fn default() -> Self {
        use EnvironmentTier::{Production, Staging};
        Self {
            items: vec![
                item("qa-scope", "QA scope agreed", "Testers and the product owner agree what is tested for this release.", Some(Staging), None),
                item("migrations-dry-run", "Database migrations dry-run", "The migrations ran against a copy of production data without errors, and their duration is known.", Some(Production), None),
                item("feature-flags", "Feature-flag defaults reviewed", "Every flag this release adds or changes has the intended default in production.", Some(Production), None),
                item("config-diff", "Configuration diff reviewed", "Someone read the configuration and secret changes between the current production release and this one.", Some(Production), None),
                item("perf-smoke", "Load/performance smoke for risky changes", "For risky changes: a short load test or the smoke tests in staging passed. Ticked automatically when smoke tests pass.", None, Some("smoke-tests")),
                item("rollback-plan", "Rollback plan documented or rehearsed", "How to go back, including data, is written down or was practised.", Some(Production), None),
                item("communications", "Communications drafted", "Announcements for customers, support and stakeholders are ready.", Some(Production), None),
                item("hotfix-path", "Hotfix path known", "Who cuts a hotfix branch and from which tag, if this release needs one.", Some(Production), None),
            ],
        }
    }
}

/// Item keys and evidence kinds: lowercase letters, digits and '-', at most
/// 40 characters (`smoke-tests`, `rollback-plan`).
pub fn is_evidence_kind(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl ChecklistTemplate {
    /// Keys are unique slugs, titles present, evidence kinds well-formed.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.items.len() > 50 {
            errors.push("items", "A checklist can have at most 50 items.");
        }
        let mut keys: Vec<&str> = Vec::new();
        for (i, it) in self.items.iter().enumerate() {
            let slug = is_evidence_kind;
            if !slug(&it.key) {
                errors.push(
                    format!("items[{i}].key"),
                    "Use lowercase letters, digits and '-' (at most 40), e.g. rollback-plan.",
                );
            } else if keys.contains(&it.key.as_str()) {
                errors.push(
                    format!("items[{i}].key"),
                    format!("\"{}\" is used twice.", it.key),
                );
            }
            keys.push(&it.key);
            if it.title.trim().is_empty() || it.title.len() > 120 {
                errors.push(
                    format!("items[{i}].title"),
                    "Give the item a title (at most 120 characters).",
                );
            }
            if it.auto_from.as_deref().is_some_and(|e| !slug(e)) {
                errors.push(
                    format!("items[{i}].auto_from"),
                    "Evidence kinds use lowercase letters, digits and '-', e.g. smoke-tests.",
                );
            }
        }
        errors.into_result(|| ())
    }

    /// A fresh instance for a release.
    pub fn instantiate(&self) -> Checklist {
        Checklist {
            items: self
                .items
                .iter()
                .map(|t| ChecklistItem {
                    template: t.clone(),
                    tick: None,
                })
                .collect(),
        }
    }
}

/// Who ticked an item, when (epoch ms), and whether it was automatic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    pub by: Option<UserId>,
    pub by_name: String,
    pub at_ms: i64,
    /// Ticked from evidence, not by a person: which evidence.
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub template: ItemTemplate,
    pub tick: Option<Tick>,
}

/// A release's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    pub items: Vec<ChecklistItem>,
}

impl Checklist {
    fn find_mut(&mut self, key: &str) -> Result<&mut ChecklistItem, String> {
        self.items
            .iter_mut()
            .find(|i| i.template.key == key)
            .ok_or_else(|| format!("This checklist has no item \"{key}\"."))
    }

    /// A person ticks an item.
    pub fn tick(&mut self, key: &str, by: UserId, by_name: &str, at_ms: i64) -> Result<(), String> {
        let item = self.find_mut(key)?;
        if let Some(t) = &item.tick {
            return Err(format!(
                "\"{}\" was already ticked by {}.",
                item.template.title, t.by_name
            ));
        }
        item.tick = Some(Tick {
            by: Some(by),
            by_name: by_name.into(),
            at_ms,
            evidence: None,
        });
        Ok(())
    }

    /// A person unticks an item (the history keeps that it was ticked).
    pub fn untick(&mut self, key: &str) -> Result<(), String> {
        let item = self.find_mut(key)?;
        if item.tick.take().is_none() {
            return Err(format!("\"{}\" is not ticked.", item.template.title));
        }
        Ok(())
    }

    /// Evidence arrived: ticks every unticked item waiting for it. Returns
    /// the keys it ticked.
    pub fn apply_evidence(&mut self, evidence: &str, at_ms: i64) -> Vec<String> {
        let mut ticked = Vec::new();
        for item in &mut self.items {
            if item.tick.is_none() && item.template.auto_from.as_deref() == Some(evidence) {
                item.tick = Some(Tick {
                    by: None,
                    by_name: "Slipway".into(),
                    at_ms,
                    evidence: Some(evidence.into()),
                });
                ticked.push(item.template.key.clone());
            }
        }
        ticked
    }

    /// Items that must be ticked before promoting to an environment of
    /// `tier`, and are not.
    pub fn unmet_before(&self, tier: EnvironmentTier) -> Vec<&ChecklistItem> {
        self.items
            .iter()
            .filter(|i| i.tick.is_none() && i.template.required_before.is_some_and(|r| tier >= r))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use EnvironmentTier::*;

    #[test]
    fn the_default_follows_good_release_practice() {
        let t = ChecklistTemplate::default();
        assert_eq!(t.validate(), Ok(()));
        let keys: Vec<&str> = t.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "qa-scope",
                "migrations-dry-run",
                "feature-flags",
                "config-diff",
                "perf-smoke",
                "rollback-plan",
                "communications",
                "hotfix-path"
            ]
        );
    }

    #[test]
    fn required_items_block_their_tier_and_later_ones() {
        let mut c = ChecklistTemplate::default().instantiate();
        assert!(c.unmet_before(Development).is_empty());
        let staging: Vec<&str> = c
            .unmet_before(Staging)
            .iter()
            .map(|i| i.template.key.as_str())
            .collect();
        assert_eq!(staging, ["qa-scope"]);
        assert_eq!(
            c.unmet_before(Production).len(),
            7,
            "all but the optional perf smoke"
        );
        c.tick("qa-scope", UserId(1), "Ada", 10).unwrap();
        assert!(c.unmet_before(Staging).is_empty());
        assert_eq!(c.unmet_before(Production).len(), 6);
    }

    #[test]
    fn ticks_remember_who_and_when_and_refuse_twice() {
        let mut c = ChecklistTemplate::default().instantiate();
        c.tick("config-diff", UserId(7), "Bob", 1234).unwrap();
        let t = c.items[3].tick.clone().unwrap();
        assert_eq!(
            (t.by, t.by_name.as_str(), t.at_ms, t.evidence),
            (Some(UserId(7)), "Bob", 1234, None)
        );
        assert!(c
            .tick("config-diff", UserId(8), "Cy", 1)
            .unwrap_err()
            .contains("already ticked by Bob"));
        c.untick("config-diff").unwrap();
        assert!(c.untick("config-diff").is_err());
        assert!(c
            .tick("nope", UserId(1), "A", 1)
            .unwrap_err()
            .contains("no item"));
    }

    #[test]
    fn evidence_kinds_are_short_slugs() {
        for ok in ["smoke-tests", "qa-report", "a", "perf-2"] {
            assert!(is_evidence_kind(ok), "{ok}");
        }
        for bad in [
            "",
            "Smoke",
            "smoke tests",
            "smoke_tests",
            "é",
            &"a".repeat(41),
        ] {
            assert!(!is_evidence_kind(bad), "{bad}");
        }
    }

    #[test]
    fn evidence_ticks_waiting_items_and_says_so() {
        let mut c = ChecklistTemplate::default().instantiate();
        assert_eq!(
            c.apply_evidence("smoke-tests", 99),
            vec!["perf-smoke".to_string()]
        );
        let t = c.items[4].tick.clone().unwrap();
        assert_eq!((t.by, t.evidence.as_deref()), (None, Some("smoke-tests")));
        assert!(c.apply_evidence("smoke-tests", 100).is_empty(), "only once");
        assert!(c.apply_evidence("unknown", 100).is_empty());
    }

    #[test]
    fn bad_templates_are_explained() {
        let mut t = ChecklistTemplate::default();
        t.items[1].key = "qa-scope".into();
        t.items[2].key = "Bad Key".into();
        t.items[3].title = " ".into();
        t.items[4].auto_from = Some("Smoke Tests".into());
        let e = t.validate().unwrap_err();
        for k in [
            "items[1].key",
            "items[2].key",
            "items[3].title",
            "items[4].auto_from",
        ] {
            assert!(e.get(k).is_some(), "{k}: {e:?}");
        }
    }
}
