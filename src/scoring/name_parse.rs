//! Name parsing: folds a name string and splits it into people (joint owners), each an ordered
//! list of tokens with titles and degrees dropped, the generational suffix set aside, and
//! business names recognised by their legal form.

use super::normalize::{fold, has_kana};

/// One word of a name, folded to lower-case ASCII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// The token came from kana; compare it through loose keys as well.
    pub kana: bool,
}

/// One person (or business) found in a name string.
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// Name tokens in given-first order (an explicit "Last, First" is already reordered).
    pub tokens: Vec<Token>,
    /// Generational suffix: 1 = Jr/II, 2 = Sr… (see [`suffix_rank`]).
    pub suffix: Option<u8>,
    /// The order was fixed by a comma, so surname-first reinterpretation is not tried.
    pub explicit_order: bool,
    /// The last two tokens were hyphenated (a compound surname such as Smith-Jones).
    pub compound_surname: bool,
    /// A legal-form word was found: compare as a business name.
    pub business: bool,
    /// The canonical legal form (inc, llc, corp, ltd…), if any.
    pub legal_form: Option<&'static str>,
    /// The person a trust or an estate is named after ("John Smith Revocable Trust", "Estate
    /// of Mary Ellis"): the name matches them, but the account holder is another legal entity.
    pub entity: bool,
}

const TITLES: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "rev",
    "reverend",
    "sir",
    "dame",
    "lady",
    "lord",
    "hon",
    "fr",
    "father",
    "capt",
    "col",
    "sgt",
    "lt",
    "herr",
    "frau",
    "mme",
    "mlle",
    "sra",
];

const DEGREES: &[&str] = &[
    "phd", "md", "esq", "cpa", "dds", "dmd", "jd", "mba", "rn", "dvm", "pe", "cfa", "llm",
];

/// Words that mark joint ownership or custodial wording rather than names.
const OWNERSHIP_WORDS: &[&str] = &[
    "jtwros", "jtten", "jt", "ten", "wros", "pod", "ttee", "trustee", "cust", "utma", "ugma", "fbo",
];

/// Legal forms, as (word, canonical form).
const LEGAL_FORMS: &[(&str, &str)] = &[
    ("llc", "llc"),
    ("inc", "inc"),
    ("incorporated", "inc"),
    ("corp", "corp"),
    ("corporation", "corp"),
    ("company", "co"),
    ("ltd", "ltd"),
    ("limited", "ltd"),
    ("llp", "llp"),
    ("lp", "lp"),
    ("plc", "plc"),
    ("pllc", "pllc"),
    ("gmbh", "gmbh"),
    ("ag", "ag"),
    ("sarl", "sarl"),
    ("srl", "srl"),
    ("spa", "spa"),
    ("bv", "bv"),
    ("nv", "nv"),
    ("pty", "pty"),
    ("kk", "kk"),
    ("trust", "trust"),
    ("estate", "estate"),
    ("foundation", "foundation"),
    ("association", "association"),
];

/// Generational suffixes and their rank: equal ranks agree, different ranks conflict.
pub fn suffix_rank(word: &str) -> Option<u8> {
    Some(match word {
        "jr" | "junior" | "ii" | "2nd" => 1,
        "sr" | "senior" => 2,
        "iii" | "3rd" => 3,
        "iv" | "4th" => 4,
        _ => return None,
    })
}

fn legal_form(word: &str) -> Option<&'static str> {
    LEGAL_FORMS.iter().find(|(w, _)| *w == word).map(|(_, c)| *c)
}

/// "Acme, L.L.C." is Acme LLC: a legal form spelt with dots ends the name. Dotted letters read
/// as initials otherwise, so only a last word of three or more dotted single letters that
/// spell a legal form is joined (two-letter forms such as "L.P." stay initials).
fn undot_legal_form(folded: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = folded.trim_end();
    let start = trimmed.rfind([' ', ',']).map_or(0, |i| i + 1);
    let tail = &trimmed[start..];
    let bytes = tail.as_bytes();
    let alternating = bytes
        .iter()
        .enumerate()
        .all(|(i, b)| if i % 2 == 0 { b.is_ascii_lowercase() } else { *b == b'.' });
    if !alternating || bytes.len() < 5 {
        return std::borrow::Cow::Borrowed(folded);
    }
    let letters: String = tail.chars().filter(|c| *c != '.').collect();
    if legal_form(&letters).is_some() {
        std::borrow::Cow::Owned(format!("{} {letters}", &trimmed[..start]))
    } else {
        std::borrow::Cow::Borrowed(folded)
    }
}

/// Japanese corporate markers (株式会社, (株), (カ), カ)) checked before folding.
fn japanese_business(raw: &str) -> bool {
    raw.contains("株式会社") || raw.contains("(株)") || raw.contains("（株）") || raw.contains("カ)")
}

