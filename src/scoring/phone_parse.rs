//! Reading phone numbers for scoring: `phonenumber` (libphonenumber metadata) parses each side
//! into country code, national significant number and extension, with hand-written fast paths
//! for the commonest shapes and a raw-digits fallback for what the crate refuses (a number with
//! a digit missing must still be scored).

use phonenumber::country::Id;

use super::normalize::ascii_digits;

/// A phone number reduced to what the comparison needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Number {
    pub country_code: u16,
    /// National significant number, digits only (Italian-style leading zeros kept).
    pub national: String,
    pub extension: Option<String>,
    /// The digits as typed (see [`typed_digits`]).
    pub typed: String,
}

/// The digits as typed, up to an extension or letters: the comparison basis when country
/// codes differ, where the parser's split (and trunk-prefix stripping) is not comparable.
fn typed_digits(cleaned: &str) -> String {
    cleaned
        .chars()
        .take_while(|c| !c.is_ascii_alphabetic() && !matches!(c, '#' | ';'))
        .filter(char::is_ascii_digit)
        .collect()
}

/// Cleans what libphonenumber's parser mishandles: the UK "(0)" trunk convention after a
/// country code, and "00"/"011" international prefixes written instead of "+".
fn preclean(input: &str) -> String {
    let mut s = input.trim().replace("(0)", "");
    if let Some(rest) = s.strip_prefix("00").or_else(|| s.strip_prefix("011")) {
        s = format!("+{rest}");
    }
    s
}

fn explicit_country(input: &str) -> bool {
    input.trim_start().starts_with('+')
}

/// Parses with `region` as the default country for numbers written without "+" (`None` for
/// numbers with "+": given a default region, phonenumber 0.3.10 strips that region's trunk
/// prefix from foreign numbers, e.g. the "1" of "+33 1 23 45 67 89" under US). Also returns the
/// region the number belongs to, to read the other side's national format.
fn parse(cleaned: &str, region: Option<Id>) -> Option<(Number, Option<Id>)> {
    if let Some(n) = fast_nanp(cleaned, region) {
        return Some((n, Some(Id::US)));
    }
    if let Some((n, id)) = fast_trunk_zero(cleaned, region) {
        return Some((n, Some(id)));
    }
    match phonenumber::parse(region, cleaned) {
        Ok(p) => {
            let zeros = usize::from(p.national().zeros());
            let mut national = "0".repeat(zeros);
            national.push_str(&p.national().value().to_string());
            let number = Number {
                country_code: p.code().value(),
                national,
                extension: p.extension().map(|e| e.to_string()).filter(|e| !e.is_empty()),
                typed: typed_digits(cleaned),
            };
            // The main region of the country code (US for +1, GB for +44) is enough to read
            // the other side's national format. `p.country().id()` would pick the exact region
            // by matching the number against every region's patterns (slow: ~25 regions share
            // +1) and gives none for numbers outside the valid ranges (UK 07700 900xxx).
            let id = main_region(number.country_code);
            Some((number, id))
        }
        Err(_) => fallback(cleaned, region.unwrap_or(Id::US)).map(|n| (n, None)),
    }
}

/// The length of the area code (national destination code) as libphonenumber groups the
/// number: the first group of its international format ("+61 2 9374 4000" → 1, "+55 11
/// 98765-4321" → 2, "+1 212-555-5555" → 3). `None` when the number does not parse or is not
/// grouped. Formatting costs some microseconds, so callers ask only for numbers that differ.
pub(super) fn area_code_len(n: &Number) -> Option<usize> {
    if n.country_code == 1 {
        return Some(3);
    }
    let parsed = phonenumber::parse(None, format!("+{}{}", n.country_code, n.national)).ok()?;
    let formatted = parsed.format().mode(phonenumber::Mode::International).to_string();
    let (_, rest) = formatted.split_once(' ')?;
    let first = rest.split([' ', '-']).next()?;
    let digits = first.bytes().filter(u8::is_ascii_digit).count();
    (digits > 0 && digits < n.national.len()).then_some(digits)
}

/// Best effort for what the parser rejects (too short, odd characters): raw digits.
fn fallback(cleaned: &str, region: Id) -> Option<Number> {
    let digits: String = cleaned.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    if cleaned.starts_with('+') {
        // An unknown country code: keep every digit, country code unknown (0).
        return Some(Number {
            country_code: 0,
            national: digits,
            extension: None,
            typed: typed_digits(cleaned),
        });
    }
    let code = phonenumber::metadata::DATABASE
        .by_id(region.as_ref())
        .map_or(1, |m| m.country_code());
    let national = match digits.strip_prefix('1') {
        Some(rest) if code == 1 && digits.len() == 11 => rest.to_owned(),
        _ => digits,
    };
    Some(Number {
        country_code: code,
        national,
        extension: None,
        typed: typed_digits(cleaned),
    })
}

