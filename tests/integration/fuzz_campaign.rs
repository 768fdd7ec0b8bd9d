//! `grantcheck fuzz` (issue 15): no finding against the conformant
//! reference, under many registration shapes; findings against a faulted
//! one that replay through `grantcheck run --suites` and fail; a campaign
//! bounded by inputs is the same for a seed.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::shape_gen::shapes;
use grantcheck::campaign::driver::{self, Config, Summary};
use grantcheck::issuer::{Fault, ReferenceSecrets};
use grantcheck::report::model::Outcome;
use grantcheck::run::{self, reference, Stop, Target};

fn config(cases: usize) -> Config {
    Config {
        seed: 7,
        budget: std::time::Duration::from_secs(120),
        max_cases: Some(cases),
        concurrency: 8,
        ..Config::default()
    }
}

async fn fuzz_reference(
    faults: &[Fault],
    cases: usize,
) -> (Summary, Arc<Target>, grantcheck::issuer::RunningIssuer) {
    let faults: BTreeSet<Fault> = faults.iter().copied().collect();
    let r = reference::start(&faults)
        .await
        .expect("the reference starts");
    let target = Arc::new(r.target);
    let s = driver::campaign(target.clone(), config(cases), Stop::never(), |_| {})
        .await
        .expect("the campaign runs");
    (s, target, r.issuer)
}

fn described(s: &Summary) -> String {
    s.findings
        .iter()
        .map(|f| format!("{} ({}): {}\n{}", f.id, f.key, f.reason, f.scenario))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The budget the conformant reference must survive without a finding:
/// every flow, with thousands of mutations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_finding_against_the_conformant_reference() {
    let _turn = crate::common::HEAVY.lock().await;
    let (s, _, _issuer) = fuzz_reference(&[], 1500).await;
    assert!(s.findings.is_empty(), "false alarms:\n{}", described(&s));
    assert!(s.invalid.is_empty(), "{:?}", s.invalid);
    assert_eq!(s.cases, 1500);
    // Inputs that erred are setup failures; a handful at most (races
    // that did not overlap are errors, never passes).
    assert!(
        s.errors * 50 < s.cases,
        "{} errors: {:?}",
        s.errors,
        s.error_samples
    );
    use grantcheck::campaign::input::Flow;
    for flow in Flow::ALL {
        // The documents are read once: there is nothing to mutate.
        let want = if flow == Flow::Metadata { 1 } else { 20 };
        let ran = s.flows.get(&flow).map(|(n, _)| *n).unwrap_or(0);
        assert!(ran >= want, "{flow:?} barely ran: {:?}", s.flows);
    }
    assert!(s.classes > 30, "{} response classes", s.classes);
}

/// The same under registration shapes the fixtures never had: loopback
/// and custom-scheme redirect URIs, two per client, shared ones, roles
/// missing, client_secret_post.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_finding_under_other_registration_shapes() {
    let _turn = crate::common::HEAVY.lock().await;
    for shape in shapes(6, 21) {
        let r = reference::start_shaped(&BTreeSet::new(), ReferenceSecrets::random(), &shape)
            .await
            .expect("the shaped reference starts");
        let target = Arc::new(r.target);
        let s = driver::campaign(target, config(400), Stop::never(), |_| {})
            .await
            .expect("runs");
        assert!(s.findings.is_empty(), "under {shape:?}:\n{}", described(&s));
        assert!(s.invalid.is_empty(), "under {shape:?}: {:?}", s.invalid);
    }
}

/// The whole loop: a fault is found, the finding is a scenario file, and
/// that file run by the suite's runner fails against the faulted issuer and
/// passes against the conformant one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finding_replays_and_fails() {
    let _turn = crate::common::HEAVY.lock().await;
    let (s, target, _issuer) = fuzz_reference(&[Fault::PkceSkipCompare], 600).await;
    let f = s
        .findings
        .iter()
        .find(|f| f.key.contains("code_verifier"))
        .unwrap_or_else(|| panic!("pkce_skip_compare not found:\n{}", described(&s)));
    // Shrunk to the one mutation that matters.
    assert_eq!(f.input.mutations.len(), 1, "{}", f.input.label());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(format!("{}.toml", f.id)), &f.scenario).unwrap();
    let scenarios =
        Arc::new(grantcheck::scenario::load_dir(dir.path()).expect("the finding loads"));
    let plan = run::select(&scenarios, &run::Selection::default()).unwrap();
    let replay = run::execute(scenarios.clone(), plan.clone(), target, 1, |_| {}).await;
    assert_eq!(
        replay.cases[0].outcome,
        Outcome::Fail,
        "{:?}",
        replay.cases[0].reason
    );
    let clean = reference::start(&BTreeSet::new()).await.unwrap();
    let passes = run::execute(scenarios, plan, Arc::new(clean.target), 1, |_| {}).await;
    assert_eq!(
        passes.cases[0].outcome,
        Outcome::Pass,
        "{:?}",
        passes.cases[0].reason
    );
}

