//! The corpus directory: the inputs that showed new behaviour, one JSON
//! object per line in `inputs.jsonl`, so that a later session (or another
//! CI job's corpus, concatenated) resumes from them.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::input::Input;

pub const FILE: &str = "inputs.jsonl";

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot read the corpus {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the corpus {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The inputs of `dir`'s corpus file (none when it does not exist yet).
/// Lines that do not parse (another version's, a torn write) are skipped
/// and counted: a corpus is a hint, never a reason to stop.
pub fn load(dir: &Path) -> Result<(Vec<Input>, usize), CorpusError> {
    let path = dir.join(FILE);
    let text = match crate::files::read_bounded(&path, crate::files::MAX_CORPUS_BYTES) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(source) => return Err(CorpusError::Read { path, source }),
    };
    Ok(parse(&text))
}

/// The inputs of a corpus file's text, and how many lines were skipped.
pub fn parse(text: &str) -> (Vec<Input>, usize) {
    let mut out = Vec::new();
    let mut bad = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Input>(line) {
            Ok(i) if !out.contains(&i) => out.push(i),
            Ok(_) => {}
            Err(_) => bad += 1,
        }
    }
    (out, bad)
}

/// Appends `inputs` to `dir`'s corpus file, creating both as needed.
pub fn append(dir: &Path, inputs: &[Input]) -> Result<(), CorpusError> {
    let path = dir.join(FILE);
    let werr = |source| CorpusError::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(werr)?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(werr)?;
    let mut text = String::new();
    for i in inputs {
        text.push_str(&serde_json::to_string(i).expect("inputs serialize"));
        text.push('\n');
    }
    f.write_all(text.as_bytes()).map_err(werr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::input::{Flow, Mutation, Op};

    #[test]
    fn round_trips_and_skips_what_it_cannot_read() {
        let i = Input {
            flow: Flow::Code,
            client: "c9".into(),
            user: Some("u3".into()),
            mutations: vec![Mutation {
                op: Op::Tamper,
                param: Some("code".into()),
                arg: 4,
            }],
        };
        let line = serde_json::to_string(&i).unwrap();
        let (got, bad) = parse(&format!("{line}\n{{\"flow\":\"nope\"}}\n{line}\n\n"));
        assert_eq!((got, bad), (vec![i], 1));
    }
}
