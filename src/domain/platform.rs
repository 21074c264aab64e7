//! Platform accounts and their secret API keys. A key is shown once and stored only as a hash.

use sha2::{Digest, Sha256};

use super::ids::random_base62;
use super::key_permissions::KeyPermissions;

/// The platform that ships in sandbox mode, reachable with [`SANDBOX_SECRET_KEY`].
pub const SANDBOX_PLATFORM_ID: &str = "acct_sandbank";
/// The documented key of the sandbox platform (like stripe-mock's `sk_test_123`).
pub const SANDBOX_SECRET_KEY: &str = "sk_test_sandbank";

/// A platform account: every object belongs to exactly one, and keys see only their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub id: String,
    pub name: String,
    pub created: i64,
}

/// What an active key gives its caller: its platform, and for a restricted key what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    pub platform_id: String,
    /// `None` for a secret key (`sk_test_…`), which may do everything.
    pub permissions: Option<KeyPermissions>,
}

/// A secret key as presented by a client. Never logged; only [`ApiKey::hash`] is stored.
#[derive(Clone)]
pub struct ApiKey(String);

/// The stored form of a key: SHA-256 of its text. Keys are 190 bits of randomness, so a
/// plain digest (no salt, no slow hash) is enough and keeps lookups O(1) by primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash(pub [u8; 32]);

impl KeyHash {
    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

impl ApiKey {
    /// A fresh secret test-mode key: `sk_test_` and 32 base62 characters.
    pub fn generate() -> Self {
        Self(format!("sk_test_{}", random_base62(32)))
    }

    /// A fresh restricted test-mode key: `rk_test_` and 32 base62 characters.
    pub fn generate_restricted() -> Self {
        Self(format!("rk_test_{}", random_base62(32)))
    }

    /// Accepts what Stripe accepts as a secret key's shape: `sk_test_…` or `rk_test_…`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '_');
        let (kind, mode, tail) = (parts.next()?, parts.next()?, parts.next()?);
        let shaped = matches!(kind, "sk" | "rk")
            && mode == "test"
            && !tail.is_empty()
            && tail.len() <= 200
            && tail.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        shaped.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// What error messages may show of a key: Stripe's `sk_test_****abcd`.
    pub fn redacted(&self) -> String {
        redact_key(&self.0)
    }

    /// The last four characters, kept beside the hash so operators can tell keys apart.
    pub fn last4(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    }
}

/// Redacts any credential the way Stripe's "Invalid API Key provided" message does
/// (`sk_test_****1234`), whatever its shape: a message never shows more than a short
/// `kind_mode_` prefix and the last four characters, and shows those only when they give
/// nothing away (the prefix is two short alphanumeric words; the last four are shown only
/// of a secret long enough that they are a small part of it, and only if alphanumeric).
pub fn redact_key(text: &str) -> String {
    let short_word = |w: &str| (1..=8).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_alphanumeric());
    let mut parts = text.splitn(3, '_');
    let (prefix, secret) = match (parts.next(), parts.next(), parts.next()) {
        (Some(kind), Some(mode), Some(rest)) if short_word(kind) && short_word(mode) => {
            (format!("{kind}_{mode}_"), rest)
        }
        _ => (String::new(), text),
    };
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    let show_tail = chars.len() >= REDACTED_SECRET_MIN && tail.chars().all(|c| c.is_ascii_alphanumeric());
    format!("{prefix}****{}", if show_tail { tail.as_str() } else { "" })
}

/// The shortest secret part whose last four characters a redaction shows.
const REDACTED_SECRET_MIN: usize = 12;

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_secret_and_restricted_test_keys_only() {
        assert!(ApiKey::parse("sk_test_sandbank").is_some());
        assert!(ApiKey::parse("rk_test_abc").is_some());
        assert!(ApiKey::parse("pk_test_abc").is_none());
        assert!(ApiKey::parse("sk_live_abc").is_none());
        assert!(ApiKey::parse("sk_test_").is_none());
        assert!(ApiKey::parse("garbage").is_none());
    }

    #[test]
    fn redaction_hides_all_but_the_last_four() {
        let key = ApiKey::parse("sk_test_abcdefgh1234").unwrap();
        assert_eq!(key.redacted(), "sk_test_****1234");
        assert_eq!(format!("{key:?}"), "sk_test_****1234");
    }

    #[test]
    fn odd_credentials_show_no_more_than_a_short_prefix_and_the_last_four() {
        for (credential, shown) in [
            ("garbage", "****"),
            ("hunter2", "****"),
            ("sk_test_abc", "sk_test_****"),
            ("sk_live_abcdefgh1234", "sk_live_****1234"),
            ("onlyoneunderscore_abcdefghijkl", "****ijkl"),
            ("averyverylongprefix_test_abcdefghijkl", "****ijkl"),
            ("a_b_c", "a_b_****"),
            ("supersecretpassword", "****word"),
            ("secret-with-dashes!", "****"),
            ("", "****"),
            ("__", "****"),
            ("ключ_тест_секретныйключ", "****"),
        ] {
            let redacted = redact_key(credential);
            assert_eq!(redacted, shown, "{credential}");
            if credential.len() > 4 {
                assert!(!redacted.contains(credential), "{credential}");
            }
        }
    }

    #[test]
    fn hash_is_stable_and_distinct() {
        let a = ApiKey::parse("sk_test_a1").unwrap();
        let b = ApiKey::parse("sk_test_a2").unwrap();
        assert_eq!(a.hash(), a.hash());
        assert_ne!(a.hash(), b.hash());
    }
}
