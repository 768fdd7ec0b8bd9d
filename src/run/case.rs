//! Running one scenario case: steps in order, expectations weighed by level,
//! the five outcomes, and redaction of everything before it leaves.

use std::time::Instant;

use super::context::CaseContext;
use super::expect;
use super::premise;
use super::step;
use super::target::Target;
use crate::protocol::callback::Callback;
use crate::protocol::form::Params;
use crate::protocol::token::Body;
use crate::report::model::{CaseResult, Check, Exchange, Outcome, StepResult};
use crate::report::redact::{scan_params, scan_secrets, Redactor, SECRET_FIELDS};
use crate::scenario::assertion::Expectation;
use crate::scenario::model::{CaseDef, Level, StepDef};
use crate::scenario::Scenario;

/// The outcome a level gives to an unmet expectation.
fn outcome_for(level: Level) -> Outcome {
    match level {
        Level::Setup => Outcome::Error,
        Level::Must | Level::Profile => Outcome::Fail,
        Level::Should => Outcome::Warn,
    }
}

/// The level a step runs at: its own, else the scenario's, then bent by policy.
fn step_level(step: &StepDef, scenario: &Scenario, target: &Target) -> Level {
    let base = step
        .level
        .as_ref()
        .map(|l| *l.get_ref())
        .unwrap_or(scenario.level);
    let tags = &target.policy_tags;
    step.levels
        .iter()
        .find(|(tag, _)| tags.contains(*tag))
        .map(|(_, l)| *l)
        .unwrap_or(base)
}

pub fn case_id(scenario: &Scenario, case: Option<&CaseDef>) -> String {
    match case {
        Some(c) => format!("{}[{}]", scenario.id, c.name),
        None => scenario.id.clone(),
    }
}

/// A result shell for a case, before or without running it.
pub fn shell(
    scenario: &Scenario,
    case: Option<&CaseDef>,
    outcome: Outcome,
    reason: Option<String>,
) -> CaseResult {
    let mut covers: Vec<String> = scenario
        .def
        .covers
        .iter()
        .map(|c| c.get_ref().clone())
        .collect();
    if let Some(c) = case {
        for id in &c.covers {
            if !covers.contains(id) {
                covers.push(id.clone());
            }
        }
    }
    CaseResult {
        id: case_id(scenario, case),
        scenario: scenario.id.clone(),
        case: case.map(|c| c.name.clone()),
        title: scenario.def.title.clone(),
        area: scenario.area.clone(),
        level: scenario.level.as_str().into(),
        covers,
        not_covered: Vec::new(),
        spec: scenario.def.spec.clone(),
        tags: scenario.def.tags.clone(),
        outcome,
        reason,
        duration_ms: 0,
        steps: Vec::new(),
        source: scenario.path.display().to_string(),
        known: None,
    }
}

/// The result of a case that did not finish (its task crashed, or a stop
/// cancelled it): an `error` with `reason`, and the exchanges it had sent
/// as the evidence of one step, redacted like any case's.
pub fn salvage(
    scenario: &Scenario,
    case: Option<&CaseDef>,
    sent: Vec<Exchange>,
    base: &Redactor,
    reason: String,
) -> CaseResult {
    let mut redactor = base.clone();
    for ex in &sent {
        learn(&mut redactor, ex);
    }
    let reason = redactor.redact(&reason);
    let mut result = shell(scenario, case, Outcome::Error, Some(reason.clone()));
    if !sent.is_empty() {
        let step = StepResult {
            name: "unfinished".into(),
            action: "http".into(),
            level: Level::Setup.as_str().into(),
            outcome: Outcome::Error,
            summary: format!("{} exchange(s) sent before the case stopped", sent.len()),
            checks: Vec::new(),
            error: Some(reason),
            exchanges: sent,
            not_run: None,
        };
        result.steps = vec![redact_step(&redactor, step)];
    }
    result
}

