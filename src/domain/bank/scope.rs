//! OAuth scopes of the emulated banks. They mirror Financial Connections permissions
//! (`balances`, `ownership`, `payment_method`, `transactions`) plus `accounts`, which every
//! grant needs to list the consented accounts.

use std::fmt;

/// One permission a client may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Accounts,
    Balances,
    Ownership,
    PaymentMethod,
    Transactions,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::Accounts,
        Scope::Balances,
        Scope::Ownership,
        Scope::PaymentMethod,
        Scope::Transactions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Accounts => "accounts",
            Scope::Balances => "balances",
            Scope::Ownership => "ownership",
            Scope::PaymentMethod => "payment_method",
            Scope::Transactions => "transactions",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// What the consent page tells the user this permission shares.
    pub fn description(self) -> &'static str {
        match self {
            Scope::Accounts => "See the accounts you select: their names, types and last 4 digits",
            Scope::Balances => "See the current and available balances of those accounts",
            Scope::Ownership => "See the account holders' names, email addresses, phone numbers and addresses",
            Scope::PaymentMethod => "See the full account and routing numbers, to pay from or to these accounts",
            Scope::Transactions => "See the transactions of those accounts",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sorted set of scopes without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

/// A scope string named something the bank does not offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl Scopes {
    /// From the space-separated form of RFC 6749 §3.3. Empty strings give an empty set.
    pub fn parse(text: &str) -> Result<Scopes, UnknownScope> {
        let mut scopes = Vec::new();
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let scope = Scope::parse(word).ok_or_else(|| UnknownScope(word.chars().take(64).collect()))?;
            scopes.push(scope);
        }
        Ok(Scopes::from_iter(scopes))
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when every scope of `self` is in `other` (refresh-time narrowing, RFC 6749 §6).
    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.0.iter().all(|s| other.contains(*s))
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut v: Vec<Scope> = iter.into_iter().collect();
        v.sort();
        v.dedup();
        Scopes(v)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<&str> = self.0.iter().map(|s| s.as_str()).collect();
        f.write_str(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sorts_and_dedups() {
        let s = Scopes::parse("transactions accounts  accounts balances").unwrap();
        assert_eq!(s.to_string(), "accounts balances transactions");
        assert!(Scopes::parse("").unwrap().is_empty());
        assert_eq!(Scopes::parse("accounts openid"), Err(UnknownScope("openid".into())));
    }

    #[test]
    fn subsets() {
        let all = Scopes::parse("accounts balances").unwrap();
        assert!(Scopes::parse("accounts").unwrap().is_subset_of(&all));
        assert!(!Scopes::parse("ownership").unwrap().is_subset_of(&all));
    }
}
