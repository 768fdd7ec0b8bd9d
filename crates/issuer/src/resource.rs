//! Token introspection (RFC 7662), revocation (RFC 7009) and UserInfo
//! (OIDC Core §5.3, RFC 6750 bearer usage).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use serde_json::{json, Map, Value};

use super::client_auth::{authenticate, Policy};
use super::faults::Fault;
use super::params::{is_form_content_type, parse_form_body, Params};
use super::respond::{self, OAuthError, REALM};
use super::state::{AppState, Shared, TokenKind};
use super::token::{auth_error, authorization_header, parse_post_form};

/// POST /introspect.
pub async fn introspect(
    State(app): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let params = match op_params(
        &app,
        &method,
        &uri,
        &headers,
        &body,
        Fault::IntrospectionGetAllowed,
    ) {
        Ok(p) => p,
        Err(refusal) => return refusal.render(&app),
    };
    match introspect_inner(&app, &params, &headers) {
        Ok(v) => respond::json(&app, StatusCode::OK, &v, true),
        Err(e) => e.render(&app),
    }
}

/// The parameters of an introspection or revocation request: a POST form,
/// or under `get_fault` a GET query as well (INTR-06, REV-08). The
/// `hostile_token_op_500` fault fails on long or NUL-carrying tokens (ADV-46).
fn op_params(
    app: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    get_fault: Fault,
) -> Result<Params, Refusal> {
    let params = match *method {
        Method::POST => parse_post_form(app, uri, headers, body),
        Method::GET if app.fault(get_fault) => Params::parse(uri.query().unwrap_or("").as_bytes())
            .map_err(|_| OAuthError::new("invalid_request", "invalid query")),
        _ => return Err(Refusal::Method),
    }
    .map_err(Refusal::Error)?;
    let hostile = params
        .get_raw("token")
        .is_some_and(|t| t.len() > 1024 || t.contains('\0'));
    if hostile && app.fault(Fault::HostileTokenOp500) {
        return Err(Refusal::Error(OAuthError::server_error()));
    }
    Ok(params)
}

/// Why an introspection or revocation request was not read.
enum Refusal {
    /// Not a POST: 405 with `Allow: POST`.
    Method,
    Error(OAuthError),
}

impl Refusal {
    fn render(&self, app: &AppState) -> Response<Body> {
        match self {
            Refusal::Method => respond::method_not_allowed(app, "POST"),
            Refusal::Error(e) => e.render(app),
        }
    }
}

fn introspect_inner(
    app: &AppState,
    params: &Params,
    headers: &HeaderMap,
) -> Result<Value, OAuthError> {
    // Authentication comes before anything about the token, so that an
    // unauthenticated caller learns nothing (INTR-01).
    if !app.fault(Fault::IntrospectionUnauthenticated) {
        authenticate(
            &app.config,
            authorization_header(headers),
            params,
            Policy::ConfidentialOnly,
        )
        .map_err(|f| auth_error(f, true))?;
    }
    let lw = app.fault(Fault::DuplicateParamsLastWins);
    let token = params
        .get("token", lw)
        .ok_or_else(|| OAuthError::new("invalid_request", "token is required"))?;
    // token_type_hint is only an optimisation hint; it never filters.
    let store = app.store();
    let found = match app.fault(Fault::IntrospectionIgnoresRevocation) {
        // The fault: the token's own record and expiry, never its grant's state.
        true => store
            .tokens
            .get(token)
            .filter(|r| !store.expired(r.exp))
            .and_then(|r| store.grants.get(&r.grant).map(|g| (r, g))),
        false => store.active_token(token),
    };
    let hinted_away = |kind: TokenKind| {
        let hint = params.get("token_type_hint", lw);
        app.fault(Fault::IntrospectionHintFilters)
            && matches!(
                (hint, kind),
                (Some("access_token"), TokenKind::Refresh)
                    | (Some("refresh_token"), TokenKind::Access)
            )
    };
    let Some((rec, grant)) = found.filter(|(r, _)| !hinted_away(r.kind)) else {
        if app.fault(Fault::IntrospectionUnknownTokenError) {
            return Err(OAuthError::new("invalid_token", "the token is not known"));
        }
        return Ok(json!({"active": false}));
    };
    let mut m = Map::new();
    m.insert("active".into(), json!(true));
    m.insert("client_id".into(), json!(rec.client_id));
    m.insert("scope".into(), json!(rec.scopes.join(" ")));
    m.insert("exp".into(), json!(rec.exp));
    m.insert("iat".into(), json!(rec.iat));
    let sub = grant.sub.clone().unwrap_or_else(|| grant.client_id.clone());
    m.insert("sub".into(), json!(sub));
    m.insert("iss".into(), json!(app.issuer));
    let token_type = match rec.kind {
        TokenKind::Access => "Bearer",
        TokenKind::Refresh => "refresh_token",
    };
    m.insert("token_type".into(), json!(token_type));
    Ok(Value::Object(m))
}

