//! The clock: read through a trait so tests move time by hand and the domain never reads it.

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
