//! The metamorphic self-test (issue 13): the suite against the conformant
//! reference issuer under many registration shapes (redirect URIs of every
//! kind, one or two per client, two clients sharing one, roles missing,
//! client_secret_post instead of Basic, no offline_access or extra scope).
//! Under each shape every case passes or skips with a reason: no fail and no
//! error, so nothing in the suite depends on the fixtures' shape. The
//! redirect-matcher faults are still caught wherever the shape lets a probe
//! reach them. The shapes come from a fixed seed; `benches/shapes.rs` runs
//! a longer sweep with the same generator (tests/integration/shape_gen.rs).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::shape_gen::{detected, run_shaped, shapes, unearned};
use grantcheck::issuer::{Fault, ReferenceSecrets};
use grantcheck::report::model::Outcome;
use grantcheck::report::RunReport;
use grantcheck::run::reference::{self, Shape};
use grantcheck::run::{self, Selection};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shape_gives_only_pass_or_skip_and_the_matcher_faults_are_caught() {
    let _turn = crate::common::HEAVY.lock().await;
    let scenarios = Arc::new(crate::common::suites());
    // Caught under every shape: a case change of any URI, and http for https
    // or the reverse, are probes no registration can make void.
    let always = [Fault::RedirectCaseInsensitive, Fault::RedirectPrefixMatch];
    for shape in shapes(8, 13) {
        let clean = run_shaped(&scenarios, &shape, &[]).await;
        let bad = unearned(&clean);
        assert!(bad.is_empty(), "under {shape:?}:\n{}", bad.join("\n"));
        let passed = clean
            .cases
            .iter()
            .filter(|c| c.outcome == Outcome::Pass)
            .count();
        assert!(passed > 100, "under {shape:?} only {passed} cases passed");
        for fault in always {
            let report = run_shaped(&scenarios, &shape, &[fault]).await;
            assert!(detected(&report), "{fault:?} not caught under {shape:?}");
        }
    }
}

#[test]
fn the_generator_makes_every_kind_of_shape() {
    let all = shapes(40, 13);
    let uris: Vec<&String> = all
        .iter()
        .flat_map(|s| s.redirect_uris.values().flatten())
        .collect();
    assert!(uris.iter().any(|u| u.starts_with("https://")));
    assert!(uris.iter().any(|u| u.starts_with("http://127.0.0.1")));
    assert!(uris.iter().any(|u| u.starts_with("http://[::1]")));
    assert!(uris.iter().any(|u| u.contains(".app:/")));
    assert!(all.iter().any(|s| s.redirect_uris["p1"].len() == 1));
    assert!(all
        .iter()
        .any(|s| s.redirect_uris["c1"] == s.redirect_uris["c2"]));
    assert!(all.iter().any(|s| !s.without.is_empty()));
    assert!(all.iter().any(|s| s.post_auth.contains("c1")));
    assert!(all.iter().any(|s| s.without_scopes.contains("offline")));
}

/// A race is a burst whatever the profile's rate limit: at 2 requests per
/// second the 20 redemptions of code.race used to go out 0.5 s apart and
/// pass against the racy issuer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_race_is_caught_under_a_rate_limit() {
    let scenarios = Arc::new(crate::common::suites());
    let shape = Shape {
        rate_limit: Some(2.0),
        ..Shape::default()
    };
    let only = |report: RunReport| -> Vec<(String, Outcome)> {
        report
            .cases
            .into_iter()
            .filter(|c| c.id.starts_with("code.race"))
            .map(|c| (c.id, c.outcome))
            .collect()
    };
    let select = Selection {
        only: vec!["code.race*".into()],
        tags: vec![],
    };
    for (faults, want) in [
        (vec![], Outcome::Pass),
        (vec![Fault::CodeRace], Outcome::Fail),
    ] {
        let plan = run::select(&scenarios, &select).unwrap();
        let set: BTreeSet<Fault> = faults.iter().copied().collect();
        let r = reference::start_shaped(&set, ReferenceSecrets::random(), &shape)
            .await
            .unwrap();
        let report = run::execute(scenarios.clone(), plan, Arc::new(r.target), 8, |_| {}).await;
        let got = only(report);
        assert!(!got.is_empty());
        assert!(got.iter().all(|(_, o)| *o == want), "{faults:?}: {got:?}");
    }
}

/// An issuer without RFC 9207 (`grantcheck issuer --no-iss`): the scenario
/// that holds such an issuer to its metadata runs and passes, and the ones
/// that need `iss` skip, saying why; the `iss_unadvertised` fault (iss sent,
/// not advertised) then fails it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_without_iss_runs_the_unadvertised_case() {
    let scenarios = Arc::new(crate::common::suites());
    let select = Selection {
        only: vec!["iss.*".into()],
        tags: vec![],
    };
    let outcomes = |report: RunReport| -> Vec<(String, Outcome)> {
        report
            .cases
            .into_iter()
            .map(|c| (c.id, c.outcome))
            .collect()
    };
    let no_iss = Shape {
        no_iss: true,
        ..Shape::default()
    };
    let plan = run::select(&scenarios, &select).unwrap();
    let r = reference::start_shaped(&BTreeSet::new(), ReferenceSecrets::random(), &no_iss)
        .await
        .unwrap();
    let got = outcomes(run::execute(scenarios.clone(), plan, Arc::new(r.target), 8, |_| {}).await);
    assert!(
        got.contains(&("iss.unadvertised-absent".into(), Outcome::Pass)),
        "{got:?}"
    );
    assert!(
        got.iter()
            .all(|(id, o)| id == "iss.unadvertised-absent" || *o == Outcome::Skip),
        "{got:?}"
    );

    let plan = run::select(&scenarios, &select).unwrap();
    let faults: BTreeSet<Fault> = [Fault::IssUnadvertised].into();
    let r = reference::start_shaped(&faults, ReferenceSecrets::random(), &Shape::default())
        .await
        .unwrap();
    let got = outcomes(run::execute(scenarios, plan, Arc::new(r.target), 8, |_| {}).await);
    assert!(
        got.contains(&("iss.unadvertised-absent".into(), Outcome::Fail)),
        "{got:?}"
    );
}
