/* The results of a run: summary.json, timeseries.csv, latency.csv, nodes.csv and keymoves.csv
 * (from the "key_moves" of every component's summary), written atomically (temporary names,
 * renamed at the end), and the short human summary. */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include "sim/world.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/* The summary object of CLI.md (caller deletes). */
cJSON *report_summary(struct world *w);
/* Writes every output file of a run into dir (created if needed). On failure nothing is left
 * behind under the final names and err says why (exit status 1). */
int report_write(struct world *w, const cJSON *summary, const char *dir, struct sim_error *err);
void report_print(const cJSON *summary, FILE *out);

/* Atomic file output: files are written under temporary names in dir and renamed together by
 * outset_commit; outset_abort removes them. */
struct outset {
    char dir[3072];
    size_t n;
    char names[16][128];
    FILE *cur;
    int failed;
};
int outset_open(struct outset *o, const char *dir, struct sim_error *err);
FILE *outset_file(struct outset *o, const char *name);
int outset_close_file(struct outset *o);
int outset_commit(struct outset *o, struct sim_error *err);
void outset_abort(struct outset *o);
int mkdir_p(const char *dir);

#endif
