//! The GitOps adapter: writes the deployment's digest into a file of a Git
//! repository, commits with a trailer naming the deployment, and pushes,
//! for Argo CD or Flux to sync. Slipway never touches the cluster, so it
//! never fights a controller that syncs by itself; a rollback is one more
//! commit writing the previous digest.
//!
//! - **Format kept**: a YAML key is replaced in place (`yamlpatch`), so
//!   comments, order and quoting elsewhere in the file stay as they were;
//!   a file without a key path is written whole.
//! - **One push at a time per repository** from this instance (a lock by
//!   URL). Another writer (a second instance, a person, an image updater)
//!   may still push first: a rejected push is fetched again, the change is
//!   written again on top of the new tip — a rebase of a one-file change —
//!   and pushed again, up to [`ATTEMPTS`] times.
//! - **Exactly once**: the commit carries `Slipway-Deployment:
//!   <project>/<environment>#<id>`. A deployment taken over after a crash
//!   first looks for its commit on the branch and does not write twice.
//! - Nothing is kept but a bare cache of the repository under the data
//!   directory (`gitops/<hash of the URL>`); commits are built from trees,
//!   with no working copy.

use super::output::Output;
use super::Stop;
use crate::git::{redact, GitCredential};
use crate::Services;
use sha2::{Digest, Sha256};
use slipway_domain::deployment::gitops::{GitopsAdapter, KeyPath, Segment};
use slipway_domain::deployment::AdapterInput;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How many times a rejected push is written again on the new tip.
pub const ATTEMPTS: usize = 5;
/// How far back the branch is searched for a deployment's own commit.
const LOOK_BACK: usize = 200;

/// The trailer that names a deployment in its commit.
pub fn trailer(input: &AdapterInput) -> String {
    format!(
        "Slipway-Deployment: {}/{}#{}",
        input.project, input.environment, input.deployment_id
    )
}

/// The trailer that names the rollout step (by its weight) in the commit.
fn weight_trailer(input: &AdapterInput) -> String {
    format!("Slipway-Weight: {}", input.weight)
}

pub(super) async fn run(
    services: &Services,
    deployment: i64,
    adapter: &GitopsAdapter,
    input: &AdapterInput,
    stop: watch::Receiver<bool>,
) -> Result<(), Stop> {
    let out = Output::new(services, deployment);
    let result = run_with(services, adapter, input, stop, &out).await;
    match &result {
        Ok(()) => out.line("[finished]"),
        Err(Stop::Failed(why)) => out.line(&format!("[failed: {why}]")),
        Err(Stop::Cancelled) => out.line("[cancelled]"),
    }
    out.flush().await;
    result
}

