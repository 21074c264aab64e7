//! The per-key token buckets (GCRA through `governor`) the `/v1` rate limit draws on.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::domain::platform::KeyHash;

/// Buckets keyed by the API key's hash; `None` when the limit is off.
pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<KeyHash>,
}

impl RateLimiter {
    /// `per_second` requests per second per key, with a burst of the same size; 0 is off.
    pub fn new(per_second: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        Some(Self {
            limiter: governor::RateLimiter::keyed(Quota::per_second(rate)),
        })
    }

    /// `Err(seconds to wait)` when the key's bucket is empty.
    pub fn check(&self, key: &KeyHash) -> Result<(), u64> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Drops buckets that are full again, so idle keys cost no memory.
    pub fn shrink(&self) {
        self.limiter.retain_recent();
    }
}
