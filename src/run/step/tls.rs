//! The `tls` step: probes of the transport under the issuer (TLS-01..07).
//!
//! - `tls1.0`, `tls1.1`, `tls1.3`, `weak_suites`, `rsa_key_transport`: a
//!   hand-built ClientHello (`protocol::tls_hello`) on a socket of its own
//!   to the issuer's host; the answer says whether the server went ahead.
//! - `chain`: a request to every distinct origin of the resolved endpoints
//!   through the run's client, which verifies the chain and the name
//!   (against the platform's roots and the profile's `[http] ca_file`).
//! - `plaintext`: the `http://` twin of the token endpoint, sent a client
//!   credentials request with a made-up secret (the real one never goes
//!   over plain HTTP): was it processed?
//! - `plaintext_authorize`: the `http://` twin of the authorization
//!   endpoint, sent a valid request for a client of the profile: did it
//!   serve a page or redirect to the client instead of going to https?
//!
//! The step's fields (`negotiated`, `version`, `suite`, `twin`, ...) are
//! the probe's reading only; the issuer's bytes never become a field
//! directly, so an answer cannot write its own verdict.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{short, StepError, StepOutput};
use crate::http::Request;
use crate::protocol::form::Params;
use crate::protocol::tls_hello::{self, Offer, Reply};
use crate::protocol::token::{error_code, Body};
use crate::report::model::{Exchange, TransportError};
use crate::run::context::{CaseContext, StepValues};
use crate::scenario::model::{tls_probes, TlsDef};
use crate::scenario::uri_op::UriOp;

/// What a probe name asks for.
enum Probe {
    Hello(Offer),
    Chain,
    Plaintext,
    PlaintextAuthorize,
}

/// The probe a name of `scenario::model::TLS_PROBE_TABLE` runs.
fn probe_of(name: &str) -> Option<Probe> {
    Some(match name {
        "tls1.0" => Probe::Hello(Offer::Tls10),
        "tls1.1" => Probe::Hello(Offer::Tls11),
        "tls1.3" => Probe::Hello(Offer::Tls13Only),
        "weak_suites" => Probe::Hello(Offer::WeakSuites),
        "rsa_key_transport" => Probe::Hello(Offer::RsaKeyTransport),
        "chain" => Probe::Chain,
        "plaintext" => Probe::Plaintext,
        "plaintext_authorize" => Probe::PlaintextAuthorize,
        _ => return None,
    })
}

pub(super) async fn tls(t: &TlsDef, ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let name = ctx.render(&t.probe)?;
    match probe_of(&name) {
        Some(Probe::Hello(offer)) => hello(offer, ctx).await,
        Some(Probe::Chain) => chain(ctx).await,
        Some(Probe::Plaintext) => plaintext(ctx).await,
        Some(Probe::PlaintextAuthorize) => plaintext_authorize(ctx).await,
        None => Err(format!(
            "tls: unknown probe `{name}` (one of: {})",
            tls_probes().join(", ")
        )
        .into()),
    }
}

fn output(summary: String, fields: Vec<(&str, String)>, exchanges: Vec<Exchange>) -> StepOutput {
    let values = StepValues {
        ended: summary.clone(),
        fields: fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    };
    StepOutput {
        action: "tls",
        summary,
        exchanges,
        values,
        response: None,
        body: None,
        authz: None,
        statuses: Vec::new(),
    }
}

