//! RFC 6238 time-based one-time passwords (HMAC-SHA-1, 6 digits, 30 s), the
//! code an authenticator app shows: what the user agents type into an
//! issuer's one-time-code field for a user whose profile names a TOTP secret.

use hmac::{Hmac, Mac};

/// The code for `secret` (base32, as authenticator apps take it: spaces and
/// case ignored, padding optional) at `unix` seconds.
pub fn code(secret: &str, unix: u64) -> Result<String, String> {
    let key = decode_secret(secret)?;
    Ok(hotp(&key, unix / 30))
}

/// The secret's bytes, or why it is not base32.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, String> {
    let mut s: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .collect();
    s.make_ascii_uppercase();
    let mut spec = data_encoding::Specification::new();
    spec.symbols.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    let b32 = spec.encoding().map_err(|e| e.to_string())?;
    match b32.decode(s.as_bytes()) {
        Ok(k) if !k.is_empty() => Ok(k),
        Ok(_) => Err("the TOTP secret is empty".into()),
        Err(e) => Err(format!("the TOTP secret is not base32 ({e})")),
    }
}

/// RFC 4226 HOTP with 6 digits.
fn hotp(key: &[u8], counter: u64) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    format!("{:06}", bin % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (the last 6 of the 8 digits).
    #[test]
    fn rfc_6238_vectors() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"
        for (t, want) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(code(secret, t).unwrap(), want, "T = {t}");
        }
    }

    #[test]
    fn secrets_are_read_as_apps_read_them() {
        let a = code("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", 59).unwrap();
        assert_eq!(a, "287082");
        assert!(code("not base32!", 0).is_err());
        assert!(code("", 0).is_err());
    }
}
