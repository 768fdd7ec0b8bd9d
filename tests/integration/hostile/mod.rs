//! Hostile or broken issuers (wiremock on loopback): an endless body, a hang
//! and garbage discovery give a bounded `error` with evidence, never a
//! panic, a hang or a pass.

use std::path::Path;
use std::sync::Arc;

use grantcheck::http::Http;
use grantcheck::profile::{self, Env};
use grantcheck::report::model::{Outcome, TransportError};
use grantcheck::run::target::TargetError;
use grantcheck::run::{self, Selection, Target};
use grantcheck::scenario;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod bounded;
mod catalogue;
mod raw;

/// The client secret of every hostile profile.
pub const SECRET: &str = "s3cr3t-value";

pub const SCENARIO: &str = r#"
id = "hostile.token"
title = "t"
description = "d"
covers = ["TOK-01"]

[[step]]
token = { client = "s1", grant = "client_credentials" }
expect.status = 200
"#;

pub fn profile_text(issuer: &str) -> String {
    format!(
        r#"
name = "hostile"
issuer = "{issuer}"
[clients.s1]
client_id = "s1"
secret_env = "HOSTILE_S1_SECRET"
auth_method = "client_secret_basic"
grants = ["client_credentials"]
[http]
timeout_ms = 700
max_body_bytes = 4096
"#
    )
}

/// Serves a discovery document naming `/token` (and `/authorize`) on `server`.
async fn mount_discovery(server: &MockServer) {
    let meta = serde_json::json!({
        "issuer": server.uri(),
        "authorization_endpoint": format!("{}/authorize", server.uri()),
        "token_endpoint": format!("{}/token", server.uri()),
        "grant_types_supported": ["client_credentials"],
    });
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(meta))
        .mount(server)
        .await;
}

async fn issuer_with(token: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    mount_discovery(&server).await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(token)
        .mount(&server)
        .await;
    server
}

async fn target(issuer: &str) -> Result<Target, TargetError> {
    let env = Env::isolated([("HOSTILE_S1_SECRET".to_string(), "s3cr3t-value".to_string())].into());
    let p = profile::load_str(Path::new("hostile.toml"), &profile_text(issuer), &env).unwrap();
    let http = Http::new(&p.http).unwrap();
    Target::resolve(p, http, false, vec![]).await
}

async fn run_one(issuer: &str) -> grantcheck::report::CaseResult {
    let s = scenario::load_str(Path::new("hostile.toml"), SCENARIO)
        .map_err(|d| format!("{d:?}"))
        .unwrap();
    let scenarios = Arc::new(vec![s]);
    let plan = run::select(&scenarios, &Selection::default()).unwrap();
    let t = Arc::new(target(issuer).await.unwrap());
    let mut r = run::execute(scenarios, plan, t, 1, |_| {}).await;
    r.cases.remove(0)
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_cap() {
    let server = issuer_with(ResponseTemplate::new(200).set_body_string("x".repeat(1 << 20))).await;
    let case = run_one(&server.uri()).await;
    assert_eq!(case.outcome, Outcome::Error, "{case:?}");
    let ex = &case.steps[0].exchanges[0];
    assert_eq!(
        ex.error.as_ref().map(|e| e.0),
        Some(TransportError::BodyTooLarge)
    );
    assert!(
        ex.response.is_some(),
        "the partial response is kept as evidence"
    );
    assert!(case
        .reason
        .unwrap()
        .contains("exceeds the cap of 4096 bytes"));
}

#[tokio::test]
async fn a_hanging_issuer_times_out() {
    let server =
        issuer_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(5))).await;
    let start = std::time::Instant::now();
    let case = run_one(&server.uri()).await;
    assert!(
        start.elapsed() < std::time::Duration::from_secs(4),
        "bounded by the profile's timeout"
    );
    assert_eq!(case.outcome, Outcome::Error);
    assert_eq!(
        case.steps[0].exchanges[0].error.as_ref().map(|e| e.0),
        Some(TransportError::Timeout)
    );
}

#[tokio::test]
async fn garbage_json_is_recorded_without_a_crash() {
    let server =
        issuer_with(ResponseTemplate::new(200).set_body_string("{\"access_token\": ")).await;
    let case = run_one(&server.uri()).await;
    // Only the status is expected here, so the case passes; what matters is
    // no panic, the body kept verbatim, and the credentials redacted.
    assert_eq!(case.outcome, Outcome::Pass, "{case:?}");
    let ex = &case.steps[0].exchanges[0];
    assert_eq!(ex.response.as_ref().unwrap().body, "{\"access_token\": ");
    let auth = ex
        .request
        .headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .map(|(_, v)| v.as_str());
    assert!(
        auth.is_some_and(|v| v.starts_with("Basic [redacted credentials #")),
        "{auth:?}"
    );
}

