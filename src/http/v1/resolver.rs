//! What `expand[]` can reach from `/v1`: ids resolved to objects of the caller's platform.

use std::future::Future;
use std::pin::Pin;

use axum::Json;
use serde_json::Value;

use super::customers::{customer_json, deleted_json};
use crate::app_state::AppState;
use crate::domain::key_permissions::{Access, Resource};
use crate::http::error::{ApiError, ApiResult};
use crate::http::stripe::auth::Caller;
use crate::http::stripe::expand::{Resolver, expand};
use crate::wire::objects::{authorization_json, institution_json, ownership_json};

struct PlatformResolver<'a> {
    state: &'a AppState,
    platform_id: &'a str,
    caller: &'a Caller,
}

/// Expandable fields per object type, relative to the object.
const EXPANDABLE: &[(&str, &str)] = &[
    ("customer", "default_source"),
    ("customer", "test_clock"),
    ("customer", "invoice_settings.default_payment_method"),
    ("financial_connections.account", "account_holder.customer"),
    ("financial_connections.account", "institution"),
    ("financial_connections.account", "ownership"),
    ("financial_connections.account", "authorization"),
    ("financial_connections.session", "account_holder.customer"),
];

/// Every kind of object an expansion can load, by its id's prefix, and the resource a key
/// must be allowed to read to see it. An id whose prefix is not here is not expandable, so a
/// new expandable object cannot be added without naming the permission that guards it.
#[derive(Debug, Clone, Copy)]
enum Expanded {
    Customer,
    Ownership,
    Authorization,
    Institution,
}

const EXPANDED_OBJECTS: &[(&str, Expanded, Resource)] = &[
    ("cus_", Expanded::Customer, Resource::Customer),
    // Ownership (the owners' PII), authorizations and institutions are read, and listed
    // (`/v1/financial_connections/accounts/…/owners`, `…/institutions`), as account data.
    ("fcaowns_", Expanded::Ownership, Resource::FinancialConnectionsAccount),
    (
        "fcauth_",
        Expanded::Authorization,
        Resource::FinancialConnectionsAccount,
    ),
    ("fcinst_", Expanded::Institution, Resource::FinancialConnectionsAccount),
];

impl Resolver for PlatformResolver<'_> {
    fn expandable(&self, object_type: &str, path: &str) -> bool {
        EXPANDABLE.iter().any(|(t, p)| *t == object_type && *p == path)
    }

    fn resolve<'a>(
        &'a self,
        id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Value>, ApiError>> + Send + 'a>> {
        Box::pin(async move {
            let Some(&(_, kind, resource)) = EXPANDED_OBJECTS.iter().find(|(prefix, ..)| id.starts_with(prefix)) else {
                return Ok(None);
            };
            // Expanding reads the object: a restricted key needs its permission, whichever
            // road (an event's payload, a session's accounts) led to it.
            self.caller.require(resource, Access::Read)?;
            match kind {
                Expanded::Ownership => {
                    let found = self.state.store.get_ownership(self.platform_id, id).await?;
                    Ok(found.map(|o| ownership_json(&o, 10)))
                }
                Expanded::Authorization => {
                    let Some(auth) = self.state.store.get_authorization(self.platform_id, id).await? else {
                        return Ok(None);
                    };
                    let session = self.state.store.get_session(self.platform_id, &auth.session_id).await?;
                    Ok(session.map(|s| authorization_json(&auth, &s.account_holder)))
                }
                Expanded::Institution => Ok(self
                    .state
                    .store
                    .get_institution(id)
                    .await?
                    .map(|i| institution_json(&i))),
                Expanded::Customer => {
                    let found = self.state.store.get_customer(self.platform_id, id).await?;
                    Ok(found.map(|c| {
                        if c.is_deleted() {
                            deleted_json(&c.id)
                        } else {
                            customer_json(&c)
                        }
                    }))
                }
            }
        })
    }
}

/// Expands `paths` in `body` for the caller's platform.
pub async fn expand_for(state: &AppState, caller: &Caller, body: &mut Value, paths: &[String]) -> Result<(), ApiError> {
    if paths.is_empty() {
        return Ok(());
    }
    let resolver = PlatformResolver {
        state,
        platform_id: &caller.platform_id,
        caller,
    };
    expand(body, paths, &resolver).await
}

/// The answer of every `/v1` read or write: the object with `expand[]` applied.
pub async fn respond(state: &AppState, caller: &Caller, mut body: Value, paths: &[String]) -> ApiResult<Json<Value>> {
    expand_for(state, caller, &mut body, paths).await?;
    Ok(Json(body))
}
