//! The street line of an address: house number, street words, unit, and PO or rural-route
//! box. The number may come first (US, UK, France), after the name (Germany, Spain, Brazil:
//! "Av. Paulista, 1578 - Bela Vista", with a floor or door such as "3º B" after it), as a word
//! ("One Main St") or as the Australian "unit/number". The locality (city, state, postal
//! code, country) is read in `address_parse`.

use super::address_data::{canonical, is_suffix, unit_designator};
use super::address_parse::{Addr, Tok, Word, word};

/// House numbers written as words, from one.
const CARDINALS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
];

/// A rural route or highway contract box (USPS Publication 28 §24: "RR 2 BOX 152", "HC 68 BOX
/// 23A"; alternates such as "Rural Route", "RFD", "Highway Contract" and "Star Route" read as
/// RR and HC). Returned as a box id ("rr2/152") that compares like a PO box number.
fn route_box(texts: &[&str]) -> Option<String> {
    let (kind, at) = match texts {
        ["rr" | "rfd", ..] => ("rr", 1),
        ["r", "r", ..] | ["rural", "route" | "rte" | "rt", ..] => ("rr", 2),
        ["rural", ..] => ("rr", 1),
        ["hc", ..] => ("hc", 1),
        ["highway" | "hwy", "contract", "route" | "rte", ..] => ("hc", 3),
        ["highway" | "hwy", "contract", ..] | ["star", "route" | "rte", ..] => ("hc", 2),
        // "Route 2 Box 152": a route with a box is a rural route ("Route 66" alone is a road).
        ["route" | "rte" | "rt", _, "box", ..] => ("rr", 1),
        _ => return None,
    };
    let route = texts.get(at).filter(|t| t.bytes().all(|b| b.is_ascii_digit()))?;
    let mut id = format!("{kind}{route}");
    if let (Some(&"box"), Some(b)) = (texts.get(at + 1), texts.get(at + 2)) {
        id.push('/');
        id.push_str(b);
    }
    Some(id)
}

/// Australian/New Zealand "unit/number" at the start of a line ("3/12 Smith St" is unit 3 at
/// number 12). Not in the US, where a fraction follows the house number ("123 1/2 Main St");
/// with the country unknown, a common fraction (1/2, 3/4) is not read as a unit either.
fn slash_unit<'a>(t: &'a str, country: Option<&str>) -> Option<(&'a str, &'a str)> {
    if country == Some("US") {
        return None;
    }
    let (unit, house) = t.split_once('/')?;
    let unit_ok = (1..=4).contains(&unit.len()) && unit.bytes().all(|b| b.is_ascii_alphanumeric());
    let house_ok =
        house.as_bytes().first().is_some_and(u8::is_ascii_digit) && house.bytes().all(|b| b.is_ascii_alphanumeric());
    if !unit_ok || !house_ok {
        return None;
    }
    let fraction =
        matches!((unit.parse::<u32>(), house.parse::<u32>()), (Ok(a), Ok(b)) if a < b && matches!(b, 2 | 3 | 4 | 8));
    (country.is_some() || !fraction).then_some((unit, house))
}

fn starts_with_digit(t: &str) -> bool {
    t.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// "2nd", "21st": a numbered street, not a house number.
fn is_ordinal(t: &str) -> bool {
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&t[digits..], "st" | "nd" | "rd" | "th")
}

/// Where the house number of a line that starts with a name stands: the first number that
/// ends its comma segment ("Unter den Linden 77", "C/ Alcalá 45, 3º B", "Av. Paulista, 1578")
/// or starts one ("Rose Cottage, 12 High St"). A number inside a name ("Avenida 9 de Julio
/// 1000") and one after a unit word are not it.
fn house_after_name(toks: &[Tok]) -> Option<usize> {
    (1..toks.len()).find(|&i| {
        let t = toks[i].text.as_str();
        let prev = toks[i - 1].text.as_str();
        starts_with_digit(t)
            && !is_ordinal(t)
            && prev != "#"
            && unit_designator(prev).is_none()
            && (toks[i].comma_before || toks.get(i + 1).is_none_or(|n| n.comma_before))
    })
}

