//! The `userinfo` step: the access token in the header, the query or the
//! body (or several at once, on purpose), with the scheme the step names.

use super::{send_http_labelled, StepError, StepOutput};
use crate::http::Request;
use crate::protocol::callback::build_url;
use crate::protocol::form::Params;
use crate::run::context::CaseContext;
use crate::scenario::model::{Placement, UserinfoDef};

pub(super) async fn userinfo(
    u: &UserinfoDef,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
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
        hold_last_byte: None,
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
