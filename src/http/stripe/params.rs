//! Request parameters: query string, form or JSON body merged into one tree, `expand[]` taken
//! out, and the rest deserialised into a handler's typed struct with Stripe-style errors that
//! name the parameter (`address[city]`, `metadata[plan]`).

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{Method, header};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serde_path_to_error::{Path, Segment};

use super::form::{MAX_DEPTH, parse_form, shown_name, too_deep};
use crate::app_state::AppState;
use crate::http::error::ApiError;

/// A request that takes no parameters besides `expand[]`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// A handler's parameters, typed, and the `expand[]` paths asked for.
pub struct Params<T> {
    pub params: T,
    pub expand: Vec<String>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Params<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut tree, expand) = read_tree(req, state.body_limit).await?;
        let params = from_tree(std::mem::take(&mut tree))?;
        Ok(Self { params, expand })
    }
}

/// Reads every parameter of a request into one JSON object and takes `expand` out of it.
pub async fn read_tree(req: Request, body_limit: usize) -> Result<(Map<String, Value>, Vec<String>), ApiError> {
    let (parts, body) = req.into_parts();
    let mut tree = parse_form(parts.uri.query().unwrap_or("").as_bytes())?;
    if parts.method != Method::GET && parts.method != Method::DELETE && parts.method != Method::HEAD {
        let is_json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.trim_start().starts_with("application/json"));
        // Body fields win over query fields of the same name.
        tree.extend(read_body(body, body_limit, is_json).await?);
    }
    if parts.uri.path().to_ascii_lowercase().contains("%00") {
        return Err(ApiError::bad_request(
            "The URL contains a NUL character, which no id can hold.",
        ));
    }
    check_tree(&tree)?;
    let expand = take_expand(&mut tree)?;
    Ok((tree, expand))
}

/// One walk over every parameter, with an explicit stack (a JSON body is nested up to
/// serde_json's 128 levels; the walk must not need the call stack for it):
///
/// - no parameter may hold U+0000: no field means it, and Postgres cannot store it (SQLite
///   would), so it is refused alike on both stores, naming the parameter;
/// - no parameter may nest deeper than a form's [`MAX_DEPTH`], so JSON bodies obey the
///   same limit as form bodies and queries.
fn check_tree(tree: &Map<String, Value>) -> Result<(), ApiError> {
    let mut pending: Vec<(String, usize, &Value)> = tree.iter().map(|(k, v)| (k.clone(), 0, v)).collect();
    while let Some((param, depth, value)) = pending.pop() {
        let nul = || {
            let shown = shown_name(&param);
            ApiError::invalid(
                "parameter_invalid",
                shown.clone(),
                format!("Invalid {shown}: it contains a NUL character."),
            )
        };
        if param.contains('\0') {
            return Err(nul());
        }
        let children = match value {
            Value::String(s) if s.contains('\0') => return Err(nul()),
            Value::Object(map) if !map.is_empty() => map.len(),
            Value::Array(items) if !items.is_empty() => items.len(),
            _ => 0,
        };
        if children > 0 && depth == MAX_DEPTH {
            return Err(too_deep(&param));
        }
        match value {
            Value::Object(map) => pending.extend(map.iter().map(|(k, v)| (join(&param, k), depth + 1, v))),
            Value::Array(items) => pending.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (join(&param, &i.to_string()), depth + 1, v)),
            ),
            _ => {}
        }
    }
    Ok(())
}

/// Parses a body as JSON or as a form; an empty body is no parameters.
pub async fn read_body(body: Body, limit: usize, is_json: bool) -> Result<Map<String, Value>, ApiError> {
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::payload_too_large(limit))?;
    parse_body(&bytes, is_json)
}

pub fn parse_body(bytes: &[u8], is_json: bool) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    if !is_json {
        return parse_form(bytes);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            "Invalid JSON body: the top level must be an object of parameters.",
        )),
        Err(e) => Err(ApiError::bad_request(format!("Invalid JSON body: {e}."))),
    }
}

/// The `expand[]` paths a request asks for, or none if its parameters cannot be read (the
/// handler refuses those).
pub fn expand_paths(query: Option<&str>, body: &[u8], is_json: bool) -> Vec<String> {
    let Ok(mut tree) = parse_form(query.unwrap_or("").as_bytes()) else {
        return Vec::new();
    };
    match parse_body(body, is_json) {
        Ok(map) => tree.extend(map),
        Err(_) => return Vec::new(),
    }
    take_expand(&mut tree).unwrap_or_default()
}

