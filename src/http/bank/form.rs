//! Form-encoded parameters read by hand: repeated fields (`accounts=a&accounts=b`) are kept,
//! and OAuth's rule that a parameter appears at most once (RFC 6749 §3.1) can be checked.

/// Decoded `name=value` pairs in order.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// From a form body or a query string; never fails (bad escapes decode loosely). A pair
    /// holding a NUL character is dropped: no legitimate field carries one, and Postgres
    /// cannot store it.
    pub fn parse(bytes: &[u8]) -> Self {
        Params(
            form_urlencoded::parse(bytes)
                .into_owned()
                .filter(|(k, v)| !k.contains('\0') && !v.contains('\0'))
                .collect(),
        )
    }

    /// The first value of `name`; empty values count as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first parameter among `names` given more than once.
    pub fn repeated(&self, names: &[&'static str]) -> Option<&'static str> {
        names
            .iter()
            .find(|n| self.0.iter().filter(|(k, _)| k == *n).count() > 1)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_repeated_and_escaped_fields() {
        let p = Params::parse(b"accounts=a&accounts=b&state=x%20y&empty=");
        assert_eq!(p.all("accounts"), vec!["a", "b"]);
        assert_eq!(p.get("state"), Some("x y"));
        assert_eq!(p.get("empty"), None);
        assert_eq!(p.repeated(&["state", "accounts"]), Some("accounts"));
        assert_eq!(p.repeated(&["state"]), None);
    }
}
