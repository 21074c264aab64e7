//! Name scoring: per-token relations (exact, transliterated, typo, nickname, initial) on the
//! given name, surname and middle names, turned into additive penalties from 100.
//!
//! Why additive penalties reproduce both calibration anchors: the sample response scores
//! provided "Jenny Rosen" against owner "Jennifer Rosen" at exactly 85 (a nickname alone costs
//! 15), while the band table puts provided "Jennifer Rosen" against owner "Jenny Jane Rosen" in
//! 60–69. The second pair has the same nickname *and* a full middle name on one side only
//! (−18, the same penalty that puts "Jenny Rosen" vs "Jenny Jane Rosen" at 82, in 70–84):
//! 100 − 15 − 18 = 67. No special case or direction-dependent rule is needed; the score is
//! symmetric in owner and provided.

use std::borrow::Borrow;

use super::name_parse::{Person, Token, parse};
use super::nickname;
use super::normalize::{is_typo, jw, lev_sim, loose_key, spelling_key, typo_penalty};
use super::{FieldScore, Flags, Level, best_of, is_blank};

/// Penalties (points off 100). Kept together so they can be re-fitted from labelled data.
mod penalty {
    pub const TRANSLITERATED: u32 = 3;
    pub const NICKNAME: u32 = 15;
    pub const INITIAL: u32 = 22;
    pub const REORDERED: u32 = 1;
    pub const MIDDLE_INITIAL_VS_FULL: u32 = 2;
    pub const MIDDLE_INITIAL_MISSING: u32 = 4;
    pub const MIDDLE_NICKNAME: u32 = 8;
    pub const MIDDLE_MISSING: u32 = 18;
    pub const PARTICLE_MISSING: u32 = 5;
    /// Two different full middle names: likely a relative (father and son), so below 70.
    pub const MIDDLE_CONFLICT: u32 = 32;
    pub const SURNAME_PART_MISSING: u32 = 18;
    pub const COMPOUND_PART_MISSING: u32 = 12;
    pub const SUFFIX_MISSING: u32 = 3;
    pub const SUFFIX_CONFLICT: u32 = 35;
    pub const SPACING: u32 = 3;
    /// The same words in another order, beyond a surname-first reading.
    pub const PERMUTED: u32 = 8;
}

/// Surname particles whose omission is minor ("Ludwig van Beethoven" / "Ludwig Beethoven").
const PARTICLES: &[&str] = &[
    "van", "von", "de", "da", "di", "del", "della", "der", "den", "la", "le", "du", "dos", "bin", "binti", "al", "el",
    "ter",
];

/// Distinctive Vietnamese family names. Where one appears, "Van" and "Thi" are middle names
/// (Nguyen Van An), not the Dutch particle whose omission is minor.
const VIETNAMESE_SURNAMES: &[&str] = &[
    "nguyen", "tran", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "ngo", "duong", "truong", "dinh",
    "trinh", "luong",
];

/// A trust or an estate named after a person is not that person: what their names share is
/// scaled by this (an exact name gives 80, in the 70–84 "majority matches" band).
const ENTITY_FACTOR: f64 = 0.8;

/// Scores a name pair. `owner` is the bank's name (possibly several joint owners).
pub fn score_name(owner: Option<&str>, provided: &str) -> FieldScore {
    let Some(owner) = owner.filter(|o| !is_blank(Some(o))) else {
        return FieldScore::missing();
    };
    let owners = parse(owner);
    let provided = parse(provided);
    if owners.is_empty() || provided.is_empty() {
        return FieldScore::new(0, Level::NoMatch, Flags::default());
    }
    best_of(owners.iter().flat_map(|o| provided.iter().map(move |p| compare(o, p))))
}

/// How two tokens relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    Exact,
    Transliterated,
    Typo(u32),
    Nickname,
    Initial,
    Diff,
}

impl Rel {
    fn related(self) -> bool {
        self != Rel::Diff
    }

