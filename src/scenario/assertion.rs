//! Expectations as data: every expectation of a step is a list of
//! [`Assertion`]s, each a query (what to look at), a predicate (what must
//! hold of it), its own span in the file, an optional level and the
//! requirement ids it covers. `any` groups branches of which one must hold.
//!
//! The short form (`expect = { status = 400, error = "invalid_grant" }`) and
//! the long form (`[[step.assert]] that = "json scope"`, `scope_set = ...`)
//! both become this one list at load, so the loader validates every template
//! by walking it, and `explain`, the runner and SARIF locations read it.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::model::{AccessTokenExpect, CallbackKind, ExpectDef, IdTokenExpect, Level, Text};

/// What an assertion looks at in a step's output.
#[derive(Clone, Debug)]
pub enum Query {
    /// The HTTP status (of the authorize step: its last response).
    Status,
    /// An authorize step's outcome: `code`, `error` or `no_redirect`.
    Outcome,
    /// Credential parameters (`code`, tokens) in the callback's fragment.
    Fragment,
    /// The `error` of a JSON error body, or of an error redirect.
    Error,
    /// A callback parameter on an authorize step, else a JSON member; the
    /// name may be a template.
    Field(Text),
    /// A top-level JSON member of the body.
    Json(String),
    /// A callback parameter.
    Param(String),
    /// A response header, every value joined (case-insensitive name).
    Header(Text),
    /// One `name=value` directive of a header (`max-age` of
    /// `Strict-Transport-Security` or `Cache-Control`), a number when it is one.
    Directive(Text, String),
    /// The `WWW-Authenticate` challenge schemes.
    Challenge,
    /// The `error` attributes of the `WWW-Authenticate` challenges.
    ChallengeError,
    /// `error` or `error_description`, from the callback or the JSON body.
    ErrorText(&'static str),
    /// The body as a whole (JSON object or not, a JWKS).
    Body,
    /// The response's `id_token`, verified (several checks).
    IdToken(IdTokenExpect),
    /// The response's `access_token` as an RFC 9068 JWT (several checks).
    AccessToken(AccessTokenExpect),
    /// How many of a `concurrent` step's requests answered 200.
    Successes,
    /// A claim of the response's `id_token`, read without verifying (the
    /// `id_token` expectation verifies): `sub`, `auth_time`, `azp`, ...
    IdTokenClaim(String),
    /// Every value the case has seen under this name, this step's included:
    /// `samples code` is the code of each authorize step so far.
    Samples(String),
}

/// What must hold of a query's value.
#[derive(Clone, Debug)]
pub enum Predicate {
    /// Equal to this (strings may be templates).
    Equals(toml::Value),
    /// A string equal to this, ASCII case-insensitively.
    EqualsCi(Text),
    /// Equal to one of these.
    OneOf(Vec<toml::Value>),
    Present,
    Absent,
    /// A string containing this, case-insensitively.
    Contains(Text),
    /// No response of the step holds this text as sent (`body` only): an
    /// input reflected unescaped, a secret echoed.
    Lacks(Text),
    /// Present and not equal to this (usually a captured value).
    Differs(Text),
    /// A number in `[low, high]`.
    Between(i64, i64),
    /// A JSON integer above zero.
    PositiveInteger,
    /// A space-separated string equal as a set to this.
    ScopeSet(Text),
    /// Only the characters RFC 6749 Appendix A.7/A.8 allow.
    Charset,
    /// A list (or a space-separated string, such as a scope) holding this string.
    Includes(Text),
    /// A list (or a space-separated string) without this string.
    Excludes(Text),
    /// The body is a JSON object.
    JsonObject,
    /// The body is a JWKS without private or symmetric members.
    PublicKeysOnly,
    /// The `WWW-Authenticate` Bearer challenge is well formed (BEAR-08).
    WellFormed,
    /// Samples estimated to carry at least this many bits each
    /// (protocol::entropy).
    EntropyBits(i64),
    /// A string of at most N ASCII characters (OIDC Core §2: `sub`).
    AsciiMaxLen(i64),
    /// The body is a JWKS whose keys can be told apart (JWKS-03).
    DistinctKeys,
    /// The body is a JWKS with no weak or inconsistent key (JWKS-04).
    StrongKeys,
    /// The body is authorization-server metadata serialised with care
    /// (DISC-07: no empty arrays, booleans as booleans, absolute https URLs,
    /// no `none` among the endpoint auth signing algorithms).
    WellFormedMetadata,
    /// A JWT that verifies, with the claims the query names.
    Verifies,
    /// No credential parameter at all.
    Empty,
}

#[derive(Clone, Debug)]
pub struct Assertion {
    pub query: Query,
    pub predicate: Predicate,
    /// Where it is written: diagnostics, and SARIF regions of a failure.
    pub span: Range<usize>,
    /// Its own level, over the step's.
    pub level: Option<Level>,
    /// Requirement ids only this assertion checks.
    pub covers: Vec<String>,
    /// An absent value holds (a member that is optional, typed when present).
    pub optional: bool,
    /// The 1-based line of `span` in its file (set by the loader).
    pub line: usize,
}

/// One entry of a step's expectation list.
#[derive(Clone, Debug)]
pub enum Expectation {
    One(Assertion),
    /// At least one branch holds, each branch a list that must all hold.
    Any {
        branches: Vec<Vec<Assertion>>,
        span: Range<usize>,
        level: Option<Level>,
        covers: Vec<String>,
        line: usize,
    },
}

impl Expectation {
    pub fn span(&self) -> Range<usize> {
        match self {
            Expectation::One(a) => a.span.clone(),
            Expectation::Any { span, .. } => span.clone(),
        }
    }

