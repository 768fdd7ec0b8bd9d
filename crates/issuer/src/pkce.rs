//! PKCE (RFC 7636) syntax checks and verification.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    S256,
    /// Only reachable through the `pkce_allow_plain` / `pkce_default_plain`
    /// faults: the conformant profile is S256-only.
    Plain,
}

// Written here again on purpose: the oracle must not share the client
// side's code (a bug in one shared S256 would hide itself from the suite).

/// RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))), no padding.
pub fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
pub fn is_valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// An S256 challenge: 43 base64url characters, no padding.
pub fn is_valid_s256_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A plain challenge is the verifier itself.
pub fn is_valid_plain_challenge(c: &str) -> bool {
    is_valid_verifier(c)
}

/// Does the verifier transform to the stored challenge? Compared in
/// constant time: the challenge is not secret, but it costs nothing.
pub fn verify(method: Method, challenge: &str, verifier: &str) -> bool {
    let derived = match method {
        Method::S256 => s256(verifier),
        Method::Plain => verifier.to_string(),
    };
    super::client_auth::constant_time_eq(derived.as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(s256(v), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(verify(
            Method::S256,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            v
        ));
        assert!(!verify(Method::S256, v, v));
        assert!(verify(Method::Plain, v, v));
    }

    #[test]
    fn verifier_bounds() {
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(is_valid_verifier(&format!("{}-._~", "A".repeat(40))));
        for bad in ['+', '/', '=', ' ', '%', '\u{e9}'] {
            let v = format!("{}{}", "a".repeat(44), bad);
            assert!(!is_valid_verifier(&v), "{bad:?}");
        }
    }

    #[test]
    fn challenge_syntax() {
        let good = s256(&"a".repeat(43));
        assert!(is_valid_s256_challenge(&good));
        assert!(!is_valid_s256_challenge(&format!("{good}=")));
        assert!(!is_valid_s256_challenge(&good[..42]));
        assert!(!is_valid_s256_challenge(&format!("{good}A")));
        assert!(!is_valid_s256_challenge(&good.replace(|_| true, "+")[..43]));
        assert!(!is_valid_s256_challenge(&format!("{}/", &good[..42])));
        assert!(!is_valid_s256_challenge(&format!("{}.", &good[..42])));
    }
}
