//! What the protocol demands of a mutated request: the fuzzer's oracle for
//! the probed step, derived from what each mutation changed. The generic
//! oracles (no 5xx, RFC 6749 error bodies, headers) come on top, in
//! [`super::oracle`].

use super::grammar::{self, Role};
use super::input::{Flow, Input, Mutation, Op};
use super::surface::{ClientShape, Surface};
use crate::scenario::Level;

/// How a refusal shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum How {
    /// A token-endpoint style refusal: one of these statuses, no token,
    /// and (when the list is not empty) one of these error codes.
    Error {
        status: &'static [u16],
        errors: &'static [&'static str],
    },
    /// Client authentication failed: `invalid_client`, with 401 and a
    /// `WWW-Authenticate: Basic` challenge when Basic was used (RFC 6749
    /// §5.2), 400 or 401 otherwise.
    Unauthenticated,
    /// Introspection without valid client credentials: 401 and no token
    /// metadata (RFC 7662 §2.1, §2.3).
    IntrospectionRefused,
    /// The authorization request is not redirected at all.
    NoRedirect,
    /// An error redirect with one of these codes (state and iss echoed).
    AuthzError(&'static [&'static str]),
    /// Anything but a code.
    NotCode,
    /// Introspection answers 200 `active: false`.
    Inactive,
    /// Revocation answers 200 (RFC 7009 §2.2: invalid tokens are no error).
    RevokeOk,
    /// Userinfo answers 401 with a Bearer challenge.
    BearerRefused,
    /// The request succeeds once; the same request again is refused.
    OnceOnly,
    /// Of concurrent identical requests exactly one succeeds.
    ExactlyOne,
    /// Revocation by another client: the token still works afterwards.
    StillValid,
    /// The probed request must not answer 200.
    Not200,
    /// Granted like the unmutated request (a variation the specs allow).
    Accepted,
    /// Nothing is granted: no token, no `active: true`, no claims; any
    /// refusal will do.
    NotGranted,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub how: How,
    pub row: &'static str,
    pub level: Level,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Demand {
    /// It must succeed like the unmutated request.
    Accept,
    /// A rule decides the answer: most often a refusal in a given form,
    /// sometimes a success the specs require of a variation (a loopback
    /// port, RFC 8252).
    Rule(Rule),
    /// The specs leave the outcome open: the generic oracles only.
    Open,
}

fn refuse(how: How, row: &'static str, level: Level) -> Demand {
    Demand::Rule(Rule { how, row, level })
}

fn must(how: How, row: &'static str) -> Demand {
    refuse(how, row, Level::Must)
}

const ANY: &[&str] = &[];
const BAD_REQUEST: &[u16] = &[400];
const CLIENT_ERROR: &[u16] = &[400, 401];

/// What the protocol demands of `input`'s probed request: the demand of
/// each mutation, combined.
pub fn demand(input: &Input, s: &Surface) -> Demand {
    let Some(client) = s.client(&input.client) else {
        return Demand::Open;
    };
    let demands: Vec<Demand> = input
        .mutations
        .iter()
        .map(|m| one(m, input.flow, client, s))
        .collect();
    combine(input.flow, demands)
}

/// Several demands at once. The issuer checks parameters in an order of
/// its own and the first problem decides the answer, so only a single
/// refusal keeps its exact form (status, error code, follow-ups). Several
/// refusals, or a refusal next to a mutation the specs leave open (another
/// Content-Type may be refused first), only demand that nothing is
/// granted, at the weakest of their levels. A sequence (a replay, a race)
/// next to an open mutation is not judged: its first request may fail.
fn combine(flow: Flow, demands: Vec<Demand>) -> Demand {
    // A variation that must be accepted, next to others, is just accepted:
    // the others decide.
    let demands: Vec<Demand> = match demands.len() {
        1 => demands,
        _ => demands
            .into_iter()
            .map(|d| match d {
                Demand::Rule(r) if r.how == How::Accepted => Demand::Accept,
                d => d,
            })
            .collect(),
    };
    let open = demands.contains(&Demand::Open);
    let refusals: Vec<&Rule> = demands
        .iter()
        .filter_map(|d| match d {
            Demand::Rule(r) => Some(r),
            _ => None,
        })
        .collect();
    let sequence = refusals
        .iter()
        .any(|r| matches!(r.how, How::OnceOnly | How::ExactlyOne | How::StillValid));
    match refusals.as_slice() {
        [] if open => Demand::Open,
        [] => Demand::Accept,
        [one] if !open => Demand::Rule((*one).clone()),
        _ if sequence && open => Demand::Open,
        many => {
            let level = many
                .iter()
                .map(|r| r.level)
                .max_by_key(|l| weakness(*l))
                .unwrap_or(Level::Must);
            let how = match flow {
                Flow::Authorize => How::NotCode,
                _ => How::NotGranted,
            };
            refuse(how, many[0].row, level)
        }
    }
}