    /// Penalty and level for the given name or surname.
    fn cost(self) -> (u32, Level) {
        match self {
            Rel::Exact | Rel::Diff => (0, Level::Exact),
            Rel::Transliterated => (penalty::TRANSLITERATED, Level::Transliterated),
            Rel::Typo(p) => (p, Level::Typo),
            Rel::Nickname => (penalty::NICKNAME, Level::Nickname),
            Rel::Initial => (penalty::INITIAL, Level::Initial),
        }
    }
}

fn rel(a: &Token, b: &Token, given: bool) -> Rel {
    let (x, y) = (a.text.as_str(), b.text.as_str());
    if x == y {
        return Rel::Exact;
    }
    if x.len() == 1 || y.len() == 1 {
        return if x.as_bytes()[0] == y.as_bytes()[0] {
            Rel::Initial
        } else {
            Rel::Diff
        };
    }
    // Several relations can hold (Jenni/Jenny is a typo, a transliteration and a nickname);
    // the cheapest one wins.
    let mut best = Rel::Diff;
    let mut best_cost = u32::MAX;
    let mut consider = |r: Rel| {
        let c = r.cost().0;
        if c < best_cost {
            best = r;
            best_cost = c;
        }
    };
    // Loose keys bridge katakana romaji and Latin spellings (jenii/jenny). Between two Latin
    // spellings they would be too loose (th→s makes Smith ≈ Smizz); typos cover those.
    if a.kana || b.kana {
        let (kx, ky) = (loose_key(x), loose_key(y));
        if kx.len() >= 2 && kx == ky {
            consider(Rel::Transliterated);
        }
    }
    if is_typo(x, y) {
        consider(Rel::Typo(typo_penalty(x, y)));
    }
    // One sound, two transliterations: Aleksei / Alexei. Only words with such a digraph pay
    // for the keys (this runs for every pair of differing tokens).
    let digraph = |w: &str| w.contains("ks") || w.contains("ph") || w.contains("ck");
    if x.len() >= 4 && (digraph(x) || digraph(y)) && spelling_key(x) == spelling_key(y) {
        consider(Rel::Transliterated);
    }
    // The Arabic article written or left out: Alharbi / Harbi.
    let article = |long: &str, short: &str| {
        short.len() >= 3 && (long.strip_prefix("al") == Some(short) || long.strip_prefix("el") == Some(short))
    };
    if article(x, y) || article(y, x) {
        consider(Rel::Transliterated);
    }
    if given && nickname::related(x, y, a.kana, b.kana) {
        consider(Rel::Nickname);
    }
    best
}

/// A candidate result for one owner/provided person pair.
pub(super) fn outcome(score: u32, level: Level, flags: Flags) -> FieldScore {
    FieldScore::new(score.min(100) as u8, level, flags)
}

