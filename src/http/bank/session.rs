//! What the bank pages share: the browser session cookie, loading the pending request a page
//! names, and the two kinds of redirect (between the bank's pages, and back to the client).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::Bank;
use super::errors::PageError;
use super::form::Params;
use crate::app_state::AppState;
use crate::domain::bank::request::{AuthRequest, RequestState, Stage};
use crate::domain::bank::secret;

/// The bank's session cookie; scoped to one bank's path.
pub const COOKIE: &str = "sandbank_bank_session";

/// Digest of the session cookie the browser sent, if any.
pub fn cookie_hash(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| secret::digest(value))
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax (no cross-site POSTs carry it),
/// Secure when the server is reached over https.
pub fn set_cookie(state: &AppState, bank: &Bank, token: &str) -> HeaderValue {
    let secure = if Url::parse(&state.public_url).is_ok_and(|u| u.scheme() == "https") {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{COOKIE}={token}; Path={}; HttpOnly; SameSite=Lax{secure}",
        bank.path("")
    );
    HeaderValue::from_str(&value).expect("the cookie is built from URL-safe characters")
}

/// 303 to `location` (RFC 9700 §4.12: never 307 after a form post).
pub fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => PageError::new(
            StatusCode::BAD_REQUEST,
            "Bad redirect",
            "The redirect address is not valid.",
        )
        .into_response(),
    }
}

/// 303 back to the client's registered redirect URI with `params`, the request's `state` and
/// the issuer (RFC 9207, against mix-up attacks).
pub fn to_client(bank: &Bank, redirect_uri: &str, state: Option<&str>, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return PageError::new(
            StatusCode::BAD_REQUEST,
            "Bad redirect",
            "The app's address is not valid.",
        )
        .into_response();
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
        if let Some(s) = state {
            query.append_pair("state", s);
        }
        query.append_pair("iss", &bank.issuer);
    }
    see_other(url.as_str())
}

/// An error sent back to the client of a request.
pub fn error_to_client(bank: &Bank, request: &AuthRequest, code: &str, description: &str) -> Response {
    to_client(
        bank,
        &request.redirect_uri,
        request.state.as_deref(),
        &[("error", code), ("error_description", description)],
    )
}

/// A page's view of its request: loaded, live, at one of `stages`, and (once logged in)
/// bound to this browser's cookie. Anything else is answered here.
pub async fn load_request(
    state: &AppState,
    bank: &Bank,
    request_id: Option<&str>,
    headers: &HeaderMap,
    stages: &[Stage],
) -> Result<AuthRequest, Response> {
    let Some(id) = request_id.filter(|id| crate::domain::ids::has_prefix(id, "areq")) else {
        return Err(PageError::expired().into_response());
    };
    let request = match state.store.get_auth_request(id).await {
        Ok(Some(r)) if r.institution_id == bank.id() => r,
        Ok(_) => return Err(PageError::expired().into_response()),
        Err(e) => return Err(PageError::from(e).into_response()),
    };
    match request.state_at(state.clock.now()) {
        RequestState::Gone => return Err(PageError::expired().into_response()),
        RequestState::Dead => {
            return Err(error_to_client(
                bank,
                &request,
                "access_denied",
                "too many failed attempts",
            ));
        }
        RequestState::Live => {}
    }
    if request.stage != Stage::Login && !request.bound_to(cookie_hash(headers).as_deref()) {
        return Err(PageError::forbidden().into_response());
    }
    if !stages.contains(&request.stage) {
        return Err(next_page(bank, &request));
    }
    Ok(request)
}

/// Where a request at its current stage continues (after a back button or a reload).
pub fn next_page(bank: &Bank, request: &AuthRequest) -> Response {
    let page = match request.stage {
        Stage::Login => "/login",
        Stage::Mfa => "/mfa",
        Stage::Consent => "/consent",
        Stage::Done | Stage::Dead => return PageError::expired().into_response(),
    };
    see_other(&bank.path(&format!("{page}?request={}", request.id)))
}

/// Counts a wrong password or code; the fifth ends the request with `access_denied`.
pub async fn fail_attempt(state: &AppState, bank: &Bank, request: &AuthRequest) -> Result<Option<Response>, Response> {
    let count = state
        .store
        .record_auth_failure(&request.id)
        .await
        .map_err(|e| PageError::from(e).into_response())?;
    if crate::domain::bank::request::after_failure(count) == Some(Stage::Dead) {
        state
            .store
            .set_auth_request_stage(&request.id, Stage::Dead)
            .await
            .map_err(|e| PageError::from(e).into_response())?;
        return Ok(Some(error_to_client(
            bank,
            request,
            "access_denied",
            "too many failed attempts",
        )));
    }
    Ok(None)
}

/// The bank of a page request, or the not-found page.
/// A posted page step: its bank, its form, and the authorization request it continues (which
/// must be at one of `stages`); or the page to answer instead.
pub async fn posted_step(
    state: &AppState,
    institution: &str,
    headers: &HeaderMap,
    body: &[u8],
    stages: &[Stage],
) -> Result<(Bank, Params, AuthRequest), Response> {
    let bank = page_bank(state, institution).await?;
    let form = Params::parse(body);
    let request = load_request(state, &bank, form.get("request"), headers, stages).await?;
    Ok((bank, form, request))
}

pub async fn page_bank(state: &AppState, id: &str) -> Result<Bank, Response> {
    match Bank::find(state, id).await {
        Ok(Some(bank)) => Ok(bank),
        Ok(None) => Err(PageError::not_found().into_response()),
        Err(e) => Err(PageError::from(e).into_response()),
    }
}
