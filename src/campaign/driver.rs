//! The campaign loop, the I/O edge of the fuzzer: batches of generated
//! inputs built into scenarios and run by the suite's own runner, their
//! response classes fed back into the corpus, failures shrunk and
//! deduplicated into findings. Batches are generated from the state the
//! previous batches left, and their results are read in input order, so a
//! campaign bounded by cases is deterministic for a seed whatever the
//! timing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::build;
use super::class;
use super::corpus::{self, CorpusError};
use super::finding::{self, Finding, Symptom};
use super::generate;
use super::input::{Flow, Input};
use super::rng::Rng;
use super::surface::{ClientShape, Surface};
use crate::profile::AuthMethod;
use crate::report::model::{CaseResult, Outcome};
use crate::run::{self, Planned, Stop, Target};
use crate::scenario::{self, Scenario};

#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    /// Wall time for generating and running inputs (shrinking the last
    /// findings may take a little longer).
    pub budget: Duration,
    /// Stop after this many generated inputs (seeds included).
    pub max_cases: Option<usize>,
    /// Inputs run at once.
    pub concurrency: usize,
    /// A corpus directory to resume from and append to.
    pub corpus: Option<PathBuf>,
    /// Runs one finding's shrinking may spend.
    pub shrink_runs: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 1,
            budget: Duration::from_secs(60),
            max_cases: None,
            concurrency: 8,
            corpus: None,
            shrink_runs: 24,
        }
    }
}

/// What the progress line shows, after each batch.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub cases: usize,
    pub requests: usize,
    pub findings: usize,
    pub classes: usize,
    pub elapsed: Duration,
}

/// A campaign's result.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub seed: u64,
    pub cases: usize,
    pub requests: usize,
    /// Inputs whose setup failed or that the runner could not finish.
    pub errors: usize,
    /// Inputs whose probe equalled the conformant request (nothing probed).
    pub skips: usize,
    pub classes: usize,
    pub corpus: usize,
    /// Corpus inputs read at the start.
    pub resumed: usize,
    /// Corpus lines that could not be read.
    pub corpus_skipped: usize,
    pub elapsed: Duration,
    pub findings: Vec<Finding>,
    /// A few error reasons, for the user to see why inputs did not run.
    pub error_samples: Vec<String>,
    /// Inputs the generator built that the scenario loader refused: a bug
    /// of grantcheck's, shown rather than hidden.
    pub invalid: Vec<String>,
    /// Per flow: inputs run and findings.
    pub flows: BTreeMap<Flow, (usize, usize)>,
    pub halted: Option<String>,
    /// Clients left out of the login flows, with why: their plain login
    /// (the runner's control) did not give a code, so no mutation of it
    /// could tell anything.
    pub excluded: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("nothing to fuzz: {0}")]
    NoSurface(String),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
}

/// The fuzzer's view of a resolved target.
pub fn surface(t: &Target) -> Surface {
    let p = &t.profile;
    let all_scopes: BTreeSet<&str> = p
        .scopes
        .values()
        .flat_map(|v| v.split(' '))
        .filter(|s| !s.is_empty())
        .collect();
    let clients = p
        .clients
        .values()
        .map(|c| {
            let scope: BTreeSet<&str> = c.scope.split(' ').collect();
            let has = |g: &str| c.grants.iter().any(|x| x == g);
            ClientShape {
                role: c.role.clone(),
                confidential: c.auth_method != AuthMethod::None && c.secret.is_some(),
                basic: c.auth_method == AuthMethod::ClientSecretBasic,
                code: has("authorization_code"),
                refresh: has("refresh_token"),
                client_credentials: has("client_credentials"),
                redirect_uris: c.redirect_uris.len(),
                loopback: c
                    .redirect_uris
                    .first()
                    .is_some_and(|u| run::target::is_loopback_ip_uri(u)),
                oauth21_only: c.oauth21_only,
                wider_scope: all_scopes
                    .iter()
                    .find(|s| !scope.contains(*s))
                    .map(|s| s.to_string()),
                openid: scope.contains("openid"),
            }
        })
        .collect();
    Surface {
        clients,
        users: p.users.keys().cloned().collect(),
        capabilities: scenario::CAPABILITIES
            .iter()
            .filter(|c| t.offers(c).is_ok())
            .map(|c| c.to_string())
            .collect(),
        policies: t.policy_tags.clone(),
    }
}

