#!/usr/bin/env bash
# One fuzzing session, with the target's dictionary and all its corpora.
#
#   fuzz/run.sh TARGET [libFuzzer options...]   e.g. fuzz/run.sh jwt -max_total_time=600
#   fuzz/run.sh build                           build every target
#   fuzz/run.sh dict TARGET                     write the target's dictionary, print its path
#
# Corpora: fuzz/corpus/TARGET/ (written; created by seed-corpora.sh when
# missing), fuzz/seeds/TARGET/ and fuzz/regressions/TARGET/ (read only).
# Crashes land in fuzz/artifacts/TARGET/. The dictionary is the concatenation
# of the fuzz/dicts/*.dict files the target names on its `// fuzz-dicts:` line.
#
# Toolchain (FUZZ_TOOLCHAIN): `nightly` (AddressSanitizer), `stable` (no
# sanitizer: `cargo fuzz run -s none`, plain stable Rust), or `auto` (the
# default: nightly when rustup has it, else stable). FUZZ_BUILD_FLAGS adds
# cargo-fuzz build flags (e.g. `--debug-assertions`); use the same for build
# and run, or cargo rebuilds.
set -euo pipefail

fuzz=$(cd "$(dirname "$0")" && pwd)
cd "$fuzz"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$fuzz/target}

if ! cargo fuzz --version >/dev/null 2>&1; then
	echo "== installing cargo-fuzz" >&2
	cargo install cargo-fuzz --locked
fi

toolchain=${FUZZ_TOOLCHAIN:-auto}
if [[ $toolchain == auto ]]; then
	if command -v rustup >/dev/null && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
		toolchain=nightly
	else
		toolchain=stable
		echo "== no nightly toolchain: stable Rust without sanitizer (cargo fuzz -s none)" >&2
	fi
fi
case $toolchain in
nightly) fuzz_cmd=(cargo +nightly fuzz) build_flags=() ;;
stable) fuzz_cmd=(cargo fuzz) build_flags=(-s none) ;;
*)
	echo "FUZZ_TOOLCHAIN must be nightly, stable or auto" >&2
	exit 2
	;;
esac
# shellcheck disable=SC2206
build_flags+=(${FUZZ_BUILD_FLAGS:-})

dict() {
	local t=$1 out="$CARGO_TARGET_DIR/dicts/$1.dict" names d
	names=$(sed -n 's|^// fuzz-dicts: *||p' "fuzz_targets/$t.rs")
	mkdir -p "$(dirname "$out")"
	: >"$out"
	for d in $names; do
		cat "dicts/$d.dict" >>"$out"
	done
	echo "$out"
}

case "${1:-}" in
"" | -h | --help)
	sed -n '2,19s/^# \{0,1\}//p' "$fuzz/run.sh"
	exit 2
	;;
build)
	echo "== cargo fuzz build ($toolchain ${build_flags[*]})" >&2
	exec "${fuzz_cmd[@]}" build "${build_flags[@]}"
	;;
dict)
	dict "${2:?dict needs a target}"
	;;
*)
	t=$1
	shift
	if [[ ! -f fuzz_targets/$t.rs ]]; then
		echo "unknown target $t; targets: $(cd fuzz_targets && ls | sed 's/\.rs$//' | tr '\n' ' ')" >&2
		exit 2
	fi
	if [[ ! -d corpus/$t ]]; then
		./seed-corpora.sh >/dev/null
	fi
	dirs=("corpus/$t" "seeds/$t")
	if [[ -d regressions/$t ]]; then dirs+=("regressions/$t"); fi
	mkdir -p "artifacts/$t"
	# libFuzzer refuses an empty dictionary: a target naming none runs without.
	d=$(dict "$t")
	dict_flag=()
	if [[ -s $d ]]; then dict_flag=(-dict="$d"); fi
	exec "${fuzz_cmd[@]}" run "${build_flags[@]}" "$t" "${dirs[@]}" -- \
		"${dict_flag[@]}" "$@"
	;;
esac
