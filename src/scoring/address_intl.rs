//! Street-type abbreviations and name particles of other languages (French, Spanish,
//! Portuguese, German, Italian, Dutch), from `data/street_types_intl.txt` (libpostal, MIT).
//!
//! They are not folded into the USPS standard forms of `address_data`, because the same
//! abbreviation means different things in different languages ("St" is Street in English and
//! Saint in French; "pl" is Place in English and Plaza in Spanish). Instead two words are
//! compared as a *pair*, under the languages of the countries the two addresses are in: a word
//! only means what a language says when one of the addresses is in a country speaking it, or,
//! when neither country is known, when the abbreviation means nothing in US addresses and the
//! other side spells out the full word ("r." against "rue").

use std::collections::HashMap;
use std::sync::LazyLock;

use super::address_data::{canonical, is_directional, is_suffix, unit_designator};

const STREET_TYPES: &str = include_str!("data/street_types_intl.txt");

/// A set of languages, one bit each in the order of [`LANGS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Langs(u8);

const LANGS: [&str; 6] = ["fr", "es", "pt", "de", "it", "nl"];

impl Langs {
    /// No country known on either side.
    pub const NONE: Langs = Langs(0);

    fn bit(lang: &str) -> u8 {
        LANGS.iter().position(|l| *l == lang).map_or(0, |i| 1 << i)
    }

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The languages of the countries of both addresses (ISO alpha-2 codes).
    pub fn of(a: Option<&str>, b: Option<&str>) -> Langs {
        Langs(country_langs(a) | country_langs(b))
    }
}

/// Street-naming languages by country: where street types are written in that language
/// (Canada for Quebec's "rue", Belgium and Switzerland in several).
fn country_langs(country: Option<&str>) -> u8 {
    let [fr, es, pt, de, it, nl] = [1, 2, 4, 8, 16, 32];
    match country.unwrap_or("") {
        "FR" | "MC" | "CA" => fr,
        "BE" => fr | nl | de,
        "LU" => fr | de,
        "CH" => fr | de | it,
        "ES" | "MX" | "AR" | "CO" | "CL" | "PE" | "VE" | "EC" | "GT" | "CU" | "BO" | "DO" | "HN" | "PY" | "SV"
        | "NI" | "CR" | "PA" | "UY" => es,
        "PT" | "BR" | "AO" | "MZ" => pt,
        "DE" | "AT" | "LI" => de,
        "IT" | "SM" | "VA" => it,
        "NL" | "SR" => nl,
        _ => 0,
    }
}

/// One street type of one language.
struct Type {
    lang: u8,
    /// The full word ("rue", "strasse").
    full: &'static str,
    /// The USPS standard form of the same thing in English, if any ("st" for rue).
    us: Option<&'static str>,
    /// The full word and its abbreviations.
    spellings: Vec<&'static str>,
    /// Written joined to the name (German/Dutch compounds: Hauptstraße, Damstraat).
    compounds: bool,
}

struct Tables {
    types: Vec<Type>,
    /// Any spelling → indices into `types`.
    by_spelling: HashMap<&'static str, Vec<usize>>,
    /// Particle → the languages it is a particle of.
    particles: HashMap<&'static str, u8>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(build);

fn build() -> Tables {
    let mut types = Vec::new();
    let mut by_spelling: HashMap<&'static str, Vec<usize>> = HashMap::new();
    let mut particles: HashMap<&'static str, u8> = HashMap::new();
    for line in STREET_TYPES.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(lang), Some(head)) = (words.next(), words.next()) else {
            continue;
        };
        let lang = Langs::bit(lang);
        if head == "-" {
            for w in words {
                *particles.entry(w).or_default() |= lang;
            }
            continue;
        }
        let compounds = head.starts_with('+');
        let head = head.trim_start_matches('+');
        let (full, us) = match head.split_once('=') {
            Some((full, us)) => (full, Some(us)),
            None => (head, None),
        };
        let spellings: Vec<&'static str> = std::iter::once(full).chain(words).collect();
        for s in &spellings {
            by_spelling.entry(s).or_default().push(types.len());
        }
        types.push(Type {
            lang,
            full,
            us,
            spellings,
            compounds,
        });
    }
    Tables {
        types,
        by_spelling,
        particles,
    }
}

/// Whether `word` may be read in this type's language: a language of one of the countries,
/// or, no country being known, a spelling that cannot be an English word of US addresses
/// (a suffix, directional or unit designator) nor a lone letter.
fn readable(t: &Type, word: &str, langs: Langs) -> bool {
    if langs.has(t.lang) {
        return true;
    }
    langs.is_empty()
        && (word == t.full
            || (word.len() >= 2
                && canonical(word) == word
                && !is_suffix(word)
                && !is_directional(word)
                && unit_designator(word).is_none()))
}

