//! Replays of the evidence: curl commands with secrets as `$VARIABLE`
//! references and never values, and (`script.rs`) the self-contained
//! replay script of a case built from them.
//!
//! The exchanges in a report are already redacted, so a replay is built from
//! the redaction markers: a marker the run knows the source of (a client
//! secret, a user password, Basic credentials) becomes the variable the
//! profile names; the script reads the others (codes, tokens, cookies) from
//! the answers that hand them out, or makes them fresh (verifiers).

mod script;

pub use script::observation;

use std::collections::BTreeMap;
use std::fmt::Write;

use super::model::{CaseResult, Exchange};

/// What a known marker stands for in a shell command.
pub type Vars = BTreeMap<String, String>;

/// Shell variables for values handed out during the flow, in order of first
/// use (name, kind): the order is stable from run to run, the names are not.
pub type Unknown = Vec<(String, String)>;

/// `[redacted <kind> #<fp>]` markers in `text`, in order, with their kind and fingerprint.
fn markers(text: &str) -> Vec<(usize, usize, &str, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("[redacted ").map(|i| i + from) {
        let Some(end) = text[i..].find(']').map(|e| i + e + 1) else {
            break;
        };
        let inner = &text[i + "[redacted ".len()..end - 1];
        match inner.rsplit_once(" #") {
            // The redactor's kinds are lower-case words; anything else in
            // that shape is text an issuer wrote, not a marker.
            Some((kind, fp))
                if fp.len() == 6
                    && fp.bytes().all(|b| b.is_ascii_hexdigit())
                    && !kind.is_empty()
                    && kind
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
            {
                out.push((i, end, kind, fp));
                from = end;
            }
            _ => from = i + 1,
        }
    }
    out
}

/// The shell variable standing for an unknown marker: `ACCESS_TOKEN_1a2b3c`.
fn var_name(kind: &str, fp: &str) -> String {
    format!("{}_{fp}", shell_name(kind))
}

/// `text` as a shell variable name: upper-case letters, digits and `_`.
fn shell_name(text: &str) -> String {
    text.chars()
        .map(|c| match c.is_ascii_alphanumeric() {
            true => c.to_ascii_uppercase(),
            false => '_',
        })
        .collect()
}

/// Single-quotes `text` for a POSIX shell, with every marker replaced by a
/// double-quoted variable reference outside the single quotes.
fn quote(text: &str, vars: &Vars, unknown: &mut Unknown) -> String {
    let mut out = String::from("'");
    let mut last = 0;
    for (start, end, kind, fp) in markers(text) {
        out.push_str(&text[last..start].replace('\'', r"'\''"));
        let marker = &text[start..end];
        let expr = match vars.get(marker) {
            Some(e) => e.clone(),
            None => {
                let name = var_name(kind, fp);
                if !unknown.iter().any(|(n, _)| *n == name) {
                    unknown.push((name.clone(), kind.to_string()));
                }
                format!("${{{name}}}")
            }
        };
        let _ = write!(out, "'\"{expr}\"'");
        last = end;
    }
    out.push_str(&text[last..].replace('\'', r"'\''"));
    out.push('\'');
    out
}

/// One curl command reproducing `ex`'s request. Unknown markers are added to
/// `unknown` (variable name, kind), in order of first use.
pub fn curl(ex: &Exchange, vars: &Vars, unknown: &mut Unknown) -> String {
    let r = &ex.request;
    let mut cmd = String::from("curl -sS -i");
    if r.method != "GET" || r.body.is_some() {
        let _ = write!(cmd, " -X {}", r.method);
    }
    let _ = write!(cmd, " {}", quote(&r.url, vars, unknown));
    for (k, v) in &r.headers {
        let _ = write!(
            cmd,
            " \\\n  -H {}",
            quote(&format!("{k}: {v}"), vars, unknown)
        );
    }
    if let Some(b) = &r.body {
        let _ = write!(cmd, " \\\n  --data-raw {}", quote(b, vars, unknown));
    }
    cmd
}

/// The self-contained replay script of a case (`script.rs`).
pub fn script(case: &CaseResult, vars: &Vars) -> String {
    script::script(case, vars)
}

/// `$NAME` references in a shell expression.
fn env_names(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find('$') {
        let tail = &rest[i + 1..];
        let name: String = tail
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push(name.clone());
        }
        rest = &tail[name.len().min(tail.len())..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::HttpRequest;

    fn ex(url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Exchange {
        Exchange {
            request: HttpRequest {
                method: if body.is_some() { "POST" } else { "GET" }.into(),
                url: url.into(),
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body: body.map(str::to_string),
            },
            response: None,
            error: None,
            elapsed_ms: 0,
            retried: None,
        }
    }

    #[test]
    fn markers_become_variables_and_quotes_survive() {
        let mut vars = Vars::new();
        vars.insert(
            "[redacted secret #aaaaaa]".into(),
            "$GRANTCHECK_REF_C2_SECRET".into(),
        );
        let e = ex(
            "http://127.0.0.1:1/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some("client_secret=[redacted secret #aaaaaa]&code=[redacted code #0b0b0b]&x=it's"),
        );
        let mut unknown = Unknown::new();
        let c = curl(&e, &vars, &mut unknown);
        assert_eq!(
            c,
            "curl -sS -i -X POST 'http://127.0.0.1:1/token' \\\n  -H 'Content-Type: application/x-www-form-urlencoded' \\\n  --data-raw 'client_secret='\"$GRANTCHECK_REF_C2_SECRET\"'&code='\"${CODE_0b0b0b}\"'&x=it'\\''s'"
        );
        assert_eq!(
            unknown,
            vec![("CODE_0b0b0b".to_string(), "code".to_string())]
        );
    }

    #[test]
    fn text_that_only_looks_like_a_marker_stays() {
        let mut unknown = Unknown::new();
        let q = quote(
            "[redacted nonsense] [redacted x #zzzzzz]",
            &Vars::new(),
            &mut unknown,
        );
        assert_eq!(q, "'[redacted nonsense] [redacted x #zzzzzz]'");
        assert!(unknown.is_empty());
    }

    #[test]
    fn env_names_are_found() {
        assert_eq!(
            env_names("$(printf '%s:%s' 'c1' \"$GRANTCHECK_REF_C1_SECRET\" | base64 -w0)"),
            vec!["GRANTCHECK_REF_C1_SECRET"]
        );
    }
}
