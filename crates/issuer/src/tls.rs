//! The reference issuer over TLS, so that the transport rows (TLS-01..05)
//! can be proven able to fail: a test CA and a server certificate are
//! generated at start (rcgen), connections are served with rustls (TLS 1.2
//! and 1.3, rustls's default suites), and a few faults make the listener
//! behave like the legacy servers those rows look for.
//!
//! One port speaks both: a connection whose first byte is not a TLS
//! handshake record is plain HTTP sent to the https port (the `http://`
//! twin of an endpoint). The conformant listener answers it with a redirect
//! to https without reading its body, so credentials sent there are never
//! processed; [`Fault::TlsPlaintextServed`] serves the application instead.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::faults::Fault;

/// A peer has this long to send its first bytes and finish a handshake: a
/// client that stalls cannot hold a task forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The host names the server certificate is valid for (127.0.0.1 and ::1
/// are added as addresses).
const NAMES: [&str; 1] = ["localhost"];

/// What [`Fault::TlsWrongName`] puts in the certificate instead.
const WRONG_NAME: &str = "wrong-name.invalid";

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot generate the test certificates: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("cannot configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The test CA (its certificate in PEM, for clients to trust) and the
/// server configuration that presents a certificate it signed.
pub struct TestCa {
    pub ca_pem: String,
    config: Arc<rustls::ServerConfig>,
}

impl TestCa {
    /// A fresh CA and a leaf for `localhost` and 127.0.0.1 (or, with
    /// `wrong_name`, for a name no client asks for).
    pub fn generate(wrong_name: bool, tls12_only: bool) -> Result<TestCa, TlsError> {
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "grantcheck reference test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;

        let names: Vec<String> = match wrong_name {
            true => vec![WRONG_NAME.to_string()],
            false => NAMES.iter().map(|s| s.to_string()).collect(),
        };
        let mut leaf = CertificateParams::new(names)?;
        if !wrong_name {
            leaf.subject_alt_names
                .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
            leaf.subject_alt_names
                .push(SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        }
        leaf.distinguished_name
            .push(DnType::CommonName, "grantcheck reference issuer");
        let key = KeyPair::generate()?;
        let cert = leaf.signed_by(&key, &ca)?;

        let chain = vec![cert.der().clone(), CertificateDer::from(ca.der().to_vec())];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&rustls::SupportedProtocolVersion] = match tls12_only {
            true => &[&rustls::version::TLS12],
            false => rustls::DEFAULT_VERSIONS,
        };
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        Ok(TestCa {
            ca_pem: ca.pem(),
            config: Arc::new(config),
        })
    }
}

/// Which legacy behaviours the listener emulates (from the issuer's faults).
#[derive(Clone, Copy, Debug, Default)]
struct Legacy {
    versions: bool,
    weak_suites: bool,
    rsa_key_transport: bool,
    plaintext_served: bool,
}

impl Legacy {
    fn of(faults: &std::collections::BTreeSet<Fault>) -> Legacy {
        Legacy {
            versions: faults.contains(&Fault::TlsLegacyVersions),
            weak_suites: faults.contains(&Fault::TlsWeakSuites),
            rsa_key_transport: faults.contains(&Fault::TlsRsaKeyTransport),
            plaintext_served: faults.contains(&Fault::TlsPlaintextServed),
        }
    }
}

/// A connection handed to the HTTP server: TLS, or (under
/// [`Fault::TlsPlaintextServed`]) plain HTTP on the TLS port.
pub enum Conn {
    Tls(Box<TlsStream<TcpStream>>),
    Plain(TcpStream),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, b),
            Conn::Plain(s) => Pin::new(s).poll_write(cx, b),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// An axum listener whose connections finished their handshake. Handshakes
/// run in their own tasks (a slow peer does not hold up the others) and
/// arrive through a channel; the accepting task ends when this is dropped.
pub struct TlsListener {
    rx: mpsc::Receiver<(Conn, SocketAddr)>,
    addr: SocketAddr,
}

impl TlsListener {
    /// Serves every listener of `listeners` (the same port on 127.0.0.1
    /// and ::1, so that `localhost` has two addresses to race over); the
    /// first one's address is the listener's.
    pub fn new(
        listeners: Vec<TcpListener>,
        ca: &TestCa,
        faults: &std::collections::BTreeSet<Fault>,
        https_base: String,
    ) -> io::Result<TlsListener> {
        let first = listeners
            .first()
            .ok_or_else(|| io::Error::other("no listener"))?;
        let addr = first.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(ca.config.clone());
        let legacy = Legacy::of(faults);
        for listener in listeners {
            let (acceptor, base, tx) = (acceptor.clone(), https_base.clone(), tx.clone());
            tokio::spawn(accept_loop(listener, acceptor, legacy, base, tx));
        }
        Ok(TlsListener { rx, addr })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accepting task only ends when this listener is dropped, so
            // a closed channel cannot be seen here; wait like an idle port.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

type Sender = mpsc::Sender<(Conn, SocketAddr)>;

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    legacy: Legacy,
    https_base: String,
    tx: Sender,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = tx.closed() => return,
        };
        let Ok((stream, peer)) = accepted else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (acceptor, base, tx) = (acceptor.clone(), https_base.clone(), tx.clone());
        tokio::spawn(async move {
            let _ = tokio::time::timeout(
                HANDSHAKE_TIMEOUT,
                connection(stream, peer, acceptor, legacy, base, tx),
            )
            .await;
        });
    }
}

