//! `{{ path | filter }}` templates in scenario strings.
//!
//! Templates are parsed when a scenario is loaded (so a bad template is an
//! error at file:line:col before anything runs) and rendered when a step runs,
//! against the values the case has gathered so far.

use crate::protocol::pkce;
use crate::scenario::uri_op::UriOp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// `login.code` -> `["login", "code"]`.
    pub path: Vec<String>,
    pub filters: Vec<Filter>,
    /// Byte offset of the expression inside the template text, for messages.
    pub offset: usize,
    /// `{{ a.x or b.y }}`: paths tried in order when the first has no value
    /// (a rotated refresh token, else the one it would have replaced).
    pub or: Vec<Vec<String>>,
}

impl Expr {
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }

    /// The expression and each `or` alternative as its own expression (same
    /// offset, no filters): what the loader validates path by path.
    pub fn alternatives(&self) -> impl Iterator<Item = Expr> + '_ {
        std::iter::once(self.clone()).chain(self.or.iter().map(|p| Expr {
            path: p.clone(),
            filters: Vec::new(),
            offset: self.offset,
            or: Vec::new(),
        }))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Upper-cases ASCII letters.
    Upper,
    /// Lower-cases ASCII letters.
    Lower,
    /// Drops the last character (a truncated code or token).
    Chop,
    /// The first space-separated value (one scope of a scope list).
    First,
    /// The value N times over (oversized input, ADV-36), N at most
    /// [`MAX_REPEAT`].
    Repeat(usize),
    /// The S256 PKCE challenge of the value.
    S256,
    /// The first N characters.
    Take(usize),
    /// One character changed ([`flip`]): a value that differs from the
    /// original in exactly one place, as a fuzzer's tampering needs.
    Flip(usize),
    /// The case of one letter swapped ([`recase`]).
    Recase(usize),
    /// Form-encodes the value.
    UrlEncode,
    /// Base64url (no padding) of the value's bytes.
    Base64Url,
    /// One part of a URI changed and nothing else (`upper_host`,
    /// `other_port`, ...): probes derived from the profile's own URIs.
    Uri(UriOp),
    /// The URI with its port set to N (`port(49152)`).
    Port(u16),
}

/// The most `repeat` may multiply a value: 64 characters of `gen` make
/// 64 KB, the size that probes oversized input without building a bomb.
pub const MAX_REPEAT: usize = 1024;

/// The most bytes `repeat` makes, whatever it repeats (a token the issuer
/// sent may be long): the count is cut to fit.
pub const MAX_REPEAT_BYTES: usize = 64 * 1024;

pub const FILTERS: &[&str] = &[
    "upper",
    "lower",
    "chop",
    "first",
    "repeat",
    "s256",
    "take",
    "flip",
    "recase",
    "urlencode",
    "base64url",
    "port",
];

/// Every filter name: the value filters, then the URI operations.
pub fn filter_names() -> Vec<&'static str> {
    FILTERS.iter().chain(UriOp::NAMES).copied().collect()
}

impl Filter {
    pub fn apply(&self, v: &str) -> String {
        match self {
            Filter::Upper => v.to_ascii_uppercase(),
            Filter::Lower => v.to_ascii_lowercase(),
            Filter::First => v
                .split(' ')
                .find(|w| !w.is_empty())
                .unwrap_or("")
                .to_string(),
            // Bounded in bytes too: the value may be the issuer's.
            Filter::Repeat(n) => v.repeat((*n).min(MAX_REPEAT_BYTES / v.len().max(1))),
            Filter::Chop => {
                let mut s = v.to_string();
                s.pop();
                s
            }
            Filter::S256 => pkce::s256_challenge(v),
            Filter::Take(n) => v.chars().take(*n).collect(),
            Filter::Flip(n) => flip(v, *n),
            Filter::Recase(n) => recase(v, *n),
            Filter::UrlEncode => crate::protocol::form::encode_component(v),
            Filter::Base64Url => {
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.as_bytes())
            }
            Filter::Uri(op) => op.apply(v),
            Filter::Port(n) => crate::scenario::uri_op::with_port(v, *n),
        }
    }
}

