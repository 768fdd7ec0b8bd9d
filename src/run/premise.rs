//! A failure must be earned. An authorization step that failed without
//! ever filling a login form and stopped on an issuer page may have
//! failed for the case's reason, or because the login itself does not work
//! for this client and user (a page rendered by JavaScript, a captcha, an
//! MFA step): then the case never got to its question, and its verdict is
//! an `error` naming that, never a `fail`. A control authorization, plain
//! and run once per (client, user) per run, tells the two apart.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::context::CaseContext;
use super::step::{self, AuthzView, Observed};
use super::target::Target;
use crate::scenario::model::StepDef;

/// The controls already run: (client, user) -> Ok, or how the plain login ended.
pub type Controls = Arc<tokio::sync::Mutex<BTreeMap<(String, String), Result<(), String>>>>;

/// Whether the view is one a broken login would also give: no redirect,
/// and no login form filled on the way.
pub fn in_question(view: &AuthzView) -> bool {
    view.kind == Observed::NoRedirect && !view.logged_in
}

/// Whether a plain authorization as `client` for `user` gets a code, run
/// at most once per pair (concurrent cases wait for the first).
pub async fn login_works(target: &Target, client: &str, user: &str) -> Result<(), String> {
    let key = (client.to_string(), user.to_string());
    let mut done = target.login_controls.lock().await;
    if let Some(known) = done.get(&key) {
        return known.clone();
    }
    let result = control(target, client, user).await;
    done.insert(key, result.clone());
    result
}

async fn control(target: &Target, client: &str, user: &str) -> Result<(), String> {
    let src = format!("authorize = {{ client = {client:?}, user = {user:?} }}");
    let def: StepDef =
        toml::from_str(&src).map_err(|e| format!("cannot build the control: {e}"))?;
    let mut ctx = CaseContext::new(target, None);
    match step::execute(&def, &mut ctx).await {
        Ok(out) => match out.authz {
            Some(v) if v.kind == Observed::Code => Ok(()),
            Some(v) => Err(format!(
                "a plain authorization as {client} for {user} ended with {}",
                v.described
            )),
            None => Err("the control authorization gave no result".into()),
        },
        Err(e) => Err(format!(
            "a plain authorization as {client} for {user} could not run: {}",
            e.message
        )),
    }
}
