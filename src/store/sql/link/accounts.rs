//! Linked accounts and their authorizations (bank tokens sealed).

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::crypto::Cipher;
use crate::domain::account::{AccountStatus, Authorization, AuthorizationStatus, LinkedAccount};
use crate::domain::page::{Page, PageRequest};
use crate::domain::session::AccountHolder;
use crate::store::link::AccountFilter;
use crate::store::sql::SqlStore;
use crate::store::sql::list::{FilterValue, ListSpec, fetch_page};
use crate::store::{StoreError, StoreResult};

const COLUMNS: &str = "id, platform_id, created, session_id, authorization_id, institution_id, holder_type, \
                       holder_id, bank, permissions, status, inactive_cause, balance, balance_refresh, \
                       ownership_id, ownership_refresh, transaction_refresh, subscriptions";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("fc_accounts column {what}"))
}

fn json_col<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> StoreResult<T> {
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text).map_err(|_| corrupt(col))
}

fn opt_json_col<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> StoreResult<Option<T>> {
    let text: Option<String> = row.try_get(col)?;
    text.map(|t| serde_json::from_str(&t).map_err(|_| corrupt(col)))
        .transpose()
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain values serialise")
}

fn opt_json<T: serde::Serialize>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(to_json)
}

fn from_row(row: &AnyRow) -> StoreResult<LinkedAccount> {
    let holder_type: String = row.try_get("holder_type")?;
    let holder_id: String = row.try_get("holder_id")?;
    let status: String = row.try_get("status")?;
    Ok(LinkedAccount {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        created: row.try_get("created")?,
        session_id: row.try_get("session_id")?,
        authorization_id: row.try_get("authorization_id")?,
        institution_id: row.try_get("institution_id")?,
        account_holder: match holder_type.as_str() {
            "customer" => AccountHolder::Customer(holder_id),
            _ => AccountHolder::Account(holder_id),
        },
        bank: json_col(row, "bank")?,
        permissions: json_col(row, "permissions")?,
        status: AccountStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
        inactive_cause: row.try_get("inactive_cause")?,
        balance: opt_json_col(row, "balance")?,
        balance_refresh: opt_json_col(row, "balance_refresh")?,
        ownership_id: row.try_get("ownership_id")?,
        ownership_refresh: opt_json_col(row, "ownership_refresh")?,
        transaction_refresh: opt_json_col(row, "transaction_refresh")?,
        subscriptions: json_col(row, "subscriptions")?,
    })
}

