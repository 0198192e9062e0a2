//! Writing to repositories: annotated release tags and release/hotfix
//! branches, created locally and pushed, with clear refusals. A push that
//! fails removes what was created locally, so the repository and the
//! remote never disagree about a release.

use super::{redact, GitCredential, GitError};
use std::path::Path;

/// Where to push, and as whom.
pub struct Push<'a> {
    /// A remote name (`origin`) or URL.
    pub remote: &'a str,
    pub credential: Option<&'a GitCredential>,
}

/// An annotated tag to create.
pub struct TagRequest<'a> {
    pub name: &'a str,
    /// The commit to tag (id or ref).
    pub target: &'a str,
    pub message: &'a str,
    pub tagger_name: &'a str,
    pub tagger_email: &'a str,
    /// Refuse unless the commit is on this branch.
    pub expected_branch: Option<&'a str>,
}

/// What was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub name: String,
    pub commit: String,
}

/// The tagger for command-line tags: git's configured `user.name` and
/// `user.email`, or Slipway.
pub fn default_tagger(path: &Path) -> (String, String) {
    git2::Repository::open(path)
        .and_then(|r| {
            r.signature()
                .map(|s| (s.name().map(str::to_owned), s.email().map(str::to_owned)))
        })
        .ok()
        .and_then(|(n, e)| Some((n?, e?)))
        .unwrap_or_else(|| ("Slipway".into(), "slipway@localhost".into()))
}

fn open(path: &Path) -> Result<git2::Repository, GitError> {
    git2::Repository::open(path).map_err(|_| GitError::NotARepository(path.display().to_string()))
}

fn commit_of<'r>(repo: &'r git2::Repository, rev: &str) -> Result<git2::Commit<'r>, GitError> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| GitError::UnknownRef(rev.to_owned()))
}

fn short(id: git2::Oid) -> String {
    id.to_string().chars().take(7).collect()
}

/// The tip of a branch: a local branch, or `origin/<name>` in a clone.
fn branch_tip(repo: &git2::Repository, branch: &str) -> Option<git2::Oid> {
    [
        format!("refs/heads/{branch}"),
        format!("refs/remotes/origin/{branch}"),
    ]
    .iter()
    .find_map(|r| repo.refname_to_id(r).ok())
}

/// Creates an annotated tag whose message is `message` and pushes it.
pub fn tag(
    path: &Path,
    req: &TagRequest<'_>,
    push: Option<&Push<'_>>,
) -> Result<Created, GitError> {
    let repo = open(path)?;
    if !git2::Reference::is_valid_name(&format!("refs/tags/{}", req.name)) {
        return Err(GitError::Refused(format!(
            "\"{}\" is not a valid tag name.",
            req.name
        )));
    }
    let commit = commit_of(&repo, req.target)?;
    if let Ok(existing) = repo.refname_to_id(&format!("refs/tags/{}", req.name)) {
        let on = repo
            .find_object(existing, None)
            .and_then(|o| o.peel_to_commit())
            .map(|c| short(c.id()))
            .unwrap_or_else(|_| short(existing));
        return Err(GitError::Refused(format!(
            "The tag {} already exists (on commit {on}); a published release is never moved. Choose the next version instead.",
            req.name
        )));
    }
    if let Some(branch) = req.expected_branch {
        let tip = branch_tip(&repo, branch).ok_or_else(|| {
            GitError::Refused(format!(
                "There is no branch \"{branch}\" in the repository."
            ))
        })?;
        let on_branch = tip == commit.id()
            || repo
                .graph_descendant_of(tip, commit.id())
                .map_err(GitError::read)?;
        if !on_branch {
            return Err(GitError::Refused(format!(
                "Commit {} is not on branch {branch}: release from a commit that is.",
                short(commit.id())
            )));
        }
    }
    let tagger = git2::Signature::now(req.tagger_name, req.tagger_email).map_err(GitError::read)?;
    repo.tag(req.name, commit.as_object(), &tagger, req.message, false)
        .map_err(GitError::read)?;
    let refname = format!("refs/tags/{}", req.name);
    if let Some(push) = push {
        if let Err(e) = push_refs(&repo, push, &refname) {
            // Keep the repository consistent with the remote.
            if let Ok(mut r) = repo.find_reference(&refname) {
                let _ = r.delete();
            }
            return Err(e);
        }
    }
    Ok(Created {
        name: req.name.to_owned(),
        commit: commit.id().to_string(),
    })
}

