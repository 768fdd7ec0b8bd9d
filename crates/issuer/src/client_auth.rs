//! Client authentication for the token, introspection and revocation
//! endpoints (RFC 6749 §2.3, App. B).
//!
//! Pure: takes the Authorization header and the body parameters, returns
//! the identified client or a classified failure; the endpoint decides the
//! status code.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::config::{AuthMethod, ClientReg, IssuerConfig};
use super::faults::Fault;
use super::params::{form_decode, Params};

/// Standard alphabet; padding optional, since some clients strip it.
const BASIC_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Equality whose running time does not depend on where the inputs differ
/// (or on their lengths): both sides are hashed first.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let ha = Sha256::digest(a);
    let hb = Sha256::digest(b);
    ha.iter()
        .zip(hb.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[derive(Clone, Copy, Debug)]
pub struct Authenticated<'a> {
    pub client: &'a ClientReg,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthFailure {
    /// `invalid_client` or `invalid_request`.
    pub error: &'static str,
    pub description: &'static str,
    /// An Authorization header was sent: RFC 6749 §5.2 then demands 401
    /// with a matching WWW-Authenticate challenge.
    pub header_used: bool,
}

fn fail(error: &'static str, description: &'static str, header_used: bool) -> AuthFailure {
    AuthFailure {
        error,
        description,
        header_used,
    }
}

/// Decodes `Authorization: Basic ...` into (client_id, secret): base64,
/// split at the FIRST colon (ids cannot contain one once urlencoded, secrets
/// may), then form-urldecode each half (`+` is a space).
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    let (id, secret) = basic_halves(header)?;
    let id = form_decode(id.as_bytes()).ok()?;
    let secret = form_decode(secret.as_bytes()).ok()?;
    if id.is_empty() {
        return None;
    }
    Some((id, secret))
}

/// The `basic_not_form_decoded` fault: id and secret taken as they are
/// after base64, without the form-urldecoding RFC 6749 §2.3.1 asks for.
fn parse_basic_undecoded(header: &str) -> Option<(String, String)> {
    basic_halves(header)
}

/// The two halves of a Basic credential after base64, split at the first colon.
fn basic_halves(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = BASIC_B64.decode(rest.trim_matches(' ')).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// What the endpoint is willing to accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Token endpoint: public clients are identified by `client_id`.
    AllowPublic,
    /// Introspection: only confidential clients may call.
    ConfidentialOnly,
}

/// Identifies and authenticates the client of a back-channel request.
///
/// `authorization` is the Authorization header: `None` when absent,
/// `Some(None)` when present but unusable (non-UTF-8 or repeated).
/// A client by id: exact, or ignoring case under the
/// `client_id_case_insensitive` fault (ADV-32).
fn lookup<'a>(config: &'a IssuerConfig, id: &str) -> Option<&'a ClientReg> {
    match config.has_fault(Fault::ClientIdCaseInsensitive) {
        true => config
            .clients
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(id)),
        false => config.client(id),
    }
}

/// The secret check: constant-time and exact, or under the
/// `secret_compared_loosely` fault trimmed, case-folded and compared as far
/// as the shorter one goes (ADV-33).
fn secret_matches(config: &IssuerConfig, registered: &str, sent: &str) -> bool {
    if !config.has_fault(Fault::SecretComparedLoosely) {
        return constant_time_eq(registered.as_bytes(), sent.as_bytes());
    }
    let (r, s) = (registered.trim(), sent.trim());
    !s.is_empty() && (r.eq_ignore_ascii_case(s) || r.starts_with(s) || s.starts_with(r))
}

