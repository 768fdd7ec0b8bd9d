//! Form encoding (`protocol::form`).

use super::{lossy, segments};
use crate::protocol::form::{decode_component, encode_component, Params};

/// Form encoding (`protocol::form`): decoding is total and re-encoding
/// round-trips (the encoding is canonical); any list of pairs, empty names
/// and values included, survives encode then decode; encoded components are
/// ASCII without separators; `set` and `remove` do what they say.
pub fn check_form(data: &[u8]) {
    let s = lossy(data);
    let p = Params::decode(&s);
    let e = p.encode();
    assert!(e.is_ascii());
    let back = Params::decode(&e);
    assert_eq!(back, p, "decode(encode(decode(s))) != decode(s) for {e:?}");
    assert_eq!(back.encode(), e);
    // Pairs chosen by the fuzzer: 0xFF-separated name, value, name, value...
    let strings: Vec<String> = segments(data).map(|x| lossy(x).into_owned()).collect();
    let q: Params = strings
        .chunks(2)
        .map(|c| (c[0].clone(), c.get(1).cloned().unwrap_or_default()))
        .collect();
    assert_eq!(Params::decode(&q.encode()), q);
    for (n, v) in q.iter() {
        for x in [n, v] {
            let enc = encode_component(x);
            assert!(enc.is_ascii());
            assert!(!enc.contains(['&', '=', '#', '?', ' ']), "{enc:?}");
            assert_eq!(decode_component(&enc), x);
        }
    }
    if let Some((name, _)) = q.0.first().cloned() {
        let mut r = q.clone();
        r.set(&name, "x");
        assert_eq!(r.0[0], (name.clone(), "x".to_string()));
        assert_eq!(r.count(&name), 1);
        assert_eq!(r.0.len(), q.0.len() + 1 - q.count(&name));
        r.remove(&name);
        assert_eq!(r.count(&name), 0);
        assert_eq!(r.get(&name), None);
    }
}
