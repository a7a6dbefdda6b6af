/* report.html: one self-contained page per run (summary tables, the plots embedded as data
 * URIs, the scenario), readable offline with no external resource and no script. */
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

#endif
