//! End-to-end tests over a real socket with a minimal HTTP/1.1 client
//! (no extra dependencies), covering the flows that unit tests cannot:
//! login/consent, code exchange, refresh rotation, revocation cascade,
//! concurrency, and the status/header contract of each endpoint.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::Value;
use std::io::{Read, Write};

use super::pkce::s256;
use super::redirect::encode_component;
use super::*;

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    fn location_params(&self) -> Vec<(String, String)> {
        let loc = self.header("location").expect("location");
        url::Url::parse(loc)
            .expect("absolute location")
            .query_pairs()
            .into_owned()
            .collect()
    }
}

fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..i]).unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&rest[i + 2..i + 2 + size]);
        rest = &rest[i + 2 + size + 2..];
    }
    out
}

async fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    let raw = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        raw
    })
    .await
    .unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!(
            "{}:{}",
            encode_component(id),
            encode_component(secret)
        ))
    )
}

fn hidden(page: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = page.find(&needle).expect(name) + needle.len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_string()
}

struct Env {
    issuer: RunningIssuer,
    secrets: ReferenceSecrets,
}

async fn env(faults: &[Fault]) -> Env {
    let secrets = ReferenceSecrets::random();
    let mut cfg = IssuerConfig::reference(&secrets);
    cfg.faults = faults.iter().copied().collect::<BTreeSet<_>>();
    let issuer = start(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    Env { issuer, secrets }
}

impl Env {
    fn addr(&self) -> SocketAddr {
        self.issuer.addr
    }

    /// Runs authorize -> login -> consent(approve) and returns the final
    /// redirect response.
    async fn browser(&self, query: &str, user: &str, approve: bool) -> Resp {
        let a = send(self.addr(), "GET", &format!("/authorize?{query}"), &[], "").await;
        assert_eq!(a.status, 200, "{}", a.body);
        for (h, v) in [
            ("content-type", "text/html; charset=utf-8"),
            ("x-frame-options", "DENY"),
            ("content-security-policy", "frame-ancestors 'none'"),
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
        ] {
            assert_eq!(a.header(h), Some(v), "{h}");
        }
        let rid = hidden(&a.body, "request_id");
        let csrf = hidden(&a.body, "csrf");
        let password = if user == "alice" {
            &self.secrets.alice_password
        } else {
            &self.secrets.bob_password
        };
        let bad = send(
            self.addr(),
            "POST",
            "/login",
            &[FORM],
            &format!("request_id={rid}&csrf={csrf}&username={user}&password=wrong"),
        )
        .await;
        assert_eq!(bad.status, 200);
        assert!(bad.body.contains("Invalid username or password."));
        let l = send(
            self.addr(),
            "POST",
            "/login",
            &[FORM],
            &format!("request_id={rid}&csrf={csrf}&username={user}&password={password}"),
        )
        .await;
        assert_eq!(l.status, 303);
        let cookie = l.header("set-cookie").unwrap().to_string();
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Path=/")
        );
        let cookie = cookie.split(';').next().unwrap().to_string();
        let c = send(
            self.addr(),
            "GET",
            l.header("location").unwrap(),
            &[("Cookie", &cookie)],
            "",
        )
        .await;
        assert_eq!(c.status, 200);
        assert!(c.body.contains("value=\"approve\">Allow</button>"));
        let decision = if approve { "approve" } else { "deny" };
        send(
            self.addr(),
            "POST",
            "/consent",
            &[FORM, ("Cookie", &cookie)],
            &format!("request_id={rid}&csrf={csrf}&decision={decision}"),
        )
        .await
    }

    async fn code(&self, client: &str, redirect: &str, scope: &str, verifier: &str) -> String {
        let q = format!(
            "response_type=code&client_id={client}&redirect_uri={}&scope={}&state=st&code_challenge={}&code_challenge_method=S256&nonce=n-1",
            encode_component(redirect),
            encode_component(scope),
            s256(verifier)
        );
        let r = self.browser(&q, "alice", true).await;
        assert_eq!(r.status, 303);
        let p = r.location_params();
        assert_eq!(p[0].0, "code");
        assert_eq!(p[1], ("state".to_string(), "st".to_string()));
        assert_eq!(p[2], ("iss".to_string(), self.issuer.base_url.clone()));
        p[0].1.clone()
    }

    async fn token(&self, auth: Option<&str>, body: &str) -> Resp {
        let mut h = vec![FORM];
        if let Some(a) = auth {
            h.push(("Authorization", a));
        }
        send(self.addr(), "POST", "/token", &h, body).await
    }

    async fn c1_tokens(&self, scope: &str) -> Value {
        let v = "v".repeat(43);
        let code = self.code("c1", "https://c1.example/cb", scope, &v).await;
        let r = self
            .token(
                Some(&basic("c1", &self.secrets.c1)),
                &format!("grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fc1.example%2Fcb&code_verifier={v}"),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    async fn userinfo(&self, at: &str) -> Resp {
        send(
            self.addr(),
            "GET",
            "/userinfo",
            &[("Authorization", &format!("Bearer {at}"))],
            "",
        )
        .await
    }

    async fn introspect(&self, token: &str) -> Value {
        let r = send(
            self.addr(),
            "POST",
            "/introspect",
            &[FORM, ("Authorization", &basic("s1", &self.secrets.s1))],
            &format!("token={token}"),
        )
        .await;
        assert_eq!(r.status, 200);
        r.json()
    }

    async fn refresh(&self, rt: &str, extra: &str) -> Resp {
        self.token(
            Some(&basic("c1", &self.secrets.c1)),
            &format!("grant_type=refresh_token&refresh_token={rt}{extra}"),
        )
        .await
    }
}

fn decode_jwt(jwt: &str) -> (Value, Value) {
    let mut parts = jwt.split('.');
    let h = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    let c = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    (
        serde_json::from_slice(&h).unwrap(),
        serde_json::from_slice(&c).unwrap(),
    )
}

#[tokio::test]
async fn full_code_flow_refresh_and_family_revocation() {
    let e = env(&[]).await;
    let t = e
        .c1_tokens("openid profile email offline_access api:read")
        .await;
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 3600);
    assert_eq!(t["scope"], "openid profile email offline_access api:read");
    let at = t["access_token"].as_str().unwrap().to_string();
    let rt1 = t["refresh_token"].as_str().unwrap().to_string();
    let (h, c) = decode_jwt(t["id_token"].as_str().unwrap());
    assert_eq!(h["alg"], "RS256");
    assert_eq!(h["typ"], "JWT");
    assert_eq!(h["kid"], keys::signing_key().kid);
    assert_eq!(c["iss"], e.issuer.base_url);
    assert_eq!(c["aud"], "c1");
    assert_eq!(c["sub"], "user-alice-1");
    assert_eq!(c["nonce"], "n-1");
    assert_eq!(c["at_hash"], keys::at_hash(&at));
    assert!(keys::signing_key()
        .verify_own(t["id_token"].as_str().unwrap(), &e.issuer.base_url)
        .is_some());

    let u = e.userinfo(&at).await;
    assert_eq!(u.status, 200);
    assert_eq!(u.header("cache-control"), Some("no-store"));
    let uj = u.json();
    assert_eq!(uj["sub"], "user-alice-1");
    assert_eq!(uj["email_verified"], true);
    let u = send(
        e.addr(),
        "POST",
        "/userinfo",
        &[("Authorization", &format!("bEaReR {at}"))],
        "",
    )
    .await;
    assert_eq!(u.status, 200);

    let i = e.introspect(&at).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["client_id"], "c1");
    assert_eq!(i["sub"], "user-alice-1");
    assert_eq!(i["token_type"], "Bearer");
    assert_eq!(e.introspect(&rt1).await["token_type"], "refresh_token");

    // Narrowing refresh; the rotated RT keeps the full scope.
    let r = e.refresh(&rt1, "&scope=openid+api%3Aread").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("pragma"), Some("no-cache"));
    let rj = r.json();
    assert_eq!(rj["scope"], "openid api:read");
    let rt2 = rj["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt2, rt1);
    let (_, c2) = decode_jwt(rj["id_token"].as_str().unwrap());
    assert_eq!(c2["auth_time"], c["auth_time"]);
    assert_eq!(c2["sub"], c["sub"]);
    assert!(c2.get("nonce").is_none());
    let r3 = e.refresh(&rt2, "&scope=").await;
    assert_eq!(r3.status, 200);
    let r3j = r3.json();
    assert_eq!(r3j["scope"], "openid profile email offline_access api:read");
    let rt3 = r3j["refresh_token"].as_str().unwrap().to_string();

    // Escalation and case changes are refused.
    for s in ["api%3Awrite", "API%3AREAD"] {
        let r = e.refresh(&rt3, &format!("&scope={s}")).await;
        assert_eq!(r.json()["error"], "invalid_scope", "{s}");
    }
    // Another client cannot use it, and that does not revoke it.
    let stolen = e
        .token(
            None,
            &format!(
                "grant_type=refresh_token&refresh_token={rt3}&client_id=c2&client_secret={}",
                e.secrets.c2
            ),
        )
        .await;
    assert_eq!(stolen.json()["error"], "invalid_grant");
    // An AT is not an RT.
    assert_eq!(e.refresh(&at, "").await.json()["error"], "invalid_grant");

    // Replay of rt1 kills the family (rt3 and the ATs).
    let replay = e.refresh(&rt1, "").await;
    assert_eq!(replay.json()["error"], "invalid_grant");
    assert_eq!(e.refresh(&rt3, "").await.json()["error"], "invalid_grant");
    let dead = e.userinfo(r3j["access_token"].as_str().unwrap()).await;
    assert_eq!(dead.status, 401);
    assert!(dead
        .header("www-authenticate")
        .unwrap()
        .contains("error=\"invalid_token\""));
    assert_eq!(
        e.introspect(&at).await,
        serde_json::json!({"active": false})
    );
    e.issuer.shutdown().await;
}

