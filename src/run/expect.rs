//! Expectations against what a step observed. Each entry of the step's list
//! (`scenario::assertion`) becomes one or more [`Check`]s that say what was
//! expected and what came back: a query reads a value from the step's
//! output, a predicate decides, and `any` holds when one branch does.

use std::collections::BTreeSet;

use serde_json::Value;

use super::context::CaseContext;
use super::step::{AuthzView, Observed, StepOutput};
use crate::protocol::token::{error_code, is_error_text_charset, Body};
use crate::protocol::www_authenticate;
use crate::protocol::{jwk, jwt};
use crate::report::model::Check;
use crate::scenario::assertion::{Assertion, Expectation, Predicate, Query};
use crate::scenario::model::{AccessTokenExpect, IdTokenExpect, Text};

fn check(
    what: impl Into<String>,
    expected: impl Into<String>,
    actual: impl Into<String>,
    passed: bool,
) -> Check {
    Check::new(what, expected, actual, passed)
}

/// The issuer's JWKS as fetched for an `id_token` expectation: the parsed
/// set, or why there is none.
pub type Keys = Result<jsonwebtoken::jwk::JwkSet, String>;

/// Whether any assertion of the list needs the issuer's JWKS.
pub fn wants_keys(list: &[Expectation]) -> bool {
    list.iter()
        .flat_map(Expectation::assertions)
        .any(|a| matches!(a.query, Query::IdToken(_) | Query::AccessToken(_)))
}

/// Every check of a step's expectation list, each carrying the line, level
/// and ids of the assertion it came from.
pub fn evaluate(
    list: &[Expectation],
    out: &StepOutput,
    ctx: &mut CaseContext<'_>,
    keys: Option<&Keys>,
) -> Result<Vec<Check>, String> {
    let mut checks = Vec::new();
    for e in list {
        let got = match e {
            Expectation::One(a) => assertion(a, out, ctx, keys)?,
            Expectation::Any { branches, .. } => vec![any(e, branches, out, ctx, keys)?],
        };
        for mut c in got {
            c.line = Some(e.line()).filter(|l| *l > 0);
            c.level = e.level().map(|l| l.as_str().to_string());
            c.covers = e.covers();
            checks.push(c);
        }
    }
    Ok(checks)
}

/// `any`: one check, held when every assertion of some branch holds.
fn any(
    e: &Expectation,
    branches: &[Vec<Assertion>],
    out: &StepOutput,
    ctx: &mut CaseContext<'_>,
    keys: Option<&Keys>,
) -> Result<Check, String> {
    let mut seen = Vec::new();
    for (i, branch) in branches.iter().enumerate() {
        let mut checks = Vec::new();
        for a in branch {
            checks.extend(assertion(a, out, ctx, keys)?);
        }
        match checks.iter().find(|c| !c.passed) {
            None => {
                let held: Vec<String> = checks.iter().map(|c| c.actual.clone()).collect();
                return Ok(check(
                    "one of several outcomes",
                    e.describe(),
                    format!("branch {} held: {}", i + 1, held.join("; ")),
                    true,
                ));
            }
            Some(c) => seen.push(format!("{}: got {}", c.what, c.actual)),
        }
    }
    Ok(check(
        "one of several outcomes",
        e.describe(),
        format!("no branch held ({})", seen.join("; ")),
        false,
    ))
}

fn assertion(
    a: &Assertion,
    out: &StepOutput,
    ctx: &mut CaseContext<'_>,
    keys: Option<&Keys>,
) -> Result<Vec<Check>, String> {
    let obj = out.body.as_ref().and_then(Body::object);
    let mut checks = Vec::new();
    match (&a.query, &a.predicate) {
        (Query::IdToken(idt), _) => id_token_checks(idt, obj, ctx, keys, &mut checks)?,
        (Query::AccessToken(at), _) => access_token_checks(at, obj, ctx, keys, &mut checks)?,
        (Query::Body, Predicate::JsonObject) => checks.push(json_object(out.body.as_ref())),
        (Query::Body, Predicate::PublicKeysOnly) => checks.push(public_keys_only(obj)),
        (Query::Body, Predicate::DistinctKeys) => {
            checks.push(jwks_findings(obj, "distinct", jwk::ambiguity))
        }
        (Query::Body, Predicate::StrongKeys) => {
            checks.push(jwks_findings(obj, "strong", jwk::weakness))
        }
        (Query::Body, Predicate::WellFormedMetadata) => checks.push(well_formed_metadata(obj)),
        (Query::Body, Predicate::Lacks(t)) => checks.push(lacks(t.get_ref(), &ctx.render(t)?, out)),
        (Query::Successes, p) => checks.push(successes(p, out)?),
        (Query::Challenge, Predicate::WellFormed) => checks.push(challenge_syntax(out)),
        (Query::Samples(f), Predicate::EntropyBits(n)) => checks.push(entropy(a, f, *n, out, ctx)),
        _ => {
            let seen = observe(&a.query, out, ctx)?;
            checks.push(decide(a, seen, ctx)?);
        }
    }
    Ok(checks)
}

/// What a query read: the value (absent when `None`) and how a check shows it.
struct Seen {
    value: Option<Value>,
    shown: String,
}

impl Seen {
    fn json(value: Option<&Value>) -> Seen {
        Seen {
            shown: value
                .map(|v| v.to_string())
                .unwrap_or_else(|| "absent".into()),
            value: value.cloned(),
        }
    }

    fn text(value: Option<String>) -> Seen {
        Seen {
            shown: value
                .as_ref()
                .map(|v| format!("\"{v}\""))
                .unwrap_or_else(|| "absent".into()),
            value: value.map(Value::String),
        }
    }
}

