//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1, RFC 6750 §3).

/// One challenge: a scheme with either a token68 or auth-params.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Challenge {
    pub scheme: String,
    pub token68: Option<String>,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a header value into its challenges. Lenient where real servers are
/// sloppy (stray whitespace, unquoted values) and never panics; what cannot be
/// read is skipped.
pub fn parse(header: &str) -> Vec<Challenge> {
    let mut p = Cursor {
        s: header.as_bytes(),
        i: 0,
    };
    let mut out: Vec<Challenge> = Vec::new();
    loop {
        p.skip_ws_commas();
        if p.done() {
            break;
        }
        let Some(tok) = p.token() else {
            p.i += 1; // an unexpected byte: skip it and resync
            continue;
        };
        p.skip_ws();
        if p.peek() == Some(b'=') {
            // `name=value` after a scheme is an auth-param of the last challenge.
            p.i += 1;
            p.skip_ws();
            let value = p.value();
            match out.last_mut() {
                Some(c) => c.params.push((tok, value)),
                None => out.push(Challenge {
                    scheme: tok,
                    token68: None,
                    params: vec![],
                }),
            }
            continue;
        }
        let mut ch = Challenge {
            scheme: tok,
            token68: None,
            params: vec![],
        };
        // A token68 follows a scheme directly and is not itself a param name.
        let save = p.i;
        if let Some(t) = p.token68() {
            p.skip_ws();
            if p.done() || p.peek() == Some(b',') {
                ch.token68 = Some(t);
            } else {
                p.i = save;
            }
        }
        out.push(ch);
    }
    out
}

/// The attributes RFC 6750 §3 defines; each may appear at most once.
const BEARER_ATTRIBUTES: &[&str] = &["realm", "scope", "error", "error_description", "error_uri"];

/// What is wrong with the `Bearer` challenges of a header value (RFC 6750
/// §3, BEAR-08): each defined attribute at most once, `realm` a quoted
/// string (RFC 9110 §11.5; the others may be tokens, RFC 9110 §11.2), and
/// `error` and `error_description` within %x20-21 / %x23-5B / %x5D-7E. An
/// empty list when nothing is; a header without a Bearer challenge is one
/// problem.
pub fn bearer_problems(header: &str) -> Vec<String> {
    let challenges: Vec<Challenge> = parse(header)
        .into_iter()
        .filter(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        .collect();
    if challenges.is_empty() {
        return vec!["no Bearer challenge".into()];
    }
    let mut out = Vec::new();
    for c in &challenges {
        for name in BEARER_ATTRIBUTES {
            let n = c
                .params
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .count();
            if n > 1 {
                out.push(format!("`{name}` appears {n} times"));
            }
        }
        for (k, v) in &c.params {
            let restricted =
                k.eq_ignore_ascii_case("error") || k.eq_ignore_ascii_case("error_description");
            if restricted
                && !v
                    .bytes()
                    .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
            {
                out.push(format!("`{k}` has characters RFC 6750 §3 does not allow"));
            }
        }
    }
    if unquoted(header, "realm") {
        out.push("`realm` is not a quoted string".into());
    }
    out
}

/// Whether `name=` occurs in `header`, outside any quoted string, as a
/// parameter whose value does not start with a double quote.
fn unquoted(header: &str, name: &str) -> bool {
    let b = header.as_bytes();
    let (mut i, mut quoted, mut escaped) = (0, false, false);
    while i < b.len() {
        let c = b[i];
        if quoted {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => quoted = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if c == b'"' {
            quoted = true;
            i += 1;
            continue;
        }
        let boundary = i == 0 || matches!(b[i - 1], b' ' | b',' | b'\t');
        let here = b[i..].len() >= name.len()
            && b[i..i + name.len()].eq_ignore_ascii_case(name.as_bytes());
        if boundary && here {
            let mut j = i + name.len();
            while matches!(b.get(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            if b.get(j) == Some(&b'=') {
                j += 1;
                while matches!(b.get(j), Some(b' ' | b'\t')) {
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    return true;
                }
            }
        }
        i += 1;
    }
    false
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn skip_ws_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b) {
                self.i += 1;
            } else {
                break;
            }
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    fn token68(&mut self) -> Option<String> {
        let start = self.i;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b"-._~+/".contains(&b) {
                self.i += 1;
            } else {
                break;
            }
        }
        while self.peek() == Some(b'=') {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    fn value(&mut self) -> String {
        if self.peek() == Some(b'"') {
            self.i += 1;
            let mut v = Vec::new();
            while let Some(b) = self.peek() {
                self.i += 1;
                match b {
                    b'\\' => {
                        if let Some(n) = self.peek() {
                            v.push(n);
                            self.i += 1;
                        }
                    }
                    b'"' => break,
                    _ => v.push(b),
                }
            }
            String::from_utf8_lossy(&v).into_owned()
        } else {
            let start = self.i;
            while let Some(b) = self.peek() {
                if b == b',' || b == b' ' || b == b'\t' {
                    break;
                }
                self.i += 1;
            }
            String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bearer_problems_of_good_and_bad_challenges() {
        assert!(bearer_problems(r#"Bearer realm="x", error="invalid_token""#).is_empty());
        assert!(bearer_problems(r#"Bearer realm="x""#).is_empty());
        let p = bearer_problems(r#"Bearer realm=x, error=invalid_token, error="x""#);
        assert!(p.iter().any(|s| s.contains("appears 2 times")), "{p:?}");
        assert!(
            p.iter()
                .any(|s| s.contains("`realm` is not a quoted string")),
            "{p:?}"
        );
        // A token-form error is allowed, and `scope=` inside a quoted
        // description is text, not a parameter.
        assert!(bearer_problems(
            r#"Bearer realm="r", error=invalid_token, error_description="needs scope=openid""#
        )
        .is_empty());
        assert!(!bearer_problems(r#"Bearer error_description="a\"b""#).is_empty());
        assert_eq!(
            bearer_problems("Basic realm=\"x\""),
            ["no Bearer challenge"]
        );
    }

    #[test]
    fn bearer_with_params() {
        let c = parse(
            r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(c[0].param("error"), Some("invalid_token"));
        assert_eq!(
            c[0].param("ERROR_DESCRIPTION"),
            Some("The access token expired")
        );
    }

    #[test]
    fn several_challenges_and_token68() {
        let c = parse(r#"Basic realm="a", Bearer, Negotiate abc+/="#);
        let schemes: Vec<_> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "Bearer", "Negotiate"]);
        assert_eq!(c[2].token68.as_deref(), Some("abc+/="));
        assert_eq!(c[0].param("realm"), Some("a"));
    }

    #[test]
    fn escapes_and_garbage() {
        let c = parse(r#"Bearer error="a\"b""#);
        assert_eq!(c[0].param("error"), Some("a\"b"));
        assert!(parse("").is_empty());
        let _ = parse("\"\"\"===,,,  @@@");
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = parse(&s);
        }

        #[test]
        fn quoted_params_round_trip(scheme in "[A-Za-z]{1,10}", v in "[ -!#-\\[\\]-~]{0,30}") {
            let c = parse(&format!("{scheme} error=\"{v}\""));
            prop_assert_eq!(c.len(), 1);
            prop_assert_eq!(c[0].param("error"), Some(v.as_str()));
        }
    }
}
