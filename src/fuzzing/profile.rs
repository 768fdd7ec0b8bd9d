//! Profile files: secrets come from the environment, roles and policy are
//! well-formed, and every refusal says why.

use std::path::Path;

use super::{check_diagnostic, is_role, lossy};
use crate::profile::{self, AuthMethod, Env, ProfileError};
use crate::scenario::POLICY_TAGS;

/// The environment overlay of a fuzzed profile: TOML comment lines
/// `# env NAME=value` (comments, so the TOML parser never sees them).
pub fn profile_env(src: &str) -> Env {
    let mut env = Env::default();
    for line in src.lines() {
        if let Some((k, v)) = line
            .trim_start()
            .strip_prefix("# env ")
            .and_then(|r| r.split_once('='))
        {
            env.overlay.insert(k.trim().to_string(), v.to_string());
        }
    }
    env
}

/// Profile file (`profile::load_str` with an `Env` overlay): secrets come
/// from the environment (each `secret_sources` entry is its variable's value)
/// and are never empty, confidential clients have one and public ones none,
/// roles are well-formed, policy tags are known, the money guard only names
/// a requested scope it does not allow; a
/// refusal says why (a diagnostic, the missing variable, or the rule).
pub fn check_profile_file(data: &[u8]) {
    let src = lossy(data);
    let env = profile_env(&src);
    let path = Path::new("issuers/fuzz.toml");
    let first = profile::load_str(path, &src, &env);
    match first {
        Ok(p) => {
            assert_eq!(p.path, path);
            let mut confidential = 0;
            for (role, c) in &p.clients {
                assert_eq!(role, &c.role);
                assert!(is_role(role), "accepted client role {role:?}");
                assert_eq!(c.is_public(), c.auth_method == AuthMethod::None);
                match c.auth_method {
                    AuthMethod::None => {
                        assert!(c.secret.is_none() && c.secret_env.is_none());
                    }
                    AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => {
                        confidential += 1;
                        let var = c
                            .secret_env
                            .as_deref()
                            .expect("confidential without secret_env");
                        let secret = c.secret.as_deref().expect("confidential without a secret");
                        assert!(!secret.is_empty(), "empty secret accepted");
                        assert_eq!(env.get(var).as_deref(), Some(secret));
                    }
                }
            }
            for (role, u) in &p.users {
                assert_eq!(role, &u.role);
                assert!(!u.password.is_empty(), "empty password accepted");
            }
            let secrets = p.secrets();
            assert_eq!(secrets.len(), confidential + p.users.len());
            assert!(secrets.iter().all(|s| !s.is_empty()));
            for src in p.secret_sources() {
                assert_eq!(env.get(&src.var).as_deref(), Some(src.value.as_str()));
            }
            for u in p.users.values() {
                assert_eq!(
                    env.get(&u.password_env).as_deref(),
                    Some(u.password.as_str())
                );
            }
            for c in p.clients.values() {
                // The money guard names a scope of the request, never one it allows.
                if let Some(refused) = p.guard.refuses(&c.scope) {
                    assert!(c.scope.split(' ').any(|s| s == refused), "{refused:?}");
                    assert!(!p.guard.allow_scopes.contains(&refused));
                }
            }
            let tags = p.policy_tags();
            assert!(tags.iter().all(|t| POLICY_TAGS.contains(&t.as_str())));
            assert_eq!(
                usize::from(tags.contains("rfc6749")) + usize::from(tags.contains("oauth21")),
                1
            );
            assert_eq!(tags.contains("lab"), p.policy.lab);
            assert_eq!(tags.contains("loopback_port"), p.policy.loopback_port);
        }
        Err(e) => {
            let _ = e.to_string();
            match &e {
                ProfileError::Invalid(ds) => {
                    assert!(!ds.is_empty());
                    for d in ds {
                        check_diagnostic(d, path, &src);
                    }
                }
                ProfileError::MissingSecrets { missing, path: p } => {
                    assert_eq!(p, path);
                    assert!(!missing.is_empty());
                    for m in missing {
                        let var = &m.var;
                        assert!(env.get(var).is_none_or(|v| v.is_empty()), "{var} is set");
                        assert_eq!(m.empty, env.get(var).is_some(), "{var}: unset vs empty");
                        assert!(e.hint().is_some_and(|h| h.contains(var.as_str())));
                    }
                }
                ProfileError::Semantic { problems, .. } => {
                    assert!(!problems.is_empty() && problems.iter().all(|m| !m.is_empty()))
                }
                ProfileError::Io { .. } => panic!("load_str did I/O"),
            }
        }
    }
}
