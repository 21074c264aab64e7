//! Stripe's bracket-nested form encoding (`a[b][0]=v`, `a[]=v`) parsed into a JSON tree, so
//! form bodies, query strings and JSON bodies all reach the handlers in one shape.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::http::error::ApiError;

/// A node while the tree is built: maps keep their keys as text until the end, when maps
/// keyed only by indexes (`a[0]`, `a[1]`) become arrays.
#[derive(Debug)]
enum Node {
    Leaf(String),
    Map(BTreeMap<String, Node>),
    List(Vec<Node>),
}

/// Parses `application/x-www-form-urlencoded` text (a body or a query string).
pub fn parse_form(input: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let mut root: BTreeMap<String, Node> = BTreeMap::new();
    for (raw_key, value) in form_urlencoded::parse(input) {
        if raw_key.is_empty() {
            continue;
        }
        let (name, path) = split_key(&raw_key)?;
        insert(&mut root, &raw_key, name, &path, value.into_owned())?;
    }
    Ok(root.into_iter().map(|(k, v)| (k, into_value(v))).collect())
}

/// `a[b][]` → (`a`, [`b`, ``]).
fn split_key(key: &str) -> Result<(&str, Vec<&str>), ApiError> {
    let malformed = || {
        ApiError::invalid(
            "parameter_invalid",
            key.to_owned(),
            format!("Invalid parameter name: {key}. Nested parameters are written as name[key] or name[0]."),
        )
    };
    let (name, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if name.is_empty() || name.contains(']') {
        return Err(malformed());
    }
    let mut path = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[').ok_or_else(malformed)?;
        let close = inner.find(']').ok_or_else(malformed)?;
        let segment = &inner[..close];
        if segment.contains('[') {
            return Err(malformed());
        }
        path.push(segment);
        rest = &inner[close + 1..];
    }
    // `[]` appends, so only the last segment may be empty.
    if path.iter().rev().skip(1).any(|s| s.is_empty()) {
        return Err(malformed());
    }
    Ok((name, path))
}

fn insert(
    map: &mut BTreeMap<String, Node>,
    full_key: &str,
    name: &str,
    path: &[&str],
    value: String,
) -> Result<(), ApiError> {
    let conflict = || {
        ApiError::invalid(
            "parameter_invalid",
            full_key.to_owned(),
            format!("Invalid parameter: {full_key} is given both as a value and as a nested object or array."),
        )
    };
    match path.split_first() {
        None => {
            // A repeated plain key keeps its last value, as Rack (and Stripe) do.
            if matches!(map.get(name), Some(Node::Map(_) | Node::List(_))) {
                return Err(conflict());
            }
            map.insert(name.to_owned(), Node::Leaf(value));
        }
        Some((&"", _)) => {
            let entry = map.entry(name.to_owned()).or_insert_with(|| Node::List(Vec::new()));
            match entry {
                Node::List(items) => items.push(Node::Leaf(value)),
                _ => return Err(conflict()),
            }
        }
        Some((segment, rest)) => {
            let entry = map.entry(name.to_owned()).or_insert_with(|| Node::Map(BTreeMap::new()));
            match entry {
                Node::Map(inner) => insert(inner, full_key, segment, rest, value)?,
                // `a[]=x&a[0]=y` mixes styles; refuse rather than guess an order.
                _ => return Err(conflict()),
            }
        }
    }
    Ok(())
}

fn into_value(node: Node) -> Value {
    match node {
        Node::Leaf(s) => Value::String(s),
        Node::List(items) => Value::Array(items.into_iter().map(into_value).collect()),
        Node::Map(map) => {
            let indexed = !map.is_empty() && map.keys().all(|k| is_index(k));
            if indexed {
                let mut items: Vec<(usize, Node)> = map
                    .into_iter()
                    .map(|(k, v)| (k.parse().unwrap_or(usize::MAX), v))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                Value::Array(items.into_iter().map(|(_, v)| into_value(v)).collect())
            } else {
                Value::Object(map.into_iter().map(|(k, v)| (k, into_value(v))).collect())
            }
        }
    }
}

/// `0`…`99999`: what an SDK's indexed array looks like.
fn is_index(key: &str) -> bool {
    !key.is_empty() && key.len() <= 5 && key.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(s: &str) -> Value {
        Value::Object(parse_form(s.as_bytes()).unwrap())
    }

    #[test]
    fn nests_brackets_encoded_or_not() {
        assert_eq!(
            parse("name=Jenny&address[city]=SSF&address%5Bline1%5D=354+Oyster"),
            json!({"name": "Jenny", "address": {"city": "SSF", "line1": "354 Oyster"}})
        );
    }

    #[test]
    fn arrays_by_index_and_by_append() {
        assert_eq!(parse("expand[]=a&expand[]=b"), json!({"expand": ["a", "b"]}));
        assert_eq!(parse("p[1]=b&p[0]=a"), json!({"p": ["a", "b"]}));
        assert_eq!(
            parse("o[0][name]=x&o[1][name]=y"),
            json!({"o": [{"name": "x"}, {"name": "y"}]})
        );
    }

    #[test]
    fn empty_value_is_kept_as_empty_string() {
        assert_eq!(parse("metadata="), json!({"metadata": ""}));
    }

    #[test]
    fn malformed_keys_are_rejected_with_the_key_named() {
        for bad in ["a[b=1", "a]=1", "[a]=1", "a[b]c=1", "a[][b]=1", "a[[b]]=1"] {
            let err = parse_form(bad.as_bytes()).unwrap_err();
            assert_eq!(err.status, 400, "{bad}");
            assert!(err.param.is_some(), "{bad}");
        }
    }

    #[test]
    fn scalar_and_nested_for_one_name_conflict() {
        assert!(parse_form(b"a=1&a[b]=2").is_err());
        assert!(parse_form(b"a[b]=2&a=1").is_err());
        assert!(parse_form(b"a[]=1&a[0]=2").is_err());
    }
}
