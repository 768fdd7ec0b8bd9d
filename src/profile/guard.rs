//! The money guard: scopes that move money are refused before anything is sent.

use serde::Deserialize;

/// The money guard: scopes that can move money are never requested, by any
/// scenario or template, unless the profile allows them by name. Checked in
/// the HTTP client itself, so nothing can route around it.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Guard {
    /// Glob patterns of scopes that move money (the defaults cover the usual names).
    pub money_scopes: Vec<String>,
    /// Scopes this profile explicitly allows although a pattern matches them.
    pub allow_scopes: Vec<String>,
}

impl Default for Guard {
    fn default() -> Self {
        Guard {
            money_scopes: [
                "transfers:*",
                "transfer:*",
                "payments:*",
                "payment:*",
                "quotes:write",
                "trades:*",
                "orders:write",
                "withdrawals:*",
                "payouts:*",
                "*:transfer",
                "*:pay",
            ]
            .map(String::from)
            .to_vec(),
            allow_scopes: Vec::new(),
        }
    }
}

impl Guard {
    /// The patterns compiled once, for the HTTP client's hot path. Invalid
    /// patterns are refused at profile load, so this only fails for a guard
    /// built by hand.
    pub fn compile(&self) -> Result<ScopeGuard, String> {
        let mut b = globset::GlobSetBuilder::new();
        for p in &self.money_scopes {
            b.add(globset::Glob::new(p).map_err(|e| format!("`{p}`: {e}"))?);
        }
        Ok(ScopeGuard {
            set: b.build().map_err(|e| e.to_string())?,
            allow: self.allow_scopes.clone(),
        })
    }

    /// The first scope of a space-separated `scope` value the guard refuses
    /// (an invalid guard refuses everything: it must never fail open).
    pub fn refuses(&self, scope: &str) -> Option<String> {
        match self.compile() {
            Ok(g) => g.refuses(scope),
            Err(_) => Some(scope.to_string()),
        }
    }
}

/// A compiled [`Guard`].
#[derive(Clone, Debug)]
pub struct ScopeGuard {
    set: globset::GlobSet,
    allow: Vec<String>,
}

impl ScopeGuard {
    pub fn refuses(&self, scope: &str) -> Option<String> {
        scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .find(|s| self.set.is_match(s) && !self.allow.iter().any(|a| a == s))
            .map(str::to_string)
    }
}

#[cfg(test)]
mod guard_tests {
    use super::Guard;

    #[test]
    fn money_scopes_are_refused_unless_allowed() {
        let g = Guard::default();
        assert_eq!(g.refuses("openid balances:read"), None);
        assert_eq!(
            g.refuses("openid transfers:write").as_deref(),
            Some("transfers:write")
        );
        assert_eq!(g.refuses("quotes:write").as_deref(), Some("quotes:write"));
        assert_eq!(g.refuses("quotes:read"), None);
        let allowed = Guard {
            allow_scopes: vec!["quotes:write".into()],
            ..Guard::default()
        };
        assert_eq!(allowed.refuses("quotes:write"), None);
        assert_eq!(
            allowed.refuses("quotes:write payments:create").as_deref(),
            Some("payments:create")
        );
    }
}
