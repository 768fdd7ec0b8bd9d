//! The JUnit XML report (quick-junit), for CI systems that show test results:
//! Jenkins, GitLab, GitHub test-report actions.
//!
//! The output validates against the Jenkins xUnit plugin's `junit-10.xsd`
//! (the schema tests/integration/report_formats.rs checks it with), which is the
//! strictest of the JUnit dialects importers accept. Hence:
//!
//! - **One `<testsuite>` per area** (`code`, `pkce`, ...), in the order the
//!   run met them; **one `<testcase>` per scenario case** with
//!   `name` = the case id (`code.reuse`, `redirect.x[adv-01-...]`) and
//!   `classname` = the scenario id, so Jenkins shows area (package), then
//!   scenario (class). `time` is the case's `duration_ms`; no timestamp is
//!   written (the model has none, and the current time would make the file
//!   differ between identical runs).
//! - **pass** -> a plain passing test case.
//! - **fail** -> `<failure message="…" type="must|profile">`: the message is
//!   the one-line reason (which says expected vs got) followed by the
//!   requirement ids; the text lists every failed check of the case.
//! - **error** -> `<error type="error">` with the reason: the harness could
//!   not decide, which CI systems show apart from failures.
//! - **skip** -> `<skipped message="reason">`.
//! - **warn** -> a *passing* test case (a broken SHOULD does not fail the
//!   run, and GitLab and GitHub show passing tests), whose `system-out`
//!   starts with `WARN: <reason> [ids]`; the suite lists it in a property
//!   `grantcheck.warn` = case id. Test-case `<properties>` would be the
//!   obvious place, but junit-10.xsd has none on `<testcase>` (pytest drops
//!   them for its `xunit2` family for the same reason).
//! - **known deviation** (a baseline entry accepted the case) -> `<skipped
//!   type="known-deviation">` with the baseline's reason and the finding, the
//!   way pytest reports an expected failure; the suite lists it in a
//!   property `grantcheck.known`.
//! - Every non-passing case carries its evidence in `system-out`: the
//!   failed checks, the redacted exchanges of the steps that did not pass
//!   (request and response lines as the terminal prints them) and the curl
//!   replay of the whole case (`replay::script`, secrets as `$VARIABLES`).
//! - Each suite's properties name the tool version and the target (profile,
//!   issuer, reference faults), since `<testsuites>` has no properties.
//! - `<testsuites>` loses the `skipped` attribute quick-junit writes:
//!   junit-10.xsd does not declare it there (each `<testsuite>` keeps its own).

use std::fmt::Write;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::model::{CaseResult, Exchange, Outcome, RunReport, StepResult};
use super::replay;

/// How many characters of a body the evidence keeps (on one line).
const BODY_PREVIEW: usize = 2000;

pub fn render(report: &RunReport) -> String {
    let report = &super::sanitize::for_text(report);
    let mut junit = Report::new(format!(
        "grantcheck {} {}",
        report.target.profile, report.target.issuer
    ));
    junit.set_time(Duration::from_millis(report.duration_ms));

    // Areas in the order the run met them.
    let mut areas: Vec<&str> = Vec::new();
    for c in &report.cases {
        if !areas.contains(&c.area.as_str()) {
            areas.push(&c.area);
        }
    }
    for area in areas {
        let cases: Vec<&CaseResult> = report.cases.iter().filter(|c| c.area == area).collect();
        let mut suite = TestSuite::new(area);
        suite.set_time(Duration::from_millis(
            cases.iter().map(|c| c.duration_ms).sum(),
        ));
        suite.add_property(Property::new("grantcheck.version", &report.tool_version));
        let v = super::verdict::Verdict::of(report);
        suite.add_property(Property::new("grantcheck.verdict", v.as_str()));
        suite.add_property(Property::new(
            "grantcheck.exit_code",
            v.exit_code().to_string(),
        ));
        suite.add_property(Property::new("grantcheck.profile", &report.target.profile));
        suite.add_property(Property::new("grantcheck.issuer", &report.target.issuer));
        if !report.target.faults.is_empty() {
            suite.add_property(Property::new(
                "grantcheck.faults",
                report.target.faults.join(","),
            ));
        }
        for c in &cases {
            if c.known.is_some() && c.outcome != Outcome::Pass {
                suite.add_property(Property::new("grantcheck.known", &c.id));
            } else if c.outcome == Outcome::Warn {
                suite.add_property(Property::new("grantcheck.warn", &c.id));
            }
        }
        for c in cases {
            suite.add_test_case(test_case(c, report));
        }
        junit.add_test_suite(suite);
    }
    // Serialising to a String cannot fail: no I/O, and XmlString has already
    // dropped the characters XML cannot hold.
    let xml = junit.to_string().expect("JUnit report serialises");
    drop_root_skipped(xml)
}

