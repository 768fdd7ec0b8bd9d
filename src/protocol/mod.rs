//! Pure protocol parsers and builders.
//!
//! Nothing in here does I/O: every function takes bytes or strings and returns
//! values, so each one can be property-tested and fuzzed on its own. The HTTP
//! layer, the user agent and the runner sit around these.

pub mod callback;
pub mod discovery;
pub mod entropy;
pub mod form;
pub mod html;
pub mod jwk;
pub mod jwt;
pub mod pkce;
pub mod tls_hello;
pub mod token;
pub mod totp;
pub mod www_authenticate;

pub use form::Params;