#[tokio::test]
async fn no_refresh_token_without_offline_access_and_no_idt_without_openid() {
    let e = env(&[]).await;
    let t = e.c1_tokens("openid api:read").await;
    assert!(t.get("refresh_token").is_none());
    assert!(t.get("id_token").is_some());
    let t = e.c1_tokens("api:read").await;
    assert!(t.get("id_token").is_none());
    let u = e.userinfo(t["access_token"].as_str().unwrap()).await;
    assert_eq!(u.status, 403);
    assert_eq!(
        u.header("www-authenticate"),
        Some(
            "Bearer realm=\"grantcheck-reference\", error=\"insufficient_scope\", scope=\"openid\""
        )
    );
}

#[tokio::test]
async fn code_reuse_and_binding() {
    let e = env(&[]).await;
    let v = "w".repeat(128);
    let code = e
        .code("c1", "https://c1.example/cb", "openid offline_access", &v)
        .await;
    let ok_body = format!("grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fc1.example%2Fcb&code_verifier={v}");
    let c1 = basic("c1", &e.secrets.c1);
    // Thief (c2) and bad verifier / missing redirect fail without consuming.
    let thief = e
        .token(
            None,
            &format!("{ok_body}&client_id=c2&client_secret={}", e.secrets.c2),
        )
        .await;
    assert_eq!(thief.json()["error"], "invalid_grant");
    for body in [
        ok_body.replace(&v, &"x".repeat(43)),
        ok_body.replace(&format!("&code_verifier={v}"), ""),
        ok_body.replace(&format!("code_verifier={v}"), "code_verifier="),
        ok_body.replace("&redirect_uri=https%3A%2F%2Fc1.example%2Fcb", ""),
        ok_body.replace("%2Fcb", "%2Fcb%2F"),
        ok_body.replace(&code, &code[..20]),
        ok_body.replace(&code, &format!("{code}x")),
    ] {
        let r = e.token(Some(&c1), &body).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["error"], "invalid_grant", "{body}");
    }
    let first = e.token(Some(&c1), &ok_body).await;
    assert_eq!(first.status, 200);
    let at = first.json()["access_token"].as_str().unwrap().to_string();
    let rt = first.json()["refresh_token"].as_str().unwrap().to_string();
    // A replay with a wrong verifier does not revoke (CODE-03)...
    let r = e
        .token(Some(&c1), &ok_body.replace(&v, &"x".repeat(43)))
        .await;
    assert_eq!(r.json()["error"], "invalid_grant");
    assert_eq!(e.userinfo(&at).await.status, 200);
    // ...but a full replay does (CODE-01, CODE-02).
    let again = e.token(Some(&c1), &ok_body).await;
    assert_eq!(again.json()["error"], "invalid_grant");
    assert_eq!(e.userinfo(&at).await.status, 401);
    assert_eq!(e.refresh(&rt, "").await.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn concurrent_redemption_yields_exactly_one() {
    for (faults, expect_many) in [(vec![], false), (vec![Fault::CodeRace], true)] {
        let e = env(&faults).await;
        let v = "z".repeat(50);
        let code = e.code("p1", "https://p1.example/cb", "api:read", &v).await;
        let body = format!("grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fp1.example%2Fcb&code_verifier={v}&client_id=p1");
        let addr = e.addr();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let body = body.clone();
                tokio::spawn(
                    async move { send(addr, "POST", "/token", &[FORM], &body).await.status },
                )
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap() == 200 {
                ok += 1;
            }
        }
        if expect_many {
            assert!(ok > 1, "code_race should let several through, got {ok}");
        } else {
            assert_eq!(ok, 1);
        }
    }
}

