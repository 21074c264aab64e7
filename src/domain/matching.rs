//! Ownership match: compares the owner information a platform holds (a customer, or given
//! directly) with an account's ownership data from the bank, field by field, best owner per
//! field. Pure: the scores come from `crate::scoring`; the bank's owner data never leaves here
//! except as scores.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::fields::{Address, Invalid};
use super::ids::{DEFAULT_TAIL, new_id};
use super::ownership::Owner;
use crate::scoring::{self, AddressInput, AddressValue, FieldScore};

/// How the owner information was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchType {
    Customer,
    OwnerInformation,
}

impl MatchType {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchType::Customer => "customer",
            MatchType::OwnerInformation => "owner_information",
        }
    }
}

/// The platform's side of the comparison (what is echoed back as `owner_information`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerInformation {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<Address>,
}

/// One field's result on the wire: `None` when the field was not provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldResult {
    pub match_score: Option<u8>,
    pub missing_data: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchResults {
    pub name: Option<FieldResult>,
    pub email: Option<FieldResult>,
    pub phone: Option<FieldResult>,
    pub address: Option<FieldResult>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnershipMatch {
    pub id: String,
    pub platform_id: String,
    pub created: i64,
    pub account_id: String,
    pub kind: MatchType,
    pub owner_information: OwnerInformation,
    pub customer_id: Option<String>,
    pub ownership_id: String,
    pub results: MatchResults,
}

impl OwnershipMatch {
    pub fn new_id() -> String {
        new_id("fcom", DEFAULT_TAIL)
    }
}

/// Rules for owner information given directly: at least one field; an address complete but
/// for `line2`; a phone without `+` must be a US number. Parameters are named as Stripe does.
pub fn validate(info: &OwnerInformation, prefix: &str) -> Result<(), Invalid> {
    let param = |field: &str| format!("{prefix}[{field}]");
    if info.name.is_none() && info.email.is_none() && info.phone.is_none() && info.address.is_none() {
        return Err(Invalid::new(
            prefix,
            "Provide at least one of name, email, phone or address to match.",
        ));
    }
    if let Some(address) = &info.address {
        let required = [
            ("line1", &address.line1),
            ("city", &address.city),
            ("state", &address.state),
            ("postal_code", &address.postal_code),
            ("country", &address.country),
        ];
        for (field, value) in required {
            if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                return Err(Invalid::new(
                    format!("{prefix}[address][{field}]"),
                    format!("An address needs every field but line2: {prefix}[address][{field}] is missing."),
                ));
            }
        }
    }
    if let Some(email) = &info.email
        && !looks_like_email(email)
    {
        return Err(Invalid::new(param("email"), format!("Invalid email address: {email}")));
    }
    if let Some(phone) = &info.phone
        && !valid_phone(phone)
    {
        return Err(Invalid::new(
            param("phone"),
            "Invalid phone: a number outside the US must start with + and its country code (e.g. +44 20 7946 0958); a US number needs 10 digits.",
        ));
    }
    Ok(())
}

fn looks_like_email(email: &str) -> bool {
    email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace)
    })
}

/// `+` and a country code, or a US number (10 digits, or 11 with the leading 1).
fn valid_phone(phone: &str) -> bool {
    let main = phone.split(['x', 'X', ';']).next().unwrap_or(phone);
    let main = main.to_ascii_lowercase().replace("ext", "");
    let digits: String = main.chars().filter(char::is_ascii_digit).collect();
    if !main.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
        return false;
    }
    if main.trim_start().starts_with('+') {
        return (8..=15).contains(&digits.len());
    }
    digits.len() == 10 || (digits.len() == 11 && digits.starts_with('1'))
}

/// Stand-ins scored when the bank lacks a field, so a missing field costs the same work as a
/// different one and response time does not tell them apart.
const DECOY_NAME: &str = "Alexandra Morgan Whitfield";
const DECOY_EMAIL: &str = "alexandra.whitfield@example.net";
const DECOY_PHONE: &str = "+1 415 555 0134";
const DECOY_ADDRESS: &str = "500 Market Street Suite 1200 San Francisco, CA 94105 USA";

fn result(score: FieldScore) -> FieldResult {
    FieldResult {
        match_score: score.match_score,
        missing_data: score.missing_data,
    }
}

/// The best owner's score per field, for every owner a bank field `pick` reads.
fn best_text(
    owners: &[Owner],
    pick: fn(&Owner) -> Option<&str>,
    decoy: &str,
    provided: &str,
    score: fn(Option<&str>, &str) -> FieldScore,
) -> FieldResult {
    let present: Vec<&str> = owners
        .iter()
        .filter_map(pick)
        .filter(|v| !v.trim().is_empty())
        .collect();
    if present.is_empty() {
        let _ = score(Some(decoy), provided);
        return result(FieldScore::missing());
    }
    result(scoring::best_of(
        present.into_iter().map(|owner| score(Some(owner), provided)),
    ))
}

