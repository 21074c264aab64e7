//! Institutions, bank users, accounts, owners and transactions. Personal data and account
//! numbers are sealed with a context naming table, row and column, so a dump shows none of
//! it and a value moved to another row will not open.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::bank::account::{
    Balance, BankAccount, BankUser, Category, NewAccount, Owner, Scenario, Subcategory, Transaction, TransactionCursor,
    TransactionStatus,
};
use crate::domain::institution::Institution;
use crate::store::sql::SqlStore;
use crate::store::{StoreError, StoreResult};

pub(super) async fn upsert_institution(store: &SqlStore, institution: &Institution, position: i64) -> StoreResult<()> {
    let body = serde_json::to_string(institution).expect("an institution serialises");
    sqlx::query(
        "INSERT INTO bank_institutions (id, position, body) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET position = excluded.position, body = excluded.body",
    )
    .bind(&institution.id)
    .bind(position)
    .bind(body)
    .execute(&store.write)
    .await?;
    Ok(())
}

fn institution_from(row: &AnyRow) -> StoreResult<Institution> {
    let body: String = row.try_get("body")?;
    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("bank_institutions.body: {e}")))
}

pub(super) async fn list_institutions(store: &SqlStore) -> StoreResult<Vec<Institution>> {
    let rows = sqlx::query("SELECT body FROM bank_institutions ORDER BY position, id")
        .fetch_all(&store.read)
        .await?;
    rows.iter().map(institution_from).collect()
}

