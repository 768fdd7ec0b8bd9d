//! Scores over requirement rows, as OAuch reports them: of the rows a run
//! checked, how many failed, per level (MUST, SHOULD, MAY, profile,
//! adversarial); and the threat view: each threat of the catalogue's
//! "Threats" table, unmitigated when one of its rows failed, weakened when
//! one only warned (a SHOULD not met: the run can still pass).
//!
//! Pure: computed from the cases whenever a renderer needs them, so every
//! format shows the same numbers.

use std::collections::BTreeSet;

use super::model::{CaseResult, Outcome};
use crate::requirements::{self, Requirement};

/// The level buckets, in the order reports show them.
pub const LEVELS: &[&str] = &["must", "should", "may", "profile", "adversarial"];

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LevelScore {
    pub level: &'static str,
    /// Rows some case really checked (passed, failed or warned).
    pub checked: usize,
    /// Of those, rows a failing or warning case's failed checks name (a
    /// SHOULD not met counts: the rate is of rows not met).
    pub failed: usize,
}

impl LevelScore {
    /// The failure rate in percent, when anything was checked.
    pub fn rate(&self) -> Option<f64> {
        (self.checked > 0).then(|| 100.0 * self.failed as f64 / self.checked as f64)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ThreatStatus {
    /// A row that mitigates it failed.
    Unmitigated,
    /// Only a row at should level warned: the defence is weaker than the
    /// specs recommend, and the run can still pass.
    Weakened,
    /// Its rows that ran all passed.
    Mitigated,
    /// None of its rows ran.
    Unchecked,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ThreatScore {
    pub id: String,
    pub name: String,
    pub source: String,
    pub status: ThreatStatus,
    /// Its rows that failed in this run.
    pub failed_rows: Vec<String>,
    /// Its rows that only warned.
    pub warned_rows: Vec<String>,
    /// Its rows this run checked.
    pub checked_rows: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Scores {
    pub levels: Vec<LevelScore>,
    pub threats: Vec<ThreatScore>,
}

impl Scores {
    pub fn unmitigated(&self) -> impl Iterator<Item = &ThreatScore> {
        self.threats
            .iter()
            .filter(|t| t.status == ThreatStatus::Unmitigated)
    }

    pub fn count(&self, status: ThreatStatus) -> usize {
        self.threats.iter().filter(|t| t.status == status).count()
    }

    /// Whether any row was checked at all (nothing to show otherwise).
    pub fn is_empty(&self) -> bool {
        self.levels.iter().all(|l| l.checked == 0)
    }
}

/// The bucket of a catalogue level column (`MUST (if supported)`,
/// `SHOULD → PROFILE MUST`, `BP`, `ADV`...).
pub fn bucket(r: &Requirement) -> &'static str {
    // `MUST NOT (client) → issuer SHOULD reject`: what the issuer is held to
    // is after the arrow.
    let l = match r.level.rsplit_once('→') {
        Some((_, after)) => after.trim(),
        None => r.level.as_str(),
    };
    if l == "ADV" {
        "adversarial"
    } else if l.starts_with("PROFILE") {
        "profile"
    } else if l.contains("MUST") {
        "must"
    } else if l.contains("SHOULD") || l.contains("RECOMMENDED") || l.starts_with("BP") {
        "should"
    } else if l.contains("MAY") {
        "may"
    } else {
        "should"
    }
}

/// The rows a case checked, and the ones it did not meet (failed or warned).
fn rows_of(c: &CaseResult) -> (BTreeSet<&str>, BTreeSet<&str>) {
    let checked: BTreeSet<&str> = match c.outcome {
        Outcome::Pass | Outcome::Fail | Outcome::Warn => {
            c.covers.iter().map(String::as_str).collect()
        }
        _ => BTreeSet::new(),
    };
    // A baselined (known) deviation still counts: the issuer still lacks it.
    if !matches!(c.outcome, Outcome::Fail | Outcome::Warn) {
        return (checked, BTreeSet::new());
    }
    let failing: Vec<_> = c
        .steps
        .iter()
        .flat_map(|s| &s.checks)
        .filter(|k| !k.passed)
        .collect();
    // A failed check that names its rows blames those; one that names none
    // blames every row the case checked.
    let failed = match failing.iter().any(|k| k.covers.is_empty()) {
        true => checked.clone(),
        false => failing
            .iter()
            .flat_map(|k| k.covers.iter().map(String::as_str))
            .filter(|id| checked.contains(id))
            .collect(),
    };
    (checked, failed)
}

pub fn scores(cases: &[CaseResult]) -> Scores {
    let mut checked: BTreeSet<&str> = BTreeSet::new();
    let mut failed: BTreeSet<&str> = BTreeSet::new();
    let mut warned: BTreeSet<&str> = BTreeSet::new();
    for c in cases {
        let (ch, f) = rows_of(c);
        checked.extend(ch);
        match c.outcome {
            Outcome::Fail => failed.extend(f),
            _ => warned.extend(f),
        }
    }
    let not_met: BTreeSet<&str> = failed.union(&warned).copied().collect();
    let levels = LEVELS
        .iter()
        .map(|&level| {
            let in_level = |id: &&&str| requirements::find(id).is_some_and(|r| bucket(r) == level);
            LevelScore {
                level,
                checked: checked.iter().filter(in_level).count(),
                failed: not_met.iter().filter(in_level).count(),
            }
        })
        .collect();
    let threats = requirements::threats()
        .iter()
        .map(|t| {
            let pick = |set: &BTreeSet<&str>| -> Vec<String> {
                t.rows
                    .iter()
                    .filter(|r| set.contains(r.as_str()))
                    .cloned()
                    .collect()
            };
            let (f, w, ch) = (pick(&failed), pick(&warned), pick(&checked));
            let status = match (f.is_empty(), w.is_empty(), ch.is_empty()) {
                (false, _, _) => ThreatStatus::Unmitigated,
                (true, false, _) => ThreatStatus::Weakened,
                (true, true, false) => ThreatStatus::Mitigated,
                (true, true, true) => ThreatStatus::Unchecked,
            };
            ThreatScore {
                id: t.id.clone(),
                name: t.name.clone(),
                source: t.source.clone(),
                status,
                failed_rows: f,
                warned_rows: w,
                checked_rows: ch,
            }
        })
        .collect();
    Scores { levels, threats }
}

/// The threats a text report lists: each unmitigated one with its failed
/// rows, then each weakened one with the rows that only warned: the
/// threat, what to add after its source (`, weakened`), and the rows.
pub fn listed_threats(s: &Scores) -> Vec<(&ThreatScore, &'static str, String)> {
    let open = s.unmitigated().map(|t| (t, "", t.failed_rows.join(", ")));
    let weak = s
        .threats
        .iter()
        .filter(|t| t.status == ThreatStatus::Weakened)
        .map(|t| (t, ", weakened", t.warned_rows.join(", ")));
    open.chain(weak).collect()
}

/// The per-level line of a text report: `MUST 2 of 120 rows failed (1.7%) · ...`.
pub fn levels_line(s: &Scores) -> String {
    s.levels
        .iter()
        .filter(|l| l.checked > 0)
        .map(|l| {
            let name = match l.level {
                "must" | "should" | "may" => l.level.to_ascii_uppercase(),
                other => other.to_string(),
            };
            format!(
                "{name} {} of {} failed ({:.0}%)",
                l.failed,
                l.checked,
                l.rate().unwrap_or(0.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::fixtures::case;
    use crate::report::model::{Check, StepResult};

    fn failing(id: &str, covers: &[&str], check_covers: &[&str]) -> CaseResult {
        let mut c = case(id, covers, Outcome::Fail);
        let mut k = Check::new("x", "y", "z", false);
        k.covers = check_covers.iter().map(|s| s.to_string()).collect();
        c.steps = vec![StepResult {
            name: "s".into(),
            action: "token".into(),
            level: "must".into(),
            outcome: Outcome::Fail,
            summary: String::new(),
            checks: vec![k],
            error: None,
            exchanges: vec![],
            not_run: None,
        }];
        c
    }

    fn passing(id: &str, covers: &[&str]) -> CaseResult {
        case(id, covers, Outcome::Pass)
    }

    fn level<'a>(s: &'a Scores, name: &str) -> &'a LevelScore {
        s.levels.iter().find(|l| l.level == name).unwrap()
    }

    #[test]
    fn a_failed_check_blames_its_own_rows() {
        // TOK-01 is a MUST, ERR-05 a best practice (should).
        let s = scores(&[failing("a", &["TOK-01", "ERR-05"], &["ERR-05"])]);
        assert_eq!(
            (level(&s, "must").checked, level(&s, "must").failed),
            (1, 0),
            "{s:?}"
        );
        assert_eq!(
            (level(&s, "should").checked, level(&s, "should").failed),
            (1, 1),
            "{s:?}"
        );
        // A failed check naming no row blames every row of the case.
        let s = scores(&[failing("a", &["TOK-01", "ERR-05"], &[])]);
        assert_eq!(level(&s, "must").failed, 1);
        assert_eq!(
            levels_line(&s),
            "MUST 1 of 1 failed (100%) · SHOULD 1 of 1 failed (100%)"
        );
    }

    #[test]
    fn threats_follow_their_rows() {
        let s = scores(&[failing("a", &["ISS-01"], &[]), passing("b", &["HDR-05"])]);
        let by = |id: &str| s.threats.iter().find(|t| t.id == id).unwrap();
        assert_eq!(by("T-04").status, ThreatStatus::Unmitigated);
        assert_eq!(by("T-04").failed_rows, ["ISS-01"]);
        assert_eq!(by("T-10").status, ThreatStatus::Mitigated);
        assert_eq!(by("T-19").status, ThreatStatus::Unchecked);
        assert_eq!(s.count(ThreatStatus::Unmitigated), 1);
        // A warning weakens, it does not leave unmitigated.
        let mut w = failing("w", &["HDR-06"], &[]);
        w.outcome = Outcome::Warn;
        let s = scores(&[w]);
        let t02 = s.threats.iter().find(|t| t.id == "T-02").unwrap();
        assert_eq!(t02.status, ThreatStatus::Weakened);
        assert_eq!(t02.warned_rows, ["HDR-06"]);
        assert_eq!(s.count(ThreatStatus::Unmitigated), 0);
    }

    #[test]
    fn every_catalogue_row_has_a_bucket_and_skips_count_nothing() {
        for r in requirements::catalog() {
            assert!(LEVELS.contains(&bucket(r)), "{}", r.id);
        }
        let s = scores(&[case("s", &["TOK-01"], Outcome::Skip)]);
        assert!(s.is_empty());
    }
}
