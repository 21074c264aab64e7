//! Address lookup tables, parsed lazily from the vendored USPS Pub 28 files in `data/` (see
//! `data/SOURCES.md`) plus country names via the `celes` crate (ISO 3166-1) and the states,
//! provinces and prefectures of a few more countries (`regions_intl.txt`).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::LazyLock;

const SUFFIXES: &str = include_str!("data/usps_street_suffixes.txt");
const UNITS: &str = include_str!("data/usps_unit_designators.txt");
const DIRECTIONALS: &str = include_str!("data/directionals.txt");
const REGIONS: &str = include_str!("data/regions.txt");
const COUNTRY_ALIASES: &str = include_str!("data/country_aliases.txt");
const REGIONS_INTL: &str = include_str!("data/regions_intl.txt");

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
    /// Country → (subdivision name or lower-case code → code), for the countries of
    /// `regions_intl.txt`.
    regions_intl: HashMap<&'static str, HashMap<String, &'static str>>,
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
    let mut regions_intl: HashMap<&'static str, HashMap<String, &'static str>> = HashMap::new();
    for (country, rest) in rows(REGIONS_INTL) {
        let (code, name) = rest.split_once(' ').unwrap_or((rest, ""));
        let table = regions_intl.entry(country).or_default();
        table.insert(name.to_owned(), code);
        table.insert(code.to_ascii_lowercase(), code);
    }
    Tables {
        canonical,
        suffixes,
        units,
        regions,
        countries,
        regions_intl,
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

/// A state, province or prefecture code for an address in `country` (ISO alpha-2, if known):
/// the country's own table when there is one (Victoria → VIC, Bayern → BY, 東京都 → 13), else
/// the US/Canadian table. The country matters because the codes collide (WA is Washington
/// and Western Australia; PA is Pennsylvania and Pará). Japanese names may carry their
/// 都/道/府/県 suffix (kanji) or -to/-fu/-ken suffix (romaji).
pub fn region_code_in(text: &str, country: Option<&str>) -> Option<&'static str> {
    let Some((country, table)) = country.and_then(|c| TABLES.regions_intl.get_key_value(c)) else {
        return region_code(text);
    };
    let get = |t: &str| table.get(t).copied();
    if let Some(code) = get(text) {
        return Some(code);
    }
    if *country == "JP" {
        let stripped = ["都", "道", "府", "県", "-to", " to", "-fu", " fu", "-ken", " ken"]
            .iter()
            .find_map(|s| text.strip_suffix(s));
        return stripped.and_then(get);
    }
    None
}

/// A Japanese prefecture written in kanji at the start of `text` (東京都千代田区…): its code
/// and the text after it and its 都/道/府/県 suffix.
pub fn prefecture_prefix(text: &str) -> Option<(&'static str, &str)> {
    let table = TABLES.regions_intl.get("JP")?;
    let (name, code) = table
        .iter()
        .filter(|(name, _)| !name.is_ascii() && text.starts_with(name.as_str()))
        .max_by_key(|(name, _)| name.len())?;
    let rest = &text[name.len()..];
    if let Some(r) = rest.strip_prefix(['都', '道', '府', '県']) {
        return Some((code, r));
    }
    // Without its suffix a prefecture's name may begin a city's: 大阪市 is the city of Osaka.
    if rest.starts_with(['市', '区', '町', '村', '郡']) {
        return None;
    }
    Some((code, rest))
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
        assert_eq!(country_code("brasil"), Some("BR"));
        assert_eq!(country_code("netherlands"), Some("NL"));
        assert_eq!(country_code("日本"), Some("JP"));
    }

    #[test]
    fn regions_depend_on_the_country() {
        assert_eq!(region_code_in("wa", Some("US")), Some("WA"));
        assert_eq!(region_code_in("western australia", Some("AU")), Some("WA"));
        assert_eq!(region_code_in("victoria", Some("AU")), Some("VIC"));
        assert_eq!(region_code_in("victoria", None), None);
        assert_eq!(region_code_in("bavaria", Some("DE")), Some("BY"));
        assert_eq!(region_code_in("rio grande do sul", Some("BR")), Some("RS"));
        assert_eq!(region_code_in("大阪府", Some("JP")), Some("27"));
        assert_eq!(region_code_in("osaka-fu", Some("JP")), Some("27"));
        assert_eq!(region_code_in("北海道", Some("JP")), Some("01"));
        // No table for the country: the US/Canadian one, as before.
        assert_eq!(region_code_in("ontario", Some("CA")), Some("ON"));
    }
}
