//! A project's mirror: a bare repository under the data directory that
//! holds every branch and tag of the remote, fetched with git2.

use super::{redact, GitCredential, GitError};
use std::path::{Path, PathBuf};

const REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// Creates the mirror on first use, then fetches everything (pruning
/// branches and tags deleted on the remote). `url` is a local path or a
/// file://, git://, ssh:// or https:// URL.
pub fn sync(url: &str, dir: &Path, cred: Option<&GitCredential>) -> Result<(), GitError> {
    let repo = if dir.join("HEAD").exists() {
        git2::Repository::open_bare(dir).map_err(GitError::read)?
    } else {
        std::fs::create_dir_all(dir).map_err(GitError::read)?;
        git2::Repository::init_bare(dir).map_err(GitError::read)?
    };
    match repo.find_remote("origin") {
        Ok(r) if r.url() == Some(url) => {}
        Ok(_) => repo.remote_set_url("origin", url).map_err(GitError::read)?,
        Err(_) => {
            repo.remote_with_fetch("origin", url, REFSPECS[0])
                .map_err(GitError::read)?;
            repo.remote_add_fetch("origin", REFSPECS[1])
                .map_err(GitError::read)?;
        }
    }
    let mut remote = repo.find_remote("origin").map_err(GitError::read)?;
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.credentials(GitCredential::callback(cred));
    let mut options = git2::FetchOptions::new();
    options
        .remote_callbacks(callbacks)
        .prune(git2::FetchPrune::On)
        .download_tags(git2::AutotagOption::All);
    remote
        .fetch(&REFSPECS, Some(&mut options), Some("slipway: fetch"))
        .map_err(|e| GitError::Remote(redact(e.message())))?;
    // Point HEAD at the remote's default branch when it told us.
    if let Ok(head) = remote.default_branch() {
        if let Some(name) = head.as_str() {
            let _ = repo.set_head(name);
        }
    }
    write_commit_graph(dir);
    Ok(())
}

/// Best effort: a commit-graph file lets history walks skip reading every
/// commit object (whole-history changelogs get ~1.5x faster). Neither gix
/// nor git2 writes one, so this asks the `git` command when it is installed;
/// without it everything still works, only slower on very large histories.
fn write_commit_graph(dir: &Path) {
    let result = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args([
            "commit-graph",
            "write",
            "--reachable",
            "--split",
            "--no-progress",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match result {
        Ok(status) if status.success() => {}
        Ok(status) => tracing::debug!(%status, "git commit-graph write failed"),
        Err(e) => {
            tracing::debug!(error = %e, "git is not installed; no commit-graph for the mirror")
        }
    }
}

/// The one answer for a local path Slipway may not read, whether or not it
/// exists (so the message cannot be used to probe the server's disk).
pub const LOCAL_NOT_ALLOWED: &str = "Slipway may not read a repository from that path. Local \
    paths must exist inside a directory that the server's local_repositories setting lists \
    (none by default); otherwise use a URL such as https://git.example.com/team/app.git.";

/// The path a repository URL names on this machine: `/srv/git/app` or
/// `file:///srv/git/app`. `None` for network URLs.
pub fn local_path(url: &str) -> Option<PathBuf> {
    let url = url.trim();
    if let Some(rest) = url.strip_prefix("file://") {
        // file:///path or file://localhost/path; another host is still local
        // to git (and refused by `allow_local`, having no absolute path).
        let path = rest.strip_prefix("localhost").unwrap_or(rest);
        return Some(PathBuf::from(path));
    }
    url.starts_with('/').then(|| PathBuf::from(url))
}

/// Where `--seed-demo` keeps the demo's own repository, inside the data
/// directory (see [`allow_local`]).
pub const DEMO_DIR: &str = "demo";

/// Local repositories are opt-in per installation: `path` must resolve
/// (after symlinks and `..`) inside one of `allowed` and outside Slipway's
/// own `data_dir` (the mirrors of every project live there). Returns the
/// resolved path, which is what gets fetched. Every refusal is
/// [`LOCAL_NOT_ALLOWED`], whether the path exists or not.
///
/// One exception: the demo's own repository, which `--seed-demo` creates
/// under `data_dir/demo/` (only the demo's files are there, never mirrors).
pub fn allow_local(path: &Path, allowed: &[PathBuf], data_dir: &Path) -> Result<PathBuf, String> {
    let refused = || LOCAL_NOT_ALLOWED.to_owned();
    if !path.is_absolute() || path.to_string_lossy().contains('%') {
        return Err(refused());
    }
    let resolved = path.canonicalize().map_err(|_| refused())?;
    // The data directory may not exist yet; compare with what it will be.
    let data = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    if resolved.starts_with(data.join(DEMO_DIR)) {
        return Ok(resolved);
    }
    if allowed.is_empty() || resolved.starts_with(&data) {
        return Err(refused());
    }
    if !allowed.iter().any(|dir| resolved.starts_with(dir)) {
        return Err(refused());
    }
    Ok(resolved)
}

/// Checks that `url` names a repository Slipway can fetch, without
/// touching the network. Credentials belong in configuration, never in
/// the URL.
pub fn validate_url(url: &str) -> Result<(), String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("Enter the repository's URL or local path.".into());
    }
    if url.len() > 2000 || url.chars().any(char::is_control) {
        return Err("That is not a repository URL.".into());
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        if !["https", "http", "ssh", "git", "file"].contains(&scheme) {
            return Err(format!(
                "Slipway cannot fetch {scheme}:// URLs: use https://, ssh://, git://, file:// or a local path."
            ));
        }
        let authority = rest.split('/').next().unwrap_or_default();
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            // A user name alone is how ssh URLs name the account (git@);
            // over http(s) anything before @ is a secret or a token.
            if userinfo.contains(':') || matches!(scheme, "https" | "http") {
                return Err("Do not put a user name, password or token in the URL: configure a credential and choose it below.".into());
            }
        }
        if scheme != "file" && authority.is_empty() {
            return Err("The URL has no host.".into());
        }
        return Ok(());
    }
    if url.starts_with('/') {
        return Ok(());
    }
    // scp-like ssh: git@host:org/repo.git
    if let Some((host, path)) = url.split_once(':') {
        if !host.is_empty() && !path.is_empty() && !host.contains('/') {
            return Ok(());
        }
    }
    Err("Use an absolute local path or a URL such as https://git.example.com/team/app.git.".into())
}

