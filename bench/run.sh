#!/bin/sh
# make bench: times the kernel (hold model), the same M/M/1 by hand in C, in clustersim and in
# SimPy, the cache-only and million-user scenarios (cache-only beside its loop by hand in C,
# bench/cache_bare.c), plus any other bench/ programs; prints one table of medians and writes
# bench.json.
# Environment: BUILD (build), CLUSTERSIM (bin/clustersim), PYTHON (/usr/bin/python3),
# SIMPY_REQUESTS (200000; SimPy needs about 10 us a request, so 2M would take 20 s a run),
# MM1_PAIRS (7; side-by-side runs of the bare M/M/1 loop and clustersim),
# CACHE_RUNS (7; scenarios/bench/cache-only.json, under a second a run: enough runs that the
# median does not hang on which of this VM's speed states one run fell in),
# MILLION_RUNS (1; scenarios/bench/million-users.json, 30M requests, takes a minute or more a run).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CLUSTERSIM=${CLUSTERSIM:-bin/clustersim}
SCENARIO=scenarios/bench/mm1.json
PYTHON=${PYTHON:-/usr/bin/python3}
SIMPY_REQUESTS=${SIMPY_REQUESTS:-200000}
MM1_REQUESTS=2000000 # what the scenario offers: 80 req/s for 25000 s
RUNS=3               # each timed item, except the M/M/1 pairs
MM1_PAIRS=${MM1_PAIRS:-7} # side-by-side runs of the bare loop and clustersim on M/M/1
SIMPY_RUNS=${SIMPY_RUNS:-5} # SimPy runs, each followed by a clustersim run
CACHE_RUNS=${CACHE_RUNS:-7}
MILLION_RUNS=${MILLION_RUNS:-1}
OUT=bench.json

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }
# The value of KEY in a `name key=value key=value` line on stdin.
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" | head -n 1; }
# The median of the numbers on stdin, one a line ("null" when there are none).
median() {
    sort -g | awk '{ a[NR] = $1 }
        END { if (NR == 0) print "null"; else if (NR % 2) print a[(NR + 1) / 2];
              else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# Arithmetic on up to three numbers a, b, c: `calc 'a / b' 1 2`; null in, null out.
calc() {
    expr=$1
    shift
    for v in "$@"; do
        case $v in '' | null) echo null; return ;; esac
    done
    awk -v a="${1:-0}" -v b="${2:-0}" -v c="${3:-0}" "BEGIN { printf \"%.6g\\n\", ($expr) }"
}
yesno() { sed 's/^1$/true/; s/^0$/false/'; }
# A JSON string literal from the text on stdin (other control characters are dropped).
jstr() {
    printf '"%s"' "$(tr -d '\r\n' | sed 's/\\/\\\\/g; s/"/\\"/g; s/	/\\t/g' |
        tr -d '\000-\010\013-\037')"
}
# The number after "KEY": in a JSON text (first occurrence; cJSON indents with tabs).
jnum() {
    tr -d '\n' | grep -o "\"$1\":[[:space:]]*[-0-9.eE+][-0-9.eE+]*" | head -n 1 |
        sed 's/.*:[[:space:]]*//'
}

# timed OUT CMD...: runs CMD with stdout in OUT (stderr in OUT.err) and sets T_STATUS, T_WALL
# (s, wall clock) and T_CPU (s, user + system of the child, from the shell's `times`, which has
# 10 ms resolution). `times` must run in this shell, not in a $(...) subshell.
cpu_children() {
    sed -n 2p "$tmp/times" | awk '{ s = 0; for (i = 1; i <= 2; i++) {
        split($i, p, "m"); sub("s", "", p[2]); s += p[1] * 60 + p[2] } print s }'
}
timed() {
    out=$1
    shift
    times > "$tmp/times"
    c0=$(cpu_children)
    t0=$(date +%s%N)
    if "$@" > "$out" 2> "$out.err"; then T_STATUS=0; else T_STATUS=$?; fi
    t1=$(date +%s%N)
    times > "$tmp/times"
    c1=$(cpu_children)
    T_WALL=$(calc '(a - b) / 1e9' "$t1" "$t0")
    T_CPU=$(calc 'a - b' "$c1" "$c0")
}

cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo null)
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo null)
say "bench: $cpus CPUs, load $load; medians of $RUNS runs ($MM1_PAIRS side-by-side pairs for M/M/1)"

# ---- 1. The kernel's hold model -------------------------------------------------------------
hold_json=""
if [ -x "$BUILD/bench/hold" ]; then
    for i in $(seq "$RUNS"); do
        say "  hold model, run $i/$RUNS"
        "$BUILD/bench/hold" > "$tmp/hold.$i"
    done
    # The rows of bench_hold_report, one per size and event queue:
    # pending events wall_s Mevents/s target met Mevents/cpu-s queue
    awk '$1 ~ /^[0-9]+$/ { print $1, $8 }' "$tmp/hold.1" > "$tmp/hold.rows"
    while read -r p q; do
        sel="\$1 == $p && \$8 == \"$q\""
        cat "$tmp"/hold.[0-9]* | awk "$sel { print \$4 * 1e6 }" > "$tmp/hold.rates"
        rate=$(median < "$tmp/hold.rates")
        best=$(sort -g "$tmp/hold.rates" | tail -n 1)
        cpu_rate=$(cat "$tmp"/hold.[0-9]* | awk "$sel { print \$7 * 1e6 }" | median)
        events=$(awk "$sel { print \$2 }" "$tmp/hold.1")
        target=$(awk "$sel { print \$5 * 1e6 }" "$tmp/hold.1")
        met=$(calc 'a >= b' "$rate" "$target" | yesno)
        echo "$p $q $events $rate $best $target $met $cpu_rate" >> "$tmp/hold.med"
        hold_json="$hold_json${hold_json:+, }{\"pending\": $p, \"queue\": \"$q\", \"events\": $events, \"runs\": $RUNS, \"median_events_per_s\": $rate, \"best_events_per_s\": $best, \"median_events_per_cpu_s\": $cpu_rate, \"target_events_per_s\": $target, \"met\": $met}"
    done < "$tmp/hold.rows"
else
    say "  hold model: $BUILD/bench/hold missing, skipped"
fi

# ---- 2. and 3. The hand-written M/M/1 and clustersim run on the same model -----------------
# Run side by side: each bare-loop run is followed at once by a clustersim run, so that both
# see the same machine (a shared VM's speed drifts by tens of percent within a minute); the
# ratio is the median of the pairs' ratios, which cancels that drift pair by pair.
bare_json='{"skipped": "the mm1_bare program is missing"}'
bare_wall=null bare_cpu=null bare_req=null
cs_wall=null cs_cpu=null cs_req=null cs_why=""
have_bare=0
[ -x "$BUILD/bench/mm1_bare" ] && have_bare=1
if [ ! -x "$CLUSTERSIM" ]; then
    cs_why="$CLUSTERSIM missing"
elif [ ! -f "$SCENARIO" ]; then
    cs_why="$SCENARIO missing"