fn observe(q: &Query, out: &StepOutput, ctx: &mut CaseContext<'_>) -> Result<Seen, String> {
    let authz = out.authz.as_ref();
    let body = out.body.as_ref();
    let obj = body.and_then(Body::object);
    let resp = out.response.as_ref();
    let need_authz = || authz.ok_or(format!("`{}` on a step that is not authorize", q.label()));
    Ok(match q {
        Query::Status => {
            let got = resp.map(|r| r.status).or(authz.map(|a| a.status));
            Seen {
                value: got.map(Value::from),
                shown: got
                    .map(|g| with_error(g, body))
                    .unwrap_or_else(|| "no response".into()),
            }
        }
        Query::Outcome => {
            let a = need_authz()?;
            let kind = match a.kind {
                Observed::Code => "code",
                Observed::Error => "error",
                Observed::NoRedirect => "no_redirect",
                Observed::Bare => "a redirect with neither code nor error",
                Observed::Elsewhere => "a redirect elsewhere",
            };
            Seen {
                value: Some(kind.into()),
                shown: a.described.clone(),
            }
        }
        Query::Fragment => {
            let a = need_authz()?;
            let leaked: Vec<&str> = a
                .fragment
                .iter()
                .map(|(k, _)| k)
                .filter(|k| ["code", "access_token", "id_token"].contains(k))
                .collect();
            Seen {
                value: Some(leaked.iter().map(|k| Value::from(*k)).collect()),
                shown: if leaked.is_empty() {
                    "none".into()
                } else {
                    leaked.join(", ")
                },
            }
        }
        Query::Error => error(authz, body, resp.map(|r| r.status)),
        Query::Field(f) => {
            let name = ctx.render(f)?;
            // The steps that talk no HTTP answer (`tls`, `wait`) are read
            // from the fields they set themselves, never from issuer bytes.
            let got = match out.action {
                "tls" | "wait" => out.values.fields.get(&name).cloned(),
                // What the walk itself saw (a session sent, a login form
                // filled), never a callback parameter of the same name.
                "authorize" if AUTHORIZE_FACTS.contains(&name.as_str()) => {
                    out.values.fields.get(&name).cloned()
                }
                _ => lookup_field(&name, authz, obj),
            };
            Seen::text(got)
        }
        Query::Json(k) => Seen::json(obj.and_then(|m| m.get(k))),
        Query::IdTokenClaim(c) => {
            let jws = obj
                .and_then(|m| m.get("id_token"))
                .and_then(Value::as_str)
                .and_then(|t| jwt::Jws::parse(t).ok());
            match jws {
                Some(j) => Seen::json(j.claims.get(c)),
                None => Seen {
                    value: None,
                    shown: "no id_token that parses".into(),
                },
            }
        }
        Query::Param(k) => Seen::text(need_authz()?.params.get(k).map(str::to_string)),
        Query::Header(h) => {
            let name = ctx.render(h)?;
            let values: Vec<&str> = resp
                .map(|r| r.headers_named(&name).collect())
                .unwrap_or_default();
            Seen::text((!values.is_empty()).then(|| values.join(", ")))
        }
        Query::Directive(h, d) => {
            let name = ctx.render(h)?;
            let values: Vec<&str> = resp
                .map(|r| r.headers_named(&name).collect())
                .unwrap_or_default();
            let found = directive(&values.join(","), d);
            Seen {
                value: found.as_ref().map(|v| match v.parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => Value::from(v.clone()),
                }),
                shown: match found {
                    Some(v) => format!("{d}={v}"),
                    None if values.is_empty() => format!("no `{name}` header"),
                    None => format!("no `{d}` in `{}`", values.join(", ")),
                },
            }
        }
        Query::Challenge | Query::ChallengeError => challenges(q, resp),
        Query::ErrorText(member) => Seen::text(match authz {
            Some(a) => a.params.get(member).map(str::to_string),
            None => obj
                .and_then(|m| m.get(*member))
                .and_then(Value::as_str)
                .map(str::to_string),
        }),
        Query::Body
        | Query::IdToken(_)
        | Query::AccessToken(_)
        | Query::Successes
        | Query::Samples(_) => return Err(format!("`{}` has no single value", q.label())),
    })
}

fn error(authz: Option<&AuthzView>, body: Option<&Body>, status: Option<u16>) -> Seen {
    let got = match authz {
        Some(a) => a.params.get("error").map(str::to_string),
        None => body.and_then(error_code),
    };
    let shown = match (&got, authz, status) {
        (Some(g), _, _) => g.clone(),
        (None, Some(a), _) => format!("no error parameter: {}", a.described),
        (None, None, Some(s)) => format!("no error member: {}", describe_body(s, body)),
        _ => "nothing".into(),
    };
    Seen {
        value: got.map(Value::String),
        shown,
    }
}

/// The challenge schemes (lower-cased: they compare case-insensitively) or
/// their `error` attributes.
fn challenges(q: &Query, resp: Option<&crate::report::model::HttpResponse>) -> Seen {
    let raw: Vec<&str> = resp
        .map(|r| r.headers_named("www-authenticate").collect())
        .unwrap_or_default();
    let parsed: Vec<_> = raw
        .iter()
        .flat_map(|h| www_authenticate::parse(h))
        .collect();
    let values: Vec<Value> = match q {
        Query::Challenge => parsed
            .iter()
            .map(|c| c.scheme.to_ascii_lowercase().into())
            .collect(),
        _ => parsed
            .iter()
            .filter_map(|c| c.param("error").map(Value::from))
            .collect(),
    };
    Seen {
        value: Some(Value::Array(values)),
        shown: if raw.is_empty() {
            "no WWW-Authenticate header".to_string()
        } else {
            format!("WWW-Authenticate: {}", raw.join(", "))
        },
    }
}