/// Response classes and corpus entries a campaign keeps at most.
const MAX_CLASSES: usize = 100_000;
const MAX_CORPUS: usize = 10_000;

/// Campaign state between batches.
struct State {
    rng: Rng,
    seeds: Vec<Input>,
    /// Seeds and resumed inputs still to run first.
    queue: Vec<Input>,
    corpus: Vec<Input>,
    fresh: Vec<Input>,
    classes: BTreeSet<String>,
    /// Root cause -> index into `summary.findings`; also keyed by the
    /// unshrunk input's cause, so repeats skip shrinking.
    known: HashMap<String, usize>,
    summary: Summary,
    started: Instant,
}

/// Runs a campaign against `target` until the budget, the case limit or
/// `stop`, reporting progress after every batch.
pub async fn campaign(
    target: Arc<Target>,
    cfg: Config,
    stop: Stop,
    mut on_progress: impl FnMut(&Progress),
) -> Result<Summary, CampaignError> {
    let start = Instant::now();
    let mut s = surface(&target);
    let excluded = controls(&target, &mut s).await;
    let seeds = generate::seeds(&s);
    if seeds.is_empty() {
        return Err(CampaignError::NoSurface(
            "the profile has no client that can run any flow (a client with authorization_code and a redirect URI and a user, or one with client_credentials)".into(),
        ));
    }
    let (resumed, corpus_skipped) = match &cfg.corpus {
        Some(dir) => corpus::load(dir)?,
        None => (Vec::new(), 0),
    };
    // Resumed inputs whose roles this profile lacks are left out.
    let resumed: Vec<Input> = resumed
        .into_iter()
        .filter(|i| s.client(&i.client).is_some())
        .collect();
    let singles = generate::singles(&s, &seeds);
    let mut st = State {
        rng: Rng::new(cfg.seed),
        queue: seeds
            .iter()
            .chain(&resumed)
            .chain(&singles)
            .cloned()
            .rev()
            .collect(),
        seeds,
        corpus: Vec::new(),
        fresh: Vec::new(),
        classes: BTreeSet::new(),
        known: HashMap::new(),
        started: start,
        summary: Summary {
            seed: cfg.seed,
            resumed: resumed.len(),
            corpus_skipped,
            excluded,
            ..Summary::default()
        },
    };
    let batch = (cfg.concurrency * 4).max(8);
    loop {
        if start.elapsed() >= cfg.budget {
            break;
        }
        let room = cfg
            .max_cases
            .map(|m| m.saturating_sub(st.summary.cases))
            .unwrap_or(usize::MAX);
        if room == 0 {
            break;
        }
        let inputs = next_batch(&mut st, &s, batch.min(room));
        if inputs.is_empty() {
            break;
        }
        let results = run_inputs(
            &target,
            &s,
            &inputs,
            cfg.concurrency,
            stop.clone(),
            &mut st.summary,
        )
        .await;
        if let Some(h) = results.halted {
            st.summary.halted = Some(h);
            break;
        }
        for (input, case) in inputs.into_iter().zip(results.cases) {
            absorb(&mut st, &target, &s, &cfg, input, case, &stop).await;
        }
        st.summary.elapsed = start.elapsed();
        on_progress(&Progress {
            cases: st.summary.cases,
            requests: st.summary.requests,
            findings: st.summary.findings.len(),
            classes: st.classes.len(),
            elapsed: st.summary.elapsed,
        });
    }
    if let Some(dir) = &cfg.corpus {
        corpus::append(dir, &st.fresh)?;
    }
    st.summary.classes = st.classes.len();
    st.summary.corpus = st.corpus.len();
    st.summary.elapsed = start.elapsed();
    Ok(st.summary)
}

