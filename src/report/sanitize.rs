//! Text from the issuer, made safe for a terminal and for text reports.
//!
//! Bodies, headers, error descriptions and reasons carry bytes an issuer
//! chose. An ESC or BEL among them could clear the screen, set a window
//! title or paint a forged green PASS; a bidi override could reorder what a
//! reviewer reads. The text renderers (terminal, JUnit, Markdown, GitHub
//! annotations) therefore read a copy of the report in which every such
//! character is written as a visible escape (`\x1b`, `\u{202e}`). JSON
//! escapes them itself and HTML shows them inert, so those two read the
//! report as it is.

use std::borrow::Cow;

use serde_json::Value;

use super::model::{CaseResult, RunReport};

/// Characters a text renderer must not print raw: C0 controls, DEL, C1
/// controls, and the Unicode bidi embeddings, overrides and isolates.
/// `keep_newlines` spares `\n` and `\t` (bodies, which the renderers fold).
fn is_hostile(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_newlines,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => true,
        _ => false,
    }
}

/// `s` with every hostile character escaped; borrowed when there is none.
pub fn escape_controls(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hostile(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !is_hostile(c, keep_newlines) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// A copy of the report whose every string is safe to print. Bodies keep
/// their line breaks (the renderers fold them); every other string is one
/// line.
pub fn for_text(report: &RunReport) -> RunReport {
    cleaned(report)
}

/// A copy of one case safe to print, as [`for_text`] makes a report's.
pub fn case_for_text(case: &CaseResult) -> CaseResult {
    cleaned(case)
}

fn cleaned<T: serde::Serialize + serde::de::DeserializeOwned>(x: &T) -> T {
    let mut v = serde_json::to_value(x).expect("the report serialises");
    clean(&mut v, false);
    // Escaping keeps every field's type, so the round trip cannot fail.
    serde_json::from_value(v).expect("a cleaned report deserialises")
}

fn clean(v: &mut Value, keep_newlines: bool) {
    match v {
        Value::String(s) => {
            if let Cow::Owned(o) = escape_controls(s, keep_newlines) {
                *s = o;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| clean(x, keep_newlines)),
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                clean(x, keep_newlines || k == "body");
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::fixtures::{case, report};
    use crate::report::model::Outcome;
    use proptest::prelude::*;

    #[test]
    fn escapes_are_visible_and_plain_text_is_untouched() {
        assert_eq!(escape_controls("plain ✓ text", false), "plain ✓ text");
        assert_eq!(
            escape_controls("\u{1b}[2J\u{7}PASS\r\n", false),
            "\\x1b[2J\\x07PASS\\r\\n"
        );
        assert_eq!(escape_controls("a\u{202e}b", false), "a\\u{202e}b");
        assert_eq!(escape_controls("line\nnext\tx", true), "line\nnext\tx");
    }

    #[test]
    fn a_report_copy_carries_no_control_character() {
        let mut c = case("a.b", &["CODE-01"], Outcome::Fail);
        c.reason = Some("got \u{1b}]0;owned\u{7} and \u{1b}[32mPASS".into());
        let clean = for_text(&report(vec![c]));
        let reason = clean.cases[0].reason.as_deref().unwrap();
        assert!(
            !reason.contains('\u{1b}') && !reason.contains('\u{7}'),
            "{reason}"
        );
        assert!(reason.contains("\\x1b]0;owned\\x07"), "{reason}");
    }

    proptest! {
        #[test]
        fn nothing_hostile_survives(s in any::<String>(), keep in any::<bool>()) {
            let out = escape_controls(&s, keep);
            prop_assert!(!out.chars().any(|c| is_hostile(c, keep)));
            if !s.chars().any(|c| is_hostile(c, keep)) {
                prop_assert_eq!(out.as_ref(), s.as_str());
            }
        }
    }
}
