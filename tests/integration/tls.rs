//! The transport rows against the reference served over TLS: each passes
//! against the conformant listener and fails under its fault; a
//! certificate no client may accept halts the run (exit 3) with the reason;
//! a profile's `[http] ca_file` is what lets a private CA through.

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Arc;

use grantcheck::http::Http;
use grantcheck::issuer::{self, Fault, IssuerConfig, ReferenceSecrets};
use grantcheck::profile::{self, Env};
use grantcheck::report::model::Outcome;
use grantcheck::run::reference::{Reference, Shape};
use grantcheck::run::Planned;
use grantcheck::scenario::Scenario;

use crate::common::output;

fn grantcheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_grantcheck"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    c
}

/// The committed scenarios and the plan `glob` selects.
fn planned(glob: &str) -> (Arc<Vec<Scenario>>, Vec<Planned>) {
    let scenarios = Arc::new(crate::common::suites());
    let sel = grantcheck::run::Selection {
        only: vec![glob.into()],
        tags: vec![],
    };
    let plan = grantcheck::run::select(&scenarios, &sel).expect("selection matches");
    (scenarios, plan)
}

/// The reference over TLS with `faults`, resolved as a target.
async fn tls_reference(faults: &[Fault]) -> Reference {
    let shape = Shape {
        tls: true,
        ..Default::default()
    };
    let faults: BTreeSet<Fault> = faults.iter().copied().collect();
    grantcheck::run::reference::start_shaped(&faults, ReferenceSecrets::random(), &shape)
        .await
        .expect("the reference starts over TLS")
}

/// `run --tls --only tls.*` with `faults`: the outcome of each case.
async fn tls_cases(faults: &[Fault]) -> Vec<(String, Outcome)> {
    let (scenarios, plan) = planned("tls.*");
    let r = tls_reference(faults).await;
    let report = grantcheck::run::execute(scenarios, plan, Arc::new(r.target), 4, |_| {}).await;
    report
        .cases
        .iter()
        .map(|c| (c.id.clone(), c.outcome))
        .collect()
}

#[tokio::test]
async fn the_transport_rows_pass_over_tls_and_fail_under_their_faults() {
    let clean = tls_cases(&[]).await;
    assert_eq!(clean.len(), 9, "{clean:?}");
    assert!(clean.iter().all(|(_, o)| *o == Outcome::Pass), "{clean:?}");
    // Each fault, the scenarios it must break (every other case passes).
    let expectations: [(Fault, &[&str], Outcome); 6] = [
        (
            Fault::TlsLegacyVersions,
            &["tls.legacy-versions"],
            Outcome::Fail,
        ),
        (Fault::TlsWeakSuites, &["tls.weak-suites"], Outcome::Fail),
        (
            Fault::TlsPlaintextServed,
            &["tls.http-twin", "tls.authorize-twin"],
            Outcome::Fail,
        ),
        (Fault::NoHsts, &["tls.hsts"], Outcome::Warn),
        (Fault::Tls13Disabled, &["tls.tls13"], Outcome::Warn),
        (
            Fault::TlsRsaKeyTransport,
            &["tls.rsa-key-transport"],
            Outcome::Warn,
        ),
    ];
    for (fault, scenarios, outcome) in expectations {
        let cases = tls_cases(&[fault]).await;
        for (id, got) in &cases {
            let want = match scenarios.iter().any(|s| id.starts_with(s)) {
                true => outcome,
                false => Outcome::Pass,
            };
            assert_eq!(*got, want, "{} under {}: {cases:?}", id, fault.name());
        }
    }
}

#[test]
fn over_plain_http_the_transport_rows_skip_with_the_reason() {
    let (code, out, err) = output(grantcheck().args(["run", "--only", "tls.*", "-v"]));
    assert_eq!(code, 3, "nothing checked is not a pass: {out}{err}");
    assert!(out.contains("0 pass, 0 fail, 0 warn, 9 skip"), "{out}");
    assert!(
        out.contains("grantcheck run --tls"),
        "the skip says how: {out}"
    );
}

#[test]
fn a_certificate_for_another_name_halts_the_run() {
    let (code, out, err) = output(grantcheck().args([
        "run",
        "--tls",
        "--only",
        "tls.*",
        "--reference-fault",
        "tls_wrong_name",
    ]));
    assert_eq!(code, 3, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(all.contains("certificate not valid for name"), "{all}");
}

#[tokio::test]
async fn a_profile_trusts_its_ca_file_and_nothing_else() {
    let running = issuer::start_tls(
        IssuerConfig::reference(&ReferenceSecrets::random()),
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("starts");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), running.ca_pem.clone().unwrap()).unwrap();
    let text = |ca: &str| {
        format!(
            "name = \"sandbox\"\nissuer = \"{}\"\n[http]\n{ca}\n[clients.c1]\nclient_id = \"x\"\nauth_method = \"none\"\nredirect_uris = [\"http://127.0.0.1:1/cb\"]\n",
            running.base_url
        )
    };
    let path = dir.path().join("p.toml");
    let load = |ca: &str| profile::load_str(&path, &text(ca), &Env::isolated(Default::default()));
    let discovery = format!("{}/.well-known/openid-configuration", running.base_url);

    let trusted = load("ca_file = \"ca.pem\"").expect("loads");
    let ex = Http::new(&trusted.http)
        .unwrap()
        .send(grantcheck::http::Request::get(&discovery))
        .await;
    assert_eq!(ex.response.map(|r| r.status), Some(200), "{:?}", ex.error);

    let untrusted = load("").expect("loads");
    let ex = Http::new(&untrusted.http)
        .unwrap()
        .send(grantcheck::http::Request::get(&discovery))
        .await;
    let (_, message) = ex.error.expect("an unknown CA is refused");
    assert!(message.contains("certificate"), "{message}");

    let missing = load("ca_file = \"nope.pem\"").unwrap_err().to_string();
    assert!(
        missing.contains("nope.pem") && missing.contains("cannot be read"),
        "{missing}"
    );
    std::fs::write(dir.path().join("empty.pem"), "not a certificate").unwrap();
    let empty = load("ca_file = \"empty.pem\"").unwrap_err().to_string();
    assert!(empty.contains("holds no PEM certificate"), "{empty}");
}

/// With the reference on 127.0.0.1 and ::1 (same port), `localhost` has
/// two addresses, and a race spreads its requests over both.
#[tokio::test]
async fn races_go_to_every_address_of_the_host() {
    let (scenarios, plan) = planned("code.race");
    let r = tls_reference(&[]).await;
    if r.issuer.addrs.len() < 2 {
        eprintln!(
            "skipped: no IPv6 loopback on this machine ({:?})",
            r.issuer.addrs
        );
        return;
    }
    // `localhost` may resolve to 127.0.0.1 only (/etc/hosts): give both.
    let mut target = r.target;
    target.http = target
        .http
        .with_addresses("localhost", r.issuer.addrs.clone());
    let addresses = target.http.race_addresses(&r.issuer.base_url).await;
    assert_eq!(addresses.len(), 2, "{addresses:?}");
    let report = grantcheck::run::execute(scenarios, plan, Arc::new(target), 4, |_| {}).await;
    let case = &report.cases[0];
    assert_eq!(case.outcome, Outcome::Pass, "{case:?}");
    let summaries: Vec<&str> = case.steps.iter().map(|s| s.summary.as_str()).collect();
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("spread over the host's 2 addresses")),
        "{summaries:?}"
    );
}
