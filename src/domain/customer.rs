//! Customers: the platform's record of a person, and the owner information ownership match
//! can compare against.

use super::fields::{Address, Change, Invalid, Metadata, MetadataChange, check_max_len};
use super::ids::{CUSTOMER_TAIL, new_id};

/// A stored customer. `deleted_at` is set once deleted; reads then see Stripe's deleted stub.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: String,
    pub platform_id: String,
    pub created: i64,
    pub deleted_at: Option<i64>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub address: Option<Address>,
    pub metadata: Metadata,
}

/// The writable fields of a customer, as one create or update request carries them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerChanges {
    pub name: Change<String>,
    pub email: Change<String>,
    pub phone: Change<String>,
    pub description: Change<String>,
    pub address: Change<Address>,
    pub metadata: MetadataChange,
}

/// Stripe's documented `maxLength`s for the customer fields we accept.
const EMAIL_MAX: usize = 512;
const TEXT_MAX: usize = 5000;
const PHONE_MAX: usize = 20;
/// Stripe caps a customer's name at 256 characters.
const NAME_MAX: usize = 256;

impl CustomerChanges {
    fn validate(&self) -> Result<(), Invalid> {
        if let Change::Set(email) = &self.email {
            check_max_len("email", email, EMAIL_MAX)?;
        }
        if let Change::Set(phone) = &self.phone {
            check_max_len("phone", phone, PHONE_MAX)?;
        }
        if let Change::Set(name) = &self.name {
            check_max_len("name", name, NAME_MAX)?;
        }
        if let Change::Set(description) = &self.description {
            check_max_len("description", description, TEXT_MAX)?;
        }
        if let Change::Set(address) = &self.address {
            validate_address("address", address)?;
        }
        Ok(())
    }
}

fn validate_address(param: &str, address: &Address) -> Result<(), Invalid> {
    let parts = [
        ("city", &address.city),
        ("country", &address.country),
        ("line1", &address.line1),
        ("line2", &address.line2),
        ("postal_code", &address.postal_code),
        ("state", &address.state),
    ];
    for (name, value) in parts {
        if let Some(v) = value {
            check_max_len(&format!("{param}[{name}]"), v, TEXT_MAX)?;
        }
    }
    Ok(())
}

impl Customer {
    /// A new customer for `platform_id`, created at `now`.
    pub fn create(platform_id: &str, changes: CustomerChanges, now: i64) -> Result<Self, Invalid> {
        changes.validate()?;
        let mut metadata = Metadata::new();
        changes.metadata.apply_to(&mut metadata)?;
        Ok(Self {
            id: new_id("cus", CUSTOMER_TAIL),
            platform_id: platform_id.to_owned(),
            created: now,
            deleted_at: None,
            name: changes.name.into_initial(),
            email: changes.email.into_initial(),
            phone: changes.phone.into_initial(),
            description: changes.description.into_initial(),
            address: changes.address.into_initial(),
            metadata,
        })
    }

    /// Applies an update; nothing changes unless every part of it is valid.
    pub fn update(&mut self, changes: CustomerChanges) -> Result<(), Invalid> {
        changes.validate()?;
        let mut metadata = self.metadata.clone();
        changes.metadata.apply_to(&mut metadata)?;
        self.metadata = metadata;
        changes.name.apply_to(&mut self.name);
        changes.email.apply_to(&mut self.email);
        changes.phone.apply_to(&mut self.phone);
        changes.description.apply_to(&mut self.description);
        changes.address.apply_to(&mut self.address);
        Ok(())
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// The filters of `GET /v1/customers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerFilter {
    /// Case-sensitive exact match, as Stripe documents it.
    pub email: Option<String>,
    pub created: Option<super::page::TimeRange>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_that_breaks_a_rule_changes_nothing() {
        let mut c = Customer::create("acct_x", CustomerChanges::default(), 1).unwrap();
        let before = c.clone();
        let changes = CustomerChanges {
            name: Change::Set("Jenny".into()),
            email: Change::Set("x".repeat(513)),
            ..CustomerChanges::default()
        };
        let err = c.update(changes).unwrap_err();
        assert_eq!(err.param, "email");
        assert_eq!(c, before);
    }

    #[test]
    fn create_ignores_clears_and_keeps_sets() {
        let changes = CustomerChanges {
            name: Change::Set("Jenny Rosen".into()),
            email: Change::Clear,
            ..CustomerChanges::default()
        };
        let c = Customer::create("acct_x", changes, 42).unwrap();
        assert_eq!(c.name.as_deref(), Some("Jenny Rosen"));
        assert_eq!(c.email, None);
        assert_eq!(c.created, 42);
        assert!(c.id.starts_with("cus_"));
    }
}
