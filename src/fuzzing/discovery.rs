//! Discovery documents (`protocol::discovery`).

use serde_json::Value;

use crate::protocol::discovery::{self, DiscoveryError, Metadata};

/// Discovery document (`protocol::discovery`): refused exactly when the
/// bytes are not a JSON object, with the right reason; each typed member is
/// the raw member when it has the right type; RFC 8414 defaults apply only
/// when a member is absent; the well-known URL is built by the OIDC rule.
pub fn check_discovery(data: &[u8]) {
    let parsed = Metadata::parse(data);
    let raw = serde_json::from_slice::<Value>(data);
    let m = match (parsed, raw) {
        (Ok(m), Ok(Value::Object(o))) => {
            assert_eq!(m.raw, o);
            m
        }
        (Err(DiscoveryError::NotObject), Ok(v)) => {
            assert!(!v.is_object());
            return;
        }
        (Err(DiscoveryError::NotJson(_)), Err(_)) => return,
        (p, r) => panic!("parsed {p:?} but JSON says {r:?}"),
    };
    let string = |k: &str| m.raw.get(k).and_then(Value::as_str).map(str::to_string);
    assert_eq!(m.issuer, string("issuer"));
    assert_eq!(m.authorization_endpoint, string("authorization_endpoint"));
    assert_eq!(m.token_endpoint, string("token_endpoint"));
    assert_eq!(m.jwks_uri, string("jwks_uri"));
    assert_eq!(m.userinfo_endpoint, string("userinfo_endpoint"));
    assert_eq!(m.revocation_endpoint, string("revocation_endpoint"));
    assert_eq!(m.introspection_endpoint, string("introspection_endpoint"));
    assert_eq!(m.registration_endpoint, string("registration_endpoint"));
    let lists = [
        ("grant_types_supported", &m.grant_types_supported),
        ("response_types_supported", &m.response_types_supported),
        ("scopes_supported", &m.scopes_supported),
        (
            "token_endpoint_auth_methods_supported",
            &m.token_endpoint_auth_methods_supported,
        ),
        (
            "code_challenge_methods_supported",
            &m.code_challenge_methods_supported,
        ),
        (
            "id_token_signing_alg_values_supported",
            &m.id_token_signing_alg_values_supported,
        ),
    ];
    for (k, typed) in lists {
        match m.raw.get(k).and_then(Value::as_array) {
            None => assert!(typed.is_none(), "{k}"),
            Some(a) => {
                let strings: Vec<String> = a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                assert_eq!(typed.as_ref(), Some(&strings), "{k}");
            }
        }
    }
    assert_eq!(
        m.authorization_response_iss_parameter_supported,
        m.raw
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
    );
    match &m.grant_types_supported {
        Some(g) => assert_eq!(&m.grant_types(), g),
        None => assert_eq!(m.grant_types(), ["authorization_code", "implicit"]),
    }
    match &m.token_endpoint_auth_methods_supported {
        Some(g) => assert_eq!(&m.token_auth_methods(), g),
        None => assert_eq!(m.token_auth_methods(), ["client_secret_basic"]),
    }
    if m.id_token_signing_alg_values_supported.is_some() {
        assert!(m.is_oidc());
    }
    if let Some(iss) = &m.issuer {
        let url = discovery::openid_configuration_url(iss);
        let base = iss.strip_suffix('/').unwrap_or(iss);
        assert_eq!(url, format!("{base}/.well-known/openid-configuration"));
    }
}
