//! JWKS key material, checked before a crypto library sees it.
//!
//! An issuer chooses every byte of its JWKS. jsonwebtoken trusts the sizes:
//! an Ed25519 `x` shorter than 32 bytes panics inside it (issue 14). So
//! each key's material is decoded and measured here first, and a key that
//! could not be a real one is named with the reason, never handed over.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

/// The largest RSA modulus accepted, in bytes (16384 bits): far past any
/// issuer's key, small enough that no verification is slow.
const MAX_RSA_MODULUS: usize = 2048;
/// The largest RSA public exponent, in bytes.
const MAX_RSA_EXPONENT: usize = 8;
/// The largest symmetric key, in bytes.
const MAX_OCT: usize = 1024;

/// Why `key` (one member of a JWKS `keys` array) cannot be a usable public
/// or symmetric key, if it cannot.
pub fn unusable(key: &Value) -> Option<String> {
    let kty = key.get("kty").and_then(Value::as_str)?;
    let crv = key.get("crv").and_then(Value::as_str);
    match (kty, crv) {
        ("OKP", Some("Ed25519")) => sized(key, "x", 32..=32),
        ("OKP", Some(c)) => Some(format!("OKP curve {c} is not one grantcheck can verify")),
        ("EC", Some(c)) => {
            let n = match c {
                "P-256" | "secp256k1" => 32,
                "P-384" => 48,
                "P-521" => 66,
                other => return Some(format!("EC curve {other} is not one grantcheck can verify")),
            };
            sized(key, "x", n..=n).or_else(|| sized(key, "y", n..=n))
        }
        ("RSA", _) => {
            sized(key, "n", 1..=MAX_RSA_MODULUS).or_else(|| sized(key, "e", 1..=MAX_RSA_EXPONENT))
        }
        ("oct", _) => sized(key, "k", 1..=MAX_OCT),
        (kty, None) if kty == "OKP" || kty == "EC" => Some(format!("{kty} key without `crv`")),
        _ => None,
    }
}

/// Why member `name` of `key` is not base64url of a length in `bytes`, if it is not.
fn sized(key: &Value, name: &str, bytes: std::ops::RangeInclusive<usize>) -> Option<String> {
    let Some(text) = key.get(name).and_then(Value::as_str) else {
        return Some(format!("`{name}` is missing or not a string"));
    };
    let Ok(decoded) = URL_SAFE_NO_PAD.decode(text) else {
        return Some(format!("`{name}` is not base64url without padding"));
    };
    let n = decoded.len();
    if bytes.contains(&n) {
        return None;
    }
    let want = match (bytes.start(), bytes.end()) {
        (a, b) if a == b => format!("{a}"),
        (a, b) => format!("{a} to {b}"),
    };
    Some(format!("`{name}` is {n} byte(s), {want} expected"))
}

/// Each key of a JWKS that cannot be used, by index, with the reason.
pub fn unusable_keys(jwks: &Value) -> Vec<(usize, String)> {
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        return Vec::new();
    };
    keys.iter()
        .enumerate()
        .filter_map(|(i, k)| unusable(k).map(|why| (i, why)))
        .collect()
}

/// JWKS-03: how the keys of a set can be told apart. `kid`s are unique;
/// with several keys every one has a `kid` (OIDC Core §10.1); with signing
/// and encryption keys mixed, every key says its `use` (OIDC Discovery §3).
pub fn ambiguity(jwks: &Value) -> Vec<String> {
    let keys = key_list(jwks);
    let mut out = Vec::new();
    let kids: Vec<&str> = keys.iter().filter_map(|k| str_member(k, "kid")).collect();
    for (i, kid) in kids.iter().enumerate() {
        if kids[..i].contains(kid) {
            out.push(format!("kid `{kid}` names more than one key"));
        }
    }
    if keys.len() > 1 && kids.len() < keys.len() {
        out.push(format!(
            "{} of {} keys have no kid",
            keys.len() - kids.len(),
            keys.len()
        ));
    }
    let uses: Vec<Option<&str>> = keys.iter().map(|k| str_member(k, "use")).collect();
    let mixed = uses.contains(&Some("sig")) && uses.contains(&Some("enc"));
    if mixed && uses.contains(&None) {
        out.push("signing and encryption keys are mixed and a key has no `use`".into());
    }
    out
}

/// JWKS-04: keys too weak or inconsistent to trust (RFC 7518 §3.3: RSA
/// moduli of at least 2048 bits; §3.4: an EC key on the curve its `alg`
/// names).
pub fn weakness(jwks: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (i, k) in key_list(jwks).iter().enumerate() {
        let name = str_member(k, "kid").map_or(format!("key {i}"), |kid| format!("key `{kid}`"));
        if str_member(k, "kty") == Some("RSA") {
            if let Some(bits) = modulus_bits(k).filter(|b| *b < 2048) {
                out.push(format!(
                    "{name}: RSA modulus of {bits} bits (2048 at least)"
                ));
            }
        }
        let want = match str_member(k, "alg") {
            Some("ES256") => Some("P-256"),
            Some("ES384") => Some("P-384"),
            Some("ES512") => Some("P-521"),
            _ => None,
        };
        if let (Some(want), crv) = (want, str_member(k, "crv")) {
            if crv != Some(want) {
                out.push(format!(
                    "{name}: alg needs {want}, crv is {}",
                    crv.unwrap_or("absent")
                ));
            }
        }
    }
    out
}

fn key_list(jwks: &Value) -> Vec<&Value> {
    jwks.get("keys")
        .and_then(Value::as_array)
        .map(|ks| ks.iter().collect())
        .unwrap_or_default()
}

fn str_member<'a>(key: &'a Value, name: &str) -> Option<&'a str> {
    key.get(name).and_then(Value::as_str)
}

