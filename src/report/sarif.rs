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
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::{CaseResult, Outcome, RunReport, Summary};
use super::verdict::Verdict;
use crate::requirements;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(report: &RunReport) -> String {
    let log = build(report);
    // Plain data structures always serialise.
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serialises");
    s.push('\n');
    s
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    automation_details: AutomationDetails,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
    properties: RunProperties,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

fn text(s: impl Into<String>) -> Text {
    Text { text: s.into() }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleProperties {
    tags: Vec<String>,
    /// The level column of docs/requirements.md, as written.
    requirement_level: String,
    section: String,
    spec: String,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    exit_code: u8,
    properties: InvocationProperties,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct InvocationProperties {
    verdict: Verdict,
    headline: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    associated_rule: Option<RuleReference>,
    properties: CaseProperties,
}

#[derive(Serialize)]
struct RuleReference {
    id: String,
    index: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: CaseProperties,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseProperties {
    case_id: String,
    scenario: String,
    outcome: &'static str,
    requirements: Vec<String>,
    spec: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    known_deviation: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    profile: String,
    issuer: String,
    reference: bool,
    faults: Vec<String>,
    duration_ms: u64,
    summary: Summary,
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

fn rules(report: &RunReport) -> Vec<Rule> {
    let catalog = requirements::catalog();
    let mut ids: Vec<&str> = Vec::new();
    for c in &report.cases {
        for id in &c.covers {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
    }
    // Catalogue order; an id the catalogue lacks (not possible for a loaded
    // scenario) goes last, in the order the run met it.
    let position = |id: &str| {
        catalog
            .iter()
            .position(|r| r.id == id)
            .unwrap_or(usize::MAX)
    };
    ids.sort_by_key(|id| position(id));
    ids.into_iter()
        .map(|id| {
            // A spec link: the catalogue's first reference, else the first
            // case that covers the id and cites one.
            let case_url = || {
                report
                    .cases
                    .iter()
                    .filter(|c| c.covers.iter().any(|x| x == id))
                    .flat_map(|c| c.spec.iter())
                    .find_map(|s| spec_url(s))
            };
            match requirements::find(id) {
                Some(r) => {
                    let help_uri = spec_url(&r.spec).or_else(case_url);
                    let adversarial = r.level == "ADV";
                    let topic = if adversarial {
                        pascal(r.summary.split(": ").next().unwrap_or(&r.summary))
                    } else {
                        pascal(section_title(&r.section))
                    };
                    let name = format!("{topic}/{id}");
                    let mut tags = vec![id.split('-').next().unwrap_or(id).to_string()];
                    if adversarial {
                        tags.push("adversarial".into());
                    }
                    let spec = if r.spec.is_empty() {
                        String::new()
                    } else {
                        format!(" Spec: {}.", r.spec)
                    };
                    Rule {
                        id: id.to_string(),
                        name,
                        short_description: text(r.summary.clone()),
                        full_description: text(format!(
                            "{id} ({}, level {}): {}{spec}",
                            r.section, r.level, r.summary
                        )),
                        help: text(format!(
                            "{id} in docs/requirements.md, section {}. Level: {}.{spec} \
                             A conforming issuer: {}",
                            r.section, r.level, r.summary
                        )),
                        help_uri,
                        default_configuration: Configuration {
                            level: rule_level(&r.level),
                        },
                        properties: RuleProperties {
                            tags,
                            requirement_level: r.level.clone(),
                            section: r.section.clone(),
                            spec: r.spec.clone(),
                        },
                    }
                }
                None => Rule {
                    id: id.to_string(),
                    name: pascal(id),
                    short_description: text(id),
                    full_description: text(format!("{id} (not in docs/requirements.md)")),
                    help: text(format!("{id} (not in docs/requirements.md)")),
                    help_uri: case_url(),
                    default_configuration: Configuration { level: "warning" },
                    properties: RuleProperties {
                        tags: vec![],
                        requirement_level: String::new(),
                        section: String::new(),
                        spec: String::new(),
                    },
                },
            }
        })
        .collect()
}

/// The SARIF level of a requirement level of docs/requirements.md. Where
/// the document escalates (`RECOMMENDED → PROFILE MUST`), what follows the
/// last arrow is what grantcheck enforces. Any MUST or PROFILE rule, and the
/// adversarial probes, are errors; SHOULD, RECOMMENDED and best practice
/// (`BP`, "report as a warning") are warnings; the rest (MAY) notes.
pub fn rule_level(level: &str) -> &'static str {
    let effective = level.rsplit('→').next().unwrap_or(level).trim();
    let upper = effective.to_ascii_uppercase();
    if upper == "ADV" || upper.contains("MUST") || upper.contains("PROFILE") {
        "error"
    } else if upper.contains("SHOULD") || upper.contains("RECOMMENDED") || upper == "BP" {
        "warning"
    } else {
        "note"
    }
}

/// A URL for the first spec reference in `text`, which may be a case's
/// `RFC6749 4.1.2` / `OAuth2.1 A.17` / `OIDC-Core 3.1.2.1`, or a catalogue
/// cell such as `6749 §4.1.3, §10.5; OAuth2.1 §10.2` or
/// `Prefix matching (RFC 9700 §4.1)`. RFCs link to the section (or
/// appendix) on rfc-editor.org, OAuth 2.1 to the section of the latest
/// draft on the IETF datatracker, OpenID specs to the document (their
/// anchors are names, not section numbers). `None` when nothing is
/// recognised (`PROFILE`, prose).
pub fn spec_url(text: &str) -> Option<String> {
    #[derive(Clone, Copy)]
    enum Doc {
        Rfc(u32),
        OAuth21,
        OidcCore,
        OidcDiscovery,
    }
    // (position of the reference, where its section starts, the document)
    let mut best: Option<(usize, usize, Doc)> = None;
    let mut consider = |at: usize, after: usize, doc: Doc| {
        if best.is_none_or(|(b, _, _)| at < b) {
            best = Some((at, after, doc));
        }
    };
    for (marker, doc) in [
        ("OAuth2.1", Doc::OAuth21),
        ("OAuth 2.1", Doc::OAuth21),
        ("OIDC-Core", Doc::OidcCore),
        ("OIDC Core", Doc::OidcCore),
        ("OIDC-Discovery", Doc::OidcDiscovery),
        ("OIDC Discovery", Doc::OidcDiscovery),
    ] {
        if let Some(i) = text.find(marker) {
            consider(i, i + marker.len(), doc);
        }
    }
    // `RFC6749`, `RFC 6749`, and the catalogue's bare `6749 §` at the start
    // of a `;`-separated reference.
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices("RFC") {
        let mut j = i + 3;
        if bytes.get(j) == Some(&b' ') {
            j += 1;
        }
        if let Some(n) = four_digits(text, j) {
            consider(i, j + 4, Doc::Rfc(n));
        }
    }
    let mut start = 0;
    for segment in text.split(';') {
        let lead = segment.len() - segment.trim_start().len();
        let i = start + lead;
        if let Some(n) = four_digits(text, i) {
            if text[i + 4..].trim_start().starts_with('§') {
                consider(i, i + 4, Doc::Rfc(n));
            }
        }
        start += segment.len() + 1;
    }

    let (_, after, doc) = best?;
    let section = section_after(&text[after..]);
    let anchor = |s: &str| {
        if s.starts_with(|c: char| c.is_ascii_digit()) {
            format!("#section-{s}")
        } else {
            format!("#appendix-{s}")
        }
    };
    Some(match doc {
        Doc::Rfc(n) => format!(
            "https://www.rfc-editor.org/rfc/rfc{n}{}",
            section.as_deref().map(anchor).unwrap_or_default()
        ),
        Doc::OAuth21 => format!(
            "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1{}",
            section.as_deref().map(anchor).unwrap_or_default()
        ),
        Doc::OidcCore => "https://openid.net/specs/openid-connect-core-1_0.html".into(),
        Doc::OidcDiscovery => "https://openid.net/specs/openid-connect-discovery-1_0.html".into(),
    })
}

/// The number of four ASCII digits at `at`, not followed by another digit.
fn four_digits(text: &str, at: usize) -> Option<u32> {
    let b = text.as_bytes();
    let digits = b.get(at..at + 4)?;
    if digits.iter().all(u8::is_ascii_digit) && !b.get(at + 4).is_some_and(u8::is_ascii_digit) {
        text[at..at + 4].parse().ok()
    } else {
        None
    }
}

/// A section number (`4.1.2`) or appendix (`A.7`, `B`) at the start of `rest`,
/// after spaces, `§` and `App.`.
fn section_after(rest: &str) -> Option<String> {
    let rest = rest.trim_start().trim_start_matches('§').trim_start();
    let rest = rest.strip_prefix("App.").unwrap_or(rest).trim_start();
    let token: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let token = token.trim_end_matches('.');
    let mut parts = token.split('.');
    let first = parts.next()?;
    let numeric = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let head_ok = numeric(first) || (first.len() == 1 && first.as_bytes()[0].is_ascii_uppercase());
    (head_ok && parts.all(numeric)).then(|| token.to_string())
}

/// `4. Authorization code lifecycle (CODE)` -> `Authorization code lifecycle`.
fn section_title(section: &str) -> &str {
    let s = section
        .split_once(". ")
        .filter(|(n, _)| n.bytes().all(|b| b.is_ascii_digit()))
        .map(|(_, rest)| rest)
        .unwrap_or(section);
    let s = s.split(':').next().unwrap_or(s);
    s.split(" (").next().unwrap_or(s).trim()
}

/// `redirect_uri path tampering` -> `RedirectUriPathTampering`.
fn pascal(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            let first = cs.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(cs).collect::<String>()
        })
        .collect()
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
    if !c.covers.is_empty() {
        msg.push_str(&format!(". Requirements: {}.", c.covers.join(", ")));
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
mod tests {
    use super::*;
    use crate::report::junit::fixture;
    use serde_json::Value;

    fn sarif(report: &RunReport) -> Value {
        serde_json::from_str(&render(report)).unwrap()
    }

    #[test]
    fn log_shape_rules_and_results() {
        let v = sarif(&fixture::report());
        assert_eq!(v["$schema"], SCHEMA_URI);
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "grantcheck");
        assert_eq!(driver["version"], "0.1.0");
        let ids: Vec<&str> = driver["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        // Every covered id once, in document order (PKCE 3, CODE 4, RT 7, INTR 10, HDR 15).
        assert_eq!(
            ids,
            ["PKCE-05", "CODE-01", "CODE-02", "RT-02", "INTR-02", "HDR-03"]
        );
        let code01 = &driver["rules"][1];
        assert_eq!(code01["name"], "AuthorizationCodeLifecycle/CODE-01");
        assert_eq!(
            code01["shortDescription"]["text"],
            "The second exchange gets TOKEN-ERR(invalid_grant)."
        );
        assert_eq!(
            code01["helpUri"],
            "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2"
        );
        assert_eq!(code01["defaultConfiguration"]["level"], "error");
        assert_eq!(code01["properties"]["requirementLevel"], "MUST");
        assert!(code01["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .contains("Spec: 6749 §4.1.2, §10.5; OAuth2.1 §4.1.3."));

        // One result per failing or warning case; skip, pass, error are not results.
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        let fail = &results[0];
        assert_eq!(fail["ruleId"], "CODE-01");
        assert_eq!(fail["ruleIndex"], 1);
        assert_eq!(fail["level"], "error");
        assert_eq!(
            fail["message"]["text"],
            "code.reuse: A second exchange of one authorization code is refused. \
             step `second`: status: expected 400, got 200. \
             Also: step `second`: error: expected invalid_grant, got (absent). \
             Requirements: CODE-01, CODE-02."
        );
        assert_eq!(
            fail["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "suites/code/reuse.toml"
        );
        assert!(fail["locations"][0]["physicalLocation"]
            .get("region")
            .is_none());
        assert_eq!(fail["properties"]["requirements"][1], "CODE-02");
        let warn = &results[1];
        assert_eq!(warn["ruleId"], "HDR-03");
        assert_eq!(warn["level"], "warning");
        assert_eq!(warn["ruleIndex"], 5);

        assert_eq!(run["automationDetails"]["id"], "grantcheck/reference/");
        assert_eq!(run["properties"]["summary"]["skip"], 1);
    }

    #[test]
    fn fingerprints_are_stable_hashes_of_the_case_id() {
        let a = sarif(&fixture::report());
        let mut other = fixture::report();
        other.cases[1].reason = Some("something else".into());
        other.cases[1].duration_ms = 999;
        other.target.issuer = "http://127.0.0.1:1".into();
        let b = sarif(&other);
        let fa = &a["runs"][0]["results"][0]["partialFingerprints"];
        assert_eq!(fa, &b["runs"][0]["results"][0]["partialFingerprints"]);
        let h = hash("code.reuse");
        assert_eq!(fa["grantcheckCaseId/v1"], h[..32]);
        assert_eq!(fa["primaryLocationLineHash"], format!("{}:1", &h[..16]));
        assert_ne!(fa, &a["runs"][0]["results"][1]["partialFingerprints"]);
    }

    #[test]
    fn errors_are_notifications_and_make_the_invocation_unsuccessful() {
        let v = sarif(&fixture::report());
        let inv = &v["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        let n = inv["toolExecutionNotifications"].as_array().unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!(n[0]["level"], "error");
        assert_eq!(
            n[0]["message"]["text"],
            "refresh.rotates[public] could not be decided: step `login`: the login form was not found"
        );
        assert_eq!(n[0]["associatedRule"]["id"], "RT-02");
        assert_eq!(n[0]["associatedRule"]["index"], 3);

        let mut ok = fixture::report();
        ok.cases.retain(|c| c.outcome != Outcome::Error);
        let v = sarif(&ok);
        let inv = &v["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], true);
        assert!(inv.get("toolExecutionNotifications").is_none());
    }

    #[test]
    fn a_known_deviation_is_a_suppressed_result() {
        let mut r = fixture::report();
        r.cases[1].known = Some("accepted by review".into());
        let v = sarif(&r);
        let s = &v["runs"][0]["results"][0]["suppressions"][0];
        assert_eq!(s["kind"], "external");
        assert_eq!(s["status"], "accepted");
        assert_eq!(s["justification"], "accepted by review");
        assert!(v["runs"][0]["results"][1].get("suppressions").is_none());
    }

    #[test]
    fn spec_references_become_urls() {
        let cases = [
            (
                "RFC6749 4.1",
                Some("https://www.rfc-editor.org/rfc/rfc6749#section-4.1"),
            ),
            (
                "RFC 7636 §4.2, §4.4.1; PROFILE",
                Some("https://www.rfc-editor.org/rfc/rfc7636#section-4.2"),
            ),
            (
                "6749 §4.1.2, §10.5; OAuth2.1 §4.1.3",
                Some("https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2"),
            ),
            (
                "OAuth2.1 §4.1.3; 6749 §3.2.1",
                Some("https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-4.1.3"),
            ),
            (
                "OAuth2.1 A.17",
                Some("https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#appendix-A.17"),
            ),
            (
                "6749 §2.3.1, App. B; OAuth2.1 §2.4.1",
                Some("https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1"),
            ),
            (
                "RFC6749 A.7",
                Some("https://www.rfc-editor.org/rfc/rfc6749#appendix-A.7"),
            ),
            (
                "OIDC-Core 3.1.2.1",
                Some("https://openid.net/specs/openid-connect-core-1_0.html"),
            ),
            (
                "OIDC Discovery §3; OIDC Core §15.1",
                Some("https://openid.net/specs/openid-connect-discovery-1_0.html"),
            ),
            (
                "Prefix or directory matching (RFC 9700 §4.1)",
                Some("https://www.rfc-editor.org/rfc/rfc9700#section-4.1"),
            ),
            (
                "RFC 6749 §6; §3.3 (scopes are case-sensitive)",
                Some("https://www.rfc-editor.org/rfc/rfc6749#section-6"),
            ),
            (
                "Normalising matcher (RFC 9700 §4.1.3; OAuth2.1 §4.1.1)",
                Some("https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3"),
            ),
            ("RFC 9207", Some("https://www.rfc-editor.org/rfc/rfc9207")),
            ("Signature not checked", None),
            ("PROFILE", None),
            ("RFC 12345 §1", None),
        ];
        for (input, want) in cases {
            assert_eq!(spec_url(input).as_deref(), want, "{input}");
        }
        // Every catalogue row with a spec reference yields a URL.
        for r in requirements::catalog().iter().filter(|r| r.level != "ADV") {
            assert!(spec_url(&r.spec).is_some(), "{}: {}", r.id, r.spec);
        }
    }

    #[test]
    fn levels_follow_the_requirement_level() {
        for (level, want) in [
            ("MUST", "error"),
            ("PROFILE MUST", "error"),
            ("MUST NOT redirect", "error"),
            ("RECOMMENDED → PROFILE MUST", "error"),
            ("SHOULD NOT (BCP) → PROFILE MUST", "error"),
            ("MUST NOT (client) → issuer SHOULD reject", "warning"),
            ("SHOULD", "warning"),
            ("RECOMMENDED", "warning"),
            ("BP", "warning"),
            ("ADV", "error"),
            ("MAY", "note"),
        ] {
            assert_eq!(rule_level(level), want, "{level}");
        }
    }

    #[test]
    fn names_and_uris() {
        assert_eq!(
            pascal("redirect_uri path tampering"),
            "RedirectUriPathTampering"
        );
        assert_eq!(
            section_title("10. Introspection (INTR): opt:introspection"),
            "Introspection"
        );
        assert_eq!(section_title("3. PKCE"), "PKCE");
        assert_eq!(
            artifact_uri("suites/a b/x#1.toml"),
            "suites/a%20b/x%231.toml"
        );
        assert_eq!(
            artifact_uri("/abs/suites/x.toml"),
            "file:///abs/suites/x.toml"
        );
        assert_eq!(artifact_uri(r"C:\s\x.toml"), "file:///C:/s/x.toml");
        assert_eq!(artifact_uri("a:b/x.toml"), "a%3Ab/x.toml");
    }
}
