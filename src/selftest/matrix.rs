//! The detection matrix: which scenario cases each fault of the reference
//! issuer makes fail, computed from plain run reports (one against the
//! conformant reference, one per fault). Pure, so it is tested without a
//! server and the renderers read only this.
//!
//! A case *kills* a fault when it passed against the conformant reference and
//! its outcome under the fault is `fail` or `warn` (a should-level check that
//! notices the fault is still a detection, and is marked as such). An `error`
//! under a fault is not a detection: the harness could not decide. The one
//! exception is a run that halted before any case (a certificate no client
//! may accept): the halt is the verdict (exit 3), and it kills the cases
//! that cover the rows the fault declares, marked `halted`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::report::model::{Outcome, RunReport};

pub const SCHEMA: &str = "grantcheck-selftest/1";

/// What the catalogue says about one fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpec {
    pub name: String,
    pub description: String,
    /// Requirement ids the fault declares it breaks.
    pub breaks: Vec<String>,
}

/// One case that noticed a fault, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kill {
    pub case: String,
    /// `fail` or `warn`.
    pub outcome: Outcome,
}

/// A case that did not reach a verdict (or did not pass when it should have).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub case: String,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRow {
    #[serde(flatten)]
    pub spec: FaultSpec,
    pub killed_by: Vec<Kill>,
    /// Declared ids that no killing case covers.
    pub ids_not_failed: Vec<String>,
    /// Cases that ended in `error` under this fault.
    pub errors: Vec<Note>,
    pub duration_ms: u64,
}

impl FaultRow {
    pub fn caught(&self) -> bool {
        !self.killed_by.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRow {
    pub case: String,
    pub covers: Vec<String>,
    /// Faults this case kills, in catalogue order.
    pub kills: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub total: usize,
    pub pass: usize,
    /// Cases that did not pass against the conformant reference: each is a
    /// false alarm (or a harness problem) and makes the self-test fail.
    pub not_passing: Vec<Note>,
    /// Cases the reference's profile does not apply to (an option it does
    /// not offer, e.g. JWT access tokens): neither a false alarm nor a case
    /// a fault must kill here; the dialect emulations run them.
    #[serde(default)]
    pub skipped: Vec<Note>,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    pub schema: String,
    pub baseline: Baseline,
    pub faults: Vec<FaultRow>,
    pub cases: Vec<CaseRow>,
}

/// One reason the self-test fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    FalseAlarm(Note),
    FaultUncaught(String),
    CaseUnkilled(String),
    IdNotFailed { fault: String, id: String },
    ErrorUnderFault { fault: String, note: Note },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::FalseAlarm(n) => write!(
                f,
                "{} is {} against the conformant reference{}",
                n.case,
                n.outcome.as_str(),
                n.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            Problem::FaultUncaught(name) => write!(f, "fault {name} is caught by no case"),
            Problem::CaseUnkilled(case) => write!(f, "case {case} is killed by no fault"),
            Problem::IdNotFailed { fault, id } => write!(
                f,
                "fault {fault} declares {id}, but no case covering {id} fails under it"
            ),
            Problem::ErrorUnderFault { fault, note } => write!(
                f,
                "case {} errors under {fault}{}",
                note.case,
                note.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
        }
    }
}

fn note(c: &crate::report::model::CaseResult) -> Note {
    Note {
        case: c.id.clone(),
        outcome: c.outcome,
        reason: c.reason.clone(),
    }
}

impl Matrix {
    /// Builds the matrix from the conformant run and one run per fault (in
    /// catalogue order). Cases are matched by id; a case missing from a fault
    /// run counts as not killed.
    pub fn build(baseline: &RunReport, runs: &[(FaultSpec, RunReport)]) -> Matrix {
        let passed: BTreeSet<&str> = baseline
            .cases
            .iter()
            .filter(|c| c.outcome == Outcome::Pass)
            .map(|c| c.id.as_str())
            .collect();
        // A case the reference skips (it lacks the option) that a fault
        // makes applicable and then fails is a detection too: the
        // `iss_unadvertised` fault turns the iss flag off and sends iss.
        let skipped: BTreeSet<&str> = baseline
            .cases
            .iter()
            .filter(|c| c.outcome == Outcome::Skip)
            .map(|c| c.id.as_str())
            .collect();
        let mut kills: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut faults = Vec::with_capacity(runs.len());
        for (spec, report) in runs {
            let mut killed_by = Vec::new();
            let mut errors = Vec::new();
            let mut failed_ids: BTreeSet<&str> = BTreeSet::new();
            // Only a halt at setup (the run could not start) stands for a
            // detection; a deadline or a signal is not the fault's doing.
            let halted = report
                .halt
                .as_ref()
                .is_some_and(|h| h.cause == crate::report::model::HaltCause::Setup);
            for c in &report.cases {
                let declared = c.covers.iter().any(|id| spec.breaks.contains(id));
                let before = passed.contains(c.id.as_str()) || skipped.contains(c.id.as_str());
                let killed = match c.outcome {
                    Outcome::Fail | Outcome::Warn => before,
                    Outcome::Error if halted => declared && passed.contains(c.id.as_str()),
                    Outcome::Error => {
                        errors.push(note(c));
                        false
                    }
                    _ => false,
                };
                if killed {
                    killed_by.push(Kill {
                        case: c.id.clone(),
                        outcome: c.outcome,
                    });
                    failed_ids.extend(c.covers.iter().map(String::as_str));
                    kills
                        .entry(c.id.clone())
                        .or_default()
                        .push(spec.name.clone());
                }
            }
            let ids_not_failed = spec
                .breaks
                .iter()
                .filter(|id| !failed_ids.contains(id.as_str()))
                .cloned()
                .collect();
            faults.push(FaultRow {
                spec: spec.clone(),
                killed_by,
                ids_not_failed,
                errors,
                duration_ms: report.duration_ms,
            });
        }
        let cases = baseline
            .cases
            .iter()
            .map(|c| CaseRow {
                case: c.id.clone(),
                covers: c.covers.clone(),
                kills: kills.get(&c.id).cloned().unwrap_or_default(),
            })
            .collect();
        Matrix {
            schema: SCHEMA.into(),
            baseline: Baseline {
                total: baseline.cases.len(),
                pass: passed.len(),
                not_passing: baseline
                    .cases
                    .iter()
                    .filter(|c| !matches!(c.outcome, Outcome::Pass | Outcome::Skip))
                    .map(note)
                    .collect(),
                skipped: baseline
                    .cases
                    .iter()
                    .filter(|c| c.outcome == Outcome::Skip)
                    .map(note)
                    .collect(),
                duration_ms: baseline.duration_ms,
            },
            faults,
            cases,
        }
    }

