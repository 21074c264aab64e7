//! Ownership-match scoring: pure, deterministic 0–100 scores for name, email, phone and address.
//!
//! The owner value is the bank's data (`owner`), the provided value is what the platform sends.
//! Every field follows the same shape (see `docs/scoring.md`): normalise both
//! sides, classify the pair into the first matching *level* (Splink-style ordered, mutually
//! exclusive conditions), let the level fix the band and a continuous similarity place the score
//! inside it. The level that fired is returned with the score so callers can explain it.
//!
//! Bands (SPEC "How the bands read"): 100 exact; 85–99 a few characters off; 70–84 the majority
//! matches; 60–69 partial or nickname; 30–59 weak (e.g. a household member); 0–29 no match.
//! Phones: 100 / 70–99 a digit off or missing / 50–69 other area code / 20–49 only the area
//! code / 0–19 none.
//!
//! Nothing here does I/O (except [`jsonl::run_jsonl`], which takes a reader and a writer), reads
//! a clock or keeps mutable state; the only statics are immutable lookup tables built lazily
//! from vendored data (`data/`, see `data/SOURCES.md`).

mod address;
mod address_data;
mod address_intl;
mod address_ja;
mod address_parse;
mod address_street;
mod email;
pub mod jsonl;
mod name;
mod name_business;
mod name_parse;
mod nickname;
mod normalize;
mod phone;
mod phone_parse;
mod risk;

use serde::{Deserialize, Serialize};

pub use address::score_address;
pub use email::score_email;
pub use jsonl::{run_jsonl, score_json_line};
pub use name::score_name;
pub use phone::score_phone;
pub use risk::{Decision, MatchResults, RiskSummary, Weights, combined_risk};

/// The four owner fields that can be compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Email,
    Phone,
    Address,
}

/// A structured address, as platforms send it (Stripe's `owner_information.address`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[serde(default)]
    pub line1: Option<String>,
    #[serde(default)]
    pub line2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

/// An address value: banks hold one raw line (`raw_address`), platforms send structured data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AddressValue {
    Raw(String),
    Structured(AddressInput),
}

/// Why a score is what it is: the comparison level that fired (first matching level wins).
///
/// Declared roughly from strongest to weakest evidence; the order is also the tie-break in
/// [`best_of`] (an earlier level wins a tie on score), which keeps that function independent of
/// owner order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Identical after normalisation (case, whitespace, diacritics, punctuation, formatting).
    Exact,
    // --- name ---
    /// Same tokens in another order ("Rosen, Jenny", "ROSEN JENNY").
    Reordered,
    /// Same name written in another script or spelling convention (katakana, ü/ue).
    Transliterated,
    /// A generational suffix (Jr., III) on one side only.
    SuffixMissing,
    /// A middle initial on one side only, or an initial against the full middle name.
    MiddleInitialDiffers,
    /// A few characters off in one or more tokens.
    Typo,
    /// A nickname or diminutive of the given name (Bob/Robert, Jenny/Jennifer, Chris/Christopher).
    Nickname,
    /// One part of a compound or double surname missing (Smith-Jones / Smith).
    SurnamePartMissing,
    /// A full middle name present on one side only.
    MiddleNameMissing,
    /// An initial instead of a given name or surname ("J. Rosen").
    Initial,
    /// Both sides have a middle name and they differ.
    MiddleNameDiffers,
    /// Generational suffixes conflict (Jr. vs Sr.): likely father and son.
    SuffixConflict,
    /// One side is a single name that matches part of the other.
    PartialName,
    /// The surname matches, the given name does not: maybe a household member.
    LastNameOnly,
    /// The given name matches, the surname does not (e.g. maiden/married name).
    FirstNameOnly,
    /// Business names that share some words.
    BusinessPartial,
    /// Business names identical apart from the legal form (Inc, LLC, Corp).
    BusinessLegalFormDiffers,
    /// A trust or an estate named after the person: the name matches someone who is not the
    /// account's holder of record.
    TrustOrEstate,
    // --- email ---
    /// Same mailbox under provider rules (Gmail dots, googlemail.com, plus tags).
    ProviderAlias,
    /// Same domain, local parts differ only in separators (jenny.rosen / jennyrosen).
    SeparatorsDiffer,
    /// Same local part, domain a typo or subdomain of the other.
    DomainTypo,
    /// Same domain, the local part extended (appended digits).
    LocalExtended,
    /// Same domain, local tokens reordered (rosen.jenny / jenny.rosen).
    LocalReordered,
    /// Same domain, similar local parts.
    LocalSimilar,
    /// Same local part on another domain.
    DomainDiffers,
    /// Similar local part on another domain.
    LocalSimilarDomainDiffers,
    /// Only the domain is shared.
    DomainOnly,
    // --- phone ---
    /// Same number, extension on one side only or extensions differ.
    ExtensionDiffers,
    /// Two adjacent digits swapped.
    DigitsTransposed,
    /// One digit different.
    DigitOff,
    /// One digit missing or extra.
    DigitMissing,
    /// One side lacks the area code (7-digit local number).
    AreaCodeMissing,
    /// Two digits off within the same area code.
    TwoDigitsOff,
    /// Same subscriber number, other area code.
    AreaCodeDiffers,
    /// Only the area code is the same.
    AreaCodeOnly,
    /// Different country codes.
    CountryCodeDiffers,
    // --- address ---
    /// A unit/floor on one side only.
    UnitMissing,
    /// Street name a few characters off.
    StreetTypo,
    /// City spelled differently or partly (postal code agrees).
    CityDiffers,
    /// Postal code differs or is incomplete.
    PostalCodeDiffers,
    /// Street directional differs (NW / SE).
    DirectionalDiffers,
    /// Units conflict in the same building.
    UnitConflict,
    /// Country differs.
    CountryDiffers,
    /// Other house number on the same street (a neighbour).
    HouseNumberDiffers,
    /// Same street line in another town.
    LocalityDiffers,
    /// Same locality, other street.
    StreetDiffers,
    /// PO box against a street address.
    PoBoxVsStreet,
    /// Nothing meaningful in common.
    NoMatch,
    /// The owner data lacks this field: no score.
    Missing,
}

