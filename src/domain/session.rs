//! Financial Connections sessions: what a platform asks to collect, and how the hosted flow
//! ended.

use serde::{Deserialize, Serialize};

use super::fields::Invalid;
use super::ids::{DEFAULT_TAIL, new_id, random_base62};

/// Data a platform may read from a linked account (Stripe's `permissions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    Balances,
    Ownership,
    PaymentMethod,
    Transactions,
}

impl Permission {
    pub const ALL: [Permission; 4] = [
        Permission::Balances,
        Permission::Ownership,
        Permission::PaymentMethod,
        Permission::Transactions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Balances => "balances",
            Permission::Ownership => "ownership",
            Permission::PaymentMethod => "payment_method",
            Permission::Transactions => "transactions",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The bank OAuth scope that grants this permission (the banks name them alike).
    pub fn scope(self) -> &'static str {
        self.as_str()
    }
}

/// Data refreshed in the background (Stripe's `prefetch`, and `refresh.features`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    Balance,
    Ownership,
    Transactions,
}

impl Feature {
    pub const ALL: [Feature; 3] = [Feature::Balance, Feature::Ownership, Feature::Transactions];

    /// The permission a feature needs.
    pub fn permission(self) -> Permission {
        match self {
            Feature::Balance => Permission::Balances,
            Feature::Ownership => Permission::Ownership,
            Feature::Transactions => Permission::Transactions,
        }
    }

    /// Stripe's `refresh.features` spelling (singular `balance`).
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Balance => "balance",
            Feature::Ownership => "ownership",
            Feature::Transactions => "transactions",
        }
    }

    /// Stripe's `prefetch` spelling (plural `balances`).
    pub fn prefetch_name(self) -> &'static str {
        match self {
            Feature::Balance => "balances",
            Feature::Ownership => "ownership",
            Feature::Transactions => "transactions",
        }
    }
}

/// Who the linked accounts belong to on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountHolder {
    Customer(String),
    Account(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Pending,
    Succeeded,
    Failed,
    Cancelled,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Pending => "pending",
            SessionStatus::Succeeded => "succeeded",
            SessionStatus::Failed => "failed",
            SessionStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed, Self::Cancelled]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Account subcategories a session may filter on.
pub const SUBCATEGORIES: [&str; 5] = ["checking", "credit_card", "line_of_credit", "mortgage", "savings"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFilters {
    pub countries: Option<Vec<String>>,
    pub account_subcategories: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub platform_id: String,
    pub created: i64,
    /// `fcsess_client_secret_…`; also the capability in the hosted flow's URL.
    pub client_secret: String,
    pub account_holder: AccountHolder,
    pub permissions: Vec<Permission>,
    pub prefetch: Vec<Feature>,
    pub filters: SessionFilters,
    /// Most accounts the user may link; `None` is no limit.
    pub account_limit: Option<u32>,
    pub return_url: Option<String>,
    pub status: SessionStatus,
    /// Why a session ended without accounts, for `status_details`.
    pub failure_reason: Option<String>,
}

/// What a platform asked for in `POST /v1/financial_connections/sessions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub account_holder: AccountHolder,
    pub permissions: Vec<Permission>,
    pub prefetch: Vec<Feature>,
    pub filters: SessionFilters,
    pub account_limit: Option<u32>,
    pub return_url: Option<String>,
}

/// Stripe allows at most this many accounts per session limit.
pub const MAX_ACCOUNT_LIMIT: u32 = 100;

impl Session {
    /// Validates a request and makes the pending session.
    pub fn create(platform_id: &str, mut new: NewSession, now: i64) -> Result<Self, Invalid> {
        if new.permissions.is_empty() {
            return Err(Invalid::new(
                "permissions",
                "Missing required param: permissions. Give at least one of balances, ownership, payment_method, transactions.",
            ));
        }
        new.permissions.sort();
        new.permissions.dedup();
        new.prefetch.sort();
        new.prefetch.dedup();
        if let Some(f) = new.prefetch.iter().find(|f| !new.permissions.contains(&f.permission())) {
            return Err(Invalid::new(
                "prefetch",
                format!(
                    "Invalid prefetch: {} needs the {} permission; add it to permissions.",
                    f.prefetch_name(),
                    f.permission().as_str()
                ),
            ));
        }
        if let Some(limit) = new.account_limit
            && !(1..=MAX_ACCOUNT_LIMIT).contains(&limit)
        {
            return Err(Invalid::new(
                "limits[accounts]",
                format!("Invalid limits[accounts]: must be between 1 and {MAX_ACCOUNT_LIMIT}."),
            ));
        }
        if let Some(url) = &new.return_url {
            check_return_url(url)?;
        }
        let id = new_id("fcsess", DEFAULT_TAIL);
        Ok(Self {
            client_secret: format!("fcsess_client_secret_{}", random_base62(DEFAULT_TAIL)),
            id,
            platform_id: platform_id.to_owned(),
            created: now,
            account_holder: new.account_holder,
            permissions: new.permissions,
            prefetch: new.prefetch,
            filters: new.filters,
            account_limit: new.account_limit,
            return_url: new.return_url,
            status: SessionStatus::Pending,
            failure_reason: None,
        })
    }

