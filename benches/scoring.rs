//! Per-field comparison cost on realistic inputs, against a straightforward baseline (plain
//! Jaro-Winkler on the whole lower-cased string) in the same run.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use sandbank::scoring::{AddressInput, AddressValue, FieldScore, score_address, score_email, score_name, score_phone};

const NAMES: &[(&str, &str)] = &[
    ("Jennifer Rosen", "Jenny Rosen"),
    ("Jenny Jane Rosen", "Mark Smith"),
    ("ROSEN JENNY / ROSEN MARK", "Mark Rosen"),
    ("Dr. Robert James Smith Jr.", "Bob Smith"),
];
const EMAILS: &[(&str, &str)] = &[
    ("jennyrosen@test.com", "jennyrosen@example.com"),
    ("jenny.rosen+bank@gmail.com", "jennyrosen@googlemail.com"),
    ("jennyrosen@example.com", "jennyrosen12345@example.com"),
    ("marksmith@acme.com", "jennyrosen@acme.com"),
];
const PHONES: &[(&str, &str)] = &[
    ("+1 212-555-5555", "(212) 555-5555"),
    ("+1 212-555-5555", "347 555 5555"),
    ("+44 20 7946 0958", "020 7946 0958"),
    ("+1 212-555-5555 ext. 12", "212 555 5559"),
];
/// International numbers: the UK, Germany and France, international and national forms.
const INTERNATIONAL_PHONES: &[(&str, &str)] = &[
    ("+44 20 7946 0958", "020 7946 0958"),
    ("+49 30 12345678", "+49 30 12345679"),
    ("+33 1 23 45 67 89", "01 23 45 67 89"),
    ("+44 161 496 0000", "+44 20 7946 0958"),
];

fn addresses() -> Vec<(AddressValue, AddressValue)> {
    let structured = AddressValue::Structured(AddressInput {
        line1: Some("354 Oyster Point Blvd".into()),
        line2: Some("Fl 1".into()),
        city: Some("South San Francisco".into()),
        state: Some("CA".into()),
        postal_code: Some("94080".into()),
        country: Some("US".into()),
    });
    let raw = |s: &str| AddressValue::Raw(s.to_owned());
    vec![
        (
            raw("354 Oyster Point Blvd South San Francisco, CA 94080 USA"),
            structured.clone(),
        ),
        (
            raw("356 OYSTER PT BOULEVARD FLOOR 1, S SAN FRANCISCO, CALIFORNIA 94080-1234"),
            structured.clone(),
        ),
        (raw("1 Market St, San Francisco, CA 94105"), structured),
        (
            raw("Unter den Linden 77, 10117 Berlin, Germany"),
            raw("Unter den Linden 77, Berlin 10117, DE"),
        ),
    ]
}

fn address_text(v: &AddressValue) -> String {
    match v {
        AddressValue::Raw(s) => s.clone(),
        AddressValue::Structured(a) => [&a.line1, &a.line2, &a.city, &a.state, &a.postal_code, &a.country]
            .iter()
            .filter_map(|f| f.as_deref())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The baseline: lower-case both whole strings and take Jaro-Winkler.
fn baseline(a: &str, b: &str) -> u8 {
    (strsim::jaro_winkler(&a.to_lowercase(), &b.to_lowercase()) * 100.0).round() as u8
}

/// Runs `score` over every pair, summing the scores so none is optimised away.
fn run_all<T>(pairs: &[(T, T)], score: impl Fn(&T, &T) -> Option<u8>) -> u32 {
    pairs
        .iter()
        .map(|(o, p)| u32::from(score(black_box(o), black_box(p)).unwrap_or(0)))
        .sum()
}

/// A string-valued field: its scorer over `pairs` as `<label>_x4`, then the baseline.
fn string_field(
    g: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    pairs: &[(&str, &str)],
    score: fn(Option<&str>, &str) -> FieldScore,
) {
    g.bench_function(format!("{label}_x4"), |b| {
        b.iter(|| run_all(pairs, |o, p| score(Some(o), p).match_score))
    });
}

fn baseline_of(g: &mut BenchmarkGroup<'_, WallTime>, label: &str, pairs: &[(&str, &str)]) {
    g.bench_function(format!("{label}_baseline_jw_x4"), |b| {
        b.iter(|| run_all(pairs, |o, p| Some(baseline(o, p))))
    });
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("per_comparison");
    // Each iteration runs the field's 4 pairs; criterion reports the time for all 4.
    for (label, pairs, score) in [
        ("name", NAMES, score_name as fn(Option<&str>, &str) -> FieldScore),
        ("email", EMAILS, score_email),
        ("phone", PHONES, score_phone),
    ] {
        string_field(&mut g, label, pairs, score);
        baseline_of(&mut g, label, pairs);
    }
    string_field(&mut g, "phone_international", INTERNATIONAL_PHONES, score_phone);
    let addrs = addresses();
    let texts: Vec<(String, String)> = addrs.iter().map(|(o, p)| (address_text(o), address_text(p))).collect();
    let texts: Vec<(&str, &str)> = texts.iter().map(|(o, p)| (o.as_str(), p.as_str())).collect();
    g.bench_function("address_x4", |b| {
        b.iter(|| run_all(&addrs, |o, p| score_address(Some(o), p).match_score))
    });
    baseline_of(&mut g, "address", &texts);
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = bench
}
criterion_main!(benches);
