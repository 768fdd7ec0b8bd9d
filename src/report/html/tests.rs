//! The HTML report's unit tests: escaping, CSP, structure.

use super::*;
use crate::report::model::{
    Check, Exchange, HttpRequest, HttpResponse, StepResult, Summary, Target, TransportError,
};
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
        halt: None,
        sessions: None,
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
        retried: None,
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