/// Bounded by inputs, a campaign is a function of its seed: the same
/// findings, the same corpus.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_gives_the_same_campaign() {
    let _turn = crate::common::HEAVY.lock().await;
    let run = || async {
        let (s, _, _i) = fuzz_reference(&[Fault::CodeReusable, Fault::NoPragma], 300).await;
        let keys: Vec<String> = s.findings.iter().map(|f| f.key.clone()).collect();
        (keys, s.corpus, s.cases)
    };
    let (a, b) = (run().await, run().await);
    assert_eq!(a, b);
    assert!(!a.0.is_empty());
}

/// The detection matrix over a sample of the catalogue, one fault of each
/// kind the fuzzer reaches (authorization, exchange, refresh, client
/// authentication, introspection, revocation, userinfo, metadata, error
/// format, headers), bounded by inputs: a snapshot. `grantcheck selftest
/// --fuzz N` runs the whole catalogue (reports/fuzz-matrix.md, CI).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_detection_matrix_of_a_sample() {
    let _turn = crate::common::HEAVY.lock().await;
    let sample: Vec<Fault> = [
        "redirect_case_insensitive",
        "pkce_allow_plain",
        "code_prefix_lookup",
        "code_not_client_bound",
        "rotation_no_family_revoke",
        "basic_401_missing_challenge",
        "introspection_unauthenticated",
        "revocation_unknown_token_error",
        "userinfo_no_challenge",
        "jwks_leaks_private",
        "wrong_error_code",
        "no_pragma",
    ]
    .iter()
    .map(|n| Fault::from_name(n).expect("a catalogue fault"))
    .collect();
    let m = grantcheck::campaign::matrix::run(&sample, config(1500), 2, |_| {})
        .await
        .expect("the matrix runs");
    assert_eq!(m.clean.findings, 0, "false alarms");
    assert_eq!(m.detected(), sample.len(), "{}", m.render());
    // Which finding comes first depends on timing only through races; the
    // sample has none, so the rows are stable.
    let rows: String = m
        .rows
        .iter()
        .map(|r| {
            format!(
                "{:<32} {}\n",
                r.fault,
                r.first.as_deref().unwrap_or("not found")
            )
        })
        .collect();
    let rows = rows
        .lines()
        .map(|l| l.rsplit_once('.').map(|(a, _)| a).unwrap_or(l).to_string() + "\n")
        .collect::<String>();
    crate::common::stable().bind(|| insta::assert_snapshot!("fuzz_matrix_sample", rows));
}

/// The loop as a user runs it: `grantcheck fuzz` against a faulted
/// reference exits 1 and writes the finding and its replay script; `run
/// --suites` on the findings fails against that issuer and passes against
/// the conformant one.
#[test]
fn the_cli_loop_fuzz_finding_replay() {
    let _turn = crate::common::HEAVY.blocking_lock();
    let bin = env!("CARGO_BIN_EXE_grantcheck");
    let dir = tempfile::tempdir().unwrap();
    let findings = dir.path().join("findings");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let f = findings.to_str().unwrap();
    let (code, text) = run(&[
        "fuzz",
        "--reference-fault",
        "code_reusable",
        "--max-cases",
        "400",
        "--findings",
        f,
        "-q",
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL   fuzz.code.replay"), "{text}");
    let files: Vec<String> = std::fs::read_dir(&findings)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.iter().any(|n| n.ends_with(".toml"))
            && files.iter().any(|n| n.ends_with(".replay.sh")),
        "{files:?}"
    );
    let (code, text) = run(&[
        "run",
        "--suites",
        f,
        "--reference-fault",
        "code_reusable",
        "-q",
        "--color",
        "never",
    ]);
    assert_eq!(code, Some(1), "the finding replays and fails:\n{text}");
    let (code, text) = run(&["run", "--suites", f, "-q", "--color", "never"]);
    assert_eq!(code, Some(0), "the conformant reference passes it:\n{text}");
}
