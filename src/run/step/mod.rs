//! Executing one step: build the request from the scenario and the case's
//! values, send it (through the user agent for authorize), and describe what
//! came back. No judgement here; expectations are checked in `expect`.
//!
//! One file per step kind, named after it: `authorize` (the walk through
//! the issuer's pages, and what the redirect came to), `token` (and its
//! `concurrent` races), `token_op` (introspection and revocation),
//! `userinfo`, `api` (with the dialect's retry after a 401), `discovery`,
//! `http` (raw requests, optionally following redirects), `wait` and `tls`
//! (transport probes). This file
//! holds the dispatcher over [`StepKind`] and the helpers several kinds
//! share: client lookup, parameter edits, client authentication, sending
//! and describing a response.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::context::{CaseContext, StepValues};
use crate::http::Request;
use crate::profile::{AuthMethod, Client, GrantAuth};
use crate::protocol::form::{encode_component, Params};
use crate::protocol::token::{value_text, Body};
use crate::report::model::{Exchange, HttpResponse};
use crate::scenario::model::{AuthMode, Edits, StepDef, StepKind};

mod api;
mod authorize;
pub(crate) use authorize::authorize;
mod discovery;
mod http;
mod tls;
mod token;
mod token_op;
mod userinfo;
mod wait;

/// What an authorization walk came to, as the checks see it.
#[derive(Clone, Debug)]
pub struct AuthzView {
    pub kind: Observed,
    /// Parameters the issuer added to the redirect URI's query.
    pub params: Params,
    /// Parameters in the fragment (a code there is a finding).
    pub fragment: Params,
    pub location: Option<String>,
    pub status: u16,
    /// One line: how it ended.
    pub described: String,
    /// The client and user roles the walk acted as, and whether a login
    /// form was filled on the way (a fail must be earned: `run::premise`).
    pub client: String,
    pub user: String,
    pub logged_in: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    Code,
    Error,
    /// A redirect to the redirect URI that carried neither code nor error.
    Bare,
    /// A redirect away from the issuer to somewhere other than the redirect URI sent.
    Elsewhere,
    NoRedirect,
}

pub struct StepOutput {
    pub action: &'static str,
    pub summary: String,
    pub exchanges: Vec<Exchange>,
    pub values: StepValues,
    /// The response the checks look at (HTTP steps).
    pub response: Option<HttpResponse>,
    pub body: Option<Body>,
    pub authz: Option<AuthzView>,
    /// Statuses of `concurrent` requests.
    pub statuses: Vec<u16>,
}

/// The harness could not do the step: a missing value, an unreachable
/// issuer, a failed login. Or, with `void`, the step would probe nothing
/// (its probe equals a registered value): the case is then a skip.
pub struct StepError {
    pub message: String,
    pub exchanges: Vec<Exchange>,
    pub void: bool,
}

impl From<String> for StepError {
    fn from(message: String) -> Self {
        Self {
            message,
            exchanges: Vec::new(),
            void: false,
        }
    }
}

impl StepError {
    /// Nothing was sent: the probe is equal to what the profile registered.
    fn void(message: String) -> Self {
        Self {
            void: true,
            ..Self::from(message)
        }
    }
}

pub async fn execute(step: &StepDef, ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let Some(kind) = step.kind() else {
        return Err("the step has no action".to_string().into());
    };
    match kind {
        StepKind::Authorize(a) => authorize::authorize(a, ctx).await,
        StepKind::Token(t) => token::token(t, ctx).await,
        StepKind::Introspect(i) => token_op::introspect(i, ctx).await,
        StepKind::Revoke(r) => token_op::revoke(r, ctx).await,
        StepKind::Userinfo(u) => userinfo::userinfo(u, ctx).await,
        // A step that expects a refusal must see it: no retry there.
        StepKind::Api(a) => api::api(a, expects_success(step), ctx).await,
        StepKind::Discovery(d) => discovery::discovery(d, ctx).await,
        StepKind::Http(h) => http::raw_http(h, ctx).await,
        StepKind::Wait(w) => wait::wait(w, ctx).await,
        StepKind::Tls(t) => tls::tls(t, ctx).await,
    }
}