/// Fast path for the commonest shape, a plain NANP number ("+1 212-555-5555",
/// "(212) 555-5555", "212.555.5555"): digits with only spaces, dashes, dots and parentheses,
/// ten digits (read as US only when no other region applies) or "1"/"+1" plus ten. It gives
/// exactly what phonenumber gives for these inputs, without its regex-driven parse (about
/// 1 µs per side); a plain extension is split off first ([`split_extension`]); anything else
/// (other letters, other countries) goes to the crate.
fn fast_nanp(cleaned: &str, region: Option<Id>) -> Option<Number> {
    let (number, extension) = split_extension(cleaned)?;
    let (plus, digits, n) = plain_digits::<11>(number)?;
    let national = match (plus, n) {
        (true, 11) if digits[0] == b'1' => &digits[1..11],
        (false, 11) if digits[0] == b'1' && region == Some(Id::US) => &digits[1..11],
        (false, 10) if region == Some(Id::US) => &digits[..10],
        _ => return None,
    };
    // NANP area codes and exchanges start with 2–9.
    if national[0] < b'2' || national[3] < b'2' {
        return None;
    }
    let national = std::str::from_utf8(national).ok()?.to_owned();
    Some(Number {
        country_code: 1,
        national,
        extension: extension.map(str::to_owned),
        typed: typed_digits(cleaned),
    })
}

/// A number written with digits and only spaces, dashes, dots and parentheses, optionally
/// after a "+": whether it had the "+", and its first (up to `N`) digits with their count.
/// `None` for any other character or more than `N` digits.
fn plain_digits<const N: usize>(number: &str) -> Option<(bool, [u8; N], usize)> {
    let plus = number.starts_with('+');
    let body = if plus { &number[1..] } else { number };
    let mut digits = [0u8; N];
    let mut n = 0;
    for b in body.bytes() {
        match b {
            b'0'..=b'9' if n < N => {
                digits[n] = b;
                n += 1;
            }
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            _ => return None,
        }
    }
    Some((plus, digits, n))
}

/// Splits "212-555-5555 ext. 12" into the number and its extension for the fast paths. Only
/// the plain spellings (ext, ext., extension, x, #; any case, spaces around) of one to seven
/// digits; `None` for any other trailing text, which the crate then reads.
fn split_extension(cleaned: &str) -> Option<(&str, Option<&str>)> {
    let Some(at) = cleaned.find(|c: char| c.is_ascii_alphabetic() || c == '#') else {
        return Some((cleaned, None));
    };
    let (number, rest) = cleaned.split_at(at);
    let lower = rest.to_ascii_lowercase();
    let marker = ["extension", "ext.", "ext", "x", "#"]
        .into_iter()
        .find(|m| lower.starts_with(m))?;
    let digits = rest[marker.len()..].trim();
    let valid = (1..=7).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then_some((number.trim_end(), Some(digits)))
}

/// Countries [`fast_trunk_zero`] reads, with their main region: national prefix "0" and no
/// prefix transform rule (a test checks both against the metadata).
const TRUNK_ZERO: &[(u16, Id)] = &[
    (44, Id::GB),
    (49, Id::DE),
    (33, Id::FR),
    (61, Id::AU),
    (31, Id::NL),
    (32, Id::BE),
    (41, Id::CH),
    (43, Id::AT),
    (46, Id::SE),
    (353, Id::IE),
    (64, Id::NZ),
];

