//! The `authorize` step: the authorization request, the walk through the
//! issuer's pages (`agent::authorize`), and what that walk came to.

use std::collections::BTreeMap;

use super::{
    apply_edits, client, normalize_scope, observed_name, short, AuthzView, Observed, StepError,
    StepOutput,
};
use crate::agent::session::Settled;
use crate::agent::{self, form_agent::Walk, AuthzEnd, AuthzResult};
use crate::http::Request;
use crate::profile::{AgentKind, Client};
use crate::protocol::callback::{build_url, Callback};
use crate::protocol::form::Params;
use crate::protocol::pkce;
use crate::run::context::{CaseContext, StepValues};
use crate::run::target::is_loopback_ip_uri;
use crate::scenario::model::{AuthorizeDef, Consent};
use crate::scenario::uri_op::same_but_port;

pub(crate) async fn authorize(
    a: &AuthorizeDef,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
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
    let (p, verifier) = request_params(a, c, ctx)?;
    let method = ctx
        .render_opt(&a.method)?
        .unwrap_or_else(|| "GET".into())
        .to_ascii_uppercase();
    let req = if method == "POST" {
        Request::form(endpoint.clone(), p.encode())
    } else {
        Request::get(build_url(&endpoint, &p))
    };
    if a.probe.is_some() {
        let conformant = conformant_params(c, ctx)?;
        check_probe(a, c, &p, &conformant)?;
    }
    // Where a callback is expected: the redirect URI actually sent, else the registered one.
    // Sent empty is omitted (RFC 6749 §3.1): the registered one is expected.
    let sent_redirect = p
        .get("redirect_uri")
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    // A response type that returns a token from the authorization endpoint
    // defaults to the fragment response mode, errors included (OAuth 2.0
    // Multiple Response Type Encoding Practices §5).
    let fragment_mode = p
        .get("response_type")
        .is_some_and(|rt| rt.split(' ').any(|t| t == "token" || t == "id_token"));
    let expected_redirect = sent_redirect.or_else(|| c.redirect_uris.first().cloned());
    let user = match &a.user {
        Some(u) => ctx.render(u)?,
        None => "u1".to_string(),
    };
    let fresh = needs_fresh_login(a, &p);
    let (result, carried) = walk(a, req, &user, expected_redirect.as_deref(), fresh, ctx).await?;
    let mut view = classify(&result.end, expected_redirect.as_deref(), fragment_mode);
    // A session reused is a login that works, as much as a form filled.
    let authenticated = result.logged_in || result.reused;
    (view.client, view.user, view.logged_in) = (role.clone(), user, authenticated);
    let mut fields = output_fields(&view, &role, c, &verifier, &p);
    // Whether the walk started from a session, and whether the issuer
    // still asked for a login (AUTHZ-14 reads both).
    let said = |b: bool, yes: &str, no: &str| if b { yes } else { no }.to_string();
    fields.insert("session".into(), said(carried, "carried", "none"));
    fields.insert("login".into(), said(result.logged_in, "shown", "not_shown"));
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

/// The authorization request's parameters as client `c` sends them, the
/// step's edits applied, and the PKCE verifier behind the challenge.
fn request_params(
    a: &AuthorizeDef,
    c: &Client,
    ctx: &mut CaseContext<'_>,
) -> Result<(Params, String), String> {
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
    Ok((p, verifier))
}

/// The hosts the browser may resolve: the issuer's endpoints' and the
/// origins the profile trusts; the client's callback host stays unresolvable.
fn browser_hosts(t: &crate::run::Target) -> Vec<String> {
    let urls = [&t.endpoints.authorization, &t.endpoints.token]
        .into_iter()
        .flatten()
        .cloned()
        .chain(std::iter::once(t.profile.issuer.clone()))
        .chain(t.profile.http.trusted_origins.iter().cloned());
    let mut hosts: Vec<String> = urls
        .filter_map(|u| url::Url::parse(&u).ok()?.host_str().map(str::to_string))
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b))
        })
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Whether the step must log in afresh: it says so, or its request asks the
/// issuer to authenticate again (`prompt=login`), to show nothing
/// (`prompt=none`: a session would answer for it) or to bound the
/// authentication's age (`max_age`).
/// An explicit `fresh_login = false` keeps the session even then: AUTHZ-14
/// asks whether the issuer itself makes the user log in again.
fn needs_fresh_login(a: &AuthorizeDef, p: &Params) -> bool {
    let implied = p
        .get_all("prompt")
        .any(|v| v.split(' ').any(|x| x == "login" || x == "none"))
        || p.get("max_age").is_some();
    a.fresh_login.as_ref().map_or(implied, |f| *f.get_ref())
}

