//! Address scoring: weighted component agreement (house number, street, city, state, postal
//! code, country, unit) with caps that keep a neighbour, another town or a PO box out of the
//! strong bands however many other components agree.

use super::address_parse::{Addr, Word, from_raw, from_structured};
use super::normalize::{is_typo, jw, osa};
use super::{AddressValue, FieldScore, Flags, Level, is_blank};

/// Component weights (sum 100).
mod weight {
    pub const HOUSE: f64 = 25.0;
    pub const STREET: f64 = 25.0;
    pub const CITY: f64 = 12.0;
    pub const STATE: f64 = 6.0;
    pub const POSTAL: f64 = 22.0;
    pub const COUNTRY: f64 = 5.0;
    pub const UNIT: f64 = 5.0;
}

/// Caps: the most a pair with this difference can score.
mod cap {
    pub const HOUSE_DIFFERS: f64 = 60.0;
    pub const LOCALITY_DIFFERS: f64 = 50.0;
    pub const PO_BOX_VS_STREET: f64 = 40.0;
    pub const COUNTRY_DIFFERS: f64 = 75.0;
    pub const UNIT_CONFLICT: f64 = 80.0;
    /// Same city and state, another postal code: a wrong or outdated ZIP, the majority agrees.
    pub const POSTAL_ONLY_DIFFERS: f64 = 75.0;
    /// City, state and postal code all disagree: the same street line in another town.
    pub const ELSEWHERE: f64 = 35.0;
    /// The street's name words share nothing (354 Gateway Blvd / 354 Oyster Point Blvd).
    pub const STREET_NAME_DIFFERS: f64 = 45.0;
    /// Opposite directionals (N Main St / S Main St) name different streets.
    pub const DIRECTIONAL_CONFLICT: f64 = 60.0;
}

fn is_empty(value: &AddressValue) -> bool {
    match value {
        AddressValue::Raw(s) => is_blank(Some(s)),
        AddressValue::Structured(a) => [&a.line1, &a.line2, &a.city, &a.state, &a.postal_code, &a.country]
            .iter()
            .all(|f| is_blank(f.as_deref())),
    }
}

/// Parses both sides; a raw side is parsed with the other side's city as its anchor.
fn resolve(a: &AddressValue, b: &AddressValue) -> (Addr, Addr) {
    use AddressValue::{Raw, Structured};
    match (a, b) {
        (Structured(x), Structured(y)) => (from_structured(x), from_structured(y)),
        (Raw(x), Structured(y)) => {
            let y = from_structured(y);
            (from_raw(x, &y.city), y)
        }
        (Structured(x), Raw(y)) => {
            let x = from_structured(x);
            let y = from_raw(y, &x.city);
            (x, y)
        }
        (Raw(x), Raw(y)) => {
            let mut pa = from_raw(x, &[]);
            let pb = from_raw(y, &pa.city);
            if pa.city.is_empty() && !pb.city.is_empty() {
                pa = from_raw(x, &pb.city);
            }
            (pa, pb)
        }
    }
}

/// Scores an address pair. `owner` is the bank's address (usually a raw line).
pub fn score_address(owner: Option<&AddressValue>, provided: &AddressValue) -> FieldScore {
    let Some(owner) = owner.filter(|o| !is_empty(o)) else {
        return FieldScore::missing();
    };
    if is_empty(provided) {
        return FieldScore::new(0, Level::NoMatch, Flags::default());
    }
    let (a, b) = resolve(owner, provided);
    compare(&a, &b)
}

