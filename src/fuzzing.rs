//! Invariant checks for every parser of the pure core, shared by the fuzz
//! targets (`fuzz/fuzz_targets/<target>.rs`), the regression test that
//! replays `fuzz/regressions/` and `fuzz/seeds/` (`tests/integration/fuzz_regressions.rs`)
//! and the property tests below.
//!
//! Each `check_<target>(data)` feeds arbitrary bytes to one parser and panics
//! when a property that parser promises does not hold: not only "no panic",
//! but round trips, agreement with the format's definition, and what the
//! callers rely on. Text parsers get the bytes as lossy UTF-8. Inputs that
//! carry several strings separate them with the byte `0xFF`, which never
//! occurs in UTF-8 (see [`SEP`]).
//!
//! Pure: no I/O, no randomness (the redactor gets a fixed salt). The one
//! outside input is the process environment behind `profile::Env`, and the
//! profile checks only compare the loader with `Env::get` itself.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use crate::profile::{self, AuthMethod, Env, ProfileError};
use crate::protocol::callback::{build_url, Callback};
use crate::protocol::discovery::{self, DiscoveryError, Metadata};
use crate::protocol::form::{decode_component, encode_component, Params};
use crate::protocol::html;
use crate::protocol::jwt::{self, Jws, JwtError};
use crate::protocol::pkce;
use crate::protocol::token::{self, Body};
use crate::protocol::www_authenticate::{self, Challenge};
use crate::report::baseline::Baseline;
use crate::report::model::{Exchange, HttpRequest, HttpResponse, RunReport, TransportError};
use crate::report::redact::{self, Redactor, SECRET_FIELDS};
use crate::requirements;
use crate::scenario::template::{Filter, Part, Template};
use crate::scenario::uri_op;
use crate::scenario::{self, Diagnostic, Scenario, NAMESPACES, POLICY_TAGS};

/// Separates the strings of a multi-string input. Not valid anywhere in UTF-8.
pub const SEP: u8 = 0xFF;

/// Every fuzz target: its name (the file `fuzz/fuzz_targets/<name>.rs`, the
/// folders `fuzz/seeds/<name>/` and `fuzz/regressions/<name>/`) and its check.
/// A fuzz target's invariant check over one input.
pub type Invariant = fn(&[u8]);

pub const TARGETS: &[(&str, Invariant)] = &[
    ("scenario_file", check_scenario_file),
    ("profile_file", check_profile_file),
    ("token_response", check_token_response),
    ("callback", check_callback),
    ("form", check_form),
    ("www_authenticate", check_www_authenticate),
    ("discovery", check_discovery),
    ("jwt", check_jwt),
    ("jwks", check_jwks),
    ("html_form", check_html_form),
    ("template", check_template),
    ("requirements", check_requirements),
    ("redact", check_redact),
    ("baseline", check_baseline),
];

/// Runs the check of `target` on `data`; false when there is no such target.
pub fn check(target: &str, data: &[u8]) -> bool {
    match TARGETS.iter().find(|(n, _)| *n == target) {
        Some((_, f)) => {
            f(data);
            true
        }
        None => false,
    }
}

fn lossy(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

fn segments(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|b| *b == SEP)
}

/// What a diagnostic must always be: inside the file, pointing at a real
/// position, and rendered with `file:line:col`.
fn check_diagnostic(d: &Diagnostic, path: &Path, src: &str) {
    assert_eq!(d.file, path);
    assert!(d.line >= 1 && d.col >= 1 && d.width >= 1, "{d:?}");
    assert!(
        d.line <= src.lines().count() + 1,
        "line {} past the end of the file",
        d.line
    );
    assert_eq!(
        d.source_line,
        src.lines().nth(d.line - 1).unwrap_or(""),
        "the snippet is not line {}",
        d.line
    );
    assert!(!d.message.is_empty());
    let text = d.to_string();
    let at = format!("{}:{}:{}", path.display(), d.line, d.col);
    assert!(text.contains(&at), "{text}");
}

fn is_role(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// What two loads of one scenario must agree on.
type ScenarioSummary = (
    String,
    String,
    &'static str,
    BTreeSet<String>,
    BTreeSet<String>,
    Vec<Option<String>>,
    usize,
);

fn scenario_summary(s: &Scenario) -> ScenarioSummary {
    (
        s.id.clone(),
        s.area.clone(),
        s.level.as_str(),
        s.requires.clone(),
        s.all_covers(),
        s.def
            .steps
            .iter()
            .map(|st| st.get_ref().name.as_ref().map(|n| n.get_ref().clone()))
            .collect(),
        s.case_count(),
    )
}

/// Scenario file (`scenario::load_str`): a loaded scenario satisfies every
/// rule the loader enforces; a refused one has at least one well-formed
/// diagnostic; and the file re-serialised through
/// the TOML data model (different layout, same data) loads the same way.
pub fn check_scenario_file(data: &[u8]) {
    let src = lossy(data);
    let path = Path::new("suites/fuzz/scenario.toml");
    let first = scenario::load_str(path, &src);
    match &first {
        Ok(s) => {
            let id_ok = !s.id.is_empty()
                && s.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
            assert!(id_ok, "accepted a bad id {:?}", s.id);
            assert_eq!(Some(s.area.as_str()), s.id.split('.').next());
            let covers = s.all_covers();
            assert!(
                !covers.is_empty(),
                "accepted a scenario that covers nothing"
            );
            for c in &covers {
                assert!(
                    requirements::find(c).is_some(),
                    "accepted an unknown requirement id {c:?}"
                );
            }
            for r in &s.requires {
                assert!(
                    scenario::load::is_known_capability(r),
                    "unknown capability {r:?} required"
                );
            }
            let want_level = s.def.level.as_ref().map(|l| *l.get_ref());
            assert_eq!(s.level, want_level.unwrap_or(scenario::Level::Must));
            assert!(!s.def.steps.is_empty(), "accepted a scenario without steps");
            let mut names = BTreeSet::new();
            let mut authorize = BTreeSet::new();
            for step in &s.def.steps {
                let st = step.get_ref();
                // Listed field by field on purpose, not via StepDef::actions:
                // the oracle must not share the loader's code.
                let actions = [
                    st.authorize.is_some(),
                    st.token.is_some(),
                    st.introspect.is_some(),
                    st.revoke.is_some(),
                    st.userinfo.is_some(),
                    st.api.is_some(),
                    st.discovery.is_some(),
                    st.http.is_some(),
                ];
                assert_eq!(actions.iter().filter(|a| **a).count(), 1);
                if let Some(from) = st.token.as_ref().and_then(|t| t.get_ref().from.as_ref()) {
                    assert!(
                        authorize.contains(from.get_ref()),
                        "`from` {:?} is not an earlier authorize step",
                        from.get_ref()
                    );
                }
                if let Some(n) = &st.name {
                    let n = n.get_ref();
                    assert!(!NAMESPACES.contains(&n.as_str()));
                    assert!(names.insert(n.clone()), "step name {n:?} used twice");
                    if st.authorize.is_some() {
                        authorize.insert(n.clone());
                    }
                }
            }
            let mut cases = BTreeSet::new();
            for c in &s.def.cases {
                let name = &c.get_ref().name;
                assert!(!name.is_empty() && cases.insert(name.clone()));
            }
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "refused without a diagnostic");
            for d in diags {
                check_diagnostic(d, path, &src);
            }
        }
    }
    // The same data laid out by the TOML serialiser loads the same way.
    let Ok(table) = src.parse::<toml::Table>() else {
        assert!(first.is_err(), "loaded a file that is not TOML");
        return;
    };
    let Ok(again) = toml::to_string(&table) else {
        return;
    };
    match (&first, &scenario::load_str(path, &again)) {
        (Ok(a), Ok(b)) => assert_eq!(scenario_summary(a), scenario_summary(b)),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "re-serialised scenario loads differently: {:?} then {:?}\n{again}",
            a.as_ref().map(|s| &s.id).map_err(|d| &d[0].message),
            b.as_ref().map(|s| &s.id).map_err(|d| &d[0].message),
        ),
    }
}

