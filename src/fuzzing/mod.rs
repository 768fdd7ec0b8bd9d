//! Invariant checks for every parser of the pure core, shared by the fuzz
//! targets (`fuzz/fuzz_targets/<target>.rs`), the regression test that
//! replays `fuzz/regressions/` and `fuzz/seeds/` (`tests/integration/fuzz_regressions.rs`)
//! and the property tests beside each check.
//!
//! Each `check_<target>(data)` feeds arbitrary bytes to one parser and panics
//! when a property that parser promises does not hold: not only "no panic",
//! but round trips, agreement with the format's definition, and what the
//! callers rely on. Text parsers get the bytes as lossy UTF-8. Inputs that
//! carry several strings separate them with the byte `0xFF`, which never
//! occurs in UTF-8 (see [`SEP`]).
//!
//! Pure: no I/O, no randomness (the redactor gets a fixed salt). The one
//! outside input is the process environment behind `profile::Env`, and the
//! profile checks only compare the loader with `Env::get` itself.
//!
//! One file per checked module, named after it: `scenario` (scenario files),
//! `profile` (profile files and their environment), `token`, `callback`,
//! `form`, `www_authenticate`, `tls` (probe replies), `discovery`, `jwt` (tokens and JWKS), `html`
//! (login pages), `template`, `requirements`, and `report` (redaction and
//! baselines). This file holds the dispatcher over [`TARGETS`] and the
//! helpers several checks share.

use std::borrow::Cow;
use std::path::Path;

use crate::scenario::Diagnostic;

mod callback;
mod discovery;
mod form;
mod html;
mod jwt;
mod profile;
mod report;
mod requirements;
mod scenario;
mod template;
mod tls;
mod token;
mod www_authenticate;

pub use callback::check_callback;
pub use discovery::check_discovery;
pub use form::check_form;
pub use html::check_html_form;
pub use jwt::{check_jwks, check_jwt};
pub use profile::{check_profile_file, profile_env};
pub use report::{check_baseline, check_redact};
pub use requirements::check_requirements;
pub use scenario::check_scenario_file;
pub use template::check_template;
pub use tls::check_tls_reply;
pub use token::check_token_response;
pub use www_authenticate::check_www_authenticate;

/// Separates the strings of a multi-string input. Not valid anywhere in UTF-8.
pub const SEP: u8 = 0xFF;

/// A fuzz target's invariant check over one input.
pub type Invariant = fn(&[u8]);

/// Every fuzz target: its name (the file `fuzz/fuzz_targets/<name>.rs`, the
/// folders `fuzz/seeds/<name>/` and `fuzz/regressions/<name>/`) and its check.
pub const TARGETS: &[(&str, Invariant)] = &[
    ("scenario_file", check_scenario_file),
    ("profile_file", check_profile_file),
    ("token_response", check_token_response),
    ("callback", check_callback),
    ("form", check_form),
    ("www_authenticate", check_www_authenticate),
    ("discovery", check_discovery),
    ("jwt", check_jwt),
    ("jwks", check_jwks),
    ("html_form", check_html_form),
    ("template", check_template),
    ("requirements", check_requirements),
    ("redact", check_redact),
    ("baseline", check_baseline),
    ("tls_reply", check_tls_reply),
];

/// Runs the check of `target` on `data`; false when there is no such target.
pub fn check(target: &str, data: &[u8]) -> bool {
    match TARGETS.iter().find(|(n, _)| *n == target) {
        Some((_, f)) => {
            f(data);
            true
        }
        None => false,
    }
}

/// The bytes as text, invalid UTF-8 replaced: what a text parser is fed.
fn lossy(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// The strings of a multi-string input, split at [`SEP`].
fn segments(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|b| *b == SEP)
}

/// What a diagnostic must always be: inside the file, pointing at a real
/// position, and rendered with `file:line:col`.
fn check_diagnostic(d: &Diagnostic, path: &Path, src: &str) {
    assert_eq!(d.file, path);
    assert!(d.line >= 1 && d.col >= 1 && d.width >= 1, "{d:?}");
    assert!(
        d.line <= src.lines().count() + 1,
        "line {} past the end of the file",
        d.line
    );
    assert_eq!(
        d.source_line,
        src.lines().nth(d.line - 1).unwrap_or(""),
        "the snippet is not line {}",
        d.line
    );
    assert!(!d.message.is_empty());
    let text = d.to_string();
    let at = format!("{}:{}:{}", path.display(), d.line, d.col);
    assert!(text.contains(&at), "{text}");
}

/// A role name as profiles and capabilities spell it: lowercase ASCII and digits.
fn is_role(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_target_has_a_distinct_name() {
        let names: BTreeSet<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names.len(), TARGETS.len());
        assert!(!check("no_such_target", b""));
    }

    /// The suite and the profiles load, and pass every check.
    #[test]
    fn real_material_passes() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let suite = crate::scenario::load_dir(&dir.join("suites")).expect("the suite loads");
        for s in &suite {
            check_scenario_file(std::fs::read_to_string(&s.path).unwrap().as_bytes());
        }
        check_requirements(include_bytes!("../../docs/requirements.md"));
        check_profile_file(include_bytes!("../../issuers/reference.toml"));
        check_scenario_file(include_bytes!("../../suites/code/reuse.toml"));
        check_html_form(
            br#"<title> Sign
            in </title><form method=post action="/login"><input type=hidden name=csrf value=t>
            <input name=username><input type=password name=password>
            <button type=submit> Sign  in </button></form>"#,
        );
        check_www_authenticate(br#"Bearer realm="r", error="invalid_token", Basic abc=="#);
    }

    /// Printable ASCII with the delimiters the parsers care about; `¤` stands
    /// for the 0xFF separator of multi-string inputs.
    const FORMAT_LIKE: &str =
        "([ -~]|\\{\\{|\\}\\}|\\[\\[step\\]\\]|<form|</form>|<input |%2[0B]|\n|é|¤){0,120}";

    fn format_like_bytes(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, piece) in s.split('¤').enumerate() {
            if i > 0 {
                out.push(SEP);
            }
            out.extend(piece.as_bytes());
        }
        out
    }

    /// One property test per target: no parser panics on arbitrary bytes or on
    /// format-like text, and every invariant of its check holds.
    macro_rules! every_input {
        ($($test:ident => $check:ident,)*) => {
            proptest! {
                #![proptest_config(ProptestConfig::with_cases(128))]
                $(
                    #[test]
                    fn $test(
                        bytes in proptest::collection::vec(any::<u8>(), 0..512),
                        text in FORMAT_LIKE,
                    ) {
                        $check(&bytes);
                        $check(&format_like_bytes(&text));
                    }
                )*
            }
            #[test]
            fn every_target_has_its_property_test() {
                let tested = [$(stringify!($check)),*];
                for (name, _) in TARGETS {
                    assert!(tested.contains(&format!("check_{name}").as_str()), "{name}");
                }
            }
        };
    }

    every_input! {
        any_scenario_file => check_scenario_file,
        any_profile_file => check_profile_file,
        any_token_response => check_token_response,
        any_callback => check_callback,
        any_form => check_form,
        any_www_authenticate => check_www_authenticate,
        any_discovery => check_discovery,
        any_jwt => check_jwt,
        any_jwks => check_jwks,
        any_html_form => check_html_form,
        any_template => check_template,
        any_requirements => check_requirements,
        any_redact => check_redact,
        any_baseline => check_baseline,
        any_tls_reply => check_tls_reply,
    }
}
