//! Transactions: upserted by the bank's id on each refresh, listed newest first.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction as Tx};

use crate::domain::page::{Page, PageRequest};
use crate::domain::transaction::{BankTransaction, Transaction, TransactionFilter};
use crate::store::sql::SqlStore;
use crate::store::sql::list::{FilterValue, ListSpec, fetch_page};
use crate::store::{StoreError, StoreResult};

const COLUMNS: &str = "id, platform_id, account_id, bank_id, amount, currency, description, status, transacted_at, \
                       posted_at, void_at, transaction_refresh, updated";

fn from_row(row: &AnyRow) -> StoreResult<Transaction> {
    Ok(Transaction {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        account_id: row.try_get("account_id")?,
        bank_id: row.try_get("bank_id")?,
        amount: row.try_get("amount")?,
        currency: row.try_get("currency")?,
        description: row.try_get("description")?,
        status: row.try_get("status")?,
        transacted_at: row.try_get("transacted_at")?,
        posted_at: row.try_get("posted_at")?,
        void_at: row.try_get("void_at")?,
        transaction_refresh: row.try_get("transaction_refresh")?,
        updated: row.try_get("updated")?,
    })
}

/// Applies one refresh: new bank transactions are added, changed ones updated, both stamped
/// with the refresh. Oldest first, so the newest-first list follows `transacted_at`.
pub(super) async fn apply_refresh(
    tx: &mut Tx<'_, Any>,
    platform_id: &str,
    account_id: &str,
    refresh_id: &str,
    mut fetched: Vec<BankTransaction>,
    now: i64,
) -> StoreResult<()> {
    let refresh_seq: i64 =
        sqlx::query("INSERT INTO fc_transaction_refreshes (id, account_id, created) VALUES ($1, $2, $3) RETURNING seq")
            .bind(refresh_id)
            .bind(account_id)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?
            .try_get("seq")?;
    fetched.sort_by_key(|t| (t.transacted_at, t.id.clone()));
    for bank in fetched {
        let existing = sqlx::query("SELECT status FROM fc_transactions WHERE account_id = $1 AND bank_id = $2")
            .bind(account_id)
            .bind(&bank.id)
            .fetch_optional(&mut **tx)
            .await?;
        match existing {
            Some(row) => {
                let status: String = row.try_get("status")?;
                if status != bank.status {
                    sqlx::query(
                        "UPDATE fc_transactions SET status = $3, posted_at = $4, void_at = $5, amount = $6, \
                         transaction_refresh = $7, refresh_seq = $8, updated = $9 WHERE account_id = $1 AND bank_id = $2",
                    )
                    .bind(account_id)
                    .bind(&bank.id)
                    .bind(&bank.status)
                    .bind(bank.posted_at)
                    .bind((bank.status == "void").then_some(now))
                    .bind(bank.amount)
                    .bind(refresh_id)
                    .bind(refresh_seq)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
                }
            }
            None => {
                let t = Transaction::from_bank(platform_id, account_id, refresh_id, bank, now);
                sqlx::query(
                    "INSERT INTO fc_transactions (id, platform_id, account_id, bank_id, amount, currency, description, \
                     status, transacted_at, posted_at, void_at, transaction_refresh, refresh_seq, updated) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(&t.id)
                .bind(&t.platform_id)
                .bind(&t.account_id)
                .bind(&t.bank_id)
                .bind(t.amount)
                .bind(&t.currency)
                .bind(&t.description)
                .bind(&t.status)
                .bind(t.transacted_at)
                .bind(t.posted_at)
                .bind(t.void_at)
                .bind(&t.transaction_refresh)
                .bind(refresh_seq)
                .bind(t.updated)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok(())
}

pub(super) async fn list(
    store: &SqlStore,
    platform_id: &str,
    filter: &TransactionFilter,
    page: &PageRequest,
) -> StoreResult<Page<Transaction>> {
    let (low, high) = filter.transacted_at.clone().unwrap_or_default().bounds();
    let after_seq = match &filter.refreshed_after {
        None => i64::MIN,
        Some(id) => sqlx::query("SELECT seq FROM fc_transaction_refreshes WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(&filter.account_id)
            .fetch_optional(&store.read)
            .await?
            .map(|r| r.try_get::<i64, _>("seq"))
            .transpose()?
            .ok_or_else(|| StoreError::UnknownCursor(id.clone()))?,
    };
    let spec = ListSpec {
        table: "fc_transactions",
        columns: COLUMNS,
        filter: "AND account_id = $2 AND transacted_at >= $3 AND transacted_at <= $4 AND refresh_seq > $5",
        filter_values: vec![
            FilterValue::Text(Some(filter.account_id.clone())),
            FilterValue::Int(low),
            FilterValue::Int(high),
            FilterValue::Int(after_seq),
        ],
    };
    fetch_page(&store.read, spec, platform_id, page, from_row).await
}

pub(super) async fn get(store: &SqlStore, platform_id: &str, id: &str) -> StoreResult<Option<Transaction>> {
    let sql = format!("SELECT {COLUMNS} FROM fc_transactions WHERE platform_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&store.read)
        .await?;
    row.as_ref().map(from_row).transpose()
}
