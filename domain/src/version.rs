//! From commits to the next version: the versioning policy and its
//! explanation ("2.4.0 because of feat commits abc123 and def456; no
//! breaking changes").

use crate::conventional::CommitMessage;
use semver::{BuildMetadata, Prerelease, Version};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How much a set of changes moves the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bump {
    None,
    Patch,
    Minor,
    Major,
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bump::None => "no release",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        })
    }
}

/// A project's versioning rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VersionPolicy {
    /// Commit types that add features (minor).
    pub minor_types: Vec<String>,
    /// Commit types that fix things (patch).
    pub patch_types: Vec<String>,
    /// What any other type (docs, chore, ...) and non-conforming commits do.
    pub other_bump: Bump,
    /// While the major version is 0, a breaking change bumps the minor version.
    pub breaking_minor_while_zero: bool,
    /// The first version when there is no release yet.
    pub initial_version: Version,
}

impl Default for VersionPolicy {
    fn default() -> Self {
        Self {
            minor_types: vec!["feat".into()],
            patch_types: vec!["fix".into(), "perf".into()],
            other_bump: Bump::None,
            breaking_minor_while_zero: true,
            initial_version: Version::new(0, 1, 0),
        }
    }
}

/// One commit in a release range, newest first as git lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeCommit {
    pub id: String,
    pub message: CommitMessage,
}

impl RangeCommit {
    pub fn short_id(&self) -> &str {
        self.id.get(..7).unwrap_or(&self.id)
    }
}

/// Why the range gets the bump it gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    pub bump: Bump,
    /// Ids of the commits that decide the bump (the breaking ones for major,
    /// the features for minor, ...).
    pub drivers: Vec<String>,
    pub breaking: Vec<String>,
    /// Commits that a revert in the same range cancels (both are left out).
    pub cancelled: Vec<String>,
    /// Commits that do not follow Conventional Commits.
    pub non_conforming: Vec<String>,
    /// Commits that break because of a footer: (id, the footer's first line).
    #[serde(default)]
    pub breaking_footers: Vec<(String, String)>,
    /// Reverts that count (what they revert was released): (id, what they
    /// revert: a subject, or a commit id).
    #[serde(default)]
    pub reverts: Vec<(String, String)>,
}

impl VersionPolicy {
    /// The bump one commit asks for on its own. A revert is a fix (it
    /// takes a released change back out); a reapply brings the change back,
    /// so it bumps as that change would.
    pub fn bump_of(&self, m: &CommitMessage) -> Bump {
        if m.is_breaking() {
            return Bump::Major;
        }
        if let Some(r) = &m.revert {
            if r.reapply {
                let again = r.subject.as_deref().map(crate::conventional::parse);
                return match again.as_ref().and_then(CommitMessage::kind) {
                    Some(k) if self.minor_types.iter().any(|t| t == k) => Bump::Minor,
                    _ => Bump::Patch,
                };
            }
            return Bump::Patch;
        }
        match m.kind() {
            Some(k) if self.minor_types.iter().any(|t| t == k) => Bump::Minor,
            Some(k) if self.patch_types.iter().any(|t| t == k) => Bump::Patch,
            _ => self.other_bump,
        }
    }

