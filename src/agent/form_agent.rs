//! The form user agent: walks an authorization request through the issuer's
//! HTML pages, the way a browser with a patient user would, and stops at the
//! first navigation that leaves the issuer, without contacting the client.

use url::Url;

use super::cookies::Jar;
use super::page::{decide, Credentials, Decision, SubmitKind};
use crate::http::{Http, Request};
use crate::profile::LoginDef;
use crate::protocol::form::Params;
use crate::protocol::html::parse_page;
use crate::report::model::{Exchange, TransportError};
use crate::scenario::model::Consent;

/// How the walk ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthzEnd {
    /// The issuer navigated away from itself: to `location`, by a 3xx with
    /// `status`, a meta refresh or an auto-submitted form.
    Redirect {
        location: String,
        status: u16,
        via: &'static str,
    },
    /// The issuer kept the user agent: an error page or a page with nothing to do.
    NoRedirect { status: u16, reason: String },
}

#[derive(Clone, Debug)]
pub struct AuthzResult {
    pub end: AuthzEnd,
    pub exchanges: Vec<Exchange>,
    pub logged_in: bool,
    /// A consent page was answered with this decision.
    pub consent: Option<Consent>,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("the request to the issuer failed ({kind:?}): {message}")]
    Transport {
        kind: TransportError,
        message: String,
        exchanges: Vec<Exchange>,
    },
    #[error("login failed: the login form came back after the credentials of user `{user}` were submitted")]
    LoginFailed {
        user: String,
        exchanges: Vec<Exchange>,
    },
    #[error("gave up after {0} pages without reaching the redirect URI")]
    TooManyPages(usize, Vec<Exchange>),
    #[error("more than {0} redirects in a row inside the issuer (a redirect loop?)")]
    TooManyRedirects(usize, Vec<Exchange>),
}

impl AgentError {
    pub fn exchanges(&self) -> &[Exchange] {
        match self {
            AgentError::Transport { exchanges, .. }
            | AgentError::LoginFailed { exchanges, .. }
            | AgentError::TooManyPages(_, exchanges)
            | AgentError::TooManyRedirects(_, exchanges) => exchanges,
        }
    }
}

pub struct Walk<'a> {
    pub http: &'a Http,
    pub login: &'a LoginDef,
    pub user: Option<(&'a str, &'a str, &'a str)>, // role, username, password
    pub consent: Consent,
    /// The redirect URI the request sent (or the one registered, when none was sent).
    pub redirect_uri: Option<&'a str>,
    /// Redirects in a row the walk follows inside the issuer before giving up.
    pub max_redirects: usize,
}

