//! Results and their renderers.

pub mod advice;
pub mod baseline;
pub mod events;
pub mod format;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod redact;
pub mod replay;
pub mod sanitize;
pub mod sarif;
pub mod scores;
#[cfg(feature = "runtime")]
pub mod terminal;
pub mod verdict;

pub use model::*;
pub use verdict::Verdict;

/// A body on one line (whitespace folded), cut after `limit` characters with
/// its full size noted: how the text renderers show evidence bodies.
pub(crate) fn preview(body: &str, limit: usize) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > limit {
        format!(
            "{}… ({} bytes)",
            one_line.chars().take(limit).collect::<String>(),
            body.len()
        )
    } else {
        one_line
    }
}
