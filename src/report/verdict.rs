//! The run's one verdict. The exit code, the terminal's last line and the
//! headline of every report (JSON, JUnit, SARIF, Markdown, HTML) are all read
//! from [`Verdict::of`], so no two of them can disagree.
//!
//! The exit codes live here, in one table, because the verdict decides them:
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | every counted case passed (warnings and known deviations allowed) |
//! | 1 | at least one case failed: a finding |
//! | 2 | the command line, a profile or a scenario file is wrong: nothing ran |
//! | 3 | no verdict: a case ended in error, the run stopped before any case, it was interrupted (deadline, SIGINT, SIGTERM), or no check was executed |
//!
//! An interrupted run is never 0: its unfinished cases are errors. A failure
//! among the cases that did finish still makes it 1.

use serde::{Deserialize, Serialize};

use super::model::{Outcome, RunReport};

/// Every counted case passed or was skipped, and at least one check ran.
pub const EXIT_OK: u8 = 0;
/// At least one case failed.
pub const EXIT_FAILED: u8 = 1;
/// Bad usage or input files: nothing was sent.
pub const EXIT_USAGE: u8 = 2;
/// No verdict could be reached (an error, or nothing was checked).
pub const EXIT_HARNESS: u8 = 3;

/// The exit code table as `--help` prints it.
pub const EXIT_CODE_HELP: &str = "Exit codes:
  0  every counted case passed (warnings and baseline-known deviations allowed)
  1  at least one case failed: a finding
  2  usage, profile or scenario error: nothing was sent
  3  no verdict: a case ended in error, the run stopped before any case or was
     interrupted (--deadline, SIGINT, SIGTERM), or no check was executed";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing failed, nothing erred, and checks ran.
    Passed,
    /// Nothing failed or erred, but some case warned.
    PassedWithWarnings,
    /// At least one counted case failed.
    Failed,
    /// No failure, but a counted case ended in error: not every case has a verdict.
    Incomplete,
    /// No check was executed: every selected case was skipped, or none was selected.
    NothingChecked,
}

impl Verdict {
    /// The verdict of a run. Cases a baseline accepts stay visible but do not count.
    pub fn of(r: &RunReport) -> Verdict {
        let halt = r.halt.as_ref().map(|h| h.outcome);
        if r.counted(Outcome::Fail) > 0 || halt == Some(Outcome::Fail) {
            Verdict::Failed
        } else if r.counted(Outcome::Error) > 0 || halt.is_some() {
            Verdict::Incomplete
        } else if r.summary.checks == 0 {
            Verdict::NothingChecked
        } else if r.counted(Outcome::Warn) > 0 {
            Verdict::PassedWithWarnings
        } else {
            Verdict::Passed
        }
    }

    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Passed | Verdict::PassedWithWarnings => EXIT_OK,
            Verdict::Failed => EXIT_FAILED,
            Verdict::Incomplete | Verdict::NothingChecked => EXIT_HARNESS,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::PassedWithWarnings => "passed_with_warnings",
            Verdict::Failed => "failed",
            Verdict::Incomplete => "incomplete",
            Verdict::NothingChecked => "nothing_checked",
        }
    }

    /// The outcome whose colour a renderer gives the headline.
    pub fn tone(self) -> Outcome {
        match self {
            Verdict::Passed => Outcome::Pass,
            Verdict::PassedWithWarnings => Outcome::Warn,
            Verdict::Failed => Outcome::Fail,
            Verdict::Incomplete => Outcome::Error,
            Verdict::NothingChecked => Outcome::Skip,
        }
    }

    /// True when the run's exit code is 0.
    pub fn is_success(self) -> bool {
        self.exit_code() == EXIT_OK
    }
}

