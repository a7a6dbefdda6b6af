#!/bin/sh
# Runs the scenario fuzzer for a while: seeds it with every shipped scenario (plus each with a
# few --set strings appended) and the regression inputs, keeps its growing corpus in the build
# tree and writes any crash to tests/fuzz/crashes/. Usage: run.sh FUZZER SECONDS
set -eu
FUZZER=$1
SECONDS_=${2:-120}
CORPUS=$(dirname "$FUZZER")/corpus
SEEDS=$(dirname "$FUZZER")/seeds
mkdir -p "$CORPUS" "$SEEDS" tests/fuzz/crashes
i=0
for f in scenarios/*.json scenarios/*/*.json; do
    [ -f "$f" ] || continue
    i=$((i + 1))
    cp "$f" "$SEEDS/seed$i.json"
    # The same scenario with --set strings: the NUL-separated tail of a fuzz input.
    { cat "$f"; printf '\0duration=1s\0components[0].nodes=2\0workload.keys.count="1e3"'; } \
        > "$SEEDS/seed$i-sets"
done
# Earlier findings seed it too, so that it starts from the shapes that once broke the loader.
for f in tests/fuzz/regress/*; do
    [ -f "$f" ] && cp "$f" "$SEEDS/regress-$(basename "$f")"
done
echo "fuzz: $i seed scenarios, $SECONDS_ s" >&2
exec "$FUZZER" "$CORPUS" "$SEEDS" -max_total_time="$SECONDS_" -max_len=65536 \
    -timeout=10 -dict=tests/fuzz/scenario.dict -artifact_prefix=tests/fuzz/crashes/ \
    -print_final_stats=1
