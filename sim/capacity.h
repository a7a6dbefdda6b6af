/* Capacity searches: the most load, or the fewest resources, that meets latency and error
 * objectives with 95% confidence, by bracketing and bisection over one parameter, each point
 * judged on the upper 95% confidence bounds of its replications. */
#ifndef SIM_CAPACITY_H
#define SIM_CAPACITY_H

#include "sim/scenario.h"

#include <cjson/cJSON.h>
#include <stdio.h>

#define CAP_MAX_SLOS 8

struct slo {
    char path[32];  /* summary path: latency_ms.p99, latency_ms.mean, ... */
    double limit;   /* ms for latencies */
};

struct capacity_request {
    const char *file;
    const char *const *sets;
    size_t nsets;
    const char *vary;        /* the --set path varied */
    int maximise;            /* 1: the most that passes (load); 0: the fewest (resources) */
    int integer;             /* the parameter takes whole values */
    double from, to;         /* search range; NaN: found by doubling from the scenario's value */
    double tolerance;        /* relative width at which bisection stops (non-integer) */
    struct slo slos[CAP_MAX_SLOS];
    size_t nslos;
    double max_errors;       /* fraction of arrived requests rejected, failed or timed out */
    unsigned replications;
    int on_mean;             /* judge on the replications' mean, not its upper 95% bound */
    unsigned jobs;
    uint64_t seed;
    int has_seed;
    volatile int *stop;
    FILE *progress;          /* a line per point evaluated, or NULL */
    /* Optional: shorten runs at high load to about this many requests (0: off). A run at
     * value v offers v x rate_per_unit req/s; its duration becomes target / rate, within
     * [min_duration, base_duration], and the warm-up keeps its share of the duration. */
    double target_requests;
    double rate_per_unit;    /* req/s per unit of the varied value */
    double base_duration, base_warmup, min_duration; /* s */
};

/* Parses "p99=200ms" (also mean, p50, p90, p95, p999, max) into an SLO on latency_ms. */
int capacity_parse_slo(const char *arg, struct slo *out, struct sim_error *err);
/* Whether a path names load (workload.*) rather than resources. */
int capacity_is_load(const char *path);
/* Runs one value with the request's replications; appends {value, pass, the objectives with
 * their means and half-widths, errors, figures} to `points` and sets *pass. */
int capacity_point(const struct capacity_request *rq, const struct model_ops *const *registry,
                   double value, cJSON *points, int *pass, struct sim_error *err);
/* Runs the search; *result lists every point tried and the answer. Returns -1 on error (an
 * invalid point is a usage error, exit 2; a failed run, exit 1). */
int capacity_search(const struct capacity_request *rq, const struct model_ops *const *registry,
                    cJSON **result, struct sim_error *err);

#endif
