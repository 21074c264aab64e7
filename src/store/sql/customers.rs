//! Customers: one row each; address and metadata as JSON text.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::SqlStore;
use super::list::{FilterValue, ListSpec, fetch_page};
use crate::domain::customer::{Customer, CustomerFilter};
use crate::domain::idempotency::Reply;
use crate::domain::page::{Page, PageRequest};
use crate::store::{Modify, StoreError, StoreResult};

const COLUMNS: &str = "id, platform_id, created, deleted_at, name, email, phone, description, address, metadata";

fn from_row(row: &AnyRow) -> StoreResult<Customer> {
    let address: Option<String> = row.try_get("address")?;
    let metadata: String = row.try_get("metadata")?;
    Ok(Customer {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        created: row.try_get("created")?,
        deleted_at: row.try_get("deleted_at")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        description: row.try_get("description")?,
        address: address.map(|a| serde_json::from_str(&a)).transpose().map_err(corrupt)?,
        metadata: serde_json::from_str(&metadata).map_err(corrupt)?,
    })
}

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("customer JSON column: {e}"))
}

fn encode_json(c: &Customer) -> (Option<String>, String) {
    let address = c
        .address
        .as_ref()
        .map(|a| serde_json::to_string(a).expect("address serialises"));
    let metadata = serde_json::to_string(&c.metadata).expect("metadata serialises");
    (address, metadata)
}

pub(super) async fn insert(store: &SqlStore, c: &Customer, reply: Option<&Reply<'_, Customer>>) -> StoreResult<()> {
    let (address, metadata) = encode_json(c);
    let statement = sqlx::query(
        "INSERT INTO customers (id, platform_id, created, deleted_at, name, email, phone, \
         description, address, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&c.id)
    .bind(&c.platform_id)
    .bind(c.created)
    .bind(c.deleted_at)
    .bind(&c.name)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(&c.description)
    .bind(address)
    .bind(metadata);
    super::execute_recording(store, statement, reply, c).await
}

pub(super) async fn get(store: &SqlStore, platform_id: &str, id: &str) -> StoreResult<Option<Customer>> {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE platform_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&store.read)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn modify(
    store: &SqlStore,
    platform_id: &str,
    id: &str,
    change: Modify<'_, Customer>,
    reply: Option<&Reply<'_, Customer>>,
) -> StoreResult<Option<Customer>> {
    let mut tx = store.write.begin().await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM customers WHERE platform_id = $1 AND id = $2 AND deleted_at IS NULL{}",
        store.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(platform_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut customer = from_row(&row)?;
    change(&mut customer)?;
    let (address, metadata) = encode_json(&customer);
    sqlx::query(
        "UPDATE customers SET name = $3, email = $4, phone = $5, description = $6, address = $7, \
         metadata = $8 WHERE platform_id = $1 AND id = $2",
    )
    .bind(platform_id)
    .bind(id)
    .bind(&customer.name)
    .bind(&customer.email)
    .bind(&customer.phone)
    .bind(&customer.description)
    .bind(address)
    .bind(metadata)
    .execute(&mut *tx)
    .await?;
    super::record_reply(&mut tx, &store.cipher, reply, &customer).await?;
    tx.commit().await?;
    Ok(Some(customer))
}

pub(super) async fn delete(store: &SqlStore, platform_id: &str, id: &str, now: i64) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE customers SET deleted_at = $3 WHERE platform_id = $1 AND id = $2 AND deleted_at IS NULL")
            .bind(platform_id)
            .bind(id)
            .bind(now)
            .execute(&store.write)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn list(
    store: &SqlStore,
    platform_id: &str,
    filter: &CustomerFilter,
    page: &PageRequest,
) -> StoreResult<Page<Customer>> {
    let (low, high) = filter.created.clone().unwrap_or_default().bounds();
    let spec = ListSpec {
        table: "customers",
        columns: COLUMNS,
        filter: "AND deleted_at IS NULL AND ($2 IS NULL OR email = $2) AND created >= $3 AND created <= $4",
        filter_values: vec![
            FilterValue::Text(filter.email.clone()),
            FilterValue::Int(low),
            FilterValue::Int(high),
        ],
    };
    fetch_page(&store.read, spec, platform_id, page, from_row).await
}
