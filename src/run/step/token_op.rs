//! The `introspect` (RFC 7662) and `revoke` (RFC 7009) steps: one form
//! request about a token, authenticated as a client, to the endpoint each
//! names.

use super::{
    apply_edits, authenticate, client, client_id_header, send_http_labelled, StepError, StepOutput,
};
use crate::http::Request;
use crate::protocol::form::Params;
use crate::run::context::CaseContext;
use crate::scenario::model::{AuthMode, TokenOpDef};

/// Asks the introspection endpoint about a token (RFC 7662).
pub(super) async fn introspect(
    i: &TokenOpDef,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
    let ep = ctx
        .target
        .endpoints
        .introspection
        .clone()
        .ok_or("no introspection endpoint".to_string())?;
    token_op("introspect", &ep, i, ctx).await
}

/// Asks the revocation endpoint to revoke a token (RFC 7009).
pub(super) async fn revoke(
    r: &TokenOpDef,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
    let ep = ctx
        .target
        .endpoints
        .revocation
        .clone()
        .ok_or("no revocation endpoint".to_string())?;
    token_op("revoke", &ep, r, ctx).await
}

/// The request both steps make: `token` and `token_type_hint`, the client's
/// authentication, the step's edits.
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
    authenticate(&mut req, &mut p, c, mode, (None, secret));
    client_id_header(&mut req, c, ctx);
    apply_edits(&mut p, t.edits(), ctx)?;
    req.body = Some(p.encode().into_bytes());
    send_http_labelled(action, &format!("{action} as {role}"), req, ctx).await
}
