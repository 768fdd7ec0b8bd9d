//! Scenario templates and their filters (`scenario::template`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::lossy;
use crate::protocol::form::decode_component;
use crate::protocol::pkce;
use crate::scenario::template::{Filter, Part, Template};
use crate::scenario::uri_op;

fn filter_name(f: &Filter) -> String {
    match f {
        Filter::Upper => "upper".into(),
        Filter::Lower => "lower".into(),
        Filter::Chop => "chop".into(),
        Filter::First => "first".into(),
        Filter::Repeat(n) => format!("repeat({n})"),
        Filter::S256 => "s256".into(),
        Filter::Take(n) => format!("take({n})"),
        Filter::Flip(n) => format!("flip({n})"),
        Filter::Recase(n) => format!("recase({n})"),
        Filter::UrlEncode => "urlencode".into(),
        Filter::Base64Url => "base64url".into(),
        Filter::Uri(op) => op.name().into(),
        Filter::Port(n) => format!("port({n})"),
    }
}

/// Parts without offsets, for comparing a template with its re-rendering.
fn template_shape(t: &Template) -> Vec<(String, Vec<String>, Vec<Filter>)> {
    t.parts
        .iter()
        .map(|p| match p {
            Part::Lit(s) => (s.clone(), Vec::new(), Vec::new()),
            Part::Expr(e) => (String::new(), e.path.clone(), e.filters.clone()),
        })
        .collect()
}

fn check_filter(f: &Filter, v: &str) {
    let out = f.apply(v);
    match f {
        Filter::Upper => assert_eq!(out, v.to_ascii_uppercase()),
        Filter::Lower => assert_eq!(out, v.to_ascii_lowercase()),
        Filter::Chop => assert_eq!(out.chars().count(), v.chars().count().saturating_sub(1)),
        Filter::First => assert!(!out.contains(' ') && (out.is_empty() || v.contains(&out))),
        Filter::Repeat(n) => {
            let fits = (*n).min(crate::scenario::template::MAX_REPEAT_BYTES / v.len().max(1));
            assert_eq!(out.len(), v.len() * fits);
            assert!(out.len() <= crate::scenario::template::MAX_REPEAT_BYTES.max(v.len()));
        }
        Filter::Take(n) => {
            assert!(v.starts_with(&out));
            assert_eq!(out.chars().count(), v.chars().count().min(*n));
        }
        Filter::Recase(_) => assert_ne!(out, v),
        Filter::Flip(_) => {
            assert_ne!(out, v);
            assert_eq!(out.chars().count(), v.chars().count().max(1));
        }
        Filter::S256 => assert!(pkce::is_s256_challenge_shape(&out)),
        Filter::UrlEncode => assert_eq!(decode_component(&out), v),
        Filter::Base64Url => assert_eq!(URL_SAFE_NO_PAD.decode(&out).ok(), Some(v.into())),
        // A URI operation leaves what does not split as a URI alone, and
        // what does split still splits.
        Filter::Uri(_) | Filter::Port(_) => match uri_op::Parts::split(v) {
            None => assert_eq!(out, v),
            Some(_) => assert!(uri_op::Parts::split(&out).is_some(), "{v:?} -> {out:?}"),
        },
    }
}

/// Templates (`scenario::template`): literal parts never hold `{{` or `}}`
/// (a stray `}}` is an error wherever it is), are never empty or adjacent;
/// expression offsets point just after their `{{`; a template re-rendered
/// canonically parses to the same parts; a template without expressions
/// renders to its source; render stops at the first unresolved path; every
/// filter keeps its promise; an error points inside the source.
pub fn check_template(data: &[u8]) {
    let s = lossy(data);
    let t = match Template::parse(&s) {
        Ok(t) => t,
        Err(e) => {
            assert!(e.offset <= s.len(), "error offset past the end");
            assert!(!e.message.is_empty());
            return;
        }
    };
    let mut prev_lit = false;
    let mut rendered = String::new();
    for p in &t.parts {
        match p {
            Part::Lit(l) => {
                assert!(!l.is_empty() && !prev_lit, "empty or adjacent literals");
                assert!(
                    !l.contains("{{") && !l.contains("}}"),
                    "literal {l:?} holds a delimiter"
                );
                rendered.push_str(l);
                prev_lit = true;
            }
            Part::Expr(e) => {
                assert!(
                    s.get(..e.offset).is_some_and(|b| b.ends_with("{{")),
                    "offset {} is not after a `{{{{`",
                    e.offset
                );
                assert!(e.path.iter().all(|seg| !seg.is_empty()));
                rendered.push_str("{{ ");
                rendered.push_str(&e.dotted());
                for f in &e.filters {
                    rendered.push_str(" | ");
                    rendered.push_str(&filter_name(f));
                    check_filter(f, &s);
                }
                rendered.push_str(" }}");
                prev_lit = false;
            }
        }
    }
    let again = Template::parse(&rendered).expect("a re-rendered template parses");
    assert_eq!(template_shape(&again), template_shape(&t), "{rendered:?}");
    match t.exprs().next() {
        None => assert_eq!(t.render(|_| Err(String::new())).as_deref(), Ok(&*s)),
        Some(first) => assert_eq!(t.render(|e| Err(e.dotted())), Err(first.dotted())),
    }
    let _ = t.render(|e| Ok(e.dotted()));
}