/// The environment overlay of a fuzzed profile: TOML comment lines
/// `# env NAME=value` (comments, so the TOML parser never sees them).
pub fn profile_env(src: &str) -> Env {
    let mut env = Env::default();
    for line in src.lines() {
        if let Some((k, v)) = line
            .trim_start()
            .strip_prefix("# env ")
            .and_then(|r| r.split_once('='))
        {
            env.overlay.insert(k.trim().to_string(), v.to_string());
        }
    }
    env
}

/// Profile file (`profile::load_str` with an `Env` overlay): secrets come
/// from the environment (each `secret_sources` entry is its variable's value)
/// and are never empty, confidential clients have one and public ones none,
/// roles are well-formed, policy tags are known, the money guard only names
/// a requested scope it does not allow; a
/// refusal says why (a diagnostic, the missing variable, or the rule).
pub fn check_profile_file(data: &[u8]) {
    let src = lossy(data);
    let env = profile_env(&src);
    let path = Path::new("issuers/fuzz.toml");
    let first = profile::load_str(path, &src, &env);
    match first {
        Ok(p) => {
            assert_eq!(p.path, path);
            let mut confidential = 0;
            for (role, c) in &p.clients {
                assert_eq!(role, &c.role);
                assert!(is_role(role), "accepted client role {role:?}");
                assert_eq!(c.is_public(), c.auth_method == AuthMethod::None);
                match c.auth_method {
                    AuthMethod::None => {
                        assert!(c.secret.is_none() && c.secret_env.is_none());
                    }
                    AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost => {
                        confidential += 1;
                        let var = c
                            .secret_env
                            .as_deref()
                            .expect("confidential without secret_env");
                        let secret = c.secret.as_deref().expect("confidential without a secret");
                        assert!(!secret.is_empty(), "empty secret accepted");
                        assert_eq!(env.get(var).as_deref(), Some(secret));
                    }
                }
            }
            for (role, u) in &p.users {
                assert_eq!(role, &u.role);
                assert!(!u.password.is_empty(), "empty password accepted");
            }
            let secrets = p.secrets();
            assert_eq!(secrets.len(), confidential + p.users.len());
            assert!(secrets.iter().all(|s| !s.is_empty()));
            for src in p.secret_sources() {
                assert_eq!(env.get(&src.var).as_deref(), Some(src.value.as_str()));
            }
            for u in p.users.values() {
                assert_eq!(
                    env.get(&u.password_env).as_deref(),
                    Some(u.password.as_str())
                );
            }
            for c in p.clients.values() {
                // The money guard names a scope of the request, never one it allows.
                if let Some(refused) = p.guard.refuses(&c.scope) {
                    assert!(c.scope.split(' ').any(|s| s == refused), "{refused:?}");
                    assert!(!p.guard.allow_scopes.contains(&refused));
                }
            }
            let tags = p.policy_tags();
            assert!(tags.iter().all(|t| POLICY_TAGS.contains(&t.as_str())));
            assert_eq!(
                usize::from(tags.contains("rfc6749")) + usize::from(tags.contains("oauth21")),
                1
            );
            assert_eq!(tags.contains("lab"), p.policy.lab);
            assert_eq!(tags.contains("loopback_port"), p.policy.loopback_port);
        }
        Err(e) => {
            let _ = e.to_string();
            match &e {
                ProfileError::Invalid(d) => check_diagnostic(d, path, &src),
                ProfileError::MissingSecrets { missing, path: p } => {
                    assert_eq!(p, path);
                    assert!(!missing.is_empty());
                    for m in missing {
                        let var = &m.var;
                        assert!(env.get(var).is_none_or(|v| v.is_empty()), "{var} is set");
                        assert_eq!(m.empty, env.get(var).is_some(), "{var}: unset vs empty");
                        assert!(e.hint().is_some_and(|h| h.contains(var.as_str())));
                    }
                }
                ProfileError::Semantic { problems, .. } => {
                    assert!(!problems.is_empty() && problems.iter().all(|m| !m.is_empty()))
                }
                ProfileError::Io { .. } => panic!("load_str did I/O"),
            }
        }
    }
}

fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(a) => a.iter().any(has_float),
        Value::Object(m) => m.values().any(has_float),
        _ => false,
    }
}

/// What RFC 6749 Appendix A.7/A.8 allow, written out independently.
fn error_charset_by_definition(s: &str) -> bool {
    s.chars()
        .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\')
}

