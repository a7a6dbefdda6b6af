/* report.html: one self-contained page per run (summary tables, the plots embedded as data
 * URIs, the scenario), or per journey (the stages' story), readable offline with no external
 * resource and no script. */
#ifndef SIM_HTML_H
#define SIM_HTML_H

#include "sim/error.h"
#include "sim/plot.h"

#include <cjson/cJSON.h>

/* Writes dir/report.html atomically (temporary name, then rename). summary is the object of
 * CLI.md (summary.json); scenario_text, when not NULL, is shown HTML-escaped; plots lists the
 * images in dir to embed, in order (NULL or empty: no plot section; plots->no_gnuplot adds a
 * note saying why). Returns 0, or -1 with err (exit status 1) when the page cannot be written. */
int html_report(const char *dir, const cJSON *summary, const char *scenario_text,
                const struct plot_list *plots, struct sim_error *err);

/* Writes dir/report.html for a journey (clustersim journey) atomically: the objectives, a table
 * of the stages (capacity in users and req/s, bottleneck, factor over the previous stage), then
 * per stage its description, capacity and why it changed from the previous stage (where the
 * bottleneck moved, by what factor the capacity grew, against the estimate), the journey plots
 * in plots (images in dir, as from plot_journey; NULL: no plot section), and the last stage's
 * run at its capacity from dir/final: its headline figures from summary.json, a relative link
 * to final/report.html and its per-node load plot embedded (each only when there). journey is
 * the object of journey.json: {"slo": {"p99_ms", "max_errors"}, "users": [...], "stages":
 * [{"index", "name", "file", "description", "capacity_users", "capacity_rps", "bounded",
 * "bottleneck", "estimate_users", "points": [{"users", "throughput_rps", "p99_ms",
 * "errors_frac", "pass"}]}]}; absent fields show as dashes. Returns 0, or -1 with err (exit
 * status 1) when the page cannot be written. */
int html_journey(const char *dir, const cJSON *journey, const struct plot_list *plots,
                 struct sim_error *err);

/* Writes dir/report.html for a sweep (clustersim sweep) atomically: the parameters, a table of
 * the points (parameter values, then throughput, latency mean, p50, p99 and p99.9, rejected
 * and failed fractions, each ± its 95% half-width when the sweep has replications) and the
 * plots in plots (images in dir, as from plot_sweep; NULL: no plot section). result is the
 * object of sweep.json (sweep_run). Returns 0, or -1 with err (exit status 1) when the page
 * cannot be written. */
int html_sweep(const char *dir, const cJSON *result, const struct plot_list *plots,
               struct sim_error *err);

#endif
