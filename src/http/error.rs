//! The one API error type: Stripe's error object with Stripe's status codes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::fields::Invalid;
use crate::store::StoreError;

/// Stripe's `error.type` values that sandbank emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequestError,
    IdempotencyError,
    ApiError,
}

/// An error response. Build it with the constructors; they fix the status and type.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: ErrorType,
    pub code: Option<&'static str>,
    pub message: String,
    pub param: Option<String>,
    /// Seconds a client should wait (429 only).
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    #[serde(rename = "type")]
    kind: ErrorType,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    param: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc_url: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, kind: ErrorType, code: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            code,
            message: message.into(),
            param: None,
            retry_after: None,
        }
    }

    /// Stripe answers an unknown pagination cursor with 400, not 404.
    pub fn with_status_400(mut self) -> Self {
        self.status = StatusCode::BAD_REQUEST;
        self
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// 400 `invalid_request_error` with a code such as `parameter_invalid_integer`.
    pub fn invalid(code: &'static str, param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequestError,
            Some(code),
            message,
        )
        .with_param(param)
    }

    /// 400 without a specific parameter (malformed body, conflicting options).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorType::InvalidRequestError, None, message)
    }

    pub fn unknown_parameter(param: impl Into<String>) -> Self {
        let param = param.into();
        Self::invalid(
            "parameter_unknown",
            param.clone(),
            format!("Received unknown parameter: {param}"),
        )
    }

    pub fn missing_parameter(param: impl Into<String>) -> Self {
        let param = param.into();
        Self::invalid(
            "parameter_missing",
            param.clone(),
            format!("Missing required param: {param}."),
        )
    }

    /// 404 for an object this platform does not have: `No such customer: 'cus_…'`.
    pub fn no_such(object: &str, id: &str, param: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorType::InvalidRequestError,
            Some("resource_missing"),
            format!("No such {object}: '{id}'"),
        )
        .with_param(param)
    }

    pub fn unrecognized_url(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorType::InvalidRequestError,
            None,
            format!(
                "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
            ),
        )
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorType::InvalidRequestError, None, message)
    }

    /// 403 `account_invalid`: a `Stripe-Account` header naming an account the key cannot act
    /// for (sandbank has no connected accounts, so any account but the key's own).
    pub fn account_invalid(key: &str, account: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorType::InvalidRequestError,
            Some("account_invalid"),
            format!(
                "The provided key '{key}' does not have access to account '{account}' (or that account does not exist). Application access may have been revoked."
            ),
        )
    }

    /// 403 for a restricted key without the permission the endpoint needs; the message names
    /// it as Stripe's does (`rak_customer_write`), and there is no `code`, as at Stripe.
    pub fn permission_denied(key: &str, account: &str, permission: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorType::InvalidRequestError,
            None,
            format!(
                "The provided key '{key}' does not have the required permissions for this endpoint on account '{account}'. Having the '{permission}' permission would allow this request to continue."
            ),
        )
    }

    pub fn rate_limited(retry_after: u64, message: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorType::InvalidRequestError,
            Some("rate_limit"),
            message,
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    pub fn idempotency_mismatch(key: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::IdempotencyError,
            None,
            format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
            ),
        )
    }

    pub fn idempotency_in_progress(key: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            ErrorType::IdempotencyError,
            Some("idempotency_key_in_use"),
            format!(
                "There is currently another in-progress request using this Idempotency-Key ('{key}'). Please try again later."
            ),
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorType::InvalidRequestError,
            None,
            format!("The request body is larger than the limit of {limit} bytes."),
        )
    }

    /// 500 with a generic message; the cause is logged here, never sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::ApiError,
            None,
            "An unexpected error occurred on sandbank's side. The request was not completed.",
        )
    }

    /// 503 `api_error` for a store that cannot be reached now (the database is down or out of
    /// connections); `Stripe-Should-Retry: true` tells the SDKs to try again.
    pub fn store_unavailable() -> Self {
        Self::unavailable(
            "sandbank's database is temporarily unavailable. The request was not completed; it is safe to retry.",
        )
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, ErrorType::ApiError, None, message)
    }

    /// An error the server itself produces outside any handler (a request hyper cannot
    /// parse, a framework rejection, the request timeout), with Stripe's shape for `status`.
    /// The message is fixed per status: the framework's own text may quote the request.
    pub fn from_server(status: StatusCode) -> Self {
        let message = match status.as_u16() {
            400 => {
                "The request could not be read: it is not well-formed HTTP or its body is not what the endpoint takes."
            }
            404 => {
                "Unrecognized request URL. Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
            }
            405 => "This URL does not accept this HTTP method. Please see https://stripe.com/docs.",
            408 => {
                "The request took too long to complete and was stopped; it may have been partly processed, so retry with the same Idempotency-Key."
            }
            413 => "The request body is too large.",
            414 => {
                "The request URL is too long: at most 65534 bytes. Send long parameters in the request body instead."
            }
            415 => "Unsupported Content-Type: send application/x-www-form-urlencoded or application/json.",
            431 => "The request headers are too large: at most 100 headers, and their size is limited too.",
            _ => status.canonical_reason().unwrap_or("The request failed."),
        };
        let kind = if status.is_server_error() {
            ErrorType::ApiError
        } else {
            ErrorType::InvalidRequestError
        };
        Self::new(status, kind, None, message)
    }

    /// The JSON body of this error, as every response carries it.
    pub fn body_bytes(&self) -> Vec<u8> {
        let body = Body {
            error: Inner {
                kind: self.kind,
                code: self.code,
                message: &self.message,
                param: self.param.as_deref(),
                doc_url: self.doc_url(),
            },
        };
        serde_json::to_vec(&body).expect("error body serialises")
    }

    fn doc_url(&self) -> Option<String> {
        self.code
            .map(|c| format!("https://stripe.com/docs/error-codes/{}", c.replace('_', "-")))
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        Self::invalid("parameter_invalid", e.param, e.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(invalid) => invalid.into(),
            StoreError::KeyClaimLost => ApiError::new(
                StatusCode::CONFLICT,
                ErrorType::IdempotencyError,
                Some("idempotency_key_in_use"),
                "Another request took over this Idempotency-Key while this one ran; nothing was changed. \
                 Retry to receive that request's result."
                    .to_owned(),
            ),
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "store unavailable");
                ApiError::store_unavailable()
            }
            other => ApiError::internal(&other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let bytes = self.body_bytes();
        let mut response = (self.status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Stripe\""),
            );
        }
        // The SDKs retry 409s and 5xx unless told otherwise; tell them what is worth it.
        let retry = matches!(self.status, StatusCode::CONFLICT | StatusCode::SERVICE_UNAVAILABLE);
        if retry {
            headers.insert("stripe-should-retry", HeaderValue::from_static("true"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