/// Scores `info` against the bank's owners.
pub fn compare(owners: &[Owner], info: &OwnerInformation) -> MatchResults {
    let name = info
        .name
        .as_deref()
        .map(|p| best_text(owners, |o| Some(o.name.as_str()), DECOY_NAME, p, scoring::score_name));
    let email = info
        .email
        .as_deref()
        .map(|p| best_text(owners, |o| o.email.as_deref(), DECOY_EMAIL, p, scoring::score_email));
    let phone = info
        .phone
        .as_deref()
        .map(|p| best_text(owners, |o| o.phone.as_deref(), DECOY_PHONE, p, scoring::score_phone));
    let address = info.address.as_ref().map(|a| {
        let provided = AddressValue::Structured(AddressInput {
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        });
        let present: Vec<AddressValue> = owners
            .iter()
            .filter_map(|o| o.raw_address.clone())
            .filter(|r| !r.trim().is_empty())
            .map(AddressValue::Raw)
            .collect();
        if present.is_empty() {
            let _ = scoring::score_address(Some(&AddressValue::Raw(DECOY_ADDRESS.to_owned())), &provided);
            return result(FieldScore::missing());
        }
        result(scoring::best_of(
            present
                .iter()
                .map(|owner| scoring::score_address(Some(owner), &provided)),
        ))
    });
    MatchResults {
        name,
        email,
        phone,
        address,
    }
}

/// A digest naming an input set (how it was given and what was compared), for the quota.
pub fn input_fingerprint(kind: MatchType, customer_id: Option<&str>, info: &OwnerInformation) -> String {
    let canonical = serde_json::json!({ "type": kind.as_str(), "customer": customer_id, "owner_information": info });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(name: &str, email: Option<&str>, phone: Option<&str>, address: Option<&str>) -> Owner {
        Owner {
            id: "fcaown_1".into(),
            ownership_id: "fcaowns_1".into(),
            name: name.into(),
            email: email.map(Into::into),
            phone: phone.map(Into::into),
            raw_address: address.map(Into::into),
            refreshed_at: 0,
        }
    }

    fn sample_information() -> OwnerInformation {
        OwnerInformation {
            name: Some("Jenny Rosen".into()),
            email: Some("jennyrosen@example.com".into()),
            phone: Some("+1 212-555-5555".into()),
            address: Some(Address {
                line1: Some("354 Oyster Point Blvd".into()),
                line2: None,
                city: Some("South San Francisco".into()),
                state: Some("CA".into()),
                postal_code: Some("94080".into()),
                country: Some("US".into()),
            }),
        }
    }

    #[test]
    fn the_documents_sample_scores_as_published() {
        let owners = [owner(
            "Jennifer Rosen",
            Some("jennyrosen@test.com"),
            None,
            Some("354 Oyster Point Blvd South San Francisco, CA 94080 USA"),
        )];
        let r = compare(&owners, &sample_information());
        assert_eq!(
            r.name,
            Some(FieldResult {
                match_score: Some(85),
                missing_data: false
            })
        );
        assert_eq!(
            r.address,
            Some(FieldResult {
                match_score: Some(100),
                missing_data: false
            })
        );
        assert_eq!(
            r.email,
            Some(FieldResult {
                match_score: Some(65),
                missing_data: false
            })
        );
        assert_eq!(
            r.phone,
            Some(FieldResult {
                match_score: None,
                missing_data: true
            })
        );
    }

    #[test]
    fn the_best_owner_wins_each_field_and_unasked_fields_are_null() {
        let owners = [
            owner("Mark Rosen", Some("jennyrosen@example.com"), None, None),
            owner("Jenny Rosen", None, None, None),
        ];
        let info = OwnerInformation {
            name: Some("Jenny Rosen".into()),
            email: Some("jennyrosen@example.com".into()),
            ..Default::default()
        };
        let r = compare(&owners, &info);
        assert_eq!(r.name.unwrap().match_score, Some(100));
        assert_eq!(r.email.unwrap().match_score, Some(100));
        assert_eq!(r.phone, None);
        assert_eq!(r.address, None);
    }

    #[test]
    fn validation_names_each_problem() {
        assert_eq!(
            validate(&OwnerInformation::default(), "owner_information")
                .unwrap_err()
                .param,
            "owner_information"
        );
        let mut info = sample_information();
        info.address.as_mut().unwrap().city = None;
        assert_eq!(
            validate(&info, "owner_information").unwrap_err().param,
            "owner_information[address][city]"
        );
        let mut info = sample_information();
        info.address.as_mut().unwrap().line2 = None;
        info.phone = Some("020 7946 0958 1".into());
        assert_eq!(
            validate(&info, "owner_information").unwrap_err().param,
            "owner_information[phone]"
        );
        info.phone = Some("+44 20 7946 0958".into());
        assert!(validate(&info, "owner_information").is_ok());
        info.phone = Some("(212) 555-5555".into());
        assert!(validate(&info, "owner_information").is_ok());
        info.email = Some("not an email".into());
        assert_eq!(
            validate(&info, "owner_information").unwrap_err().param,
            "owner_information[email]"
        );
    }

    #[test]
    fn fingerprints_tell_inputs_apart() {
        let a = input_fingerprint(MatchType::OwnerInformation, None, &sample_information());
        let mut other = sample_information();
        other.name = Some("Mark Rosen".into());
        assert_eq!(
            a,
            input_fingerprint(MatchType::OwnerInformation, None, &sample_information())
        );
        assert_ne!(a, input_fingerprint(MatchType::OwnerInformation, None, &other));
        assert_ne!(
            a,
            input_fingerprint(MatchType::Customer, Some("cus_1"), &sample_information())
        );
    }
}
