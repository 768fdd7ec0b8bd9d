//! The assertions a generated step carries: the demand of its mutations
//! ([`super::effect`]) in the suite's own assertion language, plus the
//! generic oracles every response of its kind must satisfy (no 5xx, RFC
//! 6749 error bodies with registered codes, no-store, Bearer). A finding's
//! scenario file carries them, so its replay judges exactly as the fuzzer
//! did.

use toml::{Table, Value};

use super::effect::{Demand, How};
use super::grammar;
use super::input::{Flow, Input, Op};
use super::surface::ClientShape;
use crate::protocol::token::{AUTHORIZATION_ERRORS, TOKEN_ERRORS};
use crate::scenario::Level;

/// Statuses a refusal may answer without an RFC 6749 JSON body: what HTTP
/// layers in front of an issuer answer (method, media type, size, rate).
const HTTP_LAYER: &[i64] = &[403, 404, 405, 406, 411, 413, 414, 415, 429, 431];

/// One `[[step.assert]]` table.
pub fn assert(that: &str, predicate: &str, value: impl Into<Value>, covers: &str) -> Table {
    let mut t = Table::new();
    t.insert("that".into(), that.into());
    t.insert(predicate.into(), value.into());
    t.insert("covers".into(), Value::Array(vec![covers.into()]));
    t
}

fn with_level(mut t: Table, level: Level) -> Table {
    t.insert("level".into(), level.as_str().into());
    t
}

fn optional(mut t: Table) -> Table {
    t.insert("optional".into(), true.into());
    t
}

fn ints(xs: &[u16]) -> Value {
    Value::Array(xs.iter().map(|x| Value::Integer(*x as i64)).collect())
}

fn strs(xs: &[&str]) -> Value {
    Value::Array(xs.iter().map(|x| Value::String(x.to_string())).collect())
}

/// `any = [...]`: at least one branch (a list of tables) holds.
fn any(branches: Vec<Vec<Table>>, covers: &[&str]) -> Table {
    let mut t = Table::new();
    let b = branches
        .into_iter()
        .map(|br| Value::Array(br.into_iter().map(Value::Table).collect()))
        .collect();
    t.insert("any".into(), Value::Array(b));
    t.insert("covers".into(), strs(covers));
    t
}

/// What the probed step's request looked like, as far as oracles care.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sent {
    /// The client authenticated with an Authorization: Basic header.
    pub basic: bool,
    /// The client's scope includes openid (an ID token is due).
    pub openid: bool,
}

/// The assertions of a token-endpoint step (code, refresh, credentials).
pub fn token(flow: Flow, d: &Demand, sent: Sent) -> Vec<Table> {
    match d {
        Demand::Accept => token_success(flow, "TOK-01", sent),
        Demand::Open => open_json(),
        Demand::Rule(r) => match &r.how {
            How::Error { status, errors } => {
                let mut out = vec![
                    assert("status", "one_of", ints(status), r.row),
                    assert("json access_token", "absent", true, r.row),
                ];
                if !errors.is_empty() {
                    out.push(assert("error", "one_of", strs(errors), r.row));
                }
                match status.contains(&405) {
                    // A 405 may come from an HTTP layer before OAuth.
                    true => out.push(error_body_unless_http_layer()),
                    false => out.extend(error_body()),
                }
                out
            }
            How::Unauthenticated => unauthenticated(r.row, sent.basic),
            // The first of a sequence only has to succeed: were it held to
            // every oracle, a missing header would stop the case before
            // the replay, hiding what the sequence is for. The unmutated
            // inputs check the rest.
            How::OnceOnly => succeeded(r.row),
            How::Accepted => token_success(flow, r.row, sent),
            How::NotGranted => not_granted(r.row),
            How::ExactlyOne => vec![assert("successes", "equals", 1, r.row)],
            _ => not_200(r.row),
        },
    }
}

/// A token response that granted: what a sequence's later steps need.
pub fn succeeded(row: &str) -> Vec<Table> {
    vec![
        assert("status", "equals", 200, row),
        assert("json access_token", "present", true, row),
    ]
}