fn weakness(l: Level) -> u8 {
    match l {
        Level::Setup | Level::Must => 0,
        Level::Profile => 1,
        Level::Should => 2,
    }
}

/// One mutation's demand.
fn one(m: &Mutation, flow: Flow, client: &ClientShape, s: &Surface) -> Demand {
    if m.op.takes_param() && flow != Flow::Userinfo {
        let params = grammar::params(flow, client);
        return match params.iter().find(|p| Some(p.name) == m.param.as_deref()) {
            Some(p) => layered(m.op, on_param(p.role, p.name, m, flow, client, s)),
            None => Demand::Open,
        };
    }
    on_request(m, flow, client, s)
}

/// Thousands of characters in an authorization URL may be refused by a
/// proxy in front of the issuer (414, 431) before any error redirect can
/// be made: only "no code" is demanded then.
fn layered(op: Op, d: Demand) -> Demand {
    match d {
        Demand::Rule(r) if op == Op::Overlong && matches!(r.how, How::AuthzError(_)) => {
            refuse(How::NotCode, r.row, r.level)
        }
        d => d,
    }
}

/// Whether the operation changes the value (rather than removing it).
fn changes_value(op: Op) -> bool {
    matches!(
        op,
        Op::Tamper | Op::Recase | Op::Chop | Op::Extend | Op::Percent | Op::Overlong | Op::Reflect
    )
}

/// Whether the operation leaves the parameter out (or empty, which
/// RFC 6749 §3.1 says to treat as omitted).
fn removes(op: Op) -> bool {
    matches!(op, Op::Drop | Op::Empty | Op::RecaseName)
}

