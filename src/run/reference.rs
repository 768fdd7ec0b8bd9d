//! The embedded reference issuer as a run target: start it on an ephemeral
//! loopback port with fresh secrets (and any faults), and resolve it with the
//! built-in reference profile. Used by `grantcheck run` without --profile,
//! by the tests and by the self-test.

use std::collections::BTreeSet;
use std::path::Path;

use super::target::{Target, TargetError};
use crate::http::Http;
use crate::issuer::{self, Fault, IssuerConfig, ReferenceSecrets, RunningIssuer};
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
        ("GRANTCHECK_REF_U1_PASSWORD", s.alice_password.clone()),
        ("GRANTCHECK_REF_U2_PASSWORD", s.bob_password.clone()),
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
    let mut config = IssuerConfig::reference(&secrets);
    config.faults = faults.clone();
    let running = issuer::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .map_err(ReferenceError::Start)?;
    let env = Env {
        overlay: env_vars(&secrets)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    };
    let mut p = profile::load_str(Path::new("issuers/reference.toml"), PROFILE, &env)?;
    p.issuer = running.base_url.clone();
    let http = Http::new(&p.http)
        .map_err(|e| ReferenceError::Http(e.to_string()))?
        .with_guard(p.guard.clone());
    let names = faults.iter().map(|f| f.name().to_string()).collect();
    let target = Target::resolve(p, http, true, names).await?;
    Ok(Reference {
        target,
        issuer: running,
        secrets,
    })
}
