//! Results and their renderers.

pub mod baseline;
pub mod format;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod redact;
pub mod replay;
pub mod sarif;
#[cfg(feature = "runtime")]
pub mod terminal;

pub use model::*;