    /// Looks at a release range. A revert and the commit it reverts, both in
    /// the range, cancel out; a revert of something already released counts
    /// as a fix, so a release made only of reverts is still a release.
    /// A revert finds what it reverts by the commit id its body names, else
    /// by subject (by prefix when GitHub shortened it with `…`); a reapply
    /// finds the revert it undoes.
    pub fn analyze(&self, commits: &[RangeCommit]) -> Analysis {
        let mut cancelled: Vec<String> = Vec::new();
        for c in commits {
            let Some(r) = &c.message.revert else { continue };
            if cancelled.contains(&c.id) {
                continue; // a reverted revert: the original stays
            }
            let target = commits
                .iter()
                .find(|o| o.id != c.id && !cancelled.contains(&o.id) && reverts(r, o));
            if let Some(t) = target {
                cancelled.push(c.id.clone());
                cancelled.push(t.id.clone());
            }
        }
        let live: Vec<&RangeCommit> = commits
            .iter()
            .filter(|c| !cancelled.contains(&c.id))
            .collect();
        let bump = live
            .iter()
            .map(|c| self.bump_of(&c.message))
            .max()
            .unwrap_or(Bump::None);
        let drivers = if bump == Bump::None {
            Vec::new()
        } else {
            live.iter()
                .filter(|c| self.bump_of(&c.message) == bump)
                .map(|c| c.id.clone())
                .collect()
        };
        Analysis {
            bump,
            drivers,
            breaking: live
                .iter()
                .filter(|c| c.message.is_breaking())
                .map(|c| c.id.clone())
                .collect(),
            cancelled,
            non_conforming: live
                .iter()
                .filter(|c| c.message.header.is_none() && c.message.revert.is_none())
                .map(|c| c.id.clone())
                .collect(),
            breaking_footers: live
                .iter()
                .filter_map(|c| {
                    c.message
                        .breaking_footer
                        .as_ref()
                        .map(|f| (c.id.clone(), f.clone()))
                })
                .collect(),
            reverts: live
                .iter()
                .filter_map(|c| {
                    let r = c.message.revert.as_ref().filter(|r| !r.reapply)?;
                    let what = r
                        .subject
                        .clone()
                        .or_else(|| r.commit.clone())
                        .unwrap_or_default();
                    Some((c.id.clone(), what))
                })
                .collect(),
        }
    }

    /// The next final version after `last` (the newest final release).
    /// `None` when the changes do not call for a release.
    pub fn next(&self, last: Option<&Version>, bump: Bump) -> Option<Version> {
        if bump == Bump::None {
            return None;
        }
        let Some(last) = last else {
            return Some(self.initial_version.clone());
        };
        let mut v = Version::new(last.major, last.minor, last.patch);
        // A pre-release of this very version graduates (1.2.0-rc.3 -> 1.2.0)
        // unless the changes need more than it promised.
        if !last.pre.is_empty() {
            let needed = self.step(&v, bump);
            return Some(if needed > v && bump > core_bump(last) {
                needed
            } else {
                v
            });
        }
        v = self.step(&v, bump);
        Some(v)
    }

    fn step(&self, v: &Version, bump: Bump) -> Version {
        let bump = if bump == Bump::Major && v.major == 0 && self.breaking_minor_while_zero {
            Bump::Minor
        } else {
            bump
        };
        match bump {
            Bump::None => v.clone(),
            Bump::Patch => Version::new(v.major, v.minor, v.patch + 1),
            Bump::Minor => Version::new(v.major, v.minor + 1, 0),
            Bump::Major => Version::new(v.major + 1, 0, 0),
        }
    }

    /// The next pre-release on `channel` (`rc`, `beta`, ...): `1.3.0-rc.1`,
    /// then `-rc.2`, ... `last_pre` is the newest pre-release tag reachable
    /// (any channel); counting restarts when the target version changes.
    pub fn next_prerelease(
        &self,
        last_final: Option<&Version>,
        last_pre: Option<&Version>,
        bump: Bump,
        channel: &str,
    ) -> Result<Option<Version>, String> {
        validate_channel(channel)?;
        let Some(target) = self.next(last_final, bump) else {
            return Ok(None);
        };
        // An open pre-release line for a higher version continues.
        let (core, n) = match last_pre {
            Some(p) if p.pre.is_empty() => (target, 1),
            Some(p) => {
                let pc = Version::new(p.major, p.minor, p.patch);
                if pc >= target {
                    let n = match parse_pre(&p.pre) {
                        Some((ch, n)) if ch == channel => n + 1,
                        _ => 1,
                    };
                    (pc, n)
                } else {
                    (target, 1)
                }
            }
            None => (target, 1),
        };
        let mut v = core;
        v.pre = Prerelease::new(&format!("{channel}.{n}")).map_err(|e| e.to_string())?;
        v.build = BuildMetadata::EMPTY;
        Ok(Some(v))
    }

