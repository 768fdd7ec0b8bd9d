//! The issuer under test, resolved: profile, metadata, endpoints and the
//! capabilities that decide which scenarios run and which skip.

use std::collections::{BTreeMap, BTreeSet};

use crate::http::{Http, Request};
use crate::profile::Profile;
use crate::protocol::discovery::{
    identity_problem, oauth_server_metadata_url, openid_configuration_url, origin, Metadata,
};
use crate::report::model::Exchange;

#[derive(Clone, Debug, Default)]
pub struct Endpoints {
    pub authorization: Option<String>,
    pub token: Option<String>,
    pub userinfo: Option<String>,
    pub introspection: Option<String>,
    pub revocation: Option<String>,
    pub jwks: Option<String>,
    /// A protected resource of the issuer's API (bearer checks).
    pub api: Option<String>,
}

pub struct Target {
    pub profile: Profile,
    pub metadata: Option<Metadata>,
    pub endpoints: Endpoints,
    pub http: Http,
    /// capability -> (offered, why)
    pub capabilities: BTreeMap<String, (bool, String)>,
    /// The profile's policy tags, computed once (steps consult them often).
    pub policy_tags: BTreeSet<String>,
    pub reference: bool,
    pub faults: Vec<String>,
    /// The reference issuer's dialect when it emulates the profile's issuer.
    pub dialect: Option<String>,
    /// Each user's logged-in session, reused by later authorizations.
    pub sessions: crate::agent::session::Sessions,
    /// The browser of `[login] agent = "browser"`, started on first use.
    pub browser: crate::agent::browser_agent::Slot,
    /// The metadata documents read, in the order merged (OIDC, then RFC 8414).
    pub metadata_sources: Sources,
    /// What the controls of `run::premise` found (a plain login per client
    /// and user, a plain request per endpoint), each asked once per run.
    pub controls: super::premise::Controls,
    /// The embedded reference's clock endpoint: a `wait` step advances it
    /// instead of sleeping.
    pub clock: Option<String>,
    /// `run --slow`: a `wait` step against a real issuer sleeps.
    pub slow: std::sync::atomic::AtomicBool,
    /// Cases that advance the clock run alone: the issuer's time moves
    /// for every grant, so a concurrent case would see its codes and
    /// tokens expire under it. Others hold it shared.
    pub clock_lock: std::sync::Arc<tokio::sync::RwLock<()>>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot reach the issuer's {what} {url}: {message}")]
    Unreachable {
        /// `discovery document`, or `token endpoint` when there is no discovery.
        what: &'static str,
        url: String,
        message: String,
        exchange: Box<Exchange>,
    },
    #[error("the discovery document {url} is unusable: {message}")]
    BadDiscovery {
        url: String,
        message: String,
        exchange: Box<Exchange>,
    },
    #[error("the profile gives no {0} endpoint and discovery has none")]
    NoEndpoint(&'static str),
    /// DISC-01..03: the document speaks for another issuer. Nothing more is
    /// sent: every later request would carry credentials.
    #[error("DISC-01: {url}: {message}; no credential was sent")]
    IssuerMismatch {
        url: String,
        message: String,
        exchange: Box<Exchange>,
    },
    /// An endpoint from discovery on an origin the profile does not trust.
    #[error("the {name} endpoint {url} is not on the issuer's origin {issuer_origin}; no credential was sent")]
    ForeignEndpoint {
        name: &'static str,
        url: String,
        issuer_origin: String,
    },
}

/// Where the metadata came from: each document's URL, in the order merged.
pub type Sources = Vec<String>;

/// Reads the OIDC document and the RFC 8414 one, refuses either when it
/// names another issuer, and merges what is left (OIDC first). Only when
/// neither is usable does discovery fail, with the OIDC document's reason.
pub async fn discover(
    issuer: &str,
    http: &Http,
) -> Result<(Option<Metadata>, Sources), TargetError> {
    let oidc = fetch_metadata(http, openid_configuration_url(issuer)).await;
    let oauth = fetch_metadata(http, oauth_server_metadata_url(issuer)).await;
    let mut usable: Vec<(String, Metadata)> = Vec::new();
    let mut first_error = None;
    for doc in [oidc, oauth] {
        match doc {
            Ok((url, m, ex)) => {
                if let Some(message) = identity_problem(issuer, &m) {
                    return Err(TargetError::IssuerMismatch {
                        url,
                        message,
                        exchange: Box::new(ex),
                    });
                }
                usable.push((url, m));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let Some((url, first)) = usable.first().cloned() else {
        return Err(first_error.expect("no document means an error"));
    };
    let mut merged = first;
    let mut sources = vec![url];
    for (url, m) in usable.iter().skip(1) {
        merged = Metadata::merge(&merged, m);
        sources.push(url.clone());
    }
    Ok((Some(merged), sources))
}

/// Without discovery nothing has been sent yet: one GET to the token
/// endpoint (no credential; any HTTP answer will do) tells an issuer that is
/// down from one that is up, so that a run stops once with the reason
/// instead of failing every case with the same connection error.
async fn reachable(http: &Http, token: &str) -> Result<(), TargetError> {
    let ex = http.send(Request::get(token)).await;
    match &ex.error {
        None => Ok(()),
        Some((_, message)) => Err(TargetError::Unreachable {
            what: "token endpoint",
            url: token.to_string(),
            message: message.clone(),
            exchange: Box::new(ex),
        }),
    }
}

async fn fetch_metadata(
    http: &Http,
    url: String,
) -> Result<(String, Metadata, Exchange), TargetError> {
    let ex = http
        .send(Request::get(&url).header("Accept", "application/json"))
        .await;
    if let Some((_, message)) = &ex.error {
        return Err(TargetError::Unreachable {
            what: "discovery document",
            url,
            message: message.clone(),
            exchange: Box::new(ex),
        });
    }
    let resp = ex.response.as_ref().expect("no error means a response");
    if resp.status != 200 {
        let message = format!("status {}", resp.status);
        return Err(TargetError::BadDiscovery {
            url,
            message,
            exchange: Box::new(ex),
        });
    }
    match Metadata::parse(resp.body.as_bytes()) {
        Ok(m) => Ok((url, m, ex)),
        Err(e) => Err(TargetError::BadDiscovery {
            url,
            message: e.to_string(),
            exchange: Box::new(ex),
        }),
    }
}

/// Endpoints that discovery named on another origin than the issuer's are
/// used only when the profile trusts that origin: a lying document must not
/// collect client secrets and passwords. Endpoints the profile names itself
/// are the user's choice.
fn foreign_endpoints(profile: &Profile, e: &Endpoints) -> Result<(), TargetError> {
    let issuer_origin = origin(&profile.issuer).unwrap_or_default();
    let explicit = &profile.endpoints;
    let named = [
        ("authorization", &e.authorization, &explicit.authorization),
        ("token", &e.token, &explicit.token),
        ("userinfo", &e.userinfo, &explicit.userinfo),
        ("introspection", &e.introspection, &explicit.introspection),
        ("revocation", &e.revocation, &explicit.revocation),
        ("jwks", &e.jwks, &explicit.jwks),
    ];
    for (name, url, from_profile) in named {
        let (Some(url), None) = (url, from_profile) else {
            continue;
        };
        let o = origin(url);
        let trusted = o.as_deref() == Some(issuer_origin.as_str())
            || o.as_ref().is_some_and(|o| {
                profile
                    .http
                    .trusted_origins
                    .iter()
                    .any(|t| t.trim_end_matches('/') == o)
            });
        if !trusted {
            return Err(TargetError::ForeignEndpoint {
                name,
                url: url.clone(),
                issuer_origin,
            });
        }
    }
    Ok(())
}

impl Target {
    /// Fetches discovery (when the profile asks for it) and resolves endpoints
    /// and capabilities. The profile's explicit endpoints win over discovery.
    pub async fn resolve(
        profile: Profile,
        http: Http,
        reference: bool,
        faults: Vec<String>,
    ) -> Result<Self, TargetError> {
        let (metadata, metadata_sources) = match profile.discovery {
            true => discover(&profile.issuer, &http).await?,
            false => (None, Vec::new()),
        };
        let pick = |explicit: &Option<String>, discovered: Option<&Option<String>>| {
            explicit
                .as_deref()
                .map(|e| profile.endpoint_url(e))
                .or_else(|| discovered.cloned().flatten())
        };
        let m = metadata.as_ref();
        let endpoints = Endpoints {
            authorization: pick(
                &profile.endpoints.authorization,
                m.map(|m| &m.authorization_endpoint),
            ),
            token: pick(&profile.endpoints.token, m.map(|m| &m.token_endpoint)),
            userinfo: pick(&profile.endpoints.userinfo, m.map(|m| &m.userinfo_endpoint)),
            introspection: pick(
                &profile.endpoints.introspection,
                m.map(|m| &m.introspection_endpoint),
            ),
            revocation: pick(
                &profile.endpoints.revocation,
                m.map(|m| &m.revocation_endpoint),
            ),
            jwks: pick(&profile.endpoints.jwks, m.map(|m| &m.jwks_uri)),
            api: profile
                .endpoints
                .api
                .as_deref()
                .map(|e| profile.endpoint_url(e)),
        };
        let Some(token) = &endpoints.token else {
            return Err(TargetError::NoEndpoint("token"));
        };
        foreign_endpoints(&profile, &endpoints)?;
        if !profile.discovery {
            reachable(&http, token).await?;
        }
        let capabilities = capabilities(&profile, metadata.as_ref(), &endpoints);
        let policy_tags = profile.policy_tags();
        let sessions = crate::agent::session::Sessions::default();
        if !profile.login.reuse_sessions {
            sessions.disable();
        }
        Ok(Self {
            profile,
            metadata,
            endpoints,
            http,
            capabilities,
            policy_tags,
            reference,
            faults,
            dialect: None,
            metadata_sources,
            controls: Default::default(),
            sessions,
            browser: Default::default(),
            clock: None,
            slow: Default::default(),
            clock_lock: Default::default(),
        })
    }

    /// The target as reports name it.
    pub fn described(&self) -> crate::report::model::Target {
        crate::report::model::Target {
            profile: self.profile.name.clone(),
            issuer: self.issuer_id(),
            reference: self.reference,
            faults: self.faults.clone(),
            dialect: self.dialect.clone(),
        }
    }

    /// Whether `cap` (as a scenario writes it in `requires`) is offered, and why not.
    fn client(&self, role: &str) -> Result<&crate::profile::Client, String> {
        self.profile
            .clients
            .get(role)
            .ok_or_else(|| format!("the profile has no client `{role}`"))
    }

    pub fn offers(&self, cap: &str) -> Result<(), String> {
        let (kind, arg) = cap.split_once(':').unwrap_or((cap, ""));
        match kind {
            "client" | "user" | "scope" | "policy" => self.declared(kind, arg),
            "grant" | "uris" | "redirect" | "auth" | "lacks_scope" | "widens" | "distinct" => {
                let (role, what) = arg.split_once(':').unwrap_or((arg, ""));
                self.client_shape(kind, role, what)
            }
            _ => self.run_capability(cap),
        }
    }

    /// `client:`, `user:`, `scope:` and `policy:`: a name the profile declares.
    fn declared(&self, kind: &str, name: &str) -> Result<(), String> {
        let (has, why) = match kind {
            "client" => (
                self.profile.clients.contains_key(name),
                format!("the profile has no client `{name}`"),
            ),
            "user" => (
                self.profile.users.contains_key(name),
                format!("the profile has no user `{name}`"),
            ),
            "scope" => (
                self.profile.scopes.contains_key(name),
                format!("the profile's [scopes] has no `{name}`"),
            ),
            _ => (
                self.policy_tags.contains(name),
                format!("the profile's policy does not select `{name}`"),
            ),
        };
        has.then_some(()).ok_or(why)
    }

    /// `grant:`, `uris:`, `redirect:`, `auth:`, `lacks_scope:` and
    /// `distinct:`: the shape of the client `role` (`what` is the rest).
    fn client_shape(&self, kind: &str, role: &str, what: &str) -> Result<(), String> {
        let c = self.client(role)?;
        let (ok, why) = match kind {
            "grant" => {
                let lists = |g: &str| c.grants.iter().any(|x| x == g);
                match what.strip_prefix('!') {
                    None => (
                        lists(what),
                        format!("the profile's client `{role}` does not list the {what} grant"),
                    ),
                    Some(not) => (
                        !lists(not),
                        format!("the profile's client `{role}` lists the {not} grant"),
                    ),
                }
            }
            "uris" => {
                let (have, want) = (c.redirect_uris.len(), what.parse().unwrap_or(usize::MAX));
                (
                    have >= want,
                    format!(
                        "the profile's client `{role}` has {have} redirect_uris, this needs {want}"
                    ),
                )
            }
            "redirect" => {
                return redirect_shape(role, c.redirect_uris.first().map(String::as_str), what)
            }
            "auth" => {
                let have = c.auth_method.as_str();
                match what.strip_prefix('!') {
                    None => (
                        have == what,
                        format!(
                            "the profile's client `{role}` authenticates with {have}, not {what}"
                        ),
                    ),
                    Some(not) => (
                        have != not,
                        format!("the profile's client `{role}` authenticates with {not}"),
                    ),
                }
            }
            "lacks_scope" => {
                let scope = self
                    .profile
                    .scopes
                    .get(what)
                    .ok_or_else(|| format!("the profile's [scopes] has no `{what}`"))?;
                let holds = c.scope.split(' ').any(|s| scope.split(' ').any(|x| x == s));
                (!holds, format!("the profile's client `{role}` holds the `{what}` scope ({scope}): nothing beyond its own scope to ask for"))
            }
            "widens" => return self.widens(role, &c.scope, what),
            _ => {
                let other = self.client(what)?;
                (c.id != other.id, format!("the profile's clients `{role}` and `{what}` are one client ({}): a cross-client probe would probe nothing", c.id))
            }
        };
        ok.then_some(()).ok_or(why)
    }

    /// `widens:<role>:<scope>`: the profile's `base` scope is not empty, the
    /// client holds every value of the profile's scope `what`, and none of
    /// them is in `base`, so asking for it after a base consent asks for
    /// more than the user granted, and any of it granted shows.
    fn widens(&self, role: &str, held: &str, what: &str) -> Result<(), String> {
        let scopes = &self.profile.scopes;
        let wider = scopes
            .get(what)
            .ok_or_else(|| format!("the profile's [scopes] has no `{what}`"))?;
        let base = scopes.get("base").map(String::as_str).unwrap_or("");
        let holds = wider.split(' ').all(|w| held.split(' ').any(|h| h == w));
        let beyond = wider.split(' ').all(|w| !base.split(' ').any(|b| b == w));
        if base.trim().is_empty() {
            return Err(
                "the profile's `base` scope is empty: there is no narrower consent to widen".into(),
            );
        }
        match (holds, beyond) {
            (false, _) => Err(format!("the profile's client `{role}` does not hold the `{what}` scope ({wider})")),
            (_, false) => Err(format!("the `{what}` scope ({wider}) shares a value with the `base` scope ({base}): a widening probe could not be told from the consent")),
            _ => Ok(()),
        }
    }

    /// What the run itself offers (`slow`, `authorize_post`), and the
    /// capabilities decided from metadata and profile, `!` negating one.
    fn run_capability(&self, cap: &str) -> Result<(), String> {
        if cap == "slow" {
            let slow = self.slow.load(std::sync::atomic::Ordering::Relaxed);
            return (self.clock.is_some() || slow).then_some(()).ok_or_else(|| {
                "it waits for a lifetime to pass; `run --slow` includes it (the embedded reference's clock is advanced instead)".to_string()
            });
        }
        if cap == "https" {
            let https = self.profile.issuer.starts_with("https://");
            return https.then_some(()).ok_or_else(|| {
                format!("the issuer is served over plain http ({}): the transport rows need https (`grantcheck run --tls` serves the reference over TLS)", self.profile.issuer)
            });
        }
        if cap == "authorize_post" {
            // Read from the profile as it is now (a test may switch agents
            // after the target is built). The browser and a person navigate
            // to the authorization URL: a GET.
            let form = self.profile.login.agent == crate::profile::AgentKind::Form;
            return form.then_some(()).ok_or_else(|| {
                "only the form user agent sends an authorization request as a POST (the browser and manual agents navigate)".to_string()
            });
        }
        if let Some(not) = cap.strip_prefix('!') {
            return match self.capabilities.get(not) {
                Some((true, why)) => Err(format!("{not} is offered ({why}); this needs it absent")),
                Some((false, _)) => Ok(()),
                None => Err(format!("unknown capability `{not}`")),
            };
        }
        match self.capabilities.get(cap) {
            Some((true, _)) => Ok(()),
            Some((false, why)) => Err(why.clone()),
            None => Err(format!("unknown capability `{cap}`")),
        }
    }

    /// `{{ issuer.<field> }}`: the issuer identifier, a resolved endpoint, or
    /// any string member of the metadata.
    pub fn issuer_value(&self, field: &str) -> Option<String> {
        match field {
            "issuer" => Some(self.issuer_id()),
            "authorization_endpoint" => self.endpoints.authorization.clone(),
            "token_endpoint" => self.endpoints.token.clone(),
            "userinfo_endpoint" => self.endpoints.userinfo.clone(),
            "introspection_endpoint" => self.endpoints.introspection.clone(),
            "revocation_endpoint" => self.endpoints.revocation.clone(),
            "jwks_uri" => self.endpoints.jwks.clone(),
            "api_endpoint" => self.endpoints.api.clone(),
            "discovery_url" => Some(openid_configuration_url(&self.profile.issuer)),
            other => self
                .metadata
                .as_ref()
                .and_then(|m| m.raw.get(other))
                .and_then(|v| v.as_str())
                .map(str::to_string),
        }
    }

    /// The issuer identifier: the profile's, which every metadata document
    /// was checked to repeat exactly (`iss` checks compare with what the
    /// user configured, never with what the issuer claims).
    pub fn issuer_id(&self) -> String {
        self.profile.issuer.clone()
    }
}

/// `redirect:<role>:[!]loopback`: whether the client's first registered URI
/// is an http loopback IP one (RFC 8252 §7.3 leaves its port free).
fn redirect_shape(role: &str, first: Option<&str>, shape: &str) -> Result<(), String> {
    let loopback = first.is_some_and(is_loopback_ip_uri);
    let uri = first.unwrap_or("none");
    match (shape, loopback) {
        ("loopback", true) | ("!loopback", false) => Ok(()),
        ("loopback", false) => Err(format!(
            "the profile's client `{role}` redirects to {uri}, not to an http loopback IP"
        )),
        _ => Err(format!(
            "the profile's client `{role}` redirects to the loopback {uri}, whose port RFC 8252 §7.3 leaves free"
        )),
    }
}

/// Every capability the target has or lacks, each with the reason: from the
/// metadata and the profile, the profile's `[capabilities]` overriding last.
fn capabilities(
    p: &Profile,
    m: Option<&Metadata>,
    e: &Endpoints,
) -> BTreeMap<String, (bool, String)> {
    let mut c = BTreeMap::new();
    grant_capabilities(&mut c, p, m);
    endpoint_capabilities(&mut c, m, e);
    declared_capabilities(&mut c, p, m, e);
    auth_method_capabilities(&mut c, p, m);
    let login = !p.users.is_empty() && e.authorization.is_some();
    c.insert(
        "login".into(),
        flag(
            login,
            "the profile has users and an authorization endpoint",
            "the profile has no users or no authorization endpoint",
        ),
    );
    c.insert(
        "deny".into(),
        (login, "consent refusal needs the form user agent".into()),
    );

    for (k, v) in &p.capabilities {
        c.insert(
            k.clone(),
            (*v, format!("the profile sets capabilities.{k} = {v}")),
        );
    }
    c
}

/// `(on, reason)` with the reason that matches `on`.
fn flag(on: bool, yes: &str, no: &str) -> (bool, String) {
    (on, if on { yes } else { no }.to_string())
}

/// The grants: listed by `grant_types_supported`, else held by a profile client.
fn grant_capabilities(c: &mut BTreeMap<String, (bool, String)>, p: &Profile, m: Option<&Metadata>) {
    let grants = m.map(|m| m.grant_types());
    for g in ["authorization_code", "refresh_token", "client_credentials"] {
        let by_client = p.clients.values().any(|c| c.grants.iter().any(|x| x == g));
        let v = match &grants {
            Some(gs) if gs.iter().any(|x| x == g) => {
                (true, format!("grant_types_supported lists {g}"))
            }
            Some(_) if by_client => (true, format!("a profile client has the {g} grant")),
            Some(_) => (
                false,
                format!("grant_types_supported does not list {g} and no profile client has it"),
            ),
            None => (
                by_client,
                format!(
                    "no discovery; profile clients {} the {g} grant",
                    if by_client { "have" } else { "lack" }
                ),
            ),
        };
        c.insert(g.to_string(), v);
    }
}

/// The optional endpoints (known from discovery or the profile) and discovery itself.
fn endpoint_capabilities(
    c: &mut BTreeMap<String, (bool, String)>,
    m: Option<&Metadata>,
    e: &Endpoints,
) {
    for (cap, ep, member) in [
        ("introspection", &e.introspection, "introspection_endpoint"),
        ("revocation", &e.revocation, "revocation_endpoint"),
        ("userinfo", &e.userinfo, "userinfo_endpoint"),
        ("jwks", &e.jwks, "jwks_uri"),
    ] {
        let v = match ep {
            Some(_) => (true, format!("{member} is known")),
            None => (
                false,
                format!("discovery has no {member} and the profile sets none"),
            ),
        };
        c.insert(cap.to_string(), v);
    }
    c.insert(
        "discovery".into(),
        match m {
            Some(_) => (true, "the issuer serves discovery metadata".into()),
            None => (false, "the profile turns discovery off".into()),
        },
    );
}

/// What the profile declares (JWT access tokens, a resource API) and what
/// the metadata declares (OpenID Provider, RFC 9207 `iss`).
fn declared_capabilities(
    c: &mut BTreeMap<String, (bool, String)>,
    p: &Profile,
    m: Option<&Metadata>,
    e: &Endpoints,
) {
    c.insert(
        "jwt_access_tokens".into(),
        flag(
            p.dialect.access_token_audience.is_some(),
            "the profile's [dialect] access_token_audience declares JWT access tokens",
            "the profile declares no JWT access tokens ([dialect] access_token_audience)",
        ),
    );
    c.insert(
        "api".into(),
        flag(
            e.api.is_some(),
            "the profile names a resource API endpoint ([endpoints] api)",
            "the profile names no resource API endpoint ([endpoints] api)",
        ),
    );
    c.insert(
        "oidc".into(),
        flag(
            m.is_some_and(Metadata::is_oidc),
            "the metadata is OpenID Provider metadata",
            "the metadata has neither id_token_signing_alg_values_supported nor openid in scopes_supported",
        ),
    );
    c.insert(
        "iss".into(),
        flag(
            m.and_then(|m| m.authorization_response_iss_parameter_supported) == Some(true),
            "authorization_response_iss_parameter_supported is true",
            "authorization_response_iss_parameter_supported is not true (RFC 9207 not offered)",
        ),
    );
    request_object_capabilities(c, m);
}

/// Request objects the metadata says are not supported (OIDC Discovery §3
/// defaults: `request` false, `request_uri` true). Only an explicit or
/// default "unsupported" is a capability to probe: a supported
/// `request_uri` would need a listener of ours the issuer could fetch.
fn request_object_capabilities(c: &mut BTreeMap<String, (bool, String)>, m: Option<&Metadata>) {
    let member = |k: &str| m.and_then(|m| m.raw.get(k)).and_then(|v| v.as_bool());
    let oidc = m.is_some_and(Metadata::is_oidc);
    c.insert(
        "request_unsupported".into(),
        flag(
            oidc && member("request_parameter_supported") != Some(true),
            "the metadata does not offer request objects (request_parameter_supported is false or absent)",
            "request objects are offered, or the issuer is not an OpenID Provider",
        ),
    );
    c.insert(
        "request_uri_unsupported".into(),
        flag(
            oidc && member("request_uri_parameter_supported") == Some(false),
            "request_uri_parameter_supported is false",
            "request_uri is offered (request_uri_parameter_supported defaults to true)",
        ),
    );
}

/// The client authentication methods: advertised by the metadata, else those
/// of the profile's clients.
fn auth_method_capabilities(
    c: &mut BTreeMap<String, (bool, String)>,
    p: &Profile,
    m: Option<&Metadata>,
) {
    let methods = m.map(|m| m.token_auth_methods()).unwrap_or_else(|| {
        let mut v: Vec<String> = p
            .clients
            .values()
            .map(|c| c.auth_method.as_str().to_string())
            .collect();
        v.dedup();
        v
    });
    for meth in ["client_secret_basic", "client_secret_post"] {
        let on = methods.iter().any(|x| x == meth);
        c.insert(
            meth.to_string(),
            (
                on,
                if on {
                    format!("{meth} is advertised")
                } else {
                    format!("token_endpoint_auth_methods_supported does not list {meth}")
                },
            ),
        );
    }
}

/// An `http` URI whose host is a loopback IP literal (RFC 8252 §7.3: the
/// issuer must accept any port there, so a port change is no probe).
pub fn is_loopback_ip_uri(uri: &str) -> bool {
    let Ok(u) = url::Url::parse(uri) else {
        return false;
    };
    u.scheme() == "http"
        && match u.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        }
}
