#![no_main]
// fuzz-dicts: toml profile oauth
//! Profile file: `profile::load_str` with an `Env` overlay read from `# env NAME=value` comment lines.
//!
//! The invariants live in `grantcheck::fuzzing::check_profile_file`, shared with the
//! regression test `tests/integration/fuzz_regressions.rs` and the property tests.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grantcheck::fuzzing::check_profile_file(data));
