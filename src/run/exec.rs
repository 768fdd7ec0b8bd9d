//! Executing one step: build the request from the scenario and the case's
//! values, send it (through the user agent for authorize), and describe what
//! came back. No judgement here; expectations are checked in `expect`.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::context::{CaseContext, StepValues};
use crate::agent::{self, form_agent::Walk, AuthzEnd};
use crate::http::Request;
use crate::profile::{AuthMethod, Client, GrantAuth};
use crate::protocol::callback::{build_url, Callback};
use crate::protocol::discovery::openid_configuration_url;
use crate::protocol::form::{encode_component, Params};
use crate::protocol::pkce;
use crate::protocol::token::{value_text, Body};
use crate::report::model::{Exchange, HttpResponse};
use crate::scenario::model::*;
use crate::scenario::uri_op::same_but_port;

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

/// `sent` is the loopback `registered` URI on another port.
fn loopback_port_of(registered: &str, sent: &str) -> bool {
    super::target::is_loopback_ip_uri(registered) && same_but_port(registered, sent)
}

/// A probe that is one of the client's registered URIs tests nothing: an
/// operation that changed nothing (no case in an IP literal), or two
/// clients sharing a URI. Checked before anything is sent.
fn check_probe(a: &AuthorizeDef, c: &Client, sent: Option<&str>) -> Result<(), StepError> {
    let Some(Probe::RedirectUri) = a.probe.as_ref().map(|p| *p.get_ref()) else {
        return Ok(());
    };
    match sent {
        None => Err(StepError::void(
            "the probe sends no redirect_uri at all".into(),
        )),
        Some(uri) if c.redirect_uris.iter().any(|r| r == uri) => Err(StepError::void(format!(
            "the probed redirect_uri {uri:?} is registered for client `{}`, so it probes nothing",
            c.role
        ))),
        Some(uri) if c.redirect_uris.iter().any(|r| loopback_port_of(r, uri)) => {
            Err(StepError::void(format!(
                "the probed redirect_uri {uri:?} is a registered loopback URI of client `{}` on another port, which RFC 8252 §7.3 allows",
                c.role
            )))
        }
        Some(_) => Ok(()),
    }
}

