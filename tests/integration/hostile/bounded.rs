//! The run is bounded and always reports (issue 14): the binary against an
//! issuer that never answers, or whose discovery is garbage, ends within
//! its deadline, exits with the documented code, and writes every
//! requested report naming the cause.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::raw::{self, RawIssuer, Reply};

/// The longest any run here may take before the test calls it a hang.
const WALL: Duration = Duration::from_secs(60);

/// Every report format, and the file each goes to.
pub const REPORTS: &[(&str, &str)] = &[
    ("json", "r.json"),
    ("junit", "r.xml"),
    ("sarif", "r.sarif"),
    ("markdown", "r.md"),
    ("html", "r.html"),
    ("jsonl", "r.jsonl"),
];

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    pub dir: tempfile::TempDir,
}

impl Ran {
    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}\nstderr:\n{}", self.stderr))
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.file("r.json")).unwrap()
    }

    /// Every artifact the run left: stdout, stderr and each report.
    pub fn artifacts(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("stdout".to_string(), self.stdout.clone()),
            ("stderr".to_string(), self.stderr.clone()),
        ];
        for (_, f) in REPORTS {
            out.push((f.to_string(), self.file(f)));
        }
        out
    }
}

/// Runs `grantcheck run` with `profile`, the one scenario `scenario`,
/// every report format and `extra` arguments; `signal` sends that signal
/// (`TERM`, `INT`) after that long. The binary runs on a blocking thread so that an issuer in
/// this test's runtime keeps serving it.
pub async fn grantcheck(
    profile: &str,
    scenario: &str,
    extra: &[&str],
    signal: Option<(Duration, &'static str)>,
) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("suites/hostile")).unwrap();
    std::fs::write(dir.path().join("suites/hostile/case.toml"), scenario).unwrap();
    std::fs::write(dir.path().join("p.toml"), profile).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_grantcheck"));
    c.current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("HOSTILE_S1_SECRET", super::SECRET)
        .args([
            "run",
            "--color",
            "never",
            "--profile",
            "p.toml",
            "--suites",
            "suites",
        ])
        .args(extra);
    for (format, file) in REPORTS {
        c.arg("--report").arg(format!("{format}={file}"));
    }
    c.stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.path().join("stdout")).unwrap())
        .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap());
    let start = Instant::now();
    let code = tokio::task::spawn_blocking(move || wait_bounded(c, signal))
        .await
        .unwrap();
    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap_or_default();
    Ran {
        code,
        stdout: read("stdout"),
        stderr: read("stderr"),
        elapsed: start.elapsed(),
        dir,
    }
}

