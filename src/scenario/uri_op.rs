//! URI operations for redirect_uri probes: template filters that change one
//! part of a registered URI and nothing else (`{{ clients.c1.redirect_uri |
//! upper_host }}`), so that every adversarial variant is derived from the
//! profile under test instead of being written against a fixture host.
//!
//! The URI is split by hand, not by a URL library: a library would
//! normalise exactly what these operations change (case, default ports,
//! dot segments). A URI that does not split (`com.example.app:/cb`) is
//! returned unchanged, and the runner then refuses the probe as equal to
//! the registered value (a skip, never a vacuous pass).

/// A registered-looking host the probes point at instead.
pub const ATTACKER_HOST: &str = "attacker.grantcheck.invalid";

macro_rules! uri_ops {
    ($( $variant:ident => $name:literal, $doc:literal; )+) => {
        /// One operation on a URI.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum UriOp {
            $( #[doc = $doc] $variant, )+
        }

        impl UriOp {
            pub const ALL: &'static [UriOp] = &[ $( UriOp::$variant, )+ ];
            pub const NAMES: &'static [&'static str] = &[ $( $name, )+ ];

            pub fn name(self) -> &'static str {
                match self { $( UriOp::$variant => $name, )+ }
            }

            pub fn from_name(name: &str) -> Option<UriOp> {
                match name { $( $name => Some(UriOp::$variant), )+ _ => None }
            }
        }
    };
}

uri_ops! {
    UpperScheme => "upper_scheme", "The scheme in upper case (`HTTPS://`).";
    UpperHost => "upper_host", "The host in upper case.";
    MixedCaseHost => "mixed_case_host", "The host's letters in alternating case.";
    UpperPath => "upper_path", "The path in upper case (query and fragment kept).";
    DefaultPort => "default_port", "The scheme's default port written out (`:443`), when there is none.";
    OtherPort => "other_port", "Another port: the current (or default) one plus one.";
    DropPort => "drop_port", "The port removed.";
    TogglePort => "toggle_port", "The default port written out when there is none, the port removed when there is one.";
    Http => "http", "The scheme replaced by `http`.";
    Https => "https", "The scheme replaced by `https`.";
    DotSegmentBefore => "dot_segment_before", "`/evil/..` inserted before the path (normalises back to it).";
    TrailingDot => "trailing_dot", "A trailing dot after the host (`example.com.`).";
    EncodePathLetter => "encode_path_letter", "The path's first letter percent-encoded (`/%63b`).";
    NulHost => "nul_host", "An encoded NUL after the host (`host%00`).";
    TabInHost => "tab_in_host", "A tab inside the host (browsers strip it).";
    NewlineInPath => "newline_in_path", "A newline inside the path.";
    PathParameter => "path_parameter", "A path parameter after the path (`/cb;x`), which servlet containers strip.";
    EncodedPathParameter => "encoded_path_parameter", "An encoded path parameter after the path (`/cb%3Bx`).";
    DoubleEncodedDotSegment => "double_encoded_dot_segment", "`/evil/%252e%252e` before the path: decoded twice, it resolves back to it.";
    EncodedCrlf => "encoded_crlf", "An encoded CR LF after the path (`/cb%0d%0a`), which a matcher dropping control characters ignores.";
    HomoglyphHost => "homoglyph_host", "The host's first a, c, e, o, p, x or y as its Cyrillic lookalike.";
    PunycodeHost => "punycode_host", "The homoglyph host in its IDNA (punycode) form.";
    UserinfoHost => "userinfo_host", "The registered host (and port) as userinfo of the attacker's (`host:port@attacker`).";
    BackslashUserinfo => "backslash_userinfo", "`attacker\\@host`: a backslash some parsers read as a slash.";
    EncodedAt => "encoded_at", "`host%40attacker`: an encoded @ before the attacker's host.";
    BackslashDotHost => "backslash_dot_host", "`host\\.attacker`: a backslash-escaped dot.";
    HostAsSubdomain => "host_as_subdomain", "The registered host as a subdomain of the attacker's.";
    PrefixedHost => "prefixed_host", "A prefix glued to the host (`evilhost`).";
    Subdomain => "subdomain", "A subdomain of the registered host (`x.host`).";
    Localhost => "localhost", "The host replaced by `localhost`.";
    Ipv4Loopback => "ipv4_loopback", "The host replaced by `127.0.0.1`.";
    Ipv6Loopback => "ipv6_loopback", "The host replaced by `[::1]`.";
    OtherLoopback => "other_loopback", "The host replaced by another loopback address, `127.0.0.2`.";
    OtherIpFamily => "other_ip_family", "The loopback literal of the other family: `[::1]` for `127.0.0.1` and any other host, `127.0.0.1` for `[::1]`.";
}

