//! The recording HTTP client.
//!
//! Every request grantcheck sends goes through [`Http::send`], which never
//! follows redirects (the user agent does that by hand), enforces the connect
//! and total timeouts and the response body cap, respects the per-issuer rate
//! limit, and returns the whole exchange as evidence, including when it failed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::profile::HttpDef;
use crate::report::model::{Exchange, HttpRequest, HttpResponse, TransportError};

/// When a request of a burst was in flight, from the burst's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InFlight {
    pub start: Duration,
    pub end: Duration,
    /// The address the request went to, when the burst was spread over
    /// several (`Http::burst`).
    pub address: Option<SocketAddr>,
}

/// Whether at least two of the requests were in flight at the same moment,
/// as the client saw them: what a race needs at the least. Requests sent
/// one after the other (paced by a rate limit) raced nothing. This proves
/// client-side concurrency only: a server that serialises connections
/// still shows overlapping spans.
pub fn overlapped(spans: &[InFlight]) -> bool {
    let mut sorted = spans.to_vec();
    sorted.sort_by_key(|s| s.start);
    let mut latest_end: Option<Duration> = None;
    for s in sorted {
        if latest_end.is_some_and(|end| s.start < end) {
            return true;
        }
        latest_end = Some(latest_end.map_or(s.end, |e| e.max(s.end)));
    }
    false
}

/// Every exchange a case task has sent so far, raw (unredacted). When the
/// task crashes or is cancelled (deadline, signal) its own evidence is lost
/// with it; the runner keeps this copy outside the task, so the case still
/// shows what was sent (redacted then, `run::case::salvage`).
pub type Journal = Arc<std::sync::Mutex<Vec<Exchange>>>;

tokio::task_local! {
    static JOURNAL: Journal;
}

/// Runs `f` with `journal` receiving a copy of every exchange
/// [`Http::send`] records inside it (not inside tasks it spawns).
pub async fn journaled<F: std::future::Future>(journal: Journal, f: F) -> F::Output {
    JOURNAL.scope(journal, f).await
}

/// What the journal holds for a request sent and not answered yet: if the
/// case is cancelled now, this is its evidence.
const UNANSWERED: &str = "no answer before the case stopped";

/// Journals `req` as unanswered; returns its place, for [`answered`].
fn journal_sent(req: &HttpRequest) -> Option<usize> {
    JOURNAL
        .try_with(|j| {
            let mut list = j.lock().unwrap_or_else(|e| e.into_inner());
            list.push(Exchange {
                request: req.clone(),
                response: None,
                error: Some((TransportError::Other, UNANSWERED.into())),
                elapsed_ms: 0,
                retried: None,
            });
            list.len() - 1
        })
        .ok()
}

/// Replaces the journal's entry at `at` with the whole exchange.
fn journal_answered(at: Option<usize>, ex: &Exchange) {
    let Some(at) = at else { return };
    let _ = JOURNAL.try_with(|j| {
        let mut list = j.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = list.get_mut(at) {
            *slot = ex.clone();
        }
    });
}

/// A body sent in two pieces: all but the last byte at once, the last byte
/// when every request of the burst has sent the rest (the barrier), or
/// after two seconds when one of them cannot (a failed connection must not
/// hold the others forever). The issuer cannot act before the last byte,
/// so the requests reach it together: a race like an attacker's.
fn held_body(body: Vec<u8>, barrier: std::sync::Arc<tokio::sync::Barrier>) -> reqwest::Body {
    use futures_util::StreamExt;
    let mut head = body;
    let tail = head.split_off(head.len() - 1);
    let first = futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) });
    let last = futures_util::stream::once(async move {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), barrier.wait()).await;
        Ok::<_, std::io::Error>(tail)
    });
    reqwest::Body::wrap_stream(first.chain(last))
}

/// A request as grantcheck builds it: every byte explicit.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// A race's release: everything but the body's last byte is sent, and
    /// the last byte waits until every request of the burst got that far
    /// (or two seconds passed), so that they reach the issuer together.
    pub hold_last_byte: Option<std::sync::Arc<tokio::sync::Barrier>>,
}

