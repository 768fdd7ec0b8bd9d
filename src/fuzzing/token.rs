//! Token responses and error bodies (`protocol::token`).

use serde_json::{Map, Value};

use super::lossy;
use crate::protocol::token::{self, Body};

fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(a) => a.iter().any(has_float),
        Value::Object(m) => m.values().any(has_float),
        _ => false,
    }
}

/// What RFC 6749 Appendix A.7/A.8 allow, written out independently.
fn error_charset_by_definition(s: &str) -> bool {
    s.chars()
        .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\')
}

/// Token response and error body (`protocol::token`): the body is classified
/// as JSON does (object, other JSON, not JSON); `field` and `error_code` read
/// exactly the members; an envelope unwraps to its inner object and nothing
/// else; wrapping a body in an envelope and unwrapping it gives it back; the
/// error charset check agrees with RFC 6749 Appendix A.
pub fn check_token_response(data: &[u8]) {
    let body = Body::parse(data);
    match (&body, serde_json::from_slice::<Value>(data)) {
        (Body::Object(m), Ok(Value::Object(j))) => assert_eq!(m, &j),
        (Body::OtherJson(v), Ok(j)) => {
            assert!(!j.is_object());
            assert_eq!(v, &j);
        }
        (Body::NotJson, Err(_)) => {}
        (b, j) => panic!("classified {b:?} but JSON says {j:?}"),
    }
    assert_eq!(
        token::error_code(&body),
        body.object()
            .and_then(|m| m.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string)
    );
    assert_eq!(body.clone().unwrap_envelope(None), body);
    if let Some(m) = body.object() {
        for (k, v) in m {
            let text = body.field(k);
            assert_eq!(text, token::value_text(v));
            assert_eq!(
                text.is_some(),
                matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
            );
            let unwrapped = body.clone().unwrap_envelope(Some(k));
            match v {
                Value::Object(inner) => assert_eq!(unwrapped, Body::Object(inner.clone())),
                _ => assert_eq!(unwrapped, body),
            }
        }
        // Enveloped dialects: {"operation_id": ..., "data": <body>} unwraps to the body.
        // (Floats are skipped: serde_json parses them back only approximately.)
        if !m.values().any(has_float) {
            let mut env = Map::new();
            env.insert("operation_id".into(), Value::String("op-1".into()));
            env.insert("data".into(), Value::Object(m.clone()));
            let bytes = serde_json::to_vec(&Value::Object(env)).expect("serialises");
            assert_eq!(Body::parse(&bytes).unwrap_envelope(Some("data")), body);
        }
        for k in ["error", "error_description"] {
            if let Some(s) = m.get(k).and_then(Value::as_str) {
                assert_eq!(
                    token::is_error_text_charset(s),
                    error_charset_by_definition(s)
                );
            }
        }
    }
    let text = lossy(data);
    assert_eq!(
        token::is_error_text_charset(&text),
        error_charset_by_definition(&text)
    );
}