/// Sends `offer`'s ClientHello to the issuer's host and reads the answer.
async fn hello(offer: Offer, ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let issuer = ctx.target.profile.issuer.clone();
    if let Some(why) = ctx.target.http.refuses_url(&issuer) {
        return Err(format!("tls: {why}").into());
    }
    let url = url::Url::parse(&issuer).map_err(|e| format!("tls: the issuer `{issuer}`: {e}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| format!("tls: the issuer `{issuer}` names no host"))?
        .trim_matches(['[', ']'])
        .to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let http = &ctx.target.profile.http;
    let connect = Duration::from_millis(http.connect_timeout_ms);
    let read = Duration::from_millis(http.timeout_ms);
    let hello = tls_hello::client_hello(offer, Some(&host), rand::random());
    let reply = exchange_hello(&host, port, &hello, connect, read)
        .await
        .map_err(|e| format!("tls: {} to {host}:{port}: {e}", offer.describe()))?;
    let summary = format!(
        "{} to {host}:{port}: {}",
        offer.describe(),
        reply.describe()
    );
    let mut fields = vec![(
        "negotiated",
        match &reply {
            Reply::Accepted { .. } => "accepted",
            Reply::Alert { .. } | Reply::Closed => "refused",
            Reply::Unexpected(_) => "unreadable",
        }
        .to_string(),
    )];
    if let Reply::Accepted { version, suite } = reply {
        fields.push(("version", tls_hello::version_name(version)));
        let name = tls_hello::suite_name(suite).map(str::to_string);
        fields.push(("suite", name.unwrap_or_else(|| format!("0x{suite:04x}"))));
    }
    Ok(output(summary, fields, Vec::new()))
}

/// Connects, writes `hello`, and reads until the answer can be told (an
/// alert, a ServerHello) or the server closes; every wait is bounded by
/// one deadline, and at most [`tls_hello::MAX_REPLY`] bytes are kept.
async fn exchange_hello(
    host: &str,
    port: u16,
    hello: &[u8],
    connect: Duration,
    read: Duration,
) -> Result<Reply, String> {
    let mut stream = tokio::time::timeout(connect, tokio::net::TcpStream::connect((host, port)))
        .await
        .map_err(|_| "the connection timed out".to_string())?
        .map_err(|e| format!("cannot connect: {e}"))?;
    let deadline = tokio::time::Instant::now() + read;
    tokio::time::timeout_at(deadline, stream.write_all(hello))
        .await
        .map_err(|_| "the hello could not be sent before the timeout".to_string())?
        .map_err(|e| format!("cannot send: {e}"))?;
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while tls_hello::read_reply(&got).is_none() && got.len() < tls_hello::MAX_REPLY {
        let n = match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) if got.is_empty() => return Err("no answer before the timeout".into()),
            // What came before the silence is read as it is.
            Err(_) => break,
            // A reset is a refusal, like a close.
            Ok(Err(_)) | Ok(Ok(0)) => break,
            Ok(Ok(n)) => n,
        };
        got.extend_from_slice(&buf[..n]);
    }
    Ok(tls_hello::parse_reply(&got))
}

/// Every distinct origin among the resolved endpoints and the issuer.
fn origins(ctx: &CaseContext<'_>) -> Vec<String> {
    let e = &ctx.target.endpoints;
    let mut out: Vec<String> = Vec::new();
    let urls = [
        Some(ctx.target.profile.issuer.clone()),
        e.authorization.clone(),
        e.token.clone(),
        e.userinfo.clone(),
        e.jwks.clone(),
        e.introspection.clone(),
        e.revocation.clone(),
        e.api.clone(),
    ];
    for u in urls.into_iter().flatten() {
        if let Ok(parsed) = url::Url::parse(&u) {
            let origin = parsed.origin().ascii_serialization();
            if !out.contains(&origin) {
                out.push(origin);
            }
        }
    }
    out
}

