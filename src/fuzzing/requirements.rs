//! The requirements catalogue markdown (`requirements::parse`).

use super::{lossy, SEP};
use crate::requirements;

/// Requirements markdown (`requirements::parse`): every row has an id of the
/// requirement shape, ADV rows and only they have level `ADV`, sections are
/// trimmed, there are no more rows than table lines, and parsing a document
/// made of two parts joined at a `## ` heading gives the rows of both parts.
pub fn check_requirements(data: &[u8]) {
    let md = lossy(data);
    let rows = requirements::parse(&md);
    assert!(rows.len() <= md.lines().filter(|l| l.starts_with('|')).count());
    for r in &rows {
        assert!(requirements::is_id_shape(&r.id), "{:?}", r.id);
        assert_eq!(r.id.starts_with("ADV-"), r.level == "ADV", "{r:?}");
        assert_eq!(r.section, r.section.trim());
    }
    if let Some(pos) = data.iter().position(|b| *b == SEP) {
        let a = lossy(&data[..pos]);
        let b = format!("## S\n{}", lossy(&data[pos + 1..]));
        if !a.ends_with('\r') {
            let mut want = requirements::parse(&a);
            want.extend(requirements::parse(&b));
            assert_eq!(requirements::parse(&format!("{a}\n{b}")), want);
        }
    }
}