#[tokio::test]
async fn html_discovery_is_a_harness_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>login</html>"))
        .mount(&server)
        .await;
    match target(&server.uri()).await {
        Err(TargetError::BadDiscovery {
            message, exchange, ..
        }) => {
            assert!(message.contains("not JSON"), "{message}");
            assert_eq!(exchange.response.unwrap().status, 200);
        }
        Err(e) => panic!("unexpected {e}"),
        Ok(_) => panic!("HTML discovery must not resolve"),
    }
}

#[tokio::test]
async fn a_redirect_loop_is_cut_at_the_hop_cap() {
    let server = MockServer::start().await;
    mount_discovery(&server).await;
    Mock::given(method("GET"))
        .and(path("/authorize"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/authorize?again=1"))
        .mount(&server)
        .await;
    let text = profile_text(&server.uri()).replace("[http]", "[users.u1]\nusername = \"u\"\npassword_env = \"HOSTILE_S1_SECRET\"\n[clients.c1]\nclient_id = \"c1\"\nauth_method = \"none\"\nredirect_uris = [\"https://c1.example/cb\"]\n[http]\nmax_redirects = 3");
    let env = Env::isolated([("HOSTILE_S1_SECRET".to_string(), "s3cr3t-value".to_string())].into());
    let p = profile::load_str(Path::new("hostile.toml"), &text, &env).unwrap();
    let http = Http::new(&p.http).unwrap();
    let t = Arc::new(Target::resolve(p, http, false, vec![]).await.unwrap());
    let s = scenario::load_str(
        Path::new("loop.toml"),
        "id = \"hostile.loop\"\ntitle = \"t\"\ndescription = \"d\"\ncovers = [\"AUTHZ-01\"]\n[[step]]\nauthorize = {}\nexpect.callback = \"code\"\n",
    )
    .map_err(|d| format!("{d:?}"))
    .unwrap();
    let scenarios = Arc::new(vec![s]);
    let plan = run::select(&scenarios, &Selection::default()).unwrap();
    let case = run::execute(scenarios, plan, t, 1, |_| {})
        .await
        .cases
        .remove(0);
    assert_eq!(case.outcome, Outcome::Error);
    assert!(
        case.reason
            .as_deref()
            .unwrap()
            .contains("more than 3 redirects"),
        "{:?}",
        case.reason
    );
    assert_eq!(
        case.steps[0].exchanges.len(),
        4,
        "the hops are the evidence"
    );
}

/// ESC, BEL and bidi bytes from an issuer never reach the terminal or a
/// text report raw: clear-screen, a window title and a forged green PASS
/// are printed as visible escapes.
#[tokio::test]
async fn control_characters_from_the_issuer_are_escaped_in_text_formats() {
    let evil = "\u{1b}[2J\u{1b}]0;owned\u{7}\u{1b}[32mPASS\u{1b}[0m \u{202e}gnp.exe";
    let body = serde_json::json!({ "error": "invalid_client", "error_description": evil });
    let server = issuer_with(
        ResponseTemplate::new(400).set_body_string(body.to_string().replace("\\u001b", "\u{1b}")),
    )
    .await;
    let case = run_one(&server.uri()).await;
    assert_eq!(case.outcome, Outcome::Fail, "{case:?}");
    let mut report = grantcheck::report::model::RunReport {
        schema: grantcheck::report::model::SCHEMA.into(),
        tool_version: "0".into(),
        target: grantcheck::report::model::Target {
            profile: "hostile".into(),
            issuer: server.uri(),
            reference: false,
            faults: vec![],
            dialect: None,
        },
        duration_ms: 1,
        summary: grantcheck::report::Summary::of(std::slice::from_ref(&case)),
        cases: vec![case],
        replay_vars: Default::default(),
        baseline: None,
        halt: None,
        sessions: None,
    };
    report.summary.checks = 1;
    let opts = grantcheck::report::terminal::Options {
        color: false,
        verbose: true,
        quiet: false,
    };
    use grantcheck::report::{github, junit, markdown, terminal};
    for (format, text) in [
        ("terminal", terminal::render(&report, opts)),
        ("junit", junit::render(&report)),
        ("markdown", markdown::render(&report)),
        ("github", github::annotations(&report)),
    ] {
        for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!text.contains(bad), "{format} prints {bad:?} raw:\n{text}");
        }
    }
    let text = terminal::render(&report, opts);
    assert!(
        text.contains("\\x1b[2J"),
        "the escape stays visible:\n{text}"
    );
}
