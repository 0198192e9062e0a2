//! Credentials for remotes. They come from Slipway's configuration (a
//! repository row only stores the credential's *name*), are wrapped so
//! `Debug` never shows them, and are handed to libgit2 only inside the
//! credential callback.

use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub enum GitCredential {
    /// An access token sent as the password over https
    /// (`x-access-token` works for GitHub, `oauth2` for GitLab).
    Token {
        username: String,
        token: SecretString,
    },
    /// A private key file for ssh remotes.
    SshKey {
        username: String,
        private_key: PathBuf,
        passphrase: Option<SecretString>,
    },
}

impl GitCredential {
    /// A libgit2 credential callback that offers this credential once per
    /// operation (libgit2 calls again after a refusal; looping would hang).
    pub(crate) fn callback(
        cred: Option<&GitCredential>,
    ) -> impl FnMut(&str, Option<&str>, git2::CredentialType) -> Result<git2::Cred, git2::Error> + '_
    {
        let mut attempts = 0;
        move |_url, username_from_url, allowed| {
            attempts += 1;
            if attempts > 1 {
                return Err(git2::Error::from_str(
                    "the remote refused the configured credential",
                ));
            }
            match cred {
                Some(GitCredential::Token { username, token })
                    if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT) =>
                {
                    git2::Cred::userpass_plaintext(username, token.expose_secret())
                }
                Some(GitCredential::SshKey {
                    username,
                    private_key,
                    passphrase,
                }) if allowed.contains(git2::CredentialType::SSH_KEY) => git2::Cred::ssh_key(
                    username_from_url.unwrap_or(username),
                    None,
                    private_key,
                    passphrase.as_ref().map(|p| p.expose_secret()),
                ),
                Some(_) => Err(git2::Error::from_str(
                    "the configured credential does not fit this remote (token for https, SSH key for ssh)",
                )),
                None => Err(git2::Error::from_str(
                    "the remote asks for credentials and none is configured for this repository",
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let c = GitCredential::Token {
            username: "bot".into(),
            token: SecretString::from("ghp_verysecret".to_string()),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("verysecret"), "{shown}");
    }
}
