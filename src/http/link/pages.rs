//! Pages of the hosted flow: the institution picker, the end page, and error pages.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::html::{escape, page};
use crate::app_state::AppState;
use crate::domain::session::{Session, SessionStatus};

/// An error shown to the person in the browser (never a Stripe JSON error: no SDK is here).
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    plain: bool,
}

impl PageError {
    pub fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            title,
            message: message.into(),
            plain: false,
        }
    }

    /// An ending that is not an error (shown plainly, not in red).
    pub fn notice(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            title,
            message: message.into(),
            plain: true,
        }
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Link not found",
            "This link is not valid. Ask the app that sent you for a new one.",
        )
    }

    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "link flow failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Linking could not be completed. Please try again.",
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let class = if self.plain { "muted" } else { "error" };
        let body = format!(
            "<h1>{}</h1><p class=\"{class}\" id=\"error\">{}</p>",
            escape(self.title),
            escape(&self.message)
        );
        (self.status, Html(page(self.title, &body))).into_response()
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::internal(&e)
    }
}

/// The pending session a hosted-flow URL names.
pub async fn pending_session(state: &AppState, secret: &str) -> Result<Session, PageError> {
    let session = state
        .store
        .session_by_secret(secret)
        .await?
        .ok_or_else(PageError::not_found)?;
    if session.status != SessionStatus::Pending {
        return Err(PageError::notice(
            StatusCode::GONE,
            "Link already used",
            "This link has already been used. You can close this window.",
        ));
    }
    Ok(session)
}

pub async fn pick_institution(
    State(state): State<AppState>,
    Path(secret): Path<String>,
) -> Result<Html<String>, PageError> {
    let session = pending_session(&state, &secret).await?;
    let institutions = state.store.list_institutions().await?;
    let items: String = institutions
        .iter()
        .filter(|i| session.allows_countries(&i.countries))
        .filter(|i| i.subcategories.iter().any(|s| session.allows_subcategory(s)))
        // The test institution has no users a person could log in as; test helpers reach it
        // directly.
        .filter(|i| i.id != crate::domain::bank::test_account::TEST_INSTITUTION)
        .map(|i| {
            let note = if i.status == "active" {
                ""
            } else {
                " <span class=\"muted\">(may be unavailable)</span>"
            };
            format!(
                "<li><a id=\"{id}\" href=\"/link/{secret}/institutions/{id}\">{name}{note}</a></li>",
                id = escape(&i.id),
                secret = escape(&secret),
                name = escape(&i.name)
            )
        })
        .collect();
    let permissions: Vec<&str> = session.permissions.iter().map(|p| p.as_str()).collect();
    let body = format!(
        "<h1>Select your bank</h1><p class=\"muted\">The app asks to see: {}.</p><ul id=\"institutions\">{items}</ul>\
         {}",
        escape(&permissions.join(", ")),
        cancel_form(&secret, "Cancel and return to the app"),
    );
    Ok(Html(page("Select your bank", &body)))
}

/// The cancel button: a form, since cancelling must be a POST.
fn cancel_form(secret: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/link/{}/cancel\"><button type=\"submit\" id=\"cancel\" \
         class=\"secondary\">{}</button></form>",
        escape(secret),
        escape(label)
    )
}

/// `GET /link/{secret}/cancel` (an old bookmark, a prefetcher): asks, cancels nothing.
pub async fn confirm_cancel(
    State(state): State<AppState>,
    Path(secret): Path<String>,
) -> Result<Html<String>, PageError> {
    pending_session(&state, &secret).await?;
    let body = format!(
        "<h1>Cancel linking?</h1><p class=\"muted\">The app will be told you cancelled.</p>{}\
         <p><a href=\"/link/{}\">Back to choosing your bank</a></p>",
        cancel_form(&secret, "Cancel and return to the app"),
        escape(&secret),
    );
    Ok(Html(page("Cancel linking?", &body)))
}

pub async fn done(State(state): State<AppState>, Path(secret): Path<String>) -> Result<Html<String>, PageError> {
    let session = state
        .store
        .session_by_secret(&secret)
        .await?
        .ok_or_else(PageError::not_found)?;
    let message = match session.status {
        SessionStatus::Succeeded => "Your accounts are linked. You can close this window.",
        SessionStatus::Cancelled => "You cancelled linking. You can close this window.",
        SessionStatus::Failed => "Your bank could not be linked right now. You can close this window.",
        SessionStatus::Pending => "Linking is not finished yet.",
    };
    let body = format!(
        "<h1>Linking finished</h1><p id=\"status\" data-status=\"{}\">{}</p>",
        session.status.as_str(),
        escape(message)
    );
    Ok(Html(page("Linking finished", &body)))
}
