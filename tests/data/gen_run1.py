#!/usr/bin/env python3
# Generates the fixture run in tests/data/run1: the output files of `clustersim run` for a
# web -> cache -> db scenario with a ramp, a spike, a cache scale-out and a scale-in. The numbers
# follow a simple fluid model with noise (seeded), so the plots show every feature.
import json, math, os, random

rnd = random.Random(7)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run1")
os.makedirs(out, exist_ok=True)
dur, step, warm = 600, 5, 30

rows, hits_total = [], []
cols = ["t_s", "users", "offered_rps", "completed_rps", "rejected_rps", "failed_rps", "p50_ms",
        "p99_ms", "web.util", "web.queue", "cache.util", "cache.queue", "cache.hit_ratio",
        "db.util", "db.queue", "web.nodes"]
hit = 0.25
for t in range(step, dur + step, step):
    users = 1000 + 5000 * min(t, 480) / 480
    rate = 0.1 if t <= 540 else 0.2
    offered = users * rate * (1 + rnd.gauss(0, 0.03))
    # The cache warms up; scaling out at 300 s and in at 450 s moves a fifth of the keys.
    hit = hit + (0.86 - hit) * 0.08
    if t in (305, 455):
        hit -= 0.17
    h = min(max(hit + rnd.gauss(0, 0.01), 0), 1)
    db_rps = offered * (0.9 * (1 - h) + 0.1)
    db_util = min(db_rps / 320, 0.995)
    db_queue = db_util ** 8 / (1 - db_util) * 1.5 + rnd.random() * 0.1
    rejected = max(0.0, db_rps - 285) * 0.9 if t > 540 else 0.0
    failed = rejected * 0.08
    completed = offered - rejected - failed
    p50 = 1.4 + 0.6 * (1 - h) + 6 * db_util ** 6
    p99 = 14 + 30 * db_util ** 4 + (900 * db_util ** 12 if t > 540 else 0)
    row = [t, round(users), offered, completed, rejected, failed, p50, p99,
           min(offered * 0.0045 / 128, 1), offered * 0.0045 / 128 * 0.02,
           offered * 0.0006 / 5, 0.01 * rnd.random(), h, db_util, db_queue,
           # The web pool scales itself out with the ramp (no draw: the other columns stay).
           2 + (t >= 150) + (t >= 300)]
    if t == step:
        # The first interval ends before any request completed: no latency, no hit ratio yet.
        row[6] = row[7] = row[12] = None
    rows.append(row)
with open(os.path.join(out, "timeseries.csv"), "w") as f:
    f.write(",".join(cols) + "\n")
    for r in rows:
        f.write(",".join("" if v is None else "%.6g" % v for v in r) + "\n")