/// `v` with the character at `n` (modulo every position but the last)
/// replaced by another of its class: a letter by a letter of the same case,
/// a digit by a digit, anything else by `A`. The last character is left
/// alone because in unpadded base64 it may carry only padding bits, which a
/// lenient decoder ignores: a token changed there could decode unchanged.
/// A value of one character is changed at that character; an empty one
/// becomes `A`. The result always differs from `v`.
pub fn flip(v: &str, n: usize) -> String {
    let mut chars: Vec<char> = v.chars().collect();
    if chars.is_empty() {
        return "A".into();
    }
    let i = n % chars.len().saturating_sub(1).max(1);
    let c = chars[i];
    chars[i] = match c {
        'a'..='y' | 'A'..='Y' | '0'..='8' => (c as u8 + 1) as char,
        'z' => 'a',
        'Z' => 'A',
        '9' => '0',
        _ => 'A',
    };
    chars.into_iter().collect()
}

/// `v` with the case of its n-th ASCII letter (modulo their number)
/// swapped: what a comparison that ignores case cannot tell apart. A value
/// without letters gets `A` appended, so the result always differs.
pub fn recase(v: &str, n: usize) -> String {
    let letters: Vec<usize> = v
        .char_indices()
        .filter(|(_, c)| c.is_ascii_alphabetic())
        .map(|(i, _)| i)
        .collect();
    let Some(&at) = letters.get(n % letters.len().max(1)) else {
        return format!("{v}A");
    };
    let mut out = v.to_string();
    let c = v.as_bytes()[at] as char;
    let swapped = match c.is_ascii_uppercase() {
        true => c.to_ascii_lowercase(),
        false => c.to_ascii_uppercase(),
    };
    out.replace_range(at..at + 1, &swapped.to_string());
    out
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    pub message: String,
    /// Byte offset inside the template text.
    pub offset: usize,
    pub help: Option<String>,
}

impl Template {
    /// A template with no expressions.
    pub fn literal(s: &str) -> Self {
        Self {
            parts: vec![Part::Lit(s.to_string())],
        }
    }

    pub fn parse(src: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = src;
        let mut base = 0usize;
        while let Some(open) = rest.find("{{") {
            // A `}}` before the next `{{` is unmatched too; the check after the
            // loop only sees the tail, so `x }} {{ a }}` used to pass with a
            // literal `x }} ` (found by the `template` fuzz target).
            if let Some(i) = rest[..open].find("}}") {
                return Err(TemplateError {
                    message: "`}}` without a matching `{{`".into(),
                    offset: base + i,
                    help: None,
                });
            }
            if open > 0 {
                parts.push(Part::Lit(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(TemplateError {
                    message: "`{{` is never closed".into(),
                    offset: base + open,
                    help: Some("close the expression with `}}`".into()),
                });
            };
            let inner = &after[..close];
            let expr = parse_expr(inner, base + open + 2)?;
            parts.push(Part::Expr(expr));
            let consumed = open + 2 + close + 2;
            base += consumed;
            rest = &rest[consumed..];
        }
        if let Some(i) = rest.find("}}") {
            return Err(TemplateError {
                message: "`}}` without a matching `{{`".into(),
                offset: base + i,
                help: None,
            });
        }
        if !rest.is_empty() {
            parts.push(Part::Lit(rest.to_string()));
        }
        Ok(Self { parts })
    }

    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e) => Some(e),
            Part::Lit(_) => None,
        })
    }

    /// Renders with `lookup` resolving each path; the first path it cannot
    /// resolve is returned as the error.
    pub fn render<F>(&self, mut lookup: F) -> Result<String, String>
    where
        F: FnMut(&Expr) -> Result<String, String>,
    {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Expr(e) => {
                    let mut v = first_value(e, &mut lookup)?;
                    for f in &e.filters {
                        v = f.apply(&v);
                    }
                    out.push_str(&v);
                }
            }
        }
        Ok(out)
    }
}

