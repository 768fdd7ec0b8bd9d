//! The report formats `--report FORMAT[=PATH]` can write, each a pure
//! function of the result model.

use super::model::RunReport;
use super::{events, html, json, junit, markdown, sarif};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Json,
    Junit,
    Sarif,
    Markdown,
    Html,
    /// JSON Lines, one event per finished case (`report::events`); the
    /// runner streams it as the run goes.
    Jsonl,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Json,
        Format::Junit,
        Format::Sarif,
        Format::Markdown,
        Format::Html,
        Format::Jsonl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Jsonl => "jsonl",
        }
    }

    pub fn from_name(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "junit" | "xml" => Some(Format::Junit),
            "sarif" => Some(Format::Sarif),
            "markdown" | "md" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            "jsonl" | "events" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// Where the report goes when no path is given.
    pub fn default_path(self) -> &'static str {
        match self {
            Format::Json => "reports/grantcheck.json",
            Format::Junit => "reports/junit.xml",
            Format::Sarif => "reports/grantcheck.sarif",
            Format::Markdown => "reports/summary.md",
            Format::Html => "reports/report.html",
            Format::Jsonl => "reports/events.jsonl",
        }
    }

    pub fn render(self, report: &RunReport) -> String {
        match self {
            Format::Json => json::render(report),
            Format::Junit => junit::render(report),
            Format::Sarif => sarif::render(report),
            Format::Markdown => markdown::render(report),
            Format::Html => html::render(report),
            Format::Jsonl => events::render(report),
        }
    }
}

/// `--report`'s long help: every format, its aliases and where it goes
/// without a path (a test keeps it in step with [`Format`]).
pub const REPORT_HELP: &str = "Write a report: FORMAT or FORMAT=PATH (repeatable). Without a path:
  json      reports/grantcheck.json   the result model (reports/schema.json)
  junit     reports/junit.xml         for CI test tabs (alias: xml)
  sarif     reports/grantcheck.sarif  for code-scanning views
  markdown  reports/summary.md        for pull requests and job summaries (alias: md)
  html      reports/report.html       one self-contained page with the evidence
  jsonl     reports/events.jsonl      one line per case as it finishes (alias: events;
                                      `jsonl=-` streams to stdout)";

/// Parses `FORMAT` or `FORMAT=PATH`.
pub fn parse_spec(spec: &str) -> Result<(Format, String), String> {
    let (name, path) = match spec.split_once('=') {
        Some((n, p)) if !p.is_empty() => (n, Some(p)),
        Some((n, _)) => (n, None),
        None => (spec, None),
    };
    let f = Format::from_name(name).ok_or_else(|| {
        format!(
            "unknown report format `{name}` (one of {})",
            Format::ALL
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    Ok((f, path.unwrap_or(f.default_path()).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        assert_eq!(
            parse_spec("junit=out/j.xml"),
            Ok((Format::Junit, "out/j.xml".into()))
        );
        assert_eq!(
            parse_spec("html"),
            Ok((Format::Html, "reports/report.html".into()))
        );
        assert_eq!(
            parse_spec("md="),
            Ok((Format::Markdown, "reports/summary.md".into()))
        );
        assert!(parse_spec("pdf=x").unwrap_err().contains("one of json"));
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(*f));
            let line = REPORT_HELP
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{} ", f.name())))
                .expect("every format has a help line");
            assert!(line.contains(f.default_path()), "{line}");
        }
        for alias in ["xml", "md", "events"] {
            assert!(REPORT_HELP.contains(&format!("alias: {alias}")));
            assert!(Format::from_name(alias).is_some());
        }
    }
}