/// Token response and error body (`protocol::token`): the body is classified
/// as JSON does (object, other JSON, not JSON); `field` and `error_code` read
/// exactly the members; an envelope unwraps to its inner object and nothing
/// else; wrapping a body in an envelope and unwrapping it gives it back; the
/// error charset check agrees with RFC 6749 Appendix A.
pub fn check_token_response(data: &[u8]) {
    let body = Body::parse(data);
    match (&body, serde_json::from_slice::<Value>(data)) {
        (Body::Object(m), Ok(Value::Object(j))) => assert_eq!(m, &j),
        (Body::OtherJson(v), Ok(j)) => {
            assert!(!j.is_object());
            assert_eq!(v, &j);
        }
        (Body::NotJson, Err(_)) => {}
        (b, j) => panic!("classified {b:?} but JSON says {j:?}"),
    }
    assert_eq!(
        token::error_code(&body),
        body.object()
            .and_then(|m| m.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string)
    );
    assert_eq!(body.clone().unwrap_envelope(None), body);
    if let Some(m) = body.object() {
        for (k, v) in m {
            let text = body.field(k);
            assert_eq!(text, token::value_text(v));
            assert_eq!(
                text.is_some(),
                matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
            );
            let unwrapped = body.clone().unwrap_envelope(Some(k));
            match v {
                Value::Object(inner) => assert_eq!(unwrapped, Body::Object(inner.clone())),
                _ => assert_eq!(unwrapped, body),
            }
        }
        // Enveloped dialects: {"operation_id": ..., "data": <body>} unwraps to the body.
        // (Floats are skipped: serde_json parses them back only approximately.)
        if !m.values().any(has_float) {
            let mut env = Map::new();
            env.insert("operation_id".into(), Value::String("op-1".into()));
            env.insert("data".into(), Value::Object(m.clone()));
            let bytes = serde_json::to_vec(&Value::Object(env)).expect("serialises");
            assert_eq!(Body::parse(&bytes).unwrap_envelope(Some("data")), body);
        }
        for k in ["error", "error_description"] {
            if let Some(s) = m.get(k).and_then(Value::as_str) {
                assert_eq!(
                    token::is_error_text_charset(s),
                    error_charset_by_definition(s)
                );
            }
        }
    }
    let text = lossy(data);
    assert_eq!(
        token::is_error_text_charset(&text),
        error_charset_by_definition(&text)
    );
}

/// Callback / redirect URL (`protocol::callback`): the base has no query or
/// fragment; the parsed parameters re-serialise to a URL that parses to the
/// same callback; a redirect targets itself and adds nothing; a redirect
/// built from any prefix of its query as the registered URI targets it and
/// carries exactly the rest (tried with none, half and all of it as the
/// registered URI's own query); `build_url` appends parameters before the
/// fragment without touching the rest.
pub fn check_callback(data: &[u8]) {
    let s = lossy(data);
    let cb = Callback::parse(&s);
    assert!(!cb.base.contains('?') && !cb.base.contains('#'));
    assert!(s.starts_with(&cb.base));
    let mut rebuilt = build_url(&cb.base, &cb.query);
    if !cb.fragment.is_empty() {
        rebuilt.push('#');
        rebuilt.push_str(&cb.fragment.encode());
    }
    assert_eq!(
        Callback::parse(&rebuilt),
        cb,
        "re-serialised as {rebuilt:?}"
    );
    assert!(cb.targets(&s), "a redirect does not target its own URL");
    assert!(cb.response_params(&s).is_empty());
    let n = cb.query.0.len();
    for k in [0, n / 2, n] {
        let registered = build_url(&cb.base, &Params(cb.query.0[..k].to_vec()));
        assert!(cb.targets(&registered), "does not target {registered:?}");
        assert_eq!(cb.response_params(&registered).0, cb.query.0[k..]);
    }
    // Issuer parameters appended to this URL come back after its own.
    let added = cb.fragment.clone();
    let built = Callback::parse(&build_url(&s, &added));
    assert_eq!(built.base, cb.base);
    assert_eq!(built.fragment, cb.fragment);
    let mut want = cb.query.clone();
    want.0.extend(added.0);
    assert_eq!(built.query, want);
}