/// `exchanges` as a report may show them outside a case (the discovery of
/// a run that stopped before any case): the credentials they carry redacted.
pub fn redacted_evidence(exchanges: &[Exchange]) -> Vec<Exchange> {
    let mut redactor = Redactor::new();
    for ex in exchanges {
        learn(&mut redactor, ex);
    }
    exchanges.iter().map(|e| redactor.exchange(e)).collect()
}

pub async fn run_case(
    scenario: &Scenario,
    case: Option<&CaseDef>,
    target: &Target,
    base: &Redactor,
) -> CaseResult {
    let start = Instant::now();
    let mut ctx = CaseContext::new(target, case);
    let mut redactor = base.clone();
    let mut steps: Vec<StepResult> = Vec::new();
    // Why later steps lose their premise (a step failed, broke or probed
    // nothing): they are listed as not run, because of it.
    let mut stopped_by: Option<String> = None;
    // A step whose probe equals a registered value: the case is a skip.
    let mut void: Option<String> = None;
    for (i, def) in scenario.def.steps.iter().enumerate() {
        let step = def.get_ref();
        let name = step_name(step, i);
        let level = step_level(step, scenario, target);
        let result = if let Some(why) = &stopped_by {
            not_run(step, name, level, why.clone())
        } else if let Some(why) =
            missing_capability(scenario, i, target).or_else(|| unmet_condition(step, &mut ctx))
        {
            let mut r = not_run(step, name, level, String::new());
            r.summary = format!("skipped ({why})");
            r.not_run = None;
            r
        } else {
            let list = &scenario.expectations[i];
            run_step(step, list, name, level, &mut ctx, target, &mut redactor).await
        };
        if stopped_by.is_none() && matches!(result.outcome, Outcome::Fail | Outcome::Error) {
            stopped_by = Some(format!("step `{}` failed", result.name));
        } else if stopped_by.is_none() && result.outcome == Outcome::Skip {
            if let Some(why) = result.not_run.clone() {
                stopped_by = Some(format!("step `{}` probed nothing", result.name));
                void = Some(format!("step `{}`: {why}", result.name));
            }
        }
        steps.push(result);
    }
    let mut result = finish(scenario, case, steps, &redactor);
    // A probe that probed nothing makes the case a skip, unless a step that
    // ran before it already found something.
    if let Some(why) = void.filter(|_| matches!(result.outcome, Outcome::Pass | Outcome::Error)) {
        if result.steps.iter().all(|s| s.outcome != Outcome::Error) {
            result.outcome = Outcome::Skip;
            result.reason = Some(redactor.redact(&why));
        }
    }
    result.duration_ms = start.elapsed().as_millis() as u64;
    result
}

fn step_name(step: &StepDef, index: usize) -> String {
    step.name
        .as_ref()
        .map(|n| n.get_ref().clone())
        .unwrap_or_else(|| format!("step{}", index + 1))
}

/// Why an `if_offered` step cannot run against this target, if it cannot.
fn missing_capability(scenario: &Scenario, index: usize, target: &Target) -> Option<String> {
    scenario
        .step_requires
        .get(index)
        .into_iter()
        .flatten()
        .find_map(|cap| {
            target
                .offers(cap)
                .err()
                .map(|why| format!("requires {cap}: {why}"))
        })
}

