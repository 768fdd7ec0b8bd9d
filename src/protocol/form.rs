//! Ordered parameter lists and `application/x-www-form-urlencoded` coding.
//!
//! grantcheck must be able to drop, double, empty or re-order any parameter on
//! purpose, so requests are built from an ordered list of pairs, never a map.

use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters left as they are by the form encoder: the unreserved set of
/// RFC 3986 (`*` too, as the WHATWG form serializer does). Space becomes `+`.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'*');

/// An ordered list of name/value pairs in which a name may appear any number of times.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// Replaces the value of the first `name` in place (keeping its position) and
    /// removes any later duplicates; appends the pair when `name` is absent.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.0.iter().position(|(n, _)| n == name) {
            Some(i) => {
                self.0[i].1 = value;
                let mut seen = 0usize;
                self.0.retain(|(n, _)| {
                    if n == name {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                });
            }
            None => self.0.push((name.to_string(), value)),
        }
    }

    /// Removes every pair called `name`.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| n != name);
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn count(&self, name: &str) -> usize {
        self.get_all(name).count()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Serialises as `application/x-www-form-urlencoded` (also used for query strings).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (i, (n, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(&encode_component(n));
            out.push('=');
            out.push_str(&encode_component(v));
        }
        out
    }

    /// Parses `application/x-www-form-urlencoded` text. Never fails: invalid
    /// percent escapes are kept literally and invalid UTF-8 is replaced, the way
    /// browsers and most servers treat them.
    pub fn decode(input: &str) -> Self {
        let mut out = Vec::new();
        for piece in input.split('&') {
            if piece.is_empty() {
                continue;
            }
            let (n, v) = piece.split_once('=').unwrap_or((piece, ""));
            out.push((decode_component(n), decode_component(v)));
        }
        Self(out)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Params {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// Form-encodes one name or value: unreserved characters stay, space becomes `+`.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, FORM).to_string().replace("%20", "+")
}

/// Decodes one form component: `+` is a space, then percent escapes.
pub fn decode_component(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_decode(plus.as_bytes())
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn set_keeps_position_and_drops_duplicates() {
        let mut p: Params = [("a", "1"), ("b", "2"), ("a", "3")].into_iter().collect();
        p.set("a", "x");
        assert_eq!(p.encode(), "a=x&b=2");
        p.set("c", "");
        assert_eq!(p.encode(), "a=x&b=2&c=");
    }

    #[test]
    fn encodes_reserved_characters() {
        let p: Params = [("redirect_uri", "https://c1.example/cb?x=1&y=a b")]
            .into_iter()
            .collect();
        assert_eq!(
            p.encode(),
            "redirect_uri=https%3A%2F%2Fc1.example%2Fcb%3Fx%3D1%26y%3Da+b"
        );
    }

    #[test]
    fn decode_is_lenient() {
        let p = Params::decode("a=%zz&&b&c=%C3%A9+x");
        assert_eq!(p.get("a"), Some("%zz"));
        assert_eq!(p.get("b"), Some(""));
        assert_eq!(p.get("c"), Some("é x"));
    }

    proptest! {
        #[test]
        fn round_trip(pairs in proptest::collection::vec((".*", ".*"), 0..8)) {
            let p = Params(pairs.into_iter().filter(|(n, _)| !n.is_empty()).collect());
            prop_assert_eq!(Params::decode(&p.encode()), p);
        }

        #[test]
        fn encoded_is_ascii_without_separators_inside(s in ".*") {
            let e = encode_component(&s);
            prop_assert!(e.is_ascii());
            prop_assert!(!e.contains('&') && !e.contains('=') && !e.contains(' '));
        }
    }
}
