#![no_main]
// fuzz-dicts: redact oauth sep
//! Redaction: `report::redact::Redactor` (`redact` and `exchange`).
//!
//! The invariants live in `grantcheck::fuzzing::check_redact`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_redact(data));