/// POST /revoke.
pub async fn revoke(
    State(app): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let params = match op_params(
        &app,
        &method,
        &uri,
        &headers,
        &body,
        Fault::RevocationGetAllowed,
    ) {
        Ok(p) => p,
        Err(refusal) => return refusal.render(&app),
    };
    match revoke_inner(&app, &params, &headers) {
        Ok(()) => {
            let mut resp = Response::new(Body::empty());
            respond::no_store(&app, &mut resp);
            resp
        }
        Err(e) => e.render(&app),
    }
}

fn revoke_inner(app: &AppState, params: &Params, headers: &HeaderMap) -> Result<(), OAuthError> {
    let lw = app.fault(Fault::DuplicateParamsLastWins);
    // Public clients may revoke their own tokens by client_id (RFC 7009
    // §2.1); confidential ones must authenticate.
    let client = match authenticate(
        &app.config,
        authorization_header(headers),
        params,
        Policy::AllowPublic,
    ) {
        Ok(a) => Some(a.client),
        // The fault: whoever names a client (or nobody) may revoke.
        Err(_) if app.fault(Fault::RevocationUnauthenticated) => None,
        Err(f) => return Err(auth_error(f, true)),
    };
    let token = params
        .get("token", lw)
        .ok_or_else(|| OAuthError::new("invalid_request", "token is required"))?;
    let mut store = app.store();
    // Unknown tokens get 200 too: an error would be an oracle (RFC 7009 §2.2).
    let Some(rec) = store.tokens.get(token).cloned() else {
        if app.fault(Fault::RevocationUnknownTokenError) {
            return Err(OAuthError::new("invalid_request", "the token is not known"));
        }
        return Ok(());
    };
    let owner = client.is_none_or(|c| c.id == rec.client_id);
    let public_any =
        app.fault(Fault::PublicRevocationNotClientBound) && client.is_some_and(|c| c.is_public());
    if !owner && !app.fault(Fault::RevokeOtherClientsTokens) && !public_any {
        // Not this client's token: answer 200 (no oracle) but touch nothing.
        return Ok(());
    }
    // The hint only orders the search (RFC 7009 §2.1); the fault obeys it.
    let hinted_away =
        params.get("token_type_hint", lw) == Some("access_token") && rec.kind == TokenKind::Refresh;
    if hinted_away && app.fault(Fault::RevocationHintFilters) {
        return Ok(());
    }
    if rec.kind == TokenKind::Access && app.fault(Fault::RevocationAccessTokenNoop) {
        return Ok(());
    }
    match rec.kind {
        TokenKind::Refresh if !app.fault(Fault::RevocationNoCascade) => {
            store.revoke_grant(rec.grant);
        }
        _ => {
            if let Some(r) = store.tokens.get_mut(token) {
                r.revoked = true;
            }
        }
    }
    Ok(())
}

/// The `WWW-Authenticate` value for a bearer-protected resource.
pub fn bearer_challenge(error: Option<&str>, scope: Option<&str>) -> String {
    let mut s = format!("Bearer realm=\"{REALM}\"");
    if let Some(e) = error {
        s.push_str(&format!(", error=\"{e}\""));
    }
    if let Some(sc) = scope {
        s.push_str(&format!(", scope=\"{sc}\""));
    }
    s
}

