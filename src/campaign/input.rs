//! A fuzz input: a base flow, the client it runs as, and the mutations
//! stacked on its probed request. Inputs are what the corpus stores and
//! what shrinking reduces; a scenario file is built from one ([`super::build`]).

use serde::{Deserialize, Serialize};

/// The request a flow probes, after the steps that obtain its material.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// The authorization request itself.
    Authorize,
    /// A code exchange, after a login that obtained the code.
    Code,
    /// A refresh, after a login and a code exchange.
    Refresh,
    /// A client_credentials request.
    Credentials,
    /// Introspection of a token from a code exchange.
    Introspect,
    /// Revocation of a refresh token from a code exchange.
    Revoke,
    /// A userinfo request with an access token from a code exchange.
    Userinfo,
    /// The discovery document and the JWKS: what every other answer is
    /// held against.
    Metadata,
}

impl Flow {
    pub const ALL: [Flow; 8] = [
        Flow::Authorize,
        Flow::Code,
        Flow::Refresh,
        Flow::Credentials,
        Flow::Introspect,
        Flow::Revoke,
        Flow::Userinfo,
        Flow::Metadata,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Flow::Authorize => "authorize",
            Flow::Code => "code",
            Flow::Refresh => "refresh",
            Flow::Credentials => "credentials",
            Flow::Introspect => "introspect",
            Flow::Revoke => "revoke",
            Flow::Userinfo => "userinfo",
            Flow::Metadata => "metadata",
        }
    }

    /// The flow's probed request goes to the token endpoint.
    pub fn is_token(self) -> bool {
        matches!(self, Flow::Code | Flow::Refresh | Flow::Credentials)
    }
}

/// What a mutation does. Parameter operations name their parameter in
/// [`Mutation::param`]; the others act on the request or the sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// One character of the value changed (the `flip` filter).
    Tamper,
    /// The case of one letter swapped (the `recase` filter).
    Recase,
    /// The last character dropped.
    Chop,
    /// Characters appended.
    Extend,
    /// Sent empty.
    Empty,
    /// Left out.
    Drop,
    /// Sent a second time with another value (RFC 6749 §3.1: at most once).
    Duplicate,
    /// The parameter's name in other letter case: an unknown parameter, and
    /// the real one missing.
    RecaseName,
    /// The value with thousands of characters appended.
    Overlong,
    /// A percent sequence appended, as literal text.
    Percent,
    /// Markup with quotes appended (`<gc7"'>`): wherever a response holds
    /// it as sent, the input was reflected unescaped.
    Reflect,
    /// A URI operation of `scenario::uri_op` on redirect_uri (arg: which).
    Uri,
    /// An unknown parameter added, which RFC 6749 §3.1 says to ignore.
    Unknown,
    /// The token request as GET, parameters in the query.
    MethodGet,
    /// Another Content-Type for the same form body (arg: which).
    ContentType,
    /// The client's secret with one character changed.
    WrongSecret,
    /// A confidential client sends only its client_id.
    AuthNone,
    /// No client identification at all.
    AuthOmit,
    /// Another registered client presents the material.
    OtherClient,
    /// The same request sent again after it succeeded.
    Replay,
    /// The same request sent several times at once.
    Race,
    /// A refresh asking for a scope that was never granted.
    WidenScope,
    /// The access token presented as the refresh token.
    AccessAsRefresh,
    /// Another code_challenge_method (arg: which).
    ChallengeMethod,
    /// A code_challenge that is not 43 base64url characters (arg: which).
    ChallengeShape,
    /// Another response_type (arg: which).
    ResponseType,
    /// The access token in the query string instead of the header.
    QueryToken,
    /// No access token at all.
    NoToken,
    /// A token_type_hint naming the other kind of token.
    WrongHint,
    /// A `request` object although the metadata says request objects are
    /// not supported.
    RequestObject,
    /// grant_type=client_credentials from a client not registered for it.
    GrantSwap,
    /// A code_verifier outside RFC 7636's grammar, used consistently: its
    /// challenge at the authorization endpoint, itself at the token
    /// endpoint (arg: which).
    VerifierSyntax,
    /// At the token endpoint, the client's other registered redirect URI
    /// instead of the one the code was issued for.
    OtherRedirect,
    /// A loopback redirect URI on another port, which RFC 8252 §7.3 says
    /// to accept (arg: which port).
    LoopbackPort,
    /// A code_verifier at the edges of RFC 7636's grammar, 43 or 128
    /// characters: valid, so the exchange must succeed (arg: which).
    VerifierBounds,
    /// The access token revoked instead of the refresh token.
    RevokeAccess,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Tamper => "tamper",
            Op::Recase => "recase",
            Op::Chop => "chop",
            Op::Extend => "extend",
            Op::Empty => "empty",
            Op::Drop => "drop",
            Op::Duplicate => "duplicate",
            Op::RecaseName => "recase-name",
            Op::Overlong => "overlong",
            Op::Percent => "percent",
            Op::Reflect => "reflect",
            Op::Uri => "uri",
            Op::Unknown => "unknown-param",
            Op::MethodGet => "method-get",
            Op::ContentType => "content-type",
            Op::WrongSecret => "wrong-secret",
            Op::AuthNone => "auth-none",
            Op::AuthOmit => "auth-omit",
            Op::OtherClient => "other-client",
            Op::Replay => "replay",
            Op::Race => "race",
            Op::WidenScope => "widen-scope",
            Op::AccessAsRefresh => "access-as-refresh",
            Op::ChallengeMethod => "challenge-method",
            Op::ChallengeShape => "challenge-shape",
            Op::ResponseType => "response-type",
            Op::QueryToken => "query-token",
            Op::NoToken => "no-token",
            Op::WrongHint => "wrong-hint",
            Op::RequestObject => "request-object",
            Op::GrantSwap => "grant-swap",
            Op::VerifierSyntax => "verifier-syntax",
            Op::OtherRedirect => "other-redirect",
            Op::LoopbackPort => "loopback-port",
            Op::VerifierBounds => "verifier-bounds",
            Op::RevokeAccess => "revoke-access",
        }
    }

    /// Whether the operation edits one named parameter.
    pub fn takes_param(self) -> bool {
        matches!(
            self,
            Op::Tamper
                | Op::Recase
                | Op::Chop
                | Op::Extend
                | Op::Empty
                | Op::Drop
                | Op::Duplicate
                | Op::RecaseName
                | Op::Overlong
                | Op::Percent
                | Op::Reflect
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Mutation {
    pub op: Op,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// A choice within the operation (a position, a length, a variant),
    /// reduced modulo what the operation offers.
    #[serde(default)]
    pub arg: u32,
}

impl Mutation {
    /// `tamper(code)`, `replay`: how findings and progress name it.
    pub fn label(&self) -> String {
        match &self.param {
            Some(p) => format!("{}({p})", self.op.name()),
            None => self.op.name().to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Input {
    pub flow: Flow,
    /// The client role of the profile the flow runs as.
    pub client: String,
    /// The user role that logs in, for flows that log in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default)]
    pub mutations: Vec<Mutation>,
}

impl Input {
    /// `code as c1: tamper(code_verifier), replay`.
    pub fn label(&self) -> String {
        let muts: Vec<String> = self.mutations.iter().map(Mutation::label).collect();
        let muts = match muts.is_empty() {
            true => "unmutated".to_string(),
            false => muts.join(", "),
        };
        format!("{} as {}: {muts}", self.flow.name(), self.client)
    }
}
