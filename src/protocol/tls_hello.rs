//! Hand-built TLS ClientHellos for what rustls will not send (TLS 1.0 and
//! 1.1, weak or RSA key transport suites) and for a TLS 1.3-only offer,
//! and a parser for the first record the server answers with. Enough to
//! ask "does the server accept this?" (TLS-02, -03, -06, -07): the probe
//! never completes a handshake, it reads the ServerHello or the alert and
//! closes. Pure: the bytes in, the reading out.

/// What a probe offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// TLS 1.0 only, with the CBC suites a TLS 1.0 client sends.
    Tls10,
    /// TLS 1.1 only, same suites.
    Tls11,
    /// TLS 1.2 with only NULL, export, RC4, DES/3DES and anonymous suites.
    WeakSuites,
    /// TLS 1.2 with only RSA key transport suites (no forward secrecy).
    RsaKeyTransport,
    /// TLS 1.3 only (supported_versions, an x25519 key share).
    Tls13Only,
}

impl Offer {
    pub fn version(self) -> u16 {
        match self {
            Offer::Tls10 => 0x0301,
            Offer::Tls11 => 0x0302,
            // TLS 1.3 says 1.2 here and the truth in supported_versions.
            Offer::WeakSuites | Offer::RsaKeyTransport | Offer::Tls13Only => 0x0303,
        }
    }

    /// A version probe offers every suite a legacy server might insist on
    /// (the weak ones too), so that only the version can be refused.
    pub fn suites(self) -> Vec<u16> {
        match self {
            Offer::Tls10 | Offer::Tls11 => {
                LEGACY_SUITES.iter().chain(&WEAK_SUITES).copied().collect()
            }
            Offer::WeakSuites => WEAK_SUITES.to_vec(),
            Offer::RsaKeyTransport => RSA_KX_SUITES.to_vec(),
            Offer::Tls13Only => TLS13_SUITES.to_vec(),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Offer::Tls10 => "a TLS 1.0 ClientHello",
            Offer::Tls11 => "a TLS 1.1 ClientHello",
            Offer::WeakSuites => {
                "a TLS 1.2 ClientHello offering only NULL, export, RC4, DES/3DES and anonymous suites"
            }
            Offer::RsaKeyTransport => {
                "a TLS 1.2 ClientHello offering only RSA key transport suites (no forward secrecy)"
            }
            Offer::Tls13Only => "a ClientHello offering TLS 1.3 only",
        }
    }
}

/// Suites a TLS 1.0/1.1 client offers (ECDHE, DHE and RSA key exchange, AES-CBC).
const LEGACY_SUITES: [u16; 8] = [
    0xC013, 0xC014, 0xC009, 0xC00A, 0x0033, 0x0039, 0x002F, 0x0035,
];

/// RSA key transport suites (RFC 9325 §4.2.1, RFC 10015): the session keys
/// are as safe as the server's long-term key, forever.
const RSA_KX_SUITES: [u16; 6] = [0x009C, 0x009D, 0x003C, 0x003D, 0x002F, 0x0035];

/// The TLS 1.3 suites (RFC 8446 §B.4).
const TLS13_SUITES: [u16; 3] = [0x1301, 0x1302, 0x1303];

/// Suites RFC 9325 §4.2 forbids (names in [`suite_name`]).
const WEAK_SUITES: [u16; 22] = [
    0x0001, 0x0002, 0x003B, 0xC006, 0xC010, // NULL
    0x0003, 0x0006, 0x0008, 0x0014, // export
    0x0004, 0x0005, 0xC007, 0xC011, // RC4
    0x0009, 0x000A, 0x0016, 0xC008, 0xC012, // DES, 3DES
    0x0018, 0x0034, 0x003A, 0xC018, // anonymous
];

