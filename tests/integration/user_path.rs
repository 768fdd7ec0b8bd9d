//! The user's path (issue 17): the installed binary from any directory, its
//! help, completions and man page, the streaming terminal, small fixes.

use std::process::Command;

/// The binary run from an empty directory: nothing of the checkout around it.
fn elsewhere() -> (tempfile::TempDir, Command) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_grantcheck"));
    c.current_dir(dir.path()).env("NO_COLOR", "1");
    (dir, c)
}

use crate::common::output;

#[test]
fn the_suites_travel_inside_the_binary() {
    let (_dir, mut c) = elsewhere();
    let (code, out, err) = output(c.args(["run", "--only", "pkce.*"]));
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("PASS  pkce.plain-refused"), "{out}");
    let (_dir, mut c) = elsewhere();
    let (code, out, _) = output(c.args(["list"]));
    assert_eq!(code, 0);
    let built_in = grantcheck::scenario::builtin().unwrap();
    assert_eq!(
        out.lines().filter(|l| l.contains(" built-in ")).count(),
        built_in.len(),
        "{out}"
    );
    // The catalogue is built in too.
    let (_dir, mut c) = elsewhere();
    let (code, out, _) = output(c.args(["list", "--coverage"]));
    assert_eq!(code, 0);
    assert!(out.contains("requirement rows covered"), "{out}");
}

#[test]
fn built_in_suites_are_the_checkout_suites() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites");
    let on_disk = grantcheck::scenario::read_dir(&dir).unwrap();
    let built_in = grantcheck::scenario::builtin_sources();
    assert_eq!(on_disk.len(), built_in.len());
    for ((p, text), (q, embedded)) in on_disk.iter().zip(&built_in) {
        assert!(p.ends_with(q), "{} vs {}", p.display(), q.display());
        assert_eq!(text, embedded, "{} is stale in the build", q.display());
    }
}

#[test]
fn add_suites_adds_and_replaces_by_id() {
    let (dir, mut c) = elsewhere();
    let own = dir.path().join("own");
    std::fs::create_dir(&own).unwrap();
    let reuse = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/code/reuse.toml"),
    )
    .unwrap();
    std::fs::write(own.join("reuse.toml"), &reuse).unwrap();
    std::fs::write(
        own.join("mine.toml"),
        reuse.replace("id = \"code.reuse\"", "id = \"mine.reuse\""),
    )
    .unwrap();
    let (code, out, err) = output(c.args(["list", "--add-suites", "own"]));
    assert_eq!(code, 0, "{err}");
    let line = |id: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("code.reuse").contains("own (replaces built-in)"),
        "{out}"
    );
    assert!(line("mine.reuse").contains(" own "), "{out}");
    assert!(line("pkce.plain-refused").contains("built-in"), "{out}");
    // --suites alone: only the directory.
    let (code, out, _) = output(
        c.args(["list", "--suites", "own"])
            .arg("--add-suites")
            .arg("own"),
    );
    assert_eq!(
        code, 2,
        "--suites and --add-suites exclude each other:\n{out}"
    );
}

#[test]
fn every_help_text_is_kept() {
    let mut texts = Vec::new();
    let commands = [
        "run",
        "fuzz",
        "list",
        "explain",
        "issuer",
        "selftest",
        "doctor",
        "init",
        "completions",
        "man",
    ];
    let (_dir, mut c) = elsewhere();
    let (code, top, _) = output(c.arg("--help"));
    assert_eq!(code, 0);
    texts.push(format!("$ grantcheck --help\n{top}"));
    for cmd in commands {
        let (_dir, mut c) = elsewhere();
        let (code, out, err) = output(c.args([cmd, "--help"]));
        assert_eq!(code, 0, "{cmd}: {err}");
        texts.push(format!("$ grantcheck {cmd} --help\n{out}"));
    }
    for must in ["Exit codes:", "0  every counted case passed"] {
        assert!(top.contains(must), "{top}");
        assert!(texts[1].contains(must), "run --help has the exit codes");
    }
    // The version is the crate's: the snapshot need not change with it.
    let text = texts
        .join("\n")
        .replace(env!("CARGO_PKG_VERSION"), "[version]");
    crate::common::stable().bind(|| insta::assert_snapshot!("cli_help", text));
}