/// Sorts one connection: plain HTTP, a ClientHello a legacy fault answers,
/// or a handshake for rustls.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    legacy: Legacy,
    https_base: String,
    tx: Sender,
) {
    let head = peek_record(&stream).await;
    match head.first() {
        None => {}
        Some(&0x16) => {
            if let Some(reply) = hello::legacy_reply(&head, legacy) {
                // Consume the peeked hello first: closing a socket with
                // unread bytes sends a reset that can discard the reply.
                let mut stream = stream;
                let mut hello = vec![0u8; head.len()];
                let _ = stream.read_exact(&mut hello).await;
                let _ = stream.write_all(&reply).await;
                let _ = stream.shutdown().await;
                return;
            }
            if let Ok(tls) = acceptor.accept(stream).await {
                let _ = tx.send((Conn::Tls(Box::new(tls)), peer)).await;
            }
        }
        Some(_) if legacy.plaintext_served => {
            let _ = tx.send((Conn::Plain(stream), peer)).await;
        }
        Some(_) => redirect_plaintext(stream, &https_base).await,
    }
}

/// The first TLS record (or whatever came first), without consuming it: up
/// to 16 KiB, waiting briefly for a record split over several segments.
async fn peek_record(stream: &TcpStream) -> Vec<u8> {
    let mut buf = vec![0u8; 5 + (1 << 14)];
    let mut seen = 0;
    for _ in 0..100 {
        seen = match stream.peek(&mut buf).await {
            Ok(n) => n,
            Err(_) => return Vec::new(),
        };
        let complete = match buf[..seen] {
            [0x16, _, _, hi, lo, ..] => seen >= 5 + usize::from(u16::from_be_bytes([hi, lo])),
            [] => return Vec::new(),
            [0x16, ..] => false,
            _ => true,
        };
        if complete {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    buf.truncate(seen);
    buf
}

/// Plain HTTP on the TLS port: read the request line only and redirect to
/// the same path over https; the headers and body (where credentials
/// travel) are never read, let alone processed.
async fn redirect_plaintext(mut stream: TcpStream, https_base: &str) {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < 8192 {
        match stream.read(&mut byte).await {
            Ok(1) if byte[0] == b'\n' => break,
            Ok(1) => line.push(byte[0]),
            _ => return,
        }
    }
    let line = String::from_utf8_lossy(&line);
    let path = line
        .split(' ')
        .nth(1)
        .filter(|p| p.starts_with('/') && p.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("/");
    let answer = format!(
        "HTTP/1.1 301 Moved Permanently\r\nLocation: {}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        https_base.trim_end_matches('/')
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
    // Discard what the client still sends (never parsed), briefly and
    // bounded, so that closing does not reset the connection under the
    // redirect before the client read it.
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => continue,
            _ => break,
        }
    }
}

/// The ClientHello sniffing behind the legacy faults. This parser is the
/// issuer's own (the crate shares no code with grantcheck's probe).
mod hello {
    use super::Legacy;

    /// Cipher suites rustls (with ring) can negotiate: a hello offering none
    /// of them fails its handshake.
    const MODERN: [u16; 9] = [
        0x1301, 0x1302, 0x1303, 0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA8, 0xCCA9,
    ];

    /// RSA key transport suites (TLS_RSA_WITH_AES_*).
    const RSA_KX: [u16; 6] = [0x009C, 0x009D, 0x003C, 0x003D, 0x002F, 0x0035];

    struct Hello {
        /// The highest version offered (supported_versions, else the
        /// ClientHello's legacy version).
        max_version: u16,
        suites: Vec<u16>,
    }

    fn u16_at(b: &[u8], at: usize) -> Option<u16> {
        Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
    }

    fn parse(record: &[u8]) -> Option<Hello> {
        // Record header (5), handshake header (4: type 1 and a length).
        if record.get(5) != Some(&1) {
            return None;
        }
        let body = record.get(9..)?;
        let legacy_version = u16_at(body, 0)?;
        let mut at = 2 + 32;
        at += 1 + usize::from(*body.get(at)?);
        let suites_len = usize::from(u16_at(body, at)?);
        let suites = body
            .get(at + 2..at + 2 + suites_len)?
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        at += 2 + suites_len;
        at += 1 + usize::from(*body.get(at)?);
        let mut max_version = legacy_version;
        if let Some(ext_len) = u16_at(body, at) {
            let exts = body.get(at + 2..at + 2 + usize::from(ext_len))?;
            let mut e = 0;
            while let (Some(kind), Some(len)) = (u16_at(exts, e), u16_at(exts, e + 2)) {
                let data = exts.get(e + 4..e + 4 + usize::from(len))?;
                if kind == 0x002b {
                    let listed = data.get(1..).unwrap_or_default().chunks_exact(2);
                    max_version = listed
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .filter(|v| v & 0x0f0f != 0x0a0a) // GREASE
                        .max()
                        .unwrap_or(legacy_version);
                }
                e += 4 + usize::from(len);
            }
        }
        Some(Hello {
            max_version,
            suites,
        })
    }

    /// The ServerHello a legacy server would send to `record`, when a fault
    /// says to accept what rustls refuses: an old version, only suites
    /// rustls does not have, or only RSA key transport. `None`: let rustls
    /// answer.
    pub(super) fn legacy_reply(record: &[u8], legacy: Legacy) -> Option<Vec<u8>> {
        let hello = parse(record)?;
        let first = *hello.suites.first()?;
        let old = hello.max_version < 0x0303;
        let no_modern = !hello.suites.iter().any(|s| MODERN.contains(s));
        let rsa_only = hello.suites.iter().all(|s| RSA_KX.contains(s));
        let version = match (old, no_modern) {
            (true, _) if legacy.versions => hello.max_version.max(0x0300),
            // RSA key transport has a fault of its own.
            (false, true) if legacy.weak_suites && !rsa_only => 0x0303,
            (false, true) if legacy.rsa_key_transport && rsa_only => 0x0303,
            _ => return None,
        };
        Some(server_hello(version, first))
    }

    fn server_hello(version: u16, suite: u16) -> Vec<u8> {
        let mut body = Vec::with_capacity(38);
        body.extend_from_slice(&version.to_be_bytes());
        body.extend(std::iter::repeat_n(0x42, 32)); // random
        body.push(0); // no session id
        body.extend_from_slice(&suite.to_be_bytes());
        body.push(0); // no compression
        let mut hs = vec![2, 0, 0, body.len() as u8];
        hs.extend(body);
        let mut rec = vec![0x16];
        rec.extend_from_slice(&version.to_be_bytes());
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend(hs);
        rec
    }
}

#[cfg(test)]
mod tests {
    use super::Legacy;

    fn legacy_reply(record: &[u8], versions: bool, weak_suites: bool) -> Option<Vec<u8>> {
        let legacy = Legacy {
            versions,
            weak_suites,
            ..Legacy::default()
        };
        super::hello::legacy_reply(record, legacy)
    }

    /// A ClientHello record: `version`, `suites`, and optionally a
    /// supported_versions extension listing `supported`.
    fn client_hello(version: u16, suites: &[u16], supported: &[u16]) -> Vec<u8> {
        let mut body = version.to_be_bytes().to_vec();
        body.extend([0u8; 32]);
        body.push(0);
        body.extend(((suites.len() * 2) as u16).to_be_bytes());
        suites.iter().for_each(|s| body.extend(s.to_be_bytes()));
        body.extend([1, 0]);
        let mut exts = Vec::new();
        if !supported.is_empty() {
            exts.extend([0x00, 0x2b]);
            exts.extend(((supported.len() * 2 + 1) as u16).to_be_bytes());
            exts.push((supported.len() * 2) as u8);
            supported.iter().for_each(|v| exts.extend(v.to_be_bytes()));
        }
        body.extend((exts.len() as u16).to_be_bytes());
        body.extend(exts);
        let mut hs = vec![1, 0];
        hs.extend((body.len() as u16).to_be_bytes());
        hs.extend(body);
        let mut rec = vec![0x16, 3, 1];
        rec.extend((hs.len() as u16).to_be_bytes());
        rec.extend(hs);
        rec
    }

    fn reply_version(r: &[u8]) -> u16 {
        u16::from_be_bytes([r[9], r[10]])
    }

    #[test]
    fn legacy_versions_are_answered_only_under_the_fault() {
        let tls10 = client_hello(0x0301, &[0xC013, 0x002F], &[]);
        assert_eq!(legacy_reply(&tls10, false, true), None);
        let r = legacy_reply(&tls10, true, false).expect("answered");
        assert_eq!(reply_version(&r), 0x0301);
        // A modern client says TLS 1.2 in the legacy field and 1.3 in the
        // extension: never a legacy answer.
        let modern = client_hello(0x0303, &[0x1301, 0xC02F], &[0x0304, 0x0303]);
        assert_eq!(legacy_reply(&modern, true, true), None);
    }

    #[test]
    fn weak_only_hellos_are_answered_only_under_the_fault() {
        let weak = client_hello(0x0303, &[0x0005, 0x000A], &[]);
        assert_eq!(legacy_reply(&weak, true, false), None);
        let r = legacy_reply(&weak, false, true).expect("answered");
        assert_eq!(reply_version(&r), 0x0303);
        assert_eq!(&r[r.len() - 3..r.len() - 1], &[0x00, 0x05]);
        let mixed = client_hello(0x0303, &[0x0005, 0xC02F], &[]);
        assert_eq!(legacy_reply(&mixed, true, true), None);
    }

    #[test]
    fn rsa_key_transport_is_answered_only_under_its_fault() {
        let rsa = client_hello(0x0303, &[0x009C, 0x002F], &[]);
        assert_eq!(legacy_reply(&rsa, true, false), None);
        let legacy = Legacy {
            rsa_key_transport: true,
            ..Legacy::default()
        };
        assert!(super::hello::legacy_reply(&rsa, legacy).is_some());
        let mixed = client_hello(0x0303, &[0x009C, 0xC02F], &[]);
        assert_eq!(super::hello::legacy_reply(&mixed, legacy), None);
    }

    #[test]
    fn garbage_is_never_answered() {
        for bytes in [&b""[..], b"GET / HTTP/1.1\r\n", &[0x16, 3, 1, 0, 2, 1, 0]] {
            assert_eq!(legacy_reply(bytes, true, true), None);
        }
    }

    #[test]
    fn the_test_ca_signs_a_certificate_for_localhost() {
        let ca = super::TestCa::generate(false, false).expect("generated");
        assert!(ca.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    }
}
