//! The authorization endpoint and the login/consent pages behind it.
//!
//! Validation order matters: the client and the redirect URI are checked
//! first and failures there are shown on an error page (never redirected,
//! RFC 6749 §4.1.2.1); only then are the remaining errors sent back to the
//! now-trusted redirect URI.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{HeaderValue, COOKIE, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};

use super::client_auth::constant_time_eq;
use super::config::{parse_scope, ClientReg, IssuerConfig, GRANT_AUTHORIZATION_CODE};
use super::faults::Fault;
use super::keys;
use super::pages;
use super::params::{is_form_content_type, parse_form_body, Params};
use super::pkce::{self, Method as PkceMethod};
use super::redirect::{build_location, encode_component, find_match, MatchMode};
use super::respond;
use super::state::{
    now, random_token, AppState, AuthzRequest, CodeRec, Pending, Session, Shared, Store,
};

pub const SESSION_COOKIE: &str = "gc_session";

/// Outcome of validating an authorization request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Validation {
    /// Client or redirect URI untrusted: show an error page, never redirect.
    ErrorPage {
        message: &'static str,
        details: Vec<(&'static str, String)>,
    },
    /// Error delivered to the client at `redirect_uri`.
    ErrorRedirect {
        redirect_uri: String,
        error: &'static str,
        description: &'static str,
        state: Option<String>,
    },
    Valid(AuthzRequest),
}

fn match_mode(config: &IssuerConfig) -> MatchMode {
    MatchMode {
        prefix: config.has_fault(Fault::RedirectPrefixMatch),
        case_insensitive: config.has_fault(Fault::RedirectCaseInsensitive),
        any_port_everywhere: config.has_fault(Fault::LoopbackAnyPortEverywhere),
        normalized: config.has_fault(Fault::RedirectNormalizedCompare),
        origin_prefix: config.has_fault(Fault::RedirectOriginPrefix),
        path_only: config.has_fault(Fault::RedirectPathOnly),
        scheme_ignored: config.has_fault(Fault::RedirectSchemeIgnored),
        sent_length: config.has_fault(Fault::RedirectCompareSentLength),
        any_loopback_host: config.has_fault(Fault::LoopbackAnyLoopbackHost),
        loopback_hand_parsed: config.has_fault(Fault::LoopbackHandParsed),
        loopback_origin_only: config.has_fault(Fault::LoopbackOriginOnly),
        loopback_port_exact: config.has_fault(Fault::LoopbackPortExact),
        path_params_stripped: config.has_fault(Fault::RedirectPathParamsStripped),
    }
}

/// Is `sent` acceptable for `client`? (With `redirect_any_client`, any
/// client's registration will do.)
fn redirect_allowed(config: &IssuerConfig, client: &ClientReg, sent: &str) -> bool {
    let mode = match_mode(config);
    find_match(&client.redirect_uris, sent, mode).is_some()
        || (config.has_fault(Fault::RedirectAnyClient)
            && config
                .clients
                .iter()
                .any(|c| find_match(&c.redirect_uris, sent, mode).is_some()))
}

fn details(params: &Params) -> Vec<(&'static str, String)> {
    let mut d = Vec::new();
    for name in ["client_id", "redirect_uri"] {
        for (n, v) in params.pairs() {
            if n == name {
                d.push((name, v.clone()));
            }
        }
    }
    d
}

