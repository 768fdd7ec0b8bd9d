//! The embedded reference issuer as a run target: start it on an ephemeral
//! loopback port with fresh secrets (and any faults), and resolve it with the
//! built-in reference profile. Used by `grantcheck run` without --profile,
//! by the tests and by the self-test.

use std::collections::BTreeSet;
use std::path::Path;

use super::target::{Target, TargetError};
use crate::http::Http;
use crate::issuer::{self, Dialect, Fault, IssuerConfig, ReferenceSecrets, RunningIssuer};
use crate::profile::{self, Env, ProfileError};

/// The reference profile, built in so that `grantcheck run` works from anywhere.
pub const PROFILE: &str = include_str!("../../issuers/reference.toml");

#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("cannot start the reference issuer: {0}")]
    Start(std::io::Error),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The profile cannot be emulated as written.
    #[error("cannot emulate {path}: {message}")]
    Emulation { path: String, message: String },
}

/// A started reference issuer and the target that points at it. The issuer
/// stops when this is dropped.
pub struct Reference {
    pub target: Target,
    pub issuer: RunningIssuer,
    pub secrets: ReferenceSecrets,
}

/// The environment variables `issuers/reference.toml` reads, for these secrets.
pub fn env_vars(s: &ReferenceSecrets) -> Vec<(&'static str, String)> {
    vec![
        ("GRANTCHECK_REF_C1_SECRET", s.c1.clone()),
        ("GRANTCHECK_REF_C2_SECRET", s.c2.clone()),
        ("GRANTCHECK_REF_S1_SECRET", s.s1.clone()),
        ("GRANTCHECK_REF_X1_SECRET", s.x1.clone()),
        ("GRANTCHECK_REF_D1_SECRET", s.d1.clone()),
        ("GRANTCHECK_REF_U1_PASSWORD", s.alice_password.clone()),
        ("GRANTCHECK_REF_U2_PASSWORD", s.bob_password.clone()),
        ("GRANTCHECK_REF_U1_TOTP", s.alice_totp.clone()),
        ("GRANTCHECK_REF_U2_TOTP", s.bob_totp.clone()),
    ]
}

pub async fn start(faults: &BTreeSet<Fault>) -> Result<Reference, ReferenceError> {
    start_with(faults, ReferenceSecrets::random()).await
}

/// Like [`start`], with the secrets given (tests use known ones to prove
/// they never reach a report).
pub async fn start_with(
    faults: &BTreeSet<Fault>,
    secrets: ReferenceSecrets,
) -> Result<Reference, ReferenceError> {
    start_shaped(faults, secrets, &Shape::default()).await
}

/// A registration shape of the reference fixtures: other redirect URIs for
/// some roles, some roles left out of the profile. The issuer and the
/// profile get the same URIs, as a user's profile mirrors its issuer; the
/// metamorphic self-test runs the suite under many such shapes.
#[derive(Clone, Debug, Default)]
pub struct Shape {
    /// Redirect URIs by profile role (`c1`, `p1`, `n1`...).
    pub redirect_uris: std::collections::BTreeMap<String, Vec<String>>,
    /// Roles the profile does not have (the issuer still registers them).
    pub without: BTreeSet<String>,
    /// The profile's `[http] rate_limit`, when set (requests per second).
    pub rate_limit: Option<f64>,
    /// Confidential roles that authenticate with client_secret_post
    /// instead of their fixture's method (issuer and profile alike).
    pub post_auth: BTreeSet<String>,
    /// `[scopes]` purposes the profile does not give (`offline`, `extra`).
    pub without_scopes: BTreeSet<String>,
    /// Time the issuer spends on purpose: a slow issuer for benchmarks.
    pub costs: issuer::Costs,
    /// The MFA step after the password (a one-time code).
    pub mfa: bool,
    /// Pages whose forms a script draws (no `<form>` in the HTML served).
    pub scripted_pages: bool,
    /// An issuer without RFC 9207 `iss` (not advertised, not sent).
    pub no_iss: bool,
    /// Served over TLS (`https://localhost:PORT`, a test CA the profile
    /// trusts), so that the transport rows run.
    pub tls: bool,
}

/// The embedded reference's clock endpoint (`wait` steps advance it).
fn clock_url(base: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), issuer::CLOCK_PATH)
}

/// The issuer's registration of the client a profile role names.
fn registration<'a>(config: &'a mut IssuerConfig, role: &str) -> Option<&'a mut issuer::ClientReg> {
    let id = config.role(role)?.to_string();
    config.clients.iter_mut().find(|c| c.id == id)
}

