//! Idempotent POSTs: what the store answers when a request arrives with an `Idempotency-Key`.

/// A stored first response, replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The outcome of claiming a key for a request with a given fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is ours: run the request, then complete or release it.
    Claimed,
    /// The key finished before with the same parameters: replay its response.
    Replay(StoredResponse),
    /// The key was used with other parameters (or another endpoint).
    Mismatch,
    /// Another request holding the key is still running.
    InProgress,
}

/// Keys are kept this long, as Stripe documents (24 hours).
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 60 * 60;
/// A claim left by a process that died is taken over after this long.
pub const IDEMPOTENCY_LOCK_SECS: i64 = 60;
/// Stripe's limit on the key's length.
pub const IDEMPOTENCY_KEY_MAX_LEN: usize = 255;
