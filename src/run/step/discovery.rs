//! The `discovery` step: `GET` the issuer's OpenID configuration, or another
//! well-known path under the issuer.

use super::{send_http, StepError, StepOutput};
use crate::http::Request;
use crate::protocol::discovery::openid_configuration_url;
use crate::run::context::CaseContext;
use crate::scenario::model::DiscoveryDef;

pub(super) async fn discovery(
    d: &DiscoveryDef,
    ctx: &mut CaseContext<'_>,
) -> Result<StepOutput, StepError> {
    let url = match ctx.render_opt(&d.path)? {
        Some(p) => format!("{}{}", ctx.target.profile.issuer.trim_end_matches('/'), p),
        None => openid_configuration_url(&ctx.target.profile.issuer),
    };
    send_http(
        "discovery",
        Request::get(url).header("Accept", "application/json"),
        ctx,
    )
    .await
}
