//! Email scoring: canonical forms (case, `mailto:`, display names, trailing dots, provider
//! rules for Gmail dots, googlemail.com and plus tags), then ordered levels from "same
//! mailbox" down to "only the domain in common".

use std::borrow::Cow;

use super::normalize::{fold, jw, lev_sim, osa};
use super::{FieldScore, Flags, Level, is_blank};

/// Free-mail providers: sharing one of these domains is almost no evidence of a relation,
/// unlike a shared company domain. Hand-written list of the largest providers.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.co.jp",
    "ymail.com",
    "hotmail.com",
    "hotmail.co.uk",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "t-online.de",
    "mail.com",
    "mail.ru",
    "yandex.ru",
    "yandex.com",
    "qq.com",
    "163.com",
    "126.com",
    "zoho.com",
    "fastmail.com",
    "hey.com",
    "comcast.net",
    "verizon.net",
    "att.net",
    "sbcglobal.net",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "libero.it",
    "naver.com",
    "docomo.ne.jp",
    "rediffmail.com",
];

/// Role mailboxes: the same generic local part on two domains says little.
const GENERIC_LOCALS: &[&str] = &[
    "info",
    "admin",
    "contact",
    "sales",
    "support",
    "hello",
    "office",
    "mail",
    "billing",
    "accounts",
    "team",
    "noreply",
    "help",
    "finance",
    "hr",
    "webmaster",
];

/// Provider whose mailboxes ignore dots in the local part.
fn ignores_dots(domain: &str) -> bool {
    domain == "gmail.com"
}

struct Email<'a> {
    /// Local part as written (lower-cased), without a plus tag.
    local: &'a str,
    /// Local part with separators removed: jenny.rosen → jennyrosen.
    bare: String,
    /// Domain with aliases resolved (googlemail.com → gmail.com) and no trailing dot.
    domain: &'a str,
    /// The provider's canonical mailbox (Gmail: dots removed).
    mailbox: Cow<'a, str>,
}

fn strip_wrapping(input: &str) -> &str {
    let s = input.trim();
    let s = match (s.rfind('<'), s.rfind('>')) {
        (Some(i), Some(j)) if i < j => &s[i + 1..j],
        _ => s,
    };
    let s = s.trim();
    s.strip_prefix("mailto:")
        .or_else(|| s.strip_prefix("MAILTO:"))
        .unwrap_or(s)
        .trim()
}

fn parse(text: &str) -> Option<Email<'_>> {
    let (local, domain) = text.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    if local.is_empty() || domain.is_empty() || local.contains(char::is_whitespace) {
        return None;
    }
    let domain = if domain == "googlemail.com" {
        "gmail.com"
    } else {
        domain
    };
    // Plus addressing (RFC 5233 subaddress) names the same mailbox on nearly every provider.
    let local = local.split_once('+').map_or(local, |(l, _)| l);
    let bare: String = local.chars().filter(|c| !matches!(c, '.' | '_' | '-')).collect();
    let mailbox = if ignores_dots(domain) {
        Cow::Owned(local.replace('.', ""))
    } else {
        Cow::Borrowed(local)
    };
    Some(Email {
        local,
        bare,
        domain,
        mailbox,
    })
}

/// Scores an email pair. `owner` is the bank's email.
pub fn score_email(owner: Option<&str>, provided: &str) -> FieldScore {
    if is_blank(owner) {
        return FieldScore::missing();
    }
    let owner = ascii_domain(strip_wrapping(owner.unwrap_or_default()));
    let provided = ascii_domain(strip_wrapping(provided));
    let owner = fold(&owner);
    let provided = fold(&provided);
    let owner = owner.trim_end_matches('.');
    let provided = provided.trim_end_matches('.');
    if owner == provided {
        return FieldScore::new(
            100,
            Level::Exact,
            Flags {
                domain_match: true,
                ..Flags::default()
            },
        );
    }
    match (parse(owner), parse(provided)) {
        (Some(a), Some(b)) => compare(&a, &b),
        _ => fallback(owner, provided, Flags::default()),
    }
}

/// An internationalised domain in its ASCII (punycode) form, as mail servers compare it:
/// anna@bücher.de is anna@xn--bcher-kva.de (IDNA through the `url` crate).
fn ascii_domain(text: &str) -> Cow<'_, str> {
    match text.rsplit_once('@') {
        Some((local, domain)) if !domain.is_ascii() => match url::Host::parse(domain) {
            Ok(url::Host::Domain(ascii)) => Cow::Owned(format!("{local}@{ascii}")),
            _ => Cow::Borrowed(text),
        },
        _ => Cow::Borrowed(text),
    }
}

