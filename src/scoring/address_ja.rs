//! Japanese addresses written in Japanese script ("〒100-0005 東京都千代田区丸の内1-9-1").
//!
//! They have no spaces and run from large to small: postal code after 〒, prefecture (ending
//! in 都/道/府/県), city or ward (ending in 市/区/町/村, or a district 郡 and its town), then the
//! town (丸の内) and its block numbers, written "1-9-1" or "1丁目9番1号". The generic parser
//! cannot cut such a line, and folding to ASCII would read the kanji as Chinese, so this module
//! parses them into the same components and keeps the names in Japanese script: names then
//! compare equal to the same kanji, and are recognised as not comparable with romaji (no
//! reading dictionary here) while postal code, prefecture and numbers still compare.

use unicode_normalization::UnicodeNormalization;

use super::address_data::{country_code, prefecture_prefix};
use super::address_parse::{Addr, Word, normalize_postal};
use super::normalize::is_kana;

/// CJK ideographs (kanji), the common and extension-A blocks.
fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々')
}

/// True when the text is written in Japanese script: kana or the postal mark 〒, or kanji in
/// an address known (or starting with a prefecture) to be in Japan.
pub fn is_japanese(text: &str, country: Option<&str>) -> bool {
    if text.is_ascii() {
        return false;
    }
    if text.chars().any(|c| is_kana(c) || c == '〒') {
        return true;
    }
    text.chars().any(is_kanji) && (country == Some("JP") || prefecture_prefix(head(&normalise(text)).2).is_some())
}

/// Country (日本, before or after the postal code) and postal code at the start of a
/// normalised line; returns them and the rest.
fn head(s: &str) -> (Option<&'static str>, Option<String>, &str) {
    let (mut country, mut postal, mut rest) = (None, None, s);
    for _ in 0..2 {
        for name in ["日本国", "日本"] {
            if let Some(r) = rest.strip_prefix(name) {
                country = country_code(name);
                rest = r;
            }
        }
        if postal.is_none()
            && let Some((p, r)) = leading_postal(rest.trim_start_matches('〒'))
        {
            postal = Some(p);
            rest = r;
        }
    }
    (country, postal, rest)
}

/// NFKC (full-width digits and dashes to ASCII), without spaces or commas, every dash-like
/// mark between digits as "-".
fn normalise(text: &str) -> String {
    let chars: Vec<char> = text
        .nfkc()
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '、' | '，'))
        .collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let dash = matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | 'ー' | '－');
        let after_digit = i > 0 && chars[i - 1].is_ascii_digit();
        if dash && (c == '-' || after_digit) {
            out.push('-');
        } else {
            out.push(c);
        }
    }
    out
}

/// A place name in Japanese script. Its standard form drops a trailing 市/区/町/村, which is
/// often left out ("千代田" / "千代田区").
pub fn place_word(text: &str) -> Word {
    let raw = normalise(text);
    let mut canon = raw.as_str();
    if let Some(stem) = canon
        .strip_suffix(['市', '区', '町', '村'])
        .filter(|s| s.chars().count() >= 2)
    {
        canon = stem;
    }
    Word {
        canon: canon.to_owned(),
        raw,
    }
}

/// A leading postal code "NNN-NNNN" or "NNNNNNN"; returns it and the rest.
fn leading_postal(s: &str) -> Option<(String, &str)> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if digits(0..3) && b.get(3) == Some(&b'-') && digits(4..8) && !b.get(8).is_some_and(u8::is_ascii_digit) {
        return Some((format!("{}{}", &s[..3], &s[4..8]), &s[8..]));
    }
    if digits(0..7) && !b.get(7).is_some_and(u8::is_ascii_digit) {
        return Some((s[..7].to_owned(), &s[7..]));
    }
    None
}

/// The city, ward or district-and-town at the start of `s`: up to the first 市/区/町/村 that
/// is not the name's first character; a district (郡) runs on to its town or village, and a
/// designated city (横浜市) takes its ward (中区) when one follows closely.
fn city_prefix(s: &str) -> Option<(&str, &str)> {
    let idx: Vec<(usize, char)> = s.char_indices().collect();
    let end_of = |k: usize| idx.get(k + 1).map_or(s.len(), |(b, _)| *b);
    let k = (1..idx.len()).find(|&k| matches!(idx[k].1, '市' | '区' | '町' | '村' | '郡'))?;
    let mut end = k;
    match idx[k].1 {
        '郡' => end = (k + 2..idx.len()).find(|&j| matches!(idx[j].1, '町' | '村'))?,
        '市' => {
            if let Some(w) = (k + 2..idx.len().min(k + 6)).find(|&j| idx[j].1 == '区')
                && w + 1 < idx.len()
                && !idx[k + 1..w].iter().any(|(_, c)| c.is_ascii_digit())
            {
                end = w;
            }
        }
        _ => {}
    }
    let cut = end_of(end);
    Some((&s[..cut], &s[cut..]))
}

/// A one-line Japanese address.
pub fn parse_raw(text: &str) -> Addr {
    let s = normalise(text);
    let (country, postal, mut rest) = head(&s);
    let mut addr = Addr {
        country: country.map(str::to_owned),
        postal: postal.as_deref().and_then(normalize_postal),
        ..Addr::default()
    };
    if let Some((code, r)) = prefecture_prefix(rest) {
        addr.state = Some(code.to_owned());
        rest = r;
    }
    if let Some((city, r)) = city_prefix(rest) {
        addr.city = vec![place_word(city)];
        rest = r;
    }
    parse_line(rest, &mut addr);
    addr
}

