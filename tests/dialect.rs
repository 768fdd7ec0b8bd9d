//! Issuer dialects the runner speaks (issue 7), against a Bud-like issuer
//! served by wiremock on loopback: client credentials with Basic, token
//! responses wrapped as {"operation_id", "data": {...}}, refresh with only an
//! X-Client-Id header. With the dialect declared the documented behaviour
//! passes; without it the same issuer fails, so the dialect is what makes
//! the difference, not a blind spot.

use std::path::Path;
use std::sync::Arc;

use grantcheck::http::Http;
use grantcheck::profile::{self, Env};
use grantcheck::report::model::Outcome;
use grantcheck::run::{self, Selection, Target};
use grantcheck::scenario;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SCENARIO: &str = r#"
id = "dialect.client-credentials-then-refresh"
title = "t"
description = "d"
covers = ["CC-01", "RT-01"]

[[step]]
name = "cc"
token = { client = "s1", grant = "client_credentials" }
expect = { status = 200, present = ["access_token", "refresh_token"], json = { expires_in = 3600 } }

[[step]]
name = "refresh"
token = { client = "s1", refresh_token = "{{ cc.refresh_token }}" }
expect = { status = 200, present = ["access_token"], differs = { access_token = "{{ cc.access_token }}" } }
"#;

const SECRET: &str = "bud-s3cret-value";

fn profile_text(issuer: &str, dialect: bool) -> String {
    let d = if dialect {
        "[dialect]\ntoken_envelope = \"data\"\nclient_id_header = \"X-Client-Id\"\n[dialect.grant_auth]\nrefresh_token = \"header\"\n"
    } else {
        ""
    };
    format!(
        r#"
name = "bud-like"
issuer = "{issuer}"
discovery = false
[endpoints]
token = "{issuer}/v1/oauth/token"
[clients.s1]
client_id = "bud-client"
secret_env = "BUD_S1_SECRET"
auth_method = "client_secret_basic"
grants = ["client_credentials", "refresh_token"]
{d}"#
    )
}

fn wrapped(access: &str, refresh: &str) -> serde_json::Value {
    serde_json::json!({
        "operation_id": "oauth_token_post",
        "data": {"access_token": access, "token_type": "bearer", "expires_in": 3600, "refresh_token": refresh}
    })
}

/// The seed's documented wire behaviour, and 401 for anything else.
async fn bud_like() -> MockServer {
    let server = MockServer::start().await;
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("bud-client:{SECRET}"))
    );
    Mock::given(method("POST"))
        .and(path("/v1/oauth/token"))
        .and(header("authorization", basic.as_str()))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(wrapped("at-1", "rt-1")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth/token"))
        .and(header("x-client-id", "bud-client"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=rt-1"))
        .and(|r: &Request| !r.headers.contains_key("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(wrapped("at-2", "rt-2")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "invalid_client"})),
        )
        .mount(&server)
        .await;
    server
}

async fn run_case(issuer: &str, dialect: bool) -> grantcheck::report::CaseResult {
    let env = Env {
        overlay: [("BUD_S1_SECRET".to_string(), SECRET.to_string())].into(),
    };
    let p = profile::load_str(Path::new("bud.toml"), &profile_text(issuer, dialect), &env)
        .expect("the profile loads");
    let http = Http::new(&p.http).unwrap();
    let target = Arc::new(Target::resolve(p, http, false, vec![]).await.unwrap());
    let s = scenario::load_str(Path::new("dialect.toml"), SCENARIO).expect("the scenario loads");
    let scenarios = Arc::new(vec![s]);
    let plan = run::select(&scenarios, &Selection::default()).unwrap();
    let mut r = run::execute(scenarios, plan, target, 1, |_| {}).await;
    r.cases.remove(0)
}

#[tokio::test]
async fn with_the_dialect_the_documented_behaviour_passes() {
    let server = bud_like().await;
    let case = run_case(&server.uri(), true).await;
    assert_eq!(case.outcome, Outcome::Pass, "{:#?}", case);
    let refresh = &case.steps[1];
    assert!(
        refresh.summary.contains("(token response in `data`)"),
        "{}",
        refresh.summary
    );
    let req = &refresh.exchanges[0].request;
    assert!(req
        .headers
        .iter()
        .any(|(k, v)| k == "X-Client-Id" && v == "bud-client"));
    assert!(
        !req.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization")),
        "the refresh carries no secret"
    );
    // The evidence keeps the body as the issuer sent it.
    let body = &refresh.exchanges[0].response.as_ref().unwrap().body;
    assert!(body.contains("\"operation_id\""), "{body}");
}

#[tokio::test]
async fn without_the_dialect_the_same_issuer_fails() {
    let server = bud_like().await;
    let case = run_case(&server.uri(), false).await;
    assert_eq!(case.outcome, Outcome::Fail, "{:#?}", case);
    assert!(
        case.reason
            .as_deref()
            .unwrap_or("")
            .contains("`access_token` present"),
        "{:?}",
        case.reason
    );
}
