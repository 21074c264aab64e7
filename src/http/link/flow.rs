//! The OAuth client side of the hosted flow: `start` sends the browser to the bank's
//! authorize endpoint (PKCE, `state` bound to the session); `callback` exchanges the code,
//! reads the consented accounts through the data API, and links them in one transaction.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Redirect;
use serde::Deserialize;

use super::pages::{PageError, pending_session};
use crate::app_state::AppState;
use crate::clients::bank::{Bank, BankError, callback_path};
use crate::domain::account::{Authorization, AuthorizationStatus, LinkedAccount};
use crate::domain::event::{Event, EventRequest};
use crate::domain::refresh::{self, RefreshJob};
use crate::domain::session::{Session, SessionStatus};
use crate::store::link::{LinkAttempt, LinkClient};
use crate::wire::objects::account_json;

fn redirect_uri(state: &AppState) -> String {
    format!("{}{}", state.public_url, callback_path())
}

fn bank_for(state: &AppState, institution_id: &str) -> Bank {
    Bank::at(format!("{}/bank/{institution_id}", state.public_url))
}

/// The link flow's client at a bank: registered once per redirect URI (RFC 7591).
async fn link_client(state: &AppState, institution_id: &str) -> Result<LinkClient, PageError> {
    let redirect_uri = redirect_uri(state);
    if let Some(client) = state.store.get_link_client(institution_id, &redirect_uri).await? {
        return Ok(client);
    }
    let client = bank_for(state, institution_id)
        .register(&state.http, &redirect_uri, "sandbank Financial Connections")
        .await
        .map_err(|e| unavailable(&e))?;
    state
        .store
        .insert_link_client(institution_id, &redirect_uri, &client, state.clock.now())
        .await?;
    Ok(client)
}

fn unavailable(e: &BankError) -> PageError {
    tracing::warn!(error = %e, "bank unavailable during linking");
    PageError::new(
        StatusCode::BAD_GATEWAY,
        "Bank unavailable",
        "Your bank is not answering right now. Please try again later.",
    )
}

pub async fn start(
    State(state): State<AppState>,
    Path((secret, institution_id)): Path<(String, String)>,
) -> Result<Redirect, PageError> {
    let session = pending_session(&state, &secret).await?;
    let institution = state
        .store
        .get_institution(&institution_id)
        .await?
        .ok_or_else(PageError::not_found)?;
    if !session.allows_countries(&institution.countries) {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Bank not available",
            "This bank is not offered for this link.",
        ));
    }
    let client = link_client(&state, &institution_id).await?;
    let start = bank_for(&state, &institution_id)
        .authorize(&client, &redirect_uri(&state), &session.scopes())
        .map_err(|e| PageError::internal(&e))?;
    let attempt = LinkAttempt {
        platform_id: session.platform_id.clone(),
        session_id: session.id.clone(),
        institution_id,
        pkce_verifier: start.pkce_verifier,
    };
    state
        .store
        .insert_link_attempt(&start.state, &attempt, state.clock.now())
        .await?;
    Ok(Redirect::to(&start.url))
}

/// The user gives up before choosing a bank: the session is cancelled, back to the platform.
pub async fn cancel(State(state): State<AppState>, Path(secret): Path<String>) -> Result<Redirect, PageError> {
    let session = pending_session(&state, &secret).await?;
    state
        .store
        .end_session(&session.id, SessionStatus::Cancelled, Some("user_cancelled"))
        .await?;
    let session = state
        .store
        .get_session(&session.platform_id, &session.id)
        .await?
        .unwrap_or(session);
    Ok(finish(&state, &session))
}

#[derive(Debug, Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn callback(
    State(state): State<AppState>,
    Query(params): Query<CallbackParams>,
) -> Result<Redirect, PageError> {
    let expired = || {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "Link expired",
            "This sign-in has expired or was already used. Start again from the app.",
        )
    };
    let oauth_state = params.state.ok_or_else(expired)?;
    let attempt = state
        .store
        .take_link_attempt(&oauth_state, state.clock.now())
        .await?
        .ok_or_else(expired)?;
    let session = state
        .store
        .get_session(&attempt.platform_id, &attempt.session_id)
        .await?
        .ok_or_else(PageError::not_found)?;
    if session.status != SessionStatus::Pending {
        return Ok(finish(&state, &session));
    }
    let outcome = match (params.error.as_deref(), params.code) {
        (Some("access_denied"), _) => Outcome::Ended(SessionStatus::Cancelled, "access_denied"),
        (Some(_), _) | (None, None) => Outcome::Ended(SessionStatus::Failed, "institution_error"),
        (None, Some(code)) => link_accounts(&state, &session, &attempt, &code).await,
    };
    if let Outcome::Ended(status, reason) = outcome {
        state.store.end_session(&session.id, status, Some(reason)).await?;
    }
    let session = state
        .store
        .get_session(&session.platform_id, &session.id)
        .await?
        .unwrap_or(session);
    Ok(finish(&state, &session))
}

