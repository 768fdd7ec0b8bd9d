//! HTML for the browser part of the flow: error, login and consent pages.
//!
//! Static markup with no script, no external resources and no
//! auto-navigation (NO-REDIRECT, HDR-06); every reflected value is escaped
//! (ADV-25).

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push_str(&format!("&#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Keeps very long reflected input (10 KB state, ADV-25) from bloating pages.
fn clip(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push_str("...");
        t
    }
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n",
        title = escape(title),
    )
}

/// The error page shown instead of redirecting when the client or the
/// redirect URI cannot be trusted. `details` are (label, raw value) pairs
/// echoed back escaped so the user can see what was wrong.
pub fn error_page(message: &str, details: &[(&str, &str)]) -> String {
    let mut body = format!("<p id=\"error\">{}</p>\n", escape(message));
    if !details.is_empty() {
        body.push_str("<dl>\n");
        for (label, value) in details {
            body.push_str(&format!(
                "<dt>{}</dt><dd>{}</dd>\n",
                escape(label),
                escape(&clip(value))
            ));
        }
        body.push_str("</dl>\n");
    }
    body.push_str("<p>You can close this window.</p>\n");
    layout("Authorization error", &body)
}

pub fn login_page(request_id: &str, csrf: &str, client_id: &str, error: Option<&str>) -> String {
    let mut body = String::new();
    body.push_str(&format!(
        "<p>Sign in to continue to <strong>{}</strong>.</p>\n",
        escape(client_id)
    ));
    if let Some(e) = error {
        body.push_str(&format!(
            "<p id=\"error\" role=\"alert\">{}</p>\n",
            escape(e)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/login\">\n\
         <input type=\"hidden\" name=\"request_id\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
         <label>Username <input name=\"username\" autocomplete=\"username\"></label>\n\
         <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\"></label>\n\
         <button type=\"submit\">Sign in</button>\n\
         </form>\n",
        escape(request_id),
        escape(csrf)
    ));
    layout("Sign in", &body)
}

/// `page` with every `<form>` drawn by a script instead: the HTML served
/// holds no form, only the code that makes it when the page loads.
pub fn scripted(page: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    let mut forms = Vec::new();
    while let (Some(a), Some(b)) = (rest.find("<form"), rest.find("</form>")) {
        if b < a {
            break;
        }
        out.push_str(&rest[..a]);
        out.push_str(&format!("<div id=\"form-{}\"></div>", forms.len()));
        forms.push(rest[a..b + "</form>".len()].to_string());
        rest = &rest[b + "</form>".len()..];
    }
    out.push_str(rest);
    if forms.is_empty() {
        return out;
    }
    let mut script = String::from("<script>\n");
    for (i, f) in forms.iter().enumerate() {
        // JSON is a JavaScript string literal; `<` escaped so no `</script>` ends it early.
        let literal = serde_json::to_string(f)
            .unwrap_or_default()
            .replace('<', "\\u003c");
        script.push_str(&format!(
            "document.getElementById('form-{i}').innerHTML = {literal};\n"
        ));
    }
    script.push_str("</script>\n");
    out.replace("</body>", &format!("{script}</body>"))
}

/// The MFA step: the authenticator's current code.
pub fn otp_page(request_id: &str, csrf: &str, error: Option<&str>) -> String {
    let mut body = String::from("<p>Enter the 6-digit code from your authenticator app.</p>\n");
    if let Some(e) = error {
        body.push_str(&format!(
            "<p id=\"error\" role=\"alert\">{}</p>\n",
            escape(e)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/login/otp\">\n\
         <input type=\"hidden\" name=\"request_id\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
         <label>Code <input name=\"otp\" inputmode=\"numeric\" autocomplete=\"one-time-code\"></label>\n\
         <button type=\"submit\">Verify</button>\n\
         </form>\n",
        escape(request_id),
        escape(csrf)
    ));
    layout("Two-step verification", &body)
}

pub fn scope_description(scope: &str) -> &'static str {
    match scope {
        "openid" => "Sign you in (your user identifier)",
        "profile" => "Your name",
        "email" => "Your email address",
        "offline_access" => "Stay connected when you are not present (refresh token)",
        "api:read" => "Read access to the API",
        "api:write" => "Write access to the API",
        _ => "Unknown permission",
    }
}

pub fn consent_page(
    request_id: &str,
    csrf: &str,
    client_id: &str,
    user_name: &str,
    scopes: &[String],
) -> String {
    let mut body = format!(
        "<p>Signed in as <strong>{}</strong>.</p>\n<p><strong>{}</strong> asks for:</p>\n<ul id=\"scopes\">\n",
        escape(user_name),
        escape(client_id)
    );
    for s in scopes {
        body.push_str(&format!(
            "<li><code>{}</code>: {}</li>\n",
            escape(s),
            escape(scope_description(s))
        ));
    }
    body.push_str("</ul>\n");
    body.push_str(&format!(
        "<form method=\"post\" action=\"/consent\">\n\
         <input type=\"hidden\" name=\"request_id\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n\
         </form>\n",
        escape(request_id),
        escape(csrf)
    ));
    layout("Authorize access", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("\"><script>alert('x')</script>&\r\n"),
            "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#13;&#10;"
        );
    }

    #[test]
    fn error_page_reflects_escaped_and_never_navigates() {
        let p = error_page(
            "bad",
            &[("redirect_uri", "https://evil.example/\"><script>")],
        );
        assert!(!p.contains("<script>"));
        assert!(p.contains("&lt;script&gt;"));
        let lower = p.to_ascii_lowercase();
        for forbidden in [
            "http-equiv",
            "refresh",
            "location",
            "<form",
            "<script",
            "href=",
        ] {
            assert!(!lower.contains(forbidden), "{forbidden}");
        }
    }

    #[test]
    fn login_form_shape() {
        let p = login_page("rid", "tok", "c1", Some("<bad>"));
        let s = scripted(&p);
        assert!(
            !s.contains("<form") && s.contains("<script>") && s.contains("\\u003cform"),
            "{s}"
        );
        assert!(p.contains("<form method=\"post\" action=\"/login\">"));
        assert!(p.contains("name=\"request_id\" value=\"rid\""));
        assert!(p.contains("name=\"csrf\" value=\"tok\""));
        assert!(p.contains("<input name=\"username\""));
        assert!(p.contains("<input type=\"password\" name=\"password\""));
        assert!(p.contains("&lt;bad&gt;"));
    }

    #[test]
    fn consent_form_shape() {
        let p = consent_page(
            "rid",
            "tok",
            "c1",
            "Alice",
            &["openid".into(), "api:read".into()],
        );
        assert!(p.contains("<form method=\"post\" action=\"/consent\">"));
        assert!(p.contains(
            "<button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>"
        ));
        assert!(
            p.contains("<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>")
        );
        assert!(p.contains("api:read"));
    }

    #[test]
    fn long_values_are_clipped() {
        let p = error_page("x", &[("state", &"a".repeat(10_000))]);
        assert!(p.len() < 2_000);
    }
}
