//! The parameters of each flow's probed request, what each one means to
//! the protocol, and which operations apply: the fuzzer's knowledge of
//! OAuth, as data.

use super::input::{Flow, Mutation, Op};
use super::surface::{ClientShape, Surface};

/// What a parameter is to the issuer, which decides what a change of it
/// must cause ([`super::effect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// grant_type or response_type: another value is another request.
    Kind,
    /// A value bound to the material (code, verifier, refresh token, the
    /// client's id): any change must be refused.
    Bound,
    /// The client's secret in the body: a change is failed authentication.
    Secret,
    /// redirect_uri at the authorization endpoint: a change must not
    /// redirect anywhere (RFC 6749 §4.1.2.1).
    Redirect,
    /// redirect_uri at the token endpoint: a change must be refused
    /// (RFC 6749 §4.1.3), its absence too under RFC 6749.
    TokenRedirect,
    /// client_id at the authorization endpoint: an unknown one must not
    /// redirect.
    ClientId,
    /// The PKCE challenge (required or not, by policy).
    Challenge,
    /// code_challenge_method.
    Method,
    /// state: optional, echoed exactly.
    State,
    /// The token an introspection is about: a changed one is inactive.
    IntrospectToken,
    /// The token a revocation is about: a changed one still gets 200.
    RevokeToken,
    /// An optional parameter whose change the specs leave open (scope).
    Optional,
}

/// One parameter of a probed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    /// The value as sent unmutated: a template expression (`login.code`)
    /// or, for fixed values, a literal.
    pub value: Value,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `{{ <expr> }}` in a scenario file.
    Expr(String),
    Literal(&'static str),
}

impl Value {
    /// The unmutated value as scenario text.
    pub fn text(&self) -> String {
        match self {
            Value::Expr(e) => format!("{{{{ {e} }}}}"),
            Value::Literal(l) => (*l).to_string(),
        }
    }
}

fn p(name: &'static str, value: Value, role: Role) -> Param {
    Param { name, value, role }
}

fn e(s: impl Into<String>) -> Value {
    Value::Expr(s.into())
}

/// The parameters of `flow`'s probed request as `client` sends them.
pub fn params(flow: Flow, client: &ClientShape) -> Vec<Param> {
    let role = &client.role;
    let mut out = match flow {
        Flow::Authorize => vec![
            p("response_type", Value::Literal("code"), Role::Kind),
            p("client_id", e(format!("clients.{role}.id")), Role::ClientId),
            p(
                "redirect_uri",
                e(format!("clients.{role}.redirect_uri")),
                Role::Redirect,
            ),
            p("code_challenge", e("gen.verifier | s256"), Role::Challenge),
            p(
                "code_challenge_method",
                Value::Literal("S256"),
                Role::Method,
            ),
            p("state", e("gen.state"), Role::State),
            p("scope", e(format!("clients.{role}.scope")), Role::Optional),
        ],
        Flow::Code => vec![
            p(
                "grant_type",
                Value::Literal("authorization_code"),
                Role::Kind,
            ),
            p("code", e("login.code"), Role::Bound),
            p("code_verifier", e("login.verifier"), Role::Bound),
            p("redirect_uri", e("login.redirect_uri"), Role::TokenRedirect),
        ],
        Flow::Refresh => vec![
            p("grant_type", Value::Literal("refresh_token"), Role::Kind),
            p("refresh_token", e("first.refresh_token"), Role::Bound),
        ],
        Flow::Credentials => vec![
            p(
                "grant_type",
                Value::Literal("client_credentials"),
                Role::Kind,
            ),
            p("scope", e(format!("clients.{role}.scope")), Role::Optional),
        ],
        Flow::Introspect => vec![p("token", e("first.access_token"), Role::IntrospectToken)],
        Flow::Revoke => vec![p("token", e("first.refresh_token"), Role::RevokeToken)],
        Flow::Userinfo | Flow::Metadata => vec![],
    };
    // A client authenticating in the body sends its id there, bound to
    // what it presents; one with a secret sends that too.
    if flow.is_token() && !client.basic {
        out.push(p("client_id", e(format!("clients.{role}.id")), Role::Bound));
        if client.confidential {
            out.push(p(
                "client_secret",
                e(format!("clients.{role}.secret")),
                Role::Secret,
            ));
        }
    }
    out
}

