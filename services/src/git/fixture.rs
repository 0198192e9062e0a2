//! Real git repositories for tests, built with the `git` command line the
//! way people build them: commits with crafted messages, tags, branches,
//! merges, cherry-picks, reverts. Commit times advance one minute per
//! commit so history order is deterministic.
#![allow(clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    clock: i64,
    files: u32,
}

impl Fixture {
    /// A fresh repository on branch `main` with no commits.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("repo");
        std::fs::create_dir(&path).expect("mkdir");
        let f = Self {
            _dir: dir,
            path,
            clock: 1_767_225_600, // 2026-01-01T00:00:00Z
            files: 0,
        };
        f.git(&["init", "-q", "-b", "main"]);
        f.git(&["config", "user.name", "Ada Lovelace"]);
        f.git(&["config", "user.email", "ada@example.com"]);
        f.git(&["config", "commit.gpgsign", "false"]);
        f.git(&["config", "tag.gpgsign", "false"]);
        f
    }

    /// A bare repository next to this one, for pushing to.
    pub fn bare_remote(&self, name: &str) -> PathBuf {
        let remote = self.path.with_file_name(format!("{name}.git"));
        run(
            &self.path,
            "git",
            &["init", "-q", "--bare", remote.to_str().expect("utf-8 path")],
        );
        remote
    }

    /// Runs git in the repository and returns its trimmed stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.path)
            .args(args)
            .env("GIT_AUTHOR_DATE", format!("@{} +0000", self.clock))
            .env("GIT_COMMITTER_DATE", format!("@{} +0000", self.clock))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.path.parent().expect("parent"))
            .env("GIT_EDITOR", "true");
        let out = cmd.output().expect("git runs");
        if !out.status.success() {
            panic!(
                "git {args:?} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn tick(&mut self) {
        self.clock += 60;
    }

    /// Commits a change to a new file with `message`; returns the id.
    pub fn commit(&mut self, message: &str) -> String {
        self.files += 1;
        let file = format!("change-{}.txt", self.files);
        self.commit_file(&file, &format!("{}\n", self.files), message)
    }

    /// Writes `content` to `file` (creating directories) and commits it.
    pub fn commit_file(&mut self, file: &str, content: &str, message: &str) -> String {
        let p = self.path.join(file);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write");
        self.git(&["add", "--", file]);
        self.commit_staged(message, None)
    }

    /// Commits a change as someone else.
    pub fn commit_as(&mut self, author: &str, message: &str) -> String {
        self.files += 1;
        let file = format!("change-{}.txt", self.files);
        std::fs::write(self.path.join(&file), "x\n").expect("write");
        self.git(&["add", "--", &file]);
        self.commit_staged(message, Some(author))
    }

    fn commit_staged(&mut self, message: &str, author: Option<&str>) -> String {
        self.tick();
        let msg = self.path.with_file_name("MSG");
        std::fs::write(&msg, message).expect("write message");
        let msg = msg.to_str().expect("utf-8 path").to_owned();
        let mut args = vec![
            "commit",
            "-q",
            "--cleanup=verbatim",
            "--allow-empty-message",
            "-F",
            msg.as_str(),
        ];
        let author_arg;
        if let Some(a) = author {
            author_arg = format!("--author={a}");
            args.push(&author_arg);
        }
        self.git(&args);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// A lightweight tag on HEAD.
    pub fn tag(&self, name: &str) {
        self.git(&["tag", name]);
    }

    /// An annotated tag on HEAD.
    pub fn annotated_tag(&mut self, name: &str, message: &str) {
        self.tick();
        self.git(&["tag", "-a", name, "-m", message]);
    }

    pub fn branch(&self, name: &str) {
        self.git(&["branch", name]);
    }

    pub fn checkout(&self, name: &str) {
        self.git(&["checkout", "-q", name]);
    }

    /// Merges `branch` into the current branch with a merge commit.
    pub fn merge(&mut self, branch: &str, message: &str) -> String {
        self.tick();
        self.git(&["merge", "-q", "--no-ff", "-m", message, branch]);
        self.head()
    }

    /// Squash-merges `branch` as one commit with `message`.
    pub fn squash_merge(&mut self, branch: &str, message: &str) -> String {
        self.git(&["merge", "-q", "--squash", branch]);
        self.commit_staged(message, None)
    }

    pub fn cherry_pick(&mut self, id: &str) -> String {
        self.tick();
        self.git(&["cherry-pick", "-x", id]);
        self.head()
    }

    /// `git revert`, with git's own `Revert "..."` message.
    pub fn revert(&mut self, id: &str) -> String {
        self.tick();
        self.git(&["revert", "--no-edit", id]);
        self.head()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

fn run(dir: &Path, program: &str, args: &[&str]) {
    let status = Command::new(program)
        .current_dir(dir)
        .args(args)
        .status()
        .expect("runs");
    assert!(status.success(), "{program} {args:?} failed");
}
