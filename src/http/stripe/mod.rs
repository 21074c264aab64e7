//! Stripe's wire conventions, written once for every `/v1` resource: authentication, rate
//! limits, versions, idempotency, bracket-nested parameters, lists and `expand[]`.

pub mod auth;
pub mod expand;
pub mod form;
pub mod idempotency;
pub mod list;
pub mod params;
pub mod rate_limit;
pub mod version;
