//! Address lookup tables, parsed lazily from the vendored USPS Pub 28 files in `data/` (see
//! `data/SOURCES.md`) plus country names via the `celes` crate (ISO 3166-1).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::LazyLock;

const SUFFIXES: &str = include_str!("data/usps_street_suffixes.txt");
const UNITS: &str = include_str!("data/usps_unit_designators.txt");
const DIRECTIONALS: &str = include_str!("data/directionals.txt");
const REGIONS: &str = include_str!("data/regions.txt");
const COUNTRY_ALIASES: &str = include_str!("data/country_aliases.txt");

/// Ordinal words for numbered streets and floors ("Fifth Avenue" = "5th Ave").
const ORDINALS: &[(&str, &str)] = &[
    ("first", "1st"),
    ("second", "2nd"),
    ("third", "3rd"),
    ("fourth", "4th"),
    ("fifth", "5th"),
    ("sixth", "6th"),
    ("seventh", "7th"),
    ("eighth", "8th"),
    ("ninth", "9th"),
    ("tenth", "10th"),
    ("eleventh", "11th"),
    ("twelfth", "12th"),
];

struct Tables {
    /// Any spelling of a suffix, directional or ordinal → its standard abbreviation.
    canonical: HashMap<&'static str, &'static str>,
    /// Standard street suffix abbreviations (blvd, st, ave…).
    suffixes: Vec<&'static str>,
    /// Any spelling of a unit designator → its standard abbreviation.
    units: HashMap<&'static str, &'static str>,
    /// State/province name or lower-case code → code.
    regions: HashMap<String, &'static str>,
    /// Extra country spellings → alpha-2.
    countries: HashMap<&'static str, &'static str>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(build);

/// Non-comment lines of a data file, split into their first word and the rest.
fn rows(text: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once(' ').unwrap_or((l, "")))
}

fn build() -> Tables {
    let mut canonical = HashMap::new();
    let mut suffixes = Vec::new();
    for (std, rest) in rows(SUFFIXES).chain(rows(DIRECTIONALS)) {
        canonical.insert(std, std);
        for variant in rest.split_whitespace() {
            canonical.insert(variant, std);
        }
    }
    for (std, _) in rows(SUFFIXES) {
        suffixes.push(std);
    }
    for (word, num) in ORDINALS {
        canonical.insert(word, num);
    }
    let mut units = HashMap::new();
    for (std, rest) in rows(UNITS) {
        units.insert(std, std);
        for variant in rest.split_whitespace() {
            units.insert(variant, std);
        }
    }
    let mut regions = HashMap::new();
    for (code, name) in rows(REGIONS) {
        regions.insert(name.to_owned(), code);
        regions.insert(code.to_ascii_lowercase(), code);
    }
    let mut countries = HashMap::new();
    for (code, name) in rows(COUNTRY_ALIASES) {
        countries.insert(name, code);
    }
    Tables {
        canonical,
        suffixes,
        units,
        regions,
        countries,
    }
}

/// The standard form of an address word (Boulevard → blvd, North → n, Fifth → 5th), or the
/// word itself.
pub fn canonical(word: &str) -> &str {
    TABLES.canonical.get(word).copied().unwrap_or(word)
}

/// True for a standard street suffix abbreviation.
pub fn is_suffix(canonical_word: &str) -> bool {
    TABLES.suffixes.contains(&canonical_word)
}

/// True for a directional abbreviation (n, s, e, w, ne, nw, se, sw).
pub fn is_directional(canonical_word: &str) -> bool {
    matches!(canonical_word, "n" | "s" | "e" | "w" | "ne" | "nw" | "se" | "sw")
}

/// The standard unit designator for a word (Suite → ste, Floor → fl), if it is one.
pub fn unit_designator(word: &str) -> Option<&'static str> {
    TABLES.units.get(word).copied()
}

/// A US state / Canadian province code from a code or a name ("california", "ca" → "CA").
/// `text` is lower case, words separated by single spaces.
pub fn region_code(text: &str) -> Option<&'static str> {
    TABLES.regions.get(text).copied()
}

/// An ISO 3166-1 alpha-2 code from a country code or name ("usa", "united states", "de",
/// "deutschland"). `text` is lower case, words separated by single spaces.
pub fn country_code(text: &str) -> Option<&'static str> {
    if let Some(code) = TABLES.countries.get(text) {
        return Some(code);
    }
    if text.len() > 48 || text.is_empty() {
        return None;
    }
    // celes keys full names without spaces ("unitedstates").
    let mut buf = [0u8; 48];
    let mut n = 0;
    for b in text.bytes().filter(|b| *b != b' ') {
        buf[n] = b;
        n += 1;
    }
    let key = std::str::from_utf8(&buf[..n]).ok()?;
    celes::Country::from_str(key).ok().map(|c| c.alpha2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(canonical("boulevard"), "blvd");
        assert_eq!(canonical("point"), "pt");
        assert_eq!(canonical("south"), "s");
        assert_eq!(canonical("fifth"), "5th");
        assert_eq!(canonical("oyster"), "oyster");
        assert!(is_suffix("blvd"));
        assert_eq!(unit_designator("floor"), Some("fl"));
        assert_eq!(region_code("california"), Some("CA"));
        assert_eq!(region_code("district of columbia"), Some("DC"));
        assert_eq!(region_code("or"), Some("OR"));
        assert_eq!(country_code("usa"), Some("US"));
        assert_eq!(country_code("united states"), Some("US"));
        assert_eq!(country_code("united kingdom"), Some("GB"));
        assert_eq!(country_code("germany"), Some("DE"));
        assert_eq!(country_code("deutschland"), Some("DE"));
        assert_eq!(country_code("ca"), Some("CA"));
    }
}
