//! Reading a profile: TOML into the file model, then every check serde cannot
//! do, and secrets resolved through [`Env`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::scenario::diag::{self, Diagnostic};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read profile {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a valid profile (TOML, types, unknown keys): the
    /// first problem, and those of the other client and user tables.
    #[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n\n"))]
    Invalid(Vec<Diagnostic>),
    /// Variables the profile names that hold no usable value, all of them.
    #[error("profile {path}: {}", list(missing.iter().map(Missing::to_string)))]
    MissingSecrets {
        path: PathBuf,
        missing: Vec<Missing>,
    },
    /// Everything else wrong in the profile, every problem at once (and the
    /// unusable variables among them).
    #[error("profile {path}: {}", list(problems.iter().cloned()))]
    Semantic {
        path: PathBuf,
        problems: Vec<String>,
    },
}

/// A variable the profile names for a secret (or a client id, a username)
/// that is not set, or set to the empty string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What it was for: `secret of client c1`.
    pub what: String,
    pub var: String,
    /// Set, but to the empty string.
    pub empty: bool,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.empty {
            "is set but empty"
        } else {
            "is not set"
        };
        write!(
            f,
            "{}: environment variable {} {state}",
            self.what, self.var
        )
    }
}

/// One problem inline, several as an indented list.
fn list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.as_slice() {
        [one] => one.clone(),
        many => format!("{} problems:\n  - {}", many.len(), many.join("\n  - ")),
    }
}

impl ProfileError {
    pub fn hint(&self) -> Option<String> {
        let missing = match self {
            ProfileError::MissingSecrets { missing, .. } => missing,
            _ => return None,
        };
        let vars: Vec<String> = missing.iter().map(|m| format!("{}=...", m.var)).collect();
        Some(format!(
            "export {} (secrets are never read from files; an empty secret is refused too)",
            vars.join(" ")
        ))
    }
}

/// Larger than any profile; a profile path that is a device or a FIFO
/// must not hang or exhaust the loader.
pub const MAX_PROFILE_BYTES: u64 = 1 << 20;

pub fn load(path: &Path, env: &Env) -> Result<Profile, ProfileError> {
    let io = |source| ProfileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let src = crate::files::read_bounded(path, MAX_PROFILE_BYTES).map_err(io)?;
    load_str(path, &src, env)
}

/// The profile file as written, before any variable is read.
pub fn parse(path: &Path, src: &str) -> Result<ProfileFile, ProfileError> {
    toml::from_str(src).map_err(|e| {
        use serde::Deserialize;
        ProfileError::Invalid(diag::every_type_error(path, src, &e, |t| {
            let mut more = Vec::new();
            for c in diag::table_items(t, "clients") {
                more.extend(ClientDef::deserialize(toml::de::ValueDeserializer::from(c)).err());
            }
            for u in diag::table_items(t, "users") {
                more.extend(UserDef::deserialize(toml::de::ValueDeserializer::from(u)).err());
            }
            more
        }))
    })
}

/// What the loader found wrong, collected so that every problem is told at once.
struct Problems<'a> {
    env: &'a Env,
    problems: Vec<String>,
    missing: Vec<Missing>,
}

impl Problems<'_> {
    fn add(&mut self, message: String) {
        self.problems.push(message);
    }

    /// The value of a variable, or "" with the reason recorded.
    fn secret(&mut self, var: &str, what: String) -> String {
        match self.env.get(var) {
            Some(v) if !v.is_empty() => v,
            got => {
                self.missing.push(Missing {
                    what,
                    var: var.to_string(),
                    empty: got.is_some(),
                });
                String::new()
            }
        }
    }

    fn into_result<T>(self, path: &Path, value: T) -> Result<T, ProfileError> {
        let path = path.to_path_buf();
        if !self.problems.is_empty() {
            let mut problems = self.problems;
            problems.extend(self.missing.iter().map(Missing::to_string));
            Err(ProfileError::Semantic { path, problems })
        } else if !self.missing.is_empty() {
            Err(ProfileError::MissingSecrets {
                path,
                missing: self.missing,
            })
        } else {
            Ok(value)
        }
    }
}

