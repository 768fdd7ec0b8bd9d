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