/// One request per origin; a TLS failure on any is a finding.
async fn chain(ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let mut exchanges = Vec::new();
    let mut bad = Vec::new();
    let list = origins(ctx);
    for origin in &list {
        if !origin.starts_with("https://") {
            bad.push(format!("{origin}: not https"));
            continue;
        }
        let ex = ctx
            .target
            .http
            .send(Request::get(format!("{origin}/")))
            .await;
        match &ex.error {
            Some((TransportError::Connect, m)) if is_tls_failure(m) => {
                bad.push(format!("{origin}: {m}"))
            }
            Some((kind, m)) => {
                return Err(StepError {
                    message: format!("tls: GET {origin}/: {kind:?}: {m}"),
                    exchanges: vec![ex],
                    void: false,
                })
            }
            None => {}
        }
        exchanges.push(ex);
    }
    let summary = match bad.is_empty() {
        true => format!("a verified TLS connection to {}", list.join(", ")),
        false => format!("no verified TLS connection: {}", bad.join("; ")),
    };
    let (negotiated, chain) = match bad.is_empty() {
        true => ("accepted", "valid"),
        false => ("refused", "invalid"),
    };
    let fields = vec![
        ("negotiated", negotiated.to_string()),
        ("chain", chain.to_string()),
    ];
    Ok(output(summary, fields, exchanges))
}

/// A connection error that came from the TLS layer: rustls's wording, read
/// after the URL (a host called `tls-gw.example` must not make a refused
/// connection look like a certificate problem).
fn is_tls_failure(message: &str) -> bool {
    let after_url = match message.find("for url (") {
        Some(i) => message[i..].split_once(')').map_or("", |(_, rest)| rest),
        None => message,
    };
    let m = after_url.to_ascii_lowercase();
    [
        "invalid peer certificate",
        "certificate",
        "received fatal alert",
        "peer is incompatible",
        "handshake",
    ]
    .iter()
    .any(|k| m.contains(k))
}

/// A resolved endpoint whose http twin a probe sends to, or why there is none.
fn endpoint(url: &Option<String>, name: &str) -> Result<String, String> {
    url.clone()
        .ok_or_else(|| format!("tls: the issuer has no {name} endpoint"))
}

/// The `http://` twin of the token endpoint, sent a request with a made-up
/// secret; `twin` says what became of it.
async fn plaintext(ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let twin = UriOp::Http.apply(&endpoint(&ctx.target.endpoints.token, "token")?);
    let client_id = ctx
        .target
        .profile
        .clients
        .values()
        .next()
        .map(|c| c.id.clone())
        .unwrap_or_else(|| "grantcheck".into());
    let mut form = Params::new();
    form.push("grant_type", "client_credentials");
    form.push("client_id", client_id);
    form.push("client_secret", format!("made-up-{}", ctx.gen("state")));
    let req = Request::form(twin.clone(), form.encode());
    let ex = ctx.target.http.send(req).await;
    let (twin_kind, said) = classify_twin(&ex)?;
    let summary = format!("POST {} (made-up secret): {said}", short(&twin));
    Ok(output(
        summary,
        vec![("twin", twin_kind.to_string())],
        vec![ex],
    ))
}

/// The `http://` twin of the authorization endpoint, sent a valid request
/// for the first client of the profile with a redirect URI (c1 when there
/// is one); `twin` says what became of it (TLS-08).
async fn plaintext_authorize(ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let endpoint = endpoint(&ctx.target.endpoints.authorization, "authorization")?;
    let clients = &ctx.target.profile.clients;
    let client = clients
        .get("c1")
        .filter(|c| !c.redirect_uris.is_empty())
        .or_else(|| clients.values().find(|c| !c.redirect_uris.is_empty()))
        .ok_or_else(|| "tls: no client of the profile has a redirect URI".to_string())?;
    let (id, redirect, scope) = (
        client.id.clone(),
        client.redirect_uris[0].clone(),
        client.scope.clone(),
    );
    let mut query = Params::new();
    query.push("response_type", "code");
    let id_sent = id.clone();
    query.push("client_id", id);
    query.push("redirect_uri", redirect.clone());
    query.push("scope", scope);
    query.push("state", ctx.gen("state"));
    query.push(
        "code_challenge",
        crate::protocol::pkce::s256_challenge(&ctx.gen("verifier")),
    );
    query.push("code_challenge_method", "S256");
    let twin = UriOp::Http.apply(&endpoint);
    let sep = if twin.contains('?') { '&' } else { '?' };
    let url = format!("{twin}{sep}{}", query.encode());
    let ex = ctx.target.http.send(Request::get(url)).await;
    let (twin_kind, said) = classify_authorize_twin(&ex, &redirect, &id_sent)?;
    let summary = format!("GET {} (a valid request): {said}", short(&twin));
    Ok(output(
        summary,
        vec![("twin", twin_kind.to_string())],
        vec![ex],
    ))
}

