//! `grantcheck run`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::live::Live;
use super::Failure;
use crate::http::Http;
use crate::issuer;
use crate::profile::{self, Env, ProfileError};
use crate::report::baseline::{self, Baseline};
use crate::report::format::{self, Format};
use crate::report::model::{CaseResult, Halt, HaltCause};
use crate::report::Verdict;
use crate::report::{events, github, terminal, Outcome, RunReport};
use crate::run::reference::{self, ReferenceError};
use crate::run::{self, target::TargetError, Selection, Stop, Target};
use crate::scenario;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Issuer profile (TOML). Without it, the embedded reference issuer is started and tested.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    #[command(flatten)]
    pub suites: super::suites::SuiteArgs,
    /// Only scenario or case ids matching this glob (repeatable), e.g. 'pkce.*' or 'redirect.*[case-*]'.
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,
    /// Only scenarios with this tag (repeatable).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Write a report: FORMAT or FORMAT=PATH (repeatable): json, junit, sarif, markdown, html, jsonl.
    #[arg(long = "report", value_name = "FORMAT[=PATH]", long_help = crate::report::format::REPORT_HELP)]
    pub reports: Vec<String>,
    /// Write a self-contained replay script (bash + curl) for each case that did not pass
    /// into DIR: it runs the flow again against the live issuer and exits 1 when the
    /// finding reproduces, 0 when the issuer now answers otherwise.
    #[arg(long, value_name = "DIR")]
    pub replay_dir: Option<PathBuf>,
    /// Write the JSON report here (the same as --report json=PATH).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Known deviations (TOML): listed cases do not fail the run but stay visible; stale entries are reported.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Run against a profile marked `environment = "production"` (refused without this flag).
    #[arg(long)]
    pub allow_production: bool,
    /// Write a baseline accepting every case that did not pass in this run (reasons to fill in).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Scenario cases run at once, 1 to 256 (default: the profile's http.concurrency).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
    /// Break the embedded reference issuer with a named fault (repeatable; see `grantcheck issuer --list-faults`).
    /// With --profile, only together with --emulate.
    #[arg(long = "reference-fault", value_name = "NAME")]
    pub reference_faults: Vec<String>,
    /// Run the profile against the reference issuer emulating that issuer's documented
    /// wire format (the profile's `emulation`, or the dialect given: standard, busha, bud,
    /// example). Nothing is sent to the profile's hosts; its variables are supplied.
    #[arg(long, value_name = "DIALECT", num_args = 0..=1, default_missing_value = "", requires = "profile")]
    pub emulate: Option<String>,
    /// Show evidence for warnings too, and every skipped case's reason.
    #[arg(long, short, conflicts_with = "quiet")]
    pub verbose: bool,
    /// One line per failing or erroring case and the summary: no evidence.
    #[arg(long, short)]
    pub quiet: bool,
    /// Log in for every authorization even when the profile says `[login] reuse_sessions`
    /// (to compare, or for an issuer whose sessions couple cases).
    #[arg(long)]
    pub fresh_logins: bool,
    /// Run the slow cases against a real issuer too: the ones that wait for a
    /// lifetime to pass (code and access-token expiry; the embedded reference's
    /// clock is advanced instead). They start first and add their longest wait.
    #[arg(long)]
    pub slow: bool,
    /// Serve the embedded reference issuer over TLS (`https://localhost:PORT`, a test CA
    /// generated at start and trusted by this run), so that the transport rows (TLS-01..07) run.
    #[arg(long, conflicts_with = "profile")]
    pub tls: bool,
    /// When each case's line is printed: as it finishes, or in plan order (stable logs).
    #[arg(long, value_name = "ORDER", default_value = "finished")]
    pub order: super::live::Order,
    /// Stop the run after this many seconds (1 to 604800): cases not finished by then are
    /// errors ("interrupted"), every report is still written, and the exit code is not 0.
    /// SIGINT and SIGTERM stop the run the same way.
    #[arg(long, value_name = "SECONDS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub deadline: u64,
    /// Colour: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorWhen,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

fn profile_failure(e: ProfileError) -> Failure {
    let hint = e.hint();
    Failure::usage(e.to_string(), hint)
}

pub fn color(when: ColorWhen) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Everything a run needs, whichever the target.
pub struct Prepared {
    pub target: Arc<Target>,
    /// Keeps the embedded issuer alive for the run.
    pub _issuer: Option<issuer::RunningIssuer>,
}

