#!/bin/sh
# MPI check (make MPI=1 first): the same small sweep with 1, 2 and 3 ranks on this machine
# writes byte-identical sweep.csv, and sweep.json identical apart from wall times (which
# differ between any two runs, MPI or not); a capacity search agrees too.
set -eu
BIN=${1:-bin/clustersim}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "mpi: FAIL: $*" >&2; exit 1; }
MPIRUN="mpirun --oversubscribe --allow-run-as-root"
S="sweep scenarios/mm1.json --param workload.rate=50,60,70,80 --param components.server.workers=1,2 --replications 2 --set duration=1000s --no-plots --quiet"
$BIN $S --jobs 1 --out "$T/plain"
grep -v '"wall_s"' "$T/plain/sweep.json" > "$T/plain.json"
for np in 1 2 3; do
    timeout 120 $MPIRUN -np $np $BIN $S --out "$T/np$np" || fail "sweep with $np ranks failed"
    cmp "$T/plain/sweep.csv" "$T/np$np/sweep.csv" || fail "sweep.csv differs with $np ranks"
    grep -v '"wall_s"' "$T/np$np/sweep.json" > "$T/np$np.json"
    cmp "$T/plain.json" "$T/np$np.json" || fail "sweep.json differs with $np ranks"
    [ ! -e "$T/np$np/.sweep.partial.jsonl" ] || fail "the partial file stayed with $np ranks"
done
C="capacity scenarios/mm1.json --slo p99=200ms --vary workload.rate --replications 3 --set duration=300s --quiet"
$BIN $C --jobs 1 --out "$T/cap1"
timeout 120 $MPIRUN -np 3 $BIN $C --out "$T/cap3" || fail "capacity with 3 ranks failed"
grep -v '"wall_s"' "$T/cap1/capacity.json" > "$T/c1"; grep -v '"wall_s"' "$T/cap3/capacity.json" > "$T/c3"
cmp "$T/c1" "$T/c3" || fail "capacity.json differs with 3 ranks"
echo "mpi: ok (sweep with 1, 2 and 3 ranks, capacity with 3)"