/// Token-set similarity of two word lists (0–1): 1 when equal, 0.95 when only the spacing
/// differs ("Lake Shore" / "Lakeshore"), else an F1 over words matching in standard form or
/// within a typo.
fn words_sim(a: &[Word], b: &[Word]) -> f64 {
    if a.iter().map(|w| &w.canon).eq(b.iter().map(|w| &w.canon)) {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if spaced(a) == spaced(b) {
        return 0.95;
    }
    let mut used = [false; 16];
    let mut hits = 0.0;
    for x in a {
        let best = b.iter().enumerate().take(16).filter(|(i, _)| !used[*i]).fold(
            None,
            |best: Option<(usize, f64)>, (i, y)| {
                let s = if x.canon == y.canon {
                    1.0
                } else if is_typo(&x.raw, &y.raw) || (x.raw.len() >= 6 && jw(&x.raw, &y.raw) >= 0.93) {
                    0.85
                } else {
                    0.0
                };
                if s > best.map_or(0.0, |b| b.1) {
                    Some((i, s))
                } else {
                    best
                }
            },
        );
        if let Some((i, s)) = best {
            used[i] = true;
            hits += s;
        }
    }
    2.0 * hits / (a.len() + b.len()) as f64
}

/// Words run together, the last one (the suffix) in standard form.
fn spaced(words: &[Word]) -> String {
    let mut s = String::new();
    for (i, w) in words.iter().enumerate() {
        s.push_str(if i + 1 == words.len() { &w.canon } else { &w.raw });
    }
    s
}

/// The street words differ only in directionals (Pennsylvania Ave NW / SE).
fn only_directionals_differ(a: &[Word], b: &[Word]) -> bool {
    let strip = |ws: &[Word]| -> Vec<String> {
        ws.iter()
            .filter(|w| !super::address_data::is_directional(&w.canon))
            .map(|w| w.canon.clone())
            .collect()
    };
    strip(a) == strip(b)
}

/// The words of a street that name it: not its type (the last suffix word: St, Blvd) nor a
/// directional. Other suffix words name it ("Gateway Blvd", "Oyster Point Blvd").
fn name_words(ws: &[Word]) -> impl Iterator<Item = &Word> {
    let typed = ws.last().is_some_and(|w| super::address_data::is_suffix(&w.canon));
    let end = ws.len() - usize::from(typed);
    ws[..end]
        .iter()
        .filter(|w| !super::address_data::is_directional(&w.canon))
}

/// Whether the two streets' names have a word in common (equal or within a typo); `None` when
/// either has no name word to compare (a bare "Broadway" keeps it, "Hwy" alone does not).
fn street_names_overlap(a: &[Word], b: &[Word]) -> Option<bool> {
    if name_words(a).next().is_none() || name_words(b).next().is_none() {
        return None;
    }
    Some(name_words(a).any(|x| name_words(b).any(|y| x.canon == y.canon || is_typo(&x.raw, &y.raw))))
}

/// Both streets carry directionals, and they differ (N Main St / S Main St).
fn directionals_conflict(a: &[Word], b: &[Word]) -> bool {
    fn dirs(ws: &[Word]) -> impl Iterator<Item = &str> {
        ws.iter()
            .map(|w| w.canon.as_str())
            .filter(|c| super::address_data::is_directional(c))
    }
    dirs(a).next().is_some() && dirs(b).next().is_some() && !dirs(a).eq(dirs(b))
}

fn house_eq(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).collect::<String>();
    norm(a) == norm(b)
}

#[derive(PartialEq, Clone, Copy)]
enum Postal {
    Same,
    Typo,
    Partial,
    Unknown,
    Differs,
}

fn postal_rel(a: Option<&str>, b: Option<&str>) -> Postal {
    match (a, b) {
        (Some(x), Some(y)) if x == y => Postal::Same,
        // A ZIP that lost its leading zero in a spreadsheet (2142 / 02142).
        (Some(x), Some(y))
            if x.len().abs_diff(y.len()) == 1
                && x.bytes().chain(y.bytes()).all(|b| b.is_ascii_digit())
                && x.trim_start_matches('0') == y.trim_start_matches('0') =>
        {
            Postal::Same
        }
        (Some(x), Some(y)) => {
            let (short, long) = if x.len() <= y.len() { (x, y) } else { (y, x) };
            if x.len() == y.len() && osa(x, y) == 1 {
                Postal::Typo
            } else if short.len() >= 3 && long.starts_with(short) {
                Postal::Partial
            } else {
                Postal::Differs
            }
        }
        _ => Postal::Unknown,
    }
}

