#![no_main]
// fuzz-dicts: www_authenticate oauth
//! `WWW-Authenticate` challenges: `protocol::www_authenticate::parse`.
//!
//! The invariants live in `grantcheck::fuzzing::check_www_authenticate`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_www_authenticate(data));
