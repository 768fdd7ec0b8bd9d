//! `grantcheck init --issuer URL`: a first profile drafted from the issuer's
//! metadata, every field commented, the client roles the suite uses laid
//! out with placeholders. Pure: metadata in, TOML text out; the draft must
//! load once its variables are set (a test checks it).

use crate::protocol::discovery::Metadata;

/// The profile's name from the issuer's host (`auth.example.com` ->
/// `auth-example-com`).
fn name_of(issuer: &str) -> String {
    let host = issuer.split("://").nth(1).unwrap_or(issuer);
    let host = host.split(['/', '?', '#']).next().unwrap_or(host);
    let name: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    match name.trim_matches('-') {
        "" => "my-issuer".into(),
        n => n.into(),
    }
}

/// The environment-variable prefix for this profile's secrets.
fn prefix_of(name: &str) -> String {
    let p = name.to_ascii_uppercase().replace('-', "_");
    // A shell variable may not start with a digit (an IP-literal issuer).
    match p.starts_with(|c: char| c.is_ascii_digit()) {
        true => format!("ISSUER_{p}"),
        false => p,
    }
}

fn supports(list: &Option<Vec<String>>, item: &str) -> Option<bool> {
    list.as_ref().map(|l| l.iter().any(|x| x == item))
}

/// A TOML string literal (the issuer's values are hostile input too).
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The `[scopes]` table: OIDC when the issuer speaks it, otherwise plain.
fn scopes(m: Option<&Metadata>) -> String {
    let list = m
        .and_then(|m| m.scopes_supported.clone())
        .unwrap_or_default();
    let has = |s: &str| list.iter().any(|x| x == s);
    let base = if has("openid") || list.is_empty() {
        "openid"
    } else {
        ""
    };
    let offline = if has("offline_access") || list.is_empty() {
        "offline_access"
    } else {
        ""
    };
    let other: Vec<&String> = list
        .iter()
        .filter(|s| !["openid", "offline_access"].contains(&s.as_str()))
        .collect();
    let read = other.first().map(|s| s.as_str()).unwrap_or("profile");
    let extra = other.get(1).map(|s| s.as_str()).unwrap_or("email");
    format!(
        "[scopes]                                   # scenarios ask for scopes by purpose\n\
         base = {}                             # \"\" for a plain OAuth issuer\n\
         offline = {}\n\
         read = {}                             # a harmless scope the clients hold\n\
         extra = {}                            # another one a grant may leave out\n\
         # unheld = \"...\"                         # a scope the issuer knows but the clients may not hold\n",
        quoted(base),
        quoted(offline),
        quoted(read),
        quoted(extra),
    )
}

/// One client role, commented with the shape the suite relies on.
fn client(role: &str, what: &str, method: &str, uris: &str, grants: &str, prefix: &str) -> String {
    let up = role.to_ascii_uppercase();
    let secret = match method {
        "none" => String::new(),
        _ => format!("secret_env = \"{prefix}_{up}_SECRET\"\n"),
    };
    format!(
        "\n[clients.{role}]                            # {what}\n\
         client_id_env = \"{prefix}_{up}_ID\"\n\
         {secret}auth_method = \"{method}\"\n\
         redirect_uris = {uris}\n\
         grants = {grants}\n"
    )
}

