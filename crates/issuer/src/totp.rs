//! The MFA step's one-time codes (RFC 6238: HMAC-SHA-1, 6 digits, 30 s,
//! one step of clock drift either way). Written apart from grantcheck's own
//! (`protocol::totp`): the oracle shares no code with the client it judges.

use hmac::{Hmac, Mac};

/// A fresh base32 secret, as an authenticator app is given.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::random();
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

/// Whether `code` is the secret's code at `unix`, one step before or after.
pub fn verify(secret: &str, code: &str, unix: u64) -> bool {
    let Ok(key) = data_encoding::BASE32_NOPAD.decode(secret.as_bytes()) else {
        return false;
    };
    let step = unix / 30;
    [step.saturating_sub(1), step, step + 1]
        .iter()
        .any(|s| crate::client_auth::constant_time_eq(at(&key, *s).as_bytes(), code.as_bytes()))
}

fn at(key: &[u8], counter: u64) -> String {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = usize::from(h[h.len() - 1] & 0xf);
    let n = (u32::from(h[o]) & 0x7f) << 24
        | u32::from(h[o + 1]) << 16
        | u32::from(h[o + 2]) << 8
        | u32::from(h[o + 3]);
    format!("{:06}", n % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_vector_and_drift() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert!(verify(secret, "287082", 59));
        assert!(verify(secret, "287082", 59 + 30), "one step late");
        assert!(!verify(secret, "287082", 59 + 90));
        assert!(!verify(secret, "000000", 59));
        assert!(!verify("not base32", "287082", 59));
        assert_eq!(new_secret().len(), 32);
    }
}