/// Like [`start_with`], with the fixtures in `shape`.
pub async fn start_shaped(
    faults: &BTreeSet<Fault>,
    secrets: ReferenceSecrets,
    shape: &Shape,
) -> Result<Reference, ReferenceError> {
    let mut config = IssuerConfig::reference(&secrets);
    config.faults = faults.clone();
    config.costs = shape.costs;
    config.mfa = shape.mfa;
    config.scripted_pages = shape.scripted_pages;
    config.iss_parameter = !shape.no_iss;
    for (role, uris) in &shape.redirect_uris {
        if let Some(c) = registration(&mut config, role) {
            c.redirect_uris = uris.clone();
        }
    }
    for role in &shape.post_auth {
        if let Some(c) = registration(&mut config, role) {
            c.auth_method = issuer::AuthMethod::ClientSecretPost;
        }
    }
    let bind = ([127, 0, 0, 1], 0).into();
    let running = match shape.tls {
        true => issuer::start_tls(config, bind).await,
        false => issuer::start(config, bind).await,
    }
    .map_err(ReferenceError::Start)?;
    let env = Env::isolated(
        env_vars(&secrets)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    );
    let mut p = profile::load_str(Path::new("issuers/reference.toml"), PROFILE, &env)?;
    p.issuer = running.base_url.clone();
    p.http.ca_pem = running.ca_pem.clone();
    for (role, uris) in &shape.redirect_uris {
        if let Some(c) = p.clients.get_mut(role) {
            c.redirect_uris = uris.clone();
        }
    }
    p.clients.retain(|role, _| !shape.without.contains(role));
    for role in &shape.post_auth {
        if let Some(c) = p.clients.get_mut(role) {
            c.auth_method = profile::AuthMethod::ClientSecretPost;
        }
    }
    p.scopes
        .retain(|purpose, _| !shape.without_scopes.contains(purpose));
    if let Some(r) = shape.rate_limit {
        p.http.rate_limit = r;
    }
    p.users.retain(|role, _| !shape.without.contains(role));
    let http = Http::new_loopback(&p.http)
        .map_err(|e| ReferenceError::Http(e.to_string()))?
        .with_guard(p.guard.clone());
    let names = faults.iter().map(|f| f.name().to_string()).collect();
    let mut target = Target::resolve(p, http, true, names).await?;
    target.clock = Some(clock_url(&running.base_url));
    Ok(Reference {
        target,
        issuer: running,
        secrets,
    })
}

/// Starts the reference issuer speaking `dialect` (or the profile's
/// `emulation`) and resolves the profile at `path` against it, as
/// `grantcheck run --profile P --emulate` does.
///
/// The profile is used as written except for what points at the real
/// issuer: the issuer becomes the local one, every `[endpoints]` URL keeps
/// its path but moves onto the local origin (so nothing is ever sent to the
/// real hosts), and every variable the profile names (client ids, secrets,
/// logins, `issuer_env`) is supplied from the emulation's fresh
/// registrations instead of the environment. The redirect URIs registered
/// for each client are the profile's own.
pub async fn start_emulated(
    path: &Path,
    src: &str,
    dialect: Option<Dialect>,
    faults: &BTreeSet<Fault>,
    secrets: ReferenceSecrets,
) -> Result<Reference, ReferenceError> {
    let fail = |message: String| ReferenceError::Emulation {
        path: path.display().to_string(),
        message,
    };
    let def = profile::parse(path, src)?;
    let dialect = match (dialect, &def.emulation) {
        (Some(d), _) => d,
        (None, Some(name)) => Dialect::from_name(name).ok_or_else(|| {
            fail(format!(
                "`emulation = \"{name}\"` names no dialect (one of: {})",
                dialect_names()
            ))
        })?,
        (None, None) => {
            return Err(fail(format!(
            "the profile has no `emulation` key; add one, or pass --emulate=DIALECT (one of: {})",
            dialect_names()
        )))
        }
    };
    let mut config = emulation_config(&def, dialect, &secrets).map_err(fail)?;
    config.faults = faults.clone();
    let running = issuer::start(config.clone(), ([127, 0, 0, 1], 0).into())
        .await
        .map_err(ReferenceError::Start)?;
    let env = Env::isolated(emulated_vars(&def, &config, &running.base_url));
    let mut p = profile::load_str(path, src, &env)?;
    p.issuer = running.base_url.clone();
    rebase_endpoints(&mut p.endpoints, &running.base_url);
    // A profile's rate limit protects a shared sandbox; the emulation is
    // this process's own loopback server.
    p.http.rate_limit = 0.0;
    let http = Http::new_loopback(&p.http)
        .map_err(|e| ReferenceError::Http(e.to_string()))?
        .with_guard(p.guard.clone());
    let names = faults.iter().map(|f| f.name().to_string()).collect();
    let mut target = Target::resolve(p, http, true, names).await?;
    target.dialect = Some(dialect.name().to_string());
    target.clock = Some(clock_url(&running.base_url));
    Ok(Reference {
        target,
        issuer: running,
        secrets,
    })
}