/// IANA names of the suites grantcheck offers or expects back.
pub fn suite_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0x0001 => "TLS_RSA_WITH_NULL_MD5",
        0x0002 => "TLS_RSA_WITH_NULL_SHA",
        0x003B => "TLS_RSA_WITH_NULL_SHA256",
        0xC006 => "TLS_ECDHE_ECDSA_WITH_NULL_SHA",
        0xC010 => "TLS_ECDHE_RSA_WITH_NULL_SHA",
        0x0003 => "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        0x0006 => "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
        0x0008 => "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
        0x0014 => "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA",
        0x0004 => "TLS_RSA_WITH_RC4_128_MD5",
        0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        0xC007 => "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        0xC011 => "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        0x0009 => "TLS_RSA_WITH_DES_CBC_SHA",
        0x000A => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0016 => "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0xC008 => "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
        0xC012 => "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0x0018 => "TLS_DH_anon_WITH_RC4_128_MD5",
        0x0034 => "TLS_DH_anon_WITH_AES_128_CBC_SHA",
        0x003A => "TLS_DH_anon_WITH_AES_256_CBC_SHA",
        0xC018 => "TLS_ECDH_anon_WITH_AES_128_CBC_SHA",
        0xC013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xC014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xC009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xC00A => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0x002F => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        0x009C => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009D => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x003C => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x003D => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        _ => return None,
    })
}

pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        other => format!("version 0x{other:04x}"),
    }
}

fn alert_name(d: u8) -> String {
    match d {
        0 => "close_notify".into(),
        10 => "unexpected_message".into(),
        40 => "handshake_failure".into(),
        47 => "illegal_parameter".into(),
        50 => "decode_error".into(),
        70 => "protocol_version".into(),
        71 => "insufficient_security".into(),
        80 => "internal_error".into(),
        86 => "inappropriate_fallback".into(),
        112 => "unrecognized_name".into(),
        other => format!("alert {other}"),
    }
}

/// A ClientHello record for `offer`, naming `host` in SNI when it is a DNS
/// name (RFC 6066 §3: never an address). `random` is the client random.
pub fn client_hello(offer: Offer, host: Option<&str>, random: [u8; 32]) -> Vec<u8> {
    let version = offer.version();
    let mut body = Vec::with_capacity(256);
    body.extend_from_slice(&version.to_be_bytes());
    body.extend_from_slice(&random);
    body.push(0); // no session id
    let suites = offer.suites();
    push_u16(&mut body, (suites.len() * 2) as u16);
    for s in &suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // null compression only
    let exts = extensions(host.filter(|h| is_dns_name(h)), offer, &random);
    push_u16(&mut body, exts.len() as u16);
    body.extend(exts);

    let mut hs = vec![1]; // client_hello
    push_u24(&mut hs, body.len());
    hs.extend(body);
    // The record layer says TLS 1.0, as real clients do for compatibility.
    let mut record = vec![0x16, 0x03, 0x01];
    push_u16(&mut record, hs.len() as u16);
    record.extend(hs);
    record
}

/// `signature_algorithms` only from TLS 1.2 up: RFC 5246 §7.4.1.4.1 forbids
/// it in a hello offering less, and a strict server would refuse for that.
/// A TLS 1.3 offer adds supported_versions and a key share (an x25519
/// public value: any 32 bytes are one), derived from `random`.
fn extensions(sni: Option<&str>, offer: Offer, random: &[u8; 32]) -> Vec<u8> {
    let tls12 = offer.version() >= 0x0303;
    let mut out = Vec::new();
    if let Some(h) = sni {
        let name = h.as_bytes();
        let mut list = vec![0]; // host_name
        push_u16(&mut list, name.len() as u16);
        list.extend_from_slice(name);
        let mut data = Vec::new();
        push_u16(&mut data, list.len() as u16);
        data.extend(list);
        push_ext(&mut out, 0x0000, &data);
    }
    // supported_groups: x25519, secp256r1, secp384r1; ec_point_formats:
    // uncompressed; signature_algorithms for TLS 1.2 servers that insist.
    push_ext(
        &mut out,
        0x000a,
        &[0, 6, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18],
    );
    push_ext(&mut out, 0x000b, &[1, 0]);
    if tls12 {
        let algorithms = [0, 8, 0x04, 0x01, 0x04, 0x03, 0x08, 0x04, 0x02, 0x01];
        push_ext(&mut out, 0x000d, &algorithms);
    }
    if offer == Offer::Tls13Only {
        push_ext(&mut out, 0x002b, &[2, 0x03, 0x04]);
        let mut share = vec![0, 36, 0x00, 0x1d, 0, 32];
        share.extend(random.iter().rev());
        push_ext(&mut out, 0x0033, &share);
    }
    push_ext(&mut out, 0xff01, &[0]); // renegotiation_info, empty
    out
}