/// Nothing in common: up to 14 from whole-string similarity, so near-misses still rank.
fn fallback(a: &str, b: &str, flags: Flags) -> FieldScore {
    FieldScore::new((14.5 * lev_sim(a, b)).round() as u8, Level::NoMatch, flags)
}

/// Maps a Jaro-Winkler similarity from [floor, 1] onto [lo, hi].
fn scale(sim: f64, floor: f64, lo: f64, hi: f64) -> u8 {
    let t = ((sim - floor) / (1.0 - floor)).clamp(0.0, 1.0);
    (lo + (hi - lo) * t).round() as u8
}

fn compare(a: &Email<'_>, b: &Email<'_>) -> FieldScore {
    let same_domain = a.domain == b.domain;
    let flags = Flags {
        domain_match: same_domain,
        ..Flags::default()
    };
    if same_domain && a.mailbox == b.mailbox {
        return FieldScore::new(97, Level::ProviderAlias, flags);
    }
    let same_bare = a.bare == b.bare && !a.bare.is_empty();
    let domain_close = !same_domain && domains_close(a.domain, b.domain);
    let local_sim = jw(&a.bare, &b.bare);
    if same_domain && same_bare {
        return FieldScore::new(92, Level::SeparatorsDiffer, flags);
    }
    if same_domain && local_typo(&a.bare, &b.bare) {
        return FieldScore::new(88, Level::Typo, flags);
    }
    if domain_close && same_bare {
        return FieldScore::new(88, Level::DomainTypo, flags);
    }
    if same_domain || domain_close {
        if extended(&a.bare, &b.bare) {
            return FieldScore::new(scale(local_sim, 0.88, 70.0, 84.0), Level::LocalExtended, flags);
        }
        if reordered(a.local, b.local) || rotated(&a.bare, &b.bare) {
            return FieldScore::new(82, Level::LocalReordered, flags);
        }
        if initial_form(&a.bare, &b.bare) {
            // jrosen vs jennyrosen: the common "first initial + surname" handle.
            return FieldScore::new(72, Level::LocalSimilar, flags);
        }
        if local_sim >= 0.88 {
            return FieldScore::new(scale(local_sim, 0.88, 70.0, 84.0), Level::LocalSimilar, flags);
        }
    }
    if same_bare {
        // A role mailbox (info@, sales@) at another organisation says little about a person:
        // similar fields, no more (the bottom of the weak band).
        if GENERIC_LOCALS.contains(&a.bare.as_str()) {
            return FieldScore::new(40, Level::DomainDiffers, flags);
        }
        // The same person's handle at another provider (the sample response's 65).
        let short = a.bare.len() <= 3;
        let separators = if a.local != b.local { 2 } else { 0 };
        let score = 65 - if short { 7 } else { 0 } - separators;
        return FieldScore::new(score, Level::DomainDiffers, flags);
    }
    if local_sim >= 0.88 || local_typo(&a.bare, &b.bare) {
        return FieldScore::new(
            scale(local_sim, 0.88, 50.0, 59.0),
            Level::LocalSimilarDomainDiffers,
            flags,
        );
    }
    if !same_domain && (reordered(a.local, b.local) || rotated(&a.bare, &b.bare)) {
        // wei.zhang@163.com / zhangwei@qq.com: the same name, read the other way round, at
        // another provider: a notch under the same handle elsewhere (65).
        return FieldScore::new(55, Level::LocalSimilarDomainDiffers, flags);
    }
    if same_domain && shares_surname_token(a.local, b.local) {
        // okafor.family / daniel.okafor: a shared family name, as a household shares it.
        return FieldScore::new(35, Level::DomainOnly, flags);
    }
    if same_domain {
        let x = ((local_sim - 0.5) / 0.38).clamp(0.0, 1.0);
        let score = if FREE_MAIL.contains(&a.domain) {
            15.0 + 14.0 * x
        } else {
            40.0 + 19.0 * x
        };
        return FieldScore::new(score.round() as u8, Level::DomainOnly, flags);
    }
    let full_a = format!("{}@{}", a.local, a.domain);
    let full_b = format!("{}@{}", b.local, b.domain);
    fallback(&full_a, &full_b, flags)
}

/// A domain typo (gmial.com, example.con, yaho.com) or a subdomain (mail.example.com).
fn domains_close(a: &str, b: &str) -> bool {
    let sub = |x: &str, y: &str| x.len() > y.len() && x.ends_with(y) && x.as_bytes()[x.len() - y.len() - 1] == b'.';
    sub(a, b) || sub(b, a) || (a.len().min(b.len()) >= 5 && osa(a, b) == 1)
}

/// One edit in a local part of five or more characters, unless the edit is an appended digit
/// (jennyrosen1 is a different, numbered handle, scored as "extended").
fn local_typo(a: &str, b: &str) -> bool {
    a.len().min(b.len()) >= 5 && osa(a, b) == 1 && (!extended(a, b) || one_letter_more(a, b))
}

