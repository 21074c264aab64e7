//! The hosted flow's OAuth state: the link client's registration at each bank, and each
//! round trip's `state` → (session, institution, PKCE verifier), taken once.

use sqlx::Row;

use super::digest;
use crate::store::StoreResult;
use crate::store::link::{LINK_ATTEMPT_TTL_SECS, LinkAttempt, LinkClient};
use crate::store::sql::SqlStore;

fn client_context(institution_id: &str, redirect_uri: &str) -> String {
    format!("fc_link_clients:{institution_id}:{redirect_uri}")
}

pub(super) async fn get_client(
    store: &SqlStore,
    institution_id: &str,
    redirect_uri: &str,
) -> StoreResult<Option<LinkClient>> {
    let row = sqlx::query(
        "SELECT client_id, client_secret FROM fc_link_clients WHERE institution_id = $1 AND redirect_uri = $2",
    )
    .bind(institution_id)
    .bind(redirect_uri)
    .fetch_optional(&store.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let sealed: String = row.try_get("client_secret")?;
    Ok(Some(LinkClient {
        client_id: row.try_get("client_id")?,
        client_secret: store
            .cipher
            .open(&sealed, &client_context(institution_id, redirect_uri))?,
    }))
}

pub(super) async fn client_by_id(
    store: &SqlStore,
    institution_id: &str,
    client_id: &str,
) -> StoreResult<Option<LinkClient>> {
    let row = sqlx::query("SELECT redirect_uri FROM fc_link_clients WHERE institution_id = $1 AND client_id = $2")
        .bind(institution_id)
        .bind(client_id)
        .fetch_optional(&store.read)
        .await?;
    match row {
        Some(row) => get_client(store, institution_id, &row.try_get::<String, _>("redirect_uri")?).await,
        None => Ok(None),
    }
}

pub(super) async fn insert_client(
    store: &SqlStore,
    institution_id: &str,
    redirect_uri: &str,
    client: &LinkClient,
    now: i64,
) -> StoreResult<()> {
    // Two first links racing both register; the later registration replaces the earlier.
    sqlx::query(
        "INSERT INTO fc_link_clients (institution_id, redirect_uri, client_id, client_secret, created) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (institution_id, redirect_uri) \
         DO UPDATE SET client_id = $3, client_secret = $4, created = $5",
    )
    .bind(institution_id)
    .bind(redirect_uri)
    .bind(&client.client_id)
    .bind(
        store
            .cipher
            .seal(&client.client_secret, &client_context(institution_id, redirect_uri)),
    )
    .bind(now)
    .execute(&store.write)
    .await?;
    Ok(())
}

pub(super) async fn insert_attempt(store: &SqlStore, state: &str, a: &LinkAttempt, now: i64) -> StoreResult<()> {
    let key = digest(state);
    sqlx::query(
        "INSERT INTO fc_link_attempts (state_hash, platform_id, session_id, institution_id, pkce_verifier, created) \
         VALUES ($1, $6, $2, $3, $4, $5)",
    )
    .bind(&key)
    .bind(&a.session_id)
    .bind(&a.institution_id)
    .bind(store.cipher.seal(&a.pkce_verifier, &format!("fc_link_attempts:{key}")))
    .bind(now)
    .bind(&a.platform_id)
    .execute(&store.write)
    .await?;
    Ok(())
}

pub(super) async fn take_attempt(store: &SqlStore, state: &str, now: i64) -> StoreResult<Option<LinkAttempt>> {
    let key = digest(state);
    // Claiming by update makes the take single-use even when two callbacks race.
    let claimed = sqlx::query(
        "UPDATE fc_link_attempts SET used_at = $2 WHERE state_hash = $1 AND used_at IS NULL AND created > $3",
    )
    .bind(&key)
    .bind(now)
    .bind(now - LINK_ATTEMPT_TTL_SECS)
    .execute(&store.write)
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT platform_id, session_id, institution_id, pkce_verifier FROM fc_link_attempts WHERE state_hash = $1",
    )
    .bind(&key)
    .fetch_one(&store.write)
    .await?;
    let sealed: String = row.try_get("pkce_verifier")?;
    Ok(Some(LinkAttempt {
        platform_id: row.try_get("platform_id")?,
        session_id: row.try_get("session_id")?,
        institution_id: row.try_get("institution_id")?,
        pkce_verifier: store.cipher.open(&sealed, &format!("fc_link_attempts:{key}"))?,
    }))
}
