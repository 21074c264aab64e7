//! Platforms and API keys (stored as SHA-256 hashes).

use sqlx::Row;

use super::SqlStore;
use crate::domain::key_permissions::KeyPermissions;
use crate::domain::platform::{KeyGrant, KeyHash, Platform};
use crate::store::{StoreError, StoreResult};

pub(super) async fn insert_platform(store: &SqlStore, p: &Platform) -> StoreResult<bool> {
    let done = sqlx::query("INSERT INTO platforms (id, name, created) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
        .bind(&p.id)
        .bind(&p.name)
        .bind(p.created)
        .execute(&store.write)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn get_platform(store: &SqlStore, id: &str) -> StoreResult<Option<Platform>> {
    let row = sqlx::query("SELECT id, name, created FROM platforms WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.read)
        .await?;
    row.map(|r| {
        Ok(Platform {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            created: r.try_get("created")?,
        })
    })
    .transpose()
}

pub(super) async fn insert_api_key(
    store: &SqlStore,
    hash: KeyHash,
    platform_id: &str,
    last4: &str,
    permissions: Option<&KeyPermissions>,
    now: i64,
) -> StoreResult<()> {
    // Re-inserting a known key (the sandbox key at every start) re-activates it.
    sqlx::query(
        "INSERT INTO api_keys (key_hash, platform_id, last4, permissions, created) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL",
    )
    .bind(hash.to_hex())
    .bind(platform_id)
    .bind(last4)
    .bind(permissions.map(|p| p.to_string()))
    .bind(now)
    .execute(&store.write)
    .await?;
    Ok(())
}

pub(super) async fn revoke_api_key(store: &SqlStore, hash: KeyHash, now: i64) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(hash.to_hex())
        .bind(now)
        .execute(&store.write)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn key_grant(store: &SqlStore, hash: KeyHash) -> StoreResult<Option<KeyGrant>> {
    let row = sqlx::query("SELECT platform_id, permissions FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(hash.to_hex())
        .fetch_optional(&store.read)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let permissions = row
        .try_get::<Option<String>, _>("permissions")?
        .map(|text| KeyPermissions::parse(&text).map_err(|e| StoreError::Corrupt(format!("key permissions: {e}"))))
        .transpose()?;
    Ok(Some(KeyGrant {
        platform_id: row.try_get("platform_id")?,
        permissions,
    }))
}
