//! The browser user agent (`[login] agent = "browser"`): headless Chromium
//! through WebDriver, for login pages that need JavaScript. It reads each
//! page as the browser rendered it and decides with the form agent's own
//! rules (`page::decide`), fills and submits in the page, and stops at the
//! first navigation that leaves the issuer (the client's callback is
//! unresolvable in this browser, so it is never loaded).
//!
//! One browser serves the run, one authorization at a time; its cookies are
//! the users' sessions. WebDriver shows no status codes or headers: each
//! page seen is evidence with status 0, its rendered HTML as the body, and
//! a screenshot of a page the walk stopped on is saved under
//! `reports/browser/` and named in that page's evidence.

use std::time::{Duration, Instant};

use serde_json::json;
use url::Url;

use super::form_agent::{AgentError, AuthzEnd, AuthzResult, Walk};
use super::page::{decide, Credentials, Decision, SubmitKind, Tally};
use super::webdriver::{Driver, DriverError, Session};
use crate::http::Request;
use crate::protocol::html::parse_page;
use crate::report::model::{Exchange, HttpRequest, HttpResponse, TransportError};

/// Where screenshots of pages a walk stopped on are saved.
pub const SCREENSHOTS: &str = "reports/browser";

/// The run's browser, started on first use.
#[derive(Default)]
pub struct Slot {
    cell: tokio::sync::OnceCell<Result<Browser, String>>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("browser::Slot")
    }
}

pub struct Browser {
    driver: Driver,
    session: Session,
    /// One authorization at a time: the browser has one window. Inside:
    /// the user whose logged-in session the browser's cookies hold.
    turn: tokio::sync::Mutex<Option<String>>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.driver.close_blocking(&self.session);
    }
}

impl Slot {
    /// The browser, started with `hosts` (the issuer's) resolvable.
    async fn get(&self, hosts: &[String]) -> Result<&Browser, String> {
        let b = self
            .cell
            .get_or_init(|| async {
                let driver = Driver::start().await.map_err(|e| e.to_string())?;
                let session = driver.session(hosts).await.map_err(|e| e.to_string())?;
                Ok(Browser {
                    driver,
                    session,
                    turn: tokio::sync::Mutex::new(None),
                })
            })
            .await;
        b.as_ref().map_err(Clone::clone)
    }
}

/// Walks the authorization request `first` in the browser, where `hosts`
/// (the issuer's) resolve. `fresh`: the issuer's cookies are cleared first
/// (a login of its own); they are too when the browser holds another
/// user's session.
pub async fn authorize(
    slot: &Slot,
    hosts: &[String],
    w: Walk<'_>,
    first: Request,
    fresh: bool,
) -> Result<AuthzResult, AgentError> {
    let unable = |reason: String| AgentError::Unable {
        reason,
        exchanges: Vec::new(),
    };
    if first.method != "GET" {
        return Err(unable("the browser agent sends the authorization request as a navigation (GET); this step sends it another way".into()));
    }
    let browser = slot
        .get(hosts)
        .await
        .map_err(|e| unable(format!("the browser agent cannot start: {e}")))?;
    let mut holder = browser.turn.lock().await;
    let user = w.user.map(|u| u.role.clone());
    let from_session = !fresh && holder.is_some() && *holder == user;
    let mut walk = BrowserWalk::new(&browser.session, w, &first.url);
    let result = walk.run(&first.url, !from_session, from_session).await;
    // The browser's cookies are now the session of whoever logged in (or
    // of the same user, when the session carried the walk).
    *holder = match &result {
        Ok(r) if r.logged_in && matches!(r.end, AuthzEnd::Redirect { .. }) => user,
        Ok(_) if from_session => holder.take(),
        _ => None,
    };
    result.map_err(|e| match e {
        Stopped::Agent(a) => a,
        Stopped::Driver(d, exchanges) => AgentError::Unable {
            reason: d.to_string(),
            exchanges,
        },
    })
}

enum Stopped {
    Agent(AgentError),
    Driver(DriverError, Vec<Exchange>),
}

struct BrowserWalk<'a> {
    s: &'a Session,
    w: Walk<'a>,
    issuer: Option<url::Origin>,
    seen: Vec<Exchange>,
    tally: Tally,
}

impl<'a> BrowserWalk<'a> {
    fn new(s: &'a Session, w: Walk<'a>, first: &str) -> Self {
        BrowserWalk {
            s,
            w,
            issuer: Url::parse(first).ok().map(|u| u.origin()),
            seen: Vec::new(),
            tally: Tally::default(),
        }
    }

    fn driver(&mut self, e: DriverError) -> Stopped {
        Stopped::Driver(e, std::mem::take(&mut self.seen))
    }