fn compare(a: &Person, b: &Person) -> FieldScore {
    if a.entity || b.entity {
        return compare_entity(a, b);
    }
    if a.business || b.business {
        return super::name_business::compare_business(a, b);
    }
    let (ta, tb) = (&a.tokens, &b.tokens);
    if ta == tb && a.suffix == b.suffix {
        return outcome(
            100,
            Level::Exact,
            Flags {
                first_name_match: true,
                last_name_match: true,
                ..Flags::default()
            },
        );
    }
    let suffix = suffix_cost(a.suffix, b.suffix);
    // "Kim Min-jun" / "Minjun Kim": the same letters, also read surname first. Only names of
    // equal letter count can be; the rest never build the rotated readings.
    let letters = |ts: &[Token]| ts.iter().map(|t| t.text.len()).sum::<usize>();
    let reordered_concat = || {
        let (ra, rb): (Vec<&Token>, Vec<&Token>) = (ta.iter().collect(), tb.iter().collect());
        (!a.explicit_order && concat_eq(&rotated(ta), &rb)) || (!b.explicit_order && concat_eq(&rotated(tb), &ra))
    };
    let order_cost = if letters(ta) != letters(tb) {
        None
    } else if concat_eq(ta, tb) {
        Some(0)
    } else if reordered_concat() {
        Some(penalty::REORDERED)
    } else {
        None
    };
    if let Some(order_cost) = order_cost {
        let cost = penalty::SPACING + order_cost + suffix.map_or(0, |s| s.0);
        return outcome(
            100 - cost,
            Level::Typo,
            Flags {
                first_name_match: true,
                last_name_match: true,
                ..Flags::default()
            },
        );
    }
    if ta.len() >= 3 && a.suffix == b.suffix && same_tokens(ta, tb) {
        // Every word on both sides, in another order (double surnames swapped: Torres Vega /
        // Vega Torres).
        return outcome(
            100 - penalty::PERMUTED,
            Level::Reordered,
            Flags {
                first_name_match: true,
                last_name_match: true,
                ..Flags::default()
            },
        );
    }
    if ta.len() == 1 || tb.len() == 1 {
        return compare_single(a, b);
    }
    // Orderings are vectors of references: trying the surname-first reading clones nothing.
    let (ra, rb): (Vec<&Token>, Vec<&Token>) = (ta.iter().collect(), tb.iter().collect());
    let mut best = compare_full(a, b, &ra, &rb, 0);
    if !a.explicit_order {
        best = best_of([best, compare_full(a, b, &rotated(ta), &rb, penalty::REORDERED)]);
    }
    if !b.explicit_order {
        best = best_of([best, compare_full(a, b, &ra, &rotated(tb), penalty::REORDERED)]);
    }
    best
}

/// The same words, in any order.
fn same_tokens(a: &[Token], b: &[Token]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut x: Vec<&str> = a.iter().map(|t| t.text.as_str()).collect();
    let mut y: Vec<&str> = b.iter().map(|t| t.text.as_str()).collect();
    x.sort_unstable();
    y.sort_unstable();
    x == y
}

/// A trust or an estate against a name: how well the person it is named after matches,
/// scaled down, since the account's holder is the entity.
fn compare_entity(a: &Person, b: &Person) -> FieldScore {
    let as_person = |p: &Person| Person {
        entity: false,
        ..p.clone()
    };
    let inner = compare(&as_person(a), &as_person(b));
    let score = f64::from(inner.match_score.unwrap_or(0)) * ENTITY_FACTOR;
    outcome(score.round() as u32, Level::TrustOrEstate, inner.flags)
}

/// Surname-first reading: "ROSEN JENNY JANE" → jenny jane rosen.
fn rotated(tokens: &[Token]) -> Vec<&Token> {
    tokens[1..].iter().chain(&tokens[..1]).collect()
}

/// Same letters once spaces are ignored ("O Brien" / "OBrien"), without allocating.
pub(super) fn concat_eq<T: Borrow<Token>>(a: &[T], b: &[T]) -> bool {
    let bytes = |ts: &[T]| -> Vec<u8> { ts.iter().flat_map(|t| t.borrow().text.bytes()).collect() };
    a.iter().map(|t| t.borrow().text.len()).sum::<usize>() == b.iter().map(|t| t.borrow().text.len()).sum::<usize>()
        && bytes(a) == bytes(b)
}

fn joined<T: Borrow<Token>>(tokens: &[T]) -> String {
    let mut s = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&t.borrow().text);
    }
    s
}

fn suffix_cost(a: Option<u8>, b: Option<u8>) -> Option<(u32, Level)> {
    match (a, b) {
        (Some(x), Some(y)) if x != y => Some((penalty::SUFFIX_CONFLICT, Level::SuffixConflict)),
        (Some(_), None) | (None, Some(_)) => Some((penalty::SUFFIX_MISSING, Level::SuffixMissing)),
        _ => None,
    }
}

/// Nothing lines up: a low score from whole-string similarity, so near-misses still rank.
pub(super) fn no_match<T: Borrow<Token>, U: Borrow<Token>>(ta: &[T], tb: &[U], flags: Flags) -> FieldScore {
    let s = (25.0 * lev_sim(&joined(ta), &joined(tb))).round() as u32;
    outcome(s.min(29), Level::NoMatch, flags)
}

