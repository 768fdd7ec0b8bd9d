#![no_main]
// fuzz-dicts: oauth
//! Callback / redirect URL: `protocol::callback::Callback::parse` and `build_url`.
//!
//! The invariants live in `grantcheck::fuzzing::check_callback`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_callback(data));
