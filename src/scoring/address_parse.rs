//! Address parsing into comparable components. Structured input maps field by field; a raw
//! one-line address is parsed right to left (country → postal code → state), and the city is
//! found by *anchoring* on the other side's city when known, because one-line addresses are
//! ambiguous ("354 Oyster Point Blvd South San Francisco": is "South" a directional?). The
//! other side's country says how to read a line that names none: states of its country
//! (VIC, SP), Dutch postcodes (1012 LG), the Australian "3/12" (unit 3, number 12).
//!
//! The street line itself (house number, street words, unit, boxes) is read by
//! `address_street`; Japanese-script addresses go to `address_ja`.

use super::AddressInput;
use super::address_data::{
    canonical, country_code, is_directional, is_suffix, region_code, region_code_in, unit_designator,
};
use super::address_ja;
use super::address_street::parse_street;
use super::normalize::fold;

/// An address word: as written (folded) and in its USPS standard form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub raw: String,
    pub canon: String,
}

/// Comparable address components.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addr {
    pub house: Option<String>,
    pub street: Vec<Word>,
    pub unit: Option<String>,
    pub po_box: Option<String>,
    pub city: Vec<Word>,
    pub state: Option<String>,
    /// Upper-case alphanumerics; US ZIP codes keep only the five-digit part.
    pub postal: Option<String>,
    pub country: Option<String>,
}

/// A token of a one-line address, and whether a comma came before it.
#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub(super) text: String,
    pub(super) comma_before: bool,
}

fn tokens(text: &str) -> Vec<Tok> {
    let folded = fold(text);
    let mut out: Vec<Tok> = Vec::with_capacity(12);
    let mut comma = false;
    let mut current = String::new();
    let mut flush = |current: &mut String, comma: &mut bool| {
        // "#4" → "#", "4".
        if current.len() > 1 && current.starts_with('#') {
            out.push(Tok {
                text: "#".to_owned(),
                comma_before: *comma,
            });
            *comma = false;
            current.remove(0);
        }
        let t = current.trim_matches('-');
        // A dash standing alone separates parts like a comma (Brazil: "1578 - Bela Vista,
        // São Paulo - SP").
        if t.is_empty() && !current.is_empty() {
            *comma = true;
        }
        if !t.is_empty() {
            out.push(Tok {
                text: t.to_owned(),
                comma_before: *comma,
            });
            *comma = false;
        }
        current.clear();
    };
    for c in folded.chars() {
        match c {
            ',' | ';' => {
                flush(&mut current, &mut comma);
                comma = true;
            }
            c if c.is_whitespace() => flush(&mut current, &mut comma),
            c if c.is_ascii_alphanumeric() || matches!(c, '#' | '-' | '/') => current.push(c),
            // Periods and other marks vanish: "P.O." → "po", "St." → "st".
            _ => {}
        }
    }
    flush(&mut current, &mut comma);
    out
}

pub(super) fn word(raw: &str) -> Word {
    Word {
        raw: raw.to_owned(),
        canon: canonical(raw).to_owned(),
    }
}

fn words_of(text: &str) -> Vec<Word> {
    tokens(text).iter().map(|t| word(&t.text)).collect()
}

/// Normalises a postal code: upper-case alphanumerics, US ZIP+4 cut to five digits.
pub fn normalize_postal(raw: &str) -> Option<String> {
    let p: String = raw
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if p.is_empty() {
        return None;
    }
    if p.len() == 9 && p.bytes().all(|b| b.is_ascii_digit()) {
        return Some(p[..5].to_owned());
    }
    Some(p)
}

/// From a structured address.
pub fn from_structured(input: &AddressInput) -> Addr {
    let country_owned = input.country.as_deref().and_then(country_of);
    let country = country_owned.as_deref();
    let mut addr = Addr::default();
    let mut street_line = input.line1.clone().unwrap_or_default();
    // A second line is a unit ("Apt 4", "3º B") unless it has neither a number nor a unit word:
    // then it names a neighbourhood or district ("Bela Vista"), which the street line of the
    // other side rarely carries.
    if let Some(l2) = input.line2.as_deref().filter(|l2| {
        let toks = tokens(l2);
        toks.iter()
            .any(|t| t.text.bytes().any(|b| b.is_ascii_digit()) || unit_designator(&t.text).is_some() || t.text == "#")
    }) {
        street_line.push_str(", ");
        street_line.push_str(l2);
    }
    // Japanese script is parsed as such (romaji lines of Japanese addresses are not).
    let ja_line = address_ja::is_japanese(&street_line, country);
    if ja_line {
        address_ja::parse_line(&street_line, &mut addr);
    } else {
        let toks = tokens(&street_line);
        parse_street(&toks, country, &mut addr);
    }
    let ja = ja_line || country == Some("JP");
    addr.city = match input.city.as_deref() {
        Some(c) if !c.is_ascii() && (ja || address_ja::is_japanese(c, country)) => vec![address_ja::place_word(c)],
        Some(c) => words_of(c),
        None => Vec::new(),
    };
    addr.state = input.state.as_deref().and_then(|s| state_of(s, country));
    addr.postal = input.postal_code.as_deref().and_then(normalize_postal);
    addr.country = country_owned;
    addr
}

