#![no_main]
// fuzz-dicts: toml scenario template oauth
//! Scenario file: `scenario::load_str` (with its diagnostics and a TOML re-serialisation round trip).
//!
//! The invariants live in `grantcheck::fuzzing::check_scenario_file`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_scenario_file(data));
