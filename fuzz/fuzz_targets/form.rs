#![no_main]
// fuzz-dicts: oauth sep
//! Form encoding: `protocol::form::Params` decode / encode.
//!
//! The invariants live in `grantcheck::fuzzing::check_form`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_form(data));