fn on_param(
    role: Role,
    name: &str,
    m: &Mutation,
    flow: Flow,
    client: &ClientShape,
    s: &Surface,
) -> Demand {
    let op = m.op;
    if op == Op::Duplicate {
        return match flow {
            Flow::Authorize => refuse(How::NotCode, "AUTHZ-09", Level::Must),
            Flow::Code | Flow::Refresh | Flow::Credentials => must(
                How::Error {
                    status: CLIENT_ERROR,
                    errors: ANY,
                },
                "TOK-09",
            ),
            _ => Demand::Open,
        };
    }
    match role {
        Role::Kind if flow == Flow::Authorize => match removes(op) {
            true => must(
                How::AuthzError(&["invalid_request", "unsupported_response_type"]),
                "AUTHZ-03",
            ),
            false => must(
                How::AuthzError(&["unsupported_response_type", "invalid_request"]),
                "AUTHZ-03",
            ),
        },
        Role::Kind => match removes(op) {
            true => must(
                How::Error {
                    status: BAD_REQUEST,
                    errors: &["invalid_request", "unsupported_grant_type"],
                },
                "TOK-06",
            ),
            false => must(
                How::Error {
                    status: BAD_REQUEST,
                    errors: &["unsupported_grant_type", "invalid_request"],
                },
                "TOK-07",
            ),
        },
        Role::Bound => bound(name, op, flow, client),
        Role::Secret => must(
            How::Unauthenticated,
            if removes(op) { "CAUTH-04" } else { "CAUTH-03" },
        ),
        Role::TokenRedirect if changes_value(op) => must(
            How::Error {
                status: BAD_REQUEST,
                errors: &["invalid_grant", "invalid_request"],
            },
            "RURI-06",
        ),
        Role::TokenRedirect if s.policy("rfc6749") && !client.oauth21_only => must(
            How::Error {
                status: BAD_REQUEST,
                errors: &["invalid_grant", "invalid_request"],
            },
            "RURI-07",
        ),
        Role::TokenRedirect => Demand::Open,
        Role::Redirect if changes_value(op) => must(How::NoRedirect, "RURI-02"),
        Role::Redirect => Demand::Open,
        // Whether client ids compare case-sensitively the specs do not say.
        Role::ClientId if op == Op::Recase => Demand::Open,
        Role::ClientId => must(How::NoRedirect, "AUTHZ-05"),
        Role::Challenge => match op {
            // Another well-formed challenge: the code is issued (and would
            // not redeem with the original verifier).
            Op::Tamper | Op::Recase => Demand::Accept,
            _ if changes_value(op) => refuse(
                How::AuthzError(&["invalid_request"]),
                "PKCE-10",
                Level::Should,
            ),
            _ if s.pkce_required(client) => {
                let level = if client.confidential {
                    Level::Profile
                } else {
                    Level::Must
                };
                refuse(How::AuthzError(&["invalid_request"]), "PKCE-04", level)
            }
            _ => Demand::Open,
        },
        Role::Method if removes(op) => refuse(
            How::AuthzError(&["invalid_request"]),
            "PKCE-06",
            Level::Profile,
        ),
        Role::Method => must(How::AuthzError(&["invalid_request"]), "PKCE-07"),
        Role::State => match op {
            Op::Overlong | Op::Empty => Demand::Open,
            Op::Drop | Op::RecaseName if s.policy("state_required") => refuse(
                How::AuthzError(&["invalid_request"]),
                "AUTHZ-10",
                Level::Profile,
            ),
            _ => Demand::Accept,
        },
        Role::IntrospectToken if changes_value(op) => must(How::Inactive, "INTR-03"),
        Role::RevokeToken if changes_value(op) => must(How::RevokeOk, "REV-04"),
        Role::IntrospectToken | Role::RevokeToken | Role::Optional => Demand::Open,
    }
}

const GRANT_OR_REQUEST: &[&str] = &["invalid_grant", "invalid_request"];

/// A change to a value bound to the material.
fn bound(name: &str, op: Op, flow: Flow, client: &ClientShape) -> Demand {
    let grant = How::Error {
        status: CLIENT_ERROR,
        errors: &["invalid_grant", "invalid_request", "invalid_client"],
    };
    match (name, removes(op)) {
        // A malformed value may also be called a malformed request.
        ("code", false) => bad(GRANT_OR_REQUEST, "CODE-07"),
        ("code", true) => bad(GRANT_OR_REQUEST, "TOK-06"),
        ("code_verifier", false) => bad(GRANT_OR_REQUEST, "PKCE-02"),
        ("code_verifier", true) => bad(GRANT_OR_REQUEST, "PKCE-03"),
        ("refresh_token", _) => bad(GRANT_OR_REQUEST, "RT-09"),
        ("client_id", _) if op == Op::Recase => Demand::Open,
        ("client_id", _) if client.confidential => must(How::Unauthenticated, "CAUTH-03"),
        ("client_id", _) if flow == Flow::Code => must(grant, "CODE-05"),
        ("client_id", _) => must(grant, "RT-05"),
        _ => Demand::Open,
    }
}

/// A token-endpoint refusal with status 400 and one of `errors`, a MUST.
fn bad(errors: &'static [&'static str], row: &'static str) -> Demand {
    must(
        How::Error {
            status: BAD_REQUEST,
            errors,
        },
        row,
    )
}

/// An authorization error redirect with one of `errors`.
fn authz(errors: &'static [&'static str], row: &'static str, level: Level) -> Demand {
    refuse(How::AuthzError(errors), row, level)
}

