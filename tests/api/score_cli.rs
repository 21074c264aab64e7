//! `sandbank score`: JSON lines in, one JSON line out per input, errors in place.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

#[test]
fn score_reads_json_lines_and_answers_each_in_order() {
    let input = concat!(
        r#"{"field": "name", "owner": "Jennifer Rosen", "provided": "Jenny Rosen"}"#,
        "\n",
        r#"{"field": "colour", "owner": "red", "provided": "red"}"#,
        "\n",
        "not json\n",
        r#"{"field": "phone", "owner": null, "provided": "+1 212-555-5555"}"#,
        "\n",
        r#"{"field": "address", "owner": "354 Oyster Point Blvd South San Francisco, CA 94080 USA", "provided": {"line1": "354 Oyster Point Blvd", "city": "South San Francisco", "state": "CA", "postal_code": "94080", "country": "US"}}"#,
        "\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbank"))
        .arg("score")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "one answer per input line");
    assert_eq!(lines[0]["match_score"], 85);
    assert_eq!(lines[0]["missing_data"], false);
    assert!(lines[0]["level"].is_string());
    assert!(lines[1]["error"].as_str().unwrap().contains("field"), "{}", lines[1]);
    assert!(lines[2]["error"].is_string());
    assert_eq!(lines[3]["match_score"], Value::Null);
    assert_eq!(lines[3]["missing_data"], true);
    assert_eq!(lines[4]["match_score"], 100);
}
