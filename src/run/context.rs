//! The values a case gathers as it runs, and template lookup against them.

use std::collections::BTreeMap;

use super::target::Target;
use crate::protocol::pkce;
use crate::scenario::model::{CaseDef, Text};
use crate::scenario::template::{Expr, Template};

/// What a finished step offers to later templates (`{{ login.code }}`).
#[derive(Clone, Debug, Default)]
pub struct StepValues {
    pub fields: BTreeMap<String, String>,
    /// One line on how the step ended, for "not available" messages.
    pub ended: String,
}

pub struct CaseContext<'a> {
    pub target: &'a Target,
    pub case: Option<&'a CaseDef>,
    pub steps: BTreeMap<String, StepValues>,
    /// Each user's session as the case's last authorization left it, for a
    /// step that keeps it (`fresh_login = false`).
    pub sessions: BTreeMap<String, crate::agent::cookies::Jar>,
    gen: BTreeMap<String, String>,
}

impl<'a> CaseContext<'a> {
    pub fn new(target: &'a Target, case: Option<&'a CaseDef>) -> Self {
        Self {
            target,
            case,
            steps: BTreeMap::new(),
            sessions: BTreeMap::new(),
            gen: BTreeMap::new(),
        }
    }

    /// Renders a scenario text. Templates were validated at load time, so a
    /// parse error here is a bug; a missing value is a case error.
    pub fn render(&mut self, t: &Text) -> Result<String, String> {
        self.render_str(t.get_ref(), true)
    }

    pub fn render_opt(&mut self, t: &Option<Text>) -> Result<Option<String>, String> {
        t.as_ref().map(|t| self.render(t)).transpose()
    }

    /// Renders a template held as a plain string (JSON expectation values).
    pub fn render_str_value(&mut self, s: &str) -> Result<String, String> {
        self.render_str(s, true)
    }

    fn render_str(&mut self, s: &str, allow_case: bool) -> Result<String, String> {
        let tpl = Template::parse(s).map_err(|e| format!("template `{s}`: {e}"))?;
        tpl.render(|e| self.lookup(e, allow_case))
    }

    /// A generated value, stable for the case: 64 characters of the PKCE
    /// verifier alphabet's base64url subset (`take(N)` shortens it).
    pub fn gen(&mut self, name: &str) -> String {
        self.gen
            .entry(name.to_string())
            .or_insert_with(|| {
                let v = pkce::generate_verifier(96);
                v.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .take(64)
                    .collect()
            })
            .clone()
    }

    fn lookup(&mut self, e: &Expr, allow_case: bool) -> Result<String, String> {
        let p: Vec<&str> = e.path.iter().map(String::as_str).collect();
        let dotted = e.dotted();
        match p.as_slice() {
            ["gen", name] => Ok(self.gen(name)),
            ["case", var] => {
                if !allow_case {
                    return Err(format!(
                        "`{dotted}`: case variables cannot refer to case variables"
                    ));
                }
                let v = self
                    .case
                    .and_then(|c| c.vars.get(*var))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{dotted}` is not defined for this case"))?;
                self.render_str(&v, false)
            }
            ["clients", role, field] => {
                let c = self
                    .target
                    .profile
                    .clients
                    .get(*role)
                    .ok_or_else(|| format!("the profile has no client `{role}`"))?;
                match *field {
                    "id" | "client_id" => Ok(c.id.clone()),
                    "redirect_uri" => c.redirect_uris.first().cloned().ok_or_else(|| format!("client `{role}` has no redirect URI")),
                    "redirect_uri_2" => c.redirect_uris.get(1).cloned().ok_or_else(|| format!("client `{role}` has no second redirect URI")),
                    "scope" => Ok(c.scope.clone()),
                    "secret" => c.secret.clone().ok_or_else(|| format!("client `{role}` is public and has no secret")),
                    "auth_method" => Ok(c.auth_method.as_str().to_string()),
                    other => Err(format!("clients have no field `{other}` (id, redirect_uri, redirect_uri_2, scope, secret, auth_method)")),
                }
            }
            ["users", role, field] => {
                let u = self
                    .target
                    .profile
                    .users
                    .get(*role)
                    .ok_or_else(|| format!("the profile has no user `{role}`"))?;
                match *field {
                    "username" => Ok(u.username.clone()),
                    "password" => Ok(u.password.clone()),
                    other => Err(format!(
                        "users have no field `{other}` (username, password)"
                    )),
                }
            }
            ["scopes", purpose] => self
                .target
                .profile
                .scopes
                .get(*purpose)
                .cloned()
                .ok_or_else(|| format!("the profile's [scopes] has no `{purpose}`")),
            ["issuer", field] => self
                .target
                .issuer_value(field)
                .ok_or_else(|| format!("`{dotted}`: the issuer's metadata has no `{field}`")),
            [step, rest @ ..] if !rest.is_empty() => {
                let field = rest.join(".");
                let s = self
                    .steps
                    .get(*step)
                    .ok_or_else(|| format!("`{dotted}`: step `{step}` has not run"))?;
                s.fields.get(&field).cloned().ok_or_else(|| {
                    format!("`{dotted}` is not available: step `{step}` {}", s.ended)
                })
            }
            _ => Err(format!("`{dotted}` is not a value path")),
        }
    }
}
