//! What the form agent does with an HTML page: a pure decision, so every
//! kind of page can be tested without a server.

use crate::profile::LoginDef;
use crate::protocol::html::{Button, Form, Page};
use crate::scenario::model::Consent;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Submit form `form` with these fields (button included when it has a name).
    Submit {
        form: usize,
        fields: Vec<(String, String)>,
        kind: SubmitKind,
    },
    /// Follow link `link` of the page (a consent refusal offered as a link).
    Follow { link: usize, kind: SubmitKind },
    /// Nothing to fill or click: the issuer is showing an error (or other) page.
    Stop { reason: String },
    /// The page asks for something the profile does not give the agent (a
    /// one-time code without a TOTP secret): not the issuer's answer, so
    /// the case cannot reach a verdict.
    Unable { reason: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitKind {
    Login,
    Username,
    Consent(Consent),
    /// A one-time code: typed once per walk (a second code page means the
    /// first was refused; typing more could lock the account).
    Code,
    Continue,
}

/// What a walk has submitted so far, the same for every agent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    /// Login forms filled.
    pub logins: usize,
    /// One-time codes typed.
    pub codes: usize,
    /// How a consent page was answered.
    pub consent: Option<Consent>,
}

impl Tally {
    /// Counts a submission; `false` when it means the login failed: a
    /// second login form, or a second code page (the first code was
    /// refused; typing more could lock the account).
    pub fn note(&mut self, kind: SubmitKind) -> bool {
        match kind {
            SubmitKind::Login => self.logins += 1,
            SubmitKind::Code => self.codes += 1,
            SubmitKind::Consent(c) => self.consent = Some(c),
            SubmitKind::Username | SubmitKind::Continue => {}
        }
        self.logins <= 1 && self.codes <= 1
    }
}

/// Login credentials for the page at hand.
pub struct Credentials<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The user's TOTP secret (base32), for a one-time-code page.
    pub totp: Option<&'a str>,
}

/// Names an issuer gives a one-time-code field that does not say
/// `autocomplete="one-time-code"`.
const OTP_NAMES: &[&str] = &[
    "otp",
    "totp",
    "mfa_code",
    "one_time_code",
    "verification_code",
    "passcode",
    "2fa_code",
];

const USERNAME_HINTS: &[&str] = &[
    "username",
    "user",
    "login",
    "email",
    "identifier",
    "account",
    "name",
];

/// Decides what to do with `page`.
pub fn decide(
    page: &Page,
    login: &LoginDef,
    creds: Option<&Credentials>,
    consent: Consent,
) -> Decision {
    if let Some(d) = login_form(page, login, creds) {
        return d;
    }
    if let Some(d) = otp_form(page, login, creds) {
        return d;
    }
    if let Some(d) = consent_form(page, login, consent) {
        return d;
    }
    if let Some(d) = username_form(page, login, creds) {
        return d;
    }
    if let Some(d) = interstitial(page, login) {
        return d;
    }
    let title = page.title.clone().unwrap_or_else(|| "untitled page".into());
    if page.scripts && page.forms.is_empty() && !login.is_browser() {
        // Perhaps an error page drawn by a script, perhaps a login this
        // agent cannot see: the premise check (a plain login) tells which.
        return Decision::Stop {
            reason: format!(
                "the issuer shows a page with scripts and no form (\"{title}\"); if it is a login that needs JavaScript, set [login] agent = \"browser\" in the profile"
            ),
        };
    }
    Decision::Stop {
        reason: format!("the issuer shows a page with nothing to fill or approve (\"{title}\")"),
    }
}

/// A login form (one with a password field) filled with the credentials, or a
/// stop when there are none.
fn login_form(page: &Page, login: &LoginDef, creds: Option<&Credentials>) -> Option<Decision> {
    let (i, f) = page
        .forms
        .iter()
        .enumerate()
        .find(|(_, f)| f.has_password())?;
    let Some(c) = creds else {
        return Some(Decision::Stop {
            reason: "the issuer asks for a login but the profile has no user for this step".into(),
        });
    };
    let mut fields = base_fields(f, login);
    let user_field = login.username_field.clone().or_else(|| username_field(f));
    let pass_field = login.password_field.clone().or_else(|| {
        f.fields
            .iter()
            .find(|x| x.kind == "password")
            .map(|x| x.name.clone())
    });
    if let Some(u) = user_field {
        set(&mut fields, &u, c.username);
    }
    if let Some(p) = pass_field {
        set(&mut fields, &p, c.password);
    }
    Some(submit_approving(f, i, fields, login, SubmitKind::Login))
}

