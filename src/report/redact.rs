//! Redaction: secrets never reach a report, a log line or a snapshot.
//!
//! The runner registers every secret it learns (profile secrets, passwords,
//! codes, tokens, verifiers) and every exchange is passed through
//! [`Redactor::redact`] before it enters the result model. A redacted value is
//! replaced by `[redacted <kind> #<fingerprint>]`: the fingerprint is a salted
//! hash, stable within one run, so two mentions of one token can be matched
//! without revealing it.

use base64::Engine;
use sha2::{Digest, Sha256};

use super::model::{Exchange, HttpRequest, HttpResponse};
use crate::protocol::form::encode_component;

/// Request or response fields whose values are credentials.
pub const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "client_secret",
    "password",
    "token",
    "client_assertion",
    "device_code",
];

/// The credentials a text that may not parse holds as JSON-like members
/// (`"access_token": "..."`, also inside a JSON string, `\"access_token\":\"...\"`),
/// by member name. A body cut mid-value (at the body cap, a reset, a lying
/// Content-Length) yields the part that arrived: that is the part that must
/// not reach a report. Values escaped in JSON are given both as written and
/// unescaped.
pub fn scan_secrets(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for name in SECRET_FIELDS {
        let mut from = 0;
        while let Some(at) = text[from..].find(name) {
            let (start, end) = (from + at, from + at + name.len());
            from = end;
            // A member name between quotes (escaped or not).
            let rest = &text[end..];
            let Some(rest) = rest.strip_prefix("\\\"").or_else(|| rest.strip_prefix('"')) else {
                continue;
            };
            if !text[..start].ends_with('"') {
                continue;
            }
            if let Some(value) = member_value(rest) {
                if value.contains('\\') {
                    if let Ok(plain) = serde_json::from_str::<String>(&format!("\"{value}\"")) {
                        out.push((*name, plain));
                    }
                }
                out.push((*name, value));
            }
        }
    }
    out
}

/// Credentials written as `name=value` parameters anywhere in a text (a
/// `Location` such as `cb??code=…` or `cb#?code=…` that no callback parser
/// reads, a link in an HTML page): each value as written and percent-decoded.
pub fn scan_params(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for name in SECRET_FIELDS {
        let key = format!("{name}=");
        let mut from = 0;
        while let Some(at) = text[from..].find(&key) {
            let start = from + at;
            from = start + key.len();
            let boundary = text[..start]
                .chars()
                .next_back()
                .is_none_or(|c| matches!(c, '?' | '&' | '#' | ';' | ' ' | '"' | '\''));
            if !boundary {
                continue;
            }
            let value: String = text[from..]
                .chars()
                .take_while(|c| {
                    !matches!(c, '&' | '#' | ';' | '"' | '\'' | '<' | '>') && !c.is_whitespace()
                })
                .take(16 * 1024)
                .collect();
            if value.len() < 8 {
                continue;
            }
            if let Ok(decoded) = percent_encoding::percent_decode_str(&value).decode_utf8() {
                if decoded != value {
                    out.push((*name, decoded.into_owned()));
                }
            }
            out.push((*name, value));
        }
    }
    out
}

/// The string value after a member name's closing quote: `: "value"`,
/// with optional spaces and escaped quotes, up to its closing quote or the
/// end of the text.
fn member_value(rest: &str) -> Option<String> {
    let rest = rest.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    // Inside a JSON string (a body encoded twice) the quotes are escaped,
    // and an escaped quote ends the value.
    let (rest, inner) = match rest.strip_prefix("\\\"") {
        Some(r) => (r, true),
        None => (rest.strip_prefix('"')?, false),
    };
    let mut value = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' if inner && chars.peek() == Some(&'"') => break,
            '\\' => {
                value.push(c);
                if let Some(n) = chars.next() {
                    value.push(n);
                }
            }
            c => value.push(c),
        }
    }
    Some(value)
}

/// The shortest prefix of a secret that counts as the secret when a text
/// ends with it: long enough that ordinary text does not end that way.
pub const MIN_PREFIX: usize = 12;

