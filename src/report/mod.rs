//! Results and their renderers.

pub mod json;
pub mod model;
pub mod redact;
#[cfg(feature = "runtime")]
pub mod terminal;

pub use model::*;
