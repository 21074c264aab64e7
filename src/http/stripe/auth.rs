//! Secret-key authentication as Stripe accepts it: `Bearer <key>`, or Basic with the key as
//! the username. Puts the caller's [`Caller`] in the request for every later layer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;

use crate::domain::platform::{ApiKey, KeyHash, redact_key};
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// Who is calling: the platform the key belongs to, and the key's hash (the rate-limit bucket).
#[derive(Debug, Clone)]
pub struct Caller {
    pub platform_id: String,
    pub key_hash: KeyHash,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::internal(&"route is missing the authentication layer"))
    }
}

pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Result<Response, ApiError> {
    let key = key_from_headers(req.headers())?;
    let hash = key.hash();
    let platform_id = match state.keys.get(hash) {
        Some(p) => p,
        None => {
            let found = state.store.platform_for_key(hash).await?;
            let platform = found.ok_or_else(|| invalid_key(key.as_str()))?;
            state.keys.put(hash, platform.clone());
            platform
        }
    };
    acting_for_itself(req.headers(), &key, &platform_id)?;
    req.extensions_mut().insert(Caller {
        platform_id,
        key_hash: hash,
    });
    Ok(next.run(req).await)
}

fn key_from_headers(headers: &HeaderMap) -> Result<ApiKey, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
        ));
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("Invalid Authorization header: it must be plain ASCII text."))?
        .trim();
    let (scheme, credentials) = text.split_once(' ').unwrap_or((text, ""));
    let credentials = credentials.trim();
    let candidate = if scheme.eq_ignore_ascii_case("bearer") {
        credentials.to_owned()
    } else if scheme.eq_ignore_ascii_case("basic") {
        basic_username(credentials)
    } else {
        return Err(ApiError::unauthorized(
            "Invalid Authorization header: use 'Bearer YOUR_SECRET_KEY' or HTTP Basic auth with the key as the username.",
        ));
    };
    if candidate.is_empty() {
        return Err(ApiError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        ));
    }
    ApiKey::parse(&candidate).ok_or_else(|| invalid_key(&candidate))
}

/// `Stripe-Account` acts on a connected account in Stripe. sandbank has no Connect, so the
/// header may only name the key's own platform; anything else is refused rather than ignored,
/// or a request meant for another account would quietly act on this one.
fn acting_for_itself(headers: &HeaderMap, key: &ApiKey, platform_id: &str) -> Result<(), ApiError> {
    let Some(value) = headers.get("stripe-account") else {
        return Ok(());
    };
    let account = value.to_str().unwrap_or("").trim();
    if account == platform_id {
        return Ok(());
    }
    let shown: String = account.chars().filter(|c| c.is_ascii_graphic()).take(64).collect();
    Err(ApiError::account_invalid(&redact_key(key.as_str()), &shown))
}

/// Basic credentials are `base64(key:)`; Stripe also takes the bare key un-encoded.
fn basic_username(credentials: &str) -> String {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded {
        Some(text) => text.split(':').next().unwrap_or("").to_owned(),
        None => credentials.split(':').next().unwrap_or("").to_owned(),
    }
}

fn invalid_key(key: &str) -> ApiError {
    ApiError::unauthorized(format!("Invalid API Key provided: {}", redact_key(key)))
}

/// Recently seen keys, so a request costs one query (its own) rather than two. Entries live
/// briefly: a key revoked from another process stops working within [`KEY_CACHE_TTL`].
pub struct KeyCache {
    entries: Mutex<HashMap<KeyHash, (String, Instant)>>,
}

pub const KEY_CACHE_TTL: Duration = Duration::from_secs(30);
const KEY_CACHE_MAX: usize = 10_000;

impl KeyCache {
    pub fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, hash: KeyHash) -> Option<String> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&hash)
            .filter(|(_, at)| at.elapsed() < KEY_CACHE_TTL)
            .map(|(platform, _)| platform.clone())
    }

    pub fn put(&self, hash: KeyHash, platform_id: String) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= KEY_CACHE_MAX {
            entries.clear();
        }
        entries.insert(hash, (platform_id, Instant::now()));
    }

    /// Forgets a key at once (used when this process revokes it).
    pub fn forget(&self, hash: KeyHash) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(&hash);
    }
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new()
    }
}
