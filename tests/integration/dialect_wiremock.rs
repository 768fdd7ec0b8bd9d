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

/// Runs the one case of `scenario` (file name, TOML) against the Bud-like
/// profile `profile` (TOML text).
async fn run_one(profile: &str, scenario: (&str, &str)) -> grantcheck::report::CaseResult {
    let env = Env::isolated([("BUD_S1_SECRET".to_string(), SECRET.to_string())].into());
    let p = profile::load_str(Path::new("bud.toml"), profile, &env).expect("the profile loads");
    let http = Http::new(&p.http).unwrap();
    let target = Arc::new(Target::resolve(p, http, false, vec![]).await.unwrap());
    let s = scenario::load_str(Path::new(scenario.0), scenario.1).expect("the scenario loads");
    let scenarios = Arc::new(vec![s]);
    let plan = run::select(&scenarios, &Selection::default()).unwrap();
    let mut r = run::execute(scenarios, plan, target, 1, |_| {}).await;
    r.cases.remove(0)
}

async fn run_case(issuer: &str, dialect: bool) -> grantcheck::report::CaseResult {
    run_one(&profile_text(issuer, dialect), ("dialect.toml", SCENARIO)).await
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

/// Bud's "on a 401, fetch a new token and retry once": an issuer whose
/// first token dies before its time (seed 004: "Bud doesn't guarantee that
/// the access token will be valid for its entire life").
const API_SCENARIO: &str = r#"
id = "dialect.api-retry"
title = "t"
description = "d"
covers = ["BEAR-01"]

[[step]]
name = "cc"
token = { client = "s1", grant = "client_credentials" }
expect = { status = 200, present = ["access_token"] }

[[step]]
name = "call"
api = { client = "s1", token = "{{ cc.access_token }}" }
expect = { status = 200 }
"#;

async fn evicting_issuer() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(wrapped("at-1", "rt-1")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(wrapped("at-2", "rt-2")))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/accounts"))
        .and(header("authorization", "Bearer at-2"))
        .and(header("x-client-id", "bud-client"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": []})))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/accounts"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", "Bearer error=\"invalid_token\""),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

async fn run_api_case(issuer: &str, retry: bool) -> grantcheck::report::CaseResult {
    let env = Env::isolated([("BUD_S1_SECRET".to_string(), SECRET.to_string())].into());
    let text = profile_text(issuer, true)
        .replace("[endpoints]\n", "[endpoints]\napi = \"/v1/accounts\"\n")
        + &format!("retry_on_401 = {retry}\n");
    // retry_on_401 belongs to [dialect]: put it before [dialect.grant_auth].
    let text = text.replace(
        &format!("[dialect.grant_auth]\nrefresh_token = \"header\"\nretry_on_401 = {retry}\n"),
        &format!("retry_on_401 = {retry}\n[dialect.grant_auth]\nrefresh_token = \"header\"\n"),
    );
    let p = profile::load_str(Path::new("bud.toml"), &text, &env).expect("the profile loads");
    assert_eq!(p.dialect.retry_on_401, retry);
    run_one(&text, ("api.toml", API_SCENARIO)).await
}

#[tokio::test]
async fn a_401_at_the_api_is_retried_once_with_a_new_token() {
    let server = evicting_issuer().await;
    let case = run_api_case(&server.uri(), true).await;
    assert_eq!(case.outcome, Outcome::Pass, "{:#?}", case);
    let call = &case.steps[1];
    assert!(call.summary.contains("one retry"), "{}", call.summary);
    // The evidence: the refused call, the new token, the retried call.
    let seen: Vec<(String, u16)> = call
        .exchanges
        .iter()
        .map(|e| (e.request.url.clone(), e.response.as_ref().unwrap().status))
        .collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[0].0.ends_with("/v1/accounts") && seen[0].1 == 401);
    assert!(seen[1].0.ends_with("/v1/oauth/token") && seen[1].1 == 200);
    assert!(seen[2].0.ends_with("/v1/accounts") && seen[2].1 == 200);
}

#[tokio::test]
async fn without_retry_on_401_the_first_401_is_the_answer() {
    let server = evicting_issuer().await;
    let case = run_api_case(&server.uri(), false).await;
    assert_eq!(case.outcome, Outcome::Fail, "{:#?}", case);
    assert_eq!(case.steps[1].exchanges.len(), 1);
}

/// client-auth.refresh-without-secret from the suite, against a Bud-like
/// issuer that does (the documented Bud) or does not (RFC 6749 §6) accept a
/// refresh authenticated only by X-Client-Id.
async fn refresh_without_secret(strict: bool) -> grantcheck::report::CaseResult {
    let server = MockServer::start().await;
    if strict {
        Mock::given(method("POST"))
            .and(body_string_contains("grant_type=refresh_token"))
            .and(|r: &Request| !r.headers.contains_key("authorization"))
            .respond_with(
                ResponseTemplate::new(401)
                    .insert_header("www-authenticate", "Basic realm=\"bud\"")
                    .set_body_json(serde_json::json!({"error": "invalid_client"})),
            )
            .with_priority(1)
            .mount(&server)
            .await;
    }
    // Everything else as the documented Bud answers it.
    Mock::given(method("POST"))
        .respond_with(move |r: &Request| {
            let body = String::from_utf8_lossy(&r.body).to_string();
            if body.contains("grant_type=client_credentials") {
                ResponseTemplate::new(200).set_body_json(wrapped("at-1", "rt-1"))
            } else {
                ResponseTemplate::new(200).set_body_json(wrapped("at-2", "rt-2"))
            }
        })
        .with_priority(5)
        .mount(&server)
        .await;
    let path = "suites/client-auth/refresh-without-secret.toml";
    let src = std::fs::read_to_string(path).unwrap();
    run_one(&profile_text(&server.uri(), true), (path, &src)).await
}

#[tokio::test]
async fn a_secret_less_refresh_is_reported_and_a_refusal_passes() {
    assert_eq!(refresh_without_secret(false).await.outcome, Outcome::Fail);
    let strict = refresh_without_secret(true).await;
    assert_eq!(strict.outcome, Outcome::Pass, "{strict:#?}");
}
