//! Pure types and rules: ids, platforms and keys, customers, pagination. No I/O and no clock
//! reads: callers pass `now` in.

pub mod account;
pub mod bank;
pub mod customer;
pub mod event;
pub mod fields;
pub mod idempotency;
pub mod ids;
pub mod institution;
pub mod key_permissions;
pub mod matching;
pub mod ownership;
pub mod page;
pub mod platform;
pub mod refresh;
pub mod session;
pub mod transaction;
pub mod webhook;
pub mod webhook_policy;