enum Outcome {
    Linked,
    Ended(SessionStatus, &'static str),
}

/// Exchanges the code and links the consented accounts the session allows.
async fn link_accounts(state: &AppState, session: &Session, attempt: &LinkAttempt, code: &str) -> Outcome {
    match try_link(state, session, attempt, code).await {
        Ok(true) => Outcome::Linked,
        Ok(false) => Outcome::Ended(SessionStatus::Failed, "no_accounts"),
        Err(e) => {
            tracing::warn!(error = %e, institution = %attempt.institution_id, "linking failed");
            Outcome::Ended(SessionStatus::Failed, "institution_error")
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum LinkError {
    #[error(transparent)]
    Bank(#[from] BankError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Linking cannot go on for a reason of our own (the institution or its client gone, a
    /// prefetch the account cannot take).
    #[error("{0}")]
    Other(String),
}

async fn try_link(state: &AppState, session: &Session, attempt: &LinkAttempt, code: &str) -> Result<bool, LinkError> {
    let institution = state
        .store
        .get_institution(&attempt.institution_id)
        .await?
        .ok_or_else(|| LinkError::Other("the institution is gone".into()))?;
    let client = link_client(state, &institution.id)
        .await
        .map_err(|e| LinkError::Other(e.message))?;
    let bank = bank_for(state, &institution.id);
    let tokens = bank
        .exchange_code(&state.http, &client, &redirect_uri(state), code, &attempt.pkce_verifier)
        .await?;
    let limit = session.account_limit.unwrap_or(u32::MAX) as usize;
    let chosen: Vec<_> = bank
        .accounts(&state.http, &tokens.access_token)
        .await?
        .into_iter()
        .filter(|a| session.allows_subcategory(&a.subcategory))
        .take(limit)
        .collect();
    if chosen.is_empty() {
        if let Some(refresh) = &tokens.refresh_token {
            // Nothing will use this grant: give it back.
            let _ = bank.revoke(&state.http, &client, refresh).await;
        }
        return Ok(false);
    }
    let now = state.clock.now();
    let authorization = Authorization {
        id: Authorization::new_id(),
        platform_id: session.platform_id.clone(),
        created: now,
        session_id: session.id.clone(),
        institution_id: institution.id.clone(),
        institution_name: institution.name.clone(),
        bank_client_id: client.client_id.clone(),
        access_token: tokens.access_token,
        access_expires_at: now + tokens.expires_in,
        refresh_token: tokens.refresh_token,
        status: AuthorizationStatus::Active,
    };
    let mut jobs = Vec::new();
    let mut accounts: Vec<LinkedAccount> = Vec::new();
    for bank_account in chosen {
        let mut account = LinkedAccount::link(session, &authorization.id, &institution.id, bank_account, now);
        // `prefetch` starts refreshes as the account is linked; the session's own validation
        // guarantees each prefetched feature has its permission.
        let features =
            refresh::request(&mut account, &session.prefetch, now).map_err(|e| LinkError::Other(e.message))?;
        jobs.extend(features.into_iter().map(|f| RefreshJob::new(&account, f, now)));
        accounts.push(account);
    }
    let events: Vec<Event> = accounts
        .iter()
        .map(|a| {
            Event::new(
                &a.platform_id,
                "financial_connections.account.created",
                account_json(a),
                EventRequest::default(),
                None,
                now,
            )
        })
        .collect();
    let linked = state
        .store
        .complete_link(&session.id, &authorization, &accounts, &events, &jobs, now)
        .await?;
    if linked && !jobs.is_empty() {
        state.jobs_ready.notify_waiters();
    }
    Ok(linked)
}

/// Back to the platform's `return_url`, or to our own end page (also for a stored
/// `return_url` that cannot be a `Location`, from before such URLs were refused).
fn finish(state: &AppState, session: &Session) -> Redirect {
    match &session.return_url {
        Some(url) if axum::http::HeaderValue::from_str(url).is_ok() => Redirect::to(url),
        _ => Redirect::to(&format!("{}/link/{}/done", state.public_url, session.client_secret)),
    }
}
