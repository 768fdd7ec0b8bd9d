//! The integration tests, as modules of one test binary: the crate is linked
//! once for all of them instead of once per file (ARCHITECTURE.md, "Tests").

// Helpers some modules use and others do not.
#[allow(dead_code)]
mod common;

mod browser_login;
mod cli;
mod dialect_wiremock;
mod doctor;
mod fuzz_campaign;
mod fuzz_regressions;
mod hostile;
mod html_report;
mod identity;
mod manual_login;
mod peer_oidc_provider;
mod premise;
mod reference_suite;
mod replay_scripts;
mod report_formats;
mod reports;
mod seed_emulation;
mod selftest;
mod sessions;
mod shape_gen;
mod shapes;
mod tls;
mod user_path;
mod verdicts;
