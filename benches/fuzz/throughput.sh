#!/usr/bin/env bash
# Throughput of `grantcheck fuzz`, next to wrk's ceiling and Schemathesis on
# the same token endpoint of node oidc-provider (strict), and against the
# embedded reference issuer. Method and results: BENCHMARKS.md, "fuzz".
#
#   benches/fuzz/throughput.sh            # 30 s per tool
#   BENCH_SECONDS=60 benches/fuzz/throughput.sh
#
# Installs wrk (Debian) and Schemathesis 4.32.5 (PyPI, in a venv under
# target/) when missing. Everything listens on loopback and stops itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
secs="${BENCH_SECONDS:-30}"
here="benches/fuzz"
peer="tests/peers/oidc-provider"

command -v wrk >/dev/null || { sudo=""; [[ $(id -u) != 0 ]] && sudo=sudo; $sudo apt-get install -y wrk >&2; }
venv="target/bench-venv"
[[ -x "$venv/bin/st" ]] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q schemathesis==4.32.5; }
[[ -d "$peer/node_modules/oidc-provider" ]] || (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error)
cargo build --release --locked --quiet
bin="target/release/grantcheck"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/grantcheck-bench.XXXXXX")"
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT

# `/usr/bin/time -v` fields: CPU seconds (user + system) and peak RSS in MB.
cpu() { awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{printf "%.1f", u+s}' "$1"; }
rss() { awk -F': ' '/Maximum resident/{printf "%.0f", $2/1024}' "$1"; }
rate() { sed -n 's/.* requests in \([0-9.]*\) s (\([0-9]*\) req\/s).*/\2/p' "$1"; }

echo "== grantcheck fuzz against the embedded reference, ${secs} s"
/usr/bin/time -v -o "$tmp/ref.time" "$bin" fuzz --time "$secs" --findings "$tmp/ref" -q >"$tmp/ref.out" 2>&1 || true
ref_rate="$(rate "$tmp/ref.out")"
echo "   $(head -1 "$tmp/ref.out")"
echo "   process CPU $(cpu "$tmp/ref.time") s (issuer in process), peak RSS $(rss "$tmp/ref.time") MB"

rand() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }
export GRANTCHECK_OIDCP_C1_SECRET="c1-$(rand)" GRANTCHECK_OIDCP_C2_SECRET="c2-$(rand)" \
  GRANTCHECK_OIDCP_S1_SECRET="s1-$(rand)" GRANTCHECK_OIDCP_X1_SECRET="x1-$(rand)" \
  GRANTCHECK_OIDCP_U1_PASSWORD="u1-$(rand)" GRANTCHECK_OIDCP_U2_PASSWORD="u2-$(rand)"
node "$peer/server.mjs" --config strict --port 0 --max-seconds $((secs * 6 + 120)) >"$tmp/server.log" 2>&1 &
server=$!
issuer=""
for _ in $(seq 1 150); do
  issuer="$(sed -n 's/^oidc-provider peer listening issuer=\([^ ]*\).*/\1/p' "$tmp/server.log" | head -n 1)"
  [[ -n "$issuer" ]] && curl -fsS -o /dev/null "$issuer/.well-known/openid-configuration" && break
  sleep 0.2
done
[[ -n "$issuer" ]] || { cat "$tmp/server.log"; exit 3; }
export GRANTCHECK_OIDCP_ISSUER="$issuer"
server_cpu() { awk '{print ($14 + $15) / 100}' "/proc/$server/stat"; }

echo "== wrk: the ceiling oidc-provider allows on this machine (2 threads, 32 connections, ${secs} s)"
export BASIC="$(printf 's1:%s' "$GRANTCHECK_OIDCP_S1_SECRET" | base64 -w0)"
wrk_ok="$(wrk -t2 -c32 -d"${secs}s" -s "$here/client-credentials.lua" "$issuer/token" | awk '/Requests\/sec/{print int($2)}')"
wrk_bad="$(GRANT=invalid wrk -t2 -c32 -d"${secs}s" -s "$here/client-credentials.lua" "$issuer/token" | awk '/Requests\/sec/{print int($2)}')"
echo "   client_credentials 200s: ${wrk_ok} req/s; invalid_grant 400s: ${wrk_bad} req/s"

echo "== grantcheck fuzz against oidc-provider (strict), ${secs} s"
before="$(server_cpu)"
/usr/bin/time -v -o "$tmp/op.time" "$bin" fuzz --profile issuers/oidc-provider.toml --time "$secs" --findings "$tmp/op" -q >"$tmp/op.out" 2>&1 || true
op_server_cpu="$(awk -v a="$before" -v b="$(server_cpu)" 'BEGIN{printf "%.1f", b-a}')"
op_rate="$(rate "$tmp/op.out")"
echo "   $(head -1 "$tmp/op.out")"
echo "   grantcheck CPU $(cpu "$tmp/op.time") s, peak RSS $(rss "$tmp/op.time") MB; oidc-provider CPU ${op_server_cpu} s"
grep -E "^  (FAIL|WARN) " "$tmp/op.out" | sed 's/^/   /' || true

echo "== Schemathesis 4.32.5, every check, the token endpoint's OpenAPI description, ${secs} s"
before="$(server_cpu)"
# From the temporary directory: Schemathesis keeps a cache (.schemathesis/) in its working directory.
(cd "$tmp" && /usr/bin/time -v -o "$tmp/st.time" "$root/$venv/bin/st" run "$root/$here/token-openapi.yaml" --url "$issuer" \
  -a "s1:$GRANTCHECK_OIDCP_S1_SECRET" --checks all --max-time "$secs" --continue-on-failure \
  --report har --report-har-path "$tmp/st.har" >"$tmp/st.out" 2>&1) || true
st_server_cpu="$(awk -v a="$before" -v b="$(server_cpu)" 'BEGIN{printf "%.1f", b-a}')"
st_requests="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["log"]["entries"]))' "$tmp/st.har" 2>/dev/null || echo 0)"
st_wall="$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; printf "%.1f", s}' "$tmp/st.time")"
st_rate="$(awk -v r="$st_requests" -v w="$st_wall" 'BEGIN{printf "%.0f", r / (w > 0 ? w : 1)}')"
echo "   ${st_requests} requests in ${st_wall} s wall (${st_rate} req/s, start-up included); CPU $(cpu "$tmp/st.time") s, peak RSS $(rss "$tmp/st.time") MB; oidc-provider CPU ${st_server_cpu} s"

echo "== ratios (one run, one machine)"
awk -v g="$op_rate" -v w="$wrk_bad" -v s="$st_rate" -v r="$ref_rate" 'BEGIN{
  printf "   grantcheck / wrk ceiling (400s): %.2f\n", g / (w > 0 ? w : 1);
  printf "   grantcheck / Schemathesis:       %.1fx\n", g / (s > 0 ? s : 1);
  printf "   reference / oidc-provider:       %.1fx\n", r / (g > 0 ? g : 1) }'
