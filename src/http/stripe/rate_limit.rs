//! Per-key rate limit: a token bucket per API key (GCRA through `governor`), answering 429
//! with `Retry-After` and Stripe's `rate_limit` error.

use std::num::NonZeroU32;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::auth::Caller;
use crate::domain::platform::KeyHash;
use crate::http::error::ApiError;
use crate::http::state::AppState;

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

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Result<Response, ApiError> {
    if let (Some(limiter), Some(caller)) = (&state.rate_limiter, req.extensions().get::<Caller>()) {
        limiter.check(&caller.key_hash).map_err(|wait| {
            ApiError::rate_limited(
                wait,
                "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
            )
        })?;
    }
    Ok(next.run(req).await)
}
