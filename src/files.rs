//! Reading the files a user points grantcheck at (profiles, scenarios,
//! baselines) without trusting them: only regular files, and a size cap, so
//! that a FIFO named `x.toml` cannot hang the loader and a symlink to
//! /dev/zero cannot fill memory.

use std::io::{self, Read};
use std::path::Path;

/// The most a scenario file, baseline or fuzz corpus line file may hold.
pub const MAX_INPUT_BYTES: u64 = 4 << 20;
/// The most a fuzz corpus may hold (it grows with a campaign).
pub const MAX_CORPUS_BYTES: u64 = 256 << 20;

/// The contents of `path` as UTF-8, if it is a regular file of at most `cap` bytes.
pub fn read_bounded(path: &Path, cap: u64) -> io::Result<String> {
    // Follows symlinks: what matters is what would be read.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a directory, FIFO, socket or device is refused)",
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(cap + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {cap} bytes"),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_regular_text_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.toml");
        std::fs::write(&ok, "a = 1\n").unwrap();
        assert_eq!(read_bounded(&ok, 100).unwrap(), "a = 1\n");
        let big = dir.path().join("big.toml");
        std::fs::write(&big, "x".repeat(101)).unwrap();
        assert!(read_bounded(&big, 100)
            .unwrap_err()
            .to_string()
            .contains("larger"));
        let bin = dir.path().join("bin.toml");
        std::fs::write(&bin, [0xff, 0xfe]).unwrap();
        assert!(read_bounded(&bin, 100)
            .unwrap_err()
            .to_string()
            .contains("UTF-8"));
        assert!(read_bounded(dir.path(), 100).is_err(), "a directory");
        #[cfg(unix)]
        {
            let zero = dir.path().join("zero.toml");
            std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
            let e = read_bounded(&zero, 100).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
    }
}
