//! The HTML report: one self-contained file a reviewer opens from disk.
//!
//! - **Self-contained.** Inline CSS and a small inline vanilla script; no
//!   fonts, images, CDN or any other external asset, so it works offline and
//!   from `file://`.
//! - **Hostile input.** Every string of the report (bodies and headers come
//!   from the issuer under test) is HTML-escaped, in text and in attribute
//!   values alike. Control characters become visible symbols (`␛`) and
//!   bidirectional overrides become `[U+202E]`, so evidence cannot be made to
//!   read differently from what was received. The script holds no report
//!   data: it reads `data-*` attributes and writes with `textContent` only.
//! - **Content-Security-Policy.** A `<meta>` policy allows nothing but this
//!   file's own `<style>` and `<script>` elements, by their SHA-256 hashes:
//!   even markup that slipped through escaping could not load or run anything.
//! - **Order.** Cases are listed failures first, then errors, warnings, known
//!   deviations (cases a baseline accepts), skips and passes, each group in
//!   plan order; a control switches to plan order. Failing and erroring cases
//!   are open when there are at most [`OPEN_FINDINGS`] of them. Inside a case,
//!   the first [`OPEN_EXCHANGES`] exchanges of a step that did not pass are
//!   open, and a long run of exchanges (a `concurrent` step) is folded after
//!   them.
//! - **Page.** A header (version, issuer, profile, faults, duration, totals
//!   per outcome, baseline status), filters by outcome and area and a search
//!   over case id, title and requirement ids, then one `<details>` per case:
//!   its reason, requirement ids, spec sections, source, every step with its
//!   checks (expected and actual, broken ones highlighted) and exchanges
//!   (request and response with headers and bodies, time, transport error),
//!   and its replay script with a copy button.
//! - **Without JavaScript** every case is visible and expandable; the filter
//!   controls and copy buttons, which need the script, stay hidden. The script
//!   marks `<body data-js="ready">` and fills the case counter, which is how
//!   the browser test knows it ran.

use std::collections::BTreeMap;
use std::fmt::Write;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::model::{CaseResult, Outcome, RunReport};

mod case;
use case::case;

/// Failing and erroring cases start open when there are at most this many.
pub const OPEN_FINDINGS: usize = 5;

/// In a step that did not pass, this many exchanges start open; a step with
/// many more (`concurrent = 20` has twenty alike) folds the rest.
pub const OPEN_EXCHANGES: usize = 2;

/// The exchange's one-line summary shows this many characters of the URL;
/// the request shows it whole.
const URL_PREVIEW: usize = 110;

/// Outcomes in the order the report lists them.
const ORDER: [Outcome; 5] = [
    Outcome::Fail,
    Outcome::Error,
    Outcome::Warn,
    Outcome::Skip,
    Outcome::Pass,
];

fn index(o: Outcome) -> usize {
    ORDER.iter().position(|x| *x == o).unwrap_or(ORDER.len())
}

/// A case a baseline accepts: it stays visible but does not count.
fn is_known(c: &CaseResult) -> bool {
    c.known.is_some() && c.outcome != Outcome::Pass
}

/// Where a case is listed: failures, errors, warnings, known deviations,
/// skips, passes.
fn rank(c: &CaseResult) -> usize {
    match c.outcome {
        _ if is_known(c) => 3,
        Outcome::Fail => 0,
        Outcome::Error => 1,
        Outcome::Warn => 2,
        Outcome::Skip => 4,
        Outcome::Pass => 5,
    }
}

/// A finding that counts: a failure or an error no baseline accepts.
fn is_finding(c: &CaseResult) -> bool {
    matches!(c.outcome, Outcome::Fail | Outcome::Error) && !is_known(c)
}

/// The one page.
pub fn render(report: &RunReport) -> String {
    let mut out = String::with_capacity(32 * 1024 + report.cases.len() * 8 * 1024);
    let s = &report.summary;
    let csp = format!(
        "default-src 'none'; style-src '{}'; script-src '{}'; base-uri 'none'; form-action 'none'",
        csp_hash(CSS),
        csp_hash(JS)
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <title>grantcheck: {} fail, {} error, {} warn · {}</title>\n\
         <style>{CSS}</style>\n</head>\n<body data-js=\"off\">\n",
        esc(&csp),
        s.fail,
        s.error,
        s.warn,
        esc(&report.target.profile),
    );
    header(&mut out, report);
    out.push_str("<main>\n");
    controls(&mut out, report);
    cases(&mut out, report);
    out.push_str("</main>\n");
    let _ = writeln!(
        out,
        "<footer><p>Written by grantcheck {} (schema <code>{}</code>). This file is \
         self-contained and loads nothing: its Content-Security-Policy allows only its own \
         style and script. Everything in it is redacted: secrets appear as \
         <code>[redacted <var>kind</var> #fingerprint]</code>, and a replay names them as \
         shell variables.</p></footer>",
        esc(&report.tool_version),
        esc(&report.schema)
    );
    let _ = write!(out, "<script>{JS}</script>\n</body>\n</html>\n");
    out
}

