#![no_main]
// fuzz-dicts: json oauth
//! Token response and error body, enveloped dialects included: `protocol::token`.
//!
//! The invariants live in `grantcheck::fuzzing::check_token_response`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_token_response(data));