fn compare(a: &Addr, b: &Addr) -> FieldScore {
    let postal = postal_rel(a.postal.as_deref(), b.postal.as_deref());
    let flags = Flags {
        postal_code_match: postal == Postal::Same,
        ..Flags::default()
    };
    let city = match (a.city.is_empty(), b.city.is_empty()) {
        (true, true) => 1.0,
        (false, false) => words_sim(&a.city, &b.city),
        _ => 0.5,
    };
    let state_ok = match (&a.state, &b.state) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    let country_differs = matches!((&a.country, &b.country), (Some(x), Some(y)) if x != y);
    let postal_points = match postal {
        Postal::Same => weight::POSTAL,
        Postal::Typo => 12.0,
        Postal::Partial => 8.0,
        Postal::Unknown => weight::POSTAL / 2.0,
        Postal::Differs => 0.0,
    };
    let locality_points = weight::CITY * if city >= 0.5 { city } else { 0.0 }
        + if state_ok { weight::STATE } else { 0.0 }
        + postal_points
        + if country_differs { 0.0 } else { weight::COUNTRY };
    // Same locality: the postal code agrees, or a near postal code with the same city and state.
    let locality_same = postal == Postal::Same || (postal != Postal::Differs && city >= 0.85 && state_ok);

    // PO boxes compare by box number; against a street address only the locality counts.
    if a.po_box.is_some() || b.po_box.is_some() {
        let (score, level) = match (&a.po_box, &b.po_box) {
            (Some(x), Some(y)) if x == y => (weight::HOUSE + weight::STREET + weight::UNIT + locality_points, None),
            (Some(_), Some(_)) => (locality_points.min(cap::HOUSE_DIFFERS), Some(Level::HouseNumberDiffers)),
            _ => (locality_points.min(cap::PO_BOX_VS_STREET), Some(Level::PoBoxVsStreet)),
        };
        return finish(
            score,
            level.or_else(|| detail_level(postal, city, country_differs)),
            flags,
        );
    }

    let house_same = match (&a.house, &b.house) {
        (Some(x), Some(y)) => house_eq(x, y),
        (None, None) => true,
        _ => false,
    };
    let house_points = match (&a.house, &b.house) {
        (Some(_), Some(_)) | (None, None) => {
            if house_same {
                weight::HOUSE
            } else {
                0.0
            }
        }
        _ => weight::HOUSE / 2.0,
    };
    let street = words_sim(&a.street, &b.street);
    let street_points = weight::STREET * if street >= 0.85 { street } else { street * 0.5 };
    let street_line_same = house_same && street >= 0.85;
    let unit_points = if !street_line_same {
        0.0
    } else {
        match (&a.unit, &b.unit) {
            (None, None) => weight::UNIT,
            (Some(x), Some(y)) if x == y => weight::UNIT,
            (Some(_), Some(_)) => 0.0,
            _ => 3.0,
        }
    };
    let mut score = house_points + street_points + unit_points + locality_points;
    let unit_conflict = matches!((&a.unit, &b.unit), (Some(x), Some(y)) if x != y);
    let mut level = None;
    let mut limit = |max: f64, l: Level| {
        if score > max {
            score = max;
        }
        level.get_or_insert(l);
    };
    if !house_same && street < 0.85 {
        limit(
            100.0,
            if locality_same {
                Level::StreetDiffers
            } else {
                Level::NoMatch
            },
        );
    }
    if country_differs {
        limit(cap::COUNTRY_DIFFERS, Level::CountryDiffers);
    }
    if !locality_same {
        let city_same = city >= 0.85;
        if city_same && state_ok {
            limit(cap::POSTAL_ONLY_DIFFERS, Level::PostalCodeDiffers);
        } else if city < 0.5 && !state_ok {
            limit(cap::ELSEWHERE, Level::LocalityDiffers);
        } else {
            limit(cap::LOCALITY_DIFFERS, Level::LocalityDiffers);
        }
    }
    if street < 0.85 && street_names_overlap(&a.street, &b.street) == Some(false) {
        limit(cap::STREET_NAME_DIFFERS, Level::StreetDiffers);
    }
    if directionals_conflict(&a.street, &b.street) {
        limit(cap::DIRECTIONAL_CONFLICT, Level::DirectionalDiffers);
    }
    if !house_same && a.house.is_some() && b.house.is_some() {
        limit(cap::HOUSE_DIFFERS, Level::HouseNumberDiffers);
    }
    if street < 0.85 {
        let l = if only_directionals_differ(&a.street, &b.street) {
            Level::DirectionalDiffers
        } else {
            Level::StreetDiffers
        };
        limit(100.0, l);
    }
    if unit_conflict {
        limit(cap::UNIT_CONFLICT, Level::UnitConflict);
    }
    if street < 1.0 {
        limit(
            100.0,
            if only_directionals_differ(&a.street, &b.street) {
                Level::DirectionalDiffers
            } else {
                Level::StreetTypo
            },
        );
    }
    let level = level
        .or_else(|| detail_level(postal, city, country_differs))
        .or_else(|| (a.unit.is_some() != b.unit.is_some()).then_some(Level::UnitMissing));
    finish(score, level, flags)
}

