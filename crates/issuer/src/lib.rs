//! # The grantcheck reference issuer
//!
//! A small, in-memory OAuth 2.0 / OpenID Connect authorization server that
//! the suite runs against itself. Without faults it is *strictly
//! conformant*: it passes every row of `requirements.md`, including the
//! PROFILE rows (S256-only PKCE for every client, exact redirect matching
//! with the RFC 8252 loopback-port exception, RT rotation with family
//! revocation, refresh tokens only with `offline_access`, ~1 h access
//! tokens, RFC 9207 `iss`). Each [`Fault`] switches on one realistic
//! deviation, so the suite can prove it catches that bug
//! ([`Fault::breaks`] lists the rows that must then fail).
//!
//! Endpoints of the standard dialect: `/authorize` (GET, POST), `/login`,
//! `/consent` (HTML flow with a `gc_session` cookie), `/token`,
//! `/introspect`, `/revoke`, `/userinfo`, `/jwks`, a protected resource at
//! `/resource`, `/.well-known/openid-configuration` and
//! `/.well-known/oauth-authorization-server`. Other dialects (`dialect.rs`)
//! move or drop them and change the wire format as the seed issuers
//! document. Access and refresh tokens are opaque random strings (RFC 9068
//! JWTs under the `example` dialect); ID tokens are RS256 JWTs signed with
//! one 2048-bit key generated once per process.
//!
//! Fixtures ([`IssuerConfig::reference`], secrets from
//! [`ReferenceSecrets::random`]):
//!
//! | id | kind | auth | redirect URIs | grants | scopes |
//! |----|------|------|---------------|--------|--------|
//! | c1 | confidential | client_secret_basic | `https://c1.example/cb` | code, refresh | openid profile email offline_access api:read |
//! | c2 | confidential | client_secret_post | `https://c2.example/cb` | code, refresh | same |
//! | p1 | public | none | `https://p1.example/cb`, `https://p1.example/cb2` | code, refresh | same |
//! | p2 | public | none | `https://p2.example/cb` | code, refresh | same |
//! | s1 | confidential | client_secret_basic | - | client_credentials | api:read |
//! | n1 | public native | none | `http://127.0.0.1/cb` (any port) | code, refresh | same as c1 |
//! | q1 | public | none | `https://q1.example/cb?tenant=a` | code, refresh | same as c1 |
//! | x1 | confidential | client_secret_basic (secret has `: % + &` and a space) | `https://x1.example/cb` | client_credentials, code | api:read openid |
//! | d1 | confidential, **not approved** (seed 002's pending app) | client_secret_basic | `https://d1.example/cb` | code, refresh | same as c1 |
//!
//! Users: `alice` (sub `user-alice-1`) and `bob` (sub `user-bob-2`).
//! `api:write` is a known scope no client may have.

mod authorize;
mod client_auth;
mod config;
mod dialect;
mod discovery;
mod faults;
mod keys;
mod pages;
mod params;
mod pkce;
mod redirect;
mod resource;
mod respond;
mod state;
mod tls;
mod token;
mod totp;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{Response, StatusCode};
use axum::routing::{any, get, post};
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{AuthMethod, ClientReg, Costs, IssuerConfig, ReferenceSecrets, UserReg};
pub use dialect::{Dialect, Routes, Wire};
pub use faults::Fault;
pub use tls::TlsError;

/// Request bodies above this are refused with 413 before any parsing.
const BODY_LIMIT: usize = 64 * 1024;

