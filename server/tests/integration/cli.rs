use std::io::Write;
use std::process::{Command, Stdio};

fn slipway(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_slipway"));
    for (k, _) in std::env::vars() {
        if k.starts_with("SLIPWAY_") {
            c.env_remove(k);
        }
    }
    c.env("SLIPWAY_DATA_DIR", data).env("SLIPWAY_LOG", "warn");
    c
}

#[test]
fn every_subcommand_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "create-user", "--help"],
        vec!["admin", "grant", "--help"],
        vec!["admin", "reset-password", "--help"],
        vec!["version", "next", "--help"],
        vec!["changelog", "--help"],
        vec!["tag", "--help"],
    ] {
        let out = slipway(dir.path()).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn migrate_then_create_a_user_and_grant_a_role() {
    let dir = tempfile::tempdir().unwrap();
    let out = slipway(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("slipway.db").exists());

    let mut child = slipway(dir.path())
        .args([
            "admin",
            "create-user",
            "--username",
            "Pat",
            "--display-name",
            "Pat Doe",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"pat's long password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user pat"));

    let out = slipway(dir.path())
        .args([
            "admin",
            "grant",
            "--username",
            "pat",
            "--role",
            "product-owner",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Bad input: a clear one-line error and a failing exit code.
    let out = slipway(dir.path())
        .args(["admin", "grant", "--username", "pat", "--role", "wizard"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));

    let out = slipway(dir.path())
        .args(["admin", "reset-password", "--username", "pat"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("one-time password"));
}

// ---- slipway version / changelog / tag on real repositories ----

use slipway_services::git::fixture::Fixture;

fn run(args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = slipway(dir.path()).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn shop() -> Fixture {
    let mut f = Fixture::new();
    f.commit("feat: first");
    f.tag("v1.0.0");
    f.commit("fix(cart): rounding (#7)");
    f.commit("feat(search): by SKU\n\nRefs: SHOP-12");
    f
}

/// The two shapes real histories wrote and Slipway used to miss: a breaking
/// footer followed by more paragraphs (a major, said and quoted), and a
/// GitHub revert of a released fix (a patch naming what it reverts).
#[test]
fn version_next_proposes_the_major_or_patch_the_maintainers_cut() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v4.2.0");
    f.commit("feat: make the CLI platform-agnostic\n\nBREAKING CHANGE: the `--travis` option is removed.\n\nMigration: replace `--travis` with `--ci` in your pipeline.\n\n```yaml\nrun: npx tool --ci\n```\n");
    let repo = f.path().to_str().unwrap().to_owned();
    let (code, out, _) = run(&["version", "next", "--repo", &repo, "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["next"], "5.0.0", "{v}");
    assert_eq!(
        v["breaking"][0]["breaking_footer"],
        "BREAKING CHANGE: the `--travis` option is removed."
    );
    assert!(
        v["explanation"].as_str().unwrap().contains("by footer"),
        "{v}"
    );

    let mut f = Fixture::new();
    f.commit("feat: base");
    f.commit("fix(deps): update dependency yargs to v17 (#2530)");
    f.tag("v17.0.0");
    f.commit("Revert \"fix(deps): update dependency yargs to v17 (#2530)\" (#2534)\n\nReverts owner/tool#2530");
    let repo = f.path().to_str().unwrap().to_owned();
    let (code, out, _) = run(&["version", "next", "--repo", &repo, "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["next"], "17.0.1", "{v}");
    assert!(
        v["explanation"]
            .as_str()
            .unwrap()
            .contains("reverts “fix(deps): update dependency yargs to v17 (#2530)”"),
        "{v}"
    );
}

/// A policy file decides what the notes leave out; typos are refused.
#[test]
fn the_policy_file_decides_what_notes_leave_out() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v1.0.0");
    f.commit("ci: cache the toolchain");
    f.commit("fix: the real fix (#12)\n\nCloses #3");
    f.commit("chore(release): 1.0.1");
    let repo = f.path().to_str().unwrap().to_owned();
    let policy = f.path().join("policy.toml");
    std::fs::write(
        &policy,
        "tag_prefix = \"v\"\n[notes]\nhidden_types = [\"ci\"]\n",
    )
    .unwrap();
    let (code, out, err) = run(&[
        "changelog",
        "--repo",
        &repo,
        "--policy",
        policy.to_str().unwrap(),
        "--web-url",
        "https://git.example.com/acme/shop",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("the real fix ([#12](https://git.example.com/acme/shop/issues/12))"),
        "{out}"
    );
    assert!(
        out.contains("closes [#3](https://git.example.com/acme/shop/issues/3)"),
        "{out}"
    );
    assert!(
        !out.contains("cache the toolchain") && !out.contains("Other changes"),
        "{out}"
    );
    std::fs::write(&policy, "[notes]\nhiden_types = [\"ci\"]\n").unwrap();
    let (code, _, err) = run(&[
        "changelog",
        "--repo",
        &repo,
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("hiden_types"), "{err}");
}

#[test]
fn version_next_prints_the_version_or_json_with_the_reasons() {
    let f = shop();
    let repo = f.path().to_str().unwrap();
    assert_eq!(
        run(&["version", "next", "--repo", repo]),
        (0, "1.1.0\n".into(), String::new())
    );
    let (code, out, _) = run(&["version", "next", "--repo", repo, "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["next"], "1.1.0");
    assert_eq!(v["tag"], "v1.1.0");
    assert_eq!(v["bump"], "minor");
    assert_eq!(v["last_release"]["name"], "v1.0.0");
    assert_eq!(v["drivers"][0]["subject"], "feat(search): by SKU");
    assert!(v["explanation"]
        .as_str()
        .unwrap()
        .contains("because of feature commits"));
    let (code, out, _) = run(&[
        "version",
        "next",
        "--repo",
        repo,
        "--ref",
        "v1.0.0~0",
        "--channel",
        "rc",
    ]);
    assert_eq!(
        (code, out.as_str()),
        (0, ""),
        "nothing since v1.0.0 at that ref"
    );
    let (code, out, _) = run(&["version", "next", "--repo", repo, "--channel", "rc"]);
    assert_eq!((code, out.as_str()), (0, "1.1.0-rc.1\n"));
}

#[test]
fn bad_input_is_one_line_on_stderr_with_exit_code_2() {
    let f = shop();
    let repo = f.path().to_str().unwrap();
    let empty = Fixture::new();
    let policy_dir = tempfile::tempdir().unwrap();
    let bad_policy = policy_dir.path().join("policy.toml");
    std::fs::write(&bad_policy, "tag_prefix = \"v v\"\n").unwrap();
    let unknown_key = policy_dir.path().join("typo.toml");
    std::fs::write(&unknown_key, "tag_prefx = \"v\"\n").unwrap();
    for (args, needle) in [
        (
            vec!["version", "next", "--repo", "/no/such/repo"],
            "is not a git repository",
        ),
        (
            vec!["version", "next", "--repo", repo, "--ref", "nope"],
            "Unknown ref \"nope\"",
        ),
        (
            vec!["changelog", "--repo", empty.path().to_str().unwrap()],
            "no commits yet",
        ),
        (
            vec!["changelog", "--repo", repo, "--from", "v9.9.9"],
            "Unknown ref \"v9.9.9\"",
        ),
        (
            vec![
                "version",
                "next",
                "--repo",
                repo,
                "--policy",
                bad_policy.to_str().unwrap(),
            ],
            "tag_prefix",
        ),
        (
            vec![
                "version",
                "next",
                "--repo",
                repo,
                "--policy",
                "/no/policy.toml",
            ],
            "cannot read the policy",
        ),
        (
            vec!["version", "next", "--repo", repo, "--component", "api"],
            "no component",
        ),
        (
            vec!["version", "next", "--repo", repo, "--channel", "RC 1"],
            "pre-release channel",
        ),
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // A policy with an unknown key is refused too (a typo must not be ignored).
    let (code, _, err) = run(&[
        "version",
        "next",
        "--repo",
        repo,
        "--policy",
        unknown_key.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn changelog_prints_the_next_notes_or_the_whole_history() {
    let mut f = shop();
    let repo = f.path().to_str().unwrap().to_owned();
    let (code, out, _) = run(&[
        "changelog",
        "--repo",
        &repo,
        "--web-url",
        "https://git.example.com/acme/shop",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("## 1.1.0 ("), "{out}");
    assert!(
        out.contains("### Features") && out.contains("### Bug fixes"),
        "{out}"
    );
    assert!(
        out.contains("https://git.example.com/acme/shop/issues/7"),
        "{out}"
    );
    f.tag("v1.1.0");
    f.commit("fix: after");
    let (code, out, _) = run(&["changelog", "--repo", &repo, "--all"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# Changelog\n\n## Unreleased"), "{out}");
    let (u, a, b) = (
        out.find("## Unreleased").unwrap(),
        out.find("## 1.1.0").unwrap(),
        out.find("## 1.0.0").unwrap(),
    );
    assert!(u < a && a < b, "{out}");
    let (code, out, _) = run(&[
        "changelog",
        "--repo",
        &repo,
        "--from",
        "v1.0.0",
        "--to",
        "v1.1.0",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("by SKU") && !out.contains("after"), "{out}");
    // Up to a release tag: titled with that release and its date (it used
    // to say the next version, dated today).
    let tagged = Command::new("git")
        .args(["-C", &repo, "log", "-1", "--format=%cs", "v1.1.0"])
        .output()
        .unwrap();
    let date = String::from_utf8_lossy(&tagged.stdout).trim().to_owned();
    assert!(out.starts_with(&format!("## 1.1.0 ({date})")), "{out}");
}

#[test]
fn tag_publishes_an_annotated_tag_and_pushes_it() {
    let f = shop();
    let remote = f.bare_remote("origin");
    f.git(&["push", "-q", remote.to_str().unwrap(), "main"]);
    let repo = f.path().to_str().unwrap();
    let (code, out, err) = run(&["tag", "--repo", repo, "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("would tag") && out.contains("v1.1.0"), "{out}");
    assert_eq!(
        f.git(&["tag", "-l", "v1.1.0"]),
        "",
        "a dry run changes nothing"
    );
    let (code, out, err) = run(&["tag", "--repo", repo, "--push", remote.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (0, "v1.1.0\n"), "{err}");
    assert_eq!(f.git(&["cat-file", "-t", "v1.1.0"]), "tag");
    let contents = f.git(&["tag", "-l", "--format=%(contents)", "v1.1.0"]);
    assert!(contents.contains("### Features"), "{contents}");
    let remote_tags = f.git(&["ls-remote", "--tags", remote.to_str().unwrap()]);
    assert!(remote_tags.contains("refs/tags/v1.1.0"), "{remote_tags}");
    // Nothing new since: nothing to tag.
    let (code, _, err) = run(&["tag", "--repo", repo]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing to tag"), "{err}");
}