#[cfg(test)]
mod tests {
    use super::{allow_local, local_path, validate_url, LOCAL_NOT_ALLOWED};
    use std::path::PathBuf;

    #[test]
    fn local_paths_are_recognised() {
        assert_eq!(local_path("/srv/git/a"), Some(PathBuf::from("/srv/git/a")));
        assert_eq!(
            local_path("file:///srv/git/a"),
            Some(PathBuf::from("/srv/git/a"))
        );
        assert_eq!(
            local_path("file://localhost/srv/a"),
            Some(PathBuf::from("/srv/a"))
        );
        assert_eq!(local_path("https://h/a.git"), None);
        assert_eq!(local_path("git@h:a.git"), None);
    }

    #[test]
    fn local_paths_are_refused_alike_unless_inside_an_allowed_directory() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        let allowed = root.join("repos");
        let data = root.join("data");
        std::fs::create_dir_all(allowed.join("a.git")).unwrap();
        std::fs::create_dir_all(data.join("mirrors/2.git")).unwrap();
        std::os::unix::fs::symlink(data.join("mirrors/2.git"), allowed.join("link.git")).unwrap();
        let list = vec![allowed.clone()];
        assert_eq!(
            allow_local(&allowed.join("a.git"), &list, &data),
            Ok(allowed.join("a.git"))
        );
        for refused in [
            allowed.join("missing.git"),           // does not exist
            data.join("mirrors/2.git"),            // another project's mirror
            allowed.join("../data/mirrors/2.git"), // .. out of the list
            allowed.join("link.git"),              // a symlink out of the list
            root.join("elsewhere"),                // not listed
            PathBuf::from("relative/a.git"),
        ] {
            assert_eq!(
                allow_local(&refused, &list, &data),
                Err(LOCAL_NOT_ALLOWED.to_owned()),
                "{}",
                refused.display()
            );
        }
        // Nothing is allowed when the list is empty (the default).
        assert!(allow_local(&allowed.join("a.git"), &[], &data).is_err());
    }

    #[test]
    fn urls_and_paths() {
        for ok in [
            "https://github.com/acme/shop.git",
            "ssh://git@git.example.com:2222/acme/shop.git",
            "git://127.0.0.1:9418/shop.git",
            "file:///srv/git/shop.git",
            "/srv/git/shop",
            "git@github.com:acme/shop.git",
        ] {
            assert_eq!(validate_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "shop",
            "ftp://example.com/x",
            "https://bot:token@github.com/acme/shop.git",
            "https://ghp_TOKEN@github.com/acme/shop.git",
            "https:///x",
            "relative/path",
        ] {
            assert!(validate_url(bad).is_err(), "{bad}");
        }
    }
}
