//! Wire dialects: the reference issuer speaking like the seed issuers.
//!
//! Each seed issuer documents a wire format that differs from the
//! reference's in ways a client must be told about (paths, a response
//! envelope, a header, a grant that returns more than RFC 6749 says). A
//! profile declares those differences (`[dialect]` in `issuers/*.toml`); the
//! reference issuer emulates them here, so that each seed profile can be run
//! end to end in CI against an issuer that behaves as its documentation says
//! (`grantcheck run --profile issuers/bud-sandbox.toml --emulate`).
//!
//! A dialect changes only what the seed documents. Everything else stays the
//! strict reference behaviour, and every fault of the catalogue still applies
//! on top (a fault and a dialect are independent toggles).
//!
//! What each emulation adds, with its source:
//!
//! | dialect | source | paths and differences from `standard` |
//! |---|---|---|
//! | `standard` | requirements.md | `/authorize`, `/token`, `/revoke`, `/introspect`, `/userinfo`, `/jwks`, discovery; a resource at `/resource` |
//! | `busha` | seeds 000-002 | paths `/oauth2/auth`, `/oauth2/token`, `/oauth2/revoke`, `/userinfo`, `/.well-known/jwks.json`; no introspection; client ids `busha-oauth2-{uuid}-test`; Busha's read scopes; `state` required |
//! | `bud` | seed 004 | only `/v1/oauth/token`; no discovery, no users; `{"operation_id", "data": {...}}` envelope; `token_type` `bearer`; client_credentials returns a refresh token; refresh authenticated by `X-Client-Id` alone; `GET /v1/accounts` needs a bearer token and `X-Client-Id` |
//! | `example` | seed 003 | paths `/oauth/authorize`, `/oauth/token`, `/oauth/revoke`, `/.well-known/jwks.json`; no discovery, userinfo or introspection; JWT access tokens (iss, sub, aud, exp, iat, scope, client_id, jti); refresh tokens without offline_access; PKCE optional for confidential clients; `GET /v1/projects` |
//!
//! Guesses, where a seed is silent, are marked in the code ("not
//! documented") and listed in docs/seeds.md.

use std::fmt;

/// The wire dialects of the reference issuer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    /// The strictly conformant reference (issuers/reference.toml).
    #[default]
    Standard,
    Busha,
    Bud,
    Example,
}

/// Where the issuer serves each endpoint; `None` means not served (404).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Routes {
    pub authorize: Option<&'static str>,
    pub token: &'static str,
    pub revoke: Option<&'static str>,
    pub introspect: Option<&'static str>,
    pub userinfo: Option<&'static str>,
    pub jwks: Option<&'static str>,
    /// Both well-known metadata documents.
    pub discovery: bool,
    /// A protected resource of the issuer's API (bearer checks).
    pub api: Option<&'static str>,
}

/// How the token endpoint and the API behave beyond RFC 6749.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wire {
    /// Token responses wrapped as `{"operation_id": <id>, <member>: {...}}`.
    pub token_envelope: Option<(&'static str, &'static str)>,
    /// The `token_type` value (case-insensitive per RFC 6749 §5.1).
    pub token_type: &'static str,
    /// A refresh request carrying this header and no other client
    /// credentials is accepted as the client the header names (Bud).
    pub refresh_client_id_header: Option<&'static str>,
    /// API requests must carry this header with the client id (Bud).
    pub api_client_id_header: Option<&'static str>,
    /// client_credentials also returns a refresh token (Bud).
    pub cc_refresh_token: bool,
    /// Access tokens are RS256 JWTs with this `aud` (seed 003).
    pub jwt_access_token_audience: Option<&'static str>,
    /// A refresh token for every code exchange, offline_access or not.
    pub refresh_without_offline_access: bool,
    /// Confidential clients may skip PKCE (seed 003's web-app flow).
    pub pkce_optional_for_confidential: bool,
    /// An authorization request without `state` is refused (seed 000 marks
    /// it required).
    pub state_required: bool,
}

const STANDARD_WIRE: Wire = Wire {
    token_envelope: None,
    token_type: "Bearer",
    refresh_client_id_header: None,
    api_client_id_header: None,
    cc_refresh_token: false,
    jwt_access_token_audience: None,
    refresh_without_offline_access: false,
    pkce_optional_for_confidential: false,
    state_required: false,
};

