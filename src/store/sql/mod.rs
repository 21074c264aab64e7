//! The SQL both backends share, run through sqlx's `Any` driver. Statements use `$n`
//! placeholders, which Postgres and sqlx's SQLite driver both bind by number.

mod bank;
mod customers;
mod events_read;
mod idempotency;
pub(crate) use idempotency::execute_recording;
pub(crate) use idempotency::record_in as record_reply;
pub(crate) mod incarnation;
mod link;
pub(crate) mod list;
mod matching;
mod platforms;
pub(crate) mod pool;
mod webhook_deliveries;
pub(crate) mod webhook_wake;
mod webhooks;

use async_trait::async_trait;

use std::sync::Arc;

use super::{CustomerStore, IdempotencyStore, Modify, PlatformStore, StoreInfo, StoreResult};
use crate::crypto::Cipher;
use crate::domain::customer::{Customer, CustomerFilter};
use crate::domain::idempotency::{IdempotencyClaim, KeyClaim, Reply, StoredResponse};
use crate::domain::key_permissions::KeyPermissions;
use crate::domain::page::{Page, PageRequest};
use crate::domain::platform::{KeyGrant, KeyHash, Platform};

/// Which engine is behind the pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// The row-lock suffix for a read that precedes a write in one transaction. SQLite needs
    /// none: its writes go through a single connection, so a write transaction is exclusive.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// The suffix that lets several processes claim queue rows without waiting on each other;
    /// SQLite's single writer already serialises claims.
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// The shared implementation. `read` serves queries; `write` serves transactions. On Postgres
/// they are the same pool; on SQLite `write` holds one connection so writers queue in-process
/// instead of failing with `SQLITE_BUSY`.
pub(crate) struct SqlStore {
    pub(crate) read: pool::GatedPool,
    pub(crate) write: pool::GatedPool,
    pub(crate) backend: Backend,
    /// Seals personal data and secrets before they reach a column.
    pub(crate) cipher: Arc<Cipher>,
    /// This process, as named in its idempotency claims.
    pub(crate) incarnation: incarnation::Incarnation,
}

#[async_trait]
impl StoreInfo for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    fn available(&self) -> bool {
        self.read.is_up()
    }
}

#[async_trait]
impl PlatformStore for SqlStore {
    async fn insert_platform(&self, platform: &Platform) -> StoreResult<bool> {
        platforms::insert_platform(self, platform).await
    }

    async fn get_platform(&self, id: &str) -> StoreResult<Option<Platform>> {
        platforms::get_platform(self, id).await
    }

    async fn insert_api_key(
        &self,
        hash: KeyHash,
        platform_id: &str,
        last4: &str,
        permissions: Option<&KeyPermissions>,
        now: i64,
    ) -> StoreResult<()> {
        platforms::insert_api_key(self, hash, platform_id, last4, permissions, now).await
    }

    async fn revoke_api_key(&self, hash: KeyHash, now: i64) -> StoreResult<bool> {
        platforms::revoke_api_key(self, hash, now).await
    }

    async fn key_grant(&self, hash: KeyHash) -> StoreResult<Option<KeyGrant>> {
        platforms::key_grant(self, hash).await
    }
}

#[async_trait]
impl CustomerStore for SqlStore {
    async fn insert_customer(&self, customer: &Customer, reply: Option<&Reply<'_, Customer>>) -> StoreResult<()> {
        customers::insert(self, customer, reply).await
    }

    async fn get_customer(&self, platform_id: &str, id: &str) -> StoreResult<Option<Customer>> {
        customers::get(self, platform_id, id).await
    }

    async fn modify_customer(
        &self,
        platform_id: &str,
        id: &str,
        change: Modify<'_, Customer>,
        reply: Option<&Reply<'_, Customer>>,
    ) -> StoreResult<Option<Customer>> {
        customers::modify(self, platform_id, id, change, reply).await
    }

    async fn delete_customer(&self, platform_id: &str, id: &str, now: i64) -> StoreResult<bool> {
        customers::delete(self, platform_id, id, now).await
    }

    async fn list_customers(
        &self,
        platform_id: &str,
        filter: &CustomerFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Customer>> {
        customers::list(self, platform_id, filter, page).await
    }
}

#[async_trait]
impl IdempotencyStore for SqlStore {
    async fn claim_idempotency_key(
        &self,
        platform_id: &str,
        key: &str,
        fingerprint: &str,
        expand_pending: bool,
        now: i64,
    ) -> StoreResult<IdempotencyClaim> {
        idempotency::claim(self, platform_id, key, fingerprint, expand_pending, now).await
    }

    async fn complete_idempotency_key(&self, claim: &KeyClaim, response: &StoredResponse) -> StoreResult<()> {
        idempotency::complete(self, claim, response).await
    }

    async fn complete_idempotency_expansion(
        &self,
        platform_id: &str,
        key: &str,
        response: &StoredResponse,
    ) -> StoreResult<()> {
        idempotency::complete_expansion(self, platform_id, key, response).await
    }

    async fn note_idempotency_recovery(&self, claim: &KeyClaim, recovery: &str) -> StoreResult<()> {
        idempotency::note_recovery(self, claim, recovery).await
    }

    async fn release_idempotency_key(&self, claim: &KeyClaim) -> StoreResult<()> {
        idempotency::release(self, claim).await
    }

    async fn purge_idempotency_keys(&self, before: i64) -> StoreResult<u64> {
        idempotency::purge(self, before).await
    }
}
