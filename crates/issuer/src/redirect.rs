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
    pub normalized: bool,
    pub origin_prefix: bool,
    pub path_only: bool,
    pub scheme_ignored: bool,
    pub sent_length: bool,
    pub any_loopback_host: bool,
    pub loopback_hand_parsed: bool,
    pub loopback_origin_only: bool,
    pub loopback_port_exact: bool,
    pub path_params_stripped: bool,
}

/// The `redirect_path_params_stripped` fault's view of a URI: `;params`
/// (and their encoded `%3B` form) removed from every path segment, as
/// servlet containers strip `;jsessionid=`.
fn strip_path_params(uri: &str) -> String {
    let (head, tail) = match uri.find(['?', '#']) {
        Some(i) => uri.split_at(i),
        None => (uri, ""),
    };
    let head = head.replace("%3B", ";").replace("%3b", ";");
    let path: Vec<&str> = head
        .split('/')
        .map(|seg| seg.split(';').next().unwrap_or(""))
        .collect();
    format!("{}{tail}", path.join("/"))
}

/// Does `sent` match the single registered URI?
pub fn uri_matches(registered: &str, sent: &str, mode: MatchMode) -> bool {
    if registered == sent {
        return true;
    }
    if mode.scheme_ignored {
        // Compare as if the sent URI had the registered scheme.
        let swapped = [("https://", "http://"), ("http://", "https://")]
            .iter()
            .find_map(|(from, to)| {
                (registered.starts_with(to))
                    .then(|| sent.strip_prefix(from).map(|rest| format!("{to}{rest}")))
                    .flatten()
            });
        if let Some(s) = swapped {
            let rest = MatchMode {
                scheme_ignored: false,
                ..mode
            };
            if uri_matches(registered, &s, rest) {
                return true;
            }
        }
    }
    if faulty::matches(registered, sent, mode) {
        return true;
    }
    if mode.path_params_stripped && registered == strip_path_params(sent) {
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
        .find(|p| registered.starts_with(**p) && !mode.loopback_port_exact)
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

/// `sent` is `registered` with `:<port>` right after `origin` (in place of
/// the registered port, if any), and everything else byte-identical.
fn port_variant(registered: &str, origin: &str, sent: &str) -> bool {
    let Some(reg_rest) = registered.strip_prefix(origin) else {
        return false;
    };
    // RFC 8252 §7.3: any port, whether the registration names one or not.
    let reg_rest = match reg_rest.strip_prefix(':') {
        Some(p) => p.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => reg_rest,
    };
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

/// The broken matchers the redirect faults switch on. Each mimics a bug
/// class real validators have shipped; none is used by the conformant issuer.
mod faulty {
    use super::MatchMode;
    use percent_encoding::percent_decode_str;

    pub fn matches(registered: &str, sent: &str, mode: MatchMode) -> bool {
        (mode.normalized && normalize(registered).is_some_and(|r| Some(r) == normalize(sent)))
            || (mode.origin_prefix && origin_prefix(registered, sent))
            || (mode.path_only && path_only(registered, sent))
            || (mode.sent_length && !sent.is_empty() && registered.starts_with(sent))
            || (is_loopback_registration(registered)
                && ((mode.any_loopback_host && any_loopback_host(registered, sent))
                    || (mode.loopback_hand_parsed && hand_parsed(registered, sent))
                    || (mode.loopback_origin_only && origin_only(registered, sent))))
    }

    /// What a "canonicalising" validator compares: decode, drop control
    /// characters, parse (which resolves dot segments), drop the trailing
    /// dot of the host.
    fn normalize(uri: &str) -> Option<String> {
        let decoded = percent_decode_str(uri).decode_utf8().ok()?;
        let cleaned: String = decoded.chars().filter(|c| !c.is_control()).collect();
        let mut url = url::Url::parse(&cleaned).ok()?;
        if let Some(h) = url
            .host_str()
            .filter(|h| h.ends_with('.'))
            .map(str::to_string)
        {
            url.set_host(Some(h.trim_end_matches('.'))).ok()?;
        }
        Some(url.to_string())
    }

    /// `scheme://authority` and the rest, split by hand at the first `/`
    /// after the scheme.
    fn split(uri: &str) -> Option<(&str, &str, &str)> {
        let (scheme, rest) = uri.split_once("://")?;
        let cut = rest.find('/').unwrap_or(rest.len());
        Some((scheme, &rest[..cut], &rest[cut..]))
    }

    /// `sent.starts_with("https://c1.example")` plus a path comparison: the
    /// authority after the registered host is never looked at.
    fn origin_prefix(registered: &str, sent: &str) -> bool {
        let (Some((rs, ra, rp)), Some((_, sa, _))) = (split(registered), split(sent)) else {
            return false;
        };
        let origin = format!("{rs}://{ra}");
        // The path as a URL parser sees it (userinfo and all).
        let sent_path = url::Url::parse(sent).map(|u| u.path().to_string());
        sa != ra && sent.starts_with(&origin) && sent_path.is_ok_and(|p| p == rp)
    }

    fn path_only(registered: &str, sent: &str) -> bool {
        match (split(registered), split(sent)) {
            (Some((rs, _, rp)), Some((ss, _, sp))) => rs == ss && rp == sp,
            _ => false,
        }
    }

    fn is_loopback_registration(registered: &str) -> bool {
        super::LOOPBACK_PREFIXES
            .iter()
            .any(|p| registered.starts_with(p))
    }

    /// Scheme, path and query compared; the host may be any loopback name.
    fn any_loopback_host(registered: &str, sent: &str) -> bool {
        let (Ok(r), Ok(s)) = (url::Url::parse(registered), url::Url::parse(sent)) else {
            return false;
        };
        let loopback = match s.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        loopback
            && s.username().is_empty()
            && r.scheme() == s.scheme()
            && r.path() == s.path()
            && r.query() == s.query()
    }

    /// Host read up to the first `:` or `/`; anything between it and the
    /// first `/` is taken for a port.
    fn hand_parsed(registered: &str, sent: &str) -> bool {
        let (Some((rs, _, rp)), Some(rest)) = (split(registered), sent.strip_prefix("http://"))
        else {
            return false;
        };
        let host_end = if rest.starts_with('[') {
            rest.find(']').map(|i| i + 1).unwrap_or(rest.len())
        } else {
            rest.find([':', '/']).unwrap_or(rest.len())
        };
        let host = &rest[..host_end];
        let loopback = host.starts_with("127.") || host == "localhost" || host == "[::1]";
        let path = rest[host_end..].find('/').map(|i| &rest[host_end + i..]);
        rs == "http" && loopback && path == Some(rp)
    }

    fn origin_only(registered: &str, sent: &str) -> bool {
        let (Ok(r), Ok(s)) = (url::Url::parse(registered), url::Url::parse(sent)) else {
            return false;
        };
        r.scheme() == s.scheme() && r.host() == s.host() && s.username().is_empty()
    }
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
    // A registered URI has no control characters; one that only a faulty
    // matcher let through may, and a header value cannot carry them raw.
    let mut out: String = base
        .chars()
        .map(|c| {
            if c.is_control() {
                format!("%{:02X}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect();
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
        normalized: false,
        origin_prefix: false,
        path_only: false,
        scheme_ignored: false,
        sent_length: false,
        any_loopback_host: false,
        loopback_hand_parsed: false,
        loopback_origin_only: false,
        loopback_port_exact: false,
        path_params_stripped: false,
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
        // A registration that names a port gets the allowance too.
        let with_port = "http://[::1]:13151/cb";
        assert!(strict(with_port, "http://[::1]:49152/cb"));
        assert!(!strict(with_port, "http://[::1]:49152/cb2"));
        assert!(!strict(with_port, "http://[::1]:49152:1/cb"));
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
