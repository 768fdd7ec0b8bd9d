//! `grantcheck run`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Failure, EXIT_FAILED, EXIT_HARNESS, EXIT_OK};
use crate::http::Http;
use crate::issuer;
use crate::profile::{self, Env, ProfileError};
use crate::report::{json, terminal, Outcome, RunReport};
use crate::run::reference::{self, ReferenceError};
use crate::run::{self, target::TargetError, Selection, Target};
use crate::scenario::{self, LoadError};

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Issuer profile (TOML). Without it, the embedded reference issuer is started and tested.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Directory of scenario files.
    #[arg(long, value_name = "DIR", default_value = "suites")]
    pub suites: PathBuf,
    /// Only scenario or case ids matching this glob (repeatable), e.g. 'pkce.*' or 'redirect.*[case-*]'.
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,
    /// Only scenarios with this tag (repeatable).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Write the JSON report here.
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Scenario cases run at once (default: the profile's http.concurrency).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Break the embedded reference issuer with a named fault (repeatable; see `grantcheck issuer --list-faults`).
    #[arg(
        long = "reference-fault",
        value_name = "NAME",
        conflicts_with = "profile"
    )]
    pub reference_faults: Vec<String>,
    /// Show evidence for warnings too, and every skipped case's reason.
    #[arg(long, short, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Print only failures, errors and the summary.
    #[arg(long, short)]
    pub quiet: bool,
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

pub fn load_scenarios(dir: &Path) -> Result<Vec<scenario::Scenario>, Failure> {
    scenario::load_dir(dir).map_err(|e| match e {
        LoadError::Io { path, source } => Failure::usage(
            format!("cannot read scenarios at {}: {source}", path.display()),
            Some("run from the project root, or pass --suites DIR".into()),
        ),
        LoadError::Invalid(d) => Failure::usage(
            format!(
                "{} problem(s) in scenario files\n\n{}",
                d.len(),
                LoadError::Invalid(d.clone())
            ),
            Some("fix the files above; `grantcheck explain` documents the format".into()),
        ),
    })
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
pub async fn prepare_reference(faults: &[String]) -> Result<Prepared, Failure> {
    let faults = super::parse_faults(faults)?;
    let r = reference::start(&faults).await.map_err(|e| match e {
        ReferenceError::Profile(p) => profile_failure(p),
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
    let http = Http::new(&p.http).map_err(|e| Failure::harness(e.to_string(), None))?;
    Target::resolve(p, http, reference, faults).await.map_err(|e| {
        let hint = match &e {
            TargetError::Unreachable { .. } => Some("is the issuer running, and is `issuer` in the profile right?".to_string()),
            TargetError::BadDiscovery { .. } => Some("set `discovery = false` and give [endpoints] explicitly if the issuer has no discovery".to_string()),
            TargetError::NoEndpoint(_) => Some("add the endpoint under [endpoints] in the profile".to_string()),
        };
        Failure::harness(e.to_string(), hint)
    })
}

pub fn run(a: RunArgs) -> Result<u8, Failure> {
    let scenarios = load_scenarios(&a.suites)?;
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
    let rt = super::runtime()?;
    let report: RunReport = rt.block_on(async {
        let prepared = match &a.profile {
            None => prepare_reference(&a.reference_faults).await?,
            Some(path) => {
                let p = profile::load(path, &Env::default()).map_err(profile_failure)?;
                Prepared {
                    target: Arc::new(resolve(p, false, Vec::new()).await?),
                    _issuer: None,
                }
            }
        };
        let concurrency = a
            .concurrency
            .unwrap_or(prepared.target.profile.http.concurrency);
        let total = plan.len();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let progress = std::io::stderr().is_terminal() && !a.quiet;
        let report = run::execute(
            Arc::new(scenarios),
            plan,
            prepared.target.clone(),
            concurrency,
            |c| {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if progress {
                    eprint!("\r\x1b[2K[{n}/{total}] {}", c.id);
                }
            },
        )
        .await;
        if progress {
            eprint!("\r\x1b[2K");
        }
        Ok::<_, Failure>(report)
    })?;
    print!("{}", terminal::render(&report, opts));
    if let Some(path) = &a.report_json {
        write_report(path, &json::render(&report))?;
    }
    Ok(exit_code(&report))
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
pub fn exit_code(r: &RunReport) -> u8 {
    if r.cases.iter().any(|c| c.outcome == Outcome::Fail) {
        EXIT_FAILED
    } else if r.cases.iter().any(|c| c.outcome == Outcome::Error) {
        EXIT_HARNESS
    } else if r.summary.checks == 0 {
        eprintln!("error: no check was executed (every selected case was skipped)");
        EXIT_HARNESS
    } else {
        EXIT_OK
    }
}