async fn run_with(
    services: &Services,
    adapter: &GitopsAdapter,
    input: &AdapterInput,
    stop: watch::Receiver<bool>,
    out: &Output,
) -> Result<(), Stop> {
    let credential = match &adapter.credential {
        None => None,
        Some(name) => Some(services.git.credentials.get(name).cloned().ok_or_else(|| {
            Stop::Failed(format!(
                "no git credential named \u{201c}{name}\u{201d} in Slipway's configuration ([git_credentials.{name}])"
            ))
        })?),
    };
    let url = match crate::git::mirror::local_path(&adapter.repo_url) {
        None => adapter.repo_url.clone(),
        Some(path) => crate::git::mirror::allow_local(
            &path,
            &services.git.local_repositories,
            &services.git.data_dir,
        )
        .map_err(Stop::Failed)?
        .display()
        .to_string(),
    };
    let cache = cache_dir(&services.git.data_dir, &url);
    let job = Job {
        url: url.clone(),
        cache,
        adapter: adapter.clone(),
        input: input.clone(),
        credential,
        committer: ("Slipway".to_owned(), services.git.tagger_email.clone()),
        out: out.clone(),
        cancelled: Arc::new(AtomicBool::new(false)),
    };
    let cancelled = job.cancelled.clone();
    let watcher = tokio::spawn(async move {
        super::output::stopped(stop).await;
        cancelled.store(true, Ordering::SeqCst);
    });
    let flusher = out.keep_flushing();
    let lock = services.gitops_lock(&url);
    out.line(&format!(
        "Waiting for other pushes to {} from this Slipway to finish\u{2026}",
        redact(&url)
    ));
    let cancelled = job.cancelled.clone();
    let outcome = tokio::time::timeout(Duration::from_secs(u64::from(adapter.timeout_s)), async {
        let turn = lock.lock_owned().await;
        // The turn goes with the git work: after a timeout the work stops
        // at its next step, and only then may the next push (such as the
        // rollback's) begin in the same cache.
        let blocking = tokio::task::spawn_blocking(move || {
            let landed = job.land();
            drop(turn);
            landed
        });
        match blocking.await {
            Ok(r) => r,
            Err(e) => Err(Stop::Failed(format!(
                "the git work stopped unexpectedly: {e}"
            ))),
        }
    })
    .await
    .unwrap_or_else(|_| {
        cancelled.store(true, Ordering::SeqCst);
        Err(Stop::Failed(format!(
            "the push did not finish within {} s",
            adapter.timeout_s
        )))
    });
    watcher.abort();
    flusher.abort();
    outcome
}

/// The bare cache of one repository.
fn cache_dir(data_dir: &Path, url: &str) -> PathBuf {
    let hash = Sha256::digest(url.as_bytes());
    let name: String = hash.iter().take(12).map(|b| format!("{b:02x}")).collect();
    data_dir.join("gitops").join(format!("{name}.git"))
}

/// Everything the blocking git work needs.
struct Job {
    url: String,
    cache: PathBuf,
    adapter: GitopsAdapter,
    input: AdapterInput,
    credential: Option<GitCredential>,
    committer: (String, String),
    out: Output,
    cancelled: Arc<AtomicBool>,
}

/// A push that was refused because the branch moved: try again on top.
enum PushError {
    Moved(String),
    Failed(String),
}

