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

/// Rows no scenario checks, with the reason (the document's "Rows no
/// scenario checks, and why" table).
pub fn documented() -> &'static std::collections::BTreeMap<String, String> {
    static DOCUMENTED: OnceLock<std::collections::BTreeMap<String, String>> = OnceLock::new();
    DOCUMENTED.get_or_init(|| {
        two_column_rows(DOCUMENT, "Rows no scenario checks, and why")
            .into_iter()
            .collect()
    })
}

/// A threat an outside client can probe, and the rows that mitigate it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Threat {
    /// `T-04`.
    pub id: String,
    pub name: String,
    /// Where it is described (`RFC 9700 §4.4`).
    pub source: String,
    pub rows: Vec<String>,
}

/// The document's "Threats" table, in document order.
pub fn threats() -> &'static [Threat] {
    static THREATS: OnceLock<Vec<Threat>> = OnceLock::new();
    THREATS.get_or_init(|| parse_threats(DOCUMENT))
}

/// The rows of the table under `## {heading}` whose first cell is a
/// requirement id: (id, second cell).
fn two_column_rows(markdown: &str, heading: &str) -> Vec<(String, String)> {
    section_lines(markdown, heading)
        .filter_map(|line| {
            let cells = cells(line)?;
            let id = *cells.first()?;
            (is_id_shape(id) && cells.len() >= 2).then(|| (id.to_string(), cells[1].to_string()))
        })
        .collect()
}

fn parse_threats(markdown: &str) -> Vec<Threat> {
    section_lines(markdown, "Threats")
        .filter_map(|line| {
            let c = cells(line)?;
            let id = *c.first()?;
            let threat = id
                .strip_prefix("T-")
                .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()));
            (threat && c.len() >= 4).then(|| Threat {
                id: id.to_string(),
                name: c[1].to_string(),
                source: c[2].to_string(),
                rows: c[3]
                    .split(',')
                    .map(|r| r.trim().to_string())
                    .filter(|r| is_id_shape(r))
                    .collect(),
            })
        })
        .collect()
}

/// The lines of the section under `## {heading}`, up to the next `## `.
fn section_lines<'a>(markdown: &'a str, heading: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    markdown
        .lines()
        .skip_while(move |l| l.strip_prefix("## ").map(str::trim) != Some(heading))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
}

/// The cells of a table row (`| a | b |`), trimmed; `None` for other lines.
fn cells(line: &str) -> Option<Vec<&str>> {
    let row = line.strip_prefix('|')?;
    Some(
        row.split(" | ")
            .map(|c| c.trim().trim_end_matches('|').trim())
            .collect(),
    )
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

/// Sections whose tables name rows without being rows.
const NOT_ROWS: &[&str] = &["Threats", "Rows no scenario checks, and why"];

/// Reads every table row whose first cell is a requirement id.
pub fn parse(markdown: &str) -> Vec<Requirement> {
    let mut out = Vec::new();
    let mut section = String::new();
    for line in markdown.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h.trim().to_string();
            continue;
        }
        // The threat map and the list of unchecked rows are tables about
        // the rows, not rows.
        if NOT_ROWS.contains(&section.as_str()) {
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
        // The document's own count: 172 checklist rows (137 of the first
        // checklist, IDT-10, sections 17 to 20 and the twelve rows of issue
        // 18's second part) and 47 adversarial checks, plus grantcheck's
        // AUTHZ-13 (seed 002's unapproved apps): 220.
        assert_eq!(c.iter().filter(|r| !r.id.starts_with("ADV-")).count(), 173);
        assert_eq!(
            find("AUTHZ-13").unwrap().level,
            "PROFILE MUST (grantcheck addition)"
        );
        assert_eq!(c.iter().filter(|r| r.id.starts_with("ADV-")).count(), 47);
        let pkce05 = find("PKCE-05").unwrap();
        assert_eq!(pkce05.level, "PROFILE MUST");
        assert_eq!(pkce05.section, "3. PKCE");
        assert!(find("ADV-14").unwrap().summary.starts_with("RT replay"));
        let mut ids: Vec<_> = c.iter().map(|r| &r.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), c.len(), "ids are unique");
    }

    #[test]
    fn documented_rows_and_threats_name_catalogue_rows() {
        let d = documented();
        assert!(
            d.contains_key("EXP-03") && d.contains_key("CAUTH-08"),
            "{d:?}"
        );
        for id in d.keys() {
            assert!(
                find(id).is_some(),
                "documented row {id} is not in the catalogue"
            );
        }
        let t = threats();
        assert!(t.len() >= 20, "{}", t.len());
        assert_eq!(t[3].id, "T-04");
        assert!(t[3].rows.contains(&"ISS-01".to_string()));
        for th in t {
            assert!(!th.rows.is_empty(), "{} has no rows", th.id);
            for r in &th.rows {
                assert!(
                    find(r).is_some(),
                    "{} names {r}, not in the catalogue",
                    th.id
                );
            }
        }
    }

    #[test]
    fn id_shape() {
        assert!(is_id_shape("RURI-02"));
        assert!(!is_id_shape("RURI-2"));
        assert!(!is_id_shape("ruri-02"));
        assert!(!is_id_shape("ID"));
    }
}