/// `text` put at the end of the path, before any query or fragment.
fn append_to_path(p: &mut Parts, text: &str) {
    let (path, tail) = p.path_and_tail();
    p.rest = format!("{}{text}{tail}", with_slash(path));
}

/// A URI in the parts these operations touch; `rest` is path, query and
/// fragment as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parts {
    pub scheme: String,
    pub userinfo: Option<String>,
    pub host: String,
    pub port: Option<String>,
    pub rest: String,
}

impl Parts {
    pub fn split(uri: &str) -> Option<Parts> {
        let (scheme, after) = uri.split_once("://")?;
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return None;
        }
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u.to_string()), h),
            None => (None, authority),
        };
        let (host, port) = split_port(hostport);
        if host.is_empty() {
            return None;
        }
        Some(Parts {
            scheme: scheme.to_string(),
            userinfo,
            host: host.to_string(),
            port: port.map(str::to_string),
            rest: rest.to_string(),
        })
    }

    pub fn join(&self) -> String {
        let mut s = format!("{}://", self.scheme);
        if let Some(u) = &self.userinfo {
            s.push_str(u);
            s.push('@');
        }
        s.push_str(&self.host);
        if let Some(p) = &self.port {
            s.push(':');
            s.push_str(p);
        }
        s.push_str(&self.rest);
        s
    }

    /// The path alone, and what follows it (`?query#fragment`).
    fn path_and_tail(&self) -> (&str, &str) {
        let at = self.rest.find(['?', '#']).unwrap_or(self.rest.len());
        self.rest.split_at(at)
    }

    fn default_port(&self) -> Option<u16> {
        match self.scheme.to_ascii_lowercase().as_str() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        }
    }
}

/// `host:port` apart; an IPv6 literal keeps its brackets.
fn split_port(hostport: &str) -> (&str, Option<&str>) {
    let host_end = match hostport.strip_prefix('[') {
        Some(inner) => inner.find(']').map(|i| i + 2).unwrap_or(hostport.len()),
        None => hostport.rfind(':').unwrap_or(hostport.len()),
    };
    let (host, tail) = hostport.split_at(host_end.min(hostport.len()));
    match tail.strip_prefix(':') {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (host, Some(p)),
        _ => (hostport, None),
    }
}

fn is_ip(host: &str) -> bool {
    host.starts_with('[') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn homoglyph(c: char) -> Option<char> {
    Some(match c {
        'a' => '\u{430}',
        'c' => '\u{441}',
        'e' => '\u{435}',
        'o' => '\u{43e}',
        'p' => '\u{440}',
        'x' => '\u{445}',
        'y' => '\u{443}',
        _ => return None,
    })
}

fn homoglyph_host(host: &str) -> String {
    let mut done = false;
    host.chars()
        .map(|c| match (done, homoglyph(c)) {
            (false, Some(h)) => {
                done = true;
                h
            }
            _ => c,
        })
        .collect()
}

/// The IDNA (ASCII) form of a host, as a browser would send it.
fn punycode(host: &str) -> String {
    url::Url::parse(&format!("http://{host}/"))
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| host.to_string())
}

impl UriOp {
    /// `uri` with this operation applied, or unchanged when it does not
    /// split or the operation has nothing to change.
    pub fn apply(self, uri: &str) -> String {
        let Some(mut p) = Parts::split(uri) else {
            return uri.to_string();
        };
        self.edit(&mut p);
        p.join()
    }

