//! The banks' three error shapes: RFC 6749 JSON for the OAuth endpoints, RFC 6750 bearer
//! errors for the data API, and HTML pages for the browser. Store failures become a generic
//! 500 in each shape; the cause is logged, never shown.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::html;
use crate::store::StoreError;

/// An OAuth endpoint error: `{error, error_description}`, never cached.
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub fn invalid_client() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        )
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such institution")
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the bank is temporarily unavailable",
        )
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "bank store unavailable");
            return Self::unavailable();
        }
        tracing::error!(error = %e, "bank store failure");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal error")
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.code, "error_description": self.description});
        let mut res = (self.status, Json(body)).into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"bank\""),
            );
        }
        res
    }
}

/// A data API error.
#[derive(Debug)]
pub enum DataError {
    /// Missing, malformed, expired or revoked token, or a revoked consent.
    InvalidToken,
    InsufficientScope(&'static str),
    NotFound,
    /// A malformed query parameter.
    BadRequest(&'static str),
    Unavailable,
    /// The account's scenario makes the bank fail this call.
    BankFailure,
    Server,
}

impl From<StoreError> for DataError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "bank store unavailable");
            return DataError::Unavailable;
        }
        tracing::error!(error = %e, "bank store failure");
        DataError::Server
    }
}

impl IntoResponse for DataError {
    fn into_response(self) -> Response {
        let (status, body, challenge) = match self {
            DataError::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid_token", "error_description": "the access token is invalid, expired or revoked"}),
                Some("Bearer realm=\"bank\", error=\"invalid_token\"".to_owned()),
            ),
            DataError::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                json!({"error": "insufficient_scope", "scope": scope}),
                Some(format!(
                    "Bearer realm=\"bank\", error=\"insufficient_scope\", scope=\"{scope}\""
                )),
            ),
            DataError::NotFound => (StatusCode::NOT_FOUND, json!({"error": "not_found"}), None),
            DataError::BadRequest(why) => (
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request", "error_description": why}),
                None,
            ),
            DataError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "temporarily_unavailable"}),
                None,
            ),
            DataError::BankFailure => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "server_error", "error_description": "the bank could not answer"}),
                None,
            ),
            DataError::Server => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "server_error"}),
                None,
            ),
        };
        let mut res = (status, Json(body)).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        res
    }
}

/// An HTML error page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            title,
            message: message.into(),
        }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", "There is no such bank here.")
    }

    pub fn expired() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "This link has expired",
            "This sign-in request is no longer valid. Go back to the app and start again.",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Session mismatch",
            "This page belongs to another sign-in. Go back to the app and start again.",
        )
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "bank store unavailable");
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "The bank cannot complete this step right now. Try again in a moment.",
            );
        }
        tracing::error!(error = %e, "bank store failure");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The bank could not complete this step. Try again later.",
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = format!("<p>{}</p>", html::esc(&self.message));
        html::page(self.status, self.title, &body)
    }
}