fn test_case(c: &CaseResult, report: &RunReport) -> TestCase {
    let status = match (c.outcome, &c.known) {
        (Outcome::Pass, _) => TestCaseStatus::success(),
        (o, Some(known)) => {
            let mut s = TestCaseStatus::skipped();
            s.set_type("known-deviation");
            s.set_message(format!(
                "known deviation (baseline): {known}; {} now: {}",
                o.as_str(),
                reason(c)
            ));
            s
        }
        (Outcome::Warn, None) => TestCaseStatus::success(),
        (Outcome::Skip, None) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(reason(c));
            s
        }
        (Outcome::Fail, None) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!("{}{}", reason(c), ids(c)));
            s.set_type(failing_level(c));
            s.set_description(failed_checks(c));
            s
        }
        (Outcome::Error, None) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(reason(c));
            s.set_type("error");
            let errors: Vec<String> = c
                .steps
                .iter()
                .filter_map(|s| s.error.as_ref().map(|e| format!("step `{}`: {e}", s.name)))
                .collect();
            if !errors.is_empty() {
                s.set_description(errors.join("\n"));
            }
            s
        }
    };
    let mut t = TestCase::new(c.id.as_str(), status);
    t.set_classname(c.scenario.as_str());
    t.set_time(Duration::from_millis(c.duration_ms));
    if !matches!(c.outcome, Outcome::Pass | Outcome::Skip) {
        t.set_system_out(evidence(c, report));
    }
    t
}

fn reason(c: &CaseResult) -> String {
    c.reason
        .clone()
        .unwrap_or_else(|| format!("{} without a reason", c.outcome.as_str()))
}

/// ` [CODE-01, CODE-02]`, or nothing.
fn ids(c: &CaseResult) -> String {
    if c.covers.is_empty() {
        String::new()
    } else {
        format!(" [{}]", c.covers.join(", "))
    }
}

/// The level of the first failing step (`must` or `profile`).
fn failing_level(c: &CaseResult) -> String {
    c.steps
        .iter()
        .find(|s| s.outcome == Outcome::Fail)
        .map(|s| s.level.clone())
        .unwrap_or_else(|| c.level.clone())
}

/// One line per failed check: `step `x` (must): what: expected E, got A`.
fn failed_checks(c: &CaseResult) -> String {
    let mut out = String::new();
    for s in &c.steps {
        for k in s.checks.iter().filter(|k| !k.passed) {
            let _ = writeln!(
                out,
                "step `{}` ({}): {}: expected {}, got {}",
                s.name, s.level, k.what, k.expected, k.actual
            );
        }
    }
    out
}

/// The `system-out` of a case that did not pass.
fn evidence(c: &CaseResult, report: &RunReport) -> String {
    let mut out = String::new();
    let label = c.outcome.label();
    let _ = writeln!(out, "{label}: {}{}", reason(c), ids(c));
    if let Some(k) = &c.known {
        let _ = writeln!(out, "known deviation (baseline): {k}");
    }
    let _ = writeln!(out, "{} - {}", c.id, c.title);
    let mut meta = Vec::new();
    if !c.covers.is_empty() {
        meta.push(format!("covers {}", c.covers.join(", ")));
    }
    if !c.spec.is_empty() {
        meta.push(format!("spec {}", c.spec.join(", ")));
    }
    meta.push(c.source.clone());
    let _ = writeln!(out, "{}", meta.join(" · "));
    for s in &c.steps {
        step(&mut out, s);
    }
    let _ = write!(
        out,
        "\nreplay script (bash + curl; secrets as $VARIABLES; exit 1 when the finding reproduces):\n{}",
        replay::script(c, &report.replay_vars)
    );
    out
}