impl Job {
    fn land(&self) -> Result<(), Stop> {
        let repo = self.open().map_err(Stop::Failed)?;
        let branch = &self.adapter.branch;
        let remote_ref = format!("refs/slipway/remote/{branch}");
        for attempt in 1..=ATTEMPTS {
            if self.cancelled.load(Ordering::SeqCst) {
                return Err(Stop::Cancelled);
            }
            self.out
                .line(&format!("Fetching {branch} from {}", redact(&self.url)));
            self.fetch(&repo, &remote_ref).map_err(Stop::Failed)?;
            let tip = repo
                .refname_to_id(&remote_ref)
                .map_err(|_| Stop::Failed(format!("the repository has no branch {branch}")))?;
            if let Some(landed) = self.find_own_commit(&repo, tip) {
                self.out.line(&format!(
                    "Commit {} for this deployment is already on {branch}; nothing to write again.",
                    short(landed)
                ));
                return Ok(());
            }
            let commit = match self.write_commit(&repo, tip).map_err(Stop::Failed)? {
                Some(c) => c,
                None => {
                    self.out.line(&format!(
                        "{} already holds {}; nothing to commit.",
                        self.adapter.path,
                        self.adapter.value.pick(&self.input)
                    ));
                    return Ok(());
                }
            };
            if self.cancelled.load(Ordering::SeqCst) {
                return Err(Stop::Cancelled);
            }
            self.out.line(&format!(
                "Pushing commit {} to {branch} (attempt {attempt} of {ATTEMPTS})",
                short(commit)
            ));
            match self.push(&repo, commit) {
                Ok(()) => {
                    self.out.line(&format!(
                        "Pushed {} to {branch}: {}",
                        short(commit),
                        trailer(&self.input)
                    ));
                    return Ok(());
                }
                Err(PushError::Moved(why)) if attempt < ATTEMPTS => {
                    self.out.line(&format!(
                        "The push was rejected ({why}): someone else pushed first. Fetching again and writing the change on top."
                    ));
                    // Back off a little, more each time, so two writers
                    // that keep colliding drift apart.
                    #[expect(
                        clippy::disallowed_methods,
                        reason = "the git work runs on a blocking thread (spawn_blocking), never on the runtime"
                    )]
                    std::thread::sleep(Duration::from_millis(100 * attempt as u64));
                }
                Err(PushError::Moved(why)) => {
                    return Err(Stop::Failed(format!(
                        "the push to {branch} was rejected {ATTEMPTS} times ({why}); another writer keeps pushing first"
                    )))
                }
                Err(PushError::Failed(why)) => return Err(Stop::Failed(why)),
            }
        }
        Err(Stop::Failed("the push did not land".into()))
    }

    fn open(&self) -> Result<git2::Repository, String> {
        let opened = if self.cache.join("HEAD").exists() {
            git2::Repository::open_bare(&self.cache)
        } else {
            std::fs::create_dir_all(&self.cache)
                .map_err(|e| format!("could not create the repository cache: {e}"))?;
            git2::Repository::init_bare(&self.cache)
        };
        opened.map_err(|e| format!("could not open the repository cache: {}", e.message()))
    }

    fn callbacks(&self) -> git2::RemoteCallbacks<'_> {
        let mut callbacks = git2::RemoteCallbacks::new();
        callbacks.credentials(GitCredential::callback(self.credential.as_ref()));
        callbacks
    }

    fn fetch(&self, repo: &git2::Repository, remote_ref: &str) -> Result<(), String> {
        let mut remote = repo
            .remote_anonymous(&self.url)
            .map_err(|e| redact(e.message()))?;
        let mut options = git2::FetchOptions::new();
        options
            .remote_callbacks(self.callbacks())
            .download_tags(git2::AutotagOption::None);
        let spec = format!("+refs/heads/{}:{remote_ref}", self.adapter.branch);
        remote
            .fetch(&[spec.as_str()], Some(&mut options), None)
            .map_err(|e| {
                format!(
                    "could not fetch {} from {}: {}",
                    self.adapter.branch,
                    redact(&self.url),
                    redact(e.message())
                )
            })
    }

    /// This deployment step's commit among the last commits of the branch:
    /// its trailers (deployment and weight) and its artifact line.
    fn find_own_commit(&self, repo: &git2::Repository, tip: git2::Oid) -> Option<git2::Oid> {
        let wanted = [
            trailer(&self.input),
            weight_trailer(&self.input),
            format!("Artifact: {}", self.input.artifact),
        ];
        let mut walk = repo.revwalk().ok()?;
        walk.push(tip).ok()?;
        walk.take(LOOK_BACK).flatten().find(|id| {
            repo.find_commit(*id)
                .ok()
                .and_then(|c| {
                    c.message().map(|m| {
                        wanted
                            .iter()
                            .all(|w| m.lines().any(|l| l.trim() == w.as_str()))
                    })
                })
                .unwrap_or(false)
        })
    }

    /// The commit writing the value on top of `tip`; `None` when the file
    /// already holds it.
    fn write_commit(
        &self,
        repo: &git2::Repository,
        tip: git2::Oid,
    ) -> Result<Option<git2::Oid>, String> {
        let parent = repo.find_commit(tip).map_err(|e| e.message().to_owned())?;
        let tree = parent.tree().map_err(|e| e.message().to_owned())?;
        let path = Path::new(&self.adapter.path);
        let old = match tree.get_path(path) {
            Ok(entry) => {
                let blob = repo
                    .find_blob(entry.id())
                    .map_err(|_| format!("{} is not a file", self.adapter.path))?;
                Some(
                    String::from_utf8(blob.content().to_vec())
                        .map_err(|_| format!("{} is not UTF-8 text", self.adapter.path))?,
                )
            }
            Err(_) => None,
        };
        let value = self.adapter.value.pick(&self.input);
        let new = match (&self.adapter.key, &old) {
            (None, _) => format!("{value}\n"),
            (Some(_), None) => {
                return Err(format!(
                    "{} does not exist on branch {}: create it with the key {} first",
                    self.adapter.path,
                    self.adapter.branch,
                    self.adapter
                        .key
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ))
            }
            (Some(key), Some(old)) => {
                let mut text = set_yaml(old, key, yaml_serde::Value::String(value.to_owned()))
                    .map_err(|why| format!("{}: {why}", self.adapter.path))?;
                if let Some(weight_key) = &self.adapter.weight_key {
                    let weight = yaml_serde::Value::Number(self.input.weight.into());
                    text = set_yaml(&text, weight_key, weight)
                        .map_err(|why| format!("{}: {why}", self.adapter.path))?;
                }
                text
            }
        };
        if old.as_deref() == Some(new.as_str()) {
            return Ok(None);
        }
        self.out.line(&format!(
            "Writing {value} into {}{}",
            self.adapter.path,
            self.adapter
                .key
                .as_ref()
                .map(|k| format!(" at {k}"))
                .unwrap_or_default()
        ));
        let blob = repo
            .blob(new.as_bytes())
            .map_err(|e| e.message().to_owned())?;
        let mut update = git2::build::TreeUpdateBuilder::new();
        update.upsert(path, blob, git2::FileMode::Blob);
        let new_tree = update
            .create_updated(repo, &tree)
            .map_err(|e| e.message().to_owned())?;
        let new_tree = repo
            .find_tree(new_tree)
            .map_err(|e| e.message().to_owned())?;
        let who = git2::Signature::now(&self.committer.0, &self.committer.1)
            .map_err(|e| e.message().to_owned())?;
        let commit = repo
            .commit(None, &who, &who, &self.message(), &new_tree, &[&parent])
            .map_err(|e| e.message().to_owned())?;
        Ok(Some(commit))
    }

    fn message(&self) -> String {
        let i = &self.input;
        let (kind, what) = if i.rollback {
            ("rollback", format!("{} back to {}", i.project, i.version))
        } else {
            ("deploy", format!("{} {}", i.project, i.version))
        };
        let mut body = format!(
            "{kind}({}): {what}\n\nSlipway deployment {} of {} {} to {}, requested by {}.\nArtifact: {}\n",
            i.environment, i.deployment_id, i.project, i.version, i.environment, i.requested_by, i.artifact
        );
        if let Some(prev) = &i.previous_digest {
            body.push_str(&format!("Replaces: {prev}\n"));
        }
        if i.weight < 100 {
            body.push_str(&format!("Rollout weight: {}%\n", i.weight));
        }
        body.push('\n');
        body.push_str(&trailer(i));
        body.push('\n');
        body.push_str(&weight_trailer(i));
        body.push('\n');
        body
    }

    fn push(&self, repo: &git2::Repository, commit: git2::Oid) -> Result<(), PushError> {
        // One ref per deployment: two pushes never share one.
        let local = format!("refs/slipway/push/{}", self.input.deployment_id);
        let local = local.as_str();
        repo.reference(local, commit, true, "slipway: gitops push")
            .map_err(|e| PushError::Failed(e.message().to_owned()))?;
        let mut remote = repo
            .remote_anonymous(&self.url)
            .map_err(|e| PushError::Failed(redact(e.message())))?;
        let mut rejected: Option<String> = None;
        {
            let mut callbacks = self.callbacks();
            callbacks.push_update_reference(|_name, status| {
                if let Some(msg) = status {
                    rejected = Some(msg.to_owned());
                }
                Ok(())
            });
            let mut options = git2::PushOptions::new();
            options.remote_callbacks(callbacks);
            // No '+': a branch that moved since the fetch is refused.
            let spec = format!("{local}:refs/heads/{}", self.adapter.branch);
            if let Err(e) = remote.push(&[spec.as_str()], Some(&mut options)) {
                let msg = redact(e.message());
                return Err(if moved(&msg) {
                    PushError::Moved(msg)
                } else {
                    PushError::Failed(format!("could not push to {}: {msg}", redact(&self.url)))
                });
            }
        }
        match rejected {
            None => Ok(()),
            // A hook or a protected branch refusing is not a race: those
            // are reported as they are (a retry would be refused again)
            // — unless the refusal says the branch moved.
            Some(msg)
                if moved(&msg)
                    || msg.contains("failed to update ref")
                    || msg.contains("failed to lock") =>
            {
                Err(PushError::Moved(msg))
            }
            Some(msg) => Err(PushError::Failed(format!(
                "the repository refused the push: {}",
                redact(&msg)
            ))),
        }
    }
}

