//! `grantcheck doctor`: a profile checked against the live issuer without
//! running the suite. What it finds is plain data (`Finding`s by section),
//! so the CLI only prints it:
//!
//! - identity and the metadata documents read (resolving the target
//!   already refuses an issuer that names another one);
//! - each endpoint and where it came from;
//! - each role's shape against what the suite relies on (README, "Roles");
//! - the credentials of each client and the login, through two embedded
//!   scenarios run by the ordinary runner (no token can be minted);
//! - which cases of the suite will skip, and why, grouped by reason.

use std::collections::BTreeMap;
use std::path::Path;

use super::target::{is_loopback_ip_uri, Target};
use super::{skip_reason, Planned};
use crate::report::model::{CaseResult, Outcome};
use crate::scenario::{self, Scenario};

/// The doctor's own checks, run like any scenario.
const CHECKS: &[(&str, &str)] = &[
    ("doctor/secrets.toml", include_str!("doctor/secrets.toml")),
    ("doctor/login.toml", include_str!("doctor/login.toml")),
];

/// How a finding weighs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    Ok,
    /// Works, but some cases will skip.
    Note,
    /// The run would end in errors or false verdicts: fix the profile.
    Problem,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub section: &'static str,
    pub mark: Mark,
    pub text: String,
}

fn finding(section: &'static str, mark: Mark, text: impl Into<String>) -> Finding {
    Finding {
        section,
        mark,
        text: text.into(),
    }
}

/// The doctor's embedded scenarios.
pub fn checks() -> Vec<Scenario> {
    CHECKS
        .iter()
        .map(|(path, src)| {
            scenario::load_str(Path::new(path), src).unwrap_or_else(|d| {
                // A build-time file: a test loads it, so this cannot happen
                // in a released binary.
                panic!("{path}: {}", d[0])
            })
        })
        .collect()
}

/// Identity and endpoints: what resolving the target established.
pub fn identity(t: &Target) -> Vec<Finding> {
    let mut out = Vec::new();
    let docs = match t.metadata_sources.is_empty() {
        true => "no discovery (endpoints from the profile)".to_string(),
        false => format!("read {}", t.metadata_sources.join(" and ")),
    };
    out.push(finding(
        "identity",
        Mark::Ok,
        format!("issuer {} · {docs}", t.profile.issuer),
    ));
    let e = &t.endpoints;
    let p = &t.profile.endpoints;
    // Without a client that redirects, the profile is machine-to-machine.
    let redirects = t
        .profile
        .clients
        .values()
        .any(|c| !c.redirect_uris.is_empty());
    let rows = [
        (
            "authorization",
            &e.authorization,
            &p.authorization,
            redirects,
        ),
        ("token", &e.token, &p.token, true),
        ("userinfo", &e.userinfo, &p.userinfo, false),
        ("introspection", &e.introspection, &p.introspection, false),
        ("revocation", &e.revocation, &p.revocation, false),
        ("jwks", &e.jwks, &p.jwks, false),
        ("api", &e.api, &p.api, false),
    ];
    for (name, url, configured, needed) in rows {
        out.push(match url {
            Some(u) => {
                let from = if configured.is_some() {
                    "profile"
                } else {
                    "discovery"
                };
                finding(
                    "endpoints",
                    Mark::Ok,
                    format!("{name}: {u} (from the {from})"),
                )
            }
            None if needed => finding("endpoints", Mark::Problem, format!("{name}: none")),
            None => finding(
                "endpoints",
                Mark::Note,
                format!("{name}: none (its cases skip)"),
            ),
        });
    }
    out
}

