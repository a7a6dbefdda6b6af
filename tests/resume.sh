#!/bin/sh
# End-to-end check of sweep --resume: a sweep killed after some pieces leaves its finished
# pieces in DIR/.sweep.partial.jsonl; the resumed run computes only the others and writes the
# same sweep.csv and sweep.json (wall times aside) as an uninterrupted run.
set -eu
BIN=${1:-bin/clustersim}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "resume: FAIL: $*" >&2; exit 1; }
# 4 points x 3 replications = 12 pieces, one process so that they finish one by one.
S="sweep scenarios/mm1.json --param workload.rate=50,60,70,80 --replications 3 --jobs 1 --set duration=4000s --no-plots --quiet"
$BIN $S --out "$T/full"
[ ! -e "$T/full/.sweep.partial.jsonl" ] || fail "a complete sweep left its partial file"

$BIN $S --out "$T/cut" &
pid=$!
# The header line and 5 pieces, then kill without warning (no chance to tidy up).
n=0
while [ "$(cat "$T/cut/.sweep.partial.jsonl" 2>/dev/null | wc -l)" -lt 6 ]; do
    n=$((n + 1)); [ $n -lt 600 ] || fail "no pieces after 30 s"
    sleep 0.05
done
kill -KILL $pid
wait $pid 2>/dev/null || true
done_before=$(($(wc -l < "$T/cut/.sweep.partial.jsonl") - 1))
[ "$done_before" -ge 5 ] && [ "$done_before" -lt 12 ] || fail "$done_before pieces before the kill"
[ ! -e "$T/cut/sweep.csv" ] || fail "a killed sweep wrote sweep.csv"

$BIN $S --out "$T/cut" --resume
[ -f "$T/cut/sweep.csv" ] || fail "the resumed sweep wrote no sweep.csv"
[ ! -e "$T/cut/.sweep.partial.jsonl" ] || fail "the resumed sweep left its partial file"
cmp "$T/full/sweep.csv" "$T/cut/sweep.csv" || fail "sweep.csv differs after resuming"
grep -v '"wall_s"' "$T/full/sweep.json" > "$T/a"; grep -v '"wall_s"' "$T/cut/sweep.json" > "$T/b"
cmp "$T/a" "$T/b" || fail "sweep.json differs after resuming"

# The count: kill again, then resume without --quiet and read how many pieces were computed.
Sv=$(echo "$S" | sed 's/ --quiet//')
$BIN $Sv --out "$T/cut2" >/dev/null 2>&1 &
pid=$!
n=0
while [ "$(cat "$T/cut2/.sweep.partial.jsonl" 2>/dev/null | wc -l)" -lt 4 ]; do
    n=$((n + 1)); [ $n -lt 600 ] || fail "no pieces after 30 s"
    sleep 0.05
done
kill -KILL $pid
wait $pid 2>/dev/null || true
kept=$(($(wc -l < "$T/cut2/.sweep.partial.jsonl") - 1))
$BIN $Sv --out "$T/cut2" --resume 2> "$T/log2" >/dev/null
grep -q "sweep: $kept pieces resumed from .*, $((12 - kept)) computed" "$T/log2" ||
    fail "expected $kept resumed and $((12 - kept)) computed, got: $(cat "$T/log2")"
cmp "$T/full/sweep.csv" "$T/cut2/sweep.csv" || fail "sweep.csv differs after the second resume"
# A partial file from another sweep is refused.
mkdir -p "$T/other"
echo '{"sweep":"another"}' > "$T/other/.sweep.partial.jsonl"
if $BIN $S --out "$T/other" --resume 2>/dev/null; then fail "resumed another sweep's pieces"; fi
echo "resume: ok ($done_before and $kept pieces kept after kills)"
