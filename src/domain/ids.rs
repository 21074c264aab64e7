//! Object ids in Stripe's shape: a type prefix and a random base62 tail.

use rand::Rng;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Length of the random tail for most objects (Stripe's `fca_…`, `evt_…` use 24).
pub const DEFAULT_TAIL: usize = 24;
/// Customers carry a shorter tail in Stripe (`cus_QXg1o8vcGmoR32`).
pub const CUSTOMER_TAIL: usize = 14;

/// A random base62 string of `len` characters from the thread-local CSPRNG.
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect()
}

/// A fresh id such as `cus_Nffr…`: `prefix` is written without the underscore.
pub fn new_id(prefix: &str, tail: usize) -> String {
    format!("{prefix}_{}", random_base62(tail))
}

/// True when `id` has the given prefix and a plausible base62 tail; used to answer 404 early
/// for ids that cannot exist rather than touching the store.
pub fn has_prefix(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|tail| {
            !tail.is_empty() && tail.len() <= 64 && tail.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_tail_length() {
        let id = new_id("cus", CUSTOMER_TAIL);
        assert!(id.starts_with("cus_"));
        assert_eq!(id.len(), 4 + CUSTOMER_TAIL);
        assert!(has_prefix(&id, "cus"));
        assert!(!has_prefix(&id, "fca"));
    }

    #[test]
    fn ids_are_not_repeated() {
        let a = new_id("evt", DEFAULT_TAIL);
        let b = new_id("evt", DEFAULT_TAIL);
        assert_ne!(a, b);
    }
}
