//! The event stream (`--report jsonl[=PATH]`): one JSON line as each case
//! finishes, so a run that is killed still leaves its evidence behind.
//!
//! Lines, each a JSON object with an `event` member:
//! - `start`: `schema` (`grantcheck-events/1`), `tool_version`, `planned`
//!   (the number of cases selected);
//! - `case`: `case`, one case exactly as the JSON report holds it (the same
//!   serialisation, already redacted; a baseline is applied only at the
//!   end, so `known` is never set here);
//! - `end`: `verdict`, `summary`, `target`, `duration_ms` and `halt` (why
//!   the run stopped early, if it did), as in the JSON report.
//!
//! A stream without its `end` line is the record of a run that was killed.

use serde_json::{json, Value};

use super::model::{CaseResult, RunReport};

pub const SCHEMA: &str = "grantcheck-events/1";

/// The first line.
pub fn start(planned: usize) -> String {
    line(json!({
        "event": "start",
        "schema": SCHEMA,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "planned": planned,
    }))
}

/// The line of one finished case.
pub fn case(c: &CaseResult) -> String {
    // Plain data serialises.
    let case = serde_json::to_value(c).expect("a case serialises");
    line(json!({ "event": "case", "case": case }))
}

/// The last line: the run's verdict and totals.
pub fn end(r: &RunReport) -> String {
    let mut v = json!({
        "event": "end",
        "verdict": super::json::verdict(r),
        "summary": r.summary,
        "target": r.target,
        "duration_ms": r.duration_ms,
    });
    if let (Some(h), Some(m)) = (&r.halt, v.as_object_mut()) {
        m.insert(
            "halt".into(),
            serde_json::to_value(h).expect("a halt serialises"),
        );
    }
    line(v)
}

/// The whole stream of a finished run, as the runner would have written it.
pub fn render(r: &RunReport) -> String {
    let mut out = start(r.cases.len());
    for c in &r.cases {
        out.push_str(&case(c));
    }
    out.push_str(&end(r));
    out
}

fn line(v: Value) -> String {
    // JSON escapes every control character: one event, one line.
    let mut s = v.to_string();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::fixtures::{case as fixture, report};
    use crate::report::model::{Halt, HaltCause, Outcome};

    #[test]
    fn every_line_is_one_json_event() {
        let mut r = report(vec![
            fixture("a", &["TOK-01"], Outcome::Pass),
            fixture("b\nx", &[], Outcome::Error),
        ]);
        r.halt = Some(Halt::new(HaltCause::Signal, "interrupted by SIGTERM"));
        let text = render(&r);
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[0]["schema"], SCHEMA);
        assert_eq!(lines[0]["planned"], 2);
        assert_eq!(lines[1]["case"], serde_json::to_value(&r.cases[0]).unwrap());
        assert_eq!(lines[2]["case"]["id"], "b\nx");
        assert_eq!(lines[3]["event"], "end");
        assert_eq!(lines[3]["verdict"]["exit_code"], 3);
        assert_eq!(lines[3]["halt"]["reason"], "interrupted by SIGTERM");
    }
}