/// A country field as an ISO alpha-2 code, or as written when unknown.
fn country_of(c: &str) -> Option<String> {
    let c = c.trim();
    if !c.is_ascii()
        && let Some(code) = country_code(c)
    {
        return Some(code.to_owned());
    }
    let f = joined(&tokens(c));
    if f.is_empty() {
        None
    } else {
        Some(country_code(&f).map_or(f.to_ascii_uppercase(), str::to_owned))
    }
}

/// A state field as its code in the country's table, or as written when unknown. Names in
/// Japanese script are looked up before folding (folding reads kanji as Chinese).
fn state_of(s: &str, country: Option<&str>) -> Option<String> {
    let s = s.trim();
    if !s.is_ascii()
        && let Some(code) = region_code_in(s, country)
    {
        return Some(code.to_owned());
    }
    let f = joined(&tokens(s));
    if f.is_empty() {
        None
    } else {
        Some(region_code_in(&f, country).map_or(f.to_ascii_uppercase(), str::to_owned))
    }
}

fn joined(toks: &[Tok]) -> String {
    toks.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// From a one-line address. `other` is the other side's address as far as known: its city
/// anchors the split between street line and city, its country tells how to read states,
/// postcodes and unit notations when this line names no country.
pub fn from_raw(text: &str, other: &Addr) -> Addr {
    let country_hint = other.country.as_deref();
    if address_ja::is_japanese(text, country_hint) {
        return address_ja::parse_raw(text);
    }
    let mut toks = tokens(text);
    let mut addr = Addr::default();
    take_country(&mut toks, &mut addr);
    let country = addr.country.clone().or_else(|| other.country.clone());
    let country = country.as_deref();
    let postal_at = take_postal(&mut toks, country, &mut addr);
    take_state(&mut toks, postal_at, country, &other.city, &mut addr);
    let (street, city) = split_city(&toks, &other.city);
    parse_street(street, country, &mut addr);
    addr.city = city.iter().map(|t| word(&t.text)).collect();
    addr
}

/// Trailing country name or code, accepted after a comma or a postal code (so the state "CA"
/// is not read as Canada) or when it is an unambiguous multi-letter name.
fn take_country(toks: &mut Vec<Tok>, addr: &mut Addr) {
    let n = toks.len();
    for k in (1..=4.min(n.saturating_sub(1))).rev() {
        let start = n - k;
        let text = joined(&toks[start..]);
        let Some(code) = country_code(&text) else {
            continue;
        };
        let after_comma = toks[start].comma_before;
        let after_postal = looks_postal(&toks[start - 1].text);
        let unambiguous = text.len() >= 3 && region_code(&text).is_none();
        if after_comma || after_postal || unambiguous {
            addr.country = Some(code.to_owned());
            toks.truncate(start);
            return;
        }
    }
    // After a postal code only a country can follow: an unrecognised short word there is kept
    // as the country as written, so it is compared (and differs) rather than ignored.
    if n >= 2 {
        let last = &toks[n - 1].text;
        let after_postal = toks[n - 2].text.bytes().any(|b| b.is_ascii_digit());
        if after_postal
            && (2..=3).contains(&last.len())
            && last.bytes().all(|b| b.is_ascii_alphabetic())
            && !is_dutch_postcode(&toks[n - 2].text, last)
        {
            addr.country = Some(last.to_ascii_uppercase());
            toks.truncate(n - 1);
        }
    }
}

fn looks_postal(t: &str) -> bool {
    t.bytes().filter(u8::is_ascii_digit).count() >= 3
}

fn is_us_zip(t: &str) -> bool {
    let b = t.as_bytes();
    (b.len() == 5 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 10 && b[5] == b'-' && b[..5].iter().chain(&b[6..]).all(u8::is_ascii_digit))
        || (b.len() == 9 && b.iter().all(u8::is_ascii_digit))
}

/// UK outward code (SW1A, GU1, M5V-like) or Canadian FSA.
fn is_outward(t: &str) -> bool {
    let b = t.as_bytes();
    (2..=4).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().all(u8::is_ascii_alphanumeric)
}

/// UK inward code (2AA) or Canadian LDU (2T6).
fn is_inward(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 3 && b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphanumeric()
}

/// A Dutch postcode in two parts: four digits (no leading zero) and two letters ("1012 LG").
fn is_dutch_postcode(digits: &str, letters: &str) -> bool {
    let (d, l) = (digits.as_bytes(), letters.as_bytes());
    d.len() == 4
        && d[0] != b'0'
        && d.iter().all(u8::is_ascii_digit)
        && l.len() == 2
        && l.iter().all(u8::is_ascii_alphabetic)
        // Not "1012 NE Main St" (a house number and a directional) nor a street suffix.
        && !is_directional(letters)
        && !is_suffix(canonical(letters))
}

/// Digits in two groups joined by a hyphen, seven or eight digits in all: Brazil's CEP
/// (01310-200), Japan's (100-0005), Portugal's (1000-001). Five-digit forms are left out: they
/// are Queens house numbers (123-45).
fn is_hyphenated_postal(t: &str) -> bool {
    let Some((a, b)) = t.split_once('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(a) && digits(b) && (3..=5).contains(&a.len()) && (3..=4).contains(&b.len()) && a.len() + b.len() >= 7
}

/// The rightmost postal code (never the first token, which is the house number). Returns the
/// index where it stood. `country` (this line's or the other side's) enables the Dutch form.
fn take_postal(toks: &mut Vec<Tok>, country: Option<&str>, addr: &mut Addr) -> Option<usize> {
    let dutch_possible = matches!(country, None | Some("NL"));
    for i in (1..toks.len()).rev() {
        let t = toks[i].text.as_str();
        if i + 1 < toks.len() && is_outward(t) && is_inward(&toks[i + 1].text) {
            addr.postal = normalize_postal(&format!("{t}{}", toks[i + 1].text));
            remove_keeping_comma(toks, i, i + 2);
            return Some(i);
        }
        if dutch_possible && i + 1 < toks.len() && is_dutch_postcode(t, &toks[i + 1].text) {
            addr.postal = normalize_postal(&format!("{t}{}", toks[i + 1].text));
            remove_keeping_comma(toks, i, i + 2);
            return Some(i);
        }
        let all_digits = t.bytes().all(|b| b.is_ascii_digit());
        let generic = (4..=8).contains(&t.len()) && all_digits;
        let compact = t.len() == 6 && is_outward(&t[..3]) && is_inward(&t[3..]);
        let dutch_compact = dutch_possible && t.len() == 6 && is_dutch_postcode(&t[..4], &t[4..]);
        if is_us_zip(t) || generic || compact || dutch_compact || is_hyphenated_postal(t) {
            addr.postal = normalize_postal(t);
            remove_keeping_comma(toks, i, i + 1);
            return Some(i);
        }
    }
    None
}

/// Removes `toks[start..end]`; a comma before the removed run now stands before the next
/// token ("Hauptstraße 5, 80331 München": "München" starts the city segment).
fn remove_keeping_comma(toks: &mut Vec<Tok>, start: usize, end: usize) {
    let comma = toks[start].comma_before;
    toks.drain(start..end);
    if let Some(next) = toks.get_mut(start) {
        next.comma_before |= comma;
    }
}

/// A state or province right before the postal code (or at the end), within the last comma
/// segment; longest name first ("north carolina" before "carolina"). Read in the country's
/// table (`country`: this line's or the other side's). A name that is the other side's city
/// stays the city (São Paulo, Berlin, Utrecht are both).
fn take_state(toks: &mut Vec<Tok>, postal_at: Option<usize>, country: Option<&str>, city: &[Word], addr: &mut Addr) {
    let end = postal_at.unwrap_or(toks.len()).min(toks.len());
    for k in (1..=3usize).rev() {
        if end < k + 1 {
            continue;
        }
        let start = end - k;
        if toks[start + 1..end].iter().any(|t| t.comma_before) {
            continue;
        }
        let is_city = k == city.len() && toks[start..end].iter().zip(city).all(|(t, c)| t.text == c.raw);
        if is_city {
            continue;
        }
        if let Some(code) = region_code_in(&joined(&toks[start..end]), country) {
            addr.state = Some(code.to_owned());
            remove_keeping_comma(toks, start, end);
            return;
        }
    }
}

/// Splits the remaining tokens into street line and city.
fn split_city<'a>(toks: &'a [Tok], hint: &[Word]) -> (&'a [Tok], &'a [Tok]) {
    // 1. The other side's city, found as a run of words (compared in standard form).
    if !hint.is_empty() && toks.len() > hint.len() {
        for start in (1..=toks.len() - hint.len()).rev() {
            let run = &toks[start..start + hint.len()];
            // "123-45 Queens Blvd, Forest Hills" against the city "Queens": a run followed by a
            // street suffix is the street's name, not the city.
            let names_street = toks
                .get(start + hint.len())
                .is_some_and(|n| !n.comma_before && is_suffix(canonical(&n.text)));
            if !names_street && run.iter().zip(hint).all(|(t, h)| canonical(&t.text) == h.canon) {
                // Words left after the city (an unrecognised state, say) stay with the city
                // so that they count as a difference instead of vanishing.
                return (&toks[..start], &toks[start..]);
            }
        }
    }
    // 2. The last comma-separated segment.
    if let Some(i) = toks.iter().rposition(|t| t.comma_before).filter(|i| *i > 0) {
        return (&toks[..i], &toks[i..]);
    }
    // 3. Whatever follows the last street suffix (and any unit after it).
    let mut cut = None;
    for (i, t) in toks.iter().enumerate().skip(2) {
        if is_suffix(canonical(&t.text)) {
            cut = Some(i + 1);
        }
    }
    if let Some(mut c) = cut {
        if c < toks.len() && (unit_designator(&toks[c].text).is_some() || toks[c].text == "#") {
            c = (c + 2).min(toks.len());
        }
        return (&toks[..c], &toks[c..]);
    }
    (toks, &toks[..0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(ws: &[Word]) -> Vec<&str> {
        ws.iter().map(|w| w.canon.as_str()).collect()
    }

    /// The other side, as far as a raw line is parsed against it: its city and country.
    fn other(city: &str, country: Option<&str>) -> Addr {
        Addr {
            city: words_of(city),
            country: country.map(str::to_owned),
            ..Addr::default()
        }
    }

    fn none() -> Addr {
        Addr::default()
    }

    #[test]
    fn sample_raw_with_hint() {
        let a = from_raw(
            "354 Oyster Point Blvd South San Francisco, CA 94080 USA",
            &other("South San Francisco", None),
        );
        assert_eq!(a.house.as_deref(), Some("354"));
        assert_eq!(canon(&a.street), ["oyster", "pt", "blvd"]);
        assert_eq!(canon(&a.city), ["s", "san", "francisco"]);
        assert_eq!(a.state.as_deref(), Some("CA"));
        assert_eq!(a.postal.as_deref(), Some("94080"));
        assert_eq!(a.country.as_deref(), Some("US"));
    }

    #[test]
    fn raw_without_hint_and_units() {
        let a = from_raw("12 Main St Apt 4, Springfield, IL 62701-1234", &none());
        assert_eq!(a.unit.as_deref(), Some("4"));
        assert_eq!(canon(&a.city), ["springfield"]);
        assert_eq!(a.postal.as_deref(), Some("62701"));
        let b = from_raw("Unter den Linden 77, 10117 Berlin, Germany", &none());
        assert_eq!(b.house.as_deref(), Some("77"));
        assert_eq!(b.country.as_deref(), Some("DE"));
        assert_eq!(canon(&b.city), ["berlin"]);
        let c = from_raw("10 Downing Street, London SW1A 2AA, UK", &none());
        assert_eq!(c.postal.as_deref(), Some("SW1A2AA"));
        assert_eq!(c.country.as_deref(), Some("GB"));
        let d = from_raw("P.O. Box 123, Anytown, TX 75001", &none());
        assert_eq!(d.po_box.as_deref(), Some("123"));
        let e = from_raw("Flat 3, 27 Queens Road, Bristol BS8 1QU, UK", &none());
        assert_eq!((e.unit.as_deref(), e.house.as_deref()), (Some("3"), Some("27")));
        assert_eq!(canon(&e.city), ["bristol"]);
        // Flat Rock, NC is a city, not a unit.
        let f = from_raw("12 Main St Flat Rock NC 28731", &other("Flat Rock", None));
        assert_eq!((canon(&f.street), f.unit), (vec!["main", "st"], None));
    }

    #[test]
    fn unit_slash_number_and_fractions() {
        let au = other("Fitzroy", Some("AU"));
        let a = from_raw("5/27 King St Newtown NSW 2042", &au);
        assert_eq!((a.unit.as_deref(), a.house.as_deref()), (Some("5"), Some("27")));
        assert_eq!(a.state.as_deref(), Some("NSW"));
        // US fractional house numbers stay house numbers.
        let b = from_raw("88 1/2 Elm St, Dayton, OH 45402", &none());
        assert_eq!((b.house.as_deref(), b.unit), (Some("88"), None));
        assert_eq!(canon(&b.street), ["elm", "st"]);
    }

    #[test]
    fn rural_routes() {
        let a = from_raw("RR 3 Box 40, Dalton, NE 69131", &none());
        assert_eq!(a.po_box.as_deref(), Some("rr3/40"));
        let b = from_raw("Rural Route 3, Box 40, Dalton, NE 69131", &none());
        assert_eq!(b.po_box.as_deref(), Some("rr3/40"));
        let c = from_raw("Star Route 68 Box 23A, Marble, CO 81623", &none());
        assert_eq!(c.po_box.as_deref(), Some("hc68/23a"));
        // "Route 66" alone is a road.
        let d = from_raw("1200 Route 66, Tulsa, OK 74101", &none());
        assert_eq!((d.po_box, d.house.as_deref()), (None, Some("1200")));
    }

    #[test]
    fn postcodes_of_other_countries() {
        let nl = from_raw("Coolsingel 40, 3011 AD Rotterdam, Nederland", &none());
        assert_eq!(nl.postal.as_deref(), Some("3011AD"));
        assert_eq!((nl.house.as_deref(), canon(&nl.city)), (Some("40"), vec!["rotterdam"]));
        let br = from_raw(
            "R. Augusta, 500 - Consolação, São Paulo - SP, 01304-000",
            &other("Sao Paulo", Some("BR")),
        );
        assert_eq!(br.postal.as_deref(), Some("01304000"));
        assert_eq!(br.state.as_deref(), Some("SP"));
        assert_eq!((br.house.as_deref(), br.unit), (Some("500"), None));
        assert_eq!(canon(&br.city), ["sao", "paulo"]);
        // A Queens house number is not a postal code.
        let q = from_raw("Apt 2, 87-10 37th Ave, Jackson Heights, NY 11372", &none());
        assert_eq!(
            (q.house.as_deref(), q.postal.as_deref()),
            (Some("87-10"), Some("11372"))
        );
        // "1234 NE …": a house number and a directional, not a Dutch postcode.
        assert!(is_dutch_postcode("1012", "lg"));
        assert!(!is_dutch_postcode("1234", "ne"));
        assert!(!is_dutch_postcode("1234", "st"));
        assert!(!is_dutch_postcode("0123", "ab"));
    }

    #[test]
    fn japanese_structured() {
        let kanji = from_structured(&AddressInput {
            line1: Some("梅田3丁目1番3号".into()),
            city: Some("大阪市北区".into()),
            state: Some("大阪府".into()),
            postal_code: Some("530-0001".into()),
            country: Some("日本".into()),
            ..AddressInput::default()
        });
        assert_eq!(
            (kanji.house.as_deref(), kanji.street[0].raw.as_str()),
            (Some("3-1-3"), "梅田")
        );
        assert_eq!(
            (kanji.state.as_deref(), kanji.country.as_deref()),
            (Some("27"), Some("JP"))
        );
        assert_eq!(kanji.postal.as_deref(), Some("5300001"));
        // A romaji line of a Japanese address is read as Latin text.
        let romaji = from_structured(&AddressInput {
            line1: Some("3-1-3 Umeda".into()),
            city: Some("大阪市北区".into()),
            state: Some("Osaka-fu".into()),
            country: Some("JP".into()),
            ..AddressInput::default()
        });
        assert_eq!(
            (romaji.house.as_deref(), canon(&romaji.street)),
            (Some("3-1-3"), vec!["umeda"])
        );
        assert_eq!(
            (romaji.city[0].raw.as_str(), romaji.state.as_deref()),
            ("大阪市北区", Some("27"))
        );
    }

    #[test]
    fn house_number_after_the_name() {
        let a = from_raw("Rose Cottage, 12 High St, Bath BA1 1AA", &none());
        assert_eq!((a.house.as_deref(), canon(&a.street)), (Some("12"), vec!["high", "st"]));
        let b = from_structured(&AddressInput {
            line1: Some("Avenida 9 de Julio 1000".into()),
            country: Some("AR".into()),
            ..AddressInput::default()
        });
        assert_eq!(b.house.as_deref(), Some("1000"));
        let c = from_raw("C/ Mayor 7, 2º A, 28013 Madrid", &other("Madrid", Some("ES")));
        assert_eq!((c.house.as_deref(), c.unit.as_deref()), (Some("7"), Some("2oa")));
    }
}