    /// One sentence for people: "2.4.0 because of feat commits abc1234 and
    /// def5678; no breaking changes."
    pub fn explain(&self, next: Option<&Version>, analysis: &Analysis) -> String {
        let short = |d: &str| d.get(..7).unwrap_or(d).to_owned();
        let shorts: Vec<String> = analysis.drivers.iter().map(|d| short(d)).collect();
        let list = join_and(&shorts.iter().map(String::as_str).collect::<Vec<_>>());
        let ignored = match analysis.non_conforming.len() {
            0 => String::new(),
            1 => " 1 commit that does not follow Conventional Commits was not counted.".to_owned(),
            n => format!(" {n} commits that do not follow Conventional Commits were not counted."),
        };
        let Some(next) = next else {
            return if analysis.cancelled.is_empty() {
                format!("No release: no commit since the last release calls for one (only types that do not release).{ignored}")
            } else {
                format!("No release: every change since the last release was reverted.{ignored}")
            };
        };
        let what = match analysis.bump {
            Bump::Major => {
                // Say where a footer made it breaking: a reader checks it.
                let quoted: Vec<String> = analysis
                    .breaking_footers
                    .iter()
                    .filter(|(id, _)| analysis.drivers.contains(id))
                    .map(|(id, line)| format!("{} (“{line}”)", short(id)))
                    .collect();
                if quoted.is_empty() {
                    format!("breaking changes in {list}")
                } else {
                    format!(
                        "breaking changes in {list}, by footer: {}",
                        quoted.join("; ")
                    )
                }
            }
            Bump::Minor => format!("feature commits {list}"),
            Bump::Patch
                if !analysis.drivers.is_empty()
                    && analysis
                        .drivers
                        .iter()
                        .all(|d| analysis.reverts.iter().any(|(id, _)| id == d)) =>
            {
                let named: Vec<String> = analysis
                    .reverts
                    .iter()
                    .map(|(id, what)| format!("{} reverts “{what}”", short(id)))
                    .collect();
                format!("reverts of released changes ({})", named.join("; "))
            }
            Bump::Patch => format!("fix commits {list}"),
            Bump::None => String::new(),
        };
        let plural = |n: usize, one: &str, many: &str| {
            if n == 1 {
                one.to_owned()
            } else {
                many.to_owned()
            }
        };
        let breaking = match analysis.breaking.len() {
            0 => "no breaking changes".to_owned(),
            n => format!("{n} breaking {}", plural(n, "change", "changes")),
        };
        let zero =
            if analysis.bump == Bump::Major && next.major == 0 && self.breaking_minor_while_zero {
                " (minor, not major, while the version is 0.x)"
            } else {
                ""
            };
        format!("{next} because of {what}{zero}; {breaking}.")
    }
}

/// Whether `v` may be proposed: never a version that already exists as a
/// tag (`existing`, a tag elsewhere, on a release branch say), nor one below
/// the newest pre-release reachable from the release point (`newest_pre`:
/// its tag name and version). The refusal says what to do instead.
pub fn check_proposal(
    v: &Version,
    existing: Option<&str>,
    newest_pre: Option<(&str, &Version)>,
    channel: Option<&str>,
) -> Result<(), String> {
    let newer_pre = newest_pre.filter(|(_, p)| !p.pre.is_empty() && *p > v);
    if existing.is_none() && newer_pre.is_none() {
        return Ok(());
    }
    let mut why = Vec::new();
    if let Some(name) = existing {
        why.push(format!("the tag {name} already exists"));
    }
    if let Some((name, _)) = newer_pre {
        why.push(format!(
            "the pre-release {name} is reachable from here and is newer"
        ));
    }
    let advice = match newer_pre {
        Some((_, p)) => {
            let core = Version::new(p.major, p.minor, p.patch);
            let pre = p.pre.as_str();
            let ch = pre.split('.').next().unwrap_or(pre);
            format!(
                "Continue the pre-release channel (ask for the channel \"{ch}\"), or graduate it: release {core}."
            )
        }
        None if channel.is_some() => {
            "Choose another channel, or release the final version.".to_owned()
        }
        None => "Release from the branch that tag's line continues on, or set the version by hand."
            .to_owned(),
    };
    Err(format!(
        "Slipway will not propose {v}: {}. {advice}",
        why.join(", and ")
    ))
}