/// Whether a push error says the branch moved since it was fetched.
fn moved(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("non-fast-forward")
        || m.contains("fetch first")
        || m.contains("not present locally")
        || m.contains("cannot lock ref")
        || m.contains("is at")
}

fn short(id: git2::Oid) -> String {
    id.to_string().chars().take(7).collect()
}

/// Writes `value` (a string is plain when it can be, quoted when it must)
/// at `key` in the YAML `text`, keeping every other byte of the file. The
/// key must exist and hold a single value.
pub fn set_yaml(text: &str, key: &KeyPath, value: yaml_serde::Value) -> Result<String, String> {
    let doc = yamlpath::Document::new(text.to_owned()).map_err(|e| format!("{e}"))?;
    let tree: yaml_serde::Value =
        yaml_serde::from_str(text).map_err(|e| format!("is not valid YAML ({e})"))?;
    let mut components = Vec::new();
    let mut at = &tree;
    let mut walked = String::new();
    for segment in key.segments() {
        let shown = if walked.is_empty() {
            "the top of the file".to_owned()
        } else {
            walked.clone()
        };
        match segment {
            Segment::Key(k) => {
                let next = at
                    .as_mapping()
                    .and_then(|m| m.get(yaml_serde::Value::String(k.clone())))
                    .ok_or_else(|| {
                        format!("the key path {key} does not exist: {shown} has no key \u{201c}{k}\u{201d}")
                    })?;
                components.push(yamlpath::Component::Key(k.clone().into()));
                at = next;
                if !walked.is_empty() {
                    walked.push('.');
                }
                walked.push_str(k);
            }
            Segment::Index(n) => {
                let list = at.as_sequence().ok_or_else(|| {
                    format!("the key path {key} does not exist: {shown} is not a list")
                })?;
                at = list.get(*n).ok_or_else(|| {
                    format!(
                        "the key path {key} does not exist: {shown} has {} items, not {}",
                        list.len(),
                        n + 1
                    )
                })?;
                components.push(yamlpath::Component::Index(*n));
                walked.push_str(&format!("[{n}]"));
            }
            Segment::Match {
                field,
                value: wanted,
            } => {
                let list = at.as_sequence().ok_or_else(|| {
                    format!("the key path {key} does not exist: {shown} is not a list")
                })?;
                let found = list.iter().position(|item| {
                    item.as_mapping()
                        .and_then(|m| m.get(yaml_serde::Value::String(field.clone())))
                        .and_then(scalar_text)
                        .is_some_and(|v| v == *wanted)
                });
                let n = found.ok_or_else(|| {
                    format!("the key path {key} does not exist: no item of {shown} has {field}={wanted}")
                })?;
                at = &list[n];
                components.push(yamlpath::Component::Index(n));
                walked.push_str(&format!("[{field}={wanted}]"));
            }
        }
    }
    if at.is_mapping() || at.is_sequence() {
        return Err(format!(
            "{key} holds a {} , not a single value: point the key path at the value itself (such as {key}.digest)",
            if at.is_mapping() { "mapping" } else { "list" }
        ));
    }
    let patch = yamlpatch::Patch {
        route: yamlpath::Route::from(components),
        operation: yamlpatch::Op::Replace(value),
    };
    let patched = yamlpatch::apply_yaml_patches(&doc, &[patch])
        .map_err(|e| format!("could not write {key}: {e}"))?;
    Ok(patched.source().to_owned())
}

