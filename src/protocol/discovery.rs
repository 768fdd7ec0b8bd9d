//! Authorization server metadata (RFC 8414) and OpenID Provider metadata
//! (OIDC Discovery 1.0), read leniently: the raw document is kept for the
//! checks, the typed view only picks what the runner needs.

use serde_json::{Map, Value};

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Metadata {
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub registration_endpoint: Option<String>,
    pub grant_types_supported: Option<Vec<String>>,
    pub response_types_supported: Option<Vec<String>>,
    pub scopes_supported: Option<Vec<String>>,
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    pub code_challenge_methods_supported: Option<Vec<String>>,
    pub id_token_signing_alg_values_supported: Option<Vec<String>>,
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// The whole document as sent.
    pub raw: Map<String, Value>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DiscoveryError {
    #[error("the metadata document is not JSON: {0}")]
    NotJson(String),
    #[error("the metadata document is JSON but not an object")]
    NotObject,
}

impl Metadata {
    pub fn parse(bytes: &[u8]) -> Result<Self, DiscoveryError> {
        let v: Value =
            serde_json::from_slice(bytes).map_err(|e| DiscoveryError::NotJson(e.to_string()))?;
        let Value::Object(raw) = v else {
            return Err(DiscoveryError::NotObject);
        };
        Ok(Self::from_map(raw))
    }

    /// Two documents of one issuer as one: `first` wins member by member,
    /// `second` fills what it lacks (an OIDC document without
    /// `revocation_endpoint`, which only the RFC 8414 one lists).
    pub fn merge(first: &Metadata, second: &Metadata) -> Metadata {
        let mut raw = first.raw.clone();
        for (k, v) in &second.raw {
            raw.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Self::from_map(raw)
    }

    fn from_map(raw: Map<String, Value>) -> Self {
        let s = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_string);
        let list = |k: &str| {
            raw.get(k).and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
        };
        Self {
            issuer: s("issuer"),
            authorization_endpoint: s("authorization_endpoint"),
            token_endpoint: s("token_endpoint"),
            jwks_uri: s("jwks_uri"),
            userinfo_endpoint: s("userinfo_endpoint"),
            revocation_endpoint: s("revocation_endpoint"),
            introspection_endpoint: s("introspection_endpoint"),
            registration_endpoint: s("registration_endpoint"),
            grant_types_supported: list("grant_types_supported"),
            response_types_supported: list("response_types_supported"),
            scopes_supported: list("scopes_supported"),
            token_endpoint_auth_methods_supported: list("token_endpoint_auth_methods_supported"),
            code_challenge_methods_supported: list("code_challenge_methods_supported"),
            id_token_signing_alg_values_supported: list("id_token_signing_alg_values_supported"),
            authorization_response_iss_parameter_supported: raw
                .get("authorization_response_iss_parameter_supported")
                .and_then(Value::as_bool),
            raw,
        }
    }

    /// Grant types, with RFC 8414's default when the member is absent.
    pub fn grant_types(&self) -> Vec<String> {
        self.grant_types_supported
            .clone()
            .unwrap_or_else(|| vec!["authorization_code".into(), "implicit".into()])
    }

    /// Token endpoint auth methods, with RFC 8414's default `client_secret_basic`.
    pub fn token_auth_methods(&self) -> Vec<String> {
        self.token_endpoint_auth_methods_supported
            .clone()
            .unwrap_or_else(|| vec!["client_secret_basic".into()])
    }

    /// Whether the issuer speaks OpenID Connect (requirements.md, opt:oidc).
    pub fn is_oidc(&self) -> bool {
        self.id_token_signing_alg_values_supported.is_some()
            || self
                .scopes_supported
                .as_ref()
                .is_some_and(|s| s.iter().any(|s| s == "openid"))
    }
}

/// The RFC 8414 §3.1 metadata URL: the well-known segment goes between the
/// host and the issuer's path (`https://h/o` -> `https://h/.well-known/oauth-authorization-server/o`).
pub fn oauth_server_metadata_url(issuer: &str) -> String {
    let issuer = issuer.strip_suffix('/').unwrap_or(issuer);
    let after_scheme = issuer.find("://").map(|i| i + 3).unwrap_or(0);
    let path_at = issuer[after_scheme..]
        .find('/')
        .map(|i| after_scheme + i)
        .unwrap_or(issuer.len());
    format!(
        "{}/.well-known/oauth-authorization-server{}",
        &issuer[..path_at],
        &issuer[path_at..]
    )
}

/// Why a metadata document may not be used for `issuer`, if it may not:
/// its `issuer` must be identical to the one it was fetched for (OIDC
/// Discovery §4.3, RFC 8414 §3.3), or a mix-up attacker's document could
/// pass for the real one (RFC 9700 §4.4).
pub fn identity_problem(issuer: &str, metadata: &Metadata) -> Option<String> {
    match metadata.issuer.as_deref() {
        Some(got) if got == issuer => None,
        Some(got) => Some(format!(
            "the metadata names issuer `{got}`, not `{issuer}` (they must be identical)"
        )),
        None => Some("the metadata has no `issuer`".to_string()),
    }
}

/// `scheme://host[:port]` of an absolute URL, lower-cased, default ports
/// dropped: what the same-origin rule compares.
pub fn origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?;
    Some(match u.port() {
        Some(p) => format!("{}://{host}:{p}", u.scheme()),
        None => format!("{}://{host}", u.scheme()),
    })
}

/// The discovery URL for an issuer identifier (OIDC Discovery §4.1): the
/// well-known suffix appended after removing one trailing slash.
pub fn openid_configuration_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.strip_suffix('/').unwrap_or(issuer)
    )
}