fi
for i in $(seq "$MM1_PAIRS"); do
    if [ "$have_bare" = 1 ]; then
        say "  mm1_bare, run $i/$MM1_PAIRS"
        timed "$tmp/bare.$i" "$BUILD/bench/mm1_bare" 80 100 "$MM1_REQUESTS" 1
        [ "$T_STATUS" -eq 0 ] || { say "mm1_bare failed: $(cat "$tmp/bare.$i.err")"; exit 1; }
        echo "$T_WALL" >> "$tmp/bare.wall"
        echo "$T_CPU" >> "$tmp/bare.cpu"
        kv wall_s < "$tmp/bare.$i" >> "$tmp/bare.loop"
        b_wall=$T_WALL b_cpu=$T_CPU
    fi
    [ -z "$cs_why" ] || continue
    say "  clustersim run $SCENARIO, run $i/$MM1_PAIRS"
    timed "$tmp/cs.out" "$CLUSTERSIM" run "$SCENARIO" --no-plots --quiet --out "$tmp/cs.$i"
    if [ "$T_STATUS" -ne 0 ]; then
        cs_why="clustersim run failed (exit $T_STATUS): $(head -n 1 "$tmp/cs.out.err")"
        continue
    fi
    echo "$T_WALL" >> "$tmp/cs.wall"
    echo "$T_CPU" >> "$tmp/cs.cpu"
    if [ "$have_bare" = 1 ]; then
        calc 'a / b' "$T_WALL" "$b_wall" >> "$tmp/pair.wall"
        calc 'a / b' "$T_CPU" "$b_cpu" >> "$tmp/pair.cpu"
    fi
    sum="$tmp/cs.$i/summary.json"
    if [ -f "$sum" ]; then jnum wall_s < "$sum" >> "$tmp/cs.inner"; fi
done
if [ "$have_bare" = 1 ]; then
    bare_wall=$(median < "$tmp/bare.wall")
    bare_cpu=$(median < "$tmp/bare.cpu")
    bare_loop=$(median < "$tmp/bare.loop")
    bare_req=$(kv completed < "$tmp/bare.1")
    bare_events=$(kv events < "$tmp/bare.1")
    bare_mean=$(kv mean_ms < "$tmp/bare.1")
    bare_p99=$(kv p99_ms < "$tmp/bare.1")
    bare_ns=$(calc 'a / b * 1e9' "$bare_wall" "$bare_req")
    bare_json="{\"runs\": $MM1_PAIRS, \"requests_completed\": $bare_req, \"events\": $bare_events, \"median_wall_s\": $bare_wall, \"median_cpu_s\": $bare_cpu, \"median_loop_wall_s\": $bare_loop, \"wall_ns_per_request\": $bare_ns, \"mean_latency_ms\": $bare_mean, \"p99_latency_ms\": $bare_p99, \"theory_mean_latency_ms\": 50, \"theory_p99_latency_ms\": 230.259}"
fi
if [ -z "$cs_why" ]; then
    cs_wall=$(median < "$tmp/cs.wall")
    cs_cpu=$(median < "$tmp/cs.cpu")
    cs_inner=$(median < "$tmp/cs.inner")
    sum="$tmp/cs.1/summary.json"
    cs_events=null cs_mean=null cs_p99=null
    if [ -f "$sum" ]; then
        cs_events=$(jnum events < "$sum")
        cs_req=$(tr -d '\n' < "$sum" | grep -o '"requests":[[:space:]]*{[^}]*}' | head -n 1 |
            jnum completed)
        lat=$(tr -d '\n' < "$sum" | grep -o '"latency_ms":[[:space:]]*{[^}]*}' | head -n 1)
        cs_mean=$(echo "$lat" | jnum mean)
        cs_p99=$(echo "$lat" | jnum p99)
    fi
    cs_events=${cs_events:-null} cs_req=${cs_req:-null} cs_mean=${cs_mean:-null}
    cs_p99=${cs_p99:-null}
    [ "$cs_req" = null ] && cs_req=$MM1_REQUESTS # summary unreadable: what the scenario offers
    cs_ns=$(calc 'a / b * 1e9' "$cs_wall" "$cs_req")
    cs_json="{\"runs\": $MM1_PAIRS, \"requests_completed\": $cs_req, \"events\": $cs_events, \"median_wall_s\": $cs_wall, \"median_cpu_s\": $cs_cpu, \"median_summary_wall_s\": $cs_inner, \"wall_ns_per_request\": $cs_ns, \"mean_latency_ms\": $cs_mean, \"p99_latency_ms\": $cs_p99}"
else
    say "  clustersim: skipped ($cs_why)"
    cs_json="{\"skipped\": $(echo "$cs_why" | jstr)}"
