//! The Markdown summary, for `$GITHUB_STEP_SUMMARY` and pull-request
//! comments: short, findings first.
//!
//! - A heading with the run's one verdict (`report::verdict::headline`),
//!   a line naming the target (profile, issuer, reference faults), and a
//!   table of totals.
//! - Then failures, errors and warnings, each case in two or three lines:
//!   outcome, case id and title; the one-line reason; requirement ids and
//!   scenario file. Cases a baseline accepts are listed apart, with the
//!   baseline's reason, and stale baseline entries after them. Skips with
//!   their reasons are folded in a `<details>`; passes are only counted.
//! - At most [`MAX_LISTED`] cases per section, so a comment stays under
//!   GitHub's size limit on a bad day; the full list is in the other reports.
//! - Text from the issuer (reasons quote status codes, headers and error
//!   descriptions) goes into code spans, whose fence is longer than any run
//!   of backticks inside, so it cannot start markup, HTML, links or
//!   @-mentions. Other text is escaped (`|`, backticks, `*`, `_`, `<`, ...)
//!   and everything is kept on one line.

use std::fmt::Write;

use super::model::{CaseResult, Outcome, RunReport};

/// Cases listed per section before the rest is only counted.
pub const MAX_LISTED: usize = 50;

/// Characters of a reason kept in the summary.
const REASON_MAX: usize = 300;

/// Failure rates per level and unmitigated threats, as a table and a list.
fn scores(out: &mut String, report: &RunReport) {
    use super::scores::ThreatStatus;
    let s = super::scores::scores(&report.cases);
    if s.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n| level | rows checked | failed | rate |\n|---|---:|---:|---:|"
    );
    for l in s.levels.iter().filter(|l| l.checked > 0) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0}% |",
            l.level,
            l.checked,
            l.failed,
            l.rate().unwrap_or(0.0)
        );
    }
    let _ = writeln!(
        out,
        "\nThreats: {} unmitigated, {} weakened, {} mitigated, {} unchecked.",
        s.count(ThreatStatus::Unmitigated),
        s.count(ThreatStatus::Weakened),
        s.count(ThreatStatus::Mitigated),
        s.count(ThreatStatus::Unchecked)
    );
    for (t, how, rows) in super::scores::listed_threats(&s) {
        let _ = writeln!(
            out,
            "- **{}** {} ({}){how}: {rows}",
            t.id,
            escape(&t.name),
            escape(&t.source)
        );
    }
}

pub fn render(report: &RunReport) -> String {
    let report = &super::sanitize::for_text(report);
    let mut out = String::new();
    let t = &report.target;
    let _ = writeln!(
        out,
        "## grantcheck {}\n",
        escape(&super::verdict::headline(report))
    );
    let mut target = format!("Profile {} · issuer {}", code(&t.profile), code(&t.issuer));
    if t.reference {
        target.push_str(" (embedded reference issuer");
        if let Some(d) = &t.dialect {
            let _ = write!(target, ", emulating {}", code(d));
        }
        if !t.faults.is_empty() {
            let faults: Vec<String> = t.faults.iter().map(|f| code(f)).collect();
            let _ = write!(target, ", faults: {}", faults.join(", "));
        }
        target.push(')');
    }
    let _ = writeln!(
        out,
        "{target} · grantcheck {}\n",
        escape(&report.tool_version)
    );

    let s = &report.summary;
    let known = report.cases.iter().filter(|c| is_known(c)).count();
    let (kh, ks, kv) = if known > 0 {
        (" known |", "---:|", format!(" {known} |"))
    } else {
        ("", "", String::new())
    };
    let _ = writeln!(
        out,
        "| pass | fail | warn | skip | error |{kh} cases | checks | time |\n\
         |---:|---:|---:|---:|---:|{ks}---:|---:|---:|\n\
         | {} | {} | {} | {} | {} |{kv} {} | {} | {:.1}s |",
        s.pass,
        s.fail,
        s.warn,
        s.skip,
        s.error,
        s.total,
        s.checks,
        report.duration_ms as f64 / 1000.0
    );

    scores(&mut out, report);

    let open = |o: Outcome| -> Vec<&CaseResult> {
        report
            .cases
            .iter()
            .filter(|c| c.outcome == o && c.known.is_none())
            .collect()
    };
    section(&mut out, "Failures", &open(Outcome::Fail), finding);
    section(&mut out, "Errors", &open(Outcome::Error), finding);
    section(&mut out, "Warnings", &open(Outcome::Warn), finding);
    let known: Vec<&CaseResult> = report.cases.iter().filter(|c| is_known(c)).collect();
    section(&mut out, "Known deviations (baseline)", &known, finding);

    if let Some(b) = report.baseline.as_ref().filter(|b| !b.stale.is_empty()) {
        let _ = writeln!(
            out,
            "\n### Stale baseline entries ({})\n\nRemove them from {}:\n",
            b.stale.len(),
            code(&b.path)
        );
        for st in b.stale.iter().take(MAX_LISTED) {
            let _ = writeln!(out, "- {}: {}", code(&st.case), escape(&st.why));
        }
        more(&mut out, b.stale.len());
    }

    let skipped = open(Outcome::Skip);
    if !skipped.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>Skipped ({})</summary>\n",
            skipped.len()
        );
        for c in skipped.iter().take(MAX_LISTED) {
            let _ = writeln!(out, "- {}: {}", code(&c.id), reason(c));
        }
        more(&mut out, skipped.len());
        out.push_str("\n</details>\n");
    }
    out
}

