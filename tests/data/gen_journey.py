#!/usr/bin/env python3
# Generates the fixture journey in tests/data/journey: the output files of `clustersim journey`
# (journey.csv, capacity.csv, journey.json, keymove.csv) for ten stages, from a queueing-shaped
# curve per stage with seeded noise, and keymove.csv from `bin/clustersim keymove`.
# With --final, also runs a stage-10-like scenario at its capacity into journey/final (a minute).
import json, math, os, random, subprocess, sys, tempfile

rnd = random.Random(11)
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "journey")
root = os.path.dirname(os.path.dirname(here))
binary = os.path.join(root, "bin", "clustersim")
os.makedirs(out, exist_ok=True)

SLO_P99_MS, MAX_ERRORS, RATE = 200.0, 0.01, 0.02
# Six points per decade from 10^4 users.
grid = [round(10 ** (4 + k / 6)) for k in range(17)]

# name, bottleneck, grid index of the capacity (None: the whole grid passes), p99 at low load
# (ms), the estimate's saturation point over the simulated one, description.
stages = [
    ("01-single-server", "app", 4, 24.0, 1.02,
     "Stage 1: a single server. Web pages, the database and static files all live on one machine "
     "with 16 worker threads; a write also does slow work in line (resizing an upload, about "
     "50 ms). Everything competes for the same threads, so the box saturates early."),
    ("02-database-tier", "web", 5, 27.0, 1.08,
     "Stage 2: the database moves to its own server. The web server (32 threads) renders pages "
     "and serves files and calls the database (32 connections) for reads and writes, so each "
     "tier can be sized on its own. A web thread waits while the database works, so the web "
     "tier is the bottleneck."),
    ("03-load-balancer", "db", 7, 29.0, 0.97,
     "Stage 3: a load balancer in front of four web servers (sticky sessions: each user's "
     "session lives on one web server). Web capacity quadruples and a failed web server no "
     "longer takes the site down; the single database becomes the bottleneck."),
    ("04-read-replicas", "web", 8, 31.0, 1.10,
     "Stage 4: database replication. Three read replicas take the reads (asynchronous "
     "replication with about 20 ms lag, so some reads are stale); the primary takes the writes. "
     "The database stops being the bottleneck; the web tier is again."),
    ("05-cache", "web", 10, 19.0, 1.05,
     "Stage 5: a cache tier. Reads go to a three-node memcached-like cache (LRU, ring sharding) "
     "and only misses reach the database, so a web thread waits about 1 ms instead of 15 ms for "
     "most reads: each thread serves more requests per second."),
    ("06-cdn", "web", 11, 18.0, 0.99,
     "Stage 6: a content delivery network. Static files (30% of requests) are served from edge "
     "caches close to the users and only their misses reach the web servers, which now spend "
     "their threads on pages."),
    ("07-stateless-web", "db", 12, 21.0, 0.96,
     "Stage 7: session state moves out of the web servers into a shared store (a two-node cache "
     "keyed by user). Any web server can now serve any user, so the balancer uses least "
     "connections instead of sticky sessions and the web tier scales out to eight servers; each "
     "request reads its session first."),
    ("08-data-centers", "db", 13, 23.0, 1.04,
     "Stage 8: a second data center. Users are routed to the nearer one; each has its own web "
     "tier, cache and read replicas, while every write still crosses to the one primary "
     "database."),
    ("09-message-queue", "web", 15, 22.0, 1.01,
     "Stage 9: a message queue. A write is acknowledged once its message is queued; consumers do "
     "the slow work (resizing, notifications) and write to the database at their own pace, so "
     "neither the web threads nor the primary wait for it in line."),
    ("10-sharding", "web", None, 20.0, 1.00,
     "Stage 10: the database is sharded. Keys are spread over sixteen primary-and-replica "
     "groups by jump consistent hashing, so writes no longer meet at one primary; sixty-four "
     "web servers behind the balancer."),
]