fn on_request(m: &Mutation, flow: Flow, client: &ClientShape, s: &Surface) -> Demand {
    if flow == Flow::Authorize {
        return on_authorize_request(m);
    }
    let auth_row = match (flow, client.basic) {
        (Flow::Introspect, _) => "INTR-01",
        (Flow::Revoke, _) => "REV-05",
        (_, true) if m.op == Op::WrongSecret => "CAUTH-02",
        (_, false) if m.op == Op::WrongSecret => "CAUTH-03",
        _ => "CAUTH-04",
    };
    match (m.op, flow) {
        (Op::Unknown | Op::WrongHint | Op::RevokeAccess, _) => Demand::Accept,
        (Op::MethodGet, _) => refuse(
            How::Error {
                status: &[400, 405],
                errors: ANY,
            },
            "TOK-05",
            Level::Should,
        ),
        (Op::WrongSecret | Op::AuthNone | Op::AuthOmit, Flow::Introspect) => {
            must(How::IntrospectionRefused, auth_row)
        }
        (Op::WrongSecret | Op::AuthNone | Op::AuthOmit, _) => must(How::Unauthenticated, auth_row),
        (Op::OtherClient, Flow::Code) => bad(&["invalid_grant"], "CODE-04"),
        (Op::OtherClient, Flow::Refresh) => bad(&["invalid_grant"], "RT-05"),
        (Op::OtherClient, Flow::Revoke) => must(How::StillValid, "REV-06"),
        (Op::Replay, Flow::Code) => must(How::OnceOnly, "CODE-01"),
        (Op::Replay, Flow::Refresh) => must(How::OnceOnly, "RT-03"),
        (Op::Race, _) => must(How::ExactlyOne, "CODE-08"),
        (Op::WidenScope, _) => bad(&["invalid_scope"], "RT-06"),
        (Op::AccessAsRefresh, _) => bad(&["invalid_grant"], "RT-09"),
        (Op::VerifierBounds, _) => must(How::Accepted, "PKCE-01"),
        (Op::OtherRedirect, _) => bad(&["invalid_grant", "invalid_request"], "RURI-06"),
        (Op::VerifierSyntax, _) => {
            let how = How::Error {
                status: BAD_REQUEST,
                errors: &["invalid_request", "invalid_grant"],
            };
            refuse(how, "PKCE-09", Level::Should)
        }
        (Op::GrantSwap, _) => {
            const NOT_YOURS: &[&str] = &[
                "unauthorized_client",
                "unsupported_grant_type",
                "invalid_grant",
                "invalid_client",
                "invalid_request",
            ];
            must(
                How::Error {
                    status: CLIENT_ERROR,
                    errors: NOT_YOURS,
                },
                "CC-04",
            )
        }
        // RFC 6750 §2.3 only advised against it; OAuth 2.1 §5.1 forbids it.
        (Op::QueryToken, _) if s.policy("rfc6749") => refuse(How::Not200, "BEAR-06", Level::Should),
        (Op::QueryToken, _) => must(How::Not200, "BEAR-06"),
        (Op::NoToken, _) => must(How::BearerRefused, "BEAR-03"),
        (Op::Tamper | Op::Chop, Flow::Userinfo) => {
            refuse(How::BearerRefused, "BEAR-04", Level::Should)
        }
        _ => Demand::Open,
    }
}

fn on_authorize_request(m: &Mutation) -> Demand {
    let arg = m.arg as usize;
    const INVALID: &[&str] = &["invalid_request"];
    match m.op {
        Op::Unknown => Demand::Accept,
        Op::Uri => must(How::NoRedirect, "RURI-02"),
        // RFC 8252 §7.3: a loopback redirect URI's port is the client's to pick.
        Op::LoopbackPort => must(How::Accepted, "RURI-08"),
        Op::ChallengeMethod => match grammar::METHODS[arg % grammar::METHODS.len()] {
            "plain" => authz(INVALID, "PKCE-05", Level::Profile),
            "" => authz(INVALID, "PKCE-06", Level::Profile),
            _ => authz(INVALID, "PKCE-07", Level::Must),
        },
        Op::ChallengeShape => authz(INVALID, "PKCE-10", Level::Should),
        Op::ResponseType => match grammar::RESPONSE_TYPES[arg % grammar::RESPONSE_TYPES.len()] {
            "foo" | "CODE" => authz(
                &["unsupported_response_type", "invalid_request"],
                "AUTHZ-03",
                Level::Must,
            ),
            _ => authz(
                &[
                    "unsupported_response_type",
                    "unauthorized_client",
                    "invalid_request",
                ],
                "AUTHZ-04",
                Level::Profile,
            ),
        },
        Op::RequestObject => authz(
            &[
                "request_not_supported",
                "invalid_request",
                "invalid_request_object",
            ],
            "DISC-10",
            Level::Should,
        ),
        _ => Demand::Open,
    }
}