pub(super) async fn insert(tx: &mut Transaction<'_, Any>, a: &LinkedAccount) -> StoreResult<()> {
    let (holder_type, holder_id) = match &a.account_holder {
        AccountHolder::Customer(id) => ("customer", id),
        AccountHolder::Account(id) => ("account", id),
    };
    sqlx::query(
        "INSERT INTO fc_accounts (id, platform_id, created, session_id, authorization_id, institution_id, \
         holder_type, holder_id, bank, permissions, status, inactive_cause, balance, balance_refresh, \
         ownership_id, ownership_refresh, transaction_refresh, subscriptions) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(&a.id)
    .bind(&a.platform_id)
    .bind(a.created)
    .bind(&a.session_id)
    .bind(&a.authorization_id)
    .bind(&a.institution_id)
    .bind(holder_type)
    .bind(holder_id)
    .bind(to_json(&a.bank))
    .bind(to_json(&a.permissions))
    .bind(a.status.as_str())
    .bind(&a.inactive_cause)
    .bind(opt_json(&a.balance))
    .bind(opt_json(&a.balance_refresh))
    .bind(&a.ownership_id)
    .bind(opt_json(&a.ownership_refresh))
    .bind(opt_json(&a.transaction_refresh))
    .bind(to_json(&a.subscriptions))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn get(store: &SqlStore, platform_id: &str, id: &str) -> StoreResult<Option<LinkedAccount>> {
    let sql = format!("SELECT {COLUMNS} FROM fc_accounts WHERE platform_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&store.read)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn list(
    store: &SqlStore,
    platform_id: &str,
    filter: &AccountFilter,
    page: &PageRequest,
) -> StoreResult<Page<LinkedAccount>> {
    let spec = ListSpec {
        table: "fc_accounts",
        columns: COLUMNS,
        filter: "AND ($2 IS NULL OR session_id = $2) \
                 AND ($3 IS NULL OR (holder_type = 'customer' AND holder_id = $3)) \
                 AND ($4 IS NULL OR (holder_type = 'account' AND holder_id = $4))",
        filter_values: vec![
            FilterValue::Text(filter.session_id.clone()),
            FilterValue::Text(filter.customer_id.clone()),
            FilterValue::Text(filter.account_id.clone()),
        ],
    };
    fetch_page(&store.read, spec, platform_id, page, from_row).await
}

fn token_context(id: &str, which: &str) -> String {
    format!("fc_authorizations:{id}:{which}")
}

pub(super) async fn insert_authorization(
    tx: &mut Transaction<'_, Any>,
    cipher: &Cipher,
    a: &Authorization,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO fc_authorizations (id, platform_id, created, session_id, institution_id, institution_name, \
         bank_client_id, access_token, access_expires_at, refresh_token, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&a.id)
    .bind(&a.platform_id)
    .bind(a.created)
    .bind(&a.session_id)
    .bind(&a.institution_id)
    .bind(&a.institution_name)
    .bind(&a.bank_client_id)
    .bind(cipher.seal(&a.access_token, &token_context(&a.id, "access")))
    .bind(a.access_expires_at)
    .bind(cipher.seal_opt(a.refresh_token.as_deref(), &token_context(&a.id, "refresh")))
    .bind(a.status.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn get_authorization(
    store: &SqlStore,
    platform_id: &str,
    id: &str,
) -> StoreResult<Option<Authorization>> {
    let row = sqlx::query(
        "SELECT id, platform_id, created, session_id, institution_id, institution_name, bank_client_id, \
         access_token, access_expires_at, refresh_token, status FROM fc_authorizations \
         WHERE platform_id = $1 AND id = $2",
    )
    .bind(platform_id)
    .bind(id)
    .fetch_optional(&store.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id: String = row.try_get("id")?;
    let access: String = row.try_get("access_token")?;
    let refresh: Option<String> = row.try_get("refresh_token")?;
    let status: String = row.try_get("status")?;
    Ok(Some(Authorization {
        access_token: store.cipher.open(&access, &token_context(&id, "access"))?,
        refresh_token: store
            .cipher
            .open_opt(refresh.as_deref(), &token_context(&id, "refresh"))?,
        platform_id: row.try_get("platform_id")?,
        created: row.try_get("created")?,
        session_id: row.try_get("session_id")?,
        institution_id: row.try_get("institution_id")?,
        institution_name: row.try_get("institution_name")?,
        bank_client_id: row.try_get("bank_client_id")?,
        access_expires_at: row.try_get("access_expires_at")?,
        status: AuthorizationStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt("authorization status".into()))?,
        id,
    }))
}

/// Reads and locks a live account row inside a transaction.
pub(super) async fn lock(
    tx: &mut Transaction<'_, Any>,
    backend: crate::store::Backend,
    platform_id: &str,
    id: &str,
) -> StoreResult<Option<LinkedAccount>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM fc_accounts WHERE platform_id = $1 AND id = $2{}",
        backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Writes back every field a lifecycle change can touch.
pub(super) async fn update(tx: &mut Transaction<'_, Any>, a: &LinkedAccount) -> StoreResult<()> {
    sqlx::query(
        "UPDATE fc_accounts SET status = $3, inactive_cause = $4, balance = $5, balance_refresh = $6, \
         ownership_id = $7, ownership_refresh = $8, transaction_refresh = $9, subscriptions = $10 \
         WHERE platform_id = $1 AND id = $2",
    )
    .bind(&a.platform_id)
    .bind(&a.id)
    .bind(a.status.as_str())
    .bind(&a.inactive_cause)
    .bind(opt_json(&a.balance))
    .bind(opt_json(&a.balance_refresh))
    .bind(&a.ownership_id)
    .bind(opt_json(&a.ownership_refresh))
    .bind(opt_json(&a.transaction_refresh))
    .bind(to_json(&a.subscriptions))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The ids of every account under an authorization.
pub(super) async fn ids_of_authorization(
    tx: &mut Transaction<'_, Any>,
    platform_id: &str,
    authorization_id: &str,
) -> StoreResult<Vec<String>> {
    let rows = sqlx::query("SELECT id FROM fc_accounts WHERE platform_id = $1 AND authorization_id = $2 ORDER BY seq")
        .bind(platform_id)
        .bind(authorization_id)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}
