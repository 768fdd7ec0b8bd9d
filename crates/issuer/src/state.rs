//! In-memory issuer state: pending authorization requests, browser
//! sessions, remembered consents, codes, grants and tokens.
//!
//! Everything sits behind one `Mutex` so that check-and-consume of codes and
//! refresh tokens is trivially atomic (CODE-08, ADV-13, ADV-14). The lock is
//! never held across an `.await`.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

use super::config::IssuerConfig;
use super::faults::Fault;
use super::pkce::Method;

/// Refresh tokens outlive access tokens; 14 days is a common default.
pub const REFRESH_TOKEN_TTL: u64 = 14 * 24 * 3600;
/// How long a login/consent page stays usable.
pub const PENDING_TTL: u64 = 600;
/// Hard cap so that a client hammering /authorize cannot grow memory
/// without bound; the oldest entries are dropped first.
const MAX_PENDING: usize = 10_000;

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// 32 random bytes, base64url without padding (43 characters, 256 bits):
/// no prefix, counter or timestamp (ADV-23).
pub fn random_token() -> String {
    let mut buf = [0u8; 32];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The `predictable_tokens` fault's tokens: a process-wide counter behind a
/// fixed prefix, as a database sequence would give.
pub fn sequential_token() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("tok-{n:020}")
}

/// The `short_codes` fault's codes: 32 random bits as 8 hex digits.
pub fn short_code() -> String {
    format!("{:08x}", rand::rng().next_u32())
}

/// A validated authorization request waiting for login and consent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthzRequest {
    pub client_id: String,
    /// Where the response goes: the sent URI, or the single registered one.
    pub redirect_uri: String,
    /// The redirect_uri parameter as sent, if it was (binds the code).
    pub redirect_sent: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub scopes: Vec<String>,
    pub challenge: Option<(String, Method)>,
    pub prompt: Vec<String>,
    pub max_age: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Pending {
    pub request: AuthzRequest,
    pub csrf: String,
    pub created: u64,
    /// prompt=login / max_age demand a login inside this request.
    pub force_login: bool,
    /// (sub, auth_time) of a login performed for this request.
    pub logged_in: Option<(String, u64)>,
    /// With MFA: the user whose password was right, awaiting the one-time code.
    pub password_ok: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub sub: String,
    pub auth_time: u64,
}

#[derive(Clone, Debug)]
pub struct CodeRec {
    pub client_id: String,
    pub redirect_uri: String,
    pub redirect_sent: Option<String>,
    pub challenge: Option<(String, Method)>,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub sub: String,
    pub auth_time: u64,
    pub expires: u64,
    pub used: bool,
    /// Grants minted from this code (more than one only under
    /// `code_reusable`/`code_race`); revoked together on reuse.
    pub grants: Vec<u64>,
}

#[derive(Clone, Debug)]
pub struct Grant {
    pub client_id: String,
    /// End-user subject; `None` for client_credentials.
    pub sub: Option<String>,
    /// The scope originally granted; refreshes never exceed it.
    pub scopes: Vec<String>,
    pub auth_time: Option<u64>,
    pub revoked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Clone, Debug)]
pub struct TokenRec {
    pub kind: TokenKind,
    pub grant: u64,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub iat: u64,
    pub exp: u64,
    pub revoked: bool,
    /// Refresh token already exchanged (rotated out).
    pub rotated: bool,
}

#[derive(Default)]
pub struct Store {
    /// Seconds the issuer's clock runs ahead of the real one: advanced by
    /// `POST /_grantcheck/clock` (a controllable clock, so expiry is
    /// checked without waiting). TOTP codes keep the real time.
    pub clock: u64,
    /// The `codes_and_tokens_never_expire` fault: lifetimes are advertised, never enforced.
    pub expiry_ignored: bool,
    /// The `predictable_tokens` fault: access and refresh tokens from a counter.
    pub sequential_tokens: bool,
    /// The `token_lookup_case_insensitive` fault (ADV-30, ADV-31).
    pub tokens_case_insensitive: bool,
    pub pending: HashMap<String, Pending>,
    pub sessions: HashMap<String, Session>,
    /// (sub, client_id) -> scopes the user approved for that client; lets
    /// prompt=none succeed silently after an earlier consent.
    pub consents: HashMap<(String, String), BTreeSet<String>>,
    pub codes: HashMap<String, CodeRec>,
    pub grants: HashMap<u64, Grant>,
    pub tokens: HashMap<String, TokenRec>,
    /// Credentials handed out or received, in order (see
    /// `RunningIssuer::handed_out`); bounded by what a run does.
    pub handed_out: Vec<(&'static str, String)>,
    next_grant: u64,
}

impl Store {
    /// The issuer's time: the real one plus the advanced clock.
    pub fn now(&self) -> u64 {
        now().saturating_add(self.clock)
    }