pub(super) async fn get_institution(store: &SqlStore, id: &str) -> StoreResult<Option<Institution>> {
    let row = sqlx::query("SELECT body FROM bank_institutions WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.read)
        .await?;
    row.as_ref().map(institution_from).transpose()
}

pub(super) async fn insert_user(store: &SqlStore, user: &BankUser, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO bank_users (id, institution_id, username, password_hash, totp_secret, name, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&user.id)
    .bind(&user.institution_id)
    .bind(&user.username)
    .bind(&user.password_hash)
    .bind(
        store
            .cipher
            .seal(&user.totp_secret, &format!("bank_users:{}:totp_secret", user.id)),
    )
    .bind(store.cipher.seal(&user.name, &format!("bank_users:{}:name", user.id)))
    .bind(now)
    .execute(&store.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

const USER_COLUMNS: &str = "id, institution_id, username, password_hash, totp_secret, name";

fn user_from(store: &SqlStore, row: &AnyRow) -> StoreResult<BankUser> {
    let id: String = row.try_get("id")?;
    let secret: String = row.try_get("totp_secret")?;
    let name: String = row.try_get("name")?;
    Ok(BankUser {
        totp_secret: store.cipher.open(&secret, &format!("bank_users:{id}:totp_secret"))?,
        name: store.cipher.open(&name, &format!("bank_users:{id}:name"))?,
        institution_id: row.try_get("institution_id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        id,
    })
}

pub(super) async fn find_user(store: &SqlStore, institution_id: &str, username: &str) -> StoreResult<Option<BankUser>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM bank_users WHERE institution_id = $1 AND username = $2");
    let row = sqlx::query(&sql)
        .bind(institution_id)
        .bind(username)
        .fetch_optional(&store.read)
        .await?;
    row.map(|r| user_from(store, &r)).transpose()
}

pub(super) async fn get_user(store: &SqlStore, id: &str) -> StoreResult<Option<BankUser>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM bank_users WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&store.read).await?;
    row.map(|r| user_from(store, &r)).transpose()
}

/// Inserts the account and its owners and transactions in one transaction.
pub(super) async fn insert_account(store: &SqlStore, new: &NewAccount, now: i64) -> StoreResult<bool> {
    let a = &new.account;
    let mut tx = store.write.begin().await?;
    let done = sqlx::query(
        "INSERT INTO bank_accounts (id, institution_id, user_id, display_name, category, subcategory, last4, \
         currency, status, routing_number, account_number, balance_current, balance_available, balance_used, \
         scenario, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&a.id)
    .bind(&a.institution_id)
    .bind(&a.user_id)
    .bind(&a.display_name)
    .bind(a.category.as_str())
    .bind(a.subcategory.as_str())
    .bind(&a.last4)
    .bind(&a.currency)
    .bind(&a.status)
    .bind(&a.routing_number)
    .bind(
        store
            .cipher
            .seal(&new.account_number, &format!("bank_accounts:{}:account_number", a.id)),
    )
    .bind(a.balance.current)
    .bind(a.balance.available)
    .bind(a.balance.used)
    .bind(a.scenario.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    for (position, owner) in new.owners.iter().enumerate() {
        let ctx = |column: &str| format!("bank_owners:{}:{position}:{column}", a.id);
        sqlx::query(
            "INSERT INTO bank_owners (account_id, position, name, email, phone, raw_address) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&a.id)
        .bind(position as i64)
        .bind(store.cipher.seal(&owner.name, &ctx("name")))
        .bind(store.cipher.seal_opt(owner.email.as_deref(), &ctx("email")))
        .bind(store.cipher.seal_opt(owner.phone.as_deref(), &ctx("phone")))
        .bind(store.cipher.seal_opt(owner.raw_address.as_deref(), &ctx("raw_address")))
        .execute(&mut *tx)
        .await?;
    }
    for t in &new.transactions {
        sqlx::query(
            "INSERT INTO bank_transactions (id, account_id, amount, currency, description, status, \
             transacted_at, posted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&t.id)
        .bind(&a.id)
        .bind(t.amount)
        .bind(&t.currency)
        .bind(&t.description)
        .bind(t.status.as_str())
        .bind(t.transacted_at)
        .bind(t.posted_at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

const ACCOUNT_COLUMNS: &str = "id, institution_id, user_id, display_name, category, subcategory, last4, currency, \
     status, routing_number, balance_current, balance_available, balance_used, scenario";

fn parse<T>(value: String, column: &str, parse: impl Fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(&value).ok_or_else(|| StoreError::Corrupt(format!("{column}: unknown value {value:?}")))
}

fn account_from(row: &AnyRow) -> StoreResult<BankAccount> {
    Ok(BankAccount {
        id: row.try_get("id")?,
        institution_id: row.try_get("institution_id")?,
        user_id: row.try_get("user_id")?,
        display_name: row.try_get("display_name")?,
        category: parse(row.try_get("category")?, "bank_accounts.category", Category::parse)?,
        subcategory: parse(
            row.try_get("subcategory")?,
            "bank_accounts.subcategory",
            Subcategory::parse,
        )?,
        last4: row.try_get("last4")?,
        currency: row.try_get("currency")?,
        status: row.try_get("status")?,
        routing_number: row.try_get("routing_number")?,
        balance: Balance {
            current: row.try_get("balance_current")?,
            available: row.try_get("balance_available")?,
            used: row.try_get("balance_used")?,
        },
        scenario: parse(row.try_get("scenario")?, "bank_accounts.scenario", Scenario::parse)?,
    })
}

pub(super) async fn list_accounts(store: &SqlStore, user_id: &str) -> StoreResult<Vec<BankAccount>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM bank_accounts WHERE user_id = $1 ORDER BY seq");
    let rows = sqlx::query(&sql).bind(user_id).fetch_all(&store.read).await?;
    rows.iter().map(account_from).collect()
}

pub(super) async fn get_account(store: &SqlStore, id: &str) -> StoreResult<Option<BankAccount>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM bank_accounts WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&store.read).await?;
    row.as_ref().map(account_from).transpose()
}

pub(super) async fn owners(store: &SqlStore, account_id: &str) -> StoreResult<Vec<Owner>> {
    let rows = sqlx::query(
        "SELECT position, name, email, phone, raw_address FROM bank_owners WHERE account_id = $1 ORDER BY position",
    )
    .bind(account_id)
    .fetch_all(&store.read)
    .await?;
    rows.iter()
        .map(|row| {
            let position: i64 = row.try_get("position")?;
            let ctx = |column: &str| format!("bank_owners:{account_id}:{position}:{column}");
            let open = |column: &str| -> StoreResult<Option<String>> {
                let stored: Option<String> = row.try_get(column)?;
                Ok(store.cipher.open_opt(stored.as_deref(), &ctx(column))?)
            };
            Ok(Owner {
                name: open("name")?.unwrap_or_default(),
                email: open("email")?,
                phone: open("phone")?,
                raw_address: open("raw_address")?,
            })
        })
        .collect()
}

pub(super) async fn account_number(store: &SqlStore, account_id: &str) -> StoreResult<Option<String>> {
    let stored: Option<String> = sqlx::query_scalar("SELECT account_number FROM bank_accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&store.read)
        .await?;
    let ctx = format!("bank_accounts:{account_id}:account_number");
    Ok(store.cipher.open_opt(stored.as_deref(), &ctx)?)
}

fn transaction_from(row: &AnyRow) -> StoreResult<Transaction> {
    Ok(Transaction {
        id: row.try_get("id")?,
        amount: row.try_get("amount")?,
        currency: row.try_get("currency")?,
        description: row.try_get("description")?,
        status: parse(
            row.try_get("status")?,
            "bank_transactions.status",
            TransactionStatus::parse,
        )?,
        transacted_at: row.try_get("transacted_at")?,
        posted_at: row.try_get("posted_at")?,
    })
}

pub(super) async fn transactions(
    store: &SqlStore,
    account_id: &str,
    cursor: Option<&TransactionCursor>,
    limit: i64,
) -> StoreResult<(Vec<Transaction>, bool)> {
    // Newest first by (transacted_at, id); the cursor is the last row of the previous page.
    let (at, id) = match cursor {
        Some(c) => (c.transacted_at, c.id.clone()),
        None => (i64::MAX, String::new()),
    };
    let sql = format!(
        "SELECT id, amount, currency, description, status, transacted_at, posted_at FROM bank_transactions \
         WHERE account_id = $1 AND (transacted_at < $2 OR (transacted_at = $2 AND id < $3)) \
         ORDER BY transacted_at DESC, id DESC LIMIT {}",
        limit + 1
    );
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .bind(at)
        .bind(id)
        .fetch_all(&store.read)
        .await?;
    let has_more = rows.len() as i64 > limit;
    let list = rows
        .iter()
        .take(limit as usize)
        .map(transaction_from)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((list, has_more))
}

pub(super) async fn record_data_call(store: &SqlStore, account_id: &str) -> StoreResult<()> {
    sqlx::query("UPDATE bank_accounts SET data_calls = data_calls + 1 WHERE id = $1")
        .bind(account_id)
        .execute(&store.write)
        .await?;
    Ok(())
}

pub(super) async fn data_calls(store: &SqlStore, account_id: &str) -> StoreResult<i64> {
    let n: Option<i64> = sqlx::query_scalar("SELECT data_calls FROM bank_accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&store.read)
        .await?;
    Ok(n.unwrap_or(0))
}