/// Starts the embedded reference issuer with `faults` and resolves it as a target.
pub async fn prepare_reference(faults: &[String], tls: bool) -> Result<Prepared, Failure> {
    let faults = super::parse_faults(faults)?;
    // A transport fault only exists on the TLS listener.
    let shape = reference::Shape {
        tls: tls || faults.iter().any(issuer::Fault::transport),
        ..Default::default()
    };
    let secrets = issuer::ReferenceSecrets::random();
    let started = reference::start_shaped(&faults, secrets, &shape).await;
    let r = started.map_err(|e| match e {
        ReferenceError::Profile(p) => profile_failure(p),
        other => Failure::harness(other.to_string(), None),
    })?;
    Ok(Prepared {
        target: Arc::new(r.target),
        _issuer: Some(r.issuer),
    })
}

/// `--emulate`: the profile against the reference issuer speaking its
/// dialect. The production guard does not apply: nothing leaves loopback.
pub async fn prepare_emulated(
    path: &Path,
    dialect: &str,
    faults: &[String],
) -> Result<Prepared, Failure> {
    let faults = super::parse_faults(faults)?;
    let dialect = super::parse_dialect(dialect)?;
    let src = crate::files::read_bounded(path, crate::profile::MAX_PROFILE_BYTES).map_err(|e| {
        Failure::usage(format!("cannot read profile {}: {e}", path.display()), None)
    })?;
    let r = reference::start_emulated(path, &src, dialect, &faults, issuer::ReferenceSecrets::random())
        .await
        .map_err(|e| match e {
            ReferenceError::Profile(p) => profile_failure(p),
            e @ ReferenceError::Emulation { .. } => Failure::usage(
                e.to_string(),
                Some("`grantcheck issuer --list-dialects` lists the dialects and the roles each registers".into()),
            ),
            other => Failure::harness(other.to_string(), None),
        })?;
    Ok(Prepared {
        target: Arc::new(r.target),
        _issuer: Some(r.issuer),
    })
}

async fn resolve(
    p: profile::Profile,
    reference: bool,
    faults: Vec<String>,
) -> Result<Target, Failure> {
    let http = Http::new(&p.http)
        .map_err(|e| Failure::harness(e.to_string(), None))?
        .with_guard(p.guard.clone());
    Target::resolve(p, http, reference, faults)
        .await
        .map_err(target_failure)
}

/// A target that cannot be resolved: a message, a hint, and the exit code
/// of what it means (an issuer that lies about itself is a finding).
fn target_failure(e: TargetError) -> Failure {
    let mut f = target_message(&e);
    if let TargetError::Unreachable { exchange, .. }
    | TargetError::BadDiscovery { exchange, .. }
    | TargetError::IssuerMismatch { exchange, .. } = e
    {
        f.evidence.push(*exchange);
    }
    f
}

fn target_message(e: &TargetError) -> Failure {
    let message = e.to_string();
    match e {
        TargetError::Unreachable { .. } => Failure::harness(message, Some("is the issuer running, and is `issuer` in the profile right?".into())),
        TargetError::BadDiscovery { .. } => Failure::harness(message, Some("set `discovery = false` and give [endpoints] explicitly if the issuer has no discovery".into())),
        TargetError::NoEndpoint(_) => Failure::harness(message, Some("add the endpoint under [endpoints] in the profile".into())),
        TargetError::IssuerMismatch { .. } => Failure {
            code: super::EXIT_FAILED,
            message,
            hint: Some("the profile's `issuer` must be exactly the identifier the issuer publishes; if it is, the issuer's metadata is wrong (DISC-01, RFC 8414 §3.3)".into()),
            evidence: Vec::new(),
        },
        TargetError::ForeignEndpoint { url, .. } => {
            let o = crate::protocol::discovery::origin(url).unwrap_or_default();
            Failure::usage(message, Some(format!("if that origin is the issuer's, add `trusted_origins = [\"{o}\"]` under [http], or name the endpoint under [endpoints]")))
        }
    }
}

