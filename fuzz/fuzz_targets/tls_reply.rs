#![no_main]
// fuzz-dicts: tls
//! A server's answer to a probe ClientHello: `protocol::tls_hello::parse_reply`.
//!
//! The invariants live in `grantcheck::fuzzing::check_tls_reply`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_tls_reply(data));
