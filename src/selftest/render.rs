//! Renderers for the detection matrix: terminal, Markdown (reviewable, and
//! snapshot-checked), JSON. Durations appear only in the terminal and JSON
//! output, so the Markdown is byte-stable from run to run.

use std::fmt::Write;

use super::matrix::{Kill, Matrix};
use crate::report::model::Outcome;

fn kill_label(k: &Kill) -> String {
    match k.outcome {
        Outcome::Warn => format!("{} (warn)", k.case),
        Outcome::Error => format!("{} (halted)", k.case),
        _ => k.case.clone(),
    }
}

#[cfg(feature = "runtime")]
fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// The terminal table: one line per fault, then the score and every problem.
/// `verbose` lists the cases that kill each fault.
#[cfg(feature = "runtime")]
pub fn terminal(m: &Matrix, color: bool, verbose: bool, elapsed_ms: u64) -> String {
    let p = crate::report::terminal::Paint { on: color };
    let mut out = String::new();
    terminal_baseline(&mut out, &p, m);
    terminal_faults(&mut out, &p, m, verbose);
    terminal_score(&mut out, m);
    let _ = writeln!(
        out,
        "{}",
        p.dim(&format!("finished in {}", seconds(elapsed_ms)))
    );
    out
}

/// The heading and how the conformant reference fared.
#[cfg(feature = "runtime")]
fn terminal_baseline(out: &mut String, p: &crate::report::terminal::Paint, m: &Matrix) {
    let _ = writeln!(
        out,
        "{} {} cases against the conformant reference and {} faults\n",
        p.bold("grantcheck selftest:"),
        m.baseline.total,
        m.faults.len()
    );
    let base_ok = m.baseline.not_passing.is_empty();
    let _ = writeln!(
        out,
        "{} conformant reference: {} of {} cases pass {}",
        p.outcome(if base_ok {
            Outcome::Pass
        } else {
            Outcome::Fail
        }),
        m.baseline.pass,
        m.baseline.total,
        p.dim(&format!("({})", seconds(m.baseline.duration_ms)))
    );
    if !m.baseline.skipped.is_empty() {
        let _ = writeln!(
            out,
            "     {} skipped: options the reference does not offer (run under their dialect)",
            m.baseline.skipped.len()
        );
    }
}

/// One line per fault: caught or not, how many cases kill it, the
/// requirements it declares (and, `verbose`, the killing cases).
#[cfg(feature = "runtime")]
fn terminal_faults(
    out: &mut String,
    p: &crate::report::terminal::Paint,
    m: &Matrix,
    verbose: bool,
) {
    let width = m
        .faults
        .iter()
        .map(|f| f.spec.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(out, "\n      {:<width$} {:>5}  declares", "fault", "kills");
    for f in &m.faults {
        let ok = f.caught() && f.ids_not_failed.is_empty() && f.errors.is_empty();
        let ids: Vec<String> = f
            .spec
            .breaks
            .iter()
            .map(|id| {
                if f.ids_not_failed.contains(id) {
                    format!("{id} (not failed)")
                } else {
                    id.clone()
                }
            })
            .collect();
        let mut line = format!(
            "{} {:<width$} {:>5}  {}",
            p.outcome(if ok { Outcome::Pass } else { Outcome::Fail }),
            f.spec.name,
            f.killed_by.len(),
            ids.join(" ")
        );
        if !f.errors.is_empty() {
            let _ = write!(line, "  {} error(s)", f.errors.len());
        }
        let _ = writeln!(out, "{line}");
        if verbose {
            for k in &f.killed_by {
                let _ = writeln!(out, "        {}", p.dim(&kill_label(k)));
            }
        }
    }
}

/// The mutation score, the cases no fault kills, and every problem.
#[cfg(feature = "runtime")]
fn terminal_score(out: &mut String, m: &Matrix) {
    let unkilled: Vec<&str> = m
        .cases
        .iter()
        .filter(|c| c.kills.is_empty() && !m.skipped(&c.case))
        .map(|c| c.case.as_str())
        .collect();
    let _ = writeln!(
        out,
        "\nmutation score: {} of {} faults caught ({:.1}%)",
        m.caught(),
        m.faults.len(),
        m.score()
    );
    let _ = writeln!(
        out,
        "cases killed by no fault: {}",
        if unkilled.is_empty() {
            "none".to_string()
        } else {
            unkilled.len().to_string()
        }
    );
    let problems = m.problems();
    if problems.is_empty() {
        let _ = writeln!(out, "problems: none");
    } else {
        let _ = writeln!(
            out,
            "\n{}:",
            crate::report::verdict::count(problems.len(), "problem", "problems")
        );
        for pr in &problems {
            let _ = writeln!(out, "  - {pr}");
        }
    }
}

/// The Markdown matrix: both directions, every cell listed, no timings.
pub fn markdown(m: &Matrix) -> String {
    let mut out = String::new();
    let problems = m.problems();
    let unkilled = m
        .cases
        .iter()
        .filter(|c| c.kills.is_empty() && !m.skipped(&c.case))
        .count();
    let _ = writeln!(out, "# grantcheck self-test: detection matrix\n");
    let _ = writeln!(
        out,
        "- Conformant reference: {} of {} cases pass",
        m.baseline.pass, m.baseline.total
    );
    for n in &m.baseline.skipped {
        let _ = writeln!(
            out,
            "  - skipped `{}`: {}",
            n.case,
            n.reason.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(
        out,
        "- Mutation score: {} of {} faults caught ({:.1}%)",
        m.caught(),
        m.faults.len(),
        m.score()
    );
    let _ = writeln!(out, "- Cases killed by no fault: {unkilled}");
    let _ = writeln!(out, "- Problems: {}\n", problems.len());
    if !problems.is_empty() {
        let _ = writeln!(out, "## Problems\n");
        for pr in &problems {
            let _ = writeln!(out, "- {}", escape(&pr.to_string()));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Faults and the cases that catch them\n");
    let _ = writeln!(out, "| Fault | What it does | Declares | Caught by |");
    let _ = writeln!(out, "|---|---|---|---|");
    for f in &m.faults {
        let caught = if f.killed_by.is_empty() {
            "**nothing**".to_string()
        } else {
            f.killed_by
                .iter()
                .map(|k| format!("`{}`", kill_label(k)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let declares: Vec<String> = f
            .spec
            .breaks
            .iter()
            .map(|id| {
                if f.ids_not_failed.contains(id) {
                    format!("{id} **(not failed)**")
                } else {
                    id.clone()
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            f.spec.name,
            escape(&f.spec.description),
            declares.join(", "),
            caught
        );
    }
    let _ = writeln!(out, "\n## Cases and the faults they kill\n");
    let _ = writeln!(out, "| Case | Covers | Kills |");
    let _ = writeln!(out, "|---|---|---|");
    for c in &m.cases {
        let kills = if m.skipped(&c.case) {
            "skipped: not offered by the reference (see its dialect)".to_string()
        } else if c.kills.is_empty() {
            "**nothing**".to_string()
        } else {
            c.kills
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            escape(&c.case),
            c.covers.join(", "),
            kills
        );
    }
    out
}

pub fn json(m: &Matrix) -> String {
    let mut s = serde_json::to_string_pretty(m).expect("the matrix serialises");
    s.push('\n');
    s
}

/// Keeps table cells intact: a `|` would end the cell.
fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
