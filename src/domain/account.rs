//! Linked accounts (`financial_connections.account`) and the bank authorization behind them.

use serde::{Deserialize, Serialize};

use super::ids::{DEFAULT_TAIL, new_id};
use super::session::{AccountHolder, Permission, Session};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Inactive,
    Disconnected,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Inactive => "inactive",
            AccountStatus::Disconnected => "disconnected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Inactive, Self::Disconnected]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshStatus {
    Pending,
    Succeeded,
    Failed,
}

/// One feature's refresh state, in Stripe's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refresh {
    pub status: RefreshStatus,
    pub last_attempted_at: i64,
    pub next_refresh_available_at: Option<i64>,
    /// `fctxnref_…` for transaction refreshes only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
}

/// What the bank said about an account when it was linked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccountInfo {
    pub id: String,
    pub display_name: Option<String>,
    pub institution_name: String,
    pub category: String,
    pub subcategory: String,
    pub last4: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedAccount {
    pub id: String,
    pub platform_id: String,
    pub created: i64,
    pub session_id: String,
    pub authorization_id: String,
    pub institution_id: String,
    pub account_holder: AccountHolder,
    pub bank: BankAccountInfo,
    pub permissions: Vec<Permission>,
    pub status: AccountStatus,
    /// Why the account became inactive (`access_denied`, `access_expired`, …).
    pub inactive_cause: Option<String>,
    pub balance: Option<serde_json::Value>,
    pub balance_refresh: Option<Refresh>,
    pub ownership_id: Option<String>,
    pub ownership_refresh: Option<Refresh>,
    pub transaction_refresh: Option<Refresh>,
    pub subscriptions: Vec<String>,
}

impl LinkedAccount {
    /// The bank account behind this link, the same however many times it is linked: its
    /// institution and the bank's own id for it. What per-account limits count by.
    pub fn bank_identity(&self) -> String {
        format!("{}:{}", self.institution_id, self.bank.id)
    }

    /// A newly linked account of `session`, as the bank described it.
    pub fn link(
        session: &Session,
        authorization_id: &str,
        institution_id: &str,
        bank: BankAccountInfo,
        now: i64,
    ) -> Self {
        Self {
            id: new_id("fca", DEFAULT_TAIL),
            platform_id: session.platform_id.clone(),
            created: now,
            session_id: session.id.clone(),
            authorization_id: authorization_id.to_owned(),
            institution_id: institution_id.to_owned(),
            account_holder: session.account_holder.clone(),
            bank,
            permissions: session.permissions.clone(),
            status: AccountStatus::Active,
            inactive_cause: None,
            balance: None,
            balance_refresh: None,
            ownership_id: None,
            ownership_refresh: None,
            transaction_refresh: None,
            subscriptions: Vec::new(),
        }
    }

    /// ACH debits work from deposit accounts only.
    pub fn supported_payment_method_types(&self) -> Vec<&'static str> {
        match self.bank.subcategory.as_str() {
            "checking" | "savings" => vec!["link", "us_bank_account"],
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationStatus {
    Active,
    Inactive,
    Disconnected,
}

impl AuthorizationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationStatus::Active => "active",
            AuthorizationStatus::Inactive => "inactive",
            AuthorizationStatus::Disconnected => "disconnected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Inactive, Self::Disconnected]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// The platform's standing grant at one institution (`financial_connections.authorization`):
/// the bank tokens live here, sealed at rest by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub id: String,
    pub platform_id: String,
    pub created: i64,
    pub session_id: String,
    pub institution_id: String,
    pub institution_name: String,
    /// The OAuth client the link flow registered at the bank.
    pub bank_client_id: String,
    pub access_token: String,
    pub access_expires_at: i64,
    pub refresh_token: Option<String>,
    pub status: AuthorizationStatus,
}

impl Authorization {
    pub fn new_id() -> String {
        new_id("fcauth", DEFAULT_TAIL)
    }
}
