//! The form user agent: walks an authorization request through the issuer's
//! HTML pages, the way a browser with a patient user would, and stops at the
//! first navigation that leaves the issuer, without contacting the client.

use url::{Origin, Url};

use super::cookies::Jar;
use super::page::{decide, Credentials, Decision, SubmitKind, Tally};
use crate::http::{Http, Request};
use crate::profile::LoginDef;
use crate::protocol::form::Params;
use crate::protocol::html::{parse_page, Page};
use crate::report::model::{Exchange, HttpResponse, TransportError};
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
    /// A login form was filled.
    pub logged_in: bool,
    /// The walk started from a session and needed no login form.
    pub reused: bool,
    /// The cookies at the end: the user's session after a login.
    pub jar: Jar,
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
    /// The issuer asked for something the profile does not give the agent.
    #[error("{reason}")]
    Unable {
        reason: String,
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
            | AgentError::Unable { exchanges, .. }
            | AgentError::TooManyPages(_, exchanges)
            | AgentError::TooManyRedirects(_, exchanges) => exchanges,
        }
    }
}

pub struct Walk<'a> {
    pub http: &'a Http,
    pub login: &'a LoginDef,
    /// The step's user, when the profile has it.
    pub user: Option<&'a crate::profile::User>,
    pub consent: Consent,
    /// The redirect URI the request sent (or the one registered, when none was sent).
    pub redirect_uri: Option<&'a str>,
    /// Redirects in a row the walk follows inside the issuer before giving up.
    pub max_redirects: usize,
    /// The user's session from an earlier authorization, to start from.
    pub session: Option<Jar>,
}

/// Sends `first` and follows the issuer's pages until something leaves it.
pub async fn authorize(w: Walk<'_>, first: Request) -> Result<AuthzResult, AgentError> {
    let max_pages = w.login.max_pages;
    let max_redirects = w.max_redirects;
    let from_session = w.session.is_some();
    let mut walker = Walker {
        issuer_origin: Url::parse(&first.url).ok().map(|u| u.origin()),
        jar: w.session.clone().unwrap_or_default(),
        w,
        exchanges: Vec::new(),
        tally: Tally::default(),
    };
    let mut req = first;
    let mut hops = 0usize;
    // Pages bound the walk; redirect hops do not count as pages, so bound them apart.
    let mut pages = 0usize;
    let end = loop {
        if pages >= max_pages.max(1) {
            return Err(AgentError::TooManyPages(max_pages, walker.exchanges));
        }
        let url = Url::parse(&req.url).ok();
        let resp = walker.send(req, url.as_ref()).await?;
        if (300..400).contains(&resp.status) {
            match walker.redirect_step(&resp, url.as_ref()) {
                Step::End(end) => break end,
                Step::Next(next) => {
                    hops += 1;
                    if hops > max_redirects {
                        return Err(AgentError::TooManyRedirects(
                            max_redirects,
                            walker.exchanges,
                        ));
                    }
                    req = next;
                    continue;
                }
            }
        }
        hops = 0;
        pages += 1;
        match walker.page_step(&resp, url.as_ref())? {
            Step::End(end) => break end,
            Step::Next(next) => req = next,
        }
    };
    let reached = matches!(end, AuthzEnd::Redirect { .. });
    Ok(AuthzResult {
        end,
        exchanges: walker.exchanges,
        logged_in: walker.tally.logins > 0,
        // Carried by the session: no login, and the client was reached.
        reused: from_session && walker.tally.logins == 0 && reached,
        jar: walker.jar,
        consent: walker.tally.consent,
    })
}

/// What the walk does after one response.
enum Step {
    /// Send this request next.
    Next(Request),
    /// The walk is over.
    End(AuthzEnd),
}

/// One walk in progress: its settings, the issuer it started at, and what it
/// has gathered so far.
struct Walker<'a> {
    w: Walk<'a>,
    issuer_origin: Option<Origin>,
    jar: Jar,
    exchanges: Vec<Exchange>,
    tally: Tally,
}

