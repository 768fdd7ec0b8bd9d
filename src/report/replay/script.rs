//! A self-contained replay script for one case: bash and curl (openssl or
//! sha256sum for PKCE), no grantcheck needed.
//!
//! It sends the case's requests again, in order, against the issuer's
//! origin (`ISSUER_ORIGIN`, the run's by default), and
//! - chains what the issuer handed out: a value a request carries that an
//!   earlier response held (a code, a token, a session cookie, a login
//!   form's hidden field) is read from that response as it comes back now,
//!   found by the text just before it then;
//! - makes fresh what the client chose: a PKCE verifier (and its S256
//!   challenge, which the report marks as derived from it), `state`, `nonce`;
//! - takes secrets from the profile's variables, never from the report;
//! - sends a `concurrent` step's requests concurrently;
//! - ends by comparing the answers of the steps that decided the verdict
//!   (status, where a redirect went and with which parameters, the error
//!   code or the token) with those of the run: exit 1 when the finding is
//!   reproduced, 0 when the issuer now answers otherwise, 3 when the flow
//!   could not be followed.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{env_names, markers, shell_name, var_name, Vars};
use crate::report::model::{CaseResult, Exchange, HttpResponse, Outcome};

/// The shell functions every script carries.
const PRELUDE: &str = r#"set -u
dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
rand() { LC_ALL=C tr -dc 'A-Za-z0-9_-' </dev/urandom | head -c "$1"; }
b64url() { base64 | tr '+/' '-_' | tr -d '=\n'; }
sha256bin() {
  if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -binary
  else
    hex=$( (sha256sum 2>/dev/null || shasum -a 256) | cut -c1-64)
    printf "$(printf %s "$hex" | sed 's/../\\x&/g')"
  fi
}
s256() { printf %s "$1" | sha256bin | b64url; }
# send N METHOD URL [curl options]: the answer's status, headers and body in $dir.
send() {
  n=$1 m=$2 u=$3; shift 3
  curl -sS --max-time 30 -o "$dir/b$n" -D "$dir/h$n" -w '%{http_code}' -X "$m" "$u" "$@" >"$dir/s$n" 2>"$dir/e$n" || echo 000 >"$dir/s$n"
  touch "$dir/h$n" "$dir/b$n"
}
# pick N TEXT: the value right after TEXT in answer N.
pick() {
  cat "$dir/h$1" "$dir/b$1" | L="$2" LC_ALL=C awk '{ l = ENVIRON["L"]; i = index($0, l); if (i) { s = substr($0, i + length(l)); if (match(s, /^[A-Za-z0-9._~%+\/=-]+/)) print substr(s, 1, RLENGTH); exit } }'
}
# need NAME N [RUN]: stop when answer N did not hold what the next request
# needs. When N decided the verdict (RUN: what the run saw there) and the
# issuer now answers otherwise there, the finding is gone (exit 0); else the
# flow could not be followed (exit 3).
need() {
  if [ -z "${!1}" ]; then
    if [ -n "${3:-}" ] && [ "$(observe "$2")" != "$3" ]; then
      echo "NOT REPRODUCED: answer $2 now is \"$(observe "$2")\", the run got \"$3\""; exit 0
    fi
    echo "cannot continue: $1 is not in answer $2 (status $(cat "$dir/s$2")); the flow went elsewhere" >&2
    cat "$dir/e$2" >&2; exit 3
  fi
}
# needvar NAME MESSAGE: a variable the user must export.
needvar() {
  if [ -z "${!1:-}" ]; then echo "$2" >&2; exit 3; fi
}
# observe N: what decided the verdict, as the run recorded it.
observe() {
  st=$(cat "$dir/s$1")
  loc=$(grep -i '^location:' "$dir/h$1" | head -n 1 | cut -d' ' -f2- | tr -d '\r')
  if [ -n "$loc" ]; then
    base=${loc%%[?#]*}; rest=${loc#"$base"}; rest=${rest#?}
    echo "$st $base $(printf %s "$rest" | tr '&#' '\n\n' | cut -d= -f1 | paste -sd, -)"
  elif grep -q '"error"' "$dir/b$1"; then
    echo "$st error=$(sed -n 's/.*"error" *: *"\([^"]*\)".*/\1/p' "$dir/b$1" | head -n 1)"
  elif grep -q '"access_token"' "$dir/b$1"; then echo "$st token"
  else echo "$st"; fi
}
"#;

/// The script replaying `case`; `vars` maps the run's known markers
/// (secrets) to the profile's variables.
pub fn script(case: &CaseResult, vars: &Vars) -> String {
    let flat: Vec<(usize, &Exchange)> = case
        .steps
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.exchanges.iter().map(move |e| (i, e)))
        .collect();
    let origin = flat.first().and_then(|(_, e)| origin_of(&e.request.url));
    let mut plan = Plan::new(vars, &flat, origin.clone());
    let sends: Vec<String> = (0..flat.len()).map(|n| plan.send(n)).collect();
    let mut out = header(case, origin.as_deref().unwrap_or(""), &plan);
    let mut n = 0;
    while n < flat.len() {
        // A `concurrent` step's summary says "N at once" (its action is the endpoint's).
        let at_once = case.steps[flat[n].0].summary.contains(" at once");
        let group = concurrent_run(&flat, n, at_once);
        group_block(
            &mut out,
            case,
            &flat[n..n + group],
            &sends[n..n + group],
            n,
            &plan,
        );
        n += group;
    }
    tls_probes(&mut out, case);
    verdict(&mut out, case, &flat);
    out
}

/// The `tls` steps' hand-built ClientHellos are not HTTP, so the script
/// cannot send them: each gets the openssl command that asks the same
/// question, as a comment for the reviewer.
fn tls_probes(out: &mut String, case: &CaseResult) {
    let probes = case
        .steps
        .iter()
        .filter(|s| s.action == "tls" && s.exchanges.is_empty());
    for step in probes {
        if let Some(cmd) = openssl_equivalent(&step.summary) {
            let _ = writeln!(
                out,
                "\n# step `{}` (tls): {}\n# by hand: {cmd}",
                step.name, step.summary
            );
        }
    }
}

/// `openssl s_client` offering what the probe of `summary` offered
/// (`<offer> to <host>:<port>: <answer>`); `None` for other summaries or a
/// host with characters a shell line should not carry.
fn openssl_equivalent(summary: &str) -> Option<String> {
    let (probe, rest) = summary.split_once(" to ")?;
    let target = rest.split(": ").next()?;
    let host = target.rsplit_once(':')?.0;
    let safe = |t: &str| {
        t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
    };
    if !safe(target) {
        return None;
    }
    let flags = match probe {
        p if p.contains("TLS 1.0") => "-tls1 -cipher 'ALL:@SECLEVEL=0'",
        p if p.contains("TLS 1.1") => "-tls1_1 -cipher 'ALL:@SECLEVEL=0'",
        p if p.contains("TLS 1.3 only") => "-tls1_3",
        p if p.contains("RSA key transport") => "-tls1_2 -cipher 'kRSA:@SECLEVEL=0'",
        p if p.contains("anonymous suites") => {
            "-tls1_2 -cipher 'eNULL:aNULL:EXPORT:RC4:DES:3DES:@SECLEVEL=0'"
        }
        _ => return None,
    };
    let host = host.trim_matches(['[', ']']);
    Some(format!(
        "openssl s_client -connect {target} -servername {host} {flags} </dev/null"
    ))
}

/// The requests of one exchange or of a concurrent run (`first` is the
/// first one's index), then the values read from their answers.
fn group_block(
    out: &mut String,
    case: &CaseResult,
    group: &[(usize, &Exchange)],
    sends: &[String],
    first: usize,
    plan: &Plan,
) {
    let step = &case.steps[group[0].0];
    let _ = writeln!(
        out,
        "\n# step `{}` ({}): the run got {}",
        step.name,
        step.action,
        answered(group[0].1)
    );
    let background = if group.len() > 1 { " &" } else { "" };
    for line in sends {
        let _ = writeln!(out, "{line}{background}");
    }
    if group.len() > 1 {
        out.push_str("wait\n");
    }
    for (i, (_, ex)) in group.iter().enumerate() {
        let m = first + i;
        let run = match deciding(case, step.outcome) {
            true => format!(" {}", sh(&answered(ex))),
            false => String::new(),
        };
        for (name, left) in plan.captures.get(&m).into_iter().flatten() {
            let _ = writeln!(out, "{name}=$(pick {m} {})\nneed {name} {m}{run}", sh(left));
        }
    }
}

/// The top: what it replays, how to run it, and the values it makes.
fn header(case: &CaseResult, origin: &str, plan: &Plan) -> String {
    let mut out = format!(
        "#!/usr/bin/env bash\n# Replay of {} (grantcheck {}): {}\n",
        comment(&case.id),
        env!("CARGO_PKG_VERSION"),
        comment(&case.title)
    );
    out.push_str("# Exit 1: the finding is reproduced; 0: the issuer now answers otherwise;\n# 3: the flow could not be followed. ISSUER_ORIGIN points it at another host.\n");
    let mut env: Vec<String> = plan.secrets.iter().flat_map(|e| env_names(e)).collect();
    env.sort();
    env.dedup();
    for name in &env {
        let _ = writeln!(out, "# needs {name} (the profile's variable)");
    }
    out.push_str(PRELUDE);
    let _ = writeln!(
        out,
        "ISSUER_ORIGIN=\"${{ISSUER_ORIGIN:-}}\"; [ -n \"$ISSUER_ORIGIN\" ] || ISSUER_ORIGIN={}",
        sh(origin)
    );
    for name in &env {
        let _ = writeln!(
            out,
            "needvar {name} {}",
            sh(&format!("export {name}, a variable of the profile"))
        );
    }
    for (name, kind) in &plan.asked {
        let why = format!("set {name}: a {kind} from an earlier flow, not handed out in this one");
        let _ = writeln!(out, "needvar {name} {}", sh(&why));
    }
    for (name, expr) in &plan.fresh {
        let _ = writeln!(out, "{name}={expr}");
    }
    out
}

/// How many exchanges from `n` on were sent at once: a `concurrent` step's
/// requests, alike but for the values handed out.
fn concurrent_run(flat: &[(usize, &Exchange)], n: usize, at_once: bool) -> usize {
    if !at_once {
        return 1;
    }
    let (step, first) = flat[n];
    flat[n..]
        .iter()
        .take_while(|(s, e)| {
            *s == step
                && e.request.method == first.request.method
                && e.request.url == first.request.url
        })
        .count()
}

fn answered(e: &Exchange) -> String {
    match (&e.response, &e.error) {
        (Some(r), _) => observation(r),
        (None, Some((k, _))) => format!("no answer ({k:?})"),
        (None, None) => "no answer".into(),
    }
}

/// Whether a step with `outcome` decided the case's verdict.
fn deciding(case: &CaseResult, outcome: Outcome) -> bool {
    outcome == case.outcome && matches!(outcome, Outcome::Fail | Outcome::Warn | Outcome::Error)
}

/// The comparison that ends the script.
fn verdict(out: &mut String, case: &CaseResult, flat: &[(usize, &Exchange)]) {
    let deciding: Vec<usize> = (0..flat.len())
        .filter(|n| deciding(case, case.steps[flat[*n].0].outcome))
        .collect();
    let mut expected: Vec<String> = deciding
        .iter()
        .map(|n| {
            flat[*n]
                .1
                .response
                .as_ref()
                .map_or("000".into(), observation)
        })
        .collect();
    expected.sort();
    let ns: Vec<String> = deciding.iter().map(|n| n.to_string()).collect();
    if ns.is_empty() {
        let _ = writeln!(
            out,
            "\necho 'nothing to compare: no step of this case decided a verdict' >&2\nexit 3"
        );
        return;
    }
    let _ = writeln!(out, "\nexpected={}", sh(&expected.join("\n")));
    let _ = writeln!(
        out,
        "got=$(for n in {}; do observe \"$n\"; done | LC_ALL=C sort)",
        ns.join(" ")
    );
    let _ = writeln!(
        out,
        "if [ \"$got\" = \"$expected\" ]; then\n  printf 'REPRODUCED: %s: the issuer answers as in the run:\\n' {id}; printf '%s\\n' \"$got\"; exit 1\nfi\nprintf 'NOT REPRODUCED: %s: the run got\\n' {id}; printf '%s\\n' \"$expected\"; echo \"and now:\"; printf '%s\\n' \"$got\"; exit 0",
        id = sh(&case.id)
    );
}

/// What `observe` prints for a response: the status, then where a
/// redirect goes and its parameter names, or the error code, or `token`.
/// (The two must agree: the replay tests run both.)
pub fn observation(r: &HttpResponse) -> String {
    if let Some(loc) = r
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.trim())
    {
        // A redaction marker holds `#`, which the real value does not.
        let loc = &without_markers(loc);
        let cut = loc.find(['?', '#']).unwrap_or(loc.len());
        let rest = loc.get(cut + 1..).unwrap_or("");
        let names: Vec<&str> = match rest.is_empty() {
            true => Vec::new(),
            false => rest
                .split(['&', '#'])
                .map(|p| p.split('=').next().unwrap_or(""))
                .collect(),
        };
        return format!("{} {} {}", r.status, &loc[..cut], names.join(","));
    }
    if r.body.contains("\"error\"") {
        let code = r.body.lines().find_map(last_error_code).unwrap_or_default();
        return format!("{} error={code}", r.status);
    }
    match r.body.contains("\"access_token\"") {
        true => format!("{} token", r.status),
        false => r.status.to_string(),
    }
}

/// `text` with each redaction marker replaced by `x`.
fn without_markers(text: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (s, e, _, _) in markers(text) {
        out.push_str(&text[last..s]);
        out.push('x');
        last = e;
    }
    out.push_str(&text[last..]);
    out
}

/// `sed 's/.*"error" *: *"\([^"]*\)".*/\1/p'` on one line: the last
/// `"error": "x"` of it.
fn last_error_code(line: &str) -> Option<String> {
    let mut found = None;
    for (i, _) in line.match_indices("\"error\"") {
        let rest = line[i + 7..].trim_start_matches(' ');
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let Some(rest) = rest.trim_start_matches(' ').strip_prefix('"') else {
            continue;
        };
        if let Some(end) = rest.find('"') {
            found = Some(rest[..end].to_string());
        }
    }
    found
}

/// `scheme://host[:port]` of a URL, when it is one a shell may hold as it
/// is (no userinfo, nothing but host characters): else `None`, and the URL
/// is replayed as recorded.
fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    if !u.username().is_empty() || u.password().is_some() || !matches!(u.scheme(), "http" | "https")
    {
        return None;
    }
    let origin = u.origin().ascii_serialization();
    let host_chars = |c: char| c.is_ascii_alphanumeric() || ".:-[]/".contains(c);
    (origin.chars().all(host_chars) && url.starts_with(&origin)).then_some(origin)
}

/// Text for a `#` comment line: control characters (a newline would end
/// the comment) become spaces.
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Single-quoted for the shell.
fn sh(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// What the script needs to know before it writes a request.
struct Plan<'a> {
    vars: &'a Vars,
    flat: &'a [(usize, &'a Exchange)],
    /// The issuer's origin, which `ISSUER_ORIGIN` replaces.
    origin: Option<String>,
    /// Each response as `pick` reads it: header lines, then the body.
    answers: Vec<String>,
    /// What else `pick` reads of each answer: its status line and header
    /// names, lower case (a text found there first would be picked wrong).
    heads: Vec<String>,
    /// Variables read from answer N: (name, the text before the value).
    captures: BTreeMap<usize, Vec<(String, String)>>,
    /// Values the script makes: (name, shell expression), in order.
    fresh: Vec<(String, String)>,
    /// Variables the user must set (values from outside this flow).
    asked: Vec<(String, String)>,
    /// The profile variables' expressions used.
    secrets: Vec<String>,
    /// Recorded text -> shell variable, once decided.
    known: BTreeMap<String, String>,
}

