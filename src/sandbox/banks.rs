//! Seeds the sandbox banks (see `bank_data` and docs/banks.md). Runs at every start: what is
//! already there is left alone, so the seed is idempotent and safe for processes racing on
//! one database.

use super::bank_data::{self, PASSWORD, USERS};
use crate::domain::bank::account::BankUser;
use crate::domain::bank::password;
use crate::store::{Store, StoreResult};

/// Writes the sandbox banks into the store if they are not there yet.
pub async fn seed(store: &dyn Store, now: i64) -> StoreResult<()> {
    for (position, institution) in bank_data::institutions().iter().enumerate() {
        store.upsert_institution(institution, position as i64).await?;
    }
    for seed in USERS {
        let id = format!("buser_{}", seed.username);
        // Checked first so restarts skip the password hashing.
        if store.get_bank_user(&id).await?.is_some() {
            continue;
        }
        let user = BankUser {
            id,
            institution_id: seed.institution_id.into(),
            username: seed.username.into(),
            name: seed.name.into(),
            password_hash: password::hash(PASSWORD),
            totp_secret: seed.totp_secret.into(),
        };
        store.insert_bank_user(&user, now).await?;
    }
    for account in bank_data::accounts() {
        if store.get_bank_account(&account.account.id).await?.is_none() {
            store.insert_bank_account(&account, now).await?;
        }
    }
    Ok(())
}
