//! The JSON report: the result model as it is, with a versioned schema name.

use super::model::RunReport;
use super::verdict::{self, Verdict};

pub fn render(report: &RunReport) -> String {
    // Serialising plain data structures cannot fail.
    let mut v = serde_json::to_value(report).expect("report serialises");
    if let Some(m) = v.as_object_mut() {
        m.insert("verdict".into(), verdict(report));
        let scores = super::scores::scores(&report.cases);
        if !scores.is_empty() {
            m.insert(
                "scores".into(),
                serde_json::to_value(&scores).expect("scores serialise"),
            );
        }
    }
    let mut s = serde_json::to_string_pretty(&v).expect("report serialises");
    s.push('\n');
    s
}

/// The run's one verdict (`report::verdict`), so that a reader of the JSON
/// need not recompute it: `{"result", "exit_code", "headline"}`.
pub(crate) fn verdict(report: &RunReport) -> serde_json::Value {
    let v = Verdict::of(report);
    serde_json::json!({
        "result": v.as_str(),
        "exit_code": v.exit_code(),
        "headline": verdict::headline(report),
    })
}
