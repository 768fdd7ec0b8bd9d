//! JUnit, SARIF and Markdown from one run against the reference issuer with
//! faults switched on, so failures and warnings are represented:
//!
//! - SARIF validates against the official OASIS SARIF 2.1.0 JSON schema;
//! - JUnit validates against the Jenkins xUnit plugin's junit-10.xsd (with
//!   `xmllint`), and parses back with the counts of the run;
//! - each format matches its snapshot in snapshots/.
//!
//! The schemas come from package registries: run `tests/schemas/fetch.sh`
//! once (and install `xmllint`, Debian package libxml2-utils).

use crate::common;

use std::path::Path;
use std::process::Command;

use grantcheck::issuer::Fault;
use grantcheck::report::{junit, markdown, sarif, Outcome, RunReport};

/// `code_reusable` fails `code.reuse` and `code.race`; `no_frame_protection`
/// makes the frame-protection cases warn.
const FAULTS: &[&str] = &["code_reusable", "no_frame_protection"];

async fn run() -> RunReport {
    let faults: Vec<Fault> = FAULTS
        .iter()
        .map(|n| Fault::from_name(n).expect("a known fault"))
        .collect();
    let report = common::run_reference(&[], &faults).await;
    for o in [Outcome::Fail, Outcome::Warn, Outcome::Pass] {
        assert!(
            report.cases.iter().any(|c| c.outcome == o),
            "the run has a {} case",
            o.as_str()
        );
    }
    report
}

/// The run with a skip, an error and a baseline-accepted failure added by
/// hand, so every mapping meets the schemas (the conformant reference issuer
/// neither skips nor errs).
fn every_outcome(report: &RunReport) -> RunReport {
    let mut r = report.clone();
    let mut passing = r.cases.iter_mut().filter(|c| c.outcome == Outcome::Pass);
    let skip = passing.next().unwrap();
    skip.outcome = Outcome::Skip;
    skip.reason = Some("introspection: the metadata has no introspection_endpoint".into());
    skip.steps.clear();
    let error = passing.next().unwrap();
    error.outcome = Outcome::Error;
    error.reason = Some("step `login`: the login form was not found".into());
    let failing = r
        .cases
        .iter_mut()
        .find(|c| c.outcome == Outcome::Fail)
        .unwrap();
    failing.known = Some("accepted <by> review & \"co\"".into());
    r.summary = grantcheck::report::Summary::of(&r.cases);
    r
}

fn schema_file(name: &str) -> String {
    let path = Path::new("tests/schemas").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}). Run tests/schemas/fetch.sh first: it downloads the \
             SARIF schema (crates.io serde-sarif) and the JUnit XSD (PyPI pytest).",
            path.display()
        )
    })
}

