//! What a campaign can reach on one target, read from its profile and
//! discovery: nothing here names a fixture role or host. The runner turns
//! a resolved target into a [`Surface`]; everything else in the campaign is
//! pure over it.

use std::collections::BTreeSet;

/// One client role as the fuzzer sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientShape {
    pub role: String,
    /// It authenticates (Basic or a secret in the body).
    pub confidential: bool,
    /// Its registered method is HTTP Basic.
    pub basic: bool,
    pub code: bool,
    pub refresh: bool,
    pub client_credentials: bool,
    pub redirect_uris: usize,
    /// Its first redirect URI is an http loopback IP (RFC 8252 ports apply).
    pub loopback: bool,
    /// Served under OAuth 2.1 only: RFC 6749's redirect_uri rule at the
    /// token endpoint does not bind it.
    pub oauth21_only: bool,
    /// A scope of the profile's `[scopes]` this client's default scope
    /// lacks: what a refresh may not widen to.
    pub wider_scope: Option<String>,
    /// Its default scope includes `openid`: ID tokens and userinfo apply.
    pub openid: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Surface {
    pub clients: Vec<ClientShape>,
    pub users: Vec<String>,
    /// Offered capabilities (`introspection`, `revocation`, `userinfo`,
    /// `iss`, `oidc`, ...), as `Target::offers` answers them.
    pub capabilities: BTreeSet<String>,
    /// The profile's policy tags (`rfc6749`, `pkce_confidential`, ...).
    pub policies: BTreeSet<String>,
}

impl Surface {
    pub fn offers(&self, cap: &str) -> bool {
        self.capabilities.contains(cap)
    }

    pub fn policy(&self, tag: &str) -> bool {
        self.policies.contains(tag)
    }

    pub fn client(&self, role: &str) -> Option<&ClientShape> {
        self.clients.iter().find(|c| c.role == role)
    }

    /// Clients that can run the authorization code flow.
    pub fn code_clients(&self) -> Vec<&ClientShape> {
        self.clients
            .iter()
            .filter(|c| c.code && c.redirect_uris > 0)
            .collect()
    }

    /// Another confidential client than `role` that can hold codes and
    /// refresh tokens of its own: the one that swaps in. It must list both
    /// grants, or `unauthorized_client` would be a conformant answer too.
    pub fn other_confidential(&self, role: &str) -> Option<&ClientShape> {
        self.clients
            .iter()
            .find(|c| c.role != role && c.confidential && c.code && c.refresh)
    }

    /// Whether an authorization request of `client` without a PKCE
    /// challenge must be refused under the profile's policy.
    pub fn pkce_required(&self, client: &ClientShape) -> bool {
        if self.policy("pkce_optional") {
            return false;
        }
        !client.confidential || self.policy("pkce_confidential")
    }

    pub fn first_user(&self) -> Option<&str> {
        self.users.first().map(String::as_str)
    }
}
