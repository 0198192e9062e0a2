//! The versioning engine on real repositories built by the fixture
//! builder: every rule of the release range, versions, notes, changelog
//! and "where is my change?".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::git::fixture::Fixture;
use slipway_domain::tagging::Component;

fn today() -> time::Date {
    time::Date::from_calendar_date(2026, time::Month::November, 23).unwrap()
}

fn plan_at(f: &Fixture, policy: &ReleasePolicy, rev: &str, channel: Option<&str>) -> Plan {
    let repo = Repo::open(f.path()).unwrap();
    plan(
        &repo,
        policy,
        &PlanRequest {
            rev,
            component: None,
            channel,
            since: None,
            today: today(),
        },
    )
    .unwrap()
}

fn next(f: &Fixture) -> Option<String> {
    plan_at(f, &ReleasePolicy::default(), "HEAD", None).next
}

fn links() -> Links {
    Links {
        web_url: Some("https://git.example.com/acme/shop".into()),
        issue_url: Some("https://jira.example.com/browse/{key}".into()),
    }
}

#[test]
fn first_release_is_the_initial_version() {
    let mut f = Fixture::new();
    f.commit("feat: first feature");
    let p = plan_at(&f, &ReleasePolicy::default(), "HEAD", None);
    assert_eq!(p.next.as_deref(), Some("0.1.0"));
    assert_eq!(p.next_tag.as_deref(), Some("v0.1.0"));
    assert!(p.last_release.is_none());
}

#[test]
fn bumps_follow_the_commit_types() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v1.2.3");
    f.commit("fix: a bug");
    assert_eq!(next(&f).as_deref(), Some("1.2.4"));
    f.commit("perf: faster");
    assert_eq!(next(&f).as_deref(), Some("1.2.4"));
    let feat = f.commit("feat(cart): coupons");
    assert_eq!(next(&f).as_deref(), Some("1.3.0"));
    let p = plan_at(&f, &ReleasePolicy::default(), "HEAD", None);
    assert_eq!(p.analysis.drivers, vec![feat.clone()]);
    assert!(
        p.explanation
            .starts_with("1.3.0 because of feature commits"),
        "{}",
        p.explanation
    );
    assert!(p.explanation.contains(&feat[..7]));
    f.commit("refactor!: drop the v1 API\n\nBREAKING CHANGE: clients must use /v2.");
    assert_eq!(next(&f).as_deref(), Some("2.0.0"));
}

#[test]
fn breaking_changes_bump_minor_while_zero_unless_configured() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v0.3.0");
    f.commit("feat!: new config format");
    assert_eq!(next(&f).as_deref(), Some("0.4.0"));
    let mut policy = ReleasePolicy::default();
    policy.versioning.breaking_minor_while_zero = false;
    assert_eq!(
        plan_at(&f, &policy, "HEAD", None).next.as_deref(),
        Some("1.0.0")
    );
}

#[test]
fn other_types_do_not_release_unless_configured_and_nonconforming_are_flagged() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v1.0.0");
    f.commit("docs: readme");
    let odd = f.commit("Update stuff");
    let p = plan_at(&f, &ReleasePolicy::default(), "HEAD", None);
    assert_eq!(p.next, None);
    assert!(p.explanation.starts_with("No release"), "{}", p.explanation);
    assert_eq!(p.analysis.non_conforming, vec![odd]);
    let notes = p.notes(&links(), None);
    assert!(notes.contains("Update stuff"), "{notes}");
    assert!(notes.contains("not a Conventional Commit"), "{notes}");
    let mut policy = ReleasePolicy::default();
    policy.versioning.other_bump = Bump::Patch;
    assert_eq!(
        plan_at(&f, &policy, "HEAD", None).next.as_deref(),
        Some("1.0.1")
    );
}