/// Form encoding (`protocol::form`): decoding is total and re-encoding
/// round-trips (the encoding is canonical); any list of pairs, empty names
/// and values included, survives encode then decode; encoded components are
/// ASCII without separators; `set` and `remove` do what they say.
pub fn check_form(data: &[u8]) {
    let s = lossy(data);
    let p = Params::decode(&s);
    let e = p.encode();
    assert!(e.is_ascii());
    let back = Params::decode(&e);
    assert_eq!(back, p, "decode(encode(decode(s))) != decode(s) for {e:?}");
    assert_eq!(back.encode(), e);
    // Pairs chosen by the fuzzer: 0xFF-separated name, value, name, value...
    let strings: Vec<String> = segments(data).map(|x| lossy(x).into_owned()).collect();
    let q: Params = strings
        .chunks(2)
        .map(|c| (c[0].clone(), c.get(1).cloned().unwrap_or_default()))
        .collect();
    assert_eq!(Params::decode(&q.encode()), q);
    for (n, v) in q.iter() {
        for x in [n, v] {
            let enc = encode_component(x);
            assert!(enc.is_ascii());
            assert!(!enc.contains(['&', '=', '#', '?', ' ']), "{enc:?}");
            assert_eq!(decode_component(&enc), x);
        }
    }
    if let Some((name, _)) = q.0.first().cloned() {
        let mut r = q.clone();
        r.set(&name, "x");
        assert_eq!(r.0[0], (name.clone(), "x".to_string()));
        assert_eq!(r.count(&name), 1);
        assert_eq!(r.0.len(), q.0.len() + 1 - q.count(&name));
        r.remove(&name);
        assert_eq!(r.count(&name), 0);
        assert_eq!(r.get(&name), None);
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// A canonical `WWW-Authenticate` value for parsed challenges: every
/// auth-param value quoted and escaped.
fn render_challenges(cs: &[Challenge]) -> String {
    let mut out = Vec::new();
    for c in cs {
        let mut s = c.scheme.clone();
        let mut sep = " ";
        if let Some(t) = &c.token68 {
            s.push(' ');
            s.push_str(t);
            sep = ", ";
        }
        for (n, v) in &c.params {
            s.push_str(sep);
            sep = ", ";
            s.push_str(n);
            s.push_str("=\"");
            for ch in v.chars() {
                if ch == '"' || ch == '\\' {
                    s.push('\\');
                }
                s.push(ch);
            }
            s.push('"');
        }
        out.push(s);
    }
    out.join(", ")
}

/// `WWW-Authenticate` (`protocol::www_authenticate::parse`): schemes and
/// parameter names are tokens, a token68 has the token68 syntax, `param`
/// finds every parameter, and the challenges re-rendered canonically parse
/// back to the same challenges.
pub fn check_www_authenticate(data: &[u8]) {
    let s = lossy(data);
    let cs = www_authenticate::parse(&s);
    for c in &cs {
        assert!(!c.scheme.is_empty() && c.scheme.chars().all(is_token_char));
        if let Some(t) = &c.token68 {
            let body = t.trim_end_matches('=');
            assert!(!t.is_empty());
            assert!(body
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-._~+/".contains(ch)));
        }
        for (n, _) in &c.params {
            assert!(!n.is_empty() && n.chars().all(is_token_char), "{n:?}");
            assert!(c.param(n).is_some());
            assert!(c.param(&n.to_ascii_uppercase()).is_some());
        }
    }
    let rendered = render_challenges(&cs);
    assert_eq!(
        www_authenticate::parse(&rendered),
        cs,
        "re-rendered as {rendered:?}"
    );
}

/// Discovery document (`protocol::discovery`): refused exactly when the
/// bytes are not a JSON object, with the right reason; each typed member is
/// the raw member when it has the right type; RFC 8414 defaults apply only
/// when a member is absent; the well-known URL is built by the OIDC rule.
pub fn check_discovery(data: &[u8]) {
    let parsed = Metadata::parse(data);
    let raw = serde_json::from_slice::<Value>(data);
    let m = match (parsed, raw) {
        (Ok(m), Ok(Value::Object(o))) => {
            assert_eq!(m.raw, o);
            m
        }
        (Err(DiscoveryError::NotObject), Ok(v)) => {
            assert!(!v.is_object());
            return;
        }
        (Err(DiscoveryError::NotJson(_)), Err(_)) => return,
        (p, r) => panic!("parsed {p:?} but JSON says {r:?}"),
    };
    let string = |k: &str| m.raw.get(k).and_then(Value::as_str).map(str::to_string);
    assert_eq!(m.issuer, string("issuer"));
    assert_eq!(m.authorization_endpoint, string("authorization_endpoint"));
    assert_eq!(m.token_endpoint, string("token_endpoint"));
    assert_eq!(m.jwks_uri, string("jwks_uri"));
    assert_eq!(m.userinfo_endpoint, string("userinfo_endpoint"));
    assert_eq!(m.revocation_endpoint, string("revocation_endpoint"));
    assert_eq!(m.introspection_endpoint, string("introspection_endpoint"));
    assert_eq!(m.registration_endpoint, string("registration_endpoint"));
    let lists = [
        ("grant_types_supported", &m.grant_types_supported),
        ("response_types_supported", &m.response_types_supported),
        ("scopes_supported", &m.scopes_supported),
        (
            "token_endpoint_auth_methods_supported",
            &m.token_endpoint_auth_methods_supported,
        ),
        (
            "code_challenge_methods_supported",
            &m.code_challenge_methods_supported,
        ),
        (
            "id_token_signing_alg_values_supported",
            &m.id_token_signing_alg_values_supported,
        ),
    ];
    for (k, typed) in lists {
        match m.raw.get(k).and_then(Value::as_array) {
            None => assert!(typed.is_none(), "{k}"),
            Some(a) => {
                let strings: Vec<String> = a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                assert_eq!(typed.as_ref(), Some(&strings), "{k}");
            }
        }
    }
    assert_eq!(
        m.authorization_response_iss_parameter_supported,
        m.raw
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
    );
    match &m.grant_types_supported {
        Some(g) => assert_eq!(&m.grant_types(), g),
        None => assert_eq!(m.grant_types(), ["authorization_code", "implicit"]),
    }
    match &m.token_endpoint_auth_methods_supported {
        Some(g) => assert_eq!(&m.token_auth_methods(), g),
        None => assert_eq!(m.token_auth_methods(), ["client_secret_basic"]),
    }
    if m.id_token_signing_alg_values_supported.is_some() {
        assert!(m.is_oidc());
    }
    if let Some(iss) = &m.issuer {
        let url = discovery::openid_configuration_url(iss);
        let base = iss.strip_suffix('/').unwrap_or(iss);
        assert_eq!(url, format!("{base}/.well-known/openid-configuration"));
    }
}

fn check_parsed_jws(token: &str, parsed: &Result<Jws, JwtError>) {
    let parts: Vec<&str> = token.split('.').collect();
    let decode_object = |p: &str| -> Option<Map<String, Value>> {
        match serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        }
    };
    match parsed {
        Ok(j) => {
            assert_eq!(parts.len(), 3);
            assert_eq!(j.signing_input, format!("{}.{}", parts[0], parts[1]));
            assert_eq!(j.signature, parts[2]);
            assert_eq!(decode_object(parts[0]).as_ref(), Some(&j.header));
            assert_eq!(decode_object(parts[1]).as_ref(), Some(&j.claims));
            assert!(URL_SAFE_NO_PAD.decode(&j.signature).is_ok());
            assert_eq!(j.alg(), j.header.get("alg").and_then(Value::as_str));
            assert_eq!(j.kid(), j.header.get("kid").and_then(Value::as_str));
            let auds = j.audiences();
            match j.claims.get("aud") {
                Some(Value::String(s)) => assert_eq!(auds, [s.as_str()]),
                Some(Value::Array(a)) => assert!(auds.len() <= a.len()),
                _ => assert!(auds.is_empty()),
            }
            for c in ["exp", "iat", "nbf", "auth_time"] {
                let n = j.number(c);
                assert_eq!(
                    n.is_some(),
                    j.claims.get(c).is_some_and(Value::is_number),
                    "{c}"
                );
            }
        }
        Err(JwtError::Parts(n)) => {
            assert_eq!(*n, parts.len());
            assert_ne!(*n, 3);
        }
        Err(JwtError::Base64("header")) => assert!(URL_SAFE_NO_PAD.decode(parts[0]).is_err()),
        Err(JwtError::Json("header")) => assert!(decode_object(parts[0]).is_none()),
        Err(JwtError::Base64("claims")) => assert!(URL_SAFE_NO_PAD.decode(parts[1]).is_err()),
        Err(JwtError::Json("claims")) => assert!(decode_object(parts[1]).is_none()),
        Err(JwtError::Base64("signature")) => assert!(URL_SAFE_NO_PAD.decode(parts[2]).is_err()),
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

/// JWT / JWS (`protocol::jwt::Jws::parse`): a parsed token has three parts,
/// its signing input is the first two, its header and claims are the JSON
/// objects its parts encode, and each refusal names the part that is wrong.
/// The input is tried as a token and, split at `0xFF`, as header, claims and
/// signature bytes that are encoded first (so the fuzzer reaches the JSON).
pub fn check_jwt(data: &[u8]) {
    let s = lossy(data);
    check_parsed_jws(&s, &Jws::parse(&s));
    let mut parts = segments(data);
    let (Some(h), Some(c)) = (parts.next(), parts.next()) else {
        return;
    };
    let sig = parts.next().unwrap_or_default();
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(h),
        URL_SAFE_NO_PAD.encode(c),
        URL_SAFE_NO_PAD.encode(sig)
    );
    let parsed = Jws::parse(&token);
    check_parsed_jws(&token, &parsed);
    let object = |b: &[u8]| matches!(serde_json::from_slice(b), Ok(Value::Object(_)));
    assert_eq!(parsed.is_ok(), object(h) && object(c), "{parsed:?}");
}

/// JWKS inspection (`protocol::jwt::leaked_private_members`): one entry per
/// key with private or symmetric material, named by its `kid` or index,
/// listing exactly the members present; once those members are removed (and
/// `oct` keys retyped) nothing is reported.
pub fn check_jwks(data: &[u8]) {
    let Ok(mut jwks) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let found = jwt::leaked_private_members(&jwks);
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        assert!(found.is_empty());
        return;
    };
    let mut expected = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let mut members: Vec<&str> = jwt::PRIVATE_MEMBERS
            .iter()
            .copied()
            .filter(|m| k.get(m).is_some())
            .collect();
        if k.get("kty").and_then(Value::as_str) == Some("oct") && !members.contains(&"k") {
            members.push("kty:oct");
        }
        if !members.is_empty() {
            let name = match k.get("kid").and_then(Value::as_str) {
                Some(kid) => kid.to_string(),
                None => format!("#{i}"),
            };
            expected.push((name, members));
        }
    }
    assert_eq!(found, expected);
    if let Some(keys) = jwks.get_mut("keys").and_then(Value::as_array_mut) {
        for k in keys {
            if let Some(o) = k.as_object_mut() {
                for m in jwt::PRIVATE_MEMBERS {
                    o.remove(*m);
                }
                if o.get("kty").and_then(Value::as_str) == Some("oct") {
                    o.insert("kty".into(), Value::String("RSA".into()));
                }
            }
        }
    }
    assert!(jwt::leaked_private_members(&jwks).is_empty());
}

fn folded(s: &str) -> bool {
    s == s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// HTML form extraction (`protocol::html::parse_page`): every extracted
/// field name, action and link target appears in the page (unless the page uses character references
/// or characters the HTML parser rewrites), there are no more forms than
/// `<form` tags, methods are GET or POST, a field's kind is an HTML input
/// type (an empty or unknown `type` is `text`, as in browsers), `select` or
/// `textarea`, buttons and non-fields never become fields, and labels, link
/// texts and the title are whitespace-folded.
pub fn check_html_form(data: &[u8]) {
    let s = lossy(data);
    let page = html::parse_page(&s);
    let lower = s.to_ascii_lowercase();
    assert!(page.forms.len() <= lower.matches("<form").count());
    // The tokenizer decodes `&...;`, turns NUL into U+FFFD and CR into LF.
    let rewritten = s.contains(['&', '\0', '\r']);
    for f in &page.forms {
        assert!(f.method == "GET" || f.method == "POST", "{:?}", f.method);
        if !rewritten {
            assert!(
                s.contains(&f.action),
                "action {:?} not in the page",
                f.action
            );
        }
        for field in &f.fields {
            if !rewritten {
                assert!(
                    s.contains(&field.name),
                    "field {:?} is not in the page",
                    field.name
                );
            }
            assert!(
                html::INPUT_TYPES.contains(&field.kind.as_str())
                    || field.kind == "select"
                    || field.kind == "textarea",
                "field of kind {:?}",
                field.kind
            );
            assert!(
                !["submit", "image", "reset", "button", "file"].contains(&field.kind.as_str()),
                "a {} control became a field",
                field.kind
            );
            if field.kind == "checkbox" || field.kind == "radio" {
                assert!(!field.value.is_empty());
            }
        }
        for b in &f.buttons {
            assert!(folded(&b.label), "label {:?} is not folded", b.label);
        }
        assert_eq!(
            f.has_password(),
            f.fields.iter().any(|x| x.kind == "password")
        );
    }
    for l in &page.links {
        if !rewritten {
            assert!(s.contains(&l.href), "link {:?} is not in the page", l.href);
        }
        assert!(folded(&l.text), "link text {:?} is not folded", l.text);
    }
    if let Some(t) = &page.title {
        assert!(folded(t), "title {t:?} is not folded");
    }
    if let Some(r) = &page.meta_refresh {
        assert!(!r.is_empty() && !r.starts_with(['\'', '"']) && !r.ends_with(['\'', '"']));
    }
}

fn filter_name(f: &Filter) -> String {
    match f {
        Filter::Upper => "upper".into(),
        Filter::Lower => "lower".into(),
        Filter::Chop => "chop".into(),
        Filter::S256 => "s256".into(),
        Filter::Take(n) => format!("take({n})"),
        Filter::UrlEncode => "urlencode".into(),
        Filter::Base64Url => "base64url".into(),
        Filter::Uri(op) => op.name().into(),
        Filter::Port(n) => format!("port({n})"),
    }
}

/// Parts without offsets, for comparing a template with its re-rendering.
fn template_shape(t: &Template) -> Vec<(String, Vec<String>, Vec<Filter>)> {
    t.parts
        .iter()
        .map(|p| match p {
            Part::Lit(s) => (s.clone(), Vec::new(), Vec::new()),
            Part::Expr(e) => (String::new(), e.path.clone(), e.filters.clone()),
        })
        .collect()
}

fn check_filter(f: &Filter, v: &str) {
    let out = f.apply(v);
    match f {
        Filter::Upper => assert_eq!(out, v.to_ascii_uppercase()),
        Filter::Lower => assert_eq!(out, v.to_ascii_lowercase()),
        Filter::Chop => assert_eq!(out.chars().count(), v.chars().count().saturating_sub(1)),
        Filter::Take(n) => {
            assert!(v.starts_with(&out));
            assert_eq!(out.chars().count(), v.chars().count().min(*n));
        }
        Filter::S256 => assert!(pkce::is_s256_challenge_shape(&out)),
        Filter::UrlEncode => assert_eq!(decode_component(&out), v),
        Filter::Base64Url => assert_eq!(URL_SAFE_NO_PAD.decode(&out).ok(), Some(v.into())),
        // A URI operation leaves what does not split as a URI alone, and
        // what does split still splits.
        Filter::Uri(_) | Filter::Port(_) => match uri_op::Parts::split(v) {
            None => assert_eq!(out, v),
            Some(_) => assert!(uri_op::Parts::split(&out).is_some(), "{v:?} -> {out:?}"),
        },
    }
}

/// Templates (`scenario::template`): literal parts never hold `{{` or `}}`
/// (a stray `}}` is an error wherever it is), are never empty or adjacent;
/// expression offsets point just after their `{{`; a template re-rendered
/// canonically parses to the same parts; a template without expressions
/// renders to its source; render stops at the first unresolved path; every
/// filter keeps its promise; an error points inside the source.
pub fn check_template(data: &[u8]) {
    let s = lossy(data);
    let t = match Template::parse(&s) {
        Ok(t) => t,
        Err(e) => {
            assert!(e.offset <= s.len(), "error offset past the end");
            assert!(!e.message.is_empty());
            return;
        }
    };
    let mut prev_lit = false;
    let mut rendered = String::new();
    for p in &t.parts {
        match p {
            Part::Lit(l) => {
                assert!(!l.is_empty() && !prev_lit, "empty or adjacent literals");
                assert!(
                    !l.contains("{{") && !l.contains("}}"),
                    "literal {l:?} holds a delimiter"
                );
                rendered.push_str(l);
                prev_lit = true;
            }
            Part::Expr(e) => {
                assert!(
                    s.get(..e.offset).is_some_and(|b| b.ends_with("{{")),
                    "offset {} is not after a `{{{{`",
                    e.offset
                );
                assert!(e.path.iter().all(|seg| !seg.is_empty()));
                rendered.push_str("{{ ");
                rendered.push_str(&e.dotted());
                for f in &e.filters {
                    rendered.push_str(" | ");
                    rendered.push_str(&filter_name(f));
                    check_filter(f, &s);
                }
                rendered.push_str(" }}");
                prev_lit = false;
            }
        }
    }
    let again = Template::parse(&rendered).expect("a re-rendered template parses");
    assert_eq!(template_shape(&again), template_shape(&t), "{rendered:?}");
    match t.exprs().next() {
        None => assert_eq!(t.render(|_| Err(String::new())).as_deref(), Ok(&*s)),
        Some(first) => assert_eq!(t.render(|e| Err(e.dotted())), Err(first.dotted())),
    }
    let _ = t.render(|e| Ok(e.dotted()));
}

/// Requirements markdown (`requirements::parse`): every row has an id of the
/// requirement shape, ADV rows and only they have level `ADV`, sections are
/// trimmed, there are no more rows than table lines, and parsing a document
/// made of two parts joined at a `## ` heading gives the rows of both parts.
pub fn check_requirements(data: &[u8]) {
    let md = lossy(data);
    let rows = requirements::parse(&md);
    assert!(rows.len() <= md.lines().filter(|l| l.starts_with('|')).count());
    for r in &rows {
        assert!(requirements::is_id_shape(&r.id), "{:?}", r.id);
        assert_eq!(r.id.starts_with("ADV-"), r.level == "ADV", "{r:?}");
        assert_eq!(r.section, r.section.trim());
    }
    if let Some(pos) = data.iter().position(|b| *b == SEP) {
        let a = lossy(&data[..pos]);
        let b = format!("## S\n{}", lossy(&data[pos + 1..]));
        if !a.ends_with('\r') {
            let mut want = requirements::parse(&a);
            want.extend(requirements::parse(&b));
            assert_eq!(requirements::parse(&format!("{a}\n{b}")), want);
        }
    }
}

/// The kinds the runner registers secrets under.
fn kinds() -> impl Iterator<Item = &'static str> + Clone {
    std::iter::once("secret").chain(SECRET_FIELDS.iter().copied())
}

/// The pieces of `text` between redaction markers (`[redacted <kind> #<6
/// hex>]`): the text the redactor let through.
fn outside_markers(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut from) = (0, 0);
    while let Some(i) = text[from..].find("[redacted ").map(|i| from + i) {
        let after = &text[i + "[redacted ".len()..];
        let marker_len = after.split_once(" #").and_then(|(kind, tail)| {
            let known = kinds().chain(["credentials", "cookie"]).any(|k| k == kind);
            let hex = tail.get(..6)?;
            let ok = known
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && tail[6..].starts_with(']');
            ok.then_some("[redacted ".len() + kind.len() + " #".len() + 7)
        });
        match marker_len {
            Some(n) => {
                pieces.push(&text[start..i]);
                start = i + n;
                from = start;
            }
            None => from = i + 1,
        }
    }
    pieces.push(&text[start..]);
    pieces
}

