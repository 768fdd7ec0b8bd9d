//! Real logins (issue 16): each user's session reused across the run with
//! the same verdicts as logging in every time, and the reference issuer's
//! MFA step passed with the profile's TOTP secret.

use std::collections::BTreeSet;
use std::sync::Arc;

use grantcheck::issuer::ReferenceSecrets;
use grantcheck::report::model::{Outcome, RunReport};
use grantcheck::run::{self, reference, Selection};

async fn run_shaped(
    shape: reference::Shape,
    reuse: bool,
    edit: impl FnOnce(&mut grantcheck::profile::Profile),
) -> RunReport {
    let scenarios = Arc::new(crate::common::suites());
    let plan = run::select(&scenarios, &Selection::default()).unwrap();
    let mut r = reference::start_shaped(&BTreeSet::new(), ReferenceSecrets::random(), &shape)
        .await
        .expect("the reference starts");
    edit(&mut r.target.profile);
    if !reuse {
        r.target.sessions.disable();
    }
    run::execute(scenarios, plan, Arc::new(r.target), 8, |_| {}).await
}

fn outcomes(r: &RunReport) -> Vec<(String, Outcome)> {
    r.cases.iter().map(|c| (c.id.clone(), c.outcome)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_reused_with_the_verdicts_of_fresh_logins() {
    let fresh = run_shaped(reference::Shape::default(), false, |_| {}).await;
    let reused = run_shaped(reference::Shape::default(), true, |_| {}).await;
    assert_eq!(outcomes(&fresh), outcomes(&reused));
    let f = fresh
        .sessions
        .expect("logins are counted without reuse too");
    let r = reused.sessions.expect("and with it");
    assert_eq!(f.reused, 0);
    assert!(r.reused > 50, "{r:?}");
    // A session serves one authorization at a time: at most one login per
    // user per case in flight (8 at once here), against one per authorization.
    assert!(
        r.logins <= 2 * 8 && r.logins * 4 < f.logins,
        "reuse logs in far less: {r:?} against {f:?}"
    );
    // prompt=none must not find a session: the step logs in afresh (here:
    // sends no session) and gets login_required.
    let none = reused
        .cases
        .iter()
        .find(|c| c.id.starts_with("iss.on-login-required"))
        .expect("the case ran");
    assert_eq!(none.outcome, Outcome::Pass, "{none:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mfa_step_is_passed_with_the_totp_secret() {
    let shape = reference::Shape {
        mfa: true,
        ..Default::default()
    };
    let report = run_shaped(shape, true, |_| {}).await;
    let not_passing: Vec<_> = report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Error))
        .map(|c| format!("{} {:?}: {:?}", c.id, c.outcome, c.reason))
        .collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    let otp_sent = report
        .cases
        .iter()
        .flat_map(|c| c.steps.iter().flat_map(|s| s.exchanges.iter()))
        .any(|e| {
            e.request.url.ends_with("/login/otp")
                && e.response.as_ref().is_some_and(|r| r.status == 303)
        });
    assert!(otp_sent, "a one-time code was typed and accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_totp_secret_the_login_cases_say_why() {
    let shape = reference::Shape {
        mfa: true,
        ..Default::default()
    };
    let report = run_shaped(shape, true, |p| {
        for u in p.users.values_mut() {
            u.totp = None;
        }
    })
    .await;
    let code_reuse = report.cases.iter().find(|c| c.id == "code.reuse").unwrap();
    assert_eq!(code_reuse.outcome, Outcome::Error, "{code_reuse:?}");
    let why = code_reuse.reason.clone().unwrap_or_default();
    assert!(why.contains("totp_secret_env"), "{why}");
    assert_eq!(report.summary.fail, 0, "nothing is blamed on the issuer");
}