/// Validates an authorization request (everything that does not depend on
/// the browser session). `issuer` is needed only for `id_token_hint`.
pub fn validate(config: &IssuerConfig, issuer: &str, params: &Params) -> Validation {
    let lw = config.has_fault(Fault::DuplicateParamsLastWins);
    // Duplicates are tolerated under either "wins" fault; `lw` picks which.
    let dup_ok = lw || config.has_fault(Fault::DuplicateParamsFirstWins);
    let unvalidated_fault = config.has_fault(Fault::RedirectErrorToUnvalidated);
    let page = |message: &'static str| Validation::ErrorPage {
        message,
        details: details(params),
    };
    let empty_as_value = config.has_fault(Fault::EmptyParamsAsValues);
    let param = |name: &str| match empty_as_value {
        true => params.get_raw(name).map(str::to_string),
        false => params.get(name, lw).map(str::to_string),
    };
    let state = param("state");
    let unvalidated_redirect = |description: &'static str| {
        params
            .get("redirect_uri", lw)
            .filter(|_| unvalidated_fault)
            .map(|r| Validation::ErrorRedirect {
                redirect_uri: r.to_string(),
                error: "invalid_request",
                description,
                state: state.clone(),
            })
    };

    // 1. The client.
    if params.count("client_id") > 1 && !dup_ok {
        return page("The client_id parameter was sent more than once.");
    }
    let Some(client_id) = params.get("client_id", lw) else {
        if let Some(v) = unvalidated_redirect("client_id is required") {
            return v;
        }
        return page("The request has no client_id.");
    };
    let Some(client) = config.client(client_id) else {
        if let Some(v) = unvalidated_redirect("unknown client") {
            return v;
        }
        return page("The client is not registered.");
    };

    // 2. The redirect URI.
    if params.count("redirect_uri") > 1 && !dup_ok {
        return page("The redirect_uri parameter was sent more than once.");
    }
    let wants_openid = params
        .pairs()
        .iter()
        .any(|(n, v)| n == "scope" && v.split(' ').any(|t| t == "openid"));
    let sent = params.get("redirect_uri", lw);
    let mut unvalidated = false;
    let (redirect_uri, redirect_sent) = match sent {
        Some(s) => {
            if !redirect_allowed(config, client, s) {
                if !unvalidated_fault {
                    return page("The redirect_uri is not registered for this client.");
                }
                unvalidated = true;
            }
            (s.to_string(), Some(s.to_string()))
        }
        None => {
            let default_first = config.has_fault(Fault::RedirectDefaultFirst);
            if wants_openid && !default_first {
                return page("OpenID Connect requests must include redirect_uri.");
            }
            match client.redirect_uris.as_slice() {
                [only] => (only.clone(), None),
                [first, ..] if default_first => (first.clone(), None),
                _ => return page("The request has no redirect_uri and the client has several."),
            }
        }
    };

    // 3. Errors from here on go back to the client.
    let err = |error: &'static str, description: &'static str| Validation::ErrorRedirect {
        redirect_uri: redirect_uri.clone(),
        error,
        description,
        state: state.clone(),
    };
    match check_request(config, issuer, client, params, lw, dup_ok) {
        Err((error, description)) => err(error, description),
        Ok(_) if unvalidated => page("The redirect_uri is not registered for this client."),
        Ok(checked) => Validation::Valid(AuthzRequest {
            client_id: client.id.clone(),
            redirect_uri,
            redirect_sent,
            state,
            nonce: param("nonce"),
            scopes: checked.scopes,
            challenge: checked.challenge,
            prompt: checked.prompt,
            max_age: checked.max_age,
        }),
    }
}

struct Checked {
    scopes: Vec<String>,
    challenge: Option<(String, PkceMethod)>,
    prompt: Vec<String>,
    max_age: Option<u64>,
}

type Reject = (&'static str, &'static str);

/// The parameters this endpoint understands; only the
/// `unknown_params_rejected` fault looks at the list (RFC 6749 §3.1: the
/// others are ignored).
const KNOWN_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "response_mode",
    "request",
    "request_uri",
    "id_token_hint",
    "login_hint",
];

