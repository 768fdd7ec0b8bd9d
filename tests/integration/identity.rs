//! Issuer identity (issue 13): a discovery document that names another
//! issuer, or puts an endpoint on an origin the profile does not trust,
//! stops the run before any credential is sent, and never exits 0. Both
//! the OIDC and the RFC 8414 documents are read and merged.

use std::path::Path;
use std::process::Command;

use grantcheck::http::Http;
use grantcheck::profile::{self, Env};
use grantcheck::run::target::{Target, TargetError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "identity-s3cr3t-value";

fn profile_text(issuer: &str, extra: &str) -> String {
    format!(
        r#"
name = "identity"
issuer = "{issuer}"
[clients.s1]
client_id = "s1"
secret_env = "IDENTITY_S1_SECRET"
auth_method = "client_secret_basic"
grants = ["client_credentials"]
[http]
timeout_ms = 2000
{extra}
"#
    )
}

async fn serve(server: &MockServer, at: &str, doc: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(doc))
        .mount(server)
        .await;
}

async fn resolve(issuer: &str, extra: &str) -> Result<Target, TargetError> {
    let env = Env::isolated([("IDENTITY_S1_SECRET".to_string(), SECRET.to_string())].into());
    let p = profile::load_str(
        Path::new("identity.toml"),
        &profile_text(issuer, extra),
        &env,
    )
    .unwrap();
    let http = Http::new(&p.http).unwrap();
    Target::resolve(p, http, false, vec![]).await
}

/// Every request a server received was a metadata GET: no token request,
/// no Authorization header, no secret anywhere.
async fn saw_no_credential(server: &MockServer) {
    for r in server.received_requests().await.unwrap_or_default() {
        assert_eq!(r.method.as_str(), "GET", "{r:?}");
        assert!(r.url.path().contains("/.well-known/"), "{}", r.url);
        assert!(!r.headers.contains_key("authorization"));
        assert!(!String::from_utf8_lossy(&r.body).contains(SECRET));
    }
}

#[tokio::test]
async fn a_document_for_another_issuer_is_refused_before_any_credential() {
    let server = MockServer::start().await;
    let doc = serde_json::json!({
        "issuer": "https://attacker.example",
        "token_endpoint": format!("{}/token", server.uri()),
    });
    serve(&server, "/.well-known/openid-configuration", doc).await;
    let Err(e) = resolve(&server.uri(), "").await else {
        panic!("a mismatching issuer was accepted")
    };
    assert!(matches!(e, TargetError::IssuerMismatch { .. }), "{e}");
    assert!(e.to_string().contains("attacker.example"), "{e}");
    saw_no_credential(&server).await;
}

#[tokio::test]
async fn an_endpoint_on_another_origin_is_refused_unless_trusted() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    let doc = serde_json::json!({
        "issuer": server.uri(),
        "token_endpoint": format!("{}/token", elsewhere.uri()),
    });
    serve(&server, "/.well-known/openid-configuration", doc).await;
    let Err(e) = resolve(&server.uri(), "").await else {
        panic!("a foreign token endpoint was accepted")
    };
    assert!(
        matches!(e, TargetError::ForeignEndpoint { name: "token", .. }),
        "{e}"
    );
    saw_no_credential(&server).await;
    assert!(elsewhere
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());

    let trusted = format!("trusted_origins = [\"{}\"]", elsewhere.uri());
    let t = resolve(&server.uri(), &trusted)
        .await
        .expect("a trusted origin resolves");
    assert_eq!(
        t.endpoints.token,
        Some(format!("{}/token", elsewhere.uri()))
    );
}

#[tokio::test]
async fn the_rfc8414_document_fills_what_the_oidc_one_lacks() {
    let server = MockServer::start().await;
    let oidc = serde_json::json!({
        "issuer": server.uri(),
        "token_endpoint": format!("{}/token", server.uri()),
    });
    let oauth = serde_json::json!({
        "issuer": server.uri(),
        "token_endpoint": format!("{}/other-token", server.uri()),
        "revocation_endpoint": format!("{}/revoke", server.uri()),
    });
    serve(&server, "/.well-known/openid-configuration", oidc).await;
    serve(&server, "/.well-known/oauth-authorization-server", oauth).await;
    let t = resolve(&server.uri(), "").await.unwrap();
    assert_eq!(
        t.endpoints.token,
        Some(format!("{}/token", server.uri())),
        "OIDC wins"
    );
    assert_eq!(
        t.endpoints.revocation,
        Some(format!("{}/revoke", server.uri()))
    );
    assert_eq!(t.metadata_sources.len(), 2, "{:?}", t.metadata_sources);
}

#[tokio::test]
async fn an_rfc8414_document_that_lies_is_refused_too() {
    let server = MockServer::start().await;
    let good = serde_json::json!({ "issuer": server.uri(), "token_endpoint": format!("{}/token", server.uri()) });
    let bad = serde_json::json!({ "issuer": "https://attacker.example", "token_endpoint": "https://attacker.example/token" });
    serve(&server, "/.well-known/openid-configuration", good).await;
    serve(&server, "/.well-known/oauth-authorization-server", bad).await;
    let e = resolve(&server.uri(), "").await.err().expect("refused");
    assert!(matches!(e, TargetError::IssuerMismatch { .. }), "{e}");
}

/// As a user runs it: the binary exits 1 on a lying issuer and 2 on an
/// untrusted origin, and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_never_exits_0_on_a_hostile_discovery() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    let lying = serde_json::json!({ "issuer": "https://attacker.example", "token_endpoint": format!("{}/token", server.uri()) });
    serve(&server, "/.well-known/openid-configuration", lying).await;
    let foreign = MockServer::start().await;
    let doc = serde_json::json!({ "issuer": foreign.uri(), "token_endpoint": format!("{}/token", elsewhere.uri()) });
    serve(&foreign, "/.well-known/openid-configuration", doc).await;

    let dir = tempfile::tempdir().unwrap();
    for (issuer, want, says) in [
        (server.uri(), 1, "DISC-01"),
        (foreign.uri(), 2, "trusted_origins"),
    ] {
        let file = dir.path().join("p.toml");
        std::fs::write(&file, profile_text(&issuer, "")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_grantcheck"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("IDENTITY_S1_SECRET", SECRET)
            .args(["run", "--color", "never", "--profile"])
            .arg(&file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(want), "{err}");
        assert!(err.contains(says), "{err}");
    }
    saw_no_credential(&server).await;
    saw_no_credential(&foreign).await;
    assert!(elsewhere
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
}
