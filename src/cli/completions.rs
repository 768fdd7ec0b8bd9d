//! `grantcheck completions SHELL` and `grantcheck man`: generated from the
//! same clap definition that parses the command line, so they cannot drift.

use std::io::Write;

use clap::CommandFactory;

use super::{Cli, Failure, EXIT_OK};

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write one page per command (grantcheck.1, grantcheck-run.1, ...) into DIR
    /// instead of printing grantcheck.1 on stdout.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

pub fn completions(a: CompletionsArgs) -> Result<u8, Failure> {
    let mut cmd = Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "grantcheck", &mut std::io::stdout());
    Ok(EXIT_OK)
}

pub fn man(a: ManArgs) -> Result<u8, Failure> {
    let cmd = Cli::command();
    let failed =
        |e: std::io::Error| Failure::harness(format!("cannot write the man page: {e}"), None);
    match a.dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .map_err(failed)?;
            std::io::stdout().write_all(&page).map_err(failed)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(failed)?;
            clap_mangen::generate_to(cmd, &dir).map_err(failed)?;
            eprintln!("wrote the man pages to {}", dir.display());
        }
    }
    Ok(EXIT_OK)
}
