//! Issuer profiles: what an issuer is and how to reach it.
//!
//! A profile names the issuer (discovery) or its endpoints, its clients and
//! users by role (`c1`, `c2`, `p1`, `u1`, ...), how the form user agent logs
//! in, the policy where specs disagree, and HTTP limits. Secrets are only ever
//! named by environment variable; a missing variable is an error, never an
//! empty secret.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::scenario::diag::{self, Diagnostic};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The issuer identifier; discovery is fetched from it unless `discovery = false`.
    pub issuer: String,
    /// A variable that, when set and not empty, replaces `issuer` (a peer
    /// started on a free port, a per-branch sandbox).
    #[serde(default)]
    pub issuer_env: Option<String>,
    #[serde(default = "yes")]
    pub discovery: bool,
    #[serde(default)]
    pub environment: Environment,
    #[serde(default)]
    pub endpoints: Endpoints,
    pub clients: BTreeMap<String, ClientDef>,
    #[serde(default)]
    pub users: BTreeMap<String, UserDef>,
    #[serde(default)]
    pub login: LoginDef,
    #[serde(default)]
    pub policy: PolicyDef,
    #[serde(default)]
    pub http: HttpDef,
    /// Capabilities forced on or off, whatever discovery says (`deny = false`).
    #[serde(default)]
    pub capabilities: BTreeMap<String, bool>,
    /// Scopes grantcheck never requests from this issuer.
    #[serde(default)]
    pub guard: Guard,
    /// How this issuer's wire format differs from the standard one.
    #[serde(default)]
    pub dialect: Dialect,
    /// The reference issuer's dialect that emulates this issuer
    /// (`grantcheck run --emulate`; `standard`, `busha`, `bud`, `example`).
    #[serde(default)]
    pub emulation: Option<String>,
    /// The scopes scenarios ask for by purpose (`{{ scopes.read }}`):
    /// `read`, a harmless resource scope the clients hold; `extra`, another
    /// one the clients may hold but a grant may leave out; `unheld`, a known
    /// scope the clients may not hold. A case naming a purpose the profile
    /// does not give is skipped.
    #[serde(default)]
    pub scopes: BTreeMap<String, String>,
}

/// Documented deviations in an issuer's wire format that grantcheck speaks,
/// so that the checks still test what matters (e.g. Bud wraps token
/// responses and refreshes without a secret).
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dialect {
    /// Token responses arrive wrapped: the token response is this member of
    /// the body (Bud: `data` of `{"operation_id": ..., "data": {...}}`).
    /// Checks read the inner object; the evidence keeps the body as sent.
    pub token_envelope: Option<String>,
    /// A header carrying the client's id on every request made as a client
    /// (Bud: `X-Client-Id`).
    pub client_id_header: Option<String>,
    /// Client authentication per grant type, overriding the client's
    /// `auth_method` for steps that do not choose one
    /// (`refresh_token = "header"`: only the client id header, no secret).
    pub grant_auth: BTreeMap<String, GrantAuth>,
    /// Access tokens are RFC 9068 JWTs for this audience (the API
    /// identifier); turns on the `jwt_access_tokens` capability.
    pub access_token_audience: Option<String>,
    /// On a 401 from the resource API, fetch a new client_credentials token
    /// and retry once (Bud: "When receiving a 401 ... create a new access
    /// token ... and try the request again").
    pub retry_on_401: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantAuth {
    Basic,
    Post,
    /// `client_id` in the body, no secret.
    None,
    /// Nothing but the `client_id_header`.
    Header,
}

/// The money guard: scopes that can move money are never requested, by any
/// scenario or template, unless the profile allows them by name. Checked in
/// the HTTP client itself, so nothing can route around it.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Guard {
    /// Glob patterns of scopes that move money (the defaults cover the usual names).
    pub money_scopes: Vec<String>,
    /// Scopes this profile explicitly allows although a pattern matches them.
    pub allow_scopes: Vec<String>,
}