fi

# ---- 3b. Larger scenarios: the cache alone, and a million users through a whole site --------
# scen NAME SCENARIO RUNS [TARGET [BARE]]: times `clustersim run` RUNS times; appends a table
# row to $tmp/scen.rows and a JSON member to scen_json. Rates divide by the median wall_s of
# summary.json (the run). TARGET: the requests/s the median must reach (reported as met or not).
# BARE: a bench program that runs the same scenario's loop by hand and prints `wall_s=` (its
# loop) and `hit_ratio=`; it runs just before each clustersim run, side by side as for M/M/1,
# and the row adds the median of the pairs' ratios and whether both counted the same hits.
scen_json=""
scen() {
    name=$1 scen=$2 n=$3 target=${4:-null} bare=${5:-}
    rm -f "$tmp/sc.wall" "$tmp/sc.cpu" "$tmp/sc.inner" "$tmp/sc.rss" "$tmp/sc.bare" "$tmp/sc.pair"
    why=""
    [ -z "$bare" ] || [ -x "$bare" ] || bare=""
    [ -x "$CLUSTERSIM" ] || why="$CLUSTERSIM missing"
    [ -f "$scen" ] || why="$scen missing"
    rss=""
    [ -x /usr/bin/time ] && rss="/usr/bin/time -o $tmp/sc.rss1 -f %M"
    for i in $(seq "$n"); do
        [ -z "$why" ] || break
        if [ -n "$bare" ]; then
            say "  ${bare##*/}, run $i/$n"
            timed "$tmp/scb.$i" "$bare"
            [ "$T_STATUS" -eq 0 ] || { say "${bare##*/} failed: $(cat "$tmp/scb.$i.err")"; exit 1; }
            kv wall_s < "$tmp/scb.$i" >> "$tmp/sc.bare"
        fi
        say "  clustersim run $scen, run $i/$n"
        timed "$tmp/sc.out" $rss "$CLUSTERSIM" run "$scen" --no-plots --quiet --out "$tmp/sc.$name.$i"
        if [ "$T_STATUS" -ne 0 ]; then
            why="clustersim run failed (exit $T_STATUS): $(head -n 1 "$tmp/sc.out.err")"
            break
        fi
        echo "$T_WALL" >> "$tmp/sc.wall"
        echo "$T_CPU" >> "$tmp/sc.cpu"
        [ -f "$tmp/sc.rss1" ] && tail -n 1 "$tmp/sc.rss1" >> "$tmp/sc.rss"
        jnum wall_s < "$tmp/sc.$name.$i/summary.json" >> "$tmp/sc.inner"
        [ -z "$bare" ] ||
            calc 'a / b' "$(tail -n 1 "$tmp/sc.inner")" "$(tail -n 1 "$tmp/sc.bare")" >> "$tmp/sc.pair"
    done
    if [ -n "$why" ]; then
        say "  $name: skipped ($why)"
        printf "$fmt" "$name" - - - "skipped: $why" >> "$tmp/scen.rows"
        scen_json="$scen_json${scen_json:+, }\"$name\": {\"skipped\": $(echo "$why" | jstr)}"
        return
    fi
    sum="$tmp/sc.$name.1/summary.json"
    wall=$(median < "$tmp/sc.wall") cpu=$(median < "$tmp/sc.cpu") inner=$(median < "$tmp/sc.inner")
    rss_mib=null
    [ -s "$tmp/sc.rss" ] && rss_mib=$(calc 'a / 1024' "$(median < "$tmp/sc.rss")")
    events=$(jnum events < "$sum")
    req=$(tr -d '\n' < "$sum" | grep -o '"requests":[[:space:]]*{[^}]*}' | head -n 1 | jnum completed)
    eps=$(calc 'a / b' "$events" "$inner")
    rps=$(calc 'a / b' "$req" "$inner")
    cpu_eps=$(calc 'a / b' "$events" "$cpu")
    met=null best_rps=null
    if [ "$target" != null ]; then
        met=$(calc 'a >= b' "$rps" "$target" | yesno)
        best_rps=$(calc 'a / b' "$req" "$(sort -g "$tmp/sc.inner" | head -n 1)")
    fi
    printf "$fmt" "$name, $req req" "$n" "$rps" req/s \
        "wall $wall s, cpu $cpu s, max RSS $rss_mib MiB; $events events = $(calc 'a / 1e6' "$eps") Mevents/s ($(calc 'a / 1e6' "$cpu_eps") per cpu-s)" \
        >> "$tmp/scen.rows"
    [ "$target" = null ] || printf "$fmt" "" "" "" "" "best $best_rps req/s; target >= $target: $met" >> "$tmp/scen.rows"
    bare_member=""
    if [ -n "$bare" ]; then
        b_name=${bare##*/}
        b_req=$(kv completed < "$tmp/scb.1")
        b_rps=$(calc 'a / b' "$b_req" "$(median < "$tmp/sc.bare")")
        ratio=$(median < "$tmp/sc.pair")
        # Both draw the same streams: the same requests must make the same hits.
        same=false
        [ "$(calc 'a - b < 1e-12 && b - a < 1e-12' "$(kv hit_ratio < "$tmp/scb.1")" \
            "$(jnum hit_ratio < "$sum")")" = 1 ] && [ "$b_req" = "$req" ] && same=true
        printf "$fmt" "  $b_name (same loop by hand)" "$n" "$b_rps" req/s \
            "ratio clustersim / $b_name $ratio (median of $n side-by-side pairs); same hits: $same" \
            >> "$tmp/scen.rows"
        bare_member=", \"$b_name\": {\"requests_per_s\": $b_rps, \"clustersim_over_bare\": $ratio, \"same_hits\": $same}"
    fi
    scen_json="$scen_json${scen_json:+, }\"$name\": {\"scenario\": \"$scen\", \"runs\": $n, \"requests_completed\": $req, \"events\": $events, \"median_wall_s\": $wall, \"median_cpu_s\": $cpu, \"median_summary_wall_s\": $inner, \"median_max_rss_mib\": $rss_mib, \"requests_per_s\": $rps, \"best_requests_per_s\": $best_rps, \"target_requests_per_s\": $target, \"met\": $met, \"events_per_s\": $eps, \"events_per_cpu_s\": $cpu_eps$bare_member}"
}
fmt='%-36s %4s %10s  %-10s %s\n'
: > "$tmp/scen.rows"
scen cache-only scenarios/bench/cache-only.json "$CACHE_RUNS" 5000000 "$BUILD/bench/cache_bare"
scen million-users scenarios/bench/million-users.json "$MILLION_RUNS"

# ---- 4. SimPy -------------------------------------------------------------------------------
simpy_us=null simpy_cpu_us=null simpy_api=""
if [ -x "$PYTHON" ] && { "$PYTHON" -c 'import simpy' 2>/dev/null ||
    "$PYTHON" -c 'import SimPy.Simulation' 2>/dev/null; }; then
    for i in $(seq "$SIMPY_RUNS"); do
        say "  SimPy, $SIMPY_REQUESTS requests, run $i/$SIMPY_RUNS"
        timed "$tmp/simpy.$i" "$PYTHON" bench/mm1_simpy.py 80 100 "$SIMPY_REQUESTS" 1
        [ "$T_STATUS" -eq 0 ] || { say "mm1_simpy failed: $(cat "$tmp/simpy.$i.err")"; exit 1; }
        kv us_per_request < "$tmp/simpy.$i" >> "$tmp/simpy.us"
        kv wall_s < "$tmp/simpy.$i" >> "$tmp/simpy.loop"
        calc 'a / b * 1e6' "$T_CPU" "$SIMPY_REQUESTS" >> "$tmp/simpy.cpu"
        # Side by side, as for the bare loop: a clustersim run right after each SimPy run.
        if [ -z "$cs_why" ] && [ "$cs_req" != null ]; then
            s_us=$(kv us_per_request < "$tmp/simpy.$i")
            s_cpu=$(calc 'a / b * 1e6' "$T_CPU" "$SIMPY_REQUESTS")
            say "  clustersim run $SCENARIO beside SimPy, run $i/$SIMPY_RUNS"
            timed "$tmp/cs.out" "$CLUSTERSIM" run "$SCENARIO" --no-plots --quiet --out "$tmp/csp.$i"
            if [ "$T_STATUS" -eq 0 ]; then
                calc 'a / (b / c * 1e6)' "$s_us" "$T_WALL" "$cs_req" >> "$tmp/spair.wall"
                calc 'a / (b / c * 1e6)' "$s_cpu" "$T_CPU" "$cs_req" >> "$tmp/spair.cpu"
            fi
        fi
    done
    simpy_us=$(median < "$tmp/simpy.us")
    simpy_cpu_us=$(median < "$tmp/simpy.cpu")
    simpy_loop=$(median < "$tmp/simpy.loop")
    simpy_api=$(kv api < "$tmp/simpy.1")
    simpy_mean=$(kv mean_ms < "$tmp/simpy.1")
    simpy_p99=$(kv p99_ms < "$tmp/simpy.1")
    simpy_scaled=$(calc 'a * b / 1e6' "$simpy_us" "$MM1_REQUESTS")
    simpy_json="{\"runs\": $SIMPY_RUNS, \"api\": \"$simpy_api\", \"requests\": $SIMPY_REQUESTS, \"median_loop_wall_s\": $simpy_loop, \"wall_us_per_request\": $simpy_us, \"cpu_us_per_request\": $simpy_cpu_us, \"scaled_wall_s_for_${MM1_REQUESTS}_requests\": $simpy_scaled, \"mean_latency_ms\": $simpy_mean, \"p99_latency_ms\": $simpy_p99}"
else
    say "  SimPy: not importable by $PYTHON, skipped"
    simpy_json="{\"skipped\": \"neither simpy nor SimPy.Simulation importable by $PYTHON\"}"
fi

# ---- 5. Other bench programs (hist, keys, placement, ...): run once, output kept -------------
other_json=""
for f in "$BUILD"/bench/*; do
    name=${f##*/}
    case "$name" in hold | mm1_bare | cache_bare | *.d | *.o) continue ;; esac
    [ -f "$f" ] && [ -x "$f" ] || continue
    say "  $name"
    timed "$tmp/other.$name" "$f"
    cat "$tmp/other.$name.err" >> "$tmp/other.$name"
    lines=""
    while IFS= read -r line; do
        lines="$lines${lines:+, }$(printf '%s' "$line" | jstr)"
    done < "$tmp/other.$name"
    other_json="$other_json${other_json:+, }{\"name\": \"$name\", \"exit_status\": $T_STATUS, \"wall_s\": $T_WALL, \"cpu_s\": $T_CPU, \"output\": [$lines]}"
