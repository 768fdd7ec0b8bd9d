//! What the report layer reads and writes: redaction (`report::redact`) and
//! baseline files (`report::baseline`).

use std::collections::BTreeSet;

use serde_json::Value;

use super::{lossy, segments};
use crate::protocol::form::encode_component;
use crate::report::baseline::Baseline;
use crate::report::model::{Exchange, HttpRequest, HttpResponse, RunReport, TransportError};
use crate::report::redact::{self, Redactor, SECRET_FIELDS};

/// The kinds the runner registers secrets under.
fn kinds() -> impl Iterator<Item = &'static str> + Clone {
    std::iter::once("secret").chain(SECRET_FIELDS.iter().copied())
}

/// The pieces of `text` between redaction markers (`[redacted <kind> #<6
/// hex>]`): the text the redactor let through.
fn outside_markers(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut from) = (0, 0);
    while let Some(i) = text[from..].find("[redacted ").map(|i| from + i) {
        let after = &text[i + "[redacted ".len()..];
        let marker_len = after.split_once(" #").and_then(|(kind, tail)| {
            let known = kinds().chain(["credentials", "cookie"]).any(|k| k == kind);
            let hex = tail.get(..6)?;
            let ok = known
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && tail[6..].starts_with(']');
            ok.then_some("[redacted ".len() + kind.len() + " #".len() + 7)
        });
        match marker_len {
            Some(n) => {
                pieces.push(&text[start..i]);
                start = i + n;
                from = start;
            }
            None => from = i + 1,
        }
    }
    pieces.push(&text[start..]);
    pieces
}

fn assert_no_secret(where_: &str, out: &str, secrets: &[String]) {
    let left = outside_markers(out);
    for s in secrets {
        let forms = [
            s.clone(),
            encode_component(s),
            encode_component(s).replace('+', "%20"),
        ];
        for f in forms {
            assert!(
                !left.iter().any(|piece| piece.contains(&f)),
                "secret {s:?} (as {f:?}) survives in the {where_}: {out:?}"
            );
        }
    }
}

/// Redaction (`report::redact::Redactor`): no secret registered with a
/// redactor (4 characters or more), raw or form-encoded, survives outside
/// the redaction markers, in `redact` or anywhere in a redacted exchange;
/// the credentials of an `Authorization` header never do; text holding no
/// secret is left as it is. The input is the text, then the secrets, split
/// at `0xFF`.
pub fn check_redact(data: &[u8]) {
    let mut segs = segments(data);
    let text = lossy(segs.next().unwrap_or_default()).into_owned();
    let mut r = Redactor::with_salt([7; 16]);
    let mut secrets = Vec::new();
    for (seg, kind) in segs.take(8).zip(kinds().cycle()) {
        let secret = lossy(seg).into_owned();
        r.add(kind, &secret);
        if secret.chars().count() >= 4 {
            secrets.push(secret);
        }
    }
    let fp = r.fingerprint(&text);
    assert!(fp.len() == 6 && fp == r.fingerprint(&text));
    let out = r.redact(&text);
    assert_no_secret("text", &out, &secrets);
    // A text holds a secret when it holds any encoding of one, or ends
    // with a long prefix of one (a cut body).
    let holds_one = secrets.iter().any(|s| {
        redact::encodings(s)
            .iter()
            .filter(|f| f.chars().count() >= 4)
            .any(|f| {
                text.contains(f.as_str())
                    || (redact::MIN_PREFIX..f.len())
                        .any(|k| f.is_char_boundary(k) && text.ends_with(&f[..k]))
            })
    });
    if !holds_one {
        assert_eq!(out, text, "text without secrets was changed");
    }
    let header = |n: &str, v: String| (n.to_string(), v);
    let e = Exchange {
        request: HttpRequest {
            method: "POST".into(),
            url: format!("https://issuer.example/token?{text}"),
            headers: vec![
                header("Authorization", text.clone()),
                header("Proxy-Authorization", format!("Bearer {text}")),
                header("Cookie", text.clone()),
            ],
            body: Some(text.clone()),
        },
        response: Some(HttpResponse {
            status: 400,
            headers: vec![
                header("Set-Cookie", text.clone()),
                header("Location", text.clone()),
            ],
            body: text.clone(),
            truncated: false,
        }),
        error: Some((TransportError::Other, text.clone())),
        elapsed_ms: 0,
        retried: None,
    };
    let red = r.exchange(&e);
    let resp = red.response.as_ref().expect("the response is kept");
    let mut fields: Vec<(&str, &str)> = vec![
        ("url", red.request.url.as_str()),
        ("request body", red.request.body.as_deref().unwrap_or("")),
        ("response body", resp.body.as_str()),
        (
            "transport error",
            red.error.as_ref().expect("kept").1.as_str(),
        ),
    ];
    for (n, v) in red.request.headers.iter().chain(&resp.headers) {
        fields.push((n.as_str(), v.as_str()));
    }
    for (where_, v) in fields {
        assert_no_secret(where_, v, &secrets);
    }
    // An Authorization header keeps its scheme (redacted like any text) and
    // never its credentials, secret or not.
    let auth = outside_markers(&red.request.headers[0].1);
    let scheme = text
        .split_once(' ')
        .map(|(scheme, _)| r.redact(&format!("{scheme} ")));
    let mut want = scheme.as_deref().map_or(vec![""], outside_markers);
    want.push("");
    assert_eq!(auth, want, "Authorization: {text:?}");
}

