//! Sign-in throttling: at most `MAX_FAILURES` failures per minute per account
//! and per client address. Kept in memory per process.

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

    /// True when either the account or the address has used up its attempts.
    pub fn is_blocked(&self, username: &str, ip: Option<&str>, now_ms: i64) -> bool {
        let Ok(mut map) = self.failures.lock() else {
            return true;
        };
        Self::keys(username, ip).iter().any(|key| {
            map.get_mut(key).is_some_and(|q| {
                while q.front().is_some_and(|t| now_ms - t >= WINDOW_MS) {
                    q.pop_front();
                }
                q.len() >= MAX_FAILURES
            })
        })
    }

    pub fn record_failure(&self, username: &str, ip: Option<&str>, now_ms: i64) {
        if let Ok(mut map) = self.failures.lock() {
            // Keep the map from growing without bound under a spray of usernames.
            if map.len() > 100_000 {
                map.retain(|_, q| q.back().is_some_and(|t| now_ms - t < WINDOW_MS));
            }
            for key in Self::keys(username, ip) {
                map.entry(key).or_default().push_back(now_ms);
            }
        }
    }

    pub fn record_success(&self, username: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("user:{}", username.trim().to_ascii_lowercase()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_block_the_account_for_a_minute() {
        let l = LoginLimiter::default();
        for i in 0..5 {
            assert!(!l.is_blocked("ada", Some("1.1.1.1"), i));
            l.record_failure("ada", Some("1.1.1.1"), i);
        }
        assert!(l.is_blocked("ada", None, 10));
        assert!(l.is_blocked("ADA", Some("2.2.2.2"), 10));
        assert!(!l.is_blocked("ada", None, 4 + WINDOW_MS));
    }

    #[test]
    fn one_address_spraying_usernames_is_blocked() {
        let l = LoginLimiter::default();
        for (i, user) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            l.record_failure(user, Some("9.9.9.9"), i as i64);
        }
        assert!(l.is_blocked("fresh", Some("9.9.9.9"), 10));
        assert!(!l.is_blocked("fresh", Some("8.8.8.8"), 10));
    }

    #[test]
    fn success_clears_the_account_counter() {
        let l = LoginLimiter::default();
        for i in 0..4 {
            l.record_failure("ada", None, i);
        }
        l.record_success("ada");
        l.record_failure("ada", None, 5);
        assert!(!l.is_blocked("ada", None, 6));
    }
}