/// The value of the first of `e`'s paths that has one; the error of the
/// first path when none has.
fn first_value<F>(e: &Expr, lookup: &mut F) -> Result<String, String>
where
    F: FnMut(&Expr) -> Result<String, String>,
{
    let mut first_err = None;
    for alt in e.alternatives() {
        match lookup(&alt) {
            Ok(v) => return Ok(v),
            Err(err) => {
                first_err.get_or_insert(err);
            }
        }
    }
    Err(first_err.unwrap_or_default())
}

fn parse_expr(inner: &str, offset: usize) -> Result<Expr, TemplateError> {
    let mut pieces = inner.split('|');
    let head = pieces.next().unwrap_or("").trim();
    let err = |message: String, help: Option<String>| TemplateError {
        message,
        offset,
        help,
    };
    if head.is_empty() {
        return Err(err(
            "empty expression".into(),
            Some("write a value path such as `{{ login.code }}`".into()),
        ));
    }
    let mut paths = Vec::new();
    for alt in head.split(" or ") {
        let path: Vec<String> = alt.trim().split('.').map(str::to_string).collect();
        if path.iter().any(|seg| !is_segment(seg)) {
            return Err(err(
                format!("`{}` is not a value path", alt.trim()),
                Some("paths are names joined by dots, e.g. `first.access_token`, alternatives joined by ` or `".into()),
            ));
        }
        paths.push(path);
    }
    let path = paths.remove(0);
    let mut filters = Vec::new();
    for f in pieces {
        let f = f.trim();
        let (name, arg) = match f.split_once('(') {
            Some((n, a)) => {
                let Some(a) = a.strip_suffix(')') else {
                    return Err(err(format!("filter `{f}` is missing `)`"), None));
                };
                (n.trim(), Some(a.trim()))
            }
            None => (f, None),
        };
        if let (Some(op), None) = (UriOp::from_name(name), arg) {
            filters.push(Filter::Uri(op));
            continue;
        }
        let filter = match (name, arg) {
            ("upper", None) => Filter::Upper,
            ("lower", None) => Filter::Lower,
            ("chop", None) => Filter::Chop,
            ("first", None) => Filter::First,
            ("s256", None) => Filter::S256,
            ("urlencode", None) => Filter::UrlEncode,
            ("base64url", None) => Filter::Base64Url,
            ("take", Some(a)) => match a.parse() {
                Ok(n) => Filter::Take(n),
                Err(_) => return Err(err(format!("`take` wants a whole number, got `{a}`"), None)),
            },
            ("take", None) => return Err(err("`take` needs a length: `take(43)`".into(), None)),
            ("flip", Some(a)) => match a.parse() {
                Ok(n) => Filter::Flip(n),
                Err(_) => return Err(err(format!("`flip` needs a position, not `{a}`"), None)),
            },
            ("flip", None) => return Err(err("`flip` needs a position: `flip(3)`".into(), None)),
            ("recase", Some(a)) => match a.parse() {
                Ok(n) => Filter::Recase(n),
                Err(_) => return Err(err(format!("`recase` needs a position, not `{a}`"), None)),
            },
            ("recase", None) => {
                return Err(err("`recase` needs a position: `recase(0)`".into(), None))
            }
            ("repeat", Some(a)) => match a.parse() {
                Ok(n) if n <= MAX_REPEAT => Filter::Repeat(n),
                _ => {
                    return Err(err(
                        format!("`repeat` needs a count from 0 to {MAX_REPEAT}, not `{a}`"),
                        None,
                    ))
                }
            },
            ("repeat", None) => {
                return Err(err("`repeat` needs a count: `repeat(512)`".into(), None))
            }
            ("port", Some(a)) => match a.parse() {
                Ok(n) => Filter::Port(n),
                Err(_) => return Err(err(format!("`port` wants a port number, got `{a}`"), None)),
            },
            ("port", None) => return Err(err("`port` needs a number: `port(49152)`".into(), None)),
            (n, Some(_)) if FILTERS.contains(&n) || UriOp::from_name(n).is_some() => {
                return Err(err(format!("filter `{n}` takes no argument"), None))
            }
            (n, _) => {
                return Err(err(
                    format!("unknown filter `{n}`"),
                    Some(
                        match crate::scenario::diag::did_you_mean(n, &filter_names()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("filters are: {}", filter_names().join(", ")),
                        },
                    ),
                ))
            }
        };
        filters.push(filter);
    }
    Ok(Expr {
        path,
        filters,
        offset,
        or: paths,
    })
}

