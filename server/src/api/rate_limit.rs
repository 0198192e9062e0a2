//! Requests per API token over time (`api_rate_per_second`,
//! `api_rate_burst`). Its own module: the shared state holds the limiter,
//! and the authentication middleware, which reads that state, applies it.

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use slipway_services::api_tokens::TokenId;
use std::num::NonZeroU32;

/// Requests per token over time.
pub struct TokenLimiter {
    limiter: Option<RateLimiter<TokenId, DefaultKeyedStateStore<TokenId>, DefaultClock>>,
    clock: DefaultClock,
}

impl TokenLimiter {
    /// `per_second` 0 turns the limit off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Self {
            limiter,
            clock: DefaultClock::default(),
        }
    }

    /// `Err(seconds to wait)` when the token is over its rate.
    pub fn check(&self, token: TokenId) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter
            .check_key(&token)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()).as_secs().max(1))
    }
}
