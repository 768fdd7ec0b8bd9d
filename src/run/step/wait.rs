//! The `wait` step: let a lifetime pass. Against the embedded reference
//! issuer its clock is advanced (`POST /_grantcheck/clock`), so expiry rows
//! cost nothing; against a real issuer the runner sleeps, which only
//! `run --slow` allows (the `slow` capability skips the case otherwise).

use std::time::Duration;

use super::{send_http_labelled, StepError, StepOutput};
use crate::http::Request;
use crate::run::context::{CaseContext, StepValues};
use crate::scenario::model::WaitDef;

/// The longest wait a scenario may ask for: two days (a refresh token's
/// documented lifetime is the longest anyone waits for).
const MAX_WAIT: u64 = 2 * 24 * 3600;

pub(super) async fn wait(w: &WaitDef, ctx: &mut CaseContext<'_>) -> Result<StepOutput, StepError> {
    let rendered = ctx.render(&w.seconds)?;
    let base: u64 = rendered.trim().parse().map_err(|_| {
        StepError::from(format!(
            "wait: `{}` is `{rendered}`, not a whole number of seconds",
            w.seconds.get_ref()
        ))
    })?;
    let seconds = base.saturating_add(w.plus);
    if seconds > MAX_WAIT {
        return Err(
            format!("wait: {seconds} s is more than the {MAX_WAIT} s a step may wait").into(),
        );
    }
    match ctx.target.clock.clone() {
        Some(url) => {
            let label = format!("advance the issuer's clock by {seconds} s");
            let req = Request::form(url, format!("advance={seconds}"));
            let mut out = send_http_labelled("wait", &label, req, ctx).await?;
            out.values
                .fields
                .insert("waited".into(), seconds.to_string());
            Ok(out)
        }
        None => {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            let mut values = StepValues::default();
            values.fields.insert("waited".into(), seconds.to_string());
            values.ended = format!("waited {seconds} s");
            Ok(StepOutput {
                action: "wait",
                summary: format!("waited {seconds} s"),
                exchanges: Vec::new(),
                values,
                response: None,
                body: None,
                authz: None,
                statuses: Vec::new(),
            })
        }
    }
}