pub fn load_str(path: &Path, src: &str, env: &Env) -> Result<Profile, ProfileError> {
    let def = parse(path, src)?;
    let mut p = Problems {
        env,
        problems: Vec::new(),
        missing: Vec::new(),
    };
    // An invalid pattern must not silently disable the money guard.
    for pat in &def.guard.money_scopes {
        if let Err(e) = globset::Glob::new(pat) {
            p.add(format!(
                "[guard] money_scopes: `{pat}` is not a valid pattern: {e}"
            ));
        }
    }
    http_limits(&def.http, &mut p);
    let ca_pem = def
        .http
        .ca_file
        .as_deref()
        .and_then(|f| ca_file(path, f, &mut p));
    if !(1..=100).contains(&def.login.max_pages) {
        p.add(format!(
            "[login] max_pages = {} is out of range: use 1 to 100 pages",
            def.login.max_pages
        ));
    }
    // A misspelt capability would be forced on or off without a word.
    for k in def.capabilities.keys() {
        if !crate::scenario::CAPABILITIES.contains(&k.as_str()) {
            let known = crate::scenario::CAPABILITIES.join(", ");
            p.add(format!(
                "[capabilities] `{k}` is not a capability (known: {known})"
            ));
        }
    }
    let issuer = def
        .issuer_env
        .as_deref()
        .and_then(|v| env.get(v))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| def.issuer.clone());
    issuer_url(&issuer, &mut p);
    let mut clients = BTreeMap::new();
    for (role, c) in def.clients {
        if let Some(client) = client(role.clone(), c, &mut p) {
            clients.insert(role, client);
        }
    }
    let mut users = BTreeMap::new();
    for (role, u) in def.users {
        let username = match (&u.username, &u.username_env) {
            (Some(n), None) => n.clone(),
            (None, Some(var)) => p.secret(var, format!("username of user {role}")),
            _ => {
                p.add(format!(
                    "user {role}: set exactly one of username, username_env"
                ));
                continue;
            }
        };
        let password = p.secret(&u.password_env, format!("password of user {role}"));
        let totp = u.totp_secret_env.as_ref().map(|var| {
            let value = p.secret(var, format!("TOTP secret of user {role}"));
            if !value.is_empty() {
                if let Err(e) = crate::protocol::totp::decode_secret(&value) {
                    p.add(format!("user {role}: {var}: {e}"));
                }
            }
            (var.clone(), value)
        });
        users.insert(
            role.clone(),
            User {
                role,
                username,
                password,
                password_env: u.password_env.clone(),
                totp,
            },
        );
    }
    let profile = Profile {
        path: path.to_path_buf(),
        name: def.name,
        issuer,
        discovery: def.discovery,
        environment: def.environment,
        endpoints: def.endpoints,
        clients,
        users,
        login: def.login,
        guard: def.guard,
        dialect: def.dialect,
        policy: def.policy,
        http: HttpDef { ca_pem, ..def.http },
        capabilities: def.capabilities,
        scopes: def.scopes,
    };
    p.into_result(path, profile)
}

/// The issuer must be an absolute http(s) URL: everything else is derived from it.
fn issuer_url(issuer: &str, p: &mut Problems<'_>) {
    match url::Url::parse(issuer) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => {}
        Ok(u) => p.add(format!(
            "issuer `{issuer}` must be an http or https URL with a host, not `{}:`",
            u.scheme()
        )),
        Err(e) => p.add(format!("issuer `{issuer}` is not a URL: {e}")),
    }
}

