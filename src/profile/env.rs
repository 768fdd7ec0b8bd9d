//! Where secret values come from.

use std::collections::BTreeMap;

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
