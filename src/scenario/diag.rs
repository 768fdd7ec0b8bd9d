//! Diagnostics for scenario and profile files: file:line:col, what was
//! expected, and a did-you-mean where one fits. Rendered like a compiler error
//! so that a broken file is fixed in one look.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// The source line the position is on, for the snippet.
    pub source_line: String,
    /// How many characters to underline.
    pub width: usize,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at byte range `span` of `src`.
    pub fn at(file: &Path, src: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let start = span.start.min(src.len());
        let (line, col) = line_col(src, start);
        let source_line = src.lines().nth(line - 1).unwrap_or("").to_string();
        let rest_of_line = source_line.chars().count().saturating_sub(col - 1).max(1);
        let width = src
            .get(start..span.end.min(src.len()).max(start))
            .map(|s| s.chars().take_while(|c| *c != '\n').count())
            .unwrap_or(1)
            .clamp(1, rest_of_line);
        Self {
            file: file.to_path_buf(),
            line,
            col,
            message: message.into(),
            source_line,
            width,
            help: None,
        }
    }

    pub fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.line.to_string();
        let pad = " ".repeat(n.len());
        writeln!(f, "error: {}", self.message)?;
        writeln!(
            f,
            "{pad}--> {}:{}:{}",
            self.file.display(),
            self.line,
            self.col
        )?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{n} | {}", self.source_line)?;
        let indent: String = self
            .source_line
            .chars()
            .take(self.col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{pad} | {indent}{}", "^".repeat(self.width))?;
        if let Some(h) = &self.help {
            write!(f, "\n{pad} = help: {h}")?;
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
pub fn line_col(src: &str, at: usize) -> (usize, usize) {
    let at = floor_char_boundary(src, at.min(src.len()));
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, src[line_start..at].chars().count() + 1)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The closest candidate to `word` by edit distance, when it is close enough
/// to be a plausible typo.
pub fn did_you_mean<'a, S: AsRef<str>>(word: &str, candidates: &'a [S]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (levenshtein(word, c.as_ref()), c.as_ref()))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Turns a `toml` deserialisation error into a diagnostic. serde reports an
/// unknown key as "unknown field `x`, expected one of `a`, `b`": that list is
/// where the did-you-mean comes from.
/// Every type error of a file at once: serde stops at the first, so the
/// caller's `tables` reads parts of the parsed file again one table at a
/// time and returns their errors; each new one joins the first.
pub fn every_type_error<'i>(
    file: &Path,
    src: &'i str,
    first: &toml::de::Error,
    tables: impl FnOnce(&toml::de::DeTable<'i>) -> Vec<toml::de::Error>,
) -> Vec<Diagnostic> {
    let mut errors = vec![first.clone()];
    if let Ok(table) = toml::de::DeTable::parse(src) {
        for e in tables(table.get_ref()) {
            if errors.iter().all(|known| known.span() != e.span()) {
                errors.push(e);
            }
        }
    }
    errors.iter().map(|e| from_toml(file, src, e)).collect()
}

/// The tables of an array of tables (`[[step]]`), as values to read again.
pub fn array_items<'i>(
    t: &toml::de::DeTable<'i>,
    key: &str,
) -> Vec<toml::Spanned<toml::de::DeValue<'i>>> {
    match t.get(key).map(|v| v.get_ref()) {
        Some(toml::de::DeValue::Array(items)) => items.to_vec(),
        _ => Vec::new(),
    }
}

/// The values of a table of tables (`[clients.c1]`, `[clients.c2]`).
pub fn table_items<'i>(
    t: &toml::de::DeTable<'i>,
    key: &str,
) -> Vec<toml::Spanned<toml::de::DeValue<'i>>> {
    match t.get(key).map(|v| v.get_ref()) {
        Some(toml::de::DeValue::Table(inner)) => inner.values().cloned().collect(),
        _ => Vec::new(),
    }
}

pub fn from_toml(file: &Path, src: &str, err: &toml::de::Error) -> Diagnostic {
    let span = err.span().unwrap_or(0..0);
    let raw = err.message().trim().to_string();
    let (message, help) = explain_serde_message(&raw);
    Diagnostic::at(file, src, span, message).with_help(help)
}

fn explain_serde_message(raw: &str) -> (String, Option<String>) {
    for (prefix, what) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        if let Some(rest) = raw.strip_prefix(prefix) {
            if let Some((word, tail)) = rest.split_once('`') {
                let expected: Vec<String> = tail
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect();
                let help = match did_you_mean(word, &expected) {
                    Some(s) => Some(format!("did you mean `{s}`?")),
                    None if !expected.is_empty() => {
                        Some(format!("expected one of: {}", expected.join(", ")))
                    }
                    None => None,
                };
                return (format!("unknown {what} `{word}`"), help);
            }
        }
    }
    if let Some(rest) = raw.strip_prefix("missing field `") {
        if let Some((word, _)) = rest.split_once('`') {
            return (format!("missing required key `{word}`"), None);
        }
    }
    if let Some(rest) = raw.strip_prefix("invalid type: ") {
        return (format!("wrong type: {}", plain_types(rest)), None);
    }
    (raw.to_string(), None)
}

/// serde's names for what it expected, in the words of a TOML file.
fn plain_types(message: &str) -> String {
    let words = [
        (
            "expected a sequence",
            "expected a list, e.g. `[\"a\", \"b\"]`",
        ),
        (
            "expected a map",
            "expected a table, e.g. `{ key = \"value\" }`",
        ),
        ("expected a boolean", "expected `true` or `false`"),
        ("expected u8", "expected a whole number"),
        ("expected u16", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a string", "expected a string in quotes"),
    ];
    let mut out = message.to_string();
    for (serde, plain) in words {
        if let Some(at) = out.find(serde) {
            // Only a whole word: `u32` must not match `u32x`.
            let end = at + serde.len();
            if out[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
            {
                out.replace_range(at..end, plain);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        assert_eq!(line_col(src, 9), (2, 3));
        assert_eq!(line_col(src, 999), (3, 1));
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("expct", &["expect", "name"]), Some("expect"));
        assert_eq!(did_you_mean("zzzzzz", &["expect", "name"]), None);
        let (m, h) =
            explain_serde_message("unknown field `expct`, expected one of `name`, `expect`");
        assert_eq!(m, "unknown key `expct`");
        assert_eq!(h.as_deref(), Some("did you mean `expect`?"));
        let (m, _) = explain_serde_message("invalid type: string \"many\", expected u32");
        assert_eq!(m, "wrong type: string \"many\", expected a whole number");
        let (m, _) = explain_serde_message("invalid type: string \"X\", expected a sequence");
        assert!(m.ends_with("expected a list, e.g. `[\"a\", \"b\"]`"), "{m}");
    }

    #[test]
    fn renders_snippet() {
        let d = Diagnostic::at(
            Path::new("s.toml"),
            "id = 1\nexpct = 2\n",
            7..12,
            "unknown key `expct`",
        )
        .with_help(Some("did you mean `expect`?".into()));
        let text = d.to_string();
        assert!(text.contains("--> s.toml:2:1"), "{text}");
        assert!(text.contains("2 | expct = 2"));
        assert!(text.contains("  | ^^^^^"));
    }
}
