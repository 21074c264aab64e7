//! Consents, authorization codes, refresh tokens and issued access tokens. Redemption and
//! rotation run in one transaction with the row locked, so a code or refresh token is
//! honoured at most once even when two requests race.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::bank::grant::{AuthCode, Consent, ConsentStatus, RefreshStatus, RefreshToken};
use crate::domain::bank::request::Stage;
use crate::domain::bank::scope::Scopes;
use crate::store::bank::{AccessTokenRecord, Issue, IssuedTokens, Redemption};
use crate::store::sql::SqlStore;
use crate::store::{StoreError, StoreResult};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} holds an unknown value"))
}

const CONSENT_COLUMNS: &str = "id, institution_id, user_id, client_id, scope, account_ids, status, created, revoked_at";

fn consent_from(row: &AnyRow) -> StoreResult<Consent> {
    let scope: String = row.try_get("scope")?;
    let accounts: String = row.try_get("account_ids")?;
    let status: String = row.try_get("status")?;
    Ok(Consent {
        id: row.try_get("id")?,
        institution_id: row.try_get("institution_id")?,
        user_id: row.try_get("user_id")?,
        client_id: row.try_get("client_id")?,
        scope: Scopes::parse(&scope).map_err(|_| corrupt("bank_consents.scope"))?,
        account_ids: serde_json::from_str(&accounts).map_err(|_| corrupt("bank_consents.account_ids"))?,
        status: ConsentStatus::parse(&status).ok_or_else(|| corrupt("bank_consents.status"))?,
        created: row.try_get("created")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

pub(super) async fn approve(
    store: &SqlStore,
    request_id: &str,
    consent: &Consent,
    code: &AuthCode,
) -> StoreResult<bool> {
    let mut tx = store.write.begin().await?;
    let moved = sqlx::query("UPDATE bank_auth_requests SET stage = $2 WHERE id = $1 AND stage = $3")
        .bind(request_id)
        .bind(Stage::Done.as_str())
        .bind(Stage::Consent.as_str())
        .execute(&mut *tx)
        .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO bank_consents (id, institution_id, user_id, client_id, scope, account_ids, status, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&consent.id)
    .bind(&consent.institution_id)
    .bind(&consent.user_id)
    .bind(&consent.client_id)
    .bind(consent.scope.to_string())
    .bind(serde_json::to_string(&consent.account_ids).expect("strings serialise"))
    .bind(consent.status.as_str())
    .bind(consent.created)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO bank_codes (code_hash, client_id, redirect_uri, code_challenge, consent_id, family_id, \
         expires_at, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&code.hash)
    .bind(&code.client_id)
    .bind(&code.redirect_uri)
    .bind(&code.code_challenge)
    .bind(&code.consent_id)
    .bind(&code.family_id)
    .bind(code.expires_at)
    .bind(consent.created)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn consent_in(tx: &mut Tx, id: &str) -> StoreResult<Option<Consent>> {
    let sql = format!("SELECT {CONSENT_COLUMNS} FROM bank_consents WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?;
    row.as_ref().map(consent_from).transpose()
}

pub(super) async fn get_consent(store: &SqlStore, id: &str) -> StoreResult<Option<Consent>> {
    let sql = format!("SELECT {CONSENT_COLUMNS} FROM bank_consents WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&store.read).await?;
    row.as_ref().map(consent_from).transpose()
}

pub(super) async fn list_active(store: &SqlStore, user_id: &str) -> StoreResult<Vec<(Consent, String)>> {
    let rows = sqlx::query(
        "SELECT c.id, c.institution_id, c.user_id, c.client_id, c.scope, c.account_ids, c.status, c.created, \
         c.revoked_at, k.name AS client_name FROM bank_consents c JOIN bank_clients k ON k.id = c.client_id \
         WHERE c.user_id = $1 AND c.status = 'active' ORDER BY c.seq DESC",
    )
    .bind(user_id)
    .fetch_all(&store.read)
    .await?;
    rows.iter()
        .map(|row| Ok((consent_from(row)?, row.try_get("client_name")?)))
        .collect()
}

pub(super) async fn revoke_consent(store: &SqlStore, consent_id: &str, now: i64) -> StoreResult<bool> {
    let mut tx = store.write.begin().await?;
    let done =
        sqlx::query("UPDATE bank_consents SET status = 'revoked', revoked_at = $2 WHERE id = $1 AND status = 'active'")
            .bind(consent_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    sqlx::query("UPDATE bank_refresh_tokens SET status = 'revoked' WHERE consent_id = $1 AND status <> 'revoked'")
        .bind(consent_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE bank_access_tokens SET revoked_at = $2 WHERE consent_id = $1 AND revoked_at IS NULL")
        .bind(consent_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

async fn revoke_family(tx: &mut Tx, family_id: &str, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE bank_refresh_tokens SET status = 'revoked' WHERE family_id = $1")
        .bind(family_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE bank_access_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL")
        .bind(family_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_tokens(tx: &mut Tx, tokens: &IssuedTokens, now: i64) -> StoreResult<()> {
    let r = &tokens.refresh;
    sqlx::query(
        "INSERT INTO bank_refresh_tokens (token_hash, family_id, consent_id, client_id, scope, status, \
         expires_at, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&r.hash)
    .bind(&r.family_id)
    .bind(&r.consent_id)
    .bind(&r.client_id)
    .bind(r.scope.to_string())
    .bind(r.status.as_str())
    .bind(r.expires_at)
    .bind(r.created)
    .execute(&mut **tx)
    .await?;
    let a = &tokens.access;
    sqlx::query(
        "INSERT INTO bank_access_tokens (jti, family_id, consent_id, client_id, expires_at, created) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&a.jti)
    .bind(&a.family_id)
    .bind(&a.consent_id)
    .bind(&a.client_id)
    .bind(a.expires_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn redeem_code(
    store: &SqlStore,
    code_hash: &str,
    client_id: &str,
    now: i64,
    issue: Issue<'_, AuthCode>,
) -> StoreResult<Redemption> {
    let mut tx = store.write.begin().await?;
    let sql = format!(
        "SELECT code_hash, client_id, redirect_uri, code_challenge, consent_id, family_id, expires_at, used_at \
         FROM bank_codes WHERE code_hash = $1 AND client_id = $2{}",
        store.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(code_hash)
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else { return Ok(Redemption::Unknown) };
    let code = AuthCode {
        hash: row.try_get("code_hash")?,
        client_id: row.try_get("client_id")?,
        redirect_uri: row.try_get("redirect_uri")?,
        code_challenge: row.try_get("code_challenge")?,
        consent_id: row.try_get("consent_id")?,
        family_id: row.try_get("family_id")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
    };
    if code.used_at.is_some() {
        // RFC 6749 §4.1.2: a replayed code revokes what it issued.
        revoke_family(&mut tx, &code.family_id, now).await?;
        tx.commit().await?;
        return Ok(Redemption::Replayed);
    }
    // Any attempt by the bound client consumes the code, so a wrong verifier cannot be retried.
    sqlx::query("UPDATE bank_codes SET used_at = $2 WHERE code_hash = $1")
        .bind(code_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let outcome = issue_under_consent(&mut tx, &code, &code.consent_id, now, issue).await?;
    tx.commit().await?;
    Ok(outcome)
}

async fn issue_under_consent<T>(
    tx: &mut Tx,
    grant: &T,
    consent_id: &str,
    now: i64,
    issue: Issue<'_, T>,
) -> StoreResult<Redemption> {
    let consent = consent_in(tx, consent_id).await?;
    let Some(consent) = consent.filter(Consent::is_active) else {
        return Ok(Redemption::ConsentRevoked);
    };
    match issue(grant, &consent) {
        Err(e) => Ok(Redemption::Refused(e)),
        Ok(tokens) => {
            insert_tokens(tx, &tokens, now).await?;
            Ok(Redemption::Issued)
        }
    }
}

const REFRESH_COLUMNS: &str = "token_hash, family_id, consent_id, client_id, scope, status, expires_at, created";

fn refresh_from(row: &AnyRow) -> StoreResult<RefreshToken> {
    let scope: String = row.try_get("scope")?;
    let status: String = row.try_get("status")?;
    Ok(RefreshToken {
        hash: row.try_get("token_hash")?,
        family_id: row.try_get("family_id")?,
        consent_id: row.try_get("consent_id")?,
        client_id: row.try_get("client_id")?,
        scope: Scopes::parse(&scope).map_err(|_| corrupt("bank_refresh_tokens.scope"))?,
        status: RefreshStatus::parse(&status).ok_or_else(|| corrupt("bank_refresh_tokens.status"))?,
        created: row.try_get("created")?,
        expires_at: row.try_get("expires_at")?,
    })
}

pub(super) async fn rotate_refresh(
    store: &SqlStore,
    token_hash: &str,
    client_id: &str,
    now: i64,
    issue: Issue<'_, RefreshToken>,
) -> StoreResult<Redemption> {
    let mut tx = store.write.begin().await?;
    let sql = format!(
        "SELECT {REFRESH_COLUMNS} FROM bank_refresh_tokens WHERE token_hash = $1 AND client_id = $2{}",
        store.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(token_hash)
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(token) = row.as_ref().map(refresh_from).transpose()? else {
        return Ok(Redemption::Unknown);
    };
    match token.status {
        RefreshStatus::Revoked => return Ok(Redemption::Unknown),
        RefreshStatus::Rotated => {
            // RFC 9700 §4.14.2: reuse of a rotated token means theft; end the whole family.
            revoke_family(&mut tx, &token.family_id, now).await?;
            tx.commit().await?;
            return Ok(Redemption::Replayed);
        }
        RefreshStatus::Active => {}
    }
    if now >= token.expires_at {
        return Ok(Redemption::Unknown);
    }
    let outcome = issue_under_consent(&mut tx, &token, &token.consent_id, now, issue).await?;
    if outcome == Redemption::Issued {
        sqlx::query("UPDATE bank_refresh_tokens SET status = 'rotated' WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(outcome)
}

pub(super) async fn get_refresh(store: &SqlStore, token_hash: &str) -> StoreResult<Option<RefreshToken>> {
    let sql = format!("SELECT {REFRESH_COLUMNS} FROM bank_refresh_tokens WHERE token_hash = $1");
    let row = sqlx::query(&sql).bind(token_hash).fetch_optional(&store.read).await?;
    row.as_ref().map(refresh_from).transpose()
}

pub(super) async fn live_access(store: &SqlStore, jti: &str) -> StoreResult<Option<AccessTokenRecord>> {
    let row = sqlx::query(
        "SELECT jti, family_id, consent_id, client_id, expires_at FROM bank_access_tokens \
         WHERE jti = $1 AND revoked_at IS NULL",
    )
    .bind(jti)
    .fetch_optional(&store.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(AccessTokenRecord {
        jti: row.try_get("jti")?,
        family_id: row.try_get("family_id")?,
        consent_id: row.try_get("consent_id")?,
        client_id: row.try_get("client_id")?,
        expires_at: row.try_get("expires_at")?,
    }))
}

pub(super) async fn revoke_access(store: &SqlStore, jti: &str, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE bank_access_tokens SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL")
        .bind(jti)
        .bind(now)
        .execute(&store.write)
        .await?;
    Ok(())
}
