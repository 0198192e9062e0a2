//! The GitOps adapter against a bare repository served by `git daemon` on
//! 127.0.0.1 (started here, pushes enabled): the digest is committed into
//! the file at its key path with the deployment's trailer, comments and
//! layout kept; a rollback is a new commit; two environments writing to
//! one repository at once both land, also when another writer pushed
//! first (the rejected push is written again on the new tip); a key path
//! that does not exist fails the deployment and changes nothing.

use crate::deployments::ended;
use crate::helpers::{Db, TestApp};
use slipway_domain::approval::ApprovalPolicy;
use slipway_domain::deployment::adapter::DeploySettingsForm;
use slipway_domain::deployment::gitops::GitopsForm;
use slipway_domain::deployment::DeploymentState;
use slipway_domain::Principal;
use slipway_services::ServiceError;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const VALUES: &str = "# Helm values, written by people and by Slipway\nreplicas: 2\nimage:\n  repository: registry.example.com/shop/api  # the image\n  digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\n";

/// `git daemon` serving `deploy.git` (branch main) with pushes enabled.
struct GitDaemon {
    child: Child,
    port: u16,
    root: tempfile::TempDir,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

impl GitDaemon {
    fn start() -> GitDaemon {
        let root = tempfile::tempdir().unwrap();
        git(
            root.path(),
            &["init", "-q", "--bare", "-b", "main", "deploy.git"],
        );
        let work = root.path().join("work");
        git(root.path(), &["init", "-q", "-b", "main", "work"]);
        for app in ["shop", "cart"] {
            let dir = work.join("apps").join(app);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("values.yaml"), VALUES).unwrap();
        }
        git(&work, &["add", "."]);
        git(&work, &["commit", "-q", "-m", "chore: the environments"]);
        let bare = root.path().join("deploy.git");
        git(&work, &["push", "-q", bare.to_str().unwrap(), "main"]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
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
                &format!("--base-path={}", root.path().display()),
                root.path().to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let began = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                began.elapsed() < Duration::from_secs(10),
                "git daemon did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        GitDaemon { child, port, root }
    }

    fn url(&self) -> String {
        format!("git://127.0.0.1:{}/deploy.git", self.port)
    }

    fn bare(&self) -> PathBuf {
        self.root.path().join("deploy.git")
    }

    fn show(&self, path: &str) -> String {
        git(&self.bare(), &["show", &format!("main:{path}")])
    }

    /// Full messages, newest first.
    fn messages(&self) -> Vec<String> {
        git(&self.bare(), &["log", "--format=%B%x00", "main"])
            .split('\0')
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect()
    }

