//! The whole committed suite against the conformant reference issuer: every
//! case passes, the required requirement ids are covered, and the reports
//! are snapshot-checked.

use crate::common;

use grantcheck::report::{json, terminal, Outcome};

/// Requirement ids grantcheck 0.1 must cover (issue "grantcheck 0.1").
const REQUIRED: &[&str] = &[
    "PKCE-01", "PKCE-02", "PKCE-03", "PKCE-04", "PKCE-05", "PKCE-06", "PKCE-07", "PKCE-09",
    "RURI-01", "RURI-02", "RURI-03", "RURI-04", "RURI-06", "RURI-07", "ADV-01", "ADV-02", "ADV-03",
    "ADV-04", "ADV-05", "ADV-06", "ADV-07", "CODE-01", "CODE-02", "CODE-04", "CODE-05", "CODE-07",
    "RT-01", "RT-02", "RT-03", "RT-04", "RT-05", "RT-06", "RT-09", "RT-10", "TOK-06", "TOK-07",
    "CAUTH-02", "CAUTH-03", "ERR-01", "ERR-02", "ERR-03", "ERR-04", "HDR-01", "HDR-02", "ISS-01",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_passes_against_the_reference_issuer() {
    let report = common::run_reference(&[], &[]).await;
    let bad: Vec<String> = report
        .cases
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .filter(|c| {
            !(c.outcome == Outcome::Skip && common::optional_feature_skip(c.reason.as_deref()))
        })
        .map(|c| {
            format!(
                "{} {}: {}",
                c.outcome.as_str(),
                c.id,
                c.reason.clone().unwrap_or_default()
            )
        })
        .collect();
    assert!(
        bad.is_empty(),
        "the conformant reference must pass everything:\n{}",
        bad.join("\n")
    );
    assert!(
        report.summary.total >= 60,
        "at least 60 cases, got {}",
        report.summary.total
    );
    assert!(
        report.summary.checks > report.summary.total,
        "every case checks something"
    );

    let covered: std::collections::BTreeSet<&str> = report
        .cases
        .iter()
        .flat_map(|c| c.covers.iter().map(String::as_str))
        .collect();
    let missing: Vec<&&str> = REQUIRED
        .iter()
        .filter(|id| !covered.contains(**id))
        .collect();
    assert!(missing.is_empty(), "required ids not covered: {missing:?}");

    // Snapshots: the terminal report and the JSON report of the reference
    // run, with what varies between runs filtered out. Exchanges of passing
    // cases are dropped from the JSON snapshot to keep it reviewable; the
    // evidence snapshot below keeps a failing case's exchanges whole.
    let text = terminal::render(&report, terminal::Options::default());
    common::stable().bind(|| insta::assert_snapshot!("reference_run_terminal", text));
    let mut trimmed = report.clone();
    // Replay variables are keyed by per-run fingerprints: check them here,
    // keep them out of the snapshot.
    let vars: std::collections::BTreeSet<&str> =
        report.replay_vars.values().map(String::as_str).collect();
    assert!(vars.contains("$GRANTCHECK_REF_C1_SECRET"), "{vars:?}");
    assert!(vars.contains("$GRANTCHECK_REF_U1_PASSWORD"), "{vars:?}");
    assert!(vars.iter().all(|v| !v.contains(&report.target.issuer)));
    trimmed.replay_vars.clear();
    for c in &mut trimmed.cases {
        for s in &mut c.steps {
            s.exchanges.clear();
        }
    }
    let json = json::render(&trimmed);
    common::stable().bind(|| insta::assert_snapshot!("reference_run_json", json));
}

/// A failing case carries the evidence that decided it, redacted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_carries_redacted_evidence() {
    use grantcheck::issuer::Fault;
    let report = common::run_reference(
        &["code.reuse"],
        &[Fault::from_name("code_reusable").unwrap()],
    )
    .await;
    let case = &report.cases[0];
    assert_eq!(case.outcome, Outcome::Fail);
    let reason = case.reason.as_deref().unwrap();
    assert!(
        reason.contains("step `second`") && reason.contains("expected 400, got 200"),
        "{reason}"
    );
    let failing = case
        .steps
        .iter()
        .find(|s| s.outcome == Outcome::Fail)
        .unwrap();
    assert_eq!(failing.exchanges.len(), 1, "the exchange that decided it");
    let ex = &failing.exchanges[0];
    let body = &ex.response.as_ref().unwrap().body;
    assert!(
        body.contains("[redacted access_token #"),
        "tokens are redacted: {body}"
    );
    assert!(ex
        .request
        .headers
        .iter()
        .any(|(n, v)| n == "Authorization" && v.starts_with("Basic [redacted credentials #")));
    let text = terminal::render(&report, terminal::Options::default());
    assert!(
        text.contains("> POST http://127.0.0.1:"),
        "the terminal report shows the exchange:\n{text}"
    );
    common::stable().bind(|| insta::assert_snapshot!("fault_code_reusable_terminal", text));
}

/// No secret of the run appears in any rendering of any report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_a_report() {
    use grantcheck::issuer::{Fault, ReferenceSecrets};
    use grantcheck::run::{self, reference, Selection};
    use std::sync::Arc;
    let secrets = ReferenceSecrets::random();
    let faults: std::collections::BTreeSet<Fault> =
        [Fault::from_name("code_reusable").unwrap()].into();
    let r = reference::start_with(&faults, secrets.clone())
        .await
        .unwrap();
    let scenarios = Arc::new(common::suites());
    let plan = run::select(&scenarios, &Selection::default()).unwrap();
    let report = run::execute(scenarios, plan, Arc::new(r.target), 8, |_| {}).await;
    let rendered = [
        json::render(&report),
        terminal::render(
            &report,
            terminal::Options {
                verbose: true,
                ..Default::default()
            },
        ),
    ];
    for (name, value) in grantcheck::run::reference::env_vars(&secrets) {
        for (i, text) in rendered.iter().enumerate() {
            assert!(!text.contains(&value), "{name} leaked into rendering {i}");
            let encoded = grantcheck::protocol::form::encode_component(&value);
            assert!(
                !text.contains(&encoded),
                "{name} (form-encoded) leaked into rendering {i}"
            );
        }
    }
}
