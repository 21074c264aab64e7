//! Address parsing into comparable components. Structured input maps field by field; a raw
//! one-line address is parsed right to left (country → postal code → state), and the city is
//! found by *anchoring* on the other side's city when known, because one-line addresses are
//! ambiguous ("354 Oyster Point Blvd South San Francisco": is "South" a directional?).

use super::AddressInput;
use super::address_data::{canonical, country_code, is_suffix, region_code, unit_designator};
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

#[derive(Debug, Clone)]
struct Tok {
    text: String,
    comma_before: bool,
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

fn word(raw: &str) -> Word {
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
    let mut street_line = input.line1.clone().unwrap_or_default();
    if let Some(l2) = &input.line2 {
        street_line.push(' ');
        street_line.push_str(l2);
    }
    let mut addr = Addr::default();
    let toks = tokens(&street_line);
    parse_street(&toks, &mut addr);
    addr.city = input.city.as_deref().map(words_of).unwrap_or_default();
    addr.state = input.state.as_deref().and_then(|s| {
        let f = joined(&tokens(s));
        if f.is_empty() {
            None
        } else {
            Some(region_code(&f).map_or(f.to_ascii_uppercase(), str::to_owned))
        }
    });
    addr.postal = input.postal_code.as_deref().and_then(normalize_postal);
    addr.country = input.country.as_deref().and_then(|c| {
        let f = joined(&tokens(c));
        if f.is_empty() {
            None
        } else {
            Some(country_code(&f).map_or(f.to_ascii_uppercase(), str::to_owned))
        }
    });
    addr
}

fn joined(toks: &[Tok]) -> String {
    toks.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// From a one-line address; `city_hint` is the other side's city, if known.
pub fn from_raw(text: &str, city_hint: &[Word]) -> Addr {
    let mut toks = tokens(text);
    let mut addr = Addr::default();
    take_country(&mut toks, &mut addr);
    let postal_at = take_postal(&mut toks, &mut addr);
    take_state(&mut toks, postal_at, &mut addr);
    let (street, city) = split_city(&toks, city_hint);
    parse_street(street, &mut addr);
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
        if after_postal && (2..=3).contains(&last.len()) && last.bytes().all(|b| b.is_ascii_alphabetic()) {
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

/// The rightmost postal code (never the first token, which is the house number). Returns the
/// index where it stood.
fn take_postal(toks: &mut Vec<Tok>, addr: &mut Addr) -> Option<usize> {
    for i in (1..toks.len()).rev() {
        let t = toks[i].text.as_str();
        if i + 1 < toks.len() && is_outward(t) && is_inward(&toks[i + 1].text) {
            addr.postal = normalize_postal(&format!("{t}{}", toks[i + 1].text));
            remove_keeping_comma(toks, i, i + 2);
            return Some(i);
        }
        let generic = (4..=6).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
        let compact = t.len() == 6 && is_outward(&t[..3]) && is_inward(&t[3..]);
        if is_us_zip(t) || generic || compact {
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
/// segment; longest name first ("north carolina" before "carolina").
fn take_state(toks: &mut Vec<Tok>, postal_at: Option<usize>, addr: &mut Addr) {
    let end = postal_at.unwrap_or(toks.len()).min(toks.len());
    for k in (1..=3usize).rev() {
        if end < k + 1 {
            continue;
        }
        let start = end - k;
        if toks[start + 1..end].iter().any(|t| t.comma_before) {
            continue;
        }
        if let Some(code) = region_code(&joined(&toks[start..end])) {
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
            if run.iter().zip(hint).all(|(t, h)| canonical(&t.text) == h.canon) {
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

/// House numbers written as words, from one.
const CARDINALS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
];

/// House number, street words, unit and PO box from a street line.
fn parse_street(toks: &[Tok], addr: &mut Addr) {
    let texts: Vec<&str> = toks.iter().map(|t| t.text.as_str()).collect();
    // PO Box: "po box 123", "p o box", "post office box", "pob".
    if let Some(b) = texts.iter().position(|t| *t == "box" || *t == "pob") {
        let before = &texts[..b];
        let is_po = *texts[b] == *"pob"
            || before.ends_with(&["po"])
            || before.ends_with(&["p", "o"])
            || before.ends_with(&["post", "office"]);
        if is_po && let Some(num) = texts.get(b + 1) {
            addr.po_box = Some((*num).to_owned());
            return;
        }
    }
    let mut rest: Vec<&str> = texts.clone();
    // "One Main Street": a house number written as a word.
    if rest.len() >= 2
        && let Some(n) = CARDINALS.iter().position(|w| *w == rest[0])
    {
        addr.house = Some((n + 1).to_string());
        rest.remove(0);
    }
    if addr.house.is_none() && rest.first().is_some_and(|t| t.as_bytes()[0].is_ascii_digit()) {
        addr.house = Some(rest.remove(0).to_owned());
        // "123 1/2"
        if rest.first().is_some_and(|t| t.contains('/')) {
            rest.remove(0);
        }
    }
    let mut street = Vec::with_capacity(rest.len());
    let mut i = 0;
    while i < rest.len() {
        let t = rest[i];
        let next = rest.get(i + 1).copied();
        if t == "#" || unit_designator(t).is_some() {
            let id_like = next.is_some_and(|n| n.bytes().any(|b| b.is_ascii_digit()) || n.len() == 1);
            if let (true, Some(n)) = (id_like, next) {
                addr.unit = Some(n.to_owned());
                i += 2;
                continue;
            }
            if next.is_none() && t != "#" && !street.is_empty() {
                addr.unit = Some(unit_designator(t).unwrap_or(t).to_owned());
                i += 1;
                continue;
            }
        }
        // "Flat 3, 27 Queens Road": the house number comes after a leading unit.
        if addr.house.is_none() && street.is_empty() && addr.unit.is_some() && t.as_bytes()[0].is_ascii_digit() {
            addr.house = Some(t.to_owned());
            i += 1;
            continue;
        }
        // "1st Floor"
        if next.and_then(unit_designator) == Some("fl") && t.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            addr.unit = Some(t.trim_end_matches(char::is_alphabetic).to_owned());
            i += 2;
            continue;
        }
        street.push(word(t));
        i += 1;
    }
    // European order: "Unter den Linden 77".
    if addr.house.is_none() && street.len() >= 2 && street.last().is_some_and(|w| w.raw.as_bytes()[0].is_ascii_digit())
    {
        addr.house = street.pop().map(|w| w.raw);
    }
    addr.street = street;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(ws: &[Word]) -> Vec<&str> {
        ws.iter().map(|w| w.canon.as_str()).collect()
    }

    #[test]
    fn sample_raw_with_hint() {
        let hint = words_of("South San Francisco");
        let a = from_raw("354 Oyster Point Blvd South San Francisco, CA 94080 USA", &hint);
        assert_eq!(a.house.as_deref(), Some("354"));
        assert_eq!(canon(&a.street), ["oyster", "pt", "blvd"]);
        assert_eq!(canon(&a.city), ["s", "san", "francisco"]);
        assert_eq!(a.state.as_deref(), Some("CA"));
        assert_eq!(a.postal.as_deref(), Some("94080"));
        assert_eq!(a.country.as_deref(), Some("US"));
    }

    #[test]
    fn raw_without_hint_and_units() {
        let a = from_raw("12 Main St Apt 4, Springfield, IL 62701-1234", &[]);
        assert_eq!(a.unit.as_deref(), Some("4"));
        assert_eq!(canon(&a.city), ["springfield"]);
        assert_eq!(a.postal.as_deref(), Some("62701"));
        let b = from_raw("Unter den Linden 77, 10117 Berlin, Germany", &[]);
        assert_eq!(b.house.as_deref(), Some("77"));
        assert_eq!(b.country.as_deref(), Some("DE"));
        assert_eq!(canon(&b.city), ["berlin"]);
        let c = from_raw("10 Downing Street, London SW1A 2AA, UK", &[]);
        assert_eq!(c.postal.as_deref(), Some("SW1A2AA"));
        assert_eq!(c.country.as_deref(), Some("GB"));
        let d = from_raw("P.O. Box 123, Anytown, TX 75001", &[]);
        assert_eq!(d.po_box.as_deref(), Some("123"));
        let e = from_raw("Flat 3, 27 Queens Road, Bristol BS8 1QU, UK", &[]);
        assert_eq!((e.unit.as_deref(), e.house.as_deref()), (Some("3"), Some("27")));
        assert_eq!(canon(&e.city), ["bristol"]);
        // Flat Rock, NC is a city, not a unit.
        let f = from_raw("12 Main St Flat Rock NC 28731", &words_of("Flat Rock"));
        assert_eq!((canon(&f.street), f.unit), (vec!["main", "st"], None));
    }
}