def point(users, sat, base):
    """One simulated point: p99 grows like a queue's waiting time and explodes past saturation."""
    rho = users / sat
    offered = users * RATE * (1 + rnd.gauss(0, 0.004))
    if rho < 0.97:
        grow = 3 * rho ** 4 / (1 - rho)
        p99 = base * (1 + grow) * (1 + rnd.gauss(0, 0.03))
        p50 = base * 0.38 * (1 + 0.2 * grow) * (1 + rnd.gauss(0, 0.02))
        mean = base * 0.47 * (1 + 0.3 * grow) * (1 + rnd.gauss(0, 0.02))
        errors = max(0.0, 2e-4 * rnd.random() * rho)
    else:
        # Overloaded: the queues fill, requests wait until refused or timed out.
        errors = 1 - 1 / rho + rnd.uniform(0.002, 0.01)
        p99 = min(5000.0, 900 * rho * (1 + rnd.gauss(0, 0.05)))
        p50 = p99 * 0.55
        mean = p99 * 0.5
    thr = offered * (1 - errors)
    ok = p99 <= SLO_P99_MS and errors <= MAX_ERRORS
    return dict(users=users, offered_rps=offered, throughput_rps=thr, mean_ms=mean, p50_ms=p50,
                p99_ms=p99, errors_frac=errors, pass_=1 if ok else 0)


rows, caps, jstages = [], [], []
for i, (name, neck, kcap, base, est_over, desc) in enumerate(stages, 1):
    bounded = kcap is not None
    top = kcap if bounded else len(grid) - 1
    # Saturation between the capacity and the next grid point (past the grid when unbounded).
    sat = grid[top] * (10 ** (1 / 6) * rnd.uniform(0.88, 0.97) if bounded else 1.6)
    # Points up to the first failure: the sweep stops there.
    pts = []
    for k, users in enumerate(grid):
        while True:
            p = point(users, sat, base)
            # Redraw the noise if it flips a point against the stage's designed capacity.
            if p["pass_"] == (1 if k <= top else 0):
                break
        pts.append(p)
        if not p["pass_"]:
            break
    cap = pts[top]
    caps.append(dict(stage=name, index=i, capacity_users=cap["users"],
                     capacity_rps=cap["throughput_rps"], bounded=1 if bounded else 0,
                     bottleneck=neck, estimate_users=round(sat * est_over, -2)))
    for p in pts:
        rows.append(dict(stage=name, index=i, **p))
    jstages.append(dict(index=i, name=name, file="scenarios/journey/%s.json" % name,
                        description=desc, capacity_users=cap["users"],
                        capacity_rps=round(cap["throughput_rps"], 3), bounded=bounded,
                        bottleneck=neck, estimate_users=caps[-1]["estimate_users"],
                        points=[dict(users=p["users"], throughput_rps=round(p["throughput_rps"], 3),
                                     p99_ms=round(p["p99_ms"], 3),
                                     errors_frac=round(p["errors_frac"], 6),
                                     **{"pass": p["pass_"] == 1}) for p in pts]))

with open(os.path.join(out, "journey.csv"), "w") as f:
    f.write("stage,index,users,offered_rps,throughput_rps,mean_ms,p50_ms,p99_ms,errors_frac,pass\n")
    for r in rows:
        f.write("%s,%d,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%d\n" % (
            r["stage"], r["index"], r["users"], r["offered_rps"], r["throughput_rps"],
            r["mean_ms"], r["p50_ms"], r["p99_ms"], r["errors_frac"], r["pass_"]))

with open(os.path.join(out, "capacity.csv"), "w") as f:
    f.write("stage,index,capacity_users,capacity_rps,bounded,bottleneck,estimate_users\n")
    for c in caps:
        f.write("%s,%d,%d,%.6g,%d,%s,%.6g\n" % (c["stage"], c["index"], c["capacity_users"],
                                               c["capacity_rps"], c["bounded"], c["bottleneck"],
                                               c["estimate_users"]))

