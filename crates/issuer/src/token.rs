//! The token endpoint: authorization_code, refresh_token and
//! client_credentials grants.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use serde_json::{json, Map, Value};

use super::client_auth::{authenticate, constant_time_eq, AuthFailure, Policy};
use super::config::{
    parse_scope, ClientReg, GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS,
    GRANT_REFRESH_TOKEN, USER_ONLY_SCOPES,
};
use super::faults::Fault;
use super::keys;
use super::params::{is_form_content_type, parse_form_body, Params};
use super::pkce;
use super::redirect::{find_match, MatchMode};
use super::respond::{self, OAuthError};
use super::state::{AppState, Grant, Shared, Store, TokenKind, REFRESH_TOKEN_TTL};

/// Width of the check-to-consume window simulated by the `code_race` fault:
/// wide enough that a burst of concurrent redemptions lands inside it even
/// on a loaded machine running a debug build.
const RACE_WINDOW: Duration = Duration::from_millis(300);

/// The Authorization header: `None` if absent, `Some(None)` if unusable
/// (repeated or not visible ASCII).
pub fn authorization_header(headers: &HeaderMap) -> Option<Option<&str>> {
    let mut it = headers.get_all(AUTHORIZATION).iter();
    match (it.next(), it.next()) {
        (None, _) => None,
        (Some(v), None) => Some(v.to_str().ok()),
        (Some(_), Some(_)) => Some(None),
    }
}

/// Maps a client-authentication failure to the response: 401 + Basic
/// challenge whenever the Authorization header was used (or `always_401`,
/// for introspection and revocation), otherwise 400.
pub fn auth_error(f: AuthFailure, always_401: bool) -> OAuthError {
    if f.error == "invalid_client" && (f.header_used || always_401) {
        OAuthError::unauthorized_client_auth(f.description)
    } else {
        OAuthError::new(f.error, f.description)
    }
}