fn assert_no_secret(where_: &str, out: &str, secrets: &[String]) {
    let left = outside_markers(out);
    for s in secrets {
        let forms = [
            s.clone(),
            encode_component(s),
            encode_component(s).replace('+', "%20"),
        ];
        for f in forms {
            assert!(
                !left.iter().any(|piece| piece.contains(&f)),
                "secret {s:?} (as {f:?}) survives in the {where_}: {out:?}"
            );
        }
    }
}

/// Redaction (`report::redact::Redactor`): no secret registered with a
/// redactor (4 characters or more), raw or form-encoded, survives outside
/// the redaction markers, in `redact` or anywhere in a redacted exchange;
/// the credentials of an `Authorization` header never do; text holding no
/// secret is left as it is. The input is the text, then the secrets, split
/// at `0xFF`.
pub fn check_redact(data: &[u8]) {
    let mut segs = segments(data);
    let text = lossy(segs.next().unwrap_or_default()).into_owned();
    let mut r = Redactor::with_salt([7; 16]);
    let mut secrets = Vec::new();
    for (seg, kind) in segs.take(8).zip(kinds().cycle()) {
        let secret = lossy(seg).into_owned();
        r.add(kind, &secret);
        if secret.chars().count() >= 4 {
            secrets.push(secret);
        }
    }
    let fp = r.fingerprint(&text);
    assert!(fp.len() == 6 && fp == r.fingerprint(&text));
    let out = r.redact(&text);
    assert_no_secret("text", &out, &secrets);
    // A text holds a secret when it holds any encoding of one, or ends
    // with a long prefix of one (a cut body).
    let holds_one = secrets.iter().any(|s| {
        redact::encodings(s)
            .iter()
            .filter(|f| f.chars().count() >= 4)
            .any(|f| {
                text.contains(f.as_str())
                    || (redact::MIN_PREFIX..f.len())
                        .any(|k| f.is_char_boundary(k) && text.ends_with(&f[..k]))
            })
    });
    if !holds_one {
        assert_eq!(out, text, "text without secrets was changed");
    }
    let header = |n: &str, v: String| (n.to_string(), v);
    let e = Exchange {
        request: HttpRequest {
            method: "POST".into(),
            url: format!("https://issuer.example/token?{text}"),
            headers: vec![
                header("Authorization", text.clone()),
                header("Proxy-Authorization", format!("Bearer {text}")),
                header("Cookie", text.clone()),
            ],
            body: Some(text.clone()),
        },
        response: Some(HttpResponse {
            status: 400,
            headers: vec![
                header("Set-Cookie", text.clone()),
                header("Location", text.clone()),
            ],
            body: text.clone(),
            truncated: false,
        }),
        error: Some((TransportError::Other, text.clone())),
        elapsed_ms: 0,
    };
    let red = r.exchange(&e);
    let resp = red.response.as_ref().expect("the response is kept");
    let mut fields: Vec<(&str, &str)> = vec![
        ("url", red.request.url.as_str()),
        ("request body", red.request.body.as_deref().unwrap_or("")),
        ("response body", resp.body.as_str()),
        (
            "transport error",
            red.error.as_ref().expect("kept").1.as_str(),
        ),
    ];
    for (n, v) in red.request.headers.iter().chain(&resp.headers) {
        fields.push((n.as_str(), v.as_str()));
    }
    for (where_, v) in fields {
        assert_no_secret(where_, v, &secrets);
    }
    // An Authorization header keeps its scheme (redacted like any text) and
    // never its credentials, secret or not.
    let auth = outside_markers(&red.request.headers[0].1);
    let scheme = text
        .split_once(' ')
        .map(|(scheme, _)| r.redact(&format!("{scheme} ")));
    let mut want = scheme.as_deref().map_or(vec![""], outside_markers);
    want.push("");
    assert_eq!(auth, want, "Authorization: {text:?}");
}