/// Main carries a pre-release newer than its newest stable tag, and the
/// stable releases are cut on release branches: the version the commits
/// alone suggest (4.0.0) both exists and goes backwards. Refused, saying
/// what to do; the pre-release channel continues.
#[test]
fn never_proposes_a_version_that_exists_or_goes_backwards() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v3.1.0");
    f.branch("release-4");
    f.checkout("release-4");
    f.commit("fix: on the release branch");
    f.tag("v4.0.0");
    f.checkout("main");
    f.commit("feat!: the next big thing");
    f.tag("v5.2.0-next.4");
    f.commit("fix: after the pre-release");
    let repo = Repo::open(f.path()).unwrap();
    let request = |channel| PlanRequest {
        rev: "main",
        component: None,
        channel,
        since: None,
        today: today(),
    };
    match plan(&repo, &ReleasePolicy::default(), &request(None)) {
        Err(PlanError::Invalid(m)) => {
            assert!(m.contains("will not propose 4.0.0"), "{m}");
            assert!(m.contains("v4.0.0 already exists"), "{m}");
            assert!(m.contains("v5.2.0-next.4"), "{m}");
            assert!(m.contains("graduate it: release 5.2.0"), "{m}");
        }
        other => panic!("expected a refusal, got {:?}", other.map(|p| p.next)),
    }
    let p = plan(&repo, &ReleasePolicy::default(), &request(Some("next"))).unwrap();
    assert_eq!(p.next.as_deref(), Some("5.2.0-next.5"));
}

/// The one-walk search finds, with and without a commit-graph, what git
/// itself says (`git merge-base --is-ancestor` per tag), from every commit
/// of a history with release branches whose tags are newer than main's,
/// pre-releases, several tags on one commit and a merge back.
#[test]
fn the_reachable_tag_search_agrees_with_git() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v1.0.0");
    for n in 1..=3 {
        f.commit(&format!("feat: main {n}"));
        f.branch(&format!("release-{n}"));
        f.checkout(&format!("release-{n}"));
        f.commit(&format!("fix: on release {n}"));
        f.tag(&format!("v{}.0.0", n + 1));
        f.commit(&format!("fix: more on release {n}"));
        f.tag(&format!("v{}.0.1", n + 1));
        f.checkout("main");
    }
    f.tag("v1.1.0-rc.1");
    f.tag("v1.1.0-beta.2");
    f.commit("fix: after the rc");
    f.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge release-1 back",
        "release-1",
    ]);
    f.commit("feat: on top");
    let line = ReleasePolicy::default().line(None).unwrap();
    let commits: Vec<String> = f
        .git(&["rev-list", "--all"])
        .lines()
        .map(str::to_owned)
        .collect();
    let tags = Repo::open(f.path()).unwrap().version_tags(&line).unwrap();
    // What git says: the newest final and the newest tag that are ancestors.
    let expected: Vec<(Option<String>, Option<String>)> = commits
        .iter()
        .map(|c| {
            let reachable: Vec<&VersionTag> = tags
                .iter()
                .filter(|t| {
                    std::process::Command::new("git")
                        .args(["merge-base", "--is-ancestor", &t.name, c])
                        .current_dir(f.path())
                        .status()
                        .unwrap()
                        .success()
                })
                .collect();
            (
                reachable
                    .iter()
                    .find(|t| t.version.pre.is_empty())
                    .map(|t| t.name.clone()),
                reachable.first().map(|t| t.name.clone()),
            )
        })
        .collect();
    let answers = |repo: &Repo| -> Vec<(Option<String>, Option<String>)> {
        commits
            .iter()
            .map(|c| {
                let tip = repo.resolve(c).unwrap();
                let (a, b) = repo.latest_reachable_both(&tags, tip).unwrap();
                (a.map(|t| t.name.clone()), b.map(|t| t.name.clone()))
            })
            .collect()
    };
    assert_eq!(
        answers(&Repo::open(f.path()).unwrap()),
        expected,
        "walk without a commit-graph"
    );
    f.git(&["commit-graph", "write", "--reachable"]);
    assert_eq!(
        answers(&Repo::open(f.path()).unwrap()),
        expected,
        "walk by generation numbers"
    );
    // The interesting answer: main's tip sees v2.0.1 (merged back), not the
    // newer tags of releases 2 and 3.
    let main = commits.first().unwrap();
    let i = commits.iter().position(|c| c == main).unwrap();
    assert_eq!(expected[i].0.as_deref(), Some("v2.0.1"));
}