fn take_expand(tree: &mut Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let invalid = || {
        ApiError::invalid(
            "parameter_invalid",
            "expand",
            "Invalid expand: must be an array of strings, e.g. expand[]=data.customer.",
        )
    };
    match tree.remove("expand") {
        None => Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s]),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(invalid()),
            })
            .collect(),
        Some(_) => Err(invalid()),
    }
}

/// Deserialises a parameter tree, turning serde's errors into Stripe's.
pub fn from_tree<T: DeserializeOwned>(tree: Map<String, Value>) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(Value::Object(tree)).map_err(|e| {
        let path = render_path(e.path());
        describe(&path, &e.inner().to_string())
    })
}

/// `address.city` → `address[city]`; `items.0.name` → `items[0][name]`.
fn render_path(path: &Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        let text = match segment {
            Segment::Map { key } => key.clone(),
            Segment::Seq { index } => index.to_string(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => continue,
        };
        out = join(&out, &text);
    }
    out
}

/// Appends one level to a Stripe parameter name.
pub fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}[{child}]")
    }
}

/// serde's path already ends at an unknown field, but stops at its parent for a missing one
/// (and for fields inside values we deserialise by hand); name the field once either way.
fn child_param(path: &str, field: &str) -> String {
    if path == field || path.ends_with(&format!("[{field}]")) {
        path.to_owned()
    } else {
        join(path, field)
    }
}

fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

fn describe(path: &str, message: &str) -> ApiError {
    if message.starts_with("unknown field")
        && let Some(field) = backticked(message)
    {
        return ApiError::unknown_parameter(child_param(path, field));
    }
    if message.starts_with("missing field")
        && let Some(field) = backticked(message)
    {
        return ApiError::missing_parameter(child_param(path, field));
    }
    if let Some(rest) = message.strip_prefix("unknown variant") {
        let expected = rest
            .split_once("expected ")
            .map(|(_, e)| e.replace('`', ""))
            .unwrap_or_default();
        return ApiError::invalid(
            "parameter_invalid",
            path,
            format!("Invalid {path}: must be one of {expected}"),
        );
    }
    // Our own value types say which Stripe code applies: `code|message`.
    if let Some((code, text)) = message.split_once('|')
        && let Some(code) = lenient::known_code(code)
    {
        return ApiError::invalid(code, path, format!("{text} ({path})"));
    }
    let expected = message.split_once("expected ").map(|(_, e)| e).unwrap_or(message);
    // serde names our Rust types (`struct AddressParam`, `a sequence`): say it in Stripe's terms.
    let expected = if expected.starts_with("struct ") || expected.starts_with("a map") {
        "a hash of parameters (e.g. name[field]=value)"
    } else if expected.starts_with("a sequence") {
        "an array (e.g. name[]=value)"
    } else {
        expected
    };
    ApiError::invalid(
        "parameter_invalid",
        path,
        format!("Invalid {path}: expected {expected}"),
    )
}

pub mod lenient {
    //! Value types that accept both JSON's typed values and form encoding's strings.

    use std::collections::BTreeMap;
    use std::fmt;

    use serde::Deserialize;
    use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

    use crate::domain::fields::{Change, MetadataChange};

