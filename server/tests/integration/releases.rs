//! Repositories, versions, release notes and publishing through the real
//! HTTP API, on SQLite and PostgreSQL, against real git repositories: a
//! working copy (the fixture builder) pushing to a bare "origin" that the
//! project is connected to.

use crate::helpers::TestApp;
use crate::on_both_databases;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use slipway_domain::Role;
use slipway_services::git::fixture::Fixture;
use std::path::PathBuf;
use std::process::Command;

/// A developer's clone and the origin Slipway is connected to.
struct Upstream {
    work: Fixture,
    origin: PathBuf,
}

impl Upstream {
    fn new() -> Self {
        let mut work = Fixture::new();
        let origin = work.bare_remote("origin");
        work.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
        work.commit("feat: first release");
        work.tag("v1.0.0");
        work.commit("feat(cart): add coupons\n\nRefs: SHOP-12");
        work.commit("fix: rounding of totals (#7)");
        let up = Self { work, origin };
        up.push();
        up
    }

    fn push(&self) {
        self.work.git(&["push", "-q", "origin", "main", "--tags"]);
    }

    fn commit(&mut self, message: &str) {
        self.work.commit(message);
        self.push();
    }

    fn url(&self) -> String {
        format!("file://{}", self.origin.display())
    }

    fn remote_refs(&self) -> String {
        let out = Command::new("git")
            .args(["ls-remote", self.origin.to_str().unwrap()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn form<'a>(pairs: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn connect(app: &TestApp, admin: &Client, slug: &str, url: &str) {
    connect_fetching_every(app, admin, slug, url, "0").await; // on demand only
}

/// Connects with a fetch every minute.
async fn connect_scheduled(app: &TestApp, admin: &Client, slug: &str, url: &str) {
    connect_fetching_every(app, admin, slug, url, "60").await;
}

async fn connect_fetching_every(
    app: &TestApp,
    admin: &Client,
    slug: &str,
    url: &str,
    seconds: &str,
) {
    let res = app
        .post(
            admin,
            "/api/repositories/configure",
            &[
                ("slug", slug),
                ("form[url]", url),
                ("form[web_url]", "https://git.example.com/acme/shop"),
                ("form[issue_url]", "https://jira.example.com/browse/{key}"),
                ("form[tag_prefix]", "v"),
                ("form[main_branch]", "main"),
                ("form[scheme]", "semver"),
                ("form[minor_types]", "feat"),
                ("form[patch_types]", "fix, perf"),
                ("form[other_bump]", "none"),
                ("form[breaking_minor_while_zero]", "on"),
                ("form[initial_version]", "0.1.0"),
                ("form[fetch_interval_s]", seconds),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
}

async fn json(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn draft(app: &TestApp, client: &Client, slug: &str) -> i64 {
    let (status, v) = json(
        app.post(client, "/api/notes/draft", &[("slug", slug)])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v.as_i64().unwrap()
}

async fn notes(app: &TestApp, client: &Client, slug: &str, id: i64) -> Value {
    let (status, v) = json(
        app.post(
            client,
            "/api/notes/get",
            &[("slug", slug), ("id", &id.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

async fn release_notes_survive_regeneration_and_publish_as_a_pushed_tag(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let mut up = Upstream::new();
    connect(app, &admin, "shop", &up.url()).await;

    // The plan explains itself.
    let (status, plan) = json(
        app.post(&admin, "/api/repositories/plan", &[("slug", "shop")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["next"], "1.1.0");
    assert_eq!(plan["last_release"], "v1.0.0");
    assert!(plan["explanation"]
        .as_str()
        .unwrap()
        .contains("because of feature commits"));
    assert_eq!(plan["commits"].as_array().unwrap().len(), 2);

    let id = draft(app, &admin, "shop").await;
    let n = notes(app, &admin, "shop", id).await;
    assert_eq!(n["tag_name"], "v1.1.0");
    assert_eq!(n["revision"], 1);
    let body = n["body"].as_str().unwrap().to_owned();
    assert!(body.contains("**cart:** add coupons"), "{body}");
    assert!(n["html"]
        .as_str()
        .unwrap()
        .contains("https://jira.example.com/browse/SHOP-12"));

    // A human edit: reword an entry, add prose.
    let edited = format!(
        "Spring release.\n\n{}",
        body.replace(
            "**cart:** add coupons",
            "**cart:** Customers can now pay with coupons"
        )
    );
    let save = |text: String, expected: i64| {
        let id = id.to_string();
        let admin = admin.clone();
        async move {
            json(
                app.post(
                    &admin,
                    "/api/notes/save",
                    &form(&[
                        ("slug", "shop".into()),
                        ("id", id),
                        ("expected_revision", expected.to_string()),
                        ("body", text),
                    ]),
                )
                .await,
            )
            .await
        }
    };
    let (status, v) = save(edited.clone(), 1).await;
    assert_eq!((status, v.clone()), (StatusCode::OK, Value::from(2)), "{v}");

    // A save from a stale editor is refused, and nothing is lost.
    let (status, v) = save("overwrite".into(), 1).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("newer revision"), "{v}");
    assert_eq!(
        notes(app, &admin, "shop", id).await["body"],
        Value::from(edited.clone())
    );
    let (status, _) = save("   ".into(), 2).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // New commits land; regeneration keeps every human edit.
    up.commit("feat(search): search by SKU");
    let (status, v) = json(
        app.post(
            &admin,
            "/api/notes/regenerate",
            &[
                ("slug", "shop"),
                ("id", &id.to_string()),
                ("expected_revision", "2"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v, serde_json::json!([3, 0]));
    let n = notes(app, &admin, "shop", id).await;
    let body = n["body"].as_str().unwrap();
    assert!(body.starts_with("Spring release."), "{body}");
    assert!(
        body.contains("Customers can now pay with coupons"),
        "{body}"
    );
    assert!(body.contains("**search:** search by SKU"), "{body}");
    assert!(!body.contains("add coupons"), "{body}");
    assert_eq!(n["tip_commit"], up.work.head());

    // Revisions: diff and restore.
    let (status, diff) = json(
        app.post(
            &admin,
            "/api/notes/diff",
            &[
                ("slug", "shop"),
                ("id", &id.to_string()),
                ("from", "1"),
                ("to", "3"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    let added: Vec<&str> = diff
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["change"] == "added")
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert!(
        added.iter().any(|l| l.contains("search by SKU")),
        "{added:?}"
    );
    let (status, v) = json(
        app.post(
            &admin,
            "/api/notes/restore",
            &[
                ("slug", "shop"),
                ("id", &id.to_string()),
                ("number", "2"),
                ("expected_revision", "3"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!((status, v), (StatusCode::OK, Value::from(4)));
    assert_eq!(
        notes(app, &admin, "shop", id).await["body"],
        Value::from(edited)
    );
    let (status, _) = json(
        app.post(
            &admin,
            "/api/notes/restore",
            &[
                ("slug", "shop"),
                ("id", &id.to_string()),
                ("number", "3"),
                ("expected_revision", "4"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Publish: annotated tag with the notes, pushed.
    let (status, v) = json(
        app.post(
            &admin,
            "/api/notes/publish",
            &[
                ("slug", "shop"),
                ("id", &id.to_string()),
                ("expected_revision", "5"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, v.clone()),
        (StatusCode::OK, Value::from("v1.1.0")),
        "{v}"
    );
    let refs = up.remote_refs();
    assert!(
        refs.contains(&format!("{}\trefs/tags/v1.1.0^{{}}", up.work.head())),
        "{refs}"
    );
    let message = Command::new("git")
        .args([
            "--git-dir",
            up.origin.to_str().unwrap(),
            "tag",
            "-l",
            "--format=%(contents)",
            "v1.1.0",
        ])
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&message.stdout);
    assert!(
        message.contains("Customers can now pay with coupons") && message.contains("search by SKU"),
        "{message}"
    );
    let n = notes(app, &admin, "shop", id).await;
    assert_eq!(n["published"], true);
    assert_eq!(n["can_edit"], false);

    // Published notes never change, and are not published twice.
    let (status, _) = save("late edit".into(), 5).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, v) = json(
        app.post(
            &admin,
            "/api/notes/publish",
            &[
                ("slug", "shop"),
                ("id", &id.to_string()),
                ("expected_revision", "5"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");

    // The next release starts after the published tag.
    up.commit("fix: after the release");
    let (_, plan) = json(
        app.post(&admin, "/api/repositories/plan", &[("slug", "shop")])
            .await,
    )
    .await;
    assert_eq!(plan["last_release"], "v1.1.0");
    assert_eq!(plan["next"], "1.1.1");

    // Support finds where a change shipped.
    app.user_with_role("sue", "support", Some("shop")).await;
    let sue = app.login("sue", crate::helpers::USER_PASSWORD).await;
    let (status, found) = json(
        app.post(&sue, "/api/changes/find", &[("q", "SHOP-12")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found[0]["first_release"], "v1.1.0");
    assert_eq!(found[0]["project_slug"], "shop");
    let (status, found) = json(
        app.post(&sue, "/api/changes/find", &[("q", "after the release")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found[0]["first_release"], Value::Null);
    // Someone who cannot see the project finds nothing in it.
    app.user_with_role("olga", "support", None).await;
    app.create_project(&admin, "Other", "other").await;
    app.user_with_role("oscar", "stakeholder", Some("other"))
        .await;
    let oscar = app.login("oscar", crate::helpers::USER_PASSWORD).await;
    let (_, found) = json(
        app.post(&oscar, "/api/changes/find", &[("q", "SHOP-12")])
            .await,
    )
    .await;
    assert_eq!(found, serde_json::json!([]));
}

async fn conflicts_are_shown_and_block_publishing(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let mut up = Upstream::new();
    connect(app, &admin, "shop", &up.url()).await;
    let id = draft(app, &admin, "shop").await;
    let body = notes(app, &admin, "shop", id).await["body"]
        .as_str()
        .unwrap()
        .to_owned();
    // The human rewrites the heading; a breaking change makes the generator
    // rewrite it too (1.1.0 -> 2.0.0): the same line changed on both sides.
    let edited = body.replacen("## 1.1.0", "## 1.1.0 — the coupons release", 1);
    let res = app
        .post(
            &admin,
            "/api/notes/save",
            &form(&[
                ("slug", "shop".into()),
                ("id", id.to_string()),
                ("expected_revision", "1".into()),
                ("body", edited),
            ]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    up.commit("feat!: new checkout API\n\nBREAKING CHANGE: /v1/checkout is gone.");
    let (status, v) = json(
        app.post(
            &admin,
            "/api/notes/regenerate",
            &[
                ("slug", "shop"),
                ("id", &id.to_string()),
                ("expected_revision", "2"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v[1].as_u64().unwrap() >= 1, "{v}");
    let n = notes(app, &admin, "shop", id).await;
    let body = n["body"].as_str().unwrap();
    assert!(
        body.contains("<<<<<<< your edit") && body.contains(">>>>>>> regenerated"),
        "{body}"
    );
    assert!(
        body.contains("the coupons release") && body.contains("## 2.0.0"),
        "{body}"
    );
    assert_eq!(n["tag_name"], "v2.0.0");
    assert!(n["conflicts"].as_i64().unwrap() >= 1);
    let before = up.remote_refs();
    let (status, v) = json(
        app.post(
            &admin,
            "/api/notes/publish",
            &[
                ("slug", "shop"),
                ("id", &id.to_string()),
                ("expected_revision", "3"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(v.to_string().contains("conflict"), "{v}");
    assert_eq!(up.remote_refs(), before, "nothing was pushed");
}

async fn a_tag_that_already_exists_is_refused_and_the_draft_stays(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let up = Upstream::new();
    connect(app, &admin, "shop", &up.url()).await;
    let id = draft(app, &admin, "shop").await;
    // Someone tags v1.1.0 by hand on another commit meanwhile.
    up.work.git(&["tag", "v1.1.0", "HEAD~1"]);
    up.push();
    let (status, v) = json(
        app.post(
            &admin,
            "/api/notes/publish",
            &[
                ("slug", "shop"),
                ("id", &id.to_string()),
                ("expected_revision", "1"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("already exists"), "{v}");
    assert_eq!(notes(app, &admin, "shop", id).await["published"], false);
}

async fn bad_repository_settings_are_explained_and_nothing_is_stored(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let before = app.audit_count().await;
    for (field, value, key) in [
        ("form[url]", "ftp://example.com/x.git", "url"),
        (
            "form[url]",
            "https://bot:ghp_secret@github.com/a/b.git",
            "url",
        ),
        ("form[url]", "relative/path", "url"),
        ("form[web_url]", "javascript:alert(1)", "web_url"),
        (
            "form[issue_url]",
            "https://jira.example.com/browse/",
            "issue_url",
        ),
        ("form[credential]", "nosuch", "credential"),
        ("form[tag_prefix]", "v v", "tag_prefix"),
        ("form[initial_version]", "one", "initial_version"),
        ("form[components]", "api", "components"),
        ("form[components]", "api api-v ../etc", "components"),
        ("form[fetch_interval_s]", "5", "fetch_interval_s"),
        ("form[scheme]", "lunar", "scheme"),
        (
            "form[notes_hidden_types]",
            "chore, not a type!",
            "notes_hidden_types",
        ),
        (
            "form[web_url]",
            "https://user:pw@git.example.com/acme/shop",
            "web_url",
        ),
    ] {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("slug", "shop"),
            ("form[url]", "/srv/git/shop.git"),
            ("form[main_branch]", "main"),
            ("form[initial_version]", "0.1.0"),
        ];
        pairs.retain(|(k, _)| *k != field);
        pairs.push((field, value));
        let (status, v) = json(
            app.post(&admin, "/api/repositories/configure", &pairs)
                .await,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}: {v}"
        );
        let fields = v.to_string();
        assert!(
            fields.contains(&format!("\"field\":\"{key}\"")),
            "{field}={value}: {fields}"
        );
        assert!(
            !fields.contains("ghp_secret"),
            "a token is never echoed: {fields}"
        );
    }
    assert_eq!(app.audit_count().await, before);
    let (status, v) = json(
        app.post(&admin, "/api/repositories/get", &[("slug", "shop")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["connected"], false);

    // Not connected: the plan is "none yet" (the page explains), not an error.
    let (status, v) = json(
        app.post(&admin, "/api/repositories/plan", &[("slug", "shop")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(v.is_null(), "{v}");
    let page = app.get(&admin, "/projects/shop/releases").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("No repository connected yet"));

    // Local paths outside the allow-list, missing ones and Slipway's own
    // mirrors are all refused with one message (no probing the disk).
    let mirror_of_another_project = app.services.git.mirrors_dir.join("1.git");
    std::fs::create_dir_all(&mirror_of_another_project).unwrap();
    let mut messages = std::collections::BTreeSet::new();
    for path in [
        "/definitely/not/a/repo".to_owned(),
        "/etc".to_owned(),
        format!("file://{}", mirror_of_another_project.display()),
        std::env::temp_dir()
            .join("no-such-repo-here")
            .display()
            .to_string(),
    ] {
        let (status, v) = json(
            app.post(
                &admin,
                "/api/repositories/configure",
                &[
                    ("slug", "shop"),
                    ("form[url]", path.as_str()),
                    ("form[tag_prefix]", "v"),
                    ("form[main_branch]", "main"),
                    ("form[scheme]", "semver"),
                    ("form[minor_types]", "feat"),
                    ("form[patch_types]", "fix"),
                    ("form[other_bump]", "none"),
                    ("form[initial_version]", "0.1.0"),
                    ("form[fetch_interval_s]", "0"),
                ],
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {v}");
        messages.insert(v.to_string());
    }
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages.iter().all(|m| m.contains("local_repositories")));

    // Connected to something that is not a repository: fetch fails with the
    // reason, recorded.
    let not_a_repo = tempfile::tempdir().unwrap();
    connect(
        app,
        &admin,
        "shop",
        &not_a_repo.path().display().to_string(),
    )
    .await;
    let (status, v) = json(
        app.post(&admin, "/api/repositories/fetch", &[("slug", "shop")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    let (_, repo) = json(
        app.post(&admin, "/api/repositories/get", &[("slug", "shop")])
            .await,
    )
    .await;
    assert!(
        repo["last_fetch_error"]
            .as_str()
            .unwrap()
            .contains("Could not reach the remote"),
        "{repo}"
    );

    // Unknown refs are explained.
    let up = Upstream::new();
    connect(app, &admin, "shop", &up.url()).await;
    let (status, v) = json(
        app.post(
            &admin,
            "/api/repositories/plan",
            &[("slug", "shop"), ("rev", "no-such-branch")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(v.to_string().contains("Unknown ref"), "{v}");
    let (status, v) = json(
        app.post(
            &admin,
            "/api/repositories/plan",
            &[("slug", "shop"), ("channel", "RC 1")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(v.to_string().contains("pre-release channel"), "{v}");
}

async fn branches_and_forward_merge_warnings(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let mut up = Upstream::new();
    connect(app, &admin, "shop", &up.url()).await;
    let (status, v) = json(
        app.post(
            &admin,
            "/api/repositories/branch",
            &[("slug", "shop"), ("kind", "hotfix"), ("from", "v1.0.0")],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, v.clone()),
        (StatusCode::OK, Value::from("hotfix/1.0.1")),
        "{v}"
    );
    let (status, v) = json(
        app.post(
            &admin,
            "/api/repositories/branch",
            &[("slug", "shop"), ("kind", "release"), ("from", "main")],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, v.clone()),
        (StatusCode::OK, Value::from("release/1.1")),
        "{v}"
    );
    assert!(up.remote_refs().contains("refs/heads/hotfix/1.0.1"));
    let (status, v) = json(
        app.post(
            &admin,
            "/api/repositories/branch",
            &[("slug", "shop"), ("kind", "hotfix"), ("from", "v1.0.0")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    let (status, _) = json(
        app.post(
            &admin,
            "/api/repositories/branch",
            &[("slug", "shop"), ("kind", "hotfix"), ("from", "main")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A fix on the hotfix branch: its version comes from the tag, and main is warned.
    up.work.git(&["fetch", "-q", "origin"]);
    up.work.git(&[
        "checkout",
        "-q",
        "-b",
        "hotfix/1.0.1",
        "origin/hotfix/1.0.1",
    ]);
    up.work.commit("fix: urgent payment bug");
    up.work.git(&["push", "-q", "origin", "hotfix/1.0.1"]);
    let (_, plan) = json(
        app.post(
            &admin,
            "/api/repositories/plan",
            &[("slug", "shop"), ("rev", "hotfix/1.0.1")],
        )
        .await,
    )
    .await;
    assert_eq!(plan["next"], "1.0.1", "{plan}");
    let (status, merges) = json(
        app.post(
            &admin,
            "/api/repositories/forward-merges",
            &[("slug", "shop")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(merges[0]["branch"], "hotfix/1.0.1", "{merges}");
    assert_eq!(merges[0]["commits"][0][1], "fix: urgent payment bug");
    // Cherry-picked onto main: the warning goes away.
    let fix = up.work.head();
    up.work.checkout("main");
    up.work.cherry_pick(&fix);
    up.push();
    app.post(&admin, "/api/repositories/fetch", &[("slug", "shop")])
        .await;
    let (_, merges) = json(
        app.post(
            &admin,
            "/api/repositories/forward-merges",
            &[("slug", "shop")],
        )
        .await,
    )
    .await;
    assert_eq!(merges, serde_json::json!([]));
}

async fn mirrors_are_fetched_on_their_schedule(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    let up = Upstream::new();
    connect(app, &admin, "shop", &up.url()).await; // on demand only (0)
    assert_eq!(app.services.repositories().fetch_due().await.unwrap(), 0);
    connect_scheduled(app, &admin, "shop", &up.url()).await;
    let (_, repo) = json(
        app.post(&admin, "/api/repositories/get", &[("slug", "shop")])
            .await,
    )
    .await;
    assert_eq!(repo["last_fetched_at"], Value::Null);
    // Due: never fetched. Then not again within the minute.
    assert_eq!(app.services.repositories().fetch_due().await.unwrap(), 1);
    assert_eq!(app.services.repositories().fetch_due().await.unwrap(), 0);
    let (_, repo) = json(
        app.post(&admin, "/api/repositories/get", &[("slug", "shop")])
            .await,
    )
    .await;
    assert!(
        repo["last_fetched_at"].as_str().unwrap().ends_with("UTC"),
        "{repo}"
    );
    assert_eq!(repo["last_fetch_error"], Value::Null);
    let html = app
        .get(&admin, "/projects/shop/repository")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Last fetched"), "{html}");
}

async fn latest_revision(app: &TestApp, id: i64) -> i64 {
    let admin = app.admin_principal().await;
    app.services
        .notes()
        .get(&admin, "alpha", id)
        .await
        .unwrap()
        .revision
}

/// Who may do what with repositories and notes, for every role.
async fn release_endpoints_check_permission_for_every_role(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Alpha", "alpha").await;
    app.create_project(&admin, "Beta", "beta").await;
    app.user_with_role("outsider", "stakeholder", Some("beta"))
        .await;
    let mut up = Upstream::new();
    connect(app, &admin, "alpha", &up.url()).await;
    let notes_id = draft(app, &admin, "alpha").await;

    let mut callers: Vec<(Option<Role>, &str, Client)> = vec![(None, "anonymous", app.client())];
    for role in Role::ALL {
        let name = format!("as-{}", role.as_str().replace('_', "-"));
        let scope = role.is_project_scoped().then_some("alpha");
        app.user_with_role(&name, role.as_str(), scope).await;
        callers.push((
            Some(role),
            role.as_str(),
            app.login(&name, crate::helpers::USER_PASSWORD).await,
        ));
    }
    callers.push((
        None,
        "outsider",
        app.login("outsider", crate::helpers::USER_PASSWORD).await,
    ));

    // Hand-written expectations (not derived from the code under test).
    let allowed = |role: Option<Role>, endpoint: &str| -> bool {
        use Role::*;
        let Some(role) = role else { return false };
        match endpoint {
            "repositories/configure" => matches!(role, Admin | ReleaseManager | TechLead),
            "repositories/fetch" => {
                matches!(role, Admin | ReleaseManager | TechLead | Sre | Engineer)
            }
            "notes/draft" | "notes/save" | "notes/regenerate" | "notes/restore" => {
                matches!(
                    role,
                    Admin | ReleaseManager | TechLead | ProductOwner | Engineer
                )
            }
            "repositories/branch" | "notes/publish" => {
                matches!(role, Admin | ReleaseManager | TechLead | Engineer)
            }
            other => panic!("{other}"),
        }
    };
    let mut n = 0;
    for endpoint in [
        "repositories/configure",
        "repositories/fetch",
        "repositories/branch",
        "notes/draft",
        "notes/save",
        "notes/regenerate",
        "notes/restore",
        "notes/publish",
    ] {
        for (role, label, client) in &callers {
            n += 1;
            // Publishing consumes a draft: each caller gets a fresh one.
            let target = if endpoint == "notes/publish" {
                draft(app, &admin, "alpha").await
            } else {
                notes_id
            };
            let rev = latest_revision(app, target).await.to_string();
            let pairs: Vec<(&str, String)> = match endpoint {
                "repositories/configure" => vec![
                    ("slug", "alpha".into()),
                    ("form[url]", up.url()),
                    ("form[main_branch]", "main".into()),
                    ("form[initial_version]", "0.1.0".into()),
                    ("form[fetch_interval_s]", "0".into()),
                    ("form[minor_types]", "feat".into()),
                    ("form[patch_types]", "fix".into()),
                    ("form[tag_prefix]", "v".into()),
                ],
                "repositories/fetch" => vec![("slug", "alpha".into())],
                "repositories/branch" => vec![
                    ("slug", "alpha".into()),
                    ("kind", "release".into()),
                    ("from", "main".into()),
                ],
                "notes/draft" => vec![("slug", "alpha".into())],
                "notes/save" => vec![
                    ("slug", "alpha".into()),
                    ("id", target.to_string()),
                    ("expected_revision", rev),
                    ("body", format!("edit {n}")),
                ],
                "notes/regenerate" | "notes/publish" => vec![
                    ("slug", "alpha".into()),
                    ("id", target.to_string()),
                    ("expected_revision", rev),
                ],
                "notes/restore" => vec![
                    ("slug", "alpha".into()),
                    ("id", target.to_string()),
                    ("number", "1".into()),
                    ("expected_revision", rev),
                ],
                other => panic!("{other}"),
            };
            let before = (
                app.audit_count().await,
                up.remote_refs(),
                latest_revision(app, notes_id).await,
            );
            let res = app
                .post(client, &format!("/api/{endpoint}"), &form(&pairs))
                .await;
            let status = res.status();
            let body = res.text().await.unwrap();
            if allowed(*role, endpoint) {
                assert!(
                    status.is_success(),
                    "{label} {endpoint}: expected success, got {status} {body}"
                );
                // Put things back for the next caller.
                match endpoint {
                    "repositories/branch" => {
                        let name: String = serde_json::from_str(&body).unwrap();
                        Command::new("git")
                            .args([
                                "--git-dir",
                                up.origin.to_str().unwrap(),
                                "branch",
                                "-D",
                                &name,
                            ])
                            .output()
                            .unwrap();
                    }
                    "notes/publish" => up.commit(&format!("fix: change {n}")),
                    _ => {}
                }
            } else {
                let expected = match (label, role) {
                    (&"anonymous", _) => StatusCode::UNAUTHORIZED,
                    (&"outsider", _) => StatusCode::NOT_FOUND,
                    _ => StatusCode::FORBIDDEN,
                };
                assert_eq!(status, expected, "{label} {endpoint}: {body}");
                assert_eq!(
                    (
                        app.audit_count().await,
                        up.remote_refs(),
                        latest_revision(app, notes_id).await
                    ),
                    before,
                    "{label} {endpoint}: a refused call changed something"
                );
            }
        }
    }
    assert_eq!(n, 8 * (Role::ALL.len() + 2));
}

/// A git:// remote that accepts connections and never answers used to hold
/// a thread per page view and stall the scheduled fetch of every project.
async fn a_remote_that_never_answers_delays_no_other_project(app: &TestApp) {
    let admin = app.admin().await;
    app.create_project(&admin, "Shop", "shop").await;
    app.create_project(&admin, "Other", "other").await;
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            sockets.push(socket); // accepted, never answered
        }
    });
    connect_scheduled(
        app,
        &admin,
        "shop",
        &format!("git://127.0.0.1:{port}/shop.git"),
    )
    .await;
    let up = Upstream::new();
    connect_scheduled(app, &admin, "other", &up.url()).await;

    let started = std::time::Instant::now();
    let fetched = app.services.repositories().fetch_due().await.unwrap();
    let took = started.elapsed();
    assert_eq!(fetched, 1, "the working remote is fetched");
    assert!(
        took < std::time::Duration::from_secs(10),
        "the silent one gave up: {took:?}"
    );
    let (_, other) = json(
        app.post(&admin, "/api/repositories/get", &[("slug", "other")])
            .await,
    )
    .await;
    assert_eq!(other["last_fetch_error"], Value::Null, "{other}");
    assert!(other["last_fetched_at"].is_string(), "{other}");
    let (_, shop) = json(
        app.post(&admin, "/api/repositories/get", &[("slug", "shop")])
            .await,
    )
    .await;
    assert!(shop["last_fetch_error"].is_string(), "{shop}");

    // A page asking for the silent project's plan waits a few seconds at
    // most, then says what is going on.
    let started = std::time::Instant::now();
    let (status, v) = json(
        app.post(&admin, "/api/repositories/plan", &[("slug", "shop")])
            .await,
    )
    .await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    let text = v.to_string();
    assert!(
        text.contains("not answered") || text.contains("reach the remote"),
        "{v}"
    );
    held.abort();
}

on_both_databases!(
    a_remote_that_never_answers_delays_no_other_project,
    release_notes_survive_regeneration_and_publish_as_a_pushed_tag,
    conflicts_are_shown_and_block_publishing,
    a_tag_that_already_exists_is_refused_and_the_draft_stays,
    bad_repository_settings_are_explained_and_nothing_is_stored,
    branches_and_forward_merge_warnings,
    mirrors_are_fetched_on_their_schedule,
    release_endpoints_check_permission_for_every_role,
);
