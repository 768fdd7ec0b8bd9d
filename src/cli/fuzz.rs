//! `grantcheck fuzz`: a protocol-fuzzing campaign against an issuer (the
//! embedded reference by default), findings written as scenario files and
//! confirmed by replaying them through the runner, whose report is the
//! campaign's report in every format.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::run::{self as runcmd, ColorWhen, Prepared};
use super::Failure;
use crate::campaign::driver::{self, Config, Progress, Summary};
use crate::campaign::finding::Finding;
use crate::report::format::Format;
use crate::report::model::{CaseResult, Check, Outcome, RunReport, StepResult};
use crate::report::{replay, terminal};
use crate::run::{self, Planned, Stop};
use crate::scenario;

#[derive(clap::Args, Debug)]
pub struct FuzzArgs {
    /// Issuer profile (TOML). Without it, the embedded reference issuer is started and fuzzed.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Run the profile against the reference issuer emulating its dialect (as `run --emulate`).
    #[arg(long, value_name = "DIALECT", num_args = 0..=1, default_missing_value = "", requires = "profile")]
    pub emulate: Option<String>,
    /// Break the embedded reference issuer with a named fault (repeatable).
    #[arg(long = "reference-fault", value_name = "NAME")]
    pub reference_faults: Vec<String>,
    /// Fuzz a profile marked `environment = "production"` (refused without this flag).
    #[arg(long)]
    pub allow_production: bool,
    /// Seed of the campaign: the same seed, issuer and --max-cases give the same inputs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seconds of generating and running inputs (shrinking the last findings may add a little).
    #[arg(long = "time", value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub time: u64,
    /// Stop after this many inputs (seeds included).
    #[arg(long, value_name = "N")]
    pub max_cases: Option<usize>,
    /// Inputs run at once, 1 to 256 (default: the profile's http.concurrency).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
    /// Corpus directory: resumed from at the start, new inputs appended at the end.
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Where findings are written, one scenario file (and replay script) each.
    #[arg(long, value_name = "DIR", default_value = "fuzz-findings")]
    pub findings: PathBuf,
    /// Write a report of the confirmed findings: FORMAT or FORMAT=PATH (repeatable), as for `run`.
    #[arg(long = "report", value_name = "FORMAT[=PATH]")]
    pub reports: Vec<String>,
    /// Print only the summary and the findings.
    #[arg(long, short)]
    pub quiet: bool,
    /// Colour: auto, always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorWhen,
}

/// Extra wall time after the budget for shrinking and the replay.
const SLACK: Duration = Duration::from_secs(60);

pub fn fuzz(a: FuzzArgs) -> Result<u8, Failure> {
    let outputs = runcmd::outputs(&a.reports, None)?;
    if outputs.iter().any(|(f, _)| *f == Format::Jsonl) {
        return Err(Failure::usage(
            "`fuzz` writes no event stream; ask for json, junit, sarif, markdown or html",
            None,
        ));
    }
    if a.profile.is_some() && a.emulate.is_none() && !a.reference_faults.is_empty() {
        return Err(Failure::usage(
            "--reference-fault breaks the embedded reference issuer; with --profile it needs --emulate",
            None,
        ));
    }
    let rt = super::runtime()?;
    let result = rt.block_on(campaign(&a));
    rt.shutdown_background();
    let (summary, report) = result?;
    write_findings(&a.findings, &summary, &report)?;
    let opts = terminal::Options {
        color: runcmd::color(a.color),
        verbose: false,
        quiet: true,
    };
    print!("{}", render_summary(&summary, &report, &a.findings));
    if !a.quiet && report.cases.iter().any(|c| c.outcome == Outcome::Fail) {
        eprint!("{}", terminal::render(&report, opts));
    }
    for (f, path) in &outputs {
        runcmd::write_report(Path::new(path), &f.render(&report))?;
        eprintln!("wrote the {} report to {path}", f.name());
    }
    Ok(runcmd::exit_code(&report))
}

async fn prepare(a: &FuzzArgs) -> Result<Prepared, Failure> {
    match (&a.profile, &a.emulate) {
        (None, _) => runcmd::prepare_reference(&a.reference_faults, false).await,
        (Some(path), Some(d)) => runcmd::prepare_emulated(path, d, &a.reference_faults).await,
        (Some(path), None) => runcmd::prepare_profile(path, a.allow_production).await,
    }
}