#[test]
fn a_tag_only_on_another_branch_never_counts() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v1.0.0");
    f.branch("beta");
    f.checkout("beta");
    f.commit("feat!: experimental rewrite");
    f.tag("v2.0.0-beta.1");
    f.commit("feat: more beta");
    f.tag("v2.0.0");
    f.checkout("main");
    f.commit("fix: on main");
    let p = plan_at(&f, &ReleasePolicy::default(), "main", None);
    assert_eq!(
        p.last_release.as_ref().map(|t| t.name.as_str()),
        Some("v1.0.0")
    );
    assert_eq!(p.next.as_deref(), Some("1.0.1"));
    assert_eq!(p.commits.len(), 1);
}

#[test]
fn reverts_cancel_within_the_range_and_a_release_of_only_reverts_is_a_release() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    let released = f.commit("feat: risky thing");
    f.tag("v1.1.0");
    let feat = f.commit("feat: shiny");
    f.revert(&feat); // git's own `Revert "feat: shiny"`
    let p = plan_at(&f, &ReleasePolicy::default(), "HEAD", None);
    assert_eq!(p.next, None, "{:?}", p.analysis);
    assert!(!p.notes(&links(), None).contains("shiny"));
    // Reverting what was already released is a fix release.
    f.commit(&format!("revert: feat: risky thing\n\nRefs: {released}"));
    let p = plan_at(&f, &ReleasePolicy::default(), "HEAD", None);
    assert_eq!(p.next.as_deref(), Some("1.1.1"));
    let notes = p.notes(&links(), None);
    assert!(notes.contains("### Reverts"), "{notes}");
    assert!(!notes.contains("shiny"), "{notes}");
}

#[test]
fn merge_commits_are_left_out_and_lend_their_pr_reference() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v1.0.0");
    f.branch("feature/coupons");
    f.checkout("feature/coupons");
    let a = f.commit("feat(cart): coupons");
    let b = f.commit("test: coupons");
    f.checkout("main");
    f.commit("fix: unrelated on main");
    f.merge(
        "feature/coupons",
        "Merge pull request #12 from acme/feature/coupons",
    );
    let p = plan_at(&f, &ReleasePolicy::default(), "HEAD", None);
    assert_eq!(p.merges, 1);
    assert_eq!(p.commits.len(), 3);
    let coupons = p.commits.iter().find(|c| c.id == a).unwrap();
    assert!(coupons.message.references.contains(&Reference::Number(12)));
    let test = p.commits.iter().find(|c| c.id == b).unwrap();
    assert!(test.message.references.contains(&Reference::Number(12)));
    let main_fix = p
        .commits
        .iter()
        .find(|c| c.message.subject == "fix: unrelated on main")
        .unwrap();
    assert!(main_fix.message.references.is_empty());
    let notes = p.notes(&links(), None);
    assert!(!notes.contains("Merge pull request"), "{notes}");
    assert!(
        notes.contains("https://git.example.com/acme/shop/issues/12"),
        "{notes}"
    );
    assert_eq!(p.next.as_deref(), Some("1.1.0"));
}

#[test]
fn squash_merges_keep_their_pr_number() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v1.0.0");
    f.branch("topic");
    f.checkout("topic");
    f.commit("wip");
    f.commit("more wip");
    f.checkout("main");
    f.squash_merge(
        "topic",
        "feat(search): search by SKU (#13)\n\nCloses SHOP-7",
    );
    let p = plan_at(&f, &ReleasePolicy::default(), "HEAD", None);
    assert_eq!(p.commits.len(), 1);
    let notes = p.notes(&links(), None);
    assert!(notes.contains("/issues/13"), "{notes}");
    assert!(
        notes.contains("https://jira.example.com/browse/SHOP-7"),
        "{notes}"
    );
}

