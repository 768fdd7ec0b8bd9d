//! Callback and redirect URLs (`protocol::callback`).

use super::lossy;
use crate::protocol::callback::{build_url, Callback};
use crate::protocol::form::Params;

/// Callback / redirect URL (`protocol::callback`): the base has no query or
/// fragment; the parsed parameters re-serialise to a URL that parses to the
/// same callback; a redirect targets itself and adds nothing; a redirect
/// built from any prefix of its query as the registered URI targets it and
/// carries exactly the rest (tried with none, half and all of it as the
/// registered URI's own query); `build_url` appends parameters before the
/// fragment without touching the rest.
pub fn check_callback(data: &[u8]) {
    let s = lossy(data);
    let cb = Callback::parse(&s);
    assert!(!cb.base.contains('?') && !cb.base.contains('#'));
    assert!(s.starts_with(&cb.base));
    let mut rebuilt = build_url(&cb.base, &cb.query);
    if !cb.fragment.is_empty() {
        rebuilt.push('#');
        rebuilt.push_str(&cb.fragment.encode());
    }
    assert_eq!(
        Callback::parse(&rebuilt),
        cb,
        "re-serialised as {rebuilt:?}"
    );
    assert!(cb.targets(&s), "a redirect does not target its own URL");
    assert!(cb.response_params(&s).is_empty());
    let n = cb.query.0.len();
    for k in [0, n / 2, n] {
        let registered = build_url(&cb.base, &Params(cb.query.0[..k].to_vec()));
        assert!(cb.targets(&registered), "does not target {registered:?}");
        assert_eq!(cb.response_params(&registered).0, cb.query.0[k..]);
    }
    // Issuer parameters appended to this URL come back after its own.
    let added = cb.fragment.clone();
    let built = Callback::parse(&build_url(&s, &added));
    assert_eq!(built.base, cb.base);
    assert_eq!(built.fragment, cb.fragment);
    let mut want = cb.query.clone();
    want.0.extend(added.0);
    assert_eq!(built.query, want);
}
