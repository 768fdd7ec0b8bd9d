//! One SARIF rule per requirement id, from the catalogue: level, section,
//! and a link to the spec section it cites.

use crate::report::model::RunReport;
use crate::requirements;

use super::model::*;

pub(super) fn rules(report: &RunReport) -> Vec<Rule> {
    let catalog = requirements::catalog();
    let mut ids: Vec<&str> = Vec::new();
    for c in &report.cases {
        for id in &c.covers {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
    }
    // Catalogue order; an id the catalogue lacks (not possible for a loaded
    // scenario) goes last, in the order the run met it.
    let position = |id: &str| {
        catalog
            .iter()
            .position(|r| r.id == id)
            .unwrap_or(usize::MAX)
    };
    ids.sort_by_key(|id| position(id));
    ids.into_iter()
        .map(|id| {
            // A spec link: the catalogue's first reference, else the first
            // case that covers the id and cites one.
            let case_url = || {
                report
                    .cases
                    .iter()
                    .filter(|c| c.covers.iter().any(|x| x == id))
                    .flat_map(|c| c.spec.iter())
                    .find_map(|s| spec_url(s))
            };
            match requirements::find(id) {
                Some(r) => {
                    let help_uri = spec_url(&r.spec).or_else(case_url);
                    let adversarial = r.level == "ADV";
                    let topic = if adversarial {
                        pascal(r.summary.split(": ").next().unwrap_or(&r.summary))
                    } else {
                        pascal(section_title(&r.section))
                    };
                    let name = format!("{topic}/{id}");
                    let mut tags = vec![id.split('-').next().unwrap_or(id).to_string()];
                    if adversarial {
                        tags.push("adversarial".into());
                    }
                    let spec = if r.spec.is_empty() {
                        String::new()
                    } else {
                        format!(" Spec: {}.", r.spec)
                    };
                    Rule {
                        id: id.to_string(),
                        name,
                        short_description: text(r.summary.clone()),
                        full_description: text(format!(
                            "{id} ({}, level {}): {}{spec}",
                            r.section, r.level, r.summary
                        )),
                        help: text(format!(
                            "{id} in docs/requirements.md, section {}. Level: {}.{spec} \
                             A conforming issuer: {}",
                            r.section, r.level, r.summary
                        )),
                        help_uri,
                        default_configuration: Configuration {
                            level: rule_level(&r.level),
                        },
                        properties: RuleProperties {
                            tags,
                            requirement_level: r.level.clone(),
                            section: r.section.clone(),
                            spec: r.spec.clone(),
                        },
                    }
                }
                None => Rule {
                    id: id.to_string(),
                    name: pascal(id),
                    short_description: text(id),
                    full_description: text(format!("{id} (not in docs/requirements.md)")),
                    help: text(format!("{id} (not in docs/requirements.md)")),
                    help_uri: case_url(),
                    default_configuration: Configuration { level: "warning" },
                    properties: RuleProperties {
                        tags: vec![],
                        requirement_level: String::new(),
                        section: String::new(),
                        spec: String::new(),
                    },
                },
            }
        })
        .collect()
}

/// The SARIF level of a requirement level of docs/requirements.md. Where
/// the document escalates (`RECOMMENDED → PROFILE MUST`), what follows the
/// last arrow is what grantcheck enforces. Any MUST or PROFILE rule, and the
/// adversarial probes, are errors; SHOULD, RECOMMENDED and best practice
/// (`BP`, "report as a warning") are warnings; the rest (MAY) notes.
pub fn rule_level(level: &str) -> &'static str {
    let effective = level.rsplit('→').next().unwrap_or(level).trim();
    let upper = effective.to_ascii_uppercase();
    if upper == "ADV" || upper.contains("MUST") || upper.contains("PROFILE") {
        "error"
    } else if upper.contains("SHOULD") || upper.contains("RECOMMENDED") || upper == "BP" {
        "warning"
    } else {
        "note"
    }
}