    pub fn line(&self) -> usize {
        match self {
            Expectation::One(a) => a.line,
            Expectation::Any { line, .. } => *line,
        }
    }

    /// Sets the line of it and of every assertion in it from `line_of(offset)`.
    pub fn set_lines(&mut self, line_of: &dyn Fn(usize) -> usize) {
        match self {
            Expectation::One(a) => a.line = line_of(a.span.start),
            Expectation::Any {
                branches,
                span,
                line,
                ..
            } => {
                *line = line_of(span.start);
                for a in branches.iter_mut().flatten() {
                    a.line = *line;
                }
            }
        }
    }

    pub fn level(&self) -> Option<Level> {
        match self {
            Expectation::One(a) => a.level,
            Expectation::Any { level, .. } => *level,
        }
    }

    pub fn covers(&self) -> Vec<String> {
        self.covers_ref().to_vec()
    }

    pub fn covers_ref(&self) -> &[String] {
        match self {
            Expectation::One(a) => &a.covers,
            Expectation::Any { covers, .. } => covers,
        }
    }

    /// Every assertion, branches included.
    pub fn assertions(&self) -> Vec<&Assertion> {
        match self {
            Expectation::One(a) => vec![a],
            Expectation::Any { branches, .. } => branches.iter().flatten().collect(),
        }
    }

    /// One line for `explain` and reports.
    pub fn describe(&self) -> String {
        match self {
            Expectation::One(a) => a.describe(),
            Expectation::Any { branches, .. } => {
                let alts: Vec<String> = branches
                    .iter()
                    .map(|b| {
                        let all: Vec<String> = b.iter().map(Assertion::describe).collect();
                        format!("({})", all.join(" and "))
                    })
                    .collect();
                format!("any of {}", alts.join(" or "))
            }
        }
    }
}

impl Query {
    /// How checks name it (`json \`scope\``).
    pub fn label(&self) -> String {
        match self {
            Query::Status => "status".into(),
            Query::Outcome => "authorization outcome".into(),
            Query::Fragment => "nothing in the fragment".into(),
            Query::Error => "error code".into(),
            Query::Field(f) => format!("`{}`", f.get_ref()),
            Query::Json(k) => format!("json `{k}`"),
            Query::Param(k) => format!("callback `{k}`"),
            Query::Header(h) => format!("header `{}`", h.get_ref()),
            Query::Directive(h, d) => format!("`{d}` of header `{}`", h.get_ref()),
            Query::Challenge => "WWW-Authenticate scheme".into(),
            Query::ChallengeError => "WWW-Authenticate error".into(),
            Query::ErrorText(m) => format!("`{m}`"),
            Query::Body => "body".into(),
            Query::IdToken(_) => "id_token".into(),
            Query::AccessToken(_) => "access_token".into(),
            Query::Successes => "concurrent successes".into(),
            Query::IdTokenClaim(c) => format!("id_token claim `{c}`"),
            Query::Samples(f) => format!("every `{f}` of the case"),
        }
    }

