//! The `token` step: a token request for any grant, its parameters filled
//! from an earlier authorize step (`from`), sent once or `concurrent`ly.

use super::{
    apply_edits, authenticate, client, client_id_header, dialect_auth, normalize_scope,
    send_http_labelled, tally, values_of, StepError, StepOutput,
};
use crate::http::{overlapped, InFlight, Request};
use crate::protocol::callback::build_url;
use crate::protocol::form::Params;
use crate::protocol::token::Body;
use crate::run::context::{CaseContext, StepValues};
use crate::scenario::model::TokenDef;

pub(super) async fn token(
    t: &TokenDef,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
    let from = from_step(t, ctx)?;
    let role = match &t.client {
        Some(c) => ctx.render(c)?,
        None => from_field(from.as_ref(), "client").unwrap_or_else(|| "c1".into()),
    };
    let c = client(ctx, &role)?;
    let grant = match &t.grant {
        Some(g) => ctx.render(g)?,
        None if t.refresh_token.is_some() => "refresh_token".into(),
        None => "authorization_code".into(),
    };
    let mut p = grant_params(t, &grant, from.as_ref(), ctx)?;
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
        hold_last_byte: None,
    };
    let secret = ctx.render_opt(&t.secret)?;
    let dialect = &ctx.target.profile.dialect;
    let mode = match t.auth.as_ref().map(|a| *a.get_ref()) {
        Some(m) => m,
        // The profile's dialect may fix the method for this grant.
        None => dialect_auth(dialect, &grant),
    };
    let id = ctx.render_opt(&t.client_id)?;
    authenticate(&mut req, &mut p, c, mode, (id, secret));
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

/// The values of the authorize step named by `from`, which must have run.
fn from_step(t: &TokenDef, ctx: &mut CaseContext<'_>) -> Result<Option<StepValues>, String> {
    let Some(f) = &t.from else {
        return Ok(None);
    };
    let name = ctx.render(f)?;
    ctx.steps
        .get(&name)
        .cloned()
        .map(Some)
        .ok_or_else(|| format!("step `{name}` has not run"))
}

/// A field of the `from` step, if there is one.
fn from_field(from: Option<&StepValues>, k: &str) -> Option<String> {
    from.and_then(|f| f.fields.get(k).cloned())
}

/// The grant's own parameters: `grant_type`, then the code, redirect URI
/// and verifier (from the step, else from the `from` step), the refresh
/// token and the scope.
fn grant_params(
    t: &TokenDef,
    grant: &str,
    from: Option<&StepValues>,
    ctx: &mut CaseContext<'_>,
) -> Result<Params, String> {
    let mut p = Params::new();
    p.push("grant_type", grant.to_string());
    let code = match &t.code {
        Some(x) => Some(ctx.render(x)?),
        None if from.is_some() => Some(from_field(from, "code").ok_or_else(|| {
            format!(
                "there is no code to redeem: the authorize step {}",
                from.map(|f| f.ended.as_str()).unwrap_or("")
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
            if let Some(r) = from_field(from, "redirect_uri") {
                p.push("redirect_uri", r);
            }
        }
    }
    match &t.code_verifier {
        Some(x) => p.push("code_verifier", ctx.render(x)?),
        None => {
            if let Some(v) = from_field(from, "verifier") {
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
    Ok(p)
}

/// Sends `n` copies of `req` at once (a race); the output counts the
/// statuses and offers the first success to later steps.
async fn concurrent(
    label: &str,
    req: Request,
    n: u32,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
    let burst = ctx.target.http.burst(req, n).await;
    let spans: Vec<InFlight> = burst.iter().map(|(s, _)| *s).collect();
    let exchanges: Vec<_> = burst.into_iter().map(|(_, e)| e).collect();
    if exchanges.len() < n as usize {
        return Err(format!(
            "only {} of the {n} concurrent requests came back",
            exchanges.len()
        )
        .into());
    }
    // A race whose requests ran one after the other proved nothing: not a
    // pass, and not a fail either (CODE-08 needs the overlap).
    if !overlapped(&spans) {
        return Err(StepError {
            message: format!(
                "race not achieved: no two of the {n} requests were in flight at the same time"
            ),
            exchanges,
            void: false,
        });
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
    let mut addresses: Vec<String> = Vec::new();
    for a in spans.iter().filter_map(|s| s.address) {
        if !addresses.contains(&a.ip().to_string()) {
            addresses.push(a.ip().to_string());
        }
    }
    let spread = match addresses.len() {
        0 | 1 => String::new(),
        k => format!(
            ", spread over the host's {k} addresses ({})",
            addresses.join(", ")
        ),
    };
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
        summary: format!("{label}, {n} at once{spread}: {}", tally(&statuses)),
        exchanges,
        values,
        response: decisive,
        body,
        authz: None,
        statuses,
    })
}
