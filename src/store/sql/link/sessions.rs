//! Sessions: stored with their client secret sealed and findable by its digest.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::digest;
use crate::domain::idempotency::Reply;
use crate::domain::session::{AccountHolder, Session, SessionStatus};
use crate::store::sql::{Backend, SqlStore};
use crate::store::{StoreError, StoreResult};

const COLUMNS: &str = "id, platform_id, created, client_secret, holder_type, holder_id, permissions, prefetch, \
                       filters, account_limit, return_url, status, failure_reason";

fn secret_context(id: &str) -> String {
    format!("fc_sessions:{id}:client_secret")
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("session column {what}"))
}

fn from_row(store: &SqlStore, row: &AnyRow) -> StoreResult<Session> {
    let id: String = row.try_get("id")?;
    let sealed: String = row.try_get("client_secret")?;
    let holder_type: String = row.try_get("holder_type")?;
    let holder_id: String = row.try_get("holder_id")?;
    let json = |col: &str| -> StoreResult<serde_json::Value> {
        let text: String = row.try_get(col)?;
        serde_json::from_str(&text).map_err(|_| corrupt(col))
    };
    let status: String = row.try_get("status")?;
    let limit: Option<i64> = row.try_get("account_limit")?;
    Ok(Session {
        client_secret: store.cipher.open(&sealed, &secret_context(&id))?,
        platform_id: row.try_get("platform_id")?,
        created: row.try_get("created")?,
        account_holder: match holder_type.as_str() {
            "customer" => AccountHolder::Customer(holder_id),
            _ => AccountHolder::Account(holder_id),
        },
        permissions: serde_json::from_value(json("permissions")?).map_err(|_| corrupt("permissions"))?,
        prefetch: serde_json::from_value(json("prefetch")?).map_err(|_| corrupt("prefetch"))?,
        filters: serde_json::from_value(json("filters")?).map_err(|_| corrupt("filters"))?,
        account_limit: limit.and_then(|l| u32::try_from(l).ok()),
        return_url: row.try_get("return_url")?,
        status: SessionStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
        failure_reason: row.try_get("failure_reason")?,
        id,
    })
}

pub(super) async fn insert(store: &SqlStore, s: &Session, reply: Option<&Reply<'_, Session>>) -> StoreResult<()> {
    let (holder_type, holder_id) = match &s.account_holder {
        AccountHolder::Customer(id) => ("customer", id),
        AccountHolder::Account(id) => ("account", id),
    };
    let to_json = |v: serde_json::Result<String>| v.map_err(|e| StoreError::Corrupt(e.to_string()));
    let statement = sqlx::query(
        "INSERT INTO fc_sessions (id, platform_id, created, client_secret, client_secret_hash, holder_type, \
         holder_id, permissions, prefetch, filters, account_limit, return_url, status, failure_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&s.id)
    .bind(&s.platform_id)
    .bind(s.created)
    .bind(store.cipher.seal(&s.client_secret, &secret_context(&s.id)))
    .bind(digest(&s.client_secret))
    .bind(holder_type)
    .bind(holder_id)
    .bind(to_json(serde_json::to_string(&s.permissions))?)
    .bind(to_json(serde_json::to_string(&s.prefetch))?)
    .bind(to_json(serde_json::to_string(&s.filters))?)
    .bind(s.account_limit.map(i64::from))
    .bind(&s.return_url)
    .bind(s.status.as_str())
    .bind(&s.failure_reason);
    crate::store::sql::execute_recording(store, statement, reply, s).await
}

pub(super) async fn get(store: &SqlStore, platform_id: &str, id: &str) -> StoreResult<Option<Session>> {
    let sql = format!("SELECT {COLUMNS} FROM fc_sessions WHERE platform_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&store.read)
        .await?;
    row.map(|r| from_row(store, &r)).transpose()
}

pub(super) async fn by_secret(store: &SqlStore, client_secret: &str) -> StoreResult<Option<Session>> {
    let sql = format!("SELECT {COLUMNS} FROM fc_sessions WHERE client_secret_hash = $1");
    let row = sqlx::query(&sql)
        .bind(digest(client_secret))
        .fetch_optional(&store.read)
        .await?;
    row.map(|r| from_row(store, &r)).transpose()
}

pub(super) async fn end(store: &SqlStore, id: &str, status: SessionStatus, reason: Option<&str>) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE fc_sessions SET status = $2, failure_reason = $3 WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .bind(status.as_str())
            .bind(reason)
            .execute(&store.write)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a pending session succeeded inside the linking transaction.
pub(super) async fn succeed(tx: &mut Transaction<'_, Any>, _backend: Backend, id: &str) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE fc_sessions SET status = 'succeeded' WHERE id = $1 AND status = 'pending'")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