/// Sends `first` and follows the issuer's pages until something leaves it.
pub async fn authorize(w: Walk<'_>, first: Request) -> Result<AuthzResult, AgentError> {
    let mut jar = Jar::default();
    let mut exchanges = Vec::new();
    let mut req = first;
    let issuer_origin = Url::parse(&req.url).ok().map(|u| u.origin());
    let mut logins = 0usize;
    let mut consent = None;
    let mut hops = 0usize;
    // Pages bound the walk; redirect hops do not count as pages, so bound them apart.
    let mut pages = 0usize;
    let end = loop {
        if pages >= w.login.max_pages.max(1) {
            return Err(AgentError::TooManyPages(w.login.max_pages, exchanges));
        }
        let url = Url::parse(&req.url).ok();
        if let (Some(u), false) = (
            &url,
            req.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("cookie")),
        ) {
            if let Some(c) = jar.header_for(u) {
                req.headers.push(("Cookie".into(), c));
            }
        }
        let ex = w.http.send(req.clone()).await;
        exchanges.push(ex.clone());
        if let Some((kind, message)) = ex.error.clone() {
            return Err(AgentError::Transport {
                kind,
                message,
                exchanges,
            });
        }
        let Some(resp) = ex.response else {
            unreachable!("an exchange without error has a response")
        };
        if let Some(u) = &url {
            jar.store(u, resp.headers_named("set-cookie"));
        }
        let leaves = |target: &str| -> bool {
            if w.redirect_uri.is_some_and(|r| {
                !r.is_empty() && target.starts_with(r.split('?').next().unwrap_or(r))
            }) {
                return true;
            }
            match Url::parse(target) {
                Ok(t) => Some(t.origin()) != issuer_origin,
                Err(_) => true,
            }
        };
        if (300..400).contains(&resp.status) {
            let Some(loc) = resp.header("location") else {
                break AuthzEnd::NoRedirect {
                    status: resp.status,
                    reason: format!("a {} without a Location header", resp.status),
                };
            };
            let target = resolve(url.as_ref(), loc);
            if leaves(&target) {
                break AuthzEnd::Redirect {
                    location: target,
                    status: resp.status,
                    via: "Location",
                };
            }
            hops += 1;
            if hops > w.max_redirects {
                return Err(AgentError::TooManyRedirects(w.max_redirects, exchanges));
            }
            req = Request::get(target);
            continue;
        }
        hops = 0;
        pages += 1;
        let is_html = resp
            .header("content-type")
            .is_some_and(|c| c.to_ascii_lowercase().contains("html"));
        if !(200..300).contains(&resp.status) || !is_html {
            break AuthzEnd::NoRedirect {
                status: resp.status,
                reason: format!("status {} with no redirect", resp.status),
            };
        }
        let page = parse_page(&resp.body);
        // Navigation by the body counts as a redirect (requirements.md NO-REDIRECT).
        if let Some(t) = page
            .meta_refresh
            .as_deref()
            .map(|t| resolve(url.as_ref(), t))
        {
            if leaves(&t) {
                break AuthzEnd::Redirect {
                    location: t,
                    status: resp.status,
                    via: "meta refresh",
                };
            }
        }
        if resp.body.contains(".submit()") {
            if let Some(f) = page
                .forms
                .iter()
                .find(|f| leaves(&resolve(url.as_ref(), &f.action)))
            {
                let params: Params = f
                    .fields
                    .iter()
                    .map(|x| (x.name.clone(), x.value.clone()))
                    .collect();
                let location = crate::protocol::callback::build_url(
                    &resolve(url.as_ref(), &f.action),
                    &params,
                );
                break AuthzEnd::Redirect {
                    location,
                    status: resp.status,
                    via: "auto-submitted form",
                };
            }
        }
        let creds = w.user.map(|(_, u, p)| Credentials {
            username: u,
            password: p,
        });
        match decide(&page, w.login, creds.as_ref(), w.consent) {
            Decision::Stop { reason } => {
                break AuthzEnd::NoRedirect {
                    status: resp.status,
                    reason,
                };
            }
            Decision::Follow { link, kind } => {
                if let SubmitKind::Consent(c) = kind {
                    consent = Some(c);
                }
                let target = resolve(url.as_ref(), &page.links[link].href);
                if leaves(&target) {
                    // The link itself goes back to the client: a navigation
                    // like a redirect, and never fetched from here.
                    break AuthzEnd::Redirect {
                        location: target,
                        status: resp.status,
                        via: "link",
                    };
                }
                req = Request::get(target);
            }
            Decision::Submit { form, fields, kind } => {
                match kind {
                    SubmitKind::Login => {
                        logins += 1;
                        if logins > 1 {
                            let user = w
                                .user
                                .map(|(role, _, _)| role.to_string())
                                .unwrap_or_default();
                            return Err(AgentError::LoginFailed { user, exchanges });
                        }
                    }
                    SubmitKind::Consent(c) => consent = Some(c),
                    SubmitKind::Username | SubmitKind::Continue => {}
                }
                let f = &page.forms[form];
                let action = resolve(url.as_ref(), &f.action);
                let params: Params = fields.into_iter().collect();
                if leaves(&action) {
                    // A form that posts straight to the client: the browser
                    // would navigate there; grantcheck records it, never sends it.
                    break AuthzEnd::Redirect {
                        location: crate::protocol::callback::build_url(&action, &params),
                        status: resp.status,
                        via: "form submission",
                    };
                }
                req = if f.method == "POST" {
                    Request::form(action, params.encode())
                } else {
                    Request::get(crate::protocol::callback::build_url(&action, &params))
                };
            }
        }
    };
    Ok(AuthzResult {
        end,
        exchanges,
        logged_in: logins > 0,
        consent,
    })
}

/// Resolves a possibly relative reference against the page URL, keeping an
/// absolute one byte for byte (the checks compare what the issuer sent).
fn resolve(base: Option<&Url>, reference: &str) -> String {
    if reference.is_empty() {
        return base.map(|b| b.to_string()).unwrap_or_default();
    }
    if Url::parse(reference).is_ok() {
        return reference.to_string();
    }
    match base.and_then(|b| b.join(reference).ok()) {
        Some(u) => u.to_string(),
        None => reference.to_string(),
    }
}
