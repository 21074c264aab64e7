//! `POST /oauth/token`: the authorization-code grant (PKCE S256 required, code single-use
//! with replay revocation) and the refresh-token grant (rotation with reuse detection).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Bank;
use super::client_auth::authenticate;
use super::errors::OAuthError;
use super::form::Params;
use crate::app_state::AppState;
use crate::crypto::jwt::AccessClaims;
use crate::domain::bank::client::BankClient;
use crate::domain::bank::grant::{
    ACCESS_TOKEN_TTL_SECS, AuthCode, Consent, GrantError, REFRESH_TOKEN_TTL_SECS, RefreshStatus, RefreshToken,
    check_code, refresh_scope,
};
use crate::domain::bank::scope::Scopes;
use crate::domain::bank::secret;
use crate::domain::ids::{DEFAULT_TAIL, new_id};
use crate::store::{AccessTokenRecord, IssuedTokens, Redemption};

const SINGLE: [&str; 7] = [
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
    "client_id",
];

pub async fn token(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match run(&state, &institution, &headers, &body).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn run(state: &AppState, institution: &str, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let bank = Bank::find(state, institution)
        .await?
        .ok_or_else(OAuthError::not_found)?;
    if bank.is_down() {
        return Err(OAuthError::unavailable());
    }
    bank.pace(state).await;
    let form = Params::parse(body);
    if let Some(name) = form.repeated(&SINGLE) {
        return Err(OAuthError::invalid_request(format!("{name} was sent more than once")));
    }
    let client = authenticate(state, &bank, headers, &form).await?;
    match form.get("grant_type") {
        Some("authorization_code") => code_grant(state, &bank, &client, &form).await,
        Some("refresh_token") => refresh_grant(state, &bank, &client, &form).await,
        Some(_) => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code and refresh_token are supported",
        )),
        None => Err(OAuthError::invalid_request("grant_type is required")),
    }
}

/// What one successful grant returns, filled in by the store's decision callback.
struct Minted {
    access_token: String,
    refresh_token: String,
    scope: Scopes,
}

/// Mints an access token (and a refresh token of `family_id`) under `consent`.
fn mint(
    bank: &Bank,
    state: &AppState,
    consent: &Consent,
    family_id: &str,
    access_scope: &Scopes,
    refresh_scope: &Scopes,
) -> Result<(IssuedTokens, Minted), GrantError> {
    let now = state.clock.now();
    let claims = AccessClaims {
        iss: bank.issuer.clone(),
        sub: consent.user_id.clone(),
        aud: bank.audience(),
        client_id: consent.client_id.clone(),
        scope: access_scope.to_string(),
        exp: now + ACCESS_TOKEN_TTL_SECS,
        iat: now,
        jti: new_id("at", DEFAULT_TAIL),
        consent_id: consent.id.clone(),
    };
    let access_token = state
        .bank
        .signer
        .sign(&claims)
        .map_err(|_| GrantError::InvalidGrant("the token could not be signed"))?;
    let refresh_token = secret::new_secret("brt");
    let issued = IssuedTokens {
        access: AccessTokenRecord {
            jti: claims.jti,
            family_id: family_id.to_owned(),
            consent_id: consent.id.clone(),
            client_id: consent.client_id.clone(),
            expires_at: claims.exp,
        },
        refresh: RefreshToken {
            hash: secret::digest(&refresh_token),
            family_id: family_id.to_owned(),
            consent_id: consent.id.clone(),
            client_id: consent.client_id.clone(),
            scope: refresh_scope.clone(),
            status: RefreshStatus::Active,
            created: now,
            expires_at: now + REFRESH_TOKEN_TTL_SECS,
        },
    };
    let minted = Minted {
        access_token,
        refresh_token,
        scope: access_scope.clone(),
    };
    Ok((issued, minted))
}

async fn code_grant(state: &AppState, bank: &Bank, client: &BankClient, form: &Params) -> Result<Response, OAuthError> {
    let code = form
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let redirect_uri = form.get("redirect_uri");
    let verifier = form.get("code_verifier");
    let now = state.clock.now();
    let mut minted = None;
    let mut issue = |code: &AuthCode, consent: &Consent| {
        check_code(code, redirect_uri, verifier, now)?;
        let (issued, m) = mint(bank, state, consent, &code.family_id, &consent.scope, &consent.scope)?;
        minted = Some(m);
        Ok(issued)
    };
    let outcome = state
        .store
        .redeem_code(&secret::digest(code), &client.id, now, &mut issue)
        .await?;
    respond(
        outcome,
        minted,
        "the authorization code is invalid, expired or already used",
    )
}

async fn refresh_grant(
    state: &AppState,
    bank: &Bank,
    client: &BankClient,
    form: &Params,
) -> Result<Response, OAuthError> {
    let token = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let requested = form.get("scope");
    let now = state.clock.now();
    let mut minted = None;
    let mut issue = |old: &RefreshToken, consent: &Consent| {
        let access_scope = refresh_scope(old, consent, requested)?;
        // RFC 6749 §6: the new refresh token keeps the old one's scope.
        let (issued, m) = mint(bank, state, consent, &old.family_id, &access_scope, &old.scope)?;
        minted = Some(m);
        Ok(issued)
    };
    let outcome = state
        .store
        .rotate_refresh_token(&secret::digest(token), &client.id, now, &mut issue)
        .await?;
    respond(outcome, minted, "the refresh token is invalid, expired or revoked")
}

fn respond(outcome: Redemption, minted: Option<Minted>, unknown: &str) -> Result<Response, OAuthError> {
    match (outcome, minted) {
        (Redemption::Issued, Some(m)) => {
            let body = json!({
                "access_token": m.access_token,
                "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_TTL_SECS,
                "refresh_token": m.refresh_token,
                "scope": m.scope.to_string(),
            });
            let mut res = (StatusCode::OK, Json(body)).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res.headers_mut()
                .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            Ok(res)
        }
        (Redemption::Refused(e), _) => Err(OAuthError::new(StatusCode::BAD_REQUEST, e.code(), e.description())),
        (Redemption::Replayed, _) => {
            tracing::warn!("a used grant was presented again; its tokens are revoked");
            Err(OAuthError::invalid_grant(
                "the grant was already used; every token it issued is revoked",
            ))
        }
        (Redemption::ConsentRevoked, _) => Err(OAuthError::invalid_grant("the user revoked this access")),
        _ => Err(OAuthError::invalid_grant(unknown)),
    }
}
