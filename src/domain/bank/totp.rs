//! The bank users' second factor: the fixed sandbox code `000000`, or a real TOTP (RFC 6238:
//! HMAC-SHA1, 6 digits, 30-second steps) from the user's base32 secret, accepted one step
//! either side of `now` to absorb clock drift.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Always accepted, so tests and demos need no authenticator app.
pub const FIXED_TEST_CODE: &str = "000000";
pub const STEP_SECS: i64 = 30;
pub const DIGITS: u32 = 6;

/// Decodes RFC 4648 base32 (any case, spaces and `=` padding ignored).
pub fn decode_base32(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u64, 0u32);
    for c in text.bytes().filter(|c| !matches!(c, b' ' | b'=')) {
        let value = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase())? as u64;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// The HOTP value (RFC 4226) of `key` at `counter`, as zero-padded digits.
pub fn hotp(key: &[u8], counter: u64) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[19] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    format!("{:0width$}", binary % 10u32.pow(DIGITS), width = DIGITS as usize)
}

/// The TOTP code of a base32 secret at unix time `now`; `None` for a malformed secret.
pub fn code_at(secret_base32: &str, now: i64) -> Option<String> {
    let key = decode_base32(secret_base32)?;
    Some(hotp(&key, (now.max(0) / STEP_SECS) as u64))
}

/// Checks a submitted second-factor code against the user's secret at `now`.
pub fn check(secret_base32: &str, submitted: &str, now: i64) -> bool {
    let submitted = submitted.trim();
    if submitted.len() != DIGITS as usize || !submitted.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if submitted == FIXED_TEST_CODE {
        return true;
    }
    let Some(key) = decode_base32(secret_base32) else {
        return false;
    };
    let step = now.max(0) / STEP_SECS;
    (step - 1..=step + 1)
        .filter(|s| *s >= 0)
        .any(|s| crate::domain::bank::secret::constant_time_eq(hotp(&key, s as u64).as_bytes(), submitted.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (secret "12345678901234567890"), last 6 digits.
    #[test]
    fn rfc6238_vectors() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(decode_base32(secret).unwrap(), b"12345678901234567890");
        assert_eq!(code_at(secret, 59).unwrap(), "287082");
        assert_eq!(code_at(secret, 1111111109).unwrap(), "081804");
        assert_eq!(code_at(secret, 1234567890).unwrap(), "005924");
        assert_eq!(code_at(secret, 2000000000).unwrap(), "279037");
    }

    #[test]
    fn window_and_fixed_code() {
        let secret = "SANDBANKJENNY234";
        let now = 1_700_000_000;
        let code = code_at(secret, now).unwrap();
        assert!(check(secret, &code, now));
        assert!(check(secret, &code, now + 30));
        assert!(!check(secret, &code, now + 90));
        assert!(check(secret, "000000", now));
        assert!(!check(secret, "12345", now));
        assert!(!check(secret, "abcdef", now));
    }
}
