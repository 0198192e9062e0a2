//! Tags, branches, pushes, mirrors and forward-merge checks against real
//! remotes: bare repositories by path and `git daemon` on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::fixture::Fixture;
use super::publish::{self, Push, TagRequest};
use super::{cherry, mirror, GitError, Repo};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn ls_remote(remote: &str) -> String {
    let out = Command::new("git")
        .args(["ls-remote", remote])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn request<'a>(name: &'a str, target: &'a str, branch: Option<&'a str>) -> TagRequest<'a> {
    TagRequest {
        name,
        target,
        message: "## 1.0.0\n\n### Features\n\n- first\n",
        tagger_name: "Release Bot",
        tagger_email: "bot@example.com",
        expected_branch: branch,
    }
}

/// `git daemon` serving `base` with push enabled, stopped on drop.
struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    fn start(base: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("git")
            .args([
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--enable=receive-pack",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                &format!("--base-path={}", base.display()),
                &base.display().to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "git daemon did not start"
            );
            // A test waiting for a real git daemon to listen.
            #[allow(clippy::disallowed_methods)]
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn publishes_an_annotated_tag_with_the_notes_to_a_git_daemon() {
    let mut f = Fixture::new();
    let remote = f.bare_remote("shop");
    let id = f.commit("feat: first");
    f.git(&["push", "-q", remote.to_str().unwrap(), "main"]);
    let daemon = Daemon::start(remote.parent().unwrap());
    let url = format!("git://127.0.0.1:{}/shop.git", daemon.port);
    let created = publish::tag(
        f.path(),
        &request("v1.0.0", "HEAD", Some("main")),
        Some(&Push {
            remote: &url,
            credential: None,
        }),
    )
    .unwrap();
    assert_eq!(created.commit, id);
    let refs = ls_remote(&url);
    assert!(refs.contains("refs/tags/v1.0.0\n"), "{refs}");
    assert!(
        refs.contains(&format!("{id}\trefs/tags/v1.0.0^{{}}")),
        "annotated, peels to the commit: {refs}"
    );
    let message = f.git(&["tag", "-l", "--format=%(contents)", "v1.0.0"]);
    assert!(message.contains("### Features"), "{message}");
    assert_eq!(f.git(&["cat-file", "-t", "v1.0.0"]), "tag");
}

#[test]
fn refuses_an_existing_tag_a_commit_off_the_branch_and_bad_names() {
    let mut f = Fixture::new();
    f.commit("feat: first");
    f.tag("v1.0.0");
    let err = publish::tag(f.path(), &request("v1.0.0", "HEAD", None), None).unwrap_err();
    assert!(
        matches!(&err, GitError::Refused(m) if m.contains("already exists")),
        "{err}"
    );

    f.branch("side");
    f.checkout("side");
    let side = f.commit("feat: side");
    f.checkout("main");
    let err = publish::tag(f.path(), &request("v1.1.0", &side, Some("main")), None).unwrap_err();
    assert!(
        matches!(&err, GitError::Refused(m) if m.contains("not on branch main")),
        "{err}"
    );
    let err = publish::tag(f.path(), &request("v1.1.0", "HEAD", Some("nope")), None).unwrap_err();
    assert!(
        matches!(&err, GitError::Refused(m) if m.contains("no branch")),
        "{err}"
    );
    let err = publish::tag(f.path(), &request("bad name", "HEAD", None), None).unwrap_err();
    assert!(matches!(err, GitError::Refused(_)));
    let err = publish::tag(f.path(), &request("v9.9.9", "nope", None), None).unwrap_err();
    assert_eq!(err, GitError::UnknownRef("nope".into()));
    assert_eq!(f.git(&["tag", "-l"]), "v1.0.0", "nothing was created");
}

#[test]
fn a_rejected_push_is_reported_and_leaves_no_local_tag() {
    let mut f = Fixture::new();
    let remote = f.bare_remote("guarded");
    f.commit("feat: first");
    let hook = remote.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'tags are frozen' >&2\nexit 1\n").unwrap();
    Command::new("chmod").arg("+x").arg(&hook).status().unwrap();
    let daemon = Daemon::start(remote.parent().unwrap());
    let url = format!("git://127.0.0.1:{}/guarded.git", daemon.port);
    let err = publish::tag(
        f.path(),
        &request("v1.0.0", "HEAD", None),
        Some(&Push {
            remote: &url,
            credential: None,
        }),
    )
    .unwrap_err();
    assert!(
        matches!(&err, GitError::PushRejected(m) if m.contains("v1.0.0")),
        "{err:?}"
    );
    assert_eq!(f.git(&["tag", "-l"]), "", "the local tag was removed again");
    assert!(!ls_remote(remote.to_str().unwrap()).contains("v1.0.0"));
}

#[test]
fn a_tag_that_exists_only_on_the_remote_is_rejected() {
    let mut f = Fixture::new();
    let remote = f.bare_remote("shop");
    f.commit("feat: first");
    f.tag("v1.0.0");
    f.git(&["push", "-q", remote.to_str().unwrap(), "main", "v1.0.0"]);
    f.git(&["tag", "-d", "v1.0.0"]);
    f.commit("feat: second");
    let daemon = Daemon::start(remote.parent().unwrap());
    let url = format!("git://127.0.0.1:{}/shop.git", daemon.port);
    let err = publish::tag(
        f.path(),
        &request("v1.0.0", "HEAD", None),
        Some(&Push {
            remote: &url,
            credential: None,
        }),
    )
    .unwrap_err();
    assert!(matches!(err, GitError::PushRejected(_)), "{err:?}");
    assert_eq!(f.git(&["tag", "-l"]), "");
}

#[test]
fn release_and_hotfix_branches_are_created_and_pushed() {
    let mut f = Fixture::new();
    let remote = f.bare_remote("shop");
    f.commit("feat: first");
    f.tag("v1.4.0");
    f.commit("feat: later");
    let push = Push {
        remote: remote.to_str().unwrap(),
        credential: None,
    };
    publish::branch(f.path(), "release/1.4", "HEAD", Some(&push)).unwrap();
    let hotfix = publish::branch(f.path(), "hotfix/1.4.1", "v1.4.0", Some(&push)).unwrap();
    assert_eq!(hotfix.commit, f.git(&["rev-parse", "v1.4.0^{commit}"]));
    let refs = ls_remote(remote.to_str().unwrap());
    assert!(
        refs.contains("refs/heads/release/1.4") && refs.contains("refs/heads/hotfix/1.4.1"),
        "{refs}"
    );
    let err = publish::branch(f.path(), "release/1.4", "HEAD", None).unwrap_err();
    assert!(matches!(&err, GitError::Refused(m) if m.contains("already exists")));
    assert!(matches!(
        publish::branch(f.path(), "a..b", "HEAD", None),
        Err(GitError::Refused(_))
    ));
}

#[test]
fn forward_merge_check_counts_cherry_picks_by_patch_id() {
    let mut f = Fixture::new();
    f.commit("feat: base");
    f.tag("v1.0.0");
    f.branch("release/1.0");
    f.commit("feat: main moves on");
    f.checkout("release/1.0");
    let picked = f.commit("fix: picked to main later");
    let missing = f.commit("fix: forgotten on main");
    f.checkout("main");
    f.cherry_pick(&picked);
    assert_eq!(
        cherry::forward_branches(f.path()).unwrap(),
        vec!["release/1.0"]
    );
    let unmerged = cherry::unmerged(f.path(), "release/1.0", "main").unwrap();
    assert_eq!(unmerged.len(), 1, "{unmerged:?}");
    assert_eq!(unmerged[0].id, missing);
    assert_eq!(unmerged[0].subject, "fix: forgotten on main");
    f.merge("release/1.0", "Merge branch 'release/1.0'");
    assert!(cherry::unmerged(f.path(), "release/1.0", "main")
        .unwrap()
        .is_empty());
}

#[test]
fn the_mirror_follows_the_remote_including_deleted_tags() {
    let mut f = Fixture::new();
    let first = f.commit("feat: first");
    f.tag("v1.0.0");
    let dir = tempfile::tempdir().unwrap();
    let mirror_dir = dir.path().join("mirror.git");
    mirror::sync(f.path().to_str().unwrap(), &mirror_dir, None).unwrap();
    let repo = Repo::open(&mirror_dir).unwrap();
    assert_eq!(repo.full_id("v1.0.0").unwrap(), first);
    assert!(
        mirror_dir.join("objects/info/commit-graphs").is_dir(),
        "the mirror has a commit-graph for fast walks"
    );
    assert_eq!(repo.full_id("main").unwrap(), first);
    let second = f.commit("fix: second");
    f.git(&["tag", "-d", "v1.0.0"]);
    let url = format!("file://{}", f.path().display());
    mirror::sync(&url, &mirror_dir, None).unwrap();
    let repo = Repo::open(&mirror_dir).unwrap();
    assert_eq!(repo.full_id("main").unwrap(), second);
    assert_eq!(
        repo.resolve("v1.0.0"),
        Err(GitError::UnknownRef("v1.0.0".into()))
    );
    let err = mirror::sync("/no/such/repo", &dir.path().join("other.git"), None).unwrap_err();
    assert!(matches!(err, GitError::Remote(_)), "{err:?}");
}

/// `git http-backend` behind basic auth (services/tests/support), stopped on drop.
struct HttpGit {
    child: Child,
    port: u16,
}

impl HttpGit {
    fn start(root: &Path, user: &str, token: &str) -> Self {
        use std::io::BufRead;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/git_http_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args([root.to_str().unwrap(), user, token])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().unwrap();
        Self { child, port }
    }
}

impl Drop for HttpGit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn token_credentials_fetch_and_push_over_http_and_never_leak() {
    use super::GitCredential;
    use secrecy::SecretString;
    let mut f = Fixture::new();
    let remote = f.bare_remote("private");
    f.commit("feat: secret project");
    f.git(&["push", "-q", remote.to_str().unwrap(), "main"]);
    let server = HttpGit::start(remote.parent().unwrap(), "bot", "s3cr3t-t0ken");
    let url = format!("http://127.0.0.1:{}/private.git", server.port);
    let good = GitCredential::Token {
        username: "bot".into(),
        token: SecretString::from("s3cr3t-t0ken".to_string()),
    };
    let wrong = GitCredential::Token {
        username: "bot".into(),
        token: SecretString::from("wrong-t0ken".to_string()),
    };
    let dir = tempfile::tempdir().unwrap();
    let mirror_dir = dir.path().join("m.git");

    // Without a credential, or with the wrong one: refused, and said so
    // without the token.
    for cred in [None, Some(&wrong)] {
        let err = mirror::sync(&url, &mirror_dir, cred).unwrap_err();
        let shown = err.to_string();
        assert!(matches!(err, GitError::Remote(_)), "{shown}");
        assert!(!shown.contains("t0ken"), "{shown}");
    }
    // With it: fetched, and a tag pushed back.
    mirror::sync(&url, &mirror_dir, Some(&good)).unwrap();
    assert_eq!(
        Repo::open(&mirror_dir).unwrap().full_id("main").unwrap(),
        f.head()
    );
    publish::tag(
        &mirror_dir,
        &request("v1.0.0", "main", Some("main")),
        Some(&Push {
            remote: "origin",
            credential: Some(&good),
        }),
    )
    .unwrap();
    assert!(ls_remote(remote.to_str().unwrap()).contains("refs/tags/v1.0.0"));
    // The mirror's stored remote URL carries no credential.
    let config = std::fs::read_to_string(mirror_dir.join("config")).unwrap();
    assert!(!config.contains("t0ken"), "{config}");
}