    /// Whether the query reads the callback of an authorize step (and so
    /// means nothing on any other step).
    pub fn authorize_only(&self) -> bool {
        matches!(self, Query::Outcome | Query::Fragment | Query::Param(_))
    }
}

impl Predicate {
    /// What a check labelled by its query adds (`` `x` present ``).
    pub fn suffix(&self) -> &'static str {
        match self {
            Predicate::Present => " present",
            Predicate::Absent => " absent",
            Predicate::Differs(_) => " differs",
            Predicate::EqualsCi(_) => " (case-insensitive)",
            Predicate::PositiveInteger => " type",
            Predicate::Between(..) => " range",
            Predicate::Includes(_) => " includes",
            Predicate::Excludes(_) => " excludes",
            Predicate::Charset => " charset",
            Predicate::Lacks(_) => " lacks",
            Predicate::EntropyBits(_) => " entropy",
            Predicate::AsciiMaxLen(_) => " length",
            _ => "",
        }
    }

    fn describe(&self) -> String {
        let v = |x: &toml::Value| match x {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match self {
            Predicate::Equals(x) => format!("= {}", v(x)),
            Predicate::EqualsCi(t) => format!("= {} (any case)", t.get_ref()),
            Predicate::OneOf(xs) => {
                let all: Vec<String> = xs.iter().map(v).collect();
                format!("one of {}", all.join(", "))
            }
            Predicate::Present => "present".into(),
            Predicate::Absent => "absent".into(),
            Predicate::Contains(t) => format!("containing \"{}\"", t.get_ref()),
            Predicate::Lacks(t) => format!("never holding \"{}\"", t.get_ref()),
            Predicate::Differs(t) => format!("different from {}", t.get_ref()),
            Predicate::Between(lo, hi) => format!("between {lo} and {hi}"),
            Predicate::PositiveInteger => "a positive integer".into(),
            Predicate::ScopeSet(t) => format!("the scope set \"{}\"", t.get_ref()),
            Predicate::Charset => "in the RFC 6749 A.7/A.8 charset".into(),
            Predicate::Includes(t) => format!("including \"{}\"", t.get_ref()),
            Predicate::Excludes(t) => format!("not including \"{}\"", t.get_ref()),
            Predicate::JsonObject => "a JSON object".into(),
            Predicate::PublicKeysOnly => "a JWKS of public keys only".into(),
            Predicate::WellFormed => "well formed (RFC 6750 §3)".into(),
            Predicate::EntropyBits(n) => format!("about {n} bits of randomness or more each"),
            Predicate::AsciiMaxLen(n) => format!("at most {n} ASCII characters"),
            Predicate::DistinctKeys => "a JWKS whose keys have distinct kids (and uses)".into(),
            Predicate::StrongKeys => {
                "a JWKS of strong keys (RSA 2048+, EC on its alg's curve)".into()
            }
            Predicate::WellFormedMetadata => "metadata with every member well formed".into(),
            Predicate::Verifies => "signed by the issuer's JWKS, with valid claims".into(),
            Predicate::Empty => "empty".into(),
        }
    }
}

impl Assertion {
    /// How its check is named (`json \`expires_in\` type`).
    pub fn what(&self) -> String {
        let suffix = match self.query {
            // "WWW-Authenticate scheme" already says what is looked for.
            Query::Challenge | Query::ChallengeError => "",
            _ => self.predicate.suffix(),
        };
        format!("{}{suffix}", self.query.label())
    }

    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.query.label(), self.predicate.describe());
        if let Query::IdToken(idt) = &self.query {
            if let Some(a) = &idt.aud {
                s.push_str(&format!(", aud including {}", a.get_ref()));
            }
            if let Some(n) = &idt.nonce {
                s.push_str(&format!(", nonce = {}", n.get_ref()));
            }
            if idt.nonce_absent {
                s.push_str(", no nonce");
            }
            if idt.at_hash {
                s.push_str(", at_hash of the access token when present");
            }
        }
        if let Query::AccessToken(at) = &self.query {
            if let Some(c) = &at.client_id {
                s.push_str(&format!(", client_id = {}", c.get_ref()));
            }
        }
        if self.optional {
            s.push_str(" (when present)");
        }
        if let Some(l) = self.level {
            s.push_str(&format!(" [{}]", l.as_str()));
        }
        if !self.covers.is_empty() {
            s.push_str(&format!(" ({})", self.covers.join(", ")));
        }
        s
    }

    /// Every string in it that may be a template, with its span: the loader
    /// validates exactly these.
    pub fn texts(&self) -> Vec<&Text> {
        let mut out: Vec<&Text> = Vec::new();
        match &self.query {
            Query::Field(t) | Query::Header(t) | Query::Directive(t, _) => out.push(t),
            Query::IdToken(idt) => out.extend([&idt.aud, &idt.nonce].into_iter().flatten()),
            Query::AccessToken(at) => out.extend(at.client_id.iter()),
            // Spelled out, no `_`: a new query that carries a template
            // must be added here or the compiler says so.
            Query::Status
            | Query::Outcome
            | Query::Fragment
            | Query::Error
            | Query::Json(_)
            | Query::Param(_)
            | Query::Challenge
            | Query::ChallengeError
            | Query::ErrorText(_)
            | Query::Body
            | Query::Successes
            | Query::IdTokenClaim(_)
            | Query::Samples(_) => {}
        }
        match &self.predicate {
            Predicate::EqualsCi(t)
            | Predicate::Contains(t)
            | Predicate::Lacks(t)
            | Predicate::Differs(t)
            | Predicate::ScopeSet(t)
            | Predicate::Includes(t)
            | Predicate::Excludes(t) => out.push(t),
            // TOML values (`equals`, `one_of`) are `value_texts`.
            Predicate::Equals(_)
            | Predicate::OneOf(_)
            | Predicate::Present
            | Predicate::Absent
            | Predicate::Between(..)
            | Predicate::PositiveInteger
            | Predicate::Charset
            | Predicate::JsonObject
            | Predicate::PublicKeysOnly
            | Predicate::WellFormed
            | Predicate::EntropyBits(_)
            | Predicate::AsciiMaxLen(_)
            | Predicate::DistinctKeys
            | Predicate::StrongKeys
            | Predicate::WellFormedMetadata
            | Predicate::Verifies
            | Predicate::Empty => {}
        }
        out
    }

    /// Template strings held as TOML values (`equals`, `one_of`), which carry
    /// the assertion's span.
    pub fn value_texts(&self) -> Vec<&str> {
        match &self.predicate {
            Predicate::Equals(v) => v.as_str().into_iter().collect(),
            Predicate::OneOf(vs) => vs.iter().filter_map(toml::Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

fn one(query: Query, predicate: Predicate, span: Range<usize>) -> Expectation {
    Expectation::One(Assertion {
        query,
        predicate,
        span,
        level: None,
        covers: Vec::new(),
        optional: false,
        line: 0,
    })
}

fn optional(query: Query, predicate: Predicate, span: Range<usize>) -> Expectation {
    match one(query, predicate, span) {
        Expectation::One(mut a) => {
            a.optional = true;
            Expectation::One(a)
        }
        other => other,
    }
}

fn values<T: Clone + Into<toml::Value>>(v: &[T]) -> Predicate {
    match v {
        [one] => Predicate::Equals(one.clone().into()),
        many => Predicate::OneOf(many.iter().cloned().map(Into::into).collect()),
    }
}

/// The short form, mechanically: one assertion per member (and per map
/// entry), in a fixed order, each spanned where the file allows (`step`
/// where a plain boolean carries no span of its own).
pub fn from_short_form(e: &ExpectDef, step: Range<usize>) -> Vec<Expectation> {
    let mut out = Vec::new();
    callback(e, &mut out);
    response(e, &mut out);
    headers(e, &mut out);
    json_shape(e, &step, &mut out);
    tokens(e, &step, &mut out);
    out
}

/// `callback`: the authorization outcome, and where its parameters travel.
fn callback(e: &ExpectDef, out: &mut Vec<Expectation>) {
    if let Some(c) = &e.callback {
        let kind = *c.get_ref();
        out.push(one(
            Query::Outcome,
            Predicate::Equals(kind.as_str().into()),
            c.span(),
        ));
        match kind {
            // The code travels in the query, never the fragment (AUTHZ-01).
            CallbackKind::Code => out.push(one(Query::Fragment, Predicate::Empty, c.span())),
            CallbackKind::Error => out.push(one(
                Query::Param("code".into()),
                Predicate::Absent,
                c.span(),
            )),
            CallbackKind::NoRedirect => {}
        }
    }
}

/// `status`, `error`, `present`, `absent`, `json`, `params`, `differs`.
fn response(e: &ExpectDef, out: &mut Vec<Expectation>) {
    if let Some(s) = &e.status {
        let codes: Vec<i64> = s.get_ref().as_slice().iter().map(|&c| c as i64).collect();
        out.push(one(Query::Status, values(&codes), s.span()));
    }
    if let Some(er) = &e.error {
        out.push(one(
            Query::Error,
            values(er.get_ref().as_slice()),
            er.span(),
        ));
    }
    for f in &e.present {
        out.push(one(Query::Field(f.clone()), Predicate::Present, f.span()));
    }
    for f in &e.absent {
        out.push(one(Query::Field(f.clone()), Predicate::Absent, f.span()));
    }
    for (k, v) in &e.json {
        out.push(one(
            Query::Json(k.clone()),
            Predicate::Equals(v.get_ref().clone()),
            v.span(),
        ));
    }
    for (k, v) in &e.params {
        out.push(one(
            Query::Param(k.clone()),
            Predicate::Equals(v.get_ref().clone().into()),
            v.span(),
        ));
    }
    for (k, v) in &e.differs {
        let field = Spanned::new(v.span(), k.clone());
        out.push(one(
            Query::Field(field),
            Predicate::Differs(v.clone()),
            v.span(),
        ));
    }
}

/// `header_contains`, `header_absent`, `challenge`, `challenge_error`.
fn headers(e: &ExpectDef, out: &mut Vec<Expectation>) {
    for (name, sub) in &e.header_contains {
        let header = Spanned::new(sub.span(), name.clone());
        out.push(one(
            Query::Header(header),
            Predicate::Contains(sub.clone()),
            sub.span(),
        ));
    }
    for name in &e.header_absent {
        out.push(one(
            Query::Header(name.clone()),
            Predicate::Absent,
            name.span(),
        ));
    }
    if let Some(s) = &e.challenge {
        out.push(one(
            Query::Challenge,
            Predicate::Includes(s.clone()),
            s.span(),
        ));
    }
    if let Some(s) = &e.challenge_error {
        out.push(one(
            Query::ChallengeError,
            Predicate::Includes(s.clone()),
            s.span(),
        ));
    }
}

/// The body's shape: error charset, JSON object, members by predicate.
fn json_shape(e: &ExpectDef, step: &Range<usize>, out: &mut Vec<Expectation>) {
    if e.error_charset {
        out.push(one(
            Query::ErrorText("error"),
            Predicate::Charset,
            step.clone(),
        ));
        out.push(optional(
            Query::ErrorText("error_description"),
            Predicate::Charset,
            step.clone(),
        ));
    }
    if e.json_object {
        out.push(one(Query::Body, Predicate::JsonObject, step.clone()));
    }
    for (k, v) in &e.json_ci {
        out.push(one(
            Query::Json(k.clone()),
            Predicate::EqualsCi(v.clone()),
            v.span(),
        ));
    }
    if let Some(want) = &e.scope_granted {
        // RFC 6749 §5.1: `scope` may be left out only when it equals the request.
        out.push(optional(
            Query::Json("scope".into()),
            Predicate::ScopeSet(want.clone()),
            want.span(),
        ));
    }
    // RFC 6749 §5.1 only recommends expires_in: typed when present.
    for k in &e.positive_integer {
        out.push(optional(
            Query::Json(k.get_ref().clone()),
            Predicate::PositiveInteger,
            k.span(),
        ));
    }
    for (k, r) in &e.between {
        let [lo, hi] = *r.get_ref();
        out.push(one(
            Query::Json(k.clone()),
            Predicate::Between(lo, hi),
            r.span(),
        ));
    }
    for (k, v) in &e.includes {
        out.push(one(
            Query::Json(k.clone()),
            Predicate::Includes(v.clone()),
            v.span(),
        ));
    }
    for (k, v) in &e.excludes {
        out.push(optional(
            Query::Json(k.clone()),
            Predicate::Excludes(v.clone()),
            v.span(),
        ));
    }
}

/// Keys and tokens verified as a whole, and concurrent successes.
fn tokens(e: &ExpectDef, step: &Range<usize>, out: &mut Vec<Expectation>) {
    if e.public_keys_only {
        out.push(one(Query::Body, Predicate::PublicKeysOnly, step.clone()));
    }
    if let Some(idt) = &e.id_token {
        out.push(one(
            Query::IdToken(idt.clone()),
            Predicate::Verifies,
            step.clone(),
        ));
    }
    if let Some(at) = &e.access_token_jwt {
        out.push(one(
            Query::AccessToken(at.clone()),
            Predicate::Verifies,
            step.clone(),
        ));
    }
    if let Some(n) = &e.successes {
        out.push(one(
            Query::Successes,
            Predicate::Equals(i64::from(*n.get_ref()).into()),
            n.span(),
        ));
    }
}

/// The long form: `[[step.assert]]` tables. Strings are plain (not
/// spanned) because `any` branches go through an untagged enum, which
/// cannot carry spans; the whole table's span stands in for them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssertDef {
    /// The query: `status`, `outcome`, `error`, `fragment`, `body`,
    /// `successes`, `challenge`, `challenge_error`, `error_description`,
    /// `json <member>`, `param <name>`, `field <name>`, `header <name>`.
    pub that: Option<String>,
    /// Branches of which at least one must hold; a branch is one assertion
    /// table or a list of them that must all hold.
    pub any: Option<Vec<Branch>>,
    pub level: Option<Level>,
    #[serde(default)]
    pub covers: Vec<String>,
    #[serde(default)]
    pub optional: bool,
    pub equals: Option<toml::Value>,
    pub equals_ci: Option<String>,
    pub one_of: Option<Vec<toml::Value>>,
    #[serde(default)]
    pub present: bool,
    #[serde(default)]
    pub absent: bool,
    pub contains: Option<String>,
    /// With `that = "body"`: no response of the step holds this text.
    pub lacks: Option<String>,
    pub differs: Option<String>,
    pub between: Option<[i64; 2]>,
    #[serde(default)]
    pub positive_integer: bool,
    pub scope_set: Option<String>,
    #[serde(default)]
    pub charset: bool,
    pub includes: Option<String>,
    pub excludes: Option<String>,
    #[serde(default)]
    pub json_object: bool,
    #[serde(default)]
    pub public_keys_only: bool,
    #[serde(default)]
    pub well_formed: bool,
    pub entropy_bits: Option<i64>,
    pub ascii_max_len: Option<i64>,
    #[serde(default)]
    pub distinct_keys: bool,
    #[serde(default)]
    pub strong_keys: bool,
    #[serde(default)]
    pub well_formed_metadata: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Branch {
    One(Box<AssertDef>),
    All(Vec<AssertDef>),
}

/// The queries `that` may name, for messages and did-you-mean.
pub const QUERIES: &[&str] = &[
    "status",
    "outcome",
    "error",
    "fragment",
    "body",
    "successes",
    "challenge",
    "challenge_error",
    "error_description",
    "json <member>",
    "param <name>",
    "field <name>",
    "header <name>",
    "directive <header> <name>",
    "id_token <claim>",
    "samples <field>",
];

/// A problem in a long-form assertion: a message and a hint.
#[derive(Debug, PartialEq)]
pub struct Problem {
    pub message: String,
    pub help: Option<String>,
}

fn problem(message: impl Into<String>, help: Option<&str>) -> Problem {
    Problem {
        message: message.into(),
        help: help.map(str::to_string),
    }
}

/// Parses `that`; `span` is the assertion's.
pub fn parse_query(that: &str, span: Range<usize>) -> Result<Query, Problem> {
    let text = that.trim();
    let (head, arg) = match text.split_once(' ') {
        Some((h, a)) => (h, Some(a.trim())),
        None => (text, None),
    };
    let arg_text = |a: &str| Spanned::new(span.clone(), a.to_string());
    let q = match (head, arg) {
        ("status", None) => Query::Status,
        ("outcome", None) => Query::Outcome,
        ("error", None) => Query::Error,
        ("fragment", None) => Query::Fragment,
        ("body", None) => Query::Body,
        ("successes", None) => Query::Successes,
        ("challenge", None) => Query::Challenge,
        ("challenge_error", None) => Query::ChallengeError,
        ("error_description", None) => Query::ErrorText("error_description"),
        ("json", Some(a)) if !a.is_empty() => Query::Json(a.to_string()),
        ("param", Some(a)) if !a.is_empty() => Query::Param(a.to_string()),
        ("field", Some(a)) if !a.is_empty() => Query::Field(arg_text(a)),
        ("header", Some(a)) if !a.is_empty() => Query::Header(arg_text(a)),
        ("directive", Some(a)) => match a.split_whitespace().collect::<Vec<_>>()[..] {
            [header, name] => Query::Directive(arg_text(header), name.to_ascii_lowercase()),
            _ => {
                return Err(problem(
                    format!("`directive` takes a header and a directive name, got `{a}`"),
                    Some("e.g. `directive strict-transport-security max-age`"),
                ))
            }
        },
        ("id_token", Some(a)) if !a.is_empty() => Query::IdTokenClaim(a.to_string()),
        ("samples", Some(a)) if !a.is_empty() => Query::Samples(a.to_string()),
        _ => {
            return Err(problem(
                format!("unknown query `{text}`"),
                Some(&format!("`that` is one of: {}", QUERIES.join(", "))),
            ))
        }
    };
    Ok(q)
}

impl AssertDef {
    /// The one predicate the table names.
    fn predicate(&self, span: &Range<usize>) -> Result<Predicate, Problem> {
        let spanned = |s: &String| Spanned::new(span.clone(), s.clone());
        let mut found: Vec<Predicate> = Vec::new();
        if let Some(v) = &self.equals {
            found.push(Predicate::Equals(v.clone()));
        }
        if let Some(v) = &self.equals_ci {
            found.push(Predicate::EqualsCi(spanned(v)));
        }
        if let Some(v) = &self.one_of {
            found.push(Predicate::OneOf(v.clone()));
        }
        let flags = [
            (self.present, Predicate::Present),
            (self.absent, Predicate::Absent),
            (self.positive_integer, Predicate::PositiveInteger),
            (self.charset, Predicate::Charset),
            (self.json_object, Predicate::JsonObject),
            (self.public_keys_only, Predicate::PublicKeysOnly),
            (self.well_formed, Predicate::WellFormed),
            (self.distinct_keys, Predicate::DistinctKeys),
            (self.strong_keys, Predicate::StrongKeys),
            (self.well_formed_metadata, Predicate::WellFormedMetadata),
        ];
        found.extend(flags.into_iter().filter(|(on, _)| *on).map(|(_, p)| p));
        let texts = [
            (&self.contains, Predicate::Contains as fn(Text) -> Predicate),
            (&self.lacks, Predicate::Lacks),
            (&self.differs, Predicate::Differs),
            (&self.scope_set, Predicate::ScopeSet),
            (&self.includes, Predicate::Includes),
            (&self.excludes, Predicate::Excludes),
        ];
        for (t, make) in texts {
            if let Some(t) = t {
                found.push(make(spanned(t)));
            }
        }
        if let Some(n) = self.entropy_bits {
            found.push(Predicate::EntropyBits(n));
        }
        if let Some(n) = self.ascii_max_len {
            found.push(Predicate::AsciiMaxLen(n));
        }
        if let Some([lo, hi]) = self.between {
            if lo > hi {
                return Err(problem(
                    "`between` needs [low, high] with low <= high",
                    None,
                ));
            }
            found.push(Predicate::Between(lo, hi));
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(problem(
                "the assertion names no predicate",
                Some("add one of: equals, equals_ci, one_of, present, absent, contains, lacks, differs, between, positive_integer, scope_set, charset, includes, excludes, well_formed, entropy_bits, ascii_max_len, json_object, public_keys_only, distinct_keys, strong_keys, well_formed_metadata"),
            )),
            n => Err(problem(
                format!("the assertion names {n} predicates; one per assertion"),
                Some("split it into several [[step.assert]] tables"),
            )),
        }
    }

    fn assertion(&self, span: Range<usize>) -> Result<Assertion, Problem> {
        let Some(that) = &self.that else {
            return Err(problem(
                "the assertion has no `that` (what to look at)",
                Some(&format!("one of: {}", QUERIES.join(", "))),
            ));
        };
        let query = parse_query(that, span.clone())?;
        let predicate = self.predicate(&span)?;
        fits(&query, &predicate)?;
        Ok(Assertion {
            query,
            predicate,
            span,
            level: self.level,
            covers: self.covers.clone(),
            optional: self.optional,
            line: 0,
        })
    }

    /// This table as an expectation: one assertion, or `any` of branches.
    pub fn expectation(&self, span: Range<usize>) -> Result<Expectation, Problem> {
        let Some(any) = &self.any else {
            return self.assertion(span).map(Expectation::One);
        };
        if self.that.is_some() {
            return Err(problem(
                "`any` and `that` in one assertion",
                Some("put each alternative inside `any`"),
            ));
        }
        if any.len() < 2 {
            return Err(problem("`any` needs at least two branches", None));
        }
        let mut branches = Vec::new();
        for b in any {
            let defs: Vec<&AssertDef> = match b {
                Branch::One(d) => vec![d.as_ref()],
                Branch::All(ds) => ds.iter().collect(),
            };
            let mut branch = Vec::new();
            for d in defs {
                if d.any.is_some() {
                    return Err(problem("`any` inside `any`", Some("flatten the branches")));
                }
                branch.push(d.assertion(span.clone())?);
            }
            branches.push(branch);
        }
        Ok(Expectation::Any {
            branches,
            span,
            level: self.level,
            covers: self.covers.clone(),
            line: 0,
        })
    }
}

/// Predicates that only make sense of some queries.
fn fits(q: &Query, p: &Predicate) -> Result<(), Problem> {
    let ok = match p {
        Predicate::JsonObject
        | Predicate::PublicKeysOnly
        | Predicate::DistinctKeys
        | Predicate::StrongKeys
        | Predicate::WellFormedMetadata => matches!(q, Query::Body),
        // On the body: no response of the step holds the text; on one
        // value: the value does not hold it (PKCE-11: the challenge in a code).
        Predicate::Lacks(_) => matches!(
            q,
            Query::Body | Query::Param(_) | Query::Field(_) | Query::Json(_) | Query::Header(_)
        ),
        Predicate::Verifies => matches!(q, Query::IdToken(_) | Query::AccessToken(_)),
        Predicate::WellFormed => matches!(q, Query::Challenge),
        Predicate::EntropyBits(_) => matches!(q, Query::Samples(_)),
        Predicate::Empty => matches!(q, Query::Fragment),
        _ => !matches!(
            q,
            Query::Body | Query::Fragment | Query::IdToken(_) | Query::AccessToken(_)
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(problem(
            format!("`{}` cannot be {}", q.label(), p.describe()),
            Some("body takes json_object, public_keys_only, distinct_keys, strong_keys, well_formed_metadata or lacks; other queries take the value predicates"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(src: &str) -> AssertDef {
        toml::from_str(src).unwrap()
    }

    #[test]
    fn a_long_form_assertion_has_one_query_and_one_predicate() {
        let e = def("that = \"json token_type\"\nequals_ci = \"Bearer\"\nlevel = \"should\"\ncovers = [\"TOK-02\"]")
            .expectation(3..9)
            .unwrap();
        let Expectation::One(a) = e else { panic!() };
        assert!(matches!(a.query, Query::Json(ref k) if k == "token_type"));
        assert!(matches!(a.predicate, Predicate::EqualsCi(_)));
        assert_eq!(a.level, Some(Level::Should));
        assert_eq!(a.covers, ["TOK-02"]);
        assert_eq!(a.span, 3..9);
        assert_eq!(
            a.describe(),
            "json `token_type` = Bearer (any case) [should] (TOK-02)"
        );
    }

    #[test]
    fn problems_say_what_to_write() {
        let none = def("that = \"status\"").expectation(0..1).unwrap_err();
        assert!(none.message.contains("no predicate"), "{none:?}");
        let two = def("that = \"status\"\nequals = 200\npresent = true")
            .expectation(0..1)
            .unwrap_err();
        assert!(two.message.contains("2 predicates"), "{two:?}");
        let unknown = def("that = \"jsn scope\"\npresent = true")
            .expectation(0..1)
            .unwrap_err();
        assert!(unknown.message.contains("unknown query"), "{unknown:?}");
        let misfit = def("that = \"status\"\njson_object = true")
            .expectation(0..1)
            .unwrap_err();
        assert!(misfit.message.contains("cannot be"), "{misfit:?}");
        let lacks = def("that = \"status\"\nlacks = \"<x>\"")
            .expectation(0..1)
            .unwrap_err();
        assert!(lacks.message.contains("cannot be"), "{lacks:?}");
        assert!(def("that = \"body\"\nlacks = \"<x>\"")
            .expectation(0..1)
            .is_ok());
        let single = def("any = [{ that = \"status\", equals = 200 }]")
            .expectation(0..1)
            .unwrap_err();
        assert!(single.message.contains("two branches"), "{single:?}");
    }

    #[test]
    fn any_takes_single_assertions_and_lists() {
        let e = def(r#"any = [
            [{ that = "outcome", equals = "error" }, { that = "error", equals = "invalid_scope" }],
            { that = "outcome", equals = "code" },
        ]"#)
        .expectation(0..1)
        .unwrap();
        let Expectation::Any { branches, .. } = &e else {
            panic!()
        };
        assert_eq!(branches.len(), 2);
        assert_eq!(branches[0].len(), 2);
        assert_eq!(
            e.describe(),
            "any of (authorization outcome = error and error code = invalid_scope) or (authorization outcome = code)"
        );
    }

    #[test]
    fn the_short_form_becomes_one_assertion_per_member() {
        let e: ExpectDef = toml::from_str(
            "status = [400, 401]\nerror = \"invalid_client\"\nabsent = [\"access_token\"]\nerror_charset = true",
        )
        .unwrap();
        let list = from_short_form(&e, 0..1);
        let described: Vec<String> = list.iter().map(Expectation::describe).collect();
        assert_eq!(
            described,
            [
                "status one of 400, 401",
                "error code = invalid_client",
                "`access_token` absent",
                "`error` in the RFC 6749 A.7/A.8 charset",
                "`error_description` in the RFC 6749 A.7/A.8 charset (when present)",
            ]
        );
    }
}
