//! The `api` step: a call to the issuer's resource API as a client role.
//! With the dialect's `retry_on_401`, a 401 makes the runner fetch a new
//! client_credentials token and retry once; both attempts are evidence.

use super::{
    authenticate, client, client_id_header, dialect_auth, send_http_labelled, StepError, StepOutput,
};
use crate::http::Request;
use crate::profile::Client;
use crate::protocol::form::Params;
use crate::run::context::CaseContext;
use crate::scenario::model::ApiDef;

pub(super) async fn api(
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
    retry_with_new_token(first, &c, &label, &request, ctx).await
}

/// After `first` got a 401: a new token for `c`, then the same request
/// once more with it; the exchanges of all three are the step's evidence.
async fn retry_with_new_token(
    first: StepOutput,
    c: &Client,
    label: &str,
    request: &impl Fn(Option<&str>) -> Request,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
    // The documented recovery: a new token, then the same request once more.
    let req = client_credentials_request(c, ctx)?;
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
    let mut second = match send_http_labelled("api", label, request(Some(&new_token)), ctx).await {
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

/// A client_credentials token request for `c`, with its registered scope
/// and the client authentication the dialect asks for on that grant.
fn client_credentials_request(c: &Client, ctx: &CaseContext<'_>) -> Result<Request, String> {
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
        hold_last_byte: None,
    };
    let mode = dialect_auth(&ctx.target.profile.dialect, "client_credentials");
    authenticate(&mut req, &mut p, c, mode, (None, None));
    client_id_header(&mut req, c, ctx);
    req.body = Some(p.encode().into_bytes());
    Ok(req)
}
