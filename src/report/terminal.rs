//! The terminal report: one line per case, then every failure with what was
//! expected, what came back, the requirement ids and the exchanges that
//! decided it, then a summary.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::model::{CaseResult, Exchange, Outcome, RunReport, StepResult, Target};

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub color: bool,
    /// Also list passing cases' checks and every non-pass case's evidence.
    pub verbose: bool,
    /// Only failures, errors and the summary.
    pub quiet: bool,
}

/// How many characters of a body the terminal shows with `-v`.
const BODY_PREVIEW: usize = 600;
/// ... and without.
const COMPACT_PREVIEW: usize = 240;

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
pub fn header(target: &Target, color: bool) -> String {
    let p = Paint { on: color };
    let clean = |s: &str| super::sanitize::escape_controls(s, false).into_owned();
    let mut described = String::new();
    if target.reference {
        described.push_str(" (embedded reference issuer");
        if let Some(d) = &target.dialect {
            let _ = write!(described, ", emulating {}", clean(d));
        }
        if !target.faults.is_empty() {
            let _ = write!(described, ", faults: {}", clean(&target.faults.join(", ")));
        }
        described.push(')');
    }
    format!(
        "{} {} · profile {} · issuer {}{described}\n\n",
        p.bold("grantcheck"),
        env!("CARGO_PKG_VERSION"),
        clean(&target.profile),
        clean(&target.issuer)
    )
}

/// Failure rates per level and the threats left unmitigated (report::scores).
fn scores(out: &mut String, report: &RunReport, p: &Paint) {
    use super::scores::ThreatStatus;
    let s = super::scores::scores(&report.cases);
    if s.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{} {}",
        p.bold("Rows:"),
        super::scores::levels_line(&s)
    );
    let _ = writeln!(
        out,
        "{} {} unmitigated, {} weakened, {} mitigated, {} unchecked",
        p.bold("Threats:"),
        s.count(ThreatStatus::Unmitigated),
        s.count(ThreatStatus::Weakened),
        s.count(ThreatStatus::Mitigated),
        s.count(ThreatStatus::Unchecked)
    );
    for (t, how, rows) in super::scores::listed_threats(&s) {
        let _ = writeln!(out, "  {} {} ({}){how}: {rows}", t.id, t.name, t.source);
    }
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
        "{} {}: {} pass, {} fail{}, {} warn, {} skip, {} error · {} · {:.1}s",
        p.bold("Summary:"),
        super::verdict::cases(s.total),
        s.pass,
        s.fail,
        match report.cases.iter().filter(|c| c.known.is_some()).count() {
            0 => String::new(),
            n => format!(" ({n} known)"),
        },
        s.warn,
        s.skip,
        s.error,
        super::verdict::count(s.checks, "check", "checks"),
        report.duration_ms as f64 / 1000.0
    );
    if let Some(st) = report.sessions.filter(|s| s.reused > 0) {
        let _ = writeln!(
            out,
            "{} {}, {} reused (about {:.1}s of request time saved; --fresh-logins logs in every time)",
            p.bold("Sessions:"),
            super::verdict::count(st.logins as usize, "login", "logins"),
            st.reused,
            st.saved_ms as f64 / 1000.0
        );
    }
    scores(out, report, p);
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

/// The whole terminal report: header, one line per case, then [`tail`].
pub fn render(report: &RunReport, opts: Options) -> String {
    let mut out = header(&report.target, opts.color);
    let clean = super::sanitize::for_text(report);
    let width = id_width(
        clean
            .cases
            .iter()
            .filter(|c| !unstarted(&clean, c))
            .map(|c| c.id.as_str()),
    );
    for c in &clean.cases {
        if !unstarted(&clean, c) && shown(c, opts) {
            let _ = writeln!(out, "{}", case_line(c, opts, width));
        }
    }
    out.push_str(&tail(report, opts));
    out
}

/// Whether a case gets its line: `-q` shows only failures and errors.
pub fn shown(c: &CaseResult, opts: Options) -> bool {
    !opts.quiet || matches!(c.outcome, Outcome::Fail | Outcome::Error)
}