pub async fn execute(step: &StepDef, ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    if let Some(a) = &step.authorize {
        return authorize(a.get_ref(), ctx).await;
    }
    if let Some(t) = &step.token {
        return token(t.get_ref(), ctx).await;
    }
    if let Some(i) = &step.introspect {
        let ep = ctx
            .target
            .endpoints
            .introspection
            .clone()
            .ok_or("no introspection endpoint".to_string())?;
        return token_op("introspect", &ep, i.get_ref(), ctx).await;
    }
    if let Some(r) = &step.revoke {
        let ep = ctx
            .target
            .endpoints
            .revocation
            .clone()
            .ok_or("no revocation endpoint".to_string())?;
        return token_op("revoke", &ep, r.get_ref(), ctx).await;
    }
    if let Some(u) = &step.userinfo {
        return userinfo(u.get_ref(), ctx).await;
    }
    if let Some(a) = &step.api {
        // A step that expects a refusal must see it: no retry there.
        let expects_success = step.expect.status.as_ref().is_none_or(|s| {
            s.get_ref()
                .as_slice()
                .iter()
                .any(|c| (200..300).contains(c))
        });
        return api(a.get_ref(), expects_success, ctx).await;
    }
    if let Some(d) = &step.discovery {
        let url = match ctx.render_opt(&d.get_ref().path)? {
            Some(p) => format!("{}{}", ctx.target.profile.issuer.trim_end_matches('/'), p),
            None => openid_configuration_url(&ctx.target.profile.issuer),
        };
        return send_http(
            "discovery",
            Request::get(url).header("Accept", "application/json"),
            ctx,
        )
        .await;
    }
    if let Some(h) = &step.http {
        return raw_http(h.get_ref(), ctx).await;
    }
    Err("the step has no action".to_string().into())
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

async fn authorize(a: &AuthorizeDef, ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let role = match &a.client {
        Some(c) => ctx.render(c)?,
        None => "c1".to_string(),
    };
    let c = client(ctx, &role)?;
    let endpoint = ctx
        .target
        .endpoints
        .authorization
        .clone()
        .ok_or("no authorization endpoint".to_string())?;
    let redirect_uri = match &a.redirect_uri {
        Some(t) => Some(ctx.render(t)?),
        None => c.redirect_uris.first().cloned(),
    };
    let scope = match ctx.render_opt(&a.scope)? {
        Some(s) => normalize_scope(&s),
        None => c.scope.clone(),
    };
    let state = match &a.state {
        Some(t) => ctx.render(t)?,
        None => ctx.gen("state"),
    };
    let verifier = match &a.verifier {
        Some(t) => ctx.render(t)?,
        None => ctx.gen("verifier"),
    };
    let nonce = match &a.nonce {
        Some(t) => Some(ctx.render(t)?),
        None => scope
            .split(' ')
            .any(|s| s == "openid")
            .then(|| ctx.gen("nonce")),
    };
    let mut p = Params::new();
    p.push("response_type", "code");
    p.push("client_id", c.id.clone());
    if let Some(r) = &redirect_uri {
        p.push("redirect_uri", r.clone());
    }
    if !scope.is_empty() {
        p.push("scope", scope.clone());
    }
    if !state.is_empty() {
        p.push("state", state.clone());
    }
    if let Some(n) = &nonce {
        p.push("nonce", n.clone());
    }
    p.push("code_challenge", pkce::s256_challenge(&verifier));
    p.push("code_challenge_method", "S256");
    // OIDC Core §11: a client asking for offline_access sends prompt=consent,
    // and issuers may drop offline_access without it (oidc-provider does).
    // A scenario's `set`/`remove` can still change it.
    if scope.split(' ').any(|s| s == "offline_access") {
        p.push("prompt", "consent");
    }
    apply_edits(&mut p, a.edits(), ctx)?;

    let method = ctx
        .render_opt(&a.method)?
        .unwrap_or_else(|| "GET".into())
        .to_ascii_uppercase();
    let req = if method == "POST" {
        Request::form(endpoint.clone(), p.encode())
    } else {
        Request::get(build_url(&endpoint, &p))
    };
    // Where a callback is expected: the redirect URI actually sent, else the registered one.
    let sent_redirect = p.get("redirect_uri").map(str::to_string);
    check_probe(a, c, sent_redirect.as_deref())?;
    // A response type that returns a token from the authorization endpoint
    // defaults to the fragment response mode, errors included (OAuth 2.0
    // Multiple Response Type Encoding Practices §5).
    let fragment_mode = p
        .get("response_type")
        .is_some_and(|rt| rt.split(' ').any(|t| t == "token" || t == "id_token"));
    let expected_redirect = sent_redirect
        .clone()
        .or_else(|| c.redirect_uris.first().cloned());
    let user_role = match &a.user {
        Some(u) => ctx.render(u)?,
        None => "u1".to_string(),
    };
    let user = ctx.target.profile.users.get(&user_role);
    let consent = a
        .consent
        .as_ref()
        .map(|c| *c.get_ref())
        .unwrap_or(Consent::Approve);
    let walk = Walk {
        http: &ctx.target.http,
        login: &ctx.target.profile.login,
        user: user.map(|u| (u.role.as_str(), u.username.as_str(), u.password.as_str())),
        consent,
        redirect_uri: expected_redirect.as_deref(),
        max_redirects: ctx.target.profile.http.max_redirects,
    };
    let result = agent::authorize(walk, req).await.map_err(|e| StepError {
        message: e.to_string(),
        exchanges: e.exchanges().to_vec(),
        void: false,
    })?;
    if consent == Consent::Deny
        && result.consent.is_none()
        && matches!(result.end, AuthzEnd::Redirect { .. })
    {
        return Err(StepError {
            message:
                "consent could not be refused: the issuer showed no consent page before redirecting"
                    .into(),
            exchanges: result.exchanges,
            void: false,
        });
    }
    let view = classify(&result.end, expected_redirect.as_deref(), fragment_mode);

    let mut fields = BTreeMap::new();
    for (k, v) in view.params.iter() {
        fields.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    fields.insert("client".into(), role.clone());
    fields.insert("client_id".into(), c.id.clone());
    fields.insert("verifier".into(), verifier.clone());
    if let Some(ch) = p.get("code_challenge") {
        fields.insert("challenge".into(), ch.to_string());
    }
    if let Some(r) = &sent_redirect {
        fields.insert("redirect_uri".into(), r.clone());
    }
    if let Some(s) = p.get("scope") {
        fields.insert("scope".into(), s.to_string());
    }
    if let Some(n) = p.get("nonce") {
        fields.insert("nonce".into(), n.to_string());
    }
    if let Some(l) = &view.location {
        fields.insert("location".into(), l.clone());
    }
    fields.insert("outcome".into(), observed_name(view.kind).into());
    let summary = format!(
        "authorize as {role} ({} {}): {}",
        method,
        short(&endpoint),
        view.described
    );
    Ok(StepOutput {
        action: "authorize",
        summary,
        exchanges: result.exchanges,
        values: StepValues {
            fields,
            ended: format!("ended with {}", view.described),
        },
        response: None,
        body: None,
        authz: Some(view),
        statuses: Vec::new(),
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

fn classify(end: &AuthzEnd, expected: Option<&str>, fragment_mode: bool) -> AuthzView {
    match end {
        AuthzEnd::NoRedirect { status, reason } => AuthzView {
            kind: Observed::NoRedirect,
            params: Params::new(),
            fragment: Params::new(),
            location: None,
            status: *status,
            described: format!("no redirect ({reason})"),
        },
        AuthzEnd::Redirect {
            location,
            status,
            via,
        } => {
            let cb = Callback::parse(location);
            let to_expected = expected.is_some_and(|e| cb.targets(e));
            let mut params = match expected {
                Some(e) if to_expected => cb.response_params(e),
                _ => cb.query.clone(),
            };
            // An error for a fragment-mode request arrives in the fragment.
            if fragment_mode
                && params.get("code").is_none()
                && params.get("error").is_none()
                && cb.fragment.get("error").is_some()
            {
                params = cb.fragment.clone();
            }
            let kind = if !to_expected {
                Observed::Elsewhere
            } else if params.get("code").is_some() {
                Observed::Code
            } else if params.get("error").is_some() {
                Observed::Error
            } else {
                Observed::Bare
            };
            let what = match kind {
                Observed::Code => "code".to_string(),
                Observed::Error => format!("error={}", params.get("error").unwrap_or("")),
                Observed::Elsewhere => "a redirect away from the issuer".to_string(),
                _ => "no code and no error".to_string(),
            };
            AuthzView {
                kind,
                params,
                fragment: cb.fragment.clone(),
                location: Some(location.clone()),
                status: *status,
                described: format!("{what} ({status} via {via} to {})", short(location)),
            }
        }
    }
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
    secret: Option<String>,
) {
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
                encode_component(&c.id),
                encode_component(secret.as_deref().unwrap_or(""))
            );
            req.headers.push((
                "Authorization".into(),
                format!("Basic {}", STANDARD.encode(raw)),
            ));
        }
        AuthMode::Post => {
            p.push("client_id", c.id.clone());
            p.push("client_secret", secret.unwrap_or_default());
        }
        AuthMode::None => p.push("client_id", c.id.clone()),
        AuthMode::Omit | AuthMode::Default => {}
    }
}

async fn token(t: &TokenDef, ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let from = match &t.from {
        Some(f) => {
            let name = ctx.render(f)?;
            Some(
                ctx.steps
                    .get(&name)
                    .cloned()
                    .ok_or_else(|| format!("step `{name}` has not run"))?,
            )
        }
        None => None,
    };
    let from_field = |k: &str| from.as_ref().and_then(|f| f.fields.get(k).cloned());
    let role = match &t.client {
        Some(c) => ctx.render(c)?,
        None => from_field("client").unwrap_or_else(|| "c1".into()),
    };
    let c = client(ctx, &role)?;
    let grant = match &t.grant {
        Some(g) => ctx.render(g)?,
        None if t.refresh_token.is_some() => "refresh_token".into(),
        None => "authorization_code".into(),
    };
    let mut p = Params::new();
    p.push("grant_type", grant.clone());
    let code = match &t.code {
        Some(x) => Some(ctx.render(x)?),
        None if from.is_some() => Some(from_field("code").ok_or_else(|| {
            format!(
                "there is no code to redeem: the authorize step {}",
                from.as_ref().map(|f| f.ended.as_str()).unwrap_or("")
            )
        })?),
        None => None,
    };
    if let Some(code) = code {
        p.push("code", code);
    }
    match &t.redirect_uri {
        Some(x) => p.push("redirect_uri", ctx.render(x)?),
        None => {
            if let Some(r) = from_field("redirect_uri") {
                p.push("redirect_uri", r);
            }
        }
    }
    match &t.code_verifier {
        Some(x) => p.push("code_verifier", ctx.render(x)?),
        None => {
            if let Some(v) = from_field("verifier") {
                p.push("code_verifier", v);
            }
        }
    }
    if let Some(x) = &t.refresh_token {
        p.push("refresh_token", ctx.render(x)?);
    }
    if let Some(x) = &t.scope {
        // Like the authorization request: an empty scope is not sent.
        let scope = normalize_scope(&ctx.render(x)?);
        if !scope.is_empty() {
            p.push("scope", scope);
        }
    }
    let endpoint = ctx
        .target
        .endpoints
        .token
        .clone()
        .ok_or("no token endpoint".to_string())?;
    let mut query = Params::new();
    for [k, v] in &t.query {
        query.push(ctx.render(k)?, ctx.render(v)?);
    }
    let method = ctx
        .render_opt(&t.method)?
        .unwrap_or_else(|| "POST".into())
        .to_ascii_uppercase();
    let content_type = ctx
        .render_opt(&t.content_type)?
        .unwrap_or_else(|| "application/x-www-form-urlencoded".into());
    let mut req = Request {
        method: method.clone(),
        url: String::new(),
        headers: Vec::new(),
        body: None,
    };
    let secret = ctx.render_opt(&t.secret)?;
    let dialect = &ctx.target.profile.dialect;
    let mode = match t.auth.as_ref().map(|a| *a.get_ref()) {
        Some(m) => m,
        // The profile's dialect may fix the method for this grant.
        None => dialect_auth(dialect, &grant),
    };
    authenticate(&mut req, &mut p, c, mode, secret);
    client_id_header(&mut req, c, ctx);
    apply_edits(&mut p, t.edits(), ctx)?;
    if method == "GET" {
        // Every parameter in the URL, as a careless client would (TOK-05).
        let mut all = query.clone();
        all.0.extend(p.0.iter().cloned());
        req.url = build_url(&endpoint, &all);
    } else {
        req.url = build_url(&endpoint, &query);
        req.headers.insert(0, ("Content-Type".into(), content_type));
        req.body = Some(p.encode().into_bytes());
    }
    let label = format!("token {grant} as {role}");
    match t.concurrent.as_ref().map(|n| *n.get_ref()) {
        Some(n) if n > 1 => concurrent(&label, req, n, ctx).await,
        _ => send_http_labelled("token", &label, req, ctx).await,
    }
}

async fn concurrent(
    label: &str,
    req: Request,
    n: u32,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let http = ctx.target.http.clone();
        let r = req.clone();
        set.spawn(async move { http.send(r).await });
    }
    let mut exchanges = Vec::new();
    while let Some(r) = set.join_next().await {
        exchanges.push(r.map_err(|e| format!("a concurrent request panicked: {e}"))?);
    }
    if let Some(e) = exchanges.iter().find(|e| e.error.is_some()) {
        let (_, m) = e
            .error
            .clone()
            .unwrap_or((crate::report::model::TransportError::Other, String::new()));
        return Err(StepError {
            message: format!("a concurrent request failed: {m}"),
            exchanges,
            void: false,
        });
    }
    let statuses: Vec<u16> = exchanges
        .iter()
        .filter_map(|e| e.response.as_ref().map(|r| r.status))
        .collect();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    // The first success is what later steps can refer to.
    let decisive = exchanges
        .iter()
        .find(|e| e.response.as_ref().is_some_and(|r| r.status == 200))
        .or(exchanges.first())
        .and_then(|e| e.response.clone());
    let body = decisive.as_ref().map(|r| Body::parse(r.body.as_bytes()));
    let mut values = values_of(decisive.as_ref(), body.as_ref());
    values.ended = format!("sent {n} requests at once, {ok} answered 200");
    Ok(StepOutput {
        action: "token",
        summary: format!("{label}, {n} at once: {}", tally(&statuses)),
        exchanges,
        values,
        response: decisive,
        body,
        authz: None,
        statuses,
    })
}

async fn token_op(
    action: &'static str,
    endpoint: &str,
    t: &TokenOpDef,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
    let role = match &t.client {
        Some(c) => ctx.render(c)?,
        None => "c1".into(),
    };
    let c = client(ctx, &role)?;
    let mut p = Params::new();
    if let Some(tok) = ctx.render_opt(&t.token)? {
        p.push("token", tok);
    }
    if let Some(h) = ctx.render_opt(&t.hint)? {
        p.push("token_type_hint", h);
    }
    let mut req = Request::form(endpoint, String::new());
    let secret = ctx.render_opt(&t.secret)?;
    let mode = t
        .auth
        .as_ref()
        .map(|a| *a.get_ref())
        .unwrap_or(AuthMode::Default);
    authenticate(&mut req, &mut p, c, mode, secret);
    client_id_header(&mut req, c, ctx);
    apply_edits(&mut p, t.edits(), ctx)?;
    req.body = Some(p.encode().into_bytes());
    send_http_labelled(action, &format!("{action} as {role}"), req, ctx).await
}

async fn userinfo(u: &UserinfoDef, ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let endpoint = ctx
        .target
        .endpoints
        .userinfo
        .clone()
        .ok_or("no userinfo endpoint".to_string())?;
    let token = ctx.render_opt(&u.token)?;
    let method = ctx
        .render_opt(&u.method)?
        .unwrap_or_else(|| "GET".into())
        .to_ascii_uppercase();
    let scheme = ctx
        .render_opt(&u.scheme)?
        .unwrap_or_else(|| "Bearer".into());
    let places: Vec<Placement> = if u.placement.is_empty() {
        vec![Placement::Header]
    } else {
        u.placement.iter().map(|p| *p.get_ref()).collect()
    };
    let mut req = Request {
        method: method.clone(),
        url: endpoint.clone(),
        headers: Vec::new(),
        body: None,
    };
    if let Some(tok) = &token {
        let pair: Params = [("access_token", tok.as_str())].into_iter().collect();
        for place in &places {
            match place {
                Placement::Header => req
                    .headers
                    .push(("Authorization".into(), format!("{scheme} {tok}"))),
                Placement::Query => req.url = build_url(&endpoint, &pair),
                Placement::Body => {
                    req.headers.push((
                        "Content-Type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ));
                    req.body = Some(pair.encode().into_bytes());
                }
            }
        }
    }
    if method == "POST" && req.body.is_none() {
        req.headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        req.body = Some(Vec::new());
    }
    send_http_labelled("userinfo", &format!("userinfo {method}"), req, ctx).await
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

async fn api(
    a: &ApiDef,
    expects_success: bool,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
    let endpoint = ctx
        .target
        .endpoints
        .api
        .clone()
        .ok_or("no api endpoint".to_string())?;
    let role = ctx.render_opt(&a.client)?.unwrap_or_else(|| "c1".into());
    let c = client(ctx, &role)?.clone();
    let token = ctx.render_opt(&a.token)?;
    let id_header = ctx.target.profile.dialect.client_id_header.clone();
    let request = |token: Option<&str>| {
        let mut req = Request::get(endpoint.clone()).header("Accept", "application/json");
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(h) = &id_header {
            req.headers.push((h.clone(), c.id.clone()));
        }
        req
    };
    let label = format!("api GET as {role}");
    let first = send_http_labelled("api", &label, request(token.as_deref()), ctx).await?;
    let retry = ctx.target.profile.dialect.retry_on_401
        && expects_success
        && token.is_some()
        && first.response.as_ref().is_some_and(|r| r.status == 401)
        && c.grants.iter().any(|g| g == "client_credentials");
    if !retry {
        return Ok(first);
    }
    // The documented recovery: a new token, then the same request once more.
    let mut p = Params::new();
    p.push("grant_type", "client_credentials");
    if !c.scope.is_empty() {
        p.push("scope", c.scope.clone());
    }
    let token_ep = ctx
        .target
        .endpoints
        .token
        .clone()
        .ok_or("no token endpoint".to_string())?;
    let mut req = Request {
        method: "POST".into(),
        url: token_ep,
        headers: vec![(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: None,
    };
    let mode = dialect_auth(&ctx.target.profile.dialect, "client_credentials");
    authenticate(&mut req, &mut p, &c, mode, None);
    client_id_header(&mut req, &c, ctx);
    req.body = Some(p.encode().into_bytes());
    let fresh = send_http_labelled(
        "token",
        "token client_credentials (retry after 401)",
        req,
        ctx,
    )
    .await;
    let mut exchanges = first.exchanges;
    let fresh = match fresh {
        Ok(out) => out,
        Err(mut e) => {
            exchanges.append(&mut e.exchanges);
            return Err(StepError {
                message: format!("the 401 retry could not fetch a new token: {}", e.message),
                exchanges,
                void: false,
            });
        }
    };
    exchanges.extend(fresh.exchanges.iter().cloned());
    let Some(new_token) = fresh.values.fields.get("access_token").cloned() else {
        return Err(StepError {
            message: format!("the 401 retry got no new access token ({})", fresh.summary),
            exchanges,
            void: false,
        });
    };
    let mut second = match send_http_labelled("api", &label, request(Some(&new_token)), ctx).await {
        Ok(out) => out,
        Err(mut e) => {
            exchanges.append(&mut e.exchanges);
            return Err(StepError {
                message: format!("the retry after a 401 failed: {}", e.message),
                exchanges,
                void: false,
            });
        }
    };
    exchanges.append(&mut second.exchanges);
    second.exchanges = exchanges;
    second.summary = format!(
        "{} (after a 401, a new token and one retry)",
        second.summary
    );
    // The new token is this step's too, for later steps.
    second
        .values
        .fields
        .insert("access_token".into(), new_token);
    Ok(second)
}

async fn raw_http(h: &HttpDef, ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let method = ctx
        .render_opt(&h.method)?
        .unwrap_or_else(|| "GET".into())
        .to_ascii_uppercase();
    let url = ctx.render(&h.url)?;
    let mut req = Request {
        method,
        url,
        headers: Vec::new(),
        body: None,
    };
    for [k, v] in &h.headers {
        req.headers.push((ctx.render(k)?, ctx.render(v)?));
    }
    if let Some(role) = &h.basic {
        let role = ctx.render(role)?;
        let c = client(ctx, &role)?;
        let mut ignored = Params::new();
        authenticate(&mut req, &mut ignored, c, AuthMode::Basic, None);
    }
    if !h.form.is_empty() {
        let mut p = Params::new();
        for [k, v] in &h.form {
            p.push(ctx.render(k)?, ctx.render(v)?);
        }
        if !req
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            req.headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
        }
        req.body = Some(p.encode().into_bytes());
    } else if let Some(b) = &h.body {
        req.body = Some(ctx.render(b)?.into_bytes());
    }
    if let Some(role) = &h.client {
        let role = ctx.render(role)?;
        let c = client(ctx, &role)?;
        let mut creds = Params::new();
        authenticate(&mut req, &mut creds, c, AuthMode::Default, None);
        if !creds.is_empty() {
            // Body credentials go after the literal body, as a client adds them.
            let mut body = req.body.take().unwrap_or_default();
            if !body.is_empty() {
                body.push(b'&');
            }
            body.extend_from_slice(creds.encode().as_bytes());
            req.body = Some(body);
        }
    }
    if h.follow {
        return follow_http(req, ctx).await;
    }
    send_http("http", req, ctx).await
}

/// Sends `req` and follows same-origin redirects with a cookie jar, like a
/// browser would within the issuer; a redirect elsewhere is not followed.
async fn follow_http(mut req: Request, ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let label = format!("{} {} (following redirects)", req.method, short(&req.url));
    let max = ctx.target.profile.http.max_redirects;
    let mut jar = crate::agent::cookies::Jar::default();
    let mut exchanges = Vec::new();
    for hop in 0.. {
        let url = url::Url::parse(&req.url).ok();
        if let Some(c) = url.as_ref().and_then(|u| jar.header_for(u)) {
            req.headers.push(("Cookie".into(), c));
        }
        let ex = ctx.target.http.send(req.clone()).await;
        exchanges.push(ex.clone());
        if let Some((kind, m)) = &ex.error {
            return Err(StepError {
                message: format!("{label}: {kind:?}: {m}"),
                exchanges,
                void: false,
            });
        }
        let resp = ex.response.expect("no error means a response");
        if let Some(u) = &url {
            jar.store(u, resp.headers_named("set-cookie"));
        }
        let next = resp
            .header("location")
            .filter(|_| (300..400).contains(&resp.status))
            .and_then(|loc| url.as_ref()?.join(loc).ok())
            .filter(|n| url.as_ref().is_some_and(|u| u.origin() == n.origin()));
        match next {
            Some(n) if hop < max => req = Request::get(n.to_string()),
            _ => break,
        }
    }
    let last = exchanges.pop().expect("at least one exchange");
    let mut out = output_of("http", &label, last);
    exchanges.append(&mut out.exchanges);
    out.exchanges = exchanges;
    Ok(out)
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
    StepValues {
        fields,
        ended: String::new(),
    }
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