done

# ---- Ratios, per completed request ----------------------------------------------------------
# Per request, from the median of the side-by-side pairs' ratios of process times.
r_cb=null r_cb_cpu=null
if [ -s "$tmp/pair.wall" ]; then
    r_cb=$(calc 'a * b / c' "$(median < "$tmp/pair.wall")" "$bare_req" "$cs_req")
    r_cb_cpu=$(calc 'a * b / c' "$(median < "$tmp/pair.cpu")" "$bare_req" "$cs_req")
fi
r_sc=null r_sc_cpu=null
if [ -s "$tmp/spair.wall" ]; then
    r_sc=$(median < "$tmp/spair.wall")
    r_sc_cpu=$(median < "$tmp/spair.cpu")
fi
met_cb=$(calc 'a <= 2.0' "$r_cb" | yesno)
met_sc=$(calc 'a >= 50' "$r_sc" | yesno)

# ---- The table ------------------------------------------------------------------------------
fmt='%-36s %4s %10s  %-10s %s\n'
echo
echo "clustersim bench: $cpus x $cpu_model, load $load at start; medians"
printf "$fmt" item runs median unit notes
if [ -f "$tmp/hold.med" ]; then
    while read -r p q events rate best target met cpu_rate; do
        printf "$fmt" "hold model, $p pending, $q" "$RUNS" "$(calc 'a / 1e6' "$rate")" Mevents/s \
            "best $(calc 'a / 1e6' "$best"); target >= $(calc 'a / 1e6' "$target"): $met; per cpu-s $(calc 'a / 1e6' "$cpu_rate")"
    done < "$tmp/hold.med"