/// Parses a back-channel form request: POST, form content type, no query
/// parameters (ADV-16: credentials in URLs end up in logs), no duplicates.
pub fn parse_post_form(
    app: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Params, OAuthError> {
    if uri.query().is_some_and(|q| !q.is_empty()) {
        return Err(OAuthError::new(
            "invalid_request",
            "parameters must not be sent in the query string",
        ));
    }
    if !form_content_type(app, headers) && !app.fault(Fault::TokenAnyContentType) {
        return Err(OAuthError::new(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let params = parse_form_body(body)
        .map_err(|_| OAuthError::new("invalid_request", "the body is not valid UTF-8"))?;
    reject_duplicates(app, &params)?;
    Ok(params)
}

/// The form media type, parameters allowed (TOK-10), or under the
/// `form_content_type_exact` fault only the bare string.
fn form_content_type(app: &AppState, headers: &HeaderMap) -> bool {
    if !app.fault(Fault::FormContentTypeExact) {
        return is_form_content_type(headers);
    }
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/x-www-form-urlencoded")
}

/// The token endpoint's form, with the parsing faults of ADV-36, ADV-37
/// and ADV-42..ADV-44 (introspection and revocation share the parsing, not
/// the faults).
fn token_form(
    app: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Params, OAuthError> {
    let undecodable = super::params::has_broken_escape(body) || parse_form_body(body).is_err();
    if undecodable && app.fault(Fault::BadEncoding500) && is_form_content_type(headers) {
        return Err(OAuthError::server_error());
    }
    sloppy_parsing(app, parse_post_form(app, uri, headers, body)?)
}

/// A client id a query built by pasting would choke on (ADV-44).
fn injected(id: &str) -> bool {
    id.contains(['\'', '"', '(', ')'])
}

/// The parsing faults of a back-channel form: what a careless server does
/// with a decoded form (ADV-36, ADV-37, ADV-42, ADV-43, ADV-44).
fn sloppy_parsing(app: &AppState, params: Params) -> Result<Params, OAuthError> {
    let long = params.pairs().iter().any(|(_, v)| v.len() > 1024);
    let nul = params.pairs().iter().any(|(_, v)| v.contains('\0'));
    let injection = params.get_raw("client_id").is_some_and(injected);
    if (long && app.fault(Fault::OversizedParam500))
        || (nul && app.fault(Fault::BadEncoding500))
        || (injection && app.fault(Fault::ClientLookupInjection500))
    {
        return Err(OAuthError::server_error());
    }
    let mut pairs = params.pairs().to_vec();
    if app.fault(Fault::ParamsDoubleDecoded) {
        for (_, v) in pairs.iter_mut() {
            if let Ok(d) = super::params::form_decode(v.as_bytes()) {
                *v = d;
            }
        }
    }
    if app.fault(Fault::ParamNamesCaseInsensitive) {
        for (n, _) in pairs.iter_mut() {
            *n = n.to_ascii_lowercase();
        }
    }
    Ok(Params::from_pairs(pairs))
}

pub fn reject_duplicates(app: &AppState, params: &Params) -> Result<(), OAuthError> {
    if !app.fault(Fault::DuplicateParamsLastWins) && params.first_duplicate().is_some() {
        return Err(OAuthError::new(
            "invalid_request",
            "a parameter was sent more than once",
        ));
    }
    Ok(())
}

/// POST /token (any method is routed here so that GET gets a JSON 405).
pub async fn token(
    State(app): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    if method == Method::TRACE && app.fault(Fault::TraceEcho) {
        return trace_echo(&method, &uri, &headers);
    }
    match handle(&app, &method, &uri, &headers, &body).await {
        Ok(resp) => resp,
        Err(e) if app.fault(Fault::ErrorEchoesInput) => echo_input(e, &body).render(&app),
        Err(e) => e.render(&app),
    }
}

/// The `trace_echo` fault (ADV-39): TRACE answered as RFC 9110 §9.3.8
/// describes it, the request (Authorization header included) as the body.
fn trace_echo(method: &Method, uri: &Uri, headers: &HeaderMap) -> Response<Body> {
    let mut text = format!("{method} {uri} HTTP/1.1\r\n");
    for (name, value) in headers {
        text.push_str(&format!(
            "{name}: {}\r\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    let mut resp = Response::new(Body::from(text));
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("message/http"),
    );
    resp
}

/// The `error_echoes_input` fault: the error repeats what it was sent.
fn echo_input(mut e: OAuthError, body: &[u8]) -> OAuthError {
    let params = Params::parse(body).unwrap_or_default();
    for name in ["code", "code_verifier", "client_secret"] {
        if let Some(v) = params.get(name, false) {
            e.description.push_str(&format!(" ({name} {v})"));
        }
    }
    e
}

async fn handle(
    app: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response<Body>, OAuthError> {
    let params = if *method == Method::POST {
        token_form(app, uri, headers, body)?
    } else if *method == Method::GET && app.fault(Fault::TokenGetAllowed) {
        let p = Params::parse(uri.query().unwrap_or("").as_bytes())
            .map_err(|_| OAuthError::new("invalid_request", "invalid query"))?;
        reject_duplicates(app, &p)?;
        p
    } else {
        return Ok(respond::method_not_allowed(app, "POST"));
    };
    let lw = app.fault(Fault::DuplicateParamsLastWins);

    let basic = authorization_header(headers).map(|h| h.and_then(super::client_auth::parse_basic));
    if app.fault(Fault::MalformedBasic500) && basic.as_ref().is_some_and(Option::is_none) {
        return Err(OAuthError::server_error());
    }
    let basic_id = basic.flatten().map(|(id, _)| id);
    if app.fault(Fault::ClientLookupInjection500) && basic_id.as_deref().is_some_and(injected) {
        return Err(OAuthError::server_error());
    }
    let client = match header_identified(app, headers, &params, lw)?
        .or_else(|| rt_identified(app, headers, &params, lw))
    {
        Some(c) => c,
        None => {
            authenticate(
                &app.config,
                authorization_header(headers),
                &params,
                Policy::AllowPublic,
            )
            .map_err(|f| auth_error(f, false))?
            .client
        }
    };

    if !client.approved && !app.fault(Fault::UnapprovedClientWorks) {
        return Err(OAuthError::new(
            "unauthorized_client",
            "the client is not approved",
        ));
    }
    let Some(grant_type) = params.get("grant_type", lw) else {
        if app.fault(Fault::MissingParam500) {
            let body = json!({"error": "server_error", "error_description": "internal error"});
            return Ok(respond::json(
                app,
                StatusCode::INTERNAL_SERVER_ERROR,
                &body,
                true,
            ));
        }
        return Err(OAuthError::new("invalid_request", "grant_type is required"));
    };
    let grant_type = match app.fault(Fault::GrantTypeCaseInsensitive) {
        true => [
            GRANT_AUTHORIZATION_CODE,
            GRANT_REFRESH_TOKEN,
            GRANT_CLIENT_CREDENTIALS,
        ]
        .into_iter()
        .find(|g| g.eq_ignore_ascii_case(grant_type))
        .unwrap_or(grant_type),
        false => grant_type,
    };
    if grant_type == "password" && app.fault(Fault::PasswordGrantAllowed) {
        let issued = password_grant(app, client, &params, lw)?;
        return Ok(token_response(app, &issued));
    }
    if ![
        GRANT_AUTHORIZATION_CODE,
        GRANT_REFRESH_TOKEN,
        GRANT_CLIENT_CREDENTIALS,
    ]
    .contains(&grant_type)
    {
        let code = if app.fault(Fault::UnsupportedGrantAsInvalidGrant) {
            "invalid_grant"
        } else {
            "unsupported_grant_type"
        };
        return Err(OAuthError::new(code, "unsupported grant_type"));
    }
    let public_cc = app.fault(Fault::PublicClientCredentials)
        && client.is_public()
        && grant_type == GRANT_CLIENT_CREDENTIALS;
    if !client.has_grant(grant_type) && !app.fault(Fault::GrantTypeNotChecked) && !public_cc {
        return Err(OAuthError::new(
            "unauthorized_client",
            "the client may not use this grant type",
        ));
    }
    let issued = match grant_type {
        GRANT_AUTHORIZATION_CODE => code_grant(app, client, &params, lw).await?,
        GRANT_REFRESH_TOKEN => refresh_grant(app, client, &params, lw)?,
        _ => client_credentials_grant(app, client, &params, lw)?,
    };
    Ok(token_response(app, &issued))
}

/// Bud's refresh (seed 004): `X-Client-Id` and no other credentials
/// identify a confidential client on the refresh_token grant. RFC 6749 §6
/// wants the client authenticated there (CAUTH-04); the dialect does what
/// the seed documents, and the suite reports it.
fn header_identified<'a>(
    app: &'a AppState,
    headers: &HeaderMap,
    params: &Params,
    lw: bool,
) -> Result<Option<&'a ClientReg>, OAuthError> {
    let Some(name) = app.config.dialect.wire().refresh_client_id_header else {
        return Ok(None);
    };
    let other_credentials = authorization_header(headers).is_some()
        || params.has("client_secret")
        || params.has("client_id");
    if params.get("grant_type", lw) != Some(GRANT_REFRESH_TOKEN) || other_credentials {
        return Ok(None);
    }
    let Some(id) = headers.get(name).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    match app.config.client(id) {
        Some(c) if !c.is_public() => Ok(Some(c)),
        _ => Err(OAuthError::unauthorized_client_auth(
            "client authentication failed",
        )),
    }
}

/// The `public_rt_without_client_id` fault (RT-11): a refresh that names
/// no client at all is served for the client the token belongs to, when
/// that client is public.
fn rt_identified<'a>(
    app: &'a AppState,
    headers: &HeaderMap,
    params: &Params,
    lw: bool,
) -> Option<&'a ClientReg> {
    let anonymous = authorization_header(headers).is_none()
        && !params.has("client_id")
        && !params.has("client_secret");
    if !app.fault(Fault::PublicRtWithoutClientId)
        || !anonymous
        || params.get("grant_type", lw) != Some(GRANT_REFRESH_TOKEN)
    {
        return None;
    }
    let owner = app
        .store()
        .tokens
        .get(params.get("refresh_token", lw)?)?
        .client_id
        .clone();
    app.config.client(&owner).filter(|c| c.is_public())
}

/// Mints an access token: opaque, or an RS256 JWT when the dialect says so
/// (seed 003: iss, sub, aud, exp, iat, scope, client_id; `jti` is the
/// random opaque token the record was first stored under, RFC 9068 §2.2).
/// Either way the store keys the token by the exact string handed out, so
/// revocation and introspection work alike.
fn issue_access(
    app: &AppState,
    store: &mut Store,
    grant: u64,
    client_id: &str,
    sub: Option<&str>,
    scopes: Vec<String>,
) -> String {
    let opaque = store.issue_token(TokenKind::Access, grant, client_id, scopes, app.at_ttl());
    let Some(aud) = app.config.dialect.wire().jwt_access_token_audience else {
        return opaque;
    };
    let Some(rec) = store.tokens.remove(&opaque) else {
        return opaque;
    };
    let exp = if app.fault(Fault::AtLifetimeMismatch) {
        rec.iat + 86_400
    } else {
        rec.exp
    };
    let claims = json!({
        "iss": app.issuer,
        "sub": sub.unwrap_or(client_id),
        "aud": aud,
        "exp": exp,
        "iat": rec.iat,
        "scope": rec.scopes.join(" "),
        "client_id": client_id,
        "jti": opaque,
    });
    let typ = if app.fault(Fault::AtMissingTyp) {
        "JWT"
    } else {
        "at+jwt"
    };
    match keys::signing_key().sign_typed(typ, &claims) {
        Some(jwt) => {
            store.tokens.insert(jwt.clone(), rec);
            jwt
        }
        // Signing cannot fail with a valid key; keep the opaque token then.
        None => {
            store.tokens.insert(opaque.clone(), rec);
            opaque
        }
    }
}

/// What a successful grant produced; the JSON (and the ID token, which is
/// signed outside the store lock) is built from it.
#[derive(Clone, Debug)]
pub struct Issued {
    pub client_id: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: Vec<String>,
    /// (sub, auth_time, nonce) when an ID token is due.
    pub id_token: Option<(String, Option<u64>, Option<String>)>,
}

fn invalid_grant(desc: &str) -> OAuthError {
    OAuthError::new("invalid_grant", desc)
}

fn bad_code(app: &AppState) -> OAuthError {
    if app.fault(Fault::WrongErrorCode) {
        OAuthError::new("invalid_code", "unknown code")
    } else {
        invalid_grant("the code is invalid or expired")
    }
}

/// Finds the stored code: exact match (or by prefix under the fault).
fn lookup_code(app: &AppState, store: &Store, code: &str) -> Option<String> {
    if store.codes.contains_key(code) {
        return Some(code.to_string());
    }
    if app.fault(Fault::CodePrefixLookup) {
        return store
            .codes
            .keys()
            .find(|k| k.starts_with(code) || code.starts_with(k.as_str()))
            .cloned();
    }
    if app.fault(Fault::CodeLookupCaseInsensitive) {
        return store
            .codes
            .keys()
            .find(|k| k.eq_ignore_ascii_case(code))
            .cloned();
    }
    None
}

/// The `code_lookup_any_token` fault (ADV-41): one store for codes and
/// tokens, so a live access or refresh token of the client, sent as `code`,
/// buys a fresh access token on its grant.
fn token_as_code(
    app: &AppState,
    store: &mut Store,
    client: &ClientReg,
    code: &str,
) -> Option<Issued> {
    let rec = store.tokens.get(code)?;
    if rec.client_id != client.id || rec.revoked || store.expired(rec.exp) {
        return None;
    }
    let (grant, scopes) = (rec.grant, rec.scopes.clone());
    let access_token = issue_access(app, store, grant, &client.id, None, scopes.clone());
    Some(Issued {
        client_id: client.id.clone(),
        access_token,
        refresh_token: None,
        scopes,
        id_token: None,
    })
}

/// All checks on a code redemption. Failures other than reuse leave the
/// code untouched (CODE-03, ADV-12: a thief must not burn the real client's
/// code or tokens). Returns the stored key.
fn check_code(
    app: &AppState,
    store: &mut Store,
    client: &ClientReg,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    smuggled_challenge: Option<&str>,
) -> Result<String, OAuthError> {
    let key = lookup_code(app, store, code).ok_or_else(|| bad_code(app))?;
    let rec = store.codes.get(&key).ok_or_else(|| bad_code(app))?;
    if store.expired(rec.expires) {
        return Err(bad_code(app));
    }
    if rec.used && app.fault(Fault::UnauthenticatedReplayRevokes) {
        // The fault: any replay burns the grant, before PKCE says who sent it.
        for g in rec.grants.clone() {
            store.revoke_grant(g);
        }
        return Err(invalid_grant("the code has already been used"));
    }
    if rec.client_id != client.id {
        let skip = app.fault(Fault::CodeNotClientBound)
            || (app.fault(Fault::PublicCodeNotClientBound) && client.is_public());
        if !skip {
            return Err(invalid_grant("the code was issued to another client"));
        }
    }
    if app.fault(Fault::TokenRedirectUriRegistered) {
        match redirect_uri {
            Some(r) if find_match(&client.redirect_uris, r, MatchMode::default()).is_none() => {
                return Err(invalid_grant("redirect_uri does not match"));
            }
            None if rec.redirect_sent.is_some() => {
                return Err(invalid_grant("redirect_uri is required"))
            }
            Some(_) | None => {}
        }
    } else {
        match (&rec.redirect_sent, redirect_uri) {
            (Some(bound), Some(r)) if bound == r => {}
            (Some(_), Some(_)) => return Err(invalid_grant("redirect_uri does not match")),
            (Some(_), None) if app.fault(Fault::TokenRedirectUriOptional) => {}
            (Some(_), None) => return Err(invalid_grant("redirect_uri is required")),
            (None, Some(r)) if r != rec.redirect_uri => {
                return Err(invalid_grant("redirect_uri does not match"))
            }
            (None, _) => {}
        }
    }
    if let Some((challenge, method)) = &rec.challenge {
        match verifier {
            None if app.fault(Fault::PkceOptional) => {}
            None => return Err(invalid_grant("code_verifier is required")),
            Some(v) => {
                if !app.fault(Fault::PkceNoVerifierSyntaxCheck) && !pkce::is_valid_verifier(v) {
                    return Err(invalid_grant("code_verifier is malformed"));
                }
                // Off-by-one bounds: `43 < len < 128` instead of `43 <= len <= 128`.
                if app.fault(Fault::PkceVerifierBoundsExclusive) && !(44..=127).contains(&v.len()) {
                    return Err(invalid_grant("code_verifier is malformed"));
                }
                // The `pkce_challenge_from_token_request` fault (ADV-34)
                // checks the verifier against a challenge the token request
                // itself carries.
                let challenge = smuggled_challenge.unwrap_or(challenge);
                if !app.fault(Fault::PkceSkipCompare) && !pkce::verify(*method, challenge, v) {
                    return Err(invalid_grant("code_verifier does not match the challenge"));
                }
            }
        }
    } else if verifier.is_some() && !app.fault(Fault::PkceStrayVerifierAccepted) {
        // PKCE downgrade (RFC 9700 §4.8.2): a verifier for a code that was
        // issued without a challenge means someone stripped the challenge.
        return Err(OAuthError::new(
            "invalid_request",
            "code_verifier sent for a code issued without a code_challenge",
        ));
    }
    if rec.used {
        // RFC 6749 §4.1.2: a replayed code means it leaked; revoke what was
        // issued from it (the replay passed client auth and PKCE).
        if !app.fault(Fault::CodeReuseNoRevoke) {
            let grants = rec.grants.clone();
            for g in grants {
                store.revoke_grant(g);
            }
        }
        return Err(invalid_grant("the code has already been used"));
    }
    Ok(key)
}

/// Marks the code used and mints the grant and tokens.
fn commit_code(
    app: &AppState,
    store: &mut Store,
    key: &str,
    client: &ClientReg,
    widened: Option<Vec<String>>,
) -> Option<Issued> {
    let rec = store.codes.get_mut(key)?;
    if !app.fault(Fault::CodeReusable) {
        rec.used = true;
    }
    let scopes = widened.unwrap_or_else(|| rec.scopes.clone());
    let sub = rec.sub.clone();
    let auth_time = rec.auth_time;
    let nonce = rec.nonce.clone();
    let gid = store.new_grant(Grant {
        client_id: client.id.clone(),
        sub: Some(sub.clone()),
        scopes: scopes.clone(),
        auth_time: Some(auth_time),
        revoked: false,
    });
    if let Some(rec) = store.codes.get_mut(key) {
        rec.grants.push(gid);
    }
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let access_token = issue_access(app, store, gid, &client.id, Some(&sub), scopes.clone());
    let wants_rt = has("offline_access")
        || app.fault(Fault::RtWithoutOfflineAccess)
        || app.config.dialect.wire().refresh_without_offline_access;
    let refresh_token = (wants_rt && client.has_grant(GRANT_REFRESH_TOKEN)).then(|| {
        store.issue_token(
            TokenKind::Refresh,
            gid,
            &client.id,
            scopes.clone(),
            REFRESH_TOKEN_TTL,
        )
    });
    let wants_idt = has("openid") || app.fault(Fault::IdTokenWithoutOpenid);
    Some(Issued {
        client_id: client.id.clone(),
        access_token,
        refresh_token,
        id_token: wants_idt.then_some((sub, Some(auth_time), nonce)),
        scopes,
    })
}

async fn code_grant(
    app: &AppState,
    client: &ClientReg,
    params: &Params,
    lw: bool,
) -> Result<Issued, OAuthError> {
    let code = params
        .get("code", lw)
        .ok_or_else(|| OAuthError::new("invalid_request", "code is required"))?;
    let redirect_uri = params.get("redirect_uri", lw);
    let verifier = params.get("code_verifier", lw);
    if let Some(v) = verifier {
        app.store()
            .handed_out
            .push(("code_verifier", v.to_string()));
    }
    let gone = || invalid_grant("the code is invalid or expired");
    // The `code_exchange_scope_honoured` fault (CODE-09): a scope on the
    // exchange replaces the consented one, within the client's scopes.
    let widened = params.get("scope", lw).map(parse_scope).filter(|s| {
        app.fault(Fault::CodeExchangeScopeHonoured) && s.iter().all(|x| client.allows_scope(x))
    });
    let smuggled = params
        .get("code_challenge", lw)
        .filter(|_| app.fault(Fault::PkceChallengeFromTokenRequest));
    if app.fault(Fault::CodeLookupAnyToken) {
        if let Some(issued) = token_as_code(app, &mut app.store(), client, code) {
            return Ok(issued);
        }
    }

    let check =
        |store: &mut Store| check_code(app, store, client, code, redirect_uri, verifier, smuggled);
    if !app.fault(Fault::CodeRace) {
        // One lock across check and consume: concurrent redemptions of the
        // same code serialise here and exactly one succeeds (CODE-08).
        let mut store = app.store();
        let key = check(&mut store)?;
        return commit_code(app, &mut store, &key, client, widened).ok_or_else(gone);
    }
    // Faulty variant: check, release the lock, then consume (TOCTOU).
    let key = check(&mut app.store())?;
    tokio::time::sleep(RACE_WINDOW).await;
    let mut store = app.store();
    commit_code(app, &mut store, &key, client, widened).ok_or_else(gone)
}

fn refresh_grant(
    app: &AppState,
    client: &ClientReg,
    params: &Params,
    lw: bool,
) -> Result<Issued, OAuthError> {
    let rt = params
        .get("refresh_token", lw)
        .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is required"))?;
    let requested = match params.get("scope", lw) {
        None if params.count("scope") > 0 && app.fault(Fault::EmptyRefreshScopeAsAll) => {
            Some(client.scopes.clone())
        }
        other => other
            .map(|raw| sloppy_scope(app, raw, &client.scopes))
            .filter(|s| !s.is_empty()),
    };
    let invalid = || invalid_grant("the refresh token is invalid");

    let mut store = app.store();
    let rt = store.token_key(rt).ok_or_else(invalid)?;
    let rt = rt.as_str();
    let rec = store.tokens.get(rt).cloned().ok_or_else(invalid)?;
    let kind_ok = rec.kind == TokenKind::Refresh
        || (rec.kind == TokenKind::Access && app.fault(Fault::RtAcceptsAccessToken));
    if !kind_ok {
        return Err(invalid());
    }
    if rec.client_id != client.id && !app.fault(Fault::RtNotClientBound) {
        return Err(invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    let grant = store.grants.get(&rec.grant).cloned().ok_or_else(invalid)?;
    if grant.revoked || rec.revoked || store.expired(rec.exp) {
        return Err(invalid());
    }
    if rec.rotated {
        // Replay of a rotated-out RT: either the client or an attacker holds
        // a stolen copy, so the whole family dies (RFC 9700 §4.14.2).
        if !app.fault(Fault::RotationNoFamilyRevoke) {
            store.revoke_grant(rec.grant);
        }
        return Err(invalid_grant("the refresh token has already been used"));
    }
    let scopes = match requested {
        None => grant.scopes.clone(),
        Some(req) => {
            let allowed = |s: &String| {
                grant.scopes.contains(s)
                    || (app.fault(Fault::RefreshScopeEscalation) && app.config.is_known_scope(s))
                    || app.fault(Fault::EmptyRefreshScopeAsAll)
            };
            if !req.iter().all(allowed) {
                return Err(OAuthError::new(
                    "invalid_scope",
                    "the requested scope exceeds the original grant",
                ));
            }
            req
        }
    };
    // Rotation: the new RT carries the ORIGINAL grant scope, so narrowing
    // one access token never narrows the grant (RT-08); the fault does.
    if app.fault(Fault::RotatedRtNarrowed) {
        if let Some(g) = store.grants.get_mut(&rec.grant) {
            g.scopes = scopes.clone();
        }
    }
    let refresh_token = if app.fault(Fault::NoRtRotation) && rec.kind == TokenKind::Refresh {
        rt.to_string()
    } else {
        if let Some(old) = store.tokens.get_mut(rt) {
            if old.kind == TokenKind::Refresh {
                old.rotated = true;
            }
        }
        store.issue_token(
            TokenKind::Refresh,
            rec.grant,
            &client.id,
            grant.scopes.clone(),
            REFRESH_TOKEN_TTL,
        )
    };
    // The fault hands back the grant's newest live access token.
    let previous = app
        .fault(Fault::RefreshSameAccessToken)
        .then(|| {
            store
                .tokens
                .iter()
                .filter(|(_, t)| t.grant == rec.grant && t.kind == TokenKind::Access && !t.revoked)
                .max_by_key(|(_, t)| t.iat)
                .map(|(k, _)| k.clone())
        })
        .flatten();
    let access_token = match previous {
        Some(at) => at,
        None => issue_access(
            app,
            &mut store,
            rec.grant,
            &client.id,
            grant.sub.as_deref(),
            scopes.clone(),
        ),
    };
    drop(store);
    let wants_idt =
        grant.scopes.iter().any(|s| s == "openid") || app.fault(Fault::IdTokenWithoutOpenid);
    // OIDC Core §12.2: same sub and aud, original auth_time; no nonce.
    let id_token = match (&grant.sub, wants_idt) {
        (Some(_), true) if app.fault(Fault::RefreshIdtSubOfClient) => {
            Some((client.id.clone(), grant.auth_time, None))
        }
        (Some(sub), true) => Some((sub.clone(), grant.auth_time, None)),
        _ => None,
    };
    Ok(Issued {
        client_id: client.id.clone(),
        access_token,
        refresh_token: Some(refresh_token),
        scopes,
        id_token,
    })
}

/// The `password_grant_allowed` fault: the resource owner password grant
/// (RFC 6749 §4.3) that RFC 9700 §2.4 forbids, with the client's scopes.
fn password_grant(
    app: &AppState,
    client: &ClientReg,
    params: &Params,
    lw: bool,
) -> Result<Issued, OAuthError> {
    let (Some(name), Some(password)) = (params.get("username", lw), params.get("password", lw))
    else {
        return Err(OAuthError::new(
            "invalid_request",
            "username and password are required",
        ));
    };
    let user = app
        .config
        .users
        .iter()
        .find(|u| {
            u.username == name && constant_time_eq(u.password.as_bytes(), password.as_bytes())
        })
        .ok_or_else(|| invalid_grant("wrong username or password"))?;
    let scopes = client.scopes.clone();
    let mut store = app.store();
    let auth_time = store.now();
    let gid = store.new_grant(Grant {
        client_id: client.id.clone(),
        sub: Some(user.sub.clone()),
        scopes: scopes.clone(),
        auth_time: Some(auth_time),
        revoked: false,
    });
    let access_token = issue_access(
        app,
        &mut store,
        gid,
        &client.id,
        Some(&user.sub),
        scopes.clone(),
    );
    Ok(Issued {
        client_id: client.id.clone(),
        access_token,
        refresh_token: None,
        scopes,
        id_token: None,
    })
}

fn client_credentials_grant(
    app: &AppState,
    client: &ClientReg,
    params: &Params,
    lw: bool,
) -> Result<Issued, OAuthError> {
    // Registered for the grant but public: never mint machine tokens
    // without authentication.
    if client.is_public() && !app.fault(Fault::PublicClientCredentials) {
        return Err(OAuthError::new(
            "unauthorized_client",
            "public clients may not use client_credentials",
        ));
    }
    // No end user, so user scopes (openid, offline_access, ...) never apply.
    let allowed: Vec<String> = client
        .scopes
        .iter()
        .filter(|s| !USER_ONLY_SCOPES.contains(&s.as_str()))
        .cloned()
        .collect();
    let scopes = match params
        .get("scope", lw)
        .map(|raw| sloppy_scope(app, raw, &allowed))
        .filter(|s| !s.is_empty())
    {
        None => allowed,
        Some(req) => {
            let ok = |s: &String| {
                allowed.contains(s)
                    || (app.fault(Fault::CcScopeUnchecked) && app.config.is_known_scope(s))
            };
            if !req.iter().all(ok) {
                return Err(OAuthError::new(
                    "invalid_scope",
                    "a requested scope is not allowed for this client",
                ));
            }
            req
        }
    };
    let mut store = app.store();
    let gid = store.new_grant(Grant {
        client_id: client.id.clone(),
        sub: None,
        scopes: scopes.clone(),
        auth_time: None,
        revoked: false,
    });
    let access_token = issue_access(app, &mut store, gid, &client.id, None, scopes.clone());
    let cc_rt = app.fault(Fault::CcIssuesRefreshToken)
        || (app.config.dialect.wire().cc_refresh_token && client.has_grant(GRANT_REFRESH_TOKEN));
    let refresh_token = cc_rt.then(|| {
        store.issue_token(
            TokenKind::Refresh,
            gid,
            &client.id,
            scopes.clone(),
            REFRESH_TOKEN_TTL,
        )
    });
    Ok(Issued {
        client_id: client.id.clone(),
        access_token,
        refresh_token,
        scopes,
        id_token: None,
    })
}

/// A requested scope list, read as RFC 6749 §3.3 says (space-delimited,
/// case-sensitive) unless a fault splits on commas (ADV-47) or folds case
/// onto the client's allowed values (ADV-28).
fn sloppy_scope(app: &AppState, raw: &str, allowed: &[String]) -> Vec<String> {
    let raw = match app.fault(Fault::ScopeSplitOnComma) {
        true => raw.replace(',', " "),
        false => raw.to_string(),
    };
    let mut scopes = parse_scope(&raw);
    if app.fault(Fault::ScopeCaseInsensitive) {
        for s in scopes.iter_mut() {
            if let Some(a) = allowed.iter().find(|a| a.eq_ignore_ascii_case(s)) {
                *s = a.clone();
            }
        }
    }
    scopes
}

/// The subject identifier as ID tokens and userinfo show it: the user's, or
/// under the `sub_too_long` fault padded to 300 characters (IDT-11).
pub fn shown_sub(app: &AppState, sub: &str) -> String {
    match app.fault(Fault::SubTooLong) {
        true => format!(
            "{sub}-{}",
            "x".repeat(300usize.saturating_sub(sub.len() + 1))
        ),
        false => sub.to_string(),
    }
}

/// The ID token claims (OIDC Core §2, §3.1.3.6).
pub fn id_token_claims(
    app: &AppState,
    client_id: &str,
    sub: &str,
    auth_time: Option<u64>,
    nonce: Option<&str>,
    access_token: &str,
) -> Value {
    let iat = app.now();
    let mut c = Map::new();
    let iss = match app.fault(Fault::IdtIssTrailingSlash) {
        true => format!("{}/", app.issuer),
        false => app.issuer.clone(),
    };
    c.insert("iss".into(), json!(iss));
    let sub = match app.fault(Fault::SubPerLogin) {
        true => format!("{sub}.{}", crate::state::random_token()),
        false => shown_sub(app, sub),
    };
    c.insert("sub".into(), json!(sub));
    c.insert("aud".into(), json!(client_id));
    c.insert(
        "exp".into(),
        json!(iat + app.config.access_token_ttl.max(1)),
    );
    c.insert("iat".into(), json!(iat));
    // OIDC Core §2: azp, when present, is the client the token was issued to.
    let azp = match app.fault(Fault::AzpOtherClient) {
        true => format!("{client_id}-other"),
        false => client_id.to_string(),
    };
    c.insert("azp".into(), json!(azp));
    if let Some(t) = auth_time.filter(|_| !app.fault(Fault::AuthTimeMissing)) {
        c.insert("auth_time".into(), json!(t));
    }
    if let Some(n) = nonce {
        if !app.fault(Fault::NonceDropped) {
            c.insert("nonce".into(), json!(n));
        }
    }
    let at_hash = match app.fault(Fault::AtHashFullDigest) {
        true => keys::sha256_b64(access_token),
        false => keys::at_hash(access_token),
    };
    c.insert("at_hash".into(), json!(at_hash));
    Value::Object(c)
}

fn token_response(app: &AppState, issued: &Issued) -> Response<Body> {
    let wire = app.config.dialect.wire();
    let mut body = Map::new();
    body.insert("access_token".into(), json!(issued.access_token));
    let token_type = if app.fault(Fault::TokenTypeInvented) {
        "access"
    } else {
        wire.token_type
    };
    body.insert("token_type".into(), json!(token_type));
    if app.fault(Fault::ExpiresInString) {
        body.insert("expires_in".into(), json!(app.at_ttl().to_string()));
    } else {
        body.insert("expires_in".into(), json!(app.at_ttl()));
    }
    // An issuer without scopes (Bud) has nothing to report.
    if !issued.scopes.is_empty() {
        let reported = if app.fault(Fault::ScopeOverReported) {
            app.config
                .client(&issued.client_id)
                .map(|c| c.scopes.join(" "))
                .unwrap_or_else(|| issued.scopes.join(" "))
        } else {
            issued.scopes.join(" ")
        };
        body.insert("scope".into(), json!(reported));
    }
    if let Some(rt) = &issued.refresh_token {
        body.insert("refresh_token".into(), json!(rt));
    }
    if let Some((sub, auth_time, nonce)) = &issued.id_token {
        let claims = id_token_claims(
            app,
            &issued.client_id,
            sub,
            *auth_time,
            nonce.as_deref(),
            &issued.access_token,
        );
        let jwt = if app.fault(Fault::IdtAlgNone) {
            Some(keys::unsigned_jwt(&claims))
        } else {
            keys::signing_key().sign(&claims)
        };
        match jwt {
            Some(jwt) => {
                body.insert("id_token".into(), json!(jwt));
            }
            None => {
                let err = OAuthError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    ..OAuthError::new("server_error", "could not sign the ID token")
                };
                return err.render(app);
            }
        }
    }
    {
        let mut store = app.store();
        for kind in ["access_token", "refresh_token", "id_token"] {
            if let Some(v) = body.get(kind).and_then(Value::as_str) {
                store.handed_out.push((kind, v.to_string()));
            }
        }
    }
    let body = match wire.token_envelope {
        // Bud: {"operation_id": "oauth_token_post", "data": {...}}.
        Some((member, operation)) => json!({"operation_id": operation, member: body}),
        None => Value::Object(body),
    };
    respond::json(app, StatusCode::OK, &body, true)
}