/// A TOML value of the scenario, its strings rendered as templates.
fn rendered(v: &toml::Value, ctx: &mut CaseContext<'_>) -> Result<Value, String> {
    Ok(match v {
        toml::Value::String(s) => Value::String(ctx.render_str_value(s)?),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Float(f) => Value::from(*f),
        other => Value::String(other.to_string()),
    })
}

/// How an expected value is written: bare for codes and statuses, quoted
/// for strings elsewhere.
fn shown_value(q: &Query, v: &Value) -> String {
    match (q, v) {
        (Query::Status | Query::Error | Query::Outcome, Value::String(s)) => s.clone(),
        (_, Value::String(s)) => format!("\"{s}\""),
        (_, other) => other.to_string(),
    }
}

fn scope_set(s: &str) -> BTreeSet<&str> {
    s.split(' ').filter(|t| !t.is_empty()).collect()
}

/// Applies the assertion's predicate to what its query read.
fn decide(a: &Assertion, seen: Seen, ctx: &mut CaseContext<'_>) -> Result<Check, String> {
    let what = a.what();
    let got = seen.value.as_ref();
    let mut actual = seen.shown.clone();
    let (expected, passed) = judge(a, got, &mut actual, ctx)?;
    // An optional member that is absent holds; when present it is checked.
    if a.optional && got.is_none() {
        return Ok(check(
            what,
            format!("{expected}, when present"),
            "absent",
            true,
        ));
    }
    let expected = if a.optional {
        format!("{expected}, when present")
    } else {
        expected
    };
    Ok(check(what, expected, actual, passed))
}

/// A template (`"{{ first.id_token.auth_time }}"`) renders a captured value
/// as text, whatever its JSON type was: it equals a number, boolean or
/// array whose JSON text it is (an `aud` of several audiences). A literal
/// string never equals a number (`"3600"` is not `3600`: TOK-01).
fn captured_scalar_equal(v: &toml::Value, want: &Value, got: Option<&Value>) -> bool {
    let templated = v.as_str().is_some_and(|s| s.contains("{{"));
    match (got, want.as_str()) {
        (Some(g @ (Value::Number(_) | Value::Bool(_) | Value::Array(_))), Some(w)) if templated => {
            serde_json::from_str::<Value>(w).is_ok_and(|v| v == *g)
        }
        _ => false,
    }
}

/// What the predicate expects, as the report words it, and whether `got`
/// holds it; some predicates also reword `actual`.
fn judge(
    a: &Assertion,
    got: Option<&Value>,
    actual: &mut String,
    ctx: &mut CaseContext<'_>,
) -> Result<(String, bool), String> {
    let text = got.and_then(Value::as_str);
    Ok(match &a.predicate {
        Predicate::Equals(v) => {
            let want = rendered(v, ctx)?;
            let ok = got == Some(&want) || captured_scalar_equal(v, &want, got);
            (shown_value(&a.query, &want), ok)
        }
        Predicate::OneOf(vs) => one_of(&a.query, vs, got, ctx)?,
        Predicate::EqualsCi(t) => {
            let want = ctx.render(t)?;
            let ok = text.is_some_and(|g| g.eq_ignore_ascii_case(&want));
            (format!("\"{want}\""), ok)
        }
        Predicate::Present | Predicate::Absent => {
            let want = matches!(a.predicate, Predicate::Present);
            if !matches!(a.query, Query::Header(_)) {
                *actual = if got.is_some() { "present" } else { "absent" }.into();
            }
            let label = if want { "present" } else { "absent" };
            (label.to_string(), got.is_some() == want)
        }
        Predicate::Contains(t) => {
            let want = ctx.render(t)?;
            let ok =
                text.is_some_and(|g| g.to_ascii_lowercase().contains(&want.to_ascii_lowercase()));
            (format!("contains \"{want}\""), ok)
        }
        Predicate::Differs(t) => {
            let other = ctx.render(t)?;
            let value = lookup_text(got);
            *actual = match &value {
                None => "absent".to_string(),
                Some(g) if *g == other => format!("the same value ({g})"),
                Some(g) => format!("a different value ({g})"),
            };
            let ok = value.is_some_and(|g| g != other);
            (format!("present and different from {other}"), ok)
        }
        Predicate::Between(lo, hi) => {
            let n = got.and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
            let ok = n.is_some_and(|n| (*lo..=*hi).contains(&n));
            (format!("a number from {lo} to {hi}"), ok)
        }
        Predicate::PositiveInteger => {
            let ok = got.is_some_and(|g| g.as_u64().is_some_and(|n| n > 0));
            ("a positive JSON integer".to_string(), ok)
        }
        Predicate::ScopeSet(t) => {
            let want = ctx.render(t)?;
            let shown: Vec<&str> = scope_set(&want).into_iter().collect();
            let ok = text.is_some_and(|g| scope_set(g) == scope_set(&want));
            (
                format!("\"{}\" as a space-separated string", shown.join(" ")),
                ok,
            )
        }
        Predicate::Charset => charset(text, actual),
        Predicate::Lacks(t) => {
            let needle = ctx.render(t)?;
            // Named by its template: the needle may be a secret.
            let ok = !needle.is_empty() && text.is_none_or(|g| !g.contains(&needle));
            if text.is_some_and(|g| g.contains(&needle)) {
                *actual = format!("a value holding {}", t.get_ref());
            }
            (format!("not holding {}", t.get_ref()), ok)
        }
        Predicate::Includes(t) | Predicate::Excludes(t) => membership(a, t, got, ctx)?,
        Predicate::AsciiMaxLen(n) => {
            let ok = text.is_some_and(|g| g.is_ascii() && g.len() as i64 <= *n);
            if let Some(g) = text {
                *actual = format!(
                    "{} characters{}",
                    g.chars().count(),
                    if g.is_ascii() { "" } else { ", not all ASCII" }
                );
            }
            (format!("a string of at most {n} ASCII characters"), ok)
        }
        Predicate::Empty => (
            "no code or token in the fragment".to_string(),
            strings(got).is_empty(),
        ),
        Predicate::JsonObject
        | Predicate::PublicKeysOnly
        | Predicate::DistinctKeys
        | Predicate::StrongKeys
        | Predicate::WellFormed
        | Predicate::EntropyBits(_)
        | Predicate::WellFormedMetadata
        | Predicate::Verifies => {
            return Err(format!("`{}` cannot be checked that way", a.query.label()))
        }
    })
}

