//! `grantcheck selftest`: the detection matrix of the suite against the
//! reference issuer's fault catalogue.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::run::{color, write_report, ColorWhen};
use super::{Failure, EXIT_FAILED, EXIT_OK};
use crate::issuer::Fault;
use crate::run::{self, Selection};
use crate::selftest::{self, render};

#[derive(clap::Args, Debug)]
pub struct SelftestArgs {
    #[command(flatten)]
    pub suites: super::suites::SuiteArgs,
    /// Only scenario or case ids matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,
    /// Only these faults (repeatable; default: the whole catalogue).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Fault runs at once, each against its own issuer.
    #[arg(long, value_name = "N", default_value_t = selftest::Options::default().jobs as u16,
          value_parser = clap::value_parser!(u16).range(1..=32))]
    pub jobs: u16,
    /// Scenario cases at once within each run.
    #[arg(long, value_name = "N", default_value_t = selftest::Options::default().concurrency as u16,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Write the matrix as Markdown here.
    #[arg(long, value_name = "PATH")]
    pub report_md: Option<PathBuf>,
    /// Write the matrix as JSON here.
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// List the cases that catch each fault.
    #[arg(long, short)]
    pub verbose: bool,
    /// Instead of the suite, fuzz each faulted issuer with no scenario files, at most N
    /// inputs each (`grantcheck fuzz --max-cases N --seed 1`): the fuzzer's own detection
    /// matrix. Fails when the conformant reference gets a finding or fewer than 60% of
    /// the faults are found.
    #[arg(long, value_name = "N")]
    pub fuzz: Option<usize>,
    /// Colour: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorWhen,
}

pub fn selftest(a: SelftestArgs) -> Result<u8, Failure> {
    if let Some(n) = a.fuzz {
        return fuzz_matrix(&a, n);
    }
    let started = Instant::now();
    let scenarios = super::suites::load(&a.suites)?;
    let plan = run::select(
        &scenarios,
        &Selection {
            only: a.only.clone(),
            tags: vec![],
        },
    )
    .map_err(|e| {
        Failure::usage(
            e.to_string(),
            Some("`grantcheck list` shows the scenario ids".into()),
        )
    })?;
    let faults: Vec<Fault> = if a.faults.is_empty() {
        // Faults observable only under another dialect are checked there.
        Fault::for_dialect(crate::issuer::Dialect::Standard)
    } else {
        super::parse_faults(&a.faults)?.into_iter().collect()
    };
    let opts = selftest::Options {
        jobs: usize::from(a.jobs),
        concurrency: usize::from(a.concurrency),
    };
    let total = faults.len();
    let progress = std::io::stderr().is_terminal();
    let rt = super::runtime()?;
    let matrix = rt
        .block_on(async {
            let done = std::sync::atomic::AtomicUsize::new(0);
            let m = selftest::run(Arc::new(scenarios), plan, &faults, opts, |f| {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if progress {
                    eprint!("\r\x1b[2K[{n}/{total}] {}", f.name());
                }
            })
            .await;
            if progress {
                eprint!("\r\x1b[2K");
            }
            m
        })
        .map_err(|e| Failure::harness(e.to_string(), None))?;
    print!(
        "{}",
        render::terminal(
            &matrix,
            color(a.color),
            a.verbose,
            started.elapsed().as_millis() as u64
        )
    );
    if let Some(path) = &a.report_md {
        write_report(path, &render::markdown(&matrix))?;
    }
    if let Some(path) = &a.report_json {
        write_report(path, &render::json(&matrix))?;
    }
    Ok(if matrix.problems().is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// The share of the catalogue `grantcheck fuzz` must find with no scenarios
/// (issue 15).
const FUZZ_TARGET: f64 = 0.6;

/// `selftest --fuzz N`: the fuzzer's detection matrix.
fn fuzz_matrix(a: &SelftestArgs, max_cases: usize) -> Result<u8, Failure> {
    let faults: Vec<Fault> = match a.faults.is_empty() {
        // The fuzzer probes the protocol over HTTP; transport faults are
        // the tls scenarios' (and the matrix would count them as misses).
        true => Fault::for_dialect(crate::issuer::Dialect::Standard)
            .into_iter()
            .filter(|f| !f.transport())
            .collect(),
        false => super::parse_faults(&a.faults)?.into_iter().collect(),
    };
    let cfg = crate::campaign::driver::Config {
        seed: 1,
        budget: std::time::Duration::from_secs(600),
        max_cases: Some(max_cases),
        concurrency: usize::from(a.concurrency),
        ..Default::default()
    };
    let progress = std::io::stderr().is_terminal();
    let total = faults.len() + 1;
    let rt = super::runtime()?;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let m = rt
        .block_on(crate::campaign::matrix::run(
            &faults,
            cfg,
            usize::from(a.jobs),
            |r| {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if progress {
                    eprint!("\r\x1b[2K[{n}/{total}] {}", r.fault);
                }
            },
        ))
        .map_err(|e| Failure::harness(e, None))?;
    if progress {
        eprint!("\r\x1b[2K");
    }
    let text = m.render();
    print!("{text}");
    if let Some(path) = &a.report_md {
        write_report(path, &text)?;
    }
    Ok(match m.clean.findings == 0 && m.rate() >= FUZZ_TARGET {
        true => EXIT_OK,
        false => EXIT_FAILED,
    })
}