fn is_known(c: &CaseResult) -> bool {
    c.known.is_some() && c.outcome != Outcome::Pass
}

fn section(
    out: &mut String,
    title: &str,
    cases: &[&CaseResult],
    item: fn(&mut String, &CaseResult),
) {
    if cases.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### {title} ({})\n", cases.len());
    for c in cases.iter().take(MAX_LISTED) {
        item(out, c);
    }
    more(out, cases.len());
}

fn more(out: &mut String, n: usize) {
    if n > MAX_LISTED {
        let _ = writeln!(
            out,
            "- … and {} more (see the JSON, JUnit or HTML report)",
            n - MAX_LISTED
        );
    }
}

/// Two or three lines: outcome, id, title; the reason; ids and source.
fn finding(out: &mut String, c: &CaseResult) {
    let label = c.outcome.label();
    let _ = writeln!(
        out,
        "- **{label}** {} — {}  ",
        code(&c.id),
        escape(&c.title)
    );
    if let Some(k) = &c.known {
        let _ = writeln!(out, "  baseline: {}  ", escape(k));
    }
    let _ = writeln!(out, "  → {}  ", reason(c));
    // Steps a failure stopped: named, with why, and their ids not claimed.
    for s in c.steps.iter().filter(|s| s.not_run.is_some()) {
        let _ = writeln!(
            out,
            "  not run: step {} ({})  ",
            code(&s.name),
            escape(s.not_run.as_deref().unwrap_or_default())
        );
    }
    let mut meta: Vec<String> = Vec::new();
    if !c.covers.is_empty() {
        meta.push(escape(&c.covers.join(", ")));
    }
    if !c.not_covered.is_empty() {
        meta.push(format!(
            "not checked: {}",
            escape(&c.not_covered.join(", "))
        ));
    }
    meta.push(code(&c.source));
    let _ = writeln!(out, "  {}", meta.join(" · "));
}