fn check_request(
    config: &IssuerConfig,
    issuer: &str,
    client: &ClientReg,
    params: &Params,
    lw: bool,
    dup_ok: bool,
) -> Result<Checked, Reject> {
    let fault = |f| config.has_fault(f);
    if !dup_ok && params.first_duplicate().is_some() {
        return Err(("invalid_request", "a parameter was sent more than once"));
    }
    // Busha marks `state` required (seed 000).
    let state_required = config.dialect.wire().state_required && !fault(Fault::StateOptional);
    if state_required && params.get("state", lw).is_none_or(str::is_empty) {
        return Err(("invalid_request", "state is required"));
    }
    let lenient = |rt: &str| {
        fault(Fault::ResponseTypeTokenAsCode) && rt.split(' ').any(|t| t == "token" || t == "code")
    };
    match params.get("response_type", lw) {
        None => return Err(("invalid_request", "response_type is required")),
        Some("code") => {}
        Some(rt) if lenient(rt) => {}
        Some(rt)
            if fault(Fault::ResponseTypeCaseInsensitive) && rt.eq_ignore_ascii_case("code") => {}
        Some(_) => {
            return Err((
                "unsupported_response_type",
                "only response_type=code is supported",
            ))
        }
    }
    // Seed 002: an app that is pending, rejected or suspended gets
    // unauthorized_client for everything.
    if !client.approved && !fault(Fault::UnapprovedClientWorks) {
        return Err(("unauthorized_client", "the client is not approved"));
    }
    if !client.has_grant(GRANT_AUTHORIZATION_CODE) {
        return Err((
            "unauthorized_client",
            "the client may not use the authorization code grant",
        ));
    }
    if fault(Fault::UnknownParamsRejected)
        && params
            .pairs()
            .iter()
            .any(|(n, _)| !KNOWN_PARAMS.contains(&n.as_str()))
    {
        return Err(("invalid_request", "unknown parameter"));
    }
    let prompt: Vec<String> = params
        .get("prompt", lw)
        .map(parse_scope)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| !(p == "none" && fault(Fault::PromptNoneIgnored)))
        .collect();
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(("invalid_request", "prompt=none cannot be combined"));
    }
    let max_age = match params.get("max_age", lw) {
        None => None,
        Some(v) if !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse::<u64>().ok()
        }
        Some(_) => return Err(("invalid_request", "max_age must be a non-negative integer")),
    };
    if params
        .get("response_mode", lw)
        .is_some_and(|m| m != "query")
    {
        return Err(("invalid_request", "only response_mode=query is supported"));
    }
    let refuse_objects = !fault(Fault::RequestObjectsIgnored);
    if refuse_objects && params.has("request") {
        return Err(("request_not_supported", "request objects are not supported"));
    }
    if refuse_objects && params.has("request_uri") {
        return Err(("request_uri_not_supported", "request_uri is not supported"));
    }
    if let Some(hint) = params.get("id_token_hint", lw) {
        if !fault(Fault::IdTokenHintUnverified)
            && keys::signing_key().verify_own(hint, issuer).is_none()
        {
            return Err(("invalid_request", "id_token_hint is not a valid ID token"));
        }
    }

    // Seed 003's web-app flow has no PKCE: its dialect lets confidential
    // clients skip it (a documented deviation from the product's PKCE-04).
    let confidential_optional =
        fault(Fault::PkcePublicOnly) || config.dialect.wire().pkce_optional_for_confidential;
    let pkce_required =
        !fault(Fault::PkceOptional) && (client.is_public() || !confidential_optional);
    let challenge = match params.get("code_challenge", lw) {
        None if pkce_required => {
            return Err(("invalid_request", "code_challenge is required (PKCE)"))
        }
        None => None,
        Some(c) => {
            let method = match params.get("code_challenge_method", lw) {
                None if fault(Fault::PkceDefaultPlain) => PkceMethod::Plain,
                None => {
                    return Err((
                        "invalid_request",
                        "code_challenge_method is required and must be S256",
                    ))
                }
                Some("S256") => PkceMethod::S256,
                Some(m)
                    if fault(Fault::PkceMethodCaseInsensitive)
                        && m.eq_ignore_ascii_case("S256") =>
                {
                    PkceMethod::S256
                }
                Some("plain") if fault(Fault::PkceAllowPlain) => PkceMethod::Plain,
                Some(m) if fault(Fault::PkceUnknownMethodAsS256) && m != "plain" => {
                    PkceMethod::S256
                }
                Some(_) => return Err(("invalid_request", "code_challenge_method must be S256")),
            };
            let syntax_ok = match method {
                PkceMethod::S256 => pkce::is_valid_s256_challenge(c),
                PkceMethod::Plain => pkce::is_valid_plain_challenge(c),
            };
            if !syntax_ok && !fault(Fault::PkceChallengeShapeUnchecked) {
                return Err((
                    "invalid_request",
                    "code_challenge must be 43 base64url characters",
                ));
            }
            Some((c.to_string(), method))
        }
    };

    let Some(raw_scope) = params.get("scope", lw) else {
        return Err(("invalid_scope", "scope is required"));
    };
    let scopes = parse_scope(raw_scope);
    if scopes.is_empty() {
        return Err(("invalid_scope", "scope is required"));
    }
    if scopes
        .iter()
        .any(|s| !config.is_known_scope(s) || !client.allows_scope(s))
    {
        return Err((
            "invalid_scope",
            "a requested scope is unknown or not allowed for this client",
        ));
    }
    Ok(Checked {
        scopes,
        challenge,
        prompt,
        max_age,
    })
}

/// `Location` for an error redirect, honouring the state/iss faults.
pub fn error_location(
    app: &AppState,
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> String {
    let desc = respond::description(app, description);
    let mut params: Vec<(&str, &str)> = vec![("error", error), ("error_description", &desc)];
    match state {
        Some(s) if !app.fault(Fault::StateDroppedOnError) => params.push(("state", s)),
        Some(_) => {}
        None if app.fault(Fault::StateInvented) => params.push(("state", "")),
        None => {}
    }
    if app.config.iss_parameter
        && !app.fault(Fault::IssMissing)
        && !app.fault(Fault::IssMissingOnError)
    {
        params.push(("iss", &app.issuer));
    }
    build_location(redirect_uri, &params)
}

pub fn success_location(app: &AppState, req: &AuthzRequest, code: &str) -> String {
    let mut params: Vec<(&str, &str)> = vec![("code", code)];
    let raw_state = app.fault(Fault::StateReflectedRaw);
    match &req.state {
        Some(_) if raw_state => {}
        Some(s) => params.push(("state", s)),
        None if app.fault(Fault::StateInvented) => params.push(("state", "")),
        None => {}
    }
    if app.config.iss_parameter && !app.fault(Fault::IssMissing) {
        params.push(("iss", &app.issuer));
    }
    let front_token = crate::state::random_token();
    if app.fault(Fault::TokenInFrontChannel) {
        params.push(("access_token", &front_token));
    }
    let loc = build_location(&req.redirect_uri, &params);
    match (&req.state, raw_state) {
        // The fault: state pasted in as received, no percent-encoding,
        // control characters dropped so that the header can be sent.
        (Some(s), true) => {
            let s: String = s.chars().filter(|c| !c.is_control()).collect();
            format!("{loc}&state={s}")
        }
        _ => loc,
    }
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.trim().to_string())
}

fn session(store: &Store, headers: &HeaderMap) -> Option<Session> {
    session_id(headers).and_then(|id| store.sessions.get(&id).cloned())
}

fn error_page(app: &AppState, message: &str, details: &[(&str, &str)]) -> Response<Body> {
    respond::html(
        app,
        StatusCode::BAD_REQUEST,
        pages::error_page(message, details),
    )
}

