//! The emulated banks under `/bank/{institution}`: an OAuth 2.0 authorization server (login,
//! second factor, consent, token, revoke, introspect, metadata, JWKS, registration) and an
//! open-banking data API that honours the consented scopes. The contract is in docs/banks.md.

mod authorize;
mod client_auth;
mod connected_apps;
mod consent;
mod data;
mod errors;
mod form;
mod guard;
mod html;
mod introspect;
mod login;
mod metadata;
mod register;
mod revoke;
mod session;
mod token;

use axum::Router;
use axum::routing::{get, post};

use crate::app_state::AppState;
use crate::domain::institution::{Institution, InstitutionBehaviour};
use crate::store::StoreError;

pub use guard::PeerAddr;

pub fn routes() -> Router<AppState> {
    let wk = "/.well-known/oauth-authorization-server";
    Router::new()
        .route(&format!("{wk}/bank/{{institution}}"), get(metadata::metadata))
        .route(&format!("/bank/{{institution}}{wk}"), get(metadata::metadata))
        .route("/bank/{institution}/jwks.json", get(metadata::jwks))
        .route("/bank/{institution}/oauth/register", post(register::register))
        .route("/bank/{institution}/oauth/authorize", get(authorize::authorize))
        .route("/bank/{institution}/oauth/token", post(token::token))
        .route("/bank/{institution}/oauth/revoke", post(revoke::revoke))
        .route("/bank/{institution}/oauth/introspect", post(introspect::introspect))
        .route("/bank/{institution}/login", get(login::show).post(login::submit))
        .route("/bank/{institution}/mfa", get(login::show_mfa).post(login::submit_mfa))
        .route("/bank/{institution}/consent", get(consent::show).post(consent::submit))
        .route("/bank/{institution}/connected-apps", get(connected_apps::list))
        .route("/bank/{institution}/connected-apps/login", post(connected_apps::login))
        .route(
            "/bank/{institution}/connected-apps/{consent_id}/revoke",
            post(connected_apps::revoke),
        )
        .route("/bank/{institution}/data/v1/accounts", get(data::accounts))
        .route("/bank/{institution}/data/v1/accounts/{account}", get(data::account))
        .route(
            "/bank/{institution}/data/v1/accounts/{account}/balances",
            get(data::balances),
        )
        .route(
            "/bank/{institution}/data/v1/accounts/{account}/transactions",
            get(data::transactions),
        )
        .route(
            "/bank/{institution}/data/v1/accounts/{account}/owners",
            get(data::owners),
        )
        .route(
            "/bank/{institution}/data/v1/accounts/{account}/numbers",
            get(data::numbers),
        )
        .layer(axum::middleware::map_response(crate::http::html::page_headers))
}

/// One bank as a request sees it.
pub(crate) struct Bank {
    pub institution: Institution,
    /// `{public_url}/bank/{id}`: the `iss` of its tokens and metadata.
    pub issuer: String,
}

impl Bank {
    pub async fn find(state: &AppState, id: &str) -> Result<Option<Bank>, StoreError> {
        let institution = state.store.get_institution(id).await?;
        Ok(institution.map(|institution| Bank {
            issuer: format!("{}/bank/{}", state.public_url, institution.id),
            institution,
        }))
    }

    pub fn id(&self) -> &str {
        &self.institution.id
    }

    pub fn is_down(&self) -> bool {
        self.institution.behaviour == InstitutionBehaviour::Down
    }

    /// The audience of its access tokens: its data API.
    pub fn audience(&self) -> String {
        format!("{}/data", self.issuer)
    }

    /// A path on this bank, relative to the server (for redirects between its pages).
    pub fn path(&self, rest: &str) -> String {
        format!("/bank/{}{rest}", self.institution.id)
    }

    /// Holds the slow bank's answers for the configured delay.
    pub async fn pace(&self, state: &AppState) {
        if self.institution.behaviour == InstitutionBehaviour::Slow {
            tokio::time::sleep(state.bank.slow_delay).await;
        }
    }
}
