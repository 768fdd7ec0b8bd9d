//! A verdict must be earned, both ways.
//!
//! - An authorization step that stopped on an issuer page without ever
//!   filling a login form may have got its answer, or may simply not have
//!   got in (a page rendered by JavaScript, a captcha, an MFA step). A
//!   control authorization, plain and run once per (client, user) per run,
//!   tells the two apart; when the login itself does not work, the case
//!   never got to its question and is an `error` naming that, whether its
//!   checks passed (a `no_redirect` probe) or failed.
//! - A 404 from one of the target's endpoints, to a method it must accept,
//!   is a wrong URL only when the endpoint answers 404 to a plain request
//!   too (asked once per endpoint); otherwise it is the issuer's answer.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use toml::Spanned;

use super::context::CaseContext;
use super::step::{self, AuthzView, Observed};
use super::target::{Endpoints, Target};
use crate::http::Request;
use crate::report::model::Exchange;
use crate::scenario::model::AuthorizeDef;

/// What a control found, once it is known.
type Known = Arc<tokio::sync::Mutex<Option<Result<(), String>>>>;

/// The controls of a run: one slot per (client, user) or endpoint, each
/// with a lock of its own, so a slow control holds up only its own kind.
#[derive(Default)]
pub struct Controls(Mutex<BTreeMap<String, Known>>);

impl Controls {
    fn slot(&self, key: String) -> Known {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key).or_default().clone()
    }
}

/// Runs `check` once for `key` (concurrent askers wait for the first) and
/// keeps its answer, unless the answer was transient (a transport failure:
/// the next asker tries again).
async fn once<F, Fut>(controls: &Controls, key: String, check: F) -> Result<(), String>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = (Result<(), String>, bool)>,
{
    let slot = controls.slot(key);
    let mut known = slot.lock().await;
    if let Some(k) = known.as_ref() {
        return k.clone();
    }
    let (result, lasting) = check().await;
    if lasting {
        *known = Some(result.clone());
    }
    result
}

/// Whether the view is one a login or consent that does not work would
/// also give: no redirect. A login form filled on the way proves nothing
/// about consent (an approve button the agent cannot find stops there too),
/// so the plain-login control decides either way.
pub fn in_question(view: &AuthzView) -> bool {
    view.kind == Observed::NoRedirect
}

/// Whether a plain authorization as `client` for `user` gets a code.
pub async fn login_works(target: &Target, client: &str, user: &str) -> Result<(), String> {
    let key = format!("login {client} {user}");
    once(&target.controls, key, || control(target, client, user)).await
}

async fn control(target: &Target, client: &str, user: &str) -> (Result<(), String>, bool) {
    // A login of its own: a session reused would prove nothing about it.
    let def = AuthorizeDef {
        client: Some(Spanned::new(0..0, client.to_string())),
        user: Some(Spanned::new(0..0, user.to_string())),
        fresh_login: Some(Spanned::new(0..0, true)),
        ..AuthorizeDef::default()
    };
    let mut ctx = CaseContext::new(target, None);
    let what = format!("a plain authorization as {client} for {user}");
    match step::authorize(&def, &mut ctx).await {
        Ok(out) => match out.authz {
            Some(v) if v.kind == Observed::Code => (Ok(()), true),
            Some(v) => (Err(format!("{what} ended with {}", v.described)), true),
            None => (Err(format!("{what} gave no result")), true),
        },
        // A transport failure says nothing lasting about the login.
        Err(e) => {
            let transient = e.exchanges.iter().any(|x| x.response.is_none());
            (
                Err(format!("{what} could not run: {}", e.message)),
                !transient,
            )
        }
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

/// The first exchange that got a 404 from one of the target's endpoints,
/// whatever its method (a GET on revocation, REV-08, is judged by whether
/// the endpoint's own methods find it): (name, URL, method).
pub fn endpoint_404(
    exchanges: &[Exchange],
    e: &Endpoints,
) -> Option<(&'static str, String, String)> {
    exchanges.iter().find_map(|ex| {
        let status = ex.response.as_ref()?.status;
        let url = ex.request.url.split(['?', '#']).next().unwrap_or("");
        let method = ex.request.method.as_str();
        let (name, _, _) = endpoints(e)
            .into_iter()
            .find(|(_, u, _)| status == 404 && u.as_deref() == Some(url))?;
        Some((name, url.to_string(), method.to_string()))
    })
}

/// Why the step's 404 says nothing about the issuer, if it does not: the
/// endpoint answers 404 to a plain request of its method as well, so its
/// URL is wrong (a path joined twice, a guess). A revocation endpoint that
/// answers 404 for an unknown token but 400 to an empty request is there,
/// and its 404 stays a finding.
///
/// Every method the endpoint must accept is tried: an authorization
/// endpoint that serves GET but answers 404 to POST exists, and its 404 to
/// POST is the finding (oidc-provider leaves POST off by default).
pub async fn endpoint_missing(exchanges: &[Exchange], target: &Target) -> Option<String> {
    let (name, url, _) = endpoint_404(exchanges, &target.endpoints)?;
    let methods = endpoints(&target.endpoints)
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .map_or(&[][..], |(_, _, m)| m);
    for method in methods {
        let key = format!("endpoint {method} {url}");
        let plain = || async {
            let req = match *method {
                "GET" => Request::get(url.clone()),
                _ => Request::form(url.clone(), String::new()),
            };
            let ex = target.http.send(req).await;
            match ex.response.map(|r| r.status) {
                Some(404) => (Err("404".to_string()), true),
                Some(_) => (Ok(()), true),
                None => (Err("no answer".to_string()), false),
            }
        };
        match once(&target.controls, key, plain).await {
            Err(e) if e == "404" => {}
            _ => return None,
        }
    }
    Some(format!(
        "the {name} endpoint {url} answers 404 to every {}: its URL is wrong \
         (check [endpoints] {name} in the profile, or the issuer's metadata), so this says nothing about the issuer",
        methods.join(" and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(method: &str, url: &str, status: u16) -> Exchange {
        crate::report::model::fixtures::exchange(method, url, status, "")
    }

    #[test]
    fn a_404_is_in_question_only_at_a_known_endpoint_with_its_own_method() {
        let e = Endpoints {
            token: Some("https://h/o/o/token".into()),
            revocation: Some("https://h/o/revoke".into()),
            ..Endpoints::default()
        };
        let (name, url, _) = endpoint_404(&[ex("POST", "https://h/o/o/token", 404)], &e).unwrap();
        assert_eq!((name, url.as_str()), ("token", "https://h/o/o/token"));
        // GET on the token endpoint is in question too: whether its 404 is
        // the issuer's answer (TOK-05) or a wrong URL, `endpoint_missing`
        // tells by the endpoint's own method.
        let (name, _, method) =
            endpoint_404(&[ex("GET", "https://h/o/o/token?x=1", 404)], &e).unwrap();
        assert_eq!((name, method.as_str()), ("token", "GET"));
        // Another URL, or another status, is not in question.
        assert!(endpoint_404(&[ex("POST", "https://h/other", 404)], &e).is_none());
        assert!(endpoint_404(&[ex("POST", "https://h/o/revoke", 400)], &e).is_none());
    }
}