#[tokio::test]
async fn token_endpoint_contract() {
    let e = env(&[]).await;
    let s1 = basic("s1", &e.secrets.s1);
    let g = send(
        e.addr(),
        "GET",
        "/token?grant_type=client_credentials",
        &[("Authorization", &s1)],
        "",
    )
    .await;
    assert_eq!(g.status, 405);
    assert_eq!(g.header("allow"), Some("POST"));
    assert_eq!(g.json()["error"], "invalid_request");

    let ok = e
        .token(Some(&s1), "grant_type=client_credentials&scope=api%3Aread")
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("content-type"), Some("application/json"));
    let okj = ok.json();
    assert!(okj.get("refresh_token").is_none() && okj.get("id_token").is_none());
    assert_eq!(okj["scope"], "api:read");
    let i = e.introspect(okj["access_token"].as_str().unwrap()).await;
    assert_eq!(i["sub"], "s1");
    let u = e.userinfo(okj["access_token"].as_str().unwrap()).await;
    assert_eq!(u.status, 403);

    let cases: Vec<(Option<String>, String, u16, &str)> = vec![
        (
            Some(s1.clone()),
            "grant_type=client_credentials&grant_type=client_credentials".into(),
            400,
            "invalid_request",
        ),
        (
            Some(s1.clone()),
            "scope=api%3Aread".into(),
            400,
            "invalid_request",
        ),
        (
            Some(s1.clone()),
            "grant_type=password&username=alice&password=x".into(),
            400,
            "unsupported_grant_type",
        ),
        (
            Some(s1.clone()),
            "grant_type=implicit".into(),
            400,
            "unsupported_grant_type",
        ),
        (
            Some(s1.clone()),
            "grant_type=authorization_code&code=x".into(),
            400,
            "unauthorized_client",
        ),
        (
            Some(s1.clone()),
            "grant_type=client_credentials&scope=api%3Awrite".into(),
            400,
            "invalid_scope",
        ),
        (
            Some(s1.clone()),
            "grant_type=client_credentials&scope=openid".into(),
            400,
            "invalid_scope",
        ),
        (
            Some(basic("s1", "wrong")),
            "grant_type=client_credentials".into(),
            401,
            "invalid_client",
        ),
        (
            Some(basic("nobody", "x")),
            "grant_type=client_credentials".into(),
            401,
            "invalid_client",
        ),
        (
            None,
            "grant_type=client_credentials&client_id=s1".into(),
            400,
            "invalid_client",
        ),
        (
            None,
            "grant_type=client_credentials&client_id=p1".into(),
            400,
            "unauthorized_client",
        ),
        (
            Some(s1.clone()),
            format!(
                "grant_type=client_credentials&client_secret={}",
                e.secrets.s1
            ),
            400,
            "invalid_request",
        ),
        (
            Some(s1.clone()),
            "grant_type=client_credentials&client_id=c1".into(),
            400,
            "invalid_request",
        ),
        (
            None,
            "grant_type=authorization_code&client_id=p1".into(),
            400,
            "invalid_request",
        ),
        (
            None,
            "grant_type=refresh_token&client_id=p1".into(),
            400,
            "invalid_request",
        ),
        (
            None,
            "grant_type=refresh_token&client_id=p1&refresh_token=nope".into(),
            400,
            "invalid_grant",
        ),
    ];
    for (auth, body, status, error) in cases {
        let r = e.token(auth.as_deref(), &body).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert_eq!(r.json()["error"], error, "{body}");
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("pragma"), Some("no-cache"));
        if status == 401 {
            assert_eq!(
                r.header("www-authenticate"),
                Some("Basic realm=\"grantcheck-reference\"")
            );
        }
    }
    // Query parameters, JSON bodies.
    let r = send(
        e.addr(),
        "POST",
        "/token?client_secret=x",
        &[FORM, ("Authorization", &s1)],
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(r.json()["error"], "invalid_request");
    let r = send(
        e.addr(),
        "POST",
        "/token",
        &[("Content-Type", "application/json"), ("Authorization", &s1)],
        "{\"grant_type\":\"client_credentials\"}",
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_request");
    // X1 with the App. B encoding.
    let r = e
        .token(
            Some(&basic("x1", &e.secrets.x1)),
            "grant_type=client_credentials",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["scope"], "api:read");
}

#[tokio::test]
async fn authorize_endpoint_errors_and_pages() {
    let e = env(&[]).await;
    let ch = s256(&"a".repeat(43));
    let good = format!("response_type=code&client_id=c1&redirect_uri=https%3A%2F%2Fc1.example%2Fcb&scope=openid&state=a%20b%2Bc&code_challenge={ch}&code_challenge_method=S256");
    let r = send(
        e.addr(),
        "GET",
        &format!(
            "/authorize?{}",
            good.replace("code_challenge_method=S256", "code_challenge_method=plain")
        ),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 303);
    let p = r.location_params();
    assert_eq!(p[0], ("error".to_string(), "invalid_request".to_string()));
    assert!(p.iter().any(|(k, v)| k == "state" && v == "a b+c"));
    assert!(p.iter().any(|(k, v)| k == "iss" && *v == e.issuer.base_url));
    assert!(!p.iter().any(|(k, _)| k == "code"));

    let r = send(
        e.addr(),
        "GET",
        &format!("/authorize?{}&prompt=none", good),
        &[],
        "",
    )
    .await;
    assert_eq!(r.location_params()[0].1, "login_required");

    let evil = good.replace("c1.example", "evil.example") + "&x=%22%3E%3Cscript%3E";
    let r = send(
        e.addr(),
        "GET",
        &format!(
            "/authorize?{}",
            evil.replace("client_id=c1", "client_id=%22%3E%3Cscript%3E")
        ),
        &[("Origin", "https://attacker.example")],
        "",
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.header("location").is_none());
    assert!(!r.body.contains("<script>"));
    assert!(r.header("access-control-allow-origin").is_none());
    assert_eq!(r.header("x-frame-options"), Some("DENY"));

    // POST form works the same way (shows the login page).
    let r = send(e.addr(), "POST", "/authorize", &[FORM], &good).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("action=\"/login\""));

    // Deny.
    let r = e.browser(&good, "bob", false).await;
    assert_eq!(r.status, 303);
    let p = r.location_params();
    assert_eq!(p[0].1, "access_denied");

    // Q1 keeps its query.
    let v = "q".repeat(43);
    let q = format!("response_type=code&client_id=q1&redirect_uri=https%3A%2F%2Fq1.example%2Fcb%3Ftenant%3Da&scope=openid&code_challenge={}&code_challenge_method=S256", s256(&v));
    let r = e.browser(&q, "alice", true).await;
    let loc = r.header("location").unwrap();
    assert!(
        loc.starts_with("https://q1.example/cb?tenant=a&code="),
        "{loc}"
    );

    // Unknown path, OPTIONS on /authorize.
    assert_eq!(send(e.addr(), "GET", "/nope", &[], "").await.status, 404);
    let o = send(
        e.addr(),
        "OPTIONS",
        "/authorize",
        &[("Origin", "https://attacker.example")],
        "",
    )
    .await;
    assert!(o.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn prompt_none_after_consent_and_max_age() {
    let e = env(&[]).await;
    let v = "m".repeat(43);
    let base = format!("response_type=code&client_id=c1&redirect_uri=https%3A%2F%2Fc1.example%2Fcb&scope=openid&code_challenge={}&code_challenge_method=S256", s256(&v));
    // Log in and approve, keeping the cookie.
    let a = send(e.addr(), "GET", &format!("/authorize?{base}"), &[], "").await;
    let (rid, csrf) = (hidden(&a.body, "request_id"), hidden(&a.body, "csrf"));
    let l = send(
        e.addr(),
        "POST",
        "/login",
        &[FORM],
        &format!(
            "request_id={rid}&csrf={csrf}&username=alice&password={}",
            e.secrets.alice_password
        ),
    )
    .await;
    let cookie = l
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    // Wrong csrf is refused.
    let bad = send(
        e.addr(),
        "POST",
        "/consent",
        &[FORM, ("Cookie", &cookie)],
        &format!("request_id={rid}&csrf=nope&decision=approve"),
    )
    .await;
    assert_eq!(bad.status, 400);
    let ok = send(
        e.addr(),
        "POST",
        "/consent",
        &[FORM, ("Cookie", &cookie)],
        &format!("request_id={rid}&csrf={csrf}&decision=approve"),
    )
    .await;
    assert_eq!(ok.status, 303);
    // Silent re-authorization now works.
    let s = send(
        e.addr(),
        "GET",
        &format!("/authorize?{base}&prompt=none"),
        &[("Cookie", &cookie)],
        "",
    )
    .await;
    assert_eq!(s.status, 303);
    assert_eq!(s.location_params()[0].0, "code");
    // With the session, a normal request goes straight to consent...
    let c = send(
        e.addr(),
        "GET",
        &format!("/authorize?{base}"),
        &[("Cookie", &cookie)],
        "",
    )
    .await;
    assert!(c.body.contains("value=\"approve\""));
    // ...but max_age=0 and prompt=login force a login page.
    for extra in ["&max_age=0", "&prompt=login"] {
        let c = send(
            e.addr(),
            "GET",
            &format!("/authorize?{base}{extra}"),
            &[("Cookie", &cookie)],
            "",
        )
        .await;
        assert!(c.body.contains("action=\"/login\""), "{extra}");
    }
}

#[tokio::test]
async fn revocation_and_introspection_auth() {
    let e = env(&[]).await;
    let t = e.c1_tokens("openid offline_access").await;
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    // No auth / wrong auth at introspection: 401 without metadata.
    for auth in [None, Some(basic("s1", "wrong"))] {
        let mut h = vec![FORM];
        if let Some(a) = &auth {
            h.push(("Authorization", a));
        }
        let r = send(e.addr(), "POST", "/introspect", &h, &format!("token={at}")).await;
        assert_eq!(r.status, 401);
        assert!(r.header("www-authenticate").unwrap().starts_with("Basic"));
        assert!(!r.body.contains("active"));
    }
    // c2 revoking c1's RT: 200 but nothing happens.
    let r = send(
        e.addr(),
        "POST",
        "/revoke",
        &[FORM],
        &format!("token={rt}&client_id=c2&client_secret={}", e.secrets.c2),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(e.introspect(rt).await["active"], true);
    // Garbage and odd hints: 200.
    let c1 = basic("c1", &e.secrets.c1);
    let r = send(
        e.addr(),
        "POST",
        "/revoke",
        &[FORM, ("Authorization", &c1)],
        "token=garbage&token_type_hint=foo",
    )
    .await;
    assert_eq!(r.status, 200);
    // Revoking the RT (with a misleading hint) cascades to the AT.
    let r = send(
        e.addr(),
        "POST",
        "/revoke",
        &[FORM, ("Authorization", &c1)],
        &format!("token={rt}&token_type_hint=access_token"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(e.introspect(rt).await, serde_json::json!({"active": false}));
    assert_eq!(e.userinfo(at).await.status, 401);
}

#[tokio::test]
async fn userinfo_contract() {
    let e = env(&[]).await;
    let t = e.c1_tokens("openid").await;
    let at = t["access_token"].as_str().unwrap();
    let r = send(e.addr(), "GET", "/userinfo", &[], "").await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"grantcheck-reference\"")
    );
    let r = send(
        e.addr(),
        "GET",
        &format!("/userinfo?access_token={at}"),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(!r.header("www-authenticate").unwrap().contains("error"));
    let auth = format!("Bearer {at}");
    let r = send(
        e.addr(),
        "GET",
        &format!("/userinfo?access_token={at}"),
        &[("Authorization", &auth)],
        "",
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("error=\"invalid_request\""));
    let r = send(
        e.addr(),
        "POST",
        "/userinfo",
        &[FORM, ("Authorization", &auth)],
        &format!("access_token={at}"),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = e.userinfo(t["id_token"].as_str().unwrap()).await;
    assert_eq!(r.status, 401);
    let r = e.userinfo(&"x".repeat(43)).await;
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));
    let ok = e.userinfo(at).await.json();
    assert_eq!(ok, serde_json::json!({"sub": "user-alice-1"}));
}

#[tokio::test]
async fn discovery_and_jwks() {
    let e = env(&[]).await;
    let a = send(
        e.addr(),
        "GET",
        "/.well-known/openid-configuration",
        &[],
        "",
    )
    .await;
    let b = send(
        e.addr(),
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        "",
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(a.json(), b.json());
    assert_eq!(a.json()["issuer"], e.issuer.base_url);
    let j = send(e.addr(), "GET", "/jwks", &[], "").await.json();
    let k = &j["keys"][0];
    assert_eq!(k["kty"], "RSA");
    assert_eq!(k["kid"], keys::signing_key().kid);
    assert!(k.get("d").is_none());
}

#[tokio::test]
async fn selected_faults_change_behaviour() {
    // iss_missing + state_dropped_on_error.
    let e = env(&[Fault::IssMissing, Fault::StateDroppedOnError]).await;
    let r = send(e.addr(), "GET", "/authorize?response_type=token&client_id=c1&redirect_uri=https%3A%2F%2Fc1.example%2Fcb&state=s", &[], "").await;
    let p = r.location_params();
    assert!(!p.iter().any(|(k, _)| k == "state" || k == "iss"));

    // no_rt_rotation + basic challenge faults + error_body_not_json.
    let e = env(&[
        Fault::NoRtRotation,
        Fault::Basic401MissingChallenge,
        Fault::ErrorBodyNotJson,
    ])
    .await;
    let t = e.c1_tokens("openid offline_access").await;
    let rt = t["refresh_token"].as_str().unwrap();
    let r = e.refresh(rt, "").await;
    assert_eq!(r.json()["refresh_token"], rt);
    assert_eq!(e.refresh(rt, "").await.status, 200);
    let r = e
        .token(Some(&basic("c1", "wrong")), "grant_type=client_credentials")
        .await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").is_none());
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));

    // missing_param_500, token_get_allowed, no_cache_headers.
    let e = env(&[
        Fault::MissingParam500,
        Fault::TokenGetAllowed,
        Fault::NoCacheHeaders,
    ])
    .await;
    let s1 = basic("s1", &e.secrets.s1);
    assert_eq!(e.token(Some(&s1), "scope=api%3Aread").await.status, 500);
    let g = send(
        e.addr(),
        "GET",
        "/token?grant_type=client_credentials",
        &[("Authorization", &s1)],
        "",
    )
    .await;
    assert_eq!(g.status, 200);
    assert!(g.header("cache-control").is_none());

    // Every fault starts and serves discovery without panicking.
    for f in Fault::ALL {
        let e = env(&[*f]).await;
        let r = send(
            e.addr(),
            "GET",
            "/.well-known/openid-configuration",
            &[],
            "",
        )
        .await;
        assert_eq!(r.status, 200, "{}", f.name());
        e.issuer.shutdown().await;
    }
}
