//! The scenario language: one TOML file per scenario, read into these types.
//!
//! Every string a user writes that may hold a template is a [`Text`]: it keeps
//! its span so that errors found after parsing (unknown requirement id, bad
//! template, reference to a later step) still point into the file.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub type Text = Spanned<String>;

/// How much a broken expectation weighs (README, "Outcomes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A precondition: when it does not hold the case is an `error`, not a finding.
    Setup,
    /// A MUST of a spec: `fail`.
    Must,
    /// A rule of the product card or the profile beyond the specs: `fail`, labelled profile.
    Profile,
    /// A SHOULD or best practice: `warn`.
    Should,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        [Level::Setup, Level::Must, Level::Profile, Level::Should]
            .into_iter()
            .find(|l| l.as_str() == s)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Setup => "setup",
            Level::Must => "must",
            Level::Profile => "profile",
            Level::Should => "should",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub id: Text,
    pub title: String,
    /// What the scenario does and why, for `grantcheck explain`.
    pub description: String,
    /// Requirement ids of docs/requirements.md this scenario checks.
    pub covers: Vec<Text>,
    #[serde(default)]
    pub spec: Vec<String>,
    #[serde(default)]
    pub level: Option<Spanned<Level>>,
    /// Capabilities the issuer must offer (`revocation`, `client:p2`, `policy:rfc6749`, ...).
    #[serde(default)]
    pub requires: Vec<Text>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Matrix cases: one file, several cases, each reported on its own.
    #[serde(default, rename = "case")]
    pub cases: Vec<Spanned<CaseDef>>,
    #[serde(rename = "step")]
    pub steps: Vec<Spanned<StepDef>>,
}

/// One matrix case. Keys other than `name`, `covers`, `note` and `requires` are variables,
/// reachable in templates as `{{ case.<key> }}`.
#[derive(Debug, Deserialize)]
pub struct CaseDef {
    pub name: String,
    #[serde(default)]
    pub covers: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// What this case alone needs of the profile (`uris:p1:2`,
    /// `redirect:c1:!loopback`): unmet, the case is skipped with the reason.
    #[serde(default)]
    pub requires: Vec<Text>,
    #[serde(flatten)]
    pub vars: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDef {
    pub name: Option<Text>,
    pub level: Option<Spanned<Level>>,
    /// A different level when a profile policy is on, e.g. `{ oauth21 = "should" }`.
    #[serde(default)]
    pub levels: BTreeMap<String, Level>,
    /// Why this step is there, for `explain` and reports.
    pub note: Option<String>,
    /// Requirement ids (of the scenario's `covers`) that only this step
    /// checks: a case claims them only when the step ran.
    #[serde(default)]
    pub covers: Vec<Text>,
    /// Run this step only if the issuer offers what it needs (an
    /// introspection endpoint, ...); otherwise it is skipped and the case
    /// goes on. Without it, what a step needs is the whole scenario's
    /// requirement.
    #[serde(default)]
    pub if_offered: bool,
    /// The step's checks are the case's premise, not its verdict: when one
    /// does not hold, the case is skipped with the reason (the issuer's
    /// answer cannot show what the case needs), never failed.
    #[serde(default)]
    pub premise: bool,
    /// Run this step only when this template renders to something (`{{
    /// variant.access_token }}`: an earlier step got a token); otherwise
    /// it is skipped, like an `if_offered` step, and the case goes on.
    pub when: Option<Text>,
    pub authorize: Option<Spanned<AuthorizeDef>>,
    pub token: Option<Spanned<TokenDef>>,
    pub introspect: Option<Spanned<TokenOpDef>>,
    pub revoke: Option<Spanned<TokenOpDef>>,
    pub userinfo: Option<Spanned<UserinfoDef>>,
    /// `GET` the profile's resource API endpoint (`[endpoints] api`).
    pub api: Option<Spanned<ApiDef>>,
    pub discovery: Option<Spanned<DiscoveryDef>>,
    pub http: Option<Spanned<HttpDef>>,
    /// Let time pass (expiry rows): the embedded reference's clock is
    /// advanced; a real issuer is waited for, with `run --slow` only.
    pub wait: Option<Spanned<WaitDef>>,
    /// Probe the transport (TLS versions and suites, the chain, the http
    /// twin): needs an https issuer.
    pub tls: Option<Spanned<TlsDef>>,
    /// The short form: `expect = { status = 400, error = "invalid_grant" }`.
    #[serde(default)]
    pub expect: ExpectDef,
    /// The long form, one table per assertion (`[[step.assert]]`); both
    /// forms become one list (`scenario::assertion`).
    #[serde(default, rename = "assert")]
    pub asserts: Vec<Spanned<super::assertion::AssertDef>>,
}

impl StepDef {
    /// The actions this step names, in a fixed order; a valid step has
    /// exactly one.
    pub fn actions(&self) -> Vec<&'static str> {
        self.kinds().map(|k| k.name()).collect()
    }

