//! `grantcheck list` and `grantcheck list --coverage`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Failure, EXIT_OK};
use crate::requirements;

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    #[arg(long, value_name = "DIR", default_value = "suites")]
    pub suites: PathBuf,
    /// Show which requirement rows are covered by which scenario, and which are not.
    #[arg(long)]
    pub coverage: bool,
}

pub fn list(a: ListArgs) -> Result<u8, Failure> {
    let scenarios = super::run::load_scenarios(&a.suites)?;
    if !a.coverage {
        println!("{:<44} {:<8} {:>5}  covers", "scenario", "level", "cases");
        for s in &scenarios {
            let covers: Vec<String> = s.all_covers().into_iter().collect();
            println!(
                "{:<44} {:<8} {:>5}  {}",
                s.id,
                s.level.as_str(),
                s.case_count(),
                covers.join(" ")
            );
        }
        println!(
            "\n{} scenarios, {} cases",
            scenarios.len(),
            scenarios.iter().map(|s| s.case_count()).sum::<usize>()
        );
        return Ok(EXIT_OK);
    }
    print!("{}", coverage_table(&scenarios));
    Ok(EXIT_OK)
}

/// The coverage table: every requirement row, the scenarios covering it.
pub fn coverage_table(scenarios: &[crate::scenario::Scenario]) -> String {
    let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in scenarios {
        for id in s.all_covers() {
            by_id.entry(id).or_default().push(s.id.clone());
        }
    }
    let mut out = String::new();
    let mut section = String::new();
    let mut covered = 0;
    let cat = requirements::catalog();
    for r in cat {
        if r.section != section {
            section = r.section.clone();
            out.push_str(&format!("\n{section}\n"));
        }
        match by_id.get(&r.id) {
            Some(s) => {
                covered += 1;
                out.push_str(&format!(
                    "  {:<9} {:<14} covered   {}\n",
                    r.id,
                    truncate(&r.level, 14),
                    s.join(", ")
                ));
            }
            None => out.push_str(&format!("  {:<9} {:<14} -\n", r.id, truncate(&r.level, 14))),
        }
    }
    out.push_str(&format!(
        "\n{covered} of {} requirement rows covered\n",
        cat.len()
    ));
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}