fn bearer_error(
    app: &AppState,
    status: StatusCode,
    error: Option<&str>,
    scope: Option<&str>,
) -> Response<Body> {
    let mut resp = match error {
        Some(e) => respond::json(app, status, &json!({"error": e}), true),
        None => {
            let mut r = Response::new(Body::empty());
            respond::no_store(app, &mut r);
            r
        }
    };
    *resp.status_mut() = status;
    let drop_challenge =
        status == StatusCode::UNAUTHORIZED && app.fault(Fault::UserinfoNoChallenge);
    if !drop_challenge {
        let mut value = bearer_challenge(error, scope);
        if app.fault(Fault::ChallengeUnquoted) {
            value = value.replace('"', "");
        }
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
    }
    resp
}

/// What the Authorization header says about a bearer token.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderToken {
    Absent,
    Token(String),
    Malformed,
}

/// Parses `Authorization: Bearer <b64token>`; the scheme is
/// case-insensitive (RFC 9110 §11.1). Other schemes count as absent: they
/// carry no bearer credentials.
pub fn bearer_from_headers(headers: &HeaderMap) -> HeaderToken {
    let mut it = headers.get_all(AUTHORIZATION).iter();
    let value = match (it.next(), it.next()) {
        (None, _) => return HeaderToken::Absent,
        (Some(v), None) => v,
        _ => return HeaderToken::Malformed,
    };
    let Ok(value) = value.to_str() else {
        return HeaderToken::Malformed;
    };
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return HeaderToken::Absent;
    }
    let token = rest.trim_matches(' ');
    let b64token = |b: u8| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b);
    if token.is_empty() || !token.bytes().all(b64token) {
        return HeaderToken::Malformed;
    }
    HeaderToken::Token(token.to_string())
}

/// GET on the dialect's API path: a protected resource of the issuer's API,
/// so that bearer use (BEAR rows) and "revoking a refresh token kills its
/// access tokens" can be observed where the seed promises them. A dialect
/// with `api_client_id_header` also wants that header, naming the token's
/// client (Bud: "Include X-Client-Id within the header of every API
/// request"; the status for a missing one is not documented: 400 here).
pub async fn api(State(app): State<Shared>, headers: HeaderMap) -> Response<Body> {
    let token = match bearer_from_headers(&headers) {
        HeaderToken::Malformed => {
            return bearer_error(&app, StatusCode::BAD_REQUEST, Some("invalid_request"), None)
        }
        HeaderToken::Absent => return bearer_error(&app, StatusCode::UNAUTHORIZED, None, None),
        HeaderToken::Token(t) => t,
    };
    let store = app.store();
    let Some((rec, grant)) = store
        .active_token(&token)
        .filter(|(rec, _)| rec.kind == TokenKind::Access)
    else {
        drop(store);
        return bearer_error(&app, StatusCode::UNAUTHORIZED, Some("invalid_token"), None);
    };
    let (client_id, sub) = (rec.client_id.clone(), grant.sub.clone());
    drop(store);
    if let Some(name) = app.config.dialect.wire().api_client_id_header {
        let sent = headers.get(name).and_then(|v| v.to_str().ok());
        if sent != Some(client_id.as_str()) {
            let body = json!({"error": "invalid_request", "error_description": format!("the {name} header must name the token's client")});
            return respond::json(&app, StatusCode::BAD_REQUEST, &body, true);
        }
    }
    let body = json!({"data": [], "client_id": client_id, "sub": sub});
    respond::json(&app, StatusCode::OK, &body, true)
}