/// Submits form `i` with `fields` and the button that reads as approving.
fn submit_approving(
    f: &Form,
    i: usize,
    mut fields: Vec<(String, String)>,
    login: &LoginDef,
    kind: SubmitKind,
) -> Decision {
    add_button(
        &mut fields,
        pick_button(&f.buttons, &login.approve, &login.deny, Consent::Approve),
    );
    Decision::Submit {
        form: i,
        fields,
        kind,
    }
}

/// A one-time-code form (the MFA step after a password) filled with the
/// user's current TOTP code, or a stop that says what the profile lacks.
fn otp_form(page: &Page, login: &LoginDef, creds: Option<&Credentials>) -> Option<Decision> {
    let is_otp = |x: &crate::protocol::html::Field| {
        x.kind == "one-time-code"
            || (matches!(x.kind.as_str(), "text" | "number" | "tel")
                && OTP_NAMES.contains(&x.name.to_ascii_lowercase().as_str()))
    };
    let (i, f, field) = page.forms.iter().enumerate().find_map(|(i, f)| {
        f.fields
            .iter()
            .find(|x| is_otp(x))
            .map(|x| (i, f, x.name.clone()))
    })?;
    let Some(secret) = creds.and_then(|c| c.totp) else {
        return Some(Decision::Unable {
            reason: format!(
                "the issuer asks for a one-time code (field `{field}`) and the profile gives this user no totp_secret_env"
            ),
        });
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let code = match crate::protocol::totp::code(secret, now) {
        Ok(c) => c,
        Err(e) => return Some(Decision::Unable { reason: e }),
    };
    let mut fields = base_fields(f, login);
    set(&mut fields, &field, &code);
    Some(submit_approving(f, i, fields, login, SubmitKind::Code))
}

/// A consent form answered with `consent`: buttons that read as approve or
/// deny, or one button and a deny link on the page.
fn consent_form(page: &Page, login: &LoginDef, consent: Consent) -> Option<Decision> {
    // A refusal offered as a link ("[ Cancel ]") beside the approving form.
    let deny_link = page
        .links
        .iter()
        .position(|l| words_match(&l.text, &login.deny));
    for (i, f) in page.forms.iter().enumerate() {
        let has_approve = f.buttons.iter().any(|b| matches_any(b, &login.approve));
        let has_deny = f.buttons.iter().any(|b| matches_any(b, &login.deny));
        let lone_button = f.buttons.len() == 1 && !has_deny;
        if let (Some(link), true) = (deny_link, (has_approve || lone_button) && !has_deny) {
            if consent == Consent::Deny {
                return Some(Decision::Follow {
                    link,
                    kind: SubmitKind::Consent(Consent::Deny),
                });
            }
            let mut fields = base_fields(f, login);
            add_button(&mut fields, f.buttons.first());
            return Some(Decision::Submit {
                form: i,
                fields,
                kind: SubmitKind::Consent(Consent::Approve),
            });
        }
        if has_approve && has_deny {
            let mut fields = base_fields(f, login);
            add_button(
                &mut fields,
                pick_button(&f.buttons, &login.approve, &login.deny, consent),
            );
            return Some(Decision::Submit {
                form: i,
                fields,
                kind: SubmitKind::Consent(consent),
            });
        }
    }
    None
}

/// The first step of a two-step login (a username field and no password
/// yet) filled with the username, when there are credentials.
fn username_form(page: &Page, login: &LoginDef, creds: Option<&Credentials>) -> Option<Decision> {
    let (i, f) = page.forms.iter().enumerate().find(|(_, f)| {
        username_field(f).is_some()
            || login
                .username_field
                .as_ref()
                .is_some_and(|n| f.fields.iter().any(|x| &x.name == n))
    })?;
    let c = creds?;
    let mut fields = base_fields(f, login);
    if let Some(u) = login.username_field.clone().or_else(|| username_field(f)) {
        set(&mut fields, &u, c.username);
    }
    add_button(&mut fields, f.buttons.first());
    Some(Decision::Submit {
        form: i,
        fields,
        kind: SubmitKind::Username,
    })
}

/// An interstitial: one form of hidden fields with at most one button
/// ("Continue"), submitted as it is.
fn interstitial(page: &Page, login: &LoginDef) -> Option<Decision> {
    if page.forms.len() != 1 {
        return None;
    }
    let f = &page.forms[0];
    if f.buttons.len() <= 1 && f.fields.iter().all(|x| x.kind == "hidden") && !f.fields.is_empty() {
        let mut fields = base_fields(f, login);
        add_button(&mut fields, f.buttons.first());
        return Some(Decision::Submit {
            form: 0,
            fields,
            kind: SubmitKind::Continue,
        });
    }
    None
}

fn base_fields(f: &Form, login: &LoginDef) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = f
        .fields
        .iter()
        .map(|x| (x.name.clone(), x.value.clone()))
        .collect();
    for (k, v) in &login.extra_fields {
        if fields.iter().any(|(n, _)| n == k) {
            set(&mut fields, k, v);
        }
    }
    fields
}

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some(f) => f.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}

