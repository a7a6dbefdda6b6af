#!/bin/sh
# make bench: times the kernel (hold model), the same M/M/1 by hand in C, in clustersim and in
# SimPy, plus any other bench/ programs; prints one table of medians and writes bench.json.
# Environment: BUILD (default build), CLUSTERSIM (bin/clustersim), SIMPY_REQUESTS (default 400000), PYTHON (/usr/bin/python3).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CLUSTERSIM=${CLUSTERSIM:-bin/clustersim}
SCENARIO=scenarios/bench/mm1.json
PYTHON=${PYTHON:-/usr/bin/python3}
SIMPY_REQUESTS=${SIMPY_REQUESTS:-400000}
MM1_REQUESTS=2000000 # the scenario: 80 req/s for 25000 s
RUNS=3               # each timed item; the quick M/M/1 loops get QUICK_RUNS
QUICK_RUNS=5
OUT=bench.json

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }
now_ns() { date +%s%N; }
# The value of KEY in a `name key=value key=value` line on stdin.
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" | head -n 1; }
# The median of the numbers on stdin, one a line ("null" when there are none).
median() {
    sort -g | awk '{ a[NR] = $1 }
        END { if (NR == 0) print "null"; else if (NR % 2) print a[(NR + 1) / 2];
              else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# awk arithmetic on arguments: calc 'a / b' 1 2 (null in, null out).
calc() {
    expr=$1; shift
    case " $* " in *" null "*|*"  "*) echo null; return ;; esac
    awk -v a="${1:-}" -v b="${2:-}" -v c="${3:-}" "BEGIN { printf \"%.6g\\n\", ($expr) }"
}
# A JSON string literal from the text on stdin (one line).
jstr() { sed 's/\\/\\\\/g; s/"/\\"/g; s/	/\\t/g; s/^/"/; s/$/"/' | tr -d '\r\n'; }
# The number after "KEY": in a JSON text (first occurrence).
jnum() { tr -d '\n' | grep -o "\"$1\": *[-0-9.eE+][-0-9.eE+]*" | head -n 1 | sed 's/.*: *//'; }

cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo null)
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo null)
say "bench: $cpus CPUs, load $load; medians of $RUNS runs ($QUICK_RUNS for the C M/M/1 loop)"

# ---- 1. The kernel's hold model --------------------------------------------------------------
hold_json=""
if [ -x "$BUILD/bench/hold" ]; then
    for i in $(seq "$RUNS"); do
        say "  hold model, run $i/$RUNS"
        "$BUILD/bench/hold" > "$tmp/hold.$i"
    done
    # Table rows: pending events wall_s Mevents/s target met
    for p in $(awk '$1 ~ /^[0-9]+$/ { print $1 }' "$tmp/hold.1"); do
        cat "$tmp"/hold.[0-9]* | awk -v p="$p" '$1 == p { print $4 * 1e6 }' > "$tmp/hold.rates"
        rate=$(median < "$tmp/hold.rates")
        best=$(sort -g "$tmp/hold.rates" | tail -n 1)
        events=$(awk -v p="$p" '$1 == p { print $2 }' "$tmp/hold.1")
        target=$(awk -v p="$p" '$1 == p { print $5 * 1e6 }' "$tmp/hold.1")
        met=$(calc 'a >= b' "$rate" "$target" | sed 's/^1$/true/; s/^0$/false/')
        echo "$p $events $rate $target $met" >> "$tmp/hold.med"
        hold_json="$hold_json${hold_json:+, }{\"pending\": $p, \"events\": $events, \"runs\": $RUNS, \"median_events_per_s\": $rate, \"best_events_per_s\": $best, \"target_events_per_s\": $target, \"met\": $met}"
    done
else
    say "  hold model: $BUILD/bench/hold missing, skipped"
fi

# ---- 2. The hand-written M/M/1 --------------------------------------------------------------
bare_json='{"skipped": "build/bench/mm1_bare missing"}'
bare_proc=null
if [ -x "$BUILD/bench/mm1_bare" ]; then
    for i in $(seq "$QUICK_RUNS"); do
        say "  mm1_bare, run $i/$QUICK_RUNS"
        t0=$(now_ns)
        "$BUILD/bench/mm1_bare" 80 100 "$MM1_REQUESTS" 1 > "$tmp/bare.$i"
        t1=$(now_ns)
        calc '(a - b) / 1e9' "$t1" "$t0" >> "$tmp/bare.proc"
        kv wall_s < "$tmp/bare.$i" >> "$tmp/bare.wall"
    done
    bare_proc=$(median < "$tmp/bare.proc")
    bare_wall=$(median < "$tmp/bare.wall")
    bare_mean=$(kv mean_ms < "$tmp/bare.1")
    bare_p99=$(kv p99_ms < "$tmp/bare.1")
    bare_events=$(kv events < "$tmp/bare.1")
    bare_ns=$(calc 'a / b * 1e9' "$bare_proc" "$MM1_REQUESTS")
    bare_json="{\"runs\": $QUICK_RUNS, \"requests\": $MM1_REQUESTS, \"events\": $bare_events, \"median_process_wall_s\": $bare_proc, \"median_loop_wall_s\": $bare_wall, \"ns_per_request\": $bare_ns, \"mean_latency_ms\": $bare_mean, \"p99_latency_ms\": $bare_p99, \"theory_mean_latency_ms\": 50, \"theory_p99_latency_ms\": 230.259}"