impl Level {
    /// The snake_case name used in JSON output.
    /// Allocation-free; a unit test checks it agrees with the serde (snake_case) names.
    pub fn as_str(self) -> &'static str {
        level_name(self)
    }
}

fn level_name(level: Level) -> &'static str {
    use Level::*;
    match level {
        Exact => "exact",
        Reordered => "reordered",
        Transliterated => "transliterated",
        SuffixMissing => "suffix_missing",
        MiddleInitialDiffers => "middle_initial_differs",
        Typo => "typo",
        Nickname => "nickname",
        SurnamePartMissing => "surname_part_missing",
        MiddleNameMissing => "middle_name_missing",
        Initial => "initial",
        MiddleNameDiffers => "middle_name_differs",
        SuffixConflict => "suffix_conflict",
        PartialName => "partial_name",
        LastNameOnly => "last_name_only",
        FirstNameOnly => "first_name_only",
        BusinessPartial => "business_partial",
        BusinessLegalFormDiffers => "business_legal_form_differs",
        TrustOrEstate => "trust_or_estate",
        ProviderAlias => "provider_alias",
        SeparatorsDiffer => "separators_differ",
        DomainTypo => "domain_typo",
        LocalExtended => "local_extended",
        LocalReordered => "local_reordered",
        LocalSimilar => "local_similar",
        DomainDiffers => "domain_differs",
        LocalSimilarDomainDiffers => "local_similar_domain_differs",
        DomainOnly => "domain_only",
        ExtensionDiffers => "extension_differs",
        DigitsTransposed => "digits_transposed",
        DigitOff => "digit_off",
        DigitMissing => "digit_missing",
        AreaCodeMissing => "area_code_missing",
        TwoDigitsOff => "two_digits_off",
        AreaCodeDiffers => "area_code_differs",
        AreaCodeOnly => "area_code_only",
        CountryCodeDiffers => "country_code_differs",
        UnitMissing => "unit_missing",
        StreetTypo => "street_typo",
        CityDiffers => "city_differs",
        PostalCodeDiffers => "postal_code_differs",
        DirectionalDiffers => "directional_differs",
        UnitConflict => "unit_conflict",
        CountryDiffers => "country_differs",
        HouseNumberDiffers => "house_number_differs",
        LocalityDiffers => "locality_differs",
        StreetDiffers => "street_differs",
        PoBoxVsStreet => "po_box_vs_street",
        NoMatch => "no_match",
        Missing => "missing",
    }
}

