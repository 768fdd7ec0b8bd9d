#!/usr/bin/env bash
# CI fuzzing: builds every fuzz target, then runs each for a bounded time
# (FUZZ_SECONDS, 20 s by default), FUZZ_JOBS targets at a time (default: the
# number of cores). Any crash, timeout or out-of-memory fails the script; the
# input is kept in fuzz/artifacts/<target>/ and the log in
# fuzz/target/fuzz-logs/<target>.log. Turn a crash into a regression test as
# fuzz/README.md says.
#
#   fuzz/ci.sh                       nightly (AddressSanitizer) when rustup has it, else stable
#   FUZZ_TOOLCHAIN=stable fuzz/ci.sh plain stable Rust, no sanitizer (cargo fuzz run -s none)
#   FUZZ_SECONDS=60 fuzz/ci.sh       longer runs
#
# Corpora grow in fuzz/corpus/ (git-ignored), seeded from real material by
# fuzz/seed-corpora.sh; fuzz/seeds/ and fuzz/regressions/ are read, never written.
set -euo pipefail

fuzz=$(cd "$(dirname "$0")" && pwd)
cd "$fuzz"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$fuzz/target}
seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
logs="$CARGO_TARGET_DIR/fuzz-logs"
start=$SECONDS

targets=()
for f in fuzz_targets/*.rs; do
	t=${f#fuzz_targets/}
	targets+=("${t%.rs}")
done

echo "== seed corpora (fuzz/corpus/)"
./seed-corpora.sh

echo "== build ${#targets[@]} fuzz targets"
./run.sh build
build_secs=$((SECONDS - start))

echo "== run each target ${seconds}s, $jobs at a time"
rm -rf "$logs"
mkdir -p "$logs"
run_one() {
	local t=$1 rc=0
	# -timeout: an input taking more than 10 s is a failure (a hang), kept as
	# fuzz/artifacts/<t>/timeout-*; -rss_limit_mb likewise for memory (oom-*).
	./run.sh "$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 >"$logs/$t.log" 2>&1 || rc=$?
	echo "$rc" >"$logs/$t.rc"
}
for t in "${targets[@]}"; do
	while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
	run_one "$t" &
done
wait

failed=()
printf '\n%-17s %10s %10s %7s %7s  %s\n' target exec/s runs cov corpus result
for t in "${targets[@]}"; do
	rc=$(cat "$logs/$t.rc" 2>/dev/null || echo 1)
	stat() { sed -n "s/^stat::$1: *//p" "$logs/$t.log" | tail -1; }
	# A target that failed before fuzzing prints no stats: `|| true` keeps
	# pipefail from ending the script before its FAILED row and log.
	cov=$(grep -oE 'cov: [0-9]+' "$logs/$t.log" | tail -1 | cut -d' ' -f2 || true)
	corpus=$(grep -oE 'corp: [0-9]+' "$logs/$t.log" | tail -1 | cut -d' ' -f2 || true)
	result=ok
	if [[ $rc != 0 ]]; then
		result="FAILED (exit $rc)"
		failed+=("$t")
	fi
	printf '%-17s %10s %10s %7s %7s  %s\n' "$t" "$(stat average_exec_per_sec)" \
		"$(stat number_of_executed_units)" "${cov:-?}" "${corpus:-?}" "$result"
done
echo "build ${build_secs}s, total $((SECONDS - start))s"

if ((${#failed[@]})); then
	for t in "${failed[@]}"; do
		echo
		echo "== $t failed: last lines of $logs/$t.log"
		tail -n 40 "$logs/$t.log"
		echo "-- artifacts: $(ls -d "$fuzz/artifacts/$t"/* 2>/dev/null | tr '\n' ' ')"
	done
	echo
	echo "Reproduce: cd fuzz && cargo +nightly fuzz run <target> artifacts/<target>/<file>" \
		"(-s none on stable); minimise: cargo +nightly fuzz tmin <target> <file>; then copy" \
		"the input to fuzz/regressions/<target>/ (see fuzz/README.md)."
	exit 1
fi
