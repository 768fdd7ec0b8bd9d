//! Expectations against what a step observed, each one a [`Check`] that
//! says what was expected and what came back.

use serde_json::Value;

use super::context::CaseContext;
use super::exec::{Observed, StepOutput};
use crate::protocol::jwt;
use crate::protocol::token::{error_code, is_error_text_charset, Body};
use crate::protocol::www_authenticate;
use crate::report::model::Check;
use crate::scenario::model::{AccessTokenExpect, CallbackKind, ExpectDef, IdTokenExpect};

fn check(
    what: impl Into<String>,
    expected: impl Into<String>,
    actual: impl Into<String>,
    passed: bool,
) -> Check {
    Check {
        what: what.into(),
        expected: expected.into(),
        actual: actual.into(),
        passed,
    }
}

fn one_of<T: std::fmt::Display>(v: &[T]) -> String {
    match v {
        [one] => one.to_string(),
        many => format!(
            "one of {}",
            many.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The issuer's JWKS as fetched for an `id_token` expectation: the parsed
/// set, or why there is none.
pub type Keys = Result<jsonwebtoken::jwk::JwkSet, String>;

pub fn evaluate(
    e: &ExpectDef,
    out: &StepOutput,
    ctx: &mut CaseContext<'_>,
    keys: Option<&Keys>,
) -> Result<Vec<Check>, String> {
    let mut checks = Vec::new();
    let authz = out.authz.as_ref();
    let body = out.body.as_ref();
    let obj = body.and_then(Body::object);

    if let Some(want) = &e.callback {
        let want = *want.get_ref();
        let a = authz.ok_or("`expect.callback` on a step that is not authorize")?;
        let ok = match want {
            CallbackKind::Code => a.kind == Observed::Code,
            CallbackKind::Error => a.kind == Observed::Error,
            CallbackKind::NoRedirect => a.kind == Observed::NoRedirect,
        };
        checks.push(check(
            "authorization outcome",
            want.as_str(),
            a.described.clone(),
            ok,
        ));
        if want == CallbackKind::Code && ok {
            // The code travels in the query, never the fragment (AUTHZ-01).
            let leaked: Vec<&str> = a
                .fragment
                .iter()
                .map(|(k, _)| k)
                .filter(|k| ["code", "access_token", "id_token"].contains(k))
                .collect();
            checks.push(check(
                "nothing in the fragment",
                "no code or token in the fragment",
                if leaked.is_empty() {
                    "none".to_string()
                } else {
                    leaked.join(", ")
                },
                leaked.is_empty(),
            ));
        }
        if want == CallbackKind::Error && ok {
            checks.push(check(
                "no code beside the error",
                "no code parameter",
                if a.params.get("code").is_some() {
                    "code present"
                } else {
                    "none"
                },
                a.params.get("code").is_none(),
            ));
        }
    }
    if let Some(s) = &e.status {
        let want = s.get_ref().as_slice();
        let got = out
            .response
            .as_ref()
            .map(|r| r.status)
            .or(authz.map(|a| a.status));
        let actual = match got {
            Some(g) => with_error(g, body),
            None => "no response".into(),
        };
        checks.push(check(
            "status",
            one_of(want),
            actual,
            got.is_some_and(|g| want.contains(&g)),
        ));
    }
    if let Some(err) = &e.error {
        let want = err.get_ref().as_slice();
        let got = match authz {
            Some(a) => a.params.get("error").map(str::to_string),
            None => body.and_then(error_code),
        };
        let actual = match (&got, authz, out.response.as_ref()) {
            (Some(g), _, _) => g.clone(),
            (None, Some(a), _) => format!("no error parameter: {}", a.described),
            (None, None, Some(r)) => format!("no error member: {}", describe_body(r.status, body)),
            _ => "nothing".into(),
        };
        checks.push(check(
            "error code",
            one_of(want),
            actual,
            got.as_ref().is_some_and(|g| want.contains(g)),
        ));
    }
    for f in &e.present {
        let f = ctx.render(f)?;
        let got = lookup_field(&f, authz, obj);
        checks.push(check(
            format!("`{f}` present"),
            "present",
            got.clone()
                .map(|_| "present".to_string())
                .unwrap_or_else(|| "absent".into()),
            got.is_some(),
        ));
    }
    for f in &e.absent {
        let f = ctx.render(f)?;
        let got = lookup_field(&f, authz, obj);
        checks.push(check(
            format!("`{f}` absent"),
            "absent",
            if got.is_some() {
                "present".to_string()
            } else {
                "absent".to_string()
            },
            got.is_none(),
        ));
    }
    for (k, v) in &e.json {
        let got = obj.and_then(|m| m.get(k));
        let (expected, passed) = match v.get_ref() {
            toml::Value::String(s) => {
                let want = ctx.render_str_value(s)?;
                let ok = got.is_some_and(|g| g.as_str() == Some(want.as_str()));
                (format!("\"{want}\""), ok)
            }
            toml::Value::Boolean(b) => (b.to_string(), got == Some(&Value::Bool(*b))),
            toml::Value::Integer(i) => (i.to_string(), got.and_then(Value::as_i64) == Some(*i)),
            other => (other.to_string(), false),
        };
        let actual = got
            .map(|g| g.to_string())
            .unwrap_or_else(|| "absent".into());
        checks.push(check(format!("json `{k}`"), expected, actual, passed));
    }
    for (k, v) in &e.params {
        let want = ctx.render(v)?;
        let got = authz.and_then(|a| a.params.get(k).map(str::to_string));
        let ok = got.as_deref() == Some(want.as_str());
        checks.push(check(
            format!("callback `{k}`"),
            format!("\"{want}\""),
            got.map(|g| format!("\"{g}\""))
                .unwrap_or_else(|| "absent".into()),
            ok,
        ));
    }
    for (k, v) in &e.differs {
        let other = ctx.render(v)?;
        let got = lookup_field(k, authz, obj);
        let ok = got.as_ref().is_some_and(|g| *g != other);
        let actual = match &got {
            None => "absent".to_string(),
            Some(g) if *g == other => format!("the same value ({g})"),
            Some(g) => format!("a different value ({g})"),
        };
        checks.push(check(
            format!("`{k}` differs"),
            format!("present and different from {other}"),
            actual,
            ok,
        ));
    }
    let resp = out.response.as_ref();
    for (name, sub) in &e.header_contains {
        let want = ctx.render(sub)?;
        let values: Vec<&str> = resp
            .map(|r| r.headers_named(name).collect())
            .unwrap_or_default();
        let joined = values.join(", ");
        let ok = joined
            .to_ascii_lowercase()
            .contains(&want.to_ascii_lowercase());
        checks.push(check(
            format!("header `{name}`"),
            format!("contains \"{want}\""),
            if values.is_empty() {
                "absent".into()
            } else {
                format!("\"{joined}\"")
            },
            ok,
        ));
    }
    for name in &e.header_absent {
        let name = ctx.render(name)?;
        let got = resp.and_then(|r| r.header(&name));
        checks.push(check(
            format!("header `{name}` absent"),
            "absent",
            got.map(|g| format!("\"{g}\""))
                .unwrap_or_else(|| "absent".into()),
            got.is_none(),
        ));
    }
    if e.challenge.is_some() || e.challenge_error.is_some() {
        let raw: Vec<&str> = resp
            .map(|r| r.headers_named("www-authenticate").collect())
            .unwrap_or_default();
        let challenges: Vec<_> = raw
            .iter()
            .flat_map(|h| www_authenticate::parse(h))
            .collect();
        let shown = if raw.is_empty() {
            "no WWW-Authenticate header".to_string()
        } else {
            format!("WWW-Authenticate: {}", raw.join(", "))
        };
        if let Some(s) = &e.challenge {
            let want = ctx.render(s)?;
            let ok = challenges
                .iter()
                .any(|c| c.scheme.eq_ignore_ascii_case(&want));
            checks.push(check("WWW-Authenticate scheme", want, shown.clone(), ok));
        }
        if let Some(s) = &e.challenge_error {
            let want = ctx.render(s)?;
            let ok = challenges
                .iter()
                .any(|c| c.param("error") == Some(want.as_str()));
            checks.push(check(
                "WWW-Authenticate error",
                format!("error=\"{want}\""),
                shown,
                ok,
            ));
        }
    }
    if e.error_charset {
        for member in ["error", "error_description"] {
            let got = match authz {
                Some(a) => a.params.get(member).map(str::to_string),
                None => obj
                    .and_then(|m| m.get(member))
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            };
            if let Some(text) = got {
                let ok = is_error_text_charset(&text);
                let actual = if ok {
                    "only allowed characters".to_string()
                } else {
                    format!("\"{}\"", text.escape_default())
                };
                checks.push(check(
                    format!("`{member}` charset"),
                    "%x20-21 / %x23-5B / %x5D-7E (RFC 6749 A.7, A.8)",
                    actual,
                    ok,
                ));
            } else if member == "error" {
                checks.push(check(
                    "`error` charset",
                    "an error to check",
                    "no error",
                    false,
                ));
            }
        }
    }
    if e.json_object {
        checks.push(check(
            "body",
            "a JSON object",
            match body {
                Some(Body::Object(_)) => "a JSON object".to_string(),
                Some(Body::OtherJson(_)) => "JSON that is not an object".to_string(),
                Some(Body::NotJson) => "not JSON".to_string(),
                None => "no body".to_string(),
            },
            obj.is_some(),
        ));
    }
    for (k, v) in &e.json_ci {
        let want = ctx.render(v)?;
        let got = obj.and_then(|m| m.get(k));
        checks.push(check(
            format!("json `{k}` (case-insensitive)"),
            format!("\"{want}\""),
            got.map(|g| g.to_string())
                .unwrap_or_else(|| "absent".into()),
            got.and_then(Value::as_str)
                .is_some_and(|g| g.eq_ignore_ascii_case(&want)),
        ));
    }
    if let Some(want) = &e.scope_granted {
        let want = ctx.render(want)?;
        let set = |s: &str| {
            s.split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect::<std::collections::BTreeSet<_>>()
        };
        let got = obj.and_then(|m| m.get("scope"));
        let ok = match got {
            None => true,
            Some(Value::String(s)) => set(s) == set(&want),
            Some(_) => false,
        };
        let shown = set(&want).into_iter().collect::<Vec<_>>().join(" ");
        checks.push(check(
            "json `scope`",
            format!("\"{shown}\" as a space-separated string (or absent: as requested)"),
            got.map(|g| g.to_string())
                .unwrap_or_else(|| "absent".into()),
            ok,
        ));
    }
    // Optional members (RFC 6749 §5.1 only recommends expires_in): the
    // type is checked when the member is there.
    for k in &e.positive_integer {
        let k = k.get_ref();
        let got = obj.and_then(|m| m.get(k.as_str()));
        checks.push(check(
            format!("json `{k}` type"),
            "a positive JSON integer, when present",
            got.map(|g| g.to_string())
                .unwrap_or_else(|| "absent".into()),
            got.is_none_or(|g| g.as_u64().is_some_and(|n| n > 0)),
        ));
    }
    for (k, r) in &e.between {
        let [lo, hi] = *r.get_ref();
        let got = obj.and_then(|m| m.get(k));
        let n = got.and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)));
        checks.push(check(
            format!("json `{k}` range"),
            format!("a number from {lo} to {hi}"),
            got.map(|g| g.to_string())
                .unwrap_or_else(|| "absent".into()),
            n.is_some_and(|n| (lo..=hi).contains(&n)),
        ));
    }
    // A JSON array member that must (includes) or must not (excludes) hold a value.
    let listed = [(&e.includes, true), (&e.excludes, false)];
    for (members, wanted) in listed {
        for (k, v) in members {
            let want = ctx.render(v)?;
            let got = obj.and_then(|m| m.get(k));
            let holds = got
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(want.as_str())));
            let (what, expected) = if wanted {
                ("includes", format!("a list including \"{want}\""))
            } else {
                ("excludes", format!("no \"{want}\""))
            };
            checks.push(check(
                format!("json `{k}` {what}"),
                expected,
                got.map(|g| g.to_string())
                    .unwrap_or_else(|| "absent".into()),
                holds == wanted,
            ));
        }
    }
    if e.public_keys_only {
        let actual = match obj {
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
        checks.push(check(
            "JWKS keys",
            "public keys only (no d, p, q, dp, dq, qi, oth, k)",
            actual.0,
            actual.1,
        ));
    }
    if let Some(idt) = &e.id_token {
        id_token_checks(idt, obj, ctx, keys, &mut checks)?;
    }
    if let Some(at) = &e.access_token_jwt {
        access_token_checks(at, obj, ctx, keys, &mut checks)?;
    }
    if let Some(n) = &e.successes {
        let want = *n.get_ref() as usize;
        let got = out.statuses.iter().filter(|s| **s == 200).count();
        checks.push(check(
            "concurrent successes",
            format!("exactly {want} of {} answered 200", out.statuses.len()),
            format!("{got} answered 200 ({})", super::exec::tally(&out.statuses)),
            got == want,
        ));
    }
    Ok(checks)
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
    Ok(())
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
        Some(Ok(set)) => verify_with(set, &jws, &alg),
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
    let claim = |name: &str| jws.claims.get(name);
    let text = |name: &str| claim(name).and_then(Value::as_str).map(str::to_string);
    let shown = |v: Option<String>| {
        v.map(|s| format!("\"{s}\""))
            .unwrap_or_else(|| "absent".into())
    };
    let issuer = ctx.target.issuer_id();
    checks.push(check(
        "access_token iss",
        format!("\"{issuer}\""),
        shown(text("iss")),
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
            shown(text("client_id")),
            text("client_id").as_deref() == Some(want.as_str()),
        ));
    }
    let (exp, iat) = time_checks("access_token", &jws, checks);
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
        let got = text("scope");
        checks.push(check(
            "access_token scope",
            format!("\"{granted}\" (as a set)"),
            shown(got.clone()),
            got.is_some_and(|g| set(&g) == set(granted)),
        ));
    }
    Ok(())
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
fn lookup_field(
    name: &str,
    authz: Option<&super::exec::AuthzView>,
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