/// The certificates of `[http] ca_file` (relative to the profile's
/// directory), or a problem: a file that cannot be read or holds no PEM
/// certificate would otherwise surface as a handshake failure much later.
fn ca_file(profile: &Path, file: &str, p: &mut Problems<'_>) -> Option<String> {
    let full = profile.parent().unwrap_or(Path::new(".")).join(file);
    match std::fs::read_to_string(&full) {
        Ok(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => Some(pem),
        Ok(_) => {
            p.add(format!(
                "[http] ca_file `{}` holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)",
                full.display()
            ));
            None
        }
        Err(e) => {
            p.add(format!(
                "[http] ca_file `{}` cannot be read: {e}",
                full.display()
            ));
            None
        }
    }
}

/// Each `[http]` setting within a range that makes sense: a zero timeout,
/// a NaN rate or a billion concurrent cases are mistakes, not settings.
fn http_limits(h: &HttpDef, p: &mut Problems<'_>) {
    let ranges: [(&str, u64, u64, u64); 5] = [
        ("connect_timeout_ms", h.connect_timeout_ms, 1, 300_000),
        ("timeout_ms", h.timeout_ms, 1, 600_000),
        ("max_body_bytes", h.max_body_bytes as u64, 1024, 64 << 20),
        ("max_redirects", h.max_redirects as u64, 0, 50),
        ("concurrency", h.concurrency as u64, 1, 256),
    ];
    for (key, value, low, high) in ranges {
        if !(low..=high).contains(&value) {
            p.add(format!(
                "[http] {key} = {value} is out of range: use {low} to {high}"
            ));
        }
    }
    for o in &h.trusted_origins {
        if crate::protocol::discovery::origin(o).as_deref() != Some(o.trim_end_matches('/')) {
            p.add(format!(
                "[http] trusted_origins: `{o}` is not an origin (write `https://host[:port]`, lower case, no path)"
            ));
        }
    }
    let r = h.rate_limit;
    if !(r == 0.0 || (0.01..=10_000.0).contains(&r)) {
        p.add(format!(
            "[http] rate_limit = {r} is out of range: 0 (no limit) or 0.01 to 10000 requests per second"
        ));
    }
    if !(1..=1000).contains(&h.burst) {
        p.add(format!(
            "[http] burst = {} is out of range: 1 to 1000 requests",
            h.burst
        ));
    }
}

/// A client role as the runner uses it, or `None` with the problems recorded.
fn client(role: String, c: ClientDef, p: &mut Problems<'_>) -> Option<Client> {
    if role.is_empty()
        || !role
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        p.add(format!(
            "client role `{role}` must be lower-case letters and digits"
        ));
        return None;
    }
    let id = match (&c.client_id, &c.client_id_env) {
        (Some(id), None) => id.clone(),
        (None, Some(var)) => p.secret(var, format!("client_id of client {role}")),
        _ => {
            p.add(format!(
                "client {role}: set exactly one of client_id, client_id_env"
            ));
            return None;
        }
    };
    if let Some(pattern) = &c.client_id_pattern {
        match globset::Glob::new(pattern) {
            Err(e) => p.add(format!(
                "client {role}: client_id_pattern `{pattern}` is not a valid pattern: {e}"
            )),
            Ok(g) if !id.is_empty() && !g.compile_matcher().is_match(&id) => p.add(format!(
                "client {role}: the client id `{id}` does not match client_id_pattern `{pattern}` (credentials of another environment?)"
            )),
            Ok(_) => {}
        }
    }
    let secret = match (&c.secret_env, c.auth_method) {
        (Some(var), AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost) => {
            Some(p.secret(var, format!("secret of client {role}")))
        }
        (None, AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost) => {
            p.add(format!(
                "client {role} is confidential: set secret_env to the variable holding its secret"
            ));
            None
        }
        (Some(_), AuthMethod::None) => {
            p.add(format!(
                "client {role} is public (auth_method = \"none\"): remove secret_env"
            ));
            None
        }
        (None, AuthMethod::None) => None,
    };
    // A machine client asks for nothing unless told; a client with a login
    // asks for openid.
    let machine = c.grants.iter().any(|g| g == "client_credentials")
        && !c.grants.iter().any(|g| g == "authorization_code");
    let scope = c.scope.unwrap_or_else(|| match machine {
        true => String::new(),
        false => "openid".into(),
    });
    Some(Client {
        role,
        id,
        secret,
        secret_env: c.secret_env,
        auth_method: c.auth_method,
        redirect_uris: c.redirect_uris,
        scope,
        grants: c.grants,
        oauth21_only: c.oauth21_only,
    })
}

#[cfg(test)]
mod tests;
