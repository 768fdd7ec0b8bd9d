//! The terminal report: one line per case, then every failure with what was
//! expected, what came back, the requirement ids and the exchanges that
//! decided it, then a summary.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::model::{CaseResult, Exchange, Outcome, RunReport, StepResult};

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub color: bool,
    /// Also list passing cases' checks and every non-pass case's evidence.
    pub verbose: bool,
    /// Only failures, errors and the summary.
    pub quiet: bool,
}

/// How many characters of a body the terminal shows.
const BODY_PREVIEW: usize = 600;

/// Ids are padded to line up their requirement ids up to this width; a
/// longer id is printed as it is (and `format!`'s own padding, which panics
/// past 65,535, is never asked for it).
const ID_COLUMN: usize = 80;

/// `id` padded with spaces to `width` characters (at most [`ID_COLUMN`]).
fn padded(id: &str, width: usize) -> String {
    let len = id.chars().count();
    let mut s = id.to_string();
    s.extend(std::iter::repeat_n(
        ' ',
        width.min(ID_COLUMN).saturating_sub(len),
    ));
    s
}

/// Styles text when colour is on (shared with the self-test renderer).
pub(crate) struct Paint {
    pub(crate) on: bool,
}

impl Paint {
    pub(crate) fn wrap(&self, style: Style, s: &str) -> String {
        if self.on {
            format!("{}{s}{}", style.render(), style.render_reset())
        } else {
            s.to_string()
        }
    }
    pub(crate) fn outcome(&self, o: Outcome) -> String {
        // Padded to the longest label so ids line up.
        self.paint(o, &format!("{:<5}", o.label()))
    }
    /// `s` in the colour of outcome `o`.
    pub(crate) fn paint(&self, o: Outcome, s: &str) -> String {
        let color = match o {
            Outcome::Pass => AnsiColor::Green,
            Outcome::Fail => AnsiColor::Red,
            Outcome::Warn => AnsiColor::Yellow,
            Outcome::Skip => AnsiColor::Cyan,
            Outcome::Error => AnsiColor::Magenta,
        };
        self.wrap(Style::new().fg_color(Some(color.into())).bold(), s)
    }
    pub(crate) fn dim(&self, s: &str) -> String {
        self.wrap(Style::new().dimmed(), s)
    }
    pub(crate) fn bold(&self, s: &str) -> String {
        self.wrap(Style::new().bold(), s)
    }
}

/// The line printed for a case as it finishes.
/// (`width` pads the id so the requirement ids line up.)
pub fn case_line(c: &CaseResult, opts: Options, width: usize) -> String {
    let p = Paint { on: opts.color };
    let mut line = format!(
        "{} {} {}",
        p.outcome(c.outcome),
        padded(&c.id, width),
        p.dim(&c.covers.join(" "))
    );
    let clean = |s: &str| super::sanitize::escape_controls(s, false).into_owned();
    if c.outcome == Outcome::Skip {
        if let Some(r) = &c.reason {
            let _ = write!(line, "\n       {}", p.dim(&clean(r)));
        }
    }
    if let Some(k) = &c.known {
        let _ = write!(
            line,
            "\n       {}",
            p.dim(&format!("known deviation (baseline): {}", clean(k)))
        );
    }
    line
}

/// The first line: tool, profile, issuer, and what the embedded issuer was.
fn header(out: &mut String, report: &RunReport, p: &Paint) {
    let target = if report.target.reference {
        let mut t = " (embedded reference issuer".to_string();
        if let Some(d) = &report.target.dialect {
            let _ = write!(t, ", emulating {d}");
        }
        if !report.target.faults.is_empty() {
            let _ = write!(t, ", faults: {}", report.target.faults.join(", "));
        }
        t.push(')');
        t
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{} {} · profile {} · issuer {}{target}\n",
        p.bold("grantcheck"),
        report.tool_version,
        report.target.profile,
        report.target.issuer
    );
}

