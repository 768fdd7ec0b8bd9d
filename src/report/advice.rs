//! Advice a report can give about the run itself, apart from the verdict:
//! when many unrelated cases met 5xx answers or dropped connections, the
//! issuer may be overloaded, and the findings may be about load, not about
//! conformance. Pure: a report in, a sentence out.

use super::model::{CaseResult, Exchange, Outcome, RunReport, TransportError};

/// Cases that meet trouble of this kind before it reads as load, not as a
/// finding of one case.
const OVERLOAD_CASES: usize = 3;

fn troubled(e: &Exchange) -> bool {
    let server_error = e.response.as_ref().is_some_and(|r| r.status >= 500);
    let dropped = matches!(
        e.error,
        Some((
            TransportError::Other | TransportError::Connect | TransportError::Timeout,
            _
        ))
    );
    server_error || dropped || e.retried.is_some()
}

fn met_trouble(c: &CaseResult) -> bool {
    matches!(c.outcome, Outcome::Fail | Outcome::Error | Outcome::Warn)
        && c.steps.iter().flat_map(|s| &s.exchanges).any(troubled)
}

/// The overload hint, when enough cases that did not pass met 5xx answers,
/// dropped connections or timeouts.
pub fn overload(report: &RunReport) -> Option<String> {
    let n = report.cases.iter().filter(|c| met_trouble(c)).count();
    (n >= OVERLOAD_CASES).then(|| {
        format!(
            "{n} cases that did not pass met 5xx answers, dropped connections or timeouts: the issuer may be overloaded. \
             Rerun with --concurrency 1, or lower [http] rate_limit, or set [http] pooling = false, before reading them as findings"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{fixtures, StepResult};

    fn with_status(id: &str, outcome: Outcome, status: u16) -> CaseResult {
        let mut c = fixtures::case(id, &["TOK-01"], outcome);
        let exchange = fixtures::exchange("POST", "http://x/token", status, "");
        c.steps.push(StepResult {
            name: "s".into(),
            action: "token".into(),
            level: "must".into(),
            outcome,
            summary: String::new(),
            checks: vec![],
            error: None,
            exchanges: vec![exchange],
            not_run: None,
        });
        c
    }

    #[test]
    fn three_cases_with_5xx_read_as_load_and_two_or_passing_ones_do_not() {
        let mut cases = vec![
            with_status("ok", Outcome::Pass, 503),
            with_status("a", Outcome::Fail, 400),
        ];
        assert!(overload(&fixtures::report(cases.clone())).is_none());
        cases.push(with_status("b", Outcome::Error, 500));
        cases.push(with_status("c", Outcome::Fail, 502));
        assert!(
            overload(&fixtures::report(cases.clone())).is_none(),
            "two are not a pattern"
        );
        cases.push(with_status("d", Outcome::Warn, 503));
        let hint = overload(&fixtures::report(cases)).expect("three are");
        assert!(
            hint.starts_with("3 cases") && hint.contains("pooling = false"),
            "{hint}"
        );
    }
}