/// Both sides have at least a given name and a surname.
fn compare_full(a: &Person, b: &Person, ta: &[&Token], tb: &[&Token], order_cost: u32) -> FieldScore {
    let (a_last, b_last) = (&ta[ta.len() - 1], &tb[tb.len() - 1]);
    let mut ma: &[&Token] = &ta[1..ta.len() - 1];
    let mut mb: &[&Token] = &tb[1..tb.len() - 1];
    let mut costs: Vec<(u32, Level)> = Vec::with_capacity(6);
    let g = rel(ta[0], tb[0], true);
    let mut s = rel(a_last, b_last, false);
    if !s.related() {
        // A double or compound surname with one part missing: the shorter side's surname is
        // the other side's second-to-last token (Smith-Jones / Smith, Garcia Lopez / Garcia).
        if let Some(r) = mb.last().map(|t| rel(a_last, t, false)).filter(|r| is_strong(*r)) {
            s = r;
            mb = &mb[..mb.len() - 1];
            costs.push(surname_part_cost(b.compound_surname));
        } else if let Some(r) = ma.last().map(|t| rel(t, b_last, false)).filter(|r| is_strong(*r)) {
            s = r;
            ma = &ma[..ma.len() - 1];
            costs.push(surname_part_cost(a.compound_surname));
        }
    }
    let flags = Flags {
        nickname_match: g == Rel::Nickname,
        first_name_match: g.related() && g != Rel::Initial,
        last_name_match: s.related() && s != Rel::Initial,
        ..Flags::default()
    };
    match (g.related(), s.related()) {
        (true, true) => {}
        (false, true) if flags.last_name_match => {
            // Same family name, other given name: maybe a household member (30–59).
            let sim = jw(&ta[0].text, &tb[0].text);
            return outcome(
                (35.0 + 20.0 * sim).round() as u32 - order_cost,
                Level::LastNameOnly,
                flags,
            );
        }
        (true, false) if flags.first_name_match => {
            // Same given name, other surname: maiden/married name or a namesake (30–59).
            let sim = jw(&a_last.text, &b_last.text);
            let bonus = if !ma.is_empty() && ma == mb { 5.0 } else { 0.0 };
            // A shared given name alone is common among strangers: the bottom of the band.
            let s = (30.0 + bonus + 25.0 * ((sim - 0.5) / 0.5).clamp(0.0, 1.0)).round() as u32 - order_cost;
            return outcome(s.min(59), Level::FirstNameOnly, flags);
        }
        _ => return no_match(ta, tb, flags),
    }
    costs.push(g.cost());
    costs.push(s.cost());
    let mut nickname = g == Rel::Nickname;
    let vietnamese = [ta, tb]
        .iter()
        .any(|ts| ts.iter().any(|t| VIETNAMESE_SURNAMES.contains(&t.text.as_str())));
    middle_costs(ma, mb, vietnamese, &mut costs, &mut nickname);
    costs.extend(suffix_cost(a.suffix, b.suffix));
    if order_cost > 0 {
        costs.push((order_cost, Level::Reordered));
    }
    let total: u32 = costs.iter().map(|c| c.0).sum();
    // The level is the costliest difference; ties keep the earlier (given, surname, middle…).
    let level = costs
        .iter()
        .filter(|c| c.0 > 0)
        .fold((0, Level::Exact), |acc, c| if c.0 > acc.0 { *c } else { acc })
        .1;
    // A related given name and surname always rank above household/namesake levels (≥ 60).
    let score = 100u32.saturating_sub(total).clamp(60, 99);
    outcome(
        score,
        level,
        Flags {
            nickname_match: nickname,
            ..flags
        },
    )
}

fn is_strong(r: Rel) -> bool {
    matches!(r, Rel::Exact | Rel::Transliterated | Rel::Typo(_))
}

fn surname_part_cost(compound: bool) -> (u32, Level) {
    let p = if compound {
        penalty::COMPOUND_PART_MISSING
    } else {
        penalty::SURNAME_PART_MISSING
    };
    (p, Level::SurnamePartMissing)
}

