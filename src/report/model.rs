//! The result model: what a run found, with its evidence. Every renderer
//! (terminal, JSON, JUnit, SARIF, Markdown, HTML) reads only this, and
//! everything in it is already redacted. The run's verdict is derived from
//! it in one place, `report::verdict`.

use serde::{Deserialize, Serialize};

/// The five outcomes, never confused (ARCHITECTURE.md, "Verdicts"). Ordered by severity so the
/// worst of several is `max()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Skip,
    Warn,
    Fail,
    Error,
}

impl Outcome {
    /// Upper case, as the text renderers print it (`FAIL`).
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Skip => "SKIP",
            Outcome::Warn => "WARN",
            Outcome::Fail => "FAIL",
            Outcome::Error => "ERROR",
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Skip => "skip",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body was longer than the evidence keeps (or than the body cap).
    pub truncated: bool,
}

impl HttpResponse {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why an exchange did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportError {
    Connect,
    Timeout,
    BodyTooLarge,
    TooManyRedirects,
    BadUrl,
    /// Refused before sending by the profile's guard (a scope that moves money).
    Guarded,
    Other,
}

/// One HTTP request and what came back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: HttpRequest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<(TransportError, String)>,
    pub elapsed_ms: u64,
    /// Why the request was sent a second time, on a fresh connection (the
    /// pooled one was closed under it before any response byte).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retried: Option<String>,
}

/// One expectation, checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub what: String,
    pub expected: String,
    pub actual: String,
    pub passed: bool,
    /// The line of the scenario file that asserts it (SARIF regions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The assertion's own level, when it has one over the step's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Requirement ids only this assertion checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
}

