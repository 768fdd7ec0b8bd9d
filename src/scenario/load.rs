//! Loading scenario files: TOML into the typed model, then the checks serde
//! cannot do (known requirement ids, templates, step references), every
//! problem reported with file:line:col.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::assertion::{self, Assertion, Expectation, Query};
use super::diag::{self, did_you_mean, Diagnostic};
use super::model::*;
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
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f).map_err(|source| LoadError::Io {
            path: f.clone(),
            source,
        })?;
        match load_str(&f, &src) {
            Ok(s) => out.push(s),
            Err(mut d) => problems.append(&mut d),
        }
    }
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for s in &out {
        if let Some(prev) = seen.insert(s.id.clone(), s.path.clone()) {
            let src = std::fs::read_to_string(&s.path).unwrap_or_default();
            problems.push(
                Diagnostic::at(
                    &s.path,
                    &src,
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
    let io = |source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Parses and validates one scenario file.
pub fn load_str(path: &Path, src: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let def: ScenarioFile =
        toml::from_str(src).map_err(|e| vec![diag::from_toml(path, src, &e)])?;
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
        let id = def.id.get_ref().clone();
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        {
            self.err(
                def.id.span(),
                format!("scenario id `{id}` must be lower-case letters, digits, `.`, `_` or `-`"),
                Some("e.g. `code.reuse-revokes`".into()),
            );
        }
        let area = id.split('.').next().unwrap_or("").to_string();
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
        let mut requires: BTreeSet<String> = BTreeSet::new();
        for r in &def.requires {
            self.capability(r);
            requires.insert(r.get_ref().clone());
        }

        // Matrix cases.
        let mut case_vars: Option<BTreeSet<String>> = None;
        let mut case_names = BTreeSet::new();
        for c in &def.cases {
            let span = c.span();
            let c = c.get_ref();
            if c.name.is_empty() || !case_names.insert(c.name.clone()) {
                self.err(
                    span.clone(),
                    format!("case name `{}` is empty or used twice", c.name),
                    None,
                );
            }
            for id in &c.covers {
                self.requirement_id(id, span.clone());
            }
            let mut vars = BTreeSet::new();
            for (k, v) in &c.vars {
                match v.as_str() {
                    Some(s) => {
                        if let Err(e) = Template::parse(s) {
                            self.err(
                                span.clone(),
                                format!("in case `{}`, variable `{k}`: {}", c.name, e.message),
                                e.help,
                            );
                        }
                    }
                    None => self.err(
                        span.clone(),
                        format!(
                            "case variable `{k}` must be a string, found {}",
                            v.type_str()
                        ),
                        Some(format!("write `{k} = \"...\"`")),
                    ),
                }
                vars.insert(k.clone());
            }
            // Only the variables every case defines can be used by the steps.
            case_vars = Some(match case_vars {
                None => vars,
                Some(prev) => prev.intersection(&vars).cloned().collect(),
            });
        }
        let case_vars = case_vars.unwrap_or_default();

        if def.steps.is_empty() {
            self.err(def.id.span(), "the scenario has no `[[step]]`", None);
        }
        // Roles named inside case values (`uri = "{{ clients.c2.redirect_uri }}"`)
        // are requirements of that case: a profile without c2 skips it
        // instead of erroring.
        // A case's own `requires` joins them.
        let mut case_requires: Vec<BTreeSet<String>> = def
            .cases
            .iter()
            .map(|c| {
                let c = c.get_ref();
                let named = c.vars.values().filter_map(|v| v.as_str());
                let own = c.requires.iter().map(|r| r.get_ref().clone());
                named.flat_map(referenced_roles).chain(own).collect()
            })
            .collect();
        for r in def.cases.iter().flat_map(|c| &c.get_ref().requires) {
            self.capability(r);
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
                let name = n.get_ref().clone();
                if NAMESPACES.contains(&name.as_str()) {
                    self.err(
                        n.span(),
                        format!("`{name}` is reserved for templates"),
                        Some("pick another step name".into()),
                    );
                } else if !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    self.err(
                        n.span(),
                        format!("step name `{name}` must be letters, digits, `_` or `-`"),
                        None,
                    );
                } else if !names.insert(name.clone()) {
                    self.err(n.span(), format!("step name `{name}` is used twice"), None);
                }
                if step.get_ref().authorize.is_some() {
                    authorize_steps.insert(name);
                }
            }
        }
        self.step_covers_listed(&def, &expectations);
        let level = def
            .level
            .as_ref()
            .map(|l| *l.get_ref())
            .unwrap_or(Level::Must);
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
                        "known: {}, client:<role>, user:<role>, grant:<role>:<grant>, scope:<purpose>, policy:<tag>, uris:<role>:<n>, redirect:<role>:[!]loopback",
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
                    "one of: authorize, token, introspect, revoke, userinfo, api, discovery, http"
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
        let mut texts: Vec<&Text> = Vec::new();
        let mut roles: Vec<(&Text, &str)> = Vec::new();
        if let Some(a) = &s.authorize {
            let a = a.get_ref();
            texts.extend(
                [
                    &a.scope,
                    &a.redirect_uri,
                    &a.state,
                    &a.nonce,
                    &a.verifier,
                    &a.method,
                ]
                .into_iter()
                .flatten(),
            );
            if let Some(c) = &a.client {
                roles.push((c, "client"));
            } else {
                // The runner's default (exec::authorize): a profile without c1 skips.
                requires.insert("client:c1".into());
            }
            if let Some(u) = &a.user {
                roles.push((u, "user"));
            } else {
                requires.insert("user:u1".into());
            }
            edit_texts(a.edits(), &mut texts);
            if a.consent
                .as_ref()
                .is_some_and(|c| *c.get_ref() == Consent::Deny)
            {
                requires.insert("deny".into());
            }
        }
        if let Some(t) = &s.token {
            let t = t.get_ref();
            texts.extend(
                [
                    &t.grant,
                    &t.secret,
                    &t.code,
                    &t.code_verifier,
                    &t.redirect_uri,
                    &t.refresh_token,
                    &t.scope,
                    &t.method,
                    &t.content_type,
                ]
                .into_iter()
                .flatten(),
            );
            texts.extend(t.query.iter().flatten());
            if let Some(c) = &t.client {
                roles.push((c, "client"));
            } else if t.from.is_none() {
                requires.insert("client:c1".into());
            }
            if let Some(f) = &t.from {
                if !authorize_steps.contains(f.get_ref()) {
                    let cands: Vec<&String> = authorize_steps.iter().collect();
                    let help =
                        did_you_mean(f.get_ref(), &cands).map(|s| format!("did you mean `{s}`?"));
                    self.err(
                        f.span(),
                        format!(
                            "`from` must name an earlier authorize step; `{}` is not one",
                            f.get_ref()
                        ),
                        help,
                    );
                }
            }
            edit_texts(t.edits(), &mut texts);
        }
        for op in [&s.introspect, &s.revoke].into_iter().flatten() {
            let op = op.get_ref();
            texts.extend([&op.token, &op.hint, &op.secret].into_iter().flatten());
            if let Some(c) = &op.client {
                roles.push((c, "client"));
            } else {
                requires.insert("client:c1".into());
            }
            edit_texts(op.edits(), &mut texts);
        }
        if s.introspect.is_some() {
            requires.insert("introspection".into());
        }
        if s.revoke.is_some() {
            requires.insert("revocation".into());
        }
        if let Some(u) = &s.userinfo {
            requires.insert("userinfo".into());
            let u = u.get_ref();
            texts.extend([&u.token, &u.method, &u.scheme].into_iter().flatten());
        }
        if let Some(a) = &s.api {
            requires.insert("api".into());
            let a = a.get_ref();
            texts.extend(a.token.iter());
            match &a.client {
                Some(c) => roles.push((c, "client")),
                None => {
                    requires.insert("client:c1".into());
                }
            }
        }
        if let Some(d) = &s.discovery {
            texts.extend(d.get_ref().path.iter());
        }
        if let Some(h) = &s.http {
            let h = h.get_ref();
            texts.push(&h.url);
            texts.extend([&h.method, &h.body].into_iter().flatten());
            texts.extend(h.headers.iter().flatten());
            texts.extend(h.form.iter().flatten());
            for b in [&h.basic, &h.client].into_iter().flatten() {
                roles.push((b, "client"));
            }
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
        for t in texts {
            self.template(t.get_ref(), t.span(), scope, requires);
        }
        for (r, kind) in roles {
            let role = r.get_ref();
            if role.contains("{{") {
                // `{{ case.var }}`: each case's value is a role that case needs,
                // so a profile without it skips the case instead of erroring.
                if let Some(var) = role
                    .trim()
                    .strip_prefix("{{")
                    .and_then(|r| r.strip_suffix("}}"))
                    .and_then(|r| r.trim().strip_prefix("case."))
                {
                    for (i, c) in cases.iter().enumerate() {
                        if let Some(value) =
                            c.get_ref().vars.get(var.trim()).and_then(|v| v.as_str())
                        {
                            if is_role(value) {
                                if let Some(set) = case_requires.get_mut(i) {
                                    set.insert(format!("{kind}:{value}"));
                                }
                            }
                        }
                    }
                }
                continue;
            }
            if !is_role(role) {
                self.err(r.span(), format!("{kind} role `{role}` must be lower-case letters and digits"), Some("roles are the keys of the profile's [clients] and [users], e.g. `c1`, `p1`, `u1`".into()));
            }
            requires.insert(format!("{kind}:{role}"));
        }
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
        for ex in t.exprs() {
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

/// Whether `c` is a capability a scenario, a step or a case may require:
/// a named one, or a profile premise (`client:c2`, `uris:p1:2`, ...).
pub fn is_known_capability(c: &str) -> bool {
    CAPABILITIES.contains(&c)
        || c.strip_prefix("client:").is_some_and(is_role)
        || c.strip_prefix("user:").is_some_and(is_role)
        || c.strip_prefix("scope:").is_some_and(is_scope_purpose)
        || c.strip_prefix("grant:").is_some_and(is_role_grant)
        || c.strip_prefix("uris:").is_some_and(is_role_count)
        || c.strip_prefix("redirect:").is_some_and(is_role_shape)
        || c.strip_prefix("policy:")
            .is_some_and(|t| POLICY_TAGS.contains(&t))
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

/// The texts of `set`, `remove` and `append` (names too: a template may build one).
fn edit_texts<'a>(e: Edits<'a>, texts: &mut Vec<&'a Text>) {
    texts.extend(e.set.values());
    texts.extend(e.remove.iter());
    texts.extend(e.append.iter().flatten());
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
