//! Forward-merge check: which commits of a release or hotfix branch are not
//! yet on the main branch. Commits are compared by patch-id (the diff, not
//! the commit id), so a fix cherry-picked to main counts as merged — the
//! question `git cherry` answers.

use super::GitError;
use std::collections::HashSet;
use std::path::Path;

/// A commit waiting to be merged forward.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unmerged {
    pub id: String,
    pub subject: String,
}

/// Commits on `branch` whose change is not on `main`, newest first.
pub fn unmerged(path: &Path, branch: &str, main: &str) -> Result<Vec<Unmerged>, GitError> {
    let repo = git2::Repository::open(path)
        .map_err(|_| GitError::NotARepository(path.display().to_string()))?;
    let tip = |name: &str| {
        repo.revparse_single(name)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|_| GitError::UnknownRef(name.to_owned()))
    };
    let (branch_tip, main_tip) = (tip(branch)?, tip(main)?);
    let only_on = |include: git2::Oid, exclude: git2::Oid| -> Result<Vec<git2::Oid>, GitError> {
        let mut walk = repo.revwalk().map_err(GitError::read)?;
        walk.push(include).map_err(GitError::read)?;
        walk.hide(exclude).map_err(GitError::read)?;
        walk.collect::<Result<Vec<_>, _>>().map_err(GitError::read)
    };
    let patch_id = |id: git2::Oid| -> Result<Option<git2::Oid>, GitError> {
        let commit = repo.find_commit(id).map_err(GitError::read)?;
        if commit.parent_count() > 1 {
            return Ok(None); // merges carry no change of their own
        }
        let tree = commit.tree().map_err(GitError::read)?;
        let parent_tree = match commit.parent(0) {
            Ok(p) => Some(p.tree().map_err(GitError::read)?),
            Err(_) => None,
        };
        let diff = repo
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
            .map_err(GitError::read)?;
        diff.patchid(None).map(Some).map_err(GitError::read)
    };
    let on_main: HashSet<git2::Oid> = only_on(main_tip, branch_tip)?
        .into_iter()
        .filter_map(|id| patch_id(id).transpose())
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for id in only_on(branch_tip, main_tip)? {
        let Some(pid) = patch_id(id)? else { continue };
        if on_main.contains(&pid) {
            continue;
        }
        let commit = repo.find_commit(id).map_err(GitError::read)?;
        out.push(Unmerged {
            id: id.to_string(),
            subject: commit.summary().unwrap_or_default().to_owned(),
        });
    }
    Ok(out)
}

/// Branches that must be merged forward: `release/*` and `hotfix/*`.
pub fn forward_branches(path: &Path) -> Result<Vec<String>, GitError> {
    let repo = git2::Repository::open(path)
        .map_err(|_| GitError::NotARepository(path.display().to_string()))?;
    let mut names = Vec::new();
    for b in repo
        .branches(Some(git2::BranchType::Local))
        .map_err(GitError::read)?
    {
        let (b, _) = b.map_err(GitError::read)?;
        if let Ok(Some(name)) = b.name() {
            if name.starts_with("release/") || name.starts_with("hotfix/") {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    Ok(names)
}
