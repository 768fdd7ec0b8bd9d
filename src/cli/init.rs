//! `grantcheck init --issuer URL`: drafts a profile from the issuer's
//! metadata (`profile::draft`), to stdout or a new file.

use std::path::PathBuf;

use super::{Failure, EXIT_OK};
use crate::http::Http;
use crate::profile::{draft, HttpDef};
use crate::run::target::discover;

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The issuer identifier, as its metadata names it (`https://auth.example.com`).
    #[arg(long, value_name = "URL")]
    pub issuer: String,
    /// Write the draft here (refused if the file exists); without it, to stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn init(a: InitArgs) -> Result<u8, Failure> {
    let issuer = url::Url::parse(&a.issuer)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        // As given: an identifier that ends in `/` (Auth0-style) must stay so.
        .map(|_| a.issuer.clone())
        .ok_or_else(|| {
            Failure::usage(
                format!("`{}` is not an http(s) URL", a.issuer),
                Some("e.g. --issuer https://auth.example.com".into()),
            )
        })?;
    let rt = super::runtime()?;
    let http = Http::new(&HttpDef::default()).map_err(|e| Failure::harness(e.to_string(), None))?;
    let metadata = rt.block_on(discover(&issuer, &http));
    let (m, note) = match metadata {
        Ok((m, _)) => (m, None),
        Err(e) => (None, Some(e.to_string())),
    };
    let text = draft::draft(&issuer, m.as_ref());
    match &a.out {
        None => print!("{text}"),
        Some(path) => write_new(path, &text)?,
    }
    if let Some(p) = &a.out {
        let p = p.display();
        eprintln!("wrote {p}; next: grantcheck doctor --profile {p}");
    }
    // The draft is written either way; without metadata it is only a start.
    match note {
        Some(n) => {
            eprintln!("error: {n}");
            eprintln!("hint: the draft has no endpoints: fix `issuer`, or add [endpoints] and set discovery = false");
            Ok(super::EXIT_HARNESS)
        }
        None => Ok(EXIT_OK),
    }
}

fn write_new(path: &std::path::Path, text: &str) -> Result<(), Failure> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            Failure::usage(
                format!("cannot create {}: {e}", path.display()),
                Some("init never overwrites a file: pick another --out".into()),
            )
        })?;
    f.write_all(text.as_bytes())
        .map_err(|e| Failure::harness(format!("cannot write {}: {e}", path.display()), None))
}
