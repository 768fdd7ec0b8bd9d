//! Registration shapes of the reference fixtures, generated from a fixed
//! seed, and a run of the suite under one: the metamorphic self-test
//! (tests/integration/shapes.rs) and the longer sweep (benches/shapes.rs)
//! share them.

use std::collections::BTreeSet;
use std::sync::Arc;

use grantcheck::issuer::{Fault, ReferenceSecrets};
use grantcheck::report::model::Outcome;
use grantcheck::report::RunReport;
use grantcheck::run::reference::{self, Shape};
use grantcheck::run::{self, Selection};
use grantcheck::scenario::Scenario;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A web client's URI: https (sometimes http), any host, maybe a port, a
/// path of one to three segments, sometimes a query.
fn web_uri() -> impl Strategy<Value = String> {
    (
        prop_oneof![4 => Just("https"), 1 => Just("http")],
        "[a-z][a-z0-9]{1,7}(\\.[a-z]{2,5}){1,2}",
        proptest::option::of(1024u16..65000),
        "(/[a-z][a-z0-9_-]{0,6}){1,3}",
        proptest::option::of("[a-z]{1,4}=[a-z0-9]{1,4}"),
    )
        .prop_map(|(scheme, host, port, path, query)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            format!("{scheme}://{host}{port}{path}{query}")
        })
}

/// A native client's loopback URI (RFC 8252 §7.3), with or without a port.
fn loopback_uri() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("127.0.0.1"), Just("[::1]")],
        proptest::option::of(1024u16..65000),
        "(/[a-z][a-z0-9]{0,8}){1,2}",
    )
        .prop_map(|(host, port, path)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            format!("http://{host}{port}{path}")
        })
}

/// A native app's private-use scheme (RFC 8252 §7.1): no authority at all.
fn custom_scheme_uri() -> impl Strategy<Value = String> {
    "[a-z]{2,6}\\.[a-z]{2,6}\\.app:/[a-z]{1,8}"
}

fn any_uri() -> impl Strategy<Value = String> {
    prop_oneof![6 => web_uri(), 2 => loopback_uri(), 1 => custom_scheme_uri()]
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        any_uri(),
        proptest::option::of(web_uri()),
        prop::collection::vec(web_uri(), 1..=2),
        prop_oneof![loopback_uri(), web_uri()],
        web_uri(),
        proptest::sample::subsequence(vec!["c2", "p2", "n1"], 0..=1),
        proptest::sample::subsequence(vec!["c1", "s1"], 0..=2),
        proptest::sample::subsequence(vec!["offline", "extra"], 0..=1),
    )
        .prop_map(|(c1, c2, p1, n1, p2, without, post, scopes)| {
            // c2 without a URI of its own shares c1's: the match is per client.
            let c2 = c2.unwrap_or_else(|| c1.clone());
            let uris = [
                ("c1", vec![c1]),
                ("c2", vec![c2]),
                ("p1", p1),
                ("n1", vec![n1]),
            ];
            Shape {
                redirect_uris: uris
                    .into_iter()
                    .chain([("p2", vec![p2])])
                    .map(|(r, u)| (r.to_string(), u))
                    .collect(),
                without: without.into_iter().map(str::to_string).collect(),
                rate_limit: None,
                post_auth: post.into_iter().map(str::to_string).collect(),
                without_scopes: scopes.into_iter().map(str::to_string).collect(),
                ..Shape::default()
            }
        })
}

/// `n` shapes from a fixed seed: the same ones on every run.
pub fn shapes(n: usize, seed: u8) -> Vec<Shape> {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = shape();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("a shape").current())
        .collect()
}

pub async fn run_shaped(
    scenarios: &Arc<Vec<Scenario>>,
    shape: &Shape,
    faults: &[Fault],
) -> RunReport {
    let plan = run::select(scenarios, &Selection::default()).expect("everything");
    let faults: BTreeSet<Fault> = faults.iter().copied().collect();
    let r = reference::start_shaped(&faults, ReferenceSecrets::random(), shape)
        .await
        .expect("the reference starts under any shape");
    run::execute(scenarios.clone(), plan, Arc::new(r.target), 8, |_| {}).await
}

/// What a conformant run under `shape` may not contain: a fail, a warn or
/// an error, or a skip without a reason.
pub fn unearned(report: &RunReport) -> Vec<String> {
    report
        .cases
        .iter()
        .filter(|c| match c.outcome {
            Outcome::Pass => false,
            Outcome::Skip => c.reason.as_deref().is_none_or(str::is_empty),
            _ => true,
        })
        .map(|c| {
            format!(
                "{} {:?}: {}",
                c.id,
                c.outcome,
                c.reason.as_deref().unwrap_or("")
            )
        })
        .collect()
}

pub fn detected(report: &RunReport) -> bool {
    report
        .cases
        .iter()
        .any(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
}