/// A unit from what follows the house number in a line that starts with a name: the words
/// with digits and single letters ("3º B" → "3ob", "Piso 3, Puerta B" → "3b"); none when
/// there are none ("- Bela Vista" names the neighbourhood).
fn unit_after(texts: &[&str]) -> Option<String> {
    let mut id = String::new();
    for t in texts {
        if *t != "#" && unit_designator(t).is_none() && (t.bytes().any(|b| b.is_ascii_digit()) || t.len() == 1) {
            id.push_str(t);
        }
    }
    (!id.is_empty()).then_some(id)
}

/// House number, street words, unit and PO box from a street line. `country` (the line's or
/// the other side's) decides whether "3/12" is a unit and a number.
pub(super) fn parse_street(toks: &[Tok], country: Option<&str>, addr: &mut Addr) {
    let texts: Vec<&str> = toks.iter().map(|t| t.text.as_str()).collect();
    if let Some(id) = route_box(&texts) {
        addr.po_box = Some(id);
        return;
    }
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
    if let Some((unit, house)) = texts.first().and_then(|t| slash_unit(t, country)) {
        addr.unit = Some(unit.to_owned());
        addr.house = Some(house.to_owned());
        addr.street = street_words(&texts[1..], addr);
        return;
    }
    let first = texts.first().copied().unwrap_or("");
    let name_first = !starts_with_digit(first)
        && first != "#"
        && unit_designator(first).is_none()
        && !(texts.len() >= 2 && CARDINALS.contains(&first));
    if name_first && let Some(h) = house_after_name(toks) {
        // "Rose Cottage, 12 High St": a house name before the street line (a street follows
        // the number, ending in a street type; "Calle Mayor, 5 bajo" is a number and a floor).
        let segment_end = (h + 1..toks.len())
            .find(|&j| toks[j].comma_before)
            .unwrap_or(toks.len());
        if toks[h].comma_before && toks[h + 1..segment_end].iter().any(|t| is_suffix(canonical(&t.text))) {
            return parse_street(&toks[h..], country, addr);
        }
        addr.house = Some(texts[h].to_owned());
        addr.street = street_words(&texts[..h], addr);
        if addr.unit.is_none() {
            addr.unit = unit_after(&texts[h + 1..]);
        }
        return;
    }
    let mut rest: &[&str] = &texts;
    // "One Main Street": a house number written as a word.
    if rest.len() >= 2
        && let Some(n) = CARDINALS.iter().position(|w| *w == rest[0])
    {
        addr.house = Some((n + 1).to_string());
        rest = &rest[1..];
    }
    if addr.house.is_none() && rest.first().is_some_and(|t| starts_with_digit(t)) {
        addr.house = Some(rest[0].to_owned());
        rest = &rest[1..];
        // "123 1/2"
        if rest.first().is_some_and(|t| t.contains('/')) {
            rest = &rest[1..];
        }
    }
    let mut street = street_words(rest, addr);
    // European order: "Unter den Linden 77".
    if addr.house.is_none() && street.len() >= 2 && street.last().is_some_and(|w| starts_with_digit(&w.raw)) {
        addr.house = street.pop().map(|w| w.raw);
    }
    addr.street = street;
}

/// The street's words, taking unit designators and their ids out into `addr.unit`.
fn street_words(rest: &[&str], addr: &mut Addr) -> Vec<Word> {
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
        if addr.house.is_none() && street.is_empty() && addr.unit.is_some() && starts_with_digit(t) {
            addr.house = Some(t.to_owned());
            i += 1;
            continue;
        }
        // "1st Floor"
        if next.and_then(unit_designator) == Some("fl") && starts_with_digit(t) {
            addr.unit = Some(t.trim_end_matches(char::is_alphabetic).to_owned());
            i += 2;
            continue;
        }
        street.push(word(t));
        i += 1;
    }
    street
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_units_and_fractions() {
        assert_eq!(slash_unit("1/2", None), None);
        assert_eq!(slash_unit("3/12", Some("US")), None);
        assert_eq!(slash_unit("3/12", None), Some(("3", "12")));
        assert_eq!(slash_unit("3/12", Some("AU")), Some(("3", "12")));
    }
}
