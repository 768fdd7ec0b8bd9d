#![no_main]
// fuzz-dicts: json jwks
//! JWKS inspection: `protocol::jwt::leaked_private_members`.
//!
//! The invariants live in `grantcheck::fuzzing::check_jwks`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_jwks(data));
