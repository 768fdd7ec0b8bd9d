//! Login pages: forms, links and title (`protocol::html`).

use super::lossy;
use crate::protocol::html;

fn folded(s: &str) -> bool {
    s == s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// HTML form extraction (`protocol::html::parse_page`): every extracted
/// field name, action and link target appears in the page (unless the page uses character references
/// or characters the HTML parser rewrites), there are no more forms than
/// `<form` tags, methods are GET or POST, a field's kind is an HTML input
/// type (an empty or unknown `type` is `text`, as in browsers), `select` or
/// `textarea`, buttons and non-fields never become fields, and labels, link
/// texts and the title are whitespace-folded.
pub fn check_html_form(data: &[u8]) {
    let s = lossy(data);
    let page = html::parse_page(&s);
    let lower = s.to_ascii_lowercase();
    assert!(page.forms.len() <= lower.matches("<form").count());
    // The tokenizer decodes `&...;`, turns NUL into U+FFFD and CR into LF.
    let rewritten = s.contains(['&', '\0', '\r']);
    for f in &page.forms {
        assert!(f.method == "GET" || f.method == "POST", "{:?}", f.method);
        if !rewritten {
            assert!(
                s.contains(&f.action),
                "action {:?} not in the page",
                f.action
            );
        }
        for field in &f.fields {
            if !rewritten {
                assert!(
                    s.contains(&field.name),
                    "field {:?} is not in the page",
                    field.name
                );
            }
            assert!(
                html::INPUT_TYPES.contains(&field.kind.as_str())
                    || field.kind == "select"
                    || field.kind == "textarea",
                "field of kind {:?}",
                field.kind
            );
            assert!(
                !["submit", "image", "reset", "button", "file"].contains(&field.kind.as_str()),
                "a {} control became a field",
                field.kind
            );
            if field.kind == "checkbox" || field.kind == "radio" {
                assert!(!field.value.is_empty());
            }
        }
        for b in &f.buttons {
            assert!(folded(&b.label), "label {:?} is not folded", b.label);
        }
        assert_eq!(
            f.has_password(),
            f.fields.iter().any(|x| x.kind == "password")
        );
    }
    for l in &page.links {
        if !rewritten {
            assert!(s.contains(&l.href), "link {:?} is not in the page", l.href);
        }
        assert!(folded(&l.text), "link text {:?} is not folded", l.text);
    }
    if let Some(t) = &page.title {
        assert!(folded(t), "title {t:?} is not folded");
    }
    if let Some(r) = &page.meta_refresh {
        assert!(!r.is_empty() && !r.starts_with(['\'', '"']) && !r.ends_with(['\'', '"']));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Generated login pages: the fields come back, in order, from the page.
        #[test]
        fn generated_forms_extract(names in proptest::collection::vec("[a-z_]{1,8}", 0..6)) {
            let inputs: String = names.iter().map(|n| format!("<input type=hidden name={n} value=v>")).collect();
            let page = format!("<form method=POST action=/login>{inputs}<button>Go</button></form>");
            check_html_form(page.as_bytes());
            let p = html::parse_page(&page);
            let got: Vec<&str> = p.forms[0].fields.iter().map(|f| f.name.as_str()).collect();
            prop_assert_eq!(got, names.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}