/// A report with one case per `(id, reason)` pair, outcomes cycling through
/// all five (built from JSON, so that optional model fields keep their defaults).
fn report_with_cases(cases: &[(String, String)]) -> RunReport {
    let outcomes = ["fail", "pass", "warn", "skip", "error"];
    let cases: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, (id, reason))| {
            serde_json::json!({
                "id": id, "scenario": id, "title": "t", "area": "a", "level": "must",
                "covers": [], "spec": [], "tags": [], "outcome": outcomes[i % outcomes.len()],
                "reason": reason, "duration_ms": 0, "steps": [], "source": "suites/x.toml",
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "schema": "grantcheck-report/1", "tool_version": "0", "duration_ms": 0,
        "target": {"profile": "p", "issuer": "i", "reference": false, "faults": []},
        "summary": {"total": 0, "pass": 0, "fail": 0, "warn": 0, "skip": 0, "error": 0, "checks": 0},
        "cases": cases,
    }))
    .expect("a RunReport")
}

/// Baseline file (`report::baseline::Baseline::parse`): an accepted baseline
/// has unique cases and `YYYY-MM-DD` expiry dates and re-serialises to
/// itself; the baseline grantcheck writes for a report (cases and reasons
/// from the input, split at `0xFF`) parses back to exactly the cases that
/// did not pass.
pub fn check_baseline(data: &[u8]) {
    let text = lossy(data);
    if let Ok(b) = Baseline::parse(&text) {
        let mut seen = BTreeSet::new();
        for e in &b.known {
            assert!(seen.insert(e.case.as_str()), "{:?} listed twice", e.case);
            if let Some(d) = &e.expires {
                let shape = d.len() == 10
                    && d.char_indices().all(|(i, c)| {
                        if i == 4 || i == 7 {
                            c == '-'
                        } else {
                            c.is_ascii_digit()
                        }
                    });
                assert!(shape, "expires {d:?} accepted");
            }
        }
        let again = toml::to_string(&b).expect("a baseline serialises");
        match Baseline::parse(&again) {
            Ok(back) => assert_eq!(back, b, "{again}"),
            Err(e) => panic!("a re-serialised baseline does not parse: {e}\n{again}"),
        }
    }
    let strings: Vec<String> = segments(data).map(|x| lossy(x).into_owned()).collect();
    let mut ids = BTreeSet::new();
    let cases: Vec<(String, String)> = strings
        .chunks(2)
        .map(|c| (c[0].clone(), c.get(1).cloned().unwrap_or_default()))
        .filter(|(id, _)| ids.insert(id.clone()))
        .take(8)
        .collect();
    let report = report_with_cases(&cases);
    let written = Baseline::from_report(&report);
    let parsed = Baseline::parse(&written).unwrap_or_else(|e| {
        panic!("the baseline written for a report does not parse: {e}\n{written}")
    });
    let want: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| c.outcome.as_str() != "pass" && c.outcome.as_str() != "skip")
        .map(|c| c.id.as_str())
        .collect();
    let got: Vec<&str> = parsed.known.iter().map(|e| e.case.as_str()).collect();
    assert_eq!(got, want, "{written}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_target_has_a_distinct_name() {
        let names: BTreeSet<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names.len(), TARGETS.len());
        assert!(!check("no_such_target", b""));
    }

    #[test]
    fn markers_are_found() {
        let mut r = Redactor::with_salt([0; 16]);
        r.add("code", "abcdef");
        let out = r.redact("x=abcdef&y=1");
        assert_eq!(outside_markers(&out), ["x=", "&y=1"]);
        assert_eq!(
            outside_markers("[redacted nothing #000000]"),
            ["[redacted nothing #000000]"]
        );
    }

    /// The suite and the profiles load, and pass every check.
    #[test]
    fn real_material_passes() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let suite = scenario::load_dir(&dir.join("suites")).expect("the suite loads");
        for s in &suite {
            check_scenario_file(std::fs::read_to_string(&s.path).unwrap().as_bytes());
        }
        check_requirements(include_bytes!("../docs/requirements.md"));
        check_profile_file(include_bytes!("../issuers/reference.toml"));
        check_scenario_file(include_bytes!("../suites/code/reuse.toml"));
        check_html_form(
            br#"<title> Sign
            in </title><form method=post action="/login"><input type=hidden name=csrf value=t>
            <input name=username><input type=password name=password>
            <button type=submit> Sign  in </button></form>"#,
        );
        check_www_authenticate(br#"Bearer realm="r", error="invalid_token", Basic abc=="#);
    }

    /// Printable ASCII with the delimiters the parsers care about; `¤` stands
    /// for the 0xFF separator of multi-string inputs.
    const FORMAT_LIKE: &str =
        "([ -~]|\\{\\{|\\}\\}|\\[\\[step\\]\\]|<form|</form>|<input |%2[0B]|\n|é|¤){0,120}";

    fn format_like_bytes(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, piece) in s.split('¤').enumerate() {
            if i > 0 {
                out.push(SEP);
            }
            out.extend(piece.as_bytes());
        }
        out
    }

    /// One property test per target: no parser panics on arbitrary bytes or on
    /// format-like text, and every invariant of its check holds.
    macro_rules! every_input {
        ($($test:ident => $check:ident,)*) => {
            proptest! {
                #![proptest_config(ProptestConfig::with_cases(128))]
                $(
                    #[test]
                    fn $test(
                        bytes in proptest::collection::vec(any::<u8>(), 0..512),
                        text in FORMAT_LIKE,
                    ) {
                        $check(&bytes);
                        $check(&format_like_bytes(&text));
                    }
                )*
            }
            #[test]
            fn every_target_has_its_property_test() {
                let tested = [$(stringify!($check)),*];
                for (name, _) in TARGETS {
                    assert!(tested.contains(&format!("check_{name}").as_str()), "{name}");
                }
            }
        };
    }

    every_input! {
        any_scenario_file => check_scenario_file,
        any_profile_file => check_profile_file,
        any_token_response => check_token_response,
        any_callback => check_callback,
        any_form => check_form,
        any_www_authenticate => check_www_authenticate,
        any_discovery => check_discovery,
        any_jwt => check_jwt,
        any_jwks => check_jwks,
        any_html_form => check_html_form,
        any_template => check_template,
        any_requirements => check_requirements,
        any_redact => check_redact,
        any_baseline => check_baseline,
    }

    /// A generated scenario file: TOML text built from parts, with what the
    /// loader must report for it.
    fn scenario_strategy() -> impl Strategy<Value = (String, String, Vec<String>, usize)> {
        let ids: Vec<String> = requirements::catalog()
            .iter()
            .map(|r| r.id.clone())
            .collect();
        (
            "[a-z]{1,6}\\.[a-z0-9-]{1,12}",
            proptest::sample::subsequence(ids, 1..4),
            proptest::collection::vec(0u8..4, 1..5),
            prop_oneof![Just("must"), Just("should"), Just("profile"), Just("setup")],
            "[ -~]{0,30}",
        )
            .prop_map(|(id, covers, kinds, level, title)| {
                let mut src = format!(
                    "id = {id:?}\ntitle = {title:?}\ndescription = \"d\"\ncovers = {covers:?}\nlevel = {level:?}\n"
                );
                let mut authorize: Option<String> = None;
                for (i, k) in kinds.iter().enumerate() {
                    src.push_str(&format!("\n[[step]]\nname = \"s{i}\"\n"));
                    // The first step authorizes, so later ones have a code to use.
                    let k = if i == 0 { 0 } else { *k };
                    match (k, &authorize) {
                        (1, Some(a)) => src.push_str(&format!(
                            "token = {{ from = {a:?} }}\nexpect = {{ status = 200, present = [\"access_token\"] }}\n"
                        )),
                        (2, _) => src.push_str("discovery = {}\nexpect.status = 200\n"),
                        (3, Some(a)) => src.push_str(&format!(
                            "http = {{ url = \"{{{{ issuer.token_endpoint }}}}\", form = [[\"code\", \"{{{{ {a}.code | chop }}}}\"]] }}\nexpect.status = [400, 401]\n"
                        )),
                        _ => {
                            src.push_str("authorize = { client = \"c1\" }\nexpect.callback = \"code\"\n");
                            authorize = Some(format!("s{i}"));
                        }
                    }
                }
                (src, id, covers, kinds.len())
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Scenario files round-trip: what is written is what the loader reports,
        /// and the TOML re-serialisation loads the same.
        #[test]
        fn generated_scenarios_load_as_written((src, id, covers, steps) in scenario_strategy()) {
            let s = scenario::load_str(Path::new("gen.toml"), &src)
                .unwrap_or_else(|d| panic!("{src}\n{}", d[0]));
            prop_assert_eq!(&s.id, &id);
            prop_assert_eq!(s.all_covers(), covers.iter().cloned().collect::<BTreeSet<_>>());
            prop_assert_eq!(s.def.steps.len(), steps);
            prop_assert!(s.requires.contains("client:c1"));
            check_scenario_file(src.as_bytes());
        }

        /// Generated WWW-Authenticate values parse to what was written.
        #[test]
        fn generated_challenges_parse(
            scheme in "[A-Za-z][A-Za-z0-9-]{0,8}",
            params in proptest::collection::vec(("[a-z_]{1,10}", "[ -~]{0,12}"), 0..4),
        ) {
            let c = Challenge { scheme, token68: None, params };
            let header = render_challenges(std::slice::from_ref(&c));
            prop_assert_eq!(www_authenticate::parse(&header), vec![c]);
        }

        /// Generated tokens: JSON objects encoded as a JWS always parse.
        #[test]
        fn generated_jws_parse(
            header in proptest::collection::btree_map("[a-z]{1,5}", "[ -~]{0,10}", 0..4),
            claims in proptest::collection::btree_map("[a-z]{1,5}", any::<i64>(), 0..4),
            sig in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut data = serde_json::to_vec(&header).unwrap();
            data.push(SEP);
            data.extend(serde_json::to_vec(&claims).unwrap());
            data.push(SEP);
            data.extend(sig.iter().map(|b| if *b == SEP { 0 } else { *b }));
            check_jwt(&data);
        }

        /// Generated login pages: the fields come back, in order, from the page.
        #[test]
        fn generated_forms_extract(names in proptest::collection::vec("[a-z_]{1,8}", 0..6)) {
            let inputs: String = names.iter().map(|n| format!("<input type=hidden name={n} value=v>")).collect();
            let page = format!("<form method=POST action=/login>{inputs}<button>Go</button></form>");
            check_html_form(page.as_bytes());
            let p = html::parse_page(&page);
            let got: Vec<&str> = p.forms[0].fields.iter().map(|f| f.name.as_str()).collect();
            prop_assert_eq!(got, names.iter().map(String::as_str).collect::<Vec<_>>());
        }

        /// Generated secrets never survive redaction, whatever surrounds them.
        #[test]
        fn generated_secrets_are_redacted(
            secrets in proptest::collection::vec("[ -~]{4,16}", 1..4),
            filler in "[ -~]{0,20}",
        ) {
            let mut data = Vec::new();
            for s in &secrets {
                data.extend(filler.as_bytes());
                data.extend(s.as_bytes());
                data.extend(encode_component(s).as_bytes());
            }
            for s in &secrets {
                data.push(SEP);
                data.extend(s.as_bytes());
            }
            check_redact(&data);
        }
    }
}
