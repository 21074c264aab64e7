//! Ownership data fetched from the bank: one `financial_connections.account_ownership`
//! (`fcaowns_…`) per successful ownership refresh, with its owners (`fcaown_…`).

use serde::{Deserialize, Serialize};

use super::ids::{DEFAULT_TAIL, new_id};

/// One owner as the bank reports it. Personal data: sealed at rest, never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub id: String,
    pub ownership_id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub raw_address: Option<String>,
    pub refreshed_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    pub id: String,
    pub platform_id: String,
    pub account_id: String,
    pub created: i64,
    pub owners: Vec<Owner>,
}

/// An owner as the bank's data API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BankOwner {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub raw_address: Option<String>,
}

impl Ownership {
    /// A new ownership snapshot of what the bank said at `now`.
    pub fn from_bank(platform_id: &str, account_id: &str, owners: Vec<BankOwner>, now: i64) -> Self {
        let id = new_id("fcaowns", DEFAULT_TAIL);
        let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let owners = owners
            .into_iter()
            .map(|o| Owner {
                id: new_id("fcaown", DEFAULT_TAIL),
                ownership_id: id.clone(),
                name: o.name,
                email: blank(o.email),
                phone: blank(o.phone),
                raw_address: blank(o.raw_address),
                refreshed_at: now,
            })
            .collect();
        Self {
            id,
            platform_id: platform_id.to_owned(),
            account_id: account_id.to_owned(),
            created: now,
            owners,
        }
    }
}
