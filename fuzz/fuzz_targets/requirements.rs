#![no_main]
// fuzz-dicts: markdown sep
//! Requirements markdown: `requirements::parse`.
//!
//! The invariants live in `grantcheck::fuzzing::check_requirements`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_requirements(data));
