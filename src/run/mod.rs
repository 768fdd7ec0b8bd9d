//! The runner: plans which scenario cases run (selection, capabilities),
//! runs them concurrently within a limit, and assembles the report.

pub mod case;
pub mod context;
pub mod doctor;
pub mod expect;
pub mod premise;
pub mod reference;
pub mod step;
pub mod stop;
pub mod target;

use std::sync::Arc;
use std::time::Instant;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::http::Journal;
use crate::report::model::{CaseResult, Halt, Outcome, RunReport, Summary, SCHEMA};
use crate::report::redact::Redactor;
use crate::scenario::Scenario;
pub use stop::Stop;
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

/// How long cancelled cases may take to end after a stop.
const CANCEL_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs the planned cases, `concurrency` at a time, and reports each as it
/// finishes through `on_case`; the report keeps plan order.
/// Puts the reference's clock back on the real time after a case that
/// advanced it, before any other case runs: tokens minted later must not
/// carry times from the future.
async fn reset_clock(target: &Target) {
    if let Some(url) = &target.clock {
        let _ = target
            .http
            .send(crate::http::Request::form(url.clone(), "reset=1".into()))
            .await;
    }
}

/// Whether a scenario moves the issuer's clock (a `wait` step).
fn advances_clock(s: &Scenario) -> bool {
    s.def.steps.iter().any(|st| {
        matches!(
            st.get_ref().kind(),
            Some(crate::scenario::model::StepKind::Wait(_))
        )
    })
}

/// A case's hold on the issuer's clock: alone while it advances it, shared otherwise.
#[allow(dead_code)] // held for its drop
enum ClockGuard {
    Alone(tokio::sync::OwnedRwLockWriteGuard<()>),
    Shared(tokio::sync::OwnedRwLockReadGuard<()>),
}

pub async fn execute(
    scenarios: Arc<Vec<Scenario>>,
    plan: Vec<Planned>,
    target: Arc<Target>,
    concurrency: usize,
    on_case: impl Fn(&CaseResult),
) -> RunReport {
    execute_until(scenarios, plan, target, concurrency, Stop::never(), on_case).await
}

/// [`execute`], until `stop` comes: then no case starts, the running ones
/// are cancelled, and every case that did not finish is an `error` with
/// the stop's reason (and the exchanges it had sent, redacted). The report
/// carries the stop as its `halt`.
pub async fn execute_until(
    scenarios: Arc<Vec<Scenario>>,
    plan: Vec<Planned>,
    target: Arc<Target>,
    concurrency: usize,
    stop: Stop,
    on_case: impl Fn(&CaseResult),
) -> RunReport {
    let start = Instant::now();
    let (base, replay_vars) = base_redactor(&target);
    let base = Arc::new(base);
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = Tasks {
        set: tokio::task::JoinSet::new(),
        slots: std::collections::HashMap::new(),
        results: vec![None; plan.len()],
        journals: vec![None; plan.len()],
        crashes: vec![None; plan.len()],
    };
    for slot in longest_first(&scenarios, &plan) {
        let p = plan[slot];
        let s = &scenarios[p.scenario];
        let case = p.case.map(|j| s.def.cases[j].get_ref());
        if let Some(why) = skip_reason(s, p.case, &target) {
            let r = case::shell(s, case, Outcome::Skip, Some(why));
            on_case(&r);
            tasks.results[slot] = Some(r);
            continue;
        }
        let journal = Journal::default();
        tasks.journals[slot] = Some(journal.clone());
        let (scenarios, target, base, sem) =
            (scenarios.clone(), target.clone(), base.clone(), sem.clone());
        let exclusive = target.clock.is_some() && advances_clock(s);
        let task = tasks.set.spawn(crate::http::journaled(journal, async move {
            // Taken before a concurrency slot, so that waiting for the
            // clock never holds one.
            let lock = target.clock_lock.clone();
            let _clock = match exclusive {
                true => ClockGuard::Alone(lock.write_owned().await),
                false => ClockGuard::Shared(lock.read_owned().await),
            };
            let _permit = sem.acquire_owned().await;
            let s = &scenarios[p.scenario];
            let case = p.case.map(|j| s.def.cases[j].get_ref());
            // A case that panics mid-way still puts the clock back, before
            // its write hold is released to the cases waiting for it.
            let run = case::run_case(s, case, &target, &base);
            let result =
                futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run)).await;
            if exclusive {
                reset_clock(&target).await;
            }
            result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }));
        tasks.slots.insert(task.id(), slot);
    }
    let halt = tasks.join(stop, &on_case).await;
    let cases = tasks.finish(&scenarios, &plan, &base, halt.as_ref());
    RunReport {
        schema: SCHEMA.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        target: target.described(),
        duration_ms: start.elapsed().as_millis() as u64,
        replay_vars,
        baseline: None,
        summary: Summary::of(&cases),
        cases,
        halt,
        sessions: Some(target.sessions.stats()).filter(|s| s.logins + s.reused > 0),
    }
}

/// The case tasks of a run, by plan slot.
struct Tasks {
    set: tokio::task::JoinSet<CaseResult>,
    slots: std::collections::HashMap<tokio::task::Id, usize>,
    results: Vec<Option<CaseResult>>,
    /// What each case task has sent, kept outside it.
    journals: Vec<Option<Journal>>,
    /// The panic message of each case task that crashed.
    crashes: Vec<Option<String>>,
}

