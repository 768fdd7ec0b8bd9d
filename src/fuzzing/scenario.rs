//! Scenario files: the loader enforces every rule, refuses with well-formed
//! diagnostics, and loads a re-serialised file the same way.

use std::collections::BTreeSet;
use std::path::Path;

use super::{check_diagnostic, lossy};
use crate::requirements;
use crate::scenario::{self, Scenario, NAMESPACES};

/// What two loads of one scenario must agree on.
type ScenarioSummary = (
    String,
    String,
    &'static str,
    BTreeSet<String>,
    BTreeSet<String>,
    Vec<Option<String>>,
    usize,
);

fn scenario_summary(s: &Scenario) -> ScenarioSummary {
    (
        s.id.clone(),
        s.area.clone(),
        s.level.as_str(),
        s.requires.clone(),
        s.all_covers(),
        s.def
            .steps
            .iter()
            .map(|st| st.get_ref().name.as_ref().map(|n| n.get_ref().clone()))
            .collect(),
        s.case_count(),
    )
}

/// Scenario file (`scenario::load_str`): a loaded scenario satisfies every
/// rule the loader enforces; a refused one has at least one well-formed
/// diagnostic; and the file re-serialised through
/// the TOML data model (different layout, same data) loads the same way.
pub fn check_scenario_file(data: &[u8]) {
    let src = lossy(data);
    let path = Path::new("suites/fuzz/scenario.toml");
    let first = scenario::load_str(path, &src);
    match &first {
        Ok(s) => {
            let id_ok = !s.id.is_empty()
                && s.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
            assert!(id_ok, "accepted a bad id {:?}", s.id);
            assert_eq!(Some(s.area.as_str()), s.id.split('.').next());
            let covers = s.all_covers();
            assert!(
                !covers.is_empty(),
                "accepted a scenario that covers nothing"
            );
            for c in &covers {
                assert!(
                    requirements::find(c).is_some(),
                    "accepted an unknown requirement id {c:?}"
                );
            }
            for r in &s.requires {
                assert!(
                    scenario::load::is_known_capability(r),
                    "unknown capability {r:?} required"
                );
            }
            let want_level = s.def.level.as_ref().map(|l| *l.get_ref());
            assert_eq!(s.level, want_level.unwrap_or(scenario::Level::Must));
            assert!(!s.def.steps.is_empty(), "accepted a scenario without steps");
            let mut names = BTreeSet::new();
            let mut authorize = BTreeSet::new();
            for step in &s.def.steps {
                let st = step.get_ref();
                // Listed field by field on purpose, not via StepDef::actions:
                // the oracle must not share the loader's code.
                let actions = [
                    st.authorize.is_some(),
                    st.token.is_some(),
                    st.introspect.is_some(),
                    st.revoke.is_some(),
                    st.userinfo.is_some(),
                    st.api.is_some(),
                    st.discovery.is_some(),
                    st.http.is_some(),
                    st.wait.is_some(),
                    st.tls.is_some(),
                ];
                assert_eq!(actions.iter().filter(|a| **a).count(), 1);
                if let Some(from) = st.token.as_ref().and_then(|t| t.get_ref().from.as_ref()) {
                    assert!(
                        authorize.contains(from.get_ref()),
                        "`from` {:?} is not an earlier authorize step",
                        from.get_ref()
                    );
                }
                if let Some(n) = &st.name {
                    let n = n.get_ref();
                    assert!(!NAMESPACES.contains(&n.as_str()));
                    assert!(names.insert(n.clone()), "step name {n:?} used twice");
                    if st.authorize.is_some() {
                        authorize.insert(n.clone());
                    }
                }
            }
            let mut cases = BTreeSet::new();
            for c in &s.def.cases {
                let name = &c.get_ref().name;
                assert!(!name.is_empty() && cases.insert(name.clone()));
            }
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "refused without a diagnostic");
            for d in diags {
                check_diagnostic(d, path, &src);
            }
        }
    }
    // The same data laid out by the TOML serialiser loads the same way.
    let Ok(table) = src.parse::<toml::Table>() else {
        assert!(first.is_err(), "loaded a file that is not TOML");
        return;
    };
    let Ok(again) = toml::to_string(&table) else {
        return;
    };
    match (&first, &scenario::load_str(path, &again)) {
        (Ok(a), Ok(b)) => assert_eq!(scenario_summary(a), scenario_summary(b)),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "re-serialised scenario loads differently: {:?} then {:?}\n{again}",
            a.as_ref().map(|s| &s.id).map_err(|d| &d[0].message),
            b.as_ref().map(|s| &s.id).map_err(|d| &d[0].message),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A generated scenario file: TOML text built from parts, with what the
    /// loader must report for it.
    fn scenario_strategy() -> impl Strategy<Value = (String, String, Vec<String>, usize)> {
        // Rows any level may check (a `must` step may not check only
        // SHOULD rows): the MUST rows and the adversarial probes.
        let ids: Vec<String> = requirements::catalog()
            .iter()
            .filter(|r| r.allows("must") != Some(false))
            .map(|r| r.id.clone())
            .collect();
        (
            "[a-z]{1,6}\\.[a-z0-9-]{1,12}",
            proptest::sample::subsequence(ids, 1..4),
            proptest::collection::vec(0u8..4, 1..5),
            prop_oneof![Just("must"), Just("should"), Just("profile"), Just("setup")],
            "[ -~]{0,30}",
        )
            .prop_map(|(id, covers, kinds, level, title)| {
                let mut src = format!(
                    "id = {id:?}\ntitle = {title:?}\ndescription = \"d\"\ncovers = {covers:?}\nlevel = {level:?}\n"
                );
                let mut authorize: Option<String> = None;
                for (i, k) in kinds.iter().enumerate() {
                    src.push_str(&format!("\n[[step]]\nname = \"s{i}\"\n"));
                    // The first step authorizes, so later ones have a code to use.
                    let k = if i == 0 { 0 } else { *k };
                    match (k, &authorize) {
                        (1, Some(a)) => src.push_str(&format!(
                            "token = {{ from = {a:?} }}\nexpect = {{ status = 200, present = [\"access_token\"] }}\n"
                        )),
                        (2, _) => src.push_str("discovery = {}\nexpect.status = 200\n"),
                        (3, Some(a)) => src.push_str(&format!(
                            "http = {{ url = \"{{{{ issuer.token_endpoint }}}}\", form = [[\"code\", \"{{{{ {a}.code | chop }}}}\"]] }}\nexpect.status = [400, 401]\n"
                        )),
                        _ => {
                            src.push_str("authorize = { client = \"c1\" }\nexpect.callback = \"code\"\n");
                            authorize = Some(format!("s{i}"));
                        }
                    }
                }
                (src, id, covers, kinds.len())
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Scenario files round-trip: what is written is what the loader reports,
        /// and the TOML re-serialisation loads the same.
        #[test]
        fn generated_scenarios_load_as_written((src, id, covers, steps) in scenario_strategy()) {
            let s = scenario::load_str(Path::new("gen.toml"), &src)
                .unwrap_or_else(|d| panic!("{src}\n{}", d[0]));
            prop_assert_eq!(&s.id, &id);
            prop_assert_eq!(s.all_covers(), covers.iter().cloned().collect::<BTreeSet<_>>());
            prop_assert_eq!(s.def.steps.len(), steps);
            prop_assert!(s.requires.contains("client:c1"));
            check_scenario_file(src.as_bytes());
        }
    }
}