/// Walks the issuer's pages from `req` as the step's user, answering
/// consent as the step says, until the issuer redirects or stops; starts
/// from the user's session unless `fresh`, and keeps the session a login
/// made.
async fn walk(
    a: &AuthorizeDef,
    req: Request,
    user_role: &str,
    expected_redirect: Option<&str>,
    fresh: bool,
    ctx: &mut CaseContext<'_>,
) -> Result<(AuthzResult, bool), StepError> {
    let user = ctx.target.profile.users.get(user_role);
    let sessions = &ctx.target.sessions;
    // `fresh_login = false` asks for the session an earlier step of this
    // case made (AUTHZ-14), pooled sessions or not; it stays the case's.
    let keep = a.fresh_login.as_ref().is_some_and(|f| !*f.get_ref());
    let own = keep.then(|| ctx.sessions.get(user_role).cloned()).flatten();
    let from_case = own.is_some();
    let session = match (own, fresh || sessions.disabled() || user.is_none()) {
        (Some(jar), _) => Some(jar),
        (None, true) => None,
        (None, false) => sessions.take(user_role),
    };
    // The browser keeps its own cookies per user: a kept session is one it
    // is not told to clear, even with pooling off.
    let browser_fresh = match keep {
        true => fresh,
        false => fresh || sessions.disabled(),
    };
    let carried = match ctx.target.profile.login.agent {
        AgentKind::Browser => !browser_fresh,
        _ => session.is_some(),
    };
    let consent = a
        .consent
        .as_ref()
        .map(|c| *c.get_ref())
        .unwrap_or(Consent::Approve);
    let walk = Walk {
        http: &ctx.target.http,
        login: &ctx.target.profile.login,
        user,
        consent,
        redirect_uri: expected_redirect,
        max_redirects: ctx.target.profile.http.max_redirects,
        session: session.clone(),
    };
    let started = std::time::Instant::now();
    let result = match ctx.target.profile.login.agent {
        AgentKind::Form => agent::authorize(walk, req).await,
        AgentKind::Browser => {
            let hosts = browser_hosts(ctx.target);
            agent::browser_agent::authorize(&ctx.target.browser, &hosts, walk, req, browser_fresh)
                .await
        }
        AgentKind::Manual => agent::manual_agent::authorize(walk, req).await,
    };
    let result = result.map_err(|e| StepError {
        message: e.to_string(),
        exchanges: e.exchanges().to_vec(),
        void: false,
    })?;
    let reached = matches!(result.end, AuthzEnd::Redirect { .. });
    let ms = started.elapsed().as_millis() as u64;
    let settled = match (reached, result.logged_in, result.reused) {
        (true, true, _) => Settled::LoggedIn {
            jar: result.jar.clone(),
            ms,
        },
        (true, false, true) => Settled::Reused {
            jar: result.jar.clone(),
            ms,
        },
        _ => Settled::Neither {
            session: session.map(|_| result.jar.clone()),
        },
    };
    if reached {
        ctx.sessions
            .insert(user_role.to_string(), result.jar.clone());
    }
    if !from_case {
        sessions.settle(user_role, settled);
    }
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
    Ok((result, carried))
}