/// A report with one case per `(id, reason)` pair, outcomes cycling through
/// all five (built from JSON, so that optional model fields keep their defaults).
fn report_with_cases(cases: &[(String, String)]) -> RunReport {
    let outcomes = ["fail", "pass", "warn", "skip", "error"];
    let cases: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, (id, reason))| {
            serde_json::json!({
                "id": id, "scenario": id, "title": "t", "area": "a", "level": "must",
                "covers": [], "spec": [], "tags": [], "outcome": outcomes[i % outcomes.len()],
                "reason": reason, "duration_ms": 0, "steps": [], "source": "suites/x.toml",
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "schema": "grantcheck-report/1", "tool_version": "0", "duration_ms": 0,
        "target": {"profile": "p", "issuer": "i", "reference": false, "faults": []},
        "summary": {"total": 0, "pass": 0, "fail": 0, "warn": 0, "skip": 0, "error": 0, "checks": 0},
        "cases": cases,
    }))
    .expect("a RunReport")
}

/// Baseline file (`report::baseline::Baseline::parse`): an accepted baseline
/// has unique cases and `YYYY-MM-DD` expiry dates and re-serialises to
/// itself; the baseline grantcheck writes for a report (cases and reasons
/// from the input, split at `0xFF`) parses back to exactly the cases that
/// did not pass.
pub fn check_baseline(data: &[u8]) {
    let text = lossy(data);
    if let Ok(b) = Baseline::parse(&text) {
        let mut seen = BTreeSet::new();
        for e in &b.known {
            assert!(seen.insert(e.case.as_str()), "{:?} listed twice", e.case);
            if let Some(d) = &e.expires {
                let shape = d.len() == 10
                    && d.char_indices().all(|(i, c)| {
                        if i == 4 || i == 7 {
                            c == '-'
                        } else {
                            c.is_ascii_digit()
                        }
                    });
                assert!(shape, "expires {d:?} accepted");
            }
        }
        let again = toml::to_string(&b).expect("a baseline serialises");
        match Baseline::parse(&again) {
            Ok(back) => assert_eq!(back, b, "{again}"),
            Err(e) => panic!("a re-serialised baseline does not parse: {e}\n{again}"),
        }
    }
    let strings: Vec<String> = segments(data).map(|x| lossy(x).into_owned()).collect();
    let mut ids = BTreeSet::new();
    let cases: Vec<(String, String)> = strings
        .chunks(2)
        .map(|c| (c[0].clone(), c.get(1).cloned().unwrap_or_default()))
        .filter(|(id, _)| ids.insert(id.clone()))
        .take(8)
        .collect();
    let report = report_with_cases(&cases);
    let written = Baseline::from_report(&report);
    let parsed = Baseline::parse(&written).unwrap_or_else(|e| {
        panic!("the baseline written for a report does not parse: {e}\n{written}")
    });
    let want: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| c.outcome.as_str() != "pass" && c.outcome.as_str() != "skip")
        .map(|c| c.id.as_str())
        .collect();
    let got: Vec<&str> = parsed.known.iter().map(|e| e.case.as_str()).collect();
    assert_eq!(got, want, "{written}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::SEP;
    use proptest::prelude::*;

    #[test]
    fn markers_are_found() {
        let mut r = Redactor::with_salt([0; 16]);
        r.add("code", "abcdef");
        let out = r.redact("x=abcdef&y=1");
        assert_eq!(outside_markers(&out), ["x=", "&y=1"]);
        assert_eq!(
            outside_markers("[redacted nothing #000000]"),
            ["[redacted nothing #000000]"]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Generated secrets never survive redaction, whatever surrounds them.
        #[test]
        fn generated_secrets_are_redacted(
            secrets in proptest::collection::vec("[ -~]{4,16}", 1..4),
            filler in "[ -~]{0,20}",
        ) {
            let mut data = Vec::new();
            for s in &secrets {
                data.extend(filler.as_bytes());
                data.extend(s.as_bytes());
                data.extend(encode_component(s).as_bytes());
            }
            for s in &secrets {
                data.push(SEP);
                data.extend(s.as_bytes());
            }
            check_redact(&data);
        }
    }
}
