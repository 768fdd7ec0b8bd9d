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
//!   and its curl replay with a copy button.
//! - **Without JavaScript** every case is visible and expandable; the filter
//!   controls and copy buttons, which need the script, stay hidden. The script
//!   marks `<body data-js="ready">` and fills the case counter, which is how
//!   the browser test knows it ran.

use std::collections::BTreeMap;
use std::fmt::Write;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::model::{CaseResult, Check, Exchange, Outcome, RunReport, StepResult};
use super::replay;

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
    out.push_str("</header>\n");
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

fn case(out: &mut String, report: &RunReport, index: usize, c: &CaseResult, open: bool) {
    let o = c.outcome.as_str();
    let search = format!("{} {} {}", c.id, c.title, c.covers.join(" ")).to_lowercase();
    let _ = write!(
        out,
        "<details class=\"case o-{o}{}\" id=\"case-{index}\" data-outcome=\"{o}\" data-area=\"{}\" \
         data-search=\"{}\" data-rank=\"{}\" data-index=\"{index}\"{}>\n<summary>{}\
         <code class=\"id\">{}</code><span class=\"title\">{}</span>\
         <span class=\"covers\">{}</span><span class=\"dur\">({})</span>",
        if is_known(c) { " known" } else { "" },
        esc(&c.area),
        esc(&search),
        rank(c),
        if open { " open" } else { "" },
        badge(c.outcome),
        esc(&c.id),
        esc(&c.title),
        c.covers
            .iter()
            .map(|r| format!("<span class=\"req\">{}</span>", esc(r)))
            .collect::<Vec<_>>()
            .join(""),
        dur(c.duration_ms),
    );
    if let Some(r) = c.reason.as_deref().filter(|_| c.outcome != Outcome::Pass) {
        let _ = write!(out, "<span class=\"reason\">{}</span>", esc(r));
    }
    if let Some(k) = c.known.as_deref().filter(|_| is_known(c)) {
        let _ = write!(
            out,
            "<span class=\"known-note\">known deviation (baseline): {}</span>",
            esc(k)
        );
    }
    out.push_str("</summary>\n<div class=\"case-body\">\n");
    if let Some(r) = &c.reason {
        let _ = writeln!(out, "<p class=\"why\"><strong>Why:</strong> {}</p>", esc(r));
    }
    out.push_str("<dl class=\"facts\">\n");
    let list = |v: &[String]| -> String {
        if v.is_empty() {
            "<span class=\"muted\">none</span>".into()
        } else {
            v.iter()
                .map(|x| format!("<code>{}</code>", esc(x)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let mut fact = |k: &str, v: String| {
        let _ = writeln!(out, "<div><dt>{k}</dt><dd>{v}</dd></div>");
    };
    if let Some(k) = &c.known {
        fact("Baseline", format!("known deviation: {}", esc(k)));
    }
    fact("Requirements", list(&c.covers));
    if !c.not_covered.is_empty() {
        fact(
            "Not checked",
            list(&c.not_covered) + " (their steps did not run)",
        );
    }
    fact("Spec", list(&c.spec));
    fact(
        "Scenario",
        format!("<code>{}</code>", esc(&c.scenario))
            + &c.case
                .as_deref()
                .map(|k| format!(", case <code>{}</code>", esc(k)))
                .unwrap_or_default(),
    );
    fact("Source", format!("<code>{}</code>", esc(&c.source)));
    fact(
        "Level · area",
        format!("{} · {}", esc(&c.level), esc(&c.area)),
    );
    if !c.tags.is_empty() {
        fact("Tags", list(&c.tags));
    }
    fact("Duration", dur(c.duration_ms));
    out.push_str("</dl>\n");
    if c.steps.is_empty() {
        out.push_str("<p class=\"muted\">No step ran.</p>\n");
    } else {
        out.push_str("<ol class=\"steps\">\n");
        for s in &c.steps {
            step(out, s);
        }
        out.push_str("</ol>\n");
    }
    let exchanges: usize = c.steps.iter().map(|s| s.exchanges.len()).sum();
    if exchanges > 0 {
        let script = replay::script(c, &report.replay_vars);
        let _ = writeln!(
            out,
            "<details class=\"replay\"><summary>curl replay <span class=\"muted\">({})</span></summary>\
             <div class=\"tools\"><button type=\"button\" class=\"copy\" hidden>Copy</button>\
             <span class=\"muted\">Secrets are shell variables, never values.</span></div>\
             <pre class=\"script\">{}</pre></details>",
            plural(exchanges, "command", "commands"),
            esc(&script)
        );
    }
    out.push_str("</div>\n</details>\n");
}

fn step(out: &mut String, s: &StepResult) {
    let _ = write!(
        out,
        "<li class=\"step o-{}\"><div class=\"step-head\">{}<strong class=\"name\">{}</strong>\
         <span class=\"tag\">{}</span><span class=\"tag\">{}</span></div>\n\
         <p class=\"summary mono\">{}</p>\n",
        if s.not_run.is_some() {
            "skip not-run"
        } else {
            s.outcome.as_str()
        },
        match s.not_run {
            Some(_) => "<span class=\"badge o-skip\">NOT RUN</span>".to_string(),
            None => badge(s.outcome),
        },
        esc(&s.name),
        esc(&s.action),
        esc(&s.level),
        esc(&s.summary),
    );
    if let Some(e) = &s.error {
        let _ = writeln!(out, "<p class=\"step-error\">{}</p>", esc(e));
    }
    if !s.checks.is_empty() {
        out.push_str(
            "<table class=\"checks\"><thead><tr><th scope=\"col\">check</th>\
             <th scope=\"col\">expected</th><th scope=\"col\">actual</th>\
             <th scope=\"col\">result</th></tr></thead><tbody>\n",
        );
        for c in &s.checks {
            check(out, c);
        }
        out.push_str("</tbody></table>\n");
    }
    // A long run of exchanges (a step of `concurrent = 20`) shows its first
    // ones and folds the rest.
    let shown = if s.exchanges.len() > OPEN_EXCHANGES + 2 {
        OPEN_EXCHANGES
    } else {
        s.exchanges.len()
    };
    for (i, e) in s.exchanges.iter().enumerate() {
        if i == shown {
            let _ = writeln!(
                out,
                "<details class=\"more\"><summary>{} more {}</summary>",
                s.exchanges.len() - shown,
                if s.exchanges.len() - shown == 1 {
                    "exchange"
                } else {
                    "exchanges"
                }
            );
        }
        exchange(out, e, s.outcome != Outcome::Pass && i < OPEN_EXCHANGES);
    }
    if shown < s.exchanges.len() {
        out.push_str("</details>\n");
    }
    out.push_str("</li>\n");
}

fn check(out: &mut String, c: &Check) {
    let _ = writeln!(
        out,
        "<tr class=\"{}\"><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
         <td class=\"res\">{}</td></tr>",
        if c.passed { "held" } else { "broken" },
        esc(&c.what),
        esc(&c.expected),
        esc(&c.actual),
        if c.passed { "✓ held" } else { "✗ broken" }
    );
}

/// `s` cut to `max` characters, with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).chain(['…']).collect()
    }
}

fn headers(out: &mut String, hs: &[(String, String)]) {
    for (n, v) in hs {
        let _ = writeln!(out, "<span class=\"hn\">{}</span>: {}", esc(n), esc(v));
    }
}

fn exchange(out: &mut String, e: &Exchange, open: bool) {
    let r = &e.request;
    let answer = match (&e.response, &e.error) {
        (Some(resp), _) => format!("<span class=\"status\">{}</span>", resp.status),
        (None, Some((k, _))) => format!(
            "<span class=\"transport\">{}</span>",
            esc(&format!("{k:?}").to_lowercase())
        ),
        (None, None) => "<span class=\"muted\">no response</span>".into(),
    };
    let _ = write!(
        out,
        "<details class=\"exchange\"{}><summary><code>{} {}</code> → {answer} \
         <span class=\"dur\">({} ms)</span></summary>\n<div class=\"ex\">\
         <section><h4>Request</h4><pre>{} {}\n",
        if open { " open" } else { "" },
        esc(&r.method),
        esc(&shorten(&r.url, URL_PREVIEW)),
        e.elapsed_ms,
        esc(&r.method),
        esc(&r.url),
    );
    headers(out, &r.headers);
    match r.body.as_deref() {
        Some(b) if !b.is_empty() => {
            let _ = write!(out, "\n{}", esc(b));
        }
        _ => {}
    }
    out.push_str("</pre></section>\n<section><h4>Response</h4>");
    match &e.response {
        Some(resp) => {
            let _ = writeln!(
                out,
                "<pre><span class=\"muted\">status</span> {}",
                resp.status
            );
            headers(out, &resp.headers);
            if resp.body.is_empty() {
                out.push_str("\n<span class=\"muted\">(empty body)</span>");
            } else {
                let _ = write!(out, "\n{}", esc(&resp.body));
            }
            out.push_str("</pre>");
            if resp.truncated {
                out.push_str("<p class=\"muted\">The body was cut: it was longer than the evidence keeps.</p>");
            }
        }
        None => out.push_str("<p class=\"muted\">No response.</p>"),
    }
    if let Some((k, m)) = &e.error {
        let _ = write!(
            out,
            "<p class=\"transport\">Transport error ({}): {}</p>",
            esc(&format!("{k:?}").to_lowercase()),
            esc(m)
        );
    }
    out.push_str("</section></div></details>\n");
}

/// The page's only style. No `url()`, no `@import`, no web fonts.
const CSS: &str = r#"
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--code:#f6f8fa;--badge-fg:#fff;
--pass:#1a7f37;--pass-bg:#e6f4ea;--fail:#cf222e;--fail-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;--skip:#0969da;--skip-bg:#ddf4ff;--error:#8250df;--error-bg:#f5eeff;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans","DejaVu Sans",sans-serif;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--code:#0d1117;--badge-fg:#0d1117;
--pass:#3fb950;--pass-bg:#12261e;--fail:#ff7b72;--fail-bg:#3a1d1f;--warn:#d29922;--warn-bg:#2e2614;--skip:#58a6ff;--skip-bg:#132339;--error:#bc8cff;--error-bg:#2a1f3d}}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{background:var(--bg);color:var(--fg);font:15px/1.5 var(--sans)}
body{margin:0 auto;max-width:1240px;padding:1.25rem 1.5rem 3rem}
code,pre,.mono{font-family:var(--mono);font-size:.86em}
h1{font-size:1.45rem;margin:0}
h1 .version{font-size:.95rem;font-weight:400;color:var(--muted)}
h4{margin:.2rem 0;font-size:.78rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.muted{color:var(--muted)}
.o-pass{--oc:var(--pass);--ob:var(--pass-bg)}.o-fail{--oc:var(--fail);--ob:var(--fail-bg)}.o-warn{--oc:var(--warn);--ob:var(--warn-bg)}
.o-skip{--oc:var(--skip);--ob:var(--skip-bg)}.o-error{--oc:var(--error);--ob:var(--error-bg)}
.top{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem 1.25rem}
.title-row{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1rem;justify-content:space-between}
.verdict{margin:0;font-weight:650;color:var(--oc);background:var(--ob);border:1px solid var(--oc);border-radius:999px;padding:.1rem .8rem}
.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.35rem 1.5rem;margin:.8rem 0}
.meta .wide{grid-column:1/-1}
.meta div,.facts div{display:flex;gap:.6rem;min-width:0}
dt{color:var(--muted);flex:none}
.meta dt{width:6.5rem}
dd{margin:0;min-width:0;overflow-wrap:anywhere}
.faults-note{margin:.4rem 0 .8rem;padding:.5rem .8rem;border-left:4px solid var(--warn);background:var(--warn-bg);border-radius:4px}
.fault{font-weight:600}
.totals{list-style:none;display:flex;flex-wrap:wrap;gap:.6rem;margin:0;padding:0}
.totals li{min-width:6.5rem;padding:.35rem .8rem;border:1px solid var(--line);border-top:4px solid var(--oc,var(--muted));border-radius:6px;background:var(--card)}
.totals .n{font-size:1.5rem;font-weight:700;color:var(--oc,var(--fg))}
.totals .k{color:var(--muted)}
.totals li.zero .n{color:var(--muted);font-weight:400}
.totals li.known{--oc:var(--muted)}
.baseline{margin:.6rem 0 0}.baseline p{margin:0}.stale{margin:.2rem 0 0;padding-left:1.2rem}
details.case.known{border-left-style:dashed}
details[open]>summary .reason{display:none}
summary .known-note{grid-column:3/-1;font-size:.85em;color:var(--muted)}
.controls{position:sticky;top:0;z-index:2;margin:1rem 0 .4rem;padding:.6rem 1rem;background:var(--card);border:1px solid var(--line);border-radius:10px;box-shadow:0 2px 6px rgba(0,0,0,.06)}
fieldset{border:0;margin:0 0 .45rem;padding:0;display:flex;flex-wrap:wrap;gap:.35rem;align-items:center}
legend{float:left;width:4.5rem;color:var(--muted);padding:0}
.chip{display:inline-flex;align-items:center;gap:.3rem;padding:.1rem .6rem .1rem .4rem;border:1px solid var(--line);border-radius:999px;cursor:pointer;user-select:none}
.chip input{accent-color:var(--oc,var(--skip));margin:0}
.chip .count{color:var(--muted);font-size:.85em}
.chip:has(input:not(:checked)){opacity:.55;border-style:dashed}
.bar{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.bar label{color:var(--muted)}
input[type=search]{font:inherit;padding:.25rem .5rem;min-width:18rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
select,button{font:inherit;padding:.2rem .6rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);cursor:pointer}
button.small{padding:0 .5rem;font-size:.85em}
button:hover,select:hover{border-color:var(--muted)}
:focus-visible{outline:2px solid var(--skip);outline-offset:2px}
.shown{margin-left:auto;color:var(--muted)}
.order-note{color:var(--muted);margin:.6rem 0;font-size:.9em}
.empty{padding:1rem;text-align:center;color:var(--muted)}
.badge{display:inline-block;min-width:3.6rem;text-align:center;padding:.05rem .4rem;border-radius:4px;font:700 .72rem/1.5 var(--mono);letter-spacing:.04em;color:var(--badge-fg);background:var(--oc)}
details.case{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--oc);border-radius:6px;margin:.35rem 0}
details>summary{list-style:none}
details>summary::-webkit-details-marker{display:none}
details.case>summary{display:grid;grid-template-columns:.8rem 4.2rem minmax(9rem,max-content) 1fr auto auto;gap:.2rem .7rem;align-items:baseline;padding:.45rem .8rem .45rem .6rem;cursor:pointer}
details.case>summary::before{content:"▸";color:var(--muted)}
details.case[open]>summary::before{content:"▾"}
details.case[open]>summary{border-bottom:1px solid var(--line);background:var(--ob)}
summary .id{font-weight:650;overflow-wrap:anywhere}
summary .title{min-width:0}
.covers{display:flex;flex-wrap:wrap;gap:.25rem;justify-content:flex-end}
.req{font:.72rem/1.5 var(--mono);padding:0 .35rem;border:1px solid var(--line);border-radius:4px;color:var(--muted);white-space:nowrap}
.dur{color:var(--muted);font-size:.85em;white-space:nowrap}
summary .reason{grid-column:3/-1;font:.82rem/1.45 var(--mono);color:var(--oc);overflow-wrap:anywhere}
.case-body{padding:.6rem 1rem 1rem}
.why{margin:.2rem 0 .6rem;padding:.45rem .7rem;background:var(--ob);border-radius:4px;overflow-wrap:anywhere}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:.2rem 1.5rem;margin:.4rem 0 .8rem;font-size:.92em}
.facts dt{width:7.5rem}
.steps{list-style:none;margin:0;padding:0;counter-reset:step}
.step{border-left:3px solid var(--oc);padding:.2rem 0 .4rem .8rem;margin:0 0 .7rem}
.step-head{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.step-head .name{font-family:var(--mono)}
.tag{font-size:.8em;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:0 .35rem}
.summary{margin:.25rem 0;color:var(--muted);overflow-wrap:anywhere}
.step-error{margin:.25rem 0;color:var(--error);overflow-wrap:anywhere}
table.checks{border-collapse:collapse;width:100%;margin:.3rem 0;font-size:.9em}
.checks th{text-align:left;font-weight:600;color:var(--muted);border-bottom:1px solid var(--line);padding:.2rem .5rem}
.checks td{border-bottom:1px solid var(--line);padding:.25rem .5rem;vertical-align:top;overflow-wrap:break-word;word-break:break-word}
.checks td:first-child{width:22%}.checks td:nth-child(2){width:27%}.checks td.res{width:6.5rem;white-space:nowrap}
.checks tr.broken{background:var(--ob)}
.checks tr.broken td.res{color:var(--oc);font-weight:700}
.checks tr.held td.res{color:var(--pass)}
details.exchange{margin:.35rem 0;border:1px solid var(--line);border-radius:6px;background:var(--card)}
details.exchange>summary{padding:.3rem .6rem;cursor:pointer;overflow-wrap:anywhere}
details.exchange>summary::before,details.replay>summary::before,details.more>summary::before{content:"▸ ";color:var(--muted)}
details.exchange[open]>summary::before,details.replay[open]>summary::before,details.more[open]>summary::before{content:"▾ "}
details.more{margin:.35rem 0}details.more>summary{cursor:pointer;color:var(--muted);padding:.2rem .6rem}
details.more[open]{padding-left:.8rem;border-left:2px dotted var(--line)}
.status{font:700 .9em var(--mono)}
.transport{color:var(--error);font-weight:600}
.ex{display:grid;grid-template-columns:repeat(auto-fit,minmax(24rem,1fr));gap:.6rem;padding:0 .6rem .6rem}
.ex section{min-width:0}
pre{margin:0;padding:.5rem .7rem;background:var(--code);border:1px solid var(--line);border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere;max-height:26rem;overflow:auto;line-height:1.45}
.hn{font-weight:700}
details.replay{margin-top:.6rem}
details.replay>summary{cursor:pointer;font-weight:600}
.tools{display:flex;gap:.8rem;align-items:center;margin:.4rem 0;font-size:.88em}
footer{margin-top:2rem;color:var(--muted);font-size:.85em}
@media (max-width:760px){details.case>summary{grid-template-columns:.8rem 4.2rem 1fr}details.case>summary .title,details.case>summary .covers,details.case>summary .dur,summary .reason,summary .known-note{grid-column:3}.covers{justify-content:flex-start}}
@media print{.controls{display:none}details.case>summary{background:none}}
"#;

/// The page's only script. It reads `data-*` attributes and form controls,
/// and writes with `textContent`, `hidden`, `open` and `setAttribute` only:
/// no report data is inside it, and it never builds markup from strings.
const JS: &str = r#"
(function () {
  "use strict";
  var doc = document;
  var list = doc.getElementById("cases");
  var controls = doc.getElementById("controls");
  var search = doc.getElementById("q");
  var order = doc.getElementById("order");
  var shown = doc.getElementById("shown");
  var empty = doc.getElementById("empty");
  var rows = Array.prototype.slice.call(list.querySelectorAll("details.case"));
  function boxes(group) {
    return Array.prototype.slice.call(controls.querySelectorAll("input[name=\"" + group + "\"]"));
  }
  var outcomes = boxes("outcome");
  var areas = boxes("area");
  function picked(inputs) {
    var s = new Set();
    inputs.forEach(function (b) { if (b.checked) { s.add(b.value); } });
    return s;
  }
  function apply() {
    var o = picked(outcomes), a = picked(areas);
    var q = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (r) {
      var ok = o.has(r.dataset.outcome) && a.has(r.dataset.area) &&
        (q === "" || r.dataset.search.indexOf(q) !== -1);
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = "Showing " + n + " of " + rows.length + " cases";
    empty.hidden = n !== 0;
  }
  function sort() {
    var plan = order.value === "plan";
    rows.slice().sort(function (x, y) {
      var d = plan ? 0 : Number(x.dataset.rank) - Number(y.dataset.rank);
      return d || Number(x.dataset.index) - Number(y.dataset.index);
    }).forEach(function (r) { list.appendChild(r); });
  }
  controls.addEventListener("change", function (e) {
    if (e.target === order) { sort(); } else { apply(); }
  });
  search.addEventListener("input", apply);
  Array.prototype.forEach.call(controls.querySelectorAll("button[data-group]"), function (b) {
    b.addEventListener("click", function () {
      var on = b.getAttribute("data-check") === "all";
      boxes(b.getAttribute("data-group")).forEach(function (x) { x.checked = on; });
      apply();
    });
  });
  doc.getElementById("reset").addEventListener("click", function () {
    outcomes.concat(areas).forEach(function (b) { b.checked = true; });
    search.value = "";
    apply();
  });
  doc.getElementById("expand").addEventListener("click", function () {
    rows.forEach(function (r) { if (!r.hidden) { r.open = true; } });
  });
  doc.getElementById("collapse").addEventListener("click", function () {
    rows.forEach(function (r) { r.open = false; });
  });
  function said(b, text) {
    b.textContent = text;
    setTimeout(function () { b.textContent = "Copy"; }, 1600);
  }
  function copy(b) {
    var pre = b.closest("details").querySelector("pre");
    var text = pre.textContent;
    function select() {
      var range = doc.createRange();
      range.selectNodeContents(pre);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      var ok = false;
      try { ok = doc.execCommand("copy"); } catch (err) { ok = false; }
      said(b, ok ? "Copied" : "Selected: press Ctrl+C");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { said(b, "Copied"); }, select);
    } else {
      select();
    }
  }
  list.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button.copy") : null;
    if (b) { copy(b); }
  });
  Array.prototype.forEach.call(list.querySelectorAll("button.copy"), function (b) { b.hidden = false; });
  function reveal(scroll) {
    var id = decodeURIComponent(location.hash.slice(1));
    var t = id ? doc.getElementById(id) : null;
    if (t && t.tagName === "DETAILS") {
      t.hidden = false;
      t.open = true;
      if (scroll) { t.scrollIntoView(); }
    }
  }
  window.addEventListener("hashchange", function () { reveal(true); });
  controls.hidden = false;
  apply();
  reveal(false);
  doc.body.setAttribute("data-js", "ready");
}());
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{HttpRequest, HttpResponse, Summary, Target, TransportError};
    use scraper::{Html, Selector};

    const XSS: &str = "<script>alert(1)</script>";
    const ATTR: &str = "\"><img src=x onerror=alert(2)>";
    const CLOSE: &str = "</script><script>alert(3)</script>";
    const SQ: &str = "' onmouseover='alert(4)";

    fn hostile() -> String {
        format!("{XSS} {ATTR} {CLOSE} {SQ} https://evil.example/x.js")
    }

    fn case(id: &str, outcome: Outcome, area: &str) -> CaseResult {
        CaseResult {
            id: id.into(),
            scenario: id.into(),
            case: None,
            title: format!("title of {id}"),
            area: area.into(),
            level: "must".into(),
            covers: vec!["CODE-01".into()],
            not_covered: vec![],
            spec: vec!["RFC6749 4.1.2".into()],
            tags: vec![],
            outcome,
            reason: (outcome != Outcome::Pass).then(|| format!("reason of {id}")),
            duration_ms: 3,
            steps: vec![],
            source: format!("suites/{area}/x.toml"),
            known: None,
        }
    }

    fn report(cases: Vec<CaseResult>) -> RunReport {
        RunReport {
            schema: crate::report::model::SCHEMA.into(),
            tool_version: "0.1.0".into(),
            target: Target {
                profile: "reference".into(),
                issuer: "reference-issuer".into(),
                reference: true,
                faults: vec!["code_reusable".into()],
                dialect: None,
            },
            duration_ms: 1234,
            summary: Summary::of(&cases),
            cases,
            replay_vars: Default::default(),
            baseline: None,
        }
    }

    /// A report where every string field carries hostile markup.
    fn hostile_report() -> RunReport {
        let h = hostile();
        let ex = Exchange {
            request: HttpRequest {
                method: "POST".into(),
                url: format!("http://127.0.0.1:1/token?x={h}"),
                headers: vec![(format!("X-{h}"), h.clone())],
                body: Some(format!("code=[redacted code #0a0b0c]&q={h}")),
            },
            response: Some(HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), format!("text/html; {h}"))],
                body: format!("<html><body>{h}<a href=\"https://evil.example/\">x</a><img src=\"https://evil.example/p.png\"></body></html>"),
                truncated: true,
            }),
            error: Some((TransportError::Other, h.clone())),
            elapsed_ms: 7,
        };
        let step = StepResult {
            name: h.clone(),
            action: h.clone(),
            level: h.clone(),
            outcome: Outcome::Fail,
            summary: h.clone(),
            checks: vec![
                Check::new(h.clone(), h.clone(), h.clone(), false),
                Check::new("status", "400", "400", true),
            ],
            error: Some(h.clone()),
            exchanges: vec![ex],
            not_run: Some(h.clone()),
        };
        let mut c = case("code.reuse", Outcome::Fail, "code");
        c.id = format!("code.reuse[{h}]");
        c.case = Some(h.clone());
        c.title = h.clone();
        c.area = h.clone();
        c.covers = vec![h.clone()];
        c.spec = vec![h.clone()];
        c.tags = vec![h.clone()];
        c.reason = Some(h.clone());
        c.source = h.clone();
        c.steps = vec![step];
        let mut r = report(vec![c, case("pkce.plain", Outcome::Pass, "pkce")]);
        r.tool_version = h.clone();
        r.target.profile = h.clone();
        r.target.issuer = h.clone();
        r.target.faults = vec![h.clone()];
        r.schema = h.clone();
        r.replay_vars
            .insert("[redacted code #0a0b0c]".into(), format!("$X{h}"));
        r
    }

    fn sel(s: &str) -> Selector {
        Selector::parse(s).unwrap()
    }

    #[test]
    fn hostile_strings_come_out_escaped() {
        let html = render(&hostile_report());
        // Raw: our own script is the only one, and no markup of the data survives.
        assert_eq!(html.matches("<script").count(), 1, "one script element");
        assert_eq!(html.matches("</script").count(), 1, "one script end");
        assert!(!html.contains("<img"), "no img element");
        assert!(!html.contains("<a "), "no link element");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
        assert!(html.contains("&#39; onmouseover=&#39;alert(4)"));

        // Parsed as a browser would: no element or attribute came from the data.
        let doc = Html::parse_document(&html);
        assert_eq!(doc.select(&sel("script")).count(), 1);
        let script = doc.select(&sel("script")).next().unwrap();
        assert_eq!(
            script.text().collect::<String>(),
            JS,
            "the script holds no report data"
        );
        assert_eq!(doc.select(&sel("style")).count(), 1);
        for bad in [
            "img", "a", "iframe", "object", "embed", "link", "base", "form", "svg",
        ] {
            assert_eq!(doc.select(&sel(bad)).count(), 0, "no <{bad}> element");
        }
        for el in doc.select(&sel("*")) {
            for (name, value) in el.value().attrs() {
                assert!(
                    !name.starts_with("on"),
                    "event handler attribute {name} on <{}>",
                    el.value().name()
                );
                assert!(
                    name != "src" && name != "style",
                    "{name}= on <{}>",
                    el.value().name()
                );
                if name == "href" {
                    assert!(value.starts_with('#'), "href outside the page: {value}");
                }
            }
        }
        // And the text reads back exactly.
        let h = hostile();
        let title = doc.select(&sel("summary .title")).next().unwrap();
        assert_eq!(title.text().collect::<String>(), h);
        let case = doc.select(&sel("details.case")).next().unwrap();
        assert_eq!(case.value().attr("data-area"), Some(h.as_str()));
        let pre = doc.select(&sel("details.exchange pre")).nth(1).unwrap();
        assert!(pre.text().collect::<String>().contains(&format!(
            "<html><body>{h}<a href=\"https://evil.example/\">x</a>"
        )));
        let replay = doc.select(&sel("pre.script")).next().unwrap();
        assert!(replay
            .text()
            .collect::<String>()
            .contains(&format!("$X{h}")));
    }

    #[test]
    fn the_page_loads_nothing_from_outside() {
        // Without URLs in the data, the page has none at all.
        let mut r = report(vec![
            case("code.reuse", Outcome::Fail, "code"),
            case("pkce.plain", Outcome::Pass, "pkce"),
        ]);
        r.target.issuer = "reference".into();
        let html = render(&r);
        for needle in [
            "http://",
            "https://",
            "//",
            "url(",
            "@import",
            "src=",
            "@font-face",
        ] {
            // `//` may not appear even as a protocol-relative reference.
            assert!(
                !html.contains(needle),
                "the page itself contains {needle:?}"
            );
        }
        let doc = Html::parse_document(&html);
        for el in doc.select(&sel("[href]")) {
            assert!(el.value().attr("href").unwrap().starts_with('#'));
        }
    }

    #[test]
    fn the_policy_allows_only_this_files_style_and_script() {
        let html = render(&hostile_report());
        let doc = Html::parse_document(&html);
        let metas: Vec<_> = doc
            .select(&sel("meta[http-equiv]"))
            .map(|m| m.value().attr("content").unwrap().to_string())
            .collect();
        assert_eq!(metas.len(), 1);
        let policy = &metas[0];
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        let style: String = doc.select(&sel("style")).next().unwrap().text().collect();
        let script: String = doc.select(&sel("script")).next().unwrap().text().collect();
        assert!(policy.contains(&format!("style-src '{}'", csp_hash(&style))));
        assert!(policy.contains(&format!("script-src '{}'", csp_hash(&script))));
        // The policy comes before anything it governs.
        assert!(html.find("Content-Security-Policy").unwrap() < html.find("<style>").unwrap());
    }

    #[test]
    fn findings_come_first_and_open_and_controls_wait_for_the_script() {
        let r = report(vec![
            case("a.pass", Outcome::Pass, "a"),
            case("b.skip", Outcome::Skip, "b"),
            case("c.warn", Outcome::Warn, "c"),
            case("d.error", Outcome::Error, "a"),
            case("e.fail", Outcome::Fail, "b"),
            case("f.fail", Outcome::Fail, "c"),
        ]);
        let html = render(&r);
        let doc = Html::parse_document(&html);
        let ids: Vec<String> = doc
            .select(&sel("details.case summary .id"))
            .map(|e| e.text().collect())
            .collect();
        assert_eq!(
            ids,
            ["e.fail", "f.fail", "d.error", "c.warn", "b.skip", "a.pass"]
        );
        let open: Vec<&str> = doc
            .select(&sel("details.case[open]"))
            .map(|e| e.value().attr("data-outcome").unwrap())
            .collect();
        assert_eq!(open, ["fail", "fail", "error"]);
        assert!(doc.select(&sel("#controls[hidden]")).next().is_some());
        assert!(doc.select(&sel("body[data-js=off]")).next().is_some());
        let areas: Vec<&str> = doc
            .select(&sel("input[name=area]"))
            .map(|e| e.value().attr("value").unwrap())
            .collect();
        assert_eq!(areas, ["a", "b", "c"]);
        // Many findings: none is opened.
        let many = report(
            (0..=OPEN_FINDINGS)
                .map(|i| case(&format!("x.{i}"), Outcome::Fail, "x"))
                .collect(),
        );
        assert!(!render(&many).contains(" open>"));
    }

    #[test]
    fn controls_and_bidi_characters_are_shown_not_obeyed() {
        assert_eq!(esc("a\u{1b}[31mb\u{0}"), "a\u{241b}[31mb\u{2400}");
        assert_eq!(esc("x\u{202e}y\u{2066}"), "x[U+202E]y[U+2066]");
        assert_eq!(esc("l1\r\n\tl2"), "l1\r\n\tl2");
        assert_eq!(esc("&<>\"'"), "&amp;&lt;&gt;&quot;&#39;");
    }
}
