//! Text normalisation shared by all fields: Unicode folding to lower-case ASCII, loose keys,
//! and the string-similarity primitives (thin wrappers over `strsim`).

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;
use wana_kana::ConvertJapanese;

/// Folds text to lower-case ASCII: NFKC (full-width Latin, half-width kana, ligatures),
/// Japanese kana to Hepburn romaji (`wana_kana`; `deunicode` would give Chinese readings and
/// odd spellings), everything else transliterated by `deunicode` (diacritics, ß→ss, Cyrillic),
/// then ASCII lower-casing. ASCII input takes an allocation-free-ish fast path.
///
/// Punctuation is kept: each field decides what it means (commas in names, dots in emails).
pub fn fold(input: &str) -> Cow<'_, str> {
    if input.is_ascii() {
        if input.bytes().any(|b| b.is_ascii_uppercase()) {
            return Cow::Owned(input.to_ascii_lowercase());
        }
        return Cow::Borrowed(input);
    }
    let nfkc: String = input.nfkc().collect();
    let text = if nfkc.chars().any(is_kana) {
        // The katakana middle dot separates name parts; wana_kana would turn it into "/",
        // which the name parser reads as a joint-owner separator.
        let spaced: String = nfkc.chars().map(|c| if c == '・' { ' ' } else { c }).collect();
        spaced.to_romaji()
    } else {
        nfkc
    };
    let mut out = deunicode::deunicode(&text);
    out.make_ascii_lowercase();
    Cow::Owned(out)
}

/// True for hiragana, katakana (incl. the prolonged sound mark) and half-width katakana.
pub fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}' | '\u{FF66}'..='\u{FF9F}')
}

/// True when the text contains kana (its tokens then get loose-key comparisons).
pub fn has_kana(input: &str) -> bool {
    !input.is_ascii() && input.chars().any(is_kana)
}

/// A loose phonetic key that makes transliteration variants collide: katakana romaji against
/// Latin spellings (jenii/jenny, roozen/rosen, jenifuaa/jennifer) and German umlaut spellings
/// (mueller/muller). Equal keys with different text are scored as "transliterated", never exact.
/// Kept on the stack (names are short; longer words are cut at 40 bytes).
pub fn loose_key(word: &str) -> Key {
    let bytes = word.as_bytes();
    let mut mapped = Key::default();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        let (out, step) = match (c, next) {
            // wana_kana writes ファ/フィ as "fua"/"fui": drop the carrier u.
            (b'f', Some(b'u')) if bytes.get(i + 2).is_some_and(|n| b"aeio".contains(n)) => (b'f', 2),
            (b'p', Some(b'h')) => (b'f', 2),
            (b't', Some(b'h')) => (b's', 2),
            (b'c', Some(b'k')) => (b'k', 2),
            // German umlaut transliterations ue/oe/ae after a consonant fold to the bare vowel.
            (b'u' | b'o' | b'a', Some(b'e')) if i > 0 && !b"aeiou".contains(&bytes[i - 1]) => (c, 2),
            (b'c', _) => (b'k', 1),
            (b'l', _) => (b'r', 1),
            (b'y', _) => (b'i', 1),
            (b'z', _) => (b's', 1),
            (b'v', _) => (b'b', 1),
            _ => (c, 1),
        };
        mapped.push(out);
        i += step;
    }
    // Japanese renders a final "-er"/"-ar" as a long "a" (ジェニファー = jenifaa).
    if mapped.len > 3 && (mapped.ends_with(b"er") || mapped.ends_with(b"ar")) {
        mapped.len -= 2;
        mapped.push(b'a');
    }
    // "-ie" endings (jennie) sound like "-i".
    if mapped.len > 3 && mapped.ends_with(b"ie") {
        mapped.len -= 1;
    }
    // Doubled letters collapse (jenny/jeny, roosen/rosen); only letters and digits remain.
    let mut key = Key::default();
    for &b in mapped.as_bytes() {
        if b.is_ascii_alphanumeric() && key.as_bytes().last() != Some(&b) {
            key.push(b);
        }
    }
    key
}

