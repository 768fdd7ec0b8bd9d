//! The scenario language: model, loader with spans, templates, validation.

pub mod assertion;
pub mod diag;
pub mod load;
pub mod model;
mod needs;
pub mod template;
pub mod uri_op;

pub use diag::Diagnostic;
pub use load::{
    builtin, builtin_sources, load_dir, load_sources, load_str, read_dir, LoadError, Scenario,
};
pub use model::Level;

/// Capabilities a scenario may `require`, besides `client:<role>`,
/// `user:<role>` and `policy:<tag>`. Each is decided from discovery metadata
/// or the profile; a missing one makes the scenario a skip with the reason.
pub const CAPABILITIES: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "introspection",
    "revocation",
    "userinfo",
    "jwks",
    "discovery",
    "oidc",
    "jwt_access_tokens",
    "api",
    "iss",
    "request_unsupported",
    "request_uri_unsupported",
    "client_secret_basic",
    "client_secret_post",
    "login",
    "deny",
    "authorize_post",
    "slow",
    "https",
];

/// Policy tags a profile can switch on (requirements.md, "spec tensions").
pub const POLICY_TAGS: &[&str] = &[
    "rfc6749",
    "oauth21",
    "lab",
    "loopback_port",
    "offline_access",
    "pkce_confidential",
    "pkce_optional",
    "state_required",
    "state_optional",
];

/// First path segments a template may start with, besides earlier step names.
pub const NAMESPACES: &[&str] = &["clients", "users", "issuer", "gen", "case", "scopes"];