    fn edit(self, p: &mut Parts) {
        let host = p.host.clone();
        let named = !is_ip(&host);
        match self {
            UriOp::UpperScheme => p.scheme = p.scheme.to_ascii_uppercase(),
            UriOp::UpperHost if named => p.host = host.to_ascii_uppercase(),
            UriOp::MixedCaseHost if named => p.host = mixed_case(&host),
            UriOp::UpperPath => {
                let (path, tail) = p.path_and_tail();
                p.rest = format!("{}{tail}", path.to_ascii_uppercase());
            }
            UriOp::DefaultPort if p.port.is_none() => {
                p.port = p.default_port().map(|d| d.to_string())
            }
            UriOp::OtherPort => {
                let current = p.port.as_deref().and_then(|x| x.parse::<u16>().ok());
                let base = current.or(p.default_port()).unwrap_or(8080);
                p.port = Some(if base == u16::MAX { 1024 } else { base + 1 }.to_string());
            }
            UriOp::DropPort => p.port = None,
            UriOp::TogglePort if p.port.is_some() => p.port = None,
            UriOp::TogglePort => p.port = p.default_port().map(|d| d.to_string()),
            UriOp::Http => p.scheme = "http".into(),
            UriOp::Https => p.scheme = "https".into(),
            UriOp::DotSegmentBefore => p.rest = format!("/evil/..{}", with_slash(&p.rest)),
            UriOp::TrailingDot if named && !host.ends_with('.') => p.host = format!("{host}."),
            UriOp::EncodePathLetter => p.rest = encode_first_letter(p),
            UriOp::NulHost => p.host = format!("{host}%00"),
            UriOp::TabInHost => p.host = insert_after_first(&host, '\t'),
            UriOp::NewlineInPath => {
                let (path, tail) = p.path_and_tail();
                let path = with_slash(path);
                p.rest = format!("{}\n{}{tail}", &path[..1], &path[1..]);
            }
            UriOp::PathParameter => append_to_path(p, ";x"),
            UriOp::EncodedPathParameter => append_to_path(p, "%3Bx"),
            UriOp::DoubleEncodedDotSegment => {
                p.rest = format!("/evil/%252e%252e{}", with_slash(&p.rest))
            }
            UriOp::EncodedCrlf => append_to_path(p, "%0d%0a"),
            UriOp::HomoglyphHost if named => p.host = homoglyph_host(&host),
            UriOp::PunycodeHost if named => p.host = punycode(&homoglyph_host(&host)),
            UriOp::UserinfoHost => {
                // The whole registered authority, port included, as userinfo.
                p.userinfo = Some(match &p.port {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                });
                p.host = ATTACKER_HOST.into();
                p.port = None;
            }
            UriOp::BackslashUserinfo => p.host = format!("{ATTACKER_HOST}\\@{host}"),
            UriOp::EncodedAt => p.host = format!("{host}%40{ATTACKER_HOST}"),
            UriOp::BackslashDotHost => p.host = format!("{host}\\.{ATTACKER_HOST}"),
            UriOp::HostAsSubdomain => p.host = format!("{host}.{ATTACKER_HOST}"),
            UriOp::PrefixedHost => p.host = format!("evil{host}"),
            UriOp::Subdomain if named => p.host = format!("x.{host}"),
            UriOp::Localhost => p.host = "localhost".into(),
            UriOp::Ipv4Loopback => p.host = "127.0.0.1".into(),
            UriOp::Ipv6Loopback => p.host = "[::1]".into(),
            UriOp::OtherLoopback => p.host = "127.0.0.2".into(),
            UriOp::OtherIpFamily => {
                p.host = if host.starts_with('[') {
                    "127.0.0.1"
                } else {
                    "[::1]"
                }
                .into()
            }
            // Nothing to change (an IP has no case, a port is already there).
            _ => {}
        }
    }
}

/// Whether two URIs differ in their port alone (a loopback registration's
/// allowance, RFC 8252 §7.3).
pub fn same_but_port(a: &str, b: &str) -> bool {
    match (Parts::split(a), Parts::split(b)) {
        (Some(mut a), Some(mut b)) => {
            a.port = None;
            b.port = None;
            a == b
        }
        _ => false,
    }
}