    /// The step's action, typed. The loader accepts only steps with exactly
    /// one; were there several, this is the first in the order of `actions`.
    pub fn kind(&self) -> Option<StepKind<'_>> {
        self.kinds().next()
    }

    /// Every action this step names, in the one fixed order.
    fn kinds(&self) -> impl Iterator<Item = StepKind<'_>> {
        [
            self.authorize
                .as_ref()
                .map(|a| StepKind::Authorize(a.get_ref())),
            self.token.as_ref().map(|t| StepKind::Token(t.get_ref())),
            self.introspect
                .as_ref()
                .map(|i| StepKind::Introspect(i.get_ref())),
            self.revoke.as_ref().map(|r| StepKind::Revoke(r.get_ref())),
            self.userinfo
                .as_ref()
                .map(|u| StepKind::Userinfo(u.get_ref())),
            self.api.as_ref().map(|a| StepKind::Api(a.get_ref())),
            self.discovery
                .as_ref()
                .map(|d| StepKind::Discovery(d.get_ref())),
            self.http.as_ref().map(|h| StepKind::Http(h.get_ref())),
            self.wait.as_ref().map(|w| StepKind::Wait(w.get_ref())),
            self.tls.as_ref().map(|t| StepKind::Tls(t.get_ref())),
        ]
        .into_iter()
        .flatten()
    }
}