/// Every form of `value` that an issuer could echo back.
pub fn encodings(value: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let json = serde_json::to_string(value).unwrap_or_default();
    let html = value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;");
    // What ASCII-only JSON writers (Python's default) make of non-ASCII:
    // `\u00e9`, in either hex case.
    let ascii_json = |upper: bool| -> String {
        let mut out = String::new();
        for c in json.trim_matches('"').chars() {
            if c.is_ascii() {
                out.push(c);
                continue;
            }
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&match upper {
                    true => format!("\\u{u:04X}"),
                    false => format!("\\u{u:04x}"),
                });
            }
        }
        out
    };
    vec![
        value.to_string(),
        ascii_json(false),
        ascii_json(true),
        encode_component(value),
        encode_component(value).replace('+', "%20"),
        STANDARD.encode(value),
        STANDARD_NO_PAD.encode(value),
        URL_SAFE.encode(value),
        URL_SAFE_NO_PAD.encode(value),
        json.trim_matches('"').to_string(),
        html.clone(),
        html.replace("&#x27;", "&#39;"),
    ]
}

/// How much of a response body the stored evidence keeps. The checks saw
/// the whole body; this bounds reports, not verdicts.
pub const EVIDENCE_BODY_LIMIT: usize = 64 * 1024;

#[derive(Clone, Debug)]
pub struct Redactor {
    salt: [u8; 16],
    /// (needle, replacement), longest needle first.
    needles: Vec<(String, String)>,
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

impl Redactor {
    pub fn new() -> Self {
        Self {
            salt: rand::random(),
            needles: Vec::new(),
        }
    }

    /// A redactor with a fixed salt, for reproducible tests.
    pub fn with_salt(salt: [u8; 16]) -> Self {
        Self {
            salt,
            needles: Vec::new(),
        }
    }

    /// Registers a secret and every encoding an issuer might echo it in
    /// (raw, form- and percent-encoded, base64 and base64url with and without
    /// padding, JSON- and HTML-escaped). Values shorter than 4 characters are
    /// not secrets worth hiding and would mangle the evidence.
    pub fn add(&mut self, kind: &str, value: &str) {
        if value.chars().count() < 4 {
            return;
        }
        let replacement = format!("[redacted {kind} #{}]", self.fingerprint(value));
        self.push_forms(encodings(value), &replacement);
    }

    /// Registers a PKCE verifier's S256 challenge (RFC 7636 §4.2) under the
    /// verifier's fingerprint: `[redacted s256 #<fp of the verifier>]`. The
    /// challenge is no secret, but a replay must know it is derived from the
    /// verifier to send a fresh pair (report::replay).
    pub fn add_s256_of(&mut self, verifier: &str) {
        if verifier.chars().count() < 4 {
            return;
        }
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        let replacement = format!("[redacted s256 #{}]", self.fingerprint(verifier));
        self.push_forms(vec![challenge], &replacement);
    }

    /// Registers HTTP Basic credentials as RFC 6749 §2.3.1 builds them
    /// (form-encoded id and secret) and as clients commonly do (raw), in
    /// every base64 variant: an issuer that echoes the header's value or
    /// decodes it into a page must not leak the pair.
    pub fn add_basic(&mut self, id: &str, secret: &str) {
        if secret.chars().count() < 4 {
            return;
        }
        let pairs = [
            format!("{}:{}", encode_component(id), encode_component(secret)),
            format!("{id}:{secret}"),
        ];
        for pair in pairs {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&pair);
            let replacement = format!("[redacted credentials #{}]", self.fingerprint(&b64));
            self.push_forms(encodings(&pair), &replacement);
        }
    }