fi
if [ "$bare_wall" != null ]; then
    printf "$fmt" "M/M/1 bare C, $bare_req req" "$MM1_PAIRS" "$bare_wall" s \
        "cpu $bare_cpu s; mean $bare_mean ms, p99 $bare_p99 ms (theory 50, 230.3)"
fi
if [ "$cs_wall" != null ]; then
    printf "$fmt" "M/M/1 clustersim run, $cs_req req" "$MM1_PAIRS" "$cs_wall" s \
        "cpu $cs_cpu s; $cs_events events; mean $cs_mean ms, p99 $cs_p99 ms"
else
    printf "$fmt" "M/M/1 clustersim run" - - - "skipped: $cs_why"
fi
if [ "$simpy_us" != null ]; then
    printf "$fmt" "M/M/1 $simpy_api, $SIMPY_REQUESTS req" "$SIMPY_RUNS" "$simpy_us" us/request \
        "= $simpy_scaled s for $MM1_REQUESTS req; mean $simpy_mean ms, p99 $simpy_p99 ms"
else
    printf "$fmt" "M/M/1 SimPy" - - - "skipped: not importable by $PYTHON"
fi
printf "$fmt" "ratio clustersim / bare C" - "$r_cb" x \
    "median of $MM1_PAIRS side-by-side pairs, wall per request; target <= 2.0: $met_cb (cpu: $r_cb_cpu)"
