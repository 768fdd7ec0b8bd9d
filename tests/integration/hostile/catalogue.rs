//! The hostile-issuer catalogue (issue 14): one issuer per way of
//! misbehaving, each at the TCP level (`raw`). For every mode: the case
//! ends within a bounded wall time, with the documented outcome, evidence
//! that names the cause, and none of the run's secrets (nor the tokens the
//! issuer handed out) in any encoding in any artifact.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use grantcheck::http::Http;
use grantcheck::profile::{self, Env};
use grantcheck::report::format::Format;
use grantcheck::report::model::{CaseResult, Outcome, RunReport};
use grantcheck::report::{github, replay, terminal};
use grantcheck::run::{self, Selection, Target};
use grantcheck::scenario;
use serde_json::json;

use super::raw::{self, Reply, Seen};
use super::{profile_text, SCENARIO, SECRET};

/// No mode may take longer than this.
const WALL: Duration = Duration::from_secs(20);

/// An access token the hostile issuers hand out: it must never be shown.
const TOKEN: &str = "at-9f8e7d6c5b4a39281706-secret-token-value";

/// A profile that logs in user u1 (password: the secret) with client c1.
fn login_profile(issuer: &str) -> String {
    profile_text(issuer).replace(
        "[http]",
        "[users.u1]\nusername = \"u\"\npassword_env = \"HOSTILE_S1_SECRET\"\n[clients.c1]\nclient_id = \"c1\"\nauth_method = \"none\"\nredirect_uris = [\"https://c1.example/cb\"]\n[http]\nmax_redirects = 3",
    )
}

const AUTHORIZE: &str = "id = \"hostile.login\"\ntitle = \"t\"\ndescription = \"d\"\ncovers = [\"AUTHZ-01\"]\n[[step]]\nauthorize = {}\nexpect.callback = \"code\"\n";

/// Runs `scenario` against `issuer` with `profile`, bounded by [`WALL`].
async fn run_with(profile: &str, scenario_text: &str) -> RunReport {
    let started = Instant::now();
    let env = Env::isolated([("HOSTILE_S1_SECRET".to_string(), SECRET.to_string())].into());
    let p = profile::load_str(Path::new("hostile.toml"), profile, &env).unwrap();
    let http = Http::new(&p.http).unwrap();
    let work = async {
        let t = Arc::new(
            Target::resolve(p, http, false, vec![])
                .await
                .map_err(|e| e.to_string())
                .unwrap(),
        );
        let s = scenario::load_str(Path::new("hostile.toml"), scenario_text)
            .map_err(|d| format!("{d:?}"))
            .unwrap();
        let scenarios = Arc::new(vec![s]);
        let plan = run::select(&scenarios, &Selection::default()).unwrap();
        run::execute(scenarios, plan, t, 1, |_| {}).await
    };
    let report = tokio::time::timeout(WALL, work)
        .await
        .expect("the mode is bounded");
    assert!(started.elapsed() < WALL);
    report
}

async fn token_mode(
    reply: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
) -> (CaseResult, RunReport) {
    let issuer = raw::issuer(reply).await;
    let r = run_with(&profile_text(&issuer.url), SCENARIO).await;
    (r.cases[0].clone(), r)
}

/// Every rendering a user or CI can see.
fn artifacts(r: &RunReport) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Format::ALL
        .iter()
        .map(|f| (f.name().to_string(), f.render(r)))
        .collect();
    let opts = terminal::Options {
        color: false,
        verbose: true,
        quiet: false,
    };
    out.push(("terminal".into(), terminal::render(r, opts)));
    out.push(("github".into(), github::annotations(r)));
    for c in &r.cases {
        out.push((
            format!("replay {}", c.id),
            replay::script(c, &r.replay_vars),
        ));
    }
    out
}

/// No artifact holds the secret, the Basic pair or `extra` values in any
/// encoding, nor a long prefix of them.
fn assert_clean(r: &RunReport, extra: &[&str]) {
    let mut values: Vec<String> =
        vec![SECRET.into(), format!("s1:{SECRET}"), format!("u:{SECRET}")];
    values.extend(extra.iter().map(|s| s.to_string()));
    let mut forms = Vec::new();
    for v in &values {
        forms.extend(grantcheck::report::redact::encodings(v));
        forms.push(v.chars().take(16).collect());
    }
    forms.retain(|f: &String| f.len() >= 10);
    for (name, text) in artifacts(r) {
        for f in &forms {
            assert!(
                !text.contains(f.as_str()),
                "{name} holds `{f}`:\n{}",
                &text[..text.len().min(4000)]
            );
        }
    }
}