    fn push_forms(&mut self, forms: Vec<String>, replacement: &str) {
        for f in forms {
            if f.chars().count() >= 4 && !self.needles.iter().any(|(n, _)| *n == f) {
                self.needles.push((f, replacement.to_string()));
            }
        }
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.0.len()));
    }

    /// `body` cut to what the stored evidence keeps, with the length and a
    /// fingerprint of the rest: cut after redaction, so no secret's prefix
    /// survives at the edge.
    fn capped(&self, body: String) -> (String, bool) {
        if body.len() <= EVIDENCE_BODY_LIMIT {
            return (body, false);
        }
        let mut cut = EVIDENCE_BODY_LIMIT;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        let rest = &body[cut..];
        let (n, fp) = (rest.len(), self.fingerprint(rest));
        let kept = format!(
            "{}… [{n} more bytes not kept, fingerprint #{fp}]",
            &body[..cut]
        );
        (kept, true)
    }

    pub fn fingerprint(&self, value: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update(value.as_bytes());
        h.finalize()[..3]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `text` with every registered form replaced, in one left-to-right
    /// pass that takes the longest form at each position and never looks
    /// inside a replacement it wrote (a secret spelled `secret` must not
    /// rewrite the word in `[redacted secret #…]`).
    pub fn redact(&self, text: &str) -> String {
        // The bytes a form can start with: most positions are skipped on
        // one lookup (this runs on every string of every exchange).
        let mut first = [false; 256];
        for (needle, _) in &self.needles {
            first[usize::from(needle.as_bytes()[0])] = true;
        }
        let bytes = text.as_bytes();
        let (mut out, mut copied, mut i) = (String::with_capacity(text.len()), 0, 0);
        while i < bytes.len() {
            if !first[usize::from(bytes[i])] {
                i += 1;
                continue;
            }
            // Longest first (needles are sorted so); a match starts with a
            // lead byte, so `i` is on a character boundary.
            let hit = self
                .needles
                .iter()
                .find(|(n, _)| bytes[i..].starts_with(n.as_bytes()));
            match hit {
                Some((needle, rep)) => {
                    out.push_str(&text[copied..i]);
                    out.push_str(rep);
                    i += needle.len();
                    copied = i;
                }
                None => i += 1,
            }
        }
        let tail = &text[copied..];
        match self.cut_secret(tail) {
            Some((k, rep)) => {
                out.push_str(&tail[..tail.len() - k]);
                out.push_str(rep);
                out.push('…');
            }
            None => out.push_str(tail),
        }
        out
    }

    /// A body cut at the evidence cap may end inside a secret: the length
    /// of the longest prefix of a form (at least [`MIN_PREFIX`] bytes) that
    /// `tail` ends with, and that form's replacement.
    fn cut_secret(&self, tail: &str) -> Option<(usize, &str)> {
        // A prefix `tail` ends with ends with `tail`'s last MIN_PREFIX
        // bytes: only the places a form holds those bytes are candidates.
        let last = tail.as_bytes().get(tail.len().checked_sub(MIN_PREFIX)?..)?;
        self.needles
            .iter()
            .filter_map(|(needle, rep)| {
                let n = needle.as_bytes();
                let longest = n.len().saturating_sub(1).min(tail.len());
                (MIN_PREFIX..=longest)
                    .rev()
                    .filter(|&k| &n[k - MIN_PREFIX..k] == last)
                    .find(|&k| needle.is_char_boundary(k) && tail.ends_with(&needle[..k]))
                    .map(|k| (k, rep.as_str()))
            })
            .max_by_key(|(k, _)| *k)
    }

    fn header(&self, name: &str, value: &str) -> String {
        let lower = name.to_ascii_lowercase();
        if lower == "authorization" || lower == "proxy-authorization" {
            // Keep the scheme, which the evidence needs; never the credentials.
            // The scheme and its space go through `redact` too: a value without
            // a proper scheme (`Authorization: <token> x`) must not keep its
            // token (found by `fuzzing::check_redact`).
            return match value.split_once(' ') {
                Some((scheme, cred)) => format!(
                    "{}[redacted credentials #{}]",
                    self.redact(&format!("{scheme} ")),
                    self.fingerprint(cred.trim())
                ),
                None => format!("[redacted credentials #{}]", self.fingerprint(value)),
            };
        }
        if lower == "cookie" || lower == "set-cookie" {
            return redact_cookie(self, value, lower == "set-cookie");
        }
        self.redact(value)
    }

    pub fn exchange(&self, e: &Exchange) -> Exchange {
        Exchange {
            request: HttpRequest {
                method: e.request.method.clone(),
                url: self.redact(&e.request.url),
                headers: e
                    .request
                    .headers
                    .iter()
                    .map(|(n, v)| (n.clone(), self.header(n, v)))
                    .collect(),
                body: e.request.body.as_deref().map(|b| self.redact(b)),
            },
            response: e.response.as_ref().map(|r| {
                let (body, cut) = self.capped(self.redact(&r.body));
                HttpResponse {
                    status: r.status,
                    headers: r
                        .headers
                        .iter()
                        .map(|(n, v)| (n.clone(), self.header(n, v)))
                        .collect(),
                    body,
                    truncated: r.truncated || cut,
                }
            }),
            error: e.error.as_ref().map(|(k, m)| (*k, self.redact(m))),
            elapsed_ms: e.elapsed_ms,
            retried: e.retried.as_deref().map(|r| self.redact(r)),
        }
    }
}

