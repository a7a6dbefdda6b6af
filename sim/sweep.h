/* Sweeps over parameter values: the cross product of --param lists, replications per point,
 * all run in the process pool; sweep.csv and sweep.json describe every point. */
#ifndef SIM_SWEEP_H
#define SIM_SWEEP_H

#include "sim/scenario.h"

#include <cjson/cJSON.h>
#include <stdio.h>

struct sweep_param {
    char *path;     /* as for --set: workload.rate, components.web.nodes, ... */
    char **values;  /* the values as written */
    size_t nvalues;
};

struct sweep_request {
    const char *file;
    const char *const *sets;  /* fixed --set overrides */
    size_t nsets;
    struct sweep_param *params;
    size_t nparams;
    unsigned replications;
    unsigned jobs;
    uint64_t seed;
    /* A file in the output folder where each finished piece (point x replication) is appended
     * as it arrives, removed once the sweep completes; NULL for none. */
    const char *partial;
    int resume;             /* keep the pieces already in `partial` instead of starting over */
    size_t resumed;         /* out: pieces taken from `partial` */
    size_t computed;        /* out: pieces computed by this run */
};

/* PATH=V1,V2,... into *out (free with sweep_param_free). */
int sweep_parse_param(const char *arg, struct sweep_param *out, struct sim_error *err);
void sweep_param_free(struct sweep_param *p);
size_t sweep_points(const struct sweep_param *params, size_t nparams);
/* Loads and validates every point's scenario before anything runs; *out has one scenario per
 * point (the first parameter varies slowest). */
int sweep_load(const struct sweep_request *rq, const struct model_ops *const *registry,
               struct scenario ***out, struct sim_error *err);
/* Runs every (point, replication) (with rq->resume, only those missing from rq->partial); *result holds "params" and "points" (each an averaged
 * summary with "point", "figures" and, with replications, "ci95"). */
int sweep_run(struct sweep_request *rq, struct scenario **scs, volatile int *stop,
              cJSON **result, struct sim_error *err);
/* The partial file's name inside the output folder. */
#define SWEEP_PARTIAL ".sweep.partial.jsonl"

/* One row per point: the parameters, then the headline figures (and their ci95). */
int sweep_write_csv(const cJSON *result, FILE *f);
void sweep_print(const cJSON *result, FILE *out);

#endif
