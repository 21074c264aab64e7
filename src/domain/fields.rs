//! Value types shared by several resources: addresses, metadata and three-state updates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A rule a parameter broke, named the way Stripe names parameters (`address[city]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub param: String,
    pub message: String,
}

impl Invalid {
    pub fn new(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            param: param.into(),
            message: message.into(),
        }
    }
}

/// A postal address in Stripe's shape; every part may be null.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub city: Option<String>,
    pub country: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
}

/// What an update does to one optional field: leave it, clear it (`field=`), or set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    /// Applies the change to the stored value.
    pub fn apply_to(self, slot: &mut Option<T>) {
        match self {
            Change::Keep => {}
            Change::Clear => *slot = None,
            Change::Set(v) => *slot = Some(v),
        }
    }

    /// The value a create should store: clearing on create simply leaves it empty.
    pub fn into_initial(self) -> Option<T> {
        match self {
            Change::Set(v) => Some(v),
            Change::Keep | Change::Clear => None,
        }
    }
}

/// Key-value metadata, as Stripe stores it: string keys, string values, sorted for output.
pub type Metadata = BTreeMap<String, String>;

/// What a request does to metadata: `metadata=` clears all, `metadata[k]=` unsets one key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MetadataChange {
    #[default]
    Keep,
    ClearAll,
    /// `None` values unset their key.
    Merge(BTreeMap<String, Option<String>>),
}

/// Stripe's documented metadata limits.
pub const METADATA_MAX_KEYS: usize = 50;
pub const METADATA_MAX_KEY_LEN: usize = 40;
pub const METADATA_MAX_VALUE_LEN: usize = 500;

impl MetadataChange {
    /// Applies the change and enforces Stripe's limits on the result.
    pub fn apply_to(self, metadata: &mut Metadata) -> Result<(), Invalid> {
        match self {
            MetadataChange::Keep => {}
            MetadataChange::ClearAll => metadata.clear(),
            MetadataChange::Merge(entries) => {
                for (key, value) in entries {
                    check_metadata_entry(&key, value.as_deref())?;
                    match value {
                        Some(v) => metadata.insert(key, v),
                        None => metadata.remove(&key),
                    };
                }
            }
        }
        if metadata.len() > METADATA_MAX_KEYS {
            return Err(Invalid::new(
                "metadata",
                format!("You can have at most {METADATA_MAX_KEYS} metadata keys."),
            ));
        }
        Ok(())
    }
}

fn check_metadata_entry(key: &str, value: Option<&str>) -> Result<(), Invalid> {
    let param = format!("metadata[{key}]");
    if key.is_empty() || key.chars().count() > METADATA_MAX_KEY_LEN {
        return Err(Invalid::new(
            param,
            format!("Metadata keys must be 1 to {METADATA_MAX_KEY_LEN} characters long."),
        ));
    }
    if key.contains(['[', ']']) {
        return Err(Invalid::new(param, "Metadata keys may not contain square brackets."));
    }
    if value.is_some_and(|v| v.chars().count() > METADATA_MAX_VALUE_LEN) {
        return Err(Invalid::new(
            param,
            format!("Metadata values can be at most {METADATA_MAX_VALUE_LEN} characters long."),
        ));
    }
    Ok(())
}

/// Checks a free-text field's length the way Stripe's `maxLength` does.
pub fn check_max_len(param: &str, value: &str, max: usize) -> Result<(), Invalid> {
    if value.chars().count() > max {
        return Err(Invalid::new(
            param,
            format!("Invalid string: {param} must be at most {max} characters."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_merge_sets_and_unsets_keys() {
        let mut m = Metadata::from([("a".into(), "1".into()), ("b".into(), "2".into())]);
        let change = MetadataChange::Merge(BTreeMap::from([
            ("a".to_owned(), None),
            ("c".to_owned(), Some("3".to_owned())),
        ]));
        change.apply_to(&mut m).unwrap();
        assert_eq!(m, Metadata::from([("b".into(), "2".into()), ("c".into(), "3".into())]));
        MetadataChange::ClearAll.apply_to(&mut m).unwrap();
        assert!(m.is_empty());
    }

    #[test]
    fn metadata_limits_name_the_offending_key() {
        let mut m = Metadata::new();
        let long_key = "k".repeat(41);
        let err = MetadataChange::Merge(BTreeMap::from([(long_key.clone(), Some("v".into()))]))
            .apply_to(&mut m)
            .unwrap_err();
        assert_eq!(err.param, format!("metadata[{long_key}]"));
        let too_many = (0..51).map(|i| (format!("k{i}"), Some("v".to_owned()))).collect();
        let err = MetadataChange::Merge(too_many).apply_to(&mut m).unwrap_err();
        assert_eq!(err.param, "metadata");
    }

    #[test]
    fn change_applies_three_ways() {
        let mut slot = Some(1);
        Change::Keep.apply_to(&mut slot);
        assert_eq!(slot, Some(1));
        Change::Set(2).apply_to(&mut slot);
        assert_eq!(slot, Some(2));
        Change::<i32>::Clear.apply_to(&mut slot);
        assert_eq!(slot, None);
    }
}