/// Session cookies are credentials too: keep names and attributes, hide values.
fn redact_cookie(r: &Redactor, value: &str, set: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (i, piece) in value.split(';').enumerate() {
        let piece = piece.trim();
        let is_pair = !set || i == 0;
        match piece.split_once('=') {
            Some((n, v)) if is_pair && !v.is_empty() => {
                parts.push(format!("{n}=[redacted cookie #{}]", r.fingerprint(v)))
            }
            _ => parts.push(piece.to_string()),
        }
    }
    // Names, attributes and pieces that are not pairs are text like any other:
    // a secret in them (`Path=/cb?code=...`, a bare token) must not survive,
    // nor one that re-joining with "; " spells (found by `fuzzing::check_redact`).
    r.redact(&parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn redacts_raw_and_encoded_forms() {
        let mut r = Redactor::with_salt([0; 16]);
        r.add("secret", "a b&c:%+d");
        let t = r.redact("x=a+b%26c%3A%25%2Bd y=a b&c:%+d");
        assert!(!t.contains("a b&c"), "{t}");
        assert!(!t.contains("a+b%26c"), "{t}");
        assert_eq!(t.matches("[redacted secret #").count(), 2);
    }

    #[test]
    fn authorization_and_cookies() {
        let r = Redactor::with_salt([0; 16]);
        assert!(r
            .header("Authorization", "Basic YzE6c2VjcmV0")
            .starts_with("Basic [redacted credentials #"));
        let c = r.header("set-cookie", "gc_session=abcdef; Path=/; HttpOnly");
        assert!(
            c.starts_with("gc_session=[redacted cookie #") && c.ends_with("Path=/; HttpOnly"),
            "{c}"
        );
    }

    #[test]
    fn basic_pairs_and_cut_tails_are_redacted() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let mut r = Redactor::with_salt([0; 16]);
        r.add_basic("client one", "s3cr3t/+value");
        for echoed in [
            STANDARD.encode("client+one:s3cr3t%2F%2Bvalue"),
            STANDARD.encode("client one:s3cr3t/+value"),
            URL_SAFE_NO_PAD.encode("client one:s3cr3t/+value"),
        ] {
            let t = r.redact(&format!("you sent Basic {echoed} ok"));
            assert!(!t.contains(&echoed), "{t}");
            assert!(t.contains("[redacted credentials #"), "{t}");
        }
        let token = "eyJhbGciOiJSUzI1NiJ9.payload-that-goes-on-and-on";
        r.add("access_token", token);
        let cut = format!("{{\"access_token\":\"{}", &token[..30]);
        let t = r.redact(&cut);
        assert!(!t.contains(&token[..12]), "{t}");
        assert!(
            t.contains("[redacted access_token #") && t.ends_with("]…"),
            "{t}"
        );
        // Ordinary text that happens to end like nothing registered is untouched.
        assert_eq!(r.redact("plain text"), "plain text");
    }

    #[test]
    fn parameters_are_found_where_no_callback_parser_looks() {
        let loc = "https://c1.example/cb??code=AbCdEfGh12345678&state=x";
        assert!(scan_params(loc).contains(&("code", "AbCdEfGh12345678".to_string())));
        let frag = "https://c1.example/cb#?code=AbCdEfGh12345678";
        assert!(scan_params(frag).contains(&("code", "AbCdEfGh12345678".to_string())));
        let html = r#"<a href="/next?x=1&amp;access_token=tok%2Fen-1234">"#;
        let found = scan_params(html);
        assert!(
            found.contains(&("access_token", "tok/en-1234".to_string())),
            "{found:?}"
        );
        // Inside another word, or too short to be a credential: not a parameter.
        assert!(scan_params("barcode=1234567890 code=abc").is_empty());
    }

    #[test]
    fn ascii_escaped_json_of_a_secret_is_an_encoding() {
        let forms = encodings("s\u{e9}cret");
        assert!(forms.contains(&"s\\u00e9cret".to_string()), "{forms:?}");
        assert!(forms.contains(&"s\\u00E9cret".to_string()), "{forms:?}");
    }

    #[test]
    fn secrets_are_found_in_bodies_that_do_not_parse() {
        let cut = r#"{"token_type":"Bearer", "access_token" : "eyJ0eXAi.cut-here"#;
        assert_eq!(
            scan_secrets(cut),
            vec![("access_token", "eyJ0eXAi.cut-here".to_string())]
        );
        let escaped = r#"{"refresh_token":"a\/b\"c", "x": 1"#;
        assert_eq!(
            scan_secrets(escaped),
            vec![
                ("refresh_token", "a/b\"c".to_string()),
                ("refresh_token", r#"a\/b\"c"#.to_string())
            ]
        );
        let double = r#""{\"id_token\":\"hdr.claims.sig\"}""#;
        assert_eq!(
            scan_secrets(double),
            vec![("id_token", "hdr.claims.sig".to_string())]
        );
        // A name inside another word, or not followed by a string, is not a member.
        assert!(scan_secrets(r#"{"my_access_token_count": 3, "code": 12}"#).is_empty());
    }

    proptest! {
        /// Whatever the text, the scan ends and finds only values it holds.
        #[test]
        fn scanning_never_panics(text in "\\PC{0,200}") {
            for (_, v) in scan_secrets(&text) {
                prop_assert!(text.contains(&v) || v.chars().count() < text.chars().count());
            }
        }

        /// An issuer that echoes a secret in any encoding leaks none of them.
        #[test]
        fn no_encoding_of_a_secret_survives(
            secret in "[A-Za-z0-9 !#$%&'()*+,./:;<=>?@^_`{|}~\u{e9}\u{4e2d}\u{1f511}-]{8,40}",
            id in "[a-z0-9]{1,10}",
            before in "[ -~]{0,20}",
        ) {
            prop_assume!(!secret.contains("redacted") && !secret.contains("credentials"));
            let mut r = Redactor::new();
            r.add("secret", &secret);
            r.add_basic(&id, &secret);
            let mut forms = encodings(&secret);
            forms.extend(encodings(&format!("{id}:{secret}")));
            for form in forms.iter().filter(|f| f.len() >= 8) {
                let text = format!("{before}<{form}> and again {form}");
                let out = r.redact(&text);
                prop_assert!(!out.contains(form.as_str()), "{} survives in {}", form, out);
            }
        }

        /// `[` and `]` are outside the secret alphabet, so a secret can neither
        /// hide in nor straddle a replacement: none may survive.
        #[test]
        fn a_registered_secret_never_survives(secret in "[A-Za-z0-9_-]{8,40}", before in "[ -~]{0,20}", after in "[ -~]{0,20}") {
            prop_assume!(!"redacted".contains(&secret));
            let mut r = Redactor::new();
            r.add("token", &secret);
            let text = format!("{before}{secret}{after} {}", encode_component(&secret));
            prop_assert!(!r.redact(&text).contains(&secret));
        }
    }
}
