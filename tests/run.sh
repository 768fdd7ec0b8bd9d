#!/usr/bin/env bash
# The project's test command (README, "Two commands"): installs what the
# tests need beyond Rust, then runs the whole test suite.
#
# - node + npm, and oidc-provider from its lockfile (the peer tests);
# - xmllint (JUnit XSD validation), Chromium and chromedriver (the HTML report
#   test and the browser agent),
#   from Debian's packages, when missing and when we may install them;
# - the SARIF and JUnit schemas, from package registries, pinned by SHA-256.
#
# Missing Debian packages are installed with apt-get, through sudo when not
# root: the script says so before it asks. GRANTCHECK_NO_INSTALL=1 installs
# nothing; the tests that need a missing tool are then skipped, each saying so.
#
# Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "tests/run.sh: cannot install packages (not root, no sudo): $*" >&2; return 1
  fi
}
need=""
command -v node >/dev/null || need="$need nodejs"
command -v npm >/dev/null || need="$need npm"
command -v xmllint >/dev/null || need="$need libxml2-utils"
command -v curl >/dev/null || need="$need curl"
command -v chromium >/dev/null || need="$need chromium"
command -v chromedriver >/dev/null || need="$need chromium-driver"
if [ -n "$need" ] && [ -n "${GRANTCHECK_NO_INSTALL:-}" ]; then
  echo "== GRANTCHECK_NO_INSTALL is set: not installing$need; the tests needing them are skipped" >&2
  { command -v chromium && command -v chromedriver; } >/dev/null || export GRANTCHECK_SKIP_BROWSER=1
  command -v npm >/dev/null || export GRANTCHECK_SKIP_PEERS=1
  command -v xmllint >/dev/null || export GRANTCHECK_SKIP_XMLLINT=1
  need=""
fi
if [ -n "$need" ]; then
  how="apt-get"; [ "$(id -u)" = 0 ] || how="sudo apt-get"
  echo "== installing with $how:$need (GRANTCHECK_NO_INSTALL=1 skips this and the tests that need them)" >&2
  as_root apt-get update -qq
  # shellcheck disable=SC2086 # a list of packages
  as_root apt-get install -y -qq --no-install-recommends $need
fi

echo "== oidc-provider peer (npm ci from the lockfile)" >&2
if [ -z "${GRANTCHECK_SKIP_PEERS:-}" ] && [ ! -d tests/peers/oidc-provider/node_modules/oidc-provider ]; then
  (cd tests/peers/oidc-provider && timeout 600 npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== report schemas" >&2
tests/schemas/fetch.sh

echo "== cargo test --locked $*" >&2
exec cargo test --locked "$@"