/// A URL for the first spec reference in `text`, which may be a case's
/// `RFC6749 4.1.2` / `OAuth2.1 A.17` / `OIDC-Core 3.1.2.1`, or a catalogue
/// cell such as `6749 §4.1.3, §10.5; OAuth2.1 §10.2` or
/// `Prefix matching (RFC 9700 §4.1)`. RFCs link to the section (or
/// appendix) on rfc-editor.org, OAuth 2.1 to the section of the latest
/// draft on the IETF datatracker, OpenID specs to the document (their
/// anchors are names, not section numbers). `None` when nothing is
/// recognised (`PROFILE`, prose).
pub fn spec_url(text: &str) -> Option<String> {
    #[derive(Clone, Copy)]
    enum Doc {
        Rfc(u32),
        OAuth21,
        OidcCore,
        OidcDiscovery,
    }
    // (position of the reference, where its section starts, the document)
    let mut best: Option<(usize, usize, Doc)> = None;
    let mut consider = |at: usize, after: usize, doc: Doc| {
        if best.is_none_or(|(b, _, _)| at < b) {
            best = Some((at, after, doc));
        }
    };
    for (marker, doc) in [
        ("OAuth2.1", Doc::OAuth21),
        ("OAuth 2.1", Doc::OAuth21),
        ("OIDC-Core", Doc::OidcCore),
        ("OIDC Core", Doc::OidcCore),
        ("OIDC-Discovery", Doc::OidcDiscovery),
        ("OIDC Discovery", Doc::OidcDiscovery),
    ] {
        if let Some(i) = text.find(marker) {
            consider(i, i + marker.len(), doc);
        }
    }
    // `RFC6749`, `RFC 6749`, and the catalogue's bare `6749 §` at the start
    // of a `;`-separated reference.
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices("RFC") {
        let mut j = i + 3;
        if bytes.get(j) == Some(&b' ') {
            j += 1;
        }
        if let Some(n) = four_digits(text, j) {
            consider(i, j + 4, Doc::Rfc(n));
        }
    }
    let mut start = 0;
    for segment in text.split(';') {
        let lead = segment.len() - segment.trim_start().len();
        let i = start + lead;
        if let Some(n) = four_digits(text, i) {
            if text[i + 4..].trim_start().starts_with('§') {
                consider(i, i + 4, Doc::Rfc(n));
            }
        }
        start += segment.len() + 1;
    }

    let (_, after, doc) = best?;
    let section = section_after(&text[after..]);
    let anchor = |s: &str| {
        if s.starts_with(|c: char| c.is_ascii_digit()) {
            format!("#section-{s}")
        } else {
            format!("#appendix-{s}")
        }
    };
    Some(match doc {
        Doc::Rfc(n) => format!(
            "https://www.rfc-editor.org/rfc/rfc{n}{}",
            section.as_deref().map(anchor).unwrap_or_default()
        ),
        Doc::OAuth21 => format!(
            "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1{}",
            section.as_deref().map(anchor).unwrap_or_default()
        ),
        Doc::OidcCore => "https://openid.net/specs/openid-connect-core-1_0.html".into(),
        Doc::OidcDiscovery => "https://openid.net/specs/openid-connect-discovery-1_0.html".into(),
    })
}

/// The number of four ASCII digits at `at`, not followed by another digit.
fn four_digits(text: &str, at: usize) -> Option<u32> {
    let b = text.as_bytes();
    let digits = b.get(at..at + 4)?;
    if digits.iter().all(u8::is_ascii_digit) && !b.get(at + 4).is_some_and(u8::is_ascii_digit) {
        text[at..at + 4].parse().ok()
    } else {
        None
    }
}

/// A section number (`4.1.2`) or appendix (`A.7`, `B`) at the start of `rest`,
/// after spaces, `§` and `App.`.
fn section_after(rest: &str) -> Option<String> {
    let rest = rest.trim_start().trim_start_matches('§').trim_start();
    let rest = rest.strip_prefix("App.").unwrap_or(rest).trim_start();
    let token: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let token = token.trim_end_matches('.');
    let mut parts = token.split('.');
    let first = parts.next()?;
    let numeric = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let head_ok = numeric(first) || (first.len() == 1 && first.as_bytes()[0].is_ascii_uppercase());
    (head_ok && parts.all(numeric)).then(|| token.to_string())
}

/// `4. Authorization code lifecycle (CODE)` -> `Authorization code lifecycle`.
pub(super) fn section_title(section: &str) -> &str {
    let s = section
        .split_once(". ")
        .filter(|(n, _)| n.bytes().all(|b| b.is_ascii_digit()))
        .map(|(_, rest)| rest)
        .unwrap_or(section);
    let s = s.split(':').next().unwrap_or(s);
    s.split(" (").next().unwrap_or(s).trim()
}

/// `redirect_uri path tampering` -> `RedirectUriPathTampering`.
pub(super) fn pascal(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            let first = cs.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(cs).collect::<String>()
        })
        .collect()
}
