//! The Store trait and its two backends. Postgres is the real store (many replicas, row
//! locks); SQLite is the embedded default so `cargo run` needs nothing installed. Both run the
//! same SQL through sqlx's `Any` driver (`sql/`), and differ only where the engines do
//! (`postgres.rs`, `sqlite.rs`): connection setup, migrations and row locking.

mod bank;
pub mod events;
pub mod link;
pub mod matching;
mod postgres;
pub mod refresh;
mod sql;
mod sqlite;
pub mod webhooks;

use std::sync::Arc;

use async_trait::async_trait;

use crate::crypto::Cipher;

use crate::domain::customer::{Customer, CustomerFilter};
use crate::domain::fields::Invalid;
use crate::domain::idempotency::{IdempotencyClaim, KeyClaim, Reply, StoredResponse};
use crate::domain::key_permissions::KeyPermissions;
use crate::domain::page::{Page, PageRequest};
use crate::domain::platform::{KeyGrant, KeyHash, Platform};

pub use bank::BankStore;
pub use bank::{AccessTokenRecord, Issue, IssuedTokens, Redemption, SigningKeyRecord};
pub use events::EventStore;
pub use link::LinkStore;
pub use matching::MatchStore;
pub use refresh::RefreshStore;
pub use sql::Backend;
pub use webhooks::WebhookStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// A pagination cursor that names no object of this platform.
    #[error("unknown cursor {0}")]
    UnknownCursor(String),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// A change the domain refused while the row was locked.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A keyed write found its idempotency claim taken over by another request (its holder
    /// was presumed gone); the write was rolled back so the key has one effect.
    #[error("the idempotency claim was taken over by another request")]
    KeyClaimLost,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A change applied to a locked row inside the store's transaction.
pub type Modify<'a, T> = &'a mut (dyn FnMut(&mut T) -> Result<(), Invalid> + Send);

/// Everything the server persists, one trait per area so each changes for its own reason.
pub trait Store:
    PlatformStore
    + CustomerStore
    + IdempotencyStore
    + BankStore
    + LinkStore
    + RefreshStore
    + EventStore
    + WebhookStore
    + MatchStore
{
}

impl<
    T: PlatformStore
        + CustomerStore
        + IdempotencyStore
        + BankStore
        + LinkStore
        + RefreshStore
        + EventStore
        + WebhookStore
        + MatchStore,
> Store for T
{
}

/// The engine and its health.
#[async_trait]
pub trait StoreInfo: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// Cheap round trip used by `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
}

/// Platforms and their hashed API keys.
#[async_trait]
pub trait PlatformStore: StoreInfo {
    async fn insert_platform(&self, platform: &Platform) -> StoreResult<bool>;
    async fn get_platform(&self, id: &str) -> StoreResult<Option<Platform>>;
    /// Stores a key's hash; `permissions` is `Some` for a restricted key.
    async fn insert_api_key(
        &self,
        hash: KeyHash,
        platform_id: &str,
        last4: &str,
        permissions: Option<&KeyPermissions>,
        now: i64,
    ) -> StoreResult<()>;
    /// Marks the key revoked; returns whether it was active.
    async fn revoke_api_key(&self, hash: KeyHash, now: i64) -> StoreResult<bool>;
    /// The platform and permissions of an active key.
    async fn key_grant(&self, hash: KeyHash) -> StoreResult<Option<KeyGrant>>;
}

/// Customers of a platform.
#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// `reply`, for a keyed request, is recorded under its key in the same transaction.
    async fn insert_customer(&self, customer: &Customer, reply: Option<&Reply<'_, Customer>>) -> StoreResult<()>;
    /// A customer of this platform, deleted or not.
    async fn get_customer(&self, platform_id: &str, id: &str) -> StoreResult<Option<Customer>>;
    /// Locks a live customer, applies `change`, saves it; `None` if there is no such customer.
    async fn modify_customer(
        &self,
        platform_id: &str,
        id: &str,
        change: Modify<'_, Customer>,
        reply: Option<&Reply<'_, Customer>>,
    ) -> StoreResult<Option<Customer>>;
    /// Marks a live customer deleted; false if there was none.
    async fn delete_customer(&self, platform_id: &str, id: &str, now: i64) -> StoreResult<bool>;
    async fn list_customers(
        &self,
        platform_id: &str,
        filter: &CustomerFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Customer>>;
}

/// Idempotency keys of POST requests. A keyed write records its answer itself, in its own
/// transaction (see [`Reply`]); these complete what a write could not.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// `expand_pending`: the request asks for `expand[]`, resolved after its write commits.
    async fn claim_idempotency_key(
        &self,
        platform_id: &str,
        key: &str,
        fingerprint: &str,
        expand_pending: bool,
        now: i64,
    ) -> StoreResult<IdempotencyClaim>;
    /// Stores the answer the client gets, if the claim is still this request's.
    async fn complete_idempotency_key(&self, claim: &KeyClaim, response: &StoredResponse) -> StoreResult<()>;
    /// Stores the expanded answer of a key whose write recorded it unexpanded.
    async fn complete_idempotency_expansion(
        &self,
        platform_id: &str,
        key: &str,
        response: &StoredResponse,
    ) -> StoreResult<()>;
    /// Notes what a request whose effect commits elsewhere has started (e.g. the session a test
    /// helper links through), so a retry after this process dies resumes it; see `KeyClaim`.
    async fn note_idempotency_recovery(&self, claim: &KeyClaim, recovery: &str) -> StoreResult<()>;
    /// Forgets the claim unless its write recorded an answer.
    async fn release_idempotency_key(&self, claim: &KeyClaim) -> StoreResult<()>;
    /// Forgets keys created before `before`; returns how many.
    async fn purge_idempotency_keys(&self, before: i64) -> StoreResult<u64>;
}

/// Where the store lives: a `postgres://` URL, or a SQLite file in the data directory.
#[derive(Debug, Clone)]
pub enum StoreLocation {
    Postgres { url: String, max_connections: u32 },
    Sqlite { path: std::path::PathBuf },
}

/// Opens the store and applies its migrations. `cipher` seals personal data and secrets.
pub async fn open(location: &StoreLocation, cipher: Arc<Cipher>) -> StoreResult<Arc<dyn Store>> {
    let store = match location {
        StoreLocation::Postgres { url, max_connections } => postgres::open(url, *max_connections, cipher).await?,
        StoreLocation::Sqlite { path } => sqlite::open(path, cipher).await?,
    };
    Ok(Arc::new(store))
}