/// Creates the code for an approved request.
fn issue_code(
    app: &AppState,
    store: &mut Store,
    req: &AuthzRequest,
    sub: &str,
    auth_time: u64,
) -> String {
    let code = match (app.fault(Fault::ShortCodes), &req.challenge) {
        (true, _) => crate::state::short_code(),
        // A "stateless" code that carries its challenge in clear.
        (false, Some((c, _))) if app.fault(Fault::CodeEmbedsChallenge) => {
            format!("{}.{c}", random_token())
        }
        _ => random_token(),
    };
    store.handed_out.push(("code", code.clone()));
    store.codes.insert(
        code.clone(),
        CodeRec {
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            redirect_sent: req.redirect_sent.clone(),
            challenge: req.challenge.clone(),
            scopes: req.scopes.clone(),
            nonce: req.nonce.clone(),
            sub: sub.to_string(),
            auth_time,
            expires: store.now().saturating_add(app.config.code_ttl),
            used: false,
            grants: Vec::new(),
        },
    );
    code
}

fn consent_covers(store: &Store, sub: &str, req: &AuthzRequest) -> bool {
    store
        .consents
        .get(&(sub.to_string(), req.client_id.clone()))
        .is_some_and(|granted| req.scopes.iter().all(|s| granted.contains(s)))
}

fn user_name(app: &AppState, sub: &str) -> String {
    app.config
        .user_by_sub(sub)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| sub.to_string())
}

/// The `authorize_values_cut_at_nul` fault (ADV-45): every value ends at
/// its first NUL, as C-string handling would read it.
fn cut_at_nul(params: Params) -> Params {
    let pairs = params
        .pairs()
        .iter()
        .map(|(n, v)| (n.clone(), v.split('\0').next().unwrap_or("").to_string()))
        .collect();
    Params::from_pairs(pairs)
}

/// GET and POST /authorize.
pub async fn authorize(
    State(app): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let cors = app.fault(Fault::CorsOnAuthorize);
    let mut resp = if method == Method::OPTIONS {
        // The conformant endpoint has no CORS preflight; a CORS layer
        // wrapped around every route (the fault) answers it.
        let mut r = Response::new(Body::empty());
        *r.status_mut() = if cors {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::METHOD_NOT_ALLOWED
        };
        r.headers_mut()
            .insert("allow", HeaderValue::from_static("GET, POST"));
        r
    } else {
        authorize_inner(&app, &method, &uri, &headers, &body)
    };
    if cors {
        if let Some(origin) = headers.get(ORIGIN) {
            resp.headers_mut()
                .insert("access-control-allow-origin", origin.clone());
        }
    }
    resp
}

