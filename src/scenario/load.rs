//! Loading scenario files: TOML into the typed model, then the checks serde
//! cannot do (known requirement ids, templates, step references), every
//! problem reported with file:line:col.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::assertion::{self, Assertion, Expectation, Query};
use super::diag::{self, did_you_mean, Diagnostic};
use super::model::*;
use super::needs;
use super::template::Template;
use super::{CAPABILITIES, NAMESPACES, POLICY_TAGS};
use crate::requirements;

/// A scenario that passed validation.
#[derive(Debug)]
pub struct Scenario {
    pub def: ScenarioFile,
    pub path: PathBuf,
    pub id: String,
    /// The id's first segment (`pkce` for `pkce.plain-refused`).
    pub area: String,
    pub level: Level,
    /// Explicit `requires` plus what the steps imply (`client:p2`, ...).
    pub requires: BTreeSet<String>,
    /// What each matrix case needs beyond `requires` (roles its values name),
    /// in the order of `def.cases`: a profile without c2 skips only the case
    /// that uses c2.
    pub case_requires: Vec<BTreeSet<String>>,
    /// What each `if_offered` step needs, in step order (empty for others):
    /// a target without it skips that step only.
    pub step_requires: Vec<BTreeSet<String>>,
    /// Each step's expectations as one list of assertions, short and long
    /// forms together, in step order.
    pub expectations: Vec<Vec<Expectation>>,
}

impl Scenario {
    /// Requirement ids of the scenario and of every case.
    pub fn all_covers(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self
            .def
            .covers
            .iter()
            .map(|c| c.get_ref().clone())
            .collect();
        for c in &self.def.cases {
            out.extend(c.get_ref().covers.iter().cloned());
        }
        out
    }

    pub fn case_count(&self) -> usize {
        self.def.cases.len().max(1)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render(d: &[Diagnostic]) -> String {
    d.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Loads every `*.toml` below `dir`, sorted by path; all files are checked and
/// all their problems reported together.
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, LoadError> {
    load_sources(read_dir(dir)?)
}

/// Every `*.toml` below `dir` with its text, sorted by path.
pub fn read_dir(dir: &Path) -> Result<Vec<(PathBuf, String)>, LoadError> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    files
        .into_iter()
        .map(
            |f| match crate::files::read_bounded(&f, crate::files::MAX_INPUT_BYTES) {
                Ok(src) => Ok((f, src)),
                Err(source) => Err(LoadError::Io { path: f, source }),
            },
        )
        .collect()
}

/// The scenario files this build carries (`suites/` when it was compiled),
/// sorted by path: what runs when no `--suites` is given.
pub fn builtin_sources() -> Vec<(PathBuf, String)> {
    mod embedded {
        include!(concat!(env!("OUT_DIR"), "/builtin_suites.rs"));
    }
    embedded::FILES
        .iter()
        .map(|(p, s)| (PathBuf::from(p), s.to_string()))
        .collect()
}

/// The built-in scenarios.
pub fn builtin() -> Result<Vec<Scenario>, LoadError> {
    load_sources(builtin_sources())
}

/// Loads scenario files given as (path, text), in that order; all files are
/// checked and all their problems (ids used twice too) reported together.
pub fn load_sources(files: Vec<(PathBuf, String)>) -> Result<Vec<Scenario>, LoadError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (f, src) in &files {
        match load_str(f, src) {
            Ok(s) => out.push(s),
            Err(mut d) => problems.append(&mut d),
        }
    }
    let text = |path: &Path| {
        files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, s)| s.as_str())
            .unwrap_or_default()
    };
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for s in &out {
        if let Some(prev) = seen.insert(s.id.clone(), s.path.clone()) {
            problems.push(
                Diagnostic::at(
                    &s.path,
                    text(&s.path),
                    s.def.id.span(),
                    format!("scenario id `{}` is used twice", s.id),
                )
                .with_help(Some(format!("{} has it too", prev.display()))),
            );
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(LoadError::Invalid(problems))
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    collect_within(dir, out, 0)
}

/// How deep `--suites` directories may nest, and how many files they may
/// hold: a symlink loop or a huge tree is refused, not walked forever.
const MAX_DEPTH: usize = 16;
const MAX_FILES: usize = 10_000;

fn collect_within(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let refuse = |why: &str| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            why.to_string(),
        ))
    };
    if depth > MAX_DEPTH {
        return Err(refuse(
            "directories nest deeper than 16 levels (a symlink loop?)",
        ));
    }
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            collect_within(&path, out, depth + 1)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
        if out.len() > MAX_FILES {
            return Err(refuse("more than 10,000 scenario files"));
        }
    }
    Ok(())
}

/// Parses and validates one scenario file.
pub fn load_str(path: &Path, src: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let def: ScenarioFile = toml::from_str(src).map_err(|e| every_type_error(path, src, &e))?;
    let mut v = Validator {
        path,
        src,
        problems: Vec::new(),
    };
    let scenario = v.scenario(def);
    if v.problems.is_empty() {
        Ok(scenario)
    } else {
        Err(v.problems)
    }
}

