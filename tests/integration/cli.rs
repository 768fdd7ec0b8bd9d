//! The binary as a user runs it: exit codes, messages, and the documented
//! failure paths.

use std::process::Command;

fn grantcheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_grantcheck"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    c
}

/// A file `name` holding `text` in a fresh temporary directory (kept alive by the guard).
fn temp_file(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

use crate::common::output;

#[test]
fn default_run_passes_and_exits_0() {
    let (code, out, err) = output(grantcheck().arg("run"));
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    // The 16 skips: 7 options the standard reference does not have (JWT
    // access tokens, refresh tokens from client_credentials, an issuer that
    // does not advertise iss...), which the dialect emulations and the
    // reference's options run (tests/integration/seed_emulation.rs,
    // shapes.rs), and the 9 transport cases, which need an https issuer
    // (`run --tls`, tests/integration/tls.rs).
    assert!(out.contains("0 fail, 0 warn, 16 skip, 0 error"), "{out}");
}

#[test]
fn a_broken_scenario_exits_2_with_file_line_col() {
    let (dir, _) = temp_file("bad.toml", "id = \"x.bad\"\ntitle = \"t\"\ndescription = \"d\"\ncovers = [\"PKCE-01\"]\n\n[[step]]\nauthorize = {}\nexpct = { status = 200 }\n");
    let (code, _, err) = output(grantcheck().args(["run", "--suites"]).arg(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.toml:8:1"), "{err}");
    assert!(
        err.contains("unknown key `expct`") && err.contains("did you mean `expect`?"),
        "{err}"
    );
}

#[test]
fn bad_templates_and_ids_are_reported_together() {
    let (dir, _) = temp_file("bad.toml", "id = \"x.bad\"\ntitle = \"t\"\ndescription = \"d\"\ncovers = [\"PKCE-5\"]\n\n[[step]]\nname = \"login\"\nauthorize = {}\nexpect.callback = \"code\"\n\n[[step]]\ntoken = { code = \"{{ logn.code }}\" }\nexpect.status = 200\n");
    let (code, _, err) = output(grantcheck().args(["list", "--suites"]).arg(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("unknown requirement id `PKCE-5`") && err.contains("bad.toml:4:11"),
        "{err}"
    );
    assert!(
        err.contains("no earlier step is called `logn`") && err.contains("did you mean `login`?"),
        "{err}"
    );
}

#[test]
fn an_unreachable_issuer_exits_3() {
    // Port 9 (discard) is closed on loopback here; nothing listens.
    let (_dir, profile) = temp_file("closed.toml", "name = \"closed\"\nissuer = \"http://127.0.0.1:9\"\n[clients.c1]\nclient_id = \"c1\"\nauth_method = \"none\"\n");
    let (code, out, err) = output(grantcheck().args(["run", "--profile"]).arg(&profile));
    assert_eq!(code, 3, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        err.contains("cannot reach the issuer's discovery document"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn a_missing_secret_variable_exits_2() {
    let (_dir, profile) = temp_file("p.toml", "name = \"p\"\nissuer = \"http://127.0.0.1:9\"\n[clients.c1]\nclient_id = \"c1\"\nsecret_env = \"GRANTCHECK_TEST_SURELY_UNSET\"\nauth_method = \"client_secret_basic\"\n");
    let (code, _, err) = output(
        grantcheck()
            .args(["run", "--profile"])
            .arg(&profile)
            .env_remove("GRANTCHECK_TEST_SURELY_UNSET"),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("GRANTCHECK_TEST_SURELY_UNSET is not set"),
        "{err}"
    );
}

#[test]
fn a_fault_fails_the_run_with_exit_1_and_evidence() {
    let (code, out, _) = output(grantcheck().args([
        "run",
        "--only",
        "pkce.plain-refused",
        "--reference-fault",
        "pkce_allow_plain",
    ]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  pkce.plain-refused"), "{out}");
    assert!(out.contains("expected error, got code"), "{out}");
    assert!(
        out.contains("> GET http://127.0.0.1:"),
        "evidence is printed:\n{out}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = output(grantcheck().args(["run", "--reference-fault", "pkce_alow_plain"]));
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `pkce_allow_plain`?"), "{err}");
    let (code, _, err) = output(grantcheck().args(["run", "--only", "nothing.matches.this"]));
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = output(grantcheck().args(["frobnicate"]));
    assert_eq!(code, 2);
}

#[test]
fn list_coverage_and_explain() {
    let (code, out, _) = output(grantcheck().args(["list", "--coverage"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("PKCE-05") && out.contains("pkce.plain-refused"),
        "{out}"
    );
    assert!(out.contains("requirement rows covered"), "{out}");
    let (code, out, _) = output(grantcheck().args(["explain", "code.reuse"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("CODE-01") && out.contains("expect error code = invalid_grant"),
        "{out}"
    );
    let (code, _, err) = output(grantcheck().args(["explain", "code.reuze"]));
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `code.reuse`?"), "{err}");
}

#[test]
fn a_baseline_hides_exactly_its_case_and_reports_stale_entries() {
    let run = |extra: &[&str]| {
        let mut c = grantcheck();
        c.args([
            "run",
            "--reference-fault",
            "code_reusable",
            "--only",
            "code.reuse",
            "--only",
            "code.race",
            "--only",
            "pkce.plain-refused",
        ]);
        c.args(extra);
        output(&mut c)
    };
    let (code, out, _) = run(&[]);
    assert_eq!(code, 1, "{out}");
    let (_dir, path) = temp_file(
        "baseline.toml",
        "[[known]]\ncase = \"code.reuse\"\nreason = \"accepted for this test\"\n\n[[known]]\ncase = \"pkce.plain-refused\"\nreason = \"fixed since\"\n",
    );
    let (code, out, _) = run(&["--baseline", path.to_str().unwrap()]);
    // code.race still fails: the baseline hides only its own case.
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("known deviation (baseline): accepted for this test"),
        "{out}"
    );
    assert!(
        out.contains("stale: pkce.plain-refused (passes now)"),
        "{out}"
    );
    assert!(out.contains("2 fail (1 known)"), "{out}");

    let (_dir2, path2) = temp_file(
        "baseline.toml",
        "[[known]]\ncase = \"code.reuse\"\nreason = \"a\"\n[[known]]\ncase = \"code.race\"\nreason = \"b\"\n",
    );
    let (code, out, _) = run(&["--baseline", path2.to_str().unwrap()]);
    assert_eq!(code, 0, "every failure is a known deviation:\n{out}");
    assert!(
        out.contains("FAIL"),
        "known deviations stay visible:\n{out}"
    );
}

#[test]
fn a_written_baseline_makes_the_next_run_pass() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.toml");
    let (code, _, err) = output(
        grantcheck()
            .args([
                "run",
                "-q",
                "--reference-fault",
                "no_pragma",
                "--only",
                "headers.*",
                "--write-baseline",
            ])
            .arg(&path),
    );
    assert_eq!(code, 1);
    assert!(err.contains("wrote a baseline of 2 case(s)"), "{err}");
    let (code, out, _) = output(
        grantcheck()
            .args([
                "run",
                "-q",
                "--reference-fault",
                "no_pragma",
                "--only",
                "headers.*",
                "--baseline",
            ])
            .arg(&path),
    );
    assert_eq!(code, 0, "{out}");
}

#[test]
fn report_formats_are_written_where_asked_and_bad_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("r.json");
    let m = dir.path().join("s.md");
    let (code, _, err) = output(
        grantcheck()
            .args(["run", "-q", "--only", "pkce.*"])
            .arg("--report")
            .arg(format!("json={}", j.display()))
            .arg("--report")
            .arg(format!("md={}", m.display())),
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&j).unwrap()).unwrap();
    assert_eq!(v["schema"], "grantcheck-report/1");
    assert!(m.exists());
    let (code, _, err) = output(grantcheck().args(["run", "--report", "pdf=x.pdf"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown report format `pdf`"), "{err}");
}

#[test]
fn github_annotations_only_under_github_actions() {
    let (_, out, _) = output(
        grantcheck()
            .args([
                "run",
                "-q",
                "--reference-fault",
                "no_pragma",
                "--only",
                "headers.token-pragma",
            ])
            .env("GITHUB_ACTIONS", "true"),
    );
    assert!(out.contains("::error file=suites/headers/token-pragma.toml,title=grantcheck fail headers.token-pragma (HDR-02)::"), "{out}");
    let (_, out, _) = output(
        grantcheck()
            .args([
                "run",
                "-q",
                "--reference-fault",
                "no_pragma",
                "--only",
                "headers.token-pragma",
            ])
            .env_remove("GITHUB_ACTIONS"),
    );
    assert!(!out.contains("::error"), "{out}");
}

#[test]
fn a_production_profile_needs_an_explicit_flag() {
    let text = std::fs::read_to_string("issuers/reference.toml")
        .unwrap()
        .replace("environment = \"sandbox\"", "environment = \"production\"");
    let (_dir, path) = temp_file("prod.toml", &text);
    let (code, _, err) = output(grantcheck().args(["run", "--profile"]).arg(&path));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a production profile"), "{err}");
    assert!(err.contains("--allow-production"), "{err}");
}

#[test]
fn scopes_that_move_money_are_never_sent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("money.toml"),
        "id = \"guard.money\"\ntitle = \"t\"\ndescription = \"d\"\ncovers = [\"AUTHZ-01\"]\n\n[[step]]\nauthorize = { client = \"c1\", scope = \"openid transfers:write\" }\nexpect.callback = \"code\"\n",
    )
    .unwrap();
    let (code, out, _) = output(grantcheck().args(["run", "--suites"]).arg(dir.path()));
    assert_eq!(code, 3, "the case cannot run: {out}");
    assert!(
        out.contains("not sent: scope `transfers:write` can move money"),
        "{out}"
    );
}

#[test]
fn a_seed_profile_runs_against_its_emulation() {
    let (code, out, err) = output(grantcheck().args([
        "run",
        "--quiet",
        "--profile",
        "issuers/bud-sandbox.toml",
        "--emulate",
        "--baseline",
        "issuers/bud-sandbox.baseline.toml",
    ]));
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("emulating bud"), "{out}");
    assert!(out.contains("1 fail (1 known)"), "{out}");
    // Without the baseline the documented deviation fails the run.
    let (code, _, _) = output(grantcheck().args([
        "run",
        "--quiet",
        "--profile",
        "issuers/bud-sandbox.toml",
        "--emulate",
    ]));
    assert_eq!(code, 1);
}

#[test]
fn emulation_needs_a_dialect_and_faults_need_emulation() {
    let (code, _, err) = output(grantcheck().args([
        "run",
        "--profile",
        "issuers/oidc-provider.toml",
        "--emulate",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no `emulation` key"), "{err}");
    assert!(err.contains("--emulate=DIALECT"), "{err}");
    let (code, _, err) = output(grantcheck().args([
        "run",
        "--profile",
        "issuers/example.toml",
        "--reference-fault",
        "code_reusable",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs --emulate"), "{err}");
    let (code, _, err) =
        output(grantcheck().args(["run", "--profile", "issuers/example.toml", "--emulate=nope"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown dialect `nope`"), "{err}");
}

/// `--report jsonl=-`: stdout carries nothing but the event stream (one JSON
/// object per line), the terminal report goes to stderr; only jsonl may go
/// to stdout.
#[test]
fn the_event_stream_can_own_stdout() {
    let (code, out, err) =
        output(grantcheck().args(["run", "--only", "pkce.*", "--report", "jsonl=-"]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect();
    assert!(lines.len() > 3, "{out}");
    assert!(err.contains("Verdict: passed"), "{err}");
    let (code, _, err) = output(grantcheck().args(["run", "--report", "html=-"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("only the jsonl stream can go to stdout"),
        "{err}"
    );
}