    pub(super) fn known_code(code: &str) -> Option<&'static str> {
        [
            "parameter_invalid_integer",
            "parameter_invalid_string_empty",
            "parameter_invalid_empty",
            "parameter_invalid",
        ]
        .into_iter()
        .find(|c| *c == code)
    }

    /// An integer given as a JSON number or as decimal text.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Int(pub i64);

    impl<'de> Deserialize<'de> for Int {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Int;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an integer")
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                    Ok(Int(v))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                    i64::try_from(v)
                        .map(Int)
                        .map_err(|_| E::custom(format!("parameter_invalid_integer|Invalid integer: {v}")))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                    v.trim()
                        .parse()
                        .map(Int)
                        .map_err(|_| E::custom(format!("parameter_invalid_integer|Invalid integer: {v}")))
                }
            }
            d.deserialize_any(V)
        }
    }

    /// A boolean given as JSON `true`/`false` or as the text `true`/`false`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Bool(pub bool);

    impl<'de> Deserialize<'de> for Bool {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Bool;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a boolean")
                }
                fn visit_bool<E: de::Error>(self, v: bool) -> Result<Bool, E> {
                    Ok(Bool(v))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Bool, E> {
                    match v {
                        "true" => Ok(Bool(true)),
                        "false" => Ok(Bool(false)),
                        _ => Err(E::custom(format!("parameter_invalid|Invalid boolean: {v}"))),
                    }
                }
            }
            d.deserialize_any(V)
        }
    }

    /// An optional field in an update: absent keeps it, `""` or `null` clears it.
    /// Use with `#[serde(default)]`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Clearable<T>(pub Change<T>);

    impl<T> Default for Clearable<T> {
        fn default() -> Self {
            Self(Change::Keep)
        }
    }

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Clearable<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let value = serde_json::Value::deserialize(d)?;
            match value {
                serde_json::Value::Null => Ok(Self(Change::Clear)),
                serde_json::Value::String(s) if s.is_empty() => Ok(Self(Change::Clear)),
                other => T::deserialize(other)
                    .map(|v| Self(Change::Set(v)))
                    .map_err(de::Error::custom),
            }
        }
    }

    /// `metadata`: `""` clears all keys; `metadata[k]=""` unsets one.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct MetadataParam(pub MetadataChange);

    impl<'de> Deserialize<'de> for MetadataParam {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = MetadataParam;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a hash of string keys and string values, or \"\" to clear it")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<MetadataParam, E> {
                    if v.is_empty() {
                        Ok(MetadataParam(MetadataChange::ClearAll))
                    } else {
                        Err(E::custom(
                            "parameter_invalid|Invalid metadata: must be a hash, or an empty string to clear it",
                        ))
                    }
                }
                fn visit_unit<E: de::Error>(self) -> Result<MetadataParam, E> {
                    Ok(MetadataParam(MetadataChange::ClearAll))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetadataParam, A::Error> {
                    let mut entries = BTreeMap::new();
                    while let Some((k, v)) = map.next_entry::<String, MetadataValue>()? {
                        entries.insert(k, v.0);
                    }
                    Ok(MetadataParam(MetadataChange::Merge(entries)))
                }
                // `metadata[0]=x` arrives as an array; its keys are the indexes.
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MetadataParam, A::Error> {
                    let mut entries = BTreeMap::new();
                    let mut i = 0usize;
                    while let Some(v) = seq.next_element::<MetadataValue>()? {
                        entries.insert(i.to_string(), v.0);
                        i += 1;
                    }
                    Ok(MetadataParam(MetadataChange::Merge(entries)))
                }
            }
            d.deserialize_any(V)
        }
    }

    /// One metadata value: text (numbers and booleans become text); `""` or `null` unsets.
    struct MetadataValue(Option<String>);

    impl<'de> Deserialize<'de> for MetadataValue {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            match serde_json::Value::deserialize(d)? {
                serde_json::Value::Null => Ok(Self(None)),
                serde_json::Value::String(s) if s.is_empty() => Ok(Self(None)),
                serde_json::Value::String(s) => Ok(Self(Some(s))),
                serde_json::Value::Number(n) => Ok(Self(Some(n.to_string()))),
                serde_json::Value::Bool(b) => Ok(Self(Some(b.to_string()))),
                _ => Err(de::Error::custom(
                    "parameter_invalid|Invalid metadata value: must be a string",
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::lenient::{Clearable, Int};
    use super::*;
    use crate::domain::fields::Change;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Addr {
        #[allow(dead_code)]
        city: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct P {
        limit: Option<Int>,
        #[serde(default)]
        name: Clearable<String>,
        #[allow(dead_code)]
        address: Option<Addr>,
    }

    fn tree(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn strings_become_integers_and_empty_clears() {
        let p: P = from_tree(tree(json!({"limit": "3", "name": ""}))).unwrap();
        assert_eq!(p.limit, Some(Int(3)));
        assert_eq!(p.name.0, Change::Clear);
    }

    #[test]
    fn errors_name_the_nested_parameter() {
        let e = from_tree::<P>(tree(json!({"address": {"town": "x"}}))).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("address[town]"));
        assert_eq!(e.code, Some("parameter_unknown"));
        let e = from_tree::<P>(tree(json!({"limit": "ten"}))).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("limit"));
        assert_eq!(e.code, Some("parameter_invalid_integer"));
        let e = from_tree::<P>(tree(json!({"address": "x"}))).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("address"));
    }
}
