//! The login and second-factor pages of an authorization request. Login binds the request
//! to a new browser session (cookie); every later step requires that cookie.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Bank;
use super::errors::PageError;
use super::html;
use super::session::{fail_attempt, load_request, page_bank, posted_step, see_other, set_cookie};
use crate::domain::bank::account::BankUser;
use crate::domain::bank::grant::SESSION_TTL_SECS;
use crate::domain::bank::request::{AuthRequest, BankSession, Stage};
use crate::domain::bank::{password, secret, totp};
use crate::http::state::AppState;

#[derive(Deserialize)]
pub struct RequestQuery {
    pub request: Option<String>,
}

fn login_form(bank: &Bank, request_id: &str, message: Option<&str>) -> String {
    format!(
        "{heading}{notice}<form method=\"post\" action=\"{action}\">{hidden}{user}{pass}\
         <button type=\"submit\" id=\"login\">Sign in</button></form>\
         <p class=\"muted\">Sandbox: see docs/banks.md for users; every password is password123.</p>",
        heading = html::heading(&bank.institution.name, "Sign in to your bank"),
        notice = html::notice(message),
        action = html::esc(&bank.path("/login")),
        hidden = html::hidden("request", request_id),
        user = html::text_input("username", "Username", "text", "username"),
        pass = html::text_input("password", "Password", "password", "current-password"),
    )
}

fn mfa_form(bank: &Bank, request_id: &str, message: Option<&str>) -> String {
    format!(
        "{heading}{notice}<p>Enter the 6-digit code from your authenticator app.</p>\
         <form method=\"post\" action=\"{action}\">{hidden}{code}\
         <button type=\"submit\" id=\"verify\">Verify</button></form>\
         <p class=\"muted\">Sandbox: the code 000000 always works.</p>",
        heading = html::heading(&bank.institution.name, "Two-step verification"),
        notice = html::notice(message),
        action = html::esc(&bank.path("/mfa")),
        hidden = html::hidden("request", request_id),
        code = html::text_input("code", "Verification code", "text", "one-time-code"),
    )
}

pub async fn show(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    Query(q): Query<RequestQuery>,
    headers: HeaderMap,
) -> Response {
    let bank = match page_bank(&state, &institution).await {
        Ok(b) => b,
        Err(page) => return page,
    };
    match load_request(
        &state,
        &bank,
        q.request.as_deref(),
        &headers,
        &[Stage::Login, Stage::Mfa],
    )
    .await
    {
        Ok(request) => html::page(StatusCode::OK, "Sign in", &login_form(&bank, &request.id, None)),
        Err(page) => page,
    }
}

/// Checks a password off the async threads (Argon2 is deliberately CPU-bound).
pub async fn password_matches(user: Option<&BankUser>, given: &str) -> bool {
    let Some(hash) = user.map(|u| u.password_hash.clone()) else {
        return false;
    };
    let given = given.to_owned();
    tokio::task::spawn_blocking(move || password::verify(&given, &hash))
        .await
        .unwrap_or(false)
}

pub async fn submit(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (bank, form, request) =
        match posted_step(&state, &institution, &headers, &body, &[Stage::Login, Stage::Mfa]).await {
            Ok(step) => step,
            Err(page) => return page,
        };
    let user = match state
        .store
        .find_bank_user(bank.id(), form.get("username").unwrap_or_default())
        .await
    {
        Ok(user) => user,
        Err(e) => return PageError::from(e).into_response(),
    };
    if !password_matches(user.as_ref(), form.get("password").unwrap_or_default()).await {
        return wrong(
            &state,
            &bank,
            &request,
            login_form(&bank, &request.id, Some("Incorrect username or password.")),
        )
        .await;
    }
    let Some(user) = user else {
        return PageError::expired().into_response();
    };
    let token = secret::new_secret("bss");
    let now = state.clock.now();
    let session = BankSession {
        token_hash: secret::digest(&token),
        institution_id: bank.id().to_owned(),
        user_id: user.id,
        mfa_passed: false,
        expires_at: now + SESSION_TTL_SECS,
        created: now,
    };
    if let Err(e) = state.store.login_auth_request(&request.id, &session).await {
        return PageError::from(e).into_response();
    }
    let mut res = see_other(&bank.path(&format!("/mfa?request={}", request.id)));
    res.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&state, &bank, &token));
    res
}

/// A wrong password or code: the form again with 401, or `access_denied` to the client
/// once the attempts are spent.
async fn wrong(state: &AppState, bank: &Bank, request: &AuthRequest, form: String) -> Response {
    match fail_attempt(state, bank, request).await {
        Ok(Some(redirect)) => redirect,
        Ok(None) => html::page(StatusCode::UNAUTHORIZED, "Try again", &form),
        Err(page) => page,
    }
}

pub async fn show_mfa(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    Query(q): Query<RequestQuery>,
    headers: HeaderMap,
) -> Response {
    let bank = match page_bank(&state, &institution).await {
        Ok(b) => b,
        Err(page) => return page,
    };
    match load_request(&state, &bank, q.request.as_deref(), &headers, &[Stage::Mfa]).await {
        Ok(request) => html::page(StatusCode::OK, "Verify", &mfa_form(&bank, &request.id, None)),
        Err(page) => page,
    }
}

pub async fn submit_mfa(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (bank, form, request) = match posted_step(&state, &institution, &headers, &body, &[Stage::Mfa]).await {
        Ok(step) => step,
        Err(page) => return page,
    };
    let user = match request.user_id.as_deref() {
        Some(id) => state.store.get_bank_user(id).await,
        None => Ok(None),
    };
    let user = match user {
        Ok(Some(u)) => u,
        Ok(None) => return PageError::expired().into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    let code = form.get("code").unwrap_or_default();
    if !totp::check(&user.totp_secret, code, state.clock.now()) {
        return wrong(
            &state,
            &bank,
            &request,
            mfa_form(&bank, &request.id, Some("That code is not right.")),
        )
        .await;
    }
    let marked = async {
        state.store.set_auth_request_stage(&request.id, Stage::Consent).await?;
        if let Some(hash) = &request.session_hash {
            state.store.mark_session_mfa(hash).await?;
        }
        Ok::<(), crate::store::StoreError>(())
    };
    if let Err(e) = marked.await {
        return PageError::from(e).into_response();
    }
    see_other(&bank.path(&format!("/consent?request={}", request.id)))
}
