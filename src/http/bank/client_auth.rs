//! Client authentication at the token, revocation and introspection endpoints, by the method
//! the client registered: HTTP Basic, `client_id` + `client_secret` in the body, or (public
//! clients) `client_id` alone. Every failure is the same 401 `invalid_client`.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::Bank;
use super::errors::OAuthError;
use super::form::Params;
use crate::app_state::AppState;
use crate::domain::bank::client::{AuthMethod, BankClient};
use crate::domain::bank::secret;

/// Credentials as presented.
struct Presented {
    id: String,
    secret: Option<String>,
    via_basic: bool,
}

/// RFC 6749 §2.3.1: Basic credentials are form-encoded before base64.
fn basic(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Some(Err(()));
    };
    let unescape = |s: &str| {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some(Ok((unescape(id), unescape(secret))))
}

fn presented(headers: &HeaderMap, form: &Params) -> Result<Presented, OAuthError> {
    let body_id = form.get("client_id");
    let body_secret = form.get("client_secret");
    match basic(headers) {
        Some(Ok((id, secret))) => {
            // One method per request (RFC 6749 §2.3); a body client_id may only repeat it.
            if body_secret.is_some() || body_id.is_some_and(|b| b != id) {
                return Err(OAuthError::invalid_request("use one client authentication method"));
            }
            Ok(Presented {
                id,
                secret: Some(secret).filter(|s| !s.is_empty()),
                via_basic: true,
            })
        }
        Some(Err(())) => Err(OAuthError::invalid_client()),
        None => Ok(Presented {
            id: body_id.ok_or_else(OAuthError::invalid_client)?.to_owned(),
            secret: body_secret.map(str::to_owned),
            via_basic: false,
        }),
    }
}

/// The client making the request, authenticated.
pub async fn authenticate(
    state: &AppState,
    bank: &Bank,
    headers: &HeaderMap,
    form: &Params,
) -> Result<BankClient, OAuthError> {
    let given = presented(headers, form)?;
    let client = state
        .store
        .get_bank_client(bank.id(), &given.id)
        .await?
        .ok_or_else(OAuthError::invalid_client)?;
    let ok = match (client.auth_method, &given.secret, &client.secret_hash) {
        (AuthMethod::None, None, _) => true,
        (AuthMethod::ClientSecretBasic, Some(s), Some(h)) if given.via_basic => matches(s, h),
        (AuthMethod::ClientSecretPost, Some(s), Some(h)) if !given.via_basic => matches(s, h),
        _ => false,
    };
    if ok {
        Ok(client)
    } else {
        Err(OAuthError::invalid_client())
    }
}

fn matches(secret_given: &str, stored_hash: &str) -> bool {
    secret::constant_time_eq(secret::digest(secret_given).as_bytes(), stored_hash.as_bytes())
}