impl Walker<'_> {
    /// Whether a navigation to `target` leaves the issuer: it goes to the
    /// redirect URI, to another origin, or to something that is not a URL.
    fn leaves(&self, target: &str) -> bool {
        if self
            .w
            .redirect_uri
            .is_some_and(|r| !r.is_empty() && target.starts_with(r.split('?').next().unwrap_or(r)))
        {
            return true;
        }
        match Url::parse(target) {
            Ok(t) => Some(t.origin()) != self.issuer_origin,
            Err(_) => true,
        }
    }

    /// Sends `req` with the jar's cookies (unless it carries its own), records
    /// the exchange and keeps the cookies the response sets.
    async fn send(
        &mut self,
        mut req: Request,
        url: Option<&Url>,
    ) -> Result<HttpResponse, AgentError> {
        if let (Some(u), false) = (
            url,
            req.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("cookie")),
        ) {
            if let Some(c) = self.jar.header_for(u) {
                req.headers.push(("Cookie".into(), c));
            }
        }
        let ex = self.w.http.send(req).await;
        self.exchanges.push(ex.clone());
        if let Some((kind, message)) = ex.error.clone() {
            return Err(AgentError::Transport {
                kind,
                message,
                exchanges: std::mem::take(&mut self.exchanges),
            });
        }
        let Some(resp) = ex.response else {
            unreachable!("an exchange without error has a response")
        };
        if let Some(u) = url {
            self.jar.store(u, resp.headers_named("set-cookie"));
        }
        Ok(resp)
    }

    /// A 3xx: the end of the walk when it has no Location or leaves the
    /// issuer, else the request that follows it.
    fn redirect_step(&self, resp: &HttpResponse, url: Option<&Url>) -> Step {
        let Some(loc) = resp.header("location") else {
            return Step::End(AuthzEnd::NoRedirect {
                status: resp.status,
                reason: format!("a {} without a Location header", resp.status),
            });
        };
        let target = resolve(url, loc);
        if self.leaves(&target) {
            return Step::End(AuthzEnd::Redirect {
                location: target,
                status: resp.status,
                via: "Location",
            });
        }
        Step::Next(Request::get(target))
    }

    /// Any other response: the end of the walk unless it is an HTML page that
    /// stays on the issuer, else the request its form or link leads to.
    fn page_step(&mut self, resp: &HttpResponse, url: Option<&Url>) -> Result<Step, AgentError> {
        let is_html = resp
            .header("content-type")
            .is_some_and(|c| c.to_ascii_lowercase().contains("html"));
        if !(200..300).contains(&resp.status) || !is_html {
            return Ok(Step::End(AuthzEnd::NoRedirect {
                status: resp.status,
                reason: format!("status {} with no redirect", resp.status),
            }));
        }
        let page = parse_page(&resp.body);
        if let Some(end) = self.body_navigation(&page, &resp.body, resp.status, url) {
            return Ok(Step::End(end));
        }
        let creds = self.w.user.map(|u| Credentials {
            username: &u.username,
            password: &u.password,
            totp: u.totp.as_ref().map(|t| t.1.as_str()),
        });
        let decision = decide(&page, self.w.login, creds.as_ref(), self.w.consent);
        self.act(&page, decision, resp.status, url)
    }

    /// A navigation the page body makes by itself that leaves the issuer: a
    /// meta refresh or an auto-submitted form.
    fn body_navigation(
        &self,
        page: &Page,
        body: &str,
        status: u16,
        url: Option<&Url>,
    ) -> Option<AuthzEnd> {
        // Navigation by the body counts as a redirect (requirements.md NO-REDIRECT).
        if let Some(t) = page.meta_refresh.as_deref().map(|t| resolve(url, t)) {
            if self.leaves(&t) {
                return Some(AuthzEnd::Redirect {
                    location: t,
                    status,
                    via: "meta refresh",
                });
            }
        }
        if body.contains(".submit()") {
            if let Some(f) = page
                .forms
                .iter()
                .find(|f| self.leaves(&resolve(url, &f.action)))
            {
                let params: Params = f
                    .fields
                    .iter()
                    .map(|x| (x.name.clone(), x.value.clone()))
                    .collect();
                let location =
                    crate::protocol::callback::build_url(&resolve(url, &f.action), &params);
                return Some(AuthzEnd::Redirect {
                    location,
                    status,
                    via: "auto-submitted form",
                });
            }
        }
        None
    }

    /// Carries out what `decide` chose for the page: the end of the walk, or
    /// the request the link or form leads to.
    fn act(
        &mut self,
        page: &Page,
        decision: Decision,
        status: u16,
        url: Option<&Url>,
    ) -> Result<Step, AgentError> {
        match decision {
            Decision::Stop { reason } => Ok(Step::End(AuthzEnd::NoRedirect { status, reason })),
            Decision::Unable { reason } => Err(AgentError::Unable {
                reason,
                exchanges: std::mem::take(&mut self.exchanges),
            }),
            Decision::Follow { link, kind } => {
                if let SubmitKind::Consent(c) = kind {
                    self.tally.consent = Some(c);
                }
                let target = resolve(url, &page.links[link].href);
                if self.leaves(&target) {
                    // The link itself goes back to the client: a navigation
                    // like a redirect, and never fetched from here.
                    return Ok(Step::End(AuthzEnd::Redirect {
                        location: target,
                        status,
                        via: "link",
                    }));
                }
                Ok(Step::Next(Request::get(target)))
            }
            Decision::Submit { form, fields, kind } => {
                self.note_submit(kind)?;
                let f = &page.forms[form];
                let action = resolve(url, &f.action);
                let params: Params = fields.into_iter().collect();
                if self.leaves(&action) {
                    // A form that posts straight to the client: the browser
                    // would navigate there; grantcheck records it, never sends it.
                    return Ok(Step::End(AuthzEnd::Redirect {
                        location: crate::protocol::callback::build_url(&action, &params),
                        status,
                        via: "form submission",
                    }));
                }
                Ok(Step::Next(if f.method == "POST" {
                    Request::form(action, params.encode())
                } else {
                    Request::get(crate::protocol::callback::build_url(&action, &params))
                }))
            }
        }
    }

    /// Counts a submission (`page::Tally`): a login that failed ends the walk.
    fn note_submit(&mut self, kind: SubmitKind) -> Result<(), AgentError> {
        if self.tally.note(kind) {
            return Ok(());
        }
        let user = self.w.user.map(|u| u.role.clone()).unwrap_or_default();
        Err(AgentError::LoginFailed {
            user,
            exchanges: std::mem::take(&mut self.exchanges),
        })
    }
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
