//! `grantcheck doctor` and `grantcheck init` as a user runs them, against a
//! reference issuer started here on loopback.

use std::process::Command;

async fn doctor(profile: &str, vars: Vec<(&'static str, String)>) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, profile).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_grantcheck"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .envs(vars)
            .args(["doctor", "--profile"])
            .arg(&path)
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap();
    let code = out.status.code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_a_good_profile_and_names_a_wrong_secret() {
    let (_running, profile, vars) = crate::common::reference_with_profile().await;
    let secret = |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    };
    let c1_secret = secret("GRANTCHECK_REF_C1_SECRET").expect("c1 has a secret");

    let (code, out) = doctor(&profile, vars.clone()).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("c2: accepted") && out.contains("u1 through c1: accepted"),
        "{out}"
    );
    assert!(out.contains("The profile is ready"), "{out}");

    let mut wrong = vars.clone();
    for (k, v) in wrong.iter_mut() {
        if *k == "GRANTCHECK_REF_C2_SECRET" {
            *v = "not-the-secret".into();
        }
    }
    let (code, out) = doctor(&profile, wrong).await;
    assert_eq!(code, 3, "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("c2:") && l.contains("FIX"))
        .unwrap_or_default();
    assert!(
        line.contains("invalid_client") || line.contains("401"),
        "{out}"
    );
    assert!(
        !out.contains("not-the-secret") && !out.contains(&c1_secret),
        "a secret in the output:\n{out}"
    );

    // A p1 with one URI and an n1 that is not loopback: notes, not problems.
    let reshaped = profile
        .replace(
            r#"["https://p1.example/cb", "https://p1.example/cb2"]"#,
            r#"["https://p1.example/cb"]"#,
        )
        .replace(r#"["http://127.0.0.1/cb"]"#, r#"["https://n1.example/cb"]"#);
    let (code, out) = doctor(&reshaped, vars.clone()).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("p1 has 1 redirect URI(s)"), "{out}");
    assert!(
        out.contains("requires uris:p1:2") && out.contains("requires redirect:n1:loopback"),
        "{out}"
    );
}
