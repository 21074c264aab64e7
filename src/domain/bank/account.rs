//! A bank's own records behind the data API: users, accounts, owners, transactions, and the
//! sandbox scenarios a test account can play.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

macro_rules! string_enum {
    ($name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }
    };
}

string_enum!(Category { Cash => "cash", Credit => "credit", Investment => "investment", Other => "other" });
string_enum!(Subcategory {
    Checking => "checking",
    Savings => "savings",
    CreditCard => "credit_card",
    Mortgage => "mortgage",
    LineOfCredit => "line_of_credit",
    Other => "other",
});
string_enum!(TransactionStatus { Posted => "posted", Pending => "pending", Void => "void" });
// A test account's behaviour: `normal` answers every data call; `refresh_fails` answers 500
// to balances, owners and transactions (a bank failing a refresh); `owners_missing_fields`
// is a label only, the owners themselves carry the nulls.
string_enum!(Scenario {
    Normal => "normal",
    RefreshFails => "refresh_fails",
    OwnersMissingFields => "owners_missing_fields",
});

impl Subcategory {
    /// Accounts a user may share through the consent page.
    pub fn is_linkable(self) -> bool {
        self != Subcategory::Other
    }
}

/// A bank user (who logs in at the bank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankUser {
    /// `buser_…`
    pub id: String,
    pub institution_id: String,
    pub username: String,
    pub name: String,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Base32 TOTP secret.
    pub totp_secret: String,
}

/// Balances in minor units; `available` for cash accounts, `used` for credit ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub current: i64,
    pub available: Option<i64>,
    pub used: Option<i64>,
}

impl Balance {
    /// Stripe's convention: a positive `current` is money owed to the holder; credit
    /// accounts carry what is owed as a negative `current` and a positive `used`.
    pub fn for_category(category: Category, current: i64) -> Balance {
        match category {
            Category::Credit => Balance {
                current,
                available: None,
                used: Some((-current).max(0)),
            },
            _ => Balance {
                current,
                available: Some(current),
                used: None,
            },
        }
    }

    pub fn kind(category: Category) -> &'static str {
        if category == Category::Credit { "credit" } else { "cash" }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    /// `bacct_…`
    pub id: String,
    pub institution_id: String,
    pub user_id: String,
    pub display_name: String,
    pub category: Category,
    pub subcategory: Subcategory,
    pub last4: String,
    pub currency: String,
    /// `open` or `closed`.
    pub status: String,
    pub routing_number: String,
    pub balance: Balance,
    pub scenario: Scenario,
}

/// An account holder as the bank knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub raw_address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transaction {
    /// `btxn_…`
    pub id: String,
    /// Minor units; negative is a debit.
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub status: TransactionStatus,
    pub transacted_at: i64,
    pub posted_at: Option<i64>,
}

/// Everything written for one new account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub account: BankAccount,
    pub account_number: String,
    pub owners: Vec<Owner>,
    pub transactions: Vec<Transaction>,
}

/// What a test helper asks for: one user at the test institution with one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestAccountSpec {
    pub display_name: String,
    pub category: Category,
    pub subcategory: Subcategory,
    pub owners: Vec<Owner>,
    /// Minor units, Stripe's sign convention (see [`Balance::for_category`]).
    pub current_balance: i64,
    pub transactions: Vec<TestTransaction>,
    pub scenario: Scenario,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestTransaction {
    pub amount: i64,
    pub description: String,
    pub transacted_at: i64,
}

/// The login and account a test helper gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestAccountCreated {
    pub username: String,
    pub password: String,
    pub user_id: String,
    pub account_id: String,
}

/// Position in a transaction list (newest first): the last row returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionCursor {
    pub transacted_at: i64,
    pub id: String,
}

impl TransactionCursor {
    /// Opaque to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.transacted_at, self.id))
    }

    pub fn decode(text: &str) -> Option<TransactionCursor> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let (at, id) = raw.split_once(':')?;
        Some(TransactionCursor {
            transacted_at: at.parse().ok()?,
            id: id.to_owned(),
        })
    }
}

/// Largest transactions page.
pub const MAX_TRANSACTIONS_PAGE: i64 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip() {
        assert_eq!(Subcategory::parse("credit_card"), Some(Subcategory::CreditCard));
        assert_eq!(Scenario::parse("refresh_fails").unwrap().as_str(), "refresh_fails");
        assert_eq!(Category::parse("nope"), None);
    }

    #[test]
    fn balances_follow_stripe_signs() {
        let credit = Balance::for_category(Category::Credit, -12_345);
        assert_eq!((credit.available, credit.used), (None, Some(12_345)));
        let cash = Balance::for_category(Category::Cash, 500);
        assert_eq!((cash.available, cash.used), (Some(500), None));
    }

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = TransactionCursor {
            transacted_at: 17,
            id: "btxn_a".into(),
        };
        assert_eq!(TransactionCursor::decode(&c.encode()), Some(c));
        assert_eq!(TransactionCursor::decode("!!"), None);
        assert_eq!(TransactionCursor::decode(&URL_SAFE_NO_PAD.encode("x:y")), None);
    }
}