    /// Another writer lands first, once: the pre-receive hook moves main
    /// (as a person or an image updater pushing between Slipway's fetch and
    /// its push would), so Slipway's push is refused and must be written
    /// again on the new tip.
    fn race_once(&self) {
        let hook = self.bare().join("hooks").join("pre-receive");
        std::fs::write(
            &hook,
            r#"#!/bin/sh
[ -e raced ] && exit 0
touch raced
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
export GIT_AUTHOR_NAME=Someone GIT_AUTHOR_EMAIL=someone@example.com GIT_COMMITTER_NAME=Someone GIT_COMMITTER_EMAIL=someone@example.com
tip=$(git rev-parse refs/heads/main)
blob=$(echo "someone else was here" | git hash-object -w --stdin)
tree=$( (git ls-tree "$tip"; printf '100644 blob %s\tOTHER.txt\n' "$blob") | git mktree)
commit=$(git commit-tree "$tree" -p "$tip" -m "chore: someone else pushed first")
git update-ref refs/heads/main "$commit" "$tip"
exit 0
"#,
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn gitops(url: &str, app: &str, key: &str) -> DeploySettingsForm {
    DeploySettingsForm {
        adapter: "gitops".into(),
        gitops: GitopsForm {
            repo_url: url.into(),
            path: format!("apps/{app}/values.yaml"),
            key: key.into(),
            ..Default::default()
        },
        timeout_s: "60".into(),
        ..Default::default()
    }
}

fn digest(n: u32) -> String {
    format!("sha256:{n:064x}")
}

/// Project `slug` whose dev needs no approval and commits to `url`.
async fn project(app: &TestApp, p: &Principal, slug: &str, form: &DeploySettingsForm) {
    let admin = app.admin().await;
    app.create_project(&admin, slug, slug).await;
    let none = ApprovalPolicy {
        required: 0,
        groups: vec![],
    };
    let releases = app.services.releases();
    releases.set_policy(p, slug, "dev", &none).await.unwrap();
    app.services
        .deployments()
        .update_settings(p, slug, "dev", form)
        .await
        .unwrap();
}

async fn promote(app: &TestApp, p: &Principal, slug: &str, version: &str, n: u32) -> i64 {
    let artifact = format!("registry.example.com/{slug}/api@{}", digest(n));
    crate::deployments::promote_new(app, p, slug, version, &artifact).await
}

async fn the_digest_is_committed_with_a_trailer_and_a_rollback_is_a_new_commit(app: &TestApp) {
    let repo = GitDaemon::start();
    let p = app.admin_principal().await;
    project(
        app,
        &p,
        "shop",
        &gitops(&repo.url(), "shop", "image.digest"),
    )
    .await;

    let first = promote(app, &p, "shop", "1.0.0", 1).await;
    let d = ended(app, first).await;
    assert_eq!(d.state, DeploymentState::Succeeded, "{d:?}");
    // Only the digest changed: comments, order and the rest stay.
    assert_eq!(
        repo.show("apps/shop/values.yaml"),
        VALUES.replace(&digest(0), &digest(1))
    );
    let messages = repo.messages();
    assert!(
        messages[0].starts_with("deploy(dev): shop 1.0.0"),
        "{messages:?}"
    );
    assert!(
        messages[0]
            .lines()
            .any(|l| l == format!("Slipway-Deployment: shop/dev#{first}")),
        "{messages:?}"
    );
    assert!(messages[0].contains(&format!(
        "Artifact: registry.example.com/shop/api@{}",
        digest(1)
    )));

    let second = promote(app, &p, "shop", "1.1.0", 2).await;
    assert_eq!(ended(app, second).await.state, DeploymentState::Succeeded);
    assert!(repo.show("apps/shop/values.yaml").contains(&digest(2)));

    let back = app
        .services
        .deployments()
        .rollback(&p, "shop", "dev", "1.1.0 answers slowly", None)
        .await
        .unwrap();
    let d = ended(app, back.id).await;
    assert_eq!(d.state, DeploymentState::Succeeded, "{d:?}");
    // Never a revert or a force-push: one more commit, with the old digest.
    assert_eq!(
        repo.show("apps/shop/values.yaml"),
        VALUES.replace(&digest(0), &digest(1))
    );
    let messages = repo.messages();
    assert_eq!(messages.len(), 4, "{messages:?}");
    assert!(
        messages[0].starts_with("rollback(dev): shop back to 1.0.0"),
        "{messages:?}"
    );
    assert!(messages[0].contains(&format!("Replaces: {}", digest(2))));
    assert!(messages[0].contains(&format!("Slipway-Deployment: shop/dev#{}", back.id)));
}

async fn two_environments_in_one_repository_both_land_also_after_a_rejected_push(app: &TestApp) {
    let repo = GitDaemon::start();
    repo.race_once();
    let p = app.admin_principal().await;
    project(
        app,
        &p,
        "shop",
        &gitops(&repo.url(), "shop", "image.digest"),
    )
    .await;
    project(
        app,
        &p,
        "cart",
        &gitops(&repo.url(), "cart", "image.digest"),
    )
    .await;

    let (a, b) = tokio::join!(
        promote(app, &p, "shop", "1.0.0", 11),
        promote(app, &p, "cart", "2.0.0", 22)
    );
    let (da, db) = tokio::join!(ended(app, a), ended(app, b));
    assert_eq!(da.state, DeploymentState::Succeeded, "{da:?}");
    assert_eq!(db.state, DeploymentState::Succeeded, "{db:?}");
    assert!(repo.show("apps/shop/values.yaml").contains(&digest(11)));
    assert!(repo.show("apps/cart/values.yaml").contains(&digest(22)));
    // The other writer's commit is kept: written on top, never over it.
    assert_eq!(repo.show("OTHER.txt").trim(), "someone else was here");
    let messages = repo.messages();
    assert_eq!(messages.len(), 4, "{messages:?}");
    let outputs = [output(app, a).await, output(app, b).await];
    assert!(
        outputs
            .iter()
            .any(|o| o.contains("The push was rejected") && o.contains("attempt 2 of 5")),
        "{outputs:?}"
    );
}

async fn a_key_path_that_does_not_exist_fails_and_changes_nothing(app: &TestApp) {
    let repo = GitDaemon::start();
    let p = app.admin_principal().await;
    project(app, &p, "shop", &gitops(&repo.url(), "shop", "image.tag")).await;
    let id = promote(app, &p, "shop", "1.0.0", 1).await;
    let d = ended(app, id).await;
    assert_eq!(d.state, DeploymentState::Failed, "{d:?}");
    let error = d.error.unwrap_or_default();
    assert!(
        error.contains("image.tag does not exist") && error.contains("apps/shop/values.yaml"),
        "{error}"
    );
    assert_eq!(repo.messages().len(), 1);

    // A credential the configuration does not have: refused when saved,
    // naming the key that would hold it.
    let mut form = gitops(&repo.url(), "shop", "image.digest");
    form.gitops.credential = "deploy-bot".into();
    let err = app
        .services
        .deployments()
        .update_settings(&p, "shop", "dev", &form)
        .await
        .unwrap_err();
    let ServiceError::Validation(fields) = err else {
        panic!("{err:?}")
    };
    assert!(
        fields
            .get("gitops.credential")
            .is_some_and(|m| m.contains("[git_credentials.deploy-bot]")),
        "{fields:?}"
    );
    assert_eq!(repo.messages().len(), 1);

    // Bad settings never get stored: every field is named.
    let bad = DeploySettingsForm {
        adapter: "gitops".into(),
        gitops: GitopsForm {
            repo_url: "https://bot:token@github.com/org/deploy.git".into(),
            path: "../outside.yaml".into(),
            key: "image..digest".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let err = app
        .services
        .deployments()
        .update_settings(&p, "shop", "dev", &bad)
        .await
        .unwrap_err();
    let ServiceError::Validation(fields) = err else {
        panic!("{err:?}")
    };
    for field in ["gitops.repo_url", "gitops.path", "gitops.key"] {
        assert!(fields.get(field).is_some(), "{field}: {fields:?}");
    }
}

async fn a_gitops_rollout_commits_each_step_with_its_weight(app: &TestApp) {
    let repo = GitDaemon::start();
    // The values file gets a weight key next to the digest.
    let work = repo.root.path().join("work");
    let with_weight = format!("{VALUES}rollout:\n  weight: 100\n");
    std::fs::write(work.join("apps/shop/values.yaml"), &with_weight).unwrap();
    git(&work, &["commit", "-qam", "chore: a weight for rollouts"]);
    git(
        &work,
        &["push", "-q", repo.bare().to_str().unwrap(), "main"],
    );
    let p = app.admin_principal().await;
    let mut form = gitops(&repo.url(), "shop", "image.digest");
    form.rollout = "25, 50".into();
    // Without a key for the weight, every step would look the same.
    let err = {
        let admin = app.admin().await;
        app.create_project(&admin, "shop", "shop").await;
        app.services
            .deployments()
            .update_settings(&p, "shop", "dev", &form)
            .await
            .unwrap_err()
    };
    let ServiceError::Validation(fields) = err else {
        panic!("{err:?}")
    };
    assert!(fields.get("rollout").is_some(), "{fields:?}");
    form.gitops.weight_key = "rollout.weight".into();
    let none = ApprovalPolicy {
        required: 0,
        groups: vec![],
    };
    app.services
        .releases()
        .set_policy(&p, "shop", "dev", &none)
        .await
        .unwrap();
    app.services
        .deployments()
        .update_settings(&p, "shop", "dev", &form)
        .await
        .unwrap();
    let id = promote(app, &p, "shop", "1.0.0", 7).await;
    let d = ended(app, id).await;
    assert_eq!(d.state, DeploymentState::Succeeded, "{d:?}");
    // One commit per step, each with its weight; the file ends at 100.
    let messages = repo.messages();
    for (i, weight) in ["100", "50", "25"].iter().enumerate() {
        assert!(
            messages[i].contains(&format!("Slipway-Weight: {weight}")),
            "{i}: {messages:?}"
        );
    }
    let file = repo.show("apps/shop/values.yaml");
    assert!(
        file.contains(&digest(7)) && file.contains("weight: 100"),
        "{file}"
    );
}

async fn output(app: &TestApp, id: i64) -> String {
    app.services
        .deployments()
        .output_since(id, 0)
        .await
        .unwrap()
        .unwrap()
        .0
}

macro_rules! gitops_tests {
    ($($name:ident),*) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::spawn(Db::Sqlite).await;
                super::$name(&app).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = TestApp::spawn(Db::Postgres).await;
                super::$name(&app).await;
                app.finish().await;
            }
        }
    )*};
}

gitops_tests!(
    the_digest_is_committed_with_a_trailer_and_a_rollback_is_a_new_commit,
    two_environments_in_one_repository_both_land_also_after_a_rejected_push,
    a_key_path_that_does_not_exist_fails_and_changes_nothing,
    a_gitops_rollout_commits_each_step_with_its_weight
);