/// A successful token response (RFC 6749 §5.1) and what the flow adds.
pub fn token_success(flow: Flow, row: &str, sent: Sent) -> Vec<Table> {
    let mut out = vec![
        assert("status", "equals", 200, row),
        assert("json access_token", "present", true, "TOK-01"),
        assert("json token_type", "equals_ci", "Bearer", "TOK-02"),
        optional(assert(
            "json expires_in",
            "positive_integer",
            true,
            "TOK-01",
        )),
        assert("header cache-control", "contains", "no-store", "HDR-01"),
        with_level(
            assert("header pragma", "contains", "no-cache", "HDR-02"),
            Level::Should,
        ),
    ];
    match flow {
        Flow::Credentials => out.push(with_level(
            assert("json refresh_token", "absent", true, "CC-02"),
            Level::Should,
        )),
        Flow::Refresh => {
            out.push(assert(
                "json access_token",
                "differs",
                "{{ first.access_token }}",
                "RT-01",
            ));
            out.push(with_level(
                assert(
                    "json refresh_token",
                    "differs",
                    "{{ first.refresh_token }}",
                    "RT-02",
                ),
                Level::Profile,
            ));
        }
        Flow::Code => {
            // The product card's lifetime, as `token.lifetime` checks it.
            out.push(with_level(
                assert(
                    "json expires_in",
                    "between",
                    Value::Array(vec![3300.into(), 3600.into()]),
                    "TOK-03",
                ),
                Level::Profile,
            ));
            if !sent.openid {
                out.push(with_level(
                    assert("json id_token", "absent", true, "IDT-02"),
                    Level::Profile,
                ));
            } else {
                // OIDC Core §2: azp, when present, is the client the code
                // was issued to (the `login` step's).
                out.push(optional(assert(
                    "id_token azp",
                    "equals",
                    "{{ login.client_id }}",
                    "IDT-10",
                )));
            }
        }
        _ => {}
    }
    out
}

/// The JSON error body of RFC 6749 §5.2, with a registered code and
/// description characters of Appendix A.
pub fn error_body() -> Vec<Table> {
    vec![
        assert("body", "json_object", true, "ERR-01"),
        assert("error", "one_of", strs(TOKEN_ERRORS), "ERR-02"),
        optional(assert("error_description", "charset", true, "ERR-03")),
    ]
}

/// Any answer but a server error (RFC 6749 §5.2 errors are 4xx).
fn no_server_error() -> Table {
    assert(
        "status",
        "between",
        Value::Array(vec![100.into(), 499.into()]),
        "ERR-01",
    )
}

/// A status an HTTP layer in front of the issuer gives.
fn http_layer() -> Table {
    let statuses = HTTP_LAYER.iter().map(|s| Value::Integer(*s)).collect();
    assert("status", "one_of", Value::Array(statuses), "ERR-01")
}

/// The error body, unless the answer is one an HTTP layer gives.
fn error_body_unless_http_layer() -> Table {
    any(
        vec![vec![http_layer()], error_body()],
        &["ERR-01", "ERR-02", "ERR-03"],
    )
}

/// No 5xx, and any 400 or 401 an RFC 6749 error body.
pub fn open_json() -> Vec<Table> {
    let mut refused = vec![assert("status", "one_of", ints(&[400, 401]), "ERR-01")];
    refused.extend(error_body());
    vec![
        no_server_error(),
        any(
            vec![
                vec![assert(
                    "status",
                    "between",
                    Value::Array(vec![200.into(), 399.into()]),
                    "ERR-01",
                )],
                vec![http_layer()],
                refused,
            ],
            &["ERR-01", "ERR-02", "ERR-03"],
        ),
    ]
}

/// Failed client authentication (RFC 6749 §5.2): `invalid_client`, and a
/// Basic challenge on a 401 to a request that used Basic.
fn unauthenticated(row: &str, basic: bool) -> Vec<Table> {
    let mut out = vec![
        assert("json access_token", "absent", true, row),
        assert("json active", "absent", true, row),
        assert("error", "one_of", strs(&["invalid_client"]), row),
    ];
    out.extend(error_body());
    match basic {
        // The client used the Authorization header: 401 and a challenge
        // of its scheme (RFC 6749 §5.2).
        true => out.extend([
            assert("status", "equals", 401, "CAUTH-02"),
            assert("challenge", "includes", "basic", "CAUTH-02"),
        ]),
        false => out.push(assert("status", "one_of", ints(&[400, 401]), row)),
    }
    out
}

/// Introspection refused for want of client credentials: 401 and nothing
/// about the token (RFC 7662 §2.1, §2.3).
fn introspection_refused(row: &str) -> Vec<Table> {
    vec![
        assert("status", "equals", 401, row),
        assert("json active", "absent", true, row),
        assert("json sub", "absent", true, row),
    ]
}

/// No token, no active token, no claims, and no server error.
fn not_granted(row: &str) -> Vec<Table> {
    vec![
        no_server_error(),
        assert("json access_token", "absent", true, row),
        assert("json refresh_token", "absent", true, row),
        assert("json sub", "absent", true, row),
        optional(assert("json active", "equals", false, row)),
    ]
}

