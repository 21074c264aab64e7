//! Transactions of a linked account (`financial_connections.transaction`, `fctxn_…`), kept in
//! step with the bank by transaction refreshes (`fctxnref_…`).

use serde::Deserialize;

use super::ids::{DEFAULT_TAIL, new_id};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub id: String,
    pub platform_id: String,
    pub account_id: String,
    /// The bank's own id, so a refresh updates rather than duplicates.
    pub bank_id: String,
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub status: String,
    pub transacted_at: i64,
    pub posted_at: Option<i64>,
    pub void_at: Option<i64>,
    /// The refresh that last created or changed it.
    pub transaction_refresh: String,
    pub updated: i64,
}

/// A transaction as the bank's data API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BankTransaction {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub status: String,
    pub transacted_at: i64,
    pub posted_at: Option<i64>,
}

impl Transaction {
    pub fn from_bank(platform_id: &str, account_id: &str, refresh_id: &str, b: BankTransaction, now: i64) -> Self {
        let void_at = (b.status == "void").then_some(now);
        Self {
            id: new_id("fctxn", DEFAULT_TAIL),
            platform_id: platform_id.to_owned(),
            account_id: account_id.to_owned(),
            bank_id: b.id,
            amount: b.amount,
            currency: b.currency,
            description: b.description,
            status: b.status,
            transacted_at: b.transacted_at,
            posted_at: b.posted_at,
            void_at,
            transaction_refresh: refresh_id.to_owned(),
            updated: now,
        }
    }
}

/// Filters of `GET /v1/financial_connections/transactions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionFilter {
    pub account_id: String,
    pub transacted_at: Option<super::page::TimeRange>,
    /// Only transactions created or changed by refreshes after this one.
    pub refreshed_after: Option<String>,
}
