//! PKCE (RFC 7636) syntax checks and verification.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    S256,
    /// Only reachable through the `pkce_allow_plain` / `pkce_default_plain`
    /// faults: the conformant profile is S256-only.
    Plain,
}

// The syntax and the transform are the client side's too: one definition.
pub use crate::protocol::pkce::{
    is_s256_challenge_shape as is_valid_s256_challenge, is_valid_verifier, s256_challenge as s256,
};

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