/// Each role against the shape the suite relies on.
pub fn roles(t: &Target) -> Vec<Finding> {
    let clients = &t.profile.clients;
    let uris = |role: &str| clients.get(role).map(|c| c.redirect_uris.clone());
    let mut out = Vec::new();
    let mut note = |mark, text: String| out.push(finding("roles", mark, text));
    for (role, c) in clients {
        let kind = format!("{:?}", c.auth_method).to_lowercase();
        note(
            Mark::Ok,
            format!(
                "{role}: {} ({kind}), redirect URIs {:?}",
                c.id, c.redirect_uris
            ),
        );
    }
    for role in ["c1", "c2", "p1", "p2", "s1", "n1"] {
        if !clients.contains_key(role) {
            note(
                Mark::Note,
                format!("{role}: not in the profile; the cases that use it skip"),
            );
        }
    }
    if let Some(p1) = uris("p1").filter(|u| u.len() < 2) {
        let n = p1.len();
        note(
            Mark::Note,
            format!("p1 has {n} redirect URI(s): the cases that need two skip"),
        );
    }
    if let Some(n1) = uris("n1").and_then(|u| u.first().cloned()) {
        if !is_loopback_ip_uri(&n1) {
            note(
                Mark::Note,
                format!("n1 redirects to {n1}, not an http loopback IP: the loopback cases skip"),
            );
        }
    }
    if let Some(c1) = uris("c1").and_then(|u| u.first().cloned()) {
        if is_loopback_ip_uri(&c1) {
            note(
                Mark::Note,
                format!("c1 redirects to the loopback {c1}: its port probes skip (RFC 8252 §7.3)"),
            );
        }
    }
    if let (Some(a), Some(b)) = (clients.get("c1"), clients.get("c2")) {
        if a.id == b.id {
            note(
                Mark::Problem,
                format!("c1 and c2 are the same client ({}): the cross-client cases skip; register a second confidential client for c2", a.id),
            );
        }
    }
    if let (Some(c1), Some(c2)) = (uris("c1"), uris("c2")) {
        if c1.iter().any(|u| c2.contains(u)) {
            note(
                Mark::Note,
                "c1 and c2 share a redirect URI: the cross-client probe skips".into(),
            );
        }
    }
    for (role, u) in &t.profile.users {
        note(Mark::Ok, format!("{role}: {}", u.username));
    }
    out
}

/// The embedded checks' results, one finding each.
pub fn checked(results: &[CaseResult]) -> Vec<Finding> {
    results
        .iter()
        .map(|r| {
            let section = if r.scenario == "doctor.login" {
                "login"
            } else {
                "credentials"
            };
            let who = r.case.as_deref().unwrap_or("u1 through c1");
            match r.outcome {
                Outcome::Pass => finding(section, Mark::Ok, format!("{who}: accepted")),
                Outcome::Skip => finding(
                    section,
                    Mark::Note,
                    format!("{who}: not checked ({})", reason(r)),
                ),
                _ => finding(section, Mark::Problem, format!("{who}: {}", reason(r))),
            }
        })
        .collect()
}

fn reason(r: &CaseResult) -> String {
    r.reason
        .clone()
        .unwrap_or_else(|| "no reason recorded".into())
}

/// Which planned cases of the suite skip against this target, by reason.
pub fn skips(scenarios: &[Scenario], plan: &[Planned], t: &Target) -> Vec<Finding> {
    let mut by_reason: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in plan {
        let s = &scenarios[p.scenario];
        if let Some(why) = skip_reason(s, p.case, t) {
            let case = p.case.map(|i| s.def.cases[i].get_ref());
            by_reason
                .entry(why)
                .or_default()
                .push(super::case::case_id(s, case));
        }
    }
    if by_reason.is_empty() {
        return vec![finding(
            "skips",
            Mark::Ok,
            format!("none of the {} cases skips", plan.len()),
        )];
    }
    by_reason
        .into_iter()
        .map(|(why, ids)| {
            let n = ids.len();
            let first = ids.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
            let more = if n > 3 { ", ..." } else { "" };
            finding(
                "skips",
                Mark::Note,
                format!("{n} case(s): {why} ({first}{more})"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_checks_load() {
        let c = super::checks();
        assert_eq!(c.len(), 2);
        assert!(c.iter().all(|s| s.def.tags.iter().any(|t| t == "doctor")));
    }
}