    /// Whether `exp` has passed on the issuer's clock (never, under the
    /// expiry fault).
    pub fn expired(&self, exp: u64) -> bool {
        !self.expiry_ignored && self.now() >= exp
    }

    pub fn insert_pending(&mut self, pending: Pending) -> String {
        let t = self.now();
        self.pending
            .retain(|_, p| t.saturating_sub(p.created) < PENDING_TTL);
        while self.pending.len() >= MAX_PENDING {
            let oldest = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.created)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.pending.remove(&k),
                None => break,
            };
        }
        let id = random_token();
        self.pending.insert(id.clone(), pending);
        id
    }

    pub fn pending_mut(&mut self, id: &str) -> Option<&mut Pending> {
        let t = self.now();
        self.pending
            .get_mut(id)
            .filter(|p| t.saturating_sub(p.created) < PENDING_TTL)
    }

    pub fn new_grant(&mut self, grant: Grant) -> u64 {
        self.next_grant += 1;
        self.grants.insert(self.next_grant, grant);
        self.next_grant
    }

    pub fn revoke_grant(&mut self, id: u64) {
        if let Some(g) = self.grants.get_mut(&id) {
            g.revoked = true;
        }
    }

    pub fn issue_token(
        &mut self,
        kind: TokenKind,
        grant: u64,
        client_id: &str,
        scopes: Vec<String>,
        ttl: u64,
    ) -> String {
        let iat = self.now();
        let token = match self.sequential_tokens {
            true => sequential_token(),
            false => random_token(),
        };
        self.tokens.insert(
            token.clone(),
            TokenRec {
                kind,
                grant,
                client_id: client_id.to_string(),
                scopes,
                iat,
                exp: iat.saturating_add(ttl),
                revoked: false,
                rotated: false,
            },
        );
        token
    }

    /// A token is active when it, and its grant, are alive and unexpired.
    pub fn is_active(&self, rec: &TokenRec, at: u64) -> bool {
        !rec.revoked
            && !rec.rotated
            && (at < rec.exp || self.expiry_ignored)
            && self.grants.get(&rec.grant).is_some_and(|g| !g.revoked)
    }

    /// The key a presented token is stored under: the exact string, or
    /// under the fault any key equal to it ignoring case (a `_ci` column).
    pub fn token_key(&self, token: &str) -> Option<String> {
        if self.tokens.contains_key(token) {
            return Some(token.to_string());
        }
        self.tokens_case_insensitive
            .then(|| self.tokens.keys().find(|k| k.eq_ignore_ascii_case(token)))
            .flatten()
            .cloned()
    }

    /// The token record if the token is active.
    pub fn active_token(&self, token: &str) -> Option<(&TokenRec, &Grant)> {
        let rec = self.tokens.get(&self.token_key(token)?)?;
        if !self.is_active(rec, self.now()) {
            return None;
        }
        Some((rec, self.grants.get(&rec.grant)?))
    }
}

pub struct AppState {
    pub config: IssuerConfig,
    pub issuer: String,
    store: Mutex<Store>,
}

pub type Shared = Arc<AppState>;

impl AppState {
    pub fn new(config: IssuerConfig, issuer: String) -> Self {
        let sequential_tokens = config.has_fault(Fault::PredictableTokens);
        let expiry_ignored = config.has_fault(Fault::CodesAndTokensNeverExpire);
        let tokens_case_insensitive = config.has_fault(Fault::TokenLookupCaseInsensitive);
        AppState {
            config,
            issuer,
            store: Mutex::new(Store {
                sequential_tokens,
                expiry_ignored,
                tokens_case_insensitive,
                ..Store::default()
            }),
        }
    }

    /// The issuer's time (see `Store::clock`).
    pub fn now(&self) -> u64 {
        self.store().now()
    }

    pub fn fault(&self, f: Fault) -> bool {
        self.config.faults.contains(&f)
    }

    /// A poisoned lock only means another request panicked mid-update;
    /// keep serving rather than turning every later request into a 500.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Access-token lifetime, honouring the `at_lifetime_24h` fault.
    pub fn at_ttl(&self) -> u64 {
        if self.fault(Fault::AtLifetime24h) {
            86_400
        } else {
            self.config.access_token_ttl
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_chars_and_distinct() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn grant_revocation_kills_tokens() {
        let mut s = Store::default();
        let g = s.new_grant(Grant {
            client_id: "c1".into(),
            sub: Some("u".into()),
            scopes: vec![],
            auth_time: None,
            revoked: false,
        });
        let at = s.issue_token(TokenKind::Access, g, "c1", vec![], 60);
        assert!(s.active_token(&at).is_some());
        s.revoke_grant(g);
        assert!(s.active_token(&at).is_none());
        assert!(s.active_token("nope").is_none());
        let at0 = s.issue_token(TokenKind::Access, g, "c1", vec![], 0);
        assert!(s.active_token(&at0).is_none());
    }
}