/// Members whose names say what type they hold (RFC 8414 §2, OIDC Discovery §3).
const BOOLEAN_SUFFIXES: &[&str] = &["_supported", "_required"];

/// What is sloppy in a metadata document (DISC-07), one phrase per member:
/// an empty array, a boolean written as a string, an endpoint or `jwks_uri`
/// that is not an absolute https URL (http only on loopback, for a lab),
/// `none` among the endpoint auth signing algorithms. Empty when all is well.
pub fn member_problems(m: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in m {
        match v {
            Value::Array(a) if a.is_empty() => out.push(format!("`{k}` is an empty array")),
            Value::String(s)
                if BOOLEAN_SUFFIXES.iter().any(|x| k.ends_with(x))
                    && (s == "true" || s == "false") =>
            {
                out.push(format!("`{k}` is the string {s:?}, not a boolean"))
            }
            Value::String(s)
                if (k.ends_with("_endpoint") || k == "jwks_uri") && !absolute_https(s) =>
            {
                out.push(format!("`{k}` is not an absolute https URL: {s:?}"))
            }
            Value::Array(a)
                if k.ends_with("_auth_signing_alg_values_supported")
                    && a.iter().any(|x| x == "none") =>
            {
                out.push(format!("`{k}` allows `none`"))
            }
            _ => {}
        }
    }
    out
}

/// https, or http on a loopback host (the reference and lab issuers).
fn absolute_https(s: &str) -> bool {
    match url::Url::parse(s) {
        Ok(u) if u.scheme() == "https" => true,
        Ok(u) if u.scheme() == "http" => {
            matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn sloppy_members_are_named_one_by_one() {
        let m: Map<String, Value> = serde_json::from_str(
            r#"{"issuer":"https://a.example","response_modes_supported":[],"claims_parameter_supported":"false",
               "token_endpoint":"/token","jwks_uri":"http://a.example/jwks","userinfo_endpoint":"http://127.0.0.1:9/u",
               "token_endpoint_auth_signing_alg_values_supported":["RS256","none"]}"#,
        )
        .unwrap();
        let p = super::member_problems(&m);
        assert_eq!(p.len(), 5, "{p:?}");
        assert!(p
            .iter()
            .any(|x| x.contains("response_modes_supported") && x.contains("empty")));
        assert!(p
            .iter()
            .any(|x| x.contains("claims_parameter_supported") && x.contains("boolean")));
        assert!(p
            .iter()
            .any(|x| x.contains("token_endpoint") && x.contains("absolute")));
        assert!(p.iter().any(|x| x.contains("jwks_uri")));
        assert!(p.iter().any(|x| x.contains("allows `none`")));
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc8414_puts_the_well_known_segment_before_the_path() {
        assert_eq!(
            oauth_server_metadata_url("https://h.example"),
            "https://h.example/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            oauth_server_metadata_url("https://h.example:8443/o/"),
            "https://h.example:8443/.well-known/oauth-authorization-server/o"
        );
        assert_eq!(
            openid_configuration_url("https://h.example/o/"),
            "https://h.example/o/.well-known/openid-configuration"
        );
    }

    #[test]
    fn identity_is_exact_and_origins_compare_normalised() {
        let m =
            |iss: &str| Metadata::parse(format!("{{\"issuer\":\"{iss}\"}}").as_bytes()).unwrap();
        assert_eq!(
            identity_problem("https://a.example", &m("https://a.example")),
            None
        );
        for other in [
            "https://a.example/",
            "https://A.example",
            "https://evil.example",
        ] {
            assert!(
                identity_problem("https://a.example", &m(other)).is_some(),
                "{other}"
            );
        }
        assert_eq!(
            origin("HTTPS://A.example:443/x").as_deref(),
            Some("https://a.example")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080/t").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin("not a url"), None);
    }

    #[test]
    fn merged_documents_fill_gaps_and_keep_the_first() {
        let a = Metadata::parse(br#"{"issuer":"i","token_endpoint":"https://i/t"}"#).unwrap();
        let b = Metadata::parse(
            br#"{"issuer":"x","token_endpoint":"https://x/t","revocation_endpoint":"https://i/r"}"#,
        )
        .unwrap();
        let m = Metadata::merge(&a, &b);
        assert_eq!(m.issuer.as_deref(), Some("i"));
        assert_eq!(m.token_endpoint.as_deref(), Some("https://i/t"));
        assert_eq!(m.revocation_endpoint.as_deref(), Some("https://i/r"));
    }

    #[test]
    fn parses_and_defaults() {
        let m = Metadata::parse(br#"{"issuer":"https://a","token_endpoint":"https://a/t","scopes_supported":["openid"],"authorization_response_iss_parameter_supported":true}"#).unwrap();
        assert_eq!(m.issuer.as_deref(), Some("https://a"));
        assert!(m.is_oidc());
        assert_eq!(m.token_auth_methods(), ["client_secret_basic"]);
        assert_eq!(m.authorization_response_iss_parameter_supported, Some(true));
        assert_eq!(Metadata::parse(b"[]"), Err(DiscoveryError::NotObject));
        assert!(matches!(
            Metadata::parse(b"<html>"),
            Err(DiscoveryError::NotJson(_))
        ));
    }

    #[test]
    fn well_known() {
        assert_eq!(
            openid_configuration_url("https://a.example/t1/"),
            "https://a.example/t1/.well-known/openid-configuration"
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Metadata::parse(&bytes);
        }
    }
}