fn sarif_validator() -> jsonschema::Validator {
    let mut schema: serde_json::Value =
        serde_json::from_str(&schema_file("sarif-2.1.0.json")).expect("the SARIF schema is JSON");
    // The official schema's two `language` patterns (in `run` and
    // `toolComponent`), `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`, carry a
    // stray `]`, a known erratum of the published file: jsonschema refuses
    // to compile the schema (`... is not a "regex"`). grantcheck never writes
    // `language`, so the two patterns are dropped rather than guessed at;
    // everything else is checked as published.
    let mut dropped = 0;
    for def in ["run", "toolComponent"] {
        if let Some(lang) = schema
            .pointer_mut(&format!("/definitions/{def}/properties/language"))
            .and_then(|l| l.as_object_mut())
        {
            if lang
                .get("pattern")
                .and_then(|p| p.as_str())
                .is_some_and(|p| p.ends_with("]?$"))
            {
                lang.remove("pattern");
                dropped += 1;
            }
        }
    }
    assert_eq!(dropped, 2, "the schema changed: revisit this workaround");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(v: &jsonschema::Validator, text: &str) {
    let instance: serde_json::Value = serde_json::from_str(text).expect("SARIF is JSON");
    let errors: Vec<String> = v
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sarif_validates_against_the_official_schema() {
    let v = sarif_validator();
    let report = run().await;
    let text = sarif::render(&report);
    assert_valid_sarif(&v, &text);
    assert_valid_sarif(&v, &sarif::render(&every_outcome(&report)));

    // The validator is not vacuous: a result without a message is refused.
    let mut broken: serde_json::Value = serde_json::from_str(&text).unwrap();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(
        !v.is_valid(&broken),
        "a result without a message must not validate"
    );

    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let failing = report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
        .count();
    assert_eq!(
        results.len(),
        failing,
        "one result per failing or warning case"
    );
    assert!(results.iter().any(|r| r["ruleId"] == "CODE-01"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junit_validates_against_junit_10_xsd() {
    if std::env::var_os("GRANTCHECK_SKIP_XMLLINT").is_some() {
        eprintln!("JUnit XSD check skipped: GRANTCHECK_SKIP_XMLLINT is set (tests/run.sh without installs)");
        return;
    }
    let xsd = Path::new("tests/schemas/junit-10.xsd");
    schema_file("junit-10.xsd");
    let report = run().await;
    for (label, r) in [
        ("the run", report.clone()),
        ("every outcome", every_outcome(&report)),
    ] {
        let xml = junit::render(&r);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("junit.xml");
        std::fs::write(&file, &xml).unwrap();
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(xsd)
            .arg(&file)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run xmllint ({e}): install it (Debian: apt-get install libxml2-utils)"
                )
            });
        assert!(
            out.status.success(),
            "JUnit XML of {label} does not validate against junit-10.xsd:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );

        // What importers count: tests, failures, errors, skips.
        let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("JUnit parses");
        assert_eq!(parsed.tests, r.summary.total, "{label}");
        assert_eq!(parsed.failures, r.counted(Outcome::Fail), "{label}");
        assert_eq!(parsed.errors, r.counted(Outcome::Error), "{label}");
        let skipped: usize = parsed.test_suites.iter().map(|s| s.skipped).sum();
        let known = r.cases.iter().filter(|c| c.known.is_some()).count();
        assert_eq!(skipped, r.summary.skip + known, "{label}");
        let ids: Vec<&str> = parsed
            .test_suites
            .iter()
            .flat_map(|s| s.test_cases.iter().map(|t| t.name.as_str()))
            .collect();
        let mut want: Vec<&str> = r.cases.iter().map(|c| c.id.as_str()).collect();
        let mut got = ids.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "one test case per scenario case ({label})");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_matches_its_snapshot() {
    let report = run().await;
    let mut settings = common::stable();
    // JUnit times in seconds, SARIF's run duration, Markdown's total time.
    settings.add_filter(r#"time="\d+\.\d+""#, r#"time="[time]""#);
    settings.add_filter(r#""durationMs": \d+"#, r#""durationMs": "[ms]""#);
    settings.add_filter(r"\| \d+\.\d+s \|", "| [time]s |");
    // Replay variables named after redaction fingerprints (`${CODE_0b0b0b}`).
    settings.add_filter(r"\b([A-Z][A-Z0-9_]*)_[0-9a-f]{6}\b", "${1}_[fp]");
    settings.bind(|| {
        insta::assert_snapshot!(
            "report_formats_junit",
            sort_replay_variables(&junit::render(&report))
        );
        insta::assert_snapshot!("report_formats_sarif", sarif::render(&report));
        insta::assert_snapshot!("report_formats_markdown", markdown::render(&report));
    });
}

/// A replay lists the shell variables it needs (`#   CODE_0b0b0b  (code)`)
/// sorted by name, and the names end in fingerprints that are fresh each
/// run, so the order of one list changes between runs. Each list is sorted
/// here by what stays: the kind, then the name without its fingerprint.
fn sort_replay_variables(text: &str) -> String {
    fn key(line: &str) -> Option<(String, String)> {
        let rest = line.strip_prefix("#   ")?;
        let (name, kind) = rest.split_once("  (")?;
        let kind = kind.strip_suffix(')')?;
        let (stem, fp) = name.rsplit_once('_')?;
        let is_fp = fp.len() == 6 && fp.bytes().all(|b| b.is_ascii_hexdigit());
        is_fp.then(|| (kind.to_string(), stem.to_string()))
    }
    let mut out: Vec<&str> = Vec::new();
    let mut list: Vec<&str> = Vec::new();
    for line in text.split('\n') {
        if key(line).is_some() {
            list.push(line);
            continue;
        }
        list.sort_by_key(|l| key(l));
        out.append(&mut list);
        out.push(line);
    }
    list.sort_by_key(|l| key(l));
    out.append(&mut list);
    out.join("\n")
}