/// The column ids are padded to, for these ids.
pub fn id_width<'a>(ids: impl Iterator<Item = &'a str>) -> usize {
    ids.map(|id| id.chars().count())
        .max()
        .unwrap_or(0)
        .min(ID_COLUMN)
}

/// Cases a halt kept from running are counted once, not listed each.
fn unstarted(report: &RunReport, c: &CaseResult) -> bool {
    report.halt.as_ref().is_some_and(|h| h.kept_from_running(c))
}

/// What follows the case lines: the findings (compact; every exchange with
/// `-v`; none with `-q`), why the run stopped early, and the verdict.
pub fn tail(report: &RunReport, opts: Options) -> String {
    // Issuer bytes never reach the terminal raw (report::sanitize).
    let report = &super::sanitize::for_text(report);
    let p = Paint { on: opts.color };
    let mut out = String::new();
    let pick = |o: Outcome| {
        report
            .cases
            .iter()
            .filter(move |c| c.outcome == o && !unstarted(report, c))
    };
    let bad: Vec<&CaseResult> = pick(Outcome::Fail).chain(pick(Outcome::Error)).collect();
    let warned: Vec<&CaseResult> = pick(Outcome::Warn).collect();
    let findings = !bad.is_empty() || !warned.is_empty();
    if !opts.quiet && findings {
        let _ = writeln!(out, "\n{}", p.bold("Findings"));
        for c in bad.iter().chain(warned.iter()) {
            detail(&mut out, c, &p, opts);
            if opts.verbose {
                // The replay script, secrets as the profile's variables.
                let _ = writeln!(out, "  {}", p.bold("replay:"));
                for line in super::replay::script(c, &report.replay_vars).lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        if !opts.verbose && !bad.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                p.dim("Evidence above: the first and last exchange of each failing step; -v shows them all and a replay script (--replay-dir DIR writes them), --report html all of it folded.")
            );
        }
    }
    if let Some(h) = &report.halt {
        let n = report.cases.iter().filter(|c| unstarted(report, c)).count();
        let _ = writeln!(
            out,
            "\n{} {} ({} not run)",
            p.paint(Outcome::Error, "Stopped:"),
            h.reason,
            super::verdict::cases(n)
        );
        for e in &h.exchanges {
            exchange(&mut out, e, &p, true);
        }
    }
    footer(&mut out, report, &p);
    out
}

/// One finding: the case, what it covers, each step, and the evidence of
/// the steps that did not pass (warnings: none unless `-v`).
fn detail(out: &mut String, c: &CaseResult, p: &Paint, opts: Options) {
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
    if opts.verbose && !c.spec.is_empty() {
        meta.push(format!("spec {}", c.spec.join(", ")));
    }
    meta.push(c.source.clone());
    if let Some(k) = &c.known {
        meta.push(format!("known deviation (baseline): {k}"));
    }
    let _ = writeln!(out, "  {}", p.dim(&meta.join(" · ")));
    let failed_check = c.steps.iter().any(|s| s.checks.iter().any(|k| !k.passed));
    if let Some(r) = c.reason.as_ref().filter(|_| opts.verbose || !failed_check) {
        let _ = writeln!(out, "  {r}");
    }
    let evidence = opts.verbose || c.outcome != Outcome::Warn;
    for s in &c.steps {
        let decided = matches!(s.outcome, Outcome::Fail | Outcome::Error | Outcome::Warn);
        if !opts.verbose && !decided && s.not_run.is_none() {
            continue;
        }
        step_line(out, s, p);
        if evidence && decided {
            exchanges(out, &s.exchanges, p, opts.verbose);
        }
    }
}

