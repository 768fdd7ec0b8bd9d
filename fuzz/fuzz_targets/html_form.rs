#![no_main]
// fuzz-dicts: html oauth
//! HTML form extraction: `protocol::html::parse_page`.
//!
//! The invariants live in `grantcheck::fuzzing::check_html_form`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_html_form(data));