/// The level for smaller differences in the locality.
fn detail_level(postal: Postal, city: f64, country_differs: bool) -> Option<Level> {
    if country_differs {
        Some(Level::CountryDiffers)
    } else if matches!(postal, Postal::Typo | Postal::Partial | Postal::Differs) {
        Some(Level::PostalCodeDiffers)
    } else if city < 1.0 {
        Some(Level::CityDiffers)
    } else {
        None
    }
}

fn finish(score: f64, level: Option<Level>, flags: Flags) -> FieldScore {
    let s = score.round().clamp(0.0, 100.0) as u8;
    match level {
        // Every component agrees (missing optional parts count as agreeing): exact.
        None if s >= 99 => FieldScore::new(100, Level::Exact, flags),
        None => FieldScore::new(s, Level::PostalCodeDiffers, flags),
        Some(l) if s < 30 && !matches!(l, Level::PoBoxVsStreet) => FieldScore::new(s, Level::NoMatch, flags),
        Some(l) => FieldScore::new(s, l, flags),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::AddressInput;

    fn sample() -> AddressValue {
        AddressValue::Structured(AddressInput {
            line1: Some("354 Oyster Point Blvd".into()),
            line2: None,
            city: Some("South San Francisco".into()),
            state: Some("CA".into()),
            postal_code: Some("94080".into()),
            country: Some("US".into()),
        })
    }

    #[test]
    fn sample_response_is_100() {
        let owner = AddressValue::Raw("354 Oyster Point Blvd South San Francisco, CA 94080 USA".into());
        let s = score_address(Some(&owner), &sample());
        assert_eq!(s.match_score, Some(100));
        assert!(s.flags.postal_code_match);
    }

    #[test]
    fn neighbour_is_capped() {
        let owner = AddressValue::Raw("356 Oyster Point Blvd, South San Francisco, CA 94080".into());
        let s = score_address(Some(&owner), &sample());
        assert_eq!(s.level, Level::HouseNumberDiffers);
        assert!(s.match_score.unwrap() <= 60);
    }

    fn raw(owner: &str, provided: &str) -> FieldScore {
        score_address(
            Some(&AddressValue::Raw(owner.into())),
            &AddressValue::Raw(provided.into()),
        )
    }

    // Cases of the kinds the third held-out set found, but none of its rows.
    #[test]
    fn another_street_or_town_is_not_the_address() {
        let s = raw("88 Elm St, Boulder, CO 80302", "88 Pine St, Boulder, CO 80302");
        assert_eq!(s.level, Level::StreetDiffers);
        assert!(s.match_score.unwrap() <= 45, "{s:?}");
        let s = raw("200 E Oak Ave, Mesa, AZ 85201", "200 W Oak Ave, Mesa, AZ 85201");
        assert_eq!(s.level, Level::DirectionalDiffers);
        assert!(s.match_score.unwrap() <= 60, "{s:?}");
        let s = raw("75 Elm St, Boulder, CO 80302", "75 Elm St, Eugene, OR 97401");
        assert!(s.match_score.unwrap() <= 35, "{s:?}");
        // A suffix more or less is not another street's name: the majority still matches.
        let s = raw("75 Elm St Pkwy, Boulder, CO 80302", "75 Elm St, Boulder, CO 80302");
        assert!(s.match_score.unwrap() >= 70, "{s:?}");
    }

    #[test]
    fn same_address_written_differently() {
        let s = raw("Two Park Place, Hoboken, NJ 07030", "2 Park Pl, Hoboken, NJ 07030");
        assert!(s.match_score.unwrap() >= 95, "{s:?}");
        let lost_zero = raw("9 River Rd, Hoboken, NJ 7030", "9 River Rd, Hoboken, NJ 07030");
        assert_eq!(lost_zero.match_score, Some(100));
        let wrong_zip = raw("9 River Rd, Boulder, CO 80302", "9 River Rd, Boulder, CO 81611");
        assert_eq!(wrong_zip.level, Level::PostalCodeDiffers);
        assert!((60..=84).contains(&wrong_zip.match_score.unwrap()), "{wrong_zip:?}");
    }
}
