//! One case of the HTML report: its summary line, facts, steps, checks and
//! exchanges (folded as the terminal cannot).

use std::fmt::Write as _;

use super::{badge, dur, esc, is_known, plural, rank, OPEN_EXCHANGES, URL_PREVIEW};
use crate::report::model::{CaseResult, Check, Exchange, Outcome, RunReport, StepResult};
use crate::report::replay;

pub(super) fn case(out: &mut String, report: &RunReport, index: usize, c: &CaseResult, open: bool) {
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
            "<details class=\"replay\"><summary>replay script <span class=\"muted\">({})</span></summary>\
             <div class=\"tools\"><button type=\"button\" class=\"copy\" hidden>Copy</button>\
             <span class=\"muted\">bash + curl; secrets are the profile's variables, never values; exit 1 when the finding reproduces.</span></div>\
             <pre class=\"script\">{}</pre></details>",
            plural(exchanges, "request", "requests"),
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
