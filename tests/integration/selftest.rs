//! The detection matrix as a tested property of the product: the conformant
//! reference passes everything, every fault of the catalogue is caught, every
//! case kills at least one fault, and every fault fails the requirement ids
//! it declares. The matrix itself is a snapshot, so a change in what catches
//! what shows up in review (and removing a fault changes it).

use crate::common;

use std::sync::Arc;

use grantcheck::issuer::{Dialect, Fault};
use grantcheck::run::{self, Selection};
use grantcheck::selftest::{self, render};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_caught_and_every_case_kills_one() {
    let _turn = common::HEAVY.lock().await;
    let scenarios = Arc::new(common::suites());
    let plan = run::select(&scenarios, &Selection::default()).expect("the suites select");
    // Faults only observable under another dialect are tests/integration/seed_emulation.rs's.
    let faults = Fault::for_dialect(Dialect::Standard);
    let m = selftest::run(
        scenarios,
        plan,
        &faults,
        selftest::Options::default(),
        |_| {},
    )
    .await
    .expect("the reference issuer starts");

    assert!(
        Fault::ALL.len() >= 30,
        "the catalogue has at least 30 faults"
    );
    assert_eq!(m.faults.len(), faults.len());
    // Everything passes but the cases of options the standard reference
    // lacks (JWT access tokens, refresh from client_credentials), which the
    // dialect emulations check (tests/integration/seed_emulation.rs).
    assert_eq!(m.baseline.pass + m.baseline.skipped.len(), m.baseline.total);
    for n in &m.baseline.skipped {
        assert!(
            common::optional_feature_skip(n.reason.as_deref()),
            "{} skipped: {:?}",
            n.case,
            n.reason
        );
    }
    let problems: Vec<String> = m.problems().iter().map(|p| p.to_string()).collect();
    assert!(
        problems.is_empty(),
        "the detection matrix has problems:\n{}",
        problems.join("\n")
    );
    assert_eq!(m.score(), 100.0);

    common::stable().bind(|| {
        insta::assert_snapshot!("selftest_matrix", render::markdown(&m));
    });
}
