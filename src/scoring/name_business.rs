//! Business-name comparison: legal forms (Inc, LLC, Corp…) set aside, words compared in both
//! directions so that a subset ("Acme" vs "Acme Widgets") never counts as a full match.

use super::name::{concat_eq, no_match, outcome};
use super::name_parse::{Person, Token};
use super::normalize::is_typo;
use super::{FieldScore, Flags, Level};

/// Business names: legal form set aside, words compared in both directions so a subset
/// ("Acme" vs "Acme Widgets") never counts as a full match.
pub(super) fn compare_business(a: &Person, b: &Person) -> FieldScore {
    let flags = Flags {
        business_name_detected: true,
        ..Flags::default()
    };
    let (ta, tb) = (&a.tokens, &b.tokens);
    if ta.is_empty() || tb.is_empty() {
        return no_match(ta, tb, flags);
    }
    // A trust or an estate is not the person it is named after, however alike the words: the
    // name scorer matches that person separately (and scales it down).
    let entity_vs_person =
        a.business != b.business && matches!(a.legal_form.or(b.legal_form), Some("trust" | "estate"));
    if ta == tb && !entity_vs_person {
        return match (a.legal_form, b.legal_form) {
            (x, y) if x == y => outcome(100, Level::Exact, flags),
            (Some(_), Some(_)) => outcome(92, Level::BusinessLegalFormDiffers, flags),
            _ => outcome(97, Level::BusinessLegalFormDiffers, flags),
        };
    }
    if concat_eq(ta, tb) && !entity_vs_person {
        return outcome(95, Level::Typo, flags);
    }
    let coverage = |x: &[Token], y: &[Token]| -> f64 {
        let hits: f64 = x
            .iter()
            .map(|t| {
                y.iter()
                    .map(|u| {
                        if t.text == u.text {
                            1.0
                        } else if is_typo(&t.text, &u.text) {
                            0.9
                        } else {
                            0.0
                        }
                    })
                    .fold(0.0, f64::max)
            })
            .sum();
        hits / x.len() as f64
    };
    let c = (coverage(ta, tb) + coverage(tb, ta)) / 2.0;
    if c >= 0.999 && !entity_vs_person {
        return outcome(95, Level::Reordered, flags);
    }
    if c >= 0.9 && !entity_vs_person {
        return outcome((90.0 + 5.0 * (c - 0.9) / 0.1).round() as u32, Level::Typo, flags);
    }
    if c > 0.0 {
        // A person sharing a word with a business ("Jenny Rosen" / "Rosen LLC") is not its
        // owner of record: weak at most.
        let person_vs_business = if a.business != b.business { 0.6 } else { 1.0 };
        return outcome(
            (85.0 * c * person_vs_business).round() as u32,
            Level::BusinessPartial,
            flags,
        );
    }
    no_match(ta, tb, flags)
}