/// The verdict, the summary line, and the hints and baseline notes under it.
fn footer(out: &mut String, report: &RunReport, p: &Paint) {
    let s = &report.summary;
    let v = super::verdict::Verdict::of(report);
    let _ = writeln!(
        out,
        "\n{} {}",
        p.paint(v.tone(), "Verdict:"),
        super::verdict::headline(report)
    );
    let _ = writeln!(
        out,
        "{} {} cases: {} pass, {} fail{}, {} warn, {} skip, {} error · {} checks · {:.1}s",
        p.bold("Summary:"),
        s.total,
        s.pass,
        s.fail,
        match report.cases.iter().filter(|c| c.known.is_some()).count() {
            0 => String::new(),
            n => format!(" ({n} known)"),
        },
        s.warn,
        s.skip,
        s.error,
        s.checks,
        report.duration_ms as f64 / 1000.0
    );
    if let Some(hint) = super::advice::overload(report) {
        let _ = writeln!(out, "{} {hint}", p.bold("Hint:"));
    }
    if let Some(b) = &report.baseline {
        let _ = writeln!(
            out,
            "Baseline {}: {} known deviation(s) accepted, {} stale entr{}",
            b.path,
            b.applied,
            b.stale.len(),
            if b.stale.len() == 1 { "y" } else { "ies" }
        );
        for st in &b.stale {
            let _ = writeln!(out, "  stale: {} ({})", st.case, st.why);
        }
    }
}

