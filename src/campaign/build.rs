//! An input made a scenario file: the steps that obtain the flow's
//! material, the probed request with its mutations, the follow-ups the
//! demand needs, and the oracles on each. The text goes through the
//! scenario loader like any suite file, so a finding replays with
//! `grantcheck run --suites` exactly as the fuzzer ran it.

use std::collections::BTreeSet;

use toml::{Table, Value};

use super::effect::{self, Demand, How};
use super::grammar::{self, Param, Value as PValue};
use super::input::{Flow, Input, Mutation, Op};
use super::oracle::{self, Sent};
use super::surface::{ClientShape, Surface};
use crate::scenario::template::Filter;

/// Why an input cannot be built on this surface.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("the profile has no client `{0}`")]
    NoClient(String),
    #[error("the profile has no user to log in")]
    NoUser,
}

/// The scenario text of `input`, with the id `id`.
pub fn scenario(id: &str, title: &str, input: &Input, s: &Surface) -> Result<String, BuildError> {
    let client = s
        .client(&input.client)
        .ok_or_else(|| BuildError::NoClient(input.client.clone()))?;
    let user = match input.flow {
        Flow::Credentials => None,
        _ => Some(
            input
                .user
                .clone()
                .or_else(|| s.first_user().map(str::to_string))
                .ok_or(BuildError::NoUser)?,
        ),
    };
    let demand = effect::demand(input, s);
    let steps = steps(input, client, user.as_deref(), &demand, s);
    let mut doc = Table::new();
    doc.insert("id".into(), id.into());
    doc.insert("title".into(), title.into());
    doc.insert("description".into(), description(input, &demand).into());
    doc.insert(
        "covers".into(),
        covers(&steps)
            .into_iter()
            .map(Value::from)
            .collect::<Vec<_>>()
            .into(),
    );
    doc.insert(
        "tags".into(),
        Value::Array(vec!["fuzz".into(), input.flow.name().into()]),
    );
    doc.insert(
        "step".into(),
        Value::Array(steps.into_iter().map(Value::Table).collect()),
    );
    Ok(toml::to_string(&doc).expect("a table of strings, arrays and tables serializes"))
}

fn description(input: &Input, d: &Demand) -> String {
    let want = match d {
        Demand::Accept => "succeed like the unmutated request".to_string(),
        Demand::Open => {
            "be answered without a server error, any refusal as an RFC 6749 error".to_string()
        }
        Demand::Rule(r) => format!("meet {} ({:?})", r.row, r.how),
    };
    format!(
        "Found by `grantcheck fuzz`: the {} flow as `{}` with {}. The protocol demands that the probed request {want}.",
        input.flow.name(),
        input.client,
        input.label().split_once(": ").map(|x| x.1).unwrap_or("no mutation"),
    )
}

/// Every row the steps' assertions name: the scenario's `covers`.
fn covers(steps: &[Table]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for st in steps {
        if st.get("expect").and_then(|e| e.get("id_token")).is_some() {
            out.extend(["IDT-01", "IDT-03", "IDT-05"].map(String::from));
        }
        for a in st
            .get("assert")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_covers(a, &mut out);
        }
    }
    out
}

fn collect_covers(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Table(t) => {
            for (k, x) in t {
                match k.as_str() {
                    "covers" => out.extend(
                        x.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|c| c.as_str().map(str::to_string)),
                    ),
                    _ => collect_covers(x, out),
                }
            }
        }
        Value::Array(xs) => xs.iter().for_each(|x| collect_covers(x, out)),
        _ => {}
    }
}

fn step(name: &str, level: &str, action: &str, body: Table, asserts: Vec<Table>) -> Table {
    let mut t = Table::new();
    t.insert("name".into(), name.into());
    t.insert("level".into(), level.into());
    t.insert(action.into(), Value::Table(body));
    if !asserts.is_empty() {
        t.insert(
            "assert".into(),
            Value::Array(asserts.into_iter().map(Value::Table).collect()),
        );
    }
    t
}

