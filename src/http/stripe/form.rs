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

/// How many bracket levels a parameter name may have below its top-level name
/// (`a[b][c]` has two). Stripe's deepest real parameters nest about five levels
/// (`payment_method_options[card][mandate_options][…]`); twenty leaves room for any SDK
/// while bounding every walk over a parameter tree (and refusing names built to exhaust
/// the stack).
pub const MAX_DEPTH: usize = 20;

/// The longest part of a client's parameter name an error message repeats.
const SHOWN_NAME_MAX: usize = 100;

/// A parameter name as an error repeats it: whole when short, else its start and `…`, so a
/// 12 KB name does not come back twice in a 400.
pub fn shown_name(name: &str) -> String {
    if name.len() <= SHOWN_NAME_MAX {
        return name.to_owned();
    }
    let mut end = SHOWN_NAME_MAX;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &name[..end])
}

/// The 400 for a parameter nested deeper than [`MAX_DEPTH`].
pub fn too_deep(name: &str) -> ApiError {
    let shown = shown_name(name);
    ApiError::invalid(
        "parameter_invalid",
        shown.clone(),
        format!(
            "Invalid parameter: {shown} is nested too deeply; parameters may be nested at most {MAX_DEPTH} levels."
        ),
    )
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
        let shown = shown_name(key);
        ApiError::invalid(
            "parameter_invalid",
            shown.clone(),
            format!("Invalid parameter name: {shown}. Nested parameters are written as name[key] or name[0]."),
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
        if path.len() == MAX_DEPTH {
            return Err(too_deep(key));
        }
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

/// Puts `value` at `name[path…]`, walking down one map per segment (a loop, not recursion:
/// the depth is bounded, but a walk over client input should not need the stack anyway).
fn insert(
    root: &mut BTreeMap<String, Node>,
    full_key: &str,
    name: &str,
    path: &[&str],
    value: String,
) -> Result<(), ApiError> {
    let conflict = || {
        let shown = shown_name(full_key);
        ApiError::invalid(
            "parameter_invalid",
            shown.clone(),
            format!("Invalid parameter: {shown} is given both as a value and as a nested object or array."),
        )
    };
    let mut map = root;
    let mut name = name;
    let mut path = path;
    loop {
        match path.split_first() {
            None => {
                // A repeated plain key keeps its last value, as Rack (and Stripe) do.
                if matches!(map.get(name), Some(Node::Map(_) | Node::List(_))) {
                    return Err(conflict());
                }
                map.insert(name.to_owned(), Node::Leaf(value));
                return Ok(());
            }
            Some((&"", _)) => {
                let entry = map.entry(name.to_owned()).or_insert_with(|| Node::List(Vec::new()));
                return match entry {
                    Node::List(items) => {
                        items.push(Node::Leaf(value));
                        Ok(())
                    }
                    _ => Err(conflict()),
                };
            }
            Some((segment, rest)) => {
                let entry = map.entry(name.to_owned()).or_insert_with(|| Node::Map(BTreeMap::new()));
                match entry {
                    Node::Map(inner) => {
                        map = inner;
                        name = segment;
                        path = rest;
                    }
                    // `a[]=x&a[0]=y` mixes styles; refuse rather than guess an order.
                    _ => return Err(conflict()),
                }
            }
        }
    }
}

/// A node being converted, with the children already converted so far.
enum Frame {
    List(std::vec::IntoIter<Node>, Vec<Value>),
    Object(
        std::collections::btree_map::IntoIter<String, Node>,
        Map<String, Value>,
        Option<String>,
    ),
}

/// Turns a built tree into JSON with an explicit stack of the nodes still open.
fn into_value(node: Node) -> Value {
    let mut stack: Vec<Frame> = Vec::new();
    let mut next = Some(node);
    loop {
        // Open `next`, or produce its value at once if it is a leaf or empty.
        let mut done = match next.take() {
            Some(Node::Leaf(s)) => Some(Value::String(s)),
            Some(Node::List(items)) => {
                stack.push(Frame::List(items.into_iter(), Vec::new()));
                None
            }
            Some(Node::Map(map)) => {
                let indexed = !map.is_empty() && map.keys().all(|k| is_index(k));
                if indexed {
                    let mut items: Vec<(usize, Node)> = map
                        .into_iter()
                        .map(|(k, v)| (k.parse().unwrap_or(usize::MAX), v))
                        .collect();
                    items.sort_by_key(|(i, _)| *i);
                    let items: Vec<Node> = items.into_iter().map(|(_, v)| v).collect();
                    stack.push(Frame::List(items.into_iter(), Vec::new()));
                } else {
                    stack.push(Frame::Object(map.into_iter(), Map::new(), None));
                }
                None
            }
            None => None,
        };
        // Hand finished values to their parents until one has a child left to open.
        loop {
            let Some(frame) = stack.last_mut() else {
                return done.unwrap_or(Value::Null);
            };
            match frame {
                Frame::List(rest, out) => {
                    if let Some(value) = done.take() {
                        out.push(value);
                    }
                    if let Some(child) = rest.next() {
                        next = Some(child);
                        break;
                    }
                    done = Some(Value::Array(std::mem::take(out)));
                }
                Frame::Object(rest, out, pending) => {
                    if let (Some(value), Some(key)) = (done.take(), pending.take()) {
                        out.insert(key, value);
                    }
                    if let Some((key, child)) = rest.next() {
                        *pending = Some(key);
                        next = Some(child);
                        break;
                    }
                    done = Some(Value::Object(std::mem::take(out)));
                }
            }
            stack.pop();
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

    #[test]
    fn nesting_is_limited_and_the_refusal_names_the_parameter_briefly() {
        let at_limit = format!("a{}=v", "[b]".repeat(MAX_DEPTH));
        assert!(parse_form(at_limit.as_bytes()).is_ok());
        // 4,000 levels, ~12 KB: what overflowed the stack.
        for levels in [MAX_DEPTH + 1, 4_000, 100_000] {
            let key = format!("name{}", "[a]".repeat(levels));
            let err = parse_form(format!("{key}=v").as_bytes()).unwrap_err();
            assert_eq!(err.status, 400);
            let param = err.param.unwrap();
            assert!(param.starts_with("name[a][a]"), "{param}");
            assert!(param.len() < 120, "a huge name is shortened: {} bytes", param.len());
            assert!(err.message.contains("nested too deeply"), "{}", err.message);
            assert!(err.message.len() < 300, "{}", err.message);
        }
    }

    #[test]
    fn a_deep_tree_converts_without_recursion() {
        let node = (0..200_000).fold(Node::Leaf("v".into()), |inner, _| {
            Node::Map(BTreeMap::from([("k".to_owned(), inner)]))
        });
        let mut value = into_value(node);
        let mut depth = 0;
        while let Value::Object(mut map) = value {
            value = map.remove("k").unwrap();
            depth += 1;
        }
        assert_eq!(depth, 200_000);
        assert_eq!(value, "v");
    }

    #[test]
    fn huge_malformed_names_are_shortened_in_the_error() {
        let key = format!("a[{}", "x".repeat(20_000));
        let err = parse_form(format!("{key}=1").as_bytes()).unwrap_err();
        assert!(err.param.unwrap().len() < 120);
        assert!(err.message.len() < 300);
    }

    mod fuzz {
        //! The parser's promise over arbitrary input: a tree or a 4xx, never a panic, and
        //! every tree it returns is within the nesting limit.

        use proptest::prelude::*;

        use super::super::*;

        fn depth(value: &Value) -> usize {
            let mut deepest = 0;
            let mut pending = vec![(value, 0usize)];
            while let Some((v, d)) = pending.pop() {
                deepest = deepest.max(d);
                match v {
                    Value::Object(m) => pending.extend(m.values().map(|c| (c, d + 1))),
                    Value::Array(a) => pending.extend(a.iter().map(|c| (c, d + 1))),
                    _ => {}
                }
            }
            deepest
        }

        /// Keys built from the characters that matter to the parser, with runs of brackets.
        fn key() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                4 => "[a-z0-9]{0,6}".prop_map(|s| s),
                3 => "\\[[a-z0-9]{0,3}\\]".prop_map(|s| s),
                2 => Just("[]".to_owned()),
                1 => Just("[".to_owned()),
                1 => Just("]".to_owned()),
                1 => Just("%5B".to_owned()),
                1 => Just("%00".to_owned()),
                1 => (1usize..3_000).prop_map(|n| "[x]".repeat(n)),
            ];
            proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat())
        }

        fn form() -> impl Strategy<Value = String> {
            let pair = (key(), "[a-z%=&\\[\\]]{0,8}").prop_map(|(k, v)| format!("{k}={v}"));
            proptest::collection::vec(pair, 0..16).prop_map(|p| p.join("&"))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn any_form_is_a_tree_or_a_4xx(input in form()) {
                match parse_form(input.as_bytes()) {
                    Ok(map) => {
                        for value in map.values() {
                            prop_assert!(depth(value) <= MAX_DEPTH);
                        }
                    }
                    Err(e) => {
                        prop_assert!(e.status.is_client_error(), "{}", e.status);
                        prop_assert!(e.message.len() < 400, "{}", e.message.len());
                    }
                }
            }

            #[test]
            fn any_bytes_are_a_tree_or_a_4xx(input in proptest::collection::vec(any::<u8>(), 0..4096)) {
                if let Err(e) = parse_form(&input) {
                    prop_assert!(e.status.is_client_error());
                }
            }
        }
    }
}
