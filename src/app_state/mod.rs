//! The application state every handler and worker receives, wired once in `startup`.

mod bank;
mod key_cache;
mod rate_limiter;

use std::ops::Deref;
use std::sync::Arc;

pub use self::bank::{BankState, DEFAULT_SLOW_DELAY};
pub use self::key_cache::{KEY_CACHE_TTL, KeyCache};
pub use self::rate_limiter::RateLimiter;
use crate::clock::Clock;
use crate::crypto::Cipher;
use crate::store::Store;

pub struct AppInner {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub keys: KeyCache,
    pub rate_limiter: Option<RateLimiter>,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How browsers and OAuth clients reach this server, without a trailing slash.
    pub public_url: String,
    /// Seals secrets outside the store (e.g. PKCE verifiers in flight).
    pub cipher: Arc<Cipher>,
    /// Outbound HTTP (the link flow's bank client): no redirects followed, bounded time.
    pub http: reqwest::Client,
    pub bank: BankState,
    /// This process's name in job claims (random per start).
    pub worker_id: String,
    /// Woken when this process queues refresh jobs, so workers start at once.
    pub jobs_ready: tokio::sync::Notify,
    pub refresh: RefreshSettings,
    /// Webhook delivery: destination policy (checked on endpoint URLs too), retries, timeouts.
    pub delivery: crate::domain::webhook_policy::DeliveryConfig,
    /// Distinct ownership-match inputs per account and platform per 24 hours.
    pub ownership_match_limit: i64,
    /// Write requests running in their own tasks (see `http::complete`); shutdown waits
    /// for them, within the grace period.
    pub writes: tokio_util::task::TaskTracker,
}

/// Timings of the refresh worker (settings, so tests run fast).
#[derive(Debug, Clone, Copy)]
pub struct RefreshSettings {
    /// Seconds before a feature may be refreshed again.
    pub cooldown_secs: i64,
    /// Seconds a claimed job stays claimed; a process that dies loses it after this.
    pub lease_secs: i64,
    /// Milliseconds between polls when idle.
    pub poll_ms: u64,
}

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct AppState(pub Arc<AppInner>);

impl Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}
