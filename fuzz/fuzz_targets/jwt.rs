#![no_main]
// fuzz-dicts: jwt json sep
//! JWT / compact JWS: `protocol::jwt::Jws::parse`.
//!
//! The invariants live in `grantcheck::fuzzing::check_jwt`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_jwt(data));