fn step(out: &mut String, s: &StepResult) {
    let _ = writeln!(
        out,
        "\n{} step `{}` ({}, {}): {}",
        s.label(),
        s.name,
        s.action,
        s.level,
        s.summary
    );
    for k in s.checks.iter().filter(|k| !k.passed) {
        let _ = writeln!(
            out,
            "    ✗ {}: expected {}, got {}",
            k.what, k.expected, k.actual
        );
    }
    if let Some(e) = &s.error {
        let _ = writeln!(out, "    ! {e}");
    }
    if s.outcome != Outcome::Pass {
        for e in &s.exchanges {
            exchange(out, e);
        }
    }
}

fn exchange(out: &mut String, e: &Exchange) {
    let _ = writeln!(out, "    > {} {}", e.request.method, e.request.url);
    for (n, v) in &e.request.headers {
        let _ = writeln!(out, "    > {n}: {v}");
    }
    if let Some(b) = e.request.body.as_deref().filter(|b| !b.is_empty()) {
        let _ = writeln!(out, "    > {}", preview(b));
    }
    if let Some(r) = &e.response {
        let _ = writeln!(out, "    < {} ({} ms)", r.status, e.elapsed_ms);
        for (n, v) in &r.headers {
            // As in the terminal: these vary between runs and decide nothing.
            if matches!(n.to_ascii_lowercase().as_str(), "date" | "content-length") {
                continue;
            }
            let _ = writeln!(out, "    < {n}: {v}");
        }
        if !r.body.is_empty() {
            let _ = writeln!(
                out,
                "    < {}{}",
                preview(&r.body),
                if r.truncated { " (truncated)" } else { "" }
            );
        }
    }
    if let Some((k, m)) = &e.error {
        let _ = writeln!(out, "    ! {k:?}: {m}");
    }
}

fn preview(body: &str) -> String {
    super::preview(body, BODY_PREVIEW)
}

/// Removes the `skipped` attribute of the `<testsuites>` start tag, which
/// junit-10.xsd does not declare. quick-xml escapes `>` and `"` inside
/// attribute values, so the first `>` after `<testsuites` ends the tag.
fn drop_root_skipped(xml: String) -> String {
    let Some(start) = xml.find("<testsuites") else {
        return xml;
    };
    let Some(end) = xml[start..].find('>').map(|e| start + e) else {
        return xml;
    };
    let tag = &xml[start..end];
    let Some(attr) = tag.find(" skipped=\"") else {
        return xml;
    };
    let value_start = start + attr + " skipped=\"".len();
    let Some(close) = xml[value_start..end].find('"') else {
        return xml;
    };
    let mut out = String::with_capacity(xml.len());
    out.push_str(&xml[..start + attr]);
    out.push_str(&xml[value_start + close + 1..]);
    out
}

/// A small report with every outcome, shared by the renderers' unit tests.
#[cfg(test)]
pub(crate) mod fixture {
    use crate::report::model::*;

    fn ex(body: Option<&str>, status: u16, resp_body: &str) -> Exchange {
        Exchange {
            request: HttpRequest {
                method: if body.is_some() { "POST" } else { "GET" }.into(),
                url: "http://127.0.0.1:4444/token".into(),
                headers: vec![
                    (
                        "Authorization".into(),
                        "Basic [redacted credentials #c0ffee]".into(),
                    ),
                    (
                        "Content-Type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ),
                ],
                body: body.map(str::to_string),
            },
            response: Some(HttpResponse {
                status,
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("date".into(), "Sat, 21 Nov 2026 10:00:00 GMT".into()),
                    ("cache-control".into(), "no-store".into()),
                ],
                body: resp_body.into(),
                truncated: false,
            }),
            error: None,
            elapsed_ms: 3,
            retried: None,
        }
    }

    fn check(what: &str, expected: &str, actual: &str, passed: bool) -> Check {
        Check::new(what, expected, actual, passed)
    }

    fn step(
        name: &str,
        level: &str,
        outcome: Outcome,
        checks: Vec<Check>,
        exchanges: Vec<Exchange>,
    ) -> StepResult {
        StepResult {
            name: name.into(),
            action: "token".into(),
            level: level.into(),
            outcome,
            summary: "POST /token -> 200".into(),
            checks,
            error: None,
            exchanges,
            not_run: None,
        }
    }