/// Middle names: aligned in order; leftovers on the longer side are "missing".
fn middle_costs(ma: &[&Token], mb: &[&Token], vietnamese: bool, costs: &mut Vec<(u32, Level)>, nickname: &mut bool) {
    let (short, long) = if ma.len() <= mb.len() { (ma, mb) } else { (mb, ma) };
    let particle =
        |t: &Token| PARTICLES.contains(&t.text.as_str()) && !(vietnamese && matches!(t.text.as_str(), "van" | "thi"));
    let mut used = [false; 8];
    for s in short {
        let found = long.iter().enumerate().take(8).find_map(|(i, l)| {
            let r = rel(s, l, true);
            (!used[i] && r.related()).then_some((i, r))
        });
        match found {
            Some((i, r)) => {
                used[i] = true;
                costs.push(match r {
                    Rel::Exact | Rel::Diff => (0, Level::Exact),
                    Rel::Initial => (penalty::MIDDLE_INITIAL_VS_FULL, Level::MiddleInitialDiffers),
                    Rel::Transliterated => (penalty::TRANSLITERATED, Level::Transliterated),
                    Rel::Typo(p) => (p / 2, Level::Typo),
                    Rel::Nickname => {
                        *nickname = true;
                        (penalty::MIDDLE_NICKNAME, Level::Nickname)
                    }
                });
            }
            None => {
                let other = (0..long.len().min(8)).find(|i| !used[*i]);
                if let Some(i) = other {
                    used[i] = true;
                }
                // Two particles (van der / van den) differ by a letter, not a person.
                if particle(s) && other.is_some_and(|i| particle(long[i])) {
                    costs.push((penalty::PARTICLE_MISSING, Level::MiddleNameDiffers));
                } else {
                    costs.push((penalty::MIDDLE_CONFLICT, Level::MiddleNameDiffers));
                }
            }
        }
    }
    for (i, l) in long.iter().enumerate().take(8) {
        if used[i] {
            continue;
        }
        costs.push(if l.text.len() == 1 {
            (penalty::MIDDLE_INITIAL_MISSING, Level::MiddleInitialDiffers)
        } else if particle(l) {
            (penalty::PARTICLE_MISSING, Level::MiddleNameMissing)
        } else {
            (penalty::MIDDLE_MISSING, Level::MiddleNameMissing)
        });
    }
}