/// `grantcheck run`: checks every argument, runs the selected cases against
/// the target, and prints and writes the report; returns the exit code.
/// Once the arguments are valid every requested report is written, also
/// when the run stops before any case or is interrupted.
pub fn run(a: RunArgs) -> Result<u8, Failure> {
    // Everything the user asked for is checked before anything runs.
    let outputs = report_outputs(&a)?;
    let baseline = read_baseline(a.baseline.as_deref())?;
    let scenarios = super::suites::load(&a.suites)?;
    let selection = Selection {
        only: a.only.clone(),
        tags: a.tag.clone(),
    };
    let plan = run::select(&scenarios, &selection).map_err(|e| {
        Failure::usage(
            e.to_string(),
            Some("`grantcheck list` shows the scenario ids".into()),
        )
    })?;
    let opts = terminal::Options {
        color: color(a.color),
        verbose: a.verbose,
        quiet: a.quiet,
    };
    if a.profile.is_some() && a.emulate.is_none() && !a.reference_faults.is_empty() {
        return Err(Failure::usage(
            "--reference-fault breaks the embedded reference issuer; with --profile it needs --emulate",
            Some("drop --profile, or add --emulate to run the profile against the reference issuer".into()),
        ));
    }
    let events = EventLog::open(&outputs, plan.len())?;
    let live = Live::new(
        &planned_ids(&scenarios, &plan),
        opts,
        a.order,
        events_on_stdout(&outputs),
    );
    let rt = super::runtime()?;
    let (mut report, setup) = rt
        .block_on(run_plan(&a, scenarios, plan, &events, &live))
        .inspect_err(|_| events.abandon())?;
    // Signal handlers and the deadline watcher go with the runtime; writing
    // the reports below must not wait for a case that ignores cancellation.
    rt.shutdown_background();
    if let Some((path, b)) = &baseline {
        report.baseline = Some(baseline::apply(&mut report, b, path, &today()));
    }
    events.end(&report);
    live.finish(&report);
    publish(&report, &outputs, &a)?;
    if let Some(f) = setup {
        super::print_failure(&f);
    }
    Ok(exit_code(&report))
}

/// Prepares the target and runs the plan until the deadline or a signal.
/// A target that cannot be prepared (but for usage errors, where nothing
/// ran) gives a report of the halt, with the failure to print.
async fn run_plan(
    a: &RunArgs,
    scenarios: Vec<scenario::Scenario>,
    plan: Vec<run::Planned>,
    events: &EventLog,
    live: &Live,
) -> Result<(RunReport, Option<Failure>), Failure> {
    let mut stop = Stop::arm(Duration::from_secs(a.deadline));
    let prepared = tokio::select! {
        p = prepare(a) => p,
        h = stop.wait() => return Ok((run::halted(&scenarios, &plan, described_target(a), h), None)),
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(f) if f.code == super::EXIT_USAGE => return Err(f),
        Err(f) => {
            let mut h = Halt::new(
                HaltCause::Setup,
                format!("the run stopped before any case: {}", f.message),
            );
            if f.code == super::EXIT_FAILED {
                h.outcome = Outcome::Fail;
            }
            h.exchanges = run::case::redacted_evidence(&f.evidence);
            let r = run::halted(&scenarios, &plan, described_target(a), h);
            return Ok((r, Some(f)));
        }
    };
    let concurrency = a
        .concurrency
        .map(usize::from)
        .unwrap_or(prepared.target.profile.http.concurrency);
    if a.fresh_logins {
        prepared.target.sessions.disable();
    }
    prepared
        .target
        .slow
        .store(a.slow, std::sync::atomic::Ordering::Relaxed);
    live.start(&prepared.target.described());
    let report = run::execute_until(
        Arc::new(scenarios),
        plan,
        prepared.target.clone(),
        concurrency,
        stop,
        |c| {
            live.case(c);
            events.case(c);
        },
    )
    .await;
    Ok((report, None))
}

/// The target the arguments name, whichever it is.
async fn prepare(a: &RunArgs) -> Result<Prepared, Failure> {
    match (&a.profile, &a.emulate) {
        (None, _) => prepare_reference(&a.reference_faults, a.tls).await,
        (Some(path), Some(dialect)) => prepare_emulated(path, dialect, &a.reference_faults).await,
        (Some(path), None) => prepare_profile(path, a.allow_production).await,
    }
}

/// The target as the report names it when it could not be resolved: the
/// profile's `name` and `issuer` as written, read without judging them.
fn described_target(a: &RunArgs) -> crate::report::model::Target {
    let table = a
        .profile
        .as_ref()
        .and_then(|p| crate::files::read_bounded(p, crate::profile::MAX_PROFILE_BYTES).ok())
        .and_then(|t| t.parse::<toml::Table>().ok())
        .unwrap_or_default();
    let text = |k: &str| table.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let file_stem = a
        .profile
        .as_ref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned());
    crate::report::model::Target {
        profile: text("name")
            .or(file_stem)
            .unwrap_or_else(|| "reference".into()),
        issuer: text("issuer").unwrap_or_else(|| "(not resolved)".into()),
        reference: a.profile.is_none() || a.emulate.is_some(),
        faults: a.reference_faults.clone(),
        dialect: a.emulate.clone().filter(|d| !d.is_empty()),
    }
}