/// What a `premise` step found instead of what it needed.
fn unmet_premise(checks: &[Check]) -> String {
    checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: expected {}, got {}", c.what, c.expected, c.actual))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a step's `when` does not hold: its template names a value no earlier
/// step produced, or renders empty.
fn unmet_condition(step: &StepDef, ctx: &mut CaseContext<'_>) -> Option<String> {
    let when = step.when.as_ref()?;
    match ctx.render(when) {
        Ok(v) if !v.trim().is_empty() => None,
        Ok(_) => Some(format!("when `{}` is empty", when.get_ref())),
        Err(why) => Some(format!("when `{}`: {why}", when.get_ref())),
    }
}

/// A step that was not sent: outcome `skip`, no checks, the reason kept.
fn not_run(step: &StepDef, name: String, level: Level, why: String) -> StepResult {
    StepResult {
        name,
        action: action_name(step).into(),
        level: level.as_str().into(),
        outcome: Outcome::Skip,
        summary: format!("because {why}"),
        checks: Vec::new(),
        error: None,
        exchanges: Vec::new(),
        not_run: Some(why),
    }
}

/// Why a step's `status` expectation cannot be judged: the browser or
/// manual agent saw the redirect, but no HTTP status (status 0).
fn unseen_status(list: &[Expectation], out: &super::step::StepOutput) -> Option<String> {
    let browser = out.response.is_none() && out.authz.as_ref().is_some_and(|a| a.status == 0);
    let asks = list
        .iter()
        .flat_map(|e| e.assertions())
        .any(|a| matches!(a.query, crate::scenario::assertion::Query::Status));
    (browser && asks).then(|| {
        "the browser and manual agents cannot see HTTP statuses (neither WebDriver nor a pasted URL shows one): run this case with [login] agent = \"form\"".to_string()
    })
}

/// Sends one step and weighs its expectations at `level`.
async fn run_step(
    step: &StepDef,
    list: &[Expectation],
    name: String,
    level: Level,
    ctx: &mut CaseContext<'_>,
    target: &Target,
    redactor: &mut Redactor,
) -> StepResult {
    let mut out = match super::step::execute(step, ctx).await {
        Ok(out) => out,
        Err(e) if e.void => {
            return StepResult {
                summary: format!("not sent: {}", e.message),
                ..not_run(step, name, level, e.message)
            };
        }
        Err(e) => {
            for ex in &e.exchanges {
                learn(redactor, ex);
            }
            return StepResult {
                name,
                action: action_name(step).into(),
                level: level.as_str().into(),
                outcome: Outcome::Error,
                summary: format!("could not run: {}", e.message),
                checks: Vec::new(),
                error: Some(e.message),
                exchanges: e.exchanges,
                not_run: None,
            };
        }
    };
    if let Some(why) = unseen_status(list, &out) {
        // The step ran but what decides it cannot be seen: the case is a
        // skip with the reason, never a verdict on a made-up status.
        for ex in &out.exchanges {
            learn(redactor, ex);
        }
        return StepResult {
            summary: format!("not judged: {why}"),
            exchanges: out.exchanges,
            ..not_run(step, name, level, why)
        };
    }
    let keys = match expect::wants_keys(list) {
        true => Some(fetch_jwks(target, &mut out.exchanges).await),
        false => None,
    };
    for ex in &out.exchanges {
        learn(redactor, ex);
    }
    let (checks, error) = match expect::evaluate(list, &out, ctx, keys.as_ref()) {
        Ok(c) => (c, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    // Each broken check weighs at its assertion's level, else the step's.
    let broken = checks.iter().filter(|c| !c.passed).map(|c| {
        c.level
            .as_deref()
            .and_then(Level::parse)
            .map_or(outcome_for(level), outcome_for)
    });
    let mut outcome = match error {
        Some(_) => Outcome::Error,
        None => broken.max().unwrap_or(Outcome::Pass),
    };
    let mut error = error;
    if let Some(why) = unearned(outcome, &out, target).await {
        outcome = Outcome::Error;
        error = Some(why);
    }
    // A `premise` step that does not hold: the answer cannot show what the
    // case needs, so the case is a skip with the reason, never a verdict.
    if step.premise && error.is_none() && outcome != Outcome::Pass {
        let why = unmet_premise(&checks);
        return StepResult {
            summary: format!("premise not met: {why}"),
            checks,
            exchanges: out.exchanges,
            ..not_run(step, name, level, why)
        };
    }
    ctx.steps.insert(name.clone(), out.values);
    StepResult {
        name,
        action: out.action.into(),
        level: level.as_str().into(),
        outcome,
        summary: out.summary,
        checks,
        error,
        exchanges: out.exchanges,
        not_run: None,
    }
}

/// Why a step did not earn its verdict, if it did not (`premise`): an
/// endpoint of the target answers 404 to every request of its method (a
/// wrong URL), or an authorization stopped on an issuer page without
/// logging in and a plain login as the same client and user does not work
/// either.
async fn unearned(outcome: Outcome, out: &step::StepOutput, target: &Target) -> Option<String> {
    if matches!(outcome, Outcome::Fail | Outcome::Warn) {
        if let Some(why) = premise::endpoint_missing(&out.exchanges, target).await {
            return Some(why);
        }
    }
    // A pass counts too: a `no_redirect` probe that never got past the
    // login has not seen where the issuer would have sent the code.
    if !matches!(outcome, Outcome::Fail | Outcome::Pass) {
        return None;
    }
    let view = out.authz.as_ref().filter(|v| premise::in_question(v))?;
    let why = premise::login_works(target, &view.client, &view.user)
        .await
        .err()?;
    Some(format!(
        "the case's premise did not happen: {why}; its checks are shown but not counted"
    ))
}

/// The case's result from its steps: the worst outcome, the first reason,
/// the ids it really checked, everything redacted.
fn finish(
    scenario: &Scenario,
    case: Option<&CaseDef>,
    steps: Vec<StepResult>,
    redactor: &Redactor,
) -> CaseResult {
    // A skipped `if_offered` step neither passes nor fails the case.
    let outcome = steps
        .iter()
        .map(|s| s.outcome)
        .filter(|o| *o != Outcome::Skip)
        .max()
        .unwrap_or(Outcome::Error);
    let reason = steps
        .iter()
        .find(|s| s.outcome != Outcome::Pass && s.not_run.is_none())
        .map(step_reason);
    let mut result = shell(scenario, case, outcome, reason.map(|r| redactor.redact(&r)));
    let (covers, not_covered) = claimed(scenario, std::mem::take(&mut result.covers), &steps);
    result.covers = covers;
    result.not_covered = not_covered;
    result.steps = steps
        .into_iter()
        .map(|s| redact_step(redactor, s))
        .collect();
    if result.steps.iter().all(|s| s.checks.is_empty()) && result.outcome == Outcome::Pass {
        result.outcome = Outcome::Error;
        result.reason = Some("the case evaluated no expectation".into());
    }
    result
}

/// Splits a case's ids into those it checked and those it did not. An id a
/// step or an assertion declares (`covers` on it) is claimed only when that
/// step ran and evaluated something, or that assertion was evaluated; ids
/// nothing declares belong to the whole case, which claims them only when
/// some step beyond its setup evaluated a check (a skipped case, or one
/// whose setup failed, checked nothing).
fn claimed(
    scenario: &Scenario,
    ids: Vec<String>,
    steps: &[StepResult],
) -> (Vec<String>, Vec<String>) {
    let evaluated = steps.iter().any(|s| {
        s.not_run.is_none()
            && s.outcome != Outcome::Skip
            && s.level != "setup"
            && !s.checks.is_empty()
    });
    let mut named = std::collections::BTreeSet::new();
    let mut ran = std::collections::BTreeSet::new();
    for (i, (def, result)) in scenario.def.steps.iter().zip(steps).enumerate() {
        let checked = result.not_run.is_none()
            && result.outcome != Outcome::Skip
            && !result.checks.is_empty();
        for id in &def.get_ref().covers {
            named.insert(id.get_ref().as_str());
            if checked {
                ran.insert(id.get_ref().as_str());
            }
        }
        for e in scenario.expectations.get(i).into_iter().flatten() {
            named.extend(e.covers_ref().iter().map(String::as_str));
        }
        for c in &result.checks {
            ran.extend(c.covers.iter().map(String::as_str));
        }
    }
    ids.into_iter()
        .partition(|id| match named.contains(id.as_str()) {
            true => ran.contains(id.as_str()),
            false => evaluated,
        })
}

fn action_name(step: &StepDef) -> &'static str {
    // The loader guarantees exactly one action.
    step.kind().map_or("http", |k| k.name())
}

fn step_reason(s: &StepResult) -> String {
    if let Some(e) = &s.error {
        return format!("step `{}`: {e}", s.name);
    }
    match s.checks.iter().find(|c| !c.passed) {
        Some(c) => format!(
            "step `{}`: {}: expected {}, got {}",
            s.name, c.what, c.expected, c.actual
        ),
        None => format!("step `{}`: {}", s.name, s.summary),
    }
}

/// Registers the credentials an exchange carries: request parameters, JSON
/// members and callback parameters named like secrets.
fn learn(r: &mut Redactor, ex: &Exchange) {
    let mut params = Params::new();
    if let Some((_, q)) = ex.request.url.split_once('?') {
        params.0.extend(Params::decode(q).0);
    }
    if let Some(b) = &ex.request.body {
        params.0.extend(Params::decode(b).0);
    }
    if let Some(resp) = &ex.response {
        match Body::parse(resp.body.as_bytes()).object() {
            // Nested too: an envelope (Bud's `data`) must not hide a token.
            Some(m) => collect_strings(m, &mut params, 0),
            // Not JSON: perhaps a form-encoded answer.
            None => params.0.extend(Params::decode(resp.body.trim()).0),
        }
        // Every body, parsed or not: a cut or oversized body, or a token
        // inside a string member (JSON encoded twice), is found by name.
        for (k, v) in scan_secrets(&resp.body) {
            params.push(k.to_string(), v);
        }
        for (k, v) in scan_params(&resp.body) {
            params.push(k.to_string(), v);
        }
        if let Some(loc) = resp.header("location") {
            let cb = Callback::parse(loc);
            params.0.extend(cb.query.0);
            params.0.extend(cb.fragment.0);
            // Where no callback parser looks (`cb??code=`, `cb#?code=`).
            for (k, v) in scan_params(loc) {
                params.push(k.to_string(), v);
            }
        }
    }
    // Bounded per name: a real exchange carries a handful of credentials;
    // a hostile body with thousands of decoy `code` members must neither
    // cost quadratic time nor crowd out the real tokens (top-level members
    // come first, see collect_strings).
    let mut seen: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (k, v) in params.iter().filter(|(k, _)| SECRET_FIELDS.contains(k)) {
        let n = seen.entry(k).or_default();
        *n += 1;
        if *n > MAX_LEARNED_PER_NAME {
            continue;
        }
        r.add(k, v);
        if k == "code_verifier" {
            r.add_s256_of(v);
        }
    }
}

/// The most credentials of one name learned from one exchange.
const MAX_LEARNED_PER_NAME: usize = 64;

/// Every string member of `m` and of the objects and arrays inside it, by
/// member name (bounded depth: bodies are already size-limited).
fn collect_strings(m: &serde_json::Map<String, serde_json::Value>, out: &mut Params, depth: usize) {
    use serde_json::Value;
    if depth > 8 {
        return;
    }
    // This level's strings before anything nested: the real tokens sit at
    // the top (or one envelope down), decoys deeper.
    for (k, v) in m {
        if let Value::String(s) = v {
            out.push(k.clone(), s.clone());
        }
    }
    for v in m.values() {
        match v {
            Value::Object(inner) => collect_strings(inner, out, depth + 1),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(inner) = item {
                        collect_strings(inner, out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

fn redact_step(r: &Redactor, s: StepResult) -> StepResult {
    StepResult {
        summary: r.redact(&s.summary),
        checks: s
            .checks
            .into_iter()
            .map(|c| Check {
                expected: r.redact(&c.expected),
                actual: r.redact(&c.actual),
                ..c
            })
            .collect(),
        error: s.error.map(|e| r.redact(&e)),
        exchanges: s.exchanges.iter().map(|e| r.exchange(e)).collect(),
        ..s
    }
}

/// Fetches the issuer's JWKS for an ID token check; the exchange becomes
/// part of the step's evidence.
async fn fetch_jwks(target: &Target, exchanges: &mut Vec<Exchange>) -> expect::Keys {
    let Some(url) = target.endpoints.jwks.clone() else {
        return Err("the issuer has no jwks_uri".into());
    };
    let ex = target.http.send(crate::http::Request::get(url)).await;
    let parsed = match &ex.response {
        None => Err("the JWKS could not be fetched".to_string()),
        Some(r) if r.status != 200 => Err(format!("the JWKS answered {}", r.status)),
        Some(r) => jwk_set(&r.body),
    };
    exchanges.push(ex);
    parsed
}

/// The JWK set in `body`, each key whose material cannot be real
/// (`protocol::jwk`) disarmed first: jsonwebtoken would panic on some (a
/// 3-byte Ed25519 `x`). A disarmed key keeps its `kid`, so a token that
/// names it fails its signature check ("the JWKS key is unusable") instead
/// of crashing the case; the other keys still verify.
fn jwk_set(body: &str) -> expect::Keys {
    use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, OtherKeyParameters};
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("the JWKS is not JSON: {e}"))?;
    let bad = crate::protocol::jwk::unusable_keys(&value);
    let mut set = serde_json::from_value::<JwkSet>(value)
        .map_err(|e| format!("the JWKS is not a usable JWK set: {e}"))?;
    for (i, why) in bad {
        if let Some(k) = set.keys.get_mut(i) {
            let mut fields = std::collections::BTreeMap::new();
            fields.insert("unusable".to_string(), serde_json::Value::String(why));
            k.algorithm = AlgorithmParameters::Other(OtherKeyParameters { fields });
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(body: &str) -> Exchange {
        crate::report::model::fixtures::exchange("POST", "http://x/token", 200, body)
    }

    /// A token inside a string member (JSON encoded twice) is learned like
    /// one in a member of its own; learning stops at a bound.
    #[test]
    fn tokens_in_parsed_bodies_are_found_by_name_and_learning_is_bounded() {
        let mut r = Redactor::new();
        learn(
            &mut r,
            &answered(r#"{"data":"{\"access_token\":\"tok-inside-a-string-42\"}"}"#),
        );
        assert!(!r
            .redact("echo tok-inside-a-string-42")
            .contains("tok-inside-a-string-42"));

        let many: Vec<String> = (0..2000)
            .map(|i| format!("\"code\":\"c-{i:06}-xyz\""))
            .collect();
        let mut r = Redactor::new();
        learn(&mut r, &answered(&format!("{{{}}}", many.join(","))));
        assert!(!r.redact("c-000000-xyz").contains("c-000000-xyz"));
        assert!(
            r.redact("c-001000-xyz").contains("c-001000-xyz"),
            "learning is bounded"
        );
    }

    /// A 3-byte Ed25519 `x` once panicked inside jsonwebtoken: the key is
    /// disarmed, keeps its kid, and refuses to build a decoding key.
    #[test]
    fn a_key_with_short_material_is_disarmed_not_handed_over() {
        let body = r#"{"keys": [
            {"kty": "OKP", "crv": "Ed25519", "kid": "short", "x": "AQID"},
            {"kty": "OKP", "crv": "Ed25519", "kid": "fine", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
        ]}"#;
        let set = jwk_set(body).unwrap();
        let short = set.find("short").expect("the kid stays");
        assert!(jsonwebtoken::DecodingKey::from_jwk(short).is_err());
        let fine = set.find("fine").unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(fine).unwrap();
        let verified =
            jsonwebtoken::crypto::verify("c2ln", b"a.b", &key, jsonwebtoken::Algorithm::EdDSA);
        assert!(!matches!(verified, Ok(true)));
    }
}