    async fn run(
        &mut self,
        first: &str,
        clear: bool,
        from_session: bool,
    ) -> Result<AuthzResult, Stopped> {
        if clear {
            if let Some(o) = &self.issuer {
                let home = format!("{}/", o.ascii_serialization());
                self.s.goto(&home).await.map_err(|e| self.driver(e))?;
                self.s.delete_cookies().await.map_err(|e| self.driver(e))?;
            }
        }
        self.s.goto(first).await.map_err(|e| self.driver(e))?;
        let started_with_session = from_session;
        for _ in 0..self.w.login.max_pages.max(1) {
            let url = self.s.current_url().await.map_err(|e| self.driver(e))?;
            if !self.leaves(&url) && self.error_page().await {
                // Chromium's own page: the issuer was not reached at all.
                return Err(Stopped::Agent(AgentError::Unable {
                    reason: format!("the browser could not load {url} (is the issuer's host among those it may resolve?)"),
                    exchanges: std::mem::take(&mut self.seen),
                }));
            }
            if self.leaves(&url) {
                return Ok(self.result(
                    AuthzEnd::Redirect {
                        location: url,
                        status: 0,
                        via: "browser navigation",
                    },
                    started_with_session,
                ));
            }
            let html = self.rendered(&url).await?;
            match self.decision(&html) {
                Decision::Stop { reason } => {
                    self.screenshot().await;
                    return Ok(self.result(
                        AuthzEnd::NoRedirect { status: 0, reason },
                        started_with_session,
                    ));
                }
                Decision::Unable { reason } => {
                    self.screenshot().await;
                    return Err(Stopped::Agent(AgentError::Unable {
                        reason,
                        exchanges: std::mem::take(&mut self.seen),
                    }));
                }
                Decision::Submit { form, fields, kind } => {
                    self.note(kind)?;
                    self.act(&url, SUBMIT, json!([form, fields])).await?;
                }
                Decision::Follow { link, kind } => {
                    self.note(kind)?;
                    self.act(&url, FOLLOW, json!([link])).await?;
                }
            }
        }
        Err(Stopped::Agent(AgentError::TooManyPages(
            self.w.login.max_pages,
            std::mem::take(&mut self.seen),
        )))
    }

