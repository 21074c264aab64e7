//! `POST /oauth/revoke` (RFC 7009). Revoking a refresh token ends its whole grant: the
//! consent and every token under it. Revoking an access token denylists its `jti`. Unknown
//! tokens, or another client's, are answered 200 all the same (§2.2).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Bank;
use super::client_auth::authenticate;
use super::errors::OAuthError;
use super::form::Params;
use crate::app_state::AppState;
use crate::domain::bank::secret;

pub async fn revoke(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match run(&state, &institution, &headers, &body).await {
        Ok(()) => {
            let mut res = StatusCode::OK.into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => e.into_response(),
    }
}

async fn run(state: &AppState, institution: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    let bank = Bank::find(state, institution)
        .await?
        .ok_or_else(OAuthError::not_found)?;
    let form = Params::parse(body);
    let client = authenticate(state, &bank, headers, &form).await?;
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let now = state.clock.now();
    // The hint only orders the lookups (§2.1); a JWT is told apart by its shape anyway.
    if token.split('.').count() == 3 {
        if let Some(claims) = state.bank.signer.verify_ignoring_expiry(token, &bank.issuer, None)
            && claims.client_id == client.id
        {
            state.store.revoke_access_token(&claims.jti, now).await?;
            tracing::info!("access token revoked by its client");
        }
        return Ok(());
    }
    if let Some(refresh) = state.store.get_refresh_token(&secret::digest(token)).await?
        && refresh.client_id == client.id
    {
        state.store.revoke_consent(&refresh.consent_id, now).await?;
        tracing::info!(consent = %refresh.consent_id, "grant revoked by its client");
    }
    Ok(())
}
