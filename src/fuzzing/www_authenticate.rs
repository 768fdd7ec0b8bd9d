//! `WWW-Authenticate` challenges (`protocol::www_authenticate`).

use super::lossy;
use crate::protocol::www_authenticate::{self, Challenge};

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// A canonical `WWW-Authenticate` value for parsed challenges: every
/// auth-param value quoted and escaped.
fn render_challenges(cs: &[Challenge]) -> String {
    let mut out = Vec::new();
    for c in cs {
        let mut s = c.scheme.clone();
        let mut sep = " ";
        if let Some(t) = &c.token68 {
            s.push(' ');
            s.push_str(t);
            sep = ", ";
        }
        for (n, v) in &c.params {
            s.push_str(sep);
            sep = ", ";
            s.push_str(n);
            s.push_str("=\"");
            for ch in v.chars() {
                if ch == '"' || ch == '\\' {
                    s.push('\\');
                }
                s.push(ch);
            }
            s.push('"');
        }
        out.push(s);
    }
    out.join(", ")
}

/// `WWW-Authenticate` (`protocol::www_authenticate::parse`): schemes and
/// parameter names are tokens, a token68 has the token68 syntax, `param`
/// finds every parameter, and the challenges re-rendered canonically parse
/// back to the same challenges.
pub fn check_www_authenticate(data: &[u8]) {
    let s = lossy(data);
    let cs = www_authenticate::parse(&s);
    for c in &cs {
        assert!(!c.scheme.is_empty() && c.scheme.chars().all(is_token_char));
        if let Some(t) = &c.token68 {
            let body = t.trim_end_matches('=');
            assert!(!t.is_empty());
            assert!(body
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-._~+/".contains(ch)));
        }
        for (n, _) in &c.params {
            assert!(!n.is_empty() && n.chars().all(is_token_char), "{n:?}");
            assert!(c.param(n).is_some());
            assert!(c.param(&n.to_ascii_uppercase()).is_some());
        }
    }
    let rendered = render_challenges(&cs);
    assert_eq!(
        www_authenticate::parse(&rendered),
        cs,
        "re-rendered as {rendered:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Generated WWW-Authenticate values parse to what was written.
        #[test]
        fn generated_challenges_parse(
            scheme in "[A-Za-z][A-Za-z0-9-]{0,8}",
            params in proptest::collection::vec(("[a-z_]{1,10}", "[ -~]{0,12}"), 0..4),
        ) {
            let c = Challenge { scheme, token68: None, params };
            let header = render_challenges(std::slice::from_ref(&c));
            prop_assert_eq!(www_authenticate::parse(&header), vec![c]);
        }
    }
}