/// Fast path for the commonest international shapes, in countries whose trunk prefix is "0":
/// "+44 20 7946 0958" (country code, then a national number not starting with 0) and, read in
/// the other side's country, "020 7946 0958" (the trunk 0, then the national number); digits
/// with only spaces, dashes, dots and parentheses, 7 to 11 national digits. Where phonenumber
/// parses such an input, this gives what it gives (a property test compares them) at a
/// fraction of the cost of its regex-driven parse; where it refuses the length, this still
/// reads the country code, so a digit missing scores as a digit missing. Anything else goes to
/// the crate.
fn fast_trunk_zero(cleaned: &str, region: Option<Id>) -> Option<(Number, Id)> {
    let (number, extension) = split_extension(cleaned)?;
    let (plus, digits, n) = plain_digits::<16>(number)?;
    let digits = &digits[..n];
    let (code, id, national) = if plus {
        // Calling codes are prefix-free: at most one of the list starts the digits.
        let lead = |len: usize| {
            digits
                .get(..len)
                .map(|d| d.iter().fold(0u16, |v, b| v * 10 + u16::from(b - b'0')))
        };
        let (two, three) = (lead(2), lead(3));
        let (code, id, len) = TRUNK_ZERO.iter().find_map(|&(code, id)| {
            let (written, len) = if code >= 100 { (three, 3) } else { (two, 2) };
            (written == Some(code)).then_some((code, id, len))
        })?;
        (code, id, &digits[len..])
    } else {
        let &(code, id) = TRUNK_ZERO.iter().find(|(_, id)| Some(*id) == region)?;
        (code, id, digits.strip_prefix(b"0")?)
    };
    if national.first().is_none_or(|d| *d == b'0') || !(7..=11).contains(&national.len()) {
        return None;
    }
    // Some of these countries strip more than the 0 (the UK's 180020 carrier prefix): when
    // the country's own rule would, the crate decides.
    let written = std::str::from_utf8(if plus { national } else { digits }).ok()?;
    if !strips_only_trunk_zero(id, written, !plus) {
        return None;
    }
    let number = Number {
        country_code: code,
        national: std::str::from_utf8(national).ok()?.to_owned(),
        extension: extension.map(str::to_owned),
        typed: typed_digits(cleaned),
    };
    Some((number, id))
}

/// Whether the country's rules, applied to `written` (the digits after the country code, or
/// the whole national form), strip exactly the trunk "0" when `national_form` and nothing when
/// not, and a national form is not a call abroad. Without a national-prefix rule of its own a
/// country strips its national prefix, "0".
fn strips_only_trunk_zero(id: Id, written: &str, national_form: bool) -> bool {
    let Some(meta) = phonenumber::metadata::DATABASE.by_id(id.as_ref()) else {
        return false;
    };
    // Dialled at home, a leading international prefix (New Zealand's 0161) starts a call abroad.
    let abroad = meta
        .international_prefix()
        .and_then(|rule| rule.find(written))
        .is_some_and(|m| m.start() == 0);
    if national_form && abroad {
        return false;
    }
    let Some(rule) = meta.national_prefix_for_parsing() else {
        return true;
    };
    match rule.find(written) {
        Some(m) if m.start() == 0 => national_form && m.as_str() == "0",
        _ => !national_form,
    }
}

fn main_region(code: u16) -> Option<Id> {
    let regions = phonenumber::metadata::DATABASE.by_code(&code)?;
    regions.first().and_then(|m| m.id().parse().ok())
}

