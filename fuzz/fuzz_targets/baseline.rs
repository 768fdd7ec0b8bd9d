#![no_main]
// fuzz-dicts: toml baseline sep
//! Baseline file: `report::baseline::Baseline::parse`, and the baseline
//! `Baseline::from_report` writes.
//!
//! The invariants live in `grantcheck::fuzzing::check_baseline`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_baseline(data));