fn push_ext(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    push_u16(out, kind);
    push_u16(out, data.len() as u16);
    out.extend_from_slice(data);
}

fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn push_u24(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&(v as u32).to_be_bytes()[1..]);
}

/// A host name SNI may carry: letters, digits, `-` and `.`, not an address.
fn is_dns_name(h: &str) -> bool {
    !h.is_empty()
        && h.parse::<std::net::IpAddr>().is_err()
        && !h.starts_with('[')
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// What the server's first bytes said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A ServerHello: the server goes ahead with this version and suite.
    Accepted { version: u16, suite: u16 },
    /// A TLS alert (the usual refusal).
    Alert { fatal: bool, description: u8 },
    /// The connection closed without a byte (another way to refuse).
    Closed,
    /// Something else: plain text, a truncated record, another message.
    Unexpected(String),
}

impl Reply {
    /// The server went ahead with the offer.
    pub fn accepted(&self) -> bool {
        matches!(self, Reply::Accepted { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            Reply::Accepted { version, suite } => format!(
                "accepted: ServerHello with {} and {}",
                version_name(*version),
                suite_name(*suite)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("suite 0x{suite:04x}"))
            ),
            Reply::Alert { fatal, description } => format!(
                "refused: {} alert {}",
                if *fatal { "fatal" } else { "warning" },
                alert_name(*description)
            ),
            Reply::Closed => "refused: the connection closed without an answer".into(),
            Reply::Unexpected(what) => format!("not a TLS answer: {what}"),
        }
    }
}

/// The most of the server's answer a probe keeps: a ServerHello fits many
/// times over, and a server that says more has decided long before.
pub const MAX_REPLY: usize = 4096;

/// What the records so far say: a decision, or `None` when the next bytes
/// could still change it (a record cut short, a ServerHello split over
/// records, or only warning alerts so far). Records are read within their
/// declared lengths; warning alerts (an `unrecognized_name` before a
/// ServerHello, as older servers send) are skipped.
pub fn read_reply(bytes: &[u8]) -> Option<Reply> {
    let mut handshake: Vec<u8> = Vec::new();
    let mut at = 0;
    loop {
        let Some(head) = bytes.get(at..at + 5) else {
            return match (at, bytes.first()) {
                (0, Some(&k)) if k != 0x15 && k != 0x16 => {
                    Some(Reply::Unexpected(printable(bytes)))
                }
                _ => None,
            };
        };
        let kind = head[0];
        if kind != 0x15 && kind != 0x16 {
            return Some(Reply::Unexpected(printable(bytes)));
        }
        let len = usize::from(u16::from_be_bytes([head[3], head[4]]));
        let payload = bytes.get(at + 5..at + 5 + len)?;
        at += 5 + len;
        match kind {
            0x15 => match payload {
                [1, _, ..] => continue,
                [level, description, ..] => {
                    return Some(Reply::Alert {
                        fatal: *level == 2,
                        description: *description,
                    })
                }
                _ => return Some(Reply::Unexpected("a truncated alert".into())),
            },
            // 0x16, a handshake record.
            _ => {
                handshake.extend_from_slice(payload);
                match server_hello(&handshake) {
                    Some(r) => return Some(r),
                    None if handshake.first().is_some_and(|&t| t != 2) => {
                        return Some(Reply::Unexpected(
                            "a handshake message that is not a ServerHello".into(),
                        ))
                    }
                    // Not whole yet: the next record carries the rest.
                    None => continue,
                }
            }
        }
    }
}

/// The reading of everything the server sent before it closed, went
/// quiet or reached [`MAX_REPLY`]: empty means it closed without a word.
pub fn parse_reply(bytes: &[u8]) -> Reply {
    match (bytes.is_empty(), read_reply(bytes)) {
        (true, _) => Reply::Closed,
        (false, Some(r)) => r,
        (false, None) => Reply::Unexpected(format!(
            "{} bytes that end before a ServerHello or an alert",
            bytes.len()
        )),
    }
}

