//! `grantcheck explain <scenario-id>`: what a scenario does, why, and what a
//! conforming issuer answers, generated from the scenario itself so it can
//! never disagree with what runs.

use super::{Failure, EXIT_OK};
use crate::requirements;
use crate::scenario::model::*;

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A scenario id (see `grantcheck list`).
    pub id: String,
    #[command(flatten)]
    pub suites: super::suites::SuiteArgs,
}

pub fn explain(a: ExplainArgs) -> Result<u8, Failure> {
    let scenarios = super::suites::load(&a.suites)?;
    let id = a.id.split('[').next().unwrap_or(&a.id);
    let Some(s) = scenarios.iter().find(|s| s.id == id) else {
        let ids: Vec<&str> = scenarios.iter().map(|s| s.id.as_str()).collect();
        let hint =
            crate::scenario::diag::did_you_mean(id, &ids).map(|s| format!("did you mean `{s}`?"));
        return Err(Failure::usage(
            format!("no scenario `{id}`"),
            hint.or(Some("`grantcheck list` shows the ids".into())),
        ));
    };
    if let Some(case) = a.id.strip_prefix(id).filter(|c| !c.is_empty()) {
        check_case(s, case)?;
    }
    print!("{}", render(s));
    Ok(EXIT_OK)
}

/// `code.reuse[x]` names a case: it must be one of the scenario's.
fn check_case(s: &crate::scenario::Scenario, suffix: &str) -> Result<(), Failure> {
    let names: Vec<&str> = s
        .def
        .cases
        .iter()
        .map(|c| c.get_ref().name.as_str())
        .collect();
    let name = suffix.strip_prefix('[').and_then(|r| r.strip_suffix(']'));
    match name {
        Some(n) if names.contains(&n) => Ok(()),
        _ if names.is_empty() => Err(Failure::usage(
            format!("`{}` has no cases: its id is `{}`", s.id, s.id),
            None,
        )),
        _ => {
            let given = name.unwrap_or(suffix);
            let hint = crate::scenario::diag::did_you_mean(given, &names)
                .map(|n| format!("did you mean `{}[{n}]`?", s.id))
                .unwrap_or_else(|| format!("its cases: {}", names.join(", ")));
            Err(Failure::usage(
                format!("`{}` has no case `{given}`", s.id),
                Some(hint),
            ))
        }
    }
}

