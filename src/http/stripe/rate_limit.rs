//! Per-key rate limit: a token bucket per API key (GCRA through `governor`), answering 429
//! with `Retry-After` and Stripe's `rate_limit` error. The buckets are `app_state::RateLimiter`.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::auth::Caller;
use crate::app_state::AppState;
use crate::http::error::ApiError;

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