pub fn render(report: &RunReport, opts: Options) -> String {
    // Issuer bytes never reach the terminal raw (report::sanitize).
    let report = &super::sanitize::for_text(report);
    let p = Paint { on: opts.color };
    let mut out = String::new();
    header(&mut out, report, &p);
    // Cases a halt kept from running are counted once, not listed each.
    let unstarted = |c: &CaseResult| report.halt.as_ref().is_some_and(|h| h.kept_from_running(c));
    let width = report
        .cases
        .iter()
        .filter(|c| !unstarted(c))
        .map(|c| c.id.chars().count())
        .max()
        .unwrap_or(0)
        .min(ID_COLUMN);
    for c in &report.cases {
        if unstarted(c) || (opts.quiet && matches!(c.outcome, Outcome::Pass | Outcome::Skip)) {
            continue;
        }
        let _ = writeln!(out, "{}", case_line(c, opts, width));
    }
    let bad: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Error) && !unstarted(c))
        .collect();
    let warned: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| c.outcome == Outcome::Warn)
        .collect();
    if !bad.is_empty() || (!warned.is_empty() && !opts.quiet) {
        let _ = writeln!(out, "\n{}", p.bold("Findings"));
        for c in bad.iter().chain(warned.iter()) {
            detail(&mut out, c, &p, opts.verbose || c.outcome != Outcome::Warn);
            if opts.verbose {
                // The curl replay, secrets as the profile's variables.
                let _ = writeln!(out, "  {}", p.bold("replay:"));
                for line in super::replay::script(c, &report.replay_vars).lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
    }
    if let Some(h) = &report.halt {
        let n = report.cases.iter().filter(|c| unstarted(c)).count();
        let _ = writeln!(
            out,
            "\n{} {} ({} not run)",
            p.paint(Outcome::Error, "Stopped:"),
            h.reason,
            super::verdict::cases(n)
        );
        for e in &h.exchanges {
            exchange(&mut out, e, &p);
        }
    }
    footer(&mut out, report, &p);
    out
}

fn detail(out: &mut String, c: &CaseResult, p: &Paint, evidence: bool) {
    let _ = writeln!(
        out,
        "\n{} {} — {}",
        p.outcome(c.outcome),
        p.bold(&c.id),
        c.title
    );
    let mut meta = vec![format!("covers {}", c.covers.join(", "))];
    if !c.not_covered.is_empty() {
        meta.push(format!("not checked {}", c.not_covered.join(", ")));
    }
    if !c.spec.is_empty() {
        meta.push(format!("spec {}", c.spec.join(", ")));
    }
    meta.push(c.source.clone());
    if let Some(k) = &c.known {
        meta.push(format!("known deviation (baseline): {k}"));
    }
    let _ = writeln!(out, "  {}", p.dim(&meta.join(" · ")));
    if let Some(r) = &c.reason {
        let _ = writeln!(out, "  {r}");
    }
    for s in &c.steps {
        step_line(out, s, p);
        if evidence && matches!(s.outcome, Outcome::Fail | Outcome::Error | Outcome::Warn) {
            for e in &s.exchanges {
                exchange(out, e, p);
            }
        }
    }
}

fn step_line(out: &mut String, s: &StepResult, p: &Paint) {
    let _ = writeln!(
        out,
        "  {} step `{}` ({}): {}",
        match s.not_run {
            Some(_) => p.dim(s.label()),
            None => p.outcome(s.outcome),
        },
        s.name,
        s.level,
        s.summary
    );
    for c in s.checks.iter().filter(|c| !c.passed) {
        let _ = writeln!(
            out,
            "      ✗ {}: expected {}, got {}",
            c.what, c.expected, c.actual
        );
    }
}

fn exchange(out: &mut String, e: &Exchange, p: &Paint) {
    let _ = writeln!(
        out,
        "      {} {} {}",
        p.dim(">"),
        e.request.method,
        e.request.url
    );
    for (n, v) in &e.request.headers {
        let _ = writeln!(out, "      {} {n}: {v}", p.dim(">"));
    }
    if let Some(b) = e.request.body.as_deref().filter(|b| !b.is_empty()) {
        let _ = writeln!(out, "      {} {}", p.dim(">"), preview(b));
    }
    if let Some(r) = &e.response {
        let _ = writeln!(
            out,
            "      {} {} ({} ms)",
            p.dim("<"),
            r.status,
            e.elapsed_ms
        );
        for (n, v) in &r.headers {
            if matches!(n.to_ascii_lowercase().as_str(), "date" | "content-length") {
                continue;
            }
            let _ = writeln!(out, "      {} {n}: {v}", p.dim("<"));
        }
        if !r.body.is_empty() {
            let _ = writeln!(out, "      {} {}", p.dim("<"), preview(&r.body));
        }
    }
    if let Some((k, m)) = &e.error {
        let _ = writeln!(out, "      {} {k:?}: {m}", p.dim("!"));
    }
}

fn preview(body: &str) -> String {
    super::preview(body, BODY_PREVIEW)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::fixtures::{case, report};

    /// `format!("{:<width$}")` panics past 65,535: an id that long (a
    /// scenario file can say anything) must still print.
    #[test]
    fn any_id_length_renders() {
        let long = "x".repeat(70_000);
        let r = report(vec![
            case(&long, &[], Outcome::Fail),
            case("short", &[], Outcome::Pass),
        ]);
        let text = render(&r, Options::default());
        assert!(text.contains(&long));
        assert!(text.contains(&format!("PASS  short{} ", " ".repeat(ID_COLUMN - 5))));
    }

    #[test]
    fn cases_a_halt_kept_from_running_are_listed_once() {
        use crate::report::model::{Halt, HaltCause};
        let reason = "interrupted: the run deadline of 5 s passed";
        let mut unstarted = case("b", &[], Outcome::Error);
        unstarted.reason = Some(reason.into());
        let mut r = report(vec![case("a", &[], Outcome::Fail), unstarted]);
        r.halt = Some(Halt::new(HaltCause::Deadline, reason));
        let text = render(&r, Options::default());
        assert!(
            text.contains(&format!("Stopped: {reason} (1 case not run)")),
            "{text}"
        );
        assert!(!text.contains("ERROR b"), "no line of its own:\n{text}");
        assert!(text.contains("FAIL  a —"), "{text}");
    }
}