/// Parses a name string into the people it names (usually one).
pub fn parse(raw: &str) -> Vec<Person> {
    let kana = has_kana(raw);
    let jp_business = kana && japanese_business(raw);
    let folded = fold(raw);
    let words = words(&undot_legal_form(&folded));
    let mut people: Vec<Person> = Vec::with_capacity(1);
    // "Rosa Delgado DBA Delgado's Bakery": the owner and the trade name, each matched alone.
    for part in split_trade_name(&words) {
        let business = jp_business || is_business(part);
        if business {
            let entity = business_person(part, kana);
            people.extend(entity_person(part, &entity, kana));
            people.push(entity);
            continue;
        }
        for owner in split_owners(part) {
            let person = person_from(owner, kana);
            if !person.tokens.is_empty() {
                people.push(person);
            }
        }
    }
    share_surnames(&mut people);
    people
}

/// A legal-form word anywhere, or a trailing "Co" ("Smith & Sons Co."; elsewhere "co" may
/// be a name).
fn is_business(words: &[Word]) -> bool {
    words.iter().any(|w| legal_form(&w.text).is_some()) || (words.len() >= 2 && words[words.len() - 1].text == "co")
}

/// Splits at "DBA" / "d/b/a" (doing business as), when words stand on both sides.
fn split_trade_name(words: &[Word]) -> Vec<&[Word]> {
    let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    let found = (1..texts.len()).find_map(|i| {
        if texts[i] == "dba" {
            Some((i, i + 1))
        } else if texts[i..].starts_with(&["d", "b", "a"]) {
            Some((i, i + 3))
        } else {
            None
        }
    });
    match found {
        Some((at, rest)) if rest < words.len() => vec![&words[..at], &words[rest..]],
        _ => vec![words],
    }
}

/// Words of a trust's or an estate's name that are not the person's name.
const ENTITY_WORDS: &[&str] = &[
    "trust",
    "estate",
    "of",
    "the",
    "revocable",
    "irrevocable",
    "revoc",
    "irrev",
    "living",
    "family",
    "declaration",
    "dated",
    "dtd",
    "agreement",
    "ua",
    "deceased",
    "decd",
    "dec",
];