/// Two street words name the same street type in one of the languages: "r" and "rue",
/// "c/" and "calle", "av" and "avenida", or "rue" and the English standard form "st".
/// `canon_b` is `b`'s USPS standard form.
pub fn same_type(a: &str, b: &str, canon_b: &str, langs: Langs) -> bool {
    let t = &*TABLES;
    let Some(ia) = t.by_spelling.get(a) else {
        return false;
    };
    let ib = t.by_spelling.get(b);
    ia.iter().any(|&i| {
        let ta = &t.types[i];
        readable(ta, a, langs)
            && ((ib.is_some_and(|ib| ib.contains(&i)) && readable(ta, b, langs))
                // A translation needs the language known: "rue" is "st" only in French.
                || (langs.has(ta.lang) && ta.us == Some(canon_b)))
    })
}

/// One-word German/Dutch street names whose type is written joined to the name and
/// abbreviated in one of them: "Hauptstr." / "Hauptstraße", "Damstr." / "Damstraat". The
/// part before the type must agree and be a name of at least three letters.
pub fn same_compound(a: &str, b: &str, langs: Langs) -> bool {
    // Cheap exits first: this runs for many word pairs, and the name part is at least three
    // letters on both sides.
    if a == b || a.len() < 4 || b.len() < 4 || a.as_bytes()[..3] != b.as_bytes()[..3] {
        return false;
    }
    TABLES
        .types
        .iter()
        .filter(|t| t.compounds && (langs.is_empty() || langs.has(t.lang)))
        .any(|t| {
            t.spellings.iter().any(|sa| {
                a.strip_suffix(sa).is_some_and(|ra| {
                    ra.len() >= 3 && t.spellings.iter().any(|sb| sb != sa && b.strip_suffix(sb) == Some(ra))
                })
            })
        })
}

/// A particle (de, la, del, der, van…) of one of the languages, which street names may drop.
/// Only with a known country: "La Brea Ave" in the US keeps its "La".
pub fn is_particle(word: &str, langs: Langs) -> bool {
    TABLES.particles.get(word).is_some_and(|l| langs.has(*l))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr() -> Langs {
        Langs::of(Some("FR"), None)
    }

    #[test]
    fn abbreviations_by_language() {
        assert!(same_type("r", "rue", "rue", fr()));
        assert!(same_type("bd", "boulevard", "blvd", fr()));
        assert!(same_type("c/", "calle", "calle", Langs::of(None, Some("MX"))));
        assert!(same_type("pza", "piazza", "piazza", Langs::of(Some("IT"), None)));
        assert!(same_type("av", "avenida", "avenida", Langs::of(Some("BR"), None)));
        // "pl" is Plaza in Spanish, but Place in English: only with a Spanish-speaking country.
        assert!(same_type("pl", "plaza", "plz", Langs::of(Some("ES"), None)));
        assert!(!same_type("pl", "plaza", "plz", Langs::NONE));
        assert!(!same_type("pl", "plaza", "plz", Langs::of(Some("US"), Some("US"))));
        // No country: an abbreviation that is no English word still reads against the full word.
        assert!(same_type("imp", "impasse", "impasse", Langs::NONE));
        assert!(!same_type("c", "calle", "calle", Langs::NONE));
        // Translations need the language.
        assert!(same_type("rue", "st", "st", Langs::of(Some("CA"), None)));
        assert!(!same_type("rue", "st", "st", Langs::NONE));
        // Different types stay different.
        assert!(!same_type("rue", "avenue", "ave", fr()));
        assert!(!same_type("r", "route", "rte", fr()));
    }

    #[test]
    fn compounds_and_particles() {
        let de = Langs::of(Some("DE"), None);
        assert!(same_compound("lindenstr", "lindenstrasse", de));
        assert!(same_compound("lindenstr", "lindenstrasse", Langs::NONE));
        assert!(same_compound("keizersgr", "keizersgracht", Langs::of(Some("NL"), None)));
        assert!(!same_compound("lindenstr", "birkenstrasse", de));
        assert!(!same_compound("str", "strasse", de));
        assert!(is_particle("de", Langs::of(Some("ES"), None)));
        assert!(!is_particle("de", Langs::NONE));
        assert!(!is_particle("la", Langs::of(Some("US"), None)));
    }
}
