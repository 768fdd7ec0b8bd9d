//! The runner: plans which scenario cases run (selection, capabilities),
//! runs them concurrently within a limit, and assembles the report.

pub mod case;
pub mod context;
pub mod doctor;
pub mod expect;
pub mod premise;
pub mod reference;
pub mod step;
pub mod target;

use std::sync::Arc;
use std::time::Instant;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::report::model::{CaseResult, Outcome, RunReport, Summary, SCHEMA};
use crate::report::redact::Redactor;
use crate::scenario::Scenario;
pub use target::Target;

/// Which cases a run selects.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Globs over scenario ids and case ids (`pkce.*`, `redirect.*[case-*]`).
    pub only: Vec<String>,
    /// Tags; a scenario is selected when it has any of them.
    pub tags: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("bad --only pattern `{0}`: {1}")]
    BadGlob(String, String),
    #[error("the selection matches no scenario case")]
    NothingSelected,
}

/// One case to run, or to skip with the reason.
#[derive(Clone, Copy, Debug)]
pub struct Planned {
    pub scenario: usize,
    /// Index into the scenario's cases (None for a scenario without a matrix).
    pub case: Option<usize>,
}

pub fn select(scenarios: &[Scenario], sel: &Selection) -> Result<Vec<Planned>, PlanError> {
    let globs = if sel.only.is_empty() {
        None
    } else {
        let mut b = GlobSetBuilder::new();
        for g in &sel.only {
            // `[` starts a character class in globs; case ids use it literally.
            let escaped = g.replace('[', "[[]");
            let escaped = if g.contains('[') { escaped } else { g.clone() };
            b.add(Glob::new(&escaped).map_err(|e| PlanError::BadGlob(g.clone(), e.to_string()))?);
        }
        Some(
            b.build()
                .map_err(|e| PlanError::BadGlob(sel.only.join(" "), e.to_string()))?,
        )
    };
    let matches = |set: &GlobSet, scenario: &Scenario, case: Option<&str>| {
        set.is_match(&scenario.id)
            || case.is_some_and(|c| set.is_match(format!("{}[{c}]", scenario.id)))
    };
    let mut out = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        if !sel.tags.is_empty() && !s.def.tags.iter().any(|t| sel.tags.contains(t)) {
            continue;
        }
        if s.def.cases.is_empty() {
            if globs.as_ref().is_none_or(|g| matches(g, s, None)) {
                out.push(Planned {
                    scenario: i,
                    case: None,
                });
            }
        } else {
            for (j, c) in s.def.cases.iter().enumerate() {
                if globs
                    .as_ref()
                    .is_none_or(|g| matches(g, s, Some(&c.get_ref().name)))
                {
                    out.push(Planned {
                        scenario: i,
                        case: Some(j),
                    });
                }
            }
        }
    }
    if out.is_empty() {
        return Err(PlanError::NothingSelected);
    }
    Ok(out)
}

/// Why the target cannot run `s`, if it cannot.
pub fn skip_reason(s: &Scenario, case: Option<usize>, target: &Target) -> Option<String> {
    let empty = std::collections::BTreeSet::new();
    let per_case = case.and_then(|i| s.case_requires.get(i)).unwrap_or(&empty);
    let requires: std::collections::BTreeSet<&String> = s.requires.iter().chain(per_case).collect();
    let missing = requires.iter().find_map(|cap| {
        target
            .offers(cap)
            .err()
            .map(|why| format!("requires {cap}: {why}"))
    });
    if missing.is_some() {
        return missing;
    }
    // RFC 6749 rules at the token endpoint do not bind a client the profile
    // serves under OAuth 2.1 only (requirements.md, spec tension 2).
    if s.requires.contains("policy:rfc6749") {
        for role in requires.iter().filter_map(|c| c.strip_prefix("client:")) {
            if target
                .profile
                .clients
                .get(role)
                .is_some_and(|c| c.oauth21_only)
            {
                return Some(format!(
                    "requires policy:rfc6749, but the profile marks client `{role}` oauth21_only"
                ));
            }
        }
    }
    None
}

/// Runs the planned cases, `concurrency` at a time, and reports each as it
/// finishes through `on_case`; the report keeps plan order.
pub async fn execute(
    scenarios: Arc<Vec<Scenario>>,
    plan: Vec<Planned>,
    target: Arc<Target>,
    concurrency: usize,
    on_case: impl Fn(&CaseResult),
) -> RunReport {
    let start = Instant::now();
    let mut base = Redactor::new();
    let mut replay_vars = std::collections::BTreeMap::new();
    for src in target.profile.secret_sources() {
        base.add("secret", &src.value);
        if src.value.chars().count() >= 4 {
            let marker = format!("[redacted secret #{}]", base.fingerprint(&src.value));
            replay_vars.insert(marker, format!("${}", src.var));
        }
        if let Some(id) = &src.client_id {
            // An issuer may echo the Basic pair in any base64 form.
            base.add_basic(id, &src.value);
            // Basic credentials as step::authenticate builds them (RFC 6749
            // §2.3.1); the replay rebuilds them from the variable.
            use base64::Engine;
            let raw = format!(
                "{}:{}",
                crate::protocol::form::encode_component(id),
                crate::protocol::form::encode_component(&src.value)
            );
            let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
            replay_vars.insert(
                format!("[redacted credentials #{}]", base.fingerprint(&b64)),
                format!(
                    "$(printf '%s:%s' '{}' \"${}\" | base64 -w0)",
                    id.replace('\'', ""),
                    src.var
                ),
            );
        }
    }
    for s in target.profile.secrets() {
        base.add("secret", &s);
    }
    let base = Arc::new(base);
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let mut results: Vec<Option<CaseResult>> = vec![None; plan.len()];
    for (slot, p) in plan.iter().copied().enumerate() {
        let s = &scenarios[p.scenario];
        let case = p.case.map(|j| s.def.cases[j].get_ref());
        if let Some(why) = skip_reason(s, p.case, &target) {
            let r = case::shell(s, case, Outcome::Skip, Some(why));
            on_case(&r);
            results[slot] = Some(r);
            continue;
        }
        let (scenarios, target, base, sem) =
            (scenarios.clone(), target.clone(), base.clone(), sem.clone());
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let s = &scenarios[p.scenario];
            let case = p.case.map(|j| s.def.cases[j].get_ref());
            (slot, case::run_case(s, case, &target, &base).await)
        });
    }
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((slot, r)) => {
                on_case(&r);
                results[slot] = Some(r);
            }
            Err(e) => {
                // A panic in a case is a harness bug; keep the run going and say so.
                eprintln!("grantcheck: internal error in a case task: {e}");
            }
        }
    }
    let cases: Vec<CaseResult> = results
        .into_iter()
        .zip(&plan)
        .map(|(r, p)| {
            r.unwrap_or_else(|| {
                let s = &scenarios[p.scenario];
                case::shell(
                    s,
                    p.case.map(|j| s.def.cases[j].get_ref()),
                    Outcome::Error,
                    Some("the case task crashed (a bug in grantcheck)".into()),
                )
            })
        })
        .collect();
    RunReport {
        schema: SCHEMA.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        target: crate::report::model::Target {
            profile: target.profile.name.clone(),
            issuer: target.issuer_id(),
            reference: target.reference,
            faults: target.faults.clone(),
            dialect: target.dialect.clone(),
        },
        duration_ms: start.elapsed().as_millis() as u64,
        replay_vars,
        baseline: None,
        summary: Summary::of(&cases),
        cases,
    }
}