/// Runs the campaign, then replays every finding through the runner.
async fn campaign(a: &FuzzArgs) -> Result<(Summary, RunReport), Failure> {
    let budget = Duration::from_secs(a.time);
    let stop = Stop::arm(budget + SLACK);
    let prepared = prepare(a).await?;
    let target = prepared.target.clone();
    let cfg = Config {
        seed: a.seed,
        budget,
        max_cases: a.max_cases,
        concurrency: a
            .concurrency
            .map(usize::from)
            .unwrap_or(target.profile.http.concurrency),
        corpus: a.corpus.clone(),
        ..Config::default()
    };
    let mut line = ProgressLine::new(a.quiet);
    let summary = driver::campaign(target.clone(), cfg, stop.clone(), |p| line.show(p))
        .await
        .map_err(|e| Failure::harness(e.to_string(), Some("a profile needs a client with authorization_code, a redirect URI and a user, or a client with client_credentials".into())))?;
    line.clear();
    // The replay has a deadline of its own: a campaign that used all of
    // its time must still get its findings confirmed (or not).
    let report = confirm(&summary, &target, Stop::arm(SLACK)).await;
    Ok((summary, report))
}

/// Replays each finding's scenario once more: the report of the campaign
/// is this replay's, so every finding in it reproduced through the runner
/// (one that did not is listed as not reproduced), and a campaign case
/// says what was fuzzed.
async fn confirm(s: &Summary, target: &Arc<run::Target>, stop: Stop) -> RunReport {
    let scenarios: Vec<scenario::Scenario> = s
        .findings
        .iter()
        .filter_map(|f| scenario::load_str(Path::new(&format!("{}.toml", f.id)), &f.scenario).ok())
        .collect();
    let plan: Vec<Planned> = (0..scenarios.len())
        .map(|i| Planned {
            scenario: i,
            case: None,
        })
        .collect();
    let mut report =
        run::execute_until(Arc::new(scenarios), plan, target.clone(), 4, stop, |_| {}).await;
    report.cases.insert(0, campaign_case(s));
    report.summary = crate::report::model::Summary::of(&report.cases);
    report
}

/// The campaign itself as a case: what ran, and whether any input got a
/// verdict at all (a campaign whose every input erred proves nothing).
fn campaign_case(s: &Summary) -> CaseResult {
    let judged = s.cases.saturating_sub(s.errors + s.skips);
    let check = |what: &str, actual: String, passed: bool| Check {
        what: what.into(),
        expected: String::new(),
        actual,
        passed,
        line: None,
        level: None,
        covers: Vec::new(),
    };
    let checks = vec![
        check(
            "inputs that reached a verdict",
            format!("{judged} of {}", s.cases),
            judged > 0,
        ),
        check("requests sent", s.requests.to_string(), s.requests > 0),
        check("response classes seen", s.classes.to_string(), true),
        check(
            "generated scenarios the loader refused",
            s.invalid.len().to_string(),
            s.invalid.is_empty(),
        ),
    ];
    let ok = checks.iter().all(|c| c.passed);
    let reason = (!ok).then(|| match s.error_samples.first().or(s.invalid.first()) {
        Some(e) => format!("no input reached a verdict; for example {e}"),
        None => "no input reached a verdict".into(),
    });
    CaseResult {
        id: "fuzz.campaign".into(),
        scenario: "fuzz.campaign".into(),
        case: None,
        title: format!(
            "Fuzzing campaign, seed {}: {} inputs, {} requests",
            s.seed, s.cases, s.requests
        ),
        area: "fuzz".into(),
        level: "setup".into(),
        covers: Vec::new(),
        not_covered: Vec::new(),
        spec: Vec::new(),
        tags: vec!["fuzz".into()],
        outcome: if ok { Outcome::Pass } else { Outcome::Error },
        reason,
        duration_ms: s.elapsed.as_millis() as u64,
        steps: vec![StepResult {
            name: "campaign".into(),
            action: "fuzz".into(),
            level: "setup".into(),
            outcome: if ok { Outcome::Pass } else { Outcome::Error },
            summary: format!(
                "{} inputs, {} classes, {} findings",
                s.cases,
                s.classes,
                s.findings.len()
            ),
            checks,
            error: None,
            exchanges: Vec::new(),
            not_run: None,
        }],
        source: String::new(),
        known: None,
    }
}

