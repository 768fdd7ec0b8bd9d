//! redirect_uri matching and building of the authorization-response
//! `Location`.
//!
//! Matching is simple string comparison (RFC 9700 §4.1.3, OAuth 2.1 §4.1.1):
//! no parsing, no normalisation, because every normalisation step is a
//! place where validator and browser can disagree (ADV-01..ADV-08). The only
//! relaxation is the RFC 8252 §7.3 loopback rule: for a registered
//! `http://127.0.0.1/...` or `http://[::1]/...` the port may vary.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Loopback literals a registration may use to get the any-port rule.
const LOOPBACK_PREFIXES: &[&str] = &["http://127.0.0.1", "http://[::1]"];

/// Relaxations switched on by faults.
#[derive(Clone, Copy, Debug, Default)]
pub struct MatchMode {
    pub prefix: bool,
    pub case_insensitive: bool,
    pub any_port_everywhere: bool,
}

/// Does `sent` match the single registered URI?
pub fn uri_matches(registered: &str, sent: &str, mode: MatchMode) -> bool {
    if registered == sent {
        return true;
    }
    if mode.prefix && sent.starts_with(registered) {
        return true;
    }
    if mode.case_insensitive && registered.eq_ignore_ascii_case(sent) {
        return true;
    }
    if let Some(origin) = LOOPBACK_PREFIXES
        .iter()
        .find(|p| registered.starts_with(**p))
    {
        if port_variant(registered, origin, sent) {
            return true;
        }
    }
    if mode.any_port_everywhere {
        if let Some(origin) = origin_of(registered) {
            if port_variant(registered, origin, sent) {
                return true;
            }
        }
    }
    false
}

/// The first registered URI that `sent` matches.
pub fn find_match<'a>(registered: &'a [String], sent: &str, mode: MatchMode) -> Option<&'a str> {
    registered
        .iter()
        .find(|r| uri_matches(r, sent, mode))
        .map(String::as_str)
}

/// `scheme://authority` of a registered URI when it has no explicit port.
fn origin_of(registered: &str) -> Option<&str> {
    let after_scheme = registered.find("://")? + 3;
    let end = registered[after_scheme..]
        .find(['/', '?', '#'])
        .map(|i| after_scheme + i)
        .unwrap_or(registered.len());
    let origin = &registered[..end];
    // An explicit port (outside an IPv6 literal) disables the rule.
    let authority = &origin[after_scheme..];
    let host_end = authority.rfind(']').map(|i| i + 1).unwrap_or(0);
    if authority[host_end..].contains(':') {
        return None;
    }
    Some(origin)
}

/// `sent` is `registered` with `:<port>` inserted right after `origin`,
/// and everything else byte-identical.
fn port_variant(registered: &str, origin: &str, sent: &str) -> bool {
    let Some(reg_rest) = registered.strip_prefix(origin) else {
        return false;
    };
    // The registration must not already carry a port for the relaxation.
    if reg_rest.starts_with(':') {
        return false;
    }
    let Some(sent_rest) = sent.strip_prefix(origin) else {
        return false;
    };
    let Some(after_colon) = sent_rest.strip_prefix(':') else {
        return false;
    };
    let digits = after_colon.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 5 {
        return false;
    }
    let port_ok = after_colon[..digits]
        .parse::<u32>()
        .is_ok_and(|p| (1..=65535).contains(&p));
    port_ok && &after_colon[digits..] == reg_rest
}

