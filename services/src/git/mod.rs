//! Git: reading history (gix, fast) and writing tags and branches and
//! pushing them (git2, because gix cannot push yet). Everything here is
//! blocking; async callers wrap it in `spawn_blocking`.
//!
//! - [`history`]: open a repository, resolve refs, list release tags, walk
//!   release ranges, the whole graph for changelogs and "where is my change".
//! - [`mirror`]: the per-project mirror under the data directory, fetched
//!   with the configured credentials.
//! - [`publish`]: annotated tags and release/hotfix branches, pushed.
//! - [`cherry`]: forward-merge checks by patch-id.

pub mod cherry;
pub mod credentials;
pub mod history;
pub mod mirror;
pub mod publish;

#[cfg(any(test, feature = "fixtures"))]
pub mod fixture;

pub use credentials::GitCredential;

/// Bounds every network operation of libgit2 (fetches and pushes over
/// git://, http(s) and ssh): connecting, and then each read or write, may
/// take at most `timeout`. Without it a remote that accepts a connection and
/// never answers holds a thread and a socket forever. Process-wide; the
/// first call wins (later calls, e.g. from tests, are ignored).
pub fn set_network_timeout(timeout: std::time::Duration) {
    static SET: std::sync::Once = std::sync::Once::new();
    SET.call_once(|| {
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: these change libgit2's global options, which must not race
        // with other libgit2 calls. `Once` runs this exactly once, and the
        // server calls it while preparing, before it serves a request or
        // starts a job (so before any other libgit2 use in the process).
        #[allow(unsafe_code)]
        let result = unsafe {
            git2::opts::set_server_connect_timeout_in_milliseconds(ms)
                .and_then(|()| git2::opts::set_server_timeout_in_milliseconds(ms))
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not set the git network timeout");
        }
    });
}
pub use history::{GitCommit, Graph, Repo, VersionTag};

/// What can go wrong with a repository, in words a user can act on. Never
/// carries credentials: remote errors are passed through [`redact`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GitError {
    #[error("{0} is not a git repository.")]
    NotARepository(String),
    #[error("The repository has no commits yet.")]
    Empty,
    #[error("Unknown ref \"{0}\": it is not a branch, tag or commit in this repository.")]
    UnknownRef(String),
    /// A publish or branch operation that the repository state forbids.
    #[error("{0}")]
    Refused(String),
    #[error("The remote rejected the push: {0}")]
    PushRejected(String),
    #[error("Could not reach the remote: {0}")]
    Remote(String),
    #[error("Reading the repository failed: {0}")]
    Read(String),
}

impl GitError {
    pub(crate) fn read(e: impl std::fmt::Display) -> Self {
        GitError::Read(redact(&e.to_string()))
    }
}

/// Removes anything that looks like a credential from a message: the
/// user-info part of URLs (`https://user:secret@host` -> `https://***@host`).
pub fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '/' || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_user_info_in_urls() {
        assert_eq!(
            redact("failed https://bot:s3cret@git.example.com/a.git now"),
            "failed https://***@git.example.com/a.git now"
        );
        assert_eq!(
            redact("ssh://git@host:22/x and https://h/x"),
            "ssh://***@host:22/x and https://h/x"
        );
        assert_eq!(redact("no urls"), "no urls");
    }
}

#[cfg(test)]
mod publish_tests;
