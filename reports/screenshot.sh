#!/bin/sh
# Runs the suite against the embedded reference issuer broken with a fault,
# writes the HTML report to reports/report.html and a screenshot of it, taken
# by headless Chromium, to reports/report.png.
#
#   reports/screenshot.sh                  # the fault code_reusable
#   reports/screenshot.sh pkce_plain_ok    # other faults (see `grantcheck issuer --list-faults`)
#
# Needs Chromium (Debian: apt-get install -y --no-install-recommends chromium);
# GRANTCHECK_CHROMIUM names another binary. Failing cases start open, so the
# screenshot shows the first one's evidence.
set -eu
cd "$(dirname "$0")/.."

[ "$#" -gt 0 ] || set -- code_reusable
faults=""
for f in "$@"; do faults="$faults --reference-fault $f"; done

chromium="${GRANTCHECK_CHROMIUM:-}"
if [ -z "$chromium" ]; then
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then chromium="$(command -v "$c")"; break; fi
  done
fi
if [ -z "$chromium" ]; then
  echo "screenshot.sh: Chromium not found; install it (Debian: apt-get install -y --no-install-recommends chromium) or set GRANTCHECK_CHROMIUM" >&2
  exit 2
fi

# The installed grantcheck (README, "Install") when there is one, else this
# checkout's release build: one build profile everywhere.
if command -v grantcheck >/dev/null 2>&1; then gc="grantcheck"; else gc="cargo run --release --quiet --locked --"; fi
# A run that catches the fault exits 1; anything else than 0 or 1 is a problem.
status=0
# shellcheck disable=SC2086 # $gc and $faults are lists of words
$gc run --quiet --color never $faults >/dev/null \
  --report html=reports/report.html || status=$?
if [ "$status" -gt 1 ]; then
  echo "screenshot.sh: grantcheck run exited $status" >&2
  exit "$status"
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
# The sandbox cannot start as root (containers, CI); elsewhere it stays on.
sandbox=""
[ "$(id -u)" -ne 0 ] || sandbox="--no-sandbox"
# shellcheck disable=SC2086
"$chromium" --headless=new $sandbox --disable-dev-shm-usage --disable-gpu \
  --disable-background-networking --disable-component-update --disable-sync \
  --no-first-run --hide-scrollbars --user-data-dir="$profile" \
  --window-size=1280,2000 --screenshot="$PWD/reports/report.png" \
  "file://$PWD/reports/report.html" 2>/dev/null
echo "reports/report.html"
echo "reports/report.png"
