//! Stripe's JSON shapes, written once: the objects handlers answer, workers deliver and
//! events carry. Below `http` (it knows no axum), above `domain` and `store`'s types.

pub mod event;
pub mod objects;
pub mod version;
