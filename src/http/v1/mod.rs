//! The platform API under `/v1`: one file per resource, Stripe's conventions from
//! [`crate::http::stripe`].

pub mod accounts;
pub mod customers;
pub mod events;
mod institutions;
mod owners;
mod ownership_match;
mod resolver;
pub use resolver::expand_for;
pub mod sessions;
mod test_accounts;
mod test_helpers;
mod transactions;
pub mod webhook_endpoints;
mod webhook_test_helpers;

use axum::Router;

use crate::app_state::AppState;

/// Every `/v1` route, before the Stripe convention layers are applied.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(customers::routes())
        .merge(sessions::routes())
        .merge(institutions::routes())
        .merge(test_helpers::routes())
        .merge(test_accounts::routes())
        .merge(accounts::routes())
        .merge(owners::routes())
        .merge(ownership_match::routes())
        .merge(transactions::routes())
        .merge(events::routes())
        .merge(webhook_endpoints::routes())
        .merge(webhook_test_helpers::routes())
}
