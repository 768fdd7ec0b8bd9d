//! Helpers shared by the integration tests.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use grantcheck::issuer::Fault;
use grantcheck::report::RunReport;
use grantcheck::run::{self, reference, Selection};
use grantcheck::scenario;

/// Held by the heaviest tests (the oidc-provider peer, the self-test, the
/// browser), which now share one test process: run together on 2 cores they
/// starve each other into timeouts, so they take turns. A tokio mutex, so
/// async tests can hold it across awaits and sync ones can block on it.
pub static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn suites() -> Vec<scenario::Scenario> {
    // cargo runs integration tests from the package root, so the path stays
    // relative, as it is for a user, and reports name `suites/...`.
    scenario::load_dir(Path::new("suites")).expect("the committed suites load")
}

/// Runs the committed suites (or a selection) against the embedded reference issuer.
pub async fn run_reference(only: &[&str], faults: &[Fault]) -> RunReport {
    let scenarios = Arc::new(suites());
    let sel = Selection {
        only: only.iter().map(|s| s.to_string()).collect(),
        tags: vec![],
    };
    let plan = run::select(&scenarios, &sel).expect("selection matches");
    let faults: BTreeSet<Fault> = faults.iter().copied().collect();
    let r = reference::start(&faults)
        .await
        .expect("reference issuer starts");
    // Snapshots hold evidence: with sessions reused, which case logs in
    // would depend on timing. Reuse has its own tests (sessions.rs).
    r.target.sessions.disable();
    let target = Arc::new(r.target);
    run::execute(scenarios, plan, target, 8, |_| {}).await
}

/// insta settings that hide what varies between runs: ports, times,
/// fingerprints, random values, dates.
pub fn stable() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    // Random values first: one that ends in digits and `s` at a line end
    // would otherwise be half-eaten by the timing filter below.
    s.add_filter(r"[A-Za-z0-9_~.-]{40,}", "[random]");
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    s.add_filter(r"127\.0\.0\.1%3A\d+", "127.0.0.1%3A[port]");
    s.add_filter(r"#[0-9a-f]{6}\]", "#[fp]]");
    s.add_filter(r"\d+(\.\d+)?s\n", "[time]s\n");
    s.add_filter(r#""(duration_ms|elapsed_ms)": \d+"#, r#""$1": "[ms]""#);
    s.add_filter(r"\(\d+ ms\)", "([ms] ms)");
    // The reference issuer's signing key (and so its kid) is fresh per process.
    s.add_filter(r"key [0-9a-f]{16}\b", "key [kid]");
    s.add_filter(r#"kid\\?":\\?"[0-9a-f]{16}"#, "kid\":\"[kid]");
    s.add_filter(r#""date",\s*"[^"]+""#, r#""date", "[date]""#);
    // Token ages are whole seconds read against the clock, so a second
    // boundary between issue and check moves them by one.
    s.add_filter(r"\b\d+ s (from now|ago)", "[n] s $1");
    // Unix times (auth_time, iat) and at_hash values (22 base64url
    // characters between escaped quotes) of this run's ID tokens.
    s.add_filter(r"\b1[6-9]\d{8}\b", "[unix time]");
    s.add_filter(
        r#"("what": "id_token at_hash",\s*"expected": )"\\"[A-Za-z0-9_-]+\\""(,\s*"actual": )"\\"[A-Za-z0-9_-]+\\"""#,
        r#"$1"[hash]"$2"[hash]""#,
    );
    s
}

/// Skips that are expected of an issuer without an optional feature: JWT
/// access tokens (opt:jwt-at), refresh tokens from client_credentials (Bud's
/// documented deviation), a resource API in the profile, `state` required
/// (Busha), a registered but unapproved client d1, an https issuer (the
/// transport rows; `run --tls` and the self-test serve the reference over TLS). The dialect
/// emulations run those scenarios (tests/integration/seed_emulation.rs).
#[allow(dead_code)]
pub fn optional_feature_skip(reason: Option<&str>) -> bool {
    let r = reason.unwrap_or("");
    [
        "requires jwt_access_tokens:",
        "requires grant:s1:refresh_token:",
        "requires api:",
        "requires policy:state_required:",
        "requires client:d1:",
        "requires policy:pkce_optional:",
        "requires !iss:",
        "requires slow:",
        "requires https:",
    ]
    .iter()
    .any(|p| r.starts_with(p))
}

/// The conformant reference issuer on a loopback port of its own, with the
/// built-in reference profile pointed at it (to edit before loading) and the
/// environment variables that profile reads.
pub async fn reference_with_profile() -> (
    grantcheck::issuer::RunningIssuer,
    String,
    Vec<(&'static str, String)>,
) {
    use grantcheck::issuer::{self, IssuerConfig, ReferenceSecrets};
    let secrets = ReferenceSecrets::random();
    let running = issuer::start(
        IssuerConfig::reference(&secrets),
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .expect("the reference issuer starts");
    let profile = reference::PROFILE.replace("http://127.0.0.1:8787", &running.base_url);
    (running, profile, reference::env_vars(&secrets))
}

/// A finished command's exit code, stdout and stderr.
pub fn output(c: &mut std::process::Command) -> (i32, String, String) {
    let o = c.output().expect("the binary runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `grantcheck issuer` as another process on a free port (with `args`):
/// the process, its origin, and its `export` lines' variables. Kill it when done.
pub fn issuer_process(args: &[&str]) -> (std::process::Child, String, Vec<(String, String)>) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_grantcheck"))
        .args(["issuer", "--port", "0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the issuer starts");
    let (mut origin, mut env) = (String::new(), Vec::new());
    for line in std::io::BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line.expect("a line");
        if let Some(u) = line.split("listening on ").nth(1) {
            origin = u.trim().to_string();
        }
        if let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
            env.push((k.to_string(), v.trim_matches('\'').to_string()));
        }
        if line.starts_with("then:") {
            break;
        }
    }
    assert!(origin.starts_with("http://127.0.0.1:"), "no origin printed");
    (child, origin, env)
}
