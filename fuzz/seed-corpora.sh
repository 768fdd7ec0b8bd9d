#!/usr/bin/env bash
# Builds seed corpora for every fuzz target from real material:
#   suites/**/*.toml, issuers/*.toml, the README's minimal profile,
#   docs/requirements.md, the example of src/report/baseline.rs, constants of
#   crates/issuer/src/ and fuzz/samples/ (issuer responses written after crates/issuer/src/,
#   see fuzz/samples/README.md).
#
#   fuzz/seed-corpora.sh            full corpora into fuzz/corpus/<target>/ (git-ignored;
#                                   adds files, never deletes what fuzzing found)
#   fuzz/seed-corpora.sh --seeds    small seeds into fuzz/seeds/<target>/ (committed;
#                                   replaced; at most ~6 KB per target)
#   fuzz/seed-corpora.sh --out DIR  full corpora into DIR/<target>/ (ClusterFuzzLite)
#
# Files are named by the SHA-1 of their content, as libFuzzer names corpus files.
# Inputs with several strings separate them with the byte 0xFF
# (grantcheck::fuzzing::SEP). Needs only bash and coreutils.
set -euo pipefail
export LC_ALL=C

fuzz=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz")
cd "$root"

mode=full
out="$fuzz/corpus"
case "${1:-}" in
"") ;;
--seeds) mode=seeds out="$fuzz/seeds" ;;
--out) out=${2:?--out needs a directory} ;;
*)
	sed -n '2,17s/^# \{0,1\}//p' "$fuzz/seed-corpora.sh"
	exit 2
	;;
esac

# Seeds stay small: files up to SEED_FILE bytes, up to SEED_DIR bytes and
# SEED_COUNT files per target.
SEED_FILE=3200
SEED_DIR=6144
SEED_COUNT=32

targets=(scenario_file profile_file token_response callback form www_authenticate
	discovery jwt jwks html_form template requirements redact baseline tls_reply)
if [[ $mode == seeds ]]; then
	for t in "${targets[@]}"; do rm -rf "${out:?}/$t"; done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# put TARGET < content
