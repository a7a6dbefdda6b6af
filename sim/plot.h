/* Plots of a run: runs the gnuplot templates (plots/NAME.gp) over the CSV files in a run's output
 * folder and writes one image per applicable plot next to them, each under a temporary name
 * renamed when gnuplot succeeded. Without gnuplot, a warning and no plots; the data stay. */
#ifndef SIM_PLOT_H
#define SIM_PLOT_H

#include "sim/error.h"

#include <stddef.h>

/* Where the templates are when the caller names no folder: the first of these that holds
 * latency.gp.
 *   1. $CLUSTERSIM_PLOTS;
 *   2. <folder of the executable>/../plots: a build in the source tree (bin/clustersim);
 *   3. <folder of the executable>/../share/clustersim/plots: an installed, relocated prefix;
 *   4. PLOTS_DIR, fixed at build time (-DPLOTS_DIR=...), by default the one below. */
#ifndef PLOTS_DIR
#define PLOTS_DIR "/usr/local/share/clustersim/plots"
#endif

/* The plots, in the order the report shows them. */
enum { PLOT_MAX = 8 };

struct plot_file {
    char name[32];  /* file name inside the run folder, e.g. "latency.png" */
    char title[64]; /* what it shows, for the report */
    int width;      /* px, 0 when unknown (SVG) */
    int height;     /* px, 0 when unknown (SVG) */
};

struct plot_list {
    size_t n;                         /* plots written */
    struct plot_file files[PLOT_MAX]; /* in report order */
    size_t skipped;                   /* templates that did not apply (no such data) */
    size_t failed;                    /* templates gnuplot did not complete (warned on stderr) */
    int no_gnuplot;                   /* 1 when gnuplot or the templates were not found */
};

/* Draws every plot that applies to the run in dir into dir: PNG, or SVG when svg is non-zero.
 * plots_dir names the template folder; NULL looks it up as described above. A plot applies
 * when its CSV file holds at least one row (and, for the hit ratio, a <id>.hit_ratio column).
 * Title and warm-up shading come from dir/summary.json when it is there. Plot files of ours
 * that this run does not write (from an earlier run in the same folder) are removed, so that
 * the folder never mixes runs. Missing gnuplot or templates, or a template that fails, are
 * warnings on stderr, not errors: returns 0. Returns -1 (err, exit status 1) only when a
 * finished plot cannot be renamed into place. */
int plot_run(const char *dir, const char *plots_dir, int svg, struct sim_error *err);
/* The same, and fills list (caller-owned) with what was written. */
int plot_run_list(const char *dir, const char *plots_dir, int svg, struct plot_list *list,
                  struct sim_error *err);
/* Fills list with the plot files present in dir (PNG preferred over SVG of the same plot),
 * for a report built from an existing folder. */
void plot_list_existing(const char *dir, struct plot_list *list);

/* Writes to dst the time series src (timeseries.csv) with each run of consecutive rows (a
 * bucket; at most buckets of them) replaced by two rows: the bucket's first time with each
 * column's least value, and its last time with each column's largest. A field stays empty when
 * the whole bucket has no value there. Returns 1 when written, 0 when src has no more than
 * 2 * buckets rows (plotted as it is; dst not written), -1 when a file cannot be read or
 * written. plot_run uses it so that long runs plot in seconds with the same picture. */
int plot_decimate(const char *src, const char *dst, size_t buckets);

/* Draws the plots of a journey's output folder dir (clustersim journey) into dir, PNG or SVG,
 * in this order: journey_capacity (from capacity.csv), journey_p99 and journey_throughput
 * (journey.csv) and journey_keymove (keymove.csv), each when its CSV file holds a row; the SLO
 * line comes from dir/journey.json ("slo": {"p99_ms"}). Templates, list, stale images, warnings
 * and the return value as for plot_run_list; the template folder must hold
 * journey_capacity.gp. The run folder dir/final is not drawn here: plot_run_list draws it. */
int plot_journey(const char *dir, const char *plots_dir, int svg, struct plot_list *list,
                 struct sim_error *err);
/* Fills list with the journey plot files present in dir, as plot_list_existing does for a run. */
void plot_journey_existing(const char *dir, struct plot_list *list);

/* Draws the plots of a sweep's output folder dir (clustersim sweep) into dir, PNG or SVG, from
 * sweep.csv, each headline figure against the first parameter with one line per combination
 * of the others: sweep_throughput, sweep_latency (mean, p50, p99, p99.9) and sweep_errors
 * (rejected and failed fractions), with 95% error bars when the sweep has replications. The
 * layout (parameters, replications) comes from dir/sweep.json; the x axis is logarithmic when
 * the first parameter's values are positive numbers spanning more than a decade, and a row of
 * categories when one is not a plain number. Templates, list, stale images, warnings and the
 * return value as for plot_run_list; the template folder must hold sweep_throughput.gp. */
int plot_sweep(const char *dir, const char *plots_dir, int svg, struct plot_list *list,
               struct sim_error *err);
/* Fills list with the sweep plot files present in dir. */
void plot_sweep_existing(const char *dir, struct plot_list *list);

/* The template folder found by the lookup above, or NULL (static storage). */
const char *plot_templates_dir(void);
/* The full path of gnuplot found in $PATH, or NULL (static storage). */
const char *plot_find_gnuplot(void);

#endif
