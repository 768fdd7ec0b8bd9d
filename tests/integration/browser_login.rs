//! The browser agent (issue 16): the suite through headless Chromium
//! against the reference issuer whose pages draw their forms with
//! JavaScript, its MFA step included, and a screenshot as evidence of a
//! page the walk stopped on. Needs chromium and chromedriver (tests/run.sh
//! installs them); GRANTCHECK_SKIP_BROWSER=1 leaves it out.

use std::collections::BTreeSet;
use std::sync::Arc;

use grantcheck::issuer::{Fault, ReferenceSecrets};
use grantcheck::profile::AgentKind;
use grantcheck::report::model::{Outcome, RunReport};
use grantcheck::run::{self, reference, Selection};

async fn through_the_browser(
    shape: reference::Shape,
    only: &[&str],
    faults: &[Fault],
) -> RunReport {
    run_with(shape, only, faults, |p| p.login.agent = AgentKind::Browser).await
}

/// The selected cases against the reference in `shape`, the profile edited.
async fn run_with(
    shape: reference::Shape,
    only: &[&str],
    faults: &[Fault],
    edit: impl FnOnce(&mut grantcheck::profile::Profile),
) -> RunReport {
    let scenarios = Arc::new(crate::common::suites());
    let sel = Selection {
        only: only.iter().map(|s| s.to_string()).collect(),
        tags: vec![],
    };
    let plan = run::select(&scenarios, &sel).unwrap();
    let faults: BTreeSet<Fault> = faults.iter().copied().collect();
    let mut r = reference::start_shaped(&faults, ReferenceSecrets::random(), &shape)
        .await
        .expect("the reference starts");
    edit(&mut r.target.profile);
    run::execute(scenarios, plan, Arc::new(r.target), 8, |_| {}).await
}

/// The reference whose pages draw their forms with a script, MFA on.
fn scripted_with_mfa() -> reference::Shape {
    reference::Shape {
        scripted_pages: true,
        mfa: true,
        ..Default::default()
    }
}

fn skipped() -> bool {
    let skip = std::env::var_os("GRANTCHECK_SKIP_BROWSER").is_some();
    if skip {
        eprintln!("browser agent tests skipped: GRANTCHECK_SKIP_BROWSER is set");
    }
    skip
}

fn not_passing(r: &RunReport) -> Vec<String> {
    r.cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Error))
        .map(|c| format!("{} {:?}: {:?}", c.id, c.outcome, c.reason))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_passes_through_the_browser_against_scripted_pages_with_mfa() {
    if skipped() {
        return;
    }
    let _turn = crate::common::HEAVY.lock().await;
    let shape = scripted_with_mfa();
    let report = through_the_browser(shape.clone(), &[], &[]).await;
    assert!(
        not_passing(&report).is_empty(),
        "{:#?}",
        not_passing(&report)
    );
    // Only the cases that judge a redirect's HTTP status skip, saying why.
    let for_status = report
        .cases
        .iter()
        .filter(|c| {
            c.reason
                .as_deref()
                .unwrap_or_default()
                .contains("cannot see HTTP statuses")
        })
        .count();
    assert!(for_status <= 4, "{for_status} cases left to the form agent");
    // Faults are still found through the browser.
    for (fault, case) in [
        (
            Fault::RedirectPrefixMatch,
            "redirect.adversarial-variants[adv-01-path-appended]",
        ),
        (Fault::CodeReusable, "code.reuse"),
    ] {
        let r = through_the_browser(shape.clone(), &[case], &[fault]).await;
        assert_eq!(
            r.cases[0].outcome,
            Outcome::Fail,
            "{fault:?}: {:?}",
            r.cases[0].reason
        );
    }
    let pages: Vec<&str> = report
        .cases
        .iter()
        .flat_map(|c| c.steps.iter().flat_map(|s| s.exchanges.iter()))
        .filter_map(|e| e.response.as_ref().map(|r| r.body.as_str()))
        .collect();
    assert!(
        pages.iter().any(|b| b.contains("one-time-code")),
        "the MFA page was rendered and filled"
    );
    assert!(
        report.sessions.is_some_and(|s| s.reused > 0),
        "the browser's session is reused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_agent_on_scripted_pages_says_to_use_the_browser() {
    let shape = reference::Shape {
        scripted_pages: true,
        ..Default::default()
    };
    let report = run_with(shape, &["code.reuse"], &[], |_| {}).await;
    let c = &report.cases[0];
    assert_eq!(c.outcome, Outcome::Error, "{c:?}");
    assert!(
        c.reason
            .as_deref()
            .unwrap_or_default()
            .contains("agent = \"browser\""),
        "{:?}",
        c.reason
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_the_browser_stopped_on_has_a_screenshot() {
    if skipped() {
        return;
    }
    let _turn = crate::common::HEAVY.lock().await;
    // The user has no TOTP secret: the walk stops on the MFA page.
    let shape = scripted_with_mfa();
    let report = run_with(shape, &["code.reuse"], &[], |p| {
        p.login.agent = AgentKind::Browser;
        for u in p.users.values_mut() {
            u.totp = None;
        }
    })
    .await;
    let c = &report.cases[0];
    assert_eq!(c.outcome, Outcome::Error, "{c:?}");
    let shot = c
        .steps
        .iter()
        .flat_map(|s| s.exchanges.iter())
        .filter_map(|e| e.response.as_ref())
        .find_map(|r| r.header("x-grantcheck-screenshot").map(str::to_string))
        .expect("the stopped page's evidence names a screenshot");
    let png = std::fs::read(&shot).expect("the screenshot was saved");
    assert!(png.starts_with(b"\x89PNG"), "{shot} is a PNG");
    // The browser ended with the run: no Chromium of this process is left.
    let ours = format!("grantcheck-chromium-{}-", std::process::id());
    let left = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmd).contains(&ours)
        })
        .count();
    assert_eq!(left, 0, "Chromium processes outlived the run");
}