/// Asks the runner's control (a plain login as each code client) once per
/// client, and takes the clients whose login gives no code out of the
/// login flows: a registered but unapproved client, a login the profile
/// cannot pass. Returns why each was left out.
async fn controls(target: &Target, s: &mut Surface) -> Vec<String> {
    let Some(user) = s.first_user().map(str::to_string) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in s
        .clients
        .iter_mut()
        .filter(|c| c.code && c.redirect_uris > 0)
    {
        if let Err(why) = run::premise::login_works(target, &c.role, &user).await {
            c.code = false;
            out.push(format!("{}: {why}", c.role));
        }
    }
    out
}

fn next_batch(st: &mut State, s: &Surface, n: usize) -> Vec<Input> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        if let Some(i) = st.queue.pop() {
            out.push(i);
            continue;
        }
        match generate::next(&mut st.rng, &st.seeds, &st.corpus, s) {
            Some(i) => out.push(i),
            None => break,
        }
    }
    out
}

struct Ran {
    /// One per input, in input order (an input the loader refused is an
    /// error case).
    cases: Vec<CaseResult>,
    halted: Option<String>,
}

/// Builds and runs `inputs`; every input gets a case result, in order.
async fn run_inputs(
    target: &Arc<Target>,
    s: &Surface,
    inputs: &[Input],
    concurrency: usize,
    stop: Stop,
    summary: &mut Summary,
) -> Ran {
    let mut scenarios = Vec::new();
    let mut slots = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        match load(input, s, &format!("fuzz.input.n{i}")) {
            Ok(sc) => {
                slots.push(Some(scenarios.len()));
                scenarios.push(sc);
            }
            Err(why) => {
                if summary.invalid.len() < 20 {
                    summary.invalid.push(format!("{}: {why}", input.label()));
                }
                slots.push(None);
            }
        }
    }
    let plan: Vec<Planned> = (0..scenarios.len())
        .map(|i| Planned {
            scenario: i,
            case: None,
        })
        .collect();
    let scenarios = Arc::new(scenarios);
    let report = match plan.is_empty() {
        true => None,
        false => Some(
            run::execute_until(
                scenarios.clone(),
                plan,
                target.clone(),
                concurrency,
                stop,
                |_| {},
            )
            .await,
        ),
    };
    let halted = report
        .as_ref()
        .and_then(|r| r.halt.as_ref())
        .map(|h| h.reason.clone());
    let mut done = report
        .map(|r| r.cases)
        .unwrap_or_default()
        .into_iter()
        .map(Some)
        .collect::<Vec<_>>();
    let cases = slots
        .into_iter()
        .map(
            |slot| match slot.and_then(|j| done.get_mut(j).and_then(Option::take)) {
                Some(c) => c,
                None => invalid_case(),
            },
        )
        .collect();
    Ran { cases, halted }
}

/// The result of an input that never ran: its scenario did not load.
fn invalid_case() -> CaseResult {
    CaseResult {
        id: "fuzz.invalid".into(),
        scenario: "fuzz.invalid".into(),
        case: None,
        title: String::new(),
        area: "fuzz".into(),
        level: "must".into(),
        covers: Vec::new(),
        not_covered: Vec::new(),
        spec: Vec::new(),
        tags: Vec::new(),
        outcome: Outcome::Error,
        reason: Some("the generated scenario did not load".into()),
        duration_ms: 0,
        steps: Vec::new(),
        source: String::new(),
        known: None,
    }
}