/// A step's action, borrowed from its [`StepDef`]: the one table the step
/// names, as one enum to match on instead of eight options.
#[derive(Clone, Copy, Debug)]
pub enum StepKind<'a> {
    Authorize(&'a AuthorizeDef),
    Token(&'a TokenDef),
    Introspect(&'a TokenOpDef),
    Revoke(&'a TokenOpDef),
    Userinfo(&'a UserinfoDef),
    Api(&'a ApiDef),
    Discovery(&'a DiscoveryDef),
    Http(&'a HttpDef),
    Wait(&'a WaitDef),
    Tls(&'a TlsDef),
}

impl StepKind<'_> {
    /// The action's key in a scenario file (`authorize`, `token`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Authorize(_) => "authorize",
            StepKind::Token(_) => "token",
            StepKind::Introspect(_) => "introspect",
            StepKind::Revoke(_) => "revoke",
            StepKind::Userinfo(_) => "userinfo",
            StepKind::Api(_) => "api",
            StepKind::Discovery(_) => "discovery",
            StepKind::Http(_) => "http",
            StepKind::Wait(_) => "wait",
            StepKind::Tls(_) => "tls",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeDef {
    /// Client role from the profile (`c1`, `p1`, ...).
    pub client: Option<Text>,
    /// User role from the profile (`u1`, `u2`).
    pub user: Option<Text>,
    pub scope: Option<Text>,
    pub redirect_uri: Option<Text>,
    pub state: Option<Text>,
    pub nonce: Option<Text>,
    /// The PKCE verifier; the S256 challenge is derived from it unless `set` overrides.
    pub verifier: Option<Text>,
    /// `GET` (default) or `POST` (form body).
    pub method: Option<Text>,
    /// `approve` (default) or `deny` at the consent page.
    pub consent: Option<Spanned<Consent>>,
    /// Log in afresh instead of reusing the user's session from an earlier
    /// authorization of the run. Implied by `prompt=login`, `prompt=none`
    /// and `max_age` in the request, unless set to `false`: then the
    /// session is kept and the issuer must ask for a login itself.
    pub fresh_login: Option<Spanned<bool>>,
    /// Replace (or add) parameters; an empty string sends the parameter empty.
    #[serde(default)]
    pub set: BTreeMap<String, Text>,
    /// Drop parameters entirely.
    #[serde(default)]
    pub remove: Vec<Text>,
    /// Add pairs at the end, even when the name is already there (duplicates).
    #[serde(default)]
    pub append: Vec<[Text; 2]>,
    /// The parameters this step probes (`"redirect_uri"`, or a list): before
    /// anything is sent the runner checks that each really differs from the
    /// conformant request's value (and a redirect_uri from every URI the
    /// client registered), and skips the case with the reason when one does
    /// not: a probe equal to the conformant value probes nothing.
    pub probe: Option<Spanned<OneOrMany<String>>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Consent {
    Approve,
    Deny,
}

/// How a token-endpoint request authenticates the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// The client's registered method from the profile.
    Default,
    /// `Authorization: Basic` (RFC 6749 §2.3.1, with form-encoding before base64).
    Basic,
    /// `client_id` and `client_secret` in the body.
    Post,
    /// `client_id` in the body, no secret (a public client, or a confidential one on purpose).
    None,
    /// No client identification at all.
    Omit,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenDef {
    /// `authorization_code`, `refresh_token`, `client_credentials` or anything else on purpose.
    pub grant: Option<Text>,
    /// An earlier authorize step: fills code, redirect_uri, code_verifier and client.
    pub from: Option<Text>,
    pub client: Option<Text>,
    pub auth: Option<Spanned<AuthMode>>,
    /// Send this secret instead of the client's (a wrong secret on purpose).
    pub secret: Option<Text>,
    /// Send this client_id instead of the client's, wherever the auth mode
    /// puts it (a case variant on purpose, ADV-32).
    pub client_id: Option<Text>,
    pub code: Option<Text>,
    pub code_verifier: Option<Text>,
    pub redirect_uri: Option<Text>,
    pub refresh_token: Option<Text>,
    pub scope: Option<Text>,
    /// HTTP method, `POST` by default.
    pub method: Option<Text>,
    /// Content-Type of the body, `application/x-www-form-urlencoded` by default.
    pub content_type: Option<Text>,
    /// Parameters put in the URL query instead of (or besides) the body.
    #[serde(default)]
    pub query: Vec<[Text; 2]>,
    /// Send the same request this many times at once (races).
    pub concurrent: Option<Spanned<u32>>,
    /// Replace (or add) parameters; an empty string sends the parameter empty.
    #[serde(default)]
    pub set: BTreeMap<String, Text>,
    /// Drop parameters entirely.
    #[serde(default)]
    pub remove: Vec<Text>,
    /// Add pairs at the end, even when the name is already there (duplicates).
    #[serde(default)]
    pub append: Vec<[Text; 2]>,
}

/// Introspection (RFC 7662) and revocation (RFC 7009) requests.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenOpDef {
    pub token: Option<Text>,
    pub hint: Option<Text>,
    pub client: Option<Text>,
    pub auth: Option<Spanned<AuthMode>>,
    pub secret: Option<Text>,
    /// Replace (or add) parameters; an empty string sends the parameter empty.
    #[serde(default)]
    pub set: BTreeMap<String, Text>,
    /// Drop parameters entirely.
    #[serde(default)]
    pub remove: Vec<Text>,
    /// Add pairs at the end, even when the name is already there (duplicates).
    #[serde(default)]
    pub append: Vec<[Text; 2]>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserinfoDef {
    pub token: Option<Text>,
    /// `GET` (default) or `POST`.
    pub method: Option<Text>,
    /// The Authorization scheme as sent, `Bearer` by default.
    pub scheme: Option<Text>,
    /// Where the token goes: any of `header` (default), `query`, `body`.
    #[serde(default)]
    pub placement: Vec<Spanned<Placement>>,
}

/// A call to the issuer's resource API, as the client role `client` (the
/// dialect's client id header names it). With the profile's `[dialect]
/// retry_on_401`, a 401 makes the runner fetch a new client_credentials token
/// and retry once, as Bud asks clients to; both attempts are evidence.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiDef {
    /// The bearer token; none sends no Authorization header.
    pub token: Option<Text>,
    /// The calling client role (`c1` by default).
    pub client: Option<Text>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    Header,
    Query,
    Body,
}

/// How long a `wait` step lets pass: `seconds` (a template, e.g. `{{
/// exchange.expires_in }}`) plus `plus` (a fixed margin past the lifetime).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitDef {
    pub seconds: Text,
    #[serde(default)]
    pub plus: u64,
}

/// The probes a `tls` step can run, each with what it does (for `explain`;
/// `run::step::tls` runs them).
pub const TLS_PROBE_TABLE: &[(&str, &str)] = &[
    ("tls1.0", "send a TLS 1.0 ClientHello to the issuer's host"),
    ("tls1.1", "send a TLS 1.1 ClientHello to the issuer's host"),
    ("tls1.3", "send a ClientHello offering TLS 1.3 only"),
    (
        "weak_suites",
        "send a TLS 1.2 ClientHello offering only weak suites",
    ),
    (
        "rsa_key_transport",
        "send a TLS 1.2 ClientHello offering only RSA key transport suites",
    ),
    (
        "chain",
        "connect to every endpoint origin, verifying chain and name",
    ),
    (
        "plaintext",
        "POST a made-up secret to the http:// twin of the token endpoint",
    ),
    (
        "plaintext_authorize",
        "GET a valid request from the http:// twin of the authorization endpoint",
    ),
];

/// The names of [`TLS_PROBE_TABLE`].
pub fn tls_probes() -> Vec<&'static str> {
    TLS_PROBE_TABLE.iter().map(|(name, _)| *name).collect()
}

/// Which transport probe a `tls` step runs, one of [`TLS_PROBE_TABLE`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsDef {
    pub probe: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryDef {
    /// A well-known path other than `/.well-known/openid-configuration`.
    pub path: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpDef {
    pub method: Option<Text>,
    pub url: Text,
    #[serde(default)]
    pub headers: Vec<[Text; 2]>,
    pub body: Option<Text>,
    /// A form body (sets the form Content-Type unless a header says otherwise).
    #[serde(default)]
    pub form: Vec<[Text; 2]>,
    /// Authenticate with HTTP Basic as this client role.
    pub basic: Option<Text>,
    /// Authenticate as this client role with its registered method: HTTP
    /// Basic, or `client_id` (and `client_secret`) appended to the form body.
    pub client: Option<Text>,
    /// Follow redirects within the request's origin (cookies kept, at most
    /// the profile's `max_redirects`) and check the last response: the page a
    /// browser would show, e.g. a login page behind a 303.
    #[serde(default)]
    pub follow: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectDef {
    pub status: Option<Spanned<OneOrMany<u16>>>,
    /// The `error` of a JSON error body, or of an authorization error redirect.
    pub error: Option<Spanned<OneOrMany<String>>>,
    /// Authorization outcome: `code`, `error` or `no_redirect`.
    pub callback: Option<Spanned<CallbackKind>>,
    /// Fields that must be present (JSON body members, or callback parameters).
    #[serde(default)]
    pub present: Vec<Text>,
    #[serde(default)]
    pub absent: Vec<Text>,
    /// JSON members equal to these values (strings may be templates).
    #[serde(default)]
    pub json: BTreeMap<String, Spanned<toml::Value>>,
    /// Callback parameters equal to these values.
    #[serde(default)]
    pub params: BTreeMap<String, Text>,
    /// Members that must be present and differ from these values.
    #[serde(default)]
    pub differs: BTreeMap<String, Text>,
    /// Response headers that must contain these substrings (case-insensitive).
    #[serde(default)]
    pub header_contains: BTreeMap<String, Text>,
    #[serde(default)]
    pub header_absent: Vec<Text>,
    /// The `WWW-Authenticate` scheme that must be challenged (`Basic`, `Bearer`).
    pub challenge: Option<Text>,
    /// A `WWW-Authenticate` `error` attribute that must be present.
    pub challenge_error: Option<Text>,
    /// `error` and `error_description` use only the characters RFC 6749
    /// Appendix A.7/A.8 allow (JSON error bodies and callback parameters).
    #[serde(default)]
    pub error_charset: bool,
    /// For `concurrent` requests: how many may answer 200.
    pub successes: Option<Spanned<u32>>,
    /// JSON string members equal to these values, ASCII case-insensitively
    /// (`token_type = "Bearer"`, RFC 6749 §5.1).
    #[serde(default)]
    pub json_ci: BTreeMap<String, Text>,
    /// JSON members that, when present, must be integers above zero (not
    /// strings, not fractions): `expires_in`.
    #[serde(default)]
    pub positive_integer: Vec<Text>,
    /// The response's `scope`, when present, is a space-separated string
    /// equal as a set to this (RFC 6749 §5.1: it may be left out only when
    /// it equals the request, and must be reported when it differs).
    pub scope_granted: Option<Text>,
    /// The body is a JSON object (not a form, text, or an array).
    #[serde(default)]
    pub json_object: bool,
    /// Numeric JSON members within `[low, high]` (inclusive).
    #[serde(default)]
    pub between: BTreeMap<String, Spanned<[i64; 2]>>,
    /// JSON array members that must contain this value.
    #[serde(default)]
    pub includes: BTreeMap<String, Text>,
    /// JSON array members that must not contain this value (absent is fine).
    #[serde(default)]
    pub excludes: BTreeMap<String, Text>,
    /// The body is a JWKS without private or symmetric key material (JWKS-02).
    #[serde(default)]
    pub public_keys_only: bool,
    /// The response's `id_token` is a JWS that verifies against the issuer's
    /// JWKS, with these claims.
    pub id_token: Option<IdTokenExpect>,
    /// The response's `access_token` is an RFC 9068 JWT that verifies
    /// against the issuer's JWKS (the profile's `[dialect]
    /// access_token_audience` is the `aud` it must carry).
    pub access_token_jwt: Option<AccessTokenExpect>,
}

/// What a JWT access token must say, beyond `typ` at+jwt, a valid signature
/// from the issuer, `iss`, live `exp` / `iat`, `jti`, `exp - iat` equal to
/// `expires_in`, and `scope` equal to the response's `scope`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessTokenExpect {
    /// The `client_id` claim equals this (usually `{{ clients.c1.id }}`).
    pub client_id: Option<Text>,
}

/// What an ID token must say, beyond a valid signature from the issuer,
/// `iss` equal to the issuer, and live `exp` / `iat`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdTokenExpect {
    /// Must be among the audiences (usually `{{ clients.c1.id }}`).
    pub aud: Option<Text>,
    /// The `nonce` claim equals this.
    pub nonce: Option<Text>,
    /// There is no `nonce` claim (none was sent).
    #[serde(default)]
    pub nonce_absent: bool,
    /// The `at_hash` claim, when present, is the left half of the hash of
    /// the same response's access token (OIDC Core §3.1.3.6).
    #[serde(default)]
    pub at_hash: bool,
}

/// One value or a list of them (`status = 200`, `status = [400, 401]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

/// By hand rather than `#[serde(untagged)]`, whose error ("data did not
/// match any variant of untagged enum") says nothing a user can act on.
impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        let found = v.type_str();
        if let Ok(one) = T::deserialize(v.clone()) {
            return Ok(OneOrMany::One(one));
        }
        Vec::<T>::deserialize(v).map(OneOrMany::Many).map_err(|_| {
            let want = match std::any::type_name::<T>() {
                "u16" => "a status code or a list of them, e.g. `200` or `[400, 401]` (numbers, not strings)",
                "alloc::string::String" => "a string or a list of strings, e.g. `\"invalid_grant\"`",
                _ => "a value or a list of values",
            };
            serde::de::Error::custom(format!("expected {want}, found {found}"))
        })
    }
}

impl<T> OneOrMany<T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(t) => std::slice::from_ref(t),
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackKind {
    /// A redirect to the redirect URI carrying `code`.
    Code,
    /// A redirect to the redirect URI carrying `error` (and no `code`).
    Error,
    /// No navigation away from the issuer at all (NO-REDIRECT of requirements.md).
    NoRedirect,
}

impl CallbackKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            CallbackKind::Code => "code",
            CallbackKind::Error => "error",
            CallbackKind::NoRedirect => "no_redirect",
        }
    }
}

/// The parameter edits of a request-building step (`set`, `remove`, `append`);
/// kept as plain fields in each step type because serde cannot combine
/// `flatten` with `deny_unknown_fields` or with spans.
pub struct Edits<'a> {
    pub set: &'a BTreeMap<String, Text>,
    pub remove: &'a [Text],
    pub append: &'a [[Text; 2]],
}

macro_rules! edits {
    ($($t:ty),*) => {$(
        impl $t {
            pub fn edits(&self) -> Edits<'_> {
                Edits { set: &self.set, remove: &self.remove, append: &self.append }
            }
        }
    )*};
}
edits!(AuthorizeDef, TokenDef, TokenOpDef);
