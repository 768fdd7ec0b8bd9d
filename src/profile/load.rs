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
mod tests;
