//! Discovery metadata (OIDC Discovery §3, RFC 8414 §2) and the JWKS.

use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, StatusCode};
use base64::Engine;
use serde_json::{json, Value};

use super::faults::Fault;
use super::keys;
use super::respond;
use super::state::{AppState, Shared};

/// The metadata document; served identically at both well-known paths so
/// the two can never disagree (DISC-08). Every advertised feature works
/// and nothing that works is left out (DISC-09); the explicit `false`s
/// avoid the OIDC default-true trap for request objects (DISC-10).
pub fn metadata(app: &AppState) -> Value {
    let iss = &app.issuer;
    let r = app.config.dialect.routes();
    let url = |path: Option<&str>| path.map(|p| format!("{iss}{p}"));
    let (response_types, grant_types) = if app.fault(Fault::AdvertisesImplicit) {
        (
            json!(["code", "token"]),
            json!([
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "implicit"
            ]),
        )
    } else {
        (
            json!(["code"]),
            json!(["authorization_code", "refresh_token", "client_credentials"]),
        )
    };
    let pkce_methods: Vec<&str> = if app.fault(Fault::PkceAllowPlain) {
        vec!["S256", "plain"]
    } else {
        vec!["S256"]
    };
    let mut m = json!({
        "issuer": iss,
        "authorization_endpoint": url(r.authorize),
        "token_endpoint": url(Some(r.token)),
        "jwks_uri": url(r.jwks),
        "userinfo_endpoint": url(r.userinfo),
        "revocation_endpoint": url(r.revoke),
        "introspection_endpoint": url(r.introspect),
        "response_types_supported": response_types,
        "response_modes_supported": ["query"],
        "grant_types_supported": grant_types,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": pkce_methods,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": app.config.known_scopes,
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
            "name", "email", "email_verified"
        ],
        "authorization_response_iss_parameter_supported": app.config.iss_parameter && !app.fault(Fault::IssUnadvertised),
        "prompt_values_supported": ["none", "login", "consent"],
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    });
    // Members of endpoints the dialect does not serve are left out, not null.
    if let Some(o) = m.as_object_mut() {
        if app.fault(Fault::DiscoveryMissingRequiredMembers) {
            o.remove("subject_types_supported");
        }
        if app.fault(Fault::DiscoveryHidesBasic) {
            let methods = json!(["client_secret_post", "none"]);
            o.insert("token_endpoint_auth_methods_supported".into(), methods);
        }
        if app.fault(Fault::DiscoverySloppyMembers) {
            o.insert("response_modes_supported".into(), json!([]));
            o.insert("claims_parameter_supported".into(), json!("false"));
        }
        if app.fault(Fault::DiscoveryScopesWithoutOpenid) {
            let scopes = app.config.known_scopes.iter().filter(|s| *s != "openid");
            o.insert("scopes_supported".into(), json!(scopes.collect::<Vec<_>>()));
        }
        o.retain(|_, v| !v.is_null());
        if r.introspect.is_none() {
            o.remove("introspection_endpoint_auth_methods_supported");
        }
        if r.revoke.is_none() {
            o.remove("revocation_endpoint_auth_methods_supported");
        }
    }
    m
}

pub async fn configuration(
    State(app): State<Shared>,
    headers: axum::http::HeaderMap,
) -> Response<Body> {
    let doc = match forwarded_host(&app, &headers) {
        Some(host) => poisoned(&app, &host),
        None => metadata(&app),
    };
    let mut r = respond::json(&app, StatusCode::OK, &doc, false);
    if app.fault(Fault::DiscoveryServedAsText) {
        r.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/plain"),
        );
    }
    r
}

/// The `discovery_trusts_forwarded_host` fault (ADV-40): the host a proxy
/// header names, which the conformant issuer never reads.
fn forwarded_host(app: &AppState, headers: &axum::http::HeaderMap) -> Option<String> {
    if !app.fault(Fault::DiscoveryTrustsForwardedHost) {
        return None;
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    header("x-forwarded-host")
        .map(str::to_string)
        .or_else(|| {
            header("forwarded")?
                .split(';')
                .find_map(|p| p.trim().strip_prefix("host="))
                .map(|h| h.trim_matches('"').to_string())
        })
        .filter(|h| !h.is_empty())
}

/// The metadata with every URL on the issuer's origin moved to `host`.
fn poisoned(app: &AppState, host: &str) -> Value {
    let scheme = app.issuer.split("://").next().unwrap_or("https");
    let text = metadata(app)
        .to_string()
        .replace(&app.issuer, &format!("{scheme}://{host}"));
    serde_json::from_str(&text).unwrap_or_else(|_| metadata(app))
}

pub async fn jwks(State(app): State<Shared>) -> Response<Body> {
    let key = keys::signing_key().jwk(app.fault(Fault::JwksLeaksPrivate));
    let mut set = vec![key.clone()];
    if app.fault(Fault::JwksLegacyWeakKey) {
        // A forgotten 1024-bit test key published under the live key's kid
        // (its modulus is a fixed odd number: it never signs anything).
        let mut weak = key;
        let mut n = vec![0xC5u8; 128];
        n[127] |= 1;
        weak["n"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n));
        set.push(weak);
    }
    let mut r = respond::json(&app, StatusCode::OK, &json!({ "keys": set }), false);
    if app.fault(Fault::JwksServedAsText) {
        r.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/plain"),
        );
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{IssuerConfig, ReferenceSecrets};

    #[test]
    fn metadata_shape() {
        let app = AppState::new(
            IssuerConfig::reference(&ReferenceSecrets::random()),
            "http://127.0.0.1:1".into(),
        );
        let m = metadata(&app);
        assert_eq!(m["issuer"], "http://127.0.0.1:1");
        assert_eq!(m["token_endpoint"], "http://127.0.0.1:1/token");
        assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(m["scopes_supported"].as_array().map(|a| a.len()), Some(6));
        assert_eq!(
            m["authorization_response_iss_parameter_supported"],
            json!(true)
        );
        // No empty arrays anywhere (DISC-07).
        for (k, v) in m.as_object().unwrap() {
            if let Some(a) = v.as_array() {
                assert!(!a.is_empty(), "{k}");
            }
        }
    }
}