/// The draft profile for `issuer`, from its metadata when discovery worked.
pub fn draft(issuer: &str, m: Option<&Metadata>) -> String {
    let name = name_of(issuer);
    let prefix = prefix_of(&name);
    let code = supports(
        &m.and_then(|m| m.grant_types_supported.clone()),
        "authorization_code",
    ) != Some(false);
    let basic = supports(
        &m.and_then(|m| m.token_endpoint_auth_methods_supported.clone()),
        "client_secret_basic",
    ) != Some(false);
    let method = if basic {
        "client_secret_basic"
    } else {
        "client_secret_post"
    };
    let mut out = format!(
        "# Drafted by `grantcheck init` from {source}. Fill in the client ids, the\n\
         # redirect URIs registered at the issuer (exactly), and export the variables;\n\
         # then `grantcheck doctor --profile {name}.toml` says what is still missing.\n\
         name = {qname}\n\
         issuer = {qissuer}                 # must equal the metadata's `issuer`, byte for byte\n\
         environment = \"sandbox\"                    # \"production\" is refused unless --allow-production\n\
         discovery = {discovery}\n",
        source = if m.is_some() { "the issuer's metadata" } else { "nothing (discovery failed)" },
        qname = quoted(&name),
        qissuer = quoted(issuer),
        discovery = m.is_some(),
    );
    let code_grants = r#"["authorization_code", "refresh_token"]"#;
    if code {
        out += &client(
            "c1",
            "confidential web client: one registered redirect URI",
            method,
            r#"["https://app.example/cb"]"#,
            code_grants,
            &prefix,
        );
        out += &client(
            "c2",
            "a second confidential client, different from c1",
            method,
            r#"["https://app2.example/cb"]"#,
            code_grants,
            &prefix,
        );
        out += &client(
            "p1",
            "public client with PKCE: two registered redirect URIs",
            "none",
            r#"["https://spa.example/cb", "https://spa.example/cb2"]"#,
            code_grants,
            &prefix,
        );
        out += &client(
            "n1",
            "native app: an http loopback IP redirect URI (RFC 8252)",
            "none",
            r#"["http://127.0.0.1/cb"]"#,
            code_grants,
            &prefix,
        );
    }
    out += &client(
        "s1",
        "client_credentials client",
        method,
        "[]",
        r#"["client_credentials"]"#,
        &prefix,
    );
    if code {
        out += &format!(
            "\n[users.u1]                                 # a test user the form agent logs in as\n\
             username_env = \"{prefix}_U1_USERNAME\"\n\
             password_env = \"{prefix}_U1_PASSWORD\"\n"
        );
    }
    out += "\n";
    out += &scopes(m);
    out += "\n[http]\nrate_limit = 5.0                           # requests per second; 0 = unlimited\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{load_str, Env};
    use std::path::Path;

    fn env_for(text: &str) -> Env {
        // Every variable the draft names, set to a plausible value.
        let vars = text
            .split('"')
            .filter(|w| {
                w.ends_with("_ID")
                    || w.ends_with("_SECRET")
                    || w.ends_with("_USERNAME")
                    || w.ends_with("_PASSWORD")
            })
            .map(|w| (w.to_string(), "value-1".to_string()))
            .collect();
        Env::isolated(vars)
    }

    #[test]
    fn a_draft_loads_once_its_variables_are_set() {
        let m = Metadata::parse(br#"{"issuer":"https://auth.example.com/o","authorization_endpoint":"https://auth.example.com/o/authorize","token_endpoint":"https://auth.example.com/o/token","scopes_supported":["openid","api:read","api:write"],"grant_types_supported":["authorization_code","client_credentials"]}"#).unwrap();
        let text = draft("https://auth.example.com/o", Some(&m));
        let p = load_str(Path::new("auth-example-com-o.toml"), &text, &env_for(&text))
            .expect("the draft loads");
        assert_eq!(p.issuer, "https://auth.example.com/o");
        assert_eq!(p.name, "auth-example-com");
        assert_eq!(p.clients["p1"].redirect_uris.len(), 2);
        assert_eq!(p.scopes["read"], "api:read");
    }

    #[test]
    fn a_machine_issuer_gets_no_login_roles_and_hostile_values_stay_quoted() {
        let m = Metadata::parse(br#"{"issuer":"x","grant_types_supported":["client_credentials"],"scopes_supported":["a\"b\nc = 1"]}"#).unwrap();
        let text = draft("https://api.example.com", Some(&m));
        assert!(draft("http://127.0.0.1:9", None).contains("\"ISSUER_127_0_0_1_9_S1_ID\""));
        assert!(!text.contains("[clients.c1]") && !text.contains("[users.u1]"));
        let p = load_str(Path::new("x.toml"), &text, &env_for(&text)).expect("the draft loads");
        assert_eq!(p.scopes["read"], "a\"b\nc = 1");
    }
}
