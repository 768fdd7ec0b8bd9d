//! Response classes: the feedback a fuzzer without source access steers
//! by. A class is status x error code x header set x body shape x
//! redirect target of one step's last response; an input whose run shows a
//! class never seen before joins the corpus.

use std::collections::BTreeSet;

use crate::report::model::{CaseResult, Exchange, StepResult};

/// Headers whose presence says nothing about the issuer's behaviour.
const VOLATILE: &[&str] = &[
    "date",
    "content-length",
    "etag",
    "age",
    "x-request-id",
    "keep-alive",
    "connection",
];

/// The classes of every step of `case` that ran, prefixed by `flow`.
pub fn classes(flow: &str, case: &CaseResult) -> BTreeSet<String> {
    case.steps
        .iter()
        .filter(|s| s.not_run.is_none())
        .filter_map(|s| step_class(s).map(|c| format!("{flow}/{}:{c}", s.name)))
        .collect()
}

fn step_class(s: &StepResult) -> Option<String> {
    let last = s.exchanges.last()?;
    Some(exchange_class(last))
}

/// `status:error:headers:body:redirect` of one exchange.
pub fn exchange_class(ex: &Exchange) -> String {
    let Some(r) = &ex.response else {
        let kind = ex
            .error
            .as_ref()
            .map(|(k, _)| format!("{k:?}"))
            .unwrap_or_default();
        return format!("transport:{kind}");
    };
    let json: Option<serde_json::Value> = serde_json::from_str(&r.body).ok();
    let error = json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(|e| e.as_str())
        .map(str::to_string)
        .or_else(|| r.header("location").and_then(|l| param(l, "error")))
        .map(|e| registered(&e))
        .unwrap_or_default();
    let mut names: Vec<String> = r
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| !VOLATILE.contains(&n.as_str()))
        .collect();
    names.sort();
    names.dedup();
    let body = match &json {
        Some(serde_json::Value::Object(o)) => {
            // The issuer chooses the keys: past a few, only their number
            // counts, or a hostile body would make every answer new.
            let mut keys: Vec<&str> = o
                .keys()
                .map(String::as_str)
                .filter(|k| k.len() <= 32)
                .collect();
            keys.sort();
            match keys.len() {
                0..=MAX_KEYS => format!("json{{{}}}", keys.join(",")),
                n => format!("json{{{n} keys}}"),
            }
        }
        Some(_) => "json-other".to_string(),
        None if r.body.is_empty() => "empty".into(),
        None if r.body.trim_start().starts_with('<') => "html".into(),
        None => "text".into(),
    };
    let redirect = match r.header("location") {
        None => "-",
        Some(l) if param(l, "code").is_some() => "code",
        Some(l) if param(l, "error").is_some() => "error",
        Some(_) => "other",
    };
    format!(
        "{}:{error}:{:08x}:{body}:{redirect}",
        r.status,
        fnv(&names.join(","))
    )
}

/// Members of a JSON body that still name a class.
const MAX_KEYS: usize = 12;

/// An error code as it names a class: a registered one, or `other` (the
/// issuer chooses the string; every new one must not be a new class).
fn registered(code: &str) -> String {
    use crate::protocol::token::{AUTHORIZATION_ERRORS, TOKEN_ERRORS};
    match TOKEN_ERRORS.contains(&code) || AUTHORIZATION_ERRORS.contains(&code) {
        true => code.to_string(),
        false => "other".into(),
    }
}

/// A query or fragment parameter of a URL, undecoded.
fn param(url: &str, name: &str) -> Option<String> {
    let tail = url.split_once(['?', '#'])?.1;
    tail.split(['&', '#'])
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn fnv(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{HttpRequest, HttpResponse};

    fn ex(status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
        Exchange {
            request: HttpRequest {
                method: "POST".into(),
                url: "http://x/t".into(),
                headers: vec![],
                body: None,
            },
            response: Some(HttpResponse {
                status,
                headers: headers
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
                body: body.into(),
                truncated: false,
            }),
            error: None,
            elapsed_ms: 0,
            retried: None,
        }
    }

    #[test]
    fn classes_ignore_values_and_volatile_headers() {
        let a = ex(
            400,
            &[("Date", "x"), ("Content-Type", "application/json")],
            r#"{"error":"invalid_grant","error_description":"a"}"#,
        );
        let b = ex(
            400,
            &[("content-type", "application/json"), ("Date", "y")],
            r#"{"error_description":"b","error":"invalid_grant"}"#,
        );
        assert_eq!(exchange_class(&a), exchange_class(&b));
        let c = ex(
            400,
            &[("content-type", "application/json")],
            r#"{"error":"invalid_request"}"#,
        );
        assert_ne!(exchange_class(&a), exchange_class(&c));
    }

    #[test]
    fn what_the_issuer_invents_does_not_make_new_classes() {
        let e = |code: &str| exchange_class(&ex(400, &[], &format!(r#"{{"error":"{code}"}}"#)));
        assert_eq!(e("made_up_1"), e("made_up_2"));
        let many = |n: usize| {
            let body: Vec<String> = (0..n).map(|i| format!(r#""k{n}_{i}":1"#)).collect();
            exchange_class(&ex(200, &[], &format!("{{{}}}", body.join(","))))
        };
        assert_eq!(many(40), many(40));
        assert!(many(40).contains("40 keys"));
    }

    #[test]
    fn redirects_are_classed_by_what_they_carry() {
        let to = |l: &str| exchange_class(&ex(302, &[("Location", l)], ""));
        assert!(to("https://c/cb?code=1&state=2").ends_with(":code"));
        assert!(to("https://c/cb?error=access_denied").contains(":access_denied:"));
        assert!(to("https://c/login").ends_with(":other"));
    }
}