/// The reference issuer's configuration for emulating the issuer `def`
/// describes: `dialect`'s registrations, with the profile's redirect URIs
/// (what the user registered) and, for Busha production, `-live` ids
/// (seed 002). Every client and user role of the profile must exist in it.
pub fn emulation_config(
    def: &profile::ProfileFile,
    dialect: Dialect,
    secrets: &ReferenceSecrets,
) -> Result<IssuerConfig, String> {
    let mut config = IssuerConfig::emulating(dialect, secrets);
    if dialect == Dialect::Busha && def.environment == profile::Environment::Production {
        let live = |id: &str| id.strip_suffix("-test").map(|s| format!("{s}-live"));
        for c in &mut config.clients {
            if let Some(l) = live(&c.id) {
                c.id = l;
            }
        }
        for (_, v) in &mut config.roles {
            if let Some(l) = live(v) {
                *v = l;
            }
        }
    }
    let missing = |kind: &str, role: &str, config: &IssuerConfig| {
        format!(
            "{kind} `{role}` has no counterpart in the {dialect} emulation (it registers {})",
            roles_of(config)
        )
    };
    for (role, c) in &def.clients {
        let id = config
            .role(role)
            .map(str::to_string)
            .ok_or_else(|| missing("client", role, &config))?;
        if let Some(reg) = config.clients.iter_mut().find(|r| r.id == id) {
            if !c.redirect_uris.is_empty() {
                reg.redirect_uris = c.redirect_uris.clone();
            }
        }
    }
    if let Some(role) = def.users.keys().find(|r| config.role(r).is_none()) {
        return Err(missing("user", role, &config));
    }
    Ok(config)
}

/// The values of every variable the profile names, from the emulation's
/// registrations: what a user would export for the real issuer.
pub fn emulated_vars(
    def: &profile::ProfileFile,
    config: &IssuerConfig,
    base_url: &str,
) -> std::collections::BTreeMap<String, String> {
    let mut vars = std::collections::BTreeMap::new();
    if let Some(v) = &def.issuer_env {
        vars.insert(v.clone(), base_url.to_string());
    }
    for (role, c) in &def.clients {
        let Some(reg) = config.role(role).and_then(|id| config.client(id)) else {
            continue;
        };
        if let Some(v) = &c.client_id_env {
            vars.insert(v.clone(), reg.id.clone());
        }
        if let (Some(v), Some(secret)) = (&c.secret_env, &reg.secret) {
            vars.insert(v.clone(), secret.clone());
        }
    }
    for (role, u) in &def.users {
        let Some(user) = config
            .role(role)
            .and_then(|name| config.users.iter().find(|u| u.username == name))
        else {
            continue;
        };
        if let Some(v) = &u.username_env {
            vars.insert(v.clone(), user.username.clone());
        }
        vars.insert(u.password_env.clone(), user.password.clone());
        if let (Some(v), Some(secret)) = (&u.totp_secret_env, &user.totp) {
            vars.insert(v.clone(), secret.clone());
        }
    }
    vars
}

/// Moves every absolute endpoint onto `base` (same path and query); paths
/// are joined to the issuer later anyway.
fn rebase_endpoints(e: &mut profile::Endpoints, base: &str) {
    for url in e.all_mut() {
        if let Ok(u) = url::Url::parse(url) {
            let rest = &u[url::Position::BeforePath..];
            *url = format!("{}{rest}", base.trim_end_matches('/'));
        }
    }
}

fn dialect_names() -> String {
    Dialect::ALL
        .iter()
        .map(|d| d.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn roles_of(config: &IssuerConfig) -> String {
    config
        .roles
        .iter()
        .map(|(r, _)| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
