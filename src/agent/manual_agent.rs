//! Manual login (`[login] agent = "manual"`), for a reviewer in front of an
//! issuer no agent can log into (a captcha, a hardware key). The form agent
//! sends the authorization request and walks what needs no one (an error
//! page, a redirect the issuer makes at once); when a page wants a person,
//! grantcheck prints the authorization URL and waits for where the
//! reviewer's browser was sent: on the client's loopback redirect URI when
//! the client registered one (RFC 8252 §7.3), else as a URL pasted on
//! standard input. One prompt at a time; each wait is bounded.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

use super::form_agent::{self, AgentError, AuthzEnd, AuthzResult, Walk};
use crate::http::Request;

/// How long a reviewer has for one login.
pub const WAIT: Duration = Duration::from_secs(600);

/// One reviewer, one prompt at a time.
static PROMPT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn authorize(w: Walk<'_>, first: Request) -> Result<AuthzResult, AgentError> {
    let (url, get) = (first.url.clone(), first.method == "GET");
    let redirect_uri = w.redirect_uri.map(str::to_string);
    // The machine's part: everything up to a page that wants a person.
    let unattended = Walk {
        user: None,
        session: None,
        ..w
    };
    let mut result = form_agent::authorize(unattended, first).await?;
    if !wants_person(&result) {
        return Ok(result);
    }
    if !get {
        return Err(AgentError::Unable {
            reason: "manual login needs an authorization request a browser can open (GET); this step sends a POST".into(),
            exchanges: result.exchanges,
        });
    }
    let _turn = PROMPT.lock().await;
    let location = wait_for_callback(&url, redirect_uri.as_deref())
        .await
        .map_err(|reason| AgentError::Unable {
            reason,
            exchanges: std::mem::take(&mut result.exchanges),
        })?;
    // The callback as evidence: its code or tokens are then known to the
    // redactor like any other.
    let from = result
        .exchanges
        .last()
        .map(|e| e.request.url.clone())
        .unwrap_or_default();
    result
        .exchanges
        .push(super::browser_agent::callback(&from, &location));
    result.end = AuthzEnd::Redirect {
        location,
        status: 0,
        via: "manual login",
    };
    result.logged_in = true;
    Ok(result)
}

/// Whether the unattended walk stopped on a page only a person can get
/// past: a login or one-time-code form, or a page drawn by scripts. An
/// error page (even one answered 200) is the issuer's answer, not a prompt.
fn wants_person(r: &AuthzResult) -> bool {
    if !matches!(r.end, AuthzEnd::NoRedirect { .. }) {
        return false;
    }
    let Some(page) = r.exchanges.last().and_then(|e| e.response.as_ref()) else {
        return false;
    };
    let p = crate::protocol::html::parse_page(&page.body);
    let otp = |f: &crate::protocol::html::Form| f.fields.iter().any(|x| x.kind == "one-time-code");
    p.forms.iter().any(|f| f.has_password() || otp(f)) || (p.scripts && p.forms.is_empty())
}

/// Prints the URL to open and returns where the reviewer's browser went.
async fn wait_for_callback(url: &str, redirect_uri: Option<&str>) -> Result<String, String> {
    let loopback = redirect_uri.and_then(loopback_listen_addr);
    eprintln!("\n== a login is needed: open this URL in a browser and sign in\n   {url}");
    let got = match loopback {
        Some((addr, path)) => {
            eprintln!(
                "   waiting for the browser on {addr}{path} (the client's loopback redirect URI)"
            );
            tokio::time::timeout(WAIT, listen_once(addr, &path)).await
        }
        None => {
            let base = redirect_uri.unwrap_or("the client's redirect URI");
            eprintln!("   then paste here the URL the browser was sent to (it starts with {base}) and press Enter");
            tokio::time::timeout(WAIT, read_line()).await
        }
    };
    match got {
        Ok(Ok(u)) if !u.trim().is_empty() => Ok(u.trim().to_string()),
        Ok(Ok(_)) => Err("manual login: no callback URL was given".into()),
        Ok(Err(e)) => Err(format!("manual login: {e}")),
        Err(_) => Err(format!(
            "manual login: no callback within {} s",
            WAIT.as_secs()
        )),
    }
}

/// `http://127.0.0.1:PORT/path` (or localhost, [::1]): where to listen.
fn loopback_listen_addr(uri: &str) -> Option<(String, String)> {
    let u = url::Url::parse(uri).ok()?;
    let host = u.host_str()?;
    let ip = match host {
        "localhost" | "127.0.0.1" => "127.0.0.1",
        "[::1]" | "::1" => "[::1]",
        _ => return None,
    };
    (u.scheme() == "http").then(|| {
        (
            format!("{ip}:{}", u.port().unwrap_or(80)),
            u.path().to_string(),
        )
    })
}

/// Accepts connections until one is a GET for `path`: its full URL.
async fn listen_once(addr: String, path: &str) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    // Bounded: a browser also asks for /favicon.ico and the like.
    for _ in 0..16 {
        let (mut sock, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; 16 * 1024];
        let n = tokio::time::timeout(Duration::from_secs(10), sock.read(&mut buf))
            .await
            .map_err(|_| "the browser sent nothing")?
            .map_err(|e| e.to_string())?;
        let head = String::from_utf8_lossy(&buf[..n]);
        let target = head
            .lines()
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .unwrap_or("")
            .to_string();
        let body = "grantcheck got the callback; you can close this tab.";
        let _ = sock
            .write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes())
            .await;
        if target.split('?').next() == Some(path) {
            if !target.contains('?') {
                // A fragment (implicit or form_post answers) never reaches a server.
                return Err("the callback came without a query (a fragment response?): run again and paste the URL instead".into());
            }
            return Ok(format!("http://{addr}{target}"));
        }
    }
    Err("the browser never came back to the redirect URI".into())
}

async fn read_line() -> Result<String, String> {
    let mut line = String::new();
    tokio::io::BufReader::new(tokio::io::stdin())
        .read_line(&mut line)
        .await
        .map_err(|e| e.to_string())?;
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_loopback_uris_are_listened_on() {
        assert_eq!(
            loopback_listen_addr("http://127.0.0.1:8400/cb"),
            Some(("127.0.0.1:8400".into(), "/cb".into()))
        );
        assert_eq!(
            loopback_listen_addr("http://localhost:9/x/y"),
            Some(("127.0.0.1:9".into(), "/x/y".into()))
        );
        assert_eq!(loopback_listen_addr("https://127.0.0.1:8400/cb"), None);
        assert_eq!(loopback_listen_addr("https://c1.example/cb"), None);
    }
}