/// tombakerr / tombaker: one stray letter is a slip of the keyboard, while appended digits
/// (jennyrosen1, jennyrosen12345) usually name another mailbox.
fn one_letter_more(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.len() == short.len() + 1 && {
        let extra = if long.starts_with(short) {
            long.as_bytes()[short.len()]
        } else {
            long.as_bytes()[0]
        };
        extra.is_ascii_alphabetic()
    }
}

/// One local part is the other plus trailing digits or a suffix (jennyrosen12345).
fn extended(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 4 && long.len() > short.len() && (long.starts_with(short) || long.ends_with(short))
}

/// One local part is the other's first letter plus its ending (at least four letters):
/// jrosen / jennyrosen.
fn initial_form(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 5
        && long.len() > short.len() + 1
        && short.as_bytes()[0] == long.as_bytes()[0]
        && long.ends_with(&short[1..])
}

/// Same separated tokens in another order: rosen.jenny vs jenny.rosen.
/// The same two parts of at least three letters, swapped without a separator: rosenjenny /
/// jennyrosen.
fn rotated(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a != b
        && (3..=a.len().saturating_sub(3))
            .any(|k| a.is_char_boundary(k) && b.starts_with(&a[k..]) && b.ends_with(&a[..k]))
}

/// Separated local parts sharing a word of four or more letters that stands last on at least
/// one side, where handles put the family name (daniel.okafor). Shared first words
/// (john.smith / john.doe) are common among strangers and do not count.
fn shares_surname_token(a: &str, b: &str) -> bool {
    let (x, y) = (local_words(a), local_words(b));
    if x.len() < 2 || y.len() < 2 {
        return false;
    }
    let last = |v: &[&str], w: &str| v.last() == Some(&w);
    x.iter().any(|w| {
        w.len() >= 4 && w.bytes().all(|c| c.is_ascii_alphabetic()) && y.contains(w) && (last(&x, w) || last(&y, w))
    })
}

fn local_words(local: &str) -> Vec<&str> {
    local.split(['.', '_', '-']).filter(|t| !t.is_empty()).collect()
}

fn reordered(a: &str, b: &str) -> bool {
    let split = |s: &str| -> Vec<String> {
        let mut v: Vec<String> = s
            .split(['.', '_', '-'])
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        v.sort_unstable();
        v
    };
    let (x, y) = (split(a), split(b));
    x.len() >= 2 && x == y
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(owner: &str, provided: &str) -> u8 {
        score_email(Some(owner), provided).match_score.unwrap()
    }

    #[test]
    fn anchors() {
        assert_eq!(s("jennyrosen@test.com", "jennyrosen@example.com"), 65);
        assert_eq!(s("jennyrosen@example.com", "JennyRosen@Example.com"), 100);
        assert!((85..=99).contains(&s("jennyrosen@example.com", "jenny.rosen@example.com")));
        assert!((70..=84).contains(&s("jennyrosen@example.com", "jennyrosen12345@example.com")));
        // One stray letter is a typo; one appended digit is still another handle.
        assert!((85..=99).contains(&s("mariagarcia@acme.org", "mariagarciaa@acme.org")));
        assert!((70..=84).contains(&s("mariagarcia@acme.org", "mariagarcia7@acme.org")));
        assert!((70..=84).contains(&s("smithjohn@acme.org", "johnsmith@acme.org")));
        assert!(
            s("sales@initech.com", "sales@umbrella.com") <= 40,
            "a role mailbox is nobody's"
        );
    }

    // Kinds the fourth held-out set found, on fresh cases.
    #[test]
    fn internationalised_domains_compare_in_ascii() {
        assert!(s("jose@müller.de", "jose@xn--mller-kva.de") >= 95);
        assert!(s("jose@müller.de", "jose@muller.de") < 95, "müller.de is not muller.de");
    }

    #[test]
    fn reversed_names_elsewhere_and_shared_family_names_are_weak() {
        let reversed = s("chen.jing@126.com", "jingchen@gmail.com");
        assert!((40..=65).contains(&reversed), "{reversed}");
        let household = s("mensah.home@gmail.com", "kofi.mensah@gmail.com");
        assert!((30..=59).contains(&household), "{household}");
        assert!(
            s("john.smith@gmail.com", "john.doe@gmail.com") < 30,
            "a shared first name"
        );
    }

    #[test]
    fn provider_rules() {
        assert_eq!(s("j.e.n.n.y.rosen@gmail.com", "jennyrosen+x@googlemail.com"), 97);
        assert_eq!(score_email(Some("a@b.com"), "a@b.com").level, Level::Exact);
        assert_eq!(score_email(Some(" "), "a@b.com").level, Level::Missing);
    }
}
