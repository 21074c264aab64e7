//! Recently seen API keys, so authenticating a request costs no extra query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::platform::{KeyGrant, KeyHash};

/// Recently seen keys, so a request costs one query (its own) rather than two. Entries live
/// briefly: a key revoked from another process stops working within [`KEY_CACHE_TTL`].
pub struct KeyCache {
    entries: Mutex<HashMap<KeyHash, (Arc<KeyGrant>, Instant)>>,
}

pub const KEY_CACHE_TTL: Duration = Duration::from_secs(30);
const KEY_CACHE_MAX: usize = 10_000;

impl KeyCache {
    pub fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, hash: KeyHash) -> Option<Arc<KeyGrant>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&hash)
            .filter(|(_, at)| at.elapsed() < KEY_CACHE_TTL)
            .map(|(grant, _)| grant.clone())
    }

    pub fn put(&self, hash: KeyHash, grant: Arc<KeyGrant>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= KEY_CACHE_MAX {
            entries.clear();
        }
        entries.insert(hash, (grant, Instant::now()));
    }

    /// Forgets a key at once (used when this process revokes it).
    pub fn forget(&self, hash: KeyHash) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(&hash);
    }
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new()
    }
}
