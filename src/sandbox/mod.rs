//! The deterministic sandbox: the default platform and its documented key, and the banks.

pub mod bank_data;
pub mod banks;

use crate::domain::platform::{ApiKey, Platform, SANDBOX_PLATFORM_ID, SANDBOX_SECRET_KEY};
use crate::store::{Store, StoreResult};

/// Ensures the sandbox platform exists; activates its documented key, or revokes it when the
/// sandbox key is turned off.
pub async fn seed(store: &dyn Store, sandbox_key: bool, now: i64) -> StoreResult<()> {
    let platform = Platform {
        id: SANDBOX_PLATFORM_ID.to_owned(),
        name: "Sandbox platform".to_owned(),
        created: now,
    };
    store.insert_platform(&platform).await?;
    let key = ApiKey::parse(SANDBOX_SECRET_KEY).expect("the sandbox key is well formed");
    if sandbox_key {
        store
            .insert_api_key(key.hash(), SANDBOX_PLATFORM_ID, &key.last4(), None, now)
            .await?;
    } else {
        store.revoke_api_key(key.hash(), now).await?;
    }
    banks::seed(store, now).await
}