/// Operations on the request or the sequence (not on one parameter) that
/// make sense for `flow` as `client` on this surface.
pub fn request_ops(flow: Flow, client: &ClientShape, s: &Surface) -> Vec<Op> {
    let mut ops = vec![Op::Unknown];
    let other = s.other_confidential(&client.role).is_some();
    match flow {
        Flow::Authorize => {
            ops.extend([
                Op::Uri,
                Op::ChallengeMethod,
                Op::ChallengeShape,
                Op::ResponseType,
            ]);
            if s.offers("request_unsupported") {
                ops.push(Op::RequestObject);
            }
            // RFC 8252 §7.3's free port is a policy the profile selects.
            if client.loopback && s.policy("loopback_port") {
                ops.push(Op::LoopbackPort);
            }
        }
        Flow::Code | Flow::Refresh | Flow::Credentials => {
            ops.extend([Op::MethodGet, Op::ContentType]);
            if client.confidential {
                ops.extend([Op::WrongSecret, Op::AuthNone, Op::AuthOmit]);
            }
        }
        Flow::Introspect | Flow::Revoke => {
            ops.extend([Op::WrongHint]);
            if client.confidential {
                ops.extend([Op::WrongSecret, Op::AuthOmit]);
            }
        }
        Flow::Userinfo => ops = vec![Op::QueryToken, Op::NoToken, Op::Tamper, Op::Chop],
        // The documents are read as they are: nothing to mutate.
        Flow::Metadata => ops = vec![],
    }
    match flow {
        Flow::Code => {
            ops.extend([Op::Replay, Op::Race, Op::VerifierSyntax, Op::VerifierBounds]);
            if client.redirect_uris >= 2 {
                ops.push(Op::OtherRedirect);
            }
            if !client.client_credentials {
                ops.push(Op::GrantSwap);
            }
            if other && client.confidential {
                ops.push(Op::OtherClient);
            }
        }
        Flow::Refresh => {
            ops.extend([Op::Replay, Op::AccessAsRefresh]);
            if client.wider_scope.is_some() {
                ops.push(Op::WidenScope);
            }
            if other && client.confidential {
                ops.push(Op::OtherClient);
            }
        }
        Flow::Revoke => {
            ops.push(Op::RevokeAccess);
            if other && client.confidential {
                ops.push(Op::OtherClient);
            }
        }
        _ => {}
    }
    ops
}

/// What a mutation edits: its parameter, or the one a request operation
/// sets (`uri` sets redirect_uri), or the client's authentication. Two
/// mutations of one input never edit the same thing: the second would
/// overwrite the first, and the demand of neither would hold.
pub fn touches(m: &Mutation) -> String {
    if let Some(p) = &m.param {
        return p.clone();
    }
    let edits = match m.op {
        Op::Uri | Op::LoopbackPort | Op::OtherRedirect => "redirect_uri",
        Op::ChallengeMethod => "code_challenge_method",
        Op::ChallengeShape => "code_challenge",
        Op::ResponseType => "response_type",
        Op::GrantSwap => "grant_type",
        Op::WidenScope => "scope",
        Op::VerifierSyntax | Op::VerifierBounds => "code_verifier",
        Op::AccessAsRefresh => "refresh_token",
        Op::RequestObject => "request",
        Op::Tamper | Op::Chop | Op::NoToken | Op::QueryToken | Op::RevokeAccess => "token",
        Op::WrongSecret | Op::AuthNone | Op::AuthOmit | Op::OtherClient => "client authentication",
        Op::Replay | Op::Race => "sequence",
        other => other.name(),
    };
    edits.to_string()
}

