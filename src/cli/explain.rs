//! `grantcheck explain <scenario-id>`: what a scenario does, why, and what a
//! conforming issuer answers, generated from the scenario itself so it can
//! never disagree with what runs.

use std::path::PathBuf;

use super::{Failure, EXIT_OK};
use crate::requirements;
use crate::scenario::model::*;

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A scenario id (see `grantcheck list`).
    pub id: String,
    #[arg(long, value_name = "DIR", default_value = "suites")]
    pub suites: PathBuf,
}

pub fn explain(a: ExplainArgs) -> Result<u8, Failure> {
    let scenarios = super::run::load_scenarios(&a.suites)?;
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
    print!("{}", render(s));
    Ok(EXIT_OK)
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
        for e in expectations(&st.expect) {
            o.push_str(&format!("     expect {e}\n"));
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

fn action(st: &StepDef) -> String {
    if let Some(a) = &st.authorize {
        let a = a.get_ref();
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
        return s;
    }
    if let Some(tk) = &st.token {
        let tk = tk.get_ref();
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
        return s;
    }
    for (name, op) in [
        ("introspection", &st.introspect),
        ("revocation", &st.revoke),
    ] {
        if let Some(op) = op {
            let op = op.get_ref();
            return format!(
                "{name} of {} as {}{}",
                t(&op.token).unwrap_or("(no token)"),
                t(&op.client).unwrap_or("c1"),
                edits(&op.set, &op.remove, &op.append)
            );
        }
    }
    if let Some(u) = &st.userinfo {
        let u = u.get_ref();
        return format!(
            "userinfo {} with token {}",
            t(&u.method).unwrap_or("GET"),
            t(&u.token).unwrap_or("(none)")
        );
    }
    if let Some(a) = &st.api {
        let a = a.get_ref();
        return format!(
            "GET the resource API as {} with token {}",
            t(&a.client).unwrap_or("c1"),
            t(&a.token).unwrap_or("(none)")
        );
    }
    if st.discovery.is_some() {
        return "fetch the discovery document".into();
    }
    if let Some(h) = &st.http {
        let h = h.get_ref();
        return format!("HTTP {} {}", t(&h.method).unwrap_or("GET"), h.url.get_ref());
    }
    String::new()
}

fn expectations(e: &ExpectDef) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(c) = &e.callback {
        v.push(match c.get_ref() {
            CallbackKind::Code => "a redirect to the redirect URI with a code".to_string(),
            CallbackKind::Error => "an error redirect to the redirect URI".to_string(),
            CallbackKind::NoRedirect => {
                "no redirect at all (an error page on the issuer)".to_string()
            }
        });
    }
    if let Some(s) = &e.status {
        v.push(format!("status {}", join(s.get_ref().as_slice())));
    }
    if let Some(er) = &e.error {
        v.push(format!("error {}", join(er.get_ref().as_slice())));
    }
    for f in &e.present {
        v.push(format!("`{}` present", f.get_ref()));
    }
    for f in &e.absent {
        v.push(format!("`{}` absent", f.get_ref()));
    }
    for (k, x) in &e.json {
        v.push(format!("`{k}` = {}", x.get_ref()));
    }
    for (k, x) in &e.params {
        v.push(format!("parameter `{k}` = {}", x.get_ref()));
    }
    for (k, x) in &e.differs {
        v.push(format!("`{k}` different from {}", x.get_ref()));
    }
    for (k, x) in &e.header_contains {
        v.push(format!("header {k} containing \"{}\"", x.get_ref()));
    }
    for k in &e.header_absent {
        v.push(format!("no header {}", k.get_ref()));
    }
    if let Some(c) = &e.challenge {
        v.push(format!("a WWW-Authenticate {} challenge", c.get_ref()));
    }
    if let Some(c) = &e.challenge_error {
        v.push(format!("WWW-Authenticate error=\"{}\"", c.get_ref()));
    }
    if let Some(n) = &e.successes {
        v.push(format!("exactly {} success(es)", n.get_ref()));
    }
    for (k, r) in &e.between {
        let [lo, hi] = r.get_ref();
        v.push(format!("`{k}` between {lo} and {hi}"));
    }
    for (k, x) in &e.includes {
        v.push(format!("`{k}` including \"{}\"", x.get_ref()));
    }
    for (k, x) in &e.excludes {
        v.push(format!("`{k}` not including \"{}\"", x.get_ref()));
    }
    if e.public_keys_only {
        v.push("only public keys (no private or symmetric members)".into());
    }
    if let Some(idt) = &e.id_token {
        let mut what =
            "an id_token signed with a key from the JWKS, iss = the issuer, live exp".to_string();
        if let Some(a) = &idt.aud {
            what.push_str(&format!(", aud including {}", a.get_ref()));
        }
        if let Some(n) = &idt.nonce {
            what.push_str(&format!(", nonce = {}", n.get_ref()));
        }
        if idt.nonce_absent {
            what.push_str(", no nonce");
        }
        v.push(what);
    }
    v
}

fn join<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(" or ")
}
