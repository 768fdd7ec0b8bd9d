#![no_main]
// fuzz-dicts: template
//! Scenario templates: `scenario::template::Template::parse` and filters.
//!
//! The invariants live in `grantcheck::fuzzing::check_template`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_template(data));