    fn case(
        scenario: &str,
        case: Option<&str>,
        title: &str,
        covers: &[&str],
        outcome: Outcome,
        reason: Option<&str>,
        steps: Vec<StepResult>,
    ) -> CaseResult {
        let id = match case {
            Some(c) => format!("{scenario}[{c}]"),
            None => scenario.to_string(),
        };
        let area = scenario.split('.').next().unwrap().to_string();
        CaseResult {
            id,
            scenario: scenario.into(),
            case: case.map(str::to_string),
            title: title.into(),
            source: format!("suites/{area}/{}.toml", scenario.split('.').nth(1).unwrap()),
            area,
            level: "must".into(),
            covers: covers.iter().map(|s| s.to_string()).collect(),
            not_covered: vec![],
            spec: vec!["RFC6749 4.1.2".into(), "OAuth2.1 4.1.3".into()],
            tags: vec![],
            outcome,
            reason: reason.map(str::to_string),
            duration_ms: 12,
            steps,
            known: None,
        }
    }

    /// A report of five cases, one per outcome, with redacted evidence, a
    /// replay variable and a fault.
    pub(crate) fn report() -> RunReport {
        let login = step(
            "login",
            "setup",
            Outcome::Pass,
            vec![check("callback", "code", "code", true)],
            vec![ex(None, 302, "")],
        );
        let cases = vec![
            case(
                "pkce.plain-refused",
                None,
                "plain is refused",
                &["PKCE-05"],
                Outcome::Pass,
                None,
                vec![login.clone()],
            ),
            failing_case(&login),
            warning_case(),
            case(
                "introspection.active",
                None,
                "Introspection reports active tokens",
                &["INTR-02"],
                Outcome::Skip,
                Some("introspection: the metadata has no introspection_endpoint"),
                vec![],
            ),
            error_case(),
        ];
        let mut replay_vars = std::collections::BTreeMap::new();
        replay_vars.insert(
            "[redacted credentials #c0ffee]".to_string(),
            "$(printf '%s:%s' 'c1' \"$GRANTCHECK_REF_C1_SECRET\" | base64 -w0)".to_string(),
        );
        RunReport {
            schema: SCHEMA.into(),
            tool_version: "0.1.0".into(),
            target: Target {
                profile: "reference".into(),
                issuer: "http://127.0.0.1:4444".into(),
                reference: true,
                faults: vec!["code_reusable".into()],
                dialect: None,
            },
            duration_ms: 1234,
            summary: Summary::of(&cases),
            cases,
            replay_vars,
            baseline: None,
            halt: None,
            sessions: None,
        }
    }

    /// The failing case: after `login`, a reused code accepted (redacted evidence).
    fn failing_case(login: &StepResult) -> CaseResult {
        case(
            "code.reuse",
            None,
            "A second exchange of one authorization code is refused",
            &["CODE-01", "CODE-02"],
            Outcome::Fail,
            Some("step `second`: status: expected 400, got 200"),
            vec![
                login.clone(),
                step(
                    "second",
                    "must",
                    Outcome::Fail,
                    vec![
                        check("status", "400", "200", false),
                        check("error", "invalid_grant", "(absent)", false),
                        check("header cache-control", "no-store", "no-store", true),
                    ],
                    vec![ex(
                        Some("grant_type=authorization_code&code=[redacted code #0b0b0b]"),
                        200,
                        r#"{"access_token":"[redacted access_token #a1a1a1]","token_type":"Bearer"}"#,
                    )],
                ),
            ],
        )
    }

    /// The warning case: a should-level header missing, in a named case (its
    /// title holds `|` and backticks).
    fn warning_case() -> CaseResult {
        case(
            "headers.frame-protection",
            Some("login-page"),
            "Login pages | cannot be `framed`",
            &["HDR-03"],
            Outcome::Warn,
            Some("step `page`: header x-frame-options: expected DENY|SAMEORIGIN, got (absent)"),
            vec![step(
                "page",
                "should",
                Outcome::Warn,
                vec![check(
                    "header x-frame-options",
                    "DENY|SAMEORIGIN",
                    "(absent)",
                    false,
                )],
                vec![ex(None, 200, "<html><body>login</body></html>")],
            )],
        )
    }