/// The bit length of an RSA key's `n` (leading zero bits not counted).
fn modulus_bits(key: &Value) -> Option<usize> {
    let n = URL_SAFE_NO_PAD.decode(str_member(key, "n")?).ok()?;
    let first = n.iter().position(|b| *b != 0)?;
    Some((n.len() - first) * 8 - n[first].leading_zeros() as usize)
}

#[cfg(test)]
mod soundness_tests {
    use super::*;
    use serde_json::json;

    fn rsa(kid: &str, bytes: usize) -> Value {
        let mut n = vec![0xffu8; bytes];
        n[0] = 0x80;
        json!({"kty": "RSA", "kid": kid, "use": "sig", "n": URL_SAFE_NO_PAD.encode(n), "e": "AQAB"})
    }

    #[test]
    fn a_sound_set_has_no_findings() {
        let set = json!({"keys": [rsa("a", 256), rsa("b", 384)]});
        assert!(ambiguity(&set).is_empty());
        assert!(weakness(&set).is_empty());
    }

    #[test]
    fn duplicate_and_missing_kids_are_ambiguous() {
        let set = json!({"keys": [rsa("a", 256), rsa("a", 256), {"kty": "RSA", "n": "AQAB", "e": "AQAB"}]});
        let found = ambiguity(&set);
        assert!(
            found.iter().any(|f| f.contains("more than one key")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|f| f.contains("1 of 3 keys have no kid")),
            "{found:?}"
        );
        let mixed = json!({"keys": [rsa("a", 256), {"kty": "RSA", "kid": "e", "use": "enc"}, {"kty": "RSA", "kid": "n"}]});
        assert!(ambiguity(&mixed).iter().any(|f| f.contains("no `use`")));
    }

    #[test]
    fn short_moduli_and_wrong_curves_are_weak() {
        let set = json!({"keys": [rsa("small", 128), {"kty": "EC", "kid": "e", "alg": "ES256", "crv": "P-384"}]});
        let found = weakness(&set);
        assert!(found.iter().any(|f| f.contains("1024 bits")), "{found:?}");
        assert!(
            found.iter().any(|f| f.contains("alg needs P-256")),
            "{found:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn b64(n: usize) -> String {
        URL_SAFE_NO_PAD.encode(vec![7u8; n])
    }

    #[test]
    fn sizes_are_checked_per_key_type() {
        let ok = [
            json!({"kty": "OKP", "crv": "Ed25519", "x": b64(32)}),
            json!({"kty": "EC", "crv": "P-256", "x": b64(32), "y": b64(32)}),
            json!({"kty": "RSA", "n": b64(256), "e": "AQAB"}),
            json!({"kty": "oct", "k": b64(32)}),
            json!({"kty": "something-new"}),
        ];
        for k in ok {
            assert_eq!(unusable(&k), None, "{k}");
        }
        let bad = [
            (
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(3)}),
                "`x` is 3 byte(s), 32 expected",
            ),
            (
                json!({"kty": "OKP", "crv": "Ed25519"}),
                "`x` is missing or not a string",
            ),
            (
                json!({"kty": "OKP", "crv": "Ed25519", "x": "a=b"}),
                "`x` is not base64url without padding",
            ),
            (
                json!({"kty": "EC", "crv": "P-384", "x": b64(48), "y": b64(47)}),
                "`y` is 47 byte(s), 48 expected",
            ),
            (
                json!({"kty": "RSA", "n": "", "e": "AQAB"}),
                "`n` is 0 byte(s), 1 to 2048 expected",
            ),
            (
                json!({"kty": "RSA", "n": b64(4000), "e": "AQAB"}),
                "`n` is 4000 byte(s), 1 to 2048 expected",
            ),
            (
                json!({"kty": "OKP", "crv": "X25519", "x": b64(32)}),
                "OKP curve X25519 is not one grantcheck can verify",
            ),
        ];
        for (k, why) in bad {
            assert_eq!(unusable(&k).as_deref(), Some(why), "{k}");
        }
        let set = json!({"keys": [{"kty": "RSA", "n": b64(256), "e": "AQAB"}, {"kty": "OKP", "crv": "Ed25519", "x": b64(3)}]});
        assert_eq!(
            unusable_keys(&set)
                .iter()
                .map(|(i, _)| *i)
                .collect::<Vec<_>>(),
            vec![1]
        );
    }

    #[cfg(feature = "runtime")]
    proptest! {
        /// Every key that passes has material jsonwebtoken can take
        /// without a panic (it returns an error instead, or verifies).
        #[test]
        fn a_key_that_passes_never_panics_the_verifier(
            kty in prop_oneof![Just("OKP"), Just("EC"), Just("RSA"), Just("oct")],
            crv in prop_oneof![Just("Ed25519"), Just("P-256"), Just("P-384")],
            n in 0usize..80,
            m in 0usize..80,
        ) {
            let key = json!({"kty": kty, "crv": crv, "x": b64(n), "y": b64(m), "n": b64(n), "e": b64(m % 9), "k": b64(n)});
            prop_assume!(unusable(&key).is_none());
            let Ok(jwk) = serde_json::from_value::<jsonwebtoken::jwk::Jwk>(key) else { return Ok(()) };
            let Ok(dk) = jsonwebtoken::DecodingKey::from_jwk(&jwk) else { return Ok(()) };
            for alg in [jsonwebtoken::Algorithm::EdDSA, jsonwebtoken::Algorithm::ES256, jsonwebtoken::Algorithm::RS256, jsonwebtoken::Algorithm::HS256] {
                let _ = jsonwebtoken::crypto::verify("c2ln", b"a.b", &dk, alg);
            }
        }
    }
}