pub fn render(s: &crate::scenario::Scenario) -> String {
    let d = &s.def;
    let mut o = format!("{} — {}\n{}\n\n", s.id, d.title, s.path.display());
    o.push_str(&format!("{}\n\n", d.description.trim()));
    o.push_str(&format!("Level: {}", s.level.as_str()));
    if !d.spec.is_empty() {
        o.push_str(&format!("    Spec: {}", d.spec.join(", ")));
    }
    o.push('\n');
    if !s.requires.is_empty() {
        o.push_str(&format!(
            "Requires: {}\n",
            s.requires.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    o.push_str("\nRequirements:\n");
    for id in s.all_covers() {
        if let Some(r) = requirements::find(&id) {
            o.push_str(&format!("  {id} ({}): {}\n", r.level, r.summary));
        }
    }
    if !d.cases.is_empty() {
        o.push_str(&format!("\nCases ({}):\n", d.cases.len()));
        for c in &d.cases {
            let c = c.get_ref();
            let vars: Vec<String> = c.vars.iter().map(|(k, v)| format!("{k} = {}", v)).collect();
            o.push_str(&format!(
                "  {:<28} {}{}\n",
                c.name,
                vars.join(", "),
                c.note
                    .as_ref()
                    .map(|n| format!("  ({n})"))
                    .unwrap_or_default()
            ));
        }
    }
    o.push_str("\nSteps, and what a conforming issuer answers:\n");
    for (i, st) in d.steps.iter().enumerate() {
        let st = st.get_ref();
        let name = st
            .name
            .as_ref()
            .map(|n| n.get_ref().clone())
            .unwrap_or_else(|| format!("step{}", i + 1));
        let level = st
            .level
            .as_ref()
            .map(|l| l.get_ref().as_str())
            .unwrap_or(s.level.as_str());
        o.push_str(&format!("  {}. {name} [{level}]: {}\n", i + 1, action(st)));
        if let Some(n) = &st.note {
            o.push_str(&format!("     why: {n}\n"));
        }
        // The runner's own list: every assertion, both forms.
        for e in s.expectations.get(i).into_iter().flatten() {
            o.push_str(&format!("     expect {}\n", e.describe()));
        }
    }
    o
}

fn t(x: &Option<Text>) -> Option<&str> {
    x.as_ref().map(|t| t.get_ref().as_str())
}

fn edits(
    set: &std::collections::BTreeMap<String, Text>,
    remove: &[Text],
    append: &[[Text; 2]],
) -> String {
    let mut parts = Vec::new();
    for (k, v) in set {
        parts.push(format!("{k}={}", v.get_ref()));
    }
    for r in remove {
        parts.push(format!("without {}", r.get_ref()));
    }
    for [k, v] in append {
        parts.push(format!("plus another {}={}", k.get_ref(), v.get_ref()));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" with {}", parts.join(", "))
    }
}

/// The step's one action, in words: one function per step kind.
fn action(st: &StepDef) -> String {
    use crate::scenario::model::StepKind;
    match st.kind() {
        Some(StepKind::Authorize(a)) => authorize_action(a),
        Some(StepKind::Token(tk)) => token_action(tk),
        Some(StepKind::Introspect(op)) => token_op_action("introspection", op),
        Some(StepKind::Revoke(op)) => token_op_action("revocation", op),
        Some(StepKind::Userinfo(u)) => format!(
            "userinfo {} with token {}",
            t(&u.method).unwrap_or("GET"),
            t(&u.token).unwrap_or("(none)")
        ),
        Some(StepKind::Api(a)) => format!(
            "GET the resource API as {} with token {}",
            t(&a.client).unwrap_or("c1"),
            t(&a.token).unwrap_or("(none)")
        ),
        Some(StepKind::Discovery(_)) => "fetch the discovery document".into(),
        Some(StepKind::Http(h)) => {
            format!("HTTP {} {}", t(&h.method).unwrap_or("GET"), h.url.get_ref())
        }
        Some(StepKind::Wait(w)) => {
            let plus = match w.plus {
                0 => String::new(),
                n => format!(" + {n}"),
            };
            format!(
                "wait {}{plus} s (the reference's clock is advanced; a real issuer needs --slow)",
                w.seconds.get_ref()
            )
        }
        Some(StepKind::Tls(p)) => {
            format!("probe the transport: {}", tls_probe(p.probe.get_ref()))
        }
        None => String::new(),
    }
}

fn authorize_action(a: &crate::scenario::model::AuthorizeDef) -> String {
    let mut s = format!("authorization request as {}", t(&a.client).unwrap_or("c1"));
    for (k, v) in [
        ("scope", &a.scope),
        ("redirect_uri", &a.redirect_uri),
        ("state", &a.state),
        ("verifier", &a.verifier),
    ] {
        if let Some(v) = t(v) {
            s.push_str(&format!(", {k}={v}"));
        }
    }
    s.push_str(&edits(&a.set, &a.remove, &a.append));
    if a.consent
        .as_ref()
        .is_some_and(|c| *c.get_ref() == Consent::Deny)
    {
        s.push_str("; the user refuses consent");
    }
    s
}

fn token_action(tk: &crate::scenario::model::TokenDef) -> String {
    let mut s = format!(
        "token request, grant {}",
        t(&tk.grant).unwrap_or(if tk.refresh_token.is_some() {
            "refresh_token"
        } else {
            "authorization_code"
        })
    );
    if let Some(f) = t(&tk.from) {
        s.push_str(&format!(" redeeming the code of step `{f}`"));
    }
    if let Some(c) = t(&tk.client) {
        s.push_str(&format!(", as client {c}"));
    }
    if let Some(a) = &tk.auth {
        s.push_str(&format!(", client auth {:?}", a.get_ref()).to_lowercase());
    }
    if tk.secret.is_some() {
        s.push_str(", with a wrong secret");
    }
    for (k, v) in [
        ("code", &tk.code),
        ("code_verifier", &tk.code_verifier),
        ("redirect_uri", &tk.redirect_uri),
        ("refresh_token", &tk.refresh_token),
        ("scope", &tk.scope),
        ("method", &tk.method),
        ("content_type", &tk.content_type),
    ] {
        if let Some(v) = t(v) {
            s.push_str(&format!(", {k}={v}"));
        }
    }
    if let Some(n) = &tk.concurrent {
        s.push_str(&format!(", sent {} times at once", n.get_ref()));
    }
    s.push_str(&edits(&tk.set, &tk.remove, &tk.append));
    s
}

fn token_op_action(name: &str, op: &crate::scenario::model::TokenOpDef) -> String {
    format!(
        "{name} of {} as {}{}",
        t(&op.token).unwrap_or("(no token)"),
        t(&op.client).unwrap_or("c1"),
        edits(&op.set, &op.remove, &op.append)
    )
}

/// What a `tls` step's probe does, in words.
fn tls_probe(probe: &str) -> String {
    crate::scenario::model::TLS_PROBE_TABLE
        .iter()
        .find(|(name, _)| *name == probe)
        .map_or_else(|| format!("`{probe}`"), |(_, what)| what.to_string())
}

#[cfg(test)]
mod tests {
    use crate::scenario::assertion::Expectation;

    /// `explain` prints every assertion of every committed scenario, and no
    /// member of a step's short form is lost on the way to the list.
    #[test]
    fn explain_prints_every_assertion_of_every_scenario() {
        let scenarios = crate::scenario::load_dir(std::path::Path::new("suites")).unwrap();
        let mut seen = 0;
        for s in &scenarios {
            let text = super::render(s);
            for (step, list) in s.def.steps.iter().zip(&s.expectations) {
                let e = &step.get_ref().expect;
                // Each short-form member gives at least one assertion.
                let members = usize::from(e.status.is_some())
                    + usize::from(e.error.is_some())
                    + usize::from(e.callback.is_some())
                    + e.present.len()
                    + e.absent.len()
                    + e.json.len()
                    + e.params.len()
                    + e.header_contains.len()
                    + e.header_absent.len()
                    + e.between.len();
                assert!(list.len() >= members, "{}: a member was dropped", s.id);
                for a in list {
                    let line = format!("expect {}", Expectation::describe(a));
                    assert!(text.contains(&line), "{}: `{line}` not explained", s.id);
                    seen += 1;
                }
            }
        }
        assert!(seen > 300, "only {seen} assertions in suites/");
    }
}
