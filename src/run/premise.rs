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
use super::target::{Endpoints, Target};
use crate::report::model::Exchange;
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

/// The endpoints a step may be sent to, with the methods each must accept.
fn endpoints(e: &Endpoints) -> [(&'static str, &Option<String>, &'static [&'static str]); 7] {
    [
        ("authorization", &e.authorization, &["GET", "POST"]),
        ("token", &e.token, &["POST"]),
        ("userinfo", &e.userinfo, &["GET", "POST"]),
        ("introspection", &e.introspection, &["POST"]),
        ("revocation", &e.revocation, &["POST"]),
        ("jwks", &e.jwks, &["GET"]),
        ("api", &e.api, &["GET"]),
    ]
}

/// A 404 from one of the target's endpoints, to a method it must accept:
/// the URL is wrong (a path joined twice, a guess), so whatever the step
/// checked says nothing about the issuer. A 404 to another method (GET on
/// the token endpoint) is the issuer's answer and stays one.
pub fn endpoint_missing(exchanges: &[Exchange], e: &Endpoints) -> Option<String> {
    exchanges.iter().find_map(|ex| {
        let status = ex.response.as_ref()?.status;
        let url = ex.request.url.split(['?', '#']).next().unwrap_or("");
        let method = ex.request.method.as_str();
        let (name, _, _) = endpoints(e).into_iter().find(|(_, u, methods)| {
            status == 404 && u.as_deref() == Some(url) && methods.contains(&method)
        })?;
        Some(format!(
            "the {name} endpoint {url} answered 404 to a {method}: its URL is wrong \
             (check [endpoints] {name} in the profile, or the issuer's metadata), so this says nothing about the issuer"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{HttpRequest, HttpResponse};

    fn ex(method: &str, url: &str, status: u16) -> Exchange {
        Exchange {
            request: HttpRequest {
                method: method.into(),
                url: url.into(),
                headers: vec![],
                body: None,
            },
            response: Some(HttpResponse {
                status,
                headers: vec![],
                body: String::new(),
                truncated: false,
            }),
            error: None,
            elapsed_ms: 0,
            retried: None,
        }
    }

    #[test]
    fn a_404_is_a_wrong_url_only_at_a_known_endpoint_with_its_own_method() {
        let e = Endpoints {
            token: Some("https://h/o/o/token".into()),
            revocation: Some("https://h/o/revoke".into()),
            ..Endpoints::default()
        };
        let why = endpoint_missing(&[ex("POST", "https://h/o/o/token", 404)], &e).unwrap();
        assert!(
            why.contains("token endpoint") && why.contains("[endpoints] token"),
            "{why}"
        );
        // GET on the token endpoint: 404 is the issuer's answer (TOK-05).
        assert!(endpoint_missing(&[ex("GET", "https://h/o/o/token?x=1", 404)], &e).is_none());
        // Another URL, or another status, is not the endpoint missing.
        assert!(endpoint_missing(&[ex("POST", "https://h/other", 404)], &e).is_none());
        assert!(endpoint_missing(&[ex("POST", "https://h/o/revoke", 400)], &e).is_none());
    }
}
