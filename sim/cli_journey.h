/* The journey command: every stage of scaling a system, swept over users, with its capacity,
 * bottleneck, plots and one report. */
#ifndef SIM_CLI_JOURNEY_H
#define SIM_CLI_JOURNEY_H

#include "sim/capacity.h"

#include <cjson/cJSON.h>
#include <stdio.h>

struct journey_opts {
    const char *dir;          /* the stage scenarios: NN-name.json, run in name order */
    const char *out;          /* results folder */
    const char *const *sets;  /* --set overrides for every stage */
    size_t nsets;
    double users_from, users_to;
    int points;               /* log-spaced user counts in the sweep */
    struct slo slo;
    double max_errors;
    double tolerance;         /* relative precision of each capacity */
    double target_requests;   /* shorten runs at high load to about this many requests */
    unsigned replications, jobs;
    uint64_t seed;
    int has_seed;
    int no_plots;
    volatile int *stop;
    FILE *progress;
};

int journey_run(const struct journey_opts *o, const struct model_ops *const *registry,
                struct sim_error *err);
/* Prints the capacity table and writes the journey's plots and report.html. */
int journey_report(const struct journey_opts *o, const cJSON *journey, struct sim_error *err);
int cli_journey(int argc, char **argv, volatile int *stop);

#endif
