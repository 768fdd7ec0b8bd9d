//! Mutation toggles. Each fault is one small, realistic deviation that a
//! real issuer could plausibly ship; the suite's self-test enables one at a
//! time and expects at least the rows in [`Fault::breaks`] to fail.
//!
//! Faults change behaviour only; none of them may make the server panic.

macro_rules! faults {
    ($( $variant:ident => $name:literal, [$($row:literal),+ $(,)?], $desc:literal; )+) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault {
            $( $variant, )+
        }

        impl Fault {
            pub const ALL: &'static [Fault] = &[ $( Fault::$variant, )+ ];

            /// The snake_case name used on the command line and in reports.
            pub fn name(&self) -> &'static str {
                match self { $( Fault::$variant => $name, )+ }
            }

            pub fn from_name(s: &str) -> Option<Fault> {
                match s { $( $name => Some(Fault::$variant), )+ _ => None }
            }

            pub fn description(&self) -> &'static str {
                match self { $( Fault::$variant => $desc, )+ }
            }

            /// Requirement ids this fault is expected to make fail.
            pub fn breaks(&self) -> &'static [&'static str] {
                match self { $( Fault::$variant => &[$($row),+], )+ }
            }
        }
    };
}

faults! {
    TlsLegacyVersions => "tls_legacy_versions", ["TLS-02"],
        "a TLS 1.0 or 1.1 ClientHello is answered with a ServerHello (the listener runs over TLS)";
    TlsWeakSuites => "tls_weak_suites", ["TLS-03"],
        "a ClientHello offering only weak suites (RC4, 3DES, NULL, export, anonymous) is answered with one of them";
    TlsPlaintextServed => "tls_plaintext_served", ["TLS-01", "TLS-08"],
        "plain HTTP sent to the https port is served like the TLS connections: credentials are processed";
    TlsWrongName => "tls_wrong_name", ["TLS-04"],
        "the server certificate names another host (every client that verifies stops at the handshake)";
    NoHsts => "no_hsts", ["TLS-05"],
        "the HTML pages served over https lack Strict-Transport-Security";
    Tls13Disabled => "tls13_disabled", ["TLS-06"],
        "the TLS listener speaks TLS 1.2 only: a client offering TLS 1.3 alone is refused";
    TlsRsaKeyTransport => "tls_rsa_key_transport", ["TLS-07"],
        "a ClientHello offering only RSA key transport suites is answered with one of them (no forward secrecy)";
    RedirectPrefixMatch => "redirect_prefix_match", ["RURI-02", "ADV-01"],
        "redirect_uri accepted when a registered URI is a prefix of it";
    RedirectCaseInsensitive => "redirect_case_insensitive", ["ADV-02"],
        "redirect_uri compared ASCII case-insensitively";
    RedirectErrorToUnvalidated => "redirect_error_to_unvalidated", ["RURI-03", "AUTHZ-05"],
        "authorization errors are redirected to the supplied redirect_uri even when it is not registered (or the client is unknown)";
    PkceOptional => "pkce_optional", ["PKCE-03", "PKCE-04"],
        "no code_challenge means no PKCE, and a missing code_verifier is accepted";
    PkcePublicOnly => "pkce_public_only", ["PKCE-04"],
        "PKCE is required only for public clients";
    PkceAllowPlain => "pkce_allow_plain", ["PKCE-05", "DISC-04"],
        "code_challenge_method=plain is accepted (and advertised)";
    PkceDefaultPlain => "pkce_default_plain", ["PKCE-06"],
        "a missing code_challenge_method means plain";
    PkceMethodCaseInsensitive => "pkce_method_case_insensitive", ["PKCE-07"],
        "code_challenge_method compared case-insensitively (s256 accepted)";
    PkceSkipCompare => "pkce_skip_compare", ["PKCE-02"],
        "the code_verifier is syntax-checked but never compared with the challenge";
    PkceNoVerifierSyntaxCheck => "pkce_no_verifier_syntax_check", ["PKCE-09"],
        "the code_verifier ABNF (43-128 unreserved characters) is not enforced";
    CodeReusable => "code_reusable", ["CODE-01"],
        "authorization codes are never marked as used";
    CodeReuseNoRevoke => "code_reuse_no_revoke", ["CODE-02"],
        "code reuse is rejected but the tokens issued from the code stay valid";
    CodeNotClientBound => "code_not_client_bound", ["CODE-04"],
        "the code is not checked against the authenticated client";
    PublicCodeNotClientBound => "public_code_not_client_bound", ["CODE-05"],
        "for public clients the client_id is not checked against the code";
    CodeRace => "code_race", ["CODE-08"],
        "check and consume of a code are not atomic (TOCTOU window)";
    CodePrefixLookup => "code_prefix_lookup", ["CODE-07"],
        "a code is found by prefix, so truncated or extended codes work";
    TokenRedirectUriOptional => "token_redirect_uri_optional", ["RURI-07"],
        "redirect_uri at the token endpoint is not checked when omitted";
    TokenRedirectUriRegistered => "token_redirect_uri_registered", ["RURI-06"],
        "redirect_uri at the token endpoint is checked against the registration list instead of the value bound to the code";
    LoopbackAnyPortEverywhere => "loopback_any_port_everywhere", ["ADV-07"],
        "any port is accepted for every registered redirect URI, not only loopback ones";
    NoRtRotation => "no_rt_rotation", ["RT-02", "RT-03"],
        "refresh returns the same refresh token, which stays valid";
    RotationNoFamilyRevoke => "rotation_no_family_revoke", ["RT-04", "ADV-14"],
        "a replayed rotated-out refresh token is rejected but its family stays alive";
    RefreshScopeEscalation => "refresh_scope_escalation", ["RT-06"],
        "refresh accepts any known scope, not only the originally granted ones";
    RtNotClientBound => "rt_not_client_bound", ["RT-05"],
        "refresh tokens are not checked against the authenticated client";
    RtAcceptsAccessToken => "rt_accepts_access_token", ["RT-09"],
        "an access token is accepted as refresh_token";
    RtWithoutOfflineAccess => "rt_without_offline_access", ["RT-10"],
        "a refresh token is issued for every code exchange, even without offline_access";
    ConfidentialWithoutSecret => "confidential_without_secret", ["CAUTH-04"],
        "a confidential client sending only client_id is accepted";
    Basic401MissingChallenge => "basic_401_missing_challenge", ["CAUTH-02"],
        "failed Basic authentication gets 401 without WWW-Authenticate";
    BasicChallengeWrongScheme => "basic_challenge_wrong_scheme", ["CAUTH-02"],
        "failed Basic authentication gets WWW-Authenticate: Bearer";
    TokenGetAllowed => "token_get_allowed", ["TOK-05"],
        "the token endpoint accepts GET with parameters in the query";
    DuplicateParamsLastWins => "duplicate_params_last_wins", ["TOK-09", "AUTHZ-09"],
        "duplicated parameters are accepted and the last value wins";
    NoCacheHeaders => "no_cache_headers", ["HDR-01", "HDR-02"],
        "token, introspection and userinfo responses lack Cache-Control and Pragma";
    NoPragma => "no_pragma", ["HDR-02"],
        "token responses lack Pragma: no-cache";
    StateDroppedOnError => "state_dropped_on_error", ["AUTHZ-10", "ERR-04"],
        "state is not echoed on authorization error redirects";
    IssMissing => "iss_missing", ["ISS-01", "ISS-02", "ISS-03"],
        "the iss parameter is never sent although the metadata advertises it";
    IssMissingOnError => "iss_missing_on_error", ["ISS-02"],
        "the iss parameter is sent only on successful authorization responses";
    WrongErrorCode => "wrong_error_code", ["ERR-02", "CODE-07"],
        "an unknown or expired code gets the unregistered error code invalid_code instead of invalid_grant";
    ErrorBodyNotJson => "error_body_not_json", ["ERR-01"],
        "token endpoint errors are sent as text/plain";
    MissingParam500 => "missing_param_500", ["TOK-06", "ERR-01"],
        "a missing grant_type causes a 500";
    UnsupportedGrantAsInvalidGrant => "unsupported_grant_as_invalid_grant", ["TOK-07"],
        "unknown grant types get invalid_grant instead of unsupported_grant_type";
    RevocationNoCascade => "revocation_no_cascade", ["REV-02"],
        "revoking a refresh token leaves the grant's access tokens alive";
    IntrospectionUnauthenticated => "introspection_unauthenticated", ["INTR-01"],
        "introspection answers without client authentication";
    RevokeOtherClientsTokens => "revoke_other_clients_tokens", ["REV-06"],
        "any authenticated client can revoke any client's tokens";
    IdTokenWithoutOpenid => "id_token_without_openid", ["IDT-02"],
        "an ID token is issued even when openid was not granted";
    CcIssuesRefreshToken => "cc_issues_refresh_token", ["CC-02"],
        "client_credentials responses carry a refresh token";
    UserinfoNoChallenge => "userinfo_no_challenge", ["BEAR-03"],
        "userinfo 401 responses lack WWW-Authenticate";
    JwksLeaksPrivate => "jwks_leaks_private", ["JWKS-02"],
        "the JWKS publishes the private RSA members";
    IdtAlgNone => "idt_alg_none", ["IDT-03"],
        "ID tokens are unsigned (alg none)";
    AtLifetime24h => "at_lifetime_24h", ["TOK-03"],
        "access tokens live 24 hours";
    NonceDropped => "nonce_dropped", ["IDT-05"],
        "the nonce is not copied into the ID token";
    NoFrameProtection => "no_frame_protection", ["HDR-03"],
        "HTML pages lack X-Frame-Options and CSP frame-ancestors";
    Redirect307 => "redirect_307", ["HDR-05"],
        "authorization responses use 307, so the consent POST is replayed to the client";
    CorsOnAuthorize => "cors_on_authorize", ["HDR-04"],
        "the authorization endpoint reflects Origin in Access-Control-Allow-Origin";
    UserinfoAcceptsQueryToken => "userinfo_accepts_query_token", ["BEAR-06"],
        "userinfo accepts access_token in the query string";
    RedirectNormalizedCompare => "redirect_normalized_compare", ["ADV-01", "ADV-03", "ADV-04", "BCP-08"],
        "redirect_uri compared after normalisation: percent-decoded, control characters dropped, dot segments resolved, host trailing dot removed";
    RedirectOriginPrefix => "redirect_origin_prefix", ["ADV-05", "ADV-07"],
        "the origin is checked with starts_with on the whole string and the path separately, so userinfo and longer hosts pass";
    RedirectPathOnly => "redirect_path_only", ["ADV-04", "ADV-07"],
        "only scheme and path of redirect_uri are compared; the host is assumed to be checked elsewhere";
    RedirectSchemeIgnored => "redirect_scheme_ignored", ["ADV-07", "ADV-08"],
        "http and https are treated as the same scheme";
    RedirectAnyClient => "redirect_any_client", ["ADV-07"],
        "redirect_uri is accepted when it is registered for any client, not only the requesting one";
    RedirectCompareSentLength => "redirect_compare_sent_length", ["ADV-01"],
        "redirect_uri compared only over the length of the value sent (strncmp), so truncations pass";
    RedirectDefaultFirst => "redirect_default_first", ["RURI-04"],
        "a missing redirect_uri defaults to the first registered URI, even with several registered or on an OpenID request";
    LoopbackAnyLoopbackHost => "loopback_any_loopback_host", ["ADV-08"],
        "a loopback registration accepts any loopback host (localhost, 127.0.0.0/8, [::1]) on any port";
    LoopbackHandParsed => "loopback_hand_parsed", ["ADV-08"],
        "loopback redirect URIs are parsed by hand: a host starting with 127. or naming a loopback counts, and everything up to the path is skipped as the port";
    LoopbackOriginOnly => "loopback_origin_only", ["ADV-08"],
        "for a loopback registration only scheme and host are compared; port, path and query may differ";
    LoopbackPortExact => "loopback_port_exact", ["RURI-08"],
        "the port of a loopback redirect URI must match the registration exactly (no RFC 8252 ephemeral ports)";
    DuplicateParamsFirstWins => "duplicate_params_first_wins", ["ADV-18"],
        "duplicated authorization parameters are accepted and the first value wins";
    StateInvented => "state_invented", ["AUTHZ-10"],
        "an empty state parameter is added to redirects when the request had none";
    IntrospectionUnknownTokenError => "introspection_unknown_token_error", ["INTR-03"],
        "introspecting an unknown token answers 400 invalid_token instead of active false";
    PkceVerifierBoundsExclusive => "pkce_verifier_bounds_exclusive", ["PKCE-01"],
        "code_verifier lengths 43 and 128 are refused (off-by-one bounds)";
    PkceUnknownMethodAsS256 => "pkce_unknown_method_as_s256", ["PKCE-07", "ADV-11"],
        "any code_challenge_method other than plain is treated as S256";
    PkceChallengeShapeUnchecked => "pkce_challenge_shape_unchecked", ["PKCE-10"],
        "the S256 code_challenge is stored whatever its shape (padded, 42 or 44 characters)";
    DiscoveryServedAsText => "discovery_served_as_text", ["DISC-01"],
        "the discovery document is served as text/plain";
    DiscoveryMissingRequiredMembers => "discovery_missing_required_members", ["DISC-03"],
        "subject_types_supported, required by OIDC Discovery, is left out of the metadata";
    DiscoveryScopesWithoutOpenid => "discovery_scopes_without_openid", ["DISC-06"],
        "scopes_supported leaves out openid although the issuer is an OpenID Provider";
    RequestObjectsIgnored => "request_objects_ignored", ["DISC-10"],
        "request and request_uri, advertised as unsupported, are silently ignored instead of refused";
    DiscoveryHidesBasic => "discovery_hides_basic", ["DISC-09"],
        "token_endpoint_auth_methods_supported leaves out client_secret_basic, which the issuer accepts";
    DiscoverySloppyMembers => "discovery_sloppy_members", ["DISC-07"],
        "metadata written carelessly: an empty response_modes_supported and \"false\" as a string";
    RefreshSameAccessToken => "refresh_same_access_token", ["RT-01"],
        "refresh answers with the access token already issued instead of a new one";
    ErrorDescriptionUnicode => "error_description_unicode", ["ERR-03"],
        "error_description carries typographic quotes and a non-ASCII dash";
    PkceStrayVerifierAccepted => "pkce_stray_verifier_accepted", ["PKCE-08"],
        "a code_verifier is accepted for a code issued without a challenge (PKCE downgrade; only where PKCE is optional: the example dialect)";
    RevocationAccessTokenNoop => "revocation_access_token_noop", ["REV-03"],
        "revoking an access token answers 200 and leaves it active";
    RevocationUnknownTokenError => "revocation_unknown_token_error", ["REV-04"],
        "revoking an unknown token answers 400 (an oracle for which tokens exist)";
    RevocationHintFilters => "revocation_hint_filters", ["REV-04"],
        "token_type_hint filters the search: a refresh token sent with hint access_token is not revoked";
    RevocationUnauthenticated => "revocation_unauthenticated", ["REV-05"],
        "the revocation endpoint does not authenticate the client: a client_id (or the token alone) is enough";
    UnapprovedClientWorks => "unapproved_client_works", ["AUTHZ-13"],
        "a registered client that is not approved (pending, rejected, suspended) is served like an approved one";
    AdvertisesImplicit => "advertises_implicit", ["DISC-05"],
        "the metadata lists response_type token and the implicit grant (nothing else changes)";
    ScopeOverReported => "scope_over_reported", ["TOK-04"],
        "the token response's scope lists every scope the client may hold, not what was granted";
    ResponseTypeTokenAsCode => "response_type_token_as_code", ["AUTHZ-04"],
        "response_type=token (and other token-returning types) are accepted and answered like code";
    GrantTypeNotChecked => "grant_type_not_checked", ["CC-04"],
        "any grant type is allowed to any client, whatever it was registered for";
    ExpiresInString => "expires_in_string", ["TOK-01"],
        "expires_in is sent as a JSON string (\"3600\")";
    TokenTypeInvented => "token_type_invented", ["TOK-02"],
        "token_type is a made-up value (\"access\") instead of Bearer";
    StateOptional => "state_optional", ["AUTHZ-10"],
        "an authorization request without state is accepted although the issuer documents state as required (only where it does: the busha dialect)";
    AtMissingTyp => "at_missing_typ", ["JWTAT-01"],
        "JWT access tokens are typed JWT instead of at+jwt (only where access tokens are JWTs: the example dialect)";
    AtLifetimeMismatch => "at_lifetime_mismatch", ["JWTAT-05"],
        "JWT access tokens live a day while expires_in says an hour (only where access tokens are JWTs)";
    TokenInFrontChannel => "token_in_front_channel", ["AUTHZ-01"],
        "the authorization response carries an access_token next to the code";
    AuthorizePostQueryOnly => "authorize_post_query_only", ["AUTHZ-02"],
        "a POST to the authorization endpoint reads its parameters from the query string only";
    NoScope500 => "no_scope_500", ["AUTHZ-07"],
        "an authorization request without scope crashes with a 500 page";
    UnknownParamsRejected => "unknown_params_rejected", ["AUTHZ-08"],
        "unknown authorization parameters are refused with invalid_request instead of ignored";
    EmptyParamsAsValues => "empty_params_as_values", ["AUTHZ-08"],
        "empty state and nonce are taken as values: state= is echoed, nonce= becomes an empty nonce claim";
    PromptNoneIgnored => "prompt_none_ignored", ["AUTHZ-12"],
        "prompt=none is ignored: the login page is shown, and prompt=none login is accepted";
    EmptyRefreshScopeAsAll => "empty_refresh_scope_as_all", ["TOK-08"],
        "scope= (empty) on refresh grants every scope the client may hold instead of the original grant";
    BasicIgnoresBodyCredentials => "basic_ignores_body_credentials", ["CAUTH-06"],
        "with an Authorization header, client_id and client_secret in the body are ignored instead of refused";
    AuthMethodNotBound => "auth_method_not_bound", ["CAUTH-07"],
        "a confidential client may authenticate with any secret method, not only the one it registered";
    RotatedRtNarrowed => "rotated_rt_narrowed", ["RT-08"],
        "a narrowing refresh narrows the grant: the rotated refresh token keeps only the last access token's scope";
    PublicClientCredentials => "public_client_credentials", ["CC-03"],
        "a public client gets a client_credentials token with its client_id alone";
    CcScopeUnchecked => "cc_scope_unchecked", ["CC-05"],
        "client_credentials grants any known scope requested, not only the client's";
    IntrospectionIgnoresRevocation => "introspection_ignores_revocation", ["INTR-04"],
        "introspection answers from the token's own record: revoked, rotated-out and replay-killed tokens stay active";
    IntrospectionHintFilters => "introspection_hint_filters", ["INTR-05"],
        "token_type_hint filters introspection: a live token sent with the other hint is inactive";
    BearerSchemeCaseSensitive => "bearer_scheme_case_sensitive", ["BEAR-02"],
        "userinfo matches the scheme \"Bearer\" byte for byte";
    UserinfoTwoTokensHeaderWins => "userinfo_two_tokens_header_wins", ["BEAR-05"],
        "a token in the header and another in the body: the header's is used, no error";
    UserinfoForClientTokens => "userinfo_for_client_tokens", ["BEAR-07"],
        "userinfo serves client_credentials tokens, with the client as sub";
    UserinfoAcceptsIdToken => "userinfo_accepts_id_token", ["JWTAT-07"],
        "userinfo accepts any JWT the issuer signed, ID tokens included, as an access token";
    UserinfoSubOfClient => "userinfo_sub_of_client", ["BEAR-09"],
        "userinfo's sub is the client id instead of the user's";
    ErrorEchoesInput => "error_echoes_input", ["ERR-05"],
        "token endpoint errors repeat the code, code_verifier and client_secret they received in error_description";
    NoReferrerPolicy => "no_referrer_policy", ["HDR-06"],
        "HTML pages of the flow carry no Referrer-Policy";
    TokenAnyContentType => "token_any_content_type", ["ADV-19"],
        "the token endpoint parses the body as a form whatever its Content-Type";
    StateReflectedRaw => "state_reflected_raw", ["ADV-25"],
        "state is appended to the redirect without percent-encoding (control characters dropped)";
    UnauthenticatedReplayRevokes => "unauthenticated_replay_revokes", ["CODE-03"],
        "a replayed code revokes its tokens before the replay's PKCE verifier is checked";
    SubPerLogin => "sub_per_login", ["IDT-07"],
        "each ID token gets a fresh sub (a per-session subject)";
    AtHashFullDigest => "at_hash_full_digest", ["IDT-08"],
        "at_hash is the whole SHA-256 of the access token instead of its left half";
    AuthTimeMissing => "auth_time_missing", ["IDT-06"],
        "ID tokens never carry auth_time, even when max_age was requested";
    RefreshIdtSubOfClient => "refresh_idt_sub_of_client", ["IDT-09"],
        "an ID token minted on refresh has the client id as sub";
    BasicNotFormDecoded => "basic_not_form_decoded", ["CAUTH-05"],
        "HTTP Basic credentials are not form-urldecoded after base64, so a secret with `%`, `+` or a space fails";
    ClientSecretPostBroken => "client_secret_post_broken", ["CAUTH-01"],
        "client_secret_post is advertised but every secret sent in the body is refused";
    JwksLegacyWeakKey => "jwks_legacy_weak_key", ["JWKS-03", "JWKS-04"],
        "the JWKS also publishes a 1024-bit RSA key under the signing key's kid";
    ChallengeUnquoted => "challenge_unquoted", ["BEAR-08"],
        "Bearer challenges write their attributes as bare tokens: realm=grantcheck-reference, error=invalid_token";
    IssUnadvertised => "iss_unadvertised", ["ISS-03"],
        "the iss parameter is sent but the metadata leaves authorization_response_iss_parameter_supported false";
    RedirectPathParamsStripped => "redirect_path_params_stripped", ["BCP-08"],
        "redirect_uri path parameters (`;x`, `%3Bx`) are stripped before the comparison, as a servlet container strips ;jsessionid";
    PasswordGrantAllowed => "password_grant_allowed", ["BCP-01"],
        "the resource owner password grant is enabled: a correct username and password buy a token";
    AzpOtherClient => "azp_other_client", ["IDT-10"],
        "the ID token's azp names another client than the one it was issued to";
    ShortCodes => "short_codes", ["ENT-01", "ADV-23"],
        "authorization codes are 8 hex digits (32 bits)";
    PredictableTokens => "predictable_tokens", ["ENT-02", "ENT-03"],
        "access and refresh tokens come from a counter (tok-00000000000000000042)";
    CodesAndTokensNeverExpire => "codes_and_tokens_never_expire", ["CODE-06", "EXP-01", "EXP-02"],
        "authorization codes and access tokens carry lifetimes (expires_in, exp) that are never enforced";
    CodeEmbedsChallenge => "code_embeds_challenge", ["PKCE-11"],
        "authorization codes are stateless and carry the code_challenge in clear";
    IdTokenHintUnverified => "id_token_hint_unverified", ["ADV-20"],
        "id_token_hint is taken as it comes: an unsigned (alg none) hint is not refused";
    IdtIssTrailingSlash => "idt_iss_trailing_slash", ["ISS-04", "IDT-01"],
        "the ID token's iss has a trailing slash the issuer identifier does not";
    PromptLoginIgnored => "prompt_login_ignored", ["AUTHZ-14"],
        "prompt=login reuses the existing session instead of asking the user to log in again";
    CodeExchangeScopeHonoured => "code_exchange_scope_honoured", ["CODE-09"],
        "a scope sent with the code exchange replaces the consented one (within the client's allowed scopes)";
    FormContentTypeExact => "form_content_type_exact", ["TOK-10"],
        "the form media type is compared as a whole string: `; charset=UTF-8` is refused";
    PublicRtWithoutClientId => "public_rt_without_client_id", ["RT-11"],
        "a refresh with no client identification at all is served when the token belongs to a public client";
    PublicRevocationNotClientBound => "public_revocation_not_client_bound", ["REV-07"],
        "a public client can revoke another public client's tokens";
    RevocationGetAllowed => "revocation_get_allowed", ["REV-08"],
        "the revocation endpoint accepts GET with the token in the query";
    IntrospectionGetAllowed => "introspection_get_allowed", ["INTR-06"],
        "the introspection endpoint accepts GET with the token in the query";
    JwksServedAsText => "jwks_served_as_text", ["JWKS-05"],
        "the JWKS is served as text/plain";
    SubTooLong => "sub_too_long", ["IDT-11"],
        "subject identifiers are 300 characters long";
    UserinfoIgnoresScope => "userinfo_ignores_scope", ["BEAR-10"],
        "userinfo releases every claim whatever scope was granted";
    CorsReflectsWithCredentials => "cors_reflects_with_credentials", ["HDR-07"],
        "the token and userinfo endpoints echo any Origin with Access-Control-Allow-Credentials: true";
    GrantTypeCaseInsensitive => "grant_type_case_insensitive", ["ADV-26"],
        "grant_type is compared case-insensitively";
    ResponseTypeCaseInsensitive => "response_type_case_insensitive", ["ADV-27"],
        "response_type is compared case-insensitively";
    ScopeCaseInsensitive => "scope_case_insensitive", ["ADV-28"],
        "scope values are compared case-insensitively at the token endpoint (client credentials and refresh)";
    CodeLookupCaseInsensitive => "code_lookup_case_insensitive", ["ADV-29"],
        "authorization codes are looked up case-insensitively";
    TokenLookupCaseInsensitive => "token_lookup_case_insensitive", ["ADV-30", "ADV-31"],
        "access and refresh tokens are looked up case-insensitively";
    ClientIdCaseInsensitive => "client_id_case_insensitive", ["ADV-32"],
        "client ids are looked up case-insensitively";
    SecretComparedLoosely => "secret_compared_loosely", ["ADV-33"],
        "client secrets are trimmed, compared case-insensitively and only as far as the shorter one goes";
    PkceChallengeFromTokenRequest => "pkce_challenge_from_token_request", ["ADV-34"],
        "a code_challenge sent with the token request replaces the one bound to the code";
    MalformedBasic500 => "malformed_basic_500", ["ADV-35"],
        "a Basic header that does not decode is answered with 500";
    OversizedParam500 => "oversized_param_500", ["ADV-36"],
        "a token request parameter over 1024 characters (a VARCHAR(1024) column) is answered with 500";
    BadEncoding500 => "bad_encoding_500", ["ADV-37"],
        "a token request form that does not decode (not UTF-8, a broken escape, a NUL) is answered with 500";
    MalformedBearer500 => "malformed_bearer_500", ["ADV-38"],
        "a malformed Bearer header at userinfo is answered with 500";
    TraceEcho => "trace_echo", ["ADV-39"],
        "TRACE to the token endpoint echoes the request headers";
    DiscoveryTrustsForwardedHost => "discovery_trusts_forwarded_host", ["ADV-40"],
        "discovery builds its URLs from X-Forwarded-Host";
    CodeLookupAnyToken => "code_lookup_any_token", ["ADV-41"],
        "an access or refresh token presented as code starts a fresh grant for its client";
    ParamsDoubleDecoded => "params_double_decoded", ["ADV-42"],
        "token request parameters are percent-decoded twice";
    ParamNamesCaseInsensitive => "param_names_case_insensitive", ["ADV-43"],
        "token request parameter names are matched case-insensitively";
    ClientLookupInjection500 => "client_lookup_injection_500", ["ADV-44"],
        "a client_id (in the body or the Basic header) with a quote or a parenthesis is answered with 500";
    AuthorizeBadEncoding500 => "authorize_bad_encoding_500", ["ADV-45"],
        "an authorization request whose query does not decode (not UTF-8, a broken escape, a NUL) is answered with 500";
    AuthorizeValuesCutAtNul => "authorize_values_cut_at_nul", ["ADV-45"],
        "authorization request values are cut at a NUL character (C-string handling): `code` and a NUL read as `code`";
    HostileTokenOp500 => "hostile_token_op_500", ["ADV-46"],
        "introspection and revocation answer 500 to a token over 1024 characters or holding a NUL";
    ScopeSplitOnComma => "scope_split_on_comma", ["ADV-47"],
        "scope lists are split on commas as well as spaces at the token endpoint (client credentials and refresh)";
}

