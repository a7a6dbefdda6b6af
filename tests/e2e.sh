#!/bin/sh
# End-to-end checks of the clustersim binary as a user runs it: commands, exit codes, outputs,
# determinism, and that an invalid scenario writes nothing.
set -u
BIN=${1:-bin/clustersim}
T=$(mktemp -d /tmp/clustersim-e2e-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { # description, then a command that must succeed
    d=$1; shift
    if "$@" >/dev/null 2>"$T/cerr"; then ok; else bad "$d"; cat "$T/cerr" >&2; fi
}
status_is() { # expected status, description, command...
    want=$1; d=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "$d: exit $got, expected $want"; cat "$T/err" >&2; fi
}
strip_wall() { grep -v '"wall_s"' "$1"; }

# Help on every command, with an example.
for c in run validate types schema sweep keymove estimate capacity journey bench; do
    check "$c --help" sh -c "'$BIN' $c --help | grep -q example"
done
status_is 0 "--help" "$BIN" --help
status_is 2 "no command" "$BIN"
status_is 2 "unknown command" "$BIN" frobnicate
status_is 2 "unknown run option" "$BIN" run scenarios/mm1.json --frob
status_is 2 "bad seed" "$BIN" run scenarios/mm1.json --seed -4
status_is 2 "missing scenario" "$BIN" run "$T/nope.json"

# The shipped schema is the one the validator's tables generate.
check "schema.json is current" sh -c "'$BIN' schema | cmp -s - scenarios/schema.json"

# Every shipped scenario validates.
check "validate shipped scenarios" sh -c "'$BIN' validate \$(ls scenarios/*.json scenarios/*/*.json | grep -v schema.json)"
check "scenarios conform to schema.json" /usr/bin/python3 tests/schema_check.py

# A run writes every output, and the summary has the contract's keys.
status_is 0 "run mm1" "$BIN" run scenarios/mm1.json --out "$T/a" --quiet --set duration=300s
for f in summary.json timeseries.csv latency.csv nodes.csv keymoves.csv; do
    check "output $f" test -s "$T/a/$f"
done
for k in scenario seed duration_s warmup_s events wall_s requests throughput_rps latency_ms \
         p50 p90 p95 p99 p999 max components utilization per_node skew max_over_mean cov \
         replications; do
    check "summary has $k" grep -q "\"$k\"" "$T/a/summary.json"
done
check "timeseries header" sh -c "head -1 '$T/a/timeseries.csv' | grep -q '^t_s,users,offered_rps,completed_rps,rejected_rps,failed_rps,p50_ms,p99_ms,server.util,server.queue$'"
check "timeseries rows" sh -c "[ \$(wc -l < '$T/a/timeseries.csv') -eq 31 ]"
check "latency header" sh -c "head -1 '$T/a/latency.csv' | grep -q '^ms,count,cumulative$'"
check "nodes header" sh -c "head -1 '$T/a/nodes.csv' | grep -q '^component,node,requests,utilization,keys$'"
check "keymoves header" sh -c "head -1 '$T/a/keymoves.csv' | grep -q '^at_s,component,nodes_before,nodes_after,keys,moved,moved_fraction,ideal_fraction,migration_planned,migrated_keys,migrated_bytes,migration_dropped,migration_start_s,migration_end_s,migration_s$'"
check "no temporary files left" sh -c "! ls -a '$T/a' | grep -q tmp"

# A scale with migration fills the migration columns; without, they stay empty.
status_is 0 "run migration" "$BIN" run scenarios/migration.json --out "$T/mig" --quiet \
    --no-plots --set duration=150s
check "keymoves migration columns" sh -c "tail -1 '$T/mig/keymoves.csv' | grep -Eq '^120,cache,4,5,100000,[0-9]+,[0-9.]+,0.2,[0-9]+,[0-9]+,[0-9]+,[0-9]+,120,[0-9.]+,[0-9.]+$'"
check "timeseries in_transit" sh -c "head -1 '$T/mig/timeseries.csv' | grep -q ',cache.hit_ratio,cache.in_transit,'"
status_is 0 "run migration=null" "$BIN" run scenarios/migration.json --out "$T/nomig" --quiet \
    --no-plots --set duration=150s --set components.cache.migration=null
check "keymoves without migration" sh -c "tail -1 '$T/nomig/keymoves.csv' | grep -q ',0.2,,,,,,,$'"
check "report.html written" test -s "$T/a/report.html"
if command -v gnuplot >/dev/null 2>&1; then
    for p in latency latency_cdf throughput utilization nodes; do
        check "plot $p.png" test -s "$T/a/$p.png"
    done
fi

# report.html in a real headless browser: it loads offline and every image decodes.
if command -v chromium >/dev/null 2>&1; then
    check "report.html in chromium" sh tests/browser_check.sh "$T/a/report.html" "$T/a-shot.png"
else
    echo "e2e: chromium not installed; report.html browser check skipped" >&2
fi

# Same seed: identical results apart from wall time; another seed: different.
status_is 0 "run mm1 again" "$BIN" run scenarios/mm1.json --out "$T/b" --quiet --no-plots --set duration=300s
strip_wall "$T/a/summary.json" > "$T/a.s"; strip_wall "$T/b/summary.json" > "$T/b.s"
check "same seed, same summary" cmp -s "$T/a.s" "$T/b.s"
check "same seed, same timeseries" cmp -s "$T/a/timeseries.csv" "$T/b/timeseries.csv"
status_is 0 "run mm1 seed 2" "$BIN" run scenarios/mm1.json --out "$T/c" --quiet --no-plots --seed 2 --set duration=300s
check "--no-plots draws none" sh -c "! ls '$T/c' | grep -q png"
strip_wall "$T/c/summary.json" > "$T/c.s"
check "another seed, another summary" sh -c "! cmp -s '$T/a.s' '$T/c.s'"

# An invalid scenario: exit 2, FILE:LINE: PATH: message, nothing written.
printf '{\n  "duration": "10s",\n  "workload": {"rate": 1, "entry": "web"},\n  "components": [\n    {"id": "web", "type": "service", "workres": 2}\n  ]\n}\n' > "$T/bad.json"
status_is 2 "invalid scenario" "$BIN" run "$T/bad.json" --out "$T/bad-out"
check "error names file, line and path" grep -q "bad.json:5: components\[0\].workres: unknown field \"workres\" (did you mean \"workers\"?)" "$T/err"
check "nothing written" test ! -e "$T/bad-out"
status_is 2 "validate invalid" "$BIN" validate "$T/bad.json"
status_is 2 "bad --set" "$BIN" run scenarios/mm1.json --out "$T/d" --set components.server.workers=0
check "bad --set names --set" grep -q -- "--set: components\[0\].workers" "$T/err"

# "warmup": "auto": MSER-5 picks the warm-up and the summary says so.
printf '{"name":"aw","duration":"600s","metrics":{"interval":"2s","warmup":"auto"},"workload":{"rate":90,"entry":"s"},"components":[{"id":"s","type":"service","service":{"dist":"exp","mean":"10ms"}}]}\n' > "$T/aw.json"
status_is 0 "run with warmup auto" "$BIN" run "$T/aw.json" --no-plots --quiet --out "$T/aw"
check "warmup_auto in summary" grep -q '"intervals_dropped"' "$T/aw/summary.json"

# Replications: means with 95% half-widths; the same seeds give the same means.
status_is 0 "run with replications" "$BIN" run scenarios/mm1.json --out "$T/r" --quiet --set duration=200s --replications 4 --jobs 2
check "replications in summary" grep -q '"replications":	4' "$T/r/summary.json"
check "ci95 in summary" grep -q '"latency_ms.p99"' "$T/r/summary.json"
status_is 0 "replications in one process" "$BIN" run scenarios/mm1.json --out "$T/r1" --quiet --set duration=200s --replications 4 --jobs 1
strip_wall "$T/r/summary.json" > "$T/r.s"; strip_wall "$T/r1/summary.json" > "$T/r1.s"
check "replications: same result whatever the jobs" cmp -s "$T/r.s" "$T/r1.s"
status_is 2 "bad --replications" "$BIN" run scenarios/mm1.json --replications 0

# Sweeps: one row per point; an invalid point stops everything before it runs.
status_is 0 "sweep" "$BIN" sweep scenarios/mm1.json --param workload.rate=40,60 --param components.server.workers=1,2 --set duration=200s --out "$T/s" --quiet
check "sweep.csv rows" sh -c "[ \$(wc -l < '$T/s/sweep.csv') -eq 5 ]"
check "sweep.csv header" sh -c "head -1 '$T/s/sweep.csv' | grep -q '^workload.rate,components.server.workers,throughput_rps,mean_ms'"
status_is 2 "sweep with an invalid point" "$BIN" sweep scenarios/mm1.json --param components.server.workers=1,0 --out "$T/s2"
check "invalid sweep wrote nothing" test ! -e "$T/s2"

# keymove: the JSON object of CLI.md.
status_is 0 "keymove" "$BIN" keymove --scheme jump --nodes 10 --add 1 --keys 10000
for k in scheme nodes_before nodes_after keys moved moved_fraction ideal_fraction max_over_mean_before max_over_mean_after; do
    check "keymove has $k" grep -q "\"$k\"" "$T/out"
done
status_is 2 "keymove bad scheme" "$BIN" keymove --scheme nope --nodes 10 --add 1

# estimate: the M/M/1 scenario's figures are the formulas'.
status_is 0 "estimate" "$BIN" estimate scenarios/mm1.json
check "estimate M/M/1 response" grep -q "end to end: mean response 50 ms" "$T/out"
status_is 0 "estimate --compare" "$BIN" estimate scenarios/mm1.json --compare --set duration=300s

# Regions and autoscaling: the failover list, the nodes column and its plot.
status_is 0 "run two-regions" "$BIN" run scenarios/two-regions.json --out "$T/g" --quiet --no-plots
check "two-regions failovers" grep -q '"decided_at_s"' "$T/g/summary.json"
status_is 0 "run autoscale" "$BIN" run scenarios/autoscale.json --out "$T/as" --quiet
check "autoscale scaling steps" grep -q '"active_at_s"' "$T/as/summary.json"
check "autoscale nodes column" sh -c "head -1 '$T/as/timeseries.csv' | grep -q ',web.nodes,'"
if command -v gnuplot >/dev/null 2>&1; then
    check "plot scaling.png" test -s "$T/as/scaling.png"
fi

# An unwritable output folder: exit 1 and a message.
status_is 1 "unwritable output" "$BIN" run scenarios/mm1.json --quiet --set duration=200s --out /proc/clustersim-cannot

# Every flag's bad value is a usage error (exit 2) and runs nothing: not a number, negative,
# past its range, empty, and the flag without a value at the end of the line.
N="$T/never"
for v in x -1 99999999999999999999999 "" " 5" +5 1.5; do
    for f in --seed --replications --jobs; do
        status_is 2 "run $f '$v'" "$BIN" run scenarios/mm1.json $f "$v" --out "$N"
        status_is 2 "sweep $f '$v'" "$BIN" sweep scenarios/mm1.json --param workload.rate=50 $f "$v" --out "$N"
        status_is 2 "capacity $f '$v'" "$BIN" capacity scenarios/mm1.json --slo p99=1s --vary workload.rate $f "$v" --out "$N"
    done
    status_is 2 "estimate --seed '$v'" "$BIN" estimate scenarios/mm1.json --seed "$v"
    for f in --nodes --add --remove --vnodes --keys --replication --table-size --load-bound; do
        [ "$f" = --load-bound ] && [ "$v" = 1.5 ] && continue # a valid factor
        status_is 2 "keymove $f '$v'" "$BIN" keymove --scheme ring --nodes 4 --add 1 --keys 100 $f "$v"
    done
done
for v in x -1 1e999 nan inf "" " 5" 0; do
    for f in --from --to --tolerance --errors; do
        [ "$f" = --errors ] && [ "$v" = 0 ] && continue # no errors allowed at all is fine
        status_is 2 "capacity $f '$v'" "$BIN" capacity scenarios/mm1.json --slo p99=1s --vary workload.rate $f "$v" --out "$N"
    done
done
for v in 0 1e23 nan 0.5; do
    status_is 2 "keymove --load-bound '$v'" "$BIN" keymove --scheme bounded --nodes 4 --add 1 --load-bound "$v"
done
for f in --out --seed --set --replications --jobs; do
    status_is 2 "run $f without a value" "$BIN" run scenarios/mm1.json $f
done
status_is 2 "run --out followed by a flag" "$BIN" run scenarios/mm1.json --out --quiet
for f in --param --out --seed --set --replications --jobs; do
    status_is 2 "sweep $f without a value" "$BIN" sweep scenarios/mm1.json --param workload.rate=50 $f
done
for f in --slo --vary --errors --from --to --tolerance --replications --jobs --seed --set --out; do
    status_is 2 "capacity $f without a value" "$BIN" capacity scenarios/mm1.json --slo p99=1s --vary workload.rate $f
done
for f in --set --seed; do
    status_is 2 "estimate $f without a value" "$BIN" estimate scenarios/mm1.json $f
done
for f in --scheme --nodes --add --remove --vnodes --keys --keys-file --node-names --load-bound --replication --table-size; do
    status_is 2 "keymove $f without a value" "$BIN" keymove --scheme ring --nodes 4 --add 1 $f
done
status_is 2 "run --set without '='" "$BIN" run scenarios/mm1.json --set duration --out "$N"
status_is 2 "sweep --param without values" "$BIN" sweep scenarios/mm1.json --param workload.rate= --out "$N"
status_is 2 "keymove --keys-file missing" "$BIN" keymove --scheme ring --nodes 4 --add 1 --keys-file "$T/none"
status_is 2 "keymove too much memory" "$BIN" keymove --scheme ring --nodes 100000 --add 1 --keys 100000000 --vnodes 100000 --replication 64 --assignments
check "keymove memory names the limit" grep -q "CLUSTERSIM_MEMORY_LIMIT" "$T/err"
status_is 2 "validate unknown option" "$BIN" validate --frob scenarios/mm1.json
status_is 2 "validate nothing" "$BIN" validate
status_is 2 "types unknown type" "$BIN" types nosuch
status_is 2 "schema extra argument" "$BIN" schema extra
check "bad flags ran nothing" test ! -e "$N"

# A scenario too big for memory is refused with the estimate and the limit, nothing run.
status_is 2 "memory limit" env CLUSTERSIM_MEMORY_LIMIT=100KiB "$BIN" run scenarios/mm1.json --out "$N"
check "memory limit message" grep -q "more than the limit of 100 KiB (set CLUSTERSIM_MEMORY_LIMIT" "$T/err"
status_is 2 "malformed memory limit" env CLUSTERSIM_MEMORY_LIMIT=lots "$BIN" validate scenarios/mm1.json

# A trace's malformed line is reported with its file and line number.
printf 't_s,op,key,client\n0.5,read,1,2\n0.7,read,x,2\n' > "$T/bad.csv"
printf '{"duration": 10, "workload": {"trace": "bad.csv", "entry": "s"},\n "components": [{"id": "s", "type": "service"}]}\n' > "$T/trace.json"
status_is 2 "malformed trace line" "$BIN" validate "$T/trace.json"
check "trace error names file and line" grep -q "trace.json:1: workload.trace: $T/bad.csv:3: expected t_s,op,key,client" "$T/err"

# Output failures: exit 1 with a message and no result left behind, whether the disk is full
# (a temporary name that is a symlink to /dev/full: exec keeps the shell's pid, which names
# it) or stdout cannot be written.
mkdir -p "$T/full"
status_is 1 "full disk (/dev/full)" sh -c "ln -s /dev/full '$T/full/.summary.json.tmp'\$\$ && exec '$BIN' run scenarios/mm1.json --quiet --no-plots --set duration=200s --out '$T/full'"
check "full disk message" grep -q "cannot write the results in $T/full: No space left on device" "$T/err"
check "full disk left nothing" sh -c "[ -z \"\$(ls -A '$T/full')\" ]"
status_is 1 "stdout on a full disk" sh -c "'$BIN' validate scenarios/mm1.json > /dev/full"
check "stdout failure message" grep -q "validate: cannot write the output: No space left on device" "$T/err"
# As root, a real full file system and a read-only one (small tmpfs mounts, removed after).
if [ "$(id -u)" -eq 0 ] && mkdir -p "$T/mnt" && mount -t tmpfs -o size=64k tmpfs "$T/mnt" 2>/dev/null; then
    dd if=/dev/zero of="$T/mnt/filler" bs=4k 2>/dev/null
    mkdir -p "$T/mnt/out" 2>/dev/null
    status_is 1 "full tmpfs" "$BIN" run scenarios/mm1.json --quiet --no-plots --set duration=200s --out "$T/mnt/out"
    check "full tmpfs left no summary" sh -c "! ls -A '$T/mnt/out' 2>/dev/null | grep -q ."
    rm -f "$T/mnt/filler"
    mount -o remount,ro "$T/mnt"
    status_is 1 "read-only tmpfs" "$BIN" run scenarios/mm1.json --quiet --no-plots --set duration=200s --out "$T/mnt/out"
    check "read-only message" grep -q "Read-only file system" "$T/err"
    umount "$T/mnt"
fi

# SIGINT during a long run stops it soon, with the summary so far marked "interrupted" (exit
# 130). A background job starts with SIGINT ignored until clustersim installs its handler, so
# the signal is repeated until the run ends.
"$BIN" run scenarios/mm1.json --set duration=1e8s --set metrics.interval=1000s --out "$T/int" --quiet --no-plots 2>"$T/interr" &
pid=$!
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 40 ]; do sleep 0.25; kill -INT $pid 2>/dev/null; i=$((i + 1)); done
wait $pid; st=$?
if [ "$st" -eq 130 ]; then ok; else bad "SIGINT: exit $st, expected 130"; fi
check "SIGINT stops within 2 s" test "$i" -le 8
check "interrupted summary" grep -q '"interrupted":	true' "$T/int/summary.json"
check "interrupted run ends early" sh -c "! grep -q '\"simulated_s\":	1e+08' '$T/int/summary.json'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
