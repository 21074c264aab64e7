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

/// A second-factor code the bank accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The sandbox's fixed code (when the bank allows it): reusable by design.
    Fixed,
    /// The TOTP of this time step: the caller must record the step as used (RFC 6238 §5.2).
    Step(i64),
}

/// Checks a submitted code against the user's secret at `now`: the fixed code when
/// `allow_fixed`, else a TOTP of a step within one of `now`'s that is later than
/// `last_used` (a code, once accepted, never passes again).
pub fn accept(
    secret_base32: &str,
    submitted: &str,
    now: i64,
    allow_fixed: bool,
    last_used: Option<i64>,
) -> Option<Accepted> {
    let submitted = submitted.trim();
    if submitted.len() != DIGITS as usize || !submitted.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if allow_fixed && submitted == FIXED_TEST_CODE {
        return Some(Accepted::Fixed);
    }
    let key = decode_base32(secret_base32)?;
    let step = now.max(0) / STEP_SECS;
    (step - 1..=step + 1)
        .filter(|s| *s >= 0 && last_used.is_none_or(|used| *s > used))
        .find(|s| crate::domain::bank::secret::constant_time_eq(hotp(&key, *s as u64).as_bytes(), submitted.as_bytes()))
        .map(Accepted::Step)
}

/// The code a scripted user would type at `now`: the earliest step in the window not used
/// yet, so consecutive sign-ins within one 30 s step still each get a fresh code.
pub fn next_unused_code(secret_base32: &str, now: i64, last_used: Option<i64>) -> Option<String> {
    let key = decode_base32(secret_base32)?;
    let step = now.max(0) / STEP_SECS;
    let first = last_used.map_or(step - 1, |used| (used + 1).max(step - 1)).max(0);
    (first <= step + 1).then(|| hotp(&key, first as u64))
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
        let step = now / STEP_SECS;
        let code = code_at(secret, now).unwrap();
        assert_eq!(accept(secret, &code, now, true, None), Some(Accepted::Step(step)));
        assert_eq!(accept(secret, &code, now + 30, true, None), Some(Accepted::Step(step)));
        assert_eq!(accept(secret, &code, now + 90, true, None), None);
        assert_eq!(accept(secret, "000000", now, true, None), Some(Accepted::Fixed));
        assert_eq!(accept(secret, "12345", now, true, None), None);
        assert_eq!(accept(secret, "abcdef", now, true, None), None);
    }

    #[test]
    fn fixed_code_can_be_turned_off() {
        assert_eq!(accept("SANDBANKJENNY234", "000000", 1_700_000_000, false, None), None);
    }

    #[test]
    fn a_used_step_never_passes_again() {
        let secret = "SANDBANKJENNY234";
        let now = 1_700_000_000;
        let step = now / STEP_SECS;
        let code = code_at(secret, now).unwrap();
        assert_eq!(accept(secret, &code, now, true, Some(step)), None);
        assert_eq!(
            accept(secret, &code, now, true, Some(step - 1)),
            Some(Accepted::Step(step))
        );
        // The next unused code moves forward through the window, then runs out.
        let next = next_unused_code(secret, now, Some(step)).unwrap();
        assert_eq!(
            accept(secret, &next, now, false, Some(step)),
            Some(Accepted::Step(step + 1))
        );
        assert_eq!(next_unused_code(secret, now, Some(step + 1)), None);
        assert_eq!(next_unused_code(secret, now, None), code_at(secret, now - 30));
    }
}
