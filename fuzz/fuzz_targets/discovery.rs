#![no_main]
// fuzz-dicts: json discovery oauth
//! Discovery document: `protocol::discovery::Metadata::parse`.
//!
//! The invariants live in `grantcheck::fuzzing::check_discovery`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_discovery(data));
