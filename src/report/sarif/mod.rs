//! The SARIF 2.1.0 report, for code-scanning dashboards (GitHub code
//! scanning, GitLab, the VS Code SARIF viewer). Small serde structs of our
//! own instead of serde-sarif, whose build-time code generation is heavy;
//! tests/integration/report_formats.rs validates the output against the official schema.
//!
//! - **Rules**: one per requirement id that any case of the report covers,
//!   in the order of docs/requirements.md. From the catalogue: `name` (the
//!   section, or an adversarial probe's title, in PascalCase, then the id:
//!   `AuthorizationCodeLifecycle/CODE-01`),
//!   `shortDescription` (what a conforming issuer does), `fullDescription`
//!   and `help` (section, level, spec sections, summary),
//!   `defaultConfiguration.level` from the requirement's level (see
//!   [`rule_level`]) and `helpUri` from its first spec reference (see
//!   [`spec_url`]), or else from the first case that covers it.
//! - **Results**: one per case that failed (`level: error`) or warned
//!   (`level: warning`), not one per requirement id: a case is one finding,
//!   and one result per id would count it several times. `ruleId` is the
//!   case's first requirement id (scenarios list their main id first); every
//!   id is in the message and in `properties.requirements`. The message is
//!   the title, the one-line reason (which says expected vs got), the other
//!   failed checks and the ids. The location is the scenario file
//!   (`case.source`), with the region of the first broken assertion's line
//!   (`Check::line`, from the assertion's span) when the case has one.
//! - **Fingerprints**: `partialFingerprints` hold a hash of the case id, so
//!   code scanning matches a finding across runs. It is also given as
//!   `primaryLocationLineHash`: without it GitHub's uploader would hash the
//!   line of the region, and every case of one matrix scenario failing at
//!   the same assertion would collapse into one alert.
//! - **Errors** (the harness could not decide) are not findings: they go to
//!   `invocations[0].toolExecutionNotifications`, and
//!   `executionSuccessful` is false when a case ended in an error that no
//!   baseline accepted. Skips and passes only count in `properties.summary`.
//! - **Known deviations** (accepted by a baseline) stay results, with an
//!   external, accepted `suppression` carrying the baseline's reason.
//! - `automationDetails.id` is `grantcheck/<profile>/`, so runs against
//!   different issuers are separate categories and do not close each
//!   other's alerts.

use std::collections::BTreeMap;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use sha2::{Digest, Sha256};

use super::model::{CaseResult, Outcome, RunReport};
use super::verdict::Verdict;

mod model;
mod rules;

use model::*;
use rules::rules;
pub use rules::{rule_level, spec_url};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(report: &RunReport) -> String {
    let log = build(report);
    // Plain data structures always serialise.
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serialises");
    s.push('\n');
    s
}

fn build(report: &RunReport) -> Log {
    let verdict = Verdict::of(report);
    let rules = rules(report);
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let rule_ref = |c: &CaseResult| {
        c.covers.first().map(|id| RuleReference {
            id: id.clone(),
            index: index[id.as_str()],
        })
    };

    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for c in &report.cases {
        match c.outcome {
            Outcome::Fail | Outcome::Warn => {
                let Some(rule) = rule_ref(c) else {
                    // Scenarios always cover an id (the loader insists); a
                    // case without one cannot name a rule, so it is reported
                    // as a notification rather than dropped.
                    notifications.push(notification(c, "warning", None));
                    continue;
                };
                let mut fp = BTreeMap::new();
                let h = hash(&c.id);
                fp.insert("primaryLocationLineHash", format!("{}:1", &h[..16]));
                fp.insert("grantcheckCaseId/v1", h[..32].to_string());
                results.push(SarifResult {
                    rule_id: rule.id,
                    rule_index: rule.index,
                    level: if c.outcome == Outcome::Fail {
                        "error"
                    } else {
                        "warning"
                    },
                    message: text(result_message(c)),
                    locations: vec![location(c)],
                    partial_fingerprints: fp,
                    suppressions: c
                        .known
                        .iter()
                        .map(|k| Suppression {
                            kind: "external",
                            status: "accepted",
                            justification: k.clone(),
                        })
                        .collect(),
                    properties: case_properties(c),
                });
            }
            Outcome::Error => {
                let rule = rule_ref(c);
                notifications.push(notification(c, "error", rule));
            }
            Outcome::Pass | Outcome::Skip => {}
        }
    }

    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "grantcheck",
                    version: report.tool_version.clone(),
                    information_uri: information_uri(),
                    rules,
                },
            },
            automation_details: AutomationDetails {
                id: format!("grantcheck/{}/", report.target.profile),
            },
            invocations: vec![Invocation {
                // SARIF's "the tool ran to completion": false when a case
                // has no verdict or nothing was checked; findings do not
                // make it false.
                execution_successful: report.counted(Outcome::Error) == 0
                    && verdict != Verdict::NothingChecked,
                exit_code: verdict.exit_code(),
                properties: InvocationProperties {
                    verdict,
                    headline: super::verdict::headline(report),
                },
                tool_execution_notifications: notifications,
            }],
            results,
            properties: RunProperties {
                profile: report.target.profile.clone(),
                issuer: report.target.issuer.clone(),
                reference: report.target.reference,
                faults: report.target.faults.clone(),
                duration_ms: report.duration_ms,
                summary: report.summary.clone(),
            },
        }],
    }
}