/// GET and POST /userinfo.
pub async fn userinfo(
    State(app): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let query = Params::parse(uri.query().unwrap_or("").as_bytes()).unwrap_or_default();
    let form = if method == Method::POST && is_form_content_type(&headers) {
        parse_form_body(&body).unwrap_or_default()
    } else {
        Params::default()
    };
    let in_query = query.count("access_token") > 0;
    let in_body = form.count("access_token") > 0 && !app.fault(Fault::UserinfoTwoTokensHeaderWins);
    let exact_scheme = |h: &HeaderMap| {
        h.get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer "))
    };
    let header_token = match bearer_from_headers(&headers) {
        HeaderToken::Token(_)
            if app.fault(Fault::BearerSchemeCaseSensitive) && !exact_scheme(&headers) =>
        {
            HeaderToken::Absent
        }
        other => other,
    };
    let token = match header_token {
        HeaderToken::Malformed if app.fault(Fault::MalformedBearer500) => {
            return OAuthError::server_error().render(&app)
        }
        HeaderToken::Malformed => {
            return bearer_error(&app, StatusCode::BAD_REQUEST, Some("invalid_request"), None)
        }
        // RFC 6750 §2: exactly one method per request.
        HeaderToken::Token(_) if in_query || in_body => {
            return bearer_error(&app, StatusCode::BAD_REQUEST, Some("invalid_request"), None)
        }
        HeaderToken::Token(t) => Some(t),
        // OAuth 2.1 §5.1: tokens in the query are ignored, never used.
        HeaderToken::Absent if app.fault(Fault::UserinfoAcceptsQueryToken) => {
            query.get("access_token", false).map(str::to_string)
        }
        HeaderToken::Absent => None,
    };
    let Some(token) = token else {
        return bearer_error(&app, StatusCode::UNAUTHORIZED, None, None);
    };

    if app.fault(Fault::UserinfoAcceptsIdToken) {
        let claims = crate::keys::signing_key().verify_own(&token, &app.issuer);
        if let Some(sub) = claims
            .as_ref()
            .and_then(|c| c.get("sub"))
            .and_then(Value::as_str)
        {
            return respond::json(&app, StatusCode::OK, &json!({ "sub": sub }), true);
        }
    }
    let store = app.store();
    let Some((rec, grant)) = store
        .active_token(&token)
        .filter(|(rec, _)| rec.kind == TokenKind::Access)
    else {
        return bearer_error(&app, StatusCode::UNAUTHORIZED, Some("invalid_token"), None);
    };
    let has = |s: &str| rec.scopes.iter().any(|x| x == s);
    if grant.sub.is_none() && app.fault(Fault::UserinfoForClientTokens) {
        let body = json!({ "sub": grant.client_id });
        drop(store);
        return respond::json(&app, StatusCode::OK, &body, true);
    }
    let Some(sub) = grant.sub.clone().filter(|_| has("openid")) else {
        return bearer_error(
            &app,
            StatusCode::FORBIDDEN,
            Some("insufficient_scope"),
            Some("openid"),
        );
    };
    // Claims by granted scope (OIDC Core §5.4); the fault releases them all.
    let all = app.fault(Fault::UserinfoIgnoresScope);
    let (profile, email) = (has("profile") || all, has("email") || all);
    let rec_client = rec.client_id.clone();
    drop(store);
    let Some(user) = app.config.user_by_sub(&sub) else {
        return bearer_error(&app, StatusCode::UNAUTHORIZED, Some("invalid_token"), None);
    };
    let mut m = Map::new();
    let shown_sub = match app.fault(Fault::UserinfoSubOfClient) {
        true => rec_client,
        false => super::token::shown_sub(&app, &user.sub),
    };
    m.insert("sub".into(), json!(shown_sub));
    if profile {
        m.insert("name".into(), json!(user.name));
    }
    if email {
        m.insert("email".into(), json!(user.email));
        m.insert("email_verified".into(), json!(true));
    }
    respond::json(&app, StatusCode::OK, &Value::Object(m), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_from_headers(&HeaderMap::new()), HeaderToken::Absent);
        for v in ["Bearer abc", "bearer abc", "BEARER abc", "Bearer  abc"] {
            assert_eq!(
                bearer_from_headers(&h(v)),
                HeaderToken::Token("abc".into()),
                "{v}"
            );
        }
        assert_eq!(bearer_from_headers(&h("Basic abc")), HeaderToken::Absent);
        assert_eq!(bearer_from_headers(&h("Bearer")), HeaderToken::Malformed);
        assert_eq!(
            bearer_from_headers(&h("Bearer a b")),
            HeaderToken::Malformed
        );
        assert_eq!(
            bearer_from_headers(&h("Bearer a\"b")),
            HeaderToken::Malformed
        );
    }

    #[test]
    fn challenges() {
        assert_eq!(
            bearer_challenge(None, None),
            "Bearer realm=\"grantcheck-reference\""
        );
        assert_eq!(
            bearer_challenge(Some("insufficient_scope"), Some("openid")),
            "Bearer realm=\"grantcheck-reference\", error=\"insufficient_scope\", scope=\"openid\""
        );
    }
}
