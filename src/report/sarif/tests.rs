//! The SARIF renderer's unit tests.

use super::rules::{pascal, section_title};
use super::*;
use crate::report::junit::fixture;
use crate::requirements;
use serde_json::Value;

fn sarif(report: &RunReport) -> Value {
    serde_json::from_str(&render(report)).unwrap()
}

#[test]
fn log_shape_rules_and_results() {
    let v = sarif(&fixture::report());
    assert_eq!(v["$schema"], SCHEMA_URI);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "grantcheck");
    assert_eq!(driver["version"], "0.1.0");
    let ids: Vec<&str> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    // Every covered id once, in document order (PKCE 3, CODE 4, RT 7, INTR 10, HDR 15).
    assert_eq!(
        ids,
        ["PKCE-05", "CODE-01", "CODE-02", "RT-02", "INTR-02", "HDR-03"]
    );
    let code01 = &driver["rules"][1];
    assert_eq!(code01["name"], "AuthorizationCodeLifecycle/CODE-01");
    assert_eq!(
        code01["shortDescription"]["text"],
        "The second exchange gets TOKEN-ERR(invalid_grant)."
    );
    assert_eq!(
        code01["helpUri"],
        "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2"
    );
    assert_eq!(code01["defaultConfiguration"]["level"], "error");
    assert_eq!(code01["properties"]["requirementLevel"], "MUST");
    assert!(code01["fullDescription"]["text"]
        .as_str()
        .unwrap()
        .contains("Spec: 6749 §4.1.2, §10.5; OAuth2.1 §4.1.3."));

    // One result per failing or warning case; skip, pass, error are not results.
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let fail = &results[0];
    assert_eq!(fail["ruleId"], "CODE-01");
    assert_eq!(fail["ruleIndex"], 1);
    assert_eq!(fail["level"], "error");
    assert_eq!(
        fail["message"]["text"],
        "code.reuse: A second exchange of one authorization code is refused. \
         step `second`: status: expected 400, got 200. \
         Also: step `second`: error: expected invalid_grant, got (absent). \
         Requirements: CODE-01, CODE-02."
    );
    assert_eq!(
        fail["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "suites/code/reuse.toml"
    );
    assert!(fail["locations"][0]["physicalLocation"]
        .get("region")
        .is_none());
    assert_eq!(fail["properties"]["requirements"][1], "CODE-02");
    let warn = &results[1];
    assert_eq!(warn["ruleId"], "HDR-03");
    assert_eq!(warn["level"], "warning");
    assert_eq!(warn["ruleIndex"], 5);

    assert_eq!(run["automationDetails"]["id"], "grantcheck/reference/");
    assert_eq!(run["properties"]["summary"]["skip"], 1);
}

#[test]
fn fingerprints_are_stable_hashes_of_the_case_id() {
    let a = sarif(&fixture::report());
    let mut other = fixture::report();
    other.cases[1].reason = Some("something else".into());
    other.cases[1].duration_ms = 999;
    other.target.issuer = "http://127.0.0.1:1".into();
    let b = sarif(&other);
    let fa = &a["runs"][0]["results"][0]["partialFingerprints"];
    assert_eq!(fa, &b["runs"][0]["results"][0]["partialFingerprints"]);
    let h = hash("code.reuse");
    assert_eq!(fa["grantcheckCaseId/v1"], h[..32]);
    assert_eq!(fa["primaryLocationLineHash"], format!("{}:1", &h[..16]));
    assert_ne!(fa, &a["runs"][0]["results"][1]["partialFingerprints"]);
}