impl Dialect {
    pub const ALL: &'static [Dialect] = &[
        Dialect::Standard,
        Dialect::Busha,
        Dialect::Bud,
        Dialect::Example,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Standard => "standard",
            Dialect::Busha => "busha",
            Dialect::Bud => "bud",
            Dialect::Example => "example",
        }
    }

    pub fn from_name(s: &str) -> Option<Dialect> {
        Dialect::ALL.iter().copied().find(|d| d.name() == s)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Dialect::Standard => "the strictly conformant reference (issuers/reference.toml)",
            Dialect::Busha => "Busha's documented OAuth2/OIDC wire format (issuers/busha-sandbox.toml)",
            Dialect::Bud => "Bud's client-credentials API with its token envelope and X-Client-Id (issuers/bud-sandbox.toml)",
            Dialect::Example => "the generic API of seed 003: JWT access tokens, no discovery (issuers/example.toml)",
        }
    }

    pub fn routes(self) -> Routes {
        match self {
            Dialect::Standard => Routes {
                authorize: Some("/authorize"),
                token: "/token",
                revoke: Some("/revoke"),
                introspect: Some("/introspect"),
                userinfo: Some("/userinfo"),
                jwks: Some("/jwks"),
                discovery: true,
                api: Some("/resource"),
            },
            // Seed 001 names /oauth2/auth and asks clients to use discovery
            // for the rest; the other paths are Ory Hydra's defaults (a
            // guess: not documented). "You can also revoke programmatically"
            // (seed 001): a revocation endpoint. Introspection is not
            // documented.
            Dialect::Busha => Routes {
                authorize: Some("/oauth2/auth"),
                token: "/oauth2/token",
                revoke: Some("/oauth2/revoke"),
                introspect: None,
                userinfo: Some("/userinfo"),
                jwks: Some("/.well-known/jwks.json"),
                discovery: true,
                api: Some("/v1/balances"),
            },
            // Seed 004: "Token URL: /v1/oauth/token", nothing else. The API
            // path is not documented; /v1/accounts stands in for "any
            // endpoint request".
            Dialect::Bud => Routes {
                authorize: None,
                token: "/v1/oauth/token",
                revoke: None,
                introspect: None,
                userinfo: None,
                jwks: None,
                discovery: false,
                api: Some("/v1/accounts"),
            },
            // Seed 003's "Quick Reference" and its API example.
            Dialect::Example => Routes {
                authorize: Some("/oauth/authorize"),
                token: "/oauth/token",
                revoke: Some("/oauth/revoke"),
                introspect: None,
                userinfo: None,
                jwks: Some("/.well-known/jwks.json"),
                discovery: false,
                api: Some("/v1/projects"),
            },
        }
    }

    pub fn wire(self) -> Wire {
        match self {
            Dialect::Standard => STANDARD_WIRE,
            Dialect::Busha => Wire {
                state_required: true,
                ..STANDARD_WIRE
            },
            Dialect::Bud => Wire {
                token_envelope: Some(("data", "oauth_token_post")),
                token_type: "bearer",
                refresh_client_id_header: Some("x-client-id"),
                api_client_id_header: Some("x-client-id"),
                cc_refresh_token: true,
                ..STANDARD_WIRE
            },
            Dialect::Example => Wire {
                jwt_access_token_audience: Some("https://api.example.com"),
                refresh_without_offline_access: true,
                pkce_optional_for_confidential: true,
                ..STANDARD_WIRE
            },
        }
    }

    /// Every scope the issuer knows (`scopes_supported`, and "unknown scope"
    /// decisions).
    pub fn known_scopes(self) -> &'static [&'static str] {
        match self {
            Dialect::Standard => &[
                "openid",
                "profile",
                "email",
                "offline_access",
                "api:read",
                "api:write",
            ],
            // Seed 001's scope list plus the two OIDC scopes of seed 000
            // ("all 12 scopes").
            Dialect::Busha => &[
                "openid",
                "offline_access",
                "balances:read",
                "transactions:read",
                "addresses:read",
                "addresses:write",
                "recipients:read",
                "recipients:write",
                "transfers:read",
                "transfers:write",
                "quotes:read",
                "quotes:write",
            ],
            // Bud documents no scopes.
            Dialect::Bud => &[],
            Dialect::Example => &[
                "read:profile",
                "write:profile",
                "read:email",
                "read:projects",
                "write:projects",
                "delete:projects",
                "admin:read",
                "admin:write",
                "admin:users",
            ],
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Busha-style client id: `busha-oauth2-{uuid}-test` (seed 002), with a
/// random version-4 UUID.
pub fn busha_client_id() -> String {
    use rand::Rng;
    let mut b: [u8; 16] = rand::rng().random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "busha-oauth2-{}-{}-{}-{}-{}-test",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Dialect::ALL {
            assert_eq!(Dialect::from_name(d.name()), Some(*d));
        }
        assert_eq!(Dialect::from_name("Bud"), None);
    }

    #[test]
    fn busha_client_ids_have_the_documented_shape() {
        let id = busha_client_id();
        let uuid = id
            .strip_prefix("busha-oauth2-")
            .and_then(|s| s.strip_suffix("-test"))
            .unwrap();
        let parts: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(uuid.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
        assert_ne!(id, busha_client_id());
    }

    #[test]
    fn every_dialect_has_a_token_path_and_an_api() {
        for d in Dialect::ALL {
            let r = d.routes();
            assert!(r.token.starts_with('/'));
            assert!(r.api.is_some_and(|a| a.starts_with('/')));
        }
    }
}
