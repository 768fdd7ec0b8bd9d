//! A small W3C WebDriver client (the handful of commands the browser agent
//! needs) over the HTTP client the project already has, and the
//! chromedriver process it talks to. chromedriver listens on loopback only;
//! the session and chromedriver end with the run.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("cannot start chromedriver ({0}): install it (Debian: apt-get install chromium chromium-driver) or set GRANTCHECK_CHROMEDRIVER")]
    Spawn(String),
    #[error("chromedriver did not answer on {0} within 20 s")]
    NotReady(String),
    #[error("WebDriver {command}: {message}")]
    Command { command: String, message: String },
}

/// chromedriver, running until dropped.
pub struct Driver {
    child: tokio::process::Child,
    base: String,
    http: reqwest::Client,
    /// Chromium's profile directory, ours alone: how its processes are
    /// found at the end, whatever chromedriver did with them.
    profile: std::path::PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Chromium's switches for a headless run that touches nothing but what it
/// is sent to: no background networking; the resolver rules (`session`)
/// leave only the issuer's hosts and loopback resolvable, so that a
/// redirect to a client's `https://` callback ends at once instead of
/// leaving the machine.
const CHROME_ARGS: &[&str] = &[
    "--headless=new",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1000,800",
];

impl Driver {
    /// Starts chromedriver on a free loopback port and waits until it is ready.
    pub async fn start() -> Result<Driver, DriverError> {
        // reqwest is built without a TLS provider of its own (Cargo.toml).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let bin =
            std::env::var("GRANTCHECK_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| DriverError::Spawn(e.to_string()))?
            .port();
        let child = tokio::process::Command::new(&bin)
            // No --allowed-ips: with it chromedriver listens on every
            // interface; without, on loopback only.
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| DriverError::Spawn(format!("{bin}: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| DriverError::Spawn(e.to_string()))?;
        let profile =
            std::env::temp_dir().join(format!("grantcheck-chromium-{}-{port}", std::process::id()));
        let d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http,
            profile,
        };
        for _ in 0..200 {
            if d.http
                .get(format!("{}/status", d.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(d);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(DriverError::NotReady(d.base.clone()))
    }

    /// A new headless Chromium session in which only `hosts` (the issuer's)
    /// and loopback resolve.
    pub async fn session(&self, hosts: &[String]) -> Result<Session, DriverError> {
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|a| a.to_string()).collect();
        let excluded: String = hosts.iter().map(|h| format!(", EXCLUDE {h}")).collect();
        args.push(format!(
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost{excluded}"
        ));
        args.push(format!("--user-data-dir={}", self.profile.display()));
        // The sandbox cannot start as root (containers, CI); elsewhere the
        // issuer's scripts run inside it.
        if running_as_root() {
            args.push("--no-sandbox".into());
        }
        let mut chrome = json!({ "args": args });
        if let Ok(bin) = std::env::var("GRANTCHECK_CHROMIUM") {
            chrome["binary"] = json!(bin);
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": chrome,
        }}});
        let v = call(
            &self.http,
            reqwest::Method::POST,
            &format!("{}/session", self.base),
            Some(caps),
            "new session",
        )
        .await?;
        let id = v["sessionId"].as_str().unwrap_or_default().to_string();
        let session = Session {
            http: self.http.clone(),
            url: format!("{}/session/{id}", self.base),
        };
        // Bounded: a page that never loads, a script that never returns.
        let limits = json!({ "pageLoad": 20_000, "script": 10_000, "implicit": 0 });
        session
            .cmd(reqwest::Method::POST, "/timeouts", Some(limits), "timeouts")
            .await?;
        Ok(session)
    }

    /// Ends the browser session (and so Chromium) and stops chromedriver,
    /// without an async runtime: for `Drop`, bounded to a few seconds.
    pub fn close_blocking(&mut self, session: &Session) {
        use std::io::{Read, Write};
        let path = session.url.trim_start_matches(&self.base).to_string();
        let addr = self.base.trim_start_matches("http://").to_string();
        if let Ok(mut sock) = std::net::TcpStream::connect(&addr) {
            let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
            let request = format!("DELETE {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = sock.write_all(request.as_bytes());
            let _ = sock.read(&mut [0u8; 512]);
        }
        let _ = self.child.start_kill();
        // Whatever is left of Chromium (it can outlive chromedriver).
        kill_holding(&self.profile.display().to_string());
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Ends every process whose command line holds `marker` (Linux `/proc`).
fn kill_holding(marker: &str) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for e in entries.flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(marker) {
            let _ = std::process::Command::new("kill").arg(&pid).status();
        }
    }
}

/// Whether this process runs as root (Chromium's sandbox refuses to).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// One browser session.
pub struct Session {
    http: reqwest::Client,
    url: String,
}

impl Session {
    async fn cmd(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        what: &str,
    ) -> Result<Value, DriverError> {
        call(
            &self.http,
            method,
            &format!("{}{path}", self.url),
            body,
            what,
        )
        .await
    }

    pub async fn goto(&self, url: &str) -> Result<(), DriverError> {
        // A navigation that ends on an unreachable host (the client's
        // callback) is an error page, not an error of the command.
        match self
            .cmd(
                reqwest::Method::POST,
                "/url",
                Some(json!({ "url": url })),
                "navigate",
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(DriverError::Command { message, .. })
                if message.contains("ERR_NAME_NOT_RESOLVED")
                    || message.contains("ERR_CONNECTION_REFUSED") =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    pub async fn current_url(&self) -> Result<String, DriverError> {
        let v = self
            .cmd(reqwest::Method::GET, "/url", None, "current url")
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    pub async fn source(&self) -> Result<String, DriverError> {
        let v = self
            .cmd(reqwest::Method::GET, "/source", None, "page source")
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    pub async fn execute(&self, script: &str, args: Value) -> Result<Value, DriverError> {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
            "execute script",
        )
        .await
    }

    /// Every cookie of the current document's site gone (a fresh login).
    pub async fn delete_cookies(&self) -> Result<(), DriverError> {
        self.cmd(reqwest::Method::DELETE, "/cookie", None, "delete cookies")
            .await
            .map(|_| ())
    }

    /// A PNG of the page.
    pub async fn screenshot(&self) -> Result<Vec<u8>, DriverError> {
        use base64::Engine;
        let v = self
            .cmd(reqwest::Method::GET, "/screenshot", None, "screenshot")
            .await?;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| DriverError::Command {
                command: "screenshot".into(),
                message: e.to_string(),
            })
    }

    pub async fn close(&self) {
        let _ = self
            .cmd(reqwest::Method::DELETE, "", None, "delete session")
            .await;
    }
}

/// One WebDriver command: its `value`, or the error the driver reported.
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
    what: &str,
) -> Result<Value, DriverError> {
    let failed = |message: String| DriverError::Command {
        command: what.to_string(),
        message,
    };
    let mut req = http.request(method, url);
    if let Some(b) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.map_err(|e| failed(e.to_string()))?;
    let ok = resp.status().is_success();
    let text = resp.text().await.map_err(|e| failed(e.to_string()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| failed(format!("not JSON ({e})")))?;
    let value = v.get("value").cloned().unwrap_or(Value::Null);
    match ok {
        true => Ok(value),
        false => Err(failed(
            value["message"]
                .as_str()
                .unwrap_or(&text)
                .chars()
                .take(300)
                .collect(),
        )),
    }
}
