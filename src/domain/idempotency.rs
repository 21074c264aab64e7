//! Idempotent POSTs: what the store answers when a request arrives with an `Idempotency-Key`.

/// A stored first response, replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// A stored answer that was recorded before its `expand[]` was resolved: the write committed,
/// then its process died before the expanded answer was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingExpansion(pub StoredResponse);

/// The key a running request holds. Only the holder of `token` may record the key's answer,
/// so a claim taken over from a process presumed dead can never record a second effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClaim {
    pub platform_id: String,
    pub key: String,
    pub token: String,
    /// The request asked for `expand[]`: the answer its write records is completed afterwards.
    pub expand_pending: bool,
    /// What an earlier holder of the key, whose process died, noted it had started (see
    /// `IdempotencyStore::note_idempotency_recovery`).
    pub recovery: Option<String>,
}

/// The answer a keyed write records under its key inside its own transaction, rendered from
/// what it wrote: a retry after a crash then replays it rather than writing again.
pub struct Reply<'a, T: ?Sized> {
    pub claim: &'a KeyClaim,
    /// The response body (before `expand[]`) for the object as written.
    pub render: &'a (dyn Fn(&T) -> serde_json::Value + Send + Sync),
}

impl<'a, T: ?Sized> Reply<'a, T> {
    pub fn new(claim: &'a KeyClaim, render: &'a (dyn Fn(&T) -> serde_json::Value + Send + Sync)) -> Self {
        Self { claim, render }
    }
}

/// The outcome of claiming a key for a request with a given fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is ours: run the request; its write records the answer (or the request
    /// completes or releases the key itself).
    Claimed(KeyClaim),
    /// The key's write committed but its `expand[]` was never resolved: resolve, then replay.
    Unexpanded(PendingExpansion),
    /// The key finished before with the same parameters: replay its response.
    Replay(StoredResponse),
    /// The key was used with other parameters (or another endpoint).
    Mismatch,
    /// Another request holding the key is still running.
    InProgress,
}

/// Keys are kept this long, as Stripe documents (24 hours).
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 60 * 60;
/// A claim is taken over after this long even if its process still seems alive (a process
/// known to be gone loses its claims at once).
pub const IDEMPOTENCY_LOCK_SECS: i64 = 60;
/// Stripe's limit on the key's length.
pub const IDEMPOTENCY_KEY_MAX_LEN: usize = 255;