fn server_hello(hs: &[u8]) -> Option<Reply> {
    if *hs.first()? != 2 {
        return None;
    }
    let body = hs.get(4..)?;
    let version = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let sid = usize::from(*body.get(34)?);
    let at = 35 + sid;
    let suite = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]);
    let version = selected_version(body.get(at + 3..).unwrap_or_default()).unwrap_or(version);
    Some(Reply::Accepted { version, suite })
}

/// The version a TLS 1.3 server names in supported_versions (its
/// ServerHello's version field stays 1.2), from the extensions block.
fn selected_version(exts: &[u8]) -> Option<u16> {
    let len = usize::from(u16::from_be_bytes([*exts.first()?, *exts.get(1)?]));
    let mut list = exts.get(2..2 + len)?;
    while list.len() >= 4 {
        let kind = u16::from_be_bytes([list[0], list[1]]);
        let n = usize::from(u16::from_be_bytes([list[2], list[3]]));
        let data = list.get(4..4 + n)?;
        if kind == 0x002b && n == 2 {
            return Some(u16::from_be_bytes([data[0], data[1]]));
        }
        list = &list[4 + n..];
    }
    None
}

/// The first bytes of a non-TLS answer, as text a report can show.
fn printable(bytes: &[u8]) -> String {
    let head: String = bytes
        .iter()
        .take(24)
        .map(|&b| match b {
            b'`' => '\'',
            0x20..=0x7e => b as char,
            _ => '.',
        })
        .collect();
    format!("`{head}`")
}