/// serde stops at a file's first type error; the steps and cases are read
/// once more one table at a time, so that every table's first error is
/// reported together with it (`diag::every_type_error`).
fn every_type_error(path: &Path, src: &str, first: &toml::de::Error) -> Vec<Diagnostic> {
    use serde::Deserialize;
    diag::every_type_error(path, src, first, |t| {
        let mut more = Vec::new();
        for step in diag::array_items(t, "step") {
            more.extend(StepDef::deserialize(toml::de::ValueDeserializer::from(step)).err());
        }
        for case in diag::array_items(t, "case") {
            more.extend(CaseDef::deserialize(toml::de::ValueDeserializer::from(case)).err());
        }
        more
    })
}

struct Validator<'a> {
    path: &'a Path,
    src: &'a str,
    problems: Vec<Diagnostic>,
}

/// What templates may refer to at a given step.
struct Scope<'a> {
    steps: &'a BTreeSet<String>,
    case_vars: &'a BTreeSet<String>,
    has_cases: bool,
}

impl Validator<'_> {
    fn err(&mut self, span: std::ops::Range<usize>, msg: impl Into<String>, help: Option<String>) {
        self.problems
            .push(Diagnostic::at(self.path, self.src, span, msg).with_help(help));
    }

    fn scenario(&mut self, def: ScenarioFile) -> Scenario {
        let (id, area) = self.scenario_id(&def);
        let mut requires: BTreeSet<String> = BTreeSet::new();
        for r in &def.requires {
            self.capability(r);
            requires.insert(r.get_ref().clone());
        }
        let case_vars = self.cases(&def.cases);
        let mut case_requires = self.case_requires(&def.cases);
        if def.steps.is_empty() {
            self.err(def.id.span(), "the scenario has no `[[step]]`", None);
        }
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut authorize_steps: BTreeSet<String> = BTreeSet::new();
        let mut step_requires: Vec<BTreeSet<String>> = Vec::new();
        let mut expectations: Vec<Vec<Expectation>> = Vec::new();
        for (i, step) in def.steps.iter().enumerate() {
            let mut own = BTreeSet::new();
            let scope = Scope {
                steps: &names,
                case_vars: &case_vars,
                has_cases: !def.cases.is_empty(),
            };
            self.step(
                step,
                i,
                &scope,
                &def.cases,
                &authorize_steps,
                &mut own,
                &mut case_requires,
            );
            expectations.push(self.expectations(step, &scope, &mut own));
            // An `if_offered` step keeps its capability to itself; the roles
            // and scopes it names are still the scenario's.
            let (mine, shared): (BTreeSet<String>, BTreeSet<String>) =
                own.into_iter().partition(|r| {
                    step.get_ref().if_offered
                        && !["client:", "user:", "scope:", "grant:", "policy:"]
                            .iter()
                            .any(|p| r.starts_with(p))
                });
            requires.extend(shared);
            step_requires.push(mine);
            if let Some(n) = &step.get_ref().name {
                if self.step_name(n, &mut names) && step.get_ref().authorize.is_some() {
                    authorize_steps.insert(n.get_ref().clone());
                }
            }
        }
        self.step_covers_listed(&def, &expectations);
        let level = def
            .level
            .as_ref()
            .map(|l| *l.get_ref())
            .unwrap_or(Level::Must);
        self.levels_within_rows(&def, level);
        Scenario {
            path: self.path.to_path_buf(),
            id,
            area,
            level,
            requires,
            case_requires,
            step_requires,
            expectations,
            def,
        }
    }

    /// The scenario's id (checked) and area, and that it covers something.
    fn scenario_id(&mut self, def: &ScenarioFile) -> (String, String) {
        let id = def.id.get_ref().clone();
        let id_char = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b);
        if id.is_empty() || !id.bytes().all(id_char) {
            self.err(
                def.id.span(),
                format!("scenario id `{id}` must be lower-case letters, digits, `.`, `_` or `-`"),
                Some("e.g. `code.reuse-revokes`".into()),
            );
        }
        if id.len() > MAX_NAME {
            let message = format!(
                "the scenario id is {} characters; at most {MAX_NAME}",
                id.len()
            );
            self.err(def.id.span(), message, None);
        }
        if def.covers.is_empty() && def.cases.iter().all(|c| c.get_ref().covers.is_empty()) {
            self.err(
                def.id.span(),
                "the scenario covers no requirement",
                Some("add `covers = [\"PKCE-05\"]` with ids from docs/requirements.md".into()),
            );
        }
        for c in &def.covers {
            self.requirement_id(c.get_ref(), c.span());
        }
        let area = id.split('.').next().unwrap_or("").to_string();
        (id, area)
    }

    /// Checks the matrix cases; returns the variables every case defines,
    /// the only ones the steps may use.
    fn cases(&mut self, cases: &[Spanned<CaseDef>]) -> BTreeSet<String> {
        let mut common: Option<BTreeSet<String>> = None;
        let mut case_names = BTreeSet::new();
        for c in cases {
            let span = c.span();
            let c = c.get_ref();
            if c.name.len() > MAX_NAME {
                let message = format!(
                    "the case name is {} characters; at most {MAX_NAME}",
                    c.name.len()
                );
                self.err(span.clone(), message, None);
            }
            if c.name.is_empty() || !case_names.insert(c.name.clone()) {
                let message = format!("case name `{}` is empty or used twice", c.name);
                self.err(span.clone(), message, None);
            }
            for id in &c.covers {
                self.requirement_id(id, span.clone());
            }
            for r in &c.requires {
                self.capability(r);
            }
            for (k, v) in &c.vars {
                self.case_var(&c.name, k, v, span.clone());
            }
            let vars: BTreeSet<String> = c.vars.keys().cloned().collect();
            common = Some(match common {
                None => vars,
                Some(prev) => prev.intersection(&vars).cloned().collect(),
            });
        }
        common.unwrap_or_default()
    }

    /// A case variable is a string, and a well-formed template.
    fn case_var(&mut self, case: &str, k: &str, v: &toml::Value, span: std::ops::Range<usize>) {
        let Some(s) = v.as_str() else {
            let message = format!(
                "case variable `{k}` must be a string, found {}",
                v.type_str()
            );
            self.err(span, message, Some(format!("write `{k} = \"...\"`")));
            return;
        };
        if let Err(e) = Template::parse(s) {
            let message = format!("in case `{case}`, variable `{k}`: {}", e.message);
            self.err(span, message, e.help);
        }
    }

    /// What each case needs beyond the scenario: roles named inside its
    /// values (`uri = "{{ clients.c2.redirect_uri }}"`), so a profile
    /// without c2 skips that case instead of erroring, and its own `requires`.
    fn case_requires(&self, cases: &[Spanned<CaseDef>]) -> Vec<BTreeSet<String>> {
        cases
            .iter()
            .map(|c| {
                let c = c.get_ref();
                let named = c.vars.values().filter_map(|v| v.as_str());
                let own = c.requires.iter().map(|r| r.get_ref().clone());
                named.flat_map(referenced_roles).chain(own).collect()
            })
            .collect()
    }

    /// A step name is a word, not a template namespace, and unique; true
    /// when it was new and valid.
    fn step_name(&mut self, n: &Text, names: &mut BTreeSet<String>) -> bool {
        let name = n.get_ref().clone();
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        if NAMESPACES.contains(&name.as_str()) {
            let help = Some("pick another step name".into());
            self.err(
                n.span(),
                format!("`{name}` is reserved for templates"),
                help,
            );
        } else if !name.bytes().all(word) {
            let message = format!("step name `{name}` must be letters, digits, `_` or `-`");
            self.err(n.span(), message, None);
        } else if !names.insert(name.clone()) {
            self.err(n.span(), format!("step name `{name}` is used twice"), None);
        } else {
            return true;
        }
        false
    }

    /// A step may not weigh more than the rows it checks: a must-level step
    /// whose ids (its own `covers`, else the scenario's and the case's) are
    /// all SHOULD rows would fail where the catalogue only warns.
    fn levels_within_rows(&mut self, def: &ScenarioFile, level: Level) {
        let scenario: Vec<&str> = def.covers.iter().map(|c| c.get_ref().as_str()).collect();
        let mut cases: Vec<Vec<&str>> = def
            .cases
            .iter()
            .map(|c| c.get_ref().covers.iter().map(String::as_str).collect())
            .collect();
        if cases.is_empty() {
            cases.push(Vec::new());
        }
        for step in &def.steps {
            let s = step.get_ref();
            let at = s.level.as_ref().map(|l| *l.get_ref()).unwrap_or(level);
            if !matches!(at, Level::Must | Level::Profile) {
                continue;
            }
            let own: Vec<&str> = s.covers.iter().map(|c| c.get_ref().as_str()).collect();
            let weak = cases.iter().find_map(|case| match own.is_empty() {
                true => rows_below(at, scenario.iter().chain(case)),
                false => rows_below(at, own.iter()),
            });
            if let Some(weak) = weak {
                let span = s.level.as_ref().map(|l| l.span()).unwrap_or(step.span());
                self.err(
                    span,
                    format!(
                        "a `{}` step checks only rows of a lower level ({weak})",
                        at.as_str()
                    ),
                    Some(
                        "give the step (or the scenario) `level = \"should\"`, or cover a MUST row"
                            .into(),
                    ),
                );
            }
        }
    }

    /// A step's `covers` narrows the scenario's: each id must be listed there
    /// (or in a case's), so the coverage table stays the scenario's.
    fn step_covers_listed(&mut self, def: &ScenarioFile, expectations: &[Vec<Expectation>]) {
        let mut listed: BTreeSet<&str> = def.covers.iter().map(|c| c.get_ref().as_str()).collect();
        for c in &def.cases {
            listed.extend(c.get_ref().covers.iter().map(String::as_str));
        }
        let mut named: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        for step in &def.steps {
            for id in &step.get_ref().covers {
                named.push((id.get_ref().clone(), id.span()));
            }
        }
        for e in expectations.iter().flatten() {
            for id in e.covers_ref() {
                named.push((id.clone(), e.span()));
            }
        }
        for (id, span) in named {
            self.requirement_id(&id, span.clone());
            if !listed.contains(id.as_str()) {
                self.err(
                    span,
                    format!("covers `{id}`, which the scenario does not list"),
                    Some("add it to the scenario's `covers` too".into()),
                );
            }
        }
    }

    /// A step's expectations, short form then long form, as one list: each
    /// assertion checked for its step kind and every template in it
    /// validated (no hand-kept list of fields: `Assertion::texts`).
    fn expectations(
        &mut self,
        step: &Spanned<StepDef>,
        scope: &Scope,
        requires: &mut BTreeSet<String>,
    ) -> Vec<Expectation> {
        let s = step.get_ref();
        let mut list = assertion::from_short_form(&s.expect, step.span());
        for a in &s.asserts {
            match a.get_ref().expectation(a.span()) {
                Ok(e) => list.push(e),
                Err(p) => self.err(a.span(), p.message, p.help),
            }
        }
        let authorize = s.authorize.is_some();
        let concurrent = s
            .token
            .as_ref()
            .is_some_and(|t| t.get_ref().concurrent.is_some());
        if let Some(n) = s
            .token
            .as_ref()
            .and_then(|t| t.get_ref().concurrent.as_ref())
        {
            if !(2..=MAX_CONCURRENT).contains(n.get_ref()) {
                self.err(
                    n.span(),
                    format!("`concurrent = {}` is out of range", n.get_ref()),
                    Some(format!(
                        "a race sends 2 to {MAX_CONCURRENT} requests at once"
                    )),
                );
            }
        }
        for e in &list {
            for a in e.assertions() {
                self.fits_step(a, authorize, concurrent);
                for t in a.texts() {
                    self.template(t.get_ref(), t.span(), scope, requires);
                }
                for t in a.value_texts() {
                    self.template(t, a.span.clone(), scope, requires);
                }
            }
        }
        if let Some(idt) = &s.expect.id_token {
            if let (Some(n), true) = (&idt.nonce, idt.nonce_absent) {
                self.err(
                    n.span(),
                    "`nonce` and `nonce_absent` contradict each other",
                    None,
                );
            }
        }
        for r in s.expect.between.values() {
            let [lo, hi] = *r.get_ref();
            if lo > hi {
                self.err(
                    r.span(),
                    "`between` needs [low, high] with low <= high",
                    None,
                );
            }
        }
        let src = self.src;
        let line_of = |offset: usize| src[..offset.min(src.len())].matches('\n').count() + 1;
        for e in &mut list {
            e.set_lines(&line_of);
        }
        list
    }

    /// Queries that only mean something on some step kinds.
    fn fits_step(&mut self, a: &Assertion, authorize: bool, concurrent: bool) {
        let span = a.span.clone();
        if a.query.authorize_only() && !authorize {
            let help = matches!(a.query, Query::Param(_))
                .then(|| "use `expect.json` for response bodies".to_string());
            self.err(
                span,
                format!("`{}` only applies to an authorize step", a.query.label()),
                help,
            );
        } else if authorize && matches!(a.query, Query::Json(_)) {
            self.err(
                span,
                format!("`{}` does not apply to an authorize step", a.query.label()),
                Some("use `expect.params` for callback parameters".into()),
            );
        } else if matches!(a.query, Query::Successes) && !concurrent {
            self.err(
                span,
                "`expect.successes` needs `concurrent = N` on the token step",
                None,
            );
        }
    }

    fn requirement_id(&mut self, id: &str, span: std::ops::Range<usize>) {
        if requirements::find(id).is_none() {
            let ids: Vec<&str> = requirements::catalog()
                .iter()
                .map(|r| r.id.as_str())
                .collect();
            let help = did_you_mean(id, &ids).map(|s| format!("did you mean `{s}`?"));
            self.err(
                span,
                format!("unknown requirement id `{id}`"),
                help.or(Some("ids are the rows of docs/requirements.md".into())),
            );
        }
    }

    fn capability(&mut self, r: &Text) {
        let c = r.get_ref();
        if !is_known_capability(c) {
            let mut all: Vec<String> = CAPABILITIES.iter().map(|s| s.to_string()).collect();
            all.extend(POLICY_TAGS.iter().map(|t| format!("policy:{t}")));
            let help = did_you_mean(c, &all)
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    format!(
                        "known: {}, client:<role>, user:<role>, grant:<role>:<grant>, scope:<purpose>, policy:<tag>, uris:<role>:<n>, redirect:<role>:[!]loopback, auth:<role>:[!]<method>, lacks_scope:<role>:<purpose>, widens:<role>:<purpose>, distinct:<role>:<role>, !<capability>",
                        CAPABILITIES.join(", ")
                    )
                });
            self.err(r.span(), format!("unknown capability `{c}`"), Some(help));
        }
    }

    // The validator's walk threads its accumulators through; a typed step
    // model resolved at load (issue 12's next step) folds them into one.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        step: &Spanned<StepDef>,
        index: usize,
        scope: &Scope,
        cases: &[Spanned<CaseDef>],
        authorize_steps: &BTreeSet<String>,
        requires: &mut BTreeSet<String>,
        case_requires: &mut [BTreeSet<String>],
    ) {
        let span = step.span();
        let s = step.get_ref();
        let n = s.actions().len();
        if n != 1 {
            self.err(
                span.clone(),
                format!("step {} must have exactly one action, found {n}", index + 1),
                Some(
                    "one of: authorize, token, introspect, revoke, userinfo, api, discovery, http, wait, tls"
                        .into(),
                ),
            );
        }
        for id in &s.covers {
            self.requirement_id(id.get_ref(), id.span());
        }
        for tag in s.levels.keys() {
            if !POLICY_TAGS.contains(&tag.as_str()) {
                let help = did_you_mean(tag, POLICY_TAGS).map(|t| format!("did you mean `{t}`?"));
                self.err(
                    span.clone(),
                    format!("unknown policy tag `{tag}` in `levels`"),
                    help.or(Some(format!("known: {}", POLICY_TAGS.join(", ")))),
                );
            }
        }
        let needs = needs::of_step(s);
        requires.extend(needs.requires.iter().map(|c| c.to_string()));
        if let Some(a) = &s.authorize {
            self.probe(a.get_ref(), span.clone());
        }
        if let Some(t) = &s.token {
            self.token_from(t.get_ref(), authorize_steps);
        }
        if let Some(h) = &s.http {
            self.http_auth(h.get_ref());
        }
        if let Some(t) = &s.tls {
            self.tls_probe(&t.get_ref().probe);
        }
        for t in needs.texts {
            self.template(t.get_ref(), t.span(), scope, requires);
        }
        for (r, kind) in needs.roles {
            self.role(r, kind, cases, case_requires, requires);
        }
    }

    /// A literal `tls` probe is one the step knows (a template is checked
    /// when it is rendered).
    fn tls_probe(&mut self, probe: &Text) {
        let p = probe.get_ref();
        let known = tls_probes();
        if p.contains("{{") || known.contains(&p.as_str()) {
            return;
        }
        let help = did_you_mean(p, &known).map(|s| format!("did you mean `{s}`?"));
        self.err(
            probe.span(),
            format!("unknown tls probe `{p}`"),
            help.or(Some(format!("one of: {}", known.join(", ")))),
        );
    }

    /// A probe names parameters the step sends or changes (a typo would
    /// void every case silently), and a probed redirect_uri needs a value.
    fn probe(&mut self, a: &AuthorizeDef, span: std::ops::Range<usize>) {
        let names = a
            .probe
            .as_ref()
            .map(|p| p.get_ref().as_slice())
            .unwrap_or(&[]);
        let changed = a
            .set
            .keys()
            .map(String::as_str)
            .chain(a.remove.iter().map(|r| r.get_ref().as_str()))
            .chain(a.append.iter().map(|[k, _]| k.get_ref().as_str()));
        let known: Vec<&str> = AUTHORIZE_PARAMS.iter().copied().chain(changed).collect();
        for n in names.iter().filter(|n| !known.contains(&n.as_str())) {
            let probe_span = a.probe.as_ref().map(|p| p.span()).unwrap_or(span.clone());
            let help = did_you_mean(n, &known).map(|s| format!("did you mean `{s}`?"));
            let message =
                format!("`probe` names `{n}`, a parameter the step neither sends nor changes");
            self.err(probe_span, message, help);
        }
        let probes_uri = names.iter().any(|n| n == "redirect_uri");
        if probes_uri && a.redirect_uri.is_none() && !a.set.contains_key("redirect_uri") {
            self.err(
                span,
                "`probe = \"redirect_uri\"` without a `redirect_uri` to probe",
                Some("derive it from the profile: `redirect_uri = \"{{ clients.c1.redirect_uri | upper_host }}\"`".into()),
            );
        }
    }

    /// `from` names an earlier authorize step.
    fn token_from(&mut self, t: &TokenDef, authorize_steps: &BTreeSet<String>) {
        let Some(f) = &t.from else { return };
        if authorize_steps.contains(f.get_ref()) {
            return;
        }
        let cands: Vec<&String> = authorize_steps.iter().collect();
        let help = did_you_mean(f.get_ref(), &cands).map(|s| format!("did you mean `{s}`?"));
        self.err(
            f.span(),
            format!(
                "`from` must name an earlier authorize step; `{}` is not one",
                f.get_ref()
            ),
            help,
        );
    }

    /// An http step authenticates one way at most.
    fn http_auth(&mut self, h: &HttpDef) {
        if let (Some(b), Some(_)) = (&h.basic, &h.client) {
            self.err(
                b.span(),
                "`basic` and `client` both authenticate: use one",
                Some(
                    "`client` uses the client's registered method; `basic` forces HTTP Basic"
                        .into(),
                ),
            );
        }
    }

    /// A role a step names: literal, it is the scenario's requirement;
    /// `{{ case.var }}`, each case's value is a requirement of that case, so
    /// a profile without it skips the case instead of erroring.
    fn role(
        &mut self,
        r: &Text,
        kind: &str,
        cases: &[Spanned<CaseDef>],
        case_requires: &mut [BTreeSet<String>],
        requires: &mut BTreeSet<String>,
    ) {
        let role = r.get_ref();
        if role.contains("{{") {
            let var = role
                .trim()
                .strip_prefix("{{")
                .and_then(|r| r.strip_suffix("}}"))
                .and_then(|r| r.trim().strip_prefix("case."));
            for (c, set) in cases.iter().zip(case_requires.iter_mut()) {
                let value = var.and_then(|v| c.get_ref().vars.get(v.trim())?.as_str());
                if let Some(value) = value.filter(|v| is_role(v)) {
                    set.insert(format!("{kind}:{value}"));
                }
            }
            return;
        }
        if !is_role(role) {
            self.err(r.span(), format!("{kind} role `{role}` must be lower-case letters and digits"), Some("roles are the keys of the profile's [clients] and [users], e.g. `c1`, `p1`, `u1`".into()));
        }
        requires.insert(format!("{kind}:{role}"));
    }

    fn template(
        &mut self,
        text: &str,
        span: std::ops::Range<usize>,
        scope: &Scope,
        requires: &mut BTreeSet<String>,
    ) {
        // +1 skips the opening quote of a basic string, so offsets land inside it.
        let at = |off: usize| (span.start + 1 + off)..(span.start + 1 + off + 1);
        let t = match Template::parse(text) {
            Ok(t) => t,
            Err(e) => {
                self.err(at(e.offset), format!("bad template: {}", e.message), e.help);
                return;
            }
        };
        let all: Vec<_> = t.exprs().flat_map(|e| e.alternatives()).collect();
        for ex in &all {
            let head = ex.path[0].as_str();
            let dotted = ex.dotted();
            match head {
                "case" => {
                    let var = ex.path.get(1).map(String::as_str).unwrap_or("");
                    if !scope.has_cases {
                        self.err(at(ex.offset), format!("`{dotted}` refers to a case variable, but the scenario has no `[[case]]`"), None);
                    } else if ex.path.len() != 2 || !scope.case_vars.contains(var) {
                        let vars: Vec<&String> = scope.case_vars.iter().collect();
                        let help = did_you_mean(var, &vars)
                            .map(|s| format!("did you mean `case.{s}`?"))
                            .or_else(|| Some("every [[case]] must define the variable".into()));
                        self.err(
                            at(ex.offset),
                            format!("`{dotted}` is not a variable of every case"),
                            help,
                        );
                    }
                }
                "clients" | "users" => {
                    if ex.path.len() != 3 || !is_role(&ex.path[1]) {
                        self.err(
                            at(ex.offset),
                            format!("`{dotted}` should be `{head}.<role>.<field>`"),
                            Some(format!(
                                "e.g. `{{{{ {head}.{}.{} }}}}`",
                                if head == "clients" { "c1" } else { "u1" },
                                if head == "clients" {
                                    "redirect_uri"
                                } else {
                                    "username"
                                }
                            )),
                        );
                    } else {
                        let kind = if head == "clients" { "client" } else { "user" };
                        requires.insert(format!("{kind}:{}", ex.path[1]));
                    }
                }
                "scopes" => {
                    if ex.path.len() != 2 || !is_scope_purpose(&ex.path[1]) {
                        self.err(
                            at(ex.offset),
                            format!("`{dotted}` should be `scopes.<purpose>`"),
                            Some(
                                "e.g. `{{ scopes.read }}`: the profile's [scopes] names them"
                                    .into(),
                            ),
                        );
                    } else {
                        requires.insert(format!("scope:{}", ex.path[1]));
                    }
                }
                "issuer" | "gen" => {
                    if ex.path.len() != 2 {
                        self.err(
                            at(ex.offset),
                            format!("`{dotted}` should be `{head}.<name>`"),
                            None,
                        );
                    }
                }
                step => {
                    if !scope.steps.contains(step) {
                        let mut cands: Vec<String> = scope.steps.iter().cloned().collect();
                        cands.extend(NAMESPACES.iter().map(|s| s.to_string()));
                        let help = did_you_mean(step, &cands)
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| {
                                format!(
                                    "a template starts with an earlier step's name or one of: {}",
                                    NAMESPACES.join(", ")
                                )
                            });
                        self.err(
                            at(ex.offset),
                            format!("`{dotted}`: no earlier step is called `{step}`"),
                            Some(help),
                        );
                    }
                }
            }
        }
    }
}