/// A short ASCII key held inline.
#[derive(Clone, Copy)]
pub struct Key {
    buf: [u8; 40],
    len: usize,
}

impl Key {
    fn push(&mut self, b: u8) {
        if self.len < self.buf.len() {
            self.buf[self.len] = b;
            self.len += 1;
        }
    }

    fn ends_with(&self, tail: &[u8]) -> bool {
        self.as_bytes().ends_with(tail)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever pushed.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.len
    }
}

impl Default for Key {
    fn default() -> Self {
        Self { buf: [0; 40], len: 0 }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Jaro-Winkler similarity (0–1); the name/token metric developed at the US Census Bureau.
pub fn jw(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(a, b)
}

/// Optimal-string-alignment distance: edits where an adjacent transposition counts as one.
pub fn osa(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// Spellings that transliterate one sound two ways made one (Aleksei/Alexei, Stephen/Stefen),
/// so edit counts see real differences.
pub fn spelling_key(name: &str) -> String {
    name.replace("ks", "x").replace("ph", "f").replace("ck", "k")
}

/// Normalised Levenshtein similarity (0–1) for whole-string fallbacks.
pub fn lev_sim(a: &str, b: &str) -> f64 {
    strsim::normalized_levenshtein(a, b)
}

/// A plausible typo between two words: one edit for words of at least five letters, a
/// transposition or a missing letter for four-letter words (a substitution there changes
/// the name: Mark/Mary), two edits from eight letters on, or two edits that only move letters
/// (the same letters scrambled: Jnney/Jenny).
pub fn is_typo(a: &str, b: &str) -> bool {
    let (la, lb) = (a.len(), b.len());
    let min = la.min(lb);
    if min < 4 {
        return false;
    }
    let d = osa(a, b);
    match d {
        0 => false,
        1 if min >= 5 => true,
        1 => la != lb || sorted_eq(a, b),
        2 => min >= 8 || (min >= 5 && la == lb && sorted_eq(a, b)),
        _ => false,
    }
}

fn sorted_eq(a: &str, b: &str) -> bool {
    let mut x: Vec<u8> = a.bytes().collect();
    let mut y: Vec<u8> = b.bytes().collect();
    x.sort_unstable();
    y.sort_unstable();
    x == y
}

/// Penalty for a typo, from Jaro-Winkler: small for long words, larger for short ones.
pub fn typo_penalty(a: &str, b: &str) -> u32 {
    let p = (60.0 * (1.0 - jw(a, b))).round() as u32;
    p.clamp(2, 14)
}

/// Maps Unicode decimal digits (full-width, Arabic-Indic…) to ASCII via NFKC where needed.
pub fn ascii_digits(input: &str) -> Cow<'_, str> {
    if input.is_ascii() {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(input.nfkc().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_scripts() {
        assert_eq!(fold("José García"), "jose garcia");
        assert_eq!(fold("Ｊｅｎｎｙ"), "jenny");
        assert_eq!(fold("ジェニー・ローゼン"), "jenii roozen");
        assert_eq!(fold("ｼﾞｪﾆｰ･ﾛｰｾﾞﾝ"), "jenii roozen");
        assert_eq!(fold("Hauptstraße"), "hauptstrasse");
    }

    #[test]
    fn loose_keys_collide_for_transliterations() {
        assert_eq!(loose_key("jenii"), loose_key("jenny"));
        assert_eq!(loose_key("roozen"), loose_key("rosen"));
        assert_eq!(loose_key("jenifuaa"), loose_key("jennifer"));
        assert_eq!(loose_key("mueller"), loose_key("muller"));
        assert_ne!(loose_key("mark"), loose_key("jenny"));
    }

    #[test]
    fn typo_rules() {
        assert!(is_typo("junny", "jenny"));
        assert!(is_typo("jnney", "jenny"));
        assert!(!is_typo("mark", "mary"));
        assert!(!is_typo("rosen", "rosenberg"));
        assert!(is_typo("jonathan", "jonathon"));
    }
}
