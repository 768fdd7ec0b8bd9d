//! (being written)

use super::model::RunReport;

pub fn render(_report: &RunReport) -> String {
    String::new()
}