fn authorize_inner(
    app: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response<Body> {
    let query_only = app.fault(Fault::AuthorizePostQueryOnly);
    let parsed = if *method == Method::POST && !query_only {
        if !is_form_content_type(headers) {
            return error_page(
                app,
                "The request body must be application/x-www-form-urlencoded.",
                &[],
            );
        }
        parse_form_body(body)
    } else {
        Params::parse(uri.query().unwrap_or("").as_bytes())
    };
    let raw = uri.query().unwrap_or("").as_bytes();
    let broken = super::params::has_broken_escape(raw)
        || match &parsed {
            Ok(p) => p.pairs().iter().any(|(_, v)| v.contains('\0')),
            Err(_) => true,
        };
    if broken && app.fault(Fault::AuthorizeBadEncoding500) {
        let mut resp = error_page(app, "Internal error.", &[]);
        *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        return resp;
    }
    let Ok(params) = parsed else {
        return error_page(app, "The request parameters are not valid UTF-8.", &[]);
    };
    let params = match app.fault(Fault::AuthorizeValuesCutAtNul) {
        true => cut_at_nul(params),
        false => params,
    };
    if app.fault(Fault::NoScope500) && !params.has("scope") {
        let mut resp = error_page(app, "Internal error.", &[]);
        *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        return resp;
    }

    let req = match validate(&app.config, &app.issuer, &params) {
        Validation::ErrorPage { message, details } => {
            let d: Vec<(&str, &str)> = details.iter().map(|(k, v)| (*k, v.as_str())).collect();
            return error_page(app, message, &d);
        }
        Validation::ErrorRedirect {
            redirect_uri,
            error,
            description,
            state,
        } => {
            let loc = error_location(app, &redirect_uri, error, description, state.as_deref());
            return respond::see_other(app, &loc);
        }
        Validation::Valid(req) => req,
    };

    let mut store = app.store();
    let t = store.now();
    let sess = session(&store, headers);
    let stale = |s: &Session| {
        req.max_age
            .is_some_and(|m| m == 0 || t.saturating_sub(s.auth_time) > m)
    };
    let login_asked =
        req.prompt.iter().any(|p| p == "login") && !app.fault(Fault::PromptLoginIgnored);
    let force_login = login_asked || sess.as_ref().is_some_and(stale);

    if req.prompt.iter().any(|p| p == "none") {
        // No UI may be shown (OIDC Core §3.1.2.1): answer right away.
        let Some(s) = sess.clone().filter(|s| !stale(s)) else {
            let loc = error_location(
                app,
                &req.redirect_uri,
                "login_required",
                "the user is not signed in",
                req.state.as_deref(),
            );
            return respond::see_other(app, &loc);
        };
        if !consent_covers(&store, &s.sub, &req) {
            let loc = error_location(
                app,
                &req.redirect_uri,
                "consent_required",
                "the user has not approved this request",
                req.state.as_deref(),
            );
            return respond::see_other(app, &loc);
        }
        let code = issue_code(app, &mut store, &req, &s.sub, s.auth_time);
        return respond::see_other(app, &success_location(app, &req, &code));
    }

    let csrf = random_token();
    let client_id = req.client_id.clone();
    let scopes = req.scopes.clone();
    let request_id = store.insert_pending(Pending {
        request: req,
        csrf: csrf.clone(),
        created: t,
        force_login,
        logged_in: None,
        password_ok: None,
    });
    drop(store);
    match sess {
        Some(s) if !force_login => respond::html(
            app,
            StatusCode::OK,
            pages::consent_page(
                &request_id,
                &csrf,
                &client_id,
                &user_name(app, &s.sub),
                &scopes,
            ),
        ),
        _ => respond::html(
            app,
            StatusCode::OK,
            pages::login_page(&request_id, &csrf, &client_id, None),
        ),
    }
}

fn form_params(headers: &HeaderMap, body: &[u8]) -> Option<Params> {
    if !is_form_content_type(headers) {
        return None;
    }
    parse_form_body(body).ok()
}

/// POST /login.
pub async fn login(State(app): State<Shared>, headers: HeaderMap, body: Bytes) -> Response<Body> {
    let Some(params) = form_params(&headers, &body) else {
        return error_page(&app, "Malformed login request.", &[]);
    };
    let request_id = params.get("request_id", false).unwrap_or("");
    let csrf = params.get("csrf", false).unwrap_or("");
    let username = params.get("username", false).unwrap_or("");
    let password = params.get("password", false).unwrap_or("");

    let mut store = app.store();
    let Some(pending) = store.pending_mut(request_id) else {
        return error_page(&app, "Unknown or expired authorization request.", &[]);
    };
    if !constant_time_eq(pending.csrf.as_bytes(), csrf.as_bytes()) {
        return error_page(&app, "Invalid form token.", &[]);
    }
    let user = app.config.users.iter().find(|u| {
        // Both comparisons always run so that timing does not reveal
        // whether the username exists.
        let name_ok = constant_time_eq(u.username.as_bytes(), username.as_bytes());
        let pass_ok = constant_time_eq(u.password.as_bytes(), password.as_bytes());
        name_ok & pass_ok
    });
    let Some(user) = user else {
        let page = pages::login_page(
            request_id,
            &pending.csrf,
            &pending.request.client_id,
            Some("Invalid username or password."),
        );
        return respond::html(&app, StatusCode::OK, page);
    };
    if app.config.mfa && user.totp.is_some() {
        pending.password_ok = Some(user.sub.clone());
        let page = pages::otp_page(request_id, &pending.csrf, None);
        return respond::html(&app, StatusCode::OK, page);
    }
    let sub = user.sub.clone();
    signed_in(&mut store, request_id, &sub)
}

/// POST /login/otp: the MFA step's one-time code, after the password.
pub async fn login_otp(
    State(app): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let Some(params) = form_params(&headers, &body) else {
        return error_page(&app, "Malformed login request.", &[]);
    };
    let request_id = params.get("request_id", false).unwrap_or("");
    let csrf = params.get("csrf", false).unwrap_or("");
    let otp = params.get("otp", false).unwrap_or("");
    let mut store = app.store();
    let Some(pending) = store.pending_mut(request_id) else {
        return error_page(&app, "Unknown or expired authorization request.", &[]);
    };
    if !constant_time_eq(pending.csrf.as_bytes(), csrf.as_bytes()) {
        return error_page(&app, "Invalid form token.", &[]);
    }
    let Some(sub) = pending.password_ok.clone() else {
        return error_page(&app, "Sign in with your password first.", &[]);
    };
    let secret = app
        .config
        .users
        .iter()
        .find(|u| u.sub == sub)
        .and_then(|u| u.totp.clone());
    if !secret.is_some_and(|s| crate::totp::verify(&s, otp, now())) {
        let page = pages::otp_page(request_id, &pending.csrf, Some("That code is not right."));
        return respond::html(&app, StatusCode::OK, page);
    }
    signed_in(&mut store, request_id, &sub)
}

/// The user `sub` is signed in for the pending request: a session, its
/// cookie, and on to consent.
fn signed_in(store: &mut Store, request_id: &str, sub: &str) -> Response<Body> {
    let t = store.now();
    if let Some(pending) = store.pending_mut(request_id) {
        pending.logged_in = Some((sub.to_string(), t));
        pending.password_ok = None;
    }
    let sid = random_token();
    store.sessions.insert(
        sid.clone(),
        Session {
            sub: sub.to_string(),
            auth_time: t,
        },
    );
    let mut resp = respond::see_other_internal(&format!(
        "/consent?request_id={}",
        encode_component(request_id)
    ));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={sid}; HttpOnly; SameSite=Lax; Path=/"
    )) {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    resp
}

