//! `POST /oauth/introspect` (RFC 7662), client authentication required. A token is active
//! only if it is genuine, unexpired by the app clock, not revoked, issued to the asking
//! client, and its consent is still active; anything else is just `{"active": false}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Bank;
use super::client_auth::authenticate;
use super::errors::OAuthError;
use super::form::Params;
use crate::app_state::AppState;
use crate::domain::bank::client::BankClient;
use crate::domain::bank::grant::RefreshStatus;
use crate::domain::bank::secret;

pub async fn introspect(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match run(&state, &institution, &headers, &body).await {
        Ok(value) => {
            let mut res = Json(value).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => e.into_response(),
    }
}

fn inactive() -> Value {
    json!({"active": false})
}

async fn run(state: &AppState, institution: &str, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    let bank = Bank::find(state, institution)
        .await?
        .ok_or_else(OAuthError::not_found)?;
    let form = Params::parse(body);
    let client = authenticate(state, &bank, headers, &form).await?;
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    if token.split('.').count() == 3 {
        access(state, &bank, &client, token).await
    } else {
        refresh(state, &bank, &client, token).await
    }
}

async fn consent_active(state: &AppState, consent_id: &str) -> Result<bool, OAuthError> {
    Ok(state
        .store
        .get_consent(consent_id)
        .await?
        .is_some_and(|c| c.is_active()))
}

async fn access(state: &AppState, bank: &Bank, client: &BankClient, token: &str) -> Result<Value, OAuthError> {
    let now = state.clock.now();
    let Some(claims) = state
        .bank
        .signer
        .verify(token, &bank.issuer, Some(&bank.audience()), now)
    else {
        return Ok(inactive());
    };
    let live = state.store.live_access_token(&claims.jti).await?.is_some();
    if !live || claims.client_id != client.id || !consent_active(state, &claims.consent_id).await? {
        return Ok(inactive());
    }
    Ok(json!({
        "active": true,
        "scope": claims.scope,
        "client_id": claims.client_id,
        "sub": claims.sub,
        "exp": claims.exp,
        "iat": claims.iat,
        "iss": claims.iss,
        "aud": claims.aud,
        "jti": claims.jti,
        "token_type": "Bearer",
    }))
}

async fn refresh(state: &AppState, bank: &Bank, client: &BankClient, token: &str) -> Result<Value, OAuthError> {
    let Some(rt) = state.store.get_refresh_token(&secret::digest(token)).await? else {
        return Ok(inactive());
    };
    let usable = rt.status == RefreshStatus::Active && rt.expires_at > state.clock.now() && rt.client_id == client.id;
    if !usable {
        return Ok(inactive());
    }
    let Some(consent) = state.store.get_consent(&rt.consent_id).await?.filter(|c| c.is_active()) else {
        return Ok(inactive());
    };
    Ok(json!({
        "active": true,
        "scope": rt.scope.to_string(),
        "client_id": rt.client_id,
        "sub": consent.user_id,
        "exp": rt.expires_at,
        "iat": rt.created,
        "iss": bank.issuer,
        "token_type": "refresh_token",
    }))
}
