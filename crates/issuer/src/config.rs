//! Registration data: clients, users, the issuer configuration and the
//! reference fixture set the suite's own CI runs against.

use std::collections::BTreeSet;

use rand::Rng;

use super::dialect::{busha_client_id, Dialect};
use super::faults::Fault;

/// Scopes that only make sense with an end user; client_credentials never
/// grants them even if the client's allow-list contains them.
pub const USER_ONLY_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";

/// How a client authenticates at the token, revocation and introspection
/// endpoints. A client is bound to exactly one method (CAUTH-07).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// Public client: identified by `client_id`, never authenticated.
    None,
}

impl AuthMethod {
    pub fn name(&self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ClientReg {
    pub id: String,
    pub secret: Option<String>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub auth_method: AuthMethod,
    /// Registered but not approved (pending, rejected or suspended, seed
    /// 002): every request is answered with unauthorized_client.
    pub approved: bool,
}

impl ClientReg {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    pub fn has_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    pub fn allows_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

#[derive(Clone, Debug)]
pub struct UserReg {
    pub username: String,
    pub password: String,
    /// The base32 TOTP secret the MFA step (`IssuerConfig::mfa`) checks codes against.
    pub totp: Option<String>,
    pub sub: String,
    pub name: String,
    pub email: String,
}

#[derive(Clone, Debug)]
pub struct IssuerConfig {
    /// The wire format spoken (paths, envelope, token format...).
    pub dialect: Dialect,
    pub clients: Vec<ClientReg>,
    pub users: Vec<UserReg>,
    /// Every scope the issuer knows. The standard set has `api:write` so
    /// that "known but not allowed for this client" can be told apart from
    /// "unknown".
    pub known_scopes: Vec<String>,
    /// Profile role (`c1`, `s1`, `u1`...) -> client id or username, for the
    /// profiles that run against this issuer.
    pub roles: Vec<(String, String)>,
    pub faults: BTreeSet<Fault>,
    /// Access-token (and ID-token) lifetime in seconds.
    pub access_token_ttl: u64,
    /// Authorization-code lifetime in seconds.
    pub code_ttl: u64,
    /// Time added to answers, to measure grantcheck against a slow issuer.
    pub costs: Costs,
    /// After the password, a user with a TOTP secret must type its current
    /// one-time code on a second page (RFC 6238).
    pub mfa: bool,
    /// Pages draw their forms with JavaScript: the HTML served has no
    /// `<form>`, as on issuers whose login is a script application.
    pub scripted_pages: bool,
    /// RFC 9207: advertise `authorization_response_iss_parameter_supported`
    /// and send `iss` on every authorization response. On by default; off,
    /// an issuer without the mix-up defence (the iss scenarios skip).
    pub iss_parameter: bool,
}

/// Time the issuer spends on purpose (benchmarks of slow issuers): none by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Costs {
    /// Added before every answer: a round trip this much longer.
    pub latency: std::time::Duration,
    /// Added to each login submission and to each client authentication
    /// with a secret: what hashing a password or secret slowly costs.
    pub hashing: std::time::Duration,
}

/// Secrets of the reference fixtures. Random per run so that nothing in the
/// suite can depend on a hard-coded credential.
#[derive(Clone, Debug)]
pub struct ReferenceSecrets {
    pub c1: String,
    pub c2: String,
    pub s1: String,
    /// Contains `:`, `%`, `+`, `&` and a space, to exercise the RFC 6749
    /// App. B encoding inside HTTP Basic (CAUTH-05).
    pub x1: String,
    /// The registered-but-unapproved client d1 (seed 002's pending app).
    pub d1: String,
    pub alice_password: String,
    pub bob_password: String,
    /// The users' TOTP secrets (base32), for the MFA step.
    pub alice_totp: String,
    pub bob_totp: String,
}

/// `n` characters from the base64url alphabet.
pub fn random_urlsafe(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

impl ReferenceSecrets {
    pub fn random() -> Self {
        ReferenceSecrets {
            c1: random_urlsafe(32),
            c2: random_urlsafe(32),
            s1: random_urlsafe(32),
            x1: format!("{}:%+& {}", random_urlsafe(16), random_urlsafe(16)),
            d1: random_urlsafe(32),
            alice_password: random_urlsafe(32),
            bob_password: random_urlsafe(32),
            alice_totp: crate::totp::new_secret(),
            bob_totp: crate::totp::new_secret(),
        }
    }
}

fn user(username: &str, password: &str, sub: &str, name: &str) -> UserReg {
    UserReg {
        username: username.into(),
        password: password.into(),
        totp: None,
        sub: sub.into(),
        name: name.into(),
        email: if username.contains('@') {
            username.into()
        } else {
            format!("{username}@example.com")
        },
    }
}

/// An approved client registration.
fn registration(
    id: &str,
    secret: Option<&str>,
    method: AuthMethod,
    redirects: &[&str],
    grants: &[&str],
    scopes: &[&str],
) -> ClientReg {
    ClientReg {
        id: id.to_string(),
        secret: secret.map(str::to_string),
        redirect_uris: strings(redirects),
        grant_types: strings(grants),
        scopes: strings(scopes),
        auth_method: method,
        approved: true,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const CODE_GRANTS: &[&str] = &[GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN];
const USER_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access", "api:read"];

impl IssuerConfig {
    /// The fixture set described in the requirements (C1, C2, P1, P2, S1,
    /// N1, Q1, X1, U1 = alice, U2 = bob), with no faults enabled.
    pub fn reference(secrets: &ReferenceSecrets) -> Self {
        Self::emulating(Dialect::Standard, secrets)
    }

    /// The fixtures of `dialect`: the clients and users its seed profile
    /// names, registered the way the seed documents them.
    pub fn emulating(dialect: Dialect, secrets: &ReferenceSecrets) -> Self {
        let mut c = match dialect {
            Dialect::Standard => Self::standard(secrets),
            Dialect::Busha => Self::busha(secrets),
            Dialect::Bud => Self::bud(secrets),
            Dialect::Example => Self::example(secrets),
        };
        // Every fixture user has an authenticator; the MFA step is off
        // until `mfa` turns it on.
        for (role, totp) in [("u1", &secrets.alice_totp), ("u2", &secrets.bob_totp)] {
            if let Some(name) = c.role(role).map(str::to_string) {
                if let Some(u) = c.users.iter_mut().find(|u| u.username == name) {
                    u.totp = Some(totp.clone());
                }
            }
        }
        c
    }

    fn with<R: ToString>(
        dialect: Dialect,
        clients: Vec<(R, ClientReg)>,
        users: Vec<(R, UserReg)>,
    ) -> Self {
        let mut roles: Vec<(String, String)> = clients
            .iter()
            .map(|(r, c)| (r.to_string(), c.id.clone()))
            .collect();
        roles.extend(
            users
                .iter()
                .map(|(r, u)| (r.to_string(), u.username.clone())),
        );
        IssuerConfig {
            dialect,
            clients: clients.into_iter().map(|(_, c)| c).collect(),
            users: users.into_iter().map(|(_, u)| u).collect(),
            known_scopes: strings(dialect.known_scopes()),
            roles,
            faults: BTreeSet::new(),
            access_token_ttl: 3600,
            code_ttl: 600,
            costs: Costs::default(),
            mfa: false,
            scripted_pages: false,
            iss_parameter: true,
        }
    }

    /// The client id or username registered for a profile role.
    pub fn role(&self, role: &str) -> Option<&str> {
        self.roles
            .iter()
            .find(|(r, _)| r == role)
            .map(|(_, v)| v.as_str())
    }

    fn standard(secrets: &ReferenceSecrets) -> Self {
        let client = registration;
        let clients = vec![
            client(
                "c1",
                Some(&secrets.c1),
                AuthMethod::ClientSecretBasic,
                &["https://c1.example/cb"],
                CODE_GRANTS,
                USER_SCOPES,
            ),
            client(
                "c2",
                Some(&secrets.c2),
                AuthMethod::ClientSecretPost,
                &["https://c2.example/cb"],
                CODE_GRANTS,
                USER_SCOPES,
            ),
            client(
                "p1",
                None,
                AuthMethod::None,
                &["https://p1.example/cb", "https://p1.example/cb2"],
                CODE_GRANTS,
                USER_SCOPES,
            ),
            client(
                "p2",
                None,
                AuthMethod::None,
                &["https://p2.example/cb"],
                CODE_GRANTS,
                USER_SCOPES,
            ),
            client(
                "s1",
                Some(&secrets.s1),
                AuthMethod::ClientSecretBasic,
                &[],
                &[GRANT_CLIENT_CREDENTIALS],
                &["api:read"],
            ),
            client(
                "n1",
                None,
                AuthMethod::None,
                &["http://127.0.0.1/cb"],
                CODE_GRANTS,
                USER_SCOPES,
            ),
            client(
                "q1",
                None,
                AuthMethod::None,
                &["https://q1.example/cb?tenant=a"],
                CODE_GRANTS,
                USER_SCOPES,
            ),
            client(
                "x1",
                Some(&secrets.x1),
                AuthMethod::ClientSecretBasic,
                &["https://x1.example/cb"],
                &[GRANT_CLIENT_CREDENTIALS, GRANT_AUTHORIZATION_CODE],
                &["api:read", "openid"],
            ),
            ClientReg {
                approved: false,
                ..client(
                    "d1",
                    Some(&secrets.d1),
                    AuthMethod::ClientSecretBasic,
                    &["https://d1.example/cb"],
                    CODE_GRANTS,
                    USER_SCOPES,
                )
            },
        ];
        let users = vec![
            (
                "u1",
                user(
                    "alice",
                    &secrets.alice_password,
                    "user-alice-1",
                    "Alice Example",
                ),
            ),
            (
                "u2",
                user("bob", &secrets.bob_password, "user-bob-2", "Bob Example"),
            ),
        ]
        .into_iter()
        .map(|(r, u)| (r.to_string(), u))
        .collect();
        let clients = clients.into_iter().map(|c| (c.id.clone(), c)).collect();
        Self::with(Dialect::Standard, clients, users)
    }

    /// Seeds 000-002: confidential apps with ids `busha-oauth2-{uuid}-test`,
    /// approved for the read scopes (a sandbox app is approved for the
    /// scopes it asked for; these are the read-only ones of seed 001).
    fn busha(secrets: &ReferenceSecrets) -> Self {
        const APPROVED: &[&str] = &[
            "openid",
            "offline_access",
            "balances:read",
            "transactions:read",
            "addresses:read",
            "recipients:read",
            "quotes:read",
        ];
        let app = |secret: &str, method: AuthMethod, uri: &str| ClientReg {
            id: busha_client_id(),
            secret: Some(secret.to_string()),
            redirect_uris: vec![uri.to_string()],
            grant_types: strings(CODE_GRANTS),
            scopes: strings(APPROVED),
            auth_method: method,
            approved: true,
        };
        let clients = vec![
            (
                "c1",
                app(
                    &secrets.c1,
                    AuthMethod::ClientSecretBasic,
                    "https://grantcheck.invalid/busha/callback",
                ),
            ),
            (
                "c2",
                app(
                    &secrets.c2,
                    AuthMethod::ClientSecretPost,
                    "https://grantcheck.invalid/busha/callback2",
                ),
            ),
            // A registered app still pending review (seed 002).
            (
                "d1",
                ClientReg {
                    approved: false,
                    ..app(
                        &secrets.d1,
                        AuthMethod::ClientSecretBasic,
                        "https://grantcheck.invalid/busha/pending",
                    )
                },
            ),
        ];
        let users = vec![(
            "u1",
            user(
                "sandbox.customer@busha.test",
                &secrets.alice_password,
                "busha-customer-1",
                "Sandbox Customer",
            ),
        )];
        Self::with(Dialect::Busha, clients, users)
    }

    /// Seed 004: one set of API credentials, client credentials with HTTP
    /// Basic, refreshable; no end users.
    fn bud(secrets: &ReferenceSecrets) -> Self {
        let s1 = ClientReg {
            id: format!("bud-{}", random_urlsafe(12)),
            secret: Some(secrets.s1.clone()),
            redirect_uris: Vec::new(),
            grant_types: strings(&[GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN]),
            scopes: Vec::new(),
            auth_method: AuthMethod::ClientSecretBasic,
            approved: true,
        };
        Self::with(Dialect::Bud, vec![("s1", s1)], Vec::new())
    }

    /// Seed 003: a web app (secret in the body), a mobile app / SPA (PKCE,
    /// no secret) and a server-to-server client (`admin:read`).
    fn example(secrets: &ReferenceSecrets) -> Self {
        const USER: &[&str] = &[
            "read:profile",
            "read:email",
            "read:projects",
            "write:projects",
        ];
        let reg = registration;
        let clients = vec![
            (
                "c1",
                reg(
                    "example-web-app",
                    Some(&secrets.c1),
                    AuthMethod::ClientSecretPost,
                    &["https://yourapp.com/callback"],
                    CODE_GRANTS,
                    USER,
                ),
            ),
            (
                "p1",
                reg(
                    "example-mobile-app",
                    None,
                    AuthMethod::None,
                    &[
                        "https://yourapp.com/callback",
                        "https://yourapp.com/callback2",
                    ],
                    CODE_GRANTS,
                    USER,
                ),
            ),
            (
                "s1",
                reg(
                    "example-service",
                    Some(&secrets.s1),
                    AuthMethod::ClientSecretPost,
                    &[],
                    &[GRANT_CLIENT_CREDENTIALS],
                    &["admin:read"],
                ),
            ),
        ];
        let users = vec![(
            "u1",
            user(
                "jane@example.com",
                &secrets.alice_password,
                "user-jane-1",
                "Jane Example",
            ),
        )];
        Self::with(Dialect::Example, clients, users)
    }

    pub fn client(&self, id: &str) -> Option<&ClientReg> {
        self.clients.iter().find(|c| c.id == id)
    }

    pub fn user_by_sub(&self, sub: &str) -> Option<&UserReg> {
        self.users.iter().find(|u| u.sub == sub)
    }

    pub fn has_fault(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }
}

/// Splits a scope parameter into its tokens (RFC 6749 §3.3: space-delimited,
/// case-sensitive), dropping empty tokens and duplicates but keeping order.
pub fn parse_scope(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in raw.split(' ').filter(|t| !t.is_empty()) {
        if !out.iter().any(|s| s == token) {
            out.push(token.to_string());
        }
    }
    out
}

impl IssuerConfig {
    pub fn is_known_scope(&self, scope: &str) -> bool {
        self.known_scopes.iter().any(|s| s == scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_expected_shape() {
        let s = ReferenceSecrets::random();
        assert_eq!(s.c1.len(), 32);
        assert_ne!(s.c1, s.c2);
        for ch in [':', '%', '+', '&', ' '] {
            assert!(s.x1.contains(ch), "x1 lacks {ch:?}");
        }
    }

    #[test]
    fn reference_fixtures() {
        let cfg = IssuerConfig::reference(&ReferenceSecrets::random());
        let ids: Vec<_> = cfg.clients.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c1", "c2", "p1", "p2", "s1", "n1", "q1", "x1", "d1"]);
        assert!(cfg.clients.iter().all(|c| c.approved != (c.id == "d1")));
        assert!(cfg.clients.iter().all(|c| !c.allows_scope("api:write")));
        assert!(cfg.client("p1").is_some_and(|c| c.is_public()));
        assert_eq!(cfg.access_token_ttl, 3600);
        assert_eq!(cfg.code_ttl, 600);
    }

    #[test]
    fn scope_parsing_dedupes_and_is_case_sensitive() {
        assert_eq!(parse_scope("a  b a"), vec!["a", "b"]);
        assert_eq!(
            parse_scope("api:read API:READ"),
            vec!["api:read", "API:READ"]
        );
        assert!(parse_scope("   ").is_empty());
    }
}