/// The scenario of `input`, loaded as the suite's files are.
pub fn load(input: &Input, s: &Surface, id: &str) -> Result<Scenario, String> {
    let text = build::scenario(id, &input.label(), input, s).map_err(|e| e.to_string())?;
    scenario::load_str(Path::new(&format!("{id}.toml")), &text).map_err(|d| {
        d.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Takes one result into the state: counts, classes, corpus, findings.
async fn absorb(
    st: &mut State,
    target: &Arc<Target>,
    s: &Surface,
    cfg: &Config,
    input: Input,
    case: CaseResult,
    stop: &Stop,
) {
    let sm = &mut st.summary;
    sm.cases += 1;
    sm.requests += requests(&case);
    let flow = sm.flows.entry(input.flow).or_default();
    flow.0 += 1;
    match case.outcome {
        Outcome::Error => {
            sm.errors += 1;
            if sm.error_samples.len() < 5 {
                sm.error_samples.push(format!(
                    "{}: {}",
                    input.label(),
                    case.reason.clone().unwrap_or_default()
                ));
            }
            return;
        }
        Outcome::Skip => {
            sm.skips += 1;
            return;
        }
        _ => {}
    }
    let new: Vec<String> = class::classes(input.flow.name(), &case)
        .into_iter()
        .filter(|c| !st.classes.contains(c))
        .collect();
    // Bounded whatever the issuer answers: past the caps nothing is added.
    if !new.is_empty() && st.classes.len() < MAX_CLASSES && st.corpus.len() < MAX_CORPUS {
        st.classes.extend(new);
        if !input.mutations.is_empty() && !st.corpus.contains(&input) {
            st.corpus.push(input.clone());
            st.fresh.push(input.clone());
        }
    }
    let Some(symptom) = Symptom::of(&case) else {
        return;
    };
    let pre = finding::root_cause(&input, &symptom, s);
    if let Some(&i) = st.known.get(&pre) {
        st.summary.findings[i].hits += 1;
        return;
    }
    // Past the budget a finding is kept as found, unshrunk.
    let (small, small_case, symptom) = match st.started.elapsed() < cfg.budget {
        true => shrink(target, s, cfg, input, case, symptom, stop, &mut st.summary).await,
        false => (input, case, symptom),
    };
    let key = finding::root_cause(&small, &symptom, s);
    if let Some(&i) = st.known.get(&key) {
        st.summary.findings[i].hits += 1;
        st.known.insert(pre, i);
        return;
    }
    let id = finding::scenario_id(&small, &key);
    let Ok(text) = build::scenario(&id, &small.label(), &small, s) else {
        return;
    };
    let i = st.summary.findings.len();
    if let Some(f) = st.summary.flows.get_mut(&small.flow) {
        f.1 += 1;
    }
    st.summary.findings.push(Finding {
        key: key.clone(),
        id,
        input: small,
        scenario: text,
        reason: small_case.reason.clone().unwrap_or_default(),
        symptom,
        case: small_case,
        hits: 1,
    });
    st.known.insert(key, i);
    st.known.insert(pre, i);
}

fn requests(case: &CaseResult) -> usize {
    case.steps.iter().map(|s| s.exchanges.len()).sum()
}

/// The simplest input found, within the run budget, that still shows the
/// same symptom (the same step and failed checks), with its case. A
/// simpler input that fails otherwise is another problem, not a smaller
/// witness of this one: folding it in would hide one root cause behind
/// another.
#[allow(clippy::too_many_arguments)]
async fn shrink(
    target: &Arc<Target>,
    s: &Surface,
    cfg: &Config,
    input: Input,
    case: CaseResult,
    symptom: Symptom,
    stop: &Stop,
    summary: &mut Summary,
) -> (Input, CaseResult, Symptom) {
    let (mut best, mut best_case, best_symptom) = (input, case, symptom);
    let mut runs = 0;
    'outer: while runs < cfg.shrink_runs {
        for cand in finding::simpler(&best) {
            if runs >= cfg.shrink_runs {
                break 'outer;
            }
            runs += 1;
            let ran = run_inputs(
                target,
                s,
                std::slice::from_ref(&cand),
                1,
                stop.clone(),
                summary,
            )
            .await;
            let Some(c) = ran.cases.into_iter().next() else {
                break 'outer;
            };
            summary.requests += requests(&c);
            if Symptom::of(&c).as_ref() == Some(&best_symptom) {
                (best, best_case) = (cand, c);
                continue 'outer;
            }
        }
        break;
    }
    (best, best_case, best_symptom)
}
