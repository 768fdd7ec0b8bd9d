//! Compact JWS tokens and JWKS inspection (`protocol::jwt`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::{lossy, segments};
use crate::protocol::jwt::{self, Jws, JwtError};

fn check_parsed_jws(token: &str, parsed: &Result<Jws, JwtError>) {
    let parts: Vec<&str> = token.split('.').collect();
    let decode_object = |p: &str| -> Option<Map<String, Value>> {
        match serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        }
    };
    match parsed {
        Ok(j) => {
            assert_eq!(parts.len(), 3);
            assert_eq!(j.signing_input, format!("{}.{}", parts[0], parts[1]));
            assert_eq!(j.signature, parts[2]);
            assert_eq!(decode_object(parts[0]).as_ref(), Some(&j.header));
            assert_eq!(decode_object(parts[1]).as_ref(), Some(&j.claims));
            assert!(URL_SAFE_NO_PAD.decode(&j.signature).is_ok());
            assert_eq!(j.alg(), j.header.get("alg").and_then(Value::as_str));
            assert_eq!(j.kid(), j.header.get("kid").and_then(Value::as_str));
            let auds = j.audiences();
            match j.claims.get("aud") {
                Some(Value::String(s)) => assert_eq!(auds, [s.as_str()]),
                Some(Value::Array(a)) => assert!(auds.len() <= a.len()),
                _ => assert!(auds.is_empty()),
            }
            for c in ["exp", "iat", "nbf", "auth_time"] {
                let n = j.number(c);
                assert_eq!(
                    n.is_some(),
                    j.claims.get(c).is_some_and(Value::is_number),
                    "{c}"
                );
            }
        }
        Err(JwtError::Parts(n)) => {
            assert_eq!(*n, parts.len());
            assert_ne!(*n, 3);
        }
        Err(JwtError::Base64("header")) => assert!(URL_SAFE_NO_PAD.decode(parts[0]).is_err()),
        Err(JwtError::Json("header")) => assert!(decode_object(parts[0]).is_none()),
        Err(JwtError::Base64("claims")) => assert!(URL_SAFE_NO_PAD.decode(parts[1]).is_err()),
        Err(JwtError::Json("claims")) => assert!(decode_object(parts[1]).is_none()),
        Err(JwtError::Base64("signature")) => assert!(URL_SAFE_NO_PAD.decode(parts[2]).is_err()),
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

/// JWT / JWS (`protocol::jwt::Jws::parse`): a parsed token has three parts,
/// its signing input is the first two, its header and claims are the JSON
/// objects its parts encode, and each refusal names the part that is wrong.
/// The input is tried as a token and, split at `0xFF`, as header, claims and
/// signature bytes that are encoded first (so the fuzzer reaches the JSON).
pub fn check_jwt(data: &[u8]) {
    let s = lossy(data);
    check_parsed_jws(&s, &Jws::parse(&s));
    let mut parts = segments(data);
    let (Some(h), Some(c)) = (parts.next(), parts.next()) else {
        return;
    };
    let sig = parts.next().unwrap_or_default();
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(h),
        URL_SAFE_NO_PAD.encode(c),
        URL_SAFE_NO_PAD.encode(sig)
    );
    let parsed = Jws::parse(&token);
    check_parsed_jws(&token, &parsed);
    let object = |b: &[u8]| matches!(serde_json::from_slice(b), Ok(Value::Object(_)));
    assert_eq!(parsed.is_ok(), object(h) && object(c), "{parsed:?}");
}

/// JWKS inspection (`protocol::jwt::leaked_private_members`): one entry per
/// key with private or symmetric material, named by its `kid` or index,
/// listing exactly the members present; once those members are removed (and
/// `oct` keys retyped) nothing is reported.
pub fn check_jwks(data: &[u8]) {
    let Ok(mut jwks) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    // Key sizes (`protocol::jwk`): never a panic, and only keys that exist.
    let n = jwks
        .get("keys")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    assert!(crate::protocol::jwk::unusable_keys(&jwks)
        .iter()
        .all(|(i, _)| *i < n));
    let found = jwt::leaked_private_members(&jwks);
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        assert!(found.is_empty());
        return;
    };
    let mut expected = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let mut members: Vec<&str> = jwt::PRIVATE_MEMBERS
            .iter()
            .copied()
            .filter(|m| k.get(m).is_some())
            .collect();
        if k.get("kty").and_then(Value::as_str) == Some("oct") && !members.contains(&"k") {
            members.push("kty:oct");
        }
        if !members.is_empty() {
            let name = match k.get("kid").and_then(Value::as_str) {
                Some(kid) => kid.to_string(),
                None => format!("#{i}"),
            };
            expected.push((name, members));
        }
    }
    assert_eq!(found, expected);
    if let Some(keys) = jwks.get_mut("keys").and_then(Value::as_array_mut) {
        for k in keys {
            if let Some(o) = k.as_object_mut() {
                for m in jwt::PRIVATE_MEMBERS {
                    o.remove(*m);
                }
                if o.get("kty").and_then(Value::as_str) == Some("oct") {
                    o.insert("kty".into(), Value::String("RSA".into()));
                }
            }
        }
    }
    assert!(jwt::leaked_private_members(&jwks).is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::SEP;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Generated tokens: JSON objects encoded as a JWS always parse.
        #[test]
        fn generated_jws_parse(
            header in proptest::collection::btree_map("[a-z]{1,5}", "[ -~]{0,10}", 0..4),
            claims in proptest::collection::btree_map("[a-z]{1,5}", any::<i64>(), 0..4),
            sig in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut data = serde_json::to_vec(&header).unwrap();
            data.push(SEP);
            data.extend(serde_json::to_vec(&claims).unwrap());
            data.push(SEP);
            data.extend(sig.iter().map(|b| if *b == SEP { 0 } else { *b }));
            check_jwt(&data);
        }
    }
}
