//! The RS256 signing key, its JWK and ID-token signing.
//!
//! One 2048-bit key per process, shared by every issuer instance: key
//! generation takes seconds in debug builds and the suite starts many
//! issuers (one per fault).

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, RsaPrivateKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

pub struct SigningKey {
    /// Signing goes through ring: RSA signing dominated the self-test's CPU
    /// time with the rsa crate (BENCHMARKS.md). Generation stays with rsa
    /// (ring cannot generate RSA keys).
    signer: RsaKeyPair,
    decoding: DecodingKey,
    pub kid: String,
    /// Public JWK members.
    pub n: String,
    pub e: String,
    /// Private members, published only under the `jwks_leaks_private` fault.
    private: Vec<(&'static str, String)>,
}

static KEY: OnceLock<SigningKey> = OnceLock::new();

fn b64(n: &BigUint) -> String {
    URL_SAFE_NO_PAD.encode(n.to_bytes_be())
}

/// Hex of the first 8 bytes (16 hex chars) of SHA-256 over the public key's
/// SubjectPublicKeyInfo DER: stable for the process, unique per key.
pub fn kid_for(spki_der: &[u8]) -> String {
    Sha256::digest(spki_der)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn generate() -> SigningKey {
    // Generation failure means the OS RNG is broken; nothing sensible can
    // run without a key, so this is the one place a panic is acceptable (it
    // happens at startup, never on request-derived input).
    let key =
        RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key generation failed");
    let der = key.to_pkcs1_der().expect("PKCS#1 encoding failed");
    let spki = key
        .to_public_key()
        .to_public_key_der()
        .expect("SPKI encoding failed");
    let n = b64(key.n());
    let e = b64(key.e());
    let mut private = vec![("d", b64(key.d()))];
    let primes = key.primes();
    if primes.len() >= 2 {
        private.push(("p", b64(&primes[0])));
        private.push(("q", b64(&primes[1])));
    }
    if let (Some(dp), Some(dq)) = (key.dp(), key.dq()) {
        private.push(("dp", b64(dp)));
        private.push(("dq", b64(dq)));
    }
    let decoding = DecodingKey::from_rsa_components(&n, &e).expect("RSA public components");
    SigningKey {
        signer: RsaKeyPair::from_der(der.as_bytes()).expect("ring accepts the PKCS#1 key"),
        decoding,
        kid: kid_for(spki.as_bytes()),
        n,
        e,
        private,
    }
}

pub fn signing_key() -> &'static SigningKey {
    KEY.get_or_init(generate)
}

impl SigningKey {
    pub fn jwk(&self, leak_private: bool) -> Value {
        let mut m = Map::new();
        m.insert("kty".into(), json!("RSA"));
        m.insert("use".into(), json!("sig"));
        m.insert("alg".into(), json!("RS256"));
        m.insert("kid".into(), json!(self.kid));
        m.insert("n".into(), json!(self.n));
        m.insert("e".into(), json!(self.e));
        if leak_private {
            for (name, value) in &self.private {
                m.insert((*name).into(), json!(value));
            }
        }
        Value::Object(m)
    }

    /// RS256 JWS with `kid` and `typ: JWT`.
    pub fn sign(&self, claims: &Value) -> Option<String> {
        self.sign_typed("JWT", claims)
    }

    /// RS256 JWS with `kid` and the given `typ` (`at+jwt` for RFC 9068
    /// access tokens).
    pub fn sign_typed(&self, typ: &str, claims: &Value) -> Option<String> {
        let header = json!({"typ": typ, "alg": "RS256", "kid": self.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0; self.signer.public().modulus_len()];
        self.signer
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .ok()?;
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// Verifies an ID token this issuer signed (used for `id_token_hint`).
    /// Expiry is deliberately not checked: a hint may be an expired token.
    pub fn verify_own(&self, token: &str, issuer: &str) -> Option<Value> {
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&[issuer]);
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != Algorithm::RS256 || header.kid.as_deref() != Some(&self.kid) {
            return None;
        }
        jsonwebtoken::decode::<Value>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }
}

/// An unsigned JWS (`alg: none`), only for the `idt_alg_none` fault.
pub fn unsigned_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// OIDC Core §3.1.3.6: base64url of the left half of SHA-256(access_token).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The whole SHA-256 of `value`, base64url: what the `at_hash_full_digest`
/// fault sends as at_hash.
pub fn sha256_b64(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_is_16_hex() {
        let k = kid_for(b"abc");
        assert_eq!(k, "ba7816bf8f01cfea");
    }

    #[test]
    fn at_hash_is_left_half() {
        // 16 bytes -> 22 base64url chars.
        assert_eq!(at_hash("x").len(), 22);
    }

    #[test]
    fn sign_and_verify_roundtrip() {
        let key = signing_key();
        assert_eq!(key.kid.len(), 16);
        let claims = json!({"iss": "http://i", "sub": "s", "aud": "c1", "exp": 1, "iat": 1});
        let jwt = key.sign(&claims).unwrap();
        assert_eq!(jwt.split('.').count(), 3);
        let back = key.verify_own(&jwt, "http://i").unwrap();
        assert_eq!(back["sub"], "s");
        assert!(key.verify_own(&jwt, "http://other").is_none());
        assert!(key.verify_own(&unsigned_jwt(&claims), "http://i").is_none());
        let jwk = key.jwk(false);
        assert!(jwk.get("d").is_none());
        assert!(key.jwk(true).get("d").is_some());
    }
}