with open(os.path.join(out, "journey.json"), "w") as f:
    json.dump({"slo": {"p99_ms": SLO_P99_MS, "max_errors": MAX_ERRORS}, "users": grid,
               "stages": jstages}, f, indent=2)
    f.write("\n")

# Key movement: the project's own placement code, adding one node to n = 2..32.
schemes = ["modulo", "ring", "ketama", "jump", "rendezvous", "maglev", "bounded"]
with open(os.path.join(out, "keymove.csv"), "w") as f:
    f.write("scheme,nodes_before,nodes_after,moved_fraction,ideal_fraction\n")
    for s in schemes:
        for n in range(2, 33):
            r = json.loads(subprocess.check_output(
                [binary, "keymove", "--scheme", s, "--nodes", str(n), "--add", "1"]))
            f.write("%s,%d,%d,%.6g,%.6g\n" % (s, r["nodes_before"], r["nodes_after"],
                                              r["moved_fraction"], r["ideal_fraction"]))

# The last stage at its capacity, as a normal run folder without plots or report (the tests
# draw those). A stage-10-like scenario: sharded database, 64 web servers.
final_scenario = {
    "name": "journey-10-sharding", "seed": 11, "duration": "24s",
    "metrics": {"interval": "2s", "warmup": "4s", "key_sample": 20000},
    "workload": {"users": grid[-1], "rate_per_user": RATE, "arrivals": "poisson", "entry": "lb",
                 "ops": {"read": 0.85, "write": 0.15}, "clients": 2000000,
                 "keys": {"count": 1000000, "dist": "zipf", "s": 0.9}},
    "components": [
        {"id": "lb", "type": "load_balancer", "backend": "web", "policy": "least_connections",
         "latency": "0.5ms"},
        {"id": "web", "type": "service", "nodes": 64, "workers": 32, "queue": 300,
         "latency": "1ms", "timeout": "5s",
         "service": {"read": {"dist": "lognormal", "mean": "4ms", "cv": 1},
                     "write": {"dist": "lognormal", "mean": "6ms", "cv": 0.5}},
         "calls": {"read": ["sessions", "cache"], "write": ["sessions", "db", "cache"]}},
        {"id": "sessions", "type": "cache", "nodes": 4, "capacity": 600000, "eviction": "lru",
         "latency": "0.5ms", "service": "0.1ms", "sharding": {"scheme": "ring"}},
        {"id": "cache", "type": "cache", "nodes": 8, "capacity": 150000, "eviction": "lru",
         "ttl": "10m", "backend": "db", "write_policy": "write_around",
         "sharding": {"scheme": "ring", "vnodes": 160}, "latency": "0.5ms", "service": "0.2ms"},
        {"id": "db", "type": "database", "shards": 16, "sharding": {"scheme": "jump"},
         "workers": 32, "queue": 500, "latency": "0.5ms", "timeout": "2s", "replicas": 2,
         "read_from": "replicas",
         "service": {"read": {"dist": "lognormal", "mean": "15ms", "cv": 1.2},
                     "write": {"dist": "lognormal", "mean": "10ms", "cv": 1}},
         "replication": {"mode": "async", "lag": {"dist": "exp", "mean": "20ms"}}},
    ],
}
if "--final" in sys.argv:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "10-sharding.json")
        with open(path, "w") as f:
            json.dump(final_scenario, f)
        run_dir = os.path.join(tmp, "run")
        subprocess.check_call([binary, "run", path, "--out", run_dir, "--no-plots", "--quiet"])
        final = os.path.join(out, "final")
        os.makedirs(final, exist_ok=True)
        for name in ("summary.json", "timeseries.csv", "latency.csv", "nodes.csv"):
            with open(os.path.join(run_dir, name)) as src, \
                    open(os.path.join(final, name), "w") as dst:
                dst.write(src.read())