fn is_segment(seg: &str) -> bool {
    !seg.is_empty()
        && seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_and_repeat() {
        assert_eq!(Filter::First.apply("api:read api:write"), "api:read");
        assert_eq!(Filter::First.apply("  openid "), "openid");
        assert_eq!(Filter::First.apply(""), "");
        assert_eq!(Filter::Repeat(3).apply("ab"), "ababab");
        assert_eq!(Filter::Repeat(0).apply("ab"), "");
        let long = "x".repeat(40_000);
        assert_eq!(
            Filter::Repeat(1024).apply(&long).len(),
            40_000,
            "cut to 64 KiB"
        );
        let t = Template::parse("{{ gen.x | repeat(2000) }}");
        assert!(t.is_err(), "repeat is bounded");
    }
    use proptest::prelude::*;

    #[test]
    fn parses_and_renders() {
        let t =
            Template::parse("{{ clients.c1.redirect_uri }}/evil?x={{ login.code | chop | upper }}")
                .unwrap();
        let out = t
            .render(|e| match e.dotted().as_str() {
                "clients.c1.redirect_uri" => Ok("https://c1.example/cb".into()),
                "login.code" => Ok("abcd".into()),
                other => Err(other.to_string()),
            })
            .unwrap();
        assert_eq!(out, "https://c1.example/cb/evil?x=ABC");
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(Template::parse("ab {{ x").unwrap_err().offset, 3);
        let e = Template::parse("{{ a | uper }}").unwrap_err();
        assert!(e.message.contains("unknown filter"));
        assert_eq!(e.help.as_deref(), Some("did you mean `upper`?"));
        assert!(Template::parse("{{ }}").is_err());
        assert!(Template::parse("{{ a..b }}").is_err());
        assert!(Template::parse("x }}").is_err());
        assert!(Template::parse("{{ a | take(x) }}").is_err());
    }

    #[test]
    fn filters() {
        let t = Template::parse("{{ v | take(43) | s256 }}").unwrap();
        let out = t
            .render(|_| Ok("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXkEXTRA".into()))
            .unwrap();
        assert_eq!(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    proptest! {
        #[test]
        fn literal_text_round_trips(s in "[^{}]*") {
            let t = Template::parse(&s).unwrap();
            prop_assert_eq!(t.render(|_| Err(String::new())).unwrap(), s);
        }

        #[test]
        fn never_panics(s in ".*") {
            let _ = Template::parse(&s);
        }

        #[test]
        fn recase_swaps_one_letter(v in "[A-Za-z0-9._~-]{0,40}", n in 0usize..100) {
            let r = super::recase(&v, n);
            prop_assert_ne!(&r, &v);
            if v.bytes().any(|b| b.is_ascii_alphabetic()) {
                prop_assert_eq!(r.to_ascii_lowercase(), v.to_ascii_lowercase());
            }
        }

        /// A flipped value always differs, in exactly one character, of
        /// the same length, never in the last place of a longer value.
        #[test]
        fn flip_changes_one_character(v in "[A-Za-z0-9._~+/=-]{1,80}", n in 0usize..1000) {
            let f = super::flip(&v, n);
            prop_assert_ne!(&f, &v);
            let (a, b): (Vec<char>, Vec<char>) = (v.chars().collect(), f.chars().collect());
            prop_assert_eq!(a.len(), b.len());
            prop_assert_eq!(a.iter().zip(&b).filter(|(x, y)| x != y).count(), 1);
            if a.len() > 1 {
                prop_assert_eq!(a.last(), b.last());
            }
        }
    }
}
