#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build script for grantcheck's fuzz targets
# (https://google.github.io/clusterfuzzlite/build-integration/rust-lang/).
# Runs in $SRC/grantcheck inside the image of ./Dockerfile; everything put in
# $OUT is what ClusterFuzzLite runs:
#   $OUT/<target>                  the libFuzzer binary (cargo fuzz build -O)
#   $OUT/<target>.dict             its dictionary (the fuzz/dicts/*.dict files
#                                  named on the target's `// fuzz-dicts:` line)
#   $OUT/<target>_seed_corpus.zip  fuzz/seeds/, fuzz/regressions/ and the corpora
#                                  fuzz/seed-corpora.sh builds from suites/,
#                                  issuers/, docs/ and fuzz/samples/
#   $OUT/<target>.options          libFuzzer options

cd "$SRC/grantcheck"

# Release build with debug assertions (overflow checks too): the sanitizer and
# coverage flags come from cargo fuzz and the base image.
cargo fuzz build -O --debug-assertions

bin=fuzz/target/x86_64-unknown-linux-gnu/release
corpora="$WORK/corpora"
fuzz/seed-corpora.sh --out "$corpora"

for f in fuzz/fuzz_targets/*.rs; do
    t=$(basename "${f%.rs}")
    cp "$bin/$t" "$OUT/"

    : > "$OUT/$t.dict"
    for d in $(sed -n 's|^// fuzz-dicts: *||p' "$f"); do
        cat "fuzz/dicts/$d.dict" >> "$OUT/$t.dict"
    done

    mkdir -p "$WORK/seed/$t"
    for dir in "$corpora/$t" "fuzz/seeds/$t" "fuzz/regressions/$t"; do
        if [ -d "$dir" ]; then
            cp "$dir"/* "$WORK/seed/$t/" 2>/dev/null || true
        fi
    done
    (cd "$WORK/seed/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)

    printf '[libfuzzer]\ntimeout = 10\n' > "$OUT/$t.options"
done
