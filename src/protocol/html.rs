//! HTML forms of login and consent pages, read with a real HTML parser.

use scraper::node::Element;
use scraper::{ElementRef, Html, Selector};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Form {
    /// The `action` attribute as written (empty means the page's own URL).
    pub action: String,
    /// `GET` or `POST` (upper case; anything else is read as GET, as browsers do).
    pub method: String,
    /// Successful controls other than submit buttons, in document order.
    pub fields: Vec<Field>,
    /// Submit buttons; the user agent picks one (approve or deny).
    pub buttons: Vec<Button>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    /// The input type in lower case (`text`, `password`, `hidden`, ...), the
    /// element name (`select`, `textarea`), or `one-time-code` for a text
    /// input marked `autocomplete="one-time-code"` (an MFA code field).
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Button {
    pub name: Option<String>,
    pub value: String,
    /// The visible label, whitespace folded.
    pub label: String,
}

impl Form {
    pub fn has_password(&self) -> bool {
        self.fields.iter().any(|f| f.kind == "password")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Link {
    pub href: String,
    /// The link's text, whitespace folded.
    pub text: String,
}

/// What a page offers the user agent.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Page {
    pub forms: Vec<Form>,
    /// Every `<a href>` outside forms' controls: consent pages sometimes
    /// refuse through a link ("Cancel") rather than a button.
    pub links: Vec<Link>,
    /// The target of a `<meta http-equiv="refresh">`, if any.
    pub meta_refresh: Option<String>,
    /// The `<title>`, for messages.
    pub title: Option<String>,
    /// The page runs scripts: a page with nothing to fill may draw its
    /// form with them (a login that needs a browser).
    pub scripts: bool,
}

/// The states of `<input type>` (HTML Living Standard, 4.10.5).
pub const INPUT_TYPES: &[&str] = &[
    "hidden",
    "text",
    "search",
    "tel",
    "url",
    "email",
    "password",
    "date",
    "month",
    "week",
    "time",
    "datetime-local",
    "number",
    "range",
    "color",
    "checkbox",
    "radio",
    "file",
    "submit",
    "image",
    "reset",
    "button",
];

fn sel(s: &str) -> Selector {
    // The selectors below are constants; parsing them cannot fail.
    Selector::parse(s).expect("static selector")
}

/// Extracts forms, meta refresh and title from an HTML document.
pub fn parse_page(html: &str) -> Page {
    let doc = Html::parse_document(html);
    let mut page = Page::default();
    let control = sel("input, select, textarea, button");
    for form in doc.select(&sel("form")) {
        page.forms.push(parse_form(form, &control));
    }
    for m in doc.select(&sel("meta[http-equiv]")) {
        let e = m.value();
        if e.attr("http-equiv")
            .is_some_and(|h| h.eq_ignore_ascii_case("refresh"))
        {
            if let Some(content) = e.attr("content") {
                page.meta_refresh = meta_refresh_target(content);
            }
        }
    }
    for a in doc.select(&sel("a[href]")) {
        if let Some(href) = a.value().attr("href") {
            page.links.push(Link {
                href: href.to_string(),
                text: fold(&a.text().collect::<String>()),
            });
        }
    }
    page.title = doc
        .select(&sel("title"))
        .next()
        .map(|t| fold(&t.text().collect::<String>()));
    page.scripts = doc.select(&sel("script")).next().is_some();
    page
}

/// One `<form>`: its action and method, and what its `control`s submit.
fn parse_form(form: ElementRef, control: &Selector) -> Form {
    let el = form.value();
    let mut f = Form {
        action: el.attr("action").unwrap_or("").to_string(),
        method: match el.attr("method").map(|m| m.to_ascii_uppercase()) {
            Some(m) if m == "POST" => "POST".into(),
            _ => "GET".into(),
        },
        fields: vec![],
        buttons: vec![],
    };
    for c in form.select(control) {
        add_control(&mut f, c);
    }
    f
}

/// Adds control `c` to `f`: a submit button to its buttons, a successful
/// control to its fields, anything else nowhere.
fn add_control(f: &mut Form, c: ElementRef) {
    let e = c.value();
    let name = e.attr("name").map(str::to_string);
    let disabled = e.attr("disabled").is_some();
    match e.name() {
        "button" => {
            // HTML's invalid-value default: a `type` other than `reset` or
            // `button` (empty, unknown) is a submit button.
            let ty = e.attr("type").unwrap_or("submit").to_ascii_lowercase();
            if ty != "reset" && ty != "button" && !disabled {
                f.buttons.push(Button {
                    name,
                    value: e.attr("value").unwrap_or("").to_string(),
                    label: fold(&c.text().collect::<String>()),
                });
            }
        }
        "input" => add_input(f, e, name, disabled),
        "select" => {
            if let (Some(n), false) = (name, disabled) {
                let opt = c
                    .select(&sel("option[selected]"))
                    .next()
                    .or_else(|| c.select(&sel("option")).next());
                if let Some(o) = opt {
                    let v = o
                        .value()
                        .attr("value")
                        .map(str::to_string)
                        .unwrap_or_else(|| fold(&o.text().collect::<String>()));
                    f.fields.push(Field {
                        name: n,
                        value: v,
                        kind: "select".into(),
                    });
                }
            }
        }
        "textarea" => {
            if let (Some(n), false) = (name, disabled) {
                f.fields.push(Field {
                    name: n,
                    value: c.text().collect(),
                    kind: "textarea".into(),
                });
            }
        }
        _ => {}
    }
}

/// Adds an `<input>` to `f` by its type: submit and image inputs as buttons,
/// checked boxes and other named inputs as fields.
fn add_input(f: &mut Form, e: &Element, name: Option<String>, disabled: bool) {
    // An empty or unknown `type` is a text field, as in browsers
    // (HTML's invalid-value default); it used to become a field
    // of kind "" that no heuristic fills (found by the
    // `html_form` fuzz target).
    let ty = e
        .attr("type")
        .map(str::to_ascii_lowercase)
        .filter(|t| INPUT_TYPES.contains(&t.as_str()))
        .unwrap_or_else(|| "text".into());
    let value = e.attr("value").unwrap_or("").to_string();
    match ty.as_str() {
        "submit" | "image" if !disabled => f.buttons.push(Button {
            name,
            label: fold(&value),
            value,
        }),
        "checkbox" | "radio" => {
            if let (Some(n), true, false) = (name, e.attr("checked").is_some(), disabled) {
                let value = if value.is_empty() { "on".into() } else { value };
                f.fields.push(Field {
                    name: n,
                    value,
                    kind: ty,
                });
            }
        }
        "reset" | "button" | "file" => {}
        _ => {
            let otp = e.attr("autocomplete").is_some_and(|a| {
                a.split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("one-time-code"))
            });
            if let (Some(n), false) = (name, disabled) {
                f.fields.push(Field {
                    name: n,
                    value,
                    kind: if otp && ty != "hidden" {
                        "one-time-code".into()
                    } else {
                        ty
                    },
                });
            }
        }
    }
}

/// `5; url=https://x` -> `https://x`.
fn meta_refresh_target(content: &str) -> Option<String> {
    let (_, rest) = content.split_once(';')?;
    let rest = rest.trim_start();
    let lower = rest.to_ascii_lowercase();
    let target = lower.strip_prefix("url").map(|_| &rest[3..])?.trim_start();
    let target = target.strip_prefix('=')?.trim();
    let target = target.trim_matches(|c| c == '\'' || c == '"');
    (!target.is_empty()).then(|| target.to_string())
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LOGIN: &str = r#"<html><head><title>Sign in</title></head><body>
      <form method="post" action="/login">
        <input type="hidden" name="csrf" value="t0k">
        <input name="username" autocomplete="username">
        <input type="password" name="password">
        <input type="checkbox" name="remember">
        <button type="submit">Sign in</button>
      </form></body></html>"#;

    #[test]
    fn login_form() {
        let p = parse_page(LOGIN);
        assert_eq!(p.title.as_deref(), Some("Sign in"));
        let f = &p.forms[0];
        assert_eq!(f.method, "POST");
        assert_eq!(f.action, "/login");
        assert!(f.has_password());
        let names: Vec<_> = f.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["csrf", "username", "password"]);
        assert_eq!(f.buttons.len(), 1);
    }

    #[test]
    fn consent_buttons_and_meta_refresh() {
        let p = parse_page(
            r#"<meta http-equiv="Refresh" content="0; URL='https://evil.example/cb'">
            <form method=POST><input type=hidden name=r value=1>
            <button name=decision value=approve>Allow</button>
            <button name=decision value=deny>  Deny
            access</button></form>"#,
        );
        assert_eq!(p.meta_refresh.as_deref(), Some("https://evil.example/cb"));
        let b = &p.forms[0].buttons;
        assert_eq!(b[1].label, "Deny access");
        assert_eq!(b[1].value, "deny");
        assert_eq!(p.forms[0].action, "");
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,400}") {
            let _ = parse_page(&s);
        }

        /// Every field extracted from a generated page is one the page declared.
        #[test]
        fn fields_come_from_the_page(names in proptest::collection::vec("[a-z]{1,8}", 0..6), v in "[a-z0-9]{0,8}") {
            let inputs: String = names.iter().map(|n| format!(r#"<input name="{n}" value="{v}">"#)).collect();
            let p = parse_page(&format!("<form>{inputs}</form>"));
            let got: Vec<_> = p.forms[0].fields.iter().map(|f| f.name.clone()).collect();
            prop_assert_eq!(got, names);
        }
    }
}
