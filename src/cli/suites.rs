//! Where scenarios come from: the suites built into the binary, or
//! directories given on the command line (`--suites`, `--add-suites`).

use std::path::PathBuf;

use super::Failure;
use crate::scenario::{self, LoadError, Scenario};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct SuiteArgs {
    /// Scenario files from DIR instead of the built-in suites (repeatable).
    #[arg(long, value_name = "DIR")]
    pub suites: Vec<PathBuf>,
    /// Scenario files from DIR besides the built-in suites (repeatable); a
    /// scenario with a built-in one's id replaces it.
    #[arg(long, value_name = "DIR", conflicts_with = "suites")]
    pub add_suites: Vec<PathBuf>,
}

/// Where a scenario was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Built into this binary.
    Builtin,
    /// A directory given with `--add-suites`, replacing the built-in
    /// scenario with the same id.
    Replaces(PathBuf),
    /// A directory given with `--suites` or `--add-suites`.
    Dir(PathBuf),
}

impl Origin {
    pub fn label(&self) -> String {
        match self {
            Origin::Builtin => "built-in".into(),
            Origin::Replaces(d) => format!("{} (replaces built-in)", d.display()),
            Origin::Dir(d) => d.display().to_string(),
        }
    }
}

/// The scenarios the arguments select, in run order.
pub fn load(a: &SuiteArgs) -> Result<Vec<Scenario>, Failure> {
    Ok(load_with_origin(a)?.into_iter().map(|(s, _)| s).collect())
}

/// The scenarios with where each came from: the built-in ones (in the
/// order of their files), each replaced in place by a given directory's
/// scenario of the same id, then the given directories' other scenarios.
pub fn load_with_origin(a: &SuiteArgs) -> Result<Vec<(Scenario, Origin)>, Failure> {
    if !a.suites.is_empty() {
        return from_dirs(&a.suites);
    }
    let builtin = scenario::builtin().map_err(invalid)?;
    let mut added = from_dirs(&a.add_suites)?;
    let mut out = Vec::new();
    for s in builtin {
        match added.iter().position(|(x, _)| x.id == s.id) {
            Some(i) => {
                let (x, o) = added.remove(i);
                let dir = match o {
                    Origin::Dir(d) => d,
                    _ => PathBuf::new(),
                };
                out.push((x, Origin::Replaces(dir)));
            }
            None => out.push((s, Origin::Builtin)),
        }
    }
    out.extend(added);
    Ok(out)
}

/// Every scenario below the directories, checked together (an id used in
/// two of them is a problem like one used twice in one).
fn from_dirs(dirs: &[PathBuf]) -> Result<Vec<(Scenario, Origin)>, Failure> {
    let mut sources = Vec::new();
    let mut dir_of = Vec::new();
    for d in dirs {
        let files = scenario::read_dir(d).map_err(invalid)?;
        dir_of.extend(std::iter::repeat_n(d.clone(), files.len()));
        sources.extend(files);
    }
    let scenarios = scenario::load_sources(sources).map_err(invalid)?;
    Ok(scenarios
        .into_iter()
        .zip(dir_of)
        .map(|(s, d)| (s, Origin::Dir(d)))
        .collect())
}

fn invalid(e: LoadError) -> Failure {
    match e {
        LoadError::Io { path, source } => Failure::usage(
            format!("cannot read scenarios at {}: {source}", path.display()),
            Some("--suites and --add-suites take a directory of scenario files".into()),
        ),
        LoadError::Invalid(d) => Failure::usage(
            format!(
                "{} in scenario files\n\n{}",
                super::count(d.len(), "problem", "problems"),
                LoadError::Invalid(d.clone())
            ),
            Some("fix the files above; `grantcheck explain` documents the format".into()),
        ),
    }
}