#[test]
fn prereleases_count_up_and_graduate() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v1.2.0");
    f.commit("feat: next thing");
    let policy = ReleasePolicy::default();
    assert_eq!(
        plan_at(&f, &policy, "HEAD", Some("rc")).next.as_deref(),
        Some("1.3.0-rc.1")
    );
    f.tag("v1.3.0-rc.1");
    f.commit("fix: rc feedback");
    let p = plan_at(&f, &policy, "HEAD", Some("rc"));
    assert_eq!(p.next.as_deref(), Some("1.3.0-rc.2"));
    assert_eq!(
        p.last_prerelease.as_ref().map(|t| t.name.as_str()),
        Some("v1.3.0-rc.1")
    );
    f.tag("v1.3.0-rc.2");
    // The final release graduates and its notes cover everything since 1.2.0.
    let p = plan_at(&f, &policy, "HEAD", None);
    assert_eq!(p.next.as_deref(), Some("1.3.0"));
    assert_eq!(p.commits.len(), 2);
    assert!(plan(
        &Repo::open(f.path()).unwrap(),
        &policy,
        &PlanRequest {
            rev: "HEAD",
            component: None,
            channel: Some("RC 1"),
            since: None,
            today: today()
        }
    )
    .is_err());
}

#[test]
fn monorepo_components_have_their_own_tags_and_paths() {
    let mut f = Fixture::new();
    f.commit_file("services/api/main.rs", "1", "feat(api): endpoint");
    f.commit_file("web/index.html", "1", "feat(web): page");
    f.tag("api-v1.0.0");
    f.tag("web-v2.0.0");
    f.commit_file("web/index.html", "2", "fix(web): typo");
    f.commit_file("services/api/main.rs", "2", "feat(api): another endpoint");
    f.commit_file("README.md", "x", "docs: readme");
    let policy = ReleasePolicy {
        components: vec![
            Component {
                name: "api".into(),
                tag_prefix: "api-v".into(),
                paths: vec!["services/api".into()],
            },
            Component {
                name: "web".into(),
                tag_prefix: "web-v".into(),
                paths: vec!["web".into()],
            },
        ],
        ..ReleasePolicy::default()
    };
    let repo = Repo::open(f.path()).unwrap();
    let api = plan(
        &repo,
        &policy,
        &PlanRequest {
            rev: "HEAD",
            component: Some("api"),
            channel: None,
            since: None,
            today: today(),
        },
    )
    .unwrap();
    assert_eq!(api.next_tag.as_deref(), Some("api-v1.1.0"));
    assert_eq!(api.commits.len(), 1);
    let web = plan(
        &repo,
        &policy,
        &PlanRequest {
            rev: "HEAD",
            component: Some("web"),
            channel: None,
            since: None,
            today: today(),
        },
    )
    .unwrap();
    assert_eq!(web.next_tag.as_deref(), Some("web-v2.0.1"));
    let err = plan(
        &repo,
        &policy,
        &PlanRequest {
            rev: "HEAD",
            component: Some("db"),
            channel: None,
            since: None,
            today: today(),
        },
    )
    .unwrap_err();
    assert!(matches!(err, PlanError::Invalid(_)));
}

#[test]
fn calendar_versions() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v2026.10.0");
    f.commit("fix: thing");
    let policy = ReleasePolicy {
        scheme: Scheme::Calver,
        ..ReleasePolicy::default()
    };
    let p = plan_at(&f, &policy, "HEAD", None);
    assert_eq!(p.next.as_deref(), Some("2026.11.0"));
    assert!(
        p.explanation.contains("calendar version"),
        "{}",
        p.explanation
    );
    f.tag("v2026.11.0");
    f.commit("fix: another");
    assert_eq!(
        plan_at(&f, &policy, "HEAD", None).next.as_deref(),
        Some("2026.11.1")
    );
}

