//! Password hashing with argon2id, always off the async runtime.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::Rng;

use crate::ServiceError;

fn hash_sync(password: &str) -> Result<String, ServiceError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(e.to_string().into()))
}

/// A hash of a random password, verified against when the username is unknown
/// so that both failures take the same time.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_sync(&generate()).unwrap_or_default())
        .clone()
}

pub async fn hash(password: String) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || hash_sync(&password))
        .await
        .map_err(|e| ServiceError::Internal(Box::new(e)))?
}

/// Verifies `password` against `stored` (or against a dummy when `None`).
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ServiceError> {
    let known = stored.is_some();
    let ok = tokio::task::spawn_blocking(move || {
        let hash = stored.unwrap_or_else(dummy_hash);
        match PasswordHash::new(&hash) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(e) => {
                tracing::error!("stored password hash is unreadable: {e}");
                false
            }
        }
    })
    .await
    .map_err(|e| ServiceError::Internal(Box::new(e)))?;
    Ok(known && ok)
}

/// A password people can type: 20 characters from an unambiguous alphabet.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() -> Result<(), ServiceError> {
        let h = hash("correct horse battery".into()).await?;
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(h.clone())).await?);
        assert!(!verify("wrong horse battery".into(), Some(h)).await?);
        assert!(!verify("anything".into(), None).await?);
        Ok(())
    }

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let a = generate();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, generate());
    }
}