/// What the authorization endpoint's http twin did: `processed` (a page
/// served, or a redirect to the client: it read the request), `redirected`
/// (to https elsewhere), `redirected_insecurely` (to another http URL),
/// `refused` (no answer, or an error status).
fn classify_authorize_twin(
    ex: &Exchange,
    redirect_uri: &str,
    client_id: &str,
) -> Result<(&'static str, String), String> {
    let Some(resp) = ex.response.as_ref() else {
        return classify_twin(ex);
    };
    let status = resp.status;
    let location = resp.header("location").unwrap_or_default();
    Ok(match status {
        // A page that knows the request (a form, the client's name) was
        // served for it; a server's default page on port 80 was not.
        200..=299 if knows_the_request(&resp.body, client_id) => (
            "processed",
            format!("{status}: a page for the request served over plain HTTP"),
        ),
        200..=299 => (
            "refused",
            format!("{status}: a page that does not answer the request"),
        ),
        300..=399 if location.starts_with(redirect_uri) => (
            "processed",
            format!("{status} to the client's redirect URI: the request was read"),
        ),
        300..=399 if location.starts_with("https://") => {
            ("redirected", format!("{status} to {}", short(location)))
        }
        300..=399 => (
            "redirected_insecurely",
            format!("{status} to `{}`, not https", short(location)),
        ),
        _ => ("refused", format!("{status}: not served")),
    })
}

/// What the http twin did with the request: `processed` (a success, or
/// an error that judged the credentials or the grant: it read them),
/// `redirected` (to https), `redirected_insecurely` (elsewhere), `refused`
/// (no connection, no answer, or an error that read nothing of them, such
/// as Keycloak's 403 "HTTPS required"). A response that came, even cut
/// short, is judged by what it said.
fn classify_twin(ex: &Exchange) -> Result<(&'static str, String), String> {
    let Some(resp) = ex.response.as_ref() else {
        return match &ex.error {
            Some((
                TransportError::Connect | TransportError::Timeout | TransportError::Other,
                m,
            )) => Ok(("refused", format!("no answer ({m})"))),
            Some((kind, m)) => Err(format!("tls: the http twin: {kind:?}: {m}")),
            None => Err("tls: the http twin: neither a response nor an error".into()),
        };
    };
    let body = Body::parse(resp.body.as_bytes());
    let status = resp.status;
    let location = resp.header("location").unwrap_or_default();
    Ok(match status {
        200..=299 => ("processed", format!("{status}: answered over plain HTTP")),
        300..=399 if location.starts_with("https://") => {
            ("redirected", format!("{status} to {}", short(location)))
        }
        300..=399 => (
            "redirected_insecurely",
            format!("{status} to `{}`, not https", short(location)),
        ),
        _ => match error_code(&body) {
            Some(e) if CREDENTIAL_ERRORS.contains(&e.as_str()) => (
                "processed",
                format!("{status} {e}: the credentials were read"),
            ),
            Some(e) => ("refused", format!("{status} {e}, before the credentials")),
            None => ("refused", format!("{status} without an OAuth error")),
        },
    })
}

/// Whether a page answers the authorization request: it holds a form (a
/// login or consent page) or names the client.
fn knows_the_request(body: &str, client_id: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    lower.contains("<form") || (!client_id.is_empty() && body.contains(client_id))
}

