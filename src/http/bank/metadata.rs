//! RFC 8414 authorization server metadata (at the institution's path and in the RFC's
//! path-inserted form) and the JWK Set of the signing key.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Bank;
use super::errors::OAuthError;
use crate::app_state::AppState;
use crate::domain::bank::scope::Scope;

pub async fn metadata(State(state): State<AppState>, Path(institution): Path<String>) -> Response {
    let bank = match Bank::find(&state, &institution).await {
        Ok(Some(bank)) => bank,
        Ok(None) => return OAuthError::not_found().into_response(),
        Err(e) => return OAuthError::from(e).into_response(),
    };
    let i = &bank.issuer;
    Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/oauth/authorize"),
        "token_endpoint": format!("{i}/oauth/token"),
        "revocation_endpoint": format!("{i}/oauth/revoke"),
        "introspection_endpoint": format!("{i}/oauth/introspect"),
        "registration_endpoint": format!("{i}/oauth/register"),
        "jwks_uri": format!("{i}/jwks.json"),
        "scopes_supported": Scope::ALL.map(Scope::as_str),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": format!("{}/bank/{}/connected-apps", state.public_url, bank.id()),
    }))
    .into_response()
}

pub async fn jwks(State(state): State<AppState>, Path(institution): Path<String>) -> Response {
    match Bank::find(&state, &institution).await {
        Ok(Some(_)) => Json(state.bank.jwks()).into_response(),
        Ok(None) => OAuthError::not_found().into_response(),
        Err(e) => OAuthError::from(e).into_response(),
    }
}