impl<'a> Plan<'a> {
    fn new(vars: &'a Vars, flat: &'a [(usize, &'a Exchange)], origin: Option<String>) -> Self {
        let answers = flat
            .iter()
            .map(|(_, e)| e.response.as_ref().map(answer_text).unwrap_or_default())
            .collect();
        let heads = flat
            .iter()
            .map(|(_, e)| {
                e.response.as_ref().map_or(String::new(), |r| {
                    let names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
                    format!("http/1.1 {} {}", r.status, names.join(" ")).to_ascii_lowercase()
                })
            })
            .collect();
        Plan {
            vars,
            flat,
            origin,
            answers,
            heads,
            captures: BTreeMap::new(),
            fresh: Vec::new(),
            asked: Vec::new(),
            secrets: Vec::new(),
            known: BTreeMap::new(),
        }
    }

    /// The `send` line of exchange `n`.
    fn send(&mut self, n: usize) -> String {
        let r = &self.flat[n].1.request;
        let url = match origin_of(&r.url).filter(|o| Some(o) == self.origin.as_ref()) {
            Some(o) => format!("\"$ISSUER_ORIGIN\"{}", self.quoted(&r.url[o.len()..], n)),
            None => self.quoted(&r.url, n),
        };
        let mut line = format!("send {n} {} {url}", r.method);
        for (k, v) in &r.headers {
            if !matches!(k.to_ascii_lowercase().as_str(), "content-length" | "host") {
                let _ = write!(line, " \\\n  -H {}", self.quoted(&format!("{k}: {v}"), n));
            }
        }
        if let Some(b) = &r.body {
            let _ = write!(line, " \\\n  --data-raw {}", self.quoted(b, n));
        }
        line
    }

    /// `text` single-quoted, each value that is not a constant replaced by
    /// its variable.
    fn quoted(&mut self, text: &str, n: usize) -> String {
        let mut out = String::from("'");
        let mut last = 0;
        for (start, end) in dynamic_spans(text) {
            let expr = self.expr(&text[start..end], param_name(&text[..start]), n);
            out.push_str(&text[last..start].replace('\'', r"'\''"));
            match expr {
                Some(e) => {
                    let _ = write!(out, "'\"{e}\"'");
                }
                None => out.push_str(&text[start..end].replace('\'', r"'\''")),
            }
            last = end;
        }
        out.push_str(&text[last..].replace('\'', r"'\''"));
        out.push('\'');
        // `'a'"$X"''` reads better as `'a'"$X"`.
        match out.strip_suffix("\"''") {
            Some(s) if out.len() > 3 => format!("{s}\""),
            _ => out,
        }
    }

    /// The shell expression standing for `value` in request `n`, or `None`
    /// to send it as recorded.
    fn expr(&mut self, value: &str, hint: Option<String>, n: usize) -> Option<String> {
        if let Some(e) = self.vars.get(value) {
            self.secrets.push(e.clone());
            return Some(e.clone());
        }
        if let Some(v) = self.known.get(value) {
            return Some(format!("${{{v}}}"));
        }
        let name = self.decide(value, hint, n)?;
        self.known.insert(value.to_string(), name.clone());
        Some(format!("${{{name}}}"))
    }

    /// Where a value comes from: an earlier answer, or made fresh, or asked.
    fn decide(&mut self, value: &str, hint: Option<String>, n: usize) -> Option<String> {
        let marker = markers(value)
            .into_iter()
            .next()
            .map(|(_, _, k, fp)| (k.to_string(), fp.to_string()));
        let name = match (&marker, hint) {
            (Some((kind, fp)), _) => var_name(kind, fp),
            (None, Some(h)) if !self.known.values().any(|v| *v == h) => h,
            (None, _) => format!("VALUE_{}", self.known.len() + 1),
        };
        for m in (0..n).rev() {
            let left = left_context(&self.answers[m], value)
                .filter(|l| !self.heads[m].contains(&l.to_ascii_lowercase()));
            if let Some(left) = left {
                self.captures
                    .entry(m)
                    .or_default()
                    .push((name.clone(), left));
                return Some(name);
            }
        }
        match marker {
            Some((kind, _)) if kind == "code_verifier" => {
                self.fresh.push((name.clone(), "$(rand 64)".into()));
                Some(name)
            }
            Some((kind, fp)) if kind == "s256" => {
                let verifier = var_name("code_verifier", &fp);
                if !self.fresh.iter().any(|(n, _)| *n == verifier) {
                    self.fresh.push((verifier.clone(), "$(rand 64)".into()));
                    self.known
                        .insert(format!("[redacted code_verifier #{fp}]"), verifier.clone());
                }
                self.fresh
                    .push((name.clone(), format!("$(s256 \"${verifier}\")")));
                Some(name)
            }
            Some((kind, _)) => {
                self.asked.push((name.clone(), kind));
                Some(name)
            }
            None if is_client_choice(self.flat[n].1, value) => {
                self.fresh.push((name.clone(), "$(rand 43)".into()));
                Some(name)
            }
            None => None,
        }
    }
}

/// The parameter a value in `before`'s continuation is given to
/// (`...&csrf=` gives `CSRF`), as a shell variable name.
fn param_name(before: &str) -> Option<String> {
    let head = before.strip_suffix('=')?;
    let start = head.rfind(['?', '&', ' ', ';', '"']).map_or(0, |i| i + 1);
    let name = shell_name(&head[start..]);
    // Prefixed: the issuer names its fields, and must not name PATH or a
    // profile variable.
    (!name.is_empty() && name.len() <= 32).then(|| format!("V_{name}"))
}

/// Whether `value` is a `state` or `nonce` the client chose in request `e`.
fn is_client_choice(e: &Exchange, value: &str) -> bool {
    let query = e.request.url.split_once('?').map_or("", |(_, q)| q);
    [query, e.request.body.as_deref().unwrap_or("")]
        .iter()
        .any(|text| {
            text.split('&')
                .any(|p| p == format!("state={value}") || p == format!("nonce={value}"))
        })
}

/// A response as `pick` reads it, but for the header names (whose case
/// may differ on the wire): header values, one per line, then the body.
fn answer_text(r: &HttpResponse) -> String {
    let mut t: String = r.headers.iter().map(|(_, v)| format!("{v}\n")).collect();
    t.push('\n');
    t.push_str(&r.body);
    t
}

/// Spans of `text` that may vary from run to run: redaction markers, and
/// runs of 16 or more token characters (random values, codes, CSRF).
fn dynamic_spans(text: &str) -> Vec<(usize, usize)> {
    let marks: Vec<(usize, usize)> = markers(text)
        .into_iter()
        .map(|(s, e, _, _)| (s, e))
        .collect();
    let mut spans = marks.clone();
    let token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~');
    let mut i = 0;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    while i < bytes.len() {
        let start = bytes[i].0;
        let mut j = i;
        while j < bytes.len() && token(bytes[j].1) {
            j += 1;
        }
        let end = bytes.get(j).map_or(text.len(), |(b, _)| *b);
        let inside_marker = marks.iter().any(|(s, e)| start < *e && end > *s);
        if j - i >= 16 && !inside_marker {
            spans.push((start, end));
        }
        i = j.max(i + 1);
    }
    spans.sort();
    spans
}

/// The text just before `value` in `answer` that `pick` finds first and
/// that does not vary (no other value inside it), on one line; `None` when
/// the answer does not hold the value or no such text exists.
fn left_context(answer: &str, value: &str) -> Option<String> {
    let p = answer.find(value)?;
    let varying = dynamic_spans(answer);
    let line_start = answer[..p].rfind('\n').map_or(0, |i| i + 1);
    // Eight characters at least (fewer only at a line's start): a shorter
    // text would too easily occur first somewhere else in a fresh answer.
    for len in (p - line_start).min(8)..=48 {
        if len == 0 || len > p || !answer.is_char_boundary(p - len) {
            continue;
        }
        let left = &answer[p - len..p];
        if left.contains('\n') || varying.iter().any(|(s, e)| *s < p && *e > p - len) {
            return None;
        }
        if answer.find(left) == Some(p - len) {
            return Some(left.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_probes_replay_as_openssl_commands() {
        let cmd = |s: &str| openssl_equivalent(s).unwrap_or_default();
        let tls10 = cmd(
            "a TLS 1.0 ClientHello to issuer.example:443: refused: fatal alert protocol_version",
        );
        assert!(
            tls10.starts_with(
                "openssl s_client -connect issuer.example:443 -servername issuer.example -tls1 "
            ),
            "{tls10}"
        );
        assert!(
            cmd("a ClientHello offering TLS 1.3 only to h:8443: accepted")
                .ends_with("-tls1_3 </dev/null")
        );
        assert!(cmd("a TLS 1.2 ClientHello offering only RSA key transport suites (no forward secrecy) to h:1: refused").contains("kRSA"));
        assert_eq!(
            openssl_equivalent("a TLS 1.0 ClientHello to h;rm -rf:1: x"),
            None
        );
        assert_eq!(
            openssl_equivalent("a verified TLS connection to https://h"),
            None
        );
    }

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.into(),
            truncated: false,
        }
    }

    #[test]
    fn observations_name_what_decided() {
        let r = resp(
            303,
            &[(
                "Location",
                "https://c.example/cb?code=[redacted code #abcdef]&state=x&iss=y",
            )],
            "",
        );
        assert_eq!(observation(&r), "303 https://c.example/cb code,state,iss");
        let r = resp(
            400,
            &[],
            r#"{"error":"invalid_grant","error_description":"the \"error\" x"}"#,
        );
        assert_eq!(observation(&r), "400 error=invalid_grant");
        let r = resp(
            200,
            &[],
            r#"{"access_token":"[redacted access_token #abcdef]"}"#,
        );
        assert_eq!(observation(&r), "200 token");
        assert_eq!(
            observation(&resp(302, &[("location", "/x")], "")),
            "302 /x "
        );
    }

    #[test]
    fn a_value_is_found_by_the_constant_text_before_it() {
        let page = "content-type: text/html\n\n<input type=\"hidden\" name=\"request_id\" value=\"AAAAAAAAAAAAAAAAAAAA\"><input type=\"hidden\" name=\"csrf\" value=\"BBBBBBBBBBBBBBBBBBBB\">";
        assert_eq!(
            left_context(page, "BBBBBBBBBBBBBBBBBBBB").as_deref(),
            Some("f\" value=\"")
        );
        assert_eq!(
            left_context(page, "AAAAAAAAAAAAAAAAAAAA").as_deref(),
            Some(" value=\"")
        );
        let loc =
            "location: https://c/cb?code=[redacted code #abcdef]&state=SSSSSSSSSSSSSSSSSSSS\n\n";
        assert_eq!(
            left_context(loc, "[redacted code #abcdef]").as_deref(),
            Some("cb?code=")
        );
        assert_eq!(left_context(loc, "nothing"), None);
    }
}