/// A `must` refusal's own level: the scenario loader refuses a step that
/// weighs more than its row.
pub fn step_level(d: &Demand) -> Level {
    match d {
        Demand::Rule(r) => r.level,
        _ => Level::Must,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::generate::tests::surface;

    fn input(flow: Flow, client: &str, ms: &[(Op, Option<&str>)]) -> Input {
        Input {
            flow,
            client: client.into(),
            user: None,
            mutations: ms
                .iter()
                .map(|(op, p)| Mutation {
                    op: *op,
                    param: p.map(str::to_string),
                    arg: 0,
                })
                .collect(),
        }
    }

    fn rule(d: Demand) -> Rule {
        match d {
            Demand::Rule(r) => r,
            other => panic!("not a rule: {other:?}"),
        }
    }

    #[test]
    fn one_mutation_keeps_its_exact_form() {
        let s = surface();
        let r = rule(demand(
            &input(Flow::Code, "a1", &[(Op::Tamper, Some("code"))]),
            &s,
        ));
        assert_eq!((r.row, r.level), ("CODE-07", Level::Must));
        assert_eq!(
            r.how,
            How::Error {
                status: BAD_REQUEST,
                errors: &["invalid_grant", "invalid_request"]
            }
        );
        assert_eq!(
            demand(&input(Flow::Code, "a1", &[(Op::Unknown, None)]), &s),
            Demand::Accept
        );
        assert_eq!(
            demand(&input(Flow::Code, "a1", &[(Op::ContentType, None)]), &s),
            Demand::Open
        );
    }

    #[test]
    fn several_refusals_only_demand_nothing_granted_at_the_weakest_level() {
        let s = surface();
        let two = input(
            Flow::Code,
            "a1",
            &[(Op::Chop, Some("code")), (Op::MethodGet, None)],
        );
        let r = rule(demand(&two, &s));
        assert_eq!((r.how, r.level), (How::NotGranted, Level::Should));
        let authz = input(
            Flow::Authorize,
            "a1",
            &[
                (Op::Tamper, Some("client_id")),
                (Op::Drop, Some("response_type")),
            ],
        );
        assert_eq!(rule(demand(&authz, &s)).how, How::NotCode);
    }

    #[test]
    fn an_open_mutation_weakens_a_refusal_and_voids_a_sequence() {
        let s = surface();
        let weak = input(
            Flow::Code,
            "a1",
            &[(Op::Tamper, Some("code_verifier")), (Op::ContentType, None)],
        );
        assert_eq!(rule(demand(&weak, &s)).how, How::NotGranted);
        let seq = input(
            Flow::Code,
            "a1",
            &[(Op::Replay, None), (Op::ContentType, None)],
        );
        assert_eq!(demand(&seq, &s), Demand::Open);
    }

    #[test]
    fn policy_and_client_shape_decide_what_is_required() {
        let mut s = surface();
        let drop = |c: &str| input(Flow::Authorize, c, &[(Op::Drop, Some("code_challenge"))]);
        assert_eq!(rule(demand(&drop("p9"), &s)).level, Level::Must);
        assert_eq!(demand(&drop("a1"), &s), Demand::Open);
        s.policies.insert("pkce_confidential".into());
        assert_eq!(rule(demand(&drop("a1"), &s)).level, Level::Profile);
        let omit = input(Flow::Code, "a1", &[(Op::Drop, Some("redirect_uri"))]);
        assert_eq!(rule(demand(&omit, &s)).row, "RURI-07");
        s.policies.remove("rfc6749");
        assert_eq!(demand(&omit, &s), Demand::Open);
    }
}