/// Whether the step expects a 2xx: no expected status, or one among them.
fn expects_success(step: &StepDef) -> bool {
    step.expect.status.as_ref().is_none_or(|s| {
        s.get_ref()
            .as_slice()
            .iter()
            .any(|c| (200..300).contains(c))
    })
}

pub fn observed_name(o: Observed) -> &'static str {
    match o {
        Observed::Code => "code",
        Observed::Error => "error",
        Observed::Bare => "redirect without code or error",
        Observed::Elsewhere => "redirect elsewhere",
        Observed::NoRedirect => "no_redirect",
    }
}

fn client<'a>(ctx: &CaseContext<'a>, role: &str) -> Result<&'a Client, String> {
    ctx.target
        .profile
        .clients
        .get(role)
        .ok_or_else(|| format!("the profile has no client `{role}`"))
}

/// `set` first (replace in place or add), then `remove`, then `append`:
/// so a case can set a parameter empty and another case drop it entirely.
fn apply_edits(p: &mut Params, e: Edits<'_>, ctx: &mut CaseContext<'_>) -> Result<(), String> {
    for (k, v) in e.set {
        let v = ctx.render(v)?;
        p.set(k, v);
    }
    for r in e.remove {
        let name = ctx.render(r)?;
        p.remove(&name);
    }
    for [k, v] in e.append {
        let (k, v) = (ctx.render(k)?, ctx.render(v)?);
        p.push(k, v);
    }
    Ok(())
}

/// A URL shortened for one-line summaries (the query is where secrets live).
fn short(url: &str) -> String {
    let base = url.split(['?', '#']).next().unwrap_or(url);
    if base.len() < url.len() {
        format!("{base}?…")
    } else {
        base.to_string()
    }
}

/// The dialect's client id header (Bud: `X-Client-Id`), on a request made as `c`.
fn client_id_header(req: &mut Request, c: &Client, ctx: &CaseContext<'_>) {
    if let Some(h) = &ctx.target.profile.dialect.client_id_header {
        req.headers.push((h.clone(), c.id.clone()));
    }
}

/// Client authentication for the token, introspection and revocation
/// endpoints, by `mode`, with `secret` standing in for the client's own.
fn authenticate(
    req: &mut Request,
    p: &mut Params,
    c: &Client,
    mode: AuthMode,
    (id, secret): (Option<String>, Option<String>),
) {
    // A probe may send another id (a case variant, ADV-32) or secret.
    let id = id.unwrap_or_else(|| c.id.clone());
    let secret = secret.or_else(|| c.secret.clone());
    let mode = match mode {
        AuthMode::Default => match c.auth_method {
            AuthMethod::ClientSecretBasic => AuthMode::Basic,
            AuthMethod::ClientSecretPost => AuthMode::Post,
            AuthMethod::None => AuthMode::None,
        },
        m => m,
    };
    match mode {
        AuthMode::Basic => {
            // RFC 6749 §2.3.1: both parts form-encoded before base64.
            let raw = format!(
                "{}:{}",
                encode_component(&id),
                encode_component(secret.as_deref().unwrap_or(""))
            );
            req.headers.push((
                "Authorization".into(),
                format!("Basic {}", STANDARD.encode(raw)),
            ));
        }
        AuthMode::Post => {
            p.push("client_id", id);
            p.push("client_secret", secret.unwrap_or_default());
        }
        AuthMode::None => p.push("client_id", id),
        AuthMode::Omit | AuthMode::Default => {}
    }
}

/// How a token request for `grant` authenticates when the step does not
/// say: the profile's dialect may fix the method per grant (Bud refreshes
/// with its client id header alone).
fn dialect_auth(dialect: &crate::profile::Dialect, grant: &str) -> AuthMode {
    match dialect.grant_auth.get(grant) {
        Some(GrantAuth::Basic) => AuthMode::Basic,
        Some(GrantAuth::Post) => AuthMode::Post,
        Some(GrantAuth::None) => AuthMode::None,
        Some(GrantAuth::Header) => AuthMode::Omit,
        None => AuthMode::Default,
    }
}

async fn send_http(
    action: &'static str,
    req: Request,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
    let label = format!("{} {}", req.method, short(&req.url));
    send_http_labelled(action, &label, req, ctx).await
}