/// For a trust or an estate, the person it is named after ("John A Smith Revocable Living
/// Trust" → John A Smith), when two to four name words remain.
fn entity_person(words: &[Word], entity: &Person, kana: bool) -> Option<Person> {
    if !matches!(entity.legal_form, Some("trust" | "estate")) {
        return None;
    }
    let name: Vec<&Word> = words
        .iter()
        .filter(|w| !ENTITY_WORDS.contains(&w.text.as_str()) && !is_dropped(&w.text))
        .filter(|w| !w.text.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    if !(2..=4).contains(&name.len()) {
        return None;
    }
    let tokens = name
        .iter()
        .map(|w| Token {
            text: w.text.clone(),
            kana,
        })
        .collect();
    Some(Person {
        tokens,
        entity: true,
        ..Person::default()
    })
}

/// A raw word with the punctuation that follows it.
#[derive(Debug)]
struct Word {
    text: String,
    /// Joint-owner separator before this word (&, /, +, ;, "and", "or").
    separator_before: bool,
    /// A comma directly follows this word.
    comma_after: bool,
    /// A hyphen joined this word to the next one.
    hyphen_after: bool,
}

fn words(folded: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::with_capacity(4);
    let mut current = String::new();
    let mut separator = false;
    let flush = |current: &mut String, out: &mut Vec<Word>, separator: &mut bool| {
        if !current.is_empty() {
            let mut text = std::mem::take(current);
            // "ibn" and "bin" are the same word (son of), transliterated two ways.
            if text == "ibn" {
                text.replace_range(.., "bin");
            }
            // "and"/"or" join two owners only when a name came before them.
            if (text == "and" || text == "or") && !out.is_empty() {
                *separator = true;
                return;
            }
            out.push(Word {
                text,
                separator_before: *separator,
                comma_after: false,
                hyphen_after: false,
            });
            *separator = false;
        }
    };
    for c in folded.chars() {
        match c {
            'a'..='z' | '0'..='9' => current.push(c),
            // Apostrophes join (O'Brien = OBrien), like the banks that drop them.
            '\'' | '`' | '"' => {}
            // The Arabic article is one word with its name: Al-Harbi is Alharbi.
            '-' if current == "al" || current == "el" => {}
            '-' => {
                flush(&mut current, &mut out, &mut separator);
                if let Some(last) = out.last_mut() {
                    last.hyphen_after = true;
                }
            }
            ',' => {
                flush(&mut current, &mut out, &mut separator);
                if let Some(last) = out.last_mut() {
                    last.comma_after = true;
                }
            }
            '&' | '/' | '+' | ';' => {
                flush(&mut current, &mut out, &mut separator);
                separator = true;
            }
            _ => flush(&mut current, &mut out, &mut separator),
        }
    }
    flush(&mut current, &mut out, &mut separator);
    out
}

fn split_owners(words: &[Word]) -> Vec<&[Word]> {
    let mut parts = Vec::with_capacity(1);
    let mut start = 0;
    for (i, w) in words.iter().enumerate() {
        if w.separator_before && i > start {
            parts.push(&words[start..i]);
            start = i;
        }
    }
    if start < words.len() {
        parts.push(&words[start..]);
    }
    parts
}

fn is_dropped(word: &str) -> bool {
    DEGREES.contains(&word) || OWNERSHIP_WORDS.contains(&word)
}

fn person_from(words: &[Word], kana: bool) -> Person {
    let mut person = Person::default();
    // "Last, First Middle": reorder unless everything after the comma is a suffix or degree.
    let comma = words.iter().position(|w| w.comma_after);
    let (head, tail) = match comma {
        Some(i) => (&words[..=i], &words[i + 1..]),
        None => (words, &words[..0]),
    };
    let tail_is_name = tail
        .iter()
        .any(|w| suffix_rank(&w.text).is_none() && !is_dropped(&w.text));
    let ordered: Vec<&Word> = if tail_is_name {
        person.explicit_order = true;
        tail.iter().chain(head.iter()).collect()
    } else {
        words.iter().collect()
    };
    let mut leading = true;
    for (i, w) in ordered.iter().enumerate() {
        if leading && TITLES.contains(&w.text.as_str()) && ordered.len() - i > 1 {
            continue;
        }
        leading = false;
        if is_dropped(&w.text) {
            continue;
        }
        if !person.tokens.is_empty()
            && let Some(rank) = suffix_rank(&w.text)
        {
            person.suffix = Some(rank);
            continue;
        }
        person.tokens.push(Token {
            text: w.text.clone(),
            kana,
        });
    }
    // Only titles/ownership words ("JT", "Mr"): keep them rather than lose the name.
    if person.tokens.is_empty() {
        person.tokens = ordered
            .iter()
            .map(|w| Token {
                text: w.text.clone(),
                kana,
            })
            .collect();
    }
    // Compound surname: the last two name tokens were written with a hyphen.
    let n = person.tokens.len();
    if n >= 3 {
        let last_two = (&person.tokens[n - 2].text, &person.tokens[n - 1].text);
        person.compound_surname = ordered
            .windows(2)
            .any(|p| p[0].hyphen_after && &p[0].text == last_two.0 && &p[1].text == last_two.1);
    }
    person
}

/// "Jenny & Mark Rosen": a one-word person before a full name borrows its surname.
fn share_surnames(people: &mut [Person]) {
    for i in 0..people.len() {
        if people[i].tokens.len() != 1 {
            continue;
        }
        let donor = people[i + 1..]
            .iter()
            .find(|p| p.tokens.len() >= 2)
            .and_then(|p| p.tokens.last().cloned());
        if let Some(surname) = donor {
            people[i].tokens.push(surname);
        }
    }
}

fn business_person(words: &[Word], kana: bool) -> Person {
    let mut person = Person {
        business: true,
        ..Person::default()
    };
    for w in words {
        if let Some(form) = legal_form(&w.text) {
            person.legal_form = Some(form);
        } else if w.text == "co" {
            // "Co." is Company: the same legal form, however written.
            person.legal_form = person.legal_form.or(Some("co"));
        } else if !matches!(w.text.as_str(), "the" | "and" | "of") {
            person.tokens.push(Token {
                text: w.text.clone(),
                kana,
            });
        }
    }
    // A name that is only a legal-form word ("LP") is compared as that word.
    if person.tokens.is_empty()
        && let Some(w) = words.first()
    {
        person.tokens.push(Token {
            text: w.text.clone(),
            kana,
        });
    }
    person
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(p: &Person) -> Vec<&str> {
        p.tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn joint_owners_share_surname() {
        let people = parse("Jenny & Mark Rosen");
        assert_eq!(people.len(), 2);
        assert_eq!(texts(&people[0]), ["jenny", "rosen"]);
        assert_eq!(texts(&people[1]), ["mark", "rosen"]);
    }

    #[test]
    fn comma_titles_suffixes() {
        let p = &parse("Rosen, Jenny Jane")[0];
        assert_eq!(texts(p), ["jenny", "jane", "rosen"]);
        assert!(p.explicit_order);
        let p = &parse("Dr. Robert Smith, Jr.")[0];
        assert_eq!(texts(p), ["robert", "smith"]);
        assert_eq!(p.suffix, Some(1));
        let p = &parse("Mary Smith-Jones")[0];
        assert_eq!(texts(p), ["mary", "smith", "jones"]);
        assert!(p.compound_surname);
    }

    #[test]
    fn business_detection() {
        let p = &parse("Acme Widgets, Inc.")[0];
        assert!(p.business);
        assert_eq!(p.legal_form, Some("inc"));
        assert_eq!(texts(p), ["acme", "widgets"]);
        assert!(parse("Johnson & Johnson LLC")[0].business);
        let dotted = &parse("Acme Widgets, L.L.C.")[0];
        assert_eq!(dotted.legal_form, Some("llc"));
        assert_eq!(texts(dotted), ["acme", "widgets"]);
        // Two dotted letters stay initials: a surname-first person, not a partnership.
        let initials = &parse("Smith, L.P.")[0];
        assert!(!initials.business);
        assert_eq!(texts(initials), ["l", "p", "smith"]);
    }
}