/// `sha256-<base64>` of an inline element's text, as CSP wants it.
fn csp_hash(text: &str) -> String {
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// Escapes `s` for HTML text and quoted attribute values alike. Control
/// characters become visible, and so do bidirectional formatting characters.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            // C0 controls as their Control Pictures (U+2400..), DEL as ␡.
            '\0'..='\x1f' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}')),
            '\x7f' => out.push('\u{2421}'),
            '\u{80}'..='\u{9f}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "[U+{:04X}]", c as u32);
            }
            _ => out.push(c),
        }
    }
    out
}

fn badge(o: Outcome) -> String {
    format!(
        "<span class=\"badge o-{}\">{}</span>",
        o.as_str(),
        o.as_str().to_ascii_uppercase()
    )
}

fn dur(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn header(out: &mut String, report: &RunReport) {
    let s = &report.summary;
    let t = &report.target;
    let known = report.cases.iter().filter(|c| is_known(c)).count();
    // The run's one verdict: the same sentence as the exit code's.
    let v = super::verdict::Verdict::of(report);
    let verdict_class = v.tone().as_str();
    let verdict = capitalise(&super::verdict::headline(report));
    let _ = write!(
        out,
        "<header class=\"top\">\n<div class=\"title-row\"><h1>grantcheck report <span class=\"version\">{}</span></h1>\
         <p class=\"verdict o-{verdict_class}\" data-verdict=\"{}\" data-exit-code=\"{}\">{}</p></div>\n<dl class=\"meta\">\n",
        esc(&report.tool_version),
        v.as_str(),
        v.exit_code(),
        esc(&verdict)
    );
    let _ = writeln!(
        out,
        "<div class=\"wide\"><dt>Issuer</dt><dd><code>{}</code>{}</dd></div>",
        esc(&t.issuer),
        if t.reference {
            " <span class=\"muted\">(embedded reference issuer)</span>"
        } else {
            ""
        }
    );
    let mut meta = |k: &str, v: String| {
        let _ = writeln!(out, "<div><dt>{k}</dt><dd>{v}</dd></div>");
    };
    meta("Profile", format!("<code>{}</code>", esc(&t.profile)));
    meta(
        "Faults",
        if t.faults.is_empty() {
            "<span class=\"muted\">none</span>".to_string()
        } else {
            t.faults
                .iter()
                .map(|f| format!("<code class=\"fault\">{}</code>", esc(f)))
                .collect::<Vec<_>>()
                .join(" ")
        },
    );
    meta("Duration", dur(report.duration_ms));
    meta(
        "Checks",
        format!("{} in {}", s.checks, plural(s.total, "case", "cases")),
    );
    out.push_str("</dl>\n");
    if !t.faults.is_empty() {
        let _ =
            writeln!(
            out,
            "<p class=\"faults-note\" role=\"note\">The reference issuer ran with {} switched on \
             ({}) on purpose: the cases that catch {} are expected to fail.</p>",
            if t.faults.len() == 1 {
                "a fault"
            } else {
                "faults"
            },
            t.faults.iter().map(|f| esc(f)).collect::<Vec<_>>().join(", "),
            if t.faults.len() == 1 { "it" } else { "them" }
        );
    }
    out.push_str("<ul class=\"totals\" aria-label=\"Cases by outcome\">\n");
    for o in ORDER {
        let n = match o {
            Outcome::Pass => s.pass,
            Outcome::Fail => s.fail,
            Outcome::Warn => s.warn,
            Outcome::Skip => s.skip,
            Outcome::Error => s.error,
        };
        let _ = writeln!(
            out,
            "<li class=\"o-{0}{1}\"><span class=\"n\">{n}</span> <span class=\"k\">{0}</span></li>",
            o.as_str(),
            if n == 0 { " zero" } else { "" }
        );
    }
    if known > 0 {
        let _ = writeln!(
            out,
            "<li class=\"known\"><span class=\"n\">{known}</span> <span class=\"k\">known (baseline)</span></li>"
        );
    }
    let _ = writeln!(
        out,
        "<li class=\"all\"><span class=\"n\">{}</span> <span class=\"k\">cases</span></li>\n</ul>",
        s.total
    );
    if let Some(b) = &report.baseline {
        let _ = write!(
            out,
            "<div class=\"baseline\"><p>Baseline <code>{}</code>: {} accepted, {}.</p>",
            esc(&b.path),
            plural(b.applied, "known deviation", "known deviations"),
            plural(b.stale.len(), "stale entry", "stale entries"),
        );
        if !b.stale.is_empty() {
            out.push_str("<ul class=\"stale\">");
            for st in &b.stale {
                let _ = write!(
                    out,
                    "<li>stale: <code>{}</code> ({})</li>",
                    esc(&st.case),
                    esc(&st.why)
                );
            }
            out.push_str("</ul>");
        }
        out.push_str("</div>\n");
    }
    scores(out, report);
    out.push_str("</header>\n");
}

/// Failure rates per level and the unmitigated threats (report::scores).
fn scores(out: &mut String, report: &RunReport) {
    use super::scores::ThreatStatus;
    let s = super::scores::scores(&report.cases);
    if s.is_empty() {
        return;
    }
    out.push_str("<div class=\"scores\"><table class=\"levels\"><caption>Requirement rows by level</caption>\n<tr><th>level</th><th>checked</th><th>failed</th><th>rate</th></tr>\n");
    for l in s.levels.iter().filter(|l| l.checked > 0) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.0}%</td></tr>",
            l.level,
            l.checked,
            l.failed,
            l.rate().unwrap_or(0.0)
        );
    }
    let _ = write!(
        out,
        "</table>\n<p class=\"threats\">Threats: {} unmitigated, {} weakened, {} mitigated, {} unchecked.</p>",
        s.count(ThreatStatus::Unmitigated),
        s.count(ThreatStatus::Weakened),
        s.count(ThreatStatus::Mitigated),
        s.count(ThreatStatus::Unchecked)
    );
    let open: Vec<_> = s.unmitigated().collect();
    if !open.is_empty() {
        out.push_str("<ul class=\"unmitigated\">");
        for t in open {
            let _ = write!(
                out,
                "<li><strong>{}</strong> {} <span class=\"muted\">({})</span>: {}</li>",
                esc(&t.id),
                esc(&t.name),
                esc(&t.source),
                esc(&t.failed_rows.join(", "))
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</div>\n");
}

fn controls(out: &mut String, report: &RunReport) {
    let mut by_outcome = [0usize; 5];
    let mut areas: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &report.cases {
        by_outcome[index(c.outcome)] += 1;
        *areas.entry(c.area.as_str()).or_default() += 1;
    }
    out.push_str(
        "<section id=\"controls\" class=\"controls\" aria-label=\"Filters\" hidden>\n\
         <fieldset><legend>Outcome</legend>",
    );
    for (i, o) in ORDER.iter().enumerate() {
        let _ = write!(
            out,
            "<label class=\"chip o-{0}\"><input type=\"checkbox\" name=\"outcome\" value=\"{0}\" checked> \
             {0} <span class=\"count\">{1}</span></label>",
            o.as_str(),
            by_outcome[i]
        );
    }
    out.push_str("</fieldset>\n<fieldset><legend>Area</legend>");
    for (a, n) in &areas {
        let _ = write!(
            out,
            "<label class=\"chip\"><input type=\"checkbox\" name=\"area\" value=\"{0}\" checked> \
             {0} <span class=\"count\">{n}</span></label>",
            esc(a)
        );
    }
    out.push_str(
        "<button type=\"button\" class=\"small\" data-group=\"area\" data-check=\"all\">all</button>\
         <button type=\"button\" class=\"small\" data-group=\"area\" data-check=\"none\">none</button>\
         </fieldset>\n<div class=\"bar\">\
         <label for=\"q\">Search</label>\
         <input id=\"q\" type=\"search\" placeholder=\"case id, title or requirement id\" \
         autocomplete=\"off\" spellcheck=\"false\">\
         <label for=\"order\">Order</label>\
         <select id=\"order\"><option value=\"severity\">findings first</option>\
         <option value=\"plan\">plan order</option></select>\
         <button type=\"button\" id=\"expand\">Expand all</button>\
         <button type=\"button\" id=\"collapse\">Collapse all</button>\
         <button type=\"button\" id=\"reset\">Reset filters</button>\
         <span id=\"shown\" class=\"shown\" role=\"status\" aria-live=\"polite\"></span>\
         </div>\n</section>\n",
    );
}

fn cases(out: &mut String, report: &RunReport) {
    let mut order: Vec<(usize, &CaseResult)> = report.cases.iter().enumerate().collect();
    order.sort_by_key(|(i, c)| (rank(c), *i));
    let findings = report.cases.iter().filter(|c| is_finding(c)).count();
    out.push_str(
        "<p class=\"order-note\">Failures first, then errors, warnings, known deviations, skips \
         and passes; plan order within each. Select a case to see its evidence.</p>\n<div id=\"cases\">\n",
    );
    for (i, c) in order {
        let open = findings <= OPEN_FINDINGS && is_finding(c);
        case(out, report, i, c, open);
    }
    out.push_str(
        "</div>\n<p id=\"empty\" class=\"empty\" hidden>No case matches these filters.</p>\n",
    );
}

/// The page's only style. No `url()`, no `@import`, no web fonts.
const CSS: &str = include_str!("assets/report.css");

/// The page's only script. It reads `data-*` attributes and form controls,
/// and writes with `textContent`, `hidden`, `open` and `setAttribute` only:
/// no report data is inside it, and it never builds markup from strings.
const JS: &str = include_str!("assets/report.js");

#[cfg(test)]
mod tests;