/// `IssuerConfig::costs`: the latency before every answer, and the hashing
/// time of a login or a client authenticating with HTTP Basic.
async fn costs(
    axum::extract::State(app): axum::extract::State<state::Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response<Body> {
    let c = app.config.costs;
    let hashes = req.uri().path() == "/login"
        || req
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .is_some_and(|v| v.as_bytes().starts_with(b"Basic "));
    let wait = c.latency
        + if hashes {
            c.hashing
        } else {
            std::time::Duration::ZERO
        };
    tokio::time::sleep(wait).await;
    next.run(req).await
}

/// The `cors_reflects_with_credentials` fault (HDR-07): the token and
/// userinfo endpoints echo whatever Origin asks, credentials allowed.
async fn cors_reflect(
    axum::extract::State(app): axum::extract::State<state::Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response<Body> {
    let r = app.config.dialect.routes();
    let path = req.uri().path().to_string();
    let origin = req.headers().get(axum::http::header::ORIGIN).cloned();
    let mut resp = next.run(req).await;
    let cors_path = path == r.token || Some(path.as_str()) == r.userinfo;
    if let Some(origin) = origin.filter(|_| cors_path) {
        let h = resp.headers_mut();
        h.insert(axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            axum::http::header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            axum::http::HeaderValue::from_static("true"),
        );
    }
    resp
}

async fn not_found() -> Response<Body> {
    let mut resp = Response::new(Body::from("not found"));
    *resp.status_mut() = StatusCode::NOT_FOUND;
    resp
}

/// Where the reference's clock is advanced: `POST advance=<seconds>`.
/// The reference is a test fixture on loopback; its time is its own.
pub const CLOCK_PATH: &str = "/_grantcheck/clock";

/// `POST /_grantcheck/clock` with `advance=N`: every later expiry check,
/// `iat`, `exp` and `auth_time` sees the time N seconds later (at most a
/// year per call); `reset=1` puts it back on the real time. Answers the
/// issuer's time as JSON.
async fn advance_clock(
    axum::extract::State(app): axum::extract::State<state::Shared>,
    body: axum::body::Bytes,
) -> Response<Body> {
    let params = params::Params::parse(&body).unwrap_or_default();
    if params.has("reset") {
        let mut store = app.store();
        store.clock = 0;
        let now = store.now();
        drop(store);
        return respond::json(
            &app,
            StatusCode::OK,
            &serde_json::json!({ "now": now }),
            true,
        );
    }
    let Some(n) = params
        .get("advance", false)
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| *n <= 366 * 24 * 3600)
    else {
        let mut resp = Response::new(Body::from("advance=<seconds, at most a year>"));
        *resp.status_mut() = StatusCode::BAD_REQUEST;
        return resp;
    };
    let now = {
        let mut store = app.store();
        store.clock = store.clock.saturating_add(n);
        store.now()
    };
    respond::json(
        &app,
        StatusCode::OK,
        &serde_json::json!({ "now": now }),
        true,
    )
}

/// The issuer's routes. `issuer` is the exact `iss` value (no trailing
/// slash); endpoint URLs in the metadata are built from it.
pub fn router(config: IssuerConfig, issuer: String) -> Router {
    router_with(Arc::new(state::AppState::new(config, issuer)))
}

fn router_with(app: state::Shared) -> Router {
    // Paths come from the dialect; an endpoint it does not serve is a 404.
    let r = app.config.dialect.routes();
    let mut router = Router::new()
        .route("/login", post(authorize::login))
        .route("/login/otp", post(authorize::login_otp))
        .route(
            "/consent",
            get(authorize::consent_page).post(authorize::consent_submit),
        )
        // `any`: non-POST methods get a JSON 405 from the handler itself.
        .route(r.token, any(token::token))
        // A test fixture's controllable clock (expiry without waiting).
        .route(CLOCK_PATH, post(advance_clock));
    if let Some(p) = r.authorize {
        router = router.route(
            p,
            get(authorize::authorize)
                .post(authorize::authorize)
                .options(authorize::authorize),
        );
    }
    if let Some(p) = r.introspect {
        router = router.route(p, any(resource::introspect));
    }
    if let Some(p) = r.revoke {
        router = router.route(p, any(resource::revoke));
    }
    if let Some(p) = r.userinfo {
        router = router.route(p, get(resource::userinfo).post(resource::userinfo));
    }
    if let Some(p) = r.jwks {
        router = router.route(p, get(discovery::jwks));
    }
    if let Some(p) = r.api {
        router = router.route(p, get(resource::api));
    }
    if r.discovery {
        router = router
            .route(
                "/.well-known/openid-configuration",
                get(discovery::configuration),
            )
            .route(
                "/.well-known/oauth-authorization-server",
                get(discovery::configuration),
            );
    }
    if app.fault(Fault::CorsReflectsWithCredentials) {
        router = router.layer(axum::middleware::from_fn_with_state(
            app.clone(),
            cors_reflect,
        ));
    }
    if app.config.costs != Costs::default() {
        router = router.layer(axum::middleware::from_fn_with_state(app.clone(), costs));
    }
    router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

/// A running issuer. Dropping it stops the server too (the shutdown
/// channel closes); [`RunningIssuer::shutdown`] also waits for it.
pub struct RunningIssuer {
    pub base_url: String,
    pub addr: SocketAddr,
    /// Served over TLS: the test CA that signed the server certificate
    /// (PEM), for clients to trust.
    pub ca_pem: Option<String>,
    /// Every address it listens on: `addr`, and under TLS the same port
    /// on ::1 when the machine has IPv6.
    pub addrs: Vec<SocketAddr>,
    app: state::Shared,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningIssuer {
    /// Every credential this issuer handed out or received so far (codes,
    /// access, refresh and ID tokens, PKCE verifiers): what a report must
    /// never contain. The redaction tests grep every rendering for these.
    pub fn handed_out(&self) -> Vec<(&'static str, String)> {
        self.app.store().handed_out.clone()
    }

    /// Graceful shutdown: stop accepting, let in-flight requests finish
    /// (bounded, so a stuck client cannot hang the runner).
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
    }
}

impl Drop for RunningIssuer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `bind` (port 0 picks an ephemeral port) and serves the issuer in
/// a background task. The signing key is generated (once per process)
/// before this returns, so the first token request is not slow.
pub async fn start(config: IssuerConfig, bind: SocketAddr) -> std::io::Result<RunningIssuer> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    serve(listener, vec![addr], format!("http://{addr}"), config, None).await
}

/// Like [`start`], over TLS: a test CA and a certificate for `localhost`
/// and 127.0.0.1 are generated first (the CA is in
/// [`RunningIssuer::ca_pem`]), and the issuer is `https://localhost:PORT`.
/// Plain HTTP to the same port is redirected to https unread (tls.rs).
pub async fn start_tls(config: IssuerConfig, bind: SocketAddr) -> std::io::Result<RunningIssuer> {
    let ca = tls::TestCa::generate(
        config.has_fault(Fault::TlsWrongName),
        config.has_fault(Fault::Tls13Disabled),
    )
    .map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let mut listeners = vec![listener];
    // `localhost` is also ::1 on many machines: the same port there gives
    // the races two addresses to spread over. When that port is taken on
    // ::1 (by someone else), `localhost` could reach them: the issuer is
    // then named by its IPv4 address, which the certificate also holds.
    let mut host = "localhost".to_string();
    if bind.ip().is_loopback() {
        let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()));
        match tokio::net::TcpListener::bind(v6).await {
            Ok(l) => listeners.push(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => host = addr.ip().to_string(),
            Err(_) => {}
        }
    }
    let base_url = format!("https://{host}:{}", addr.port());
    let addrs = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();
    let listener = tls::TlsListener::new(listeners, &ca, &config.faults, base_url.clone())?;
    serve(listener, addrs, base_url, config, Some(ca.ca_pem)).await
}

async fn serve<L: axum::serve::Listener<Addr = SocketAddr>>(
    listener: L,
    addrs: Vec<SocketAddr>,
    base_url: String,
    config: IssuerConfig,
    ca_pem: Option<String>,
) -> std::io::Result<RunningIssuer> {
    tokio::task::spawn_blocking(keys::signing_key)
        .await
        .map_err(std::io::Error::other)?;
    let shared: state::Shared = Arc::new(state::AppState::new(config, base_url.clone()));
    let app = router_with(shared.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(RunningIssuer {
        base_url,
        addr: addrs[0],
        addrs,
        ca_pem,
        app: shared,
        shutdown: Some(tx),
        task: Some(task),
    })
}

#[cfg(test)]
mod tests;
