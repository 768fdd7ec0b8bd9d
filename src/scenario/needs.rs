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
    n.texts.extend(s.when.iter());
    match s.kind() {
        Some(StepKind::Authorize(a)) => authorize(a, &mut n),
        Some(StepKind::Token(t)) => token(t, &mut n),
        Some(StepKind::Introspect(op)) => {
            token_op(op, &mut n);
            n.requires.push("introspection");
        }
        Some(StepKind::Revoke(op)) => {
            token_op(op, &mut n);
            n.requires.push("revocation");
        }
        Some(StepKind::Userinfo(u)) => {
            n.texts
                .extend([&u.token, &u.method, &u.scheme].into_iter().flatten());
            n.requires.push("userinfo");
        }
        Some(StepKind::Api(a)) => {
            n.texts.extend(a.token.iter());
            n.role(&a.client, "client", "client:c1");
            n.requires.push("api");
        }
        Some(StepKind::Discovery(d)) => n.texts.extend(d.path.iter()),
        Some(StepKind::Http(h)) => http(h, &mut n),
        Some(StepKind::Wait(w)) => {
            n.texts.push(&w.seconds);
            if !is_short(w) {
                n.requires.push("slow");
            }
        }
        Some(StepKind::Tls(t)) => {
            n.texts.push(&t.probe);
            n.requires.push("https");
        }
        None => {}
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
    // The runner's defaults (run::step::authorize): a profile without c1 or u1 skips.
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
        &t.client_id,
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

/// The longest wait that does not make a case `slow`: a few seconds, as
/// AUTHZ-14 needs between two logins so that their `auth_time`s differ.
pub const SHORT_WAIT: u64 = 5;

/// A wait of a literal number of seconds, margin included, no longer than
/// [`SHORT_WAIT`]: it costs every run so little that `--slow` is not asked.
fn is_short(w: &crate::scenario::model::WaitDef) -> bool {
    w.seconds
        .get_ref()
        .trim()
        .parse::<u64>()
        .is_ok_and(|s| s.saturating_add(w.plus) <= SHORT_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Spanned;

    fn wait(seconds: &str, plus: u64) -> WaitDef {
        WaitDef {
            seconds: Spanned::new(0..seconds.len(), seconds.to_string()),
            plus,
        }
    }

    #[test]
    fn only_a_few_literal_seconds_are_not_slow() {
        assert!(is_short(&wait("3", 0)));
        assert!(is_short(&wait(" 5 ", 0)));
        assert!(!is_short(&wait("3", 3)));
        assert!(!is_short(&wait("600", 0)));
        // A lifetime read from a response could be anything.
        assert!(!is_short(&wait("{{ exchange.expires_in }}", 0)));
    }
}