/// Token endpoint errors that can only come from judging the client's
/// credentials or the grant (RFC 6749 §5.2).
const CREDENTIAL_ERRORS: [&str; 4] = [
    "invalid_client",
    "unauthorized_client",
    "invalid_grant",
    "invalid_scope",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{HttpRequest, HttpResponse};

    fn exchange(
        response: Option<HttpResponse>,
        error: Option<(TransportError, String)>,
    ) -> Exchange {
        Exchange {
            request: HttpRequest {
                method: "POST".into(),
                url: "http://i.example/token".into(),
                headers: Vec::new(),
                body: None,
            },
            response,
            error,
            elapsed_ms: 0,
            retried: None,
        }
    }

    fn answered(status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let body = body.to_string();
        let truncated = false;
        exchange(
            Some(HttpResponse {
                status,
                headers,
                body,
                truncated,
            }),
            None,
        )
    }

    fn failed(kind: TransportError) -> Exchange {
        exchange(None, Some((kind, "refused".into())))
    }

    #[test]
    fn the_authorize_twin_is_judged_by_where_it_sends_the_user() {
        let cb = "https://c1.example/cb";
        let kind = |ex: Exchange| classify_authorize_twin(&ex, cb, "c1").unwrap().0;
        let to = |l: &str| answered(302, &[("location", l)], "");
        assert_eq!(kind(to("https://i.example/authorize?x=1")), "redirected");
        // A redirect to the client, even an https one, means it read the request.
        assert_eq!(
            kind(to("https://c1.example/cb?error=invalid_request")),
            "processed"
        );
        assert_eq!(kind(to("https://c1.example/cb?code=abc")), "processed");
        assert_eq!(kind(to("http://i.example/login")), "redirected_insecurely");
        assert_eq!(kind(answered(200, &[], "<form>")), "processed");
        assert_eq!(
            kind(answered(200, &[], "<h1>Sign in to c1</h1>")),
            "processed"
        );
        assert_eq!(
            kind(answered(200, &[], "<h1>Welcome to nginx</h1>")),
            "refused"
        );
        assert_eq!(kind(answered(400, &[], "bad")), "refused");
        assert_eq!(kind(failed(TransportError::Connect)), "refused");
    }

    #[test]
    fn the_twin_is_judged_by_what_it_did() {
        let kind = |ex: Exchange| classify_twin(&ex).unwrap().0;
        assert_eq!(
            kind(answered(
                301,
                &[("location", "https://i.example/token")],
                ""
            )),
            "redirected"
        );
        assert_eq!(
            kind(answered(302, &[("location", "http://i.example/x")], "")),
            "redirected_insecurely"
        );
        assert_eq!(kind(answered(200, &[], "{}")), "processed");
        assert_eq!(
            kind(answered(401, &[], r#"{"error":"invalid_client"}"#)),
            "processed"
        );
        assert_eq!(
            kind(answered(400, &[], "plain HTTP sent to an HTTPS port")),
            "refused"
        );
        let https_required = r#"{"error":"invalid_request","error_description":"HTTPS required"}"#;
        assert_eq!(kind(answered(403, &[], https_required)), "refused");
        // A response cut short is judged by what it said.
        let mut cut = answered(200, &[], "{");
        cut.error = Some((TransportError::Timeout, "body timed out".into()));
        assert_eq!(kind(cut), "processed");
        assert_eq!(kind(failed(TransportError::Connect)), "refused");
        assert!(classify_twin(&failed(TransportError::Guarded)).is_err());
    }

    #[test]
    fn every_probe_the_loader_accepts_runs() {
        for name in tls_probes() {
            assert!(probe_of(name).is_some(), "{name}");
        }
        assert!(probe_of("tls1.2").is_none());
    }

    #[test]
    fn tls_failures_are_told_from_other_connect_errors() {
        assert!(is_tls_failure("error sending request: client error (Connect): invalid peer certificate: NotValidForName"));
        assert!(!is_tls_failure(
            "error sending request: client error (Connect): tcp connect error: Connection refused"
        ));
        assert!(!is_tls_failure(
            "error sending request for url (https://tls-handshake.example/): client error (Connect): tcp connect error: Connection refused"
        ));
    }
}
