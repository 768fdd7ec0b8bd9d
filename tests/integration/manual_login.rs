//! Manual login (issue 16): `[login] agent = "manual"` prints the
//! authorization URL and takes the callback from the reviewer. Here the
//! reviewer is scripted: it reads the printed URL, logs in the way a person
//! would (the form agent walking the pages), and pastes where it ended.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use grantcheck::agent::form_agent::{authorize, AuthzEnd, Walk};
use grantcheck::http::{Http, Request};
use grantcheck::profile::{HttpDef, LoginDef, User};
use grantcheck::scenario::model::Consent;

/// What a person does with the printed URL: signs in, approves, and copies
/// the address the browser was sent to.
fn person_logs_in(url: &str, password: &str) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let http = Http::new_loopback(&HttpDef::default()).unwrap();
        let login = LoginDef::default();
        let user = User {
            role: "u1".into(),
            username: "alice".into(),
            password: password.into(),
            password_env: String::new(),
            totp: None,
        };
        let walk = Walk {
            http: &http,
            login: &login,
            user: Some(&user),
            consent: Consent::Approve,
            redirect_uri: Some("https://c1.example/cb"),
            max_redirects: 10,
            session: None,
        };
        match authorize(walk, Request::get(url)).await.unwrap().end {
            AuthzEnd::Redirect { location, .. } => location,
            other => panic!("the person could not sign in: {other:?}"),
        }
    })
}

#[test]
fn a_scripted_reviewer_logs_in_by_hand() {
    let (mut issuer, origin, env) = crate::common::issuer_process(&[]);
    let dir = tempfile::tempdir().unwrap();
    let profile = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/issuers/reference.toml"
    ))
    .unwrap()
    .replace("http://127.0.0.1:8787", &origin)
    .replace("[login]\n", "[login]\nagent = \"manual\"\n");
    std::fs::write(dir.path().join("manual.toml"), profile).unwrap();
    let password = env
        .iter()
        .find(|(k, _)| k == "GRANTCHECK_REF_U1_PASSWORD")
        .unwrap()
        .1
        .clone();
    let mut run = Command::new(env!("CARGO_BIN_EXE_grantcheck"))
        .current_dir(dir.path())
        .args([
            "run",
            "--profile",
            "manual.toml",
            "--only",
            "code.reuse",
            "--only",
            "pkce.plain-refused",
            "--concurrency",
            "1",
        ])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = run.stdin.take().unwrap();
    let mut prompts = 0;
    let mut lines = BufReader::new(run.stderr.take().unwrap()).lines();
    while let Some(Ok(line)) = lines.next() {
        let url = line.trim();
        if url.starts_with(&format!("{origin}/authorize?")) {
            prompts += 1;
            let callback = person_logs_in(url, &password);
            writeln!(stdin, "{callback}").unwrap();
        }
    }
    let out = run.wait_with_output().unwrap();
    let _ = issuer.kill();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("PASS  code.reuse") && stdout.contains("PASS  pkce.plain-refused"),
        "{stdout}"
    );
    // code.reuse needs a login; the plain-PKCE probe is refused before any
    // page, so nobody is asked for it.
    assert_eq!(prompts, 1, "{stdout}");
}
