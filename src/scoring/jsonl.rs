//! The line-in/line-out core of `sandbank score`: one JSON object per input line,
//! `{"field", "owner", "provided"}`, one result line per input, in order. A bad line yields an
//! `{"error": …}` line naming the problem and processing continues.

use std::io::{self, BufRead, Write};

use serde_json::{Map, Value, json};

use super::{AddressInput, AddressValue, Field, FieldScore, score_address, score_email, score_name, score_phone};

/// Scores one JSON line and returns the JSON result line (without a newline).
pub fn score_json_line(line: &str) -> String {
    match score_value(line) {
        Ok(s) => json!({ "match_score": s.match_score, "missing_data": s.missing_data, "level": s.level.as_str() })
            .to_string(),
        Err(message) => json!({ "error": message }).to_string(),
    }
}

fn score_value(line: &str) -> Result<FieldScore, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(obj) = value else {
        return Err("expected a JSON object with \"field\", \"owner\" and \"provided\"".into());
    };
    let field = match obj.get("field") {
        Some(Value::String(f)) => serde_json::from_value::<Field>(Value::String(f.clone()))
            .map_err(|_| format!("unknown field {f:?}: expected \"name\", \"email\", \"phone\" or \"address\""))?,
        Some(_) => return Err("\"field\" must be a string".into()),
        None => return Err("missing \"field\"".into()),
    };
    if !obj.contains_key("provided") {
        return Err("missing \"provided\"".into());
    }
    match field {
        Field::Address => {
            let owner = address_arg(&obj, "owner")?;
            let provided = address_arg(&obj, "provided")?.ok_or("\"provided\" must not be null")?;
            Ok(score_address(owner.as_ref(), &provided))
        }
        _ => {
            let owner = text_arg(&obj, "owner")?;
            let provided = text_arg(&obj, "provided")?.ok_or("\"provided\" must not be null")?;
            let score = match field {
                Field::Name => score_name,
                Field::Email => score_email,
                _ => score_phone,
            };
            Ok(score(owner.as_deref(), &provided))
        }
    }
}

/// A string argument; `null` or absent → `None` (missing owner data).
fn text_arg(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("\"{key}\" must be a string or null")),
    }
}

/// An address argument: a one-line string or an object with line1, line2, city, state,
/// postal_code, country.
fn address_arg(obj: &Map<String, Value>, key: &str) -> Result<Option<AddressValue>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(AddressValue::Raw(s.clone()))),
        Some(v @ Value::Object(_)) => serde_json::from_value::<AddressInput>(v.clone())
            .map(|a| Some(AddressValue::Structured(a)))
            .map_err(|e| format!("\"{key}\" is not a valid address object: {e}")),
        Some(_) => Err(format!(
            "\"{key}\" must be an address string, an address object or null"
        )),
    }
}

/// Reads JSON lines from `input` and writes one result line per non-empty input line.
pub fn run_jsonl(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(output, "{}", score_json_line(&line))?;
    }
    output.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_errors_in_order() {
        let input = concat!(
            r#"{"field":"name","owner":"Jennifer Rosen","provided":"Jenny Rosen"}"#,
            "\n",
            "not json\n",
            r#"{"field":"fax","owner":"a","provided":"b"}"#,
            "\n",
            r#"{"field":"phone","owner":null,"provided":"+1 212-555-5555"}"#,
            "\n",
            r#"{"field":"address","owner":"354 Oyster Point Blvd South San Francisco, CA 94080 USA","provided":{"line1":"354 Oyster Point Blvd","line2":null,"city":"South San Francisco","state":"CA","postal_code":"94080","country":"US"}}"#,
            "\n",
            r#"{"field":"email","owner":"a@b.com"}"#,
            "\n",
        );
        let mut out = Vec::new();
        run_jsonl(input.as_bytes(), &mut out).unwrap();
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(
            lines[0],
            json!({"match_score": 85, "missing_data": false, "level": "nickname"})
        );
        assert!(lines[1]["error"].as_str().unwrap().contains("invalid JSON"));
        assert!(lines[2]["error"].as_str().unwrap().contains("fax"));
        assert_eq!(
            lines[3],
            json!({"match_score": null, "missing_data": true, "level": "missing"})
        );
        assert_eq!(lines[4]["match_score"], 100);
        assert!(lines[5]["error"].as_str().unwrap().contains("provided"));
    }

    #[test]
    fn wrong_types_are_named() {
        let out = score_json_line(r#"{"field":"name","owner":5,"provided":"x"}"#);
        assert!(out.contains("\\\"owner\\\" must be a string"), "{out}");
        let out = score_json_line(r#"{"field":"address","owner":{"street":"x"},"provided":"x"}"#);
        assert!(out.contains("not a valid address object"), "{out}");
    }
}