/// The parameters an authorize step sends without being told to.
const AUTHORIZE_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
];

/// The most requests one `concurrent` step sends at once: a race needs a
/// burst, not a flood (and each request holds a connection).
const MAX_CONCURRENT: u32 = 64;

/// The longest scenario id or case name: reports stay readable, and no
/// renderer meets a 65,536-character id.
const MAX_NAME: usize = 200;

/// The ids, joined, when no catalogued non-adversarial one among them
/// allows `level` (and there is at least one).
fn rows_below<'a>(level: Level, ids: impl Iterator<Item = &'a &'a str>) -> Option<String> {
    let weighed: Vec<(&str, bool)> = ids
        .filter_map(|id| requirements::find(id))
        .filter_map(|r| Some((r.id.as_str(), r.allows(level.as_str())?)))
        .collect();
    let all_weak = !weighed.is_empty() && weighed.iter().all(|(_, must)| !must);
    all_weak.then(|| {
        weighed
            .iter()
            .map(|(id, _)| *id)
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// Whether `c` is a capability a scenario, a step or a case may require:
/// a named one, or a profile premise (`client:c2`, `uris:p1:2`, ...).
pub fn is_known_capability(c: &str) -> bool {
    CAPABILITIES.contains(&c)
        || c.strip_prefix('!')
            .is_some_and(|n| CAPABILITIES.contains(&n))
        || c.strip_prefix("auth:").is_some_and(is_role_method)
        || c.strip_prefix("distinct:").is_some_and(|s| {
            s.split_once(':')
                .is_some_and(|(a, b)| is_role(a) && is_role(b) && a != b)
        })
        || ["lacks_scope:", "widens:"].iter().any(|k| {
            c.strip_prefix(k).is_some_and(|s| {
                s.split_once(':')
                    .is_some_and(|(r, p)| is_role(r) && is_scope_purpose(p))
            })
        })
        || c.strip_prefix("client:").is_some_and(is_role)
        || c.strip_prefix("user:").is_some_and(is_role)
        || c.strip_prefix("scope:").is_some_and(is_scope_purpose)
        || c.strip_prefix("grant:").is_some_and(is_role_grant)
        || c.strip_prefix("uris:").is_some_and(is_role_count)
        || c.strip_prefix("redirect:").is_some_and(is_role_shape)
        || c.strip_prefix("policy:")
            .is_some_and(|t| POLICY_TAGS.contains(&t))
}

/// `<role>:<method>` of an `auth:` requirement: the client's registered
/// token endpoint authentication method (`auth:c1:client_secret_basic`).
fn is_role_method(s: &str) -> bool {
    s.split_once(':').is_some_and(|(role, m)| {
        let m = m.strip_prefix('!').unwrap_or(m);
        is_role(role) && crate::profile::AuthMethod::parse(m).is_some()
    })
}

/// `<role>:<n>` of a `uris:` requirement: the client has at least n
/// registered redirect URIs (`uris:p1:2`).
fn is_role_count(s: &str) -> bool {
    s.split_once(':').is_some_and(|(role, n)| {
        is_role(role) && n.parse::<u8>().is_ok_and(|n| (1..=9).contains(&n))
    })
}

/// `<role>:loopback` or `<role>:!loopback` of a `redirect:` requirement:
/// whether the client's first registered URI is an `http` loopback IP one,
/// whose port RFC 8252 §7.3 lets the client choose freely.
fn is_role_shape(s: &str) -> bool {
    s.split_once(':')
        .is_some_and(|(role, shape)| is_role(role) && matches!(shape, "loopback" | "!loopback"))
}

/// `<role>:<grant>` of a `grant:` requirement: the profile's client `role`
/// lists `grant` (e.g. `grant:s1:refresh_token`); with `!`, it does not.
/// `grant:c1:!client_credentials` requires that c1 does NOT list the grant.
pub fn is_role_grant(s: &str) -> bool {
    s.split_once(':').is_some_and(|(role, grant)| {
        let grant = grant.strip_prefix('!').unwrap_or(grant);
        is_role(role)
            && !grant.is_empty()
            && grant.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    })
}

/// A key of a profile's `[scopes]`: lower-case letters and `_`.
pub fn is_scope_purpose(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

fn is_role(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// `client:<role>` / `user:<role>` for every `{{ clients.<role>.x }}` or
/// `{{ users.<role>.x }}` in a template text, and `uris:<role>:2` for a
/// `redirect_uri_2` (syntax errors are reported elsewhere).
fn referenced_roles(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(end) = after.find("}}") else { break };
        let expr = after[..end].split('|').next().unwrap_or("").trim();
        let parts: Vec<&str> = expr.split('.').collect();
        match parts.as_slice() {
            [head @ ("clients" | "users"), role, field] if is_role(role) => {
                let kind = if *head == "clients" { "client" } else { "user" };
                out.push(format!("{kind}:{role}"));
                // A second URI is a premise of the profile's shape, not of
                // the issuer: without it the case is a skip, not an error.
                if *field == "redirect_uri_2" {
                    out.push(format!("uris:{role}:2"));
                }
            }
            ["scopes", purpose] if is_scope_purpose(purpose) => {
                out.push(format!("scope:{purpose}"));
            }
            _ => {}
        }
        rest = &after[end + 2..];
    }
    out
}

#[cfg(test)]
mod role_tests {
    #[test]
    fn roles_in_case_values_are_found() {
        assert_eq!(
            super::referenced_roles(
                "{{ clients.c2.redirect_uri | upper }}x{{users.u2.username}}{{ gen.state }}"
            ),
            vec!["client:c2", "user:u2"]
        );
        assert!(super::referenced_roles("{{ clients.C2.id }} {{ broken").is_empty());
    }
}

#[cfg(test)]
mod case_requires_tests {
    use std::path::Path;

    #[test]
    fn roles_named_by_one_case_are_that_cases_requirement() {
        let src = std::fs::read_to_string("suites/redirect-uri/adversarial-variants.toml")
            .expect("the committed scenario");
        let s = super::load_str(
            Path::new("suites/redirect-uri/adversarial-variants.toml"),
            &src,
        )
        .expect("it loads");
        assert!(s.requires.contains("client:c1"));
        assert!(!s.requires.contains("client:c2"), "{:?}", s.requires);
        let i = s
            .def
            .cases
            .iter()
            .position(|c| c.get_ref().name == "adv-07-other-clients-uri")
            .expect("the case exists");
        assert!(s.case_requires[i].contains("client:c2"));
        // The first case names only c1, which the whole scenario needs anyway.
        assert_eq!(
            s.case_requires[0].iter().collect::<Vec<_>>(),
            vec!["client:c1"]
        );
    }
}

#[cfg(test)]
mod premise_tests {
    use std::path::Path;

    const HEAD: &str =
        "id = \"t.premises\"\ntitle = \"t\"\ndescription = \"d\"\ncovers = [\"RURI-02\"]\n";

    fn load(body: &str) -> Result<super::Scenario, String> {
        super::load_str(Path::new("t.toml"), &format!("{HEAD}{body}")).map_err(|ds| {
            ds.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    #[test]
    fn a_case_requires_its_own_premises_and_a_second_uri_implies_one() {
        let s = load(concat!(
            "[[case]]\nname = \"a\"\nrequires = [\"redirect:c1:!loopback\"]\nuri = \"{{ clients.c1.redirect_uri | other_port }}\"\n",
            "[[case]]\nname = \"b\"\nuri = \"{{ clients.p1.redirect_uri_2 }}\"\n",
            "[[step]]\nauthorize = { redirect_uri = \"{{ case.uri }}\", probe = \"redirect_uri\" }\nexpect.callback = \"no_redirect\"\n",
        ))
        .expect("it loads");
        assert!(s.case_requires[0].contains("redirect:c1:!loopback"));
        assert!(
            s.case_requires[1].contains("uris:p1:2"),
            "{:?}",
            s.case_requires[1]
        );
        assert!(!s.requires.contains("uris:p1:2"));
    }

    #[test]
    fn a_status_written_as_a_string_is_explained_in_the_users_words() {
        let e = load("[[step]]\ntoken = { client = \"s1\" }\nexpect = { status = \"200\" }\n")
            .expect_err("refused");
        assert!(
            e.contains("numbers, not strings") && !e.contains("untagged"),
            "{e}"
        );
        let long = format!("[[case]]\nname = \"{}\"\nx = \"1\"\n[[step]]\ntoken = {{ client = \"s1\" }}\nexpect.status = 200\n", "n".repeat(201));
        assert!(load(&long)
            .expect_err("refused")
            .contains("201 characters; at most 200"));
    }

    #[test]
    fn every_tables_type_error_is_reported_at_once() {
        let e = load(concat!(
            "[[case]]\nname = \"x\"\ncovers = \"TOK-01\"\n",
            "[[step]]\ntoken = { client = \"s1\" }\nexpect = { status = \"200\" }\n",
            "[[step]]\ntoken = { client = \"s1\", concurrent = \"many\" }\nexpect.status = 200\n",
            "[[step]]\ntokn = { client = \"s1\" }\n",
        ))
        .expect_err("refused");
        for want in [
            "expected a list",
            "numbers, not strings",
            "expected a whole number",
            "unknown key `tokn`",
        ] {
            assert!(e.contains(want), "{want} missing from:\n{e}");
        }
        assert_eq!(e.matches("error:").count(), 4, "{e}");
    }

    #[test]
    fn unknown_premises_and_a_probe_without_a_value_are_refused_together() {
        let e = load(concat!(
            "[[case]]\nname = \"a\"\nrequires = [\"uris:p1:many\", \"redirect:c1:https\"]\nx = \"1\"\n",
            "[[step]]\nauthorize = { probe = [\"redirect_uri\", \"redirect-uri\"] }\nexpect.callback = \"no_redirect\"\n",
        ))
        .expect_err("refused");
        assert!(e.contains("unknown capability `uris:p1:many`"), "{e}");
        assert!(e.contains("unknown capability `redirect:c1:https`"), "{e}");
        assert!(e.contains("without a `redirect_uri` to probe"), "{e}");
        assert!(
            e.contains("`probe` names `redirect-uri`")
                && e.contains("did you mean `redirect_uri`?"),
            "{e}"
        );
    }
}
