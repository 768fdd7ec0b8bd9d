#!/usr/bin/env bash
# Runs grantcheck against oidc-provider (panva) on a free loopback port.
#
#   tests/peers/oidc-provider/run.sh [strict|lax] [grantcheck run args...]
#
# e.g.  tests/peers/oidc-provider/run.sh strict --report-json /tmp/strict.json
#       GRANTCHECK=/tmp/gc tests/peers/oidc-provider/run.sh lax --only 'refresh.*'
#
# Environment:
#   GRANTCHECK          the grantcheck binary (default target/debug/grantcheck,
#                       relative to the repository root)
#   OIDCP_MAX_SECONDS   the server's own lifetime (default 600)
#   OIDCP_START_SECONDS how long to wait for discovery to answer (default 30)
#   GRANTCHECK_TIMEOUT  upper bound for the grantcheck run in seconds (default 900)
#   GRANTCHECK_COMMAND  the subcommand to run with the profile: run (default) or fuzz
#   OIDCP_KEEP_LOG      set to keep the server log (its path is printed)
#
# What it does: `npm ci` from the lockfile when node_modules is missing; new
# random secrets for the run; the server (server.mjs) on 127.0.0.1 with a
# port it picks itself; waits until discovery answers; then grantcheck with
# issuers/oidc-provider.toml, whose `issuer_env` takes that URL. The server is killed on
# exit, whatever happens. Exit code: grantcheck's, or 3 when the peer could
# not be started.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

config="${1:-strict}"
case "$config" in
  strict|lax) shift || true ;;
  -*) config=strict ;;             # no config given, only grantcheck args
  *) echo "run.sh: unknown config '$config' (strict or lax)" >&2; exit 2 ;;
esac

grantcheck="${GRANTCHECK:-target/debug/grantcheck}"
max_seconds="${OIDCP_MAX_SECONDS:-600}"
start_seconds="${OIDCP_START_SECONDS:-30}"
gc_timeout="${GRANTCHECK_TIMEOUT:-900}"

if [[ ! -x "$grantcheck" ]]; then
  echo "run.sh: grantcheck binary '$grantcheck' not found (set GRANTCHECK)" >&2
  exit 3
fi
command -v node >/dev/null || { echo "run.sh: node is not installed" >&2; exit 3; }
command -v curl >/dev/null || { echo "run.sh: curl is not installed" >&2; exit 3; }

if [[ ! -d "$here/node_modules/oidc-provider" ]]; then
  echo "run.sh: installing oidc-provider from package-lock.json (npm ci)" >&2
  (cd "$here" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >&2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/grantcheck-oidcp.XXXXXX")"
server_pid=""
gc_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$gc_pid" ]] && kill -0 "$gc_pid" 2>/dev/null; then
    kill -TERM "$gc_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [[ -n "${OIDCP_KEEP_LOG:-}" ]]; then
    echo "run.sh: server log kept in $tmp/server.log" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rand() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }
export GRANTCHECK_OIDCP_C1_SECRET="c1-$(rand)"
export GRANTCHECK_OIDCP_C2_SECRET="c2-$(rand)"
export GRANTCHECK_OIDCP_S1_SECRET="s1-$(rand)"
# CAUTH-05: a secret with the characters Basic encoding must survive.
export GRANTCHECK_OIDCP_X1_SECRET="x1 s:e%c+r&et-$(rand)"
export GRANTCHECK_OIDCP_U1_PASSWORD="u1-$(rand)"   # ignored by the dev login
export GRANTCHECK_OIDCP_U2_PASSWORD="u2-$(rand)"

node "$here/server.mjs" --config "$config" --port 0 --max-seconds "$max_seconds" \
  >"$tmp/server.log" 2>&1 &
server_pid=$!

issuer=""
deadline=$((SECONDS + start_seconds))
while (( SECONDS < deadline )); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the server exited during start:" >&2
    cat "$tmp/server.log" >&2
    exit 3
  fi
  if [[ -z "$issuer" ]]; then
    issuer="$(sed -n 's/^oidc-provider peer listening issuer=\([^ ]*\).*/\1/p' "$tmp/server.log" | head -n 1)"
  fi
  if [[ -n "$issuer" ]] \
    && curl -fsS --max-time 2 -o /dev/null "$issuer/.well-known/openid-configuration"; then
    break
  fi
  sleep 0.2
done
if [[ -z "$issuer" ]] \
  || ! curl -fsS --max-time 2 -o /dev/null "$issuer/.well-known/openid-configuration"; then
  echo "run.sh: discovery did not answer within ${start_seconds}s" >&2
  cat "$tmp/server.log" >&2
  exit 3
fi
echo "run.sh: oidc-provider ($config) at $issuer, pid $server_pid" >&2

profile="issuers/oidc-provider.toml"
export GRANTCHECK_OIDCP_ISSUER="$issuer"   # the profile's issuer_env

# In the background and waited for, so that a signal to this script runs the
# trap at once (bash defers traps while a foreground child runs).
command="${GRANTCHECK_COMMAND:-run}"
case "$command" in run|fuzz|doctor) ;; *) echo "run.sh: GRANTCHECK_COMMAND must be run, fuzz or doctor" >&2; exit 2 ;; esac
timeout "$gc_timeout" "$grantcheck" "$command" --profile "$profile" "$@" &
gc_pid=$!
set +e
wait "$gc_pid"
rc=$?
set -e
gc_pid=""
if [[ -n "${OIDCP_KEEP_LOG:-}" ]] || (( rc == 3 )); then
  echo "run.sh: --- server log (tail) ---" >&2
  tail -n 40 "$tmp/server.log" >&2
fi
exit "$rc"
