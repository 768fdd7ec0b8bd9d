//! The requirement catalogue: the rows of docs/requirements.md (ids such as
//! PKCE-05), parsed from the committed document so that the ids scenarios
//! cite, the coverage table and the document can never drift apart.

use std::sync::OnceLock;

const DOCUMENT: &str = include_str!("../docs/requirements.md");

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Requirement {
    /// `PKCE-05`, `ADV-14`, ...
    pub id: String,
    /// The section it sits in, e.g. `3. PKCE`.
    pub section: String,
    /// The level column (`MUST`, `SHOULD`, `PROFILE MUST`, ...); `ADV` for adversarial probes.
    pub level: String,
    /// The spec sections column (empty for ADV rows, whose hook is in `summary`).
    pub spec: String,
    /// What a conforming issuer does, in the document's words.
    pub summary: String,
}

/// Every requirement of the committed document, in document order.
pub fn catalog() -> &'static [Requirement] {
    static CATALOG: OnceLock<Vec<Requirement>> = OnceLock::new();
    CATALOG.get_or_init(|| parse(DOCUMENT))
}

pub fn find(id: &str) -> Option<&'static Requirement> {
    catalog().iter().find(|r| r.id == id)
}

/// Whether `s` looks like a requirement id: upper-case letters, `-`, two digits.
pub fn is_id_shape(s: &str) -> bool {
    match s.split_once('-') {
        Some((area, num)) => {
            !area.is_empty()
                && area.bytes().all(|b| b.is_ascii_uppercase())
                && num.len() == 2
                && num.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

impl Requirement {
    /// Whether the row may be checked at `level`: `must` wants a MUST in its
    /// level column (`MUST NOT`, `PROFILE MUST`, `SHOULD → PROFILE MUST`),
    /// `profile` a MUST or a PROFILE rule, the others anything. `None` for
    /// adversarial probes, whose weight is the rows they probe.
    pub fn allows(&self, level: &str) -> Option<bool> {
        let col = &self.level;
        (col != "ADV").then(|| match level {
            "must" => col.contains("MUST"),
            "profile" => col.contains("MUST") || col.contains("PROFILE"),
            _ => true,
        })
    }
}

/// Reads every table row whose first cell is a requirement id.
pub fn parse(markdown: &str) -> Vec<Requirement> {
    let mut out = Vec::new();
    let mut section = String::new();
    for line in markdown.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h.trim().to_string();
            continue;
        }
        let Some(row) = line.strip_prefix('|') else {
            continue;
        };
        let cells: Vec<&str> = row
            .split(" | ")
            .map(|c| c.trim().trim_end_matches('|').trim())
            .collect();
        let Some(id) = cells.first().copied() else {
            continue;
        };
        if !is_id_shape(id) || cells.len() < 4 {
            continue;
        }
        let adversarial = id.starts_with("ADV-");
        // `ADV` in the level column marks adversarial probes only: a row of
        // another area that says so is malformed (found by the fuzz target).
        if !adversarial && cells[2] == "ADV" {
            continue;
        }
        let (level, spec, summary) = if adversarial {
            // | ID | Probe | What to send | Conforming outcome | Bug class / spec hook |
            (
                "ADV".to_string(),
                cells.get(4).copied().unwrap_or(""),
                format!("{}: {}", cells[1], cells[3]),
            )
        } else {
            // | ID | Spec § | Level | Test sends | Conforming issuer returns | ... |
            (
                cells[2].to_string(),
                cells[1],
                cells.get(4).copied().unwrap_or("").to_string(),
            )
        };
        out.push(Requirement {
            id: id.to_string(),
            section: section.clone(),
            level,
            spec: spec.to_string(),
            summary,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_every_row_of_the_document() {
        let c = catalog();
        // The document's own count: 137 checklist rows and 25 adversarial
        // checks, plus grantcheck's AUTHZ-13 (seed 002's unapproved apps).
        assert_eq!(c.iter().filter(|r| !r.id.starts_with("ADV-")).count(), 138);
        assert_eq!(
            find("AUTHZ-13").unwrap().level,
            "PROFILE MUST (grantcheck addition)"
        );
        assert_eq!(c.iter().filter(|r| r.id.starts_with("ADV-")).count(), 25);
        let pkce05 = find("PKCE-05").unwrap();
        assert_eq!(pkce05.level, "PROFILE MUST");
        assert_eq!(pkce05.section, "3. PKCE");
        assert!(find("ADV-14").unwrap().summary.starts_with("RT replay"));
        let mut ids: Vec<_> = c.iter().map(|r| &r.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), c.len(), "ids are unique");
    }

    #[test]
    fn id_shape() {
        assert!(is_id_shape("RURI-02"));
        assert!(!is_id_shape("RURI-2"));
        assert!(!is_id_shape("ruri-02"));
        assert!(!is_id_shape("ID"));
    }
}
