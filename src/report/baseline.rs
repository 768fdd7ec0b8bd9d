//! Baselines of known deviations: a committed file lists scenario cases with
//! a reason (and optionally an expiry date); those cases do not fail the run
//! but stay visible, and entries that no longer match anything are reported
//! as stale so the file shrinks over time.
//!
//! ```toml
//! [[known]]
//! case = "headers.token-pragma"
//! reason = "the issuer follows OAuth 2.1 here; accepted by security review 2026-11"
//! expires = "2027-06-30"   # optional: the entry stops hiding the case after this day
//! ```

use serde::{Deserialize, Serialize};

use super::model::{Outcome, RunReport};

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A case id as reports print it: `scenario.id` or `scenario.id[case]`.
    pub case: String,
    pub reason: String,
    /// `YYYY-MM-DD`; after this day the entry no longer applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[serde(default)]
    pub known: Vec<Entry>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{0}")]
    Toml(String),
    #[error("entry for `{case}`: expires must be YYYY-MM-DD, got `{value}`")]
    BadDate { case: String, value: String },
    #[error("`{0}` is listed twice")]
    Duplicate(String),
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

impl Baseline {
    pub fn parse(text: &str) -> Result<Baseline, BaselineError> {
        let b: Baseline = toml::from_str(text).map_err(|e| BaselineError::Toml(e.to_string()))?;
        let mut seen = std::collections::BTreeSet::new();
        for e in &b.known {
            if let Some(d) = &e.expires {
                if !is_date(d) {
                    return Err(BaselineError::BadDate {
                        case: e.case.clone(),
                        value: d.clone(),
                    });
                }
            }
            if !seen.insert(e.case.as_str()) {
                return Err(BaselineError::Duplicate(e.case.clone()));
            }
        }
        Ok(b)
    }

    /// A baseline accepting every case of `report` that did not pass, for
    /// the user to fill in the reasons.
    pub fn from_report(report: &RunReport) -> String {
        let mut out = String::from(
            "# grantcheck baseline: known deviations that do not fail the run.\n\
             # Replace each reason with why the deviation is accepted; add\n\
             # `expires = \"YYYY-MM-DD\"` to make an entry lapse.\n",
        );
        for c in report
            .cases
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn | Outcome::Error))
        {
            out.push_str(&format!(
                "\n[[known]]\n# {} now: {}\ncase = {}\nreason = \"TODO: why this deviation is accepted\"\n",
                c.outcome.as_str(),
                // A TOML comment holds no control character but tab, and reasons
                // quote issuer text: a CR or an escape byte made the written file
                // unparseable (found by `fuzzing::check_baseline`).
                c.reason
                    .clone()
                    .unwrap_or_default()
                    .chars()
                    .map(|ch| if ch.is_control() && ch != '\t' { ' ' } else { ch })
                    .collect::<String>(),
                toml_string(&c.id)
            ));
        }
        out
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// What applying a baseline found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub path: String,
    /// Cases the baseline accepted in this run.
    pub applied: usize,
    /// Entries that hide nothing: the case passes now, no longer exists, or
    /// the entry expired.
    pub stale: Vec<Stale>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stale {
    pub case: String,
    pub why: String,
}

/// Marks the cases the baseline accepts (`CaseResult::known`) and lists
/// stale entries. `today` is `YYYY-MM-DD`; an entry expiring today still applies.
pub fn apply(report: &mut RunReport, baseline: &Baseline, path: &str, today: &str) -> Status {
    let mut status = Status {
        path: path.to_string(),
        ..Default::default()
    };
    for e in &baseline.known {
        let expired = e.expires.as_deref().is_some_and(|d| d < today);
        let Some(c) = report.cases.iter_mut().find(|c| c.id == e.case) else {
            status.stale.push(Stale {
                case: e.case.clone(),
                why: "no such case in this run".into(),
            });
            continue;
        };
        if expired {
            status.stale.push(Stale {
                case: e.case.clone(),
                why: format!(
                    "expired on {}; the case counts again",
                    e.expires.as_deref().unwrap_or_default()
                ),
            });
            continue;
        }
        match c.outcome {
            Outcome::Pass => status.stale.push(Stale {
                case: e.case.clone(),
                why: "passes now".into(),
            }),
            // Not evaluated in this run: neither hidden nor stale.
            Outcome::Skip => {}
            Outcome::Warn | Outcome::Fail | Outcome::Error => {
                c.known = Some(e.reason.clone());
                status.applied += 1;
            }
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{fixtures, CaseResult};

    fn case(id: &str, outcome: Outcome) -> CaseResult {
        fixtures::case(id, &[], outcome)
    }

    fn report() -> RunReport {
        fixtures::report(vec![
            case("a", Outcome::Fail),
            case("b", Outcome::Pass),
            case("c", Outcome::Fail),
            case("d", Outcome::Skip),
        ])
    }

    #[test]
    fn hides_exactly_its_case_and_reports_stale_entries() {
        let b = Baseline::parse(
            r#"
[[known]]
case = "a"
reason = "accepted"
[[known]]
case = "b"
reason = "was broken"
[[known]]
case = "gone"
reason = "renamed"
[[known]]
case = "c"
reason = "lapsed"
expires = "2026-01-01"
[[known]]
case = "d"
reason = "skipped here"
"#,
        )
        .unwrap();
        let mut r = report();
        let s = apply(&mut r, &b, "baseline.toml", "2026-11-21");
        assert_eq!(r.cases[0].known.as_deref(), Some("accepted"));
        assert!(r.cases[1..].iter().all(|c| c.known.is_none()));
        assert_eq!(s.applied, 1);
        let stale: Vec<(&str, &str)> = s
            .stale
            .iter()
            .map(|x| (x.case.as_str(), x.why.as_str()))
            .collect();
        assert_eq!(
            stale,
            vec![
                ("b", "passes now"),
                ("gone", "no such case in this run"),
                ("c", "expired on 2026-01-01; the case counts again"),
            ]
        );
    }

    #[test]
    fn written_baselines_parse_back() {
        let text = Baseline::from_report(&report());
        let b = Baseline::parse(&text).unwrap();
        let ids: Vec<&str> = b.known.iter().map(|e| e.case.as_str()).collect();
        assert_eq!(ids, vec!["a", "c"]);
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(matches!(
            Baseline::parse("[[known]]\ncase = \"a\"\nreason = \"r\"\nexpires = \"soon\"\n"),
            Err(BaselineError::BadDate { .. })
        ));
        assert!(matches!(
            Baseline::parse("[[known]]\ncase = \"a\"\nreason = \"r\"\n[[known]]\ncase = \"a\"\nreason = \"s\"\n"),
            Err(BaselineError::Duplicate(_))
        ));
        assert!(Baseline::parse("[[known]]\ncase = \"a\"\n").is_err());
    }
}