/// The value of a kanji numeral (一 … 九十九), as written before 丁目.
fn kanji_number(s: &[char]) -> Option<u32> {
    let digit = |c: char| "〇一二三四五六七八九".chars().position(|d| d == c).map(|d| d as u32);
    if s.is_empty() {
        return None;
    }
    if let Some(t) = s.iter().position(|c| *c == '十') {
        let tens = if t == 0 { 1 } else { digit(s[0]).filter(|_| t == 1)? };
        let units = match &s[t + 1..] {
            [] => 0,
            [u] => digit(*u)?,
            _ => return None,
        };
        return Some(tens * 10 + units);
    }
    s.iter().try_fold(0, |n, c| Some(n * 10 + digit(*c)?))
}

/// Block numbers written out (一丁目, 9番, 1号, 9番地の1) as dashes ("1-9-1").
fn block_dashes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let next = chars.get(i + 1).copied();
        let prev_num = out.last().is_some_and(|c| c.is_ascii_digit());
        match (chars[i], next) {
            ('丁', Some('目')) => {
                // A kanji numeral before 丁目 becomes digits.
                let start = out
                    .iter()
                    .rposition(|c| !"〇一二三四五六七八九十".contains(*c))
                    .map_or(0, |p| p + 1);
                if let Some(n) = kanji_number(&out[start..]) {
                    out.truncate(start);
                    out.extend(n.to_string().chars());
                }
                out.push('-');
                i += 2;
            }
            ('番', Some('地')) if prev_num => {
                out.push('-');
                i += 2;
            }
            ('番' | '号', _) if prev_num => {
                out.push('-');
                i += 1;
            }
            ('の', Some(n)) if n.is_ascii_digit() && (prev_num || out.last() == Some(&'-')) => {
                out.push('-');
                i += 1;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out.into_iter().collect()
}

/// Town, block numbers and the rest (building, room) of a Japanese street line: the town is
/// the street, the block numbers the house number, digits after them the unit.
pub fn parse_line(text: &str, addr: &mut Addr) {
    let s = block_dashes(&normalise(text));
    let start = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
    let town = s[..start].trim_end_matches('-');
    if !town.is_empty() {
        addr.street = vec![Word {
            raw: town.to_owned(),
            canon: town.to_owned(),
        }];
    }
    let after = &s[start..];
    let end = after
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(after.len());
    let mut house = String::with_capacity(end);
    for c in after[..end].chars() {
        // "9--1" (番地の) counts as one separator.
        if !(c == '-' && (house.is_empty() || house.ends_with('-'))) {
            house.push(c);
        }
    }
    let house = house.trim_end_matches('-');
    if !house.is_empty() {
        addr.house = Some(house.to_owned());
    }
    let unit: String = after[end..].chars().filter(char::is_ascii_alphanumeric).collect();
    if unit.bytes().any(|b| b.is_ascii_digit()) {
        addr.unit = Some(unit.to_ascii_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_lines() {
        let a = parse_raw("〒530-0001 大阪府大阪市北区梅田3丁目1番3号");
        assert_eq!(a.postal.as_deref(), Some("5300001"));
        assert_eq!(a.state.as_deref(), Some("27"));
        assert_eq!(a.city[0].raw, "大阪市北区");
        assert_eq!(a.street[0].raw, "梅田");
        assert_eq!(a.house.as_deref(), Some("3-1-3"));
        let b = parse_raw("日本 〒０６０－０００１ 北海道札幌市中央区北一条西２丁目１ 札幌ビル５階");
        assert_eq!(b.country.as_deref(), Some("JP"));
        assert_eq!(b.postal.as_deref(), Some("0600001"));
        assert_eq!(b.state.as_deref(), Some("01"));
        assert_eq!(b.city[0].raw, "札幌市中央区");
        assert_eq!(b.house.as_deref(), Some("2-1"));
        assert_eq!(b.unit.as_deref(), Some("5"));
        // A district runs on to its town; 町田市 is a city whose name starts with 町.
        let c = parse_raw("神奈川県足柄下郡箱根町湯本256");
        assert_eq!(c.city[0].raw, "足柄下郡箱根町");
        // No prefecture: 大阪市 is a city, not the prefecture 大阪 and a city 市北区.
        let e = parse_raw("〒530-0001 大阪市北区梅田3丁目1-3");
        assert_eq!((e.state.as_deref(), e.city[0].raw.as_str()), (None, "大阪市北区"));
        let d = parse_raw("東京都町田市森野二丁目2-22");
        assert_eq!(d.city[0].raw, "町田市");
        assert_eq!(d.house.as_deref(), Some("2-2-22"));
    }

    #[test]
    fn block_numbers_written_out() {
        assert_eq!(block_dashes("本町二丁目5番地の3"), "本町2-5--3");
        assert_eq!(kanji_number(&['十', '二']), Some(12));
        assert_eq!(kanji_number(&['二', '十']), Some(20));
        let mut a = Addr::default();
        parse_line("本町二丁目5番地の3", &mut a);
        assert_eq!(a.house.as_deref(), Some("2-5-3"));
    }

    #[test]
    fn detection() {
        assert!(is_japanese("〒100-0005 東京都千代田区丸の内1-9-1", None));
        assert!(is_japanese("大阪府大阪市北区梅田3-1-3", None));
        assert!(is_japanese("梅田3-1-3", Some("JP")));
        assert!(!is_japanese("北京市朝阳区建国路88号", Some("CN")));
        assert!(!is_japanese("12 rue de la Paix", None));
    }
}