#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let (_dir, mut c) = elsewhere();
        let (code, out, err) = output(c.args(["completions", shell]));
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("grantcheck") && out.contains("reference-fault"),
            "{shell}"
        );
    }
    let (_dir, mut c) = elsewhere();
    let (code, out, _) = output(c.arg("man"));
    assert_eq!(code, 0);
    assert!(out.contains(".TH grantcheck 1"), "{out}");
    assert!(out.contains("Exit codes"), "the exit codes are in the page");
    let (dir, mut c) = elsewhere();
    let (code, _, err) = output(c.args(["man", "--dir", "man"]));
    assert_eq!(code, 0, "{err}");
    assert!(dir.path().join("man/grantcheck-run.1").exists());
}

#[test]
fn explain_refuses_a_case_that_does_not_exist() {
    let (_dir, mut c) = elsewhere();
    let (code, _, err) = output(c.args([
        "explain",
        "redirect.adversarial-variants[adv-03-trailing-slsh]",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("did you mean `redirect.adversarial-variants[adv-03-trailing-slash]`?"),
        "{err}"
    );
    let (_dir, mut c) = elsewhere();
    let (code, _, err) = output(c.args(["explain", "code.reuse[x]"]));
    assert_eq!(code, 2, "{err}");
    let (_dir, mut c) = elsewhere();
    let (code, out, _) = output(c.args([
        "explain",
        "redirect.adversarial-variants[adv-03-trailing-slash]",
    ]));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn planned_order_prints_lines_in_plan_order_and_quiet_prints_one_line_per_failure() {
    let (_dir, mut c) = elsewhere();
    let (code, out, _) = output(c.args(["run", "--only", "redirect.*", "--order", "planned"]));
    assert_eq!(code, 0, "{out}");
    let ids: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("PASS ") || l.starts_with("SKIP "))
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    let scenarios = grantcheck::scenario::builtin().unwrap();
    let selection = grantcheck::run::Selection {
        only: vec!["redirect.*".into()],
        tags: vec![],
    };
    let plan = grantcheck::run::select(&scenarios, &selection).unwrap();
    let planned: Vec<String> = plan
        .iter()
        .map(|p| {
            let s = &scenarios[p.scenario];
            grantcheck::run::case::case_id(s, p.case.map(|j| s.def.cases[j].get_ref()))
        })
        .collect();
    assert_eq!(ids, planned);

    let (_dir, mut c) = elsewhere();
    let (code, out, _) =
        output(c.args(["run", "-q", "--reference-fault", "redirect_prefix_match"]));
    assert_eq!(code, 1);
    let fails = out.lines().filter(|l| l.starts_with("FAIL ")).count();
    assert!(fails > 5, "{out}");
    // Header, blank, one line per failure, blank, verdict, summary,
    // sessions, rows by level, threats, and one line per unmitigated threat.
    let threats = out.lines().filter(|l| l.starts_with("  T-")).count();
    assert!(threats >= 1, "{out}");
    assert_eq!(out.lines().count(), fails + 8 + threats, "{out}");
    assert!(
        !out.contains("Findings") && !out.contains("\n    "),
        "no evidence with -q:\n{out}"
    );
    assert!(
        out.contains("Summary: 225 cases") || out.contains("Summary:"),
        "{out}"
    );
}

#[test]
fn an_unreachable_issuer_without_discovery_stops_once() {
    let (dir, mut c) = elsewhere();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        dir.path().join("down.toml"),
        format!("name = \"down\"\nissuer = \"http://127.0.0.1:{port}\"\ndiscovery = false\n[endpoints]\ntoken = \"/token\"\nauthorization = \"/authorize\"\n[clients.c1]\nclient_id = \"x\"\nauth_method = \"none\"\nredirect_uris = [\"http://127.0.0.1:1/cb\"]\n"),
    )
    .unwrap();
    let (code, out, err) = output(c.args(["run", "--profile", "down.toml"]));
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        err.contains("cannot reach the issuer's token endpoint"),
        "{err}"
    );
    assert!(
        !out.contains("ERROR "),
        "no case is listed one by one:\n{out}"
    );
}