/// `uri` with its port set to `port` (the `port(N)` filter): a loopback
/// client's ephemeral port, derived from whatever URI it registered.
pub fn with_port(uri: &str, port: u16) -> String {
    match Parts::split(uri) {
        Some(mut p) => {
            p.port = Some(port.to_string());
            p.join()
        }
        None => uri.to_string(),
    }
}

fn mixed_case(host: &str) -> String {
    let mut upper = true;
    host.chars()
        .map(|c| {
            if !c.is_ascii_alphabetic() {
                return c;
            }
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = !upper;
            out
        })
        .collect()
}

fn with_slash(rest: &str) -> String {
    match rest.starts_with('/') {
        true => rest.to_string(),
        false => format!("/{rest}"),
    }
}

fn insert_after_first(s: &str, c: char) -> String {
    let mut chars = s.chars();
    let first: String = chars.next().into_iter().collect();
    format!("{first}{c}{}", chars.as_str())
}

fn encode_first_letter(p: &Parts) -> String {
    let (path, tail) = p.path_and_tail();
    match path.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, c)) => format!("{}%{:02x}{}{tail}", &path[..i], c as u32, &path[i + 1..]),
        None => p.rest.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const URI: &str = "https://app.example.com/oauth/cb?x=1";

    #[test]
    fn each_operation_changes_only_its_part() {
        let cases = [
            (UriOp::UpperScheme, "HTTPS://app.example.com/oauth/cb?x=1"),
            (UriOp::UpperHost, "https://APP.EXAMPLE.COM/oauth/cb?x=1"),
            (UriOp::MixedCaseHost, "https://ApP.eXaMpLe.CoM/oauth/cb?x=1"),
            (UriOp::UpperPath, "https://app.example.com/OAUTH/CB?x=1"),
            (
                UriOp::DefaultPort,
                "https://app.example.com:443/oauth/cb?x=1",
            ),
            (UriOp::OtherPort, "https://app.example.com:444/oauth/cb?x=1"),
            (UriOp::Http, "http://app.example.com/oauth/cb?x=1"),
            (
                UriOp::DotSegmentBefore,
                "https://app.example.com/evil/../oauth/cb?x=1",
            ),
            (UriOp::TrailingDot, "https://app.example.com./oauth/cb?x=1"),
            (
                UriOp::EncodePathLetter,
                "https://app.example.com/%6fauth/cb?x=1",
            ),
            (UriOp::NulHost, "https://app.example.com%00/oauth/cb?x=1"),
            (
                UriOp::UserinfoHost,
                "https://app.example.com@attacker.grantcheck.invalid/oauth/cb?x=1",
            ),
            (
                UriOp::HostAsSubdomain,
                "https://app.example.com.attacker.grantcheck.invalid/oauth/cb?x=1",
            ),
            (UriOp::Subdomain, "https://x.app.example.com/oauth/cb?x=1"),
            (
                UriOp::HomoglyphHost,
                "https://\u{430}pp.example.com/oauth/cb?x=1",
            ),
        ];
        for (op, want) in cases {
            assert_eq!(op.apply(URI), want, "{}", op.name());
        }
        assert!(UriOp::PunycodeHost.apply(URI).starts_with("https://xn--"));
        assert_eq!(
            UriOp::OtherPort.apply("http://127.0.0.1:53682/callback"),
            "http://127.0.0.1:53683/callback"
        );
        assert_eq!(
            UriOp::Localhost.apply("http://127.0.0.1:53682/callback"),
            "http://localhost:53682/callback"
        );
        assert_eq!(
            UriOp::Ipv6Loopback.apply("http://localhost/cb"),
            "http://[::1]/cb"
        );
        assert_eq!(
            UriOp::OtherLoopback.apply("http://127.0.0.1/cb"),
            "http://127.0.0.2/cb"
        );
        assert_eq!(
            UriOp::OtherIpFamily.apply("http://127.0.0.1/cb"),
            "http://[::1]/cb"
        );
        assert_eq!(
            UriOp::OtherIpFamily.apply("http://[::1]:7/cb"),
            "http://127.0.0.1:7/cb"
        );
        assert_eq!(
            UriOp::Https.apply("http://127.0.0.1:5/cb"),
            "https://127.0.0.1:5/cb"
        );
        // Filters compose: the loopback allowance probed with a port of its own.
        let n1 = "http://127.0.0.1/cb";
        let on_localhost = UriOp::Localhost.apply(&UriOp::OtherPort.apply(n1));
        assert_eq!(on_localhost, "http://localhost:81/cb");
        assert_eq!(
            with_port("http://[::1]:9/cb?q", 49152),
            "http://[::1]:49152/cb?q"
        );
        assert_eq!(with_port("com.example.app:/cb", 1), "com.example.app:/cb");
        assert!(same_but_port("http://[::1]:9/cb", "http://[::1]/cb"));
        assert!(!same_but_port("http://[::1]:9/cb", "HTTP://[::1]/cb"));
        assert!(!same_but_port("com.example.app:/cb", "com.example.app:/cb"));
        assert_eq!(
            UriOp::DropPort.apply("http://[::1]:8080/cb"),
            "http://[::1]/cb"
        );
        assert_eq!(
            UriOp::TogglePort.apply("http://localhost:3000/cb"),
            "http://localhost/cb"
        );
        assert_eq!(
            UriOp::TogglePort.apply("https://a.example/cb"),
            "https://a.example:443/cb"
        );
    }

    #[test]
    fn what_does_not_split_is_left_alone() {
        for uri in ["com.example.app:/cb", "", "https://", "not a uri"] {
            for op in UriOp::ALL {
                assert_eq!(op.apply(uri), uri, "{} on {uri:?}", op.name());
            }
        }
        // An IP literal has no case, no homoglyph and no subdomain.
        let ip = "http://127.0.0.1:9/cb";
        for op in [
            UriOp::UpperHost,
            UriOp::MixedCaseHost,
            UriOp::HomoglyphHost,
            UriOp::Subdomain,
        ] {
            assert_eq!(op.apply(ip), ip, "{}", op.name());
        }
    }

    fn uri() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("https"), Just("http")],
            "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,6}){1,2}",
            proptest::option::of(1024u16..65000),
            "(/[a-z][a-z0-9_-]{0,7}){1,3}",
            proptest::option::of("[a-z]=[0-9]"),
        )
            .prop_map(|(s, h, port, path, q)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                let q = q.map(|q| format!("?{q}")).unwrap_or_default();
                format!("{s}://{h}{port}{path}{q}")
            })
    }

    proptest! {
        #[test]
        fn split_and_join_round_trip(u in uri()) {
            prop_assert_eq!(Parts::split(&u).unwrap().join(), u);
        }

        /// On a named host with a lettered path, every operation yields a
        /// URI that differs from the registered one, and the case-only ones
        /// differ in case only.
        #[test]
        fn every_operation_makes_a_different_uri(u in uri()) {
            for op in UriOp::ALL {
                let out = op.apply(&u);
                let idle = matches!(op, UriOp::DefaultPort | UriOp::DropPort)
                    && Parts::split(&u).unwrap().port.is_some() == matches!(op, UriOp::DefaultPort)
                    || (*op == UriOp::Http && u.starts_with("http:"))
                    || (*op == UriOp::Https && u.starts_with("https:"))
                    || (*op == UriOp::HomoglyphHost || *op == UriOp::PunycodeHost)
                        && !Parts::split(&u).unwrap().host.contains(['a', 'c', 'e', 'o', 'p', 'x', 'y']);
                if !idle {
                    prop_assert_ne!(&out, &u, "{} left {} unchanged", op.name(), u);
                }
            }
            for op in [UriOp::UpperScheme, UriOp::UpperHost, UriOp::MixedCaseHost, UriOp::UpperPath] {
                prop_assert!(op.apply(&u).eq_ignore_ascii_case(&u));
            }
            let p = Parts::split(&UriOp::OtherPort.apply(&u)).unwrap();
            prop_assert_ne!(p.port, Parts::split(&u).unwrap().port);
        }
    }
}