#[test]
fn hotfix_versions_come_from_the_tag_not_from_main() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v1.4.0");
    f.commit("feat: next big thing on main");
    f.tag("v1.5.0");
    f.commit("feat: even more on main");
    crate::git::publish::branch(f.path(), "hotfix/1.4.1", "v1.4.0", None).unwrap();
    f.checkout("hotfix/1.4.1");
    f.commit("fix: urgent");
    let p = plan_at(&f, &ReleasePolicy::default(), "hotfix/1.4.1", None);
    assert_eq!(
        p.last_release.as_ref().map(|t| t.name.as_str()),
        Some("v1.4.0")
    );
    assert_eq!(p.next.as_deref(), Some("1.4.1"));
    assert_eq!(
        plan_at(&f, &ReleasePolicy::default(), "main", None)
            .next
            .as_deref(),
        Some("1.6.0")
    );
}

#[test]
fn bad_refs_and_empty_repositories_are_explained() {
    let f = Fixture::new();
    let repo = Repo::open(f.path()).unwrap();
    assert!(repo.is_empty().unwrap());
    assert_eq!(repo.resolve("HEAD"), Err(GitError::Empty));
    let mut f2 = Fixture::new();
    f2.commit("feat: x");
    let repo = Repo::open(f2.path()).unwrap();
    assert_eq!(
        repo.resolve("nope"),
        Err(GitError::UnknownRef("nope".into()))
    );
    assert_eq!(
        repo.resolve("--upload-pack=x"),
        Err(GitError::UnknownRef("--upload-pack=x".into()))
    );
    assert!(matches!(
        Repo::open(std::path::Path::new("/definitely/not/here")),
        Err(GitError::NotARepository(_))
    ));
}

#[test]
fn the_full_changelog_has_a_section_per_reachable_tag_newest_first() {
    let mut f = Fixture::new();
    f.commit("feat: one");
    f.tag("v0.1.0");
    f.commit("fix: two");
    f.tag("v0.1.1");
    f.branch("beta");
    f.commit("feat: three");
    f.tag("v0.2.0");
    f.checkout("beta");
    f.commit("feat: beta only");
    f.tag("v0.3.0-beta.1");
    f.checkout("main");
    f.commit("feat: unreleased work");
    let repo = Repo::open(f.path()).unwrap();
    let text = changelog_all(&repo, &ReleasePolicy::default(), None, "main", &links()).unwrap();
    assert!(text.starts_with("# Changelog\n\n## Unreleased"), "{text}");
    let pos = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("{s} missing in {text}"))
    };
    assert!(pos("## Unreleased") < pos("## 0.2.0"));
    assert!(pos("## 0.2.0") < pos("## 0.1.1"));
    assert!(pos("## 0.1.1") < pos("## 0.1.0"));
    assert!(!text.contains("beta only"), "{text}");
    assert!(pos("unreleased work") < pos("## 0.2.0"));
    assert!(pos("three") > pos("## 0.2.0") && pos("three") < pos("## 0.1.1"));
    assert!(pos("two") > pos("## 0.1.1") && pos("two") < pos("## 0.1.0"));
}

#[test]
fn where_is_my_change() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v1.0.0");
    let fix = f.commit("fix(checkout): rounding error\n\nFixes SHOP-123 and #77");
    f.commit("feat: later");
    f.tag("v1.1.0");
    f.commit("feat: even later");
    f.tag("v1.2.0");
    let pending = f.commit("fix: not yet released (SHOP-999)");
    let repo = Repo::open(f.path()).unwrap();
    let policy = ReleasePolicy::default();
    let find = |q: &str| {
        find_change(
            &repo,
            &policy,
            None,
            "main",
            &ChangeQuery::parse(q).unwrap(),
            20,
        )
        .unwrap()
    };
    for q in ["SHOP-123", "#77", &fix[..10], "rounding ERROR"] {
        let found = find(q);
        assert_eq!(found.len(), 1, "{q}: {found:?}");
        assert_eq!(found[0].id, fix);
        assert_eq!(found[0].first_release.as_deref(), Some("v1.1.0"));
        assert_eq!(found[0].releases, vec!["v1.1.0", "v1.2.0"]);
    }
    let found = find("SHOP-999");
    assert_eq!(found[0].id, pending);
    assert_eq!(found[0].first_release, None);
    assert!(
        find("SHOP-12").is_empty(),
        "a key is matched whole, not as a prefix"
    );
    assert!(ChangeQuery::parse("  ").is_err());
}