/// Reads both sides of a pair. A number without "+" is read in the other side's country when
/// that side has one (Stripe asks platforms for "+" and the country code), else as a US number.
/// `None` for a side without a single digit.
pub(super) fn read_pair(owner: &str, provided: &str) -> (Option<Number>, Option<Number>) {
    let owner = preclean(&ascii_digits(owner));
    let provided = preclean(&ascii_digits(provided));
    let (a_plus, b_plus) = (explicit_country(&owner), explicit_country(&provided));
    let mut a = a_plus.then(|| parse(&owner, None)).flatten();
    let mut b = b_plus.then(|| parse(&provided, None)).flatten();
    let region_a = a.as_ref().and_then(|x| x.1).unwrap_or(Id::US);
    let region_b = b.as_ref().and_then(|x| x.1).unwrap_or(Id::US);
    if !a_plus {
        a = parse(&owner, Some(region_b));
    }
    if !b_plus {
        b = parse(&provided, Some(region_a));
    }
    (a.map(|x| x.0), b.map(|x| x.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_agrees_with_phonenumber() {
        for input in [
            "+1 212-555-5555",
            "(212) 555-5555",
            "212.555.5555",
            "1-212-555-5555",
            "+1 (415) 555-0134",
        ] {
            let fast = fast_nanp(input, Some(Id::US)).expect("fast path applies");
            let p = phonenumber::parse(Some(Id::US), input).unwrap();
            assert_eq!(fast.country_code, p.code().value(), "{input}");
            assert_eq!(fast.national, p.national().value().to_string(), "{input}");
        }
        assert!(fast_nanp("020 7946 0958", Some(Id::GB)).is_none());
        assert!(fast_nanp("212-555-5555 call me", Some(Id::US)).is_none());
        assert!(fast_nanp("212-555-5555 x12345678", Some(Id::US)).is_none());
    }

    #[test]
    fn trunk_zero_countries_strip_only_a_zero_by_default() {
        for (code, id) in TRUNK_ZERO {
            let m = phonenumber::metadata::DATABASE.by_id(id.as_ref()).expect("metadata");
            assert_eq!(m.country_code(), *code, "{id:?}");
            assert_eq!(m.national_prefix(), Some("0"), "{id:?}");
            assert!(m.national_prefix_transform_rule().is_none(), "{id:?}");
            assert_eq!(main_region(*code), Some(*id), "{id:?} is its code's main region");
        }
    }

    #[test]
    fn carrier_prefixes_go_to_the_crate() {
        // 180020 is a UK carrier prefix that the UK's rule strips.
        assert!(fast_trunk_zero("+44 1800 20 1234567", None).is_none());
        assert!(fast_trunk_zero("+44 20 7946 0958", None).is_some());
        assert!(fast_trunk_zero("020 7946 0958", Some(Id::GB)).is_some());
    }

    proptest::proptest! {
        /// Plain extensions: the fast path reads number and extension as the crate does.
        #[test]
        fn extensions_agree_with_phonenumber(
            area in 200u32..=999,
            exchange in 200u32..=999,
            line in 0u32..=9999,
            marker in proptest::sample::select(vec![" ext. ", " ext ", "ext", " x", "x", " # ", " Ext. ", " EXTENSION ", " X "]),
            extension in 0u32..=9_999_999,
            uk in proptest::bool::ANY,
        ) {
            let (input, region) = if uk {
                (format!("+44 20 {area}{line:04}{marker}{extension}"), None)
            } else {
                (format!("({area}) {exchange}-{line:04}{marker}{extension}"), Some(Id::US))
            };
            let fast = match fast_nanp(&input, region) {
                Some(n) => n,
                None => fast_trunk_zero(&input, region).expect("a fast path applies").0,
            };
            let slow = phonenumber::parse(region, &input).expect("phonenumber parses it");
            proptest::prop_assert_eq!(fast.country_code, slow.code().value(), "{}", input);
            proptest::prop_assert_eq!(&fast.national, &slow.national().value().to_string(), "{}", input);
            proptest::prop_assert_eq!(fast.extension, slow.extension().map(|e| e.to_string()), "{}", input);
        }

        /// Where the fast path applies it reads exactly what phonenumber reads, in both shapes.
        #[test]
        fn trunk_zero_fast_path_agrees_with_phonenumber(
            country in 0..TRUNK_ZERO.len(),
            first in 1u8..=9,
            rest in proptest::collection::vec(0u8..=9, 6..=10),
            separators in proptest::collection::vec(proptest::sample::select(vec!["", " ", "-", "."]), 12),
        ) {
            let (code, id) = TRUNK_ZERO[country];
            let mut national = String::from(char::from(b'0' + first));
            for (i, d) in rest.iter().enumerate() {
                national.push_str(separators[i % separators.len()]);
                national.push(char::from(b'0' + d));
            }
            for (input, region) in [(format!("+{code} {national}"), None), (format!("0{national}"), Some(id))] {
                // Declined only for what a country's rule may strip beyond the 0: carrier
                // prefixes, which all start with 1 in these countries (180020, 1831, 1832).
                let Some((fast, fast_id)) = fast_trunk_zero(&input, region) else {
                    proptest::prop_assert_eq!(first, 1, "declined {}", input);
                    continue;
                };
                // Where the crate refuses a length (too short for the country), the fast path
                // still reads the country code and the digits written, so a number with a digit
                // missing scores as one rather than as a stranger's.
                let Ok(slow) = phonenumber::parse(region, &input) else {
                    let digits: String = national.chars().filter(char::is_ascii_digit).collect();
                    proptest::prop_assert_eq!(&fast.national, &digits);
                    continue;
                };
                proptest::prop_assert_eq!(fast.country_code, slow.code().value(), "{}", input);
                proptest::prop_assert_eq!(slow.national().zeros(), 0, "{}", input);
                proptest::prop_assert_eq!(&fast.national, &slow.national().value().to_string(), "{}", input);
                proptest::prop_assert!(slow.extension().is_none());
                proptest::prop_assert_eq!(fast_id, id);
            }
        }
    }
}