impl Default for Guard {
    fn default() -> Self {
        Guard {
            money_scopes: [
                "transfers:*",
                "transfer:*",
                "payments:*",
                "payment:*",
                "quotes:write",
                "trades:*",
                "orders:write",
                "withdrawals:*",
                "payouts:*",
                "*:transfer",
                "*:pay",
            ]
            .map(String::from)
            .to_vec(),
            allow_scopes: Vec::new(),
        }
    }
}

impl Guard {
    /// The patterns compiled once, for the HTTP client's hot path. Invalid
    /// patterns are refused at profile load, so this only fails for a guard
    /// built by hand.
    pub fn compile(&self) -> Result<ScopeGuard, String> {
        let mut b = globset::GlobSetBuilder::new();
        for p in &self.money_scopes {
            b.add(globset::Glob::new(p).map_err(|e| format!("`{p}`: {e}"))?);
        }
        Ok(ScopeGuard {
            set: b.build().map_err(|e| e.to_string())?,
            allow: self.allow_scopes.clone(),
        })
    }

    /// The first scope of a space-separated `scope` value the guard refuses
    /// (an invalid guard refuses everything: it must never fail open).
    pub fn refuses(&self, scope: &str) -> Option<String> {
        match self.compile() {
            Ok(g) => g.refuses(scope),
            Err(_) => Some(scope.to_string()),
        }
    }
}

/// A compiled [`Guard`].
#[derive(Clone, Debug)]
pub struct ScopeGuard {
    set: globset::GlobSet,
    allow: Vec<String>,
}

impl ScopeGuard {
    pub fn refuses(&self, scope: &str) -> Option<String> {
        scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .find(|s| self.set.is_match(s) && !self.allow.iter().any(|a| a == s))
            .map(str::to_string)
    }
}

fn yes() -> bool {
    true
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Sandbox,
    Production,
}

#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    pub authorization: Option<String>,
    pub token: Option<String>,
    pub userinfo: Option<String>,
    pub introspection: Option<String>,
    pub revocation: Option<String>,
    pub jwks: Option<String>,
    /// A read-only protected resource of the issuer's API (`GET`), for
    /// bearer checks: what the seed documents as the first API call.
    pub api: Option<String>,
}

impl Endpoints {
    /// Every configured endpoint, mutable (emulation moves them).
    pub fn all_mut(&mut self) -> impl Iterator<Item = &mut String> {
        [
            &mut self.authorization,
            &mut self.token,
            &mut self.userinfo,
            &mut self.introspection,
            &mut self.revocation,
            &mut self.jwks,
            &mut self.api,
        ]
        .into_iter()
        .flatten()
    }

