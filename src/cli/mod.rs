//! The command line: `run`, `fuzz`, `list`, `explain`, `issuer`, `selftest`, `doctor`, `init`.
//!
//! Exit codes are part of the interface and stable (README, "Exit codes");
//! their one table is `report::verdict`, which also decides them for a run.

mod completions;
mod doctor;
mod explain;
mod fuzz;
mod init;
mod list;
mod live;
mod run;
mod selftest;
mod suites;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use crate::report::verdict::{count, EXIT_FAILED, EXIT_HARNESS, EXIT_OK, EXIT_USAGE};

#[derive(Parser, Debug)]
#[command(name = "grantcheck", version, about = "Conformance tests for OAuth 2.0 / OpenID Connect issuers, with evidence", long_about = None, after_help = crate::report::verdict::EXIT_CODE_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run scenarios against an issuer (the embedded reference issuer by default).
    #[command(after_help = crate::report::verdict::EXIT_CODE_HELP)]
    Run(run::RunArgs),
    /// List scenarios, or with --coverage which requirements they cover.
    List(list::ListArgs),
    /// Explain a scenario: what it does, why, and what a conforming issuer answers.
    Explain(explain::ExplainArgs),
    /// Serve the reference issuer on loopback for manual poking.
    Issuer(IssuerArgs),
    /// Run the suite against the reference issuer and each of its faults: the detection matrix.
    Selftest(selftest::SelftestArgs),
    /// Check a profile against the live issuer without running the suite: identity,
    /// endpoints, each role's shape, credentials, login, and which cases will skip.
    Doctor(doctor::DoctorArgs),
    /// Draft a profile from an issuer's metadata, every field commented.
    Init(init::InitArgs),
    /// Fuzz an issuer (the embedded reference by default) with protocol-aware
    /// mutations of real flows; findings become scenario files that `run` replays.
    #[command(after_help = crate::report::verdict::EXIT_CODE_HELP)]
    Fuzz(fuzz::FuzzArgs),
    /// Print a shell completion script: `grantcheck completions bash > ~/.local/share/bash-completion/completions/grantcheck`.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff), or write one per command with --dir.
    Man(completions::ManArgs),
}

#[derive(clap::Args, Debug)]
pub struct IssuerArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Switch on a named fault (repeatable); see --list-faults.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// List the faults the reference issuer can be broken with, and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Speak a seed issuer's documented wire format: standard, busha, bud, example.
    #[arg(long, value_name = "NAME", default_value = "standard")]
    pub dialect: String,
    /// With --dialect: print the `export` lines for this profile's variables.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<std::path::PathBuf>,
    /// List the dialects with the roles each registers, and exit.
    #[arg(long)]
    pub list_dialects: bool,
    /// Wait this long before every answer (a slow network, for trying grantcheck's scheduling).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Spend this long on each login and each HTTP Basic client authentication
    /// (an issuer that hashes passwords slowly).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub hashing_ms: u64,
    /// Ask for a one-time code (TOTP, RFC 6238) after the password; the users'
    /// secrets are printed with the other variables.
    #[arg(long)]
    pub mfa: bool,
    /// Draw the login, MFA and consent forms with JavaScript (no `<form>` in the
    /// HTML served): what `[login] agent = "browser"` is for.
    #[arg(long)]
    pub scripted_pages: bool,
    /// Neither advertise nor send the RFC 9207 `iss` authorization response
    /// parameter (an issuer without that mix-up defence).
    #[arg(long)]
    pub no_iss: bool,
}

/// An error for the user: a message, a hint, and the exit code.
pub struct Failure {
    pub code: u8,
    pub message: String,
    pub hint: Option<String>,
    /// The exchange that showed the problem (a discovery that failed),
    /// raw: the run's report carries it, redacted.
    pub evidence: Vec<crate::report::model::Exchange>,
}

impl Failure {
    pub fn usage(message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            code: EXIT_USAGE,
            message: message.into(),
            hint,
            evidence: Vec::new(),
        }
    }
    pub fn harness(message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            code: EXIT_HARNESS,
            message: message.into(),
            hint,
            evidence: Vec::new(),
        }
    }
}

pub fn main() -> ExitCode {
    leave_quietly_on_closed_stdout();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let result = match cli.command {
        Command::Run(a) => run::run(a),
        Command::List(a) => list::list(a),
        Command::Explain(a) => explain::explain(a),
        Command::Issuer(a) => issuer(a),
        Command::Selftest(a) => selftest::selftest(a),
        Command::Doctor(a) => doctor::doctor(a),
        Command::Init(a) => init::init(a),
        Command::Fuzz(a) => fuzz::fuzz(a),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            print_failure(&f);
            ExitCode::from(f.code)
        }
    }
}

/// `grantcheck list | head` closes the pipe early; `println!` then panics.
/// That is the reader's choice, not a bug: leave without a word, with the
/// status a shell gives a process killed by SIGPIPE (128 + 13).
fn leave_quietly_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map_or("", String::as_str);
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info)
    }));
}

/// `error: message` and `hint: ...` on stderr.
pub fn print_failure(f: &Failure) {
    use crate::report::sanitize::escape_controls;
    // Messages may quote the issuer (its metadata, a page): ESC and BEL
    // from there must not reach the terminal.
    let message = escape_controls(f.message.trim_end(), true);
    // A rendered diagnostic already starts with `error:`.
    match message.starts_with("error: ") {
        true => eprintln!("{message}"),
        false => eprintln!("error: {message}"),
    }
    if let Some(h) = &f.hint {
        eprintln!("hint: {}", escape_controls(h, true));
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::harness(format!("cannot start the async runtime: {e}"), None))
}

