//! The consent page: who is asking, for which permissions, over which accounts. Approving
//! writes the consent and a single-use code (stored hashed, 60 s) and returns to the client.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Bank;
use super::errors::PageError;
use super::form::Params;
use super::html;
use super::login::RequestQuery;
use super::session::{error_to_client, load_request, page_bank, posted_step, to_client};
use crate::app_state::AppState;
use crate::domain::bank::account::BankAccount;
use crate::domain::bank::client::BankClient;
use crate::domain::bank::grant::{AuthCode, CODE_TTL_SECS, Consent, ConsentStatus};
use crate::domain::bank::request::{AuthRequest, Stage};
use crate::domain::bank::secret;
use crate::domain::ids::{DEFAULT_TAIL, new_id};
use crate::store::StoreError;

/// The request's client and the user's accounts that may be shared.
async fn context(state: &AppState, request: &AuthRequest) -> Result<(BankClient, Vec<BankAccount>), StoreError> {
    let client = state
        .store
        .get_bank_client(&request.institution_id, &request.client_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("a request names a missing client".into()))?;
    let user_id = request.user_id.as_deref().unwrap_or_default();
    let accounts = state.store.list_bank_accounts(user_id).await?;
    let linkable = accounts.into_iter().filter(|a| a.subcategory.is_linkable()).collect();
    Ok((client, linkable))
}

fn consent_page(
    bank: &Bank,
    request: &AuthRequest,
    client: &BankClient,
    accounts: &[BankAccount],
    message: Option<&str>,
    ticked: Option<&[String]>,
) -> String {
    let permissions: String = request
        .scope
        .iter()
        .map(|s| {
            format!(
                "<li><strong>{}</strong>: {}</li>",
                html::esc(s.as_str()),
                html::esc(s.description())
            )
        })
        .collect();
    let boxes: String = accounts
        .iter()
        .map(|a| {
            format!(
                "<label class=\"account\"><input type=\"checkbox\" name=\"accounts\" value=\"{id}\"{checked}> \
                 {name} <span class=\"muted\">{sub} ••••{last4}</span></label>",
                // A page shown again keeps the user's own choice, never silently widening it.
                checked = if ticked.is_none_or(|t| t.contains(&a.id)) {
                    " checked"
                } else {
                    ""
                },
                id = html::esc(&a.id),
                name = html::esc(&a.display_name),
                sub = html::esc(&a.subcategory.as_str().replace('_', " ")),
                last4 = html::esc(&a.last4),
            )
        })
        .collect();
    let empty = if accounts.is_empty() {
        "<p class=\"muted\">You have no accounts that can be shared.</p>"
    } else {
        ""
    };
    format!(
        "{heading}{notice}<p><strong>{client}</strong> is asking to:</p><ul class=\"perms\">{permissions}</ul>\
         <form method=\"post\" action=\"{action}\">{hidden}<p>Share these accounts:</p>{boxes}{empty}\
         <button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\" class=\"secondary\">Deny</button>\
         </form><p class=\"muted\">You can revoke this access at any time under Connected apps.</p>",
        heading = html::heading(&bank.institution.name, "Connect your accounts"),
        notice = html::notice(message),
        client = html::esc(&client.name),
        action = html::esc(&bank.path("/consent")),
        hidden = html::hidden("request", &request.id),
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
    let request = match load_request(&state, &bank, q.request.as_deref(), &headers, &[Stage::Consent]).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    match context(&state, &request).await {
        Ok((client, accounts)) => html::page(
            StatusCode::OK,
            "Connect",
            &consent_page(&bank, &request, &client, &accounts, None, None),
        ),
        Err(e) => PageError::from(e).into_response(),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    Path(institution): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (bank, form, request) = match posted_step(&state, &institution, &headers, &body, &[Stage::Consent]).await {
        Ok(step) => step,
        Err(page) => return page,
    };
    match form.get("decision") {
        Some("approve") => approve(&state, &bank, &request, &form).await,
        Some("deny") => match state.store.set_auth_request_stage(&request.id, Stage::Done).await {
            Ok(()) => error_to_client(&bank, &request, "access_denied", "the user denied access"),
            Err(e) => PageError::from(e).into_response(),
        },
        _ => PageError::new(
            StatusCode::BAD_REQUEST,
            "Choose an answer",
            "Allow or deny the request.",
        )
        .into_response(),
    }
}

async fn approve(state: &AppState, bank: &Bank, request: &AuthRequest, form: &Params) -> Response {
    let (client, accounts) = match context(state, request).await {
        Ok(found) => found,
        Err(e) => return PageError::from(e).into_response(),
    };
    let mut chosen: Vec<String> = form.all("accounts").into_iter().map(str::to_owned).collect();
    chosen.sort();
    chosen.dedup();
    let all_known = chosen.iter().all(|id| accounts.iter().any(|a| &a.id == id));
    if chosen.is_empty() || !all_known {
        let message = if chosen.is_empty() {
            "Select at least one account to share."
        } else {
            "One of the selected accounts cannot be shared."
        };
        let page = consent_page(bank, request, &client, &accounts, Some(message), Some(&chosen));
        return html::page(StatusCode::BAD_REQUEST, "Connect", &page);
    }
    let now = state.clock.now();
    let consent = Consent {
        id: new_id("consent", DEFAULT_TAIL),
        institution_id: bank.id().to_owned(),
        user_id: request.user_id.clone().unwrap_or_default(),
        client_id: client.id.clone(),
        scope: request.scope.clone(),
        account_ids: chosen,
        status: ConsentStatus::Active,
        created: now,
        revoked_at: None,
    };
    let code = secret::new_secret("bac");
    let record = AuthCode {
        hash: secret::digest(&code),
        client_id: client.id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        consent_id: consent.id.clone(),
        family_id: new_id("fam", DEFAULT_TAIL),
        expires_at: now + CODE_TTL_SECS,
        used_at: None,
    };
    match state.store.approve_auth_request(&request.id, &consent, &record).await {
        Ok(true) => to_client(
            bank,
            &request.redirect_uri,
            request.state.as_deref(),
            &[("code", &code)],
        ),
        Ok(false) => PageError::expired().into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}
