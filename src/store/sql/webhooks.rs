//! Webhook endpoints: one row each (secret sealed), and one `webhook_endpoint_events` row per
//! enabled type so the outbox fan-out is a join.

use crate::domain::idempotency::Reply;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::SqlStore;
use super::list::{ListSpec, fetch_page};
use crate::crypto::Cipher;
use crate::domain::page::{Page, PageRequest};
use crate::domain::webhook::{EndpointStatus, WebhookEndpoint};
use crate::store::{Modify, StoreError, StoreResult};

pub(super) const COLUMNS: &str =
    "id, platform_id, created, url, enabled_events, description, metadata, api_version, status, secret";

fn secret_context(id: &str) -> String {
    format!("webhook_endpoints:{id}:secret")
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("webhook_endpoints column {what}"))
}

/// Reads an endpoint from a row with [`COLUMNS`] (optionally prefixed by a join's alias).
pub(super) fn from_row(row: &AnyRow, cipher: &Cipher) -> StoreResult<WebhookEndpoint> {
    let id: String = row.try_get("id")?;
    let events: String = row.try_get("enabled_events")?;
    let metadata: String = row.try_get("metadata")?;
    let status: String = row.try_get("status")?;
    let sealed: String = row.try_get("secret")?;
    Ok(WebhookEndpoint {
        secret: cipher.open(&sealed, &secret_context(&id))?,
        platform_id: row.try_get("platform_id")?,
        created: row.try_get("created")?,
        url: row.try_get("url")?,
        enabled_events: serde_json::from_str(&events).map_err(|_| corrupt("enabled_events"))?,
        description: row.try_get("description")?,
        metadata: serde_json::from_str(&metadata).map_err(|_| corrupt("metadata"))?,
        api_version: row.try_get("api_version")?,
        status: EndpointStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
        id,
    })
}

async fn write_event_types(tx: &mut Transaction<'_, Any>, e: &WebhookEndpoint) -> StoreResult<()> {
    sqlx::query("DELETE FROM webhook_endpoint_events WHERE endpoint_id = $1")
        .bind(&e.id)
        .execute(&mut **tx)
        .await?;
    let mut seen = std::collections::BTreeSet::new();
    for t in e.enabled_events.iter().filter(|t| seen.insert(t.as_str())) {
        sqlx::query("INSERT INTO webhook_endpoint_events (endpoint_id, event_type) VALUES ($1, $2)")
            .bind(&e.id)
            .bind(t)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A disabled or deleted endpoint gets nothing more: its queued deliveries end as failed.
pub(super) async fn fail_pending(tx: &mut Transaction<'_, Any>, endpoint_id: &str, why: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = $2, claimed_until = NULL, claimed_by = NULL \
         WHERE endpoint_id = $1 AND status = 'pending'",
    )
    .bind(endpoint_id)
    .bind(why)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("endpoint fields serialise")
}

pub(super) async fn insert(
    store: &SqlStore,
    e: &WebhookEndpoint,
    reply: Option<&Reply<'_, WebhookEndpoint>>,
) -> StoreResult<()> {
    let mut tx = store.write.begin().await?;
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, platform_id, created, url, enabled_events, description, metadata, \
         api_version, status, secret) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&e.id)
    .bind(&e.platform_id)
    .bind(e.created)
    .bind(&e.url)
    .bind(json_text(&e.enabled_events))
    .bind(&e.description)
    .bind(json_text(&e.metadata))
    .bind(&e.api_version)
    .bind(e.status.as_str())
    .bind(store.cipher.seal(&e.secret, &secret_context(&e.id)))
    .execute(&mut *tx)
    .await?;
    write_event_types(&mut tx, e).await?;
    super::record_reply(&mut tx, &store.cipher, reply, e).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(store: &SqlStore, platform_id: &str, id: &str) -> StoreResult<Option<WebhookEndpoint>> {
    let sql =
        format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE platform_id = $1 AND id = $2 AND deleted_at IS NULL");
    let row = sqlx::query(&sql)
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&store.read)
        .await?;
    row.as_ref().map(|r| from_row(r, &store.cipher)).transpose()
}

/// Whether the platform has (or had) this endpoint, deleted or not.
pub(super) async fn exists(store: &SqlStore, platform_id: &str, id: &str) -> StoreResult<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM webhook_endpoints WHERE platform_id = $1 AND id = $2")
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&store.read)
        .await?;
    Ok(row.is_some())
}

pub(super) async fn modify(
    store: &SqlStore,
    platform_id: &str,
    id: &str,
    change: Modify<'_, WebhookEndpoint>,
    reply: Option<&Reply<'_, WebhookEndpoint>>,
) -> StoreResult<Option<WebhookEndpoint>> {
    let mut tx = store.write.begin().await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE platform_id = $1 AND id = $2 AND deleted_at IS NULL{}",
        store.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut e = from_row(&row, &store.cipher)?;
    let was = e.status;
    change(&mut e)?;
    sqlx::query(
        "UPDATE webhook_endpoints SET url = $3, enabled_events = $4, description = $5, metadata = $6, status = $7, \
         consecutive_failures = CASE WHEN $7 = 'enabled' AND status = 'disabled' THEN 0 ELSE consecutive_failures END \
         WHERE platform_id = $1 AND id = $2",
    )
    .bind(platform_id)
    .bind(id)
    .bind(&e.url)
    .bind(json_text(&e.enabled_events))
    .bind(&e.description)
    .bind(json_text(&e.metadata))
    .bind(e.status.as_str())
    .execute(&mut *tx)
    .await?;
    write_event_types(&mut tx, &e).await?;
    if was == EndpointStatus::Enabled && e.status == EndpointStatus::Disabled {
        fail_pending(&mut tx, id, "endpoint disabled").await?;
    }
    super::record_reply(&mut tx, &store.cipher, reply, &e).await?;
    tx.commit().await?;
    Ok(Some(e))
}

pub(super) async fn delete(store: &SqlStore, platform_id: &str, id: &str, now: i64) -> StoreResult<bool> {
    let mut tx = store.write.begin().await?;
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET deleted_at = $3 WHERE platform_id = $1 AND id = $2 AND deleted_at IS NULL",
    )
    .bind(platform_id)
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    fail_pending(&mut tx, id, "endpoint deleted").await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn list(
    store: &SqlStore,
    platform_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<WebhookEndpoint>> {
    let spec = ListSpec {
        table: "webhook_endpoints",
        columns: COLUMNS,
        filter: "AND deleted_at IS NULL",
        filter_values: vec![],
    };
    fetch_page(&store.read, spec, platform_id, page, |r| from_row(r, &store.cipher)).await
}
