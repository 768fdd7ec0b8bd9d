//! `application/x-www-form-urlencoded` parameters kept as an ordered list.
//!
//! A map would silently drop duplicates, and duplicated parameters are
//! exactly what the pollution checks (AUTHZ-09, TOK-09, ADV-17/18) probe, so
//! every occurrence is kept and callers decide.

use percent_encoding::percent_decode;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("parameters are not valid UTF-8")]
    InvalidUtf8,
}

/// Decodes one form-urlencoded component: `+` is a space (RFC 6749 App. B),
/// then percent-decoding; the result must be valid UTF-8 (never lossy, so
/// two different byte strings cannot collapse into one value).
pub fn form_decode(raw: &[u8]) -> Result<String, ParamError> {
    let plus_fixed: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes: Vec<u8> = percent_decode(&plus_fixed).collect();
    String::from_utf8(bytes).map_err(|_| ParamError::InvalidUtf8)
}

impl Params {
    pub fn parse(input: &[u8]) -> Result<Params, ParamError> {
        let mut out = Vec::new();
        for pair in input.split(|&b| b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &pair[pair.len()..]),
            };
            out.push((form_decode(name)?, form_decode(value)?));
        }
        Ok(Params(out))
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        Params(pairs)
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Number of occurrences, empty values included.
    pub fn count(&self, name: &str) -> usize {
        self.0.iter().filter(|(n, _)| n == name).count()
    }

    /// The name of the first parameter that occurs more than once.
    pub fn first_duplicate(&self) -> Option<&str> {
        self.0
            .iter()
            .enumerate()
            .find(|(i, (n, _))| self.0[..*i].iter().any(|(m, _)| m == n))
            .map(|(_, (n, _))| n.as_str())
    }

    /// The value of `name`, with an empty value treated as absent.
    /// With duplicates this returns the first value, or the last one when
    /// `last_wins` (the `duplicate_params_last_wins` fault); callers reject
    /// duplicates before relying on this in conformant mode.
    pub fn get(&self, name: &str, last_wins: bool) -> Option<&str> {
        let mut it = self
            .0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str());
        let v = if last_wins { it.next_back() } else { it.next() };
        v.filter(|v| !v.is_empty())
    }

    /// The first value of `name` as sent, an empty one included (the
    /// `empty_params_as_values` fault reads parameters this way).
    pub fn get_raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Present at least once with a non-empty value.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, v)| n == name && !v.is_empty())
    }
}

/// Is the body declared as `application/x-www-form-urlencoded` (with no
/// charset, or UTF-8)? Anything else is refused rather than sniffed
/// (ADV-19: JSON, multipart and text/plain bodies are CSRF-able or ambiguous).
/// Whether `raw` holds a `%` not followed by two hex digits: an escape a
/// decoder leaves as it is, which the robustness faults fail on.
pub fn has_broken_escape(raw: &[u8]) -> bool {
    raw.iter().enumerate().any(|(i, &b)| {
        b == b'%'
            && !raw
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    })
}

pub fn is_form_content_type(headers: &axum::http::HeaderMap) -> bool {
    let mut values = headers.get_all(axum::http::header::CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let mut parts = value.split(';');
    let mime = parts.next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return false;
    }
    parts.all(|p| {
        let p = p.trim();
        if p.is_empty() {
            return true;
        }
        match p.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                let v = v.trim().trim_matches('"');
                v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8")
            }
            _ => false,
        }
    })
}

/// Parses a form body, refusing a byte-order mark (ADV-19).
pub fn parse_form_body(body: &[u8]) -> Result<Params, ParamError> {
    if body.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(ParamError::InvalidUtf8);
    }
    Params::parse(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_duplicates() {
        let p = Params::parse(b"a=1&b=2&a=3").unwrap();
        assert_eq!(p.count("a"), 2);
        assert_eq!(p.first_duplicate(), Some("a"));
        assert_eq!(p.get("a", false), Some("1"));
        assert_eq!(p.get("a", true), Some("3"));
        assert_eq!(p.get("b", false), Some("2"));
    }

    #[test]
    fn decodes_plus_and_percent() {
        let p = Params::parse(b"state=a+b%2Bc%26d%3De%2F~%C3%A9.&x").unwrap();
        assert_eq!(p.get("state", false), Some("a b+c&d=e/~\u{e9}."));
        assert_eq!(p.count("x"), 1);
        assert_eq!(p.get("x", false), None);
    }

    #[test]
    fn empty_is_absent_but_counted() {
        let p = Params::parse(b"state=&nonce=n&&").unwrap();
        assert_eq!(p.get("state", false), None);
        assert!(!p.has("state"));
        assert_eq!(p.count("state"), 1);
        assert_eq!(p.first_duplicate(), None);
    }

    #[test]
    fn broken_escapes() {
        assert!(has_broken_escape(b"a=%zz"));
        assert!(has_broken_escape(b"a=%4"));
        assert!(has_broken_escape(b"a=%"));
        assert!(!has_broken_escape(b"a=%41&b=%fF"));
        assert!(!has_broken_escape(b"a=b"));
    }

    #[test]
    fn rejects_invalid_utf8() {
        assert_eq!(Params::parse(b"a=%FF"), Err(ParamError::InvalidUtf8));
        assert_eq!(Params::parse(b"a=\xff"), Err(ParamError::InvalidUtf8));
    }

    #[test]
    fn form_content_type() {
        use axum::http::{header::CONTENT_TYPE, HeaderMap, HeaderValue};
        let check = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
            is_form_content_type(&h)
        };
        assert!(check("application/x-www-form-urlencoded"));
        assert!(check("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
        assert!(!check(
            "application/x-www-form-urlencoded; charset=iso-8859-1"
        ));
        assert!(!check("application/json"));
        assert!(!check("multipart/form-data; boundary=x"));
        assert!(!check("text/plain"));
        assert!(!is_form_content_type(&HeaderMap::new()));
        assert!(parse_form_body(b"\xEF\xBB\xBFa=b").is_err());
    }

    #[test]
    fn malformed_percent_is_literal() {
        let p = Params::parse(b"a=%zz%").unwrap();
        assert_eq!(p.get("a", false), Some("%zz%"));
    }
}