/// Characters left unencoded in response parameters: RFC 3986 unreserved.
/// Everything else (including space and `+`) is percent-encoded, so that
/// both form decoders and plain RFC 3986 decoders get the exact value back.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Appends response parameters to a validated redirect URI. A registered
/// query is preserved and extended with `&` (RURI-05), never a second `?`.
pub fn build_location(base: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::from(base);
    let mut sep = if base.contains('?') {
        if base.ends_with('?') || base.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    for (name, value) in params {
        out.push_str(sep);
        out.push_str(&encode_component(name));
        out.push('=');
        out.push_str(&encode_component(value));
        sep = "&";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: MatchMode = MatchMode {
        prefix: false,
        case_insensitive: false,
        any_port_everywhere: false,
    };

    fn strict(reg: &str, sent: &str) -> bool {
        uri_matches(reg, sent, STRICT)
    }

    #[test]
    fn exact_only() {
        let reg = "https://c1.example/cb";
        assert!(strict(reg, reg));
        for bad in [
            "https://c1.example/cb/evil",
            "https://c1.example/cb/../evil",
            "https://c1.example/cb%2F..%2Fevil",
            "https://c1.example/cbx",
            "https://c1.example/c",
            "HTTPS://c1.example/cb",
            "https://C1.Example/cb",
            "https://c1.example/CB",
            "https://c1.example/cb/",
            "https://c1.example/cb?",
            "https://c1.example/cb#",
            "https://c1.example/cb%20",
            "https://c1.example./cb",
            "https://c1.example/%63b",
            "https://c1.example@evil.example/cb",
            "https://c1.example/cb#x",
            "https://c1.example/cb?code=ATTACKER",
            "https://c1.example.evil.example/cb",
            "https://c1.example:443/cb",
            "https://c1.example:8443/cb",
            "http://c1.example/cb",
            " https://c1.example/cb",
            "",
        ] {
            assert!(!strict(reg, bad), "{bad} must not match");
        }
    }

    #[test]
    fn loopback_any_port_only() {
        let reg = "http://127.0.0.1/cb";
        assert!(strict(reg, "http://127.0.0.1:49152/cb"));
        assert!(strict(reg, "http://127.0.0.1:65000/cb"));
        assert!(strict(reg, "http://127.0.0.1:1/cb"));
        assert!(strict(reg, reg));
        for bad in [
            "http://127.0.0.1:49152/cb2",
            "http://127.0.0.1:49152/cb/",
            "http://127.0.0.1:/cb",
            "http://127.0.0.1:0/cb",
            "http://127.0.0.1:65536/cb",
            "http://127.0.0.1:123456/cb",
            "http://127.0.0.1:+80/cb",
            "http://127.0.0.1.evil.example:5000/cb",
            "http://localhost:5000/cb",
            "http://127.0.0.2:5000/cb",
            "https://127.0.0.1:5000/cb",
            "http://127.0.0.1:5000@evil.example/cb",
            "http://127.0.0.1:5000/cb?x=1",
        ] {
            assert!(!strict(reg, bad), "{bad} must not match");
        }
        let v6 = "http://[::1]/cb";
        assert!(strict(v6, "http://[::1]:5000/cb"));
        assert!(!strict(v6, "http://[::1]@evil.example/cb"));
        assert!(!strict(v6, "http://[::1]:5000/cb2"));
    }

    #[test]
    fn non_loopback_gets_no_port_relaxation() {
        assert!(!strict(
            "https://c1.example/cb",
            "https://c1.example:5000/cb"
        ));
        assert!(!strict("http://localhost/cb", "http://localhost:5000/cb"));
    }

    #[test]
    fn faulty_modes() {
        let reg = "https://c1.example/cb";
        let prefix = MatchMode {
            prefix: true,
            ..STRICT
        };
        assert!(uri_matches(reg, "https://c1.example/cb/evil", prefix));
        let ci = MatchMode {
            case_insensitive: true,
            ..STRICT
        };
        assert!(uri_matches(reg, "HTTPS://C1.EXAMPLE/cb", ci));
        let ports = MatchMode {
            any_port_everywhere: true,
            ..STRICT
        };
        assert!(uri_matches(reg, "https://c1.example:8443/cb", ports));
        assert!(!uri_matches(reg, "https://c1.example:8443/cb2", ports));
        assert!(uri_matches(
            "https://q1.example/cb?tenant=a",
            "https://q1.example:444/cb?tenant=a",
            ports
        ));
        assert!(!uri_matches(
            "https://h.example:443/cb",
            "https://h.example:443:1/cb",
            ports
        ));
    }

    #[test]
    fn location_encoding() {
        let loc = build_location(
            "https://c1.example/cb",
            &[
                ("code", "abc"),
                ("state", "a b+c&d=e/~\u{e9}.\r\n"),
                ("iss", "http://127.0.0.1:8080"),
            ],
        );
        assert_eq!(
            loc,
            "https://c1.example/cb?code=abc&state=a%20b%2Bc%26d%3De%2F~%C3%A9.%0D%0A&iss=http%3A%2F%2F127.0.0.1%3A8080"
        );
        let q = build_location("https://q1.example/cb?tenant=a", &[("code", "x")]);
        assert_eq!(q, "https://q1.example/cb?tenant=a&code=x");
        assert_eq!(q.matches('?').count(), 1);
    }

    #[test]
    fn location_roundtrips_through_url_parser() {
        let state = "a b+c&d=e/~\u{e9}.%41";
        let loc = build_location("https://q1.example/cb?tenant=a", &[("state", state)]);
        let url = url::Url::parse(&loc).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("tenant".to_string(), "a".to_string()),
                ("state".to_string(), state.to_string())
            ]
        );
    }
}