/// The string members of a JSON array (none for anything else).
fn strings(got: Option<&Value>) -> Vec<&str> {
    got.and_then(Value::as_array)
        .map(|xs| xs.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `one_of`: the value is one of the rendered expectations.
fn one_of(
    q: &Query,
    vs: &[toml::Value],
    got: Option<&Value>,
    ctx: &mut CaseContext<'_>,
) -> Result<(String, bool), String> {
    let wants = vs
        .iter()
        .map(|v| rendered(v, ctx))
        .collect::<Result<Vec<_>, _>>()?;
    let all: Vec<String> = wants.iter().map(|w| shown_value(q, w)).collect();
    let expected = match all.as_slice() {
        [one] => one.clone(),
        many => format!("one of {}", many.join(", ")),
    };
    Ok((expected, got.is_some_and(|g| wants.contains(g))))
}

/// `error` and `error_description` use only the characters RFC 6749
/// allows; a text that does not is shown escaped.
fn charset(text: Option<&str>, actual: &mut String) -> (String, bool) {
    let ok = text.is_some_and(is_error_text_charset);
    if let Some(t) = text {
        *actual = if ok {
            "only allowed characters".to_string()
        } else {
            format!("\"{}\"", t.escape_default())
        };
    }
    (
        "%x20-21 / %x23-5B / %x5D-7E (RFC 6749 A.7, A.8)".to_string(),
        ok,
    )
}

/// `includes` and `excludes`: a list (of strings, of challenge schemes or
/// challenge errors) holds the rendered value, or does not.
fn membership(
    a: &Assertion,
    t: &Text,
    got: Option<&Value>,
    ctx: &mut CaseContext<'_>,
) -> Result<(String, bool), String> {
    let want = ctx.render(t)?;
    // Schemes were read lower-cased: they compare case-insensitively.
    let key = match a.query {
        Query::Challenge => want.to_ascii_lowercase(),
        _ => want.clone(),
    };
    // A string is a space-separated list (a `scope`, RFC 6749 §3.3): its
    // tokens are the members; read as an empty list it would "exclude"
    // everything.
    let members: Vec<&str> = match got {
        Some(Value::String(s)) => s.split(' ').filter(|t| !t.is_empty()).collect(),
        other => strings(other),
    };
    // Against a space-separated string (a scope), a wanted value of several
    // tokens (a profile's `unheld` purpose naming two scopes) is each of
    // them; against a JSON array a member may hold spaces (`code token`).
    let wanted: Vec<&str> = match got {
        Some(Value::String(_)) => key.split(' ').filter(|t| !t.is_empty()).collect(),
        _ => vec![key.as_str()],
    };
    let include_all = matches!(a.predicate, Predicate::Includes(_));
    let holds = match include_all {
        true => !wanted.is_empty() && wanted.iter().all(|w| members.contains(w)),
        false => wanted.iter().any(|w| members.contains(w)),
    };
    let include = matches!(a.predicate, Predicate::Includes(_));
    let expected = match (&a.query, include) {
        (Query::Challenge, _) => want.clone(),
        (Query::ChallengeError, _) => format!("error=\"{want}\""),
        (_, true) => format!("a list including \"{want}\""),
        (_, false) => format!("no \"{want}\""),
    };
    Ok((expected, got.is_some() && holds == include))
}

/// A JSON value as the text a template would compare it with.
fn lookup_text(v: Option<&Value>) -> Option<String> {
    v.map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// No response of the step (every page an authorization walked through,
/// or the one answer) holds `text` as sent. An empty text is held by
/// nothing: a template that rendered empty must not pass by accident.
/// The check shows `written`, the scenario's text: the needle is often a
/// secret (`{{ clients.c1.secret }}`), which must not reach a report.
fn lacks(written: &str, text: &str, out: &StepOutput) -> Check {
    let holding = out
        .exchanges
        .iter()
        .filter_map(|x| x.response.as_ref())
        .find(|r| {
            !text.is_empty()
                && (r.body.contains(text) || r.headers.iter().any(|(_, v)| v.contains(text)))
        });
    check(
        "body lacks",
        format!("no response holding \"{written}\""),
        match holding {
            Some(r) => format!("a {} response holds it", r.status),
            None if text.is_empty() => "nothing to look for (empty)".to_string(),
            None => format!("none of {} response(s) holds it", out.exchanges.len()),
        },
        holding.is_none() && !text.is_empty(),
    )
}

fn json_object(body: Option<&Body>) -> Check {
    check(
        "body",
        "a JSON object",
        match body {
            Some(Body::Object(_)) => "a JSON object".to_string(),
            Some(Body::OtherJson(_)) => "JSON that is not an object".to_string(),
            Some(Body::NotJson) => "not JSON".to_string(),
            None => "no body".to_string(),
        },
        body.and_then(Body::object).is_some(),
    )
}

fn public_keys_only(obj: Option<&serde_json::Map<String, Value>>) -> Check {
    let (actual, ok) = match obj {
        None => ("not a JSON object".to_string(), false),
        Some(m) => {
            let v = Value::Object(m.clone());
            let leaked = jwt::leaked_private_members(&v);
            let n = v.get("keys").and_then(Value::as_array).map(Vec::len);
            match (n, leaked.is_empty()) {
                (None, _) => ("no `keys` array".to_string(), false),
                (Some(n), true) => (format!("{n} key(s), all public"), true),
                (Some(_), false) => (
                    leaked
                        .iter()
                        .map(|(kid, m)| format!("key {kid}: {}", m.join(", ")))
                        .collect::<Vec<_>>()
                        .join("; "),
                    false,
                ),
            }
        }
    };
    check(
        "JWKS keys",
        "public keys only (no d, p, q, dp, dq, qi, oth, k)",
        actual,
        ok,
    )
}

/// Every value named `field` the case has seen (earlier steps, this one).
fn samples(field: &str, out: &StepOutput, ctx: &CaseContext<'_>) -> Vec<String> {
    ctx.steps
        .values()
        .chain(std::iter::once(&out.values))
        .filter_map(|v| v.fields.get(field).cloned())
        .collect()
}

/// ENT rows: the samples' estimated randomness against `bits`.
fn entropy(
    a: &Assertion,
    field: &str,
    bits: i64,
    out: &StepOutput,
    ctx: &CaseContext<'_>,
) -> Check {
    let expected = format!("about {bits} bits or more each, no repeats");
    match crate::protocol::entropy::estimate(&samples(field, out, ctx)) {
        Ok(e) => check(a.what(), expected, e.describe(), e.meets(bits as f64)),
        Err(why) => check(a.what(), expected, why, false),
    }
}

/// BEAR-08: the Bearer challenges of the response, each well formed.
fn challenge_syntax(out: &StepOutput) -> Check {
    let raw: Vec<&str> = out
        .response
        .as_ref()
        .map(|r| r.headers_named("www-authenticate").collect())
        .unwrap_or_default();
    // Other schemes may come in headers of their own (DPoP beside Bearer):
    // only the headers that hold a Bearer challenge are judged.
    let bearer: Vec<&&str> = raw
        .iter()
        .filter(|h| {
            www_authenticate::parse(h)
                .iter()
                .any(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        })
        .collect();
    let problems: Vec<String> = match (raw.is_empty(), bearer.is_empty()) {
        (true, _) => vec!["no WWW-Authenticate header".into()],
        (false, true) => vec!["no Bearer challenge".into()],
        (false, false) => bearer
            .iter()
            .flat_map(|h| www_authenticate::bearer_problems(h))
            .collect(),
    };
    let ok = problems.is_empty();
    let actual = match ok {
        true => format!("WWW-Authenticate: {}", raw.join(", ")),
        false => problems.join("; "),
    };
    check(
        "WWW-Authenticate syntax",
        "a Bearer challenge, each attribute once, realm quoted, error texts in the allowed characters",
        actual,
        ok,
    )
}

/// A JWKS check whose findings are a list of sentences: none holds.
fn jwks_findings(
    obj: Option<&serde_json::Map<String, Value>>,
    what: &str,
    find: fn(&Value) -> Vec<String>,
) -> Check {
    let (actual, ok) = match obj {
        None => ("not a JSON object".to_string(), false),
        Some(m) => {
            let found = find(&Value::Object(m.clone()));
            match found.is_empty() {
                true => ("no finding".to_string(), true),
                false => (found.join("; "), false),
            }
        }
    };
    check(format!("JWKS keys {what}"), "no finding", actual, ok)
}

fn well_formed_metadata(obj: Option<&serde_json::Map<String, Value>>) -> Check {
    let (actual, ok) = match obj {
        None => ("not a JSON object".to_string(), false),
        Some(m) => match crate::protocol::discovery::member_problems(m) {
            p if p.is_empty() => (format!("{} members, all well formed", m.len()), true),
            p => (p.join("; "), false),
        },
    };
    check(
        "metadata members",
        "no empty arrays, booleans as booleans, absolute https URLs, no `none` auth signing alg",
        actual,
        ok,
    )
}

fn successes(p: &Predicate, out: &StepOutput) -> Result<Check, String> {
    let Predicate::Equals(toml::Value::Integer(want)) = p else {
        return Err("`successes` takes `equals = N`".into());
    };
    let got = out.statuses.iter().filter(|s| **s == 200).count();
    Ok(check(
        "concurrent successes",
        format!("exactly {want} of {} answered 200", out.statuses.len()),
        format!("{got} answered 200 ({})", super::step::tally(&out.statuses)),
        i64::try_from(got).ok() == Some(*want),
    ))
}

/// The ID token checks: a JWS whose header names an advertised algorithm
/// (never `none`), whose signature verifies with the JWKS key its `kid`
/// names, and whose claims hold `iss`, `aud`, `exp`, `iat` and `nonce`.
fn id_token_checks(
    idt: &IdTokenExpect,
    obj: Option<&serde_json::Map<String, Value>>,
    ctx: &mut CaseContext<'_>,
    keys: Option<&Keys>,
    checks: &mut Vec<Check>,
) -> Result<(), String> {
    let Some(raw) = obj.and_then(|m| m.get("id_token")).and_then(Value::as_str) else {
        checks.push(check("id_token", "present", "absent", false));
        return Ok(());
    };
    let jws = match jwt::Jws::parse(raw) {
        Ok(j) => j,
        Err(e) => {
            checks.push(check("id_token", "a compact JWS", e.to_string(), false));
            return Ok(());
        }
    };
    let advertised: Vec<String> = ctx
        .target
        .metadata
        .as_ref()
        .and_then(|m| m.id_token_signing_alg_values_supported.clone())
        .unwrap_or_else(|| vec!["RS256".into()]);
    let alg = jws.alg().unwrap_or("(none given)").to_string();
    let alg_ok = alg != "none" && advertised.contains(&alg);
    checks.push(check(
        "id_token alg",
        format!("one of {} (never none)", advertised.join(", ")),
        alg.clone(),
        alg_ok,
    ));
    let verdict = match keys {
        None => Err("no JWKS was fetched".to_string()),
        Some(Err(why)) => Err(why.clone()),
        Some(Ok(set)) if alg_ok => verify_with(set, &jws, &alg),
        Some(Ok(_)) => Err(format!("not verified: alg {alg}")),
    };
    checks.push(check(
        "id_token signature",
        "verifies with the issuer's JWKS",
        match &verdict {
            Ok(kid) => format!("verified with key {kid}"),
            Err(e) => e.clone(),
        },
        verdict.is_ok(),
    ));
    let issuer = ctx.target.issuer_id();
    let iss = jws.claims.get("iss").and_then(Value::as_str);
    checks.push(check(
        "id_token iss",
        format!("\"{issuer}\""),
        iss.map(|i| format!("\"{i}\""))
            .unwrap_or_else(|| "absent".into()),
        iss == Some(issuer.as_str()),
    ));
    if let Some(a) = &idt.aud {
        let want = ctx.render(a)?;
        let auds = jws.audiences();
        checks.push(check(
            "id_token aud",
            format!("includes \"{want}\""),
            format!("{auds:?}"),
            auds.contains(&want.as_str()),
        ));
    }
    time_checks("id_token", &jws, checks);
    let nonce = jws.claims.get("nonce").and_then(Value::as_str);
    if let Some(n) = &idt.nonce {
        let want = ctx.render(n)?;
        checks.push(check(
            "id_token nonce",
            format!("\"{want}\""),
            nonce
                .map(|n| format!("\"{n}\""))
                .unwrap_or_else(|| "absent".into()),
            nonce == Some(want.as_str()),
        ));
    }
    if idt.nonce_absent {
        checks.push(check(
            "id_token nonce",
            "absent (none was sent)",
            nonce
                .map(|n| format!("\"{n}\""))
                .unwrap_or_else(|| "absent".into()),
            nonce.is_none(),
        ));
    }
    if idt.at_hash {
        checks.push(at_hash_check(&jws, &alg, obj));
    }
    Ok(())
}

/// `at_hash`, when the ID token has one, against the access token it came with.
fn at_hash_check(jws: &jwt::Jws, alg: &str, obj: Option<&serde_json::Map<String, Value>>) -> Check {
    let claim = jws.claims.get("at_hash").and_then(Value::as_str);
    let at = obj
        .and_then(|m| m.get("access_token"))
        .and_then(Value::as_str);
    let want = at.and_then(|t| jwt::left_half_hash(alg, t));
    let (expected, passed) = match (claim, &want) {
        (None, _) => ("the access token's hash, when present".to_string(), true),
        (Some(_), None) => (format!("a hash the token's alg {alg} defines"), false),
        (Some(c), Some(w)) => (format!("\"{w}\""), c == w),
    };
    let actual = claim
        .map(|c| format!("\"{c}\""))
        .unwrap_or_else(|| "absent".into());
    check("id_token at_hash", expected, actual, passed)
}

/// The RFC 9068 checks of a JWT access token (JWTAT-01 to JWTAT-05): typed
/// `at+jwt`, signed (never `none`) by a key of the JWKS, with `iss`, `aud`,
/// `sub`, `client_id`, `iat`, `exp` and `jti`, a lifetime equal to
/// `expires_in` and a `scope` equal (as a set) to the response's.
fn access_token_checks(
    at: &AccessTokenExpect,
    obj: Option<&serde_json::Map<String, Value>>,
    ctx: &mut CaseContext<'_>,
    keys: Option<&Keys>,
    checks: &mut Vec<Check>,
) -> Result<(), String> {
    let Some(raw) = obj
        .and_then(|m| m.get("access_token"))
        .and_then(Value::as_str)
    else {
        checks.push(check("access_token", "present", "absent", false));
        return Ok(());
    };
    let jws = match jwt::Jws::parse(raw) {
        Ok(j) => j,
        Err(e) => {
            checks.push(check(
                "access_token",
                "a JWT (compact JWS)",
                e.to_string(),
                false,
            ));
            return Ok(());
        }
    };
    access_token_header(&jws, keys, checks);
    access_token_claims(at, &jws, ctx, checks)?;
    let (exp, iat) = time_checks("access_token", &jws, checks);
    access_token_response_match(&jws, obj, exp, iat, checks);
    Ok(())
}

/// A claim of `jws` that is a string.
fn claim_text(jws: &jwt::Jws, name: &str) -> Option<String> {
    jws.claims
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A string quoted, or `absent`.
fn quoted_or_absent(v: Option<String>) -> String {
    v.map(|s| format!("\"{s}\""))
        .unwrap_or_else(|| "absent".into())
}

/// The access token's header: `typ` at+jwt, and a signature (never `none`)
/// that verifies with a key of the issuer's JWKS.
fn access_token_header(jws: &jwt::Jws, keys: Option<&Keys>, checks: &mut Vec<Check>) {
    let typ = jws.header.get("typ").and_then(Value::as_str);
    checks.push(check(
        "access_token typ",
        "at+jwt or application/at+jwt",
        typ.map(|t| format!("\"{t}\""))
            .unwrap_or_else(|| "absent".into()),
        typ.is_some_and(|t| {
            t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
        }),
    ));
    let alg = jws.alg().unwrap_or("(none given)").to_string();
    let verdict = match keys {
        None => Err("no JWKS was fetched".to_string()),
        Some(Err(why)) => Err(why.clone()),
        Some(Ok(_)) if alg == "none" => Err("alg none: unsigned".to_string()),
        Some(Ok(set)) => verify_with(set, jws, &alg),
    };
    checks.push(check(
        "access_token signature",
        "verifies with the issuer's JWKS (alg never none)",
        match &verdict {
            Ok(kid) => format!("{alg}, verified with key {kid}"),
            Err(e) => e.clone(),
        },
        verdict.is_ok(),
    ));
}

/// The access token's identity claims: `iss` is the issuer; `sub`,
/// `client_id` and `jti` are there; `aud` is the dialect's audience (or
/// any); `client_id` is the expected one when the step names it.
fn access_token_claims(
    at: &AccessTokenExpect,
    jws: &jwt::Jws,
    ctx: &mut CaseContext<'_>,
    checks: &mut Vec<Check>,
) -> Result<(), String> {
    let text = |name: &str| claim_text(jws, name);
    let issuer = ctx.target.issuer_id();
    checks.push(check(
        "access_token iss",
        format!("\"{issuer}\""),
        quoted_or_absent(text("iss")),
        text("iss").as_deref() == Some(issuer.as_str()),
    ));
    let missing: Vec<&str> = ["sub", "client_id", "jti"]
        .into_iter()
        .filter(|c| text(c).is_none_or(|v| v.is_empty()))
        .collect();
    checks.push(check(
        "access_token sub, client_id, jti",
        "present, non-empty strings",
        if missing.is_empty() {
            "present".to_string()
        } else {
            format!("missing: {}", missing.join(", "))
        },
        missing.is_empty(),
    ));
    match ctx.target.profile.dialect.access_token_audience.clone() {
        Some(want) => {
            let auds = jws.audiences();
            checks.push(check(
                "access_token aud",
                format!("includes \"{want}\""),
                format!("{auds:?}"),
                auds.contains(&want.as_str()),
            ));
        }
        None => {
            let auds = jws.audiences();
            checks.push(check(
                "access_token aud",
                "present",
                format!("{auds:?}"),
                !auds.is_empty(),
            ));
        }
    }
    if let Some(c) = &at.client_id {
        let want = ctx.render(c)?;
        checks.push(check(
            "access_token client_id",
            format!("\"{want}\""),
            quoted_or_absent(text("client_id")),
            text("client_id").as_deref() == Some(want.as_str()),
        ));
    }
    Ok(())
}

/// The access token agrees with the token response: its lifetime with
/// `expires_in`, its `scope` claim with the granted `scope`.
fn access_token_response_match(
    jws: &jwt::Jws,
    obj: Option<&serde_json::Map<String, Value>>,
    exp: Option<i64>,
    iat: Option<i64>,
    checks: &mut Vec<Check>,
) {
    // JWTAT-05: the token lives as long as the response says, within skew.
    let expires_in = obj
        .and_then(|m| m.get("expires_in"))
        .and_then(Value::as_i64);
    if let (Some(e), Some(i), Some(x)) = (exp, iat, expires_in) {
        checks.push(check(
            "access_token exp - iat",
            format!("expires_in ({x} s), within 5 s"),
            format!("{} s", e - i),
            (e - i - x).abs() <= 5,
        ));
    }
    // JWTAT-03: the scope claim is the granted scope, as a set.
    if let Some(granted) = obj.and_then(|m| m.get("scope")).and_then(Value::as_str) {
        let set = |s: &str| {
            s.split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect::<std::collections::BTreeSet<_>>()
        };
        let got = claim_text(jws, "scope");
        checks.push(check(
            "access_token scope",
            format!("\"{granted}\" (as a set)"),
            quoted_or_absent(got.clone()),
            got.is_some_and(|g| set(&g) == set(granted)),
        ));
    }
}

/// `exp` in the future and `iat` not, with a minute of clock skew either
/// way; returns both claims for further checks.
fn time_checks(token: &str, jws: &jwt::Jws, checks: &mut Vec<Check>) -> (Option<i64>, Option<i64>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (exp, iat) = (jws.number("exp"), jws.number("iat"));
    checks.push(check(
        format!("{token} exp"),
        "in the future",
        exp.map(|e| format!("{} s from now", e - now))
            .unwrap_or_else(|| "absent".into()),
        exp.is_some_and(|e| e > now - 60),
    ));
    checks.push(check(
        format!("{token} iat"),
        "present, not in the future",
        iat.map(|i| format!("{} s ago", now - i))
            .unwrap_or_else(|| "absent".into()),
        iat.is_some_and(|i| i <= now + 60),
    ));
    (exp, iat)
}

/// Verifies the signature with the key `kid` names (or the only key).
/// Returns the key's name.
fn verify_with(
    set: &jsonwebtoken::jwk::JwkSet,
    jws: &jwt::Jws,
    alg: &str,
) -> Result<String, String> {
    use std::str::FromStr;
    let algorithm = jsonwebtoken::Algorithm::from_str(alg)
        .map_err(|_| format!("alg {alg} is not one grantcheck can verify"))?;
    let jwk = match jws.kid() {
        Some(kid) => set
            .find(kid)
            .ok_or_else(|| format!("kid {kid} is not in the JWKS"))?,
        None => match set.keys.as_slice() {
            [only] => only,
            keys => {
                return Err(format!(
                    "no kid, and the JWKS has {} keys to choose from",
                    keys.len()
                ))
            }
        },
    };
    // A key protocol::jwk disarmed at fetch (sizes a hostile JWKS got wrong)
    // says why, instead of jsonwebtoken's generic error.
    if let jsonwebtoken::jwk::AlgorithmParameters::Other(o) = &jwk.algorithm {
        if let Some(why) = o.fields.get("unusable").and_then(|v| v.as_str()) {
            return Err(format!("the JWKS key is unusable: {why}"));
        }
    }
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk)
        .map_err(|e| format!("the JWKS key is unusable: {e}"))?;
    match jsonwebtoken::crypto::verify(
        &jws.signature,
        jws.signing_input.as_bytes(),
        &key,
        algorithm,
    ) {
        Ok(true) => Ok(jwk
            .common
            .key_id
            .clone()
            .unwrap_or_else(|| "(no kid)".into())),
        Ok(false) => Err("the signature does not verify".into()),
        Err(e) => Err(format!("the signature does not verify: {e}")),
    }
}

/// A callback parameter for authorize steps, a JSON member otherwise.
/// The value of directive `name` in a header value of `;`- or
/// `,`-separated directives (RFC 6797 §6.1, RFC 9111 §5.2), unquoted;
/// `Some("")` for a directive without a value. The first one counts.
fn directive(header: &str, name: &str) -> Option<String> {
    header.split([';', ',']).find_map(|part| {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The fields an authorize step sets from its own walk (`session`:
/// `carried` or `none`; `login`: `shown` or `not_shown`).
const AUTHORIZE_FACTS: [&str; 2] = ["session", "login"];

fn lookup_field(
    name: &str,
    authz: Option<&AuthzView>,
    obj: Option<&serde_json::Map<String, Value>>,
) -> Option<String> {
    match authz {
        Some(a) => a.params.get(name).map(str::to_string),
        None => obj.and_then(|m| m.get(name)).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
    }
}

fn with_error(status: u16, body: Option<&Body>) -> String {
    match body.and_then(error_code) {
        Some(e) => format!("{status} ({e})"),
        None => status.to_string(),
    }
}

fn describe_body(status: u16, body: Option<&Body>) -> String {
    match body {
        Some(Body::Object(m)) => {
            let keys: Vec<&str> = m.keys().map(String::as_str).take(6).collect();
            format!("{status} with members {}", keys.join(", "))
        }
        Some(Body::OtherJson(_)) => format!("{status} with JSON that is not an object"),
        _ => format!("{status} with a body that is not JSON"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Exchange, HttpRequest, HttpResponse};

    #[test]
    fn directives_are_read_from_either_separator_and_unquoted() {
        let hsts = "max-age=31536000; includeSubDomains";
        assert_eq!(directive(hsts, "max-age").as_deref(), Some("31536000"));
        assert_eq!(directive(hsts, "includesubdomains").as_deref(), Some(""));
        assert_eq!(
            directive("no-store, max-age=\"0\"", "max-age").as_deref(),
            Some("0")
        );
        assert_eq!(directive("max-age-x=5", "max-age"), None);
        assert_eq!(directive("", "max-age"), None);
    }

    fn output(bodies: &[&str]) -> StepOutput {
        let ex = |b: &str| Exchange {
            request: HttpRequest {
                method: "GET".into(),
                url: "http://i/a".into(),
                headers: vec![],
                body: None,
            },
            response: Some(HttpResponse {
                status: 400,
                headers: vec![],
                body: b.into(),
                truncated: false,
            }),
            error: None,
            elapsed_ms: 0,
            retried: None,
        };
        StepOutput {
            action: "authorize",
            summary: String::new(),
            exchanges: bodies.iter().map(|b| ex(b)).collect(),
            values: Default::default(),
            response: None,
            body: None,
            authz: None,
            statuses: vec![],
        }
    }

    /// Reflection is judged on every page the step saw, as sent: escaped
    /// or encoded is fine, raw on any page is not, and an empty needle
    /// (a template that rendered empty) never passes.
    #[test]
    fn lacks_looks_at_every_response_as_sent() {
        let marker = "<gc7\"'>";
        assert!(
            lacks(
                marker,
                marker,
                &output(&["<p>&lt;gc7&quot;&#39;&gt;</p>", "{\"e\":\"<gc7\\\"'>\"}"])
            )
            .passed
        );
        assert!(!lacks(marker, marker, &output(&["login", "<p><gc7\"'></p>"])).passed);
        assert!(!lacks("{{ x }}", "", &output(&["x"])).passed);
        // The check names the template, never the value it looked for.
        let secret = lacks(
            "{{ clients.c1.secret }}",
            "s3cr3t-value",
            &output(&["<p>s3cr3t-value</p>"]),
        );
        assert!(!secret.passed);
        let shown = format!("{} {}", secret.expected, secret.actual);
        assert!(
            !shown.contains("s3cr3t-value") && shown.contains("clients.c1.secret"),
            "{shown}"
        );
    }
}