printf "$fmt" "ratio SimPy / clustersim" - "$r_sc" x \
    "median of $SIMPY_RUNS side-by-side pairs, wall per request; target >= 50: $met_sc (cpu: $r_sc_cpu)"
cat "$tmp/scen.rows"
for f in "$tmp"/other.*; do
    case "$f" in *.err) continue ;; esac
    [ -f "$f" ] || continue
    name=${f##*/other.}
    sed "s/^/  $name: /" "$f"
done

cat > "$OUT.tmp" <<EOF
{
  "host": {"cpus": $cpus, "cpu": $(printf '%s' "$cpu_model" | jstr), "load_at_start": $load},
  "units": "each key ends in its unit: _s seconds, _ms milliseconds, _us/_ns per request, _per_s rates; ratios are plain numbers. wall = elapsed time; cpu = user + system time of the process",
  "hold": [$hold_json],
  "mm1_bare": $bare_json,
  "clustersim": $cs_json,
  "simpy": $simpy_json,
  "scenarios": {$scen_json},
  "ratios": {
    "clustersim_over_bare": {"value": $r_cb, "cpu_value": $r_cb_cpu, "basis": "median over side-by-side pairs (bare run, then clustersim run) of the ratio of process wall time per completed request", "target_max": 2.0, "met": $met_cb},
    "simpy_over_clustersim": {"value": $r_sc, "cpu_value": $r_sc_cpu, "basis": "median over side-by-side pairs (SimPy run, then clustersim run) of the ratio of wall time per completed request (SimPy: its simulation loop; clustersim: the whole process)", "target_min": 50, "met": $met_sc}
  },
  "other": [$other_json]
}
EOF
mv "$OUT.tmp" "$OUT"
say "wrote $OUT"
