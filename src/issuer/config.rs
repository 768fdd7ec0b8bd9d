//! Registration data: clients, users, the issuer configuration and the
//! reference fixture set the suite's own CI runs against.

use std::collections::BTreeSet;

use rand::Rng;

use super::faults::Fault;

/// Every scope the issuer knows. `api:write` exists so that "known but not
/// allowed for this client" can be told apart from "unknown".
pub const KNOWN_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "offline_access",
    "api:read",
    "api:write",
];

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
    pub sub: String,
    pub name: String,
    pub email: String,
}

#[derive(Clone, Debug)]
pub struct IssuerConfig {
    pub clients: Vec<ClientReg>,
    pub users: Vec<UserReg>,
    pub faults: BTreeSet<Fault>,
    /// Access-token (and ID-token) lifetime in seconds.
    pub access_token_ttl: u64,
    /// Authorization-code lifetime in seconds.
    pub code_ttl: u64,
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
    pub alice_password: String,
    pub bob_password: String,
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
            alice_password: random_urlsafe(32),
            bob_password: random_urlsafe(32),
        }
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
        let client = |id: &str,
                      secret: Option<&str>,
                      method: AuthMethod,
                      redirects: &[&str],
                      grants: &[&str],
                      scopes: &[&str]| ClientReg {
            id: id.to_string(),
            secret: secret.map(str::to_string),
            redirect_uris: strings(redirects),
            grant_types: strings(grants),
            scopes: strings(scopes),
            auth_method: method,
        };
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
        ];
        let users = vec![
            UserReg {
                username: "alice".into(),
                password: secrets.alice_password.clone(),
                sub: "user-alice-1".into(),
                name: "Alice Example".into(),
                email: "alice@example.com".into(),
            },
            UserReg {
                username: "bob".into(),
                password: secrets.bob_password.clone(),
                sub: "user-bob-2".into(),
                name: "Bob Example".into(),
                email: "bob@example.com".into(),
            },
        ];
        IssuerConfig {
            clients,
            users,
            faults: BTreeSet::new(),
            access_token_ttl: 3600,
            code_ttl: 600,
        }
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

pub fn is_known_scope(scope: &str) -> bool {
    KNOWN_SCOPES.contains(&scope)
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
        assert_eq!(ids, ["c1", "c2", "p1", "p2", "s1", "n1", "q1", "x1"]);
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