/// Parameter operations.
pub const PARAM_OPS: &[Op] = &[
    Op::Tamper,
    Op::Recase,
    Op::Chop,
    Op::Extend,
    Op::Empty,
    Op::Drop,
    Op::Duplicate,
    Op::RecaseName,
    Op::Overlong,
    Op::Percent,
    Op::Reflect,
];

/// The markup `reflect` appends: a tag and both quotes, so that only a
/// response that neither escapes it (HTML) nor encodes it (a URL, JSON)
/// holds it as sent.
pub fn marker(arg: u32) -> String {
    format!("<gc{}\"'>", arg % 1000)
}

/// Which flows `client` can run on this surface.
pub fn flows_for(client: &ClientShape, s: &Surface) -> Vec<Flow> {
    let mut out = Vec::new();
    if client.code && client.redirect_uris > 0 && s.first_user().is_some() && s.offers("login") {
        out.extend([Flow::Authorize, Flow::Code]);
        if client.refresh {
            out.push(Flow::Refresh);
            if s.offers("revocation") {
                out.push(Flow::Revoke);
            }
        }
        if s.offers("introspection") && client.confidential {
            out.push(Flow::Introspect);
        }
        if s.offers("userinfo") && client.openid {
            out.push(Flow::Userinfo);
        }
    }
    if client.client_credentials {
        out.push(Flow::Credentials);
    }
    out
}

/// Suffixes appended by `extend` (arg picks one).
pub const SUFFIXES: &[&str] = &["x", "A", "0", "-", ".", "_", "~"];
/// Literal percent sequences appended by `percent`.
pub const PERCENTS: &[&str] = &["%41", "%00", "%2F", "%252F", "%0d%0a", "%20"];
/// Lengths appended by `overlong`: past common buffers and limits.
pub const OVERLONG: &[usize] = &[129, 1024, 8192];
/// Other Content-Types for the same form body.
pub const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded; charset=ISO-8859-1",
    "application/x-www-form-urlencoded; charset=UTF-8",
];
/// Other code_challenge_method values: none of them may pass as S256.
pub const METHODS: &[&str] = &["plain", "s256", "S512", "S256 ", "sha256", ""];
/// code_verifier values outside RFC 7636 §4.1's grammar (43 to 128
/// characters of `[A-Za-z0-9-._~]`), as templates.
pub const BAD_VERIFIERS: &[&str] = &[
    "{{ gen.verifier | take(42) }}",
    "{{ gen.verifier }}{{ gen.other }}{{ gen.more }}",
    "{{ gen.verifier | take(42) }}+",
    "{{ gen.verifier | take(40) }}%41",
];
/// code_verifier values at the edges of the grammar: 43 and 128 characters.
pub const EDGE_VERIFIERS: &[&str] = &[
    "{{ gen.verifier | take(43) }}",
    "{{ gen.verifier }}{{ gen.other }}",
];
/// Other response_type values.
pub const RESPONSE_TYPES: &[&str] = &["token", "code token", "id_token token", "foo", "CODE"];

#[cfg(test)]
mod tests {
    use super::*;

    fn client(basic: bool, confidential: bool) -> ClientShape {
        ClientShape {
            role: "x1".into(),
            confidential,
            basic,
            code: true,
            refresh: true,
            client_credentials: false,
            redirect_uris: 1,
            loopback: false,
            oauth21_only: false,
            wider_scope: None,
            openid: false,
        }
    }

    #[test]
    fn body_authentication_puts_the_id_and_secret_in_the_grammar() {
        let names = |c: &ClientShape| -> Vec<&str> {
            params(Flow::Code, c).iter().map(|p| p.name).collect()
        };
        assert!(!names(&client(true, true)).contains(&"client_id"));
        assert!(names(&client(false, true)).contains(&"client_secret"));
        let public = names(&client(false, false));
        assert!(public.contains(&"client_id") && !public.contains(&"client_secret"));
    }

    #[test]
    fn values_render_as_templates() {
        assert_eq!(e("login.code").text(), "{{ login.code }}");
        assert_eq!(Value::Literal("S256").text(), "S256");
    }
}
