#!/usr/bin/python3
"""The M/M/1 benchmark model in SimPy, written the way SimPy's own examples write it: a source
process, one process per customer, a Resource with one server. Uses SimPy 3+/4 (`import simpy`)
when installed, else the classic SimPy 2 API (`SimPy.Simulation`, Debian's python3-simpy)."""

import argparse
import math
import random
import sys
import time


def run_simpy2(lam, mu, requests, latencies):
    from SimPy import Simulation as S

    class Customer(S.Process):
        def visit(self, server):
            arrived = S.now()
            yield S.request, self, server
            yield S.hold, self, random.expovariate(mu)
            yield S.release, self, server
            latencies.append(S.now() - arrived)

    class Source(S.Process):
        def generate(self, server):
            for _ in range(requests):
                yield S.hold, self, random.expovariate(lam)
                c = Customer()
                S.activate(c, c.visit(server))

    S.initialize()
    server = S.Resource(capacity=1)
    src = Source()
    S.activate(src, src.generate(server))
    # SimPy 2.3.1's own `infinity` object does not compare under Python 3; a float does.
    S.simulate(until=float("inf"))
    import SimPy

    return "SimPy-" + getattr(SimPy, "__version__", "2")


def run_simpy3(lam, mu, requests, latencies):
    import simpy

    def customer(env, server):
        arrived = env.now
        with server.request() as req:
            yield req
            yield env.timeout(random.expovariate(mu))
        latencies.append(env.now - arrived)

    def source(env, server):
        for _ in range(requests):
            yield env.timeout(random.expovariate(lam))
            env.process(customer(env, server))

    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    env.process(source(env, server))
    env.run()
    return "simpy-" + getattr(simpy, "__version__", "3")


def pick_api(wanted):
    if wanted in ("auto", "3"):
        try:
            import simpy  # noqa: F401

            return run_simpy3
        except ImportError:
            if wanted == "3":
                raise
    import SimPy.Simulation  # noqa: F401

    return run_simpy2


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("lam", nargs="?", type=float, default=80.0, help="arrival rate, req/s")
    ap.add_argument("mu", nargs="?", type=float, default=100.0, help="service rate, req/s")
    ap.add_argument("requests", nargs="?", type=int, default=2000000)
    ap.add_argument("seed", nargs="?", type=int, default=1)
    ap.add_argument("--api", choices=("auto", "2", "3"), default="auto")
    a = ap.parse_args()
    if not (0 < a.lam < a.mu) or a.requests <= 0:
        ap.error("need 0 < lam < mu and requests > 0")
    try:
        run = pick_api(a.api)
    except ImportError as e:
        print("mm1_simpy: SimPy is not installed (%s)" % e, file=sys.stderr)
        return 3
    random.seed(a.seed)
    latencies = []
    t0 = time.perf_counter()
    api = run(a.lam, a.mu, a.requests, latencies)
    wall = time.perf_counter() - t0
    n = len(latencies)
    latencies.sort()
    mean = sum(latencies) / n
    p99 = latencies[max(0, math.ceil(0.99 * n) - 1)]
    print(
        "mm1_simpy api=%s lambda=%g mu=%g requests=%d completed=%d wall_s=%.3f "
        "us_per_request=%.2f mean_ms=%.3f p99_ms=%.3f theory_mean_ms=%.3f theory_p99_ms=%.3f"
        % (api, a.lam, a.mu, a.requests, n, wall, wall / n * 1e6, mean * 1e3, p99 * 1e3,
           1e3 / (a.mu - a.lam), 1e3 * math.log(100) / (a.mu - a.lam)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
