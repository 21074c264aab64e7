//! Bank users' passwords: Argon2id with light parameters. These are sandbox passwords, and
//! debug-build tests log in many times, so cost is kept low; the hash format (PHC string)
//! carries its parameters, so stronger ones can be used later without a migration.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Argon2 verifications run by this process, real and dummy: lets tests check structurally
/// that an unknown user costs the same work as a known one.
static VERIFICATIONS: AtomicU64 = AtomicU64::new(0);

/// A hash of no one's password, with the same parameters as every stored one.
static DUMMY: LazyLock<String> = LazyLock::new(|| hash("no user has this password"));

fn hasher() -> Argon2<'static> {
    // 1 MiB, one pass, one lane.
    let params = Params::new(1024, 1, 1, None).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC-format hash of `password` with a fresh random salt.
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("hashing in memory with valid parameters succeeds")
        .to_string()
}

/// True when `password` matches `stored`; false for a malformed stored hash.
pub fn verify(password: &str, stored: &str) -> bool {
    VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
    PasswordHash::new(stored).is_ok_and(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// The same Argon2 work as [`verify`] for a username that matches no user, so response time
/// does not tell unknown users from known ones. Always false.
pub fn verify_nobody(password: &str) -> bool {
    let _ = verify(password, &DUMMY);
    false
}

/// Computes the dummy hash now, so the first unknown username does not also pay for it.
pub fn warm_up() {
    LazyLock::force(&DUMMY);
}

/// How many Argon2 verifications this process ran.
pub fn verifications() -> u64 {
    VERIFICATIONS.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let h = hash("password123");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("password123", &h));
        assert!(!verify("password124", &h));
        assert!(!verify("password123", "not a hash"));
        assert_ne!(h, hash("password123"));
    }

    #[test]
    fn nobody_costs_one_verification() {
        let before = verifications();
        assert!(!verify_nobody("password123"));
        assert!(verifications() > before);
    }
}
