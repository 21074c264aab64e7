//! The API version objects are shaped for when nobody names one.

/// The version answered when a request names none: the newest in Stripe's published enum.
pub const DEFAULT_API_VERSION: &str = "2026-07-29.dahlia";
