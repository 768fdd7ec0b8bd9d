//! A replay that replays (issue 17): for a sample of faults, the script
//! `run --replay-dir` writes, run with bash against a freshly started
//! reference issuer (another process, another port, other secrets),
//! reproduces the finding with the fault and not without it.

use std::process::{Child, Command};

fn grantcheck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_grantcheck"));
    c.env("NO_COLOR", "1");
    c
}

/// `grantcheck issuer` on a free port: the process, its origin and the
/// `export` lines' variables.
struct Issuer {
    child: Child,
    origin: String,
    env: Vec<(String, String)>,
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn issuer(fault: Option<&str>) -> Issuer {
    let args: Vec<&str> = fault.map(|f| vec!["--fault", f]).unwrap_or_default();
    let (child, origin, env) = crate::common::issuer_process(&args);
    Issuer { child, origin, env }
}

/// The replay script of `case` from a run against the reference with `fault`.
fn replay_of(fault: &str, only: &str, case: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = grantcheck()
        .args([
            "run",
            "-q",
            "--reference-fault",
            fault,
            "--only",
            only,
            "--replay-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let path = dir.path().join(format!("{case}.sh"));
    assert!(path.exists(), "no script for {case}");
    (dir, path)
}

fn replay(script: &std::path::Path, target: &Issuer) -> (i32, String) {
    let out = Command::new("bash")
        .arg(script)
        .env("ISSUER_ORIGIN", &target.origin)
        .envs(target.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn replay_scripts_reproduce_findings_and_only_them() {
    if Command::new("curl").arg("--version").output().is_err() {
        panic!("curl is needed (Debian: apt-get install curl; tests/run.sh installs it)");
    }
    let sample = [
        ("code_reusable", "code.reuse", "code.reuse"),
        (
            "pkce_allow_plain",
            "pkce.plain-refused",
            "pkce.plain-refused",
        ),
        (
            "redirect_prefix_match",
            "redirect.adversarial-variants[adv-01-path-appended]",
            "redirect.adversarial-variants_adv-01-path-appended_",
        ),
        ("code_reusable", "code.race", "code.race"),
        // Only a race finds this one: the replay must send concurrently.
        ("code_race", "code.race", "code.race"),
        (
            "no_rt_rotation",
            "refresh.replay-rejected",
            "refresh.replay-rejected",
        ),
    ];
    let conformant = issuer(None);
    for (fault, only, case) in sample {
        let (_dir, script) = replay_of(fault, only, case);
        let text = std::fs::read_to_string(&script).unwrap();
        assert!(!text.contains("base64 -w0"), "portable base64 only");
        let faulty = issuer(Some(fault));
        let (code, out) = replay(&script, &faulty);
        assert_eq!(code, 1, "{case} against {fault}: {out}\n{text}");
        assert!(out.contains("REPRODUCED"), "{out}");
        let (code, out) = replay(&script, &conformant);
        assert_eq!(
            code, 0,
            "{case} against the conformant reference: {out}\n{text}"
        );
        assert!(out.contains("NOT REPRODUCED"), "{out}");
    }
}
