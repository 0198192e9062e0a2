//! Secret tokens in links (sign-off links, calendar feeds): 256 random bits,
//! shown once, stored only as a SHA-256 hash so a database leak reveals no
//! usable link.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new token (64 hex characters) and the hash to store.
pub fn generate() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash = hash(&token);
    (token, hash)
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a string can be a token at all (cheap check before a lookup).
pub fn looks_valid(token: &str) -> bool {
    token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_hash_stably() {
        let (a, ha) = generate();
        let (b, _) = generate();
        assert_ne!(a, b);
        assert!(looks_valid(&a));
        assert_eq!(hash(&a), ha);
        assert_ne!(ha, a);
        assert!(!looks_valid("xyz"));
    }
}
