//! What the emulated banks need beyond the store: their signing key and their settings.

use std::sync::Arc;
use std::time::Duration;

use crate::crypto::jwt;
use crate::store::Store;

/// What the banks need beyond the store: their signing key and the slow bank's delay.
pub struct BankState {
    pub(crate) signer: jwt::Signer,
    pub(crate) slow_delay: Duration,
    /// Whether the fixed second-factor code `000000` is accepted.
    fixed_code: bool,
}

/// The slow bank's delay unless set otherwise.
pub const DEFAULT_SLOW_DELAY: Duration = Duration::from_millis(1500);

impl BankState {
    /// Loads (or creates on first start) the banks' signing key, kept in the store so it
    /// survives restarts and is shared by every process on one database.
    pub async fn load(store: &Arc<dyn Store>, _public_url: &str) -> anyhow::Result<Self> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        crate::domain::bank::password::warm_up();
        let candidate = jwt::generate(now)?;
        let record = store.signing_key(&candidate).await?;
        Ok(Self {
            signer: jwt::Signer::from_record(&record)?,
            slow_delay: DEFAULT_SLOW_DELAY,
            fixed_code: true,
        })
    }

    /// Sets how long the slow bank holds each token and data API response.
    pub fn with_slow_delay(mut self, delay: Duration) -> Self {
        self.slow_delay = delay;
        self
    }

    /// Sets whether the fixed second-factor code `000000` is accepted (the sandbox default).
    pub fn with_fixed_code(mut self, allowed: bool) -> Self {
        self.fixed_code = allowed;
        self
    }

    /// Whether the fixed second-factor code `000000` is accepted.
    pub fn fixed_code_allowed(&self) -> bool {
        self.fixed_code
    }

    /// The JWK Set of the banks' signing key.
    pub fn jwks(&self) -> serde_json::Value {
        self.signer.jwks()
    }
}
