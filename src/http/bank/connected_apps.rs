//! Connected apps: a signed-in user reviews the apps they granted access to and revokes any
//! of them (RFC 9700 / ASVS 10.7.3). Revocation ends the consent and every token under it,
//! so the next data call or refresh fails at once.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Bank;
use super::errors::PageError;
use super::form::Params;
use super::guard::{ClientAddress, SignIn};
use super::html;
use super::login::{code_matches, password_matches};
use super::session::{cookie_hash, page_bank, see_other, set_cookie};
use crate::app_state::AppState;
use crate::domain::bank::grant::{Consent, SESSION_TTL_SECS};
use crate::domain::bank::request::BankSession;
use crate::domain::bank::secret;

/// The browser's session at this bank, if it is live and passed the second factor.
async fn signed_in(state: &AppState, bank: &Bank, headers: &HeaderMap) -> Result<Option<BankSession>, PageError> {
    let Some(hash) = cookie_hash(headers) else {
        return Ok(None);
    };
    let session = state.store.get_bank_session(&hash).await?;
    Ok(session.filter(|s| s.institution_id == bank.id() && s.mfa_passed && s.expires_at > state.clock.now()))
}

fn login_page(bank: &Bank, message: Option<&str>) -> String {
    format!(
        "{heading}{notice}<form method=\"post\" action=\"{action}\">{user}{pass}{code}\
         <button type=\"submit\" id=\"login\">Sign in</button></form>",
        heading = html::heading(&bank.institution.name, "Sign in to manage connected apps"),
        notice = html::notice(message),
        action = html::esc(&bank.path("/connected-apps/login")),
        user = html::text_input("username", "Username", "text", "username"),
        pass = html::text_input("password", "Password", "password", "current-password"),
        code = html::text_input("code", "Verification code", "text", "one-time-code"),
    )
}

fn list_page(bank: &Bank, consents: &[(Consent, String)]) -> String {
    let items: String = consents
        .iter()
        .map(|(c, client_name)| {
            format!(
                "<div class=\"account\"><div><strong>{name}</strong><br><span class=\"muted\">{scope} · {n} \
                 account(s): {accounts} · since {created}</span></div>\
                 <form method=\"post\" action=\"{action}\"><button type=\"submit\" id=\"revoke-{id}\" \
                 class=\"secondary\">Revoke</button></form></div>",
                name = html::esc(client_name),
                scope = html::esc(&c.scope.to_string()),
                n = c.account_ids.len(),
                accounts = html::esc(&c.account_ids.join(", ")),
                created = c.created,
                action = html::esc(&bank.path(&format!("/connected-apps/{}/revoke", c.id))),
                id = html::esc(&c.id),
            )
        })
        .collect();
    let body = if consents.is_empty() {
        "<p class=\"muted\">No app has access to your accounts.</p>".to_owned()
    } else {
        items
    };
    format!("{}{body}", html::heading(&bank.institution.name, "Connected apps"))
}

pub async fn list(State(state): State<AppState>, Path(institution): Path<String>, headers: HeaderMap) -> Response {
    let bank = match page_bank(&state, &institution).await {
        Ok(b) => b,
        Err(page) => return page,
    };
    let session = match signed_in(&state, &bank, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return html::page(StatusCode::OK, "Sign in", &login_page(&bank, None)),
        Err(e) => return e.into_response(),
    };
    match state.store.list_active_consents(&session.user_id).await {
        Ok(consents) => html::page(StatusCode::OK, "Connected apps", &list_page(&bank, &consents)),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// Password and second factor in one form; leads back to the list.
pub async fn login(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    address: ClientAddress,
    body: Bytes,
) -> Response {
    let bank = match page_bank(&state, &institution).await {
        Ok(b) => b,
        Err(page) => return page,
    };
    let form = Params::parse(&body);
    let username = form.get("username").unwrap_or_default();
    let mut guard = SignIn::new(&bank, username, address);
    if let Err(page) = guard.begin(&state, &bank).await {
        return page;
    }
    let user = match state.store.find_bank_user(bank.id(), username).await {
        Ok(user) => user,
        Err(e) => return PageError::from(e).into_response(),
    };
    let password_ok = password_matches(user.as_ref(), form.get("password").unwrap_or_default()).await;
    let code_ok = match &user {
        Some(u) if password_ok => match code_matches(&state, u, form.get("code").unwrap_or_default()).await {
            Ok(ok) => ok,
            Err(page) => return page,
        },
        _ => false,
    };
    let user = match user {
        Some(u) if code_ok => u,
        _ => {
            if let Err(page) = guard.failed(&state).await {
                return page;
            }
            let page = login_page(&bank, Some("Incorrect username, password or code."));
            return html::page(StatusCode::UNAUTHORIZED, "Sign in", &page);
        }
    };
    if let Err(page) = guard.succeeded(&state).await {
        return page;
    }
    let now = state.clock.now();
    let token = secret::new_secret("bss");
    let session = BankSession {
        token_hash: secret::digest(&token),
        institution_id: bank.id().to_owned(),
        user_id: user.id,
        mfa_passed: true,
        expires_at: now + SESSION_TTL_SECS,
        created: now,
    };
    if let Err(e) = state.store.insert_bank_session(&session).await {
        return PageError::from(e).into_response();
    }
    let mut res = see_other(&bank.path("/connected-apps"));
    res.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&state, &bank, &token));
    res
}

pub async fn revoke(
    State(state): State<AppState>,
    Path((institution, consent_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let bank = match page_bank(&state, &institution).await {
        Ok(b) => b,
        Err(page) => return page,
    };
    let session = match signed_in(&state, &bank, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return PageError::forbidden().into_response(),
        Err(e) => return e.into_response(),
    };
    let consent = match state.store.get_consent(&consent_id).await {
        Ok(c) => c.filter(|c| c.user_id == session.user_id && c.institution_id == bank.id()),
        Err(e) => return PageError::from(e).into_response(),
    };
    let Some(consent) = consent else {
        return PageError::new(StatusCode::NOT_FOUND, "Not found", "There is no such connected app.").into_response();
    };
    if let Err(e) = state.store.revoke_consent(&consent.id, state.clock.now()).await {
        return PageError::from(e).into_response();
    }
    tracing::info!(consent = %consent.id, "consent revoked by the user");
    see_other(&bank.path("/connected-apps"))
}