/// What later steps can refer to: the callback's parameters, what the
/// request sent (client, verifier, challenge, redirect URI, scope, nonce),
/// and where and how the walk ended.
fn output_fields(
    view: &AuthzView,
    role: &str,
    c: &Client,
    verifier: &str,
    p: &Params,
) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for (k, v) in view.params.iter() {
        fields.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    fields.insert("client".into(), role.to_string());
    fields.insert("client_id".into(), c.id.clone());
    fields.insert("verifier".into(), verifier.to_string());
    if let Some(ch) = p.get("code_challenge") {
        fields.insert("challenge".into(), ch.to_string());
    }
    if let Some(r) = p.get("redirect_uri") {
        fields.insert("redirect_uri".into(), r.to_string());
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
    fields
}

/// `sent` is the loopback `registered` URI on another port.
fn loopback_port_of(registered: &str, sent: &str) -> bool {
    is_loopback_ip_uri(registered) && same_but_port(registered, sent)
}

/// A probe that equals the conformant value tests nothing: an operation
/// that changed nothing (no case in an IP literal, no letter to upper-case),
/// or two clients sharing a URI. Checked before anything is sent, against
/// the request the step would send without its changes (`conformant`).
fn check_probe(
    a: &AuthorizeDef,
    c: &Client,
    sent: &Params,
    conformant: &Params,
) -> Result<(), StepError> {
    let Some(names) = a.probe.as_ref().map(|p| p.get_ref().as_slice()) else {
        return Ok(());
    };
    for name in names {
        if name == "redirect_uri" {
            redirect_uri_probe(c, sent.get(name))?;
        }
        // Every value: a duplicate appended to the conformant one is a probe.
        let values: Vec<&str> = sent.get_all(name).collect();
        if values == conformant.get_all(name).collect::<Vec<_>>() {
            let shown = match values.as_slice() {
                [] => "absent".to_string(),
                v => format!("{v:?}"),
            };
            return Err(StepError::void(format!(
                "the probed {name} ({shown}) is what a conformant request sends, so it probes nothing"
            )));
        }
    }
    Ok(())
}

/// A probed redirect_uri must be none of the client's registered URIs (nor,
/// for a loopback one, the same on another port).
fn redirect_uri_probe(c: &Client, sent: Option<&str>) -> Result<(), StepError> {
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

/// The request the step would send without any of its changes: the same
/// client, its registered URI and scope, the case's state and verifier.
fn conformant_params(c: &Client, ctx: &mut CaseContext<'_>) -> Result<Params, String> {
    let plain: AuthorizeDef =
        toml::from_str("").map_err(|e| format!("the conformant request: {e}"))?;
    Ok(request_params(&plain, c, ctx)?.0)
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
            client: String::new(),
            user: String::new(),
            logged_in: false,
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
                client: String::new(),
                user: String::new(),
                logged_in: false,
            }
        }
    }
}

#[cfg(test)]
mod probe_tests {
    use super::*;
    use crate::profile::AuthMethod;

    fn client(id: &str, uris: &[&str]) -> Client {
        Client {
            role: "c1".into(),
            id: id.into(),
            secret: None,
            secret_env: None,
            auth_method: AuthMethod::None,
            redirect_uris: uris.iter().map(|u| u.to_string()).collect(),
            scope: String::new(),
            grants: vec![],
            oauth21_only: false,
        }
    }

    fn step(probe: &str) -> AuthorizeDef {
        toml::from_str(&format!("probe = {probe}")).unwrap()
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut p = Params::new();
        for (k, v) in pairs {
            p.push(*k, *v);
        }
        p
    }

    #[test]
    fn a_probe_equal_to_the_conformant_value_is_void() {
        let c = client("12345", &["http://127.0.0.1:5000/cb"]);
        let conformant = params(&[
            ("client_id", "12345"),
            ("redirect_uri", "http://127.0.0.1:5000/cb"),
        ]);
        let void = |probe: &str, sent: &[(&str, &str)]| {
            check_probe(&step(probe), &c, &params(sent), &conformant)
                .err()
                .map(|e| (e.void, e.message))
        };
        // `| upper` on an id without letters changes nothing.
        let (is_void, why) = void("\"client_id\"", &[("client_id", "12345")]).unwrap();
        assert!(is_void && why.contains("client_id"), "{why}");
        assert!(void("\"client_id\"", &[("client_id", "ABC")]).is_none());
        // Dropping the parameter is a probe; both absent is not.
        assert!(void("\"client_id\"", &[]).is_none());
        assert!(void("\"nonce\"", &[]).is_some());
        // A duplicate after the conformant value differs from it.
        assert!(void(
            "\"client_id\"",
            &[("client_id", "12345"), ("client_id", "x")]
        )
        .is_none());
        // The loopback allowance: another port on a registered loopback URI.
        let (_, why) = void(
            "[\"redirect_uri\"]",
            &[("redirect_uri", "http://127.0.0.1:6000/cb")],
        )
        .unwrap();
        assert!(why.contains("RFC 8252"), "{why}");
        assert!(void(
            "[\"redirect_uri\"]",
            &[("redirect_uri", "http://127.0.0.1:6000/cb2")]
        )
        .is_none());
    }
}
