//! One verdict: for runs ending in each exit code, the terminal, JSON, JUnit,
//! SARIF, Markdown and HTML all say what the exit code says (issue 12).
//! Each run is the real binary against the embedded reference issuer.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// A scenario whose one step gets a 404 from the reference, at `level`: a
/// setup step makes the case an error, a should step a warning.
fn one_step_suite(dir: &Path, level: &str) {
    let file = format!(
        r#"id = "probe.missing-page"
title = "A page that does not exist"
description = "Asks the reference issuer for a page it does not serve."
covers = ["DISC-04"]

[[step]]
level = "{level}"
http = {{ url = "{{{{ issuer.issuer }}}}/no-such-page" }}
expect.status = 200
"#
    );
    std::fs::create_dir_all(dir.join("probe")).unwrap();
    std::fs::write(dir.join("probe/missing-page.toml"), file).unwrap();
}

struct Run {
    code: i32,
    stdout: String,
    dir: tempfile::TempDir,
}

impl Run {
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name))
            .unwrap_or_else(|e| panic!("report {name}: {e}"))
    }
}

fn run(args: &[&str], suites: Option<&Path>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_grantcheck"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(["run", "--color", "never"])
        .args(args);
    if let Some(s) = suites {
        c.arg("--suites").arg(s);
    }
    for (format, file) in [
        ("json", "r.json"),
        ("junit", "r.xml"),
        ("sarif", "r.sarif"),
        ("markdown", "r.md"),
        ("html", "r.html"),
    ] {
        c.arg("--report")
            .arg(format!("{format}={}", dir.path().join(file).display()));
    }
    let o = c.output().expect("the binary runs");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        dir,
    }
}

/// `name="grantcheck.exit_code" value="1"` in the JUnit suite's properties.
fn junit_property(xml: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = xml
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in JUnit"))
        + key.len();
    xml[at..].split('"').next().unwrap().to_string()
}

fn html_attr(html: &str, attr: &str) -> String {
    let key = format!("{attr}=\"");
    let at = html
        .find(&key)
        .unwrap_or_else(|| panic!("no {attr} in HTML"))
        + key.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Every format agrees with the exit code, and with each other.
fn assert_agree(r: &Run, code: i32, result: &str) {
    assert_eq!(r.code, code, "exit code; stdout:\n{}", r.stdout);
    let json: Value = serde_json::from_str(&r.read("r.json")).unwrap();
    let v = &json["verdict"];
    assert_eq!(v["exit_code"], code, "JSON");
    assert_eq!(v["result"], result, "JSON");
    let headline = v["headline"].as_str().unwrap().to_string();

    let xml = r.read("r.xml");
    assert_eq!(
        junit_property(&xml, "grantcheck.exit_code"),
        code.to_string()
    );
    assert_eq!(junit_property(&xml, "grantcheck.verdict"), result);

    let sarif: Value = serde_json::from_str(&r.read("r.sarif")).unwrap();
    let inv = &sarif["runs"][0]["invocations"][0];
    assert_eq!(inv["exitCode"], code, "SARIF");
    assert_eq!(inv["properties"]["verdict"], result, "SARIF");
    assert_eq!(inv["properties"]["headline"], headline.as_str(), "SARIF");

    let md = r.read("r.md");
    let first = md.lines().next().unwrap();
    assert_eq!(first, format!("## grantcheck {headline}"), "Markdown");

    let html = r.read("r.html");
    assert_eq!(html_attr(&html, "data-exit-code"), code.to_string(), "HTML");
    assert_eq!(html_attr(&html, "data-verdict"), result, "HTML");

    let line = format!("Verdict: {headline}");
    assert!(
        r.stdout.lines().any(|l| l == line),
        "terminal lacks `{line}`:\n{}",
        r.stdout
    );
}

#[test]
fn every_format_says_what_the_exit_code_says() {
    let passed = run(&["--only", "code.reuse"], None);
    assert_agree(&passed, 0, "passed");

    let failed = run(
        &["--only", "code.reuse", "--reference-fault", "code_reusable"],
        None,
    );
    assert_agree(&failed, 1, "failed");

    // JWT access tokens are not offered by the standard reference: every
    // case skips, so nothing was checked.
    let nothing = run(&["--only", "jwt-access-token.c*"], None);
    assert_agree(&nothing, 3, "nothing_checked");

    let suites = tempfile::tempdir().unwrap();
    one_step_suite(suites.path(), "setup");
    let errored = run(&[], Some(suites.path()));
    assert_agree(&errored, 3, "incomplete");

    let suites = tempfile::tempdir().unwrap();
    one_step_suite(suites.path(), "should");
    let warned = run(&[], Some(suites.path()));
    assert_agree(&warned, 0, "passed_with_warnings");
}

#[test]
fn steps_after_a_failure_are_listed_as_not_run_and_not_claimed() {
    let r = run(
        &["--only", "code.reuse", "--reference-fault", "code_reusable"],
        None,
    );
    let json: Value = serde_json::from_str(&r.read("r.json")).unwrap();
    let case = &json["cases"][0];
    assert_eq!(case["outcome"], "fail");
    let steps = case["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["login", "first", "second", "first-at-dead", "first-rt-dead"]
    );
    for s in &steps[3..] {
        assert_eq!(s["outcome"], "skip");
        assert_eq!(s["not_run"], "step `second` failed");
        assert!(s["exchanges"].as_array().unwrap().is_empty());
    }
    assert_eq!(case["covers"], serde_json::json!(["CODE-01"]));
    assert_eq!(case["not_covered"], serde_json::json!(["CODE-02"]));

    assert!(
        r.stdout.contains("NOT RUN step `first-rt-dead`"),
        "{}",
        r.stdout
    );
    assert!(r
        .read("r.html")
        .contains(">NOT RUN</span><strong class=\"name\">first-at-dead"));
    assert!(r.read("r.xml").contains("NOT RUN step `first-at-dead`"));
}