fn table(pairs: &[(&str, Value)]) -> Table {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// The login that obtains a code, and (for flows past the exchange) the
/// exchange that obtains tokens: setup steps, whose failure is an error.
fn material(input: &Input, client: &ClientShape, user: &str) -> Vec<Table> {
    let mut login = table(&[
        ("client", client.role.as_str().into()),
        ("user", user.into()),
    ]);
    if client.openid {
        login.insert("nonce".into(), "{{ gen.nonce }}".into());
    }
    let login_expect = vec![oracle::assert("outcome", "equals", "code", "AUTHZ-01")];
    let mut out = vec![step("login", "setup", "authorize", login, login_expect)];
    if input.flow != Flow::Code {
        let first = table(&[
            ("from", "login".into()),
            ("client", client.role.as_str().into()),
        ]);
        let mut expect = vec![oracle::assert("status", "equals", 200, "TOK-01")];
        if matches!(input.flow, Flow::Refresh | Flow::Revoke) {
            expect.push(oracle::assert(
                "json refresh_token",
                "present",
                true,
                "TOK-01",
            ));
        }
        out.push(step("first", "setup", "token", first, expect));
    }
    out
}

fn steps(
    input: &Input,
    client: &ClientShape,
    user: Option<&str>,
    d: &Demand,
    s: &Surface,
) -> Vec<Table> {
    let mut out = match (input.flow, user) {
        (Flow::Authorize | Flow::Credentials | Flow::Metadata, _) | (_, None) => Vec::new(),
        (_, Some(u)) => material(input, client, u),
    };
    // A verifier outside the grammar is the login's: its challenge goes to
    // the authorization endpoint, itself to the token endpoint.
    if let Some(m) = input
        .mutations
        .iter()
        .find(|m| matches!(m.op, Op::VerifierSyntax | Op::VerifierBounds))
    {
        let list = match m.op {
            Op::VerifierSyntax => grammar::BAD_VERIFIERS,
            _ => grammar::EDGE_VERIFIERS,
        };
        let bad = list[m.arg as usize % list.len()];
        if let Some(Value::Table(a)) = out.first_mut().and_then(|l| l.get_mut("authorize")) {
            a.insert("verifier".into(), bad.into());
        }
    }
    let level = effect::step_level(d).as_str();
    let sent = Sent {
        basic: client.basic
            && !input
                .mutations
                .iter()
                .any(|m| matches!(m.op, Op::AuthNone | Op::AuthOmit)),
        openid: client.openid,
    };
    let (action, body, mut asserts) = probe(input, client, user, d, s, sent);
    asserts.extend(oracle::no_echo(input, client, user));
    let mut probe = step("probe", level, action, body, asserts);
    if input.flow == Flow::Code && *d == Demand::Accept && client.openid {
        // The ID token verifies against the JWKS, names the client, and
        // carries the login's nonce (IDT-01, IDT-03, IDT-05).
        let idt = table(&[
            (
                "aud",
                format!("{{{{ clients.{}.id }}}}", client.role).into(),
            ),
            ("nonce", "{{ login.nonce }}".into()),
        ]);
        probe.insert(
            "expect".into(),
            Value::Table(table(&[("id_token", Value::Table(idt))])),
        );
    }
    out.push(probe);
    if input.flow == Flow::Metadata && s.offers("jwks") {
        let http = table(&[("url", "{{ issuer.jwks_uri }}".into())]);
        out.push(step("jwks", "must", "http", http, oracle::jwks()));
    }
    out.extend(follow_ups(input, client, d));
    out
}

/// The probed request: its action, its table, its assertions.
fn probe(
    input: &Input,
    client: &ClientShape,
    user: Option<&str>,
    d: &Demand,
    s: &Surface,
    sent: Sent,
) -> (&'static str, Table, Vec<Table>) {
    let role = client.role.as_str();
    let mut body = match input.flow {
        Flow::Authorize => table(&[
            ("client", role.into()),
            ("user", user.unwrap_or_default().into()),
            ("verifier", "{{ gen.verifier }}".into()),
            ("state", "{{ gen.state }}".into()),
        ]),
        Flow::Code => table(&[("from", "login".into()), ("client", role.into())]),
        Flow::Refresh => table(&[
            ("grant", "refresh_token".into()),
            ("refresh_token", "{{ first.refresh_token }}".into()),
            ("client", role.into()),
        ]),
        Flow::Credentials => table(&[
            ("grant", "client_credentials".into()),
            ("client", role.into()),
        ]),
        Flow::Introspect => table(&[
            ("token", "{{ first.access_token }}".into()),
            ("client", role.into()),
        ]),
        Flow::Revoke => table(&[
            ("token", "{{ first.refresh_token }}".into()),
            ("client", role.into()),
        ]),
        Flow::Userinfo => table(&[("token", "{{ first.access_token }}".into())]),
        Flow::Metadata => Table::new(),
    };
    let params = grammar::params(input.flow, client);
    let mut edits = Edits::default();
    for m in &input.mutations {
        apply(m, input.flow, client, s, &params, &mut body, &mut edits);
    }
    // The state the callback must echo: the one sent, changed or not.
    let state = match edits.remove.iter().any(|r| r == "state") {
        true => None,
        false => Some(
            edits
                .set
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or("{{ gen.state }}")
                .to_string(),
        ),
    };
    edits.write(&mut body, input.flow == Flow::Authorize);
    let asserts = match input.flow {
        Flow::Authorize => oracle::authorize(d, state.as_deref(), s.offers("iss")),
        Flow::Code | Flow::Refresh | Flow::Credentials => oracle::token(input.flow, d, sent),
        Flow::Introspect => oracle::introspect(d, sent),
        Flow::Revoke => oracle::revoke(d, sent),
        Flow::Userinfo => oracle::userinfo(d),
        Flow::Metadata => {
            let mut methods: Vec<&str> = s
                .clients
                .iter()
                .filter(|c| c.confidential)
                .map(|c| {
                    if c.basic {
                        "client_secret_basic"
                    } else {
                        "client_secret_post"
                    }
                })
                .collect();
            methods.sort();
            methods.dedup();
            oracle::metadata(s.offers("oidc"), &methods)
        }
    };
    let action = match input.flow {
        Flow::Authorize => "authorize",
        Flow::Code | Flow::Refresh | Flow::Credentials => "token",
        Flow::Introspect => "introspect",
        Flow::Revoke => "revoke",
        Flow::Userinfo => "userinfo",
        Flow::Metadata => "discovery",
    };
    (action, body, asserts)
}

/// `set`, `remove` and `append` of the probed request, and the names of
/// the parameters changed (an authorization step's `probe`).
#[derive(Default)]
struct Edits {
    set: Table,
    remove: Vec<String>,
    append: Vec<[String; 2]>,
    probed: BTreeSet<String>,
}

impl Edits {
    fn write(self, body: &mut Table, authorize: bool) {
        let list = |xs: Vec<String>| Value::Array(xs.into_iter().map(Value::from).collect());
        if !self.set.is_empty() {
            body.insert("set".into(), Value::Table(self.set));
        }
        if !self.remove.is_empty() {
            body.insert("remove".into(), list(self.remove));
        }
        if !self.append.is_empty() {
            let pairs = self.append.into_iter().map(|p| list(p.to_vec())).collect();
            body.insert("append".into(), Value::Array(pairs));
        }
        // The runner checks, before sending, that each probed parameter
        // really differs from what a conformant request sends.
        if authorize && !self.probed.is_empty() {
            body.insert("probe".into(), list(self.probed.into_iter().collect()));
        }
    }
}

/// An unsigned request object (`alg: none`, `{"iss":"grantcheck"}`): one an
/// issuer that does not support them must refuse, not ignore.
const UNSIGNED_REQUEST: &str = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJncmFudGNoZWNrIn0.";

/// The value of `p` after a value-changing `op`, as scenario text.
fn changed(p: &Param, op: Op, arg: usize) -> String {
    // One filter for both kinds of value: a template's, applied by the
    // runner, or a literal's, applied here.
    let filtered = |f: Filter, text: String| match &p.value {
        PValue::Literal(l) => f.apply(l),
        PValue::Expr(e) => format!("{{{{ {e} | {text} }}}}"),
    };
    match op {
        Op::Tamper => filtered(Filter::Flip(arg), format!("flip({arg})")),
        Op::Recase => filtered(Filter::Recase(arg), format!("recase({arg})")),
        Op::Chop => filtered(Filter::Chop, "chop".into()),
        Op::Extend => format!(
            "{}{}",
            p.value.text(),
            grammar::SUFFIXES[arg % grammar::SUFFIXES.len()]
        ),
        Op::Percent => format!(
            "{}{}",
            p.value.text(),
            grammar::PERCENTS[arg % grammar::PERCENTS.len()]
        ),
        Op::Reflect => format!("{}{}", p.value.text(), grammar::marker(arg as u32)),
        Op::Overlong => format!(
            "{}{}",
            p.value.text(),
            "A".repeat(grammar::OVERLONG[arg % grammar::OVERLONG.len()])
        ),
        _ => p.value.text(),
    }
}

fn recased(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn apply(
    m: &Mutation,
    flow: Flow,
    client: &ClientShape,
    s: &Surface,
    params: &[Param],
    body: &mut Table,
    e: &mut Edits,
) {
    let param = m
        .param
        .as_deref()
        .and_then(|n| params.iter().find(|p| p.name == n));
    match param {
        Some(p) => apply_param(p, m, e),
        None => match request_change(m, flow, client, s) {
            Change::Set(name, value) => {
                e.set.insert(name.into(), value.into());
            }
            Change::Probe(name, value) => {
                e.probed.insert(name.into());
                e.set.insert(name.into(), value.into());
            }
            Change::AppendProbe(name, value) => {
                e.probed.insert(name.into());
                e.append.push([name.into(), value]);
            }
            Change::Append(name, value) => e.append.push([name, value]),
            Change::Key(key, value) => {
                body.insert(key.into(), value);
            }
            Change::RemoveKey(key) => {
                body.remove(key);
            }
            Change::Nothing => {}
        },
    }
}

/// A parameter operation, as `set`, `remove` and `append` edits.
fn apply_param(p: &Param, m: &Mutation, e: &mut Edits) {
    let name = p.name.to_string();
    // The loader asks a probed redirect_uri to be set, which it is
    // only when its value changes (not when dropped or duplicated).
    let sets = !matches!(m.op, Op::Drop | Op::RecaseName | Op::Duplicate);
    if name != "redirect_uri" || sets {
        e.probed.insert(name.clone());
    }
    match m.op {
        Op::Empty => {
            e.set.insert(name, "".into());
        }
        Op::Drop => e.remove.push(name),
        Op::RecaseName => {
            e.append.push([recased(&name), p.value.text()]);
            e.remove.push(name);
        }
        Op::Duplicate => e
            .append
            .push([name, changed(p, Op::Tamper, m.arg as usize)]),
        op => {
            e.set.insert(name, changed(p, op, m.arg as usize).into());
        }
    }
}

/// What a request operation changes in the probed step.
enum Change {
    /// A parameter set.
    Set(&'static str, String),
    /// A parameter set that the authorization step's `probe` checks.
    Probe(&'static str, String),
    /// A parameter appended that `probe` checks.
    AppendProbe(&'static str, String),
    /// A parameter appended.
    Append(String, String),
    /// A key of the step's own table (`method`, `auth`, `client`, ...).
    Key(&'static str, Value),
    RemoveKey(&'static str),
    Nothing,
}

fn pick(list: &[&'static str], arg: usize) -> String {
    list[arg % list.len()].to_string()
}

fn request_change(m: &Mutation, flow: Flow, client: &ClientShape, s: &Surface) -> Change {
    let (arg, role) = (m.arg as usize, client.role.as_str());
    let key = |k: &'static str, v: &str| Change::Key(k, v.into());
    match m.op {
        Op::Unknown => Change::Append(format!("gc_fuzz{}", arg % 100), "1".into()),
        Op::Uri => {
            let op = pick(crate::scenario::uri_op::UriOp::NAMES, arg);
            Change::Probe(
                "redirect_uri",
                format!("{{{{ clients.{role}.redirect_uri | {op} }}}}"),
            )
        }
        Op::RequestObject => Change::AppendProbe("request", UNSIGNED_REQUEST.into()),
        Op::LoopbackPort => {
            let port = 49152 + arg % 16000;
            Change::Set(
                "redirect_uri",
                format!("{{{{ clients.{role}.redirect_uri | port({port}) }}}}"),
            )
        }
        Op::OtherRedirect => Change::Set(
            "redirect_uri",
            format!("{{{{ clients.{role}.redirect_uri_2 }}}}"),
        ),
        Op::GrantSwap => Change::Set("grant_type", "client_credentials".into()),
        Op::WidenScope => {
            let wider = client.wider_scope.clone().unwrap_or_default();
            Change::Set("scope", format!("{{{{ clients.{role}.scope }}}} {wider}"))
        }
        Op::ChallengeMethod => Change::Probe("code_challenge_method", pick(grammar::METHODS, arg)),
        Op::ChallengeShape => Change::Probe("code_challenge", "{{ gen.verifier | s256 }}=".into()),
        Op::ResponseType => Change::Probe("response_type", pick(grammar::RESPONSE_TYPES, arg)),
        Op::RevokeAccess => key("token", "{{ first.access_token }}"),
        Op::MethodGet => key("method", "GET"),
        Op::ContentType => key("content_type", &pick(grammar::CONTENT_TYPES, arg)),
        Op::WrongSecret => key(
            "secret",
            &format!("{{{{ clients.{role}.secret | flip({arg}) }}}}"),
        ),
        Op::AuthNone => key("auth", "none"),
        Op::AuthOmit => key("auth", "omit"),
        Op::OtherClient => match s.other_confidential(role) {
            Some(o) => key("client", &o.role),
            None => Change::Nothing,
        },
        Op::Race => Change::Key("concurrent", 8.into()),
        Op::AccessAsRefresh => key("refresh_token", "{{ first.access_token }}"),
        Op::QueryToken => Change::Key("placement", Value::Array(vec!["query".into()])),
        Op::NoToken => Change::RemoveKey("token"),
        Op::Tamper if flow == Flow::Userinfo => key(
            "token",
            &format!("{{{{ first.access_token | flip({arg}) }}}}"),
        ),
        Op::Chop if flow == Flow::Userinfo => key("token", "{{ first.access_token | chop }}"),
        Op::WrongHint => key(
            "hint",
            if flow == Flow::Revoke {
                "access_token"
            } else {
                "refresh_token"
            },
        ),
        // Replay, and the verifier operations, are steps of their own
        // (`steps`, `follow_ups`); an operation that does not apply here
        // changes nothing (the generator does not produce it).
        _ => Change::Nothing,
    }
}

/// Steps after the probe that the demand needs to be judged: the replay of
/// a single-use request, the rotated token's family, the revoked token.
fn follow_ups(input: &Input, client: &ClientShape, d: &Demand) -> Vec<Table> {
    let role = client.role.as_str();
    let refresh = |rt: &str| {
        table(&[
            ("grant", "refresh_token".into()),
            ("refresh_token", rt.into()),
            ("client", role.into()),
        ])
    };
    let refused = |row: &str| {
        let mut a = vec![
            oracle::assert(
                "status",
                "one_of",
                Value::Array(vec![400.into(), 401.into()]),
                row,
            ),
            oracle::assert("json access_token", "absent", true, row),
        ];
        a.extend(oracle::error_body());
        a
    };
    let Demand::Rule(r) = d else {
        return match (input.flow, d) {
            // A revocation that succeeded must have revoked (RFC 7009 §2.1).
            (Flow::Revoke, Demand::Accept)
                if input.mutations.iter().any(|m| m.op == Op::RevokeAccess) =>
            {
                // A revoked access token is dead (RFC 7009 §2, a SHOULD).
                let intro = table(&[
                    ("token", "{{ first.access_token }}".into()),
                    ("client", role.into()),
                ]);
                let mut st = step(
                    "at-dead",
                    "should",
                    "introspect",
                    intro,
                    vec![oracle::assert("json active", "equals", false, "REV-03")],
                );
                st.insert("if_offered".into(), true.into());
                match client.confidential {
                    true => vec![st],
                    false => Vec::new(),
                }
            }
            (Flow::Revoke, Demand::Accept) => {
                let mut out = vec![step(
                    "after",
                    "must",
                    "token",
                    refresh("{{ first.refresh_token }}"),
                    refused("REV-01"),
                )];
                // The grant's access tokens go with it (RFC 7009 §2.1).
                if client.confidential {
                    let intro = table(&[
                        ("token", "{{ first.access_token }}".into()),
                        ("client", role.into()),
                    ]);
                    let dead = vec![oracle::assert("json active", "equals", false, "REV-02")];
                    let mut st = step("at-dead", "profile", "introspect", intro, dead);
                    st.insert("if_offered".into(), true.into());
                    out.push(st);
                }
                out
            }
            _ => Vec::new(),
        };
    };
    match (input.flow, &r.how) {
        (Flow::Code, How::OnceOnly) => {
            let mut out = vec![step(
                "again",
                "must",
                "token",
                table(&[("from", "login".into()), ("client", role.into())]),
                refused("CODE-01"),
            )];
            // A replayed code may be in an attacker's hands: what it
            // issued should be revoked (RFC 9700 §4.2.4).
            if client.refresh {
                out.push(step(
                    "first-dead",
                    "should",
                    "token",
                    refresh("{{ probe.refresh_token }}"),
                    refused("CODE-02"),
                ));
            }
            out
        }
        (Flow::Refresh, How::OnceOnly) => vec![
            step(
                "again",
                "must",
                "token",
                refresh("{{ first.refresh_token }}"),
                refused("RT-03"),
            ),
            step(
                "successor",
                "must",
                "token",
                refresh("{{ probe.refresh_token }}"),
                refused("RT-04"),
            ),
        ],
        (Flow::Revoke, How::StillValid) => vec![step(
            "after",
            "must",
            "token",
            refresh("{{ first.refresh_token }}"),
            oracle::succeeded("REV-06"),
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::generate::{self, tests::surface};
    use crate::campaign::rng::Rng;

    #[test]
    fn literals_are_changed_here_and_templates_by_the_runner() {
        use crate::campaign::grammar::{Param, Role, Value as V};
        let lit = Param {
            name: "grant_type",
            value: V::Literal("authorization_code"),
            role: Role::Kind,
        };
        let tampered = changed(&lit, Op::Tamper, 3);
        assert!(
            !tampered.contains("{{") && tampered != "authorization_code",
            "{tampered}"
        );
        assert_eq!(changed(&lit, Op::Chop, 0), "authorization_cod");
        let expr = Param {
            name: "code",
            value: V::Expr("login.code".into()),
            role: Role::Bound,
        };
        assert_eq!(
            changed(&expr, Op::Recase, 2),
            "{{ login.code | recase(2) }}"
        );
    }

    /// Every input the generator can make builds a scenario the suite's
    /// loader accepts: a finding always replays.
    #[test]
    fn every_generated_input_loads() {
        let s = surface();
        let seeds = generate::seeds(&s);
        let mut rng = Rng::new(9);
        let mut corpus: Vec<Input> = Vec::new();
        let mut inputs = seeds.clone();
        for _ in 0..3000 {
            let i = generate::next(&mut rng, &seeds, &corpus, &s).unwrap();
            if rng.chance(20) {
                corpus.push(i.clone());
            }
            inputs.push(i);
        }
        for (n, i) in inputs.iter().enumerate() {
            let text = scenario(&format!("fuzz.t.n{n}"), "t", i, &s).unwrap();
            if let Err(d) = crate::scenario::load_str(std::path::Path::new("t.toml"), &text) {
                let msgs: Vec<String> = d.iter().map(|x| x.to_string()).collect();
                panic!("{}:\n{}\n{text}", i.label(), msgs.join("\n"));
            }
        }
    }
}
