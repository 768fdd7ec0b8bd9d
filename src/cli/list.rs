//! `grantcheck list` and `grantcheck list --coverage`.

use std::collections::BTreeMap;

use super::{Failure, EXIT_OK};
use crate::requirements;

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub suites: super::suites::SuiteArgs,
    /// Show which requirement rows are covered by which scenario, and which are not.
    #[arg(long)]
    pub coverage: bool,
}

pub fn list(a: ListArgs) -> Result<u8, Failure> {
    let loaded = super::suites::load_with_origin(&a.suites)?;
    if a.coverage {
        let scenarios: Vec<_> = loaded.into_iter().map(|(s, _)| s).collect();
        print!("{}", coverage_table(&scenarios));
        return Ok(EXIT_OK);
    }
    // Capped: `{:<width$}` panics past 65,535, and a scenario id can be anything.
    let width = loaded
        .iter()
        .map(|(s, _)| s.id.len())
        .max()
        .unwrap_or(8)
        .clamp(8, 80);
    println!(
        "{:<width$} {:<8} {:>5}  {:<10} covers",
        "scenario", "level", "cases", "from"
    );
    for (s, origin) in &loaded {
        let covers: Vec<String> = s.all_covers().into_iter().collect();
        println!(
            "{:<width$} {:<8} {:>5}  {:<10} {}",
            s.id,
            s.level.as_str(),
            s.case_count(),
            origin.label(),
            covers.join(" ")
        );
    }
    println!(
        "\n{}, {}",
        super::count(loaded.len(), "scenario", "scenarios"),
        super::count(
            loaded.iter().map(|(s, _)| s.case_count()).sum(),
            "case",
            "cases"
        )
    );
    Ok(EXIT_OK)
}

/// The coverage table: every requirement row with its level, the scenarios
/// covering it, and under it what a conforming issuer does.
pub fn coverage_table(scenarios: &[crate::scenario::Scenario]) -> String {
    let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in scenarios {
        for id in s.all_covers() {
            by_id.entry(id).or_default().push(s.id.clone());
        }
    }
    let cat = requirements::catalog();
    let mut out = String::new();
    let mut section = String::new();
    let documented = requirements::documented();
    let (mut covered, mut explained) = (0, 0);
    for r in cat {
        if r.section != section {
            section = r.section.clone();
            out.push_str(&format!("\n{section}\n"));
        }
        match (by_id.get(&r.id), documented.get(&r.id)) {
            (Some(s), _) => {
                covered += 1;
                out.push_str(&format!(
                    "  {:<9} covered  {} · {}\n",
                    r.id,
                    r.level,
                    s.join(", ")
                ));
            }
            (None, Some(why)) => {
                explained += 1;
                out.push_str(&format!(
                    "  {:<9} document {} · {}\n",
                    r.id,
                    r.level,
                    plain(why, 110)
                ));
            }
            (None, None) => out.push_str(&format!("  {:<9} -        {}\n", r.id, r.level)),
        }
        out.push_str(&format!("  {:<9} {}\n", "", plain(&r.summary, 110)));
    }
    let open = cat.len() - covered - explained;
    out.push_str(&format!(
        "\n{covered} of {} requirement rows covered, {explained} documented as not checked (with the reason), {open} neither\n",
        cat.len()
    ));
    out
}

/// A catalogue summary without markdown code marks, at most `n` characters.
fn plain(text: &str, n: usize) -> String {
    truncate(&text.replace('`', ""), n)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}