fn not_200(row: &str) -> Vec<Table> {
    vec![
        assert(
            "status",
            "between",
            Value::Array(vec![300.into(), 499.into()]),
            row,
        ),
        assert("json access_token", "absent", true, row),
        assert("json sub", "absent", true, row),
    ]
}

/// Introspection (RFC 7662).
pub fn introspect(d: &Demand, sent: Sent) -> Vec<Table> {
    match d {
        Demand::Accept => vec![
            assert("status", "equals", 200, "INTR-02"),
            assert("json active", "equals", true, "INTR-02"),
        ],
        Demand::Rule(r) => match r.how {
            How::Inactive => vec![
                assert("status", "equals", 200, r.row),
                assert("json active", "equals", false, r.row),
            ],
            How::IntrospectionRefused => introspection_refused(r.row),
            How::Unauthenticated => unauthenticated(r.row, sent.basic),
            How::NotGranted => not_granted(r.row),
            _ => not_200(r.row),
        },
        Demand::Open => open_json(),
    }
}

/// Revocation (RFC 7009 §2.2): 200 for a valid request, also for a token
/// that is invalid or unknown.
pub fn revoke(d: &Demand, sent: Sent) -> Vec<Table> {
    match d {
        Demand::Accept => vec![assert("status", "equals", 200, "REV-01")],
        Demand::Rule(r) => match r.how {
            How::RevokeOk => vec![assert("status", "equals", 200, r.row)],
            How::Unauthenticated => unauthenticated(r.row, sent.basic),
            // Another client's revocation: any answer; the follow-up judges.
            How::StillValid => open_json(),
            How::NotGranted => not_granted(r.row),
            _ => not_200(r.row),
        },
        Demand::Open => open_json(),
    }
}

/// Userinfo (OIDC Core §5.3, RFC 6750 §3).
pub fn userinfo(d: &Demand) -> Vec<Table> {
    match d {
        Demand::Accept => vec![
            assert("status", "equals", 200, "BEAR-01"),
            assert("json sub", "present", true, "BEAR-01"),
        ],
        Demand::Rule(r) => match r.how {
            How::BearerRefused => {
                let status = assert("status", "equals", 401, r.row);
                let challenge = assert("challenge", "includes", "bearer", "BEAR-03");
                let syntax = assert("challenge", "well_formed", true, "BEAR-08");
                vec![with_level(status, r.level), challenge, syntax]
            }
            How::NotGranted => not_granted(r.row),
            _ => not_200(r.row),
        },
        Demand::Open => vec![no_server_error()],
    }
}

/// The authorization step: the outcome the demand calls for, with state
/// (and iss, when the issuer advertises it) echoed on every redirect.
pub fn authorize(d: &Demand, state: Option<&str>, iss: bool) -> Vec<Table> {
    let echoed = |out: &mut Vec<Table>, row: &str, iss_row: &str| {
        if let Some(st) = state.filter(|s| !s.is_empty()) {
            out.push(assert("param state", "equals", st, row));
        }
        if iss {
            out.push(assert(
                "param iss",
                "equals",
                "{{ issuer.issuer }}",
                iss_row,
            ));
        }
    };
    let mut out = Vec::new();
    match d {
        Demand::Accept => {
            out.push(assert("outcome", "equals", "code", "AUTHZ-01"));
            // response_type=code returns a code and nothing else.
            out.push(assert("param access_token", "absent", true, "AUTHZ-01"));
            // The default challenge cannot be read out of the code (a
            // challenge the input changed is simply not found there).
            out.push(assert(
                "param code",
                "lacks",
                "{{ gen.verifier | s256 }}",
                "PKCE-11",
            ));
            echoed(&mut out, "AUTHZ-10", "ISS-01");
            if !iss {
                // RFC 9207 §3: not advertised, not sent (ISS-03).
                out.push(assert("param iss", "absent", true, "ISS-03"));
            }
            if state.is_none() {
                out.push(assert("param state", "absent", true, "AUTHZ-10"));
            }
        }
        Demand::Rule(r) => match r.how {
            How::Accepted => {
                out.push(assert("outcome", "equals", "code", r.row));
                echoed(&mut out, "AUTHZ-10", "ISS-01");
            }
            How::NoRedirect => out.push(assert("outcome", "equals", "no_redirect", r.row)),
            How::AuthzError(codes) => {
                out.push(assert("outcome", "equals", "error", r.row));
                out.push(assert("error", "one_of", strs(codes), r.row));
                out.push(optional(assert(
                    "error_description",
                    "charset",
                    true,
                    "ERR-03",
                )));
                echoed(&mut out, "ERR-04", "ISS-02");
            }
            _ => out.push(assert(
                "outcome",
                "one_of",
                strs(&["error", "no_redirect"]),
                r.row,
            )),
        },
        // Any outcome, but a redirect (code or error) echoes state, and an
        // error redirect names a registered code.
        Demand::Open => {
            let mut redirected = vec![assert(
                "outcome",
                "one_of",
                strs(&["code", "error"]),
                "ERR-04",
            )];
            if let Some(st) = state.filter(|s| !s.is_empty()) {
                redirected.push(assert("param state", "equals", st, "ERR-04"));
            }
            let mut error = redirected.clone();
            error.push(assert(
                "error",
                "one_of",
                strs(AUTHORIZATION_ERRORS),
                "ERR-02",
            ));
            redirected.push(assert("outcome", "equals", "code", "ERR-04"));
            let nothing = vec![assert("outcome", "equals", "no_redirect", "ERR-04")];
            out.push(any(vec![nothing, redirected, error], &["ERR-02", "ERR-04"]));
        }
    }
    out
}

