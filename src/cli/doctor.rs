//! `grantcheck doctor`: checks a profile against the live issuer without
//! running the suite, and says what to fix before a run (`run::doctor`).

use std::path::PathBuf;
use std::sync::Arc;

use super::run::{prepare_emulated, prepare_profile, prepare_reference};
use super::{Failure, EXIT_HARNESS, EXIT_OK};
use crate::run::doctor::{self, Finding, Mark};
use crate::run::{self, Selection};

#[derive(clap::Args, Debug)]
pub struct DoctorArgs {
    /// Issuer profile (TOML). Without it, the embedded reference issuer.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    /// Check the profile against the reference issuer speaking its dialect.
    #[arg(long, requires = "profile")]
    pub emulate: bool,
    #[command(flatten)]
    pub suites: super::suites::SuiteArgs,
    /// Check a profile marked `environment = "production"`.
    #[arg(long)]
    pub allow_production: bool,
}

/// Exit 0 when nothing needs fixing, 3 when a run would end in errors
/// (a rejected secret, a login that fails, a missing endpoint).
pub fn doctor(a: DoctorArgs) -> Result<u8, Failure> {
    let scenarios = super::suites::load(&a.suites)?;
    let rt = super::runtime()?;
    let findings = rt.block_on(async {
        let prepared = match (&a.profile, a.emulate) {
            (None, _) => prepare_reference(&[], false).await?,
            (Some(p), true) => prepare_emulated(p, "", &[]).await?,
            (Some(p), false) => prepare_profile(p, a.allow_production).await?,
        };
        let t = prepared.target;
        let mut out = doctor::identity(&t);
        out.extend(doctor::roles(&t));
        let checks = Arc::new(doctor::checks());
        let plan = run::select(&checks, &Selection::default())
            .map_err(|e| Failure::harness(e.to_string(), None))?;
        let report = run::execute(checks, plan, t.clone(), 2, |_| {}).await;
        out.extend(doctor::checked(&report.cases));
        let all = run::select(&scenarios, &Selection::default())
            .map_err(|e| Failure::harness(e.to_string(), None))?;
        out.extend(doctor::skips(&scenarios, &all, &t));
        Ok::<_, Failure>(out)
    })?;
    print(&findings);
    Ok(match findings.iter().any(|f| f.mark == Mark::Problem) {
        true => EXIT_HARNESS,
        false => EXIT_OK,
    })
}

fn print(findings: &[Finding]) {
    let mut section = "";
    for f in findings {
        if f.section != section {
            section = f.section;
            println!("\n{section}");
        }
        let mark = match f.mark {
            Mark::Ok => "  ok   ",
            Mark::Note => "  note ",
            Mark::Problem => "  FIX  ",
        };
        println!(
            "{mark}{}",
            crate::report::sanitize::escape_controls(&f.text, false)
        );
    }
    let problems = findings.iter().filter(|f| f.mark == Mark::Problem).count();
    match problems {
        0 => println!("\nThe profile is ready: `grantcheck run --profile ...`"),
        n => println!(
            "\n{} to fix before a run (marked FIX)",
            super::count(n, "problem", "problems")
        ),
    }
}
