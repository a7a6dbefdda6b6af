/* Micro-benchmark of hist_record, the per-request hot path: 50 million exponential latencies
 * (mean 10 ms) into one histogram; prints nanoseconds per record. */
#include "sim/clock.h"
#include "sim/stats.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>

#define NVALUES (1u << 20) /* 8 MiB of samples, replayed; drawing them is not what is timed */
#define NRECORDS 50000000u

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1);
    double *v = malloc(NVALUES * sizeof *v);
    if (!v)
        return 1;
    for (size_t i = 0; i < NVALUES; i++)
        v[i] = gsl_ran_exponential(r, 0.010);
    struct hist h;
    hist_init(&h);
    double t0 = clock_wall_s();
    for (size_t i = 0; i < NRECORDS; i++)
        hist_record(&h, v[i & (NVALUES - 1)]);
    double dt = clock_wall_s() - t0;
    printf("hist_record: %.2f ns/record (%u records in %.3f s; p50 %.3f ms, p99 %.3f ms)\n",
           dt / NRECORDS * 1e9, NRECORDS, dt, hist_quantile(&h, 0.5) * 1e3,
           hist_quantile(&h, 0.99) * 1e3);
    hist_free(&h);
    free(v);
    gsl_rng_free(r);
    return 0;
}
