//! The `http` step: a request written out in full (method, URL, headers, a
//! body or a form, optional client authentication), sent as is or
//! following same-origin redirects.

use super::{authenticate, client, output_of, send_http, short, StepError, StepOutput};
use crate::http::Request;
use crate::protocol::form::Params;
use crate::run::context::CaseContext;
use crate::scenario::model::{AuthMode, HttpDef};

pub(super) async fn raw_http(
    h: &HttpDef,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
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
        hold_last_byte: None,
    };
    for [k, v] in &h.headers {
        req.headers.push((ctx.render(k)?, ctx.render(v)?));
    }
    if let Some(role) = &h.basic {
        let role = ctx.render(role)?;
        let c = client(ctx, &role)?;
        let mut ignored = Params::new();
        authenticate(&mut req, &mut ignored, c, AuthMode::Basic, (None, None));
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
        authenticate(&mut req, &mut creds, c, AuthMode::Default, (None, None));
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