/// Creates branch `name` at `from` and pushes it.
pub fn branch(
    path: &Path,
    name: &str,
    from: &str,
    push: Option<&Push<'_>>,
) -> Result<Created, GitError> {
    let repo = open(path)?;
    if !git2::Branch::name_is_valid(name).unwrap_or(false) {
        return Err(GitError::Refused(format!(
            "\"{name}\" is not a valid branch name."
        )));
    }
    let commit = commit_of(&repo, from)?;
    if repo.find_branch(name, git2::BranchType::Local).is_ok() {
        return Err(GitError::Refused(format!(
            "The branch {name} already exists."
        )));
    }
    repo.branch(name, &commit, false).map_err(GitError::read)?;
    let refname = format!("refs/heads/{name}");
    if let Some(push) = push {
        if let Err(e) = push_refs(&repo, push, &refname) {
            if let Ok(mut b) = repo.find_branch(name, git2::BranchType::Local) {
                let _ = b.delete();
            }
            return Err(e);
        }
    }
    Ok(Created {
        name: name.to_owned(),
        commit: commit.id().to_string(),
    })
}

fn push_refs(repo: &git2::Repository, push: &Push<'_>, refname: &str) -> Result<(), GitError> {
    let mut remote = repo
        .find_remote(push.remote)
        .or_else(|_| repo.remote_anonymous(push.remote))
        .map_err(|_| GitError::Remote(format!("no remote named \"{}\"", push.remote)))?;
    // Never overwrite: a ref that already exists on the remote is refused
    // before anything is sent. (Probed with a fetch of just that ref:
    // git2's `RemoteConnection::list` is unsound on a remote with no refs.)
    if remote_has(repo, &mut remote, push, refname)? {
        let short = refname.rsplit('/').next().unwrap_or(refname);
        return Err(GitError::PushRejected(format!(
            "{short} already exists on the remote; nothing was changed."
        )));
    }
    let mut rejected: Option<String> = None;
    {
        let mut callbacks = git2::RemoteCallbacks::new();
        callbacks.credentials(GitCredential::callback(push.credential));
        callbacks.push_update_reference(|name, status| {
            if let Some(msg) = status {
                rejected = Some(format!("{name}: {msg}"));
            }
            Ok(())
        });
        let mut options = git2::PushOptions::new();
        options.remote_callbacks(callbacks);
        // No '+': never overwrite anything on the remote.
        let spec = format!("{refname}:{refname}");
        remote
            .push(&[spec.as_str()], Some(&mut options))
            .map_err(|e| classify_push_error(e.message()))?;
    }
    match rejected {
        Some(msg) => Err(GitError::PushRejected(redact(&msg))),
        None => Ok(()),
    }
}

fn remote_has(
    repo: &git2::Repository,
    remote: &mut git2::Remote<'_>,
    push: &Push<'_>,
    refname: &str,
) -> Result<bool, GitError> {
    const PROBE: &str = "refs/slipway/probe";
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.credentials(GitCredential::callback(push.credential));
    let mut options = git2::FetchOptions::new();
    options
        .remote_callbacks(callbacks)
        .download_tags(git2::AutotagOption::None)
        .update_fetchhead(false);
    let spec = format!("+{refname}:{PROBE}");
    remote
        .fetch(&[spec.as_str()], Some(&mut options), None)
        .map_err(|e| GitError::Remote(redact(e.message())))?;
    match repo.find_reference(PROBE) {
        Ok(mut probe) => {
            let _ = probe.delete();
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

fn classify_push_error(message: &str) -> GitError {
    let m = redact(message);
    let lower = m.to_lowercase();
    if lower.contains("reject")
        || lower.contains("denied")
        || lower.contains("hook")
        || lower.contains("already exists")
    {
        GitError::PushRejected(m)
    } else {
        GitError::Remote(m)
    }
}
