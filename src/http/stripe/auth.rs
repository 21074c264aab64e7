//! Key authentication as Stripe accepts it: `Bearer <key>`, or Basic with the key as the
//! username; a restricted key's permissions are checked here too. Puts the caller's
//! [`Caller`] in the request for every later layer.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;

use crate::app_state::AppState;
use crate::domain::key_permissions::{Access, KeyPermissions, Resource, permission_name, required_for};
use crate::domain::platform::{ApiKey, KeyHash, redact_key};
use crate::http::error::ApiError;

/// Who is calling: the platform the key belongs to, the key's hash (the rate-limit bucket),
/// and for a restricted key what it may do.
#[derive(Debug, Clone)]
pub struct Caller {
    pub platform_id: String,
    pub key_hash: KeyHash,
    pub restriction: Option<Arc<Restriction>>,
}

/// A restricted key's grants, and how its refusals name it.
#[derive(Debug)]
pub struct Restriction {
    pub redacted_key: String,
    pub permissions: KeyPermissions,
}

impl Caller {
    /// Refuses with Stripe's 403 unless the key may `access` `resource`. Endpoints call this
    /// for what they reach beyond their own resource (an expanded customer, say).
    pub fn require(&self, resource: Resource, access: Access) -> Result<(), ApiError> {
        match &self.restriction {
            Some(r) if !r.permissions.allows(resource, access) => Err(ApiError::permission_denied(
                &r.redacted_key,
                &self.platform_id,
                &permission_name(resource, access),
            )),
            _ => Ok(()),
        }
    }
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
    let grant = match state.keys.get(hash) {
        Some(grant) => grant,
        None => {
            let found = state.store.key_grant(hash).await?;
            let grant = Arc::new(found.ok_or_else(|| invalid_key(key.as_str()))?);
            state.keys.put(hash, grant.clone());
            grant
        }
    };
    acting_for_itself(req.headers(), &key, &grant.platform_id)?;
    let caller = Caller {
        platform_id: grant.platform_id.clone(),
        key_hash: hash,
        restriction: grant.permissions.as_ref().map(|permissions| {
            Arc::new(Restriction {
                redacted_key: key.redacted(),
                permissions: permissions.clone(),
            })
        }),
    };
    // A restricted key reaches only the resources it was granted, at the access granted;
    // checked before any handler runs, so a refused request writes nothing.
    for (resource, access) in required_for(req.method().as_str(), req.uri().path()).unwrap_or_default() {
        caller.require(resource, access)?;
    }
    req.extensions_mut().insert(caller);
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