put() {
	local t=$1 f="$tmp/input" size name used count
	cat >"$f"
	size=$(wc -c <"$f")
	if [[ $mode == seeds ]]; then
		# (put runs in pipelines, so the budget is read from the folder itself)
		mkdir -p "$out/$t"
		used=$(find "$out/$t" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
		count=$(find "$out/$t" -type f | wc -l)
		if ((size > SEED_FILE || used + size > SEED_DIR || count >= SEED_COUNT)); then
			return 0
		fi
	fi
	name=$(sha1sum "$f" | cut -c1-40)
	mkdir -p "$out/$t"
	mv "$f" "$out/$t/$name"
}

# put_lines TARGET FILE: one input per non-empty line.
put_lines() {
	local line
	while IFS= read -r line || [[ -n $line ]]; do
		[[ -n $line ]] && printf '%s' "$line" | put "$1"
	done <"$2"
}

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
sep() { printf '\xff'; }

samples=fuzz/samples
suites=$(find suites -name '*.toml' | sort)
issuers=$(find issuers -name '*.toml' | sort)

# --- scenario_file: every scenario of the suite (smallest first for seeds).
for f in $(for s in $suites; do printf '%s %s\n' "$(wc -c <"$s")" "$s"; done | sort -n | cut -d' ' -f2); do
	put scenario_file <"$f"
done

# --- template: every template string the suite uses, then edge cases.
grep -rhoE '"[^"]*\{\{[^"]*"' suites | sed 's/^"//; s/"$//' | sort -u >"$tmp/templates"
put_lines template "$tmp/templates"
printf '%s\n' '{{ v | take(43) | s256 }}' '{{ login.code | chop | upper }}x}}' 'ab {{ x' \
	'{{ a | uper }}' '{{ a | take(x) }}' 'plain text' '}{{ gen.state | base64url | urlencode }}{' \
	>"$tmp/template-edges"
put_lines template "$tmp/template-edges"

# --- profile_file: each profile with its secrets as `# env` lines, then without them.
profile_with_env() {
	cat "$1"
	grep -oE '_env *= *"[A-Za-z0-9_]+"' "$1" | sed -E 's/.*"([A-Za-z0-9_]+)"/# env \1=fuzz-\1/' || true
}
awk '/^A minimal profile:/ {f=1; next} f && /^```toml/ {p=1; next} p && /^```/ {exit} p' README.md >"$tmp/minimal.toml"
for f in "$tmp/minimal.toml" $issuers; do
	profile_with_env "$f" | put profile_file
done
for f in "$tmp/minimal.toml" $issuers; do put profile_file <"$f"; done

# --- requirements: docs/requirements.md cut at each `## ` heading (seeds: the
# first rows of each section), and two sections joined by the separator.
# The heading of a section and its first table lines (header, rule, 3 rows).
table_head() { awk 'NR == 1 {print} /^\|/ && n++ < 5 {print}' "$1"; }
mkdir -p "$tmp/sections"
awk -v dir="$tmp/sections" '/^## / {n++} {print > (dir "/" sprintf("%03d", n))}' docs/requirements.md
for s in "$tmp"/sections/*; do
	if [[ $mode == seeds ]]; then table_head "$s" | put requirements; else put requirements <"$s"; fi
done
{ table_head "$tmp/sections/003"; sep; table_head "$tmp/sections/004" | tail -n +2; } | put requirements

# --- token_response and discovery: issuer bodies; discovery also gets token bodies.
for f in "$samples"/token/*; do put token_response <"$f"; done
for f in "$samples"/discovery/* "$samples"/token/error.json; do put discovery <"$f"; done
for f in "$samples"/discovery/*; do put token_response <"$f"; done

# --- jwks.
for f in "$samples"/jwks/*; do put jwks <"$f"; done

# --- jwt: compact tokens, and header / claims / signature bytes split by 0xFF.
for h in "$samples"/jwt/*.header.json; do
	c=${h%.header.json}.claims.json
	printf '%s.%s.%s' "$(b64url <"$h")" "$(b64url <"$c")" "$(printf 'signature-bytes' | b64url)" | put jwt
	{ tr -d '\n' <"$h"; sep; tr -d '\n' <"$c"; sep; printf 'sig'; } | put jwt
done
printf '%s.%s.' "$(b64url <"$samples/jwt/none.header.json")" "$(b64url <"$samples/jwt/none.claims.json")" | put jwt

# --- html_form: login, consent and error pages, and a hostile one.
for f in "$samples"/html/*; do put html_form <"$f"; done

# --- www_authenticate: the reference issuer's challenges and other servers'.
realm=$(grep -oE 'REALM: &str = "[^"]+"' crates/issuer/src/respond.rs | sed -E 's/.*"([^"]+)"/\1/')
printf 'Basic realm="%s"' "$realm" | put www_authenticate
put_lines www_authenticate "$samples/www-authenticate.txt"

# --- callback: authorization responses, and every registered redirect URI
# with a response appended.
put_lines callback "$samples/callbacks.txt"
grep -h 'redirect_uris' $issuers | grep -oE '"[^"]+"' | tr -d '"' | sort -u >"$tmp/redirect_uris"
while IFS= read -r u; do
	case $u in *\?*) j='&' ;; *) j='?' ;; esac
	printf '%s%scode=c-1&state=s-1&iss=http%%3A%%2F%%2F127.0.0.1%%3A8787' "$u" "$j" | put callback
done <"$tmp/redirect_uris"

# --- form: request bodies, callback queries, and separator-split pairs.
put_lines form "$samples/form-bodies.txt"
sed -n 's/^[^?]*?//p' "$samples/callbacks.txt" >"$tmp/queries"
put_lines form "$tmp/queries"
{ printf 'redirect_uri'; sep; printf 'https://c1.example/cb?x=1&y=a b'; sep; printf 'code'; sep; printf 'a+b%%20'; } | put form

# --- redact: text, then the secrets registered, split by 0xFF.
{ head -n 1 "$samples/form-bodies.txt"; sep; printf 'Yz7Kq2Lm9Xw4'; sep; printf 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'; } | put redact
{ sed -n 2p "$samples/form-bodies.txt"; sep; printf 's3cr&t x'; sep; printf 'rt-Hs8Kd2Lp0Qw7Zx4Cv6Bn1Mj3'; } | put redact
{ printf 'Basic YzE6c2VjcmV0'; sep; printf 'secret'; } | put redact
{ printf 'gc_session=abcdef; Path=/cb?code=Yz7Kq2Lm9Xw4; HttpOnly'; sep; printf 'Yz7Kq2Lm9Xw4'; } | put redact
{ head -n 1 "$samples/callbacks.txt"; sep; printf 'Yz7Kq2Lm9Xw4'; sep; printf 'st-91c2'; } | put redact
{ tr -d '\n' <"$samples/token/success.json"; sep; printf 'at-3q9Zl7cX0Gv2mN8kP4rT6wY1'; sep; printf 'rt-Hs8Kd2Lp0Qw7Zx4Cv6Bn1Mj3'; } | put redact

# --- baseline: the example of src/report/baseline.rs, and report cases
# (id, reason) split by 0xFF for the baseline grantcheck writes.
sed -n 's|^//! \{0,1\}||p' src/report/baseline.rs | awk '/^```toml/ {p=1; next} p && /^```/ {exit} p' | put baseline
printf '[[known]]\ncase = "code.reuse[trailing-slash]"\nreason = "r"\n\n[[known]]\ncase = "pkce.plain-refused"\nreason = "s"\nexpires = "2027-06-30"\n' | put baseline
{ printf 'headers.token-pragma'; sep; printf 'step `first`: header cache-control: expected no-store, got "private"'; sep; printf 'code.reuse[trailing-slash]'; sep; printf 'step `login`: could not run'; } | put baseline

# --- tls_reply: what a server answers a probe ClientHello with: a fatal
# alert, a TLS 1.0 ServerHello, one with a session id, a warning before a
# ServerHello, a ServerHello split over two records, plain HTTP, a cut record.
random32() { head -c 32 /dev/zero | tr '\0' "$1"; }
printf '\x15\x03\x01\x00\x02\x02\x46' | put tls_reply
{ printf '\x16\x03\x01\x00\x2a\x02\x00\x00\x26\x03\x01'; random32 '\011'; printf '\x00\x00\x05\x00'; } | put tls_reply
{ printf '\x16\x03\x03\x00\x4a\x02\x00\x00\x46\x03\x03'; random32 '\001'; printf '\x20'; random32 '\002'; printf '\xc0\x2f\x00'; } | put tls_reply
{ printf '\x15\x03\x01\x00\x02\x01\x70\x16\x03\x01\x00\x2a\x02\x00\x00\x26\x03\x01'; random32 '\011'; printf '\x00\x00\x2f\x00'; } | put tls_reply
{ printf '\x16\x03\x03\x00\x0a\x02\x00\x00\x26\x03\x02\x05\x05\x05\x05\x16\x03\x03\x00\x20'; random32 '\005' | head -c 28; printf '\x00\x00\x05\x00'; } | put tls_reply
printf 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n' | put tls_reply
printf '\x16\x03\x03\x00\x4a\x02\x00\x00' | put tls_reply

for t in "${targets[@]}"; do
	n=$(find "$out/$t" -type f 2>/dev/null | wc -l)
	printf '%-17s %4d files %7d bytes\n' "$t" "$n" "$(cat "$out/$t"/* 2>/dev/null | wc -c)"
done
