//! A verdict must be earned: against an issuer whose login page the form
//! agent cannot read (rendered by JavaScript), the authorization cases end
//! in `error` naming the failed premise, never in `fail`, and never in a
//! `pass` of a probe that did not get past the login.

use std::path::Path;
use std::sync::Arc;

use grantcheck::http::Http;
use grantcheck::profile::{self, Env};
use grantcheck::report::model::Outcome;
use grantcheck::run::{self, Selection, Target};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const JS_LOGIN: &str = "<!doctype html><html><head><title>Sign in</title></head>\
    <body><div id=app></div><script src=/app.js></script></body></html>";

async fn js_login_issuer() -> MockServer {
    let server = MockServer::start().await;
    let meta = serde_json::json!({
        "issuer": server.uri(),
        "authorization_endpoint": format!("{}/authorize", server.uri()),
        "token_endpoint": format!("{}/token", server.uri()),
        "grant_types_supported": ["authorization_code", "refresh_token"],
    });
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(meta))
        .mount(&server)
        .await;
    Mock::given(path("/authorize"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(JS_LOGIN, "text/html"))
        .mount(&server)
        .await;
    server
}

async fn target(issuer: &str) -> Target {
    let text = format!(
        r#"
name = "js-login"
issuer = "{issuer}"
[clients.c1]
client_id = "c1"
secret_env = "JS_C1_SECRET"
auth_method = "client_secret_basic"
redirect_uris = ["https://c1.test/cb"]
scope = "openid"
grants = ["authorization_code", "refresh_token"]
[users.u1]
username = "alice"
password_env = "JS_U1_PASSWORD"
[scopes]
base = "openid"
read = "openid"
"#
    );
    let env = Env::isolated(
        [
            ("JS_C1_SECRET", "c1-secret-value"),
            ("JS_U1_PASSWORD", "u1-password-value"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into(),
    );
    let p = profile::load_str(Path::new("js.toml"), &text, &env).unwrap();
    let http = Http::new(&p.http).unwrap();
    Target::resolve(p, http, false, vec![]).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_that_need_a_login_the_agent_cannot_do_are_errors_not_fails() {
    let server = js_login_issuer().await;
    let scenarios = Arc::new(crate::common::suites());
    let sel = Selection {
        only: vec![
            "errors.consent-denied*".into(),
            "errors.state-*".into(),
            "headers.redirect-status*".into(),
            "redirect.adversarial-variants*".into(),
        ],
        tags: vec![],
    };
    let plan = run::select(&scenarios, &sel).unwrap();
    let report = run::execute(
        scenarios,
        plan,
        Arc::new(target(&server.uri()).await),
        4,
        |_| {},
    )
    .await;
    let ran: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.outcome != Outcome::Skip)
        .collect();
    assert!(ran.len() > 10, "{}", ran.len());
    // The login never happened: no verdict about the issuer, whether the
    // case's checks failed (consent-denied, state-*) or passed (a
    // `no_redirect` probe that never saw where the code would have gone).
    // The agent says why: the page needs a browser.
    for c in &ran {
        let reason = c.reason.as_deref().unwrap_or("");
        let said = reason.contains("premise did not happen")
            || reason.contains("[login] agent = \"browser\"");
        assert!(
            c.outcome == Outcome::Error && said,
            "{} {:?}: {reason}",
            c.id,
            c.outcome
        );
    }
    // One control login for c1/u1, not one per case.
    let authorize_hits = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/authorize")
        .count();
    assert!(
        authorize_hits <= ran.len() + 1,
        "{authorize_hits} authorization requests for {} cases",
        ran.len()
    );
}

/// An endpoint URL that is wrong (a path joined twice, a guess) gives 404s:
/// a configuration problem, reported as such, not failures of the issuer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_from_a_wrong_endpoint_url_is_an_error_naming_the_setting() {
    let (_running, profile, vars) = crate::common::reference_with_profile().await;
    let text = profile.replace(
        "api = \"/resource\"",
        "api = \"/resource\"\nrevocation = \"/o/o/revoke\"",
    );
    let vars = vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let p = profile::load_str(Path::new("wrong.toml"), &text, &Env::isolated(vars)).unwrap();
    let http = Http::new_loopback(&p.http).unwrap();
    let t = Target::resolve(p, http, false, vec![]).await.unwrap();
    let scenarios = Arc::new(crate::common::suites());
    let sel = Selection {
        only: vec!["revocation.*".into()],
        tags: vec![],
    };
    let plan = run::select(&scenarios, &sel).unwrap();
    let report = run::execute(scenarios, plan, Arc::new(t), 4, |_| {}).await;
    let bad: Vec<_> = report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
        .map(|c| (&c.id, &c.reason))
        .collect();
    assert!(bad.is_empty(), "404s read as findings: {bad:?}");
    let named = report
        .cases
        .iter()
        .filter(|c| {
            c.reason
                .as_deref()
                .is_some_and(|r| r.contains("[endpoints] revocation"))
        })
        .count();
    assert!(
        named > 0,
        "{:?}",
        report
            .cases
            .iter()
            .map(|c| (&c.id, c.outcome))
            .collect::<Vec<_>>()
    );
}
