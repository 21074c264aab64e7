//! `Idempotency-Key` on POST: the first response for a key is stored for 24 hours and replayed
//! byte for byte; the same key with other parameters is a 400 `idempotency_error`; a key whose
//! first request is still running is a 409 the SDKs retry.
//!
//! One effect per key, even if the process dies: the claim ([`KeyClaim`]) goes to the handler
//! ([`Keyed`]), whose store write records the answer under the key in the write's own
//! transaction. After a crash the key either replays that answer or was never used by a
//! committed write, so running the request again is its first effect. The layer then stores
//! the answer exactly as sent (with `expand[]` resolved); if the process died before that, a
//! replay resolves the expansions of the recorded answer. A claim whose process is gone is
//! retried at once (see `store::sql::incarnation`).

use std::convert::Infallible;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::params::{expand_paths, parse_body};
use crate::app_state::AppState;
use crate::domain::idempotency::{IDEMPOTENCY_KEY_MAX_LEN, IdempotencyClaim, KeyClaim, Reply, StoredResponse};
use crate::http::error::ApiError;

pub async fn idempotent(State(state): State<AppState>, req: Request, next: Next) -> Result<Response, ApiError> {
    if req.method() != Method::POST {
        return Ok(next.run(req).await);
    }
    let Some(raw_key) = req.headers().get("idempotency-key") else {
        return Ok(next.run(req).await);
    };
    let key = raw_key
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= IDEMPOTENCY_KEY_MAX_LEN)
        .ok_or_else(|| {
            ApiError::invalid(
                "parameter_invalid",
                "Idempotency-Key",
                format!("Invalid Idempotency-Key: it must be 1 to {IDEMPOTENCY_KEY_MAX_LEN} visible ASCII characters."),
            )
        })?
        .to_owned();
    let Some(caller) = req.extensions().get::<Caller>().cloned() else {
        return Err(ApiError::internal(&"idempotency layer runs before authentication"));
    };

    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, state.body_limit)
        .await
        .map_err(|_| ApiError::payload_too_large(state.body_limit))?;
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    let fingerprint = fingerprint(&parts.method, parts.uri.path(), parts.uri.query(), is_json, &bytes);
    let expand = expand_paths(parts.uri.query(), &bytes, is_json);
    let now = state.clock.now();
    let key_header = HeaderValue::from_str(&key).expect("checked ASCII");
    match state
        .store
        .claim_idempotency_key(&caller.platform_id, &key, &fingerprint, !expand.is_empty(), now)
        .await?
    {
        IdempotencyClaim::Replay(stored) => {
            let mut response = replay(stored);
            response.headers_mut().insert("idempotency-key", key_header);
            Ok(response)
        }
        IdempotencyClaim::Unexpanded(pending) => {
            // The write committed and recorded its answer; its process died before resolving
            // `expand[]`. Expanding reads, so doing it now has no effect of its own.
            let mut body: Value = serde_json::from_slice(&pending.0.body).map_err(|e| ApiError::internal(&e))?;
            crate::http::v1::expand_for(&state, &caller, &mut body, &expand).await?;
            let stored = StoredResponse {
                status: pending.0.status,
                body: serde_json::to_vec(&body).map_err(|e| ApiError::internal(&e))?,
            };
            state
                .store
                .complete_idempotency_expansion(&caller.platform_id, &key, &stored)
                .await?;
            let mut response = replay(stored);
            response.headers_mut().insert("idempotency-key", key_header);
            Ok(response)
        }
        IdempotencyClaim::Mismatch => Err(ApiError::idempotency_mismatch(&key)),
        IdempotencyClaim::InProgress => Err(ApiError::idempotency_in_progress(&key)),
        IdempotencyClaim::Claimed(claim) => {
            let mut parts = parts;
            parts.extensions.insert(claim.clone());
            let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            let (mut head, body) = response.into_parts();
            let body = to_bytes(body, usize::MAX).await.map_err(|e| ApiError::internal(&e))?;
            if worth_keeping(head.status) {
                let stored = StoredResponse {
                    status: head.status.as_u16(),
                    body: body.to_vec(),
                };
                state.store.complete_idempotency_key(&claim, &stored).await?;
            } else {
                state.store.release_idempotency_key(&claim).await?;
            }
            head.headers.insert("idempotency-key", key_header);
            Ok(Response::from_parts(head, Body::from(body)))
        }
    }
}

/// The idempotency claim of a keyed request, for the handler to pass to its store write.
pub struct Keyed(pub Option<KeyClaim>);

impl Keyed {
    /// What an earlier attempt under this key, whose process died, noted it had started.
    pub fn recovery(&self) -> Option<&str> {
        self.0.as_ref().and_then(|c| c.recovery.as_deref())
    }

    /// Notes what this request starts whose effect commits elsewhere (see [`Keyed::recovery`]).
    pub async fn note_recovery(&self, state: &AppState, recovery: &str) -> Result<(), ApiError> {
        if let Some(claim) = &self.0 {
            state.store.note_idempotency_recovery(claim, recovery).await?;
        }
        Ok(())
    }

    /// The answer the write records under the key, rendered by `render` from what it wrote.
    pub fn reply<'a, T: ?Sized>(&'a self, render: &'a (dyn Fn(&T) -> Value + Send + Sync)) -> Option<Reply<'a, T>> {
        self.0.as_ref().map(|claim| Reply::new(claim, render))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Keyed {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Self(parts.extensions.get::<KeyClaim>().cloned()))
    }
}

/// Stripe keeps the result once execution began. Requests refused before that (bad params,
/// conflicts, rate limits) and server faults are not kept, so a corrected or retried request
/// with the same key runs again.
fn worth_keeping(status: StatusCode) -> bool {
    status.is_success() || matches!(status.as_u16(), 402..=404)
}

/// SHA-256 over the method, path and the parameters in canonical form (sorted keys), so the
/// same parameters sent as a form or as JSON, in any order, match.
pub fn fingerprint(method: &Method, path: &str, query: Option<&str>, is_json: bool, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str());
    hasher.update([0]);
    hasher.update(path);
    hasher.update([0]);
    let mut params = super::form::parse_form(query.unwrap_or("").as_bytes()).unwrap_or_default();
    match parse_body(body, is_json) {
        Ok(map) => {
            params.extend(map);
            hasher.update(Value::Object(params).to_string());
        }
        // Unparseable bodies are compared as bytes; the handler will refuse them anyway.
        Err(_) => hasher.update(body),
    }
    hex::encode(hasher.finalize())
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