    /// The bank scopes the link flow asks for: account listing plus one per permission.
    pub fn scopes(&self) -> Vec<String> {
        std::iter::once("accounts".to_owned())
            .chain(self.permissions.iter().map(|p| p.scope().to_owned()))
            .collect()
    }

    /// Whether an account of `subcategory` may be linked under the session's filters.
    pub fn allows_subcategory(&self, subcategory: &str) -> bool {
        self.filters
            .account_subcategories
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|s| s == subcategory))
    }

    /// Whether an institution in `countries` may be offered.
    pub fn allows_countries(&self, countries: &[String]) -> bool {
        self.filters
            .countries
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|c| countries.contains(c)))
    }
}

/// A `return_url` is an absolute http(s) URL with a host, parsed (not prefix-matched), and
/// free of control characters: the URL parser silently drops tabs and newlines, and a CR or
/// LF would otherwise reach the `Location` header the user is sent back with.
fn check_return_url(url: &str) -> Result<(), Invalid> {
    if url.chars().any(char::is_control) {
        return Err(Invalid::new(
            "return_url",
            "Invalid return_url: it must not contain control characters (such as CR, LF or tab).",
        ));
    }
    let parsed = url::Url::parse(url).ok();
    if !parsed.is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())) {
        return Err(Invalid::new(
            "return_url",
            "Invalid return_url: must be an absolute http or https URL.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(permissions: Vec<Permission>, prefetch: Vec<Feature>) -> NewSession {
        NewSession {
            account_holder: AccountHolder::Customer("cus_1".into()),
            permissions,
            prefetch,
            filters: SessionFilters::default(),
            account_limit: None,
            return_url: None,
        }
    }

    #[test]
    fn return_url_is_parsed_and_free_of_control_characters() {
        let with = |url: &str| {
            let mut n = new(vec![Permission::Balances], vec![]);
            n.return_url = Some(url.to_owned());
            Session::create("acct", n, 1).map(|_| ()).map_err(|e| e.param)
        };
        assert_eq!(with("https://platform.example/after"), Ok(()));
        assert_eq!(with("http://127.0.0.1:4000@platform.example/x"), Ok(()));
        for bad in [
            "https://platform.example/a\r\nSet-Cookie: x=1",
            "https://platform.example/a\nb",
            "https://platform.example/\ta",
            "https://platform.example/\u{7f}",
            "http://",
            "http:",
            "javascript:alert(1)",
            "/relative",
        ] {
            assert_eq!(with(bad), Err("return_url".to_owned()), "{bad:?}");
        }
    }

    #[test]
    fn prefetch_needs_its_permission() {
        let err = Session::create("acct", new(vec![Permission::Balances], vec![Feature::Ownership]), 1).unwrap_err();
        assert_eq!(err.param, "prefetch");
        let ok = Session::create("acct", new(vec![Permission::Ownership], vec![Feature::Ownership]), 1).unwrap();
        assert_eq!(ok.scopes(), vec!["accounts", "ownership"]);
        assert!(ok.client_secret.starts_with("fcsess_client_secret_"));
    }

    #[test]
    fn empty_permissions_and_bad_limits_are_refused() {
        assert_eq!(
            Session::create("a", new(vec![], vec![]), 1).unwrap_err().param,
            "permissions"
        );
        let mut n = new(vec![Permission::Balances], vec![]);
        n.account_limit = Some(0);
        assert_eq!(Session::create("a", n, 1).unwrap_err().param, "limits[accounts]");
    }
}