/// Parses fault names, with a did-you-mean for typos.
pub fn parse_faults(
    names: &[String],
) -> Result<std::collections::BTreeSet<crate::issuer::Fault>, Failure> {
    use crate::issuer::Fault;
    let mut out = std::collections::BTreeSet::new();
    for n in names {
        match Fault::from_name(n) {
            Some(f) => {
                out.insert(f);
            }
            None => {
                let all: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                let hint = crate::scenario::diag::did_you_mean(n, &all)
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "`grantcheck issuer --list-faults` lists them".into());
                return Err(Failure::usage(format!("unknown fault `{n}`"), Some(hint)));
            }
        }
    }
    Ok(out)
}

/// A dialect name ("" means the profile's own `emulation`).
pub fn parse_dialect(name: &str) -> Result<Option<crate::issuer::Dialect>, Failure> {
    use crate::issuer::Dialect;
    if name.is_empty() {
        return Ok(None);
    }
    Dialect::from_name(name).map(Some).ok_or_else(|| {
        let all: Vec<&str> = Dialect::ALL.iter().map(|d| d.name()).collect();
        Failure::usage(
            format!("unknown dialect `{name}`"),
            Some(format!("one of: {}", all.join(", "))),
        )
    })
}

pub fn print_dialects() {
    use crate::issuer::{Dialect, IssuerConfig, ReferenceSecrets};
    for d in Dialect::ALL {
        let c = IssuerConfig::emulating(*d, &ReferenceSecrets::random());
        let roles: Vec<&str> = c.roles.iter().map(|(r, _)| r.as_str()).collect();
        println!(
            "{:<9} {}  [roles: {}]",
            d.name(),
            d.describe(),
            roles.join(", ")
        );
    }
}

pub fn print_faults() {
    for f in crate::issuer::Fault::ALL {
        println!(
            "{:<34} {}  [{}]",
            f.name(),
            f.description(),
            f.breaks().join(", ")
        );
    }
}

fn issuer(a: IssuerArgs) -> Result<u8, Failure> {
    use crate::issuer::{start, IssuerConfig, ReferenceSecrets};
    if a.list_faults {
        print_faults();
        return Ok(EXIT_OK);
    }
    if a.list_dialects {
        print_dialects();
        return Ok(EXIT_OK);
    }
    let faults = parse_faults(&a.faults)?;
    let dialect = parse_dialect(&a.dialect)?.unwrap_or_default();
    let profile = match &a.profile {
        None => None,
        Some(path) => {
            let src = crate::files::read_bounded(path, crate::profile::MAX_PROFILE_BYTES).map_err(
                |e| Failure::usage(format!("cannot read profile {}: {e}", path.display()), None),
            )?;
            let def = crate::profile::parse(path, &src)
                .map_err(|e| Failure::usage(e.to_string(), None))?;
            Some((path.clone(), def))
        }
    };
    let rt = runtime()?;
    rt.block_on(async {
        let secrets = ReferenceSecrets::random();
        let mut config = match &profile {
            Some((path, def)) => crate::run::reference::emulation_config(def, dialect, &secrets)
                .map_err(|m| Failure::usage(format!("cannot emulate {}: {m}", path.display()), None))?,
            None => IssuerConfig::emulating(dialect, &secrets),
        };
        config.faults = faults.clone();
        config.mfa = a.mfa;
        config.scripted_pages = a.scripted_pages;
        config.iss_parameter = !a.no_iss;
        config.costs = crate::issuer::Costs {
            latency: std::time::Duration::from_millis(a.latency_ms),
            hashing: std::time::Duration::from_millis(a.hashing_ms),
        };
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], a.port));
        let running = start(config.clone(), addr)
            .await
            .map_err(|e| Failure::harness(format!("cannot listen on {addr}: {e}"), Some("pick another port with --port".into())))?;
        println!("reference issuer ({dialect}) listening on {}", running.base_url);
        if !faults.is_empty() {
            println!("faults: {}", faults.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "));
        }
        match &profile {
            Some((path, def)) => {
                println!("\n# variables of {} (fresh for this process):", path.display());
                for (var, value) in crate::run::reference::emulated_vars(def, &config, &running.base_url) {
                    println!("export {var}='{value}'");
                }
                if def.issuer_env.is_none() {
                    println!("# the profile has no issuer_env: point `issuer` at {}", running.base_url);
                }
                // Only `issuer` and relative endpoints follow issuer_env; an
                // absolute one would still be the real host's.
                for url in def.endpoints.all().filter(|u| !u.starts_with('/')) {
                    println!("# WARNING: [endpoints] has the absolute URL {url}: a run by hand would send requests there.");
                    println!("#          `grantcheck run --profile {} --emulate` moves every endpoint onto the emulation.", path.display());
                }
                println!("\nthen: grantcheck run --profile {}    (Ctrl-C stops the issuer)", path.display());
            }
            None if dialect == crate::issuer::Dialect::Standard => {
                println!("\n# secrets for issuers/reference.toml (fresh for this process):");
                for (var, value) in crate::run::reference::env_vars(&secrets) {
                    println!("export {var}='{value}'");
                }
                if a.port != 8787 {
                    println!("# issuers/reference.toml expects port 8787; copy it and change `issuer` for port {}", running.addr.port());
                }
                println!("\nthen: grantcheck run --profile issuers/reference.toml    (Ctrl-C stops the issuer)");
            }
            None => {
                println!("\n# registrations (pass --profile FILE for the export lines):");
                for (role, value) in &config.roles {
                    println!("{role}: {value}");
                }
            }
        }
        let _ = tokio::signal::ctrl_c().await;
        running.shutdown().await;
        Ok(EXIT_OK)
    })
}
