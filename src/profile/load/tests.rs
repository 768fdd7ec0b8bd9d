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
        matches!(&e, ProfileError::MissingSecret { var, .. } if var == "T_C1_SECRET"),
        "{e}"
    );
    let e = load_str(
        Path::new("t.toml"),
        MINIMAL,
        &env(&[("T_C1_SECRET", ""), ("T_U1_PASSWORD", "pw")]),
    )
    .unwrap_err();
    assert!(matches!(e, ProfileError::MissingSecret { .. }));
}

#[test]
fn unknown_key_points_at_the_line() {
    let src = MINIMAL.replace("auth_method", "auth_methd");
    let e = load_str(Path::new("t.toml"), &src, &Env::default()).unwrap_err();
    let ProfileError::Invalid(d) = e else {
        panic!("{e}")
    };
    assert_eq!(d.line, 7);
    assert_eq!(d.help.as_deref(), Some("did you mean `auth_method`?"));
}
