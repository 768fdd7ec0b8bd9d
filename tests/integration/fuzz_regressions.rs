//! Replays every file of `fuzz/regressions/<target>/` (inputs that once broke
//! a parser) and of `fuzz/seeds/<target>/` (the committed seed corpora)
//! through the fuzz targets' invariant checks, `grantcheck::fuzzing`. A crash
//! found by `cargo fuzz` becomes a regression test by copying its input into
//! `fuzz/regressions/<target>/` (see fuzz/README.md).

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

use grantcheck::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Runs every file under `dir/<target>/` and returns how many ran and the failures.
fn replay(dir: &Path) -> (usize, Vec<String>) {
    let mut ran = 0;
    let mut failures = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return (0, failures);
    };
    let mut targets: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    targets.sort();
    for t in targets.into_iter().filter(|p| p.is_dir()) {
        let name = t.file_name().unwrap().to_string_lossy().into_owned();
        let Some((_, check)) = TARGETS.iter().find(|(n, _)| *n == name) else {
            failures.push(format!(
                "{}: no fuzz target is called `{name}`",
                t.display()
            ));
            continue;
        };
        let mut files: Vec<PathBuf> = fs::read_dir(&t)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in files {
            let data = fs::read(&f).unwrap();
            ran += 1;
            if let Err(e) = panic::catch_unwind(|| check(&data)) {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{}: {msg}", f.display()));
            }
        }
    }
    (ran, failures)
}

#[test]
fn regression_inputs_hold_every_invariant() {
    let (ran, failures) = replay(&fuzz_dir().join("regressions"));
    assert!(ran > 0, "fuzz/regressions/ holds no input");
    assert!(
        failures.is_empty(),
        "{} of {ran} regression inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn seed_corpora_hold_every_invariant() {
    let (ran, failures) = replay(&fuzz_dir().join("seeds"));
    assert!(ran > 0, "fuzz/seeds/ holds no input");
    assert!(
        failures.is_empty(),
        "{} of {ran} seeds fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every check has a fuzz target calling it and committed seeds; every fuzz
/// target is a known check.
#[test]
fn fuzz_targets_match_the_checks() {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut on_disk: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut known: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    known.sort();
    assert_eq!(
        on_disk, known,
        "fuzz/fuzz_targets/ and fuzzing::TARGETS differ"
    );
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for t in &known {
        let src = fs::read_to_string(dir.join(format!("{t}.rs"))).unwrap();
        assert!(
            src.contains(&format!("grantcheck::fuzzing::check_{t}(")),
            "fuzz_targets/{t}.rs does not call check_{t}"
        );
        assert!(
            manifest.contains(&format!("name = \"{t}\"")),
            "fuzz/Cargo.toml has no [[bin]] {t}"
        );
        assert!(
            fuzz_dir().join("seeds").join(t).is_dir(),
            "fuzz/seeds/{t}/ is missing"
        );
    }
}