fn reason(c: &CaseResult) -> String {
    match c.reason.as_deref() {
        Some(r) => code(&shorten(r)),
        None => "(no reason given)".into(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shorten(s: &str) -> String {
    let s = one_line(s);
    if s.chars().count() > REASON_MAX {
        format!("{}…", s.chars().take(REASON_MAX).collect::<String>())
    } else {
        s
    }
}

/// A code span holding `s` verbatim (on one line): the fence is one
/// backtick longer than the longest run of backticks inside, and a space
/// pads a content that starts or ends with a backtick (CommonMark strips
/// exactly one such space on each side).
pub fn code(s: &str) -> String {
    let s = one_line(s);
    if s.is_empty() {
        return "` `".into();
    }
    let mut longest = 0;
    let mut run = 0;
    for ch in s.chars() {
        if ch == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || (s.starts_with(' ') && s.ends_with(' '))
    {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Plain text, on one line, with the characters that could start Markdown
/// or HTML (or split a table cell) backslash-escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in one_line(s).chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '@' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::baseline::{Stale, Status};
    use crate::report::junit::fixture;

    #[test]
    fn summary_lists_findings_first_and_folds_skips() {
        let md = render(&fixture::report());
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "## grantcheck 1 case failed");
        assert_eq!(
            lines[2],
            "Profile `reference` · issuer `http://127.0.0.1:4444` (embedded reference issuer, \
             faults: `code_reusable`) · grantcheck 0.1.0"
        );
        assert_eq!(
            lines[4],
            "| pass | fail | warn | skip | error | cases | checks | time |"
        );
        assert_eq!(lines[6], "| 1 | 1 | 1 | 1 | 1 | 5 | 6 | 1.2s |");
        let pos = |needle: &str| {
            md.find(needle)
                .unwrap_or_else(|| panic!("{needle} in\n{md}"))
        };
        assert!(pos("### Failures (1)") < pos("### Errors (1)"));
        assert!(pos("### Errors (1)") < pos("### Warnings (1)"));
        assert!(pos("### Warnings (1)") < pos("<details><summary>Skipped (1)</summary>"));
        // A failing case in three lines: id and title, reason, ids and source.
        assert!(
            md.contains(
                "### Failures (1)\n\n\
             - **FAIL** `code.reuse` — A second exchange of one authorization code is refused  \n  \
             → ``step `second`: status: expected 400, got 200``  \n  \
             CODE-01, CODE-02 · `suites/code/reuse.toml`\n"
            ),
            "{md}"
        );
        assert!(md.contains("- **ERROR** `refresh.rotates[public]` — Refresh tokens rotate  \n"));
        assert!(md.contains(
            "<details><summary>Skipped (1)</summary>\n\n\
             - `introspection.active`: `introspection: the metadata has no introspection_endpoint`\n\n\
             </details>\n"
        ));
        // Passes are only counted.
        assert!(!md.contains("pkce.plain-refused"));
    }

    #[test]
    fn pipes_and_backticks_are_escaped() {
        let md = render(&fixture::report());
        // The warning's title has `|` and backticks; its reason has `|` and
        // backticks, kept verbatim in a longer code span.
        assert!(
            md.contains(
                "- **WARN** `headers.frame-protection[login-page]` — Login pages \\| cannot be \\`framed\\`  \n"
            ),
            "{md}"
        );
        assert!(md.contains(
            "→ ``step `page`: header x-frame-options: expected DENY|SAMEORIGIN, got (absent)``"
        ));
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("``x"), "``` ``x ```");
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("two\nlines"), "`two lines`");
        assert_eq!(
            escape("a|b <script> @team *x*"),
            "a\\|b \\<script\\> \\@team \\*x\\*"
        );
    }

    #[test]
    fn verdict_follows_the_exit_code() {
        let mut r = fixture::report();
        r.cases.retain(|c| c.outcome != Outcome::Fail);
        assert!(render(&r).starts_with("## grantcheck 1 case could not be run to a verdict\n"));
        r.cases.retain(|c| c.outcome != Outcome::Error);
        let md = render(&r);
        assert!(
            md.starts_with("## grantcheck passed; 1 case with a warning\n"),
            "{md}"
        );
        assert!(!md.contains("### Failures"));
    }

    #[test]
    fn known_deviations_and_stale_entries_are_listed_apart() {
        let mut r = fixture::report();
        r.cases[1].known = Some("accepted by review".into());
        r.baseline = Some(Status {
            path: "baseline.toml".into(),
            applied: 1,
            stale: vec![Stale {
                case: "code.gone".into(),
                why: "no such case in this run".into(),
            }],
        });
        let md = render(&r);
        assert!(md.starts_with("## grantcheck 1 case could not be run to a verdict (1 known)\n"));
        assert!(!md.contains("### Failures"));
        assert!(
            md.contains("| pass | fail | warn | skip | error | known | cases | checks | time |")
        );
        assert!(
            md.contains(
                "### Known deviations (baseline) (1)\n\n\
             - **FAIL** `code.reuse` — A second exchange of one authorization code is refused  \n  \
             baseline: accepted by review  \n"
            ),
            "{md}"
        );
        assert!(md.contains(
            "### Stale baseline entries (1)\n\nRemove them from `baseline.toml`:\n\n\
             - `code.gone`: no such case in this run\n"
        ));
    }

    #[test]
    fn long_lists_are_capped() {
        let mut r = fixture::report();
        let fail = r.cases[1].clone();
        r.cases = (0..MAX_LISTED + 3)
            .map(|i| {
                let mut c = fail.clone();
                c.id = format!("code.reuse[{i}]");
                c
            })
            .collect();
        let md = render(&r);
        assert_eq!(md.matches("- **FAIL**").count(), MAX_LISTED);
        assert!(md.contains("- … and 3 more (see the JSON, JUnit or HTML report)"));
    }
}