fi

# ---- 3. clustersim run on the same model ----------------------------------------------------
cs_json='{"skipped": "no scenario or no binary"}'
cs_proc=null
cs_req=null
cs_why=""
if [ ! -x "$CLUSTERSIM" ]; then
    cs_why="$CLUSTERSIM missing"
elif [ ! -f "$SCENARIO" ]; then
    cs_why="$SCENARIO missing"
else
    for i in $(seq "$RUNS"); do
        say "  clustersim run $SCENARIO, run $i/$RUNS"
        t0=$(now_ns)
        if ! "$CLUSTERSIM" run "$SCENARIO" --no-plots --quiet --out "$tmp/cs.$i" \
            > "$tmp/cs.out" 2> "$tmp/cs.err"; then
            cs_why="clustersim run failed: $(head -n 1 "$tmp/cs.err")"
            break
        fi
        t1=$(now_ns)
        calc '(a - b) / 1e9' "$t1" "$t0" >> "$tmp/cs.proc"
        sum="$tmp/cs.$i/summary.json"
        [ -f "$sum" ] && jnum wall_s < "$sum" >> "$tmp/cs.wall"
    done
fi
if [ -z "$cs_why" ]; then
    cs_proc=$(median < "$tmp/cs.proc")
    sum="$tmp/cs.1/summary.json"
    cs_wall=$( [ -s "$tmp/cs.wall" ] && median < "$tmp/cs.wall" || echo null)
    cs_events=null; cs_mean=null; cs_p99=null
    if [ -f "$sum" ]; then
        cs_events=$(jnum events < "$sum"); cs_events=${cs_events:-null}
        cs_req=$(tr -d '\n' < "$sum" | grep -o '"requests": *{[^}]*}' | head -n 1 | jnum completed)
        lat=$(tr -d '\n' < "$sum" | grep -o '"latency_ms": *{[^}]*}' | head -n 1)
        cs_mean=$(echo "$lat" | jnum mean); cs_mean=${cs_mean:-null}
        cs_p99=$(echo "$lat" | jnum p99); cs_p99=${cs_p99:-null}
    fi
    cs_req=${cs_req:-null}
    [ "$cs_req" = null ] && cs_req=$MM1_REQUESTS
    cs_ns=$(calc 'a / b * 1e9' "$cs_proc" "$cs_req")
    cs_json="{\"runs\": $RUNS, \"requests_completed\": $cs_req, \"events\": $cs_events, \"median_process_wall_s\": $cs_proc, \"median_summary_wall_s\": $cs_wall, \"ns_per_request\": $cs_ns, \"mean_latency_ms\": $cs_mean, \"p99_latency_ms\": $cs_p99}"
else
    say "  clustersim: skipped ($cs_why)"
    cs_json="{\"skipped\": $(echo "$cs_why" | jstr)}"
fi

# ---- 4. SimPy -------------------------------------------------------------------------------
simpy_json='{"skipped": "SimPy not available"}'
simpy_us=null
simpy_api=""
if [ -x "$PYTHON" ] && "$PYTHON" -c 'import simpy' 2>/dev/null ||
   { [ -x "$PYTHON" ] && "$PYTHON" -c 'import SimPy.Simulation' 2>/dev/null; }; then
    for i in $(seq "$RUNS"); do
        say "  SimPy, $SIMPY_REQUESTS requests, run $i/$RUNS"
        "$PYTHON" bench/mm1_simpy.py 80 100 "$SIMPY_REQUESTS" 1 > "$tmp/simpy.$i"
        kv us_per_request < "$tmp/simpy.$i" >> "$tmp/simpy.us"
        kv wall_s < "$tmp/simpy.$i" >> "$tmp/simpy.wall"
    done
    simpy_us=$(median < "$tmp/simpy.us")
    simpy_wall=$(median < "$tmp/simpy.wall")
    simpy_api=$(kv api < "$tmp/simpy.1")
    simpy_mean=$(kv mean_ms < "$tmp/simpy.1")
    simpy_p99=$(kv p99_ms < "$tmp/simpy.1")
    simpy_scaled=$(calc 'a * b / 1e6' "$simpy_us" "$MM1_REQUESTS")
    simpy_json="{\"runs\": $RUNS, \"api\": \"$simpy_api\", \"requests\": $SIMPY_REQUESTS, \"median_run_wall_s\": $simpy_wall, \"us_per_request\": $simpy_us, \"scaled_wall_s_for_2M_requests\": $simpy_scaled, \"mean_latency_ms\": $simpy_mean, \"p99_latency_ms\": $simpy_p99}"