    /// Whether the reference skipped `case` (an option it does not offer).
    pub fn skipped(&self, case: &str) -> bool {
        self.baseline.skipped.iter().any(|n| n.case == case)
    }

    pub fn caught(&self) -> usize {
        self.faults.iter().filter(|f| f.caught()).count()
    }

    /// Caught faults over all faults, in percent (100 for an empty catalogue).
    pub fn score(&self) -> f64 {
        if self.faults.is_empty() {
            100.0
        } else {
            100.0 * self.caught() as f64 / self.faults.len() as f64
        }
    }

    /// Everything that makes the self-test fail, in a stable order.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out: Vec<Problem> = self
            .baseline
            .not_passing
            .iter()
            .cloned()
            .map(Problem::FalseAlarm)
            .collect();
        for f in &self.faults {
            if !f.caught() {
                out.push(Problem::FaultUncaught(f.spec.name.clone()));
            }
        }
        for f in &self.faults {
            for id in &f.ids_not_failed {
                out.push(Problem::IdNotFailed {
                    fault: f.spec.name.clone(),
                    id: id.clone(),
                });
            }
        }
        // A case that did not pass the baseline is already reported as a false alarm.
        for c in &self.cases {
            let passed = !self.baseline.not_passing.iter().any(|n| n.case == c.case)
                && !self.skipped(&c.case);
            if passed && c.kills.is_empty() {
                out.push(Problem::CaseUnkilled(c.case.clone()));
            }
        }
        for f in &self.faults {
            for n in &f.errors {
                out.push(Problem::ErrorUnderFault {
                    fault: f.spec.name.clone(),
                    note: n.clone(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::fixtures::{case, report};

    fn spec(name: &str, breaks: &[&str]) -> FaultSpec {
        FaultSpec {
            name: name.into(),
            description: String::new(),
            breaks: breaks.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_clean_matrix_has_no_problems() {
        let base = report(vec![
            case("a", &["PKCE-01"], Outcome::Pass),
            case("b", &["CODE-01"], Outcome::Pass),
        ]);
        let runs = vec![
            (
                spec("f1", &["PKCE-01"]),
                report(vec![
                    case("a", &["PKCE-01"], Outcome::Fail),
                    case("b", &["CODE-01"], Outcome::Pass),
                ]),
            ),
            (
                spec("f2", &["CODE-01"]),
                report(vec![
                    case("a", &["PKCE-01"], Outcome::Pass),
                    case("b", &["CODE-01"], Outcome::Warn),
                ]),
            ),
        ];
        let m = Matrix::build(&base, &runs);
        assert_eq!(m.problems(), vec![]);
        assert_eq!(m.score(), 100.0);
        assert_eq!(m.cases[0].kills, vec!["f1"]);
        assert_eq!(m.cases[1].kills, vec!["f2"]);
        assert_eq!(m.faults[1].killed_by[0].outcome, Outcome::Warn);
    }

    /// A run that halted before any case kills the cases covering the
    /// fault's rows (the halt is the verdict), and its other errors are not
    /// problems; without a halt, the same errors would be.
    #[test]
    fn a_halted_run_kills_only_the_declared_rows() {
        let base = report(vec![
            case("chain", &["TLS-04"], Outcome::Pass),
            case("other", &["CODE-01"], Outcome::Pass),
        ]);
        let all_errors = || {
            report(vec![
                case("chain", &["TLS-04"], Outcome::Error),
                case("other", &["CODE-01"], Outcome::Error),
            ])
        };
        let mut halted = all_errors();
        halted.halt = Some(crate::report::model::Halt::new(
            crate::report::model::HaltCause::Setup,
            "invalid peer certificate",
        ));
        let m = Matrix::build(&base, &[(spec("wrong_name", &["TLS-04"]), halted)]);
        assert_eq!(m.faults[0].killed_by.len(), 1);
        assert_eq!(m.faults[0].killed_by[0].case, "chain");
        assert!(m.faults[0].errors.is_empty());
        assert_eq!(m.cases[0].kills, vec!["wrong_name"]);
        assert!(m.cases[1].kills.is_empty());

        let m = Matrix::build(&base, &[(spec("wrong_name", &["TLS-04"]), all_errors())]);
        assert!(!m.faults[0].caught());
        assert_eq!(m.faults[0].errors.len(), 2);
    }

    #[test]
    fn every_kind_of_problem_is_reported() {
        let base = report(vec![
            case("a", &["PKCE-01"], Outcome::Pass),
            case("b", &["CODE-01"], Outcome::Pass),
            case("c", &["RT-01"], Outcome::Fail),
        ]);
        let runs = vec![
            (
                spec("caught_wrong_id", &["PKCE-01", "PKCE-02"]),
                report(vec![
                    case("a", &["PKCE-01"], Outcome::Fail),
                    case("b", &["CODE-01"], Outcome::Error),
                    case("c", &["RT-01"], Outcome::Fail),
                ]),
            ),
            (
                spec("uncaught", &["CODE-01"]),
                report(vec![
                    case("a", &["PKCE-01"], Outcome::Pass),
                    case("b", &["CODE-01"], Outcome::Skip),
                    case("c", &["RT-01"], Outcome::Fail),
                ]),
            ),
        ];
        let m = Matrix::build(&base, &runs);
        let p: Vec<String> = m.problems().iter().map(|p| p.to_string()).collect();
        assert_eq!(
            p,
            vec![
                "c is fail against the conformant reference: why",
                "fault uncaught is caught by no case",
                "fault caught_wrong_id declares PKCE-02, but no case covering PKCE-02 fails under it",
                "fault uncaught declares CODE-01, but no case covering CODE-01 fails under it",
                "case b is killed by no fault",
                "case b errors under caught_wrong_id: why",
            ]
        );
        // A case failing the baseline cannot kill anything: it never passed.
        assert!(m.cases[2].kills.is_empty());
        assert_eq!(m.score(), 50.0);
    }
}
