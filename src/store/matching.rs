//! Ownership matches, stored and counted per account for the guessing quota, and the audit
//! trail of refused attempts.

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::matching::OwnershipMatch;

/// What happened to a match request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchRecord {
    /// The same input against the same ownership within the window: the stored answer.
    Existing(OwnershipMatch),
    Created(OwnershipMatch),
    /// Too many distinct inputs for this bank account in the window; retry after this many seconds.
    QuotaExceeded {
        retry_after: i64,
    },
}

/// The quota's terms: at most `limit` distinct inputs per bank account and platform since
/// `since`, counted over every link of that bank account.
#[derive(Debug, Clone, Copy)]
pub struct Quota<'a> {
    /// [`LinkedAccount::bank_identity`] of the matched account.
    ///
    /// [`LinkedAccount::bank_identity`]: crate::domain::account::LinkedAccount::bank_identity
    pub bank_account: &'a str,
    pub limit: i64,
    pub since: i64,
    pub window_secs: i64,
}

#[async_trait]
pub trait MatchStore: Send + Sync {
    /// In one transaction locked on the bank account: answers a repeated input from the stored
    /// match, refuses a new input beyond the quota (writing an audit row), or stores `made`.
    async fn record_match(
        &self,
        made: &OwnershipMatch,
        fingerprint: &str,
        quota: Quota<'_>,
        request_id: Option<&str>,
    ) -> StoreResult<MatchRecord>;
    async fn get_match(&self, platform_id: &str, id: &str) -> StoreResult<Option<OwnershipMatch>>;
    /// A stored match of the same input against the account's current ownership data since
    /// `since`, read without locking: a repeated input costs one query.
    async fn find_match(
        &self,
        platform_id: &str,
        account_id: &str,
        fingerprint: &str,
        since: i64,
    ) -> StoreResult<Option<OwnershipMatch>>;
    /// Audit rows of refused matches for an account (for operators and tests).
    async fn match_refusals(&self, platform_id: &str, account_id: &str) -> StoreResult<i64>;
}
