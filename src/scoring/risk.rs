//! Combined risk: a weighted mean over the fields that have data, with coverage reported.
//!
//! The product documents' example averages the email score twice, never uses the phone score
//! and does not re-weight when a field is missing. Here a field counts only when it was
//! provided *and* the owner data had it (`match_score` is `Some`); the weights of the fields
//! that count are renormalised, and `coverage` says how much of the total weight that was.

use serde::{Deserialize, Serialize};

use super::FieldScore;

/// Per-field results; `None` means the platform did not provide the field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchResults {
    pub name: Option<FieldScore>,
    pub email: Option<FieldScore>,
    pub phone: Option<FieldScore>,
    pub address: Option<FieldScore>,
}

/// Relative field weights (need not sum to 1; negative or non-finite weights count as 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub name: f64,
    pub email: f64,
    pub phone: f64,
    pub address: f64,
}

impl Default for Weights {
    /// Name carries the most identity evidence, then address; email and phone are weaker
    /// (shared household numbers, many addresses per person).
    fn default() -> Self {
        Self {
            name: 0.4,
            email: 0.2,
            phone: 0.15,
            address: 0.25,
        }
    }
}

/// What a platform would do with the combined score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Score >= 70.
    Proceed,
    /// 60 <= score < 70: ask for more evidence (e.g. an ID).
    StepUp,
    /// Score < 60.
    Cancel,
    /// No field had data on both sides.
    Insufficient,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RiskSummary {
    /// Weighted mean (0–100) over the fields with data; `None` when there are none.
    pub score: Option<f64>,
    /// Share (0–1) of the total weight carried by fields with data.
    pub coverage: f64,
    /// How many fields had data on both sides.
    pub fields_with_data: u8,
    pub decision: Decision,
}

fn clean(w: f64) -> f64 {
    if w.is_finite() && w > 0.0 { w } else { 0.0 }
}

/// Weighted mean of the present field scores, weights renormalised over those fields.
pub fn combined_risk(results: &MatchResults, weights: &Weights) -> RiskSummary {
    let parts = [
        (&results.name, clean(weights.name)),
        (&results.email, clean(weights.email)),
        (&results.phone, clean(weights.phone)),
        (&results.address, clean(weights.address)),
    ];
    let total: f64 = parts.iter().map(|(_, w)| w).sum();
    let (mut num, mut den, mut count) = (0.0, 0.0, 0u8);
    for (result, w) in parts {
        if let Some(score) = result.as_ref().and_then(|r| r.match_score) {
            count += 1;
            num += f64::from(score) * w;
            den += w;
        }
    }
    let score = (den > 0.0).then(|| num / den);
    let decision = match score {
        None => Decision::Insufficient,
        Some(s) if s >= 70.0 => Decision::Proceed,
        Some(s) if s >= 60.0 => Decision::StepUp,
        Some(_) => Decision::Cancel,
    };
    let coverage = if total > 0.0 { den / total } else { 0.0 };
    RiskSummary {
        score,
        coverage,
        fields_with_data: count,
        decision,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::{Flags, Level};

    fn fs(score: u8) -> Option<FieldScore> {
        Some(FieldScore::new(
            score,
            if score == 100 { Level::Exact } else { Level::Typo },
            Flags::default(),
        ))
    }

    fn equal() -> Weights {
        Weights {
            name: 1.0,
            email: 1.0,
            phone: 1.0,
            address: 1.0,
        }
    }

    #[test]
    fn all_four_fields() {
        let r = MatchResults {
            name: fs(80),
            email: fs(60),
            phone: fs(40),
            address: fs(100),
        };
        let s = combined_risk(&r, &equal());
        assert_eq!(s.score, Some(70.0));
        assert_eq!(s.coverage, 1.0);
        assert_eq!(s.fields_with_data, 4);
        assert_eq!(s.decision, Decision::Proceed);
    }

    #[test]
    fn missing_fields_renormalise() {
        let r = MatchResults {
            name: fs(80),
            email: fs(60),
            phone: Some(FieldScore::missing()),
            address: None,
        };
        let s = combined_risk(&r, &equal());
        assert_eq!(s.score, Some(70.0));
        assert_eq!(s.coverage, 0.5);
        assert_eq!(s.fields_with_data, 2);
    }

    #[test]
    fn phone_counts_once_and_email_once() {
        let base = MatchResults {
            name: fs(90),
            email: fs(90),
            phone: fs(90),
            address: fs(90),
        };
        let low_phone = MatchResults {
            phone: fs(0),
            ..base.clone()
        };
        let low_email = MatchResults {
            email: fs(0),
            ..base.clone()
        };
        let w = equal();
        assert_eq!(combined_risk(&low_phone, &w).score, Some(67.5));
        assert_eq!(combined_risk(&low_email, &w).score, Some(67.5));
        assert_eq!(combined_risk(&low_phone, &w).decision, Decision::StepUp);
    }

    #[test]
    fn nothing_is_insufficient() {
        let s = combined_risk(&MatchResults::default(), &Weights::default());
        assert_eq!(s.score, None);
        assert_eq!(s.decision, Decision::Insufficient);
        assert_eq!(s.fields_with_data, 0);
        let only = MatchResults {
            address: fs(50),
            ..MatchResults::default()
        };
        let s = combined_risk(&only, &Weights::default());
        assert_eq!(s.score, Some(50.0));
        assert_eq!(s.decision, Decision::Cancel);
        assert!((s.coverage - 0.25).abs() < 1e-9);
    }
}
