//! Refresh jobs and the data they bring: a durable queue claimed with leases (so a job held by
//! a process that died is taken again), and the ownership, balance and transactions written
//! with their `refreshed_*` event in one transaction.

use async_trait::async_trait;
use serde_json::Value;

use super::StoreResult;
use crate::domain::account::LinkedAccount;
use crate::domain::fields::Invalid;
use crate::domain::idempotency::Reply;
use crate::domain::ownership::{Owner, Ownership};
use crate::domain::page::{Page, PageRequest};
use crate::domain::refresh::RefreshJob;
use crate::domain::session::Feature;
use crate::domain::transaction::{BankTransaction, Transaction, TransactionFilter};

/// Decides, on the locked account, which features to queue (see `domain::refresh::request`).
pub type Plan<'a> = &'a mut (dyn FnMut(&mut LinkedAccount) -> Result<Vec<Feature>, Invalid> + Send);

/// Renders an account as its events carry it (`data.object`), from inside the transaction.
pub type Render<'a> = &'a (dyn Fn(&LinkedAccount) -> Value + Send + Sync);

/// What a job brought back from the bank.
#[derive(Debug, Clone)]
pub enum Fetched {
    Ownership(Ownership),
    Balance(Value),
    Transactions(Vec<BankTransaction>),
    /// The bank failed this refresh (5xx, timeout): the feature's refresh fails.
    Failed,
}

/// How a job ended, for the caller's logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Stored,
    /// The account was gone or no longer active; nothing was stored.
    Dropped,
    /// The job was no longer ours (its lease lapsed and another worker took it).
    Lost,
}

#[async_trait]
pub trait RefreshStore: Send + Sync {
    /// Locks the account, lets `plan` mark features pending, queues one job per feature it
    /// returns (runnable from `run_after`). `None` if the platform has no such account.
    async fn start_refresh(
        &self,
        platform_id: &str,
        account_id: &str,
        plan: Plan<'_>,
        run_after: i64,
        render: Render<'_>,
        reply: Option<&Reply<'_, LinkedAccount>>,
    ) -> StoreResult<Option<LinkedAccount>>;

    /// Claims the next due job for `worker` until `now + lease_secs`.
    async fn claim_refresh_job(&self, worker: &str, now: i64, lease_secs: i64) -> StoreResult<Option<RefreshJob>>;
    /// Puts a claimed job back, due at `run_after` (not a failure: e.g. tokens being renewed).
    async fn defer_refresh_job(&self, job: &RefreshJob, worker: &str, run_after: i64) -> StoreResult<()>;
    /// Stores what the job fetched, finishes the feature's refresh, writes its event, and
    /// removes the job — all in one transaction.
    async fn finish_refresh(
        &self,
        job: &RefreshJob,
        worker: &str,
        fetched: Fetched,
        now: i64,
        cooldown: i64,
        render: Render<'_>,
    ) -> StoreResult<Finished>;
    /// The bank consent behind an authorization is gone: the authorization and every account
    /// under it become inactive, pending refreshes fail, a `deactivated` event per account.
    async fn deactivate_authorization(
        &self,
        platform_id: &str,
        authorization_id: &str,
        cause: &str,
        now: i64,
        render: Render<'_>,
    ) -> StoreResult<Vec<LinkedAccount>>;
    /// Disconnects an account (event written with it); returns it, and whether no active
    /// account is left on its authorization (then the bank consent can be revoked). `None`
    /// if the platform has no such account.
    async fn disconnect_account(
        &self,
        platform_id: &str,
        account_id: &str,
        now: i64,
        render: Render<'_>,
        reply: Option<&Reply<'_, LinkedAccount>>,
    ) -> StoreResult<Option<(LinkedAccount, bool)>>;
    /// Marks an authorization disconnected once its bank consent was revoked.
    async fn mark_authorization_disconnected(&self, platform_id: &str, authorization_id: &str) -> StoreResult<()>;
    /// How many jobs wait or run (tests assert an empty queue at the end).
    async fn refresh_jobs_queued(&self) -> StoreResult<i64>;

    /// Takes the right to renew an authorization's bank tokens until `until`; false if
    /// another process holds it.
    async fn claim_token_renewal(&self, authorization_id: &str, now: i64, until: i64) -> StoreResult<bool>;
    /// Saves renewed tokens and releases the renewal claim.
    async fn store_bank_tokens(
        &self,
        authorization_id: &str,
        access_token: &str,
        access_expires_at: i64,
        refresh_token: Option<&str>,
    ) -> StoreResult<()>;

    async fn get_ownership(&self, platform_id: &str, id: &str) -> StoreResult<Option<Ownership>>;
    async fn list_owners(&self, platform_id: &str, ownership_id: &str, page: &PageRequest) -> StoreResult<Page<Owner>>;
    async fn list_transactions(
        &self,
        platform_id: &str,
        filter: &TransactionFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Transaction>>;
    async fn get_transaction(&self, platform_id: &str, id: &str) -> StoreResult<Option<Transaction>>;
}
