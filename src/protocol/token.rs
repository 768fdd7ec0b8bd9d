//! Token endpoint responses: success (RFC 6749 §5.1) and error (§5.2) bodies.

use serde_json::{Map, Value};

/// A JSON body as an issuer sent it, with the typed views the checks need.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// A top-level JSON object.
    Object(Map<String, Value>),
    /// Valid JSON that is not an object.
    OtherJson(Value),
    /// Not JSON at all.
    NotJson,
}

impl Body {
    pub fn parse(bytes: &[u8]) -> Self {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(m)) => Body::Object(m),
            Ok(v) => Body::OtherJson(v),
            Err(_) => Body::NotJson,
        }
    }

    pub fn object(&self) -> Option<&Map<String, Value>> {
        match self {
            Body::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Unwraps an envelope such as Bud's `{"operation_id": ..., "data": {...}}`:
    /// when `key` names an object member, that member becomes the body.
    pub fn unwrap_envelope(self, key: Option<&str>) -> Self {
        match (key, &self) {
            (Some(k), Body::Object(m)) => match m.get(k) {
                Some(Value::Object(inner)) => Body::Object(inner.clone()),
                _ => self,
            },
            _ => self,
        }
    }

    /// A member as text: strings as they are, numbers and booleans printed.
    pub fn field(&self, name: &str) -> Option<String> {
        self.object().and_then(|m| m.get(name)).and_then(value_text)
    }
}

/// A JSON scalar as text (strings unquoted); objects, arrays and null give None.
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The `error` of an RFC 6749 §5.2 error body, when it is a string.
pub fn error_code(body: &Body) -> Option<String> {
    match body.object()?.get("error")? {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// Whether `s` uses only the characters RFC 6749 Appendix A.7/A.8 allow in
/// `error` and `error_description`: %x20-21 / %x23-5B / %x5D-7E.
pub fn is_error_text_charset(s: &str) -> bool {
    s.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// Error codes RFC 6749 §5.2 registers for the token endpoint, plus the
/// registered extensions a token, introspection or revocation endpoint may
/// answer with (RFC 7009's `unsupported_token_type`, RFC 9396's
/// `invalid_authorization_details`).
pub const TOKEN_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
    "invalid_dpop_proof",
    "use_dpop_nonce",
    "authorization_pending",
    "slow_down",
    "access_denied",
    "expired_token",
    "unsupported_token_type",
    "invalid_authorization_details",
];

/// Error codes for the authorization endpoint (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).
pub const AUTHORIZATION_ERRORS: &[&str] = &[
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "interaction_required",
    "login_required",
    "account_selection_required",
    "consent_required",
    "invalid_request_uri",
    "invalid_request_object",
    "request_not_supported",
    "request_uri_not_supported",
    "registration_not_supported",
    "invalid_target",
    "invalid_authorization_details",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_success_and_error() {
        let b = Body::parse(br#"{"access_token":"a","expires_in":3600,"token_type":"Bearer"}"#);
        assert_eq!(b.field("expires_in").as_deref(), Some("3600"));
        assert_eq!(error_code(&b), None);
        let e = Body::parse(br#"{"error":"invalid_grant"}"#);
        assert_eq!(error_code(&e).as_deref(), Some("invalid_grant"));
        assert_eq!(Body::parse(b"<html>"), Body::NotJson);
        assert!(matches!(Body::parse(b"[1]"), Body::OtherJson(_)));
    }

    #[test]
    fn envelope() {
        let b = Body::parse(br#"{"operation_id":"x","data":{"access_token":"t"}}"#)
            .unwrap_envelope(Some("data"));
        assert_eq!(b.field("access_token").as_deref(), Some("t"));
    }

    #[test]
    fn charset() {
        assert!(is_error_text_charset("code_verifier is required"));
        assert!(!is_error_text_charset("say \"hi\""));
        assert!(!is_error_text_charset("é"));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let b = Body::parse(&bytes);
            let _ = error_code(&b);
        }

        #[test]
        fn serialised_objects_parse_back(map in proptest::collection::btree_map("[a-z_]{1,10}", "[ -~]{0,20}", 0..6)) {
            let json = serde_json::to_vec(&map).unwrap();
            let b = Body::parse(&json);
            for (k, v) in &map {
                let got = b.field(k);
                prop_assert_eq!(got.as_deref(), Some(v.as_str()));
            }
        }
    }
}