/// The `--report jsonl` stream: one line per finished case, flushed as it
/// is written, so a run that is killed leaves what it had found.
struct EventLog {
    out: std::cell::RefCell<Option<(Box<dyn std::io::Write>, String)>>,
}

/// `--report jsonl=-`: the event stream on stdout, the terminal report on
/// stderr, so that a pipe reads nothing but JSON lines.
pub const STDOUT: &str = "-";

/// Whether the event stream goes to stdout.
fn events_on_stdout(outputs: &[(Format, String)]) -> bool {
    outputs
        .iter()
        .any(|(f, p)| *f == Format::Jsonl && p == STDOUT)
}

impl EventLog {
    /// Opens the stream (if one is asked for) and writes its first line.
    fn open(outputs: &[(Format, String)], planned: usize) -> Result<EventLog, Failure> {
        let Some((_, path)) = outputs.iter().find(|(f, _)| *f == Format::Jsonl) else {
            return Ok(EventLog { out: None.into() });
        };
        let out: Box<dyn std::io::Write> = match path.as_str() {
            STDOUT => Box::new(std::io::stdout()),
            _ => {
                write_report(Path::new(path), "")?;
                let file = std::fs::OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map_err(|e| Failure::harness(format!("cannot write {path}: {e}"), None))?;
                Box::new(file)
            }
        };
        let log = EventLog {
            out: Some((out, path.clone())).into(),
        };
        log.write(&events::start(planned));
        Ok(log)
    }

    /// Removes the stream of a run that never started (a usage error in
    /// the profile): like every other report, it is not written then.
    fn abandon(&self) {
        if let Some((_, path)) = self.out.borrow_mut().take() {
            if path != STDOUT {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    fn case(&self, c: &CaseResult) {
        self.write(&events::case(c));
    }

    fn end(&self, r: &RunReport) {
        self.write(&events::end(r));
    }

    /// Writes one line; a write that fails is said once and ends the stream,
    /// not the run.
    fn write(&self, line: &str) {
        use std::io::Write;
        let mut out = self.out.borrow_mut();
        if let Some((file, path)) = out.as_mut() {
            if let Err(e) = file.write_all(line.as_bytes()).and_then(|_| file.flush()) {
                eprintln!("warning: cannot write the event stream {path}: {e}; it stops here");
                *out = None;
            }
        }
    }
}

/// The reports to write, from `--report` and `--report-json`.
fn report_outputs(a: &RunArgs) -> Result<Vec<(Format, String)>, Failure> {
    outputs(&a.reports, a.report_json.as_deref())
}

/// The reports `--report` specs (and a JSON path) ask for, checked.
pub fn outputs(reports: &[String], json: Option<&Path>) -> Result<Vec<(Format, String)>, Failure> {
    let mut outputs: Vec<(Format, String)> = Vec::new();
    for spec in reports {
        outputs.push(format::parse_spec(spec).map_err(|e| {
            Failure::usage(e, Some("e.g. --report junit=reports/junit.xml".into()))
        })?);
    }
    if let Some(p) = json {
        outputs.push((Format::Json, p.display().to_string()));
    }
    if let Some((f, _)) = outputs
        .iter()
        .find(|(f, p)| p == STDOUT && *f != Format::Jsonl)
    {
        return Err(Failure::usage(
            format!(
                "only the jsonl stream can go to stdout (`-`), not the {} report",
                f.name()
            ),
            Some("e.g. --report jsonl=- --report json=reports/report.json".into()),
        ));
    }
    Ok(outputs)
}

/// The `--baseline` file, read and parsed, with its path as the report shows it.
fn read_baseline(path: Option<&Path>) -> Result<Option<(String, Baseline)>, Failure> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = crate::files::read_bounded(path, crate::files::MAX_INPUT_BYTES).map_err(|e| {
        Failure::usage(
            format!("cannot read the baseline {}: {e}", path.display()),
            None,
        )
    })?;
    let b = Baseline::parse(&text).map_err(|e| {
        Failure::usage(
            format!("invalid baseline {}: {e}", path.display()),
            Some("`grantcheck run --write-baseline FILE` writes one to start from".into()),
        )
    })?;
    Ok(Some((path.display().to_string(), b)))
}

/// Loads the profile at `path` and resolves its issuer, refusing a
/// production profile without `--allow-production`.
pub async fn prepare_profile(path: &Path, allow_production: bool) -> Result<Prepared, Failure> {
    // Decided before anything else (secrets included) is looked at.
    let production = crate::files::read_bounded(path, crate::profile::MAX_PROFILE_BYTES)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| t.get("environment")?.as_str().map(|e| e == "production"))
        .unwrap_or(false);
    if production && !allow_production {
        return Err(Failure::usage(
            format!(
                "{} is a production profile: grantcheck sends adversarial requests and creates real grants",
                path.display()
            ),
            Some("use a sandbox profile, or pass --allow-production if this is intended".into()),
        ));
    }
    let p = profile::load(path, &Env::default()).map_err(profile_failure)?;
    Ok(Prepared {
        target: Arc::new(resolve(p, false, Vec::new()).await?),
        _issuer: None,
    })
}

/// Prints the report (and GitHub annotations under GitHub Actions), then
/// writes the requested reports and baseline.
/// One replay script per case that failed, warned or erred, named after
/// the case id (characters a file name cannot hold become `_`).
fn write_replays(report: &RunReport, dir: &Path) -> Result<(), Failure> {
    let mut n = 0;
    for c in report
        .cases
        .iter()
        .filter(|c| !matches!(c.outcome, Outcome::Pass | Outcome::Skip))
    {
        if c.steps.iter().all(|s| s.exchanges.is_empty()) {
            continue;
        }
        let name: String =
            c.id.chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_') {
                        ch
                    } else {
                        '_'
                    }
                })
                .collect();
        let path = dir.join(format!("{name}.sh"));
        write_report(
            &path,
            &crate::report::replay::script(c, &report.replay_vars),
        )?;
        executable(&path);
        n += 1;
    }
    eprintln!(
        "wrote {} to {}",
        super::count(n, "replay script", "replay scripts"),
        dir.display()
    );
    Ok(())
}

