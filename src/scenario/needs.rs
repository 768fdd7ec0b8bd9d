//! What each kind of step names: the texts that may hold templates, the
//! roles it acts as, and the capabilities it implies. Pure: the loader
//! validates the texts and roles, and turns the capabilities into the
//! scenario's (or the `if_offered` step's) requirements.

use super::model::*;

/// What one step's action names.
#[derive(Default)]
pub struct Needs<'a> {
    pub texts: Vec<&'a Text>,
    /// Role texts with their kind (`client` or `user`).
    pub roles: Vec<(&'a Text, &'static str)>,
    pub requires: Vec<&'static str>,
}

impl<'a> Needs<'a> {
    /// A role the step names, or, when it names none, the runner's default.
    fn role(&mut self, named: &'a Option<Text>, kind: &'static str, default: &'static str) {
        match named {
            Some(r) => self.roles.push((r, kind)),
            None => self.requires.push(default),
        }
    }

    /// The texts of `set`, `remove` and `append` (names too: a template may build one).
    fn edits(&mut self, e: Edits<'a>) {
        self.texts.extend(e.set.values());
        self.texts.extend(e.remove.iter());
        self.texts.extend(e.append.iter().flatten());
    }
}

/// What `step` names, whichever its action (a step with none names nothing).
pub fn of_step(s: &StepDef) -> Needs<'_> {
    let mut n = Needs::default();
    if let Some(a) = &s.authorize {
        authorize(a.get_ref(), &mut n);
    }
    if let Some(t) = &s.token {
        token(t.get_ref(), &mut n);
    }
    for (op, cap) in [(&s.introspect, "introspection"), (&s.revoke, "revocation")] {
        if let Some(op) = op {
            token_op(op.get_ref(), &mut n);
            n.requires.push(cap);
        }
    }
    if let Some(u) = &s.userinfo {
        let u = u.get_ref();
        n.texts
            .extend([&u.token, &u.method, &u.scheme].into_iter().flatten());
        n.requires.push("userinfo");
    }
    if let Some(a) = &s.api {
        let a = a.get_ref();
        n.texts.extend(a.token.iter());
        n.role(&a.client, "client", "client:c1");
        n.requires.push("api");
    }
    if let Some(d) = &s.discovery {
        n.texts.extend(d.get_ref().path.iter());
    }
    if let Some(h) = &s.http {
        http(h.get_ref(), &mut n);
    }
    n
}

fn authorize<'a>(a: &'a AuthorizeDef, n: &mut Needs<'a>) {
    let texts = [
        &a.scope,
        &a.redirect_uri,
        &a.state,
        &a.nonce,
        &a.verifier,
        &a.method,
    ];
    n.texts.extend(texts.into_iter().flatten());
    // The runner's defaults (run::exec::authorize): a profile without c1 or u1 skips.
    n.role(&a.client, "client", "client:c1");
    n.role(&a.user, "user", "user:u1");
    n.edits(a.edits());
    if a.consent
        .as_ref()
        .is_some_and(|c| *c.get_ref() == Consent::Deny)
    {
        n.requires.push("deny");
    }
}

fn token<'a>(t: &'a TokenDef, n: &mut Needs<'a>) {
    let texts = [
        &t.grant,
        &t.secret,
        &t.code,
        &t.code_verifier,
        &t.redirect_uri,
        &t.refresh_token,
        &t.scope,
        &t.method,
        &t.content_type,
    ];
    n.texts.extend(texts.into_iter().flatten());
    n.texts.extend(t.query.iter().flatten());
    match (&t.client, &t.from) {
        (Some(c), _) => n.roles.push((c, "client")),
        // Redeeming an earlier authorization acts as that step's client.
        (None, Some(_)) => {}
        (None, None) => n.requires.push("client:c1"),
    }
    n.edits(t.edits());
}

fn token_op<'a>(op: &'a TokenOpDef, n: &mut Needs<'a>) {
    n.texts
        .extend([&op.token, &op.hint, &op.secret].into_iter().flatten());
    n.role(&op.client, "client", "client:c1");
    n.edits(op.edits());
}

fn http<'a>(h: &'a HttpDef, n: &mut Needs<'a>) {
    n.texts.push(&h.url);
    n.texts.extend([&h.method, &h.body].into_iter().flatten());
    n.texts.extend(h.headers.iter().flatten());
    n.texts.extend(h.form.iter().flatten());
    for b in [&h.basic, &h.client].into_iter().flatten() {
        n.roles.push((b, "client"));
    }
}
