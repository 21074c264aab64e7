//! Test accounts made on demand at the test institution: a fresh bank user with a generated
//! username and password, and the one account a test described.

use super::account::{
    Balance, BankAccount, BankUser, NewAccount, TestAccountCreated, TestAccountSpec, Transaction, TransactionStatus,
};
use crate::domain::ids::{DEFAULT_TAIL, new_id, random_base62};

/// Where test accounts live.
pub const TEST_INSTITUTION: &str = "fcinst_test";
/// The routing number of every test account (Stripe's test routing number).
pub const TEST_ROUTING_NUMBER: &str = "110000000";

/// Everything to write for one test account, and what the caller gets back.
pub struct PreparedTestAccount {
    pub user: BankUser,
    pub account: NewAccount,
    pub created: TestAccountCreated,
}

/// Generates the user (hashing its password) and the account of `spec`.
pub fn prepare(spec: &TestAccountSpec) -> PreparedTestAccount {
    let username = format!("test_{}", random_base62(10).to_ascii_lowercase());
    let password = random_base62(16);
    let user = BankUser {
        id: new_id("buser", DEFAULT_TAIL),
        institution_id: TEST_INSTITUTION.to_owned(),
        username: username.clone(),
        name: spec
            .owners
            .first()
            .map(|o| o.name.clone())
            .unwrap_or_else(|| "Test User".into()),
        password_hash: super::password::hash(&password),
        totp_secret: random_base32(32),
    };
    let account_id = new_id("bacct", DEFAULT_TAIL);
    let account_number = format!("{:012}", rand::random_range(0..1_000_000_000_000u64));
    let transactions = spec
        .transactions
        .iter()
        .map(|t| Transaction {
            id: new_id("btxn", DEFAULT_TAIL),
            amount: t.amount,
            currency: "usd".into(),
            description: t.description.clone(),
            status: TransactionStatus::Posted,
            transacted_at: t.transacted_at,
            posted_at: Some(t.transacted_at),
        })
        .collect();
    let account = NewAccount {
        account: BankAccount {
            id: account_id.clone(),
            institution_id: TEST_INSTITUTION.to_owned(),
            user_id: user.id.clone(),
            display_name: spec.display_name.clone(),
            category: spec.category,
            subcategory: spec.subcategory,
            last4: account_number[account_number.len() - 4..].to_owned(),
            currency: "usd".into(),
            status: "open".into(),
            routing_number: TEST_ROUTING_NUMBER.into(),
            balance: Balance::for_category(spec.category, spec.current_balance),
            scenario: spec.scenario,
        },
        account_number,
        owners: spec.owners.clone(),
        transactions,
    };
    let created = TestAccountCreated {
        username,
        password,
        user_id: user.id.clone(),
        account_id,
    };
    PreparedTestAccount { user, account, created }
}

fn random_base32(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    (0..len)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bank::account::{Category, Scenario, Subcategory};

    #[test]
    fn prepared_accounts_log_in_with_their_password() {
        let spec = TestAccountSpec {
            display_name: "Test checking".into(),
            category: Category::Cash,
            subcategory: Subcategory::Checking,
            owners: vec![],
            current_balance: 1000,
            transactions: vec![],
            scenario: Scenario::Normal,
        };
        let p = prepare(&spec);
        assert!(crate::domain::bank::password::verify(
            &p.created.password,
            &p.user.password_hash
        ));
        assert_eq!(p.account.account.last4.len(), 4);
        assert!(crate::domain::bank::totp::decode_base32(&p.user.totp_secret).is_some());
    }
}
