//! Findings: a failing run of an input, reduced to its root cause, kept
//! once however many inputs show it, and written as a scenario file that
//! `grantcheck run --suites <dir>` replays and fails on.

use std::collections::BTreeSet;

use super::effect::{self, Demand};
use super::input::Input;
use super::surface::Surface;
use crate::report::model::{CaseResult, Outcome};

/// What a failing case shows: the first failing step and the assertions
/// that failed there. Two runs with the same symptom fail the same way.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Symptom {
    pub step: String,
    /// The failing step's action (`token`, `authorize`, ...): its endpoint.
    pub action: String,
    pub what: Vec<String>,
    /// The requirement rows of the failed checks.
    pub rows: Vec<String>,
    /// `fail` (a MUST or profile rule) or `warn` (a SHOULD).
    pub outcome: Outcome,
}

impl Symptom {
    /// The symptom of `case`, if it failed or warned.
    pub fn of(case: &CaseResult) -> Option<Symptom> {
        if !matches!(case.outcome, Outcome::Fail | Outcome::Warn) {
            return None;
        }
        let step = case
            .steps
            .iter()
            .find(|s| s.outcome == case.outcome && s.not_run.is_none())?;
        // A body that is not JSON fails every check that reads a member:
        // those are its consequences, not symptoms of their own.
        let not_json = step
            .checks
            .iter()
            .any(|c| !c.passed && c.what == "body" && c.actual.contains("not JSON"));
        let consequence = |c: &&crate::report::model::Check| {
            not_json && (c.what.starts_with("error") || c.what.starts_with("json "))
        };
        let failed = || {
            step.checks
                .iter()
                .filter(|c| !c.passed)
                .filter(|c| !consequence(c))
        };
        let what: BTreeSet<String> = failed().map(|c| c.what.clone()).collect();
        let rows: BTreeSet<String> = failed().flat_map(|c| c.covers.iter().cloned()).collect();
        Some(Symptom {
            step: step.name.clone(),
            action: step.action.clone(),
            what: what.into_iter().collect(),
            rows: rows.into_iter().collect(),
            outcome: case.outcome,
        })
    }
}

/// Rows every response of an endpoint is held to, whatever was mutated:
/// their failure is one cause per endpoint, not one per flow and parameter.
const GENERIC_ROWS: &[&str] = &[
    "ERR-01", "ERR-02", "ERR-03", "ERR-04", "ERR-05", "HDR-01", "HDR-02", "TOK-01", "TOK-02",
    "TOK-03",
];

/// The root cause of a shrunk input's symptom. A failure of the generic
/// oracles only (an error body that is not JSON, no `no-store`) is one
/// cause per endpoint and failed check, whichever input showed it. Any
/// other failure is keyed by the flow, the failing step and checks, the
/// rule the mutations probe and the parameters they touch, so inputs
/// differing only in how they changed a parameter (`chop(code)`,
/// `extend(code)`) share it.
pub fn root_cause(input: &Input, symptom: &Symptom, s: &Surface) -> String {
    let generic = !symptom.rows.is_empty()
        && symptom
            .rows
            .iter()
            .all(|r| GENERIC_ROWS.contains(&r.as_str()));
    if generic {
        return format!(
            "{} endpoint: {} [{}]",
            symptom.action,
            symptom.what.join(","),
            symptom.rows.join(",")
        );
    }
    let row = match effect::demand(input, s) {
        Demand::Rule(r) => r.row.to_string(),
        Demand::Accept => "accept".into(),
        Demand::Open => "open".into(),
    };
    let touched: BTreeSet<String> = input
        .mutations
        .iter()
        .map(super::grammar::touches)
        .collect();
    format!(
        "{}/{}:{} [{row}] {}",
        input.flow.name(),
        symptom.step,
        symptom.what.join(","),
        touched.into_iter().collect::<Vec<_>>().join(",")
    )
}

/// Inputs one step simpler than `input`: each mutation left out, then
/// each argument reset to 0. Shrinking keeps the first that shows the
/// same symptom, and starts again from it.
pub fn simpler(input: &Input) -> Vec<Input> {
    let mut out = Vec::new();
    for i in 0..input.mutations.len() {
        let mut c = input.clone();
        c.mutations.remove(i);
        out.push(c);
    }
    for i in 0..input.mutations.len() {
        if input.mutations[i].arg != 0 {
            let mut c = input.clone();
            c.mutations[i].arg = 0;
            out.push(c);
        }
    }
    out
}

/// The scenario id of a finding: `fuzz.<flow>.<mutations>.<hash>`, in the
/// characters scenario ids allow.
pub fn scenario_id(input: &Input, key: &str) -> String {
    let muts: Vec<String> = input.mutations.iter().map(|m| m.label()).collect();
    let muts = match muts.is_empty() {
        true => "unmutated".to_string(),
        false => muts.join("-"),
    };
    let slug: String = muts
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-').replace("--", "-");
    let slug: String = slug.chars().take(80).collect();
    format!(
        "fuzz.{}.{slug}.{:06x}",
        input.flow.name(),
        hash(key) & 0xff_ffff
    )
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One root cause, as found.
#[derive(Clone, Debug)]
pub struct Finding {
    pub key: String,
    pub id: String,
    /// The shrunk input.
    pub input: Input,
    /// Its scenario file.
    pub scenario: String,
    pub symptom: Symptom,
    /// The run of the shrunk input that showed it (redacted evidence).
    pub case: CaseResult,
    /// How many generated inputs showed this root cause.
    pub hits: usize,
    /// The case's reason: which assertion failed, expected and got.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::input::{Flow, Mutation, Op};

    fn input(ms: &[(Op, Option<&str>, u32)]) -> Input {
        Input {
            flow: Flow::Code,
            client: "c1".into(),
            user: None,
            mutations: ms
                .iter()
                .map(|(op, p, arg)| Mutation {
                    op: *op,
                    param: p.map(str::to_string),
                    arg: *arg,
                })
                .collect(),
        }
    }

    #[test]
    fn simpler_inputs_drop_one_mutation_or_reset_one_argument() {
        let i = input(&[(Op::Tamper, Some("code"), 5), (Op::Unknown, None, 0)]);
        let s = simpler(&i);
        assert_eq!(s.len(), 3);
        assert!(s.iter().all(|c| c != &i));
        assert_eq!(s[2].mutations[0].arg, 0);
    }

    #[test]
    fn ids_are_scenario_ids() {
        let i = input(&[(Op::Percent, Some("code_verifier"), 1), (Op::Uri, None, 3)]);
        let id = scenario_id(&i, "k");
        assert!(
            id.starts_with("fuzz.code.percent-code_verifier-uri."),
            "{id}"
        );
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)),
            "{id}"
        );
        assert_ne!(scenario_id(&i, "k"), scenario_id(&i, "other"));
    }
}