impl Request {
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: "GET".into(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
            hold_last_byte: None,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// A POST with a form body.
    pub fn form(url: impl Into<String>, body: String) -> Self {
        Self {
            method: "POST".into(),
            url: url.into(),
            headers: vec![(
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: Some(body.into_bytes()),
            hold_last_byte: None,
        }
    }
}

/// Whether `url` points at this machine (127.0.0.0/8, ::1, localhost).
pub fn is_loopback_url(url: &str) -> bool {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    /// Without a connection pool: the one retry after a stale connection.
    fresh: reqwest::Client,
    /// Connections are kept between requests (`[http] pooling`).
    pooling: bool,
    max_body: usize,
    limiter: Option<Arc<RateLimiter>>,
    guard: Option<Arc<crate::profile::ScopeGuard>>,
    /// Refuse every request whose host is not loopback (the embedded and
    /// emulated issuers): nothing of such a run may reach a real host.
    loopback_only: bool,
    /// The settings the clients were built from: a race builds one client
    /// per address of the issuer's host from them.
    cfg: Arc<HttpDef>,
    /// Addresses given for a host instead of resolving it (as curl's
    /// `--resolve`): `with_addresses`.
    given: Arc<std::collections::HashMap<String, Vec<SocketAddr>>>,
    /// Those clients, by host and address, built once.
    pinned: Arc<std::sync::Mutex<std::collections::HashMap<(String, SocketAddr), reqwest::Client>>>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct BuildError(String);

impl Http {
    pub fn new(cfg: &HttpDef) -> Result<Self, BuildError> {
        Self::build(cfg, false)
    }

    /// A client for the embedded and emulated issuers: no proxy, and any
    /// request to a host other than 127.0.0.0/8, ::1 or localhost is refused
    /// before it is sent.
    pub fn new_loopback(cfg: &HttpDef) -> Result<Self, BuildError> {
        Self::build(cfg, true)
    }

    fn build(cfg: &HttpDef, loopback_only: bool) -> Result<Self, BuildError> {
        // reqwest is built with `rustls-no-provider`: the ring provider must be
        // installed before the first client. A second install fails harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let builder = || client_builder(cfg, loopback_only);
        let unpooled = || builder().map(|b| b.pool_max_idle_per_host(0));
        let built = |b: reqwest::ClientBuilder| b.build().map_err(|e| BuildError(e.to_string()));
        let client = built(if cfg.pooling { builder()? } else { unpooled()? })?;
        let fresh = built(unpooled()?)?;
        let limiter =
            (cfg.rate_limit > 0.0).then(|| Arc::new(RateLimiter::new(cfg.rate_limit, cfg.burst)));
        Ok(Self {
            client,
            fresh,
            pooling: cfg.pooling,
            max_body: cfg.max_body_bytes,
            limiter,
            guard: None,
            loopback_only,
            cfg: Arc::new(cfg.clone()),
            given: Default::default(),
            pinned: Default::default(),
        })
    }

    /// Races to `host` go to `addresses` instead of what it resolves to:
    /// a reviewer's list of front ends, or a test on a machine where
    /// `localhost` is one address. Unlike curl's `--resolve`, the ports
    /// only serve to check that an address answers; requests keep the
    /// URL's port.
    pub fn with_addresses(mut self, host: &str, addresses: Vec<SocketAddr>) -> Self {
        let mut given = (*self.given).clone();
        given.insert(host.to_string(), addresses);
        self.given = Arc::new(given);
        self
    }

    /// Refuses, before sending, any request whose `scope` parameter (query
    /// or form body) names a scope the guard forbids.
    pub fn with_guard(mut self, guard: crate::profile::Guard) -> Self {
        // Profiles refuse invalid patterns at load; a hand-built invalid guard
        // must not fail open, so it refuses every scope.
        let compiled = guard.compile().unwrap_or_else(|_| {
            crate::profile::Guard {
                money_scopes: vec!["*".into()],
                allow_scopes: Vec::new(),
            }
            .compile()
            .expect("`*` is a valid pattern")
        });
        self.guard = Some(Arc::new(compiled));
        self
    }

    fn refused(&self, req: &Request) -> Option<String> {
        let guard = self.guard.as_ref()?;
        let query = req.url.split_once('?').map(|(_, q)| q).unwrap_or("");
        let query = query.split('#').next().unwrap_or("");
        let body = req
            .body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        [query, body.as_str()]
            .iter()
            .flat_map(|t| {
                crate::protocol::form::Params::decode(t)
                    .get_all("scope")
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .find_map(|scope| guard.refuses(&scope))
    }

    /// Sends one request and records it (in the task's [`Journal`] too).
    /// Transport failures are part of the exchange (`error`), never a panic
    /// or an `Err`.
    ///
    /// A 429, or a 503 with `Retry-After` (RFC 9110 §10.2.3), is the issuer
    /// asking to be sent the request later, not its answer to it: the
    /// request is sent again after the delay it names (1, 2, 4 s without
    /// one), at most [`MAX_BACKOFFS`] times and [`MAX_BACKOFF`] in all, and
    /// the exchange says so (`retried`).
    pub async fn send(&self, req: Request) -> Exchange {
        let mut waited = Duration::ZERO;
        let mut notes: Vec<String> = Vec::new();
        for attempt in 0.. {
            if let Some(l) = &self.limiter {
                if self.not_sent_because(&req).is_none() {
                    l.wait().await;
                }
            }
            let mut ex = self.send_unpaced(req.clone()).await;
            match backoff(&ex, attempt, waited) {
                Some((delay, note)) => {
                    notes.push(note);
                    waited += delay;
                    tokio::time::sleep(delay).await;
                }
                None => {
                    if !notes.is_empty() {
                        notes.extend(ex.retried.take());
                        ex.retried = Some(notes.join("; "));
                    }
                    return ex;
                }
            }
        }
        unreachable!("the loop returns")
    }

    /// Sends `n` copies of `req` at once, for a race: the rate limit is
    /// waited for once, then the burst goes out unpaced (a race spaced by
    /// the limiter would prove nothing). Each exchange comes with when it was
    /// in flight, relative to the burst's start, so the caller can tell
    /// whether the requests overlapped.
    pub async fn burst(&self, req: Request, n: u32) -> Vec<(InFlight, Exchange)> {
        if let Some(l) = &self.limiter {
            l.wait().await;
        }
        let base = Instant::now();
        // The case's journal follows the burst into its tasks, so a race cut
        // off by the deadline keeps its evidence.
        let journal = JOURNAL.try_with(|j| j.clone()).ok();
        let mut req = req;
        if req.body.as_ref().is_some_and(|b| !b.is_empty()) {
            req.hold_last_byte = Some(std::sync::Arc::new(tokio::sync::Barrier::new(n as usize)));
        }
        // Spread over every address of the host that answers, as an
        // attacker would: behind several front ends, two requests to one
        // may be serialised where requests to two are not.
        let addresses = self.race_addresses(&req.url).await;
        let mut set = tokio::task::JoinSet::new();
        for i in 0..n as usize {
            let address = (!addresses.is_empty()).then(|| addresses[i % addresses.len()]);
            let http = match address {
                Some(a) => self.pinned_to(&req.url, a),
                None => self.clone(),
            };
            let (r, journal) = (req.clone(), journal.clone());
            set.spawn(async move {
                let start = base.elapsed();
                let ex = match journal {
                    Some(j) => journaled(j, http.send_unpaced(r)).await,
                    None => http.send_unpaced(r).await,
                };
                let end = base.elapsed();
                (
                    InFlight {
                        start,
                        end,
                        address,
                    },
                    ex,
                )
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = set.join_next().await {
            // A send never panics; a task that did is left out, and the
            // caller sees fewer exchanges than it asked for.
            if let Ok(pair) = joined {
                out.push(pair);
            }
        }
        out
    }

    /// The addresses of `url`'s host that accept a connection, when there
    /// are two or more (a race then sends to each in turn); empty when the
    /// host is an address, resolves to one, or only one answers.
    pub async fn race_addresses(&self, url: &str) -> Vec<SocketAddr> {
        let Some((host, port)) = host_and_port(url) else {
            return Vec::new();
        };
        if host.parse::<std::net::IpAddr>().is_ok() || self.refuses_url(url).is_some() {
            return Vec::new();
        }
        let wait = Duration::from_millis(self.cfg.connect_timeout_ms);
        let lookup = tokio::time::timeout(wait, tokio::net::lookup_host((host.as_str(), port)));
        let resolved = match self.given.get(&host) {
            Some(given) => given.clone(),
            None => match lookup.await {
                Ok(Ok(addrs)) => addrs.collect::<Vec<_>>(),
                _ => return Vec::new(),
            },
        };
        let mut distinct: Vec<SocketAddr> = Vec::new();
        for a in resolved.into_iter().take(8) {
            if !distinct.contains(&a) {
                distinct.push(a);
            }
        }
        if distinct.len() < 2 {
            return Vec::new();
        }
        let probes = distinct.iter().map(|a| async move {
            let ok = tokio::time::timeout(wait, tokio::net::TcpStream::connect(a)).await;
            matches!(ok, Ok(Ok(_))).then_some(*a)
        });
        let answering: Vec<SocketAddr> = futures_util::future::join_all(probes)
            .await
            .into_iter()
            .flatten()
            .collect();
        match answering.len() {
            0 | 1 => Vec::new(),
            _ => answering,
        }
    }

    /// This client, with `url`'s host resolved to `address` only.
    fn pinned_to(&self, url: &str, address: SocketAddr) -> Http {
        let Some((host, _)) = host_and_port(url) else {
            return self.clone();
        };
        let mut cache = self.pinned.lock().unwrap_or_else(|p| p.into_inner());
        let key = (host.clone(), address);
        let client = match cache.get(&key) {
            Some(c) => c.clone(),
            None => {
                let built = client_builder(&self.cfg, self.loopback_only).and_then(|b| {
                    b.resolve(&host, address)
                        .build()
                        .map_err(|e| BuildError(e.to_string()))
                });
                match built {
                    Ok(c) => {
                        cache.insert(key, c.clone());
                        c
                    }
                    // Built once already with the same settings: cannot
                    // fail here; if it did, the unpinned client still races.
                    Err(_) => return self.clone(),
                }
            }
        };
        Http {
            client,
            ..self.clone()
        }
    }

    async fn send_unpaced(&self, req: Request) -> Exchange {
        let recorded = HttpRequest {
            method: req.method.clone(),
            url: req.url.clone(),
            headers: req.headers.clone(),
            body: req
                .body
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
        };
        let at = journal_sent(&recorded);
        let ex = self.exchange(req, recorded).await;
        journal_answered(at, &ex);
        ex
    }

    async fn exchange(&self, req: Request, recorded: HttpRequest) -> Exchange {
        if let Some(why) = self.not_sent_because(&req) {
            return Exchange {
                request: recorded,
                response: None,
                error: Some((TransportError::Guarded, why)),
                elapsed_ms: 0,
                retried: None,
            };
        }
        let start = Instant::now();
        let mut outcome = self.attempt(&self.client, req.clone()).await;
        let mut retried = None;
        // Only a request that may be sent twice: a POST the issuer already
        // handled (a code redeemed) would corrupt the verdict when repeated.
        let repeatable = self.pooling && matches!(req.method.as_str(), "GET" | "HEAD");
        if let Err((kind, msg, None)) = &outcome {
            if repeatable && is_stale_connection(*kind, msg) {
                retried = Some(format!("sent again on a fresh connection after: {msg}"));
                outcome = self.attempt(&self.fresh, req).await;
            }
        }
        let elapsed_ms = start.elapsed().as_millis() as u64;
        let (response, error) = match outcome {
            Ok(r) => (Some(r), None),
            Err((kind, msg, response)) => (response, Some((kind, msg))),
        };
        Exchange {
            request: recorded,
            response,
            error,
            elapsed_ms,
            retried,
        }
    }

    /// One try on `client`: the request, then the whole response.
    async fn attempt(
        &self,
        client: &reqwest::Client,
        req: Request,
    ) -> Result<HttpResponse, Failure> {
        let resp = self.transmit(client, req).await?;
        self.read_response(resp).await
    }

    /// Why a connection to `url` must not be made, if so (the raw TLS
    /// probes open their own sockets and ask first).
    pub fn refuses_url(&self, url: &str) -> Option<String> {
        self.not_sent_because(&Request::get(url))
    }

    /// Why `req` must not leave this client, if so: a host that is not
    /// loopback in a loopback-only run, or a scope the guard refuses.
    fn not_sent_because(&self, req: &Request) -> Option<String> {
        if self.loopback_only && !is_loopback_url(&req.url) {
            return Some(
                "not sent: this run talks only to the local reference issuer, and the URL is not loopback".into(),
            );
        }
        self.refused(req).map(|scope| {
            format!("not sent: scope `{scope}` can move money; the profile's [guard] allow_scopes must name it")
        })
    }

    /// Turns `req` into a reqwest request and sends it, up to the response head.
    async fn transmit(
        &self,
        client: &reqwest::Client,
        req: Request,
    ) -> Result<reqwest::Response, Failure> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| (TransportError::BadUrl, format!("bad method: {e}"), None))?;
        let url = reqwest::Url::parse(&req.url).map_err(|e| {
            (
                TransportError::BadUrl,
                format!("bad URL {}: {e}", req.url),
                None,
            )
        })?;
        let mut builder = client.request(method, url);
        for (n, v) in &req.headers {
            builder = builder.header(n.as_str(), v.as_str());
        }
        match (req.body, req.hold_last_byte) {
            (Some(b), Some(barrier)) if !b.is_empty() => {
                builder = builder
                    .header("content-length", b.len().to_string())
                    .body(held_body(b, barrier));
            }
            (Some(b), _) => builder = builder.body(b),
            (None, _) => {}
        }
        builder.send().await.map_err(|e| {
            let kind = if e.is_timeout() {
                TransportError::Timeout
            } else if e.is_connect() {
                TransportError::Connect
            } else {
                TransportError::Other
            };
            (kind, error_chain(&e), None)
        })
    }

    /// Reads the status, headers and body of `resp` as evidence; past the
    /// body cap, or when reading fails, the part read so far goes with the error.
    async fn read_response(&self, mut resp: reqwest::Response) -> Result<HttpResponse, Failure> {
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if body.len() > self.max_body {
                        let r = response(status, headers, &body);
                        return Err((
                            TransportError::BodyTooLarge,
                            format!(
                                "the response body exceeds the cap of {} bytes",
                                self.max_body
                            ),
                            Some(r),
                        ));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let kind = if e.is_timeout() {
                        TransportError::Timeout
                    } else {
                        TransportError::Other
                    };
                    let r = response(status, headers, &body);
                    return Err((
                        kind,
                        format!("reading the body: {}", error_chain(&e)),
                        Some(r),
                    ));
                }
            }
        }
        Ok(response(status, headers, &body))
    }
}

/// A request that died before any response byte on a connection the issuer
/// had closed: a pooled connection gone stale, not an answer of the issuer.
/// Timeouts and refused connections are answers of a kind and are not
/// retried; neither is anything but a GET or HEAD (the caller checks).
fn is_stale_connection(kind: TransportError, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    kind == TransportError::Other
        && [
            "connection closed before message completed",
            "connection reset",
            "broken pipe",
            "incompletemessage",
        ]
        .iter()
        .any(|s| m.contains(s))
}

/// A transport failure: its kind, the message, and the response when its
/// head had arrived.
type Failure = (TransportError, String, Option<HttpResponse>);

/// The whole body read (up to the `[http] max_body_bytes` cap): the checks
/// see all of it; the stored evidence is cut later, after redaction
/// (`report::redact::Redactor::exchange`).
fn response(status: u16, headers: Vec<(String, String)>, body: &[u8]) -> HttpResponse {
    HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(body).into_owned(),
        truncated: false,
    }
}

/// The client settings every request of a run shares: no redirects
/// followed, the profile's timeouts, its CA file besides the platform's
/// roots, no proxy for loopback-only runs.
fn client_builder(
    cfg: &HttpDef,
    loopback_only: bool,
) -> Result<reqwest::ClientBuilder, BuildError> {
    let roots = match &cfg.ca_pem {
        Some(pem) => reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| BuildError(format!("[http] ca_file: {e}")))?,
        None => Vec::new(),
    };
    let b = reqwest::Client::builder()
        .tls_certs_merge(roots)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_millis(cfg.connect_timeout_ms))
        .timeout(Duration::from_millis(cfg.timeout_ms))
        .user_agent(concat!("grantcheck/", env!("CARGO_PKG_VERSION")));
    Ok(match loopback_only {
        true => b.no_proxy(),
        false => b,
    })
}

/// The host (brackets removed) and port of `url`.
fn host_and_port(url: &str) -> Option<(String, u16)> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?.trim_matches(['[', ']']).to_string();
    Some((host, u.port_or_known_default()?))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Spaces requests to one issuer evenly: at most `per_second` start each second.
/// Times a request asked to wait (429, 503 with Retry-After) is sent again.
pub const MAX_BACKOFFS: u32 = 3;
/// The most a request waits for an issuer that asks it to, in all.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15);

/// How long to wait before sending again the request `ex` records, and the
/// note for the evidence; `None` to keep its answer.
fn backoff(ex: &Exchange, attempt: u32, waited: Duration) -> Option<(Duration, String)> {
    let r = ex.response.as_ref()?;
    let after = r
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let delay = match (r.status, after) {
        (429, None) => Duration::from_secs(1 << attempt.min(4)),
        (429 | 503, Some(s)) => Duration::from_secs(s),
        _ => return None,
    };
    (attempt < MAX_BACKOFFS && delay <= MAX_BACKOFF.saturating_sub(waited)).then(|| {
        let said = after.map_or(String::new(), |s| format!(" with Retry-After: {s}"));
        (
            delay,
            format!(
                "answered {}{said}; sent again after {} s",
                r.status,
                delay.as_secs()
            ),
        )
    })
}

pub struct RateLimiter {
    interval: Duration,
    /// How far ahead of the steady pace a request may go: (burst - 1) intervals.
    tolerance: Duration,
    /// The theoretical arrival time of the next request at the steady pace.
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl RateLimiter {
    /// `per_second` on average, up to `burst` at once after a quiet spell
    /// (a token bucket, in its virtual-scheduling form).
    pub fn new(per_second: f64, burst: u32) -> Self {
        let interval = Duration::from_secs_f64(1.0 / per_second);
        Self {
            interval,
            tolerance: interval * burst.max(1).saturating_sub(1),
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    pub async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let tat = (*next).max(now);
            *next = tat + self.interval;
            tat.checked_sub(self.tolerance).map_or(now, |t| t.max(now))
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod loopback_tests {
    use super::is_loopback_url;

    #[test]
    fn only_this_machine_is_loopback() {
        for u in [
            "http://127.0.0.1:8787/token",
            "http://127.9.9.9/x",
            "http://[::1]:1/",
            "http://LOCALHOST/",
        ] {
            assert!(is_loopback_url(u), "{u}");
        }
        for u in [
            "https://api.sandbox.busha.so/v1/balances",
            "http://127.0.0.1.evil.example/",
            "http://10.0.0.1/",
            "not a url",
            "http://[::2]/",
        ] {
            assert!(!is_loopback_url(u), "{u}");
        }
    }
}

#[cfg(test)]
mod overlap_tests {
    use super::*;
    use proptest::prelude::*;

    fn span(start: u64, end: u64) -> InFlight {
        InFlight {
            start: Duration::from_millis(start),
            end: Duration::from_millis(end),
            address: None,
        }
    }

    #[test]
    fn requests_one_after_the_other_raced_nothing() {
        // What a rate limit of 2 per second makes of a burst of three.
        assert!(!overlapped(&[
            span(0, 10),
            span(500, 510),
            span(1000, 1010)
        ]));
        assert!(!overlapped(&[span(0, 10)]));
        assert!(!overlapped(&[]));
        assert!(overlapped(&[span(500, 510), span(0, 10), span(5, 20)]));
    }

    proptest! {
        /// The answer is the brute-force one: some pair shares a moment.
        #[test]
        fn overlap_is_a_pair_in_flight_together(raw in prop::collection::vec((0u64..100, 1u64..50), 0..12)) {
            let spans: Vec<InFlight> = raw.iter().map(|(s, d)| span(*s, s + d)).collect();
            let pair = spans.iter().enumerate().any(|(i, a)| {
                spans.iter().skip(i + 1).any(|b| a.start < b.end && b.start < a.end)
            });
            prop_assert_eq!(overlapped(&spans), pair);
        }
    }
}

#[cfg(test)]
mod stale_connection_tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Reads one request head (this test sends no bodies).
    async fn read_head(s: &mut tokio::net::TcpStream) -> bool {
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match s.read(&mut byte).await {
                Ok(1) => buf.push(byte[0]),
                _ => return false,
            }
        }
        true
    }

    /// A loopback server that, on every connection, answers the first
    /// request (keeping the connection open) and drops the connection when
    /// the second arrives: the next pooled request dies before any byte.
    async fn answer_once_per_connection() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        tokio::spawn(async move {
            for _ in 0..8 {
                let Ok(Ok((mut s, _))) =
                    tokio::time::timeout(Duration::from_secs(10), listener.accept()).await
                else {
                    return;
                };
                tokio::spawn(async move {
                    if read_head(&mut s).await {
                        let _ = s
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                            .await;
                        let _ = read_head(&mut s).await;
                    }
                });
            }
        });
        url
    }

    #[tokio::test]
    async fn a_request_on_a_connection_closed_under_it_is_retried_once_on_a_fresh_one() {
        let url = answer_once_per_connection().await;
        let http = Http::new_loopback(&HttpDef::default()).unwrap();
        let first = http.send(Request::get(url.clone())).await;
        assert_eq!(first.response.map(|r| r.status), Some(200));
        assert!(first.retried.is_none());
        let second = http.send(Request::get(url.clone())).await;
        assert_eq!(
            second.response.as_ref().map(|r| r.status),
            Some(200),
            "{:?}",
            second.error
        );
        let why = second.retried.expect("the retry is in the evidence");
        assert!(why.contains("fresh connection"), "{why}");

        // Without pooling every request has a connection of its own.
        let cfg = HttpDef {
            pooling: false,
            ..HttpDef::default()
        };
        let http = Http::new_loopback(&cfg).unwrap();
        for _ in 0..2 {
            let ex = http.send(Request::get(url.clone())).await;
            assert_eq!(ex.response.map(|r| r.status), Some(200));
            assert!(ex.retried.is_none());
        }
    }
}

#[cfg(test)]
mod pacing_tests {
    use super::*;
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// When each of `n` waits is let through, from the first call, in ms.
    async fn schedule(l: &RateLimiter, n: usize) -> Vec<u128> {
        let t = tokio::time::Instant::now();
        let mut out = Vec::new();
        for _ in 0..n {
            l.wait().await;
            out.push(t.elapsed().as_millis());
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_then_the_rate_holds() {
        let even = schedule(&RateLimiter::new(10.0, 1), 4).await;
        assert_eq!(even, vec![0, 100, 200, 300]);
        let burst = schedule(&RateLimiter::new(10.0, 3), 5).await;
        assert_eq!(burst, vec![0, 0, 0, 100, 200]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_spell_refills_the_bucket_and_no_more() {
        let l = RateLimiter::new(10.0, 3);
        schedule(&l, 3).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(schedule(&l, 4).await, vec![0, 0, 0, 100]);
    }

    fn http() -> Http {
        Http::new_loopback(&crate::profile::HttpDef::default()).unwrap()
    }

    #[tokio::test]
    async fn a_429_is_sent_again_after_its_retry_after_and_says_so() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&server)
            .await;
        let ex = http().send(Request::form(server.uri(), "a=b".into())).await;
        assert_eq!(ex.response.as_ref().map(|r| r.status), Some(200));
        let why = ex.retried.expect("the evidence says it was sent again");
        assert_eq!(
            why.matches("answered 429 with Retry-After: 0").count(),
            2,
            "{why}"
        );
    }

    #[tokio::test]
    async fn a_503_without_retry_after_and_an_endless_429_are_answers() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503))
            .mount(&server)
            .await;
        let ex = http().send(Request::get(server.uri())).await;
        assert_eq!(ex.response.map(|r| r.status), Some(503));
        assert!(ex.retried.is_none());
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "60"))
            .mount(&server)
            .await;
        // A minute is more than a request waits: the 429 is the answer.
        let ex = http().send(Request::get(server.uri())).await;
        assert_eq!(ex.response.map(|r| r.status), Some(429));
        assert!(ex.retried.is_none());
    }
}
