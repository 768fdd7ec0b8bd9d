//! grantcheck: a conformance test suite and fuzzing harness for OAuth 2.0 /
//! OpenID Connect issuers.
//!
//! The pure core (`protocol`, `scenario`, `profile`, `requirements`, `report`)
//! builds without the `runtime` feature, which adds everything that does I/O:
//! the recording HTTP client, the form user agent, the runner, the embedded
//! reference issuer and the CLI. See ARCHITECTURE.md.

pub mod campaign;
#[doc(hidden)]
pub mod files;
pub mod fuzzing;
pub mod profile;
pub mod protocol;
pub mod report;
pub mod requirements;
pub mod scenario;
pub mod selftest;

#[cfg(feature = "runtime")]
pub mod agent;
#[cfg(feature = "runtime")]
pub mod cli;
#[cfg(feature = "runtime")]
pub mod http;
/// The reference issuer, its own crate (crates/issuer).
#[cfg(feature = "runtime")]
pub use grantcheck_issuer as issuer;
#[cfg(feature = "runtime")]
pub mod run;
