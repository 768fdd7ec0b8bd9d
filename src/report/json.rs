//! The JSON report: the result model as it is, with a versioned schema name.

use super::model::RunReport;

pub fn render(report: &RunReport) -> String {
    // Serialising plain data structures cannot fail.
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}