/// Every offer, for tests and the fuzz check.
pub const ALL_OFFERS: [Offer; 5] = [
    Offer::Tls10,
    Offer::Tls11,
    Offer::WeakSuites,
    Offer::RsaKeyTransport,
    Offer::Tls13Only,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS 1.3 ServerHello says 1.2 in its version field and 1.3 in
    /// supported_versions: the reading says 1.3.
    #[test]
    fn a_tls13_server_hello_is_read_as_tls13() {
        let mut h = vec![2, 0, 0, 0];
        h.extend([3, 3]);
        h.extend([5; 32]);
        h.push(0);
        h.extend([0x13, 0x01, 0]);
        h.extend([0, 6, 0x00, 0x2b, 0, 2, 3, 4]);
        h[3] = (h.len() - 4) as u8;
        let r = parse_reply(&record_of(0x16, &h));
        assert_eq!(
            r,
            Reply::Accepted {
                version: 0x0304,
                suite: 0x1301
            }
        );
        let hello = client_hello(Offer::Tls13Only, None, [3; 32]);
        assert!(hello.windows(7).any(|w| w == [0x00, 0x2b, 0, 3, 2, 3, 4]));
    }
    use proptest::prelude::*;

    fn record_of(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut r = vec![kind, 3, 3];
        push_u16(&mut r, payload.len() as u16);
        r.extend_from_slice(payload);
        r
    }

    #[test]
    fn a_hello_is_one_well_framed_record() {
        for offer in ALL_OFFERS {
            let r = client_hello(offer, Some("issuer.example"), [7; 32]);
            assert_eq!(r[0], 0x16);
            assert_eq!(usize::from(u16::from_be_bytes([r[3], r[4]])), r.len() - 5);
            assert_eq!(r[5], 1, "a client_hello");
            let hs_len = u32::from_be_bytes([0, r[6], r[7], r[8]]) as usize;
            assert_eq!(hs_len, r.len() - 9);
            assert_eq!(u16::from_be_bytes([r[9], r[10]]), offer.version());
            let n = usize::from(u16::from_be_bytes([r[44], r[45]])) / 2;
            assert_eq!(n, offer.suites().len());
            let sni = r.windows(14).any(|w| w == b"issuer.example");
            assert!(sni, "the host name is in SNI");
        }
    }

    #[test]
    fn addresses_are_never_sent_as_sni() {
        let with = client_hello(Offer::Tls10, Some("127.0.0.1"), [0; 32]);
        let without = client_hello(Offer::Tls10, None, [0; 32]);
        assert_eq!(with, without);
    }

    #[test]
    fn every_weak_suite_has_a_name() {
        for s in WEAK_SUITES.iter().chain(&LEGACY_SUITES) {
            assert!(suite_name(*s).is_some(), "0x{s:04x}");
        }
    }

    #[test]
    fn replies_are_read() {
        let alert = record_of(0x15, &[2, 70]);
        assert_eq!(
            parse_reply(&alert),
            Reply::Alert {
                fatal: true,
                description: 70
            }
        );
        assert!(parse_reply(&alert).describe().contains("protocol_version"));
        let mut hello = vec![2, 0, 0, 38, 3, 1];
        hello.extend([9; 32]);
        hello.extend([0, 0x00, 0x05, 0]);
        let accepted = parse_reply(&record_of(0x16, &hello));
        assert_eq!(
            accepted,
            Reply::Accepted {
                version: 0x0301,
                suite: 5
            }
        );
        assert!(accepted.describe().contains("TLS_RSA_WITH_RC4_128_SHA"));
        assert_eq!(parse_reply(b""), Reply::Closed);
        assert!(matches!(
            parse_reply(b"HTTP/1.1 400 Bad Request\r\n"),
            Reply::Unexpected(t) if t.contains("HTTP/1.1 400")
        ));
    }

    fn hello_body(version: u16, suite: u16) -> Vec<u8> {
        let mut h = vec![2, 0, 0, 38];
        h.extend(version.to_be_bytes());
        h.extend([9; 32]);
        h.push(0);
        h.extend(suite.to_be_bytes());
        h.push(0);
        h
    }

    #[test]
    fn reading_waits_for_whole_records() {
        assert_eq!(read_reply(&[0x15]), None);
        assert_eq!(read_reply(&[0x15, 3, 3, 0, 2]), None);
        assert!(read_reply(&[0x15, 3, 3, 0, 2, 2, 70]).is_some());
        assert!(matches!(read_reply(b"HTTP"), Some(Reply::Unexpected(_))));
    }

    /// Older servers warn `unrecognized_name` and then go ahead: still an
    /// acceptance. A ServerHello split over two records is read whole.
    #[test]
    fn warnings_are_skipped_and_fragments_joined() {
        let mut bytes = record_of(0x15, &[1, 112]);
        bytes.extend(record_of(0x16, &hello_body(0x0301, 0x002F)));
        assert!(parse_reply(&bytes).accepted(), "{:?}", parse_reply(&bytes));
        assert_eq!(read_reply(&record_of(0x15, &[1, 112])), None);

        let hello = hello_body(0x0302, 0x0005);
        let mut split = record_of(0x16, &hello[..10]);
        assert_eq!(read_reply(&split), None);
        split.extend(record_of(0x16, &hello[10..]));
        assert_eq!(
            parse_reply(&split),
            Reply::Accepted {
                version: 0x0302,
                suite: 5
            }
        );
        // A record's bytes end where its length says, not later.
        let mut short = record_of(0x16, &hello[..10]);
        short.extend([0x17; 40]);
        assert!(!parse_reply(&short).accepted());
    }

    #[test]
    fn version_probes_offer_no_signature_algorithms() {
        let has_sigalgs = |r: &[u8]| r.windows(2).any(|w| w == [0x00, 0x0d]);
        let tls10 = client_hello(Offer::Tls10, None, [1; 32]);
        let n = usize::from(u16::from_be_bytes([tls10[44], tls10[45]]));
        let after_suites = &tls10[46 + n..];
        assert!(!has_sigalgs(after_suites));
        let weak = client_hello(Offer::WeakSuites, None, [1; 32]);
        let n = usize::from(u16::from_be_bytes([weak[44], weak[45]]));
        assert!(has_sigalgs(&weak[46 + n..]));
    }

    proptest! {
        /// Whatever a hostile server sends, reading it does not panic, and
        /// only a well-formed ServerHello counts as acceptance.
        #[test]
        fn any_reply_is_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let r = parse_reply(&bytes);
            if r.accepted() {
                prop_assert_eq!(bytes[0], 0x16);
                prop_assert!(bytes.len() >= 5 + 4 + 35 + 2);
            }
            let _ = r.describe();
            let _ = read_reply(&bytes);
        }

        #[test]
        fn hellos_frame_any_host(host in "[a-z0-9.-]{0,40}", random in any::<[u8; 32]>()) {
            let r = client_hello(Offer::WeakSuites, Some(&host), random);
            prop_assert_eq!(usize::from(u16::from_be_bytes([r[3], r[4]])), r.len() - 5);
            prop_assert_eq!(&r[11..43], &random[..]);
        }
    }
}