/// The user approving the pending request: the login done for it, or the
/// browser session unless the request demanded a fresh login.
fn resolve_user(store: &Store, pending: &Pending, headers: &HeaderMap) -> Option<(String, u64)> {
    if let Some(u) = &pending.logged_in {
        return Some(u.clone());
    }
    if pending.force_login {
        return None;
    }
    session(store, headers).map(|s| (s.sub, s.auth_time))
}

/// GET /consent?request_id=...
pub async fn consent_page(
    State(app): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default();
    let request_id = params.get("request_id", false).unwrap_or("");
    let mut store = app.store();
    let Some(pending) = store.pending_mut(request_id).map(|p| p.clone()) else {
        return error_page(&app, "Unknown or expired authorization request.", &[]);
    };
    let user = resolve_user(&store, &pending, &headers);
    drop(store);
    let page = match user {
        Some((sub, _)) => pages::consent_page(
            request_id,
            &pending.csrf,
            &pending.request.client_id,
            &user_name(&app, &sub),
            &pending.request.scopes,
        ),
        None => pages::login_page(request_id, &pending.csrf, &pending.request.client_id, None),
    };
    respond::html(&app, StatusCode::OK, page)
}

/// POST /consent.
pub async fn consent_submit(
    State(app): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let Some(params) = form_params(&headers, &body) else {
        return error_page(&app, "Malformed consent request.", &[]);
    };
    let request_id = params.get("request_id", false).unwrap_or("");
    let csrf = params.get("csrf", false).unwrap_or("");
    let mut store = app.store();
    let Some(pending) = store.pending_mut(request_id).map(|p| p.clone()) else {
        return error_page(&app, "Unknown or expired authorization request.", &[]);
    };
    if !constant_time_eq(pending.csrf.as_bytes(), csrf.as_bytes()) {
        return error_page(&app, "Invalid form token.", &[]);
    }
    let Some((sub, auth_time)) = resolve_user(&store, &pending, &headers) else {
        let page = pages::login_page(request_id, &pending.csrf, &pending.request.client_id, None);
        return respond::html(&app, StatusCode::OK, page);
    };
    let req = &pending.request;
    match params.get("decision", false) {
        Some("approve") => {
            store.pending.remove(request_id);
            store
                .consents
                .entry((sub.clone(), req.client_id.clone()))
                .or_default()
                .extend(req.scopes.iter().cloned());
            let code = issue_code(&app, &mut store, req, &sub, auth_time);
            drop(store);
            respond::see_other(&app, &success_location(&app, req, &code))
        }
        Some("deny") => {
            store.pending.remove(request_id);
            drop(store);
            let loc = error_location(
                &app,
                &req.redirect_uri,
                "access_denied",
                "the user denied the request",
                req.state.as_deref(),
            );
            respond::see_other(&app, &loc)
        }
        _ => error_page(&app, "Unknown decision.", &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ReferenceSecrets;

    const CH: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn cfg(faults: &[Fault]) -> IssuerConfig {
        let mut c = IssuerConfig::reference(&ReferenceSecrets::random());
        c.faults.extend(faults.iter().copied());
        c
    }

    fn base() -> String {
        format!(
            "response_type=code&client_id=c1&redirect_uri=https%3A%2F%2Fc1.example%2Fcb&scope=openid+api%3Aread&state=xyz&code_challenge={CH}&code_challenge_method=S256"
        )
    }

    fn run(c: &IssuerConfig, q: &str) -> Validation {
        validate(c, "http://issuer", &Params::parse(q.as_bytes()).unwrap())
    }

    fn error_of(v: &Validation) -> Option<&'static str> {
        match v {
            Validation::ErrorRedirect { error, .. } => Some(error),
            _ => None,
        }
    }

    fn is_page(v: &Validation) -> bool {
        matches!(v, Validation::ErrorPage { .. })
    }

    #[test]
    fn valid_request() {
        let c = cfg(&[]);
        match run(&c, &base()) {
            Validation::Valid(r) => {
                assert_eq!(r.client_id, "c1");
                assert_eq!(r.redirect_uri, "https://c1.example/cb");
                assert_eq!(r.state.as_deref(), Some("xyz"));
                assert_eq!(r.scopes, vec!["openid", "api:read"]);
                assert_eq!(r.challenge, Some((CH.to_string(), PkceMethod::S256)));
            }
            other => panic!("{other:?}"),
        }
        // Unknown extension parameters and empty optionals are fine.
        assert!(matches!(
            run(
                &c,
                &format!("{}&foo=bar&x_debug=1&nonce=&login_hint=", base())
            ),
            Validation::Valid(_)
        ));
        let v = run(&c, &base().replace("state=xyz", "state="));
        assert!(matches!(
            v,
            Validation::Valid(AuthzRequest { state: None, .. })
        ));
    }

    #[test]
    fn untrusted_client_or_redirect_gives_page() {
        let c = cfg(&[]);
        let b = base();
        for q in [
            b.replace("client_id=c1&", ""),
            b.replace("client_id=c1", "client_id="),
            b.replace("client_id=c1", "client_id=does-not-exist"),
            format!("{b}&client_id=c1"),
            format!("{b}&redirect_uri=https%3A%2F%2Fc1.example%2Fcb"),
            b.replace("c1.example%2Fcb", "c1.example%2Fcb%2Fevil"),
            b.replace("c1.example%2Fcb", "C1.example%2Fcb"),
            // No redirect_uri with openid in scope.
            b.replace("&redirect_uri=https%3A%2F%2Fc1.example%2Fcb", ""),
            // A bad redirect combined with other errors is still a page.
            b.replace("c1.example%2Fcb", "evil.example%2Fcb")
                .replace("response_type=code&", ""),
            b.replace("c1.example%2Fcb", "evil.example%2Fcb")
                .replace("api%3Aread", "nope"),
        ] {
            assert!(is_page(&run(&c, &q)), "{q}");
        }
        // P1 has two URIs: none sent is a page even without openid.
        let p1 = format!("response_type=code&client_id=p1&scope=api%3Aread&code_challenge={CH}&code_challenge_method=S256");
        assert!(is_page(&run(&c, &p1)));
        // C1 with a plain OAuth request may omit it.
        let c1 = format!("response_type=code&client_id=c1&scope=api%3Aread&code_challenge={CH}&code_challenge_method=S256");
        assert!(matches!(
            run(&c, &c1),
            Validation::Valid(AuthzRequest {
                redirect_sent: None,
                ..
            })
        ));
    }

    #[test]
    fn redirected_errors_in_order() {
        let c = cfg(&[]);
        let b = base();
        let cases = [
            (format!("{b}&state=other"), "invalid_request"),
            (format!("{b}&scope=openid"), "invalid_request"),
            (b.replace("response_type=code&", ""), "invalid_request"),
            (
                b.replace("response_type=code", "response_type=token"),
                "unsupported_response_type",
            ),
            (
                b.replace("response_type=code", "response_type=code+token"),
                "unsupported_response_type",
            ),
            (
                b.replace("response_type=code", "response_type=id_token+token"),
                "unsupported_response_type",
            ),
            (format!("{b}&prompt=none+login"), "invalid_request"),
            (
                b.replace(&format!("code_challenge={CH}&"), ""),
                "invalid_request",
            ),
            (
                b.replace(&format!("code_challenge={CH}"), "code_challenge="),
                "invalid_request",
            ),
            (
                b.replace("&code_challenge_method=S256", ""),
                "invalid_request",
            ),
            (b.replace("method=S256", "method="), "invalid_request"),
            (b.replace("method=S256", "method=plain"), "invalid_request"),
            (b.replace("method=S256", "method=s256"), "invalid_request"),
            (b.replace("method=S256", "method=S512"), "invalid_request"),
            (b.replace(CH, &format!("{CH}=")), "invalid_request"),
            (b.replace(CH, &CH[..42]), "invalid_request"),
            (
                b.replace("&scope=openid+api%3Aread", "&scope="),
                "invalid_scope",
            ),
            (
                b.replace("scope=openid+api%3Aread", "scope=api%3Aread"),
                "ok",
            ),
            (
                b.replace("openid+api%3Aread", "openid+api%3Awrite"),
                "invalid_scope",
            ),
            (
                b.replace("openid+api%3Aread", "openid+bogus"),
                "invalid_scope",
            ),
            (format!("{b}&request=x"), "request_not_supported"),
            (
                format!("{b}&request_uri=https%3A%2F%2Fh"),
                "request_uri_not_supported",
            ),
            (format!("{b}&response_mode=fragment"), "invalid_request"),
            (format!("{b}&max_age=-1"), "invalid_request"),
        ];
        for (q, want) in cases {
            let v = run(&c, &q);
            if want == "ok" {
                assert!(matches!(v, Validation::Valid(_)), "{q}: {v:?}");
                continue;
            }
            assert_eq!(error_of(&v), Some(want), "{q}: {v:?}");
            if let Validation::ErrorRedirect {
                state,
                redirect_uri,
                ..
            } = &v
            {
                assert_eq!(state.as_deref(), Some("xyz"));
                assert_eq!(redirect_uri, "https://c1.example/cb");
            }
        }
        // Missing scope entirely (no openid, so redirect_uri may be used).
        let v = run(&c, &b.replace("&scope=openid+api%3Aread", ""));
        assert_eq!(error_of(&v), Some("invalid_scope"));
        // s1 cannot do the code flow (and has no redirect URI at all).
        let s1 = b.replace("client_id=c1", "client_id=s1");
        assert!(is_page(&run(&c, &s1)));
    }

    #[test]
    fn unauthorized_client_for_grant() {
        let mut c = cfg(&[]);
        if let Some(cl) = c.clients.iter_mut().find(|cl| cl.id == "c2") {
            cl.grant_types = vec!["client_credentials".into()];
        }
        let q = base()
            .replace("client_id=c1", "client_id=c2")
            .replace("c1.example", "c2.example");
        assert_eq!(error_of(&run(&c, &q)), Some("unauthorized_client"));
    }

    #[test]
    fn loopback_and_query_redirects() {
        let c = cfg(&[]);
        let n1 = format!("response_type=code&client_id=n1&redirect_uri=http%3A%2F%2F127.0.0.1%3A49152%2Fcb&scope=openid&code_challenge={CH}&code_challenge_method=S256");
        match run(&c, &n1) {
            Validation::Valid(r) => assert_eq!(r.redirect_uri, "http://127.0.0.1:49152/cb"),
            v => panic!("{v:?}"),
        }
        assert!(is_page(&run(&c, &n1.replace("%2Fcb", "%2Fcb2"))));
        let q1 = format!("response_type=code&client_id=q1&redirect_uri=https%3A%2F%2Fq1.example%2Fcb%3Ftenant%3Da&scope=openid&code_challenge={CH}&code_challenge_method=S256");
        assert!(matches!(run(&c, &q1), Validation::Valid(_)));
    }

    #[test]
    fn pkce_faults() {
        let b = base();
        let no_ch = b.replace(
            &format!("&code_challenge={CH}&code_challenge_method=S256"),
            "",
        );
        let c = cfg(&[Fault::PkceOptional]);
        assert!(matches!(
            run(&c, &no_ch),
            Validation::Valid(AuthzRequest {
                challenge: None,
                ..
            })
        ));
        let c = cfg(&[Fault::PkcePublicOnly]);
        assert!(matches!(run(&c, &no_ch), Validation::Valid(_)));
        let p2 = no_ch
            .replace("client_id=c1", "client_id=p2")
            .replace("c1.example", "p2.example");
        assert_eq!(error_of(&run(&c, &p2)), Some("invalid_request"));
        let c = cfg(&[Fault::PkceAllowPlain]);
        assert!(matches!(
            run(&c, &b.replace("method=S256", "method=plain")),
            Validation::Valid(_)
        ));
        let c = cfg(&[Fault::PkceDefaultPlain]);
        assert!(matches!(
            run(&c, &b.replace("&code_challenge_method=S256", "")),
            Validation::Valid(AuthzRequest {
                challenge: Some((_, PkceMethod::Plain)),
                ..
            })
        ));
        let c = cfg(&[Fault::PkceMethodCaseInsensitive]);
        assert!(matches!(
            run(&c, &b.replace("method=S256", "method=s256")),
            Validation::Valid(_)
        ));
    }

    #[test]
    fn redirect_faults() {
        let b = base();
        let c = cfg(&[Fault::RedirectPrefixMatch]);
        assert!(matches!(
            run(&c, &b.replace("%2Fcb", "%2Fcb%2Fevil")),
            Validation::Valid(_)
        ));
        let c = cfg(&[Fault::RedirectCaseInsensitive]);
        assert!(matches!(
            run(&c, &b.replace("c1.example", "C1.EXAMPLE")),
            Validation::Valid(_)
        ));
        let c = cfg(&[Fault::LoopbackAnyPortEverywhere]);
        assert!(matches!(
            run(&c, &b.replace("c1.example", "c1.example%3A8443")),
            Validation::Valid(_)
        ));
        let c = cfg(&[Fault::RedirectErrorToUnvalidated]);
        let evil = b.replace("c1.example%2Fcb", "evil.example%2Fcb");
        assert!(is_page(&run(&c, &evil)));
        match run(&c, &evil.replace("response_type=code&", "")) {
            Validation::ErrorRedirect { redirect_uri, .. } => {
                assert_eq!(redirect_uri, "https://evil.example/cb")
            }
            v => panic!("{v:?}"),
        }
        match run(&c, &evil.replace("client_id=c1", "client_id=nobody")) {
            Validation::ErrorRedirect { redirect_uri, .. } => {
                assert_eq!(redirect_uri, "https://evil.example/cb")
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn duplicates_last_wins_fault() {
        let c = cfg(&[Fault::DuplicateParamsLastWins]);
        match run(&c, &format!("{}&state=second", base())) {
            Validation::Valid(r) => assert_eq!(r.state.as_deref(), Some("second")),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn locations() {
        let app = AppState::new(cfg(&[]), "http://127.0.0.1:9".into());
        let loc = error_location(
            &app,
            "https://q1.example/cb?tenant=a",
            "invalid_scope",
            "bad \"x\"",
            Some("a b"),
        );
        assert_eq!(
            loc,
            "https://q1.example/cb?tenant=a&error=invalid_scope&error_description=bad%20x&state=a%20b&iss=http%3A%2F%2F127.0.0.1%3A9"
        );
        let app = AppState::new(
            cfg(&[Fault::StateDroppedOnError, Fault::IssMissingOnError]),
            "http://i".into(),
        );
        let loc = error_location(
            &app,
            "https://c1.example/cb",
            "access_denied",
            "no",
            Some("s"),
        );
        assert_eq!(
            loc,
            "https://c1.example/cb?error=access_denied&error_description=no"
        );
    }

    #[test]
    fn session_cookie_parsing() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("a=b; gc_session=xyz; c=d"));
        assert_eq!(session_id(&h).as_deref(), Some("xyz"));
        assert_eq!(session_id(&HeaderMap::new()), None);
    }
}
