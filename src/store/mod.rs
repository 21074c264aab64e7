//! The Store trait and its two backends. Postgres is the real store (many replicas, row
//! locks); SQLite is the embedded default so `cargo run` needs nothing installed. Both run the
//! same SQL through sqlx's `Any` driver (`sql/`), and differ only where the engines do
//! (`postgres.rs`, `sqlite.rs`): connection setup, migrations and row locking.

mod bank;
pub mod events;
pub mod health;
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
    Database(sqlx::Error),
    /// The database cannot be reached now (down, unreachable, connection lost, pool
    /// exhausted): worth retrying, and not the request's fault.
    #[error("the database is unavailable: {0}")]
    Unavailable(sqlx::Error),
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

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if connection_failed(&e) {
            StoreError::Unavailable(e)
        } else {
            StoreError::Database(e)
        }
    }
}

impl StoreError {
    /// Whether the error says the database is out of reach rather than the request wrong:
    /// such a request may be retried as it is.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(e)) => connection_failed(e),
            _ => false,
        }
    }
}

/// Errors of reaching the database, not of the statement: I/O and TLS, a pool with no
/// connection to give, a lost worker or protocol stream, and Postgres's connection-exception
/// class (08…), shutdown and start-up states (57P01–57P03) and too many connections (53300).
fn connection_failed(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03" | "53300")),
        _ => false,
    }
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
    /// Whether the database is believed to answer, known without a round trip (a monitor
    /// keeps it; always true for SQLite).
    fn available(&self) -> bool {
        true
    }
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

impl StoreLocation {
    pub fn backend_name(&self) -> &'static str {
        match self {
            StoreLocation::Postgres { .. } => Backend::Postgres.name(),
            StoreLocation::Sqlite { .. } => Backend::Sqlite.name(),
        }
    }

    /// Where the store is, for logs: never the password (nor the rest of a URL's userinfo).
    pub fn describe(&self) -> String {
        match self {
            StoreLocation::Sqlite { path } => format!("sqlite:{}", path.display()),
            StoreLocation::Postgres { url, .. } => match url::Url::parse(url) {
                Ok(u) => format!(
                    "{}://{}:{}{}",
                    u.scheme(),
                    u.host_str().unwrap_or(""),
                    u.port().unwrap_or(5432),
                    u.path()
                ),
                Err(_) => "postgres (an unparsable URL)".to_owned(),
            },
        }
    }
}

/// Opens the store and applies its migrations. `cipher` seals personal data and secrets.
pub async fn open(location: &StoreLocation, cipher: Arc<Cipher>) -> StoreResult<Arc<dyn Store>> {
    let store = match location {
        StoreLocation::Postgres { url, max_connections } => postgres::open(url, *max_connections, cipher).await?,
        StoreLocation::Sqlite { path } => sqlite::open(path, cipher).await?,
    };
    Ok(Arc::new(store))
}