#[test]
fn errors_are_notifications_and_make_the_invocation_unsuccessful() {
    let v = sarif(&fixture::report());
    let inv = &v["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let n = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(n.len(), 1);
    assert_eq!(n[0]["level"], "error");
    assert_eq!(
        n[0]["message"]["text"],
        "refresh.rotates[public] could not be decided: step `login`: the login form was not found"
    );
    assert_eq!(n[0]["associatedRule"]["id"], "RT-02");
    assert_eq!(n[0]["associatedRule"]["index"], 3);

    let mut ok = fixture::report();
    ok.cases.retain(|c| c.outcome != Outcome::Error);
    let v = sarif(&ok);
    let inv = &v["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    assert!(inv.get("toolExecutionNotifications").is_none());
}

#[test]
fn a_known_deviation_is_a_suppressed_result() {
    let mut r = fixture::report();
    r.cases[1].known = Some("accepted by review".into());
    let v = sarif(&r);
    let s = &v["runs"][0]["results"][0]["suppressions"][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["status"], "accepted");
    assert_eq!(s["justification"], "accepted by review");
    assert!(v["runs"][0]["results"][1].get("suppressions").is_none());
}

#[test]
fn spec_references_become_urls() {
    let cases = [
        (
            "RFC6749 4.1",
            Some("https://www.rfc-editor.org/rfc/rfc6749#section-4.1"),
        ),
        (
            "RFC 7636 §4.2, §4.4.1; PROFILE",
            Some("https://www.rfc-editor.org/rfc/rfc7636#section-4.2"),
        ),
        (
            "6749 §4.1.2, §10.5; OAuth2.1 §4.1.3",
            Some("https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2"),
        ),
        (
            "OAuth2.1 §4.1.3; 6749 §3.2.1",
            Some("https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-4.1.3"),
        ),
        (
            "OAuth2.1 A.17",
            Some("https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#appendix-A.17"),
        ),
        (
            "6749 §2.3.1, App. B; OAuth2.1 §2.4.1",
            Some("https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1"),
        ),
        (
            "RFC6749 A.7",
            Some("https://www.rfc-editor.org/rfc/rfc6749#appendix-A.7"),
        ),
        (
            "OIDC-Core 3.1.2.1",
            Some("https://openid.net/specs/openid-connect-core-1_0.html"),
        ),
        (
            "OIDC Discovery §3; OIDC Core §15.1",
            Some("https://openid.net/specs/openid-connect-discovery-1_0.html"),
        ),
        (
            "Prefix or directory matching (RFC 9700 §4.1)",
            Some("https://www.rfc-editor.org/rfc/rfc9700#section-4.1"),
        ),
        (
            "RFC 6749 §6; §3.3 (scopes are case-sensitive)",
            Some("https://www.rfc-editor.org/rfc/rfc6749#section-6"),
        ),
        (
            "Normalising matcher (RFC 9700 §4.1.3; OAuth2.1 §4.1.1)",
            Some("https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3"),
        ),
        ("RFC 9207", Some("https://www.rfc-editor.org/rfc/rfc9207")),
        ("Signature not checked", None),
        ("PROFILE", None),
        ("RFC 12345 §1", None),
    ];
    for (input, want) in cases {
        assert_eq!(spec_url(input).as_deref(), want, "{input}");
    }
    // Every catalogue row with a spec reference yields a URL.
    for r in requirements::catalog().iter().filter(|r| r.level != "ADV") {
        assert!(spec_url(&r.spec).is_some(), "{}: {}", r.id, r.spec);
    }
}

#[test]
fn levels_follow_the_requirement_level() {
    for (level, want) in [
        ("MUST", "error"),
        ("PROFILE MUST", "error"),
        ("MUST NOT redirect", "error"),
        ("RECOMMENDED → PROFILE MUST", "error"),
        ("SHOULD NOT (BCP) → PROFILE MUST", "error"),
        ("MUST NOT (client) → issuer SHOULD reject", "warning"),
        ("SHOULD", "warning"),
        ("RECOMMENDED", "warning"),
        ("BP", "warning"),
        ("ADV", "error"),
        ("MAY", "note"),
    ] {
        assert_eq!(rule_level(level), want, "{level}");
    }
}

#[test]
fn names_and_uris() {
    assert_eq!(
        pascal("redirect_uri path tampering"),
        "RedirectUriPathTampering"
    );
    assert_eq!(
        section_title("10. Introspection (INTR): opt:introspection"),
        "Introspection"
    );
    assert_eq!(section_title("3. PKCE"), "PKCE");
    assert_eq!(
        artifact_uri("suites/a b/x#1.toml"),
        "suites/a%20b/x%231.toml"
    );
    assert_eq!(
        artifact_uri("/abs/suites/x.toml"),
        "file:///abs/suites/x.toml"
    );
    assert_eq!(artifact_uri(r"C:\s\x.toml"), "file:///C:/s/x.toml");
    assert_eq!(artifact_uri("a:b/x.toml"), "a%3Ab/x.toml");
}
