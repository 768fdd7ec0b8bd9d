//! GitHub Actions workflow commands: one annotation per case that did not
//! pass, so failures show on the pull request. Printed only when
//! `GITHUB_ACTIONS=true`; the exit code does not change.

use super::model::{Outcome, RunReport};

/// Escapes a workflow command's data (and `%`, `,`, `:` in properties).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn annotations(report: &RunReport) -> String {
    let report = &super::sanitize::for_text(report);
    let mut out = String::new();
    for c in &report.cases {
        let level = match (c.outcome, &c.known) {
            (_, Some(_)) => "notice",
            (Outcome::Fail | Outcome::Error, None) => "error",
            (Outcome::Warn, None) => "warning",
            _ => continue,
        };
        let title = format!(
            "grantcheck {} {}{}",
            c.outcome.as_str(),
            c.id,
            if c.covers.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.covers.join(", "))
            }
        );
        let mut msg = format!("{}: {}", c.title, c.reason.clone().unwrap_or_default());
        if let Some(k) = &c.known {
            msg.push_str(&format!(" [known deviation: {k}]"));
        }
        out.push_str(&format!(
            "::{level} file={},title={}::{}\n",
            escape_property(&c.source),
            escape_property(&title),
            escape_data(&msg)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("x: y, z"), "x%3A y%2C z");
    }
}