fn scalar_text(v: &yaml_serde::Value) -> Option<String> {
    match v {
        yaml_serde::Value::String(s) => Some(s.clone()),
        yaml_serde::Value::Number(n) => Some(n.to_string()),
        yaml_serde::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(s: &str) -> KeyPath {
        KeyPath::parse(s).unwrap()
    }

    fn set(text: &str, k: &str, value: &str) -> Result<String, String> {
        set_yaml(text, &key(k), yaml_serde::Value::String(value.to_owned()))
    }

    const VALUES: &str = "# Helm values for production\nreplicas: 3\nimage:\n  repository: registry.example.com/shop/api  # where it lives\n  digest: sha256:aaaa\n  pullPolicy: IfNotPresent\n";

    #[test]
    fn a_helm_value_is_replaced_and_every_other_byte_stays() {
        let out = set(VALUES, "image.digest", "sha256:bbbb").unwrap();
        assert_eq!(out, VALUES.replace("sha256:aaaa", "sha256:bbbb"));
    }

    #[test]
    fn a_kustomize_image_is_chosen_by_its_name() {
        let text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: shop/web\n    digest: sha256:1111\n  - name: shop/api\n    newName: registry.example.com/shop/api\n    digest: sha256:2222\n";
        let out = set(text, "images[name=shop/api].digest", "sha256:9999").unwrap();
        assert_eq!(out, text.replace("sha256:2222", "sha256:9999"));
        let err = set(text, "images[name=shop/db].digest", "x").unwrap_err();
        assert!(err.contains("no item of images has name=shop/db"), "{err}");
    }

    #[test]
    fn a_list_item_by_position_can_be_written() {
        let text = "spec:\n  containers:\n    - name: api\n      image: registry.example.com/shop/api@sha256:aaaa\n";
        let out = set(
            text,
            "spec.containers[0].image",
            "registry.example.com/shop/api@sha256:bbbb",
        )
        .unwrap();
        assert_eq!(out, text.replace("sha256:aaaa", "sha256:bbbb"));
        let err = set(text, "spec.containers[3].image", "x").unwrap_err();
        assert!(err.contains("has 1 items, not 4"), "{err}");
    }

    #[test]
    fn a_key_path_that_does_not_exist_is_named() {
        let err = set(VALUES, "image.tag", "x").unwrap_err();
        assert!(
            err.contains("image.tag does not exist") && err.contains("image has no key"),
            "{err}"
        );
        let err = set(VALUES, "deploy.digest", "x").unwrap_err();
        assert!(err.contains("the top of the file has no key"), "{err}");
        let err = set(VALUES, "image", "x").unwrap_err();
        assert!(err.contains("not a single value"), "{err}");
        let err = set("a: [1\n", "a", "x").unwrap_err();
        assert!(!err.is_empty());
    }

    #[test]
    fn a_weight_is_written_as_a_number() {
        let text = "rollout:\n  weight: 100\n";
        let out = set_yaml(
            text,
            &key("rollout.weight"),
            yaml_serde::Value::Number(10.into()),
        )
        .unwrap();
        assert_eq!(out, "rollout:\n  weight: 10\n");
    }

    #[test]
    fn the_cache_is_one_directory_per_repository() {
        let a = cache_dir(Path::new("/data"), "git://h/a.git");
        let b = cache_dir(Path::new("/data"), "git://h/b.git");
        assert_ne!(a, b);
        assert!(a.starts_with("/data/gitops"));
        assert_eq!(a, cache_dir(Path::new("/data"), "git://h/a.git"));
    }
}