# End-to-end latency: cache hits, misses that query the db, and the overloaded tail of the spike.
def bucket(ns):
    # The kernel's log-linear histogram: 7 sub-bits per power of two, midpoints in ms.
    e = max(int(ns).bit_length() - 1, 7)
    w = 1 << (e - 7)
    lo = (int(ns) // w) * w
    return (lo + w / 2) / 1e6
hist = {}
samples = []
n = 200000
for _ in range(n):
    u = rnd.random()
    if u < 0.78:
        ms = rnd.lognormvariate(math.log(1.3), 0.35)
    elif u < 0.985:
        ms = rnd.lognormvariate(math.log(9.0), 0.6)
    else:
        ms = rnd.lognormvariate(math.log(250.0), 0.9)
    samples.append(ms)
    b = bucket(ms * 1e6)
    hist[b] = hist.get(b, 0) + 1
with open(os.path.join(out, "latency.csv"), "w") as f:
    f.write("ms,count,cumulative\n")
    cum = 0
    for b in sorted(hist):
        cum += hist[b]
        f.write("%.6g,%d,%d\n" % (b, hist[b], cum))

samples.sort()
arrived = int(sum(r[2] for r in rows if r[0] > warm) * step)
rejected = int(sum(r[4] for r in rows if r[0] > warm) * step)
failed = int(sum(r[5] for r in rows if r[0] > warm) * step)
timed_out = failed // 3
completed = arrived - rejected - failed - timed_out
web = [completed // 4 + rnd.randint(-900, 900) for _ in range(4)]
cache_w = [1.0, 1.05, 1.62, 0.93, 0.98]
cache = [int(completed * 0.9 * w / sum(cache_w)) for w in cache_w]
keys = [19800, 20650, 19240, 20110, 20200]
db = int(completed * 0.25)
with open(os.path.join(out, "nodes.csv"), "w") as f:
    f.write("component,node,requests,utilization,keys\n")
    for i, v in enumerate(web):
        f.write("web,%d,%d,%.6g,0\n" % (i, v, 0.0142 * v / (completed / 4)))
    for i, v in enumerate(cache):
        f.write("cache,%d,%d,%.6g,%d\n" % (i, v, 0.0061 * v / (sum(cache) / 5), keys[i]))
    f.write("db,0,%d,%.6g,0\n" % (db, 0.412))

moves = [(300, 4, 5, 100000, 19873, 0.2), (450, 5, 4, 100000, 20127, 0.2)]
with open(os.path.join(out, "keymoves.csv"), "w") as f:
    f.write("at_s,component,nodes_before,nodes_after,keys,moved,moved_fraction,ideal_fraction\n")
    for at, nb, na, k, m, ideal in moves:
        f.write("%d,cache,%d,%d,%d,%d,%.6g,%.6g\n" % (at, nb, na, k, m, m / k, ideal))

def skew(v):
    mean = sum(v) / len(v)
    sd = math.sqrt(sum((x - mean) ** 2 for x in v) / len(v))
    return {"max_over_mean": round(max(v) / mean, 4), "cov": round(sd / mean, 4)}
summary = {
    "scenario": "web-cache-db", "seed": 42, "duration_s": dur, "warmup_s": warm,
    "simulated_s": dur, "events": 9876543, "wall_s": 1.87,
    "requests": {"arrived": arrived, "completed": completed, "rejected": rejected,
                 "failed": failed, "timed_out": timed_out, "in_flight": 0},
    "throughput_rps": round(completed / (dur - warm), 3),
    "latency_ms": dict([("mean", round(sum(samples) / n, 4))] +
                       [(k, round(samples[int(q * n)], 4)) for k, q in
                        (("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99),
                         ("p999", 0.999))] + [("max", round(samples[-1], 4))]),
    "ops": {"read": {"completed": int(completed * 0.9), "latency_ms": {"mean": 5.1, "p99": 180.2}},
            "write": {"completed": completed - int(completed * 0.9),
                      "latency_ms": {"mean": 16.3, "p99": 402.7}}},
    "components": {
        "web": {"type": "service", "nodes": 4, "requests": sum(web), "rejected": 0, "failed": 0,
                "latency_ms": {"mean": 5.9, "p99": 205.1},
                "per_node": [{"node": i, "requests": v, "utilization": 0.0142} for i, v in enumerate(web)],
                "utilization": 0.0142, "skew": skew(web)},
        "cache": {"type": "cache", "nodes": 5, "requests": sum(cache), "rejected": 0, "failed": 0,
                  "latency_ms": {"mean": 0.31, "p99": 1.2},
                  "per_node": [{"node": i, "requests": v, "utilization": 0.0061} for i, v in enumerate(cache)],
                  "utilization": 0.0061, "skew": skew(cache), "hit_ratio": 0.8127,
                  "evictions": 41234,
                  "key_moves": [{"at_s": at, "nodes_before": nb, "nodes_after": na, "keys": k,
                                 "moved": m, "moved_fraction": m / k, "ideal_fraction": ideal}
                                for at, nb, na, k, m, ideal in moves]},
        "db": {"type": "service", "nodes": 1, "requests": db + rejected, "rejected": rejected,
               "failed": failed, "latency_ms": {"mean": 18.7, "p99": 640.5},
               "per_node": [{"node": 0, "requests": db, "utilization": 0.412}],
               "utilization": 0.412, "skew": {"max_over_mean": 1, "cov": 0}},
    },
    "replications": 1,
}
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent="\t")
    f.write("\n")
