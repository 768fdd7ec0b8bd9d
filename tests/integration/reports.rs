//! Every report format from one run: the JSON report validates against the
//! committed schema (reports/schema.json), no secret of any kind reaches any
//! rendering (a property test over random secrets), and a baseline hides
//! exactly its case.

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;

use grantcheck::issuer::{Fault, ReferenceSecrets};
use grantcheck::report::format::Format;
use grantcheck::report::{github, replay, terminal, RunReport};
use grantcheck::run::{self, reference, Selection};
use proptest::prelude::*;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string("reports/schema.json").expect("reports/schema.json");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// Runs the suite with `faults` against an issuer holding `secrets`; returns
/// the report and every credential the issuer handed out or received.
fn run_with(secrets: ReferenceSecrets, faults: &[Fault]) -> (RunReport, Vec<(String, String)>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let faults: BTreeSet<Fault> = faults.iter().copied().collect();
        let r = reference::start_with(&faults, secrets.clone())
            .await
            .expect("the reference issuer starts");
        // A login in every case: every password is in the evidence to
        // redact, and the snapshot does not depend on which case logged in.
        r.target.sessions.disable();
        let scenarios = Arc::new(common::suites());
        let plan = run::select(&scenarios, &Selection::default()).unwrap();
        let report = run::execute(scenarios, plan, Arc::new(r.target), 8, |_| {}).await;
        let mut secret_values: Vec<(String, String)> = reference::env_vars(&secrets)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        secret_values.extend(
            r.issuer
                .handed_out()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v)),
        );
        r.issuer.shutdown().await;
        (report, secret_values)
    })
}

/// Every rendering a user or CI can see.
fn renderings(report: &RunReport) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Format::ALL
        .iter()
        .map(|f| (f.name().to_string(), f.render(report)))
        .collect();
    for verbose in [false, true] {
        out.push((
            format!("terminal verbose={verbose}"),
            terminal::render(
                report,
                terminal::Options {
                    verbose,
                    ..Default::default()
                },
            ),
        ));
    }
    out.push(("github annotations".into(), github::annotations(report)));
    for c in &report.cases {
        out.push((
            format!("replay {}", c.id),
            replay::script(c, &report.replay_vars),
        ));
    }
    out
}

#[test]
fn the_json_report_validates_against_the_committed_schema() {
    let (report, _) = run_with(
        ReferenceSecrets::random(),
        &[Fault::CodeReusable, Fault::NoPragma],
    );
    assert!(report.summary.fail > 0, "the faults make cases fail");
    let v = schema();
    let json: serde_json::Value = serde_json::from_str(&Format::Json.render(&report)).unwrap();
    let errors: Vec<String> = v
        .iter_errors(&json)
        .map(|e| e.to_string())
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );

    // The JSON of the cases that did not pass, as a reviewable snapshot.
    let mut failing = report.clone();
    failing
        .cases
        .retain(|c| c.outcome != grantcheck::report::Outcome::Pass);
    failing.replay_vars.clear();
    common::stable().bind(|| {
        insta::assert_snapshot!(
            "report_formats_json_failures",
            Format::Json.render(&failing)
        );
    });

    // The schema has teeth: a wrong outcome or a missing member is refused.
    let mut bad = json.clone();
    bad["cases"][0]["outcome"] = "maybe".into();
    assert!(!v.is_valid(&bad));
    let mut bad = json;
    bad["summary"].as_object_mut().unwrap().remove("fail");
    assert!(!v.is_valid(&bad));
}

#[test]
fn replays_name_variables_never_values() {
    let secrets = ReferenceSecrets::random();
    let (report, _) = run_with(secrets.clone(), &[Fault::CodeReusable]);
    let reuse = report
        .cases
        .iter()
        .find(|c| c.id == "code.reuse")
        .expect("code.reuse ran");
    let script = replay::script(reuse, &report.replay_vars);
    assert!(script.starts_with("#!/usr/bin/env bash"), "{script}");
    assert!(script.contains("curl -sS"), "{script}");
    // c1 authenticates with Basic: the replay rebuilds it from the variable,
    // and stops with a message when it is unset.
    assert!(script.contains("$GRANTCHECK_REF_C1_SECRET"), "{script}");
    assert!(
        script.contains("needvar GRANTCHECK_REF_C1_SECRET 'export GRANTCHECK_REF_C1_SECRET"),
        "{script}"
    );
    // The code is read from the answer that handed it out; the verifier is fresh.
    assert!(script.contains("=$(pick "), "{script}");
    assert!(script.contains("=$(rand 64)"), "{script}");
    assert!(!script.contains(&secrets.c1));
}

fn secret_string() -> impl Strategy<Value = String> {
    // Printable ASCII, including what form and Basic encoding must survive.
    "[A-Za-z0-9._~:%+& !*'()-]{12,40}"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_secret_reaches_any_rendering(
        c1 in secret_string(), c2 in secret_string(), s1 in secret_string(),
        x1 in secret_string(), d1 in secret_string(), alice in secret_string(),
        bob in secret_string(),
    ) {
        let secrets = ReferenceSecrets {
            c1, c2, s1, d1,
            x1: format!("{x1}:%+& "),
            alice_password: alice,
            bob_password: bob,
            ..ReferenceSecrets::random()
        };
        let (report, secret_values) = run_with(secrets, &[Fault::CodeReusable, Fault::NoPragma]);
        prop_assert!(report.summary.fail > 0);
        prop_assert!(secret_values.len() > 100, "the issuer handed out codes and tokens");
        for (what, text) in renderings(&report) {
            for (kind, value) in &secret_values {
                prop_assert!(!text.contains(value.as_str()), "{} leaked into {}", kind, what);
                let encoded = grantcheck::protocol::form::encode_component(value);
                prop_assert!(!text.contains(&encoded), "{} (form-encoded) leaked into {}", kind, what);
            }
        }
    }
}