impl Tasks {
    /// Collects the cases as they finish, until all have or `stop` comes;
    /// returns the stop, if it came.
    async fn join(&mut self, mut stop: Stop, on_case: &impl Fn(&CaseResult)) -> Option<Halt> {
        let mut halt: Option<Halt> = None;
        let mut grace_until = tokio::time::Instant::now();
        loop {
            let joined = tokio::select! {
                biased;
                h = stop.wait(), if halt.is_none() => {
                    // Nothing new starts; what runs is cancelled, and joins below.
                    self.set.abort_all();
                    halt = Some(h);
                    grace_until = tokio::time::Instant::now() + CANCEL_GRACE;
                    continue;
                }
                joined = self.set.join_next_with_id() => joined,
                // A task that does not yield cannot be cancelled: after a stop
                // it is left behind, its case reported as interrupted.
                _ = tokio::time::sleep_until(grace_until), if halt.is_some() => break,
            };
            match joined {
                None => break,
                Some(Ok((id, r))) => {
                    on_case(&r);
                    self.results[self.slots[&id]] = Some(r);
                }
                Some(Err(e)) if e.is_panic() => {
                    let slot = self.slots[&e.id()];
                    self.crashes[slot] = Some(panic_message(e.into_panic()));
                }
                // Cancelled by the stop: its slot stays empty.
                Some(Err(_)) => {}
            }
        }
        halt
    }

    /// Every case in plan order; one that did not finish is an `error`
    /// saying why (a crash, or the halt), with what it had sent.
    fn finish(
        self,
        scenarios: &[Scenario],
        plan: &[Planned],
        base: &Redactor,
        halt: Option<&Halt>,
    ) -> Vec<CaseResult> {
        let Tasks {
            results,
            journals,
            crashes,
            ..
        } = self;
        let unfinished = journals.into_iter().zip(crashes);
        results
            .into_iter()
            .zip(unfinished)
            .zip(plan)
            .map(|((r, (journal, crash)), p)| {
                r.unwrap_or_else(|| {
                    let s = &scenarios[p.scenario];
                    let case = p.case.map(|j| s.def.cases[j].get_ref());
                    let reason = match (crash, halt) {
                        (Some(panic), _) => {
                            format!("the case task crashed (a bug in grantcheck): {panic}")
                        }
                        (None, Some(h)) => h.reason.clone(),
                        (None, None) => "the case task crashed (a bug in grantcheck)".into(),
                    };
                    let sent = journal
                        .map(|j| j.lock().unwrap_or_else(|e| e.into_inner()).clone())
                        .unwrap_or_default();
                    case::salvage(s, case, sent, base, reason)
                })
            })
            .collect()
    }
}

/// The plan's slots, the cases expected to take longest first, so that
/// the last ones to start are short and the run does not end waiting on
/// one long case (tasks start in about the order they are spawned; the
/// report keeps plan order).
fn longest_first(scenarios: &[Scenario], plan: &[Planned]) -> Vec<usize> {
    let mut slots: Vec<usize> = (0..plan.len()).collect();
    slots.sort_by_key(|&i| std::cmp::Reverse(expected_cost(&scenarios[plan[i].scenario])));
    slots
}

/// A case's expected length in round trips: an authorization walks a few
/// pages, a `concurrent` step waits for its slowest request, anything else
/// is one request.
fn expected_cost(s: &Scenario) -> usize {
    use crate::scenario::model::StepKind;
    s.def
        .steps
        .iter()
        .map(|st| match st.get_ref().kind() {
            Some(StepKind::Authorize(_)) => 4,
            Some(StepKind::Token(t)) if t.concurrent.is_some() => 2,
            // A lifetime to wait for: started first, so that against a real
            // issuer (`--slow`) the wait overlaps everything else, and the
            // reference's clock moves before the other cases start.
            Some(StepKind::Wait(_)) => 1000,
            _ => 1,
        })
        .sum()
}

/// The report of a run that stopped before any case ran (the target could
/// not be prepared, or the deadline passed first): every planned case is an
/// `error` with the halt's reason.
pub fn halted(
    scenarios: &[Scenario],
    plan: &[Planned],
    target: crate::report::model::Target,
    halt: Halt,
) -> RunReport {
    let cases: Vec<CaseResult> = plan
        .iter()
        .map(|p| {
            let s = &scenarios[p.scenario];
            let case = p.case.map(|j| s.def.cases[j].get_ref());
            case::shell(s, case, Outcome::Error, Some(halt.reason.clone()))
        })
        .collect();
    RunReport {
        schema: SCHEMA.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        target,
        duration_ms: 0,
        replay_vars: Default::default(),
        baseline: None,
        summary: Summary::of(&cases),
        cases,
        halt: Some(halt),
        sessions: None,
    }
}

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`).
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// The redactor every case starts from (the profile's secrets, and Basic
/// pairs of client ids and secrets), and the replay variables of the
/// markers it writes.
fn base_redactor(target: &Target) -> (Redactor, std::collections::BTreeMap<String, String>) {
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
                    "$(printf '%s:%s' '{}' \"${}\" | base64 | tr -d '\\n')",
                    id.replace('\'', ""),
                    src.var
                ),
            );
        }
    }
    for s in target.profile.secrets() {
        base.add("secret", &s);
    }
    (base, replay_vars)
}