async fn send_http_labelled(
    action: &'static str,
    label: &str,
    req: Request,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
    let ex = ctx.target.http.send(req).await;
    if let Some((kind, m)) = &ex.error {
        return Err(StepError {
            message: format!("{label}: {kind:?}: {m}"),
            exchanges: vec![ex],
            void: false,
        });
    }
    let envelope = ctx.target.profile.dialect.token_envelope.as_deref();
    let mut out = output_of(action, label, ex);
    if action == "token" {
        if let Some(member) = envelope {
            unwrap_envelope(&mut out, member);
        }
    }
    Ok(out)
}

/// Reads a wrapped token response (the dialect's `token_envelope`): the
/// checks and later steps see the inner object, the evidence the body as sent.
fn unwrap_envelope(out: &mut StepOutput, member: &str) {
    let wrapped =
        matches!(&out.body, Some(Body::Object(m)) if m.get(member).is_some_and(|v| v.is_object()));
    match out.body.clone().filter(|_| wrapped) {
        Some(outer) => {
            let body = outer.unwrap_envelope(Some(member));
            let mut values = values_of(out.response.as_ref(), Some(&body));
            values.ended = out.values.ended.clone();
            out.values = values;
            out.body = Some(body);
            out.summary
                .push_str(&format!(" (token response in `{member}`)"));
        }
        None => out.summary.push_str(&format!(
            " (no `{member}` envelope: the body is checked as sent)"
        )),
    }
}

/// The step output of a completed exchange.
fn output_of(action: &'static str, label: &str, ex: Exchange) -> StepOutput {
    let resp = ex.response.clone().expect("no error means a response");
    let body = Body::parse(resp.body.as_bytes());
    let mut values = values_of(Some(&resp), Some(&body));
    let err = crate::protocol::token::error_code(&body)
        .map(|e| format!(" {e}"))
        .unwrap_or_default();
    values.ended = format!("answered {}{err}", resp.status);
    StepOutput {
        action,
        summary: format!("{label}: {}{err}", resp.status),
        exchanges: vec![ex],
        values,
        response: Some(resp),
        body: Some(body),
        authz: None,
        statuses: Vec::new(),
    }
}

/// Top-level JSON scalars, plus `status`, for later templates.
fn values_of(resp: Option<&HttpResponse>, body: Option<&Body>) -> StepValues {
    let mut fields = BTreeMap::new();
    if let Some(m) = body.and_then(Body::object) {
        for (k, v) in m {
            if let Some(t) = value_text(v) {
                fields.insert(k.clone(), t);
            }
        }
    }
    if let Some(r) = resp {
        fields.insert("status".into(), r.status.to_string());
    }
    fields.extend(id_token_fields(body));
    StepValues {
        fields,
        ended: String::new(),
    }
}

/// The scalar claims of the body's `id_token` as `id_token.<claim>`
/// (`{{ first.id_token.sub }}`), read without verifying: what a later step
/// compares them with is checked by its own assertions, and a signature
/// that does not verify fails the steps that ask for it.
fn id_token_fields(body: Option<&Body>) -> BTreeMap<String, String> {
    let jws = body
        .and_then(Body::object)
        .and_then(|m| m.get("id_token"))
        .and_then(|v| v.as_str())
        .and_then(|t| crate::protocol::jwt::Jws::parse(t).ok());
    let Some(jws) = jws else {
        return BTreeMap::new();
    };
    // Arrays (an `aud` of several) as their JSON text: a later `equals`
    // compares them as JSON (run::expect::captured_scalar_equal).
    jws.claims
        .iter()
        .filter_map(|(k, v)| {
            let text = match v {
                serde_json::Value::Array(_) => Some(v.to_string()),
                _ => value_text(v),
            };
            text.map(|t| (format!("id_token.{k}"), t))
        })
        .collect()
}

/// Statuses of concurrent requests as counts, in status order
/// (`1 × 200, 19 × 400`): arrival order says nothing and varies run to run.
pub fn tally(statuses: &[u16]) -> String {
    let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
    for s in statuses {
        *counts.entry(*s).or_default() += 1;
    }
    counts
        .iter()
        .map(|(s, n)| format!("{n} × {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `scope` written in a step is a list: purposes that render empty
/// (`{{ scopes.base }}` for a plain OAuth issuer) leave no stray spaces.
/// Raw bytes go through `set = { scope = ... }` instead.
fn normalize_scope(s: &str) -> String {
    s.split(' ')
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
