//! Issuer profiles: what an issuer is and how to reach it.
//!
//! A profile names the issuer (discovery) or its endpoints, its clients and
//! users by role (`c1`, `c2`, `p1`, `u1`, ...), how the form user agent logs
//! in, the policy where specs disagree, and HTTP limits. Secrets are only ever
//! named by environment variable; a missing variable is an error, never an
//! empty secret.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;

pub mod draft;
mod env;
mod guard;
mod load;

pub use env::{Env, SecretSource};
pub use guard::{Guard, ScopeGuard};
pub use load::{load, load_str, parse, ProfileError, MAX_PROFILE_BYTES};

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

    pub fn parse(s: &str) -> Option<AuthMethod> {
        [
            AuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost,
            AuthMethod::None,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
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
    /// The variable holding the user's TOTP secret (base32, RFC 6238): the
    /// user agents type its current code when the issuer asks for one.
    pub totp_secret_env: Option<String>,
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
    /// Who logs in: `form` (default: HTML forms over HTTP, every exchange
    /// recorded), `browser` (headless Chromium through WebDriver, for login
    /// pages that need JavaScript) or `manual` (a reviewer, in their browser).
    #[serde(default)]
    pub agent: AgentKind,
    /// Reuse each user's logged-in session across authorizations instead
    /// of logging in every time. Off by default: an issuer that ties grants
    /// to the browser session (oidc-provider) couples cases through it, so
    /// a case that revokes a grant breaks another's.
    #[serde(default)]
    pub reuse_sessions: bool,
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
            agent: AgentKind::Form,
            reuse_sessions: false,
        }
    }
}

impl LoginDef {
    pub fn is_browser(&self) -> bool {
        self.agent == AgentKind::Browser
    }
}

/// The user agent of the authorization steps (`[login] agent`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    #[default]
    Form,
    Browser,
    /// A person logs in: grantcheck prints the URL and waits for the callback.
    Manual,
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
    /// Requests the rate limit lets through at once after a quiet spell (a
    /// token bucket's size); 1 spaces every request evenly.
    pub burst: u32,
    /// Origins other than the issuer's (`https://login.example`) whose
    /// endpoints discovery may name. Any other foreign endpoint stops the
    /// run before a credential is sent (RFC 9700 §4.4, mix-up).
    pub trusted_origins: Vec<String>,
    /// Keep connections open between requests. An issuer that closes a
    /// connection after answering breaks the next pooled request; grantcheck
    /// retries such a request once on a fresh connection, and `false` opens
    /// one connection per request.
    pub pooling: bool,
    /// A PEM file of CA certificates to trust besides the platform's (a
    /// sandbox behind a private CA), relative to the profile's directory.
    pub ca_file: Option<String>,
    /// The certificates `ca_file` holds, read when the profile is loaded
    /// (or given directly: the embedded reference's test CA).
    #[serde(skip)]
    pub ca_pem: Option<String>,
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
            burst: 1,
            trusted_origins: Vec::new(),
            pooling: true,
            ca_file: None,
            ca_pem: None,
        }
    }
}

/// An `[endpoints]` value as a URL. A path is joined to the issuer, so that
/// `issuer_env` and `--emulate` move it; for an issuer under a path
/// (`https://h/o`), a path that already starts with that path (`/o/token`)
/// is taken as written on the issuer's host, not doubled (`/o/o/token`).
pub fn join_endpoint(issuer: &str, configured: &str) -> String {
    // `introspect` (no scheme, no leading slash) is a path under the
    // issuer, as `/introspect` is; it used to pass through as a URL that
    // does not parse.
    if !configured.starts_with('/') && !configured.contains("://") && !configured.is_empty() {
        return join_endpoint(issuer, &format!("/{configured}"));
    }
    if !configured.starts_with('/') {
        return configured.to_string();
    }
    let base = issuer.trim_end_matches('/');
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_at = base[after_scheme..]
        .find('/')
        .map(|i| after_scheme + i)
        .unwrap_or(base.len());
    let (origin, path) = base.split_at(path_at);
    let under_path =
        !path.is_empty() && (configured == path || configured.starts_with(&format!("{path}/")));
    match under_path {
        true => format!("{origin}{configured}"),
        false => format!("{base}{configured}"),
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
    /// The TOTP secret (base32) and its variable, when the profile names one.
    pub totp: Option<(String, String)>,
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
        join_endpoint(&self.issuer, configured)
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
        out.extend(self.users.values().filter_map(|u| {
            let (var, value) = u.totp.clone()?;
            Some(SecretSource {
                var,
                value,
                client_id: None,
            })
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
        s.extend(
            self.users
                .values()
                .filter_map(|u| u.totp.as_ref().map(|t| t.1.clone())),
        );
        s
    }
}
