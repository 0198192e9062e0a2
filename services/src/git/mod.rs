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