/// The discovery document (RFC 8414, OIDC Discovery): what the suite's
/// discovery scenarios check, held here against every issuer the fuzzer
/// meets, since every other answer is judged against it.
pub fn metadata(oidc: bool, auth_methods: &[&str]) -> Vec<Table> {
    let mut out = vec![
        assert("status", "equals", 200, "DISC-01"),
        assert(
            "header content-type",
            "contains",
            "application/json",
            "DISC-01",
        ),
        assert("body", "json_object", true, "DISC-01"),
        assert("json issuer", "equals", "{{ issuer.issuer }}", "DISC-02"),
        assert("body", "well_formed_metadata", true, "DISC-07"),
        with_level(
            assert(
                "json code_challenge_methods_supported",
                "includes",
                "S256",
                "DISC-04",
            ),
            Level::Profile,
        ),
        with_level(
            assert(
                "json code_challenge_methods_supported",
                "excludes",
                "plain",
                "DISC-04",
            ),
            Level::Profile,
        ),
    ];
    for rt in ["token", "id_token token", "code token"] {
        out.push(with_level(
            assert("json response_types_supported", "excludes", rt, "DISC-05"),
            Level::Profile,
        ));
    }
    if oidc {
        out.push(assert(
            "json subject_types_supported",
            "present",
            true,
            "DISC-03",
        ));
        out.push(optional(assert(
            "json scopes_supported",
            "includes",
            "openid",
            "DISC-06",
        )));
    }
    // Absent, the member means client_secret_basic (RFC 8414 §2).
    for m in auth_methods {
        let a = assert(
            "json token_endpoint_auth_methods_supported",
            "includes",
            *m,
            "DISC-09",
        );
        out.push(match *m {
            "client_secret_basic" => optional(a),
            _ => a,
        });
    }
    out
}

/// The JWKS: public keys only (JWKS-02).
pub fn jwks() -> Vec<Table> {
    vec![
        assert("status", "equals", 200, "JWKS-01"),
        assert("body", "public_keys_only", true, "JWKS-02"),
        assert("body", "strong_keys", true, "JWKS-04"),
        with_level(
            assert("body", "distinct_keys", true, "JWKS-03"),
            Level::Should,
        ),
    ]
}

/// What no response may hold as sent: a reflected marker (markup echoed
/// unescaped), the client's secret, the user's password, the PKCE
/// verifier. RFC 9700 and OAuth 2.1 (§7.12) count these as leaks.
pub fn no_echo(input: &Input, client: &ClientShape, user: Option<&str>) -> Vec<Table> {
    let lacks = |text: String, row: &str, level: Level| {
        with_level(assert("body", "lacks", text, row), level)
    };
    let mut out: Vec<Table> = input
        .mutations
        .iter()
        .filter(|m| m.op == Op::Reflect)
        .map(|m| lacks(grammar::marker(m.arg), "ERR-05", Level::Should))
        .collect();
    if client.confidential && input.flow != Flow::Metadata {
        out.push(lacks(
            format!("{{{{ clients.{}.secret }}}}", client.role),
            "ERR-05",
            Level::Should,
        ));
    }
    if let (Flow::Authorize, Some(u)) = (input.flow, user) {
        out.push(lacks(
            format!("{{{{ users.{u}.password }}}}"),
            "ERR-05",
            Level::Should,
        ));
    }
    // Only the verifier as issued: a mutated one quoted back in an error
    // says nothing about whether the real one can be read anywhere.
    let verifier_mutated = input.mutations.iter().any(|m| {
        m.param.as_deref() == Some("code_verifier")
            || matches!(m.op, Op::VerifierSyntax | Op::VerifierBounds)
    });
    if input.flow == Flow::Code && !verifier_mutated {
        out.push(lacks("{{ login.verifier }}".into(), "PKCE-11", Level::Must));
    }
    out
}