fn wait_bounded(mut c: Command, signal: Option<(Duration, &str)>) -> i32 {
    let mut child = c.spawn().unwrap();
    let start = Instant::now();
    let mut signalled = false;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if let Some((_, name)) = signal.filter(|(d, _)| start.elapsed() >= *d && !signalled) {
            signalled = true;
            let _ = Command::new("kill")
                .args([format!("-{name}"), child.id().to_string()])
                .status();
        }
        if start.elapsed() > WALL {
            let _ = child.kill();
            panic!("grantcheck did not end within {WALL:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The hostile profile, with a long per-request timeout: only the run
/// deadline can end a hang.
pub fn patient_profile(issuer: &str) -> String {
    super::profile_text(issuer).replace("timeout_ms = 700", "timeout_ms = 60000")
}

/// The JSON report of a halted run is still a valid `grantcheck-report/1`.
fn assert_valid_json(ran: &Ran) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/reports/schema.json"))
        .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let report = ran.json();
    let errors: Vec<String> = v.iter_errors(&report).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn assert_every_report_names(ran: &Ran, cause: &str) {
    assert_valid_json(ran);
    for (_, file) in REPORTS {
        let text = ran.file(file);
        assert!(
            text.contains(cause),
            "{file} does not name `{cause}`:\n{}",
            &text[..text.len().min(3000)]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issuer_that_never_answers_is_cut_at_the_run_deadline() {
    let silent = RawIssuer::start(|_| Reply::Hang).await;
    let ran = grantcheck(
        &patient_profile(&silent.url),
        super::SCENARIO,
        &["--deadline", "2"],
        None,
    )
    .await;
    assert!(
        ran.elapsed < Duration::from_secs(20),
        "took {:?}",
        ran.elapsed
    );
    assert_eq!(
        ran.code, 3,
        "stdout:\n{}\nstderr:\n{}",
        ran.stdout, ran.stderr
    );
    let r = ran.json();
    assert_eq!(r["halt"]["cause"], "deadline", "{r:#}");
    assert_eq!(r["verdict"]["exit_code"], 3);
    assert_every_report_names(&ran, "the run deadline of 2 s passed");
    assert!(
        ran.stdout
            .contains("Stopped: interrupted: the run deadline of 2 s passed"),
        "{}",
        ran.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_endpoint_that_never_answers_is_interrupted_with_its_request_as_evidence() {
    let issuer = raw::issuer(|_| Reply::Hang).await;
    let ran = grantcheck(
        &patient_profile(&issuer.url),
        super::SCENARIO,
        &["--deadline", "3"],
        None,
    )
    .await;
    assert!(
        ran.elapsed < Duration::from_secs(20),
        "took {:?}",
        ran.elapsed
    );
    assert_eq!(ran.code, 3, "stderr:\n{}", ran.stderr);
    let r = ran.json();
    let case = &r["cases"][0];
    assert_eq!(case["outcome"], "error");
    assert_eq!(
        case["reason"],
        "interrupted: the run deadline of 3 s passed"
    );
    let ex = &case["steps"][0]["exchanges"][0];
    assert!(
        ex["request"]["url"].as_str().unwrap().ends_with("/token"),
        "{case:#}"
    );
    assert_eq!(ex["error"][1], "no answer before the case stopped");
    let auth = ex["request"]["headers"].to_string();
    assert!(auth.contains("[redacted credentials #"), "{auth}");
    no_secret_in(&ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sigterm_interrupt_the_run_and_every_report_is_written() {
    let issuer = raw::issuer(|_| Reply::Hang).await;
    for (name, reason) in [
        ("TERM", "interrupted by SIGTERM"),
        ("INT", "interrupted by SIGINT"),
    ] {
        let signal = Some((Duration::from_secs(2), name));
        let ran = grantcheck(&patient_profile(&issuer.url), super::SCENARIO, &[], signal).await;
        assert!(
            ran.elapsed < Duration::from_secs(20),
            "took {:?}",
            ran.elapsed
        );
        assert_eq!(ran.code, 3, "stderr:\n{}", ran.stderr);
        assert_eq!(ran.json()["halt"]["cause"], "signal");
        assert_every_report_names(&ran, reason);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_discovery_still_writes_every_report() {
    let issuer = RawIssuer::start(|_| {
        Reply::Bytes(raw::http(
            200,
            &[("Content-Type", "application/json")],
            b"{{{ not json \xff",
        ))
    })
    .await;
    let ran = grantcheck(
        &super::profile_text(&issuer.url),
        super::SCENARIO,
        &[],
        None,
    )
    .await;
    assert_eq!(
        ran.code, 3,
        "stdout:\n{}\nstderr:\n{}",
        ran.stdout, ran.stderr
    );
    assert!(
        ran.stderr.contains("is unusable") && ran.stderr.contains("hint:"),
        "{}",
        ran.stderr
    );
    let r = ran.json();
    assert_eq!(r["halt"]["cause"], "setup");
    // The discovery exchange is the evidence, in the JSON and on the terminal.
    assert_eq!(r["halt"]["exchanges"][0]["response"]["status"], 200);
    assert!(ran.stdout.contains("< {{{ not json"), "{}", ran.stdout);
    assert_eq!(r["cases"][0]["outcome"], "error");
    assert_every_report_names(
        &ran,
        "the run stopped before any case: the discovery document",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_discovery_500_still_writes_every_report() {
    let issuer = RawIssuer::start(|_| Reply::Bytes(raw::http(500, &[], b"upstream down"))).await;
    let ran = grantcheck(
        &super::profile_text(&issuer.url),
        super::SCENARIO,
        &[],
        None,
    )
    .await;
    assert_eq!(ran.code, 3, "stderr:\n{}", ran.stderr);
    let reason = ran.json()["halt"]["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("500"), "{reason}");
    assert_every_report_names(&ran, "the run stopped before any case");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_issuer_still_writes_every_report() {
    // Bound, then closed: nothing listens on the port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ran = grantcheck(
        &super::profile_text(&format!("http://127.0.0.1:{port}")),
        super::SCENARIO,
        &[],
        None,
    )
    .await;
    assert_eq!(ran.code, 3, "stderr:\n{}", ran.stderr);
    assert!(ran.stderr.contains("cannot reach"), "{}", ran.stderr);
    assert_every_report_names(&ran, "cannot reach the issuer");
}

/// The event stream has a start line, one line per case exactly as the
/// JSON report holds it, and an end line with the verdict.
#[tokio::test(flavor = "multi_thread")]
async fn the_event_stream_has_every_case_as_the_json_report_does() {
    let issuer = raw::issuer(|_| {
        Reply::Bytes(raw::json(
            200,
            &serde_json::json!({"access_token": "tok-abcdefgh12345", "token_type": "Bearer"}),
        ))
    })
    .await;
    let ran = grantcheck(
        &super::profile_text(&issuer.url),
        super::SCENARIO,
        &[],
        None,
    )
    .await;
    assert_eq!(ran.code, 0, "stderr:\n{}", ran.stderr);
    let lines: Vec<Value> = ran
        .file("r.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert_eq!(lines[0]["event"], "start");
    assert_eq!(lines[0]["planned"], 1);
    assert_eq!(lines[1]["case"], ran.json()["cases"][0]);
    assert_eq!(lines[2]["event"], "end");
    assert_eq!(lines[2]["verdict"], ran.json()["verdict"]);
    no_secret_in(&ran);
    assert!(!ran.file("r.jsonl").contains("tok-abcdefgh12345"));
}

/// No artifact holds the client secret in any encoding.
pub fn no_secret_in(ran: &Ran) {
    let forms = grantcheck::report::redact::encodings(super::SECRET);
    let mut basic = grantcheck::report::redact::encodings(&format!("s1:{}", super::SECRET));
    basic.retain(|f| f.len() >= 8);
    for (name, text) in ran.artifacts() {
        for f in forms.iter().chain(&basic) {
            assert!(!text.contains(f.as_str()), "{name} holds `{f}`:\n{text}");
        }
    }
}

/// A usage error in the profile sends nothing and writes no report, not
/// even the start of the event stream.
#[tokio::test(flavor = "multi_thread")]
async fn a_usage_error_writes_no_report() {
    let profile = super::profile_text("http://127.0.0.1:9")
        .replace("HOSTILE_S1_SECRET", "HOSTILE_SURELY_UNSET");
    let ran = grantcheck(&profile, super::SCENARIO, &[], None).await;
    assert_eq!(ran.code, 2, "stderr:\n{}", ran.stderr);
    for (_, file) in REPORTS {
        assert!(!ran.dir.path().join(file).exists(), "{file} was written");
    }
}
