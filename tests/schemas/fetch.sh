#!/bin/sh
# Downloads the schemas tests/integration/report_formats.rs validates the reports against.
# Both come from package registries, pinned by SHA-256, and are never
# committed (tests/schemas/.gitignore). Run it once before `cargo test`;
# it does nothing when the files are already here (`--force` fetches again).
#
# - sarif-2.1.0.json: the official OASIS SARIF 2.1.0 JSON schema, as the
#   crates.io package serde-sarif 0.8.0 ships it (src/schema.json).
# - junit-10.xsd: the Jenkins xUnit plugin's JUnit schema (the strictest
#   common JUnit dialect), as the PyPI source distribution of pytest 8.3.4
#   ships it (testing/example_scripts/junit-10.xsd), where pytest validates
#   its own xunit2 output against it. The test runs `xmllint --schema`
#   (Debian package libxml2-utils).
set -eu
cd "$(dirname "$0")"

force=false
[ "${1:-}" = "--force" ] && force=true

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch URL SHA256 FILE
fetch() {
  curl -sSfL --retry 3 --connect-timeout 20 -o "$3" "$1"
  echo "$2  $3" | sha256sum -c --quiet - || {
    echo "fetch.sh: $1 does not have the pinned SHA-256 $2" >&2
    exit 1
  }
}

if $force || [ ! -s sarif-2.1.0.json ]; then
  fetch https://static.crates.io/crates/serde-sarif/serde-sarif-0.8.0.crate \
    a053c46f18a8043570d4e32fefc4c6377f82bf29ec310a33e93f273048e3b0be \
    "$tmp/serde-sarif.crate"
  tar --no-same-owner -xzf "$tmp/serde-sarif.crate" -C "$tmp" serde-sarif-0.8.0/src/schema.json
  mv "$tmp/serde-sarif-0.8.0/src/schema.json" sarif-2.1.0.json
  echo "tests/schemas/sarif-2.1.0.json: from crates.io serde-sarif 0.8.0"
fi

if $force || [ ! -s junit-10.xsd ]; then
  fetch https://files.pythonhosted.org/packages/05/35/30e0d83068951d90a01852cb1cef56e5d8a09d20c7f511634cc2f7e0372a/pytest-8.3.4.tar.gz \
    965370d062bce11e73868e0335abac31b4d3de0e82f4007408d242b4f8610761 \
    "$tmp/pytest.tar.gz"
  tar --no-same-owner -xzf "$tmp/pytest.tar.gz" -C "$tmp" pytest-8.3.4/testing/example_scripts/junit-10.xsd
  mv "$tmp/pytest-8.3.4/testing/example_scripts/junit-10.xsd" junit-10.xsd
  echo "tests/schemas/junit-10.xsd: from PyPI pytest 8.3.4 (sdist)"
fi

command -v xmllint >/dev/null 2>&1 ||
  echo "fetch.sh: xmllint is missing; the JUnit check needs it: apt-get install libxml2-utils" >&2