fn reason(c: &CaseResult) -> &str {
    c.reason.as_deref().unwrap_or("")
}

fn token_json() -> String {
    json!({"access_token": TOKEN, "token_type": "Bearer", "refresh_token": format!("rt-{TOKEN}")})
        .to_string()
}

#[tokio::test]
async fn a_token_response_cut_mid_body_leaks_no_token() {
    let body = token_json();
    let (case, r) = token_mode(move |_| {
        // Promises the whole body, sends a third of it (inside the token), closes.
        let mut head = raw::http(
            200,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        head.truncate(head.len() - body.len() + 40);
        Reply::Bytes(head)
    })
    .await;
    assert_eq!(case.outcome, Outcome::Error, "{case:?}");
    assert!(
        reason(&case).contains("reading the body"),
        "{}",
        reason(&case)
    );
    let shown = &case.steps[0].exchanges[0].response.as_ref().unwrap().body;
    assert!(shown.contains("[redacted access_token #"), "{shown}");
    assert_clean(&r, &[TOKEN]);
}

#[tokio::test]
async fn a_reset_mid_response_leaks_no_token() {
    let body = token_json();
    let (case, r) = token_mode(move |_| {
        let mut bytes = raw::http(
            200,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        bytes.truncate(bytes.len() - body.len() + 30);
        Reply::Reset(bytes)
    })
    .await;
    assert_eq!(case.outcome, Outcome::Error, "{case:?}");
    assert!(case.steps[0].exchanges[0].error.is_some());
    assert_clean(&r, &[TOKEN]);
}

#[tokio::test]
async fn a_token_of_another_content_type_leaks_nothing() {
    let (case, r) = token_mode(|_| {
        let body = format!("access_token={TOKEN}&token_type=bearer&refresh_token=rt-{TOKEN}");
        Reply::Bytes(raw::http(
            200,
            &[("Content-Type", "text/plain")],
            body.as_bytes(),
        ))
    })
    .await;
    assert_eq!(
        case.outcome,
        Outcome::Pass,
        "only the status is expected: {case:?}"
    );
    assert_clean(&r, &[TOKEN]);
}

#[tokio::test]
async fn a_100_kb_token_is_cut_at_the_cap_and_leaks_no_prefix() {
    let long = format!("{TOKEN}{}", "x".repeat(100 * 1024));
    let (case, r) = token_mode(move |_| {
        let body = json!({"access_token": long, "token_type": "Bearer"}).to_string();
        Reply::Bytes(raw::http(
            200,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        ))
    })
    .await;
    assert_eq!(case.outcome, Outcome::Error);
    assert!(
        reason(&case).contains("exceeds the cap of 4096 bytes"),
        "{}",
        reason(&case)
    );
    assert_clean(&r, &[TOKEN]);
}

/// Under the body cap, a 100 KB access token is seen whole by the checks
/// (it is present: the case passes) and the stored evidence is cut after
/// redaction, with a fingerprint of the rest and no prefix of the token.
#[tokio::test]
async fn a_100_kb_token_under_the_cap_is_checked_whole_and_stored_cut() {
    let long = format!("{TOKEN}{}", "x".repeat(100 * 1024));
    let padding = "y".repeat(100 * 1024);
    let body =
        json!({"access_token": long, "token_type": "Bearer", "padding": padding}).to_string();
    let issuer = raw::issuer(move |_| {
        Reply::Bytes(raw::http(
            200,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        ))
    })
    .await;
    let profile =
        profile_text(&issuer.url).replace("max_body_bytes = 4096", "max_body_bytes = 1048576");
    let scenario = SCENARIO.replace(
        "expect.status = 200",
        "expect = { status = 200, present = [\"access_token\"] }",
    );
    let r = run_with(&profile, &scenario).await;
    assert_eq!(r.cases[0].outcome, Outcome::Pass, "{:?}", r.cases[0].reason);
    let stored = r.cases[0].steps[0].exchanges[0]
        .response
        .clone()
        .expect("a response");
    assert!(
        stored.truncated && stored.body.len() < 70 * 1024,
        "{}",
        stored.body.len()
    );
    assert!(
        stored.body.contains("more bytes not kept, fingerprint #"),
        "{}",
        &stored.body[..200]
    );
    assert_clean(&r, &[TOKEN, &long]);
}

#[tokio::test]
async fn a_slow_drip_is_cut_by_the_timeout() {
    let (case, r) = token_mode(|_| Reply::Drip {
        head:
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
                .to_vec(),
        chunk: b" ".to_vec(),
        every: Duration::from_millis(100),
    })
    .await;
    assert_eq!(case.outcome, Outcome::Error);
    assert_eq!(
        case.steps[0].exchanges[0].error.as_ref().map(|e| e.0),
        Some(grantcheck::report::TransportError::Timeout)
    );
    assert_clean(&r, &[]);
}

#[tokio::test]
async fn an_endless_chunked_body_is_cut_at_the_cap() {
    let (case, r) = token_mode(|_| Reply::Drip {
        head: b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
        chunk: format!("400\r\n{}\r\n", "y".repeat(0x400)).into_bytes(),
        every: Duration::from_millis(1),
    })
    .await;
    assert_eq!(case.outcome, Outcome::Error);
    assert!(
        reason(&case).contains("exceeds the cap"),
        "{}",
        reason(&case)
    );
    assert_clean(&r, &[]);
}

#[tokio::test]
async fn one_megabyte_of_headers_is_an_error() {
    let (case, r) = token_mode(|_| {
        let big = "h".repeat(1 << 20);
        Reply::Bytes(raw::http(200, &[("X-Huge", &big)], b"{}"))
    })
    .await;
    assert_eq!(case.outcome, Outcome::Error, "{case:?}");
    assert!(case.steps[0].exchanges[0].error.is_some());
    assert_clean(&r, &[]);
}

#[tokio::test]
async fn ten_thousand_headers_are_an_error() {
    let (case, r) = token_mode(|_| {
        let many: Vec<(String, String)> = (0..10_000)
            .map(|i| (format!("X-{i}"), "v".to_string()))
            .collect();
        let refs: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        Reply::Bytes(raw::http(200, &refs, b"{}"))
    })
    .await;
    assert_eq!(case.outcome, Outcome::Error, "{case:?}");
    assert_clean(&r, &[]);
}

#[tokio::test]
async fn a_non_utf8_body_is_kept_lossily_and_leaks_no_token() {
    let (case, r) = token_mode(|_| {
        let mut body =
            format!("{{\"access_token\":\"{TOKEN}\", \"token_type\":\"Bearer").into_bytes();
        body.extend_from_slice(b"\xff\xfe\xc3\x28\"}");
        Reply::Bytes(raw::http(
            200,
            &[("Content-Type", "application/json")],
            &body,
        ))
    })
    .await;
    assert_eq!(case.outcome, Outcome::Pass, "{case:?}");
    assert!(case.steps[0].exchanges[0]
        .response
        .as_ref()
        .unwrap()
        .body
        .contains('\u{fffd}'));
    assert_clean(&r, &[TOKEN]);
}

#[tokio::test]
async fn ten_thousand_deep_json_is_no_crash() {
    let (case, r) = token_mode(|_| {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        Reply::Bytes(raw::http(
            200,
            &[("Content-Type", "application/json")],
            deep.as_bytes(),
        ))
    })
    .await;
    // The cap (4096 bytes) stops it first; either way a bounded error.
    assert_eq!(case.outcome, Outcome::Error, "{case:?}");
    assert_clean(&r, &[]);
    let issuer = raw::issuer(|_| {
        let deep = format!(
            "{{\"access_token\":\"{TOKEN}\",\"x\":{}1{}}}",
            "[".repeat(1500),
            "]".repeat(1500)
        );
        Reply::Bytes(raw::http(
            200,
            &[("Content-Type", "application/json")],
            deep.as_bytes(),
        ))
    })
    .await;
    let r = run_with(&profile_text(&issuer.url), SCENARIO).await;
    assert_eq!(r.cases[0].outcome, Outcome::Pass, "{:?}", r.cases[0]);
    assert_clean(&r, &[TOKEN]);
}

#[tokio::test]
async fn a_response_that_is_not_http_is_an_error() {
    for garbage in [
        &b"HELLO THERE\r\n\r\n"[..],
        b"",
        b"HTTP/1.1 999999 ?\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx",
    ] {
        let bytes = garbage.to_vec();
        let (case, r) = token_mode(move |_| Reply::Bytes(bytes.clone())).await;
        assert_eq!(
            case.outcome,
            Outcome::Error,
            "{:?}: {case:?}",
            String::from_utf8_lossy(garbage)
        );
        assert!(case.steps[0].exchanges[0].error.is_some());
        assert_clean(&r, &[]);
    }
}

#[tokio::test]
async fn ten_thousand_deep_discovery_is_a_harness_error() {
    let issuer = raw::RawIssuer::start(|_| {
        let deep = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        Reply::Bytes(raw::http(
            200,
            &[("Content-Type", "application/json")],
            deep.as_bytes(),
        ))
    })
    .await;
    let env = Env::isolated([("HOSTILE_S1_SECRET".to_string(), SECRET.to_string())].into());
    let p = profile::load_str(Path::new("h.toml"), &profile_text(&issuer.url), &env).unwrap();
    let http = Http::new(&p.http).unwrap();
    let err = tokio::time::timeout(WALL, Target::resolve(p, http, false, vec![]))
        .await
        .unwrap()
        .err()
        .expect("no target");
    assert!(err.to_string().contains("discovery document"), "{err}");
}

#[tokio::test]
async fn a_redirect_chain_is_cut_at_the_hop_cap() {
    let issuer = raw::issuer(|seen| {
        let n: u32 = seen
            .path
            .strip_prefix("/hop/")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Reply::Bytes(raw::http(
            302,
            &[("Location", &format!("/hop/{}", n + 1))],
            b"",
        ))
    })
    .await;
    let r = run_with(&login_profile(&issuer.url), AUTHORIZE).await;
    let case = &r.cases[0];
    assert_eq!(case.outcome, Outcome::Error);
    assert!(
        reason(case).contains("more than 3 redirects"),
        "{}",
        reason(case)
    );
    assert_eq!(case.steps[0].exchanges.len(), 4);
    assert_clean(&r, &[]);
}

#[tokio::test]
async fn a_login_page_that_never_ends_is_cut() {
    let issuer = raw::issuer(|_| Reply::Drip {
        head: b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec(),
        chunk: b"11\r\n<p>loading...</p>\r\n".to_vec(),
        every: Duration::from_millis(5),
    })
    .await;
    let r = run_with(&login_profile(&issuer.url), AUTHORIZE).await;
    let case = &r.cases[0];
    assert_eq!(case.outcome, Outcome::Error, "{case:?}");
    let why = reason(case);
    assert!(
        why.contains("exceeds the cap")
            || why.contains("timed out")
            || why.contains("operation timed out"),
        "{why}"
    );
    assert_clean(&r, &[]);
}

/// A login form that posts to itself: the agent submits the password once,
/// sees the form again, and stops with "login failed".
#[tokio::test]
async fn a_form_that_posts_to_itself_is_a_bounded_login_failure() {
    let issuer = raw::issuer(|seen| {
        let _ = seen;
        let page = "<html><body><form method=\"post\" action=\"/authorize\"><input name=\"username\"><input type=\"password\" name=\"password\"><button>Sign in</button></form></body></html>";
        Reply::Bytes(raw::http(200, &[("Content-Type", "text/html")], page.as_bytes()))
    })
    .await;
    let r = run_with(&login_profile(&issuer.url), AUTHORIZE).await;
    let case = &r.cases[0];
    assert_eq!(case.outcome, Outcome::Error, "{case:?}");
    assert!(reason(case).contains("login"), "{}", reason(case));
    assert!(
        case.steps[0].exchanges.len() <= 20,
        "bounded: {}",
        case.steps[0].exchanges.len()
    );
    assert_clean(&r, &[]);
}

/// An issuer that echoes every header and parameter it received, in every
/// encoding it can think of, at the token endpoint and on its login page.
#[tokio::test]
async fn an_echoing_issuer_leaks_no_secret_in_any_encoding() {
    let issuer = raw::issuer(|seen| {
        let auth = seen
            .text
            .lines()
            .find_map(|l| {
                l.strip_prefix("authorization: ")
                    .or_else(|| l.strip_prefix("Authorization: "))
            })
            .unwrap_or("")
            .trim()
            .to_string();
        let pair = auth
            .strip_prefix("Basic ")
            .and_then(|b| STANDARD.decode(b).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let secret = pair
            .split_once(':')
            .map(|(_, s)| s.to_string())
            .unwrap_or_default();
        let body = seen.text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
        let echo = json!({
            "you_sent": seen.text,
            "authorization": auth,
            "pair": pair,
            "secret": secret,
            "secret_b64": STANDARD.encode(&secret),
            "secret_b64url": URL_SAFE_NO_PAD.encode(&secret),
            "pair_b64url": URL_SAFE_NO_PAD.encode(&pair),
            "body": body,
            "body_b64": STANDARD.encode(&body),
        });
        let html = format!(
            "<html><body><pre>{}</pre><p>{}</p></body></html>",
            seen.text.replace('&', "&amp;").replace('<', "&lt;"),
            secret.replace('&', "&amp;")
        );
        match seen.path.starts_with("/token") {
            true => Reply::Bytes(raw::json(
                400,
                &json!({"error": "invalid_request", "error_description": echo.to_string()}),
            )),
            false => Reply::Bytes(raw::http(
                200,
                &[("Content-Type", "text/html")],
                html.as_bytes(),
            )),
        }
    })
    .await;
    let r = run_with(&profile_text(&issuer.url), SCENARIO).await;
    assert_eq!(r.cases[0].outcome, Outcome::Fail, "{:?}", r.cases[0]);
    assert!(
        reason(&r.cases[0]).contains("status"),
        "{}",
        reason(&r.cases[0])
    );
    assert_clean(&r, &[]);
    let r = run_with(&login_profile(&issuer.url), AUTHORIZE).await;
    assert_ne!(r.cases[0].outcome, Outcome::Pass);
    assert_clean(&r, &[]);
}

/// An ID token scenario against an issuer whose token endpoint hands out
/// `id_token` and whose JWKS is `jwks`, advertising `algs`.
async fn id_token_mode(id_token: String, jwks: serde_json::Value, algs: &[&str]) -> RunReport {
    let algs: Vec<String> = algs.iter().map(|s| s.to_string()).collect();
    let issuer = raw::RawIssuer::start(move |seen| {
        let host = seen
            .text
            .lines()
            .find_map(|l| l.strip_prefix("host: "))
            .unwrap_or("")
            .trim()
            .to_string();
        let base = format!("http://{host}");
        match seen.path.as_str() {
            p if p.starts_with("/.well-known/") => Reply::Bytes(raw::json(
                200,
                &json!({
                    "issuer": base,
                    "authorization_endpoint": format!("{base}/authorize"),
                    "token_endpoint": format!("{base}/token"),
                    "jwks_uri": format!("{base}/jwks"),
                    "grant_types_supported": ["client_credentials"],
                    "id_token_signing_alg_values_supported": algs,
                }),
            )),
            "/jwks" => Reply::Bytes(raw::json(200, &jwks)),
            _ => Reply::Bytes(raw::json(
                200,
                &json!({"access_token": TOKEN, "token_type": "Bearer", "id_token": id_token}),
            )),
        }
    })
    .await;
    let scenario = SCENARIO.replace(
        "expect.status = 200",
        "expect = { status = 200, id_token = { aud = \"s1\" } }",
    );
    run_with(&profile_text(&issuer.url), &scenario).await
}

fn jws(header: serde_json::Value, signature: &[u8]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"iss": "x", "aud": "s1", "exp": now + 300, "iat": now});
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// A 3-byte Ed25519 `x` once panicked inside jsonwebtoken ("the case task
/// crashed", no evidence): now the signature check fails, with the JWKS as
/// evidence.
#[tokio::test]
async fn an_eddsa_key_with_a_3_byte_x_fails_the_check_without_a_panic() {
    let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": "AQID"}]});
    let r = id_token_mode(
        jws(json!({"alg": "EdDSA", "kid": "k1"}), &[1; 64]),
        jwks,
        &["EdDSA"],
    )
    .await;
    let case = &r.cases[0];
    assert_eq!(case.outcome, Outcome::Fail, "{case:?}");
    let sig = case.steps[0]
        .checks
        .iter()
        .find(|c| c.what == "id_token signature")
        .unwrap();
    assert!(!sig.passed && sig.actual.contains("unusable"), "{sig:?}");
    assert!(case.steps[0]
        .exchanges
        .iter()
        .any(|e| e.request.url.ends_with("/jwks")));
    assert_clean(&r, &[TOKEN]);
}

#[tokio::test]
async fn an_id_token_with_alg_none_fails() {
    let r = id_token_mode(
        jws(json!({"alg": "none"}), b""),
        json!({"keys": []}),
        &["RS256"],
    )
    .await;
    assert_eq!(r.cases[0].outcome, Outcome::Fail, "{:?}", r.cases[0]);
    assert_clean(&r, &[TOKEN]);
}

/// HS256 keyed with the issuer's public RSA key (the classic algorithm
/// confusion): refused, since only RS256 is advertised.
#[tokio::test]
async fn an_hs256_id_token_keyed_with_the_public_key_fails() {
    let n = URL_SAFE_NO_PAD.encode([0xc1u8; 256]);
    let jwks = json!({"keys": [{"kty": "RSA", "kid": "k1", "n": n, "e": "AQAB"}]});
    let r = id_token_mode(
        jws(json!({"alg": "HS256", "kid": "k1"}), &[9; 32]),
        jwks,
        &["RS256"],
    )
    .await;
    let case = &r.cases[0];
    assert_eq!(case.outcome, Outcome::Fail, "{case:?}");
    assert!(case.steps[0]
        .checks
        .iter()
        .any(|c| c.what == "id_token alg" && !c.passed));
    assert_clean(&r, &[TOKEN]);
}

/// A scenario id of 70,000 characters once panicked the terminal renderer
/// after every request was sent. The loader now refuses ids over 200
/// characters before anything is sent (and the renderer pads ids of any
/// length itself: `report::terminal`'s own test).
#[test]
fn a_70_000_character_scenario_id_is_refused_at_load() {
    let long = format!("hostile.{}", "x".repeat(70_000));
    let scenario = SCENARIO.replace("hostile.token", &long);
    let Err(errors) = grantcheck::scenario::load_str(Path::new("long.toml"), &scenario) else {
        panic!("a 70,000-character id loaded");
    };
    let text: Vec<String> = errors.iter().map(|d| d.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("70008 characters; at most 200")),
        "{text:?}"
    );
}

/// A case task that crashes keeps what it had sent: the journal lives
/// outside the task, and `salvage` turns it into redacted evidence.
#[tokio::test]
async fn a_crashed_case_keeps_its_evidence() {
    let issuer =
        raw::issuer(|_| Reply::Bytes(raw::json(200, &json!({"access_token": TOKEN})))).await;
    let journal = grantcheck::http::Journal::default();
    let env = Env::isolated([("HOSTILE_S1_SECRET".to_string(), SECRET.to_string())].into());
    let p = profile::load_str(Path::new("h.toml"), &profile_text(&issuer.url), &env).unwrap();
    let http = Http::new(&p.http).unwrap();
    let url = format!("{}/token?client_secret={SECRET}", issuer.url);
    let crashed = tokio::spawn(grantcheck::http::journaled(journal.clone(), async move {
        http.send(grantcheck::http::Request::get(url)).await;
        panic!("a bug in a step");
    }))
    .await;
    assert!(crashed.unwrap_err().is_panic());
    let sent = journal.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let s = scenario::load_str(Path::new("h.toml"), SCENARIO)
        .map_err(|d| format!("{d:?}"))
        .unwrap();
    let mut base = grantcheck::report::redact::Redactor::new();
    base.add("secret", SECRET);
    let case = run::case::salvage(
        &s,
        None,
        sent,
        &base,
        "the case task crashed (a bug in grantcheck): a bug in a step".into(),
    );
    assert_eq!(case.outcome, Outcome::Error);
    let ex = &case.steps[0].exchanges[0];
    assert!(
        ex.request.url.contains("[redacted secret #"),
        "{}",
        ex.request.url
    );
    assert!(ex
        .response
        .as_ref()
        .unwrap()
        .body
        .contains("[redacted access_token #"));
    let text = serde_json::to_string(&case).unwrap();
    assert!(!text.contains(SECRET) && !text.contains(TOKEN), "{text}");
}