/// A step's exchanges: all of them with `-v`; else the first (the probe as
/// sent) and the last (the answer that decided it). A run of exchanges
/// alike (as a `concurrent` step sends) is shown once with its count.
fn exchanges(out: &mut String, all: &[Exchange], p: &Paint, full: bool) {
    if !full && all.len() > 2 {
        let last = all.len() - 1;
        exchange(out, &all[0], p, false);
        let hidden = match all[1..].iter().all(|e| alike(e, &all[0])) {
            true => format!("… and {last} more alike"),
            false => format!(
                "… {} between (-v shows them)",
                super::verdict::count(last - 1, "exchange", "exchanges")
            ),
        };
        let _ = writeln!(out, "      {}", p.dim(&hidden));
        if !all[1..].iter().all(|e| alike(e, &all[0])) {
            exchange(out, &all[last], p, false);
        }
        return;
    }
    let mut i = 0;
    while i < all.len() {
        let run = all[i..].iter().take_while(|e| alike(e, &all[i])).count();
        exchange(out, &all[i], p, full);
        if run > 1 {
            let _ = writeln!(
                out,
                "      {}",
                p.dim(&format!("… and {} more alike", run - 1))
            );
        }
        i += run;
    }
}

/// Two exchanges that read the same but for the values a flow hands out
/// (redaction fingerprints): request line and body, status and body, error.
fn alike(a: &Exchange, b: &Exchange) -> bool {
    let request = |e: &Exchange| {
        (
            e.request.method.clone(),
            unmarked(&e.request.url),
            e.request.body.as_deref().map(unmarked),
        )
    };
    let response = |e: &Exchange| e.response.as_ref().map(|r| (r.status, unmarked(&r.body)));
    request(a) == request(b) && response(a) == response(b) && a.error == b.error
}

/// `text` with each redaction marker's fingerprint dropped:
/// `[redacted code #1a2b3c]` reads `[redacted code]`.
fn unmarked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" #") {
        let fp = rest
            .get(i + 2..i + 8)
            .filter(|f| f.bytes().all(|b| b.is_ascii_hexdigit()));
        match (fp, rest.get(i + 8..i + 9)) {
            (Some(_), Some("]")) => {
                out.push_str(&rest[..i]);
                rest = &rest[i + 8..];
            }
            _ => {
                out.push_str(&rest[..i + 2]);
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
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

/// Response headers the compact view keeps: those that decide OAuth verdicts.
const TELLING_HEADERS: &[&str] = &[
    "location",
    "www-authenticate",
    "content-type",
    "cache-control",
    "retry-after",
];

/// One exchange; `full` shows every header and a longer body.
fn exchange(out: &mut String, e: &Exchange, p: &Paint, full: bool) {
    let limit = if full { BODY_PREVIEW } else { COMPACT_PREVIEW };
    let _ = writeln!(
        out,
        "      {} {} {}",
        p.dim(">"),
        e.request.method,
        e.request.url
    );
    // Compact: the client authentication only (it decides client-auth cases).
    for (n, v) in &e.request.headers {
        if full || n.eq_ignore_ascii_case("authorization") {
            let _ = writeln!(out, "      {} {n}: {v}", p.dim(">"));
        }
    }
    if let Some(b) = e.request.body.as_deref().filter(|b| !b.is_empty()) {
        let _ = writeln!(out, "      {} {}", p.dim(">"), super::preview(b, limit));
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
            let name = n.to_ascii_lowercase();
            let keep = match full {
                true => !matches!(name.as_str(), "date" | "content-length"),
                false => TELLING_HEADERS.contains(&name.as_str()),
            };
            if keep {
                let _ = writeln!(out, "      {} {n}: {v}", p.dim("<"));
            }
        }
        if !r.body.is_empty() {
            let _ = writeln!(
                out,
                "      {} {}",
                p.dim("<"),
                super::preview(&r.body, limit)
            );
        }
    }
    if let Some((k, m)) = &e.error {
        let _ = writeln!(out, "      {} {k:?}: {m}", p.dim("!"));
    }
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
    fn fingerprints_do_not_make_exchanges_differ() {
        assert_eq!(
            unmarked("code=[redacted code #1a2b3c]&x=#1"),
            "code=[redacted code]&x=#1"
        );
        assert_eq!(unmarked("a #zzzzzz] b #12345"), "a #zzzzzz] b #12345");
        assert_eq!(unmarked("é #ab12ef]"), "é]");
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