/// Writes each finding's scenario and replay script.
fn write_findings(dir: &Path, s: &Summary, report: &RunReport) -> Result<(), Failure> {
    if s.findings.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::harness(format!("cannot create {}: {e}", dir.display()), None))?;
    for f in &s.findings {
        let path = dir.join(format!("{}.toml", f.id));
        runcmd::write_report(&path, &finding_file(f, s.seed))?;
        if let Some(case) = report.cases.iter().find(|c| c.id == f.id) {
            let script = replay::script(case, &report.replay_vars);
            runcmd::write_report(&dir.join(format!("{}.replay.sh", f.id)), &script)?;
        }
    }
    Ok(())
}

/// A finding's scenario file, headed by what found it.
fn finding_file(f: &Finding, seed: u64) -> String {
    let mut head = format!(
        "# Found by `grantcheck fuzz --seed {seed}` ({} input(s) showed it).\n# Root cause: {}\n# Replay: grantcheck run --suites <this directory> --only '{}'\n",
        f.hits, f.key, f.id
    );
    for line in f.reason.lines() {
        head.push_str(&format!("# Reason: {line}\n"));
    }
    format!("{head}\n{}", f.scenario)
}

fn render_summary(s: &Summary, report: &RunReport, dir: &Path) -> String {
    let secs = s.elapsed.as_secs_f64().max(0.001);
    let mut out = format!(
        "grantcheck fuzz: seed {}, {} inputs, {} requests in {:.1} s ({:.0} req/s), {} response classes, corpus {} (+{} resumed)\n",
        s.seed,
        s.cases,
        s.requests,
        secs,
        s.requests as f64 / secs,
        s.classes,
        s.corpus,
        s.resumed
    );
    out.push_str(&format!(
        "  {:<12} {:>7} {:>9}\n",
        "flow", "inputs", "findings"
    ));
    for (flow, (n, f)) in &s.flows {
        out.push_str(&format!("  {:<12} {:>7} {:>9}\n", flow.name(), n, f));
    }
    for e in &s.excluded {
        out.push_str(&format!("  left out of the login flows: {e}\n"));
    }
    if s.errors > 0 || s.skips > 0 {
        out.push_str(&format!(
            "  {} input(s) erred, {} probed nothing (skipped)\n",
            s.errors, s.skips
        ));
        for e in &s.error_samples {
            out.push_str(&format!("    e.g. {e}\n"));
        }
    }
    for i in &s.invalid {
        out.push_str(&format!(
            "  grantcheck bug: a generated scenario did not load: {i}\n"
        ));
    }
    if let Some(h) = &s.halted {
        out.push_str(&format!("  stopped early: {h}\n"));
    }
    match s.findings.len() {
        0 => out.push_str("no findings\n"),
        n => {
            out.push_str(&format!("{n} finding(s), written to {}:\n", dir.display()));
            for f in &s.findings {
                let replayed = report
                    .cases
                    .iter()
                    .find(|c| c.id == f.id)
                    .map(|c| c.outcome);
                let status = match replayed {
                    Some(Outcome::Fail) => "FAIL",
                    Some(Outcome::Warn) => "WARN",
                    _ => "NOT REPRODUCED",
                };
                out.push_str(&format!(
                    "  {status:<6} {} ({} hit(s))\n         {}\n",
                    f.id, f.hits, f.reason
                ));
            }
            out.push_str(&format!(
                "replay them: grantcheck run --suites {}\n",
                dir.display()
            ));
        }
    }
    out
}

/// Progress on stderr: a line rewritten in place on a terminal, a line
/// every few seconds otherwise (CI logs), nothing with --quiet.
struct ProgressLine {
    tty: bool,
    quiet: bool,
    last: Instant,
}

impl ProgressLine {
    fn new(quiet: bool) -> Self {
        ProgressLine {
            tty: std::io::stderr().is_terminal(),
            quiet,
            last: Instant::now(),
        }
    }

    fn show(&mut self, p: &Progress) {
        if self.quiet || (!self.tty && self.last.elapsed() < Duration::from_secs(5)) {
            return;
        }
        self.last = Instant::now();
        let rate = p.requests as f64 / p.elapsed.as_secs_f64().max(0.001);
        let text = format!(
            "fuzz: {} s, {} inputs, {} requests ({rate:.0}/s), {} classes, {} findings",
            p.elapsed.as_secs(),
            p.cases,
            p.requests,
            p.classes,
            p.findings
        );
        match self.tty {
            true => eprint!("\r\x1b[2K{text}"),
            false => eprintln!("{text}"),
        }
    }

    fn clear(&self) {
        if self.tty && !self.quiet {
            eprint!("\r\x1b[2K");
        }
    }
}
