//! PKCE (RFC 7636): verifiers, S256 challenges and the verifier syntax.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

/// The unreserved alphabet RFC 7636 §4.1 allows in a verifier.
pub const VERIFIER_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`, RFC 7636 §4.2.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A fresh random verifier of `len` characters from the unreserved alphabet.
pub fn generate_verifier(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| VERIFIER_ALPHABET[rng.random_range(0..VERIFIER_ALPHABET.len())] as char)
        .collect()
}

/// Whether `v` is a syntactically valid verifier: 43 to 128 unreserved characters.
pub fn is_valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(|b| VERIFIER_ALPHABET.contains(&b))
}

/// Whether `c` has the shape of an S256 challenge: 43 base64url characters, no padding.
pub fn is_s256_challenge_shape(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 7636 Appendix B.
    #[test]
    fn appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            s256_challenge(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(is_valid_verifier(verifier));
    }

    #[test]
    fn length_bounds() {
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(43))));
    }

    proptest! {
        #[test]
        fn challenge_is_43_base64url(v in "[A-Za-z0-9._~-]{43,128}") {
            let c = s256_challenge(&v);
            prop_assert!(is_s256_challenge_shape(&c));
        }

        #[test]
        fn generated_verifiers_are_valid(len in 43usize..=128) {
            let v = generate_verifier(len);
            prop_assert_eq!(v.len(), len);
            prop_assert!(is_valid_verifier(&v));
        }

        #[test]
        fn distinct_verifiers_distinct_challenges(a in "[a-z]{43}", b in "[a-z]{43}") {
            prop_assume!(a != b);
            prop_assert_ne!(s256_challenge(&a), s256_challenge(&b));
        }
    }
}
