//! A small cookie jar, one per user agent. Kept by hand (not reqwest's) so the
//! `Cookie` headers sent are part of the recorded evidence.

use url::Url;

#[derive(Clone, Debug, Default)]
pub struct Jar {
    /// (host, path, name, value)
    cookies: Vec<(String, String, String, String)>,
}

impl Jar {
    /// Stores the `Set-Cookie` headers of a response from `url`.
    pub fn store<'a>(&mut self, url: &Url, set_cookies: impl Iterator<Item = &'a str>) {
        let host = url.host_str().unwrap_or("").to_string();
        for sc in set_cookies {
            let mut parts = sc.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let (name, value) = (name.trim().to_string(), value.trim().to_string());
            let mut path = "/".to_string();
            let mut expired = false;
            for attr in parts {
                let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
                match k.trim().to_ascii_lowercase().as_str() {
                    "path" if v.trim().starts_with('/') => path = v.trim().to_string(),
                    "max-age" => expired = v.trim().parse::<i64>().is_ok_and(|n| n <= 0),
                    _ => {}
                }
            }
            self.cookies
                .retain(|(h, p, n, _)| !(h == &host && p == &path && n == &name));
            if !expired {
                self.cookies.push((host.clone(), path, name, value));
            }
        }
    }

    /// The `Cookie` header value for a request to `url`, if any cookie applies.
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let host = url.host_str().unwrap_or("");
        let path = url.path();
        let v: Vec<String> = self
            .cookies
            .iter()
            .filter(|(h, p, _, _)| h == host && path.starts_with(p.as_str()))
            .map(|(_, _, n, v)| format!("{n}={v}"))
            .collect();
        (!v.is_empty()).then(|| v.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_scopes_and_expires() {
        let mut j = Jar::default();
        let u = Url::parse("http://127.0.0.1:8080/login").unwrap();
        j.store(
            &u,
            ["s=1; Path=/; HttpOnly", "t=2; Path=/admin"].into_iter(),
        );
        assert_eq!(
            j.header_for(&Url::parse("http://127.0.0.1:8080/consent").unwrap())
                .as_deref(),
            Some("s=1")
        );
        assert_eq!(
            j.header_for(&Url::parse("http://127.0.0.1:9/admin/x").unwrap())
                .as_deref(),
            Some("s=1; t=2")
        );
        assert_eq!(j.header_for(&Url::parse("http://other/").unwrap()), None);
        j.store(&u, ["s=; Max-Age=0; Path=/"].into_iter());
        assert_eq!(
            j.header_for(&Url::parse("http://127.0.0.1/").unwrap()),
            None
        );
    }
}