#[cfg(unix)]
fn executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
}

#[cfg(not(unix))]
fn executable(_: &Path) {}

/// The planned case ids, in plan order.
fn planned_ids(scenarios: &[scenario::Scenario], plan: &[run::Planned]) -> Vec<String> {
    plan.iter()
        .map(|p| {
            let s = &scenarios[p.scenario];
            run::case::case_id(s, p.case.map(|j| s.def.cases[j].get_ref()))
        })
        .collect()
}

/// Writes the reports (the terminal's was printed as the run went).
fn publish(report: &RunReport, outputs: &[(Format, String)], a: &RunArgs) -> Result<(), Failure> {
    if let Some(dir) = &a.replay_dir {
        write_replays(report, dir)?;
    }
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        print!("{}", github::annotations(report));
    }
    for (f, path) in outputs {
        // The event stream was written as the run went.
        if *f != Format::Jsonl {
            write_report(Path::new(path), &f.render(report))?;
        }
        if !a.quiet {
            let to = if path == STDOUT { "stdout" } else { path };
            eprintln!("wrote the {} report to {to}", f.name());
        }
    }
    if let Some(path) = &a.write_baseline {
        write_report(path, &Baseline::from_report(report))?;
        eprintln!(
            "wrote a baseline of {} case(s) to {}: fill in the reasons",
            report
                .cases
                .iter()
                .filter(|c| !matches!(c.outcome, Outcome::Pass | Outcome::Skip))
                .count(),
            path.display()
        );
    }
    Ok(())
}

/// A progress bar on stderr for runs that take more than a moment; hidden
/// when stderr is not a terminal or with --quiet.
pub fn progress_bar(total: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // Short runs finish before the bar would draw: it appears only after a moment.
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Today as `YYYY-MM-DD` (UTC), for baseline expiry.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    civil(days)
}

fn civil(days: i64) -> String {
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn write_report(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::harness(format!("cannot create {}: {e}", dir.display()), None))?;
    }
    std::fs::write(path, text)
        .map_err(|e| Failure::harness(format!("cannot write {}: {e}", path.display()), None))
}

/// 1 when a check failed; else 3 when the harness could not run a case or
/// no check ran at all; else 0.
/// The run's exit code: its one verdict's (`report::verdict`).
pub fn exit_code(r: &RunReport) -> u8 {
    let v = Verdict::of(r);
    if v == Verdict::NothingChecked {
        eprintln!("error: {}", crate::report::verdict::headline(r));
    }
    v.exit_code()
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil(0), "1970-01-01");
        assert_eq!(super::civil(20413), "2025-11-21");
        assert_eq!(super::civil(11016), "2000-02-29");
        assert_eq!(super::civil(-1), "1969-12-31");
    }
}
