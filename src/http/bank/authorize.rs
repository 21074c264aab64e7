//! `GET /oauth/authorize`: checks the client and its exact redirect URI first (an error page,
//! never a redirect, when they do not match: RFC 6749 §4.1.2.1), then the rest of the request
//! (errors go back to the client), then stores the request and sends the user to login.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::Bank;
use super::errors::PageError;
use super::form::Params;
use super::session::{page_bank, see_other, to_client};
use crate::app_state::AppState;
use crate::domain::bank::client::BankClient;
use crate::domain::bank::pkce::{self, ChallengeError};
use crate::domain::bank::request::{AuthRequest, REQUEST_TTL_SECS, Stage};
use crate::domain::bank::scope::{Scope, Scopes};
use crate::domain::ids::{DEFAULT_TAIL, new_id};

/// Parameters that must not repeat (RFC 6749 §3.1).
const SINGLE: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// Longest `state` echoed back.
const MAX_STATE: usize = 1024;

pub async fn authorize(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let bank = match page_bank(&state, &institution).await {
        Ok(bank) => bank,
        Err(page) => return page,
    };
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let (client, redirect_uri) = match trusted_redirect(&state, &bank, &params).await {
        Ok(found) => found,
        Err(page) => return page.into_response(),
    };
    let client_state = params.get("state");
    let refuse = |code: &str, description: &str| {
        let st = client_state.filter(|s| s.len() <= MAX_STATE);
        to_client(
            &bank,
            &redirect_uri,
            st,
            &[("error", code), ("error_description", description)],
        )
    };
    if bank.is_down() {
        return refuse("temporarily_unavailable", "the bank is temporarily unavailable");
    }
    let request = match check(&params, &client) {
        Ok(scope) => scope,
        Err((code, description)) => return refuse(code, description),
    };
    let now = state.clock.now();
    let request = AuthRequest {
        id: new_id("areq", DEFAULT_TAIL),
        institution_id: bank.id().to_owned(),
        client_id: client.id.clone(),
        redirect_uri,
        scope: request.0,
        state: client_state.map(str::to_owned),
        code_challenge: request.1,
        user_id: None,
        session_hash: None,
        stage: Stage::Login,
        failed_attempts: 0,
        expires_at: now + REQUEST_TTL_SECS,
        created: now,
    };
    if let Err(e) = state.store.insert_auth_request(&request).await {
        return PageError::from(e).into_response();
    }
    see_other(&bank.path(&format!("/login?request={}", request.id)))
}

/// The client and the redirect URI, once both are known to belong together.
async fn trusted_redirect(state: &AppState, bank: &Bank, params: &Params) -> Result<(BankClient, String), PageError> {
    let bad = |message: &str| PageError::new(StatusCode::BAD_REQUEST, "Invalid request", message);
    if params.repeated(&["client_id", "redirect_uri"]).is_some() {
        return Err(bad("The app sent client_id or redirect_uri more than once."));
    }
    let client_id = params
        .get("client_id")
        .ok_or_else(|| bad("The app did not say who it is (client_id is missing)."))?;
    let client = state
        .store
        .get_bank_client(bank.id(), client_id)
        .await?
        .ok_or_else(|| bad("This app is not registered with the bank."))?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| bad("The app did not say where to return (redirect_uri is missing)."))?;
    // Exact string comparison (RFC 9700 §2.1): no prefix, case or normalisation games.
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(bad("The return address does not match the one the app registered."));
    }
    Ok((client, redirect_uri.to_owned()))
}

type Refusal = (&'static str, &'static str);

/// The granted scope and PKCE challenge of an otherwise valid request.
fn check(params: &Params, client: &BankClient) -> Result<(Scopes, String), Refusal> {
    if params.repeated(&SINGLE).is_some() {
        return Err(("invalid_request", "a parameter was sent more than once"));
    }
    if params.get("state").is_some_and(|s| s.len() > MAX_STATE) {
        return Err(("invalid_request", "state is too long"));
    }
    match params.get("response_type") {
        None => return Err(("invalid_request", "response_type is required")),
        Some("code") => {}
        Some(_) => return Err(("unsupported_response_type", "only response_type=code is supported")),
    }
    let challenge = params.get("code_challenge");
    match pkce::check_challenge(challenge, params.get("code_challenge_method")) {
        Ok(()) => {}
        Err(ChallengeError::Missing) => return Err(("invalid_request", "code_challenge is required (PKCE)")),
        Err(ChallengeError::UnsupportedMethod) => {
            return Err(("invalid_request", "code_challenge_method must be S256"));
        }
        Err(ChallengeError::Malformed) => return Err(("invalid_request", "code_challenge is malformed")),
    }
    let requested = Scopes::parse(params.get("scope").unwrap_or("accounts"))
        .map_err(|_| ("invalid_scope", "unknown scope requested"))?;
    // Every grant can list its accounts: `accounts` is implied.
    let scope: Scopes = requested.iter().chain([Scope::Accounts]).collect();
    if !scope.is_subset_of(&client.scope) {
        return Err(("invalid_scope", "the scope exceeds what the app registered"));
    }
    Ok((scope, challenge.unwrap_or_default().to_owned()))
}
