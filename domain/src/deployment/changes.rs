//! What a promotion changes, in words (the read model is
//! [`super::view::WhatChanges`]).
//!
//! Rules, in the order [`summarize`] applies them:
//! 1. Commits a revert in the same range cancels are left out.
//! 2. A breaking commit is listed under breaking changes (with its
//!    migration note: the `BREAKING CHANGE` text), whatever its type.
//! 3. Otherwise `feat` is a feature, `fix` and counted reverts are fixes,
//!    `perf` is performance; anything else is counted as "other".
//! 4. Issues are those the commits close, each once, in order of first
//!    appearance.

use super::view::{ChangeLine, WhatChanges};
use crate::conventional::{CommitMessage, Reference};

/// One commit of the range: its id and parsed message.
pub struct RangeEntry<'a> {
    pub id: &'a str,
    pub message: &'a CommitMessage,
}

pub fn summarize(
    environment: &str,
    running: Option<String>,
    skipped: Vec<String>,
    commits: &[RangeEntry<'_>],
    cancelled: &[String],
) -> WhatChanges {
    let mut out = WhatChanges {
        environment: environment.to_owned(),
        running,
        skipped,
        ..Default::default()
    };
    for c in commits {
        if cancelled.iter().any(|x| x == c.id) {
            continue;
        }
        let m = c.message;
        let issues: Vec<String> = m.closes().iter().map(reference_text).collect();
        for i in &issues {
            if !out.issues.contains(i) {
                out.issues.push(i.clone());
            }
        }
        let text = match &m.header {
            Some(h) => match &h.scope {
                Some(s) => format!("{s}: {}", h.description),
                None => h.description.clone(),
            },
            None => m.subject.clone(),
        };
        let line = ChangeLine {
            text,
            commit: c.id.chars().take(7).collect(),
            issues,
            migration: m.breaking.first().cloned(),
        };
        if m.is_breaking() {
            out.breaking.push(line);
            continue;
        }
        match (m.kind(), &m.revert) {
            (Some("feat"), _) => out.features.push(line),
            (Some("fix"), _) | (_, Some(_)) => out.fixes.push(line),
            (Some("perf"), _) => out.performance.push(line),
            _ => out.other += 1,
        }
    }
    out
}

fn reference_text(r: &Reference) -> String {
    match r {
        Reference::Number(n) => format!("#{n}"),
        Reference::Key(k) => k.clone(),
        Reference::Url(u) => u.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::conventional::parse;

    #[test]
    fn commits_are_sorted_for_people_with_their_issues_and_migration_notes() {
        let messages = [
            (
                "aaaaaaa1",
                parse("feat(checkout): coupons\n\nCloses DEMO-12"),
            ),
            ("bbbbbbb2", parse("fix(cart): keep the cart\n\nFixes #15")),
            ("ccccccc3", parse("perf(search): use the index")),
            ("ddddddd4", parse("docs: coupon rules")),
            (
                "eeeeeee5",
                parse("feat(api)!: drop v1\n\nBREAKING CHANGE: call /v2 instead"),
            ),
            ("hhhhhhh8", parse("fix: coupons again\n\nCloses DEMO-12")),
            ("fffffff6", parse("feat: reverted later")),
            ("ggggggg7", parse("not conventional at all")),
        ];
        let entries: Vec<RangeEntry<'_>> = messages
            .iter()
            .map(|(id, m)| RangeEntry { id, message: m })
            .collect();
        let w = summarize(
            "staging",
            Some("1.1.0".into()),
            vec!["1.1.1".into()],
            &entries,
            &["fffffff6".to_owned()],
        );
        assert_eq!(w.environment, "staging");
        assert_eq!(w.running.as_deref(), Some("1.1.0"));
        assert_eq!(w.skipped, ["1.1.1"]);
        assert_eq!(w.features.len(), 1);
        assert_eq!(w.features[0].text, "checkout: coupons");
        assert_eq!(w.features[0].commit, "aaaaaaa");
        assert_eq!(w.features[0].issues, ["DEMO-12"]);
        assert_eq!(w.fixes[0].text, "cart: keep the cart");
        assert_eq!(w.fixes.len(), 2);
        assert_eq!(w.performance[0].text, "search: use the index");
        assert_eq!(w.breaking.len(), 1);
        assert_eq!(w.breaking[0].migration.as_deref(), Some("call /v2 instead"));
        assert_eq!(w.other, 2, "docs and the non-conforming commit");
        assert_eq!(w.issues, ["DEMO-12", "#15"], "each issue once");
        assert!(!w.is_empty());
    }

    #[test]
    fn nothing_in_the_range_is_empty() {
        let w = summarize("prod", None, vec![], &[], &[]);
        assert!(w.is_empty());
        assert_eq!(w.running, None);
    }
}
