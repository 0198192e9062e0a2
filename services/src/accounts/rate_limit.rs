//! Sign-in throttling: at most `MAX_FAILURES` failed attempts per minute per
//! account and per client address. Kept in memory per process.
//!
//! An attempt is *reserved* before the password is hashed, under one lock:
//! forty parallel guesses at one account get five password checks, not
//! forty (checking, hashing, then recording let most of them through). A
//! successful sign-in gives its reservation back.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub const MAX_FAILURES: usize = 5;
pub const WINDOW_MS: i64 = 60_000;

#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl LoginLimiter {
    fn keys(username: &str, ip: Option<&str>) -> Vec<String> {
        let mut keys = vec![format!("user:{}", username.trim().to_ascii_lowercase())];
        if let Some(ip) = ip {
            keys.push(format!("ip:{ip}"));
        }
        keys
    }

    fn prune(q: &mut VecDeque<i64>, now_ms: i64) {
        while q.front().is_some_and(|t| now_ms - t >= WINDOW_MS) {
            q.pop_front();
        }
    }

    /// Takes one attempt for this account and address, or `None` when
    /// either has used up its attempts for the window. Call before checking
    /// the password; on success, give it back with [`Self::succeeded`].
    pub fn reserve(&self, username: &str, ip: Option<&str>, now_ms: i64) -> Option<Attempt> {
        let Ok(mut map) = self.failures.lock() else {
            return None;
        };
        // Keep the map from growing without bound under a spray of usernames.
        if map.len() > 100_000 {
            map.retain(|_, q| q.back().is_some_and(|t| now_ms - t < WINDOW_MS));
        }
        let keys = Self::keys(username, ip);
        let blocked = keys.iter().any(|key| {
            map.get_mut(key).is_some_and(|q| {
                Self::prune(q, now_ms);
                q.len() >= MAX_FAILURES
            })
        });
        if blocked {
            return None;
        }
        for key in &keys {
            map.entry(key.clone()).or_default().push_back(now_ms);
        }
        Some(Attempt { keys, at: now_ms })
    }

    /// The attempt signed in: the account starts afresh, and the address
    /// gets its attempt back (colleagues behind one address are not
    /// throttled by each other's successful sign-ins).
    pub fn succeeded(&self, attempt: Attempt) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        for (i, key) in attempt.keys.iter().enumerate() {
            if i == 0 {
                map.remove(key);
            } else if let Some(q) = map.get_mut(key) {
                if let Some(pos) = q.iter().position(|t| *t == attempt.at) {
                    q.remove(pos);
                }
            }
        }
    }
}

/// One reserved sign-in attempt (see [`LoginLimiter::reserve`]).
#[derive(Debug)]
#[must_use]
pub struct Attempt {
    keys: Vec<String>,
    at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_block_the_account_for_a_minute() {
        let l = LoginLimiter::default();
        for i in 0..5 {
            assert!(l.reserve("ada", Some("1.1.1.1"), i).is_some());
        }
        assert!(l.reserve("ada", None, 10).is_none());
        assert!(l.reserve("ADA", Some("2.2.2.2"), 10).is_none());
        assert!(l.reserve("ada", None, 4 + WINDOW_MS).is_some());
    }

    #[test]
    fn one_address_spraying_usernames_is_blocked() {
        let l = LoginLimiter::default();
        for (i, user) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            assert!(l.reserve(user, Some("9.9.9.9"), i as i64).is_some());
        }
        assert!(l.reserve("fresh", Some("9.9.9.9"), 10).is_none());
        assert!(l.reserve("fresh", Some("8.8.8.8"), 10).is_some());
    }

    #[test]
    fn a_success_clears_the_account_and_returns_the_address_attempt() {
        let l = LoginLimiter::default();
        for i in 0..4 {
            assert!(l.reserve("ada", Some("1.1.1.1"), i).is_some());
        }
        let ok = l.reserve("ada", Some("1.1.1.1"), 5).unwrap();
        l.succeeded(ok);
        // Four failures remain on the address; the account starts afresh.
        for i in 0..6 {
            let colleague = l.reserve(&format!("user{i}"), Some("1.1.1.1"), 6).unwrap();
            l.succeeded(colleague);
        }
        assert!(l.reserve("ada", Some("1.1.1.1"), 7).is_some());
        assert!(l.reserve("bob", Some("1.1.1.1"), 8).is_none());
    }

    #[test]
    fn parallel_attempts_get_at_most_five_reservations() {
        let l = std::sync::Arc::new(LoginLimiter::default());
        let granted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..40)
            .map(|_| {
                let (l, granted) = (l.clone(), granted.clone());
                std::thread::spawn(move || {
                    if l.reserve("ada", None, 1).is_some() {
                        granted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(
            granted.load(std::sync::atomic::Ordering::SeqCst),
            MAX_FAILURES
        );
    }
}
