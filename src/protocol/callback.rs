//! Authorization request URLs and the redirect (callback) that answers them.

use super::form::Params;

/// Appends `params` to `endpoint`'s query (with `&` when it already has one),
/// keeping any fragment last. The endpoint text is kept byte for byte.
pub fn build_url(endpoint: &str, params: &Params) -> String {
    let (base, fragment) = match endpoint.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (endpoint, None),
    };
    let mut out = base.to_string();
    if !params.is_empty() {
        out.push(if base.contains('?') { '&' } else { '?' });
        out.push_str(&params.encode());
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// What a redirect carried back to the client.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Callback {
    /// The redirect target without query or fragment.
    pub base: String,
    /// Parameters of the query component, in order.
    pub query: Params,
    /// Parameters found in the fragment (an authorization code there is a finding).
    pub fragment: Params,
}

impl Callback {
    /// Parses a redirect target. Never fails: anything after `?` is the query,
    /// anything after `#` the fragment.
    pub fn parse(location: &str) -> Self {
        let (rest, fragment) = match location.split_once('#') {
            Some((r, f)) => (r, Params::decode(f)),
            None => (location, Params::default()),
        };
        let (base, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Params::decode(q)),
            None => (rest, Params::default()),
        };
        Self {
            base: base.to_string(),
            query,
            fragment,
        }
    }

    /// Whether this redirect goes to `redirect_uri`: the same base and every
    /// query parameter of `redirect_uri` kept in order at the front (RFC 6749
    /// §3.1.2 says the client's own query must be retained).
    pub fn targets(&self, redirect_uri: &str) -> bool {
        let want = Callback::parse(redirect_uri);
        self.base == want.base
            && self.query.0.len() >= want.query.0.len()
            && self.query.0[..want.query.0.len()] == want.query.0[..]
    }

    /// The parameters the issuer added: the query minus the registered URI's own.
    pub fn response_params(&self, redirect_uri: &str) -> Params {
        let want = Callback::parse(redirect_uri);
        if self.targets(redirect_uri) {
            Params(self.query.0[want.query.0.len()..].to_vec())
        } else {
            self.query.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn appends_to_existing_query() {
        let p: Params = [("code", "x y"), ("state", "s")].into_iter().collect();
        assert_eq!(
            build_url("https://q1.example/cb?tenant=a", &p),
            "https://q1.example/cb?tenant=a&code=x+y&state=s"
        );
        assert_eq!(build_url("https://a/b", &Params::new()), "https://a/b");
    }

    #[test]
    fn targets_keeps_client_query() {
        let cb = Callback::parse("https://q1.example/cb?tenant=a&code=1&state=2");
        assert!(cb.targets("https://q1.example/cb?tenant=a"));
        assert_eq!(
            cb.response_params("https://q1.example/cb?tenant=a")
                .get("code"),
            Some("1")
        );
        assert!(!cb.targets("https://q1.example/cb?tenant=b"));
        assert!(
            !Callback::parse("https://c1.example/cb/evil?code=1").targets("https://c1.example/cb")
        );
    }

    #[test]
    fn fragment_is_separate() {
        let cb = Callback::parse("https://c1.example/cb#code=abc&state=s");
        assert!(cb.query.is_empty());
        assert_eq!(cb.fragment.get("code"), Some("abc"));
    }

    proptest! {
        /// An authorization response built by the URL builder parses back to the
        /// same parameters after the redirect URI's own.
        #[test]
        fn round_trip(
            base in "https://[a-z]{1,8}\\.example/[a-z]{0,6}",
            own in proptest::collection::vec(("[a-z]{1,5}", "[a-z0-9]{0,5}"), 0..3),
            pairs in proptest::collection::vec(("[a-z_]{1,12}", ".*"), 0..6),
        ) {
            let own = Params(own);
            let registered = build_url(&base, &own);
            let params = Params(pairs);
            let location = build_url(&registered, &params);
            let cb = Callback::parse(&location);
            prop_assert!(cb.targets(&registered));
            prop_assert_eq!(cb.response_params(&registered), params);
        }

        #[test]
        fn parse_never_panics(s in ".*") {
            let _ = Callback::parse(&s);
        }
    }
}