/// Plaid-style booleans explaining a score. Fields that do not apply to a field type stay false.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Flags {
    /// A nickname/diminutive rule fired (Plaid `is_nickname_match`).
    pub nickname_match: bool,
    /// The given names match (exactly, by nickname, typo or transliteration).
    pub first_name_match: bool,
    /// The surnames match (Plaid's `is_first_name_or_last_name_match` is the OR of the two).
    pub last_name_match: bool,
    /// A legal-form word (LLC, Inc, Corp, Ltd, GmbH…) was seen on either side.
    pub business_name_detected: bool,
    /// Both addresses have a postal code and it matches (Plaid `is_postal_code_match`).
    pub postal_code_match: bool,
    /// Email domains are the same mailbox provider/domain.
    pub domain_match: bool,
    /// Phone country code and area code are the same.
    pub area_code_match: bool,
}

/// One field's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldScore {
    /// 0–100, or `None` when the owner data lacks the field.
    pub match_score: Option<u8>,
    /// True when the owner data lacks the field (then `match_score` is `None`).
    pub missing_data: bool,
    /// The comparison level that fired.
    pub level: Level,
    /// Plaid-style explanation flags.
    pub flags: Flags,
}

impl FieldScore {
    /// The result for an owner without data in this field.
    pub fn missing() -> Self {
        Self {
            match_score: None,
            missing_data: true,
            level: Level::Missing,
            flags: Flags::default(),
        }
    }

    pub(crate) fn new(score: u8, level: Level, flags: Flags) -> Self {
        debug_assert!(score <= 100);
        let score = score.min(100);
        // Only the exact level may carry 100, and it always does: callers rely on 100 == exact.
        let score = if level == Level::Exact { 100 } else { score.min(99) };
        Self {
            match_score: Some(score),
            missing_data: false,
            level,
            flags,
        }
    }

    /// Ordering key for [`best_of`]: higher score first, then the stronger level, then flags, so
    /// the choice never depends on the order owners come in.
    fn rank(&self) -> (bool, u8, std::cmp::Reverse<Level>, [bool; 7]) {
        let f = self.flags;
        (
            self.match_score.is_some(),
            self.match_score.unwrap_or(0),
            std::cmp::Reverse(self.level),
            [
                f.nickname_match,
                f.first_name_match,
                f.last_name_match,
                f.business_name_detected,
                f.postal_code_match,
                f.domain_match,
                f.area_code_match,
            ],
        )
    }
}

/// Several owners on one account: the best owner's score for this field (Plaid: "the maximum
/// match score is filled"). Scored results beat missing ones; with no scores at all the result
/// is [`FieldScore::missing`]. The result does not depend on the order of the inputs.
pub fn best_of(scores: impl IntoIterator<Item = FieldScore>) -> FieldScore {
    scores
        .into_iter()
        .max_by_key(FieldScore::rank)
        .unwrap_or_else(FieldScore::missing)
}

/// Scores one field of a string-valued owner against a provided string (name, email, phone).
/// For addresses use [`score_address`].
pub fn score_text(field: Field, owner: Option<&str>, provided: &str) -> FieldScore {
    match field {
        Field::Name => score_name(owner, provided),
        Field::Email => score_email(owner, provided),
        Field::Phone => score_phone(owner, provided),
        Field::Address => {
            let provided = AddressValue::Raw(provided.to_owned());
            let owner = owner.map(|o| AddressValue::Raw(o.to_owned()));
            score_address(owner.as_ref(), &provided)
        }
    }
}

/// True when an owner value counts as absent: `None`, empty or only whitespace.
pub(crate) fn is_blank(value: Option<&str>) -> bool {
    value.is_none_or(|v| v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_match_serde() {
        for level in [
            Level::Exact,
            Level::MiddleNameMissing,
            Level::AreaCodeDiffers,
            Level::NoMatch,
        ] {
            let json = serde_json::to_value(level).unwrap();
            assert_eq!(json.as_str(), Some(level.as_str()));
        }
    }

    #[test]
    fn best_of_prefers_scores_and_ignores_order() {
        let a = FieldScore::new(60, Level::Nickname, Flags::default());
        let b = FieldScore::new(85, Level::Typo, Flags::default());
        let m = FieldScore::missing();
        assert_eq!(best_of([a.clone(), b.clone(), m.clone()]), b);
        assert_eq!(best_of([m.clone(), b.clone(), a.clone()]), b);
        assert_eq!(best_of([m.clone()]), m);
        assert_eq!(best_of(Vec::new()), FieldScore::missing());
    }
}
