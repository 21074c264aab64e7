//! Phone scoring: both sides read into country code, national number and extension
//! ([`super::phone_parse`]), then a hand-written digit comparator scores the pair, because the
//! Rust port of libphonenumber has no `isNumberMatch` and malformed numbers (a digit missing)
//! must still be scored rather than rejected.

use super::normalize::osa;
use super::phone_parse::{Number, area_code_len, read_pair};
use super::{FieldScore, Flags, Level, is_blank};

/// Scores a phone pair. `owner` is the bank's phone.
pub fn score_phone(owner: Option<&str>, provided: &str) -> FieldScore {
    if is_blank(owner) {
        return FieldScore::missing();
    }
    match read_pair(owner.unwrap_or_default(), provided) {
        // An owner value without a single digit (e.g. "n/a") carries no phone number.
        (None, _) => FieldScore::missing(),
        (Some(_), None) => FieldScore::new(0, Level::NoMatch, Flags::default()),
        (Some(a), Some(b)) => compare(&a, &b),
    }
}

/// The area code's length: NANP's three digits, elsewhere libphonenumber's grouping (one
/// digit for Sydney's 2, two for São Paulo's 11); for numbers it cannot group, the digits
/// before the last seven.
fn area_len(n: &Number) -> usize {
    area_code_len(n).unwrap_or_else(|| n.national.len().saturating_sub(7).clamp(1, 4))
}

fn compare(a: &Number, b: &Number) -> FieldScore {
    let (x, y) = (a.national.as_str(), b.national.as_str());
    if a.country_code != b.country_code {
        // Compare all digits: where the country code ends depends on the parse, and a typo in
        // the country code must not shift the comparison and raise the score.
        let score = if x == y {
            40
        } else {
            (10.0 * right_agreement(&a.typed, &b.typed)).round() as u8
        };
        return FieldScore::new(score, Level::CountryCodeDiffers, Flags::default());
    }
    if x == y {
        let flags = Flags {
            area_code_match: true,
            ..Flags::default()
        };
        return match (&a.extension, &b.extension) {
            (None, None) => FieldScore::new(100, Level::Exact, flags),
            (Some(e), Some(f)) if e == f => FieldScore::new(100, Level::Exact, flags),
            (Some(_), Some(_)) => FieldScore::new(90, Level::ExtensionDiffers, flags),
            _ => FieldScore::new(95, Level::ExtensionDiffers, flags),
        };
    }
    // Reading an area code's length formats the number (microseconds): when the other number
    // starts with the same digits, it has the same area code and is not read again.
    let area_a = area_len(a);
    let area = if x.len() >= area_a && y.starts_with(&x[..area_a]) {
        area_a
    } else {
        area_a.min(area_len(b))
    };
    let same_area = x.len() >= area && y.len() >= area && x[..area] == y[..area];
    let flags = Flags {
        area_code_match: same_area,
        ..Flags::default()
    };
    let (sub_x, sub_y) = (&x[area.min(x.len())..], &y[area.min(y.len())..]);
    let distance = osa(x, y);
    if distance == 1 && !same_area && sub_x == sub_y {
        // Sydney's 2 and Melbourne's 3 before the same subscriber number: another line in
        // another city, not a typo (a digit off elsewhere in the number is one).
        return FieldScore::new(65, Level::AreaCodeDiffers, flags);
    }
    if distance == 1 {
        return if x.len() != y.len() {
            FieldScore::new(80, Level::DigitMissing, flags)
        } else if is_transposition(x, y) {
            FieldScore::new(90, Level::DigitsTransposed, flags)
        } else {
            FieldScore::new(85, Level::DigitOff, flags)
        };
    }
    let (short, long) = if x.len() <= y.len() { (x, y) } else { (y, x) };
    if short.len() >= 7 && long.len() > short.len() && long.ends_with(short) {
        return FieldScore::new(75, Level::AreaCodeMissing, flags);
    }
    if same_area && distance == 2 {
        return FieldScore::new(62, Level::TwoDigitsOff, flags);
    }
    if !same_area && sub_x == sub_y && sub_x.len() >= 6 {
        let near = osa(&x[..area.min(x.len())], &y[..area.min(y.len())]) == 1;
        return FieldScore::new(if near { 65 } else { 55 }, Level::AreaCodeDiffers, flags);
    }
    if same_area {
        // Only the area code agrees: 20–49 by how many subscriber digits still line up.
        let agree = left_agreement(sub_x, sub_y);
        return FieldScore::new((20.0 + 29.0 * agree).round() as u8, Level::AreaCodeOnly, flags);
    }
    FieldScore::new((19.0 * right_agreement(x, y)).round() as u8, Level::NoMatch, flags)
}

fn is_transposition(x: &str, y: &str) -> bool {
    let diffs: Vec<usize> = x
        .bytes()
        .zip(y.bytes())
        .enumerate()
        .filter(|(_, (p, q))| p != q)
        .map(|(i, _)| i)
        .collect();
    diffs.len() == 2 && diffs[1] == diffs[0] + 1
}

/// Share of positions (from the left, over the longer) with the same digit.
fn left_agreement(x: &str, y: &str) -> f64 {
    let n = x.len().max(y.len());
    if n == 0 {
        return 0.0;
    }
    x.bytes().zip(y.bytes()).filter(|(p, q)| p == q).count() as f64 / n as f64
}

/// Share of positions aligned from the right (subscriber ends) with the same digit.
fn right_agreement(x: &str, y: &str) -> f64 {
    let n = x.len().max(y.len());
    if n == 0 {
        return 0.0;
    }
    x.bytes().rev().zip(y.bytes().rev()).filter(|(p, q)| p == q).count() as f64 / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(owner: &str, provided: &str) -> u8 {
        score_phone(Some(owner), provided).match_score.unwrap()
    }

    #[test]
    fn seed_like() {
        assert_eq!(s("+1 212-555-5555", "(212) 555-5555"), 100);
        assert_eq!(s("+1 212-555-5555", "212 555 5559"), 85);
        assert_eq!(s("+1 212-555-5555", "347 555 5555"), 55);
        assert_eq!(s("+1 212-555-5555", "212 999 9999"), 20);
        assert_eq!(s("+1 212-555-5555", "347 999 9999"), 0);
        assert_eq!(
            score_phone(Some("+1 212-555-5555"), "347 555 5555").level,
            Level::AreaCodeDiffers
        );
    }

    // Kinds the fourth held-out set found, on fresh numbers.
    #[test]
    fn area_codes_read_from_the_numbering_plan() {
        let other_city = s("+61 7 3000 1234", "+61 8 3000 1234");
        assert!((50..=69).contains(&other_city), "Brisbane vs Adelaide: {other_city}");
        let other_city = s("+81 45-123-4567", "+81 46-123-4567");
        assert!((50..=69).contains(&other_city), "{other_city}");
        let area_only = s("+55 21 2345-6789", "+55 21 99876-5432");
        assert!((20..=49).contains(&area_only), "only Rio's 21 in common: {area_only}");
        assert_eq!(s("+61 7 3000 1234", "+61 7 3000 1235"), 85, "a digit off is still one");
    }

    #[test]
    fn international() {
        assert_eq!(s("+44 20 7946 0958", "020 7946 0958"), 100);
        assert_eq!(s("+44 20 7946 0958", "+44 (0)20 7946 0958"), 100);
        assert_eq!(s("+49 30 12345678", "030 12345678"), 100);
    }
}