/// Whether revert `r` undoes commit `o`.
fn reverts(r: &crate::conventional::Revert, o: &RangeCommit) -> bool {
    if let Some(id) = r.commit.as_deref() {
        return o.id.starts_with(id);
    }
    let Some(subject) = r.subject.as_deref() else {
        return false;
    };
    let matches = |candidate: &str| {
        if r.truncated {
            !subject.is_empty() && candidate.starts_with(subject)
        } else {
            candidate == subject
        }
    };
    if r.reapply {
        // A reapply undoes the revert of that subject.
        o.message
            .revert
            .as_ref()
            .is_some_and(|or| !or.reapply && or.subject.as_deref().is_some_and(matches))
    } else {
        matches(&o.message.subject)
    }
}

fn core_bump(pre: &Version) -> Bump {
    if pre.patch == 0 && pre.minor == 0 {
        Bump::Major
    } else if pre.patch == 0 {
        Bump::Minor
    } else {
        Bump::Patch
    }
}

fn parse_pre(pre: &Prerelease) -> Option<(&str, u64)> {
    let (channel, n) = pre.as_str().rsplit_once('.')?;
    Some((channel, n.parse().ok()?))
}

fn validate_channel(channel: &str) -> Result<(), String> {
    let ok = !channel.is_empty()
        && channel.len() <= 20
        && channel
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && channel.starts_with(|c: char| c.is_ascii_lowercase());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "\"{channel}\" is not a pre-release channel: use lowercase letters and digits, e.g. rc or beta."
        ))
    }
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Calendar versioning `YYYY.M.PATCH` (SemVer forbids leading zeros, so
/// January is `2026.1.0`).
pub fn next_calver(last: Option<&Version>, year: u16, month: u8) -> Result<Version, String> {
    if !(1..=12).contains(&month) {
        return Err(format!("{month} is not a month."));
    }
    let (y, m) = (u64::from(year), u64::from(month));
    Ok(match last {
        Some(v) if v.major == y && v.minor == m => Version::new(y, m, v.patch + 1),
        Some(v) if (v.major, v.minor) > (y, m) => {
            return Err(format!(
                "The last release {v} is dated after {year}.{month}."
            ))
        }
        _ => Version::new(y, m, 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conventional::parse;

    fn c(id: &str, msg: &str) -> RangeCommit {
        RangeCommit {
            id: id.into(),
            message: parse(msg),
        }
    }

    fn v(s: &str) -> Version {
        Version::parse(s).expect("version")
    }

    #[test]
    fn each_type_bumps_as_configured() {
        let p = VersionPolicy::default();
        assert_eq!(p.bump_of(&parse("feat: a")), Bump::Minor);
        assert_eq!(p.bump_of(&parse("fix: a")), Bump::Patch);
        assert_eq!(p.bump_of(&parse("perf: a")), Bump::Patch);
        assert_eq!(p.bump_of(&parse("docs: a")), Bump::None);
        assert_eq!(p.bump_of(&parse("Update stuff")), Bump::None);
        assert_eq!(p.bump_of(&parse("chore!: drop node 16")), Bump::Major);
        let p = VersionPolicy {
            other_bump: Bump::Patch,
            ..VersionPolicy::default()
        };
        assert_eq!(p.bump_of(&parse("docs: a")), Bump::Patch);
    }

    #[test]
    fn next_versions() {
        let p = VersionPolicy::default();
        assert_eq!(p.next(Some(&v("1.2.3")), Bump::Patch), Some(v("1.2.4")));
        assert_eq!(p.next(Some(&v("1.2.3")), Bump::Minor), Some(v("1.3.0")));
        assert_eq!(p.next(Some(&v("1.2.3")), Bump::Major), Some(v("2.0.0")));
        assert_eq!(p.next(Some(&v("1.2.3")), Bump::None), None);
        assert_eq!(p.next(None, Bump::Patch), Some(v("0.1.0")));
        // 0.x: breaking is minor unless configured otherwise.
        assert_eq!(p.next(Some(&v("0.4.1")), Bump::Major), Some(v("0.5.0")));
        let strict = VersionPolicy {
            breaking_minor_while_zero: false,
            ..VersionPolicy::default()
        };
        assert_eq!(
            strict.next(Some(&v("0.4.1")), Bump::Major),
            Some(v("1.0.0"))
        );
    }

    #[test]
    fn pre_releases_count_up_and_graduate() {
        let p = VersionPolicy::default();
        let rc1 = p
            .next_prerelease(Some(&v("1.2.3")), None, Bump::Minor, "rc")
            .unwrap()
            .unwrap();
        assert_eq!(rc1, v("1.3.0-rc.1"));
        let rc2 = p
            .next_prerelease(Some(&v("1.2.3")), Some(&rc1), Bump::Patch, "rc")
            .unwrap()
            .unwrap();
        assert_eq!(rc2, v("1.3.0-rc.2"));
        let beta = p
            .next_prerelease(Some(&v("1.2.3")), Some(&rc2), Bump::Minor, "beta")
            .unwrap()
            .unwrap();
        assert_eq!(beta, v("1.3.0-beta.1"));
        // A breaking change after rc.2 of 1.3.0 moves the line to 2.0.0-rc.1.
        let next = p
            .next_prerelease(Some(&v("1.2.3")), Some(&rc2), Bump::Major, "rc")
            .unwrap()
            .unwrap();
        assert_eq!(next, v("2.0.0-rc.1"));
        // Graduation: the final after rc.2 of 1.3.0 is 1.3.0.
        assert_eq!(p.next(Some(&rc2), Bump::Patch), Some(v("1.3.0")));
        assert_eq!(p.next(Some(&rc2), Bump::Minor), Some(v("1.3.0")));
        assert_eq!(p.next(Some(&rc2), Bump::Major), Some(v("2.0.0")));
        assert!(p.next_prerelease(None, None, Bump::Minor, "RC!").is_err());
    }

    #[test]
    fn reverts_cancel_within_the_range_and_count_as_fixes_otherwise() {
        let p = VersionPolicy::default();
        let feat = c("aaaaaaa1", "feat: shiny");
        let revert = c(
            "bbbbbbb2",
            "Revert \"feat: shiny\"\n\nThis reverts commit aaaaaaa1.",
        );
        let fix = c("ccccccc3", "fix: typo");
        let a = p.analyze(&[revert.clone(), feat.clone(), fix.clone()]);
        assert_eq!(a.bump, Bump::Patch);
        assert_eq!(a.drivers, vec!["ccccccc3".to_owned()]);
        assert_eq!(a.cancelled.len(), 2);

        // Only a revert of an already released feature: still a (patch) release.
        let a = p.analyze(&[c("ddddddd4", "revert: feat: old thing\n\nRefs: 1234567")]);
        assert_eq!(a.bump, Bump::Patch);

        // Everything reverted: no release, and the explanation says why.
        let a = p.analyze(&[revert, feat]);
        assert_eq!(a.bump, Bump::None);
        assert!(p.explain(None, &a).contains("reverted"));
    }

    #[test]
    fn reverts_as_github_writes_them_are_patches_and_say_what_they_revert() {
        let p = VersionPolicy::default();
        // The release is made of one revert of a fix released earlier.
        let a = p.analyze(&[c(
            "eeeeeee5",
            "Revert \"fix(deps): update dependency yargs to v17\" (#2534)\n\nThis reverts commit 9999999999.",
        )]);
        assert_eq!(a.bump, Bump::Patch);
        let next = p.next(Some(&v("17.0.0")), a.bump);
        assert_eq!(
            p.explain(next.as_ref(), &a),
            "17.0.1 because of reverts of released changes (eeeeeee reverts “fix(deps): update dependency yargs to v17”); no breaking changes."
        );
        // A truncated subject finds its commit by prefix, in the range.
        let original = c(
            "fffffff6",
            "fix(compiler-sfc): add scoping tag to trailing universal selector (#13405)",
        );
        let revert = c(
            "aaaaaaa7",
            "Revert \"fix(compiler-sfc): add scoping tag to trailing universal selector (#1…\" (#13406)",
        );
        let a = p.analyze(&[revert, original]);
        assert_eq!(a.cancelled.len(), 2);
        assert_eq!(a.bump, Bump::None);
    }

    #[test]
    fn a_proposal_never_exists_already_or_goes_backwards() {
        let (v4, pre) = (v("4.0.0"), v("5.2.0-next.4"));
        assert_eq!(check_proposal(&v4, None, None, None), Ok(()));
        assert_eq!(
            check_proposal(&v("5.2.1"), None, Some(("v5.2.0-next.4", &pre)), None),
            Ok(())
        );
        let e =
            check_proposal(&v4, Some("v4.0.0"), Some(("v5.2.0-next.4", &pre)), None).unwrap_err();
        assert!(e.contains("will not propose 4.0.0"), "{e}");
        assert!(
            e.contains("v4.0.0 already exists") && e.contains("v5.2.0-next.4"),
            "{e}"
        );
        assert!(
            e.contains("channel \"next\"") && e.contains("graduate it: release 5.2.0"),
            "{e}"
        );
        let e = check_proposal(&v4, Some("v4.0.0"), None, None).unwrap_err();
        assert!(e.contains("set the version by hand"), "{e}");
        let e =
            check_proposal(&v("1.3.0-rc.1"), Some("v1.3.0-rc.1"), None, Some("rc")).unwrap_err();
        assert!(e.contains("another channel"), "{e}");
    }

    #[test]
    fn a_reapply_undoes_its_revert_and_bumps_as_the_change() {
        let p = VersionPolicy::default();
        let feat = c("1111111a", "feat: lazy routes");
        let revert = c("2222222b", "Revert \"feat: lazy routes\"");
        let reapply = c("3333333c", "Reapply \"feat: lazy routes\"");
        let a = p.analyze(&[reapply.clone(), revert.clone(), feat.clone()]);
        // The reapply and the revert cancel; the feature stays.
        assert_eq!(
            a.cancelled,
            vec!["3333333c".to_owned(), "2222222b".to_owned()]
        );
        assert_eq!(a.bump, Bump::Minor);
        // Alone (the revert was released): it brings a feature back.
        assert_eq!(p.analyze(&[reapply]).bump, Bump::Minor);
    }

    #[test]
    fn a_breaking_footer_is_quoted_and_ignored_commits_are_counted() {
        let p = VersionPolicy::default();
        let a = p.analyze(&[c(
            "abcdef01",
            "feat: make the CLI platform-agnostic\n\nBREAKING CHANGE: the `--travis` option is removed.\n\nMigration: use `--ci`.\n\n```yaml\nrun: npx tool --ci\n```",
        )]);
        assert_eq!(a.bump, Bump::Major);
        let next = p.next(Some(&v("4.2.0")), a.bump);
        assert_eq!(
            p.explain(next.as_ref(), &a),
            "5.0.0 because of breaking changes in abcdef0, by footer: abcdef0 (“BREAKING CHANGE: the `--travis` option is removed.”); 1 breaking change."
        );
        let a = p.analyze(&[
            c("1234567a", "docs: readme"),
            c("1234567b", "Update stuff"),
            c("1234567c", "WIP"),
        ]);
        assert_eq!(
            p.explain(None, &a),
            "No release: no commit since the last release calls for one (only types that do not release). 2 commits that do not follow Conventional Commits were not counted."
        );
    }

    #[test]
    fn the_explanation_names_the_commits() {
        let p = VersionPolicy::default();
        let a = p.analyze(&[
            c("abc1234ffff", "feat: one"),
            c("def5678ffff", "feat(ui): two"),
            c("0000000ffff", "fix: three"),
            c("1111111ffff", "Tidy up"),
        ]);
        let next = p.next(Some(&v("2.3.9")), a.bump);
        assert_eq!(
            p.explain(next.as_ref(), &a),
            "2.4.0 because of feature commits abc1234 and def5678; no breaking changes."
        );
        assert_eq!(a.non_conforming, vec!["1111111ffff".to_owned()]);
        let a = p.analyze(&[c("abc1234ffff", "feat!: one")]);
        let next = p.next(Some(&v("0.3.0")), a.bump);
        assert_eq!(
            p.explain(next.as_ref(), &a),
            "0.4.0 because of breaking changes in abc1234 (minor, not major, while the version is 0.x); 1 breaking change."
        );
    }

    #[test]
    fn calendar_versions() {
        assert_eq!(next_calver(None, 2026, 11), Ok(v("2026.11.0")));
        assert_eq!(
            next_calver(Some(&v("2026.11.0")), 2026, 11),
            Ok(v("2026.11.1"))
        );
        assert_eq!(
            next_calver(Some(&v("2026.11.4")), 2026, 12),
            Ok(v("2026.12.0"))
        );
        assert_eq!(
            next_calver(Some(&v("2026.1.0")), 2027, 1),
            Ok(v("2027.1.0"))
        );
        assert!(next_calver(Some(&v("2027.1.0")), 2026, 12).is_err());
        assert!(next_calver(None, 2026, 13).is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_version() -> impl Strategy<Value = Version> {
            (0u64..50, 0u64..50, 0u64..50).prop_map(|(a, b, c)| Version::new(a, b, c))
        }
        fn any_bump() -> impl Strategy<Value = Bump> {
            prop_oneof![Just(Bump::Patch), Just(Bump::Minor), Just(Bump::Major)]
        }

        proptest! {
            #[test]
            fn the_next_version_is_always_greater(last in any_version(), bump in any_bump(), zero in any::<bool>()) {
                let p = VersionPolicy { breaking_minor_while_zero: zero, ..VersionPolicy::default() };
                let next = p.next(Some(&last), bump).expect("a bump releases");
                prop_assert!(next > last);
                prop_assert!(next.pre.is_empty());
            }

            #[test]
            fn pre_releases_order_before_their_final_and_after_each_other(
                last in any_version(), bumps in proptest::collection::vec(any_bump(), 1..6)
            ) {
                let p = VersionPolicy::default();
                let mut pre: Option<Version> = None;
                for b in bumps {
                    let next = p.next_prerelease(Some(&last), pre.as_ref(), b, "rc").unwrap().unwrap();
                    prop_assert!(next > last);
                    if let Some(prev) = &pre { prop_assert!(next > *prev); }
                    let core = Version::new(next.major, next.minor, next.patch);
                    prop_assert!(next < core);
                    pre = Some(next);
                }
                let pre = pre.expect("at least one");
                let fin = p.next(Some(&pre), Bump::Patch).expect("graduates");
                prop_assert!(fin > pre);
                prop_assert_eq!(fin, Version::new(pre.major, pre.minor, pre.patch));
            }
        }
    }
}