impl Fault {
    /// The dialect a fault needs to be observable: JWT access token faults
    /// change nothing where access tokens are opaque. `None`: every dialect.
    /// The standard self-test leaves the others out; tests/integration/seed_emulation.rs
    /// checks them under their dialect.
    pub fn dialect(&self) -> Option<super::Dialect> {
        match self {
            Fault::AtMissingTyp | Fault::AtLifetimeMismatch => Some(super::Dialect::Example),
            Fault::StateOptional => Some(super::Dialect::Busha),
            Fault::PkceStrayVerifierAccepted => Some(super::Dialect::Example),
            _ => None,
        }
    }

    /// A fault of the transport under HTTP (the listener over TLS): the
    /// HTTP fuzzer, which probes the protocol, cannot see these by design.
    pub fn transport(&self) -> bool {
        matches!(
            self,
            Fault::TlsLegacyVersions
                | Fault::TlsWeakSuites
                | Fault::TlsPlaintextServed
                | Fault::TlsWrongName
                | Fault::NoHsts
                | Fault::Tls13Disabled
                | Fault::TlsRsaKeyTransport
        )
    }

    /// The run stops before any case (every verified connection fails):
    /// the self-test counts the halt, which names the certificate and
    /// exits 3, as the detection of the rows it breaks.
    pub fn halts_the_run(&self) -> bool {
        matches!(self, Fault::TlsWrongName)
    }

    /// The faults observable under `dialect`.
    pub fn for_dialect(dialect: super::Dialect) -> Vec<Fault> {
        Fault::ALL
            .iter()
            .copied()
            .filter(|f| f.dialect().is_none_or(|d| d == dialect))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = HashSet::new();
        for f in Fault::ALL {
            assert!(seen.insert(f.name()), "duplicate name {}", f.name());
            assert_eq!(Fault::from_name(f.name()), Some(*f));
            assert!(!f.breaks().is_empty());
            assert!(!f.description().is_empty());
            assert!(f
                .name()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        }
        assert_eq!(Fault::from_name("nope"), None);
    }
}
