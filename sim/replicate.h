/* Independent replications of one scenario: replication i runs with seed + i, in parallel
 * processes; their summaries are averaged and the headline figures get 95% confidence
 * half-widths (Student's t over the replication values). */
#ifndef SIM_REPLICATE_H
#define SIM_REPLICATE_H

#include "sim/scenario.h"
#include "sim/world.h"

#include <cjson/cJSON.h>

/* Figures that get a confidence interval, as dotted paths into the summary. */
extern const char *const replicate_ci_paths[];

/* Runs replications 1..R-1 in up to `jobs` processes while this process runs replication 0,
 * whose world is returned in *first (for the detailed output files). *summary receives the
 * averaged summary with "replications", "ci95" and "replication_results". */
int replicate_run(const struct scenario *sc, uint64_t seed, unsigned reps, unsigned jobs,
                  volatile int *stop, struct world **first, cJSON **summary,
                  struct sim_error *err);
/* Averages structurally equal summaries (numbers: mean; the rest: from the first) and adds
 * "replications", "ci95" and "replication_results". Exposed for tests. */
cJSON *replicate_merge(cJSON *const *summaries, size_t n);
/* The 95% half-width of the mean of n values (0 when n < 2). */
double replicate_half_width(const double *x, size_t n, double *mean);
/* A number at a dotted path such as "latency_ms.p99" (NaN when absent). */
double summary_number(const cJSON *summary, const char *path);

#endif
