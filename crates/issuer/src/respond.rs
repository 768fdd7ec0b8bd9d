//! Response builders shared by the endpoints, so that headers required by
//! the checklist (HDR-01..05, ERR-01) are set in exactly one place.

use axum::body::Body;
use axum::http::header::{
    HeaderName, HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA, WWW_AUTHENTICATE,
};
use axum::http::{Response, StatusCode};
use serde_json::{json, Value};

use super::faults::Fault;
use super::state::AppState;

pub const REALM: &str = "grantcheck-reference";

fn set(resp: &mut Response<Body>, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

/// `Cache-Control: no-store` + `Pragma: no-cache` (RFC 6749 §5.1), minus
/// what the cache faults remove.
pub fn no_store(app: &AppState, resp: &mut Response<Body>) {
    if app.fault(Fault::NoCacheHeaders) {
        return;
    }
    set(resp, CACHE_CONTROL, "no-store");
    if !app.fault(Fault::NoPragma) {
        set(resp, PRAGMA, "no-cache");
    }
}

/// A JSON response; `no_store` for anything carrying tokens or token
/// metadata.
pub fn json(
    app: &AppState,
    status: StatusCode,
    body: &Value,
    cache_no_store: bool,
) -> Response<Body> {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = status;
    set(&mut resp, CONTENT_TYPE, "application/json");
    if cache_no_store {
        no_store(app, &mut resp);
    }
    resp
}

/// Error descriptions must stay inside %x20-21 / %x23-5B / %x5D-7E
/// (RFC 6749 App. A.8); this is a safety net for the fixed texts.
pub fn sanitize_description(s: &str) -> String {
    s.chars()
        .filter(|c| matches!(*c as u32, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
        .collect()
}

/// The error description as sent: restricted ASCII, or under the
/// `error_description_unicode` fault dressed up the way a localised or
/// "friendly" error layer does it.
pub fn description(app: &AppState, s: &str) -> String {
    let d = sanitize_description(s);
    if app.fault(Fault::ErrorDescriptionUnicode) {
        format!("\u{201c}{d}\u{201d} \u{2014} see the documentation")
    } else {
        d
    }
}

/// Which challenge accompanies a 401 from a client-authenticating endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Challenge {
    None,
    Basic,
}

/// An OAuth error from a back-channel endpoint (token, introspection,
/// revocation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    pub challenge: Challenge,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            challenge: Challenge::None,
        }
    }

    /// 401 + `WWW-Authenticate: Basic` (RFC 6749 §5.2).
    pub fn unauthorized_client_auth(description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
            challenge: Challenge::Basic,
        }
    }

    /// 500 `server_error`: what the robustness faults answer to input a
    /// careless server fails on (ADV-35..ADV-46 must see no 5xx).
    pub fn server_error() -> Self {
        OAuthError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "server_error",
            description: "internal error".into(),
            challenge: Challenge::None,
        }
    }

    pub fn render(&self, app: &AppState) -> Response<Body> {
        let desc = description(app, &self.description);
        let mut resp = if app.fault(Fault::ErrorBodyNotJson) {
            let mut r = Response::new(Body::from(format!("error: {} ({desc})", self.error)));
            set(&mut r, CONTENT_TYPE, "text/plain; charset=utf-8");
            no_store(app, &mut r);
            r
        } else {
            json(
                app,
                self.status,
                &json!({"error": self.error, "error_description": desc}),
                true,
            )
        };
        *resp.status_mut() = self.status;
        if self.challenge == Challenge::Basic && !app.fault(Fault::Basic401MissingChallenge) {
            let scheme = if app.fault(Fault::BasicChallengeWrongScheme) {
                "Bearer"
            } else {
                "Basic"
            };
            set(
                &mut resp,
                WWW_AUTHENTICATE,
                &format!("{scheme} realm=\"{REALM}\""),
            );
        }
        resp
    }
}

/// 405 for a POST-only back-channel endpoint, with a JSON body so that
/// clients parsing every error as JSON do not choke (ERR-01).
pub fn method_not_allowed(app: &AppState, allow: &str) -> Response<Body> {
    let mut resp = OAuthError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        error: "invalid_request",
        description: format!("use {allow}"),
        challenge: Challenge::None,
    }
    .render(app);
    set(&mut resp, ALLOW, allow);
    resp
}

/// Security headers for every HTML page of the browser flow.
pub fn html(app: &AppState, status: StatusCode, body: String) -> Response<Body> {
    let body = match app.config.scripted_pages {
        true => crate::pages::scripted(&body),
        false => body,
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    set(&mut resp, CONTENT_TYPE, "text/html; charset=utf-8");
    if !app.fault(Fault::NoFrameProtection) {
        set(
            &mut resp,
            HeaderName::from_static("x-frame-options"),
            "DENY",
        );
        set(
            &mut resp,
            HeaderName::from_static("content-security-policy"),
            "frame-ancestors 'none'",
        );
    }
    if !app.fault(Fault::NoReferrerPolicy) {
        set(
            &mut resp,
            HeaderName::from_static("referrer-policy"),
            "no-referrer",
        );
    }
    set(
        &mut resp,
        HeaderName::from_static("x-content-type-options"),
        "nosniff",
    );
    set(&mut resp, CACHE_CONTROL, "no-store");
    // HSTS is only meaningful over TLS (RFC 6797 §7.2: ignored over http).
    if app.issuer.starts_with("https://") && !app.fault(Fault::NoHsts) {
        set(
            &mut resp,
            HeaderName::from_static("strict-transport-security"),
            "max-age=31536000",
        );
    }
    resp
}

/// A 303 (never 307/308, HDR-05) to `location`. A location that cannot be
/// a header value (only possible for an unvalidated URI under a fault)
/// becomes a plain 400 rather than a panic.
pub fn see_other(app: &AppState, location: &str) -> Response<Body> {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = if app.fault(Fault::Redirect307) {
        StatusCode::TEMPORARY_REDIRECT
    } else {
        StatusCode::SEE_OTHER
    };
    match HeaderValue::from_str(location) {
        Ok(v) => {
            resp.headers_mut().insert(LOCATION, v);
        }
        Err(_) => {
            *resp.status_mut() = StatusCode::BAD_REQUEST;
        }
    }
    set(&mut resp, CACHE_CONTROL, "no-store");
    set(
        &mut resp,
        HeaderName::from_static("referrer-policy"),
        "no-referrer",
    );
    resp
}

/// A 303 inside the issuer's own flow (login -> consent). Not subject to
/// the `redirect_307` fault, which models the client-facing redirect.
pub fn see_other_internal(location: &str) -> Response<Body> {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(LOCATION, v);
    }
    set(&mut resp, CACHE_CONTROL, "no-store");
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_restricted_ascii() {
        assert_eq!(sanitize_description("a\"b\\c\u{e9}\n d"), "abc d");
    }
}
