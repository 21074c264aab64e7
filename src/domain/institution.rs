//! A financial institution as the platform API shows it (`financial_connections.institution`)
//! and as the link flow reaches it (its emulated bank under `/bank/{id}`).

use serde::{Deserialize, Serialize};

/// Which data an institution can share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionFeatures {
    pub balances: bool,
    pub ownership: bool,
    pub payment_method: bool,
    pub transactions: bool,
}

/// How an institution behaves in the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionBehaviour {
    /// Answers promptly and correctly.
    Healthy,
    /// Refuses service: authorize redirects back with `temporarily_unavailable`, the token
    /// endpoint and data API answer 503.
    Down,
    /// Answers correctly but every token and data API response is delayed.
    Slow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Institution {
    /// `fcinst_…`; also the path segment of its bank: `/bank/{id}`.
    pub id: String,
    pub name: String,
    /// ISO 3166-1 alpha-2 codes.
    pub countries: Vec<String>,
    pub features: InstitutionFeatures,
    pub routing_numbers: Vec<String>,
    /// `active`, `degraded` or `inactive` (Stripe's preview values).
    pub status: String,
    /// The institution's public website.
    pub url: Option<String>,
    /// Account subcategories it holds (`checking`, `savings`, `credit_card`, `mortgage`,
    /// `line_of_credit`), for session filters.
    pub subcategories: Vec<String>,
    pub behaviour: InstitutionBehaviour,
}