    /// The error case: a setup step in error, its one request timed out.
    fn error_case() -> CaseResult {
        let mut s = step("login", "setup", Outcome::Error, vec![], vec![]);
        s.error = Some("the login form was not found".into());
        s.exchanges = vec![Exchange {
            error: Some((TransportError::Timeout, "no answer in 20000 ms".into())),
            response: None,
            ..ex(None, 0, "")
        }];
        case(
            "refresh.rotates",
            Some("public"),
            "Refresh tokens rotate",
            &["RT-02"],
            Outcome::Error,
            Some("step `login`: the login form was not found"),
            vec![s],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_junit::NonSuccessKind;

    fn parsed(xml: &str) -> Report {
        Report::deserialize_from_str(xml).expect("the output parses as JUnit")
    }

    fn case<'a>(r: &'a Report, id: &str) -> &'a TestCase {
        r.test_suites
            .iter()
            .flat_map(|s| &s.test_cases)
            .find(|t| t.name.as_str() == id)
            .unwrap_or_else(|| panic!("no test case {id}"))
    }

    #[test]
    fn one_suite_per_area_and_one_case_per_scenario_case() {
        let xml = render(&fixture::report());
        let r = parsed(&xml);
        let suites: Vec<&str> = r.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            suites,
            ["pkce", "code", "headers", "introspection", "refresh"]
        );
        assert_eq!(r.tests, 5);
        assert_eq!(r.failures, 1);
        assert_eq!(r.errors, 1);
        let t = case(&r, "headers.frame-protection[login-page]");
        assert_eq!(t.classname.as_deref(), Some("headers.frame-protection"));
        assert_eq!(t.time, Some(Duration::from_millis(12)));
        assert!(xml.contains(r#"time="0.012""#), "{xml}");
        // No timestamp anywhere: identical runs give identical files.
        assert!(!xml.contains("timestamp"));
        // junit-10.xsd has no `skipped` on <testsuites>; suites keep theirs.
        let root = xml.lines().find(|l| l.contains("<testsuites")).unwrap();
        assert!(!root.contains("skipped="), "{root}");
        assert!(xml.contains(r#"<testsuite name="introspection" tests="1" skipped="1""#));
    }

    #[test]
    fn a_failure_says_expected_and_got_with_the_ids_and_carries_the_evidence() {
        let r = parsed(&render(&fixture::report()));
        let t = case(&r, "code.reuse");
        match &t.status {
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                message,
                ty,
                description,
                ..
            } => {
                assert_eq!(
                    message.as_deref(),
                    Some("step `second`: status: expected 400, got 200 [CODE-01, CODE-02]")
                );
                assert_eq!(ty.as_deref(), Some("must"));
                let d = description.as_deref().unwrap();
                assert!(d.contains("step `second` (must): status: expected 400, got 200"));
                assert!(d.contains("error: expected invalid_grant, got (absent)"));
                assert!(!d.contains("cache-control"), "passed checks are not listed");
            }
            other => panic!("not a failure: {other:?}"),
        }
        let out = t.system_out.as_deref().unwrap();
        assert!(out.starts_with("FAIL: step `second`"), "{out}");
        assert!(out.contains(
            "covers CODE-01, CODE-02 · spec RFC6749 4.1.2, OAuth2.1 4.1.3 · suites/code/reuse.toml"
        ));
        // The deciding exchange, redacted, with the run-varying Date dropped.
        assert!(out.contains("    > POST http://127.0.0.1:4444/token\n"));
        assert!(out.contains("    > Authorization: Basic [redacted credentials #c0ffee]\n"));
        assert!(out.contains("    < 200 (3 ms)\n"));
        assert!(out.contains(
            r#"    < {"access_token":"[redacted access_token #a1a1a1]","token_type":"Bearer"}"#
        ));
        assert!(!out.contains("date:"));
        // The passing login step is listed but its exchange is left to the replay.
        assert!(out.contains("PASS step `login` (token, setup)"));
        assert_eq!(out.matches("    > POST").count(), 1);
        // The replay: the known marker becomes the profile's variable.
        assert!(out.contains("#!/usr/bin/env bash\n# Replay of code.reuse (grantcheck "));
        assert!(out.contains("$GRANTCHECK_REF_C1_SECRET"));
        assert!(out.contains("${CODE_0b0b0b}"));
    }

    #[test]
    fn warn_passes_visibly_skip_and_error_map_to_their_elements() {
        let report = fixture::report();
        let xml = render(&report);
        let r = parsed(&xml);
        let warn = case(&r, "headers.frame-protection[login-page]");
        assert!(matches!(warn.status, TestCaseStatus::Success { .. }));
        let out = warn.system_out.as_deref().unwrap();
        assert!(out.starts_with("WARN: step `page`: header x-frame-options: expected DENY|SAMEORIGIN, got (absent) [HDR-03]\n"), "{out}");
        let headers = r
            .test_suites
            .iter()
            .find(|s| s.name.as_str() == "headers")
            .unwrap();
        assert!(headers
            .properties
            .iter()
            .any(|p| p.name.as_str() == "grantcheck.warn"
                && p.value.as_str() == "headers.frame-protection[login-page]"));
        assert!(
            headers
                .properties
                .iter()
                .any(|p| p.name.as_str() == "grantcheck.faults"
                    && p.value.as_str() == "code_reusable")
        );

        let skip = case(&r, "introspection.active");
        match &skip.status {
            TestCaseStatus::Skipped { message, .. } => assert_eq!(
                message.as_deref(),
                Some("introspection: the metadata has no introspection_endpoint")
            ),
            other => panic!("not skipped: {other:?}"),
        }
        assert!(skip.system_out.is_none());

        let err = case(&r, "refresh.rotates[public]");
        match &err.status {
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Error,
                message,
                description,
                ..
            } => {
                assert_eq!(
                    message.as_deref(),
                    Some("step `login`: the login form was not found")
                );
                assert_eq!(
                    description.as_deref(),
                    Some("step `login`: the login form was not found")
                );
            }
            other => panic!("not an error: {other:?}"),
        }
        assert!(err
            .system_out
            .as_deref()
            .unwrap()
            .contains("    ! Timeout: no answer in 20000 ms"));

        let pass = case(&r, "pkce.plain-refused");
        assert!(matches!(pass.status, TestCaseStatus::Success { .. }));
        assert!(pass.system_out.is_none());
    }

    #[test]
    fn a_known_deviation_is_skipped_with_the_baseline_reason() {
        let mut report = fixture::report();
        report.cases[1].known = Some("accepted by review".into());
        let r = parsed(&render(&report));
        let t = case(&r, "code.reuse");
        match &t.status {
            TestCaseStatus::Skipped { message, ty, .. } => {
                assert_eq!(ty.as_deref(), Some("known-deviation"));
                assert_eq!(
                    message.as_deref(),
                    Some("known deviation (baseline): accepted by review; fail now: step `second`: status: expected 400, got 200")
                );
            }
            other => panic!("not skipped: {other:?}"),
        }
        assert_eq!(r.failures, 0);
        let code = r
            .test_suites
            .iter()
            .find(|s| s.name.as_str() == "code")
            .unwrap();
        assert!(code
            .properties
            .iter()
            .any(|p| p.name.as_str() == "grantcheck.known"));
    }

    #[test]
    fn markup_in_the_evidence_is_escaped() {
        let xml = render(&fixture::report());
        assert!(xml.contains("&lt;html&gt;&lt;body&gt;login"));
        assert!(!xml.contains("<html>"));
        parsed(&xml);
    }

    #[test]
    fn drop_root_skipped_touches_only_the_root() {
        let xml = r#"<?xml version="1.0"?>
<testsuites name="a&gt;b" tests="1" skipped="1" failures="0" errors="0">
    <testsuite name="x" tests="1" skipped="1" errors="0" failures="0"/>
</testsuites>"#;
        assert_eq!(
            drop_root_skipped(xml.to_string()),
            xml.replacen(r#" skipped="1""#, "", 1)
        );
        assert!(drop_root_skipped(xml.to_string())
            .contains(r#"<testsuite name="x" tests="1" skipped="1""#));
    }
}