else
    say "  SimPy: not importable by $PYTHON, skipped"
fi

# ---- 5. Other bench programs (hist, keys, placement, ...) ------------------------------------
other_json=""
for f in "$BUILD"/bench/*; do
    name=${f##*/}
    case "$name" in hold | mm1_bare | *.d | *.o) continue ;; esac
    [ -f "$f" ] && [ -x "$f" ] || continue
    say "  $name"
    t0=$(now_ns)
    if "$f" > "$tmp/other.$name" 2>&1; then st=0; else st=$?; fi
    t1=$(now_ns)
    w=$(calc '(a - b) / 1e9' "$t1" "$t0")
    lines=""
    while IFS= read -r line; do
        lines="$lines${lines:+, }$(printf '%s' "$line" | jstr)"
    done < "$tmp/other.$name"
    other_json="$other_json${other_json:+, }{\"name\": \"$name\", \"exit_status\": $st, \"process_wall_s\": $w, \"output\": [$lines]}"
done

# ---- Ratios ---------------------------------------------------------------------------------
r_cb=$(calc 'a / b' "$cs_proc" "$bare_proc")
cs_us=$(calc 'a / 1000' "${cs_ns:-null}")
r_sc=$(calc 'a / b' "$simpy_us" "$cs_us")
met_cb=$(calc 'a <= 2.0' "$r_cb" | sed 's/^1$/true/; s/^0$/false/')
met_sc=$(calc 'a >= 50' "$r_sc" | sed 's/^1$/true/; s/^0$/false/')

# ---- The table ------------------------------------------------------------------------------
fmt='%-34s %5s %12s  %-11s %s\n'
echo
printf '%s\n' "clustersim bench: $cpus x $cpu_model, load $load at start; medians"
printf "$fmt" item runs median unit notes
if [ -f "$tmp/hold.med" ]; then
    while read -r p events rate target met; do
        printf "$fmt" "hold model, $p pending" "$RUNS" "$(calc 'a / 1e6' "$rate")" Mevents/s \
            "$events events; target >= $(calc 'a / 1e6' "$target"); met: $met"
    done < "$tmp/hold.med"
fi
if [ "$bare_proc" != null ]; then
    printf "$fmt" "M/M/1 bare C, $MM1_REQUESTS req" "$QUICK_RUNS" "$bare_proc" s \
        "loop $bare_wall s; mean $bare_mean ms, p99 $bare_p99 ms (theory 50, 230.3)"
fi
if [ "$cs_proc" != null ]; then
    printf "$fmt" "M/M/1 clustersim run, $cs_req req" "$RUNS" "$cs_proc" s \
        "summary wall_s $cs_wall; mean $cs_mean ms, p99 $cs_p99 ms"
else
    printf "$fmt" "M/M/1 clustersim run" - - - "skipped: $cs_why"
fi
if [ "$simpy_us" != null ]; then
    printf "$fmt" "M/M/1 $simpy_api, $SIMPY_REQUESTS req" "$RUNS" "$simpy_us" us/request \
        "= $simpy_scaled s scaled to $MM1_REQUESTS req; mean $simpy_mean ms, p99 $simpy_p99 ms"
else
    printf "$fmt" "M/M/1 SimPy" - - - "skipped: not importable by $PYTHON"
fi
printf "$fmt" "ratio clustersim / bare C" - "$r_cb" x "process wall; target <= 2.0; met: $met_cb"
printf "$fmt" "ratio SimPy / clustersim" - "$r_sc" x "time per request; target >= 50; met: $met_sc"
for f in "$tmp"/other.*; do
    [ -f "$f" ] || continue
    name=${f##*/other.}
    sed "s/^/  $name: /" "$f"
done

cat > "$OUT.tmp" <<EOF
{
  "host": {"cpus": $cpus, "cpu": $(printf '%s' "$cpu_model" | jstr), "load_at_start": $load},
  "units": "keys end in their unit: _s seconds, _ms milliseconds, _us/_ns per request, events_per_s; ratios are plain numbers",
  "hold": [$hold_json],
  "mm1_bare": $bare_json,
  "clustersim": $cs_json,
  "simpy": $simpy_json,
  "ratios": {
    "clustersim_over_bare": {"value": $r_cb, "basis": "median process wall time, same 2M-request M/M/1", "target_max": 2.0, "met": $met_cb},
    "simpy_over_clustersim": {"value": $r_sc, "basis": "median wall time per request", "target_min": 50, "met": $met_sc}
  },
  "other": [$other_json]
}
EOF
mv "$OUT.tmp" "$OUT"
say "wrote $OUT"