impl Check {
    /// A check of no particular line, level or ids.
    pub fn new(
        what: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
        passed: bool,
    ) -> Check {
        Check {
            what: what.into(),
            expected: expected.into(),
            actual: actual.into(),
            passed,
            line: None,
            level: None,
            covers: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    pub name: String,
    /// `authorize`, `token`, `introspect`, ...
    pub action: String,
    pub level: String,
    pub outcome: Outcome,
    /// One line: what was sent and what came back.
    pub summary: String,
    pub checks: Vec<Check>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub exchanges: Vec<Exchange>,
    /// Why this step was not run (`step `second` failed`): it is listed, with
    /// outcome `skip`, so that no format hides what a case never checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_run: Option<String>,
}

impl StepResult {
    /// `NOT RUN`, or the outcome's label (`FAIL`).
    pub fn label(&self) -> &'static str {
        match self.not_run {
            Some(_) => "NOT RUN",
            None => self.outcome.label(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// `scenario.id` or `scenario.id[case]`.
    pub id: String,
    pub scenario: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    pub title: String,
    pub area: String,
    pub level: String,
    /// Requirement ids this case checked. An id that only steps which did
    /// not run would check is in `not_covered` instead.
    pub covers: Vec<String>,
    /// Ids the case would have checked, had the steps for them run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_covered: Vec<String>,
    pub spec: Vec<String>,
    pub tags: Vec<String>,
    pub outcome: Outcome,
    /// One line saying why, for anything but a pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    pub steps: Vec<StepResult>,
    pub source: String,
    /// The baseline's reason when this case is a known deviation: it stays
    /// visible but does not fail the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub skip: usize,
    pub error: usize,
    /// Expectations evaluated in the whole run.
    pub checks: usize,
}

impl Summary {
    pub fn of(cases: &[CaseResult]) -> Self {
        let mut s = Summary {
            total: cases.len(),
            ..Default::default()
        };
        for c in cases {
            match c.outcome {
                Outcome::Pass => s.pass += 1,
                Outcome::Fail => s.fail += 1,
                Outcome::Warn => s.warn += 1,
                Outcome::Skip => s.skip += 1,
                Outcome::Error => s.error += 1,
            }
            s.checks += c.steps.iter().map(|st| st.checks.len()).sum::<usize>();
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub profile: String,
    pub issuer: String,
    /// The embedded reference issuer was the target.
    pub reference: bool,
    /// Faults switched on in the reference issuer.
    pub faults: Vec<String>,
    /// The reference issuer's dialect, when it emulated the profile's
    /// issuer (`run --emulate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<String>,
}

pub const SCHEMA: &str = "grantcheck-report/1";

/// What stopped a run before every planned case ran to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HaltCause {
    /// Before any case: the issuer could not be reached, or its discovery
    /// could not be used.
    Setup,
    /// The run deadline (`--deadline`) passed.
    Deadline,
    /// SIGINT or SIGTERM.
    Signal,
}

/// Why a run stopped early. Every case it kept from finishing is an
/// `error` whose reason is this one, so every format names the cause.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Halt {
    pub cause: HaltCause,
    /// One line: "interrupted: the run deadline of 900 s passed".
    pub reason: String,
    /// `fail` when the stop is itself a finding (an issuer whose discovery
    /// names another issuer), else `error`.
    pub outcome: Outcome,
    /// What the issuer answered when the run stopped before any case (the
    /// discovery exchange), redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
}

impl Halt {
    pub fn new(cause: HaltCause, reason: impl Into<String>) -> Halt {
        Halt {
            cause,
            reason: reason.into(),
            outcome: Outcome::Error,
            exchanges: Vec::new(),
        }
    }

    /// Whether `c` is a case this halt kept from running at all (an
    /// `error` with the halt's reason and no step): the text renderers
    /// list such cases once, not each with its own finding.
    pub fn kept_from_running(&self, c: &CaseResult) -> bool {
        c.outcome == Outcome::Error
            && c.steps.is_empty()
            && c.reason.as_deref() == Some(self.reason.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub schema: String,
    pub tool_version: String,
    pub target: Target,
    pub duration_ms: u64,
    pub summary: Summary,
    pub cases: Vec<CaseResult>,
    /// Redaction markers whose source the run knows, and the shell
    /// expression a replay uses instead (`$GRANTCHECK_REF_C1_SECRET`): names
    /// of variables, never values.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub replay_vars: std::collections::BTreeMap<String, String>,
    /// The baseline applied to this run, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<super::baseline::Status>,
    /// Why the run stopped before every case ran, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halt: Option<Halt>,
    /// Logins done and sessions reused, when any authorization ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<SessionStats>,
}

/// What reusing each user's logged-in session did in a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStats {
    /// Login forms filled that reached the client.
    pub logins: u64,
    /// Authorizations carried through by a session, without a login.
    pub reused: u64,
    /// Request time saved: for each reuse, what an authorization with a
    /// login took on average more than one on a session.
    pub saved_ms: u64,
}

impl RunReport {
    /// Cases that count against the run: not passing, and not accepted by a baseline.
    pub fn counted(&self, outcome: Outcome) -> usize {
        self.cases
            .iter()
            .filter(|c| c.outcome == outcome && c.known.is_none())
            .count()
    }

    pub fn worst(&self) -> Outcome {
        self.cases
            .iter()
            .map(|c| c.outcome)
            .max()
            .unwrap_or(Outcome::Pass)
    }
}

/// Minimal cases and reports for the unit tests of everything that reads
/// the model (the matrix, baselines, ...).
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn case(id: &str, covers: &[&str], outcome: Outcome) -> CaseResult {
        CaseResult {
            id: id.into(),
            scenario: id.into(),
            case: None,
            title: String::new(),
            area: "x".into(),
            level: "must".into(),
            covers: covers.iter().map(|s| s.to_string()).collect(),
            not_covered: vec![],
            spec: vec![],
            tags: vec![],
            outcome,
            reason: (outcome != Outcome::Pass).then(|| "why".into()),
            duration_ms: 0,
            steps: vec![],
            source: String::new(),
            known: None,
        }
    }

    /// An answered exchange: `method url` got `status` with `body`.
    pub fn exchange(method: &str, url: &str, status: u16, body: &str) -> Exchange {
        Exchange {
            request: HttpRequest {
                method: method.into(),
                url: url.into(),
                headers: vec![],
                body: None,
            },
            response: Some(HttpResponse {
                status,
                headers: vec![],
                body: body.into(),
                truncated: false,
            }),
            error: None,
            elapsed_ms: 0,
            retried: None,
        }
    }

    pub fn report(cases: Vec<CaseResult>) -> RunReport {
        RunReport {
            schema: SCHEMA.into(),
            tool_version: "0".into(),
            target: Target {
                profile: "reference".into(),
                issuer: "http://x".into(),
                reference: true,
                faults: vec![],
                dialect: None,
            },
            duration_ms: 7,
            summary: Summary::of(&cases),
            cases,
            replay_vars: Default::default(),
            baseline: None,
            halt: None,
            sessions: None,
        }
    }
}
