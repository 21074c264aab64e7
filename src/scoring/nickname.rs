//! Given-name nickname relation built from the vendored carltonnorthern/nicknames table
//! (Apache-2.0, see `data/SOURCES.md`) and a short list of our own additions: symmetric,
//! siblings count (Jen and Jenny are both Jennifer), spelling variants of one name count
//! (Stephen and Steven share Steve and spell alike), plus prefix truncations (Jenn, Chris)
//! that the table does not list.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::normalize::{jw, loose_key, osa, spelling_key};

const CSV: &str = include_str!("data/nicknames.csv");
/// Common modern and international diminutives the table lacks; same format.
const EXTRA_CSV: &str = include_str!("data/nicknames_extra.csv");

/// Two full names that share a nickname are spellings of one name only when they also spell
/// alike: Stephen/Steven (Steve), Catherine/Kathryn — but not Alfred/Frederick (Fred).
const VARIANT_MIN_SIMILARITY: f64 = 0.85;
/// …and differ by at most two edits once spelt alike (see [`spelling_key`]): Michael and
/// Michelle share Mickey and look alike, but are two names (a couple, siblings), three edits
/// apart.
const VARIANT_MAX_EDITS: usize = 2;

/// Pairs from the genealogy-derived table that are archaic or wrong for modern records and
/// would create false nickname matches (and, through siblings, chains such as Bill ~ Bob).
const DENY: &[(&str, &str)] = &[
    ("aaron", "erin"),
    ("robert", "bill"),
    ("robert", "billy"),
    ("william", "bob"),
    ("william", "bobby"),
    ("mary", "mae"),
    ("bill", "fred"),
    ("billy", "fred"),
];

/// The groups each name belongs to: a canonical name and its nicknames form one group.
struct Table {
    by_name: HashMap<&'static str, Vec<u16>>,
    /// Pairs of groups (smaller id first) that have a member in common.
    linked: HashSet<(u16, u16)>,
    /// The same, keyed by [`loose_key`], for names that arrived in katakana.
    by_key: HashMap<String, Vec<u16>>,
}

static TABLE: LazyLock<Table> = LazyLock::new(build);

fn build() -> Table {
    let mut canon: HashMap<&'static str, u16> = HashMap::new();
    let mut by_name: HashMap<&'static str, Vec<u16>> = HashMap::new();
    for line in CSV.lines().skip(1).chain(EXTRA_CSV.lines().skip(1)) {
        let mut parts = line.split(',');
        let (Some(name), Some(_), Some(nick)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (name, nick) = (name.trim(), nick.trim());
        // The table lists some pairs in both directions (bill→robert too): deny either way.
        if DENY.contains(&(name, nick)) || DENY.contains(&(nick, name)) {
            continue;
        }
        let next = u16::try_from(canon.len()).unwrap_or(u16::MAX);
        let group = *canon.entry(name).or_insert(next);
        for member in [name, nick] {
            let groups = by_name.entry(member).or_default();
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
    }
    let mut by_key: HashMap<String, Vec<u16>> = HashMap::new();
    for (name, groups) in &by_name {
        let entry = by_key.entry(loose_key(name).as_str().to_owned()).or_default();
        for g in groups {
            if !entry.contains(g) {
                entry.push(*g);
            }
        }
    }
    let mut linked = HashSet::new();
    for groups in by_name.values() {
        for (i, &g) in groups.iter().enumerate() {
            for &h in &groups[i + 1..] {
                linked.insert((g.min(h), g.max(h)));
            }
        }
    }
    Table {
        by_name,
        linked,
        by_key,
    }
}

fn share_group(a: &[u16], b: &[u16]) -> bool {
    a.iter().any(|g| b.contains(g))
}

/// True when the two given names are nickname-related. `kana` says a token came from
/// katakana, whose romaji is matched through loose keys.
pub fn related(a: &str, b: &str, a_kana: bool, b_kana: bool) -> bool {
    if a == b {
        return false;
    }
    if is_prefix_truncation(a, b) || is_prefix_truncation(b, a) {
        return true;
    }
    let t = &*TABLE;
    let lookup = |word: &str, kana: bool| -> Option<&Vec<u16>> {
        if kana {
            t.by_key.get(loose_key(word).as_str())
        } else {
            t.by_name.get(word)
        }
    };
    match (lookup(a, a_kana), lookup(b, b_kana)) {
        (Some(x), Some(y)) => {
            share_group(x, y)
                || (linked(t, x, y)
                    && jw(a, b) >= VARIANT_MIN_SIMILARITY
                    && osa(&spelling_key(a), &spelling_key(b)) <= VARIANT_MAX_EDITS)
        }
        _ => false,
    }
}

/// Whether some group of `a` and some group of `b` have a member in common.
fn linked(t: &Table, a: &[u16], b: &[u16]) -> bool {
    a.iter()
        .any(|&g| b.iter().any(|&h| t.linked.contains(&(g.min(h), g.max(h)))))
}

/// "Jenn" for "Jennifer", "Chris" for "Christopher": at least three letters, and the long form
/// at least two letters longer (so Mar/Mark, a one-letter change, is not a nickname).
fn is_prefix_truncation(short: &str, long: &str) -> bool {
    short.len() >= 3
        && long.len() >= short.len() + 2
        && long.starts_with(short)
        && !FEMININE_ENDINGS.contains(&&long[short.len()..])
}

/// Endings that make another name rather than a longer form: Daniel/Danielle,
/// Gabriel/Gabriella, Jean/Jeanne are two people, not a nickname and its name.
const FEMININE_ENDINGS: &[&str] = &["le", "lle", "la", "lla", "ne", "na", "ette", "ine", "elle"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_pairs_both_directions() {
        for (a, b) in [
            ("robert", "bob"),
            ("elizabeth", "liz"),
            ("william", "bill"),
            ("margaret", "peggy"),
            ("jennifer", "jenny"),
            ("jen", "jenny"),
            ("katherine", "kate"),
            ("richard", "dick"),
            ("anthony", "tony"),
            ("michael", "mike"),
        ] {
            assert!(related(a, b, false, false), "{a}/{b}");
            assert!(related(b, a, false, false), "{b}/{a}");
        }
    }

    #[test]
    fn spelling_variants_and_additions() {
        for (a, b) in [("stephen", "steven"), ("alexander", "sasha"), ("william", "liam")] {
            assert!(related(a, b, false, false), "{a}/{b}");
            assert!(related(b, a, false, false), "{b}/{a}");
        }
        // Fred is both, but they are not one name spelt two ways.
        assert!(!related("alfred", "frederick", false, false));
    }

    #[test]
    fn unrelated_and_denied() {
        assert!(!related("jenny", "mark", false, false));
        assert!(!related("robert", "bill", false, false));
        assert!(!related("jessica", "jennifer", false, false));
    }

    #[test]
    fn katakana_keys() {
        assert!(related("jenifuaa", "jenii", true, true));
        assert!(related("jenifuaa", "jenny", true, false));
    }
}
