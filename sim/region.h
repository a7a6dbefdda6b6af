/* Regions (data centers): their names, the network latency between each pair, and where the
 * users are. A call from one region into a component placed in another pays the pair's
 * latency each way on top of the component's own (req_call). */
#ifndef SIM_REGION_H
#define SIM_REGION_H

#include "sim/dist.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct sim_error;

#define REGION_MAX 64 /* regions in one scenario (a matrix of REGION_MAX^2 latencies) */

/* Regions are known by number in the hot paths (frames, component specs): 1 + the index into
 * names; 0 means "no region". */
struct region_set {
    size_t n;
    char **names;         /* owned, n of them */
    struct dist *latency; /* n x n, row-major, symmetric; a constant 0 on the diagonal */
    double *share;        /* n; the users' weight per region (workload.regions); NULL: not given */
};

/* The top-level "regions" object: {"us": {"eu": "80ms"}, "eu": {}} (json may be NULL: no
 * regions). Every pair of distinct regions needs its latency, given once or, when given both
 * ways, the same both ways. On error rs is left for region_free. */
int region_parse(struct region_set *rs, const cJSON *json, struct sim_error *err);
/* The users' shares, "workload.regions": {"us": 0.5, "eu": 0.5} (json may be NULL). Regions
 * left out get no users; the shares are weights (they need not add up to 1). */
int region_parse_shares(struct region_set *rs, const cJSON *json, const char *path,
                        struct sim_error *err);
/* The index of a name, or -1. */
int region_find(const struct region_set *rs, const char *name);
/* Fails with "unknown region" at path, suggesting the closest name; returns -1. */
int region_unknown(const struct region_set *rs, const char *name, const char *path,
                   struct sim_error *err);
void region_free(struct region_set *rs);

/* The one-way latency of one call from region number `from` to region number `to` (s; 0 when
 * either is 0 or both are the same). Constant latencies cost a load; others a draw from r. */
static inline double region_delay(const struct region_set *rs, unsigned from, unsigned to,
                                  gsl_rng *r)
{
    if (!from || !to || from == to)
        return 0;
    const struct dist *d = &rs->latency[(size_t)(from - 1) * rs->n + (to - 1)];
    return d->kind == DIST_CONST ? d->p[0] : dist_sample(d, r);
}

/* The mean latency between two region indexes (s), for "nearest region" choices. */
static inline double region_mean_latency(const struct region_set *rs, size_t a, size_t b)
{
    return rs->latency[a * rs->n + b].mean;
}

#endif
