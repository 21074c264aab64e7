//! Bank users' passwords: Argon2id with light parameters. These are sandbox passwords, and
//! debug-build tests log in many times, so cost is kept low; the hash format (PHC string)
//! carries its parameters, so stronger ones can be used later without a migration.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

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
    PasswordHash::new(stored).is_ok_and(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
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
}
