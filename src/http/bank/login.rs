//! The login and second-factor pages of an authorization request. Login binds the request
//! to a new browser session (cookie); every later step requires that cookie.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Bank;
use super::errors::PageError;
use super::guard::{ClientAddress, SignIn};
use super::html;
use super::session::{fail_attempt, load_request, page_bank, posted_step, see_other, set_cookie};
use crate::app_state::AppState;
use crate::domain::bank::account::BankUser;
use crate::domain::bank::grant::SESSION_TTL_SECS;
use crate::domain::bank::request::{AuthRequest, BankSession, Stage};
use crate::domain::bank::{password, secret, totp};

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

fn mfa_form(state: &AppState, bank: &Bank, request_id: &str, message: Option<&str>) -> String {
    let hint = if state.bank.fixed_code_allowed() {
        "Sandbox: the code 000000 works too."
    } else {
        "Sandbox: TOTP secrets are in docs/banks.md; each code works once."
    };
    format!(
        "{heading}{notice}<p>Enter the 6-digit code from your authenticator app.</p>\
         <form method=\"post\" action=\"{action}\">{hidden}{code}\
         <button type=\"submit\" id=\"verify\">Verify</button></form>\
         <p class=\"muted\">{hint}</p>",
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

/// Checks a password off the async threads (Argon2 is deliberately CPU-bound). A username
/// that matches no user costs the same Argon2 work, against a dummy hash.
pub async fn password_matches(user: Option<&BankUser>, given: &str) -> bool {
    let hash = user.map(|u| u.password_hash.clone());
    let given = given.to_owned();
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => password::verify(&given, &hash),
        None => password::verify_nobody(&given),
    })
    .await
    .unwrap_or(false)
}

/// Checks a second-factor code: the fixed code if the bank allows it, or a TOTP whose time
/// step is then recorded as used, so the same code never passes twice.
pub async fn code_matches(state: &AppState, user: &BankUser, code: &str) -> Result<bool, Response> {
    let last_used = state
        .store
        .last_totp_step(&user.id)
        .await
        .map_err(|e| PageError::from(e).into_response())?;
    let now = state.clock.now();
    match totp::accept(&user.totp_secret, code, now, state.bank.fixed_code_allowed(), last_used) {
        None => Ok(false),
        Some(totp::Accepted::Fixed) => Ok(true),
        // Recorded atomically: two requests racing with one code cannot both pass.
        Some(totp::Accepted::Step(step)) => state
            .store
            .use_totp_step(&user.id, step)
            .await
            .map_err(|e| PageError::from(e).into_response()),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    address: ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (bank, form, request) =
        match posted_step(&state, &institution, &headers, &body, &[Stage::Login, Stage::Mfa]).await {
            Ok(step) => step,
            Err(page) => return page,
        };
    let username = form.get("username").unwrap_or_default();
    let mut guard = SignIn::new(&bank, username, address);
    if let Err(page) = guard.begin(&state, &bank).await {
        return page;
    }
    let user = match state.store.find_bank_user(bank.id(), username).await {
        Ok(user) => user,
        Err(e) => return PageError::from(e).into_response(),
    };
    if !password_matches(user.as_ref(), form.get("password").unwrap_or_default()).await {
        if let Err(page) = guard.failed(&state).await {
            return page;
        }
        return wrong(
            &state,
            &bank,
            &request,
            login_form(&bank, &request.id, Some("Incorrect username or password.")),
        )
        .await;
    }
    if let Err(page) = guard.passed(&state).await {
        return page;
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
        Ok(request) => html::page(StatusCode::OK, "Verify", &mfa_form(&state, &bank, &request.id, None)),
        Err(page) => page,
    }
}

pub async fn submit_mfa(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    address: ClientAddress,
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
    let mut guard = SignIn::new(&bank, &user.username, address);
    if let Err(page) = guard.begin(&state, &bank).await {
        return page;
    }
    let passed = match code_matches(&state, &user, form.get("code").unwrap_or_default()).await {
        Ok(passed) => passed,
        Err(page) => return page,
    };
    if !passed {
        if let Err(page) = guard.failed(&state).await {
            return page;
        }
        return wrong(
            &state,
            &bank,
            &request,
            mfa_form(&state, &bank, &request.id, Some("That code is not right.")),
        )
        .await;
    }
    if let Err(page) = guard.succeeded(&state).await {
        return page;
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