/// The one sentence every renderer uses as its headline, e.g. "2 cases
/// failed (1 known)".
pub fn headline(r: &RunReport) -> String {
    let verdict = Verdict::of(r);
    let mut text = match verdict {
        // Only the halt failed: the issuer's discovery is itself a finding.
        Verdict::Failed if r.counted(Outcome::Fail) == 0 => "the run failed".to_string(),
        Verdict::Failed => format!("{} failed", cases(r.counted(Outcome::Fail))),
        Verdict::Incomplete if r.counted(Outcome::Error) == 0 => {
            "the run stopped before a verdict".to_string()
        }
        Verdict::Incomplete => format!(
            "{} could not be run to a verdict",
            cases(r.counted(Outcome::Error))
        ),
        Verdict::NothingChecked => {
            "no check was executed (every selected case was skipped)".to_string()
        }
        Verdict::PassedWithWarnings => {
            format!("passed; {} with a warning", cases(r.counted(Outcome::Warn)))
        }
        Verdict::Passed => "passed".to_string(),
    };
    let known = r.cases.iter().filter(|c| c.known.is_some()).count();
    if known > 0 {
        text.push_str(&format!(" ({known} known)"));
    }
    if let Some(h) = &r.halt {
        text.push_str(&format!("; {}", h.reason));
    }
    text
}

/// `1 case`, `2 cases`.
pub fn cases(n: usize) -> String {
    count(n, "case", "cases")
}

/// `n` and the noun in its number: `1 problem`, `2 problems`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::fixtures::{case, report};

    #[test]
    fn each_verdict_has_its_exit_code() {
        let with = |o: Outcome| report(vec![case("a", &[], Outcome::Pass), case("b", &[], o)]);
        let mut passed = with(Outcome::Pass);
        passed.summary.checks = 1;
        let mut warned = with(Outcome::Warn);
        warned.summary.checks = 1;
        assert_eq!(Verdict::of(&passed), Verdict::Passed);
        assert_eq!(Verdict::of(&warned), Verdict::PassedWithWarnings);
        assert_eq!(Verdict::of(&with(Outcome::Fail)), Verdict::Failed);
        assert_eq!(Verdict::of(&with(Outcome::Error)), Verdict::Incomplete);
        assert_eq!(
            Verdict::of(&with(Outcome::Pass)),
            Verdict::NothingChecked,
            "no check ran"
        );
        assert_eq!(Verdict::of(&passed).exit_code(), EXIT_OK);
        assert_eq!(Verdict::of(&warned).exit_code(), EXIT_OK);
        assert_eq!(Verdict::of(&with(Outcome::Fail)).exit_code(), EXIT_FAILED);
        assert_eq!(Verdict::of(&with(Outcome::Error)).exit_code(), EXIT_HARNESS);
    }

    #[test]
    fn a_known_failure_does_not_count() {
        let mut r = report(vec![
            case("a", &[], Outcome::Pass),
            case("b", &[], Outcome::Fail),
        ]);
        r.summary.checks = 2;
        r.cases[1].known = Some("documented".into());
        assert_eq!(Verdict::of(&r), Verdict::Passed);
        assert_eq!(headline(&r), "passed (1 known)");
    }

    #[test]
    fn a_halted_run_is_never_a_pass() {
        use crate::report::model::{Halt, HaltCause};
        let mut r = report(vec![case("a", &[], Outcome::Pass)]);
        r.summary.checks = 1;
        r.halt = Some(Halt::new(HaltCause::Signal, "interrupted by SIGINT"));
        assert_eq!(Verdict::of(&r), Verdict::Incomplete);
        assert_eq!(Verdict::of(&r).exit_code(), EXIT_HARNESS);
        assert_eq!(
            headline(&r),
            "the run stopped before a verdict; interrupted by SIGINT"
        );
        r.halt.as_mut().unwrap().outcome = Outcome::Fail;
        assert_eq!(Verdict::of(&r).exit_code(), EXIT_FAILED);
        assert_eq!(headline(&r), "the run failed; interrupted by SIGINT");
    }

    #[test]
    fn a_failure_outweighs_an_error() {
        let r = report(vec![
            case("a", &[], Outcome::Error),
            case("b", &[], Outcome::Fail),
        ]);
        assert_eq!(Verdict::of(&r), Verdict::Failed);
        assert_eq!(headline(&r), "1 case failed");
    }
}