/// One side is a single name (mononym, or only a surname/given name was given).
fn compare_single(a: &Person, b: &Person) -> FieldScore {
    let (ta, tb) = (&a.tokens, &b.tokens);
    if ta.len() == 1 && tb.len() == 1 {
        let r = rel(&ta[0], &tb[0], true);
        let flags = Flags {
            nickname_match: r == Rel::Nickname,
            first_name_match: r.related(),
            ..Flags::default()
        };
        return match r {
            Rel::Exact | Rel::Transliterated | Rel::Typo(_) | Rel::Nickname => {
                let (cost, level) = r.cost();
                let suffix = suffix_cost(a.suffix, b.suffix).map_or(0, |s| s.0);
                outcome(100 - cost - suffix, level, flags)
            }
            Rel::Initial | Rel::Diff => no_match(ta, tb, flags),
        };
    }
    let (single, multi) = if ta.len() == 1 { (&ta[0], tb) } else { (&tb[0], ta) };
    let last = multi.len() - 1;
    let best = multi
        .iter()
        .enumerate()
        .map(|(i, t)| (i, rel(single, t, i == 0)))
        .filter(|(_, r)| !matches!(r, Rel::Diff | Rel::Initial))
        .min_by_key(|(_, r)| r.cost().0);
    match best {
        Some((i, r)) => {
            let flags = Flags {
                nickname_match: r == Rel::Nickname,
                first_name_match: i == 0,
                last_name_match: i == last,
                ..Flags::default()
            };
            // Half the relation's cost: the missing rest of the name already caps it at 60.
            outcome(60 - r.cost().0 / 2, Level::PartialName, flags)
        }
        None => no_match(ta, tb, Flags::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(owner: &str, provided: &str) -> u8 {
        score_name(Some(owner), provided).match_score.unwrap()
    }

    #[test]
    fn calibration_anchors() {
        assert_eq!(s("Jennifer Rosen", "Jenny Rosen"), 85);
        assert!((60..=69).contains(&s("Jenny Jane Rosen", "Jennifer Rosen")));
        assert!((70..=84).contains(&s("Jenny Jane Rosen", "Jenny Rosen")));
    }

    #[test]
    fn levels_explain() {
        assert_eq!(score_name(Some("Jennifer Rosen"), "Jenny Rosen").level, Level::Nickname);
        assert_eq!(
            score_name(Some("Jenny Jane Rosen"), "Jenny Rosen").level,
            Level::MiddleNameMissing
        );
        assert_eq!(score_name(Some("Jenny Rosen"), "Mark Rosen").level, Level::LastNameOnly);
        assert_eq!(score_name(None, "Jenny Rosen").level, Level::Missing);
    }

    // Cases of the kinds the third held-out set found, but none of its rows: the rules must
    // hold beyond the examples that prompted them.
    #[test]
    fn lookalike_strangers_stay_low() {
        assert!(s("Maria Garcia", "Maria Lopez") <= 40, "a shared first name only");
        assert!(
            s("Robert James Brown", "Robert Lee Brown") < 70,
            "conflicting middle names"
        );
        assert!(
            s("Garcia Holdings Inc", "Maria Garcia") <= 40,
            "a business is not the person"
        );
        assert!(
            s("Maria Garcia", "Maria Garcias") >= 85,
            "a typo in the surname is not a stranger"
        );
    }

    // Kinds the fourth held-out set found, on fresh names.
    #[test]
    fn business_forms_however_written() {
        assert!(s("Jones & Daughters Co.", "Jones and Daughters Company") >= 95);
        assert!(s("The Green Leaf Tea Company", "Green Leaf Tea Co") >= 90);
        assert!(s("Jones & Daughters Co.", "Jones Hardware Co.") < 70);
    }

    #[test]
    fn trade_names_trusts_and_estates() {
        assert!(s("Omar Haddad DBA Haddad Auto Repair", "Haddad Auto Repair") >= 70);
        assert!(s("Omar Haddad d/b/a Haddad Auto Repair", "Omar Haddad") >= 90);
        let trust = s("Maria L. Chen Irrevocable Trust", "Maria L Chen");
        assert!((60..=90).contains(&trust), "{trust}");
        let estate = s("Estate of Walter Brooks", "Walter Brooks");
        assert!((50..=85).contains(&estate), "{estate}");
        assert!(s("Estate of Walter Brooks", "Linda Brooks") < 50);
    }

    #[test]
    fn spelling_variants_need_few_edits() {
        assert!(s("Daniel Ortiz", "Danielle Ortiz") < 70, "two names, not a typo");
        assert!(s("Aleksei Smirnov", "Alexei Smirnov") >= 80);
    }

    #[test]
    fn particles_articles_and_order() {
        assert!(s("Karim ibn Said Al-Rashid", "Karim bin Said Al-Rashid") >= 90);
        assert!(
            s("Hassan Al-Qasimi", "Hasan Alqasimi") >= 85,
            "a typo and the article joined"
        );
        assert!((80..=99).contains(&s("Anna de la Cruz", "Anna de le Cruz")));
        assert!((70..=99).contains(&s("Maria Jose Ruiz Soto", "Maria Jose Soto Ruiz")));
        let vietnamese = s("Pham Van Long", "Long Pham");
        assert!(
            (60..=90).contains(&vietnamese),
            "Van is a middle name here: {vietnamese}"
        );
        assert!(
            s("Ludwig van Beethoven", "Ludwig Beethoven") >= 90,
            "and a particle here"
        );
    }

    #[test]
    fn hyphenated_given_name_read_surname_first() {
        assert!(s("Lee Seo-yeon", "Seoyeon Lee") >= 90);
        assert!(s("Park Ji-hoon", "Ji-hoon Park") >= 90);
    }
}
