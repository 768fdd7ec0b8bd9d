//! The profile loader's unit tests.

use super::*;

const MINIMAL: &str = r#"
name = "t"
issuer = "https://issuer.example"
[clients.c1]
client_id = "abc"
secret_env = "T_C1_SECRET"
auth_method = "client_secret_basic"
redirect_uris = ["https://c1.example/cb"]
[users.u1]
username = "alice"
password_env = "T_U1_PASSWORD"
"#;

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::isolated(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

#[test]
fn resolves_secrets() {
    let p = load_str(
        Path::new("t.toml"),
        MINIMAL,
        &env(&[("T_C1_SECRET", "s3"), ("T_U1_PASSWORD", "pw")]),
    )
    .unwrap();
    assert_eq!(p.clients["c1"].secret.as_deref(), Some("s3"));
    assert_eq!(p.users["u1"].password, "pw");
    assert!(p.policy_tags().contains("rfc6749"));
}

#[test]
fn missing_or_empty_secret_is_an_error() {
    let e = load_str(
        Path::new("t.toml"),
        MINIMAL,
        &env(&[("T_U1_PASSWORD", "pw"), ("T_C1_SECRET_X", "")]),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ProfileError::MissingSecrets { missing, .. }
            if missing == &[Missing { what: "secret of client c1".into(), var: "T_C1_SECRET".into(), empty: false }]),
        "{e}"
    );
    assert!(e.to_string().ends_with("T_C1_SECRET is not set"), "{e}");
    let e = load_str(
        Path::new("t.toml"),
        MINIMAL,
        &env(&[("T_C1_SECRET", ""), ("T_U1_PASSWORD", "pw")]),
    )
    .unwrap_err();
    assert!(
        e.to_string().ends_with("T_C1_SECRET is set but empty"),
        "{e}"
    );
}

#[test]
fn unknown_key_points_at_the_line() {
    let src = MINIMAL.replace("auth_method", "auth_methd");
    let e = load_str(Path::new("t.toml"), &src, &Env::default()).unwrap_err();
    let ProfileError::Invalid(ds) = e else {
        panic!("{e}")
    };
    let d = &ds[0];
    assert_eq!(d.line, 7);
    assert_eq!(d.help.as_deref(), Some("did you mean `auth_method`?"));
}

#[test]
fn every_missing_secret_is_named_at_once() {
    let e = load_str(Path::new("t.toml"), MINIMAL, &env(&[])).unwrap_err();
    let ProfileError::MissingSecrets { missing, .. } = &e else {
        panic!("{e}")
    };
    let vars: Vec<&str> = missing.iter().map(|m| m.var.as_str()).collect();
    assert_eq!(vars, ["T_C1_SECRET", "T_U1_PASSWORD"]);
    let hint = e.hint().unwrap();
    assert!(hint.contains("T_C1_SECRET=... T_U1_PASSWORD=..."), "{hint}");
}

#[test]
fn settings_out_of_range_are_refused_all_at_once() {
    for (setting, wrong) in [
        ("rate_limit = nan", "rate_limit = NaN"),
        ("rate_limit = -5.0", "rate_limit = -5"),
        ("rate_limit = inf", "rate_limit = inf"),
        ("rate_limit = 1e-300", "rate_limit = 0.000"),
        ("timeout_ms = 0", "timeout_ms = 0"),
        (
            "timeout_ms = 18446744073709551615",
            "timeout_ms = 18446744073709551615",
        ),
        ("max_redirects = 18446744073709551615", "max_redirects"),
        ("max_body_bytes = 0", "max_body_bytes = 0"),
        ("concurrency = 100000000", "concurrency = 100000000"),
    ] {
        let src = format!("{MINIMAL}\n[http]\n{setting}\n");
        let all = env(&[("T_C1_SECRET", "s"), ("T_U1_PASSWORD", "pw")]);
        let e = load_str(Path::new("t.toml"), &src, &all).unwrap_err();
        assert!(matches!(e, ProfileError::Semantic { .. }), "{setting}: {e}");
        assert!(e.to_string().contains(wrong), "{setting}: {e}");
    }
    let src = format!("{MINIMAL}\n[http]\ntimeout_ms = 0\nconcurrency = 0\n");
    let e = load_str(Path::new("t.toml"), &src, &env(&[])).unwrap_err();
    let ProfileError::Semantic { problems, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(problems.len(), 4, "two settings and two secrets: {e}");
}

#[test]
fn the_issuer_must_be_an_http_url() {
    let all = env(&[("T_C1_SECRET", "s"), ("T_U1_PASSWORD", "pw")]);
    for issuer in ["not a url", "ftp://x.example", "file:///etc/passwd"] {
        let src = MINIMAL.replacen(&issuer_line(), &format!("issuer = \"{issuer}\""), 1);
        let e = load_str(Path::new("t.toml"), &src, &all).unwrap_err();
        assert!(e.to_string().contains("issuer"), "{issuer}: {e}");
    }
}

fn issuer_line() -> String {
    MINIMAL
        .lines()
        .find(|l| l.starts_with("issuer ="))
        .unwrap()
        .to_string()
}

#[test]
fn endpoint_paths_join_the_issuer_without_doubling_its_path() {
    use crate::profile::join_endpoint;
    assert_eq!(
        join_endpoint("https://h.example", "/token"),
        "https://h.example/token"
    );
    assert_eq!(
        join_endpoint("https://h.example/", "/token"),
        "https://h.example/token"
    );
    assert_eq!(
        join_endpoint("http://h:8000/o", "/token/"),
        "http://h:8000/o/token/"
    );
    assert_eq!(
        join_endpoint("http://h:8000/o", "/o/revoke_token/"),
        "http://h:8000/o/revoke_token/"
    );
    assert_eq!(
        join_endpoint("http://h:8000/o", "/oauth/x"),
        "http://h:8000/o/oauth/x"
    );
    assert_eq!(
        join_endpoint("http://h/o", "https://other/x"),
        "https://other/x"
    );
    // Without a leading slash: still a path under the issuer.
    assert_eq!(
        join_endpoint("http://h:8000/o", "introspect"),
        "http://h:8000/o/introspect"
    );
}

#[test]
fn a_misspelt_capability_is_refused_and_a_known_one_forced() {
    let all = env(&[("T_C1_SECRET", "s"), ("T_U1_PASSWORD", "pw")]);
    let src = format!("{MINIMAL}[capabilities]\nintrospecton = false\n");
    let e = load_str(Path::new("t.toml"), &src, &all).unwrap_err();
    assert!(
        e.to_string().contains("`introspecton` is not a capability"),
        "{e}"
    );
    let src = format!("{MINIMAL}[capabilities]\ndeny = false\n");
    let p = load_str(Path::new("t.toml"), &src, &all).unwrap();
    assert_eq!(p.capabilities.get("deny"), Some(&false));
}

#[test]
fn type_errors_in_several_client_tables_are_reported_at_once() {
    let src = format!("{MINIMAL}[clients.c2]\nclient_id = 5\nauth_method = \"none\"\n");
    let src = src.replace(
        "auth_method = \"client_secret_basic\"",
        "auth_method = \"basicc\"",
    );
    let e = load_str(Path::new("t.toml"), &src, &Env::default()).unwrap_err();
    let ProfileError::Invalid(ds) = &e else {
        panic!("{e}")
    };
    assert_eq!(ds.len(), 2, "{e}");
    assert!(
        e.to_string().contains("basicc") && e.to_string().contains("client_id"),
        "{e}"
    );
}
