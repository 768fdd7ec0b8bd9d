//! A hostile issuer at the TCP level: what wiremock cannot do (never
//! answer, drip, reset, lie about lengths, send non-HTTP bytes). It listens
//! on 127.0.0.1 only, serves a bounded number of connections, holds none
//! longer than [`HOLD`], and stops when dropped.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The longest a connection is held open (a hang, a drip).
pub const HOLD: Duration = Duration::from_secs(30);
/// Connections served before the server stops accepting.
const MAX_CONNECTIONS: usize = 500;
/// The most of a request that is read.
const MAX_REQUEST: usize = 256 * 1024;

/// What the issuer does with one request.
pub enum Reply {
    /// These bytes, then the connection closes.
    Bytes(Vec<u8>),
    /// Accepts and never answers (until [`HOLD`]).
    Hang,
    /// `head`, then `chunk` every `every`, until the client leaves or [`HOLD`].
    Drip {
        head: Vec<u8>,
        chunk: Vec<u8>,
        every: Duration,
    },
    /// These bytes, then a TCP reset instead of the rest.
    Reset(Vec<u8>),
}

/// The request as the issuer saw it.
#[allow(dead_code)] // the catalogue uses them
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The whole request as text (head and body), lossily.
    pub text: String,
}

pub type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

pub struct RawIssuer {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RawIssuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RawIssuer {
    pub async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> RawIssuer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handler: Handler = Arc::new(handler);
        let task = tokio::spawn(async move {
            for _ in 0..MAX_CONNECTIONS {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let h = handler.clone();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(HOLD, serve(socket, h)).await;
                });
            }
        });
        RawIssuer { url, task }
    }
}

async fn serve(mut socket: TcpStream, handler: Handler) {
    let Some(seen) = read_request(&mut socket).await else {
        return;
    };
    match handler(&seen) {
        Reply::Bytes(b) => {
            let _ = socket.write_all(&b).await;
            let _ = socket.shutdown().await;
        }
        Reply::Hang => tokio::time::sleep(HOLD).await,
        Reply::Drip { head, chunk, every } => {
            if socket.write_all(&head).await.is_err() {
                return;
            }
            loop {
                tokio::time::sleep(every).await;
                if socket.write_all(&chunk).await.is_err() {
                    return;
                }
            }
        }
        Reply::Reset(b) => {
            let _ = socket.write_all(&b).await;
            // Deprecated because a non-zero linger blocks on drop; zero
            // does not block, it is how a reset is sent.
            #[allow(deprecated)]
            let _ = socket.set_linger(Some(Duration::ZERO));
            drop(socket);
        }
    }
}

/// Reads one request: the head, then as much body as Content-Length says
/// (both bounded).
async fn read_request(socket: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > MAX_REQUEST {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0)
        .min(MAX_REQUEST);
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut first = head.split_whitespace();
    Some(Seen {
        method: first.next().unwrap_or("").to_string(),
        path: first.next().unwrap_or("").to_string(),
        text: String::from_utf8_lossy(&buf).into_owned(),
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A whole HTTP/1.1 response that closes its connection.
pub fn http(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A JSON response.
pub fn json(status: u16, body: &serde_json::Value) -> Vec<u8> {
    http(
        status,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
}

/// The discovery document of an issuer at `base`.
pub fn discovery(base: &str) -> Vec<u8> {
    json(
        200,
        &serde_json::json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "jwks_uri": format!("{base}/jwks"),
            "grant_types_supported": ["client_credentials", "authorization_code"],
            "code_challenge_methods_supported": ["S256"],
        }),
    )
}

/// An issuer that serves discovery, and `rest` for every other request.
/// The discovery document needs the issuer's own URL, known only once it
/// listens: it is read from the `Host` header.
pub async fn issuer(rest: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> RawIssuer {
    RawIssuer::start(move |seen| {
        if seen.path.starts_with("/.well-known/") {
            let host = seen
                .text
                .lines()
                .find_map(|l| {
                    l.strip_prefix("host: ")
                        .or_else(|| l.strip_prefix("Host: "))
                })
                .unwrap_or("127.0.0.1")
                .trim();
            return Reply::Bytes(discovery(&format!("http://{host}")));
        }
        rest(seen)
    })
    .await
}