    /// Every configured endpoint.
    pub fn all(&self) -> impl Iterator<Item = &String> {
        [
            &self.authorization,
            &self.token,
            &self.userinfo,
            &self.introspection,
            &self.revocation,
            &self.jwks,
            &self.api,
        ]
        .into_iter()
        .flatten()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    None,
}

impl AuthMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientDef {
    pub client_id: Option<String>,
    /// A glob the client id must match (`?` one character, `*` any run),
    /// checked when the profile loads: Busha's ids are
    /// `busha-oauth2-{uuid}-test` in the sandbox and `-live` in production.
    #[serde(default)]
    pub client_id_pattern: Option<String>,
    pub client_id_env: Option<String>,
    pub secret_env: Option<String>,
    pub auth_method: AuthMethod,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// The scope requested when a scenario does not say.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub grants: Vec<String>,
    /// The client is served under OAuth 2.1 rules only (RURI-07 is skipped).
    #[serde(default)]
    pub oauth21_only: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDef {
    pub username: Option<String>,
    pub username_env: Option<String>,
    pub password_env: String,
}

/// How the form user agent gets through login and consent pages.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoginDef {
    /// The name of the username input; found by heuristics when absent.
    pub username_field: Option<String>,
    /// The name of the password input; the `type=password` input when absent.
    pub password_field: Option<String>,
    /// Text matched (case-insensitively) against a button's name, value or label to approve.
    #[serde(default = "approve_words")]
    pub approve: Vec<String>,
    #[serde(default = "deny_words")]
    pub deny: Vec<String>,
    /// Extra fields to fill on any form that has them (`{ tenant = "acme" }`).
    #[serde(default)]
    pub extra_fields: BTreeMap<String, String>,
    /// How many pages the agent walks before it gives up.
    #[serde(default = "max_pages")]
    pub max_pages: usize,
}

fn approve_words() -> Vec<String> {
    [
        "approve",
        "allow",
        "accept",
        "authorize",
        "authorise",
        "consent",
        "yes",
        "continue",
        "confirm",
    ]
    .map(String::from)
    .to_vec()
}
fn deny_words() -> Vec<String> {
    ["deny", "reject", "decline", "cancel", "abort", "no"]
        .map(String::from)
        .to_vec()
}
fn max_pages() -> usize {
    12
}

impl Default for LoginDef {
    fn default() -> Self {
        Self {
            username_field: None,
            password_field: None,
            approve: approve_words(),
            deny: deny_words(),
            extra_fields: BTreeMap::new(),
            max_pages: max_pages(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDef {
    /// `rfc6749` (default) or `oauth21`: which spec rules the token endpoint.
    #[serde(default)]
    pub token_endpoint: TokenSpec,
    /// Lab mode: local issuers on http; https checks become warnings.
    #[serde(default)]
    pub lab: bool,
    /// Allow any port for loopback redirect URIs (RFC 8252 §7.3).
    #[serde(default)]
    pub loopback_port: bool,
    /// The product card's rule that a refresh token comes only with
    /// offline_access (RT-10). `false` for an issuer documented otherwise
    /// (seed 003): refresh.offline-access-only is then skipped.
    #[serde(default = "yes")]
    pub refresh_requires_offline_access: bool,
    /// The product card's rule that confidential clients use PKCE too
    /// (PKCE-04). `false` for an issuer documented otherwise (seed 003's
    /// web-app flow): pkce.challenge-required-confidential is skipped.
    #[serde(default = "yes")]
    pub pkce_confidential: bool,
    /// The issuer documents `state` as required (Busha, seed 000): a request
    /// without it must be refused (errors.state-required), and
    /// errors.state-absent (which expects a code without state) is skipped.
    #[serde(default)]
    pub state_required: bool,
}

impl Default for PolicyDef {
    fn default() -> Self {
        PolicyDef {
            token_endpoint: TokenSpec::default(),
            lab: false,
            loopback_port: false,
            refresh_requires_offline_access: true,
            pkce_confidential: true,
            state_required: false,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenSpec {
    #[default]
    Rfc6749,
    Oauth21,
}

#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpDef {
    pub connect_timeout_ms: u64,
    pub timeout_ms: u64,
    pub max_body_bytes: usize,
    pub max_redirects: usize,
    /// How many scenario cases run at once.
    pub concurrency: usize,
    /// Requests per second to this issuer; 0 means no limit.
    pub rate_limit: f64,
}

impl Default for HttpDef {
    fn default() -> Self {
        Self {
            connect_timeout_ms: 5_000,
            timeout_ms: 20_000,
            max_body_bytes: 1 << 20,
            max_redirects: 10,
            concurrency: 8,
            rate_limit: 0.0,
        }
    }
}

/// A client with its secret resolved.
#[derive(Clone, Debug)]
pub struct Client {
    pub role: String,
    pub id: String,
    pub secret: Option<String>,
    pub secret_env: Option<String>,
    pub auth_method: AuthMethod,
    pub redirect_uris: Vec<String>,
    pub scope: String,
    pub grants: Vec<String>,
    pub oauth21_only: bool,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub role: String,
    pub username: String,
    pub password: String,
    /// The variable the password came from (named in replays, never its value).
    pub password_env: String,
}

/// A loaded profile with every secret resolved from the environment.
#[derive(Debug)]
pub struct Profile {
    pub path: PathBuf,
    pub name: String,
    pub issuer: String,
    pub discovery: bool,
    pub environment: Environment,
    pub endpoints: Endpoints,
    pub clients: BTreeMap<String, Client>,
    pub users: BTreeMap<String, User>,
    pub login: LoginDef,
    pub guard: Guard,
    pub dialect: Dialect,
    pub policy: PolicyDef,
    pub http: HttpDef,
    pub capabilities: BTreeMap<String, bool>,
    pub scopes: BTreeMap<String, String>,
}

impl Profile {
    /// An endpoint as configured: absolute, or a path (`/oauth/token`)
    /// joined to the issuer, so that `issuer_env` and `--emulate` move it.
    pub fn endpoint_url(&self, configured: &str) -> String {
        if configured.starts_with('/') {
            format!("{}{configured}", self.issuer.trim_end_matches('/'))
        } else {
            configured.to_string()
        }
    }

    /// Policy tags that are on (see `scenario::POLICY_TAGS`).
    pub fn policy_tags(&self) -> BTreeSet<String> {
        let mut t = BTreeSet::new();
        t.insert(match self.policy.token_endpoint {
            TokenSpec::Rfc6749 => "rfc6749".to_string(),
            TokenSpec::Oauth21 => "oauth21".to_string(),
        });
        if self.policy.lab {
            t.insert("lab".into());
        }
        if self.policy.loopback_port {
            t.insert("loopback_port".into());
        }
        if self.policy.refresh_requires_offline_access {
            t.insert("offline_access".into());
        }
        t.insert(
            if self.policy.pkce_confidential {
                "pkce_confidential"
            } else {
                "pkce_optional"
            }
            .into(),
        );
        t.insert(
            if self.policy.state_required {
                "state_required"
            } else {
                "state_optional"
            }
            .into(),
        );
        t
    }

    /// Every secret value of the profile, for redaction.
    /// Every secret with the variable it came from, and for client secrets
    /// the client id (Basic credentials are built from both).
    pub fn secret_sources(&self) -> Vec<SecretSource> {
        let mut out: Vec<SecretSource> = self
            .clients
            .values()
            .filter_map(|c| {
                Some(SecretSource {
                    var: c.secret_env.clone()?,
                    value: c.secret.clone()?,
                    client_id: Some(c.id.clone()),
                })
            })
            .collect();
        out.extend(self.users.values().map(|u| SecretSource {
            var: u.password_env.clone(),
            value: u.password.clone(),
            client_id: None,
        }));
        out
    }

    pub fn secrets(&self) -> Vec<String> {
        let mut s: Vec<String> = self
            .clients
            .values()
            .filter_map(|c| c.secret.clone())
            .collect();
        s.extend(self.users.values().map(|u| u.password.clone()));
        s
    }
}

/// A resolved secret and where it came from.
#[derive(Clone, Debug)]
pub struct SecretSource {
    pub var: String,
    pub value: String,
    pub client_id: Option<String>,
}

/// Where secret values come from: the process environment, with an overlay
/// that the embedded run uses for the secrets it generates.
#[derive(Clone, Debug, Default)]
pub struct Env {
    pub overlay: BTreeMap<String, String>,
    /// Only the overlay: the process environment is not read (an emulated
    /// run must not mix in the real issuer's credentials).
    pub isolated: bool,
}

impl Env {
    /// The overlay alone, never the process environment.
    pub fn isolated(overlay: BTreeMap<String, String>) -> Self {
        Env {
            overlay,
            isolated: true,
        }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.overlay
            .get(name)
            .cloned()
            .or_else(|| (!self.isolated).then(|| std::env::var(name).ok()).flatten())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read profile {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
    #[error("{what} of profile {path}: environment variable {var} is not set")]
    MissingSecret {
        path: PathBuf,
        what: String,
        var: String,
    },
    #[error("profile {path}: {message}")]
    Semantic { path: PathBuf, message: String },
}

impl ProfileError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ProfileError::MissingSecret { var, .. } => Some(format!(
                "export {var}=... (secrets are never read from files; an empty secret is refused too)"
            )),
            _ => None,
        }
    }
}

pub fn load(path: &Path, env: &Env) -> Result<Profile, ProfileError> {
    let src = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_str(path, &src, env)
}

/// The profile file as written, before any variable is read.
pub fn parse(path: &Path, src: &str) -> Result<ProfileFile, ProfileError> {
    toml::from_str(src).map_err(|e| ProfileError::Invalid(Box::new(diag::from_toml(path, src, &e))))
}

pub fn load_str(path: &Path, src: &str, env: &Env) -> Result<Profile, ProfileError> {
    let def = parse(path, src)?;
    let semantic = |message: String| ProfileError::Semantic {
        path: path.to_path_buf(),
        message,
    };
    let secret = |var: &str, what: String| -> Result<String, ProfileError> {
        match env.get(var) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ProfileError::MissingSecret {
                path: path.to_path_buf(),
                what,
                var: var.to_string(),
            }),
        }
    };
    // An invalid pattern must not silently disable the money guard.
    for p in &def.guard.money_scopes {
        if let Err(e) = globset::Glob::new(p) {
            return Err(semantic(format!(
                "[guard] money_scopes: `{p}` is not a valid pattern: {e}"
            )));
        }
    }
    let mut clients = BTreeMap::new();
    for (role, c) in def.clients {
        if role.is_empty()
            || !role
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(semantic(format!(
                "client role `{role}` must be lower-case letters and digits"
            )));
        }
        let id = match (&c.client_id, &c.client_id_env) {
            (Some(id), None) => id.clone(),
            (None, Some(var)) => secret(var, format!("client_id of client {role}"))?,
            _ => {
                return Err(semantic(format!(
                    "client {role}: set exactly one of client_id, client_id_env"
                )))
            }
        };
        if let Some(pattern) = &c.client_id_pattern {
            let glob = globset::Glob::new(pattern).map_err(|e| {
                semantic(format!(
                    "client {role}: client_id_pattern `{pattern}` is not a valid pattern: {e}"
                ))
            })?;
            if !glob.compile_matcher().is_match(&id) {
                return Err(semantic(format!(
                    "client {role}: the client id `{id}` does not match client_id_pattern `{pattern}` (credentials of another environment?)"
                )));
            }
        }
        let secret_value = match (&c.secret_env, c.auth_method) {
            (Some(var), AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost) => {
                Some(secret(var, format!("secret of client {role}"))?)
            }
            (None, AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost) => {
                return Err(semantic(format!("client {role} is confidential: set secret_env to the variable holding its secret")))
            }
            (Some(_), AuthMethod::None) => {
                return Err(semantic(format!("client {role} is public (auth_method = \"none\"): remove secret_env")))
            }
            (None, AuthMethod::None) => None,
        };
        clients.insert(
            role.clone(),
            Client {
                role,
                id,
                secret: secret_value,
                secret_env: c.secret_env,
                auth_method: c.auth_method,
                redirect_uris: c.redirect_uris,
                // A machine client asks for nothing unless told; a client
                // with a login asks for openid.
                scope: c.scope.unwrap_or_else(|| {
                    let machine = c.grants.iter().any(|g| g == "client_credentials")
                        && !c.grants.iter().any(|g| g == "authorization_code");
                    if machine {
                        String::new()
                    } else {
                        "openid".into()
                    }
                }),
                grants: c.grants,
                oauth21_only: c.oauth21_only,
            },
        );
    }
    let mut users = BTreeMap::new();
    for (role, u) in def.users {
        let username = match (&u.username, &u.username_env) {
            (Some(n), None) => n.clone(),
            (None, Some(var)) => secret(var, format!("username of user {role}"))?,
            _ => {
                return Err(semantic(format!(
                    "user {role}: set exactly one of username, username_env"
                )))
            }
        };
        let password = secret(&u.password_env, format!("password of user {role}"))?;
        users.insert(
            role.clone(),
            User {
                role,
                username,
                password,
                password_env: u.password_env.clone(),
            },
        );
    }
    Ok(Profile {
        path: path.to_path_buf(),
        name: def.name,
        issuer: def
            .issuer_env
            .as_deref()
            .and_then(|v| env.get(v))
            .filter(|v| !v.is_empty())
            .unwrap_or(def.issuer),
        discovery: def.discovery,
        environment: def.environment,
        endpoints: def.endpoints,
        clients,
        users,
        login: def.login,
        guard: def.guard,
        dialect: def.dialect,
        policy: def.policy,
        http: def.http,
        capabilities: def.capabilities,
        scopes: def.scopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
issuer = "https://issuer.example"
[clients.c1]
client_id = "abc"
secret_env = "T_C1_SECRET"
auth_method = "client_secret_basic"
redirect_uris = ["https://c1.example/cb"]
[users.u1]
username = "alice"
password_env = "T_U1_PASSWORD"
"#;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::isolated(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn resolves_secrets() {
        let p = load_str(
            Path::new("t.toml"),
            MINIMAL,
            &env(&[("T_C1_SECRET", "s3"), ("T_U1_PASSWORD", "pw")]),
        )
        .unwrap();
        assert_eq!(p.clients["c1"].secret.as_deref(), Some("s3"));
        assert_eq!(p.users["u1"].password, "pw");
        assert!(p.policy_tags().contains("rfc6749"));
    }

    #[test]
    fn missing_or_empty_secret_is_an_error() {
        let e = load_str(
            Path::new("t.toml"),
            MINIMAL,
            &env(&[("T_U1_PASSWORD", "pw"), ("T_C1_SECRET_X", "")]),
        )
        .unwrap_err();
        assert!(
            matches!(&e, ProfileError::MissingSecret { var, .. } if var == "T_C1_SECRET"),
            "{e}"
        );
        let e = load_str(
            Path::new("t.toml"),
            MINIMAL,
            &env(&[("T_C1_SECRET", ""), ("T_U1_PASSWORD", "pw")]),
        )
        .unwrap_err();
        assert!(matches!(e, ProfileError::MissingSecret { .. }));
    }

    #[test]
    fn unknown_key_points_at_the_line() {
        let src = MINIMAL.replace("auth_method", "auth_methd");
        let e = load_str(Path::new("t.toml"), &src, &Env::default()).unwrap_err();
        let ProfileError::Invalid(d) = e else {
            panic!("{e}")
        };
        assert_eq!(d.line, 7);
        assert_eq!(d.help.as_deref(), Some("did you mean `auth_method`?"));
    }
}

#[cfg(test)]
mod guard_tests {
    use super::Guard;

    #[test]
    fn money_scopes_are_refused_unless_allowed() {
        let g = Guard::default();
        assert_eq!(g.refuses("openid balances:read"), None);
        assert_eq!(
            g.refuses("openid transfers:write").as_deref(),
            Some("transfers:write")
        );
        assert_eq!(g.refuses("quotes:write").as_deref(), Some("quotes:write"));
        assert_eq!(g.refuses("quotes:read"), None);
        let allowed = Guard {
            allow_scopes: vec!["quotes:write".into()],
            ..Guard::default()
        };
        assert_eq!(allowed.refuses("quotes:write"), None);
        assert_eq!(
            allowed.refuses("quotes:write payments:create").as_deref(),
            Some("payments:create")
        );
    }
}
