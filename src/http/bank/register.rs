//! `POST /oauth/register`: open dynamic client registration (RFC 7591), so any app (the link
//! flow included) becomes a client of a bank. The secret is shown once and stored hashed.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Bank;
use super::errors::OAuthError;
use crate::app_state::AppState;
use crate::domain::bank::client::{BankClient, ClientMetadata};
use crate::domain::bank::secret;
use crate::domain::ids::{DEFAULT_TAIL, new_id};

pub async fn register(State(state): State<AppState>, Path(institution): Path<String>, body: Bytes) -> Response {
    match run(&state, &institution, &body).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn run(state: &AppState, institution: &str, body: &[u8]) -> Result<Response, OAuthError> {
    let bank = Bank::find(state, institution)
        .await?
        .ok_or_else(OAuthError::not_found)?;
    // No metadata field can hold U+0000 (Postgres cannot store it): refuse it up front.
    if body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "client metadata may not contain NUL characters",
        ));
    }
    let metadata: ClientMetadata = serde_json::from_slice(body).map_err(|_| {
        OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "the body must be a JSON object of client metadata",
        )
    })?;
    let valid = metadata
        .validate()
        .map_err(|e| OAuthError::new(StatusCode::BAD_REQUEST, e.code(), e.description()))?;
    let now = state.clock.now();
    let client_secret = valid.auth_method.is_confidential().then(|| secret::new_secret("bsec"));
    let client = BankClient {
        id: new_id("bcli", DEFAULT_TAIL),
        institution_id: bank.id().to_owned(),
        secret_hash: client_secret.as_deref().map(secret::digest),
        auth_method: valid.auth_method,
        name: valid.name,
        redirect_uris: valid.redirect_uris,
        grant_types: valid.grant_types,
        scope: valid.scope,
        created: now,
    };
    state.store.insert_bank_client(&client).await?;
    tracing::info!(client = %client.id, bank = %bank.id(), "OAuth client registered");
    let mut body = json!({
        "client_id": client.id,
        "client_id_issued_at": now,
        "client_name": client.name,
        "redirect_uris": client.redirect_uris,
        "token_endpoint_auth_method": client.auth_method.as_str(),
        "grant_types": client.grant_types,
        "response_types": ["code"],
        "scope": client.scope.to_string(),
        "client_secret_expires_at": 0,
    });
    if let Some(secret) = client_secret {
        body["client_secret"] = json!(secret);
    }
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}