    /// The page as rendered, recorded; a page whose scripts have not drawn
    /// anything to fill yet is read again for up to two seconds.
    async fn rendered(&mut self, url: &str) -> Result<String, Stopped> {
        let until = Instant::now() + Duration::from_secs(2);
        loop {
            let html = self.s.source().await.map_err(|e| self.driver(e))?;
            let pending =
                matches!(self.decision(&html), Decision::Stop { .. }) && html.contains("<script");
            if !pending || Instant::now() > until {
                self.seen.push(seen(url, &html));
                return Ok(html);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn decision(&self, html: &str) -> Decision {
        let creds = self.w.user.map(|u| Credentials {
            username: &u.username,
            password: &u.password,
            totp: u.totp.as_ref().map(|t| t.1.as_str()),
        });
        decide(
            &parse_page(html),
            self.w.login,
            creds.as_ref(),
            self.w.consent,
        )
    }

    /// Runs `script` in the page and waits for what it starts: the URL to
    /// change or the document to be replaced, up to ten seconds.
    async fn act(
        &mut self,
        url: &str,
        script: &str,
        args: serde_json::Value,
    ) -> Result<(), Stopped> {
        self.s
            .execute(MARK, json!([]))
            .await
            .map_err(|e| self.driver(e))?;
        self.s
            .execute(script, args)
            .await
            .map_err(|e| self.driver(e))?;
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = self.s.current_url().await.unwrap_or_default();
            let replaced = self
                .s
                .execute(REPLACED, json!([]))
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(true);
            if now != url || replaced {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Counts a submission (`page::Tally`): a login that failed ends the walk.
    fn note(&mut self, kind: SubmitKind) -> Result<(), Stopped> {
        if self.tally.note(kind) {
            return Ok(());
        }
        let user = self.w.user.map(|u| u.role.clone()).unwrap_or_default();
        Err(Stopped::Agent(AgentError::LoginFailed {
            user,
            exchanges: std::mem::take(&mut self.seen),
        }))
    }

    /// Whether the browser is now outside the issuer (the form agent's rule).
    fn leaves(&self, target: &str) -> bool {
        let to_client = self
            .w
            .redirect_uri
            .is_some_and(|r| !r.is_empty() && target.starts_with(r.split('?').next().unwrap_or(r)));
        to_client || Url::parse(target).map_or(true, |t| Some(t.origin()) != self.issuer)
    }

    /// Whether the browser shows its own error page (a load that failed).
    async fn error_page(&self) -> bool {
        let uri = self
            .s
            .execute("return document.documentURI;", json!([]))
            .await;
        uri.ok()
            .and_then(|v| v.as_str().map(|u| u.starts_with("chrome-error:")))
            .unwrap_or(false)
    }

    fn result(&mut self, end: AuthzEnd, from_session: bool) -> AuthzResult {
        // Carried by the session: no login, and the client was reached.
        let reused =
            from_session && self.tally.logins == 0 && matches!(end, AuthzEnd::Redirect { .. });
        if let AuthzEnd::Redirect { location, .. } = &end {
            // The callback as evidence: its code or tokens are then known
            // to the redactor like any other.
            let from = self
                .seen
                .last()
                .map(|e| e.request.url.clone())
                .unwrap_or_default();
            self.seen.push(callback(&from, location));
        }
        AuthzResult {
            end,
            exchanges: std::mem::take(&mut self.seen),
            logged_in: self.tally.logins > 0,
            reused,
            jar: Default::default(),
            consent: self.tally.consent,
        }
    }

    /// Saves a screenshot of the page and names it in the last page's evidence.
    async fn screenshot(&mut self) {
        let Ok(png) = self.s.screenshot().await else {
            return;
        };
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = format!("{SCREENSHOTS}/page-{stamp}.png");
        if std::fs::create_dir_all(SCREENSHOTS)
            .and_then(|_| std::fs::write(&path, png))
            .is_ok()
        {
            if let Some(r) = self.seen.last_mut().and_then(|e| e.response.as_mut()) {
                r.headers.push(("x-grantcheck-screenshot".into(), path));
            }
        }
    }
}

/// A page the browser showed, as evidence: no status or headers are
/// visible through WebDriver, so the status is 0 and a header says why.
fn seen(url: &str, html: &str) -> Exchange {
    Exchange {
        request: HttpRequest {
            method: "GET".into(),
            url: url.to_string(),
            headers: vec![("x-grantcheck-agent".into(), "browser".into())],
            body: None,
        },
        response: Some(HttpResponse {
            status: 0,
            headers: vec![(
                "x-grantcheck-note".into(),
                "rendered by the browser; WebDriver shows no status or headers".into(),
            )],
            body: html.to_string(),
            truncated: false,
        }),
        error: None::<(TransportError, String)>,
        elapsed_ms: 0,
        retried: None,
    }
}

/// The navigation to the client's callback, which the browser never loaded:
/// a response whose `Location` is where it was sent.
pub fn callback(from: &str, location: &str) -> Exchange {
    Exchange {
        request: HttpRequest {
            method: "GET".into(),
            url: from.to_string(),
            headers: vec![("x-grantcheck-agent".into(), "browser".into())],
            body: None,
        },
        response: Some(HttpResponse {
            status: 0,
            headers: vec![
                ("location".into(), location.to_string()),
                (
                    "x-grantcheck-note".into(),
                    "the navigation to the client, not followed".into(),
                ),
            ],
            body: String::new(),
            truncated: false,
        }),
        error: None,
        elapsed_ms: 0,
        retried: None,
    }
}

/// Marks the current document, so that its replacement can be seen.
const MARK: &str = "document.documentElement.setAttribute('data-grantcheck-seen', '1');";
/// Whether the marked document was replaced (a navigation happened).
const REPLACED: &str = "return document.readyState === 'complete' && !document.documentElement.hasAttribute('data-grantcheck-seen');";
/// Fills form `i` with `fields` (name, value) and submits it, clicking the
/// button whose name and value are among the fields when there is one.
const SUBMIT: &str = r#"
const [i, fields] = arguments;
const f = document.forms[i];
let button = null;
for (const [n, v] of fields) {
  for (const el of Array.from(f.elements).filter(e => e.name === n)) {
    const isButton = el.tagName === 'BUTTON' || (el.tagName === 'INPUT' && (el.type === 'submit' || el.type === 'image'));
    if (isButton) { if (el.value === v) button = el; }
    else if (el.type === 'checkbox' || el.type === 'radio') { if (el.value === v || v === 'on') el.checked = true; }
    else el.value = v;
  }
}
setTimeout(() => { if (button) button.click(); else if (f.requestSubmit) f.requestSubmit(); else f.submit(); }, 0);
"#;
/// Follows link `i` (in document order, as the page parser counts them).
const FOLLOW: &str = "const [i] = arguments; const a = document.querySelectorAll('a[href]')[i]; setTimeout(() => a.click(), 0);";
