//! The shared application state every handler receives.

use std::ops::Deref;
use std::sync::Arc;

use crate::crypto::Cipher;
use crate::http::bank::BankState;
use crate::http::stripe::auth::KeyCache;
use crate::http::stripe::rate_limit::RateLimiter;
use crate::store::Store;

/// Reads the time; a parameter so tests and the domain never call the system clock directly.
pub trait Clock: Send + Sync {
    /// Unix seconds.
    fn now(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// A clock tests move by hand, so expiries (codes, tokens, refresh windows) are tested
/// without sleeping.
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    pub fn starting_at(unix: i64) -> Self {
        Self(std::sync::atomic::AtomicI64::new(unix))
    }

    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

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