pub fn authenticate<'a>(
    config: &'a IssuerConfig,
    authorization: Option<Option<&str>>,
    params: &Params,
    policy: Policy,
) -> Result<Authenticated<'a>, AuthFailure> {
    let last_wins = config.has_fault(Fault::DuplicateParamsLastWins);
    let body_id = params.get("client_id", last_wins);
    let body_secret = params.get("client_secret", last_wins);

    if let Some(header) = authorization {
        let parse = match config.has_fault(Fault::BasicNotFormDecoded) {
            true => parse_basic_undecoded,
            false => parse_basic,
        };
        let Some((id, secret)) = header.and_then(parse) else {
            return Err(fail(
                "invalid_client",
                "malformed or unsupported Authorization header",
                true,
            ));
        };
        // Two credentials in one request: refuse rather than pick one
        // (RFC 6749 §2.3: a client MUST NOT use more than one method).
        let lax = config.has_fault(Fault::BasicIgnoresBodyCredentials);
        if params.has("client_secret") && !lax {
            return Err(fail(
                "invalid_request",
                "client credentials sent both in the Authorization header and in the body",
                true,
            ));
        }
        if body_id.is_some_and(|b| b != id) && !lax {
            return Err(fail(
                "invalid_request",
                "client_id in the body does not match the authenticated client",
                true,
            ));
        }
        let Some(client) = lookup(config, &id) else {
            return Err(fail("invalid_client", "client authentication failed", true));
        };
        let any_method = config.has_fault(Fault::AuthMethodNotBound) && client.secret.is_some();
        if client.auth_method != AuthMethod::ClientSecretBasic && !any_method {
            return Err(fail("invalid_client", "client authentication failed", true));
        }
        let ok = client
            .secret
            .as_deref()
            .is_some_and(|s| secret_matches(config, s, &secret));
        if !ok {
            return Err(fail("invalid_client", "client authentication failed", true));
        }
        return Ok(Authenticated { client });
    }

    let Some(id) = body_id else {
        return Err(fail(
            "invalid_client",
            "client authentication required",
            false,
        ));
    };
    let Some(client) = lookup(config, id) else {
        return Err(fail(
            "invalid_client",
            "client authentication failed",
            false,
        ));
    };
    match client.auth_method {
        AuthMethod::None => {
            // A public client presenting a secret is confused or an
            // impersonation attempt; it never gains rights from it.
            if body_secret.is_some() {
                return Err(fail(
                    "invalid_client",
                    "public clients do not authenticate",
                    false,
                ));
            }
            if policy == Policy::ConfidentialOnly {
                return Err(fail(
                    "invalid_client",
                    "client authentication required",
                    false,
                ));
            }
            Ok(Authenticated { client })
        }
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => {
            let Some(secret) = body_secret else {
                if config.has_fault(Fault::ConfidentialWithoutSecret) {
                    return Ok(Authenticated { client });
                }
                return Err(fail(
                    "invalid_client",
                    "client authentication required",
                    false,
                ));
            };
            let broken = config.has_fault(Fault::ClientSecretPostBroken);
            if (client.auth_method != AuthMethod::ClientSecretPost
                && !config.has_fault(Fault::AuthMethodNotBound))
                || broken
            {
                return Err(fail(
                    "invalid_client",
                    "client authentication failed",
                    false,
                ));
            }
            let ok = client
                .secret
                .as_deref()
                .is_some_and(|s| secret_matches(config, s, secret));
            if !ok {
                return Err(fail(
                    "invalid_client",
                    "client authentication failed",
                    false,
                ));
            }
            Ok(Authenticated { client })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ReferenceSecrets;
    use base64::engine::general_purpose::STANDARD;
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

    fn setup() -> (IssuerConfig, ReferenceSecrets) {
        let s = ReferenceSecrets::random();
        (IssuerConfig::reference(&s), s)
    }

    fn basic(id: &str, secret: &str) -> String {
        let enc = |v: &str| utf8_percent_encode(v, NON_ALPHANUMERIC).to_string();
        format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
        )
    }

    fn p(s: &str) -> Params {
        Params::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn basic_happy_and_x1_encoding() {
        let (cfg, s) = setup();
        let h = basic("c1", &s.c1);
        let a = authenticate(&cfg, Some(Some(&h)), &p(""), Policy::AllowPublic).unwrap();
        assert_eq!(a.client.id, "c1");
        let h = basic("x1", &s.x1);
        let a = authenticate(&cfg, Some(Some(&h)), &p(""), Policy::AllowPublic).unwrap();
        assert_eq!(a.client.id, "x1");
        // `+` encodes a space per App. B.
        let raw = format!(
            "Basic {}",
            STANDARD.encode(format!(
                "x1:{}",
                s.x1.replace('%', "%25")
                    .replace('+', "%2B")
                    .replace(':', "%3A")
                    .replace('&', "%26")
                    .replace(' ', "+")
            ))
        );
        assert!(authenticate(&cfg, Some(Some(&raw)), &p(""), Policy::AllowPublic).is_ok());
        // The raw secret is not accepted (it contains `%` and `+`).
        let raw = format!("Basic {}", STANDARD.encode(format!("x1:{}", s.x1)));
        assert!(authenticate(&cfg, Some(Some(&raw)), &p(""), Policy::AllowPublic).is_err());
    }

    #[test]
    fn basic_failures_are_header_failures() {
        let (cfg, s) = setup();
        for h in [
            basic("c1", "wrong"),
            basic("nobody", "x"),
            basic("c2", &s.c2), // c2 is registered for client_secret_post
            basic("p1", ""),
            "Basic !!!".to_string(),
            "Bearer abc".to_string(),
            "Basic".to_string(),
        ] {
            let e = authenticate(&cfg, Some(Some(&h)), &p(""), Policy::AllowPublic).unwrap_err();
            assert_eq!(e.error, "invalid_client", "{h}");
            assert!(e.header_used);
        }
        let e = authenticate(&cfg, Some(None), &p(""), Policy::AllowPublic).unwrap_err();
        assert_eq!(e.error, "invalid_client");
    }

    #[test]
    fn mixing_methods_is_invalid_request() {
        let (cfg, s) = setup();
        let h = basic("c1", &s.c1);
        let body = format!("client_secret={}", s.c1);
        let e = authenticate(&cfg, Some(Some(&h)), &p(&body), Policy::AllowPublic).unwrap_err();
        assert_eq!(e.error, "invalid_request");
        let e = authenticate(
            &cfg,
            Some(Some(&h)),
            &p("client_id=c2"),
            Policy::AllowPublic,
        )
        .unwrap_err();
        assert_eq!(e.error, "invalid_request");
        assert!(authenticate(
            &cfg,
            Some(Some(&h)),
            &p("client_id=c1"),
            Policy::AllowPublic
        )
        .is_ok());
    }

    #[test]
    fn body_auth() {
        let (cfg, s) = setup();
        let ok = format!("client_id=c2&client_secret={}", s.c2);
        let a = authenticate(&cfg, None, &p(&ok), Policy::AllowPublic).unwrap();
        assert_eq!(a.client.id, "c2");
        for body in [
            "client_id=c2&client_secret=wrong".to_string(),
            "client_id=c1".to_string(),
            "client_id=s1".to_string(),
            format!("client_id=c1&client_secret={}", s.c1), // c1 is Basic-only
            "client_id=p1&client_secret=made-up".to_string(),
            "client_id=nobody".to_string(),
            "client_secret=x".to_string(),
            String::new(),
        ] {
            let e = authenticate(&cfg, None, &p(&body), Policy::AllowPublic).unwrap_err();
            assert_eq!(e.error, "invalid_client", "{body}");
            assert!(!e.header_used);
        }
        let a = authenticate(&cfg, None, &p("client_id=p1"), Policy::AllowPublic).unwrap();
        assert!(a.client.is_public());
        assert!(authenticate(&cfg, None, &p("client_id=p1"), Policy::ConfidentialOnly).is_err());
    }

    #[test]
    fn fault_confidential_without_secret() {
        let (mut cfg, _) = setup();
        cfg.faults.insert(Fault::ConfidentialWithoutSecret);
        assert!(authenticate(&cfg, None, &p("client_id=c1"), Policy::AllowPublic).is_ok());
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
