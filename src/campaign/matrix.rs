//! The fuzzer's own detection matrix: a campaign with no scenarios against
//! the reference issuer with each fault of the catalogue, and against the
//! conformant one (where any finding is a false alarm). Bounded by inputs,
//! not time, so that the same seed gives the same matrix on any machine.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::driver::{self, Config, Summary};
use crate::issuer::Fault;
use crate::run::{reference, Stop};

#[derive(Clone, Debug)]
pub struct Row {
    /// The fault's name, or `none` for the conformant reference.
    pub fault: String,
    pub findings: usize,
    /// Findings that fail (not only warn).
    pub fails: usize,
    /// The first finding's scenario id: what caught it.
    pub first: Option<String>,
    pub cases: usize,
    pub errors: usize,
}

impl Row {
    fn of(fault: &str, s: &Summary) -> Row {
        Row {
            fault: fault.to_string(),
            findings: s.findings.len(),
            fails: s
                .findings
                .iter()
                .filter(|f| f.symptom.outcome == crate::report::model::Outcome::Fail)
                .count(),
            first: s.findings.first().map(|f| f.id.clone()),
            cases: s.cases,
            errors: s.errors,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Matrix {
    pub seed: u64,
    pub max_cases: usize,
    /// The conformant reference: its findings are false alarms.
    pub clean: Row,
    pub rows: Vec<Row>,
}

impl Matrix {
    pub fn detected(&self) -> usize {
        self.rows.iter().filter(|r| r.findings > 0).count()
    }

    /// The share of faults found, 0 to 1.
    pub fn rate(&self) -> f64 {
        self.detected() as f64 / self.rows.len().max(1) as f64
    }

    /// The matrix as Markdown: the totals, then one row per fault.
    pub fn render(&self) -> String {
        let mut out = format!(
            "# grantcheck fuzz: detection matrix\n\nSeed {}, at most {} inputs per issuer, no scenario files.\n\n\
             **{} of {} faults found ({:.0}%)**; false alarms against the conformant reference: **{}**.\n\n\
             | fault | findings | fail | first finding |\n|---|---:|---:|---|\n",
            self.seed,
            self.max_cases,
            self.detected(),
            self.rows.len(),
            self.rate() * 100.0,
            self.clean.findings
        );
        for r in std::iter::once(&self.clean).chain(&self.rows) {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                r.fault,
                r.findings,
                r.fails,
                r.first
                    .as_deref()
                    .map(|f| format!("`{f}`"))
                    .unwrap_or_else(|| "not found".into())
            ));
        }
        out
    }
}

/// Runs the campaign `cfg` against the conformant reference and against
/// each of `faults`, `jobs` issuers at a time.
pub async fn run(
    faults: &[Fault],
    cfg: Config,
    jobs: usize,
    on_done: impl Fn(&Row),
) -> Result<Matrix, String> {
    let sem = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let all: Vec<Option<Fault>> = std::iter::once(None)
        .chain(faults.iter().copied().map(Some))
        .collect();
    for (i, fault) in all.iter().copied().enumerate() {
        let (sem, cfg) = (sem.clone(), cfg.clone());
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let set: BTreeSet<Fault> = fault.into_iter().collect();
            let r = reference::start(&set).await.map_err(|e| e.to_string())?;
            let target = Arc::new(r.target);
            let s = driver::campaign(target, cfg, Stop::never(), |_| {})
                .await
                .map_err(|e| e.to_string())?;
            let name = fault
                .map(|f| f.name().to_string())
                .unwrap_or_else(|| "none".into());
            Ok::<_, String>((i, Row::of(&name, &s)))
        });
    }
    let mut rows: Vec<Option<Row>> = vec![None; all.len()];
    while let Some(done) = set.join_next().await {
        let (i, row) = done.map_err(|e| e.to_string())??;
        on_done(&row);
        rows[i] = Some(row);
    }
    let mut rows = rows.into_iter().flatten();
    let clean = rows.next().ok_or("no conformant run")?;
    Ok(Matrix {
        seed: cfg.seed,
        max_cases: cfg.max_cases.unwrap_or(0),
        clean,
        rows: rows.collect(),
    })
}
