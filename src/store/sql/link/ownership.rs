//! Ownership snapshots and their owners. Every personal field is sealed, bound to its row
//! and column, so a dump shows none of it and a value cannot be moved to another owner.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::crypto::Cipher;
use crate::domain::ownership::{Owner, Ownership};
use crate::domain::page::{Page, PageRequest};
use crate::store::StoreResult;
use crate::store::sql::SqlStore;
use crate::store::sql::list::{FilterValue, ListSpec, fetch_page};

fn context(owner_id: &str, column: &str) -> String {
    format!("fc_owners:{owner_id}:{column}")
}

fn from_row(cipher: &Cipher, row: &AnyRow) -> StoreResult<Owner> {
    let id: String = row.try_get("id")?;
    let open = |column: &str| -> StoreResult<Option<String>> {
        let sealed: Option<String> = row.try_get(column)?;
        Ok(cipher.open_opt(sealed.as_deref(), &context(&id, column))?)
    };
    Ok(Owner {
        name: open("name")?.unwrap_or_default(),
        email: open("email")?,
        phone: open("phone")?,
        raw_address: open("raw_address")?,
        ownership_id: row.try_get("ownership_id")?,
        refreshed_at: row.try_get("refreshed_at")?,
        id,
    })
}

pub(super) async fn insert(tx: &mut Transaction<'_, Any>, cipher: &Cipher, o: &Ownership) -> StoreResult<()> {
    sqlx::query("INSERT INTO fc_ownerships (id, platform_id, account_id, created) VALUES ($1, $2, $3, $4)")
        .bind(&o.id)
        .bind(&o.platform_id)
        .bind(&o.account_id)
        .bind(o.created)
        .execute(&mut **tx)
        .await?;
    // Inserted last to first, so the newest-first list reads in the bank's order.
    for owner in o.owners.iter().rev() {
        let seal = |column: &str, value: Option<&str>| cipher.seal_opt(value, &context(&owner.id, column));
        sqlx::query(
            "INSERT INTO fc_owners (id, ownership_id, platform_id, name, email, phone, raw_address, refreshed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&owner.id)
        .bind(&o.id)
        .bind(&o.platform_id)
        .bind(seal("name", Some(&owner.name)))
        .bind(seal("email", owner.email.as_deref()))
        .bind(seal("phone", owner.phone.as_deref()))
        .bind(seal("raw_address", owner.raw_address.as_deref()))
        .bind(owner.refreshed_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

const OWNER_COLUMNS: &str = "id, ownership_id, name, email, phone, raw_address, refreshed_at";

pub(super) async fn get(store: &SqlStore, platform_id: &str, id: &str) -> StoreResult<Option<Ownership>> {
    let row = sqlx::query(
        "SELECT id, platform_id, account_id, created FROM fc_ownerships WHERE platform_id = $1 AND id = $2",
    )
    .bind(platform_id)
    .bind(id)
    .fetch_optional(&store.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let sql = format!("SELECT {OWNER_COLUMNS} FROM fc_owners WHERE ownership_id = $1 ORDER BY seq DESC");
    let owners = sqlx::query(&sql).bind(id).fetch_all(&store.read).await?;
    Ok(Some(Ownership {
        id: row.try_get("id")?,
        platform_id: row.try_get("platform_id")?,
        account_id: row.try_get("account_id")?,
        created: row.try_get("created")?,
        owners: owners
            .iter()
            .map(|r| from_row(&store.cipher, r))
            .collect::<StoreResult<_>>()?,
    }))
}

pub(super) async fn list_owners(
    store: &SqlStore,
    platform_id: &str,
    ownership_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<Owner>> {
    let spec = ListSpec {
        table: "fc_owners",
        columns: OWNER_COLUMNS,
        filter: "AND ownership_id = $2",
        filter_values: vec![FilterValue::Text(Some(ownership_id.to_owned()))],
    };
    fetch_page(&store.read, spec, platform_id, page, |r| from_row(&store.cipher, r)).await
}
