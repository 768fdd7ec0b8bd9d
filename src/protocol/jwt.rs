//! Compact JWS (RFC 7515 §7.1) as issuers send ID tokens and JWT access
//! tokens: split, decode header and claims, keep the signing input. No
//! signature check here (that needs keys, see `run::expect`), and nothing is
//! trusted: this only says what the token claims.
//!
//! Also the JWKS inspection of JWKS-02: which published keys carry private
//! or symmetric material.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JwtError {
    #[error("not three dot-separated parts (found {0})")]
    Parts(usize),
    #[error("the {0} is not base64url without padding")]
    Base64(&'static str),
    #[error("the {0} is not a JSON object")]
    Json(&'static str),
}

/// A decoded compact JWS.
#[derive(Debug, Clone, PartialEq)]
pub struct Jws {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `base64url(header) "." base64url(claims)`, what the signature covers.
    pub signing_input: String,
    /// The third part as sent (base64url).
    pub signature: String,
}

fn object(part: &str, what: &'static str) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Base64(what))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(JwtError::Json(what)),
    }
}

impl Jws {
    pub fn parse(token: &str) -> Result<Jws, JwtError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [h, c, s] = parts.as_slice() else {
            return Err(JwtError::Parts(parts.len()));
        };
        let header = object(h, "header")?;
        let claims = object(c, "claims")?;
        if URL_SAFE_NO_PAD.decode(s).is_err() {
            return Err(JwtError::Base64("signature"));
        }
        Ok(Jws {
            header,
            claims,
            signing_input: format!("{h}.{c}"),
            signature: s.to_string(),
        })
    }

    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// `aud` as a list (a single string is a list of one, RFC 7519 §4.1.3).
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// A numeric claim (`exp`, `iat`), as whole seconds.
    pub fn number(&self, claim: &str) -> Option<i64> {
        let v = self.claims.get(claim)?;
        v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
    }
}

/// Members that only private or symmetric keys have (RFC 7518 §6.2.2, §6.3.2, §6.4).
pub const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// For each key of a JWKS that carries private or symmetric material: its
/// `kid` (or index) and the offending members.
pub fn leaked_private_members(jwks: &Value) -> Vec<(String, Vec<&'static str>)> {
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        return Vec::new();
    };
    keys.iter()
        .enumerate()
        .filter_map(|(i, k)| {
            let found: Vec<&'static str> = PRIVATE_MEMBERS
                .iter()
                .copied()
                .filter(|m| k.get(m).is_some())
                .collect();
            let symmetric = k.get("kty").and_then(Value::as_str) == Some("oct");
            let mut found = found;
            if symmetric && !found.contains(&"k") {
                found.push("kty:oct");
            }
            (!found.is_empty()).then(|| {
                let name = k
                    .get("kid")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("#{i}"));
                (name, found)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    #[test]
    fn parses_a_token() {
        let h = b64(&json!({"alg": "RS256", "kid": "k1"}));
        let c = b64(&json!({"iss": "https://i", "aud": ["a", "b"], "exp": 5, "iat": 1.5}));
        let t = format!("{h}.{c}.c2ln");
        let j = Jws::parse(&t).unwrap();
        assert_eq!(j.alg(), Some("RS256"));
        assert_eq!(j.kid(), Some("k1"));
        assert_eq!(j.audiences(), vec!["a", "b"]);
        assert_eq!(j.number("exp"), Some(5));
        assert_eq!(j.number("iat"), Some(1));
        assert_eq!(j.signing_input, format!("{h}.{c}"));
    }

    #[test]
    fn rejects_malformed_tokens() {
        assert_eq!(Jws::parse("a.b"), Err(JwtError::Parts(2)));
        assert_eq!(Jws::parse("a.b.c.d"), Err(JwtError::Parts(4)));
        assert_eq!(Jws::parse("!!.e30.x"), Err(JwtError::Base64("header")));
        let arr = URL_SAFE_NO_PAD.encode("[]");
        assert_eq!(
            Jws::parse(&format!("e30.{arr}.")),
            Err(JwtError::Json("claims"))
        );
    }

    #[test]
    fn finds_private_members() {
        let jwks = json!({"keys": [
            {"kty": "RSA", "kid": "pub", "n": "x", "e": "AQAB"},
            {"kty": "RSA", "kid": "priv", "n": "x", "e": "AQAB", "d": "y", "p": "z"},
            {"kty": "oct", "k": "c2VjcmV0"},
        ]});
        assert_eq!(
            leaked_private_members(&jwks),
            vec![
                ("priv".to_string(), vec!["d", "p"]),
                ("#2".to_string(), vec!["k"])
            ]
        );
        assert!(leaked_private_members(&json!({"keys": "no"})).is_empty());
    }

    proptest! {
        #[test]
        fn generated_tokens_round_trip(
            alg in "[A-Z]{2}[0-9]{3}",
            sub in "\\PC{0,40}",
            exp in 0i64..4_000_000_000,
            sig in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let h = b64(&json!({"alg": alg}));
            let c = b64(&json!({"sub": sub, "exp": exp}));
            let s = URL_SAFE_NO_PAD.encode(&sig);
            let j = Jws::parse(&format!("{h}.{c}.{s}")).unwrap();
            prop_assert_eq!(j.alg(), Some(alg.as_str()));
            prop_assert_eq!(j.claims.get("sub").and_then(Value::as_str), Some(sub.as_str()));
            prop_assert_eq!(j.number("exp"), Some(exp));
            prop_assert_eq!(URL_SAFE_NO_PAD.decode(&j.signature).unwrap(), sig);
        }

        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            let _ = Jws::parse(&s);
        }
    }
}

/// OpenID Connect Core §3.1.3.6 `at_hash` (and §3.3.2.11 `c_hash`): the
/// base64url of the left half of the hash of `value`, with the hash of the
/// token's `alg` (SHA-256 for `*256`, SHA-384, SHA-512; EdDSA uses SHA-512).
/// `None` for an algorithm whose hash is not known here.
pub fn left_half_hash(alg: &str, value: &str) -> Option<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::{Digest, Sha256, Sha384, Sha512};
    let digest: Vec<u8> = if alg.ends_with("256") {
        Sha256::digest(value.as_bytes()).to_vec()
    } else if alg.ends_with("384") {
        Sha384::digest(value.as_bytes()).to_vec()
    } else if alg.ends_with("512") || alg == "EdDSA" {
        Sha512::digest(value.as_bytes()).to_vec()
    } else {
        return None;
    };
    Some(URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]))
}

#[cfg(test)]
mod hash_tests {
    use super::left_half_hash;

    #[test]
    fn at_hash_of_the_oidc_core_example() {
        // OpenID Connect Core A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
        // has at_hash "77QmUPtjPfzWtF2AnpK9RQ" under RS256.
        assert_eq!(
            left_half_hash("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y").as_deref(),
            Some("77QmUPtjPfzWtF2AnpK9RQ")
        );
        assert_eq!(left_half_hash("none", "x"), None);
        assert_eq!(left_half_hash("RS384", "x").map(|h| h.len()), Some(32));
    }
}