fn add_button(fields: &mut Vec<(String, String)>, b: Option<&Button>) {
    if let Some(Button {
        name: Some(n),
        value,
        ..
    }) = b
    {
        fields.push((n.clone(), value.clone()));
    }
}

/// The text input that most looks like a username.
fn username_field(f: &Form) -> Option<String> {
    let candidates: Vec<_> = f
        .fields
        .iter()
        .filter(|x| matches!(x.kind.as_str(), "text" | "email" | "tel"))
        .collect();
    for hint in USERNAME_HINTS {
        if let Some(c) = candidates
            .iter()
            .find(|x| x.name.to_ascii_lowercase().contains(hint))
        {
            return Some(c.name.clone());
        }
    }
    None
}

fn matches_any(b: &Button, words: &[String]) -> bool {
    [b.name.as_deref().unwrap_or(""), &b.value, &b.label]
        .iter()
        .any(|h| words_match(h, words))
}

/// Does `text` contain one of `words` as a whole word (case-insensitive)?
/// Whole words only: "no" must not match "now" or "notice".
fn words_match(text: &str, words: &[String]) -> bool {
    let text = text.to_ascii_lowercase();
    words.iter().any(|w| {
        let w = w.to_ascii_lowercase();
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|t| t == w)
    })
}

fn pick_button<'a>(
    buttons: &'a [Button],
    approve: &[String],
    deny: &[String],
    want: Consent,
) -> Option<&'a Button> {
    let (yes, no) = match want {
        Consent::Approve => (approve, deny),
        Consent::Deny => (deny, approve),
    };
    buttons
        .iter()
        .find(|b| matches_any(b, yes) && !matches_any(b, no))
        .or_else(|| buttons.iter().find(|b| matches_any(b, yes)))
        .or_else(|| match want {
            Consent::Approve => buttons.first(),
            Consent::Deny => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::html::parse_page;

    fn creds() -> Credentials<'static> {
        Credentials {
            username: "alice",
            password: "pw",
            totp: None,
        }
    }

    #[test]
    fn a_second_login_or_code_means_the_login_failed() {
        let mut t = Tally::default();
        assert!(t.note(SubmitKind::Login) && t.note(SubmitKind::Code));
        assert!(t.note(SubmitKind::Consent(Consent::Deny)) && t.note(SubmitKind::Continue));
        assert_eq!(t.consent, Some(Consent::Deny));
        assert!(
            !Tally { codes: 1, ..t }.note(SubmitKind::Code),
            "a second code page"
        );
        assert!(!t.note(SubmitKind::Login), "a second login form");
    }

    #[test]
    fn a_one_time_code_page_gets_the_current_code_or_a_reason() {
        let p = parse_page(
            r#"<form method=post action=/login/otp><input type=hidden name=csrf value=T><input name=code autocomplete="one-time-code" inputmode=numeric><button>Verify</button></form>"#,
        );
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let with = Credentials {
            totp: Some(secret),
            ..creds()
        };
        let Decision::Submit { fields, kind, .. } =
            decide(&p, &LoginDef::default(), Some(&with), Consent::Approve)
        else {
            panic!("the code form is filled");
        };
        assert_eq!(kind, SubmitKind::Code);
        let code = &fields
            .iter()
            .find(|(k, _)| k == "code")
            .expect("the code field")
            .1;
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert!(fields.contains(&("csrf".into(), "T".into())));
        match decide(&p, &LoginDef::default(), Some(&creds()), Consent::Approve) {
            Decision::Unable { reason } => assert!(reason.contains("totp_secret_env"), "{reason}"),
            d => panic!("without a secret the walk stops with the reason: {d:?}"),
        }
        // Named like a code field, without the autocomplete hint.
        let named = parse_page(
            r#"<form method=post action=/mfa><input name=otp><button>Go</button></form>"#,
        );
        assert!(matches!(
            decide(&named, &LoginDef::default(), Some(&with), Consent::Approve),
            Decision::Submit { .. }
        ));
    }

    #[test]
    fn fills_login_and_keeps_hidden_fields() {
        let p = parse_page(
            r#"<form method=post action=/login><input type=hidden name=csrf value=T><input name=email><input type=password name=pass><button>Sign in</button></form>"#,
        );
        let d = decide(&p, &LoginDef::default(), Some(&creds()), Consent::Approve);
        assert_eq!(
            d,
            Decision::Submit {
                form: 0,
                fields: vec![
                    ("csrf".into(), "T".into()),
                    ("email".into(), "alice".into()),
                    ("pass".into(), "pw".into())
                ],
                kind: SubmitKind::Login
            }
        );
    }

    #[test]
    fn consent_approve_and_deny() {
        let p = parse_page(
            r#"<form method=post><input type=hidden name=r value=1><button name=decision value=approve>Allow</button><button name=decision value=deny>Deny</button></form>"#,
        );
        for (want, value) in [(Consent::Approve, "approve"), (Consent::Deny, "deny")] {
            let Decision::Submit { fields, .. } = decide(&p, &LoginDef::default(), None, want)
            else {
                panic!()
            };
            assert_eq!(
                fields.last().unwrap(),
                &("decision".to_string(), value.to_string())
            );
        }
    }

    #[test]
    fn consent_refused_through_a_link() {
        // oidc-provider's development consent page: one "Continue" button,
        // and "[ Cancel ]" as a link.
        let p = parse_page(
            r#"<form autocomplete=off action=/interaction/X/confirm method=post><input type=hidden name=prompt value=consent><button autofocus type=submit class=login login-submit>Continue</button></form><div class=login-help><a href=/interaction/X/abort>[ Cancel ]</a></div>"#,
        );
        assert_eq!(
            decide(&p, &LoginDef::default(), None, Consent::Deny),
            Decision::Follow {
                link: 0,
                kind: SubmitKind::Consent(Consent::Deny)
            }
        );
        let Decision::Submit { kind, fields, .. } =
            decide(&p, &LoginDef::default(), None, Consent::Approve)
        else {
            panic!("approving submits the form")
        };
        assert_eq!(kind, SubmitKind::Consent(Consent::Approve));
        assert_eq!(fields, vec![("prompt".to_string(), "consent".to_string())]);
        // A link that merely mentions a deny word inside another word does not count.
        let p = parse_page(
            r#"<form method=post><input type=hidden name=a value=1><button>Continue</button></form><a href=/notice>Notice</a>"#,
        );
        assert!(matches!(
            decide(&p, &LoginDef::default(), None, Consent::Deny),
            Decision::Submit {
                kind: SubmitKind::Continue,
                ..
            }
        ));
    }

    #[test]
    fn error_page_stops() {
        let p = parse_page(
            "<title>Invalid redirect_uri</title><p>The redirect URI is not registered.</p>",
        );
        assert!(
            matches!(decide(&p, &LoginDef::default(), Some(&creds()), Consent::Approve), Decision::Stop { reason } if reason.contains("Invalid redirect_uri"))
        );
    }

    #[test]
    fn two_step_login_and_interstitial() {
        let p =
            parse_page(r#"<form method=post><input name=username><button>Next</button></form>"#);
        assert!(matches!(
            decide(&p, &LoginDef::default(), Some(&creds()), Consent::Approve),
            Decision::Submit {
                kind: SubmitKind::Username,
                ..
            }
        ));
        let p = parse_page(
            r#"<form method=post action=/x><input type=hidden name=a value=1><button>Continue</button></form>"#,
        );
        assert!(matches!(
            decide(&p, &LoginDef::default(), None, Consent::Approve),
            Decision::Submit {
                kind: SubmitKind::Continue,
                ..
            }
        ));
    }
}