/// The project's address, when Cargo.toml names one.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
        .into_iter()
        .find(|u| !u.is_empty())
}

fn hash(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a path segment may not hold unencoded in a URI reference.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The scenario file as a URI reference: relative paths stay relative (to
/// the repository root, which is where code scanning resolves them),
/// absolute ones become `file://` URIs.
fn artifact_uri(source: &str) -> String {
    let path = source.replace('\\', "/");
    let first = path.split('/').next().unwrap_or("");
    let drive =
        first.len() == 2 && first.ends_with(':') && first.as_bytes()[0].is_ascii_alphabetic();
    let encoded: Vec<String> = path
        .split('/')
        .enumerate()
        .map(|(i, seg)| {
            if i == 0 && drive {
                // A Windows drive (`C:`) stays as it is.
                seg.to_string()
            } else if i == 0 {
                // A `:` in the first segment of a relative reference would
                // read as a scheme.
                utf8_percent_encode(seg, SEGMENT)
                    .to_string()
                    .replace(':', "%3A")
            } else {
                utf8_percent_encode(seg, SEGMENT).to_string()
            }
        })
        .collect();
    let joined = encoded.join("/");
    if path.starts_with('/') {
        format!("file://{joined}")
    } else if drive {
        format!("file:///{joined}")
    } else {
        joined
    }
}

/// The scenario file, at the line of the first broken assertion when the
/// case has one.
fn location(c: &CaseResult) -> Location {
    let line = c
        .steps
        .iter()
        .flat_map(|s| &s.checks)
        .find(|k| !k.passed)
        .and_then(|k| k.line);
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: artifact_uri(&c.source),
            },
            region: line.map(|start_line| Region { start_line }),
        },
        logical_locations: vec![LogicalLocation {
            name: c.id.clone(),
            fully_qualified_name: c.id.clone(),
        }],
    }
}

fn case_properties(c: &CaseResult) -> CaseProperties {
    CaseProperties {
        case_id: c.id.clone(),
        scenario: c.scenario.clone(),
        outcome: c.outcome.as_str(),
        requirements: c.covers.clone(),
        spec: c.spec.clone(),
        known_deviation: c.known.clone(),
    }
}

/// Title, reason (expected vs got), the other failed checks, the ids.
fn result_message(c: &CaseResult) -> String {
    let reason = c.reason.clone().unwrap_or_default();
    let mut msg = format!("{}: {}", c.id, c.title.trim_end_matches('.'));
    if !reason.is_empty() {
        msg.push_str(". ");
        msg.push_str(&reason);
    }
    let others: Vec<String> = c
        .steps
        .iter()
        .flat_map(|s| {
            s.checks.iter().filter(|k| !k.passed).map(move |k| {
                format!(
                    "step `{}`: {}: expected {}, got {}",
                    s.name, k.what, k.expected, k.actual
                )
            })
        })
        .filter(|line| !reason.contains(line.as_str()))
        .collect();
    if !others.is_empty() {
        msg.push_str(". Also: ");
        msg.push_str(&others.join("; "));
    }
    let not_run: Vec<String> = c
        .steps
        .iter()
        .filter_map(|s| {
            s.not_run
                .as_ref()
                .map(|why| format!("`{}` ({why})", s.name))
        })
        .collect();
    if !not_run.is_empty() {
        msg.push_str(&format!(". Not run: {}", not_run.join(", ")));
    }
    if !c.covers.is_empty() {
        msg.push_str(&format!(". Requirements: {}.", c.covers.join(", ")));
    }
    if !c.not_covered.is_empty() {
        msg.push_str(&format!(" Not checked: {}.", c.not_covered.join(", ")));
    }
    if let Some(k) = &c.known {
        msg.push_str(&format!(" Known deviation (baseline): {k}."));
    }
    msg
}

fn notification(c: &CaseResult, level: &'static str, rule: Option<RuleReference>) -> Notification {
    let mut msg = format!(
        "{} could not be decided: {}",
        c.id,
        c.reason.clone().unwrap_or_default()
    );
    if let Some(k) = &c.known {
        msg.push_str(&format!(" (known deviation (baseline): {k})"));
    }
    Notification {
        level,
        message: text(msg),
        locations: vec![location(c)],
        associated_rule: rule,
        properties: case_properties(c),
    }
}

#[cfg(test)]
mod tests;
