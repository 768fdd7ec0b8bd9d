//! `grantcheck selftest`: proves every check can fail. The suite runs once
//! against the conformant reference issuer and once per fault of the
//! catalogue, each against its own in-process issuer on an ephemeral loopback
//! port (over TLS, a test CA per issuer), several at a time; [`matrix::Matrix`] turns the reports into the
//! detection matrix.

pub mod matrix;
pub mod render;

#[cfg(feature = "runtime")]
pub use runner::*;

#[cfg(feature = "runtime")]
mod runner {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use super::matrix::{FaultSpec, Matrix};
    use crate::issuer::Fault;
    use crate::report::model::RunReport;
    use crate::run::{self, reference, Planned};
    use crate::scenario::Scenario;

    pub fn spec(f: Fault) -> FaultSpec {
        FaultSpec {
            name: f.name().into(),
            description: f.description().into(),
            breaks: f.breaks().iter().map(|s| s.to_string()).collect(),
        }
    }

    #[derive(Clone, Copy, Debug)]
    pub struct Options {
        /// Fault runs at once.
        pub jobs: usize,
        /// Cases at once within each run.
        pub concurrency: usize,
    }

    impl Default for Options {
        fn default() -> Self {
            // Each run is mostly waiting on loopback I/O and the issuer shares
            // the process's cores, so a few runs at once keep both cores busy
            // (BENCHMARKS.md has the measurements behind these numbers).
            Options {
                jobs: 4,
                concurrency: 8,
            }
        }
    }

    /// One suite run against the reference issuer with `faults`.
    async fn run_once(
        scenarios: Arc<Vec<Scenario>>,
        plan: Vec<Planned>,
        faults: BTreeSet<Fault>,
        concurrency: usize,
    ) -> Result<RunReport, reference::ReferenceError> {
        // Over TLS, so that the transport rows run with the rest.
        let shape = reference::Shape {
            tls: true,
            ..Default::default()
        };
        let secrets = crate::issuer::ReferenceSecrets::random();
        let r = match reference::start_shaped(&faults, secrets, &shape).await {
            Ok(r) => r,
            // A fault that makes every verified connection fail stops the
            // run before any case, as `grantcheck run` does (exit 3): the
            // halted report is what the matrix judges.
            Err(e) if faults.iter().any(Fault::halts_the_run) && names_the_certificate(&e) => {
                return Ok(halted_by(&scenarios, &plan, &faults, e.to_string()))
            }
            Err(e) => return Err(e),
        };
        let report = run::execute(scenarios, plan, Arc::new(r.target), concurrency, |_| {}).await;
        r.issuer.shutdown().await;
        Ok(report)
    }

    /// The halt a certificate fault should cause, and not another start-up
    /// failure (a port, a build error) that would pass for it.
    fn names_the_certificate(e: &reference::ReferenceError) -> bool {
        let m = e.to_string();
        matches!(e, reference::ReferenceError::Target(_)) && m.contains("invalid peer certificate")
    }

    fn halted_by(
        scenarios: &[Scenario],
        plan: &[Planned],
        faults: &BTreeSet<Fault>,
        reason: String,
    ) -> RunReport {
        let target = crate::report::model::Target {
            profile: "reference".into(),
            issuer: "https://localhost (embedded reference issuer)".into(),
            reference: true,
            faults: faults.iter().map(|f| f.name().to_string()).collect(),
            dialect: None,
        };
        let halt = crate::report::model::Halt::new(crate::report::model::HaltCause::Setup, reason);
        run::halted(scenarios, plan, target, halt)
    }

    /// Runs the plan against the conformant reference and against each of
    /// `faults`, and builds the matrix. `on_done` is called with each fault
    /// as its run finishes (for progress).
    pub async fn run(
        scenarios: Arc<Vec<Scenario>>,
        plan: Vec<Planned>,
        faults: &[Fault],
        opts: Options,
        on_done: impl Fn(Fault),
    ) -> Result<Matrix, reference::ReferenceError> {
        let baseline = run_once(
            scenarios.clone(),
            plan.clone(),
            BTreeSet::new(),
            opts.concurrency,
        )
        .await?;
        let sem = Arc::new(tokio::sync::Semaphore::new(opts.jobs.max(1)));
        let mut set = tokio::task::JoinSet::new();
        for (slot, &f) in faults.iter().enumerate() {
            let (scenarios, plan, sem) = (scenarios.clone(), plan.clone(), sem.clone());
            let concurrency = opts.concurrency;
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                let report = run_once(scenarios, plan, BTreeSet::from([f]), concurrency).await;
                (slot, f, report)
            });
        }
        let mut reports: Vec<Option<RunReport>> = vec![None; faults.len()];
        while let Some(joined) = set.join_next().await {
            let (slot, f, report) = joined.expect("a fault run does not panic");
            on_done(f);
            reports[slot] = Some(report?);
        }
        let runs: Vec<(FaultSpec, RunReport)> = faults
            .iter()
            .zip(reports)
            .map(|(&f, r)| (spec(f), r.expect("every fault run reported")))
            .collect();
        Ok(Matrix::build(&baseline, &runs))
    }
}
