/* The command-line front: one function per command, the only place in sim/ that knows the
 * model registry. Exit status: 0 done, 1 failed at run time, 2 bad usage or scenario. */
#include "sim/cli.h"
#include "sim/bench.h"
#include "sim/capacity.h"
#include "sim/cli_journey.h"
#include "sim/cli_keymove.h"
#include "models/registry.h"
#include "sim/estimate.h"
#include "sim/html.h"
#include "sim/jobs.h"
#include "sim/mpi.h"
#include "sim/plot.h"
#include "sim/replicate.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/schema.h"
#include "sim/sweep.h"
#include "sim/world.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SETS 256

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

__attribute__((format(printf, 2, 3))) static int usage_error(const char *cmd,
                                                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clustersim %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'clustersim %s --help')\n", cmd);
    return 2;
}

/* Parses a whole non-negative integer, digits only (strtoull alone would also take leading
 * blanks, a sign and wrap "-1" around); -1 when malformed or above max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Whether s starts like a plain decimal number: strtod alone would also take leading blanks,
 * a sign, "nan", "inf" and hex. */
static int decimal_text(const char *s)
{
    return s && ((*s >= '0' && *s <= '9') || (*s == '.' && s[1] >= '0' && s[1] <= '9'));
}

/* ---- run ------------------------------------------------------------------------------- */

static const char run_help[] =
    "usage: clustersim run SCENARIO.json [--out DIR] [--seed N] [--set PATH=VALUE]...\n"
    "                      [--replications R] [--jobs J] [--no-plots] [--svg] [--quiet]\n"
    "\n"
    "Runs one scenario and writes summary.json, timeseries.csv, latency.csv, nodes.csv,\n"
    "keymoves.csv, the plots (through gnuplot, when installed) and report.html into DIR\n"
    "(default out/<name>/); prints a short summary.\n"
    "\n"
    "  --out DIR          where the results go (written atomically)\n"
    "  --seed N           the seed (default: the scenario's \"seed\", else 1)\n"
    "  --set PATH=VALUE   override one value before validation; PATH names a component\n"
    "                     by id: --set components.web.nodes=8 --set workload.rate=100\n"
    "  --replications R   run R independent seeds (seed, seed+1, ...) and report means\n"
    "                     with 95% confidence half-widths (Student's t over replications)\n"
    "  --jobs J           processes for the replications (default: the number of cores)\n"
    "  --no-plots         do not draw plots (report.html then has the tables only)\n"
    "  --svg              draw the plots as SVG instead of PNG\n"
    "  --quiet            print nothing but errors\n"
    "\n"
    "example: clustersim run scenarios/mm1.json --seed 7 --set workload.rate=90\n";

struct run_opts {
    const char *file;
    const char *out;
    int has_seed;
    uint64_t seed;
    const char *sets[MAX_SETS];
    size_t nsets;
    int no_plots;
    int svg;
    int quiet;
    uint64_t replications;
    uint64_t jobs;
};

static void progress_line(void *ctx, const struct world *w, double wall)
{
    (void)ctx;
    double t = w->sim.now, d = w->sc->duration;
    double rate = wall > 0 ? (double)(w->sim.dispatched) / wall : 0;
    double eta = t > 0 ? wall * (d - t) / t : 0;
    fprintf(stderr, "\r%10.6gs of %.6gs simulated (%5.1f%%)  %6.2fM events/s  ETA %5.0fs ", t,
            d, 100 * t / d, rate / 1e6, eta);
}

static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->replications = 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(run_help, stdout);
            return 1;
        } else if (strcmp(a, "--out") == 0) {
            /* "--out --quiet" forgot the folder; it would not name one. */
            if (!val || !*val || strncmp(val, "--", 2) == 0)
                return usage_error("run", "--out needs a folder, got '%s'", val ? val : "");
            o->out = val;
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            if (!val || parse_u64(val, 9007199254740991ULL, &o->seed))
                return usage_error("run", "--seed needs a whole number from 0 to 2^53-1, got "
                                          "'%s'", val ? val : "");
            o->has_seed = 1;
            i++;
        } else if (strcmp(a, "--set") == 0) {
            if (!val || !strchr(val, '='))
                return usage_error("run", "--set needs PATH=VALUE, got '%s'", val ? val : "");
            if (o->nsets == MAX_SETS)
                return usage_error("run", "too many --set options");
            o->sets[o->nsets++] = val;
            i++;
        } else if (strcmp(a, "--replications") == 0 || strcmp(a, "--jobs") == 0) {
            int reps = a[2] == 'r';
            if (!val || parse_u64(val, reps ? 10000 : 1024, reps ? &o->replications : &o->jobs) ||
                (reps ? o->replications : o->jobs) < 1)
                return usage_error("run", "%s needs a whole number from 1 to %d, got '%s'", a,
                                   reps ? 10000 : 1024, val ? val : "");
            i++;
        } else if (strcmp(a, "--no-plots") == 0) {
            o->no_plots = 1;
        } else if (strcmp(a, "--svg") == 0) {
            o->svg = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o->quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("run", "unknown option '%s'", a);
        } else if (!o->file) {
            o->file = a;
        } else {
            return usage_error("run", "one scenario at a time (extra argument '%s')", a);
        }
    }
    if (!o->file)
        return usage_error("run", "which scenario? give SCENARIO.json");
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    struct run_opts o;
    int rc = parse_run_opts(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : rc;
    struct sim_error err = {0};
    struct scenario *sc;
    if (scenario_load(o.file, o.sets, o.nsets, model_registry, &sc, &err)) {
        sim_error_print(&err);
        return 2;
    }
    char dir[3072];
    if (o.out)
        snprintf(dir, sizeof dir, "%s", o.out);
    else
        snprintf(dir, sizeof dir, "out/%s", sc->name);
    uint64_t seed = o.has_seed ? o.seed : sc->seed;
    struct world *w = NULL;
    cJSON *summary = NULL;
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    int tty = !o.quiet && isatty(STDERR_FILENO);
    if (o.replications > 1) {
        unsigned jobs = o.jobs ? (unsigned)o.jobs : jobs_default();
        if (tty)
            fprintf(stderr, "running %llu replications in %u processes...\n",
                    (unsigned long long)o.replications, jobs);
        rc = replicate_run(sc, seed, (unsigned)o.replications, jobs,
                           (volatile int *)&interrupted, &w, &summary, &err);
    } else if ((rc = world_create(sc, seed, &w, &err)) == 0) {
        rc = world_run(w, (volatile int *)&interrupted, tty ? progress_line : NULL, NULL, &err);
        if (tty)
            fputs("\r\033[K", stderr);
        if (rc == 0)
            summary = report_summary(w);
    }
    sigaction(SIGINT, &old, NULL);
    int status = 0;
    if (rc) {
        sim_error_print(&err);
        status = err.code == SIM_EUSAGE ? 2 : 1;
    } else {
        struct plot_list plots = {0};
        if (report_write(w, summary, dir, &err) ||
            (!o.no_plots && plot_run_list(dir, NULL, o.svg, &plots, &err)) ||
            html_report(dir, summary, sc->text, o.no_plots ? NULL : &plots, &err)) {
            sim_error_print(&err);
            status = 1;
        } else if (!o.quiet) {
            report_print(summary, stdout);
            printf("results in %s/ (%zu plots, report.html)\n", dir, plots.n);
        }
        if (w->interrupted && status == 0) {
            fprintf(stderr, "clustersim: interrupted; the summary is marked \"interrupted\"\n");
            status = 130;
        }
    }
    cJSON_Delete(summary);
    world_free(w);
    scenario_free(sc);
    return status;
}

/* ---- sweep ----------------------------------------------------------------------------- */

static const char sweep_help[] =
    "usage: clustersim sweep SCENARIO.json --param PATH=V1,V2,... [--param ...]\n"
    "                        [--set PATH=VALUE]... [--replications R] [--jobs J]\n"
    "                        [--seed N] [--out DIR] [--resume] [--no-plots] [--svg]\n"
    "                        [--quiet]\n"
    "\n"
    "Runs the cross product of the parameter values (the first varies slowest), each point\n"
    "with R replications (seeds seed..seed+R-1, the same at every point), in J processes.\n"
    "Writes sweep.csv (one row per point: the parameters, then throughput, latency mean,\n"
    "p50, p99, p99.9, rejected and failed fractions, with 95% half-widths when R > 1) and\n"
    "sweep.json into DIR (default out/<name>-sweep/), with plots of each figure against the\n"
    "first parameter (PNG, or SVG with --svg; none with --no-plots) and report.html. Every\n"
    "point is validated first.\n"
    "Finished pieces are kept in DIR/" SWEEP_PARTIAL " until the sweep completes;\n"
    "--resume computes only the pieces missing from it (same scenario, parameters,\n"
    "replications and seed). Under mpirun (make MPI=1) the ranks share the pieces.\n"
    "\n"
    "example: clustersim sweep scenarios/mm1.json --param workload.rate=50,70,90 "
    "--replications 5\n";

static int cmd_sweep(int argc, char **argv)
{
    struct sweep_param params[16];
    const char *sets[MAX_SETS];
    struct sweep_request rq = {.sets = sets, .params = params, .replications = 1};
    const char *out = NULL;
    int quiet = 0, has_seed = 0, status = 2, no_plots = 0, svg = 0;
    uint64_t v;
    struct sim_error err = {0};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(sweep_help, stdout);
            status = 0;
            goto done;
        } else if (strcmp(a, "--param") == 0) {
            if (rq.nparams == 16) {
                usage_error("sweep", "at most 16 --param options");
                goto done;
            }
            if (!val || sweep_parse_param(val, &params[rq.nparams], &err)) {
                if (!val)
                    usage_error("sweep", "--param needs PATH=V1,V2,...");
                else
                    sim_error_print(&err);
                goto done;
            }
            rq.nparams++;
            i++;
        } else if (strcmp(a, "--set") == 0) {
            if (!val || !strchr(val, '=') || rq.nsets == MAX_SETS) {
                usage_error("sweep", "--set needs PATH=VALUE, got '%s'", val ? val : "");
                goto done;
            }
            sets[rq.nsets++] = val;
            i++;
        } else if (strcmp(a, "--replications") == 0 || strcmp(a, "--jobs") == 0) {
            if (!val || parse_u64(val, 10000, &v) || v < 1) {
                usage_error("sweep", "%s needs a whole number from 1 to 10000, got '%s'", a,
                            val ? val : "");
                goto done;
            }
            *(a[2] == 'r' ? &rq.replications : &rq.jobs) = (unsigned)v;
            i++;
        } else if (strcmp(a, "--resume") == 0) {
            rq.resume = 1;
        } else if (strcmp(a, "--seed") == 0) {
            if (!val || parse_u64(val, 9007199254740991ULL, &rq.seed)) {
                usage_error("sweep", "--seed needs a whole number, got '%s'", val ? val : "");
                goto done;
            }
            has_seed = 1;
            i++;
        } else if (strcmp(a, "--out") == 0) {
            if (!val || !*val || strncmp(val, "--", 2) == 0) {
                usage_error("sweep", "--out needs a folder, got '%s'", val ? val : "");
                goto done;
            }
            out = val;
            i++;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--no-plots") == 0) {
            no_plots = 1;
        } else if (strcmp(a, "--svg") == 0) {
            svg = 1;
        } else if (a[0] == '-' && a[1]) {
            usage_error("sweep", "unknown option '%s'", a);
            goto done;
        } else if (!rq.file) {
            rq.file = a;
        } else {
            usage_error("sweep", "one scenario at a time (extra argument '%s')", a);
            goto done;
        }
    }
    if (!rq.file || rq.nparams == 0) {
        usage_error("sweep", rq.file ? "give at least one --param PATH=V1,V2,..."
                                     : "which scenario? give SCENARIO.json");
        goto done;
    }
    if (!rq.jobs)
        rq.jobs = jobs_default();
    struct scenario **scs;
    if (sweep_load(&rq, model_registry, &scs, &err)) {
        sim_error_print(&err);
        goto done;
    }
    size_t npoints = sweep_points(params, rq.nparams);
    if (!has_seed)
        rq.seed = scs[0]->seed;
    char dir[3072];
    if (out)
        snprintf(dir, sizeof dir, "%s", out);
    else
        snprintf(dir, sizeof dir, "out/%s-sweep", scs[0]->name);
    if (!quiet && isatty(STDERR_FILENO))
        fprintf(stderr, "sweep: %zu points x %u replications in %u %s...\n", npoints,
                rq.replications, mpi_active() ? (unsigned)mpi_size() : rq.jobs,
                mpi_active() ? "MPI ranks" : "processes");
    /* Only rank 0 keeps the partial file; the other ranks compute what they are given. */
    char partial[3200];
    snprintf(partial, sizeof partial, "%s/%s", dir, SWEEP_PARTIAL);
    if (mpi_rank() == 0) {
        if (mkdir_p(dir) == 0)
            rq.partial = partial;
        else
            fprintf(stderr, "clustersim: cannot create %s (%s); --resume will not find this "
                            "sweep's pieces\n", dir, strerror(errno));
    }
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    cJSON *result = NULL;
    int rc = sweep_run(&rq, scs, (volatile int *)&interrupted, &result, &err);
    sigaction(SIGINT, &old, NULL);
    if (rq.resume && !quiet && rc == 0)
        fprintf(stderr, "sweep: %zu pieces resumed from %s, %zu computed\n", rq.resumed,
                partial, rq.computed);
    status = 1;
    if (rc) {
        sim_error_print(&err);
    } else {
        struct outset o;
        if (outset_open(&o, dir, &err) == 0) {
            FILE *f;
            if ((f = outset_file(&o, "sweep.csv"))) {
                sweep_write_csv(result, f);
                outset_close_file(&o);
            }
            char *text = cJSON_Print(result);
            if ((f = outset_file(&o, "sweep.json"))) {
                fputs(text, f);
                fputc('\n', f);
                outset_close_file(&o);
            }
            free(text);
            rc = outset_commit(&o, &err);
        } else {
            rc = -1;
        }
        /* sweep.csv and sweep.json are written: the pieces are no longer needed. */
        if (rc == 0 && rq.partial && !interrupted)
            remove(rq.partial);
        struct plot_list plots = {0};
        if (rc == 0 && !no_plots)
            rc = plot_sweep(dir, NULL, svg, &plots, &err);
        if (rc == 0)
            rc = html_sweep(dir, result, no_plots ? NULL : &plots, &err);
        if (rc) {
            sim_error_print(&err);
        } else {
            status = interrupted ? 130 : 0;
            if (!quiet) {
                sweep_print(result, stdout);
                printf("results in %s/\n", dir);
            }
        }
        cJSON_Delete(result);
    }
    for (size_t p = 0; p < npoints; p++)
        scenario_free(scs[p]);
    free(scs);
done:
    for (size_t k = 0; k < rq.nparams; k++)
        sweep_param_free(&params[k]);
    return status;
}

/* ---- estimate -------------------------------------------------------------------------- */

static const char estimate_help[] =
    "usage: clustersim estimate SCENARIO.json [--set PATH=VALUE]... [--compare] [--seed N]\n"
    "\n"
    "Back-of-envelope figures before simulating: requests per second (average and peak) and\n"
    "per day, bandwidth and storage (with workload.object_size), and per tier the rate per\n"
    "node, utilisation, the queueing model (M/M/c: Erlang C; general service times:\n"
    "Allen-Cunneen; no waiting room: Erlang B), waiting and response times, and the\n"
    "bottleneck. --compare also runs the simulation and shows both side by side.\n"
    "\n"
    "example: clustersim estimate scenarios/web-db.json --compare\n";

static void compare_print(const struct scenario *sc, const struct estimate *e,
                          const cJSON *summary, FILE *out)
{
    const cJSON *comps = cJSON_GetObjectItem(summary, "components");
    fprintf(out, "\n%-14s %10s %10s %12s %12s  %s\n", "component", "util est", "util sim",
            "resp ms est", "resp ms sim", "");
    for (size_t k = 0; k < sc->ncomp; k++) {
        uint32_t i = sc->topo[k];
        const cJSON *c = cJSON_GetObjectItem(comps, sc->comps[i].id);
        double su = summary_number(c, "utilization"), sr = summary_number(c, "latency_ms.mean");
        const struct est_comp *ec = &e->comps[i];
        const char *flag = "";
        if (isfinite(su) && fabs(su - ec->util) > 0.1 * fmax(ec->util, 0.05))
            flag = "<- utilisation differs";
        else if (isfinite(sr) && isfinite(ec->response) &&
                 fabs(sr - 1e3 * ec->response) > 0.25 * 1e3 * ec->response)
            flag = "<- response differs (queueing, skew or time variation)";
        fprintf(out, "%-14s %10.3f %10.3f %12.4g %12.4g  %s\n", sc->comps[i].id, ec->util, su,
                1e3 * ec->response, sr, flag);
    }
    fprintf(out, "%-14s %10s %10s %12.4g %12.4g\n", "end to end", "", "", 1e3 * e->end_to_end,
            summary_number(summary, "latency_ms.mean"));
}

static int cmd_estimate(int argc, char **argv)
{
    const char *file = NULL, *sets[MAX_SETS];
    size_t nsets = 0;
    int compare = 0, has_seed = 0;
    uint64_t seed = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(estimate_help, stdout);
            return 0;
        } else if (strcmp(a, "--compare") == 0) {
            compare = 1;
        } else if (strcmp(a, "--set") == 0) {
            if (!val || !strchr(val, '=') || nsets == MAX_SETS)
                return usage_error("estimate", "--set needs PATH=VALUE, got '%s'",
                                   val ? val : "");
            sets[nsets++] = val;
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            if (!val || parse_u64(val, 9007199254740991ULL, &seed))
                return usage_error("estimate", "--seed needs a whole number, got '%s'",
                                   val ? val : "");
            has_seed = 1;
            i++;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("estimate", "unknown option '%s'", a);
        } else if (!file) {
            file = a;
        } else {
            return usage_error("estimate", "one scenario at a time (extra argument '%s')", a);
        }
    }
    if (!file)
        return usage_error("estimate", "which scenario? give SCENARIO.json");
    struct sim_error err = {0};
    struct scenario *sc;
    if (scenario_load(file, sets, nsets, model_registry, &sc, &err)) {
        sim_error_print(&err);
        return 2;
    }
    estimate_print(sc, stdout);
    int status = 0;
    if (compare) {
        struct world *w;
        if (world_create(sc, has_seed ? seed : sc->seed, &w, &err) ||
            world_run(w, (volatile int *)&interrupted, NULL, NULL, &err)) {
            sim_error_print(&err);
            status = 1;
        } else {
            cJSON *summary = report_summary(w);
            struct estimate e;
            double avg = estimate_average_rate(sc, sc->warmup, sc->duration);
            estimate_at(sc, avg, 0, &e);
            printf("\nestimate at the average load against the simulation (seed %llu, "
                   "averages over the run after the warm-up):",
                   (unsigned long long)w->seed);
            compare_print(sc, &e, summary, stdout);
            estimate_free(&e);
            cJSON_Delete(summary);
        }
        world_free(w);
    }
    scenario_free(sc);
    return status;
}

/* ---- capacity -------------------------------------------------------------------------- */

static const char capacity_help[] =
    "usage: clustersim capacity SCENARIO.json --slo STAT=DURATION [--slo ...] --vary PATH\n"
    "                           [--errors PERCENT] [--max | --min] [--from V] [--to V]\n"
    "                           [--integer] [--tolerance FRACTION] [--replications R]\n"
    "                           [--jobs J] [--seed N] [--set PATH=VALUE]... [--out DIR]\n"
    "\n"
    "Finds the most load (--max, the default for workload.* paths) or the fewest resources\n"
    "(--min, the default otherwise; whole numbers) that meet every objective with 95%\n"
    "confidence: at each value tried, R replications run (default 5) and the upper end of\n"
    "each objective's 95% interval must be within its limit, and likewise the fraction of\n"
    "requests rejected, failed or timed out (--errors, default 1%). The search doubles or\n"
    "halves from the scenario's value (or --from) to bracket the answer, then bisects to\n"
    "--tolerance (default 2%; exact for whole numbers). STAT: mean p50 p90 p95 p99 p999 max.\n"
    "Writes capacity.json into DIR (default out/<name>-capacity/).\n"
    "\n"
    "examples: clustersim capacity scenarios/mm1.json --slo p99=200ms --vary workload.rate\n"
    "          clustersim capacity scenarios/web-db.json --slo p99=100ms \\\n"
    "              --vary components.db.workers\n";

static int cmd_capacity(int argc, char **argv)
{
    const char *sets[MAX_SETS], *out = NULL;
    struct capacity_request rq = {.sets = sets, .from = NAN, .to = NAN, .tolerance = 0.02,
                                  .max_errors = 0.01, .replications = 5,
                                  .stop = (volatile int *)&interrupted};
    int dir_set = 0, integer_set = 0, quiet = 0;
    uint64_t v;
    struct sim_error err = {0};
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(capacity_help, stdout);
            return 0;
        } else if (strcmp(a, "--slo") == 0) {
            if (!val || rq.nslos == CAP_MAX_SLOS)
                return usage_error("capacity", "--slo needs STAT=DURATION (at most %d)",
                                   CAP_MAX_SLOS);
            if (capacity_parse_slo(val, &rq.slos[rq.nslos], &err)) {
                snprintf(err.file, sizeof err.file, "--slo");
                sim_error_print(&err);
                return 2;
            }
            rq.nslos++;
            i++;
        } else if (strcmp(a, "--vary") == 0) {
            if (!val || !*val)
                return usage_error("capacity", "--vary needs a PATH such as workload.rate");
            rq.vary = val;
            i++;
        } else if (strcmp(a, "--errors") == 0) {
            double e = val ? strtod(val, &end) : NAN;
            if (!decimal_text(val) || end == val || (*end && strcmp(end, "%") != 0) ||
                !(e >= 0 && e <= 100))
                return usage_error("capacity", "--errors needs a percentage from 0 to 100, got "
                                               "'%s'", val ? val : "");
            rq.max_errors = e / 100;
            i++;
        } else if (strcmp(a, "--max") == 0 || strcmp(a, "--min") == 0) {
            dir_set = a[3] == 'a' ? 1 : -1;
        } else if (strcmp(a, "--integer") == 0) {
            integer_set = 1;
        } else if (strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0 ||
                   strcmp(a, "--tolerance") == 0) {
            double x = val ? strtod(val, &end) : NAN;
            if (!decimal_text(val) || end == val || *end || !(x > 0) || !isfinite(x))
                return usage_error("capacity", "%s needs a number above 0, got '%s'", a,
                                   val ? val : "");
            *(a[2] == 'f' ? &rq.from : a[2] == 't' && a[3] == 'o' && !a[4] ? &rq.to
                                                                           : &rq.tolerance) = x;
            i++;
        } else if (strcmp(a, "--replications") == 0 || strcmp(a, "--jobs") == 0) {
            if (!val || parse_u64(val, 10000, &v) || v < 1)
                return usage_error("capacity", "%s needs a whole number from 1 to 10000, got "
                                               "'%s'", a, val ? val : "");
            *(a[2] == 'r' ? &rq.replications : &rq.jobs) = (unsigned)v;
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            if (!val || parse_u64(val, 9007199254740991ULL, &rq.seed))
                return usage_error("capacity", "--seed needs a whole number, got '%s'",
                                   val ? val : "");
            rq.has_seed = 1;
            i++;
        } else if (strcmp(a, "--set") == 0) {
            if (!val || !strchr(val, '=') || rq.nsets == MAX_SETS)
                return usage_error("capacity", "--set needs PATH=VALUE, got '%s'",
                                   val ? val : "");
            sets[rq.nsets++] = val;
            i++;
        } else if (strcmp(a, "--out") == 0) {
            if (!val || !*val || strncmp(val, "--", 2) == 0)
                return usage_error("capacity", "--out needs a folder, got '%s'", val ? val : "");
            out = val;
            i++;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("capacity", "unknown option '%s'", a);
        } else if (!rq.file) {
            rq.file = a;
        } else {
            return usage_error("capacity", "one scenario at a time (extra argument '%s')", a);
        }
    }
    if (!rq.file || !rq.vary || rq.nslos == 0)
        return usage_error("capacity", "give SCENARIO.json, --vary PATH and at least one "
                                       "--slo STAT=DURATION");
    if (rq.tolerance >= 1)
        return usage_error("capacity", "--tolerance is a fraction below 1 (0.02 = 2%%)");
    rq.maximise = dir_set ? dir_set > 0 : capacity_is_load(rq.vary);
    rq.integer = integer_set || !capacity_is_load(rq.vary);
    if (!rq.jobs)
        rq.jobs = jobs_default();
    rq.progress = quiet ? NULL : stdout;
    struct scenario *sc;
    if (scenario_load(rq.file, sets, rq.nsets, model_registry, &sc, &err)) {
        sim_error_print(&err);
        return 2;
    }
    char dir[3072];
    snprintf(dir, sizeof dir, out ? "%s" : "out/%s-capacity", out ? out : sc->name);
    scenario_free(sc);
    if (!quiet)
        printf("searching the %s %s that meets the objectives (%u replications a point)\n",
               rq.maximise ? "most" : "fewest", rq.vary, rq.replications);
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    cJSON *result;
    int rc = capacity_search(&rq, model_registry, &result, &err);
    sigaction(SIGINT, &old, NULL);
    if (rc) {
        sim_error_print(&err);
        return err.code == SIM_EUSAGE ? 2 : 1;
    }
    int status = 0;
    struct outset o;
    if (outset_open(&o, dir, &err) == 0) {
        FILE *f = outset_file(&o, "capacity.json");
        if (f) {
            char *text = cJSON_Print(result);
            fputs(text, f);
            fputc('\n', f);
            free(text);
            outset_close_file(&o);
        }
        if (outset_commit(&o, &err))
            status = 1;
    } else {
        status = 1;
    }
    if (status)
        sim_error_print(&err);
    const cJSON *ans = cJSON_GetObjectItem(result, "answer");
    if (!quiet) {
        if (cJSON_IsNumber(ans))
            printf("%s %s = %.6g%s\nresults in %s/\n",
                   rq.maximise ? "capacity: the most" : "capacity: the fewest", rq.vary,
                   ans->valuedouble,
                   cJSON_IsTrue(cJSON_GetObjectItem(result, "bounded"))
                       ? ""
                       : " (the edge of the range searched: the true answer lies beyond)",
                   dir);
        else
            printf("no value in the range searched meets the objectives\n");
    }
    cJSON_Delete(result);
    return status ? status : interrupted ? 130 : 0;
}

/* ---- validate -------------------------------------------------------------------------- */

static const char validate_help[] =
    "usage: clustersim validate SCENARIO.json...\n"
    "\n"
    "Checks scenarios without running them: exit 0 when all are valid, 2 otherwise, with\n"
    "each error as FILE:LINE: PATH: message.\n"
    "\n"
    "example: clustersim validate scenarios/*.json\n";

static int cmd_validate(int argc, char **argv)
{
    int files = 0, bad = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(validate_help, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return usage_error("validate", "unknown option '%s'", argv[i]);
    }
    for (int i = 2; i < argc; i++) {
        struct sim_error err = {0};
        struct scenario *sc;
        files++;
        if (scenario_load(argv[i], NULL, 0, model_registry, &sc, &err)) {
            sim_error_print(&err);
            bad++;
            continue;
        }
        printf("%s: ok (%zu components, %zu events)\n", argv[i], sc->ncomp, sc->nevents);
        scenario_free(sc);
    }
    if (!files)
        return usage_error("validate", "which scenarios? give SCENARIO.json...");
    return bad ? 2 : 0;
}

/* ---- help ------------------------------------------------------------------------------ */

static const char main_help[] =
    "usage: clustersim COMMAND [ARGS]   (clustersim COMMAND --help for more)\n"
    "\n"
    "commands:\n"
    "  run SCENARIO.json      simulate a scenario; write summary, CSVs and plots\n"
    "  sweep SCENARIO --param PATH=V1,V2,...   run the cross product of parameter values\n"
    "  estimate SCENARIO      back-of-envelope figures (--compare: against a simulation)\n"
    "  capacity SCENARIO --slo p99=200ms --vary PATH   the most load or fewest nodes that\n"
    "                         meet the objectives, with 95% confidence\n"
    "  journey [DIR]          the stages of scaling to millions of users: capacities, plots,\n"
    "                         and the story in report.html\n"
    "  validate SCENARIO...   check scenarios without running them\n"
    "  types                  list the component types and their fields\n"
    "  keymove --scheme S ... how many keys move when nodes are added or removed\n"
    "  schema                 print the JSON Schema of scenarios\n"
    "  bench                  the kernel's hold-model benchmark\n"
    "\n"
    "example: clustersim run scenarios/web-db.json\n";

static const char types_help[] =
    "usage: clustersim types [TYPE]\n"
    "\n"
    "Lists the component types and, for each, its fields: name, kind, help and default.\n"
    "\n"
    "example: clustersim types service\n";

static int cmd_types(int argc, char **argv)
{
    const char *only = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(types_help, stdout);
            return 0;
        }
        if (argv[i][0] == '-' || only)
            return usage_error("types", "unexpected argument '%s'", argv[i]);
        only = argv[i];
    }
    int shown = 0;
    if (!only) {
        const struct param_spec *common[] = {scenario_common_params(), NULL};
        printf("every component:\n");
        params_print_help(common, stdout);
    }
    for (size_t i = 0; model_registry[i]; i++) {
        const struct model_ops *m = model_registry[i];
        if (only && strcmp(only, m->name) != 0)
            continue;
        shown++;
        printf("%s: %s\n", m->name, m->help);
        const struct param_spec *tabs[] = {m->params, NULL};
        params_print_help(tabs, stdout);
    }
    if (only && !shown)
        return usage_error("types", "no component type '%s'", only);
    return 0;
}

static int cmd_schema(int argc, char **argv)
{
    if (argc > 2) {
        if (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
            fputs("usage: clustersim schema\n\nPrints the JSON Schema of scenarios, generated "
                  "from the validator's own tables.\n\nexample: clustersim schema > "
                  "scenarios/schema.json\n",
                  stdout);
            return 0;
        }
        return usage_error("schema", "unexpected argument '%s'", argv[2]);
    }
    cJSON *s = schema_build(model_registry, scenario_common_params());
    char *text = cJSON_Print(s);
    puts(text);
    free(text);
    cJSON_Delete(s);
    return 0;
}

static int cmd_keymove(int argc, char **argv)
{
    return cli_keymove(argc - 1, argv + 1);
}

static int cmd_journey(int argc, char **argv)
{
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    int rc = cli_journey(argc, argv, (volatile int *)&interrupted);
    sigaction(SIGINT, &old, NULL);
    return rc;
}

static int cmd_bench(int argc, char **argv)
{
    if (argc > 2) {
        if (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
            fputs("usage: clustersim bench\n\nThe kernel's own benchmark: the hold model (each "
                  "event schedules one more at an\nexponential distance) at 10k, 100k and 1M "
                  "pending events; prints events/s.\nmake bench runs the full set (M/M/1 against "
                  "a bare loop and SimPy, caches,\nplacement).\n\nexample: clustersim bench\n",
                  stdout);
            return 0;
        }
        return usage_error("bench", "unexpected argument '%s'", argv[2]);
    }
    return bench_hold_report(stdout) == 0 ? 0 : 1;
}

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
    {"run", cmd_run},
    {"validate", cmd_validate},
    {"types", cmd_types},
    {"schema", cmd_schema},
    {"keymove", cmd_keymove},
    {"sweep", cmd_sweep},
    {"estimate", cmd_estimate},
    {"capacity", cmd_capacity},
    {"journey", cmd_journey},
    {"bench", cmd_bench},
    {NULL, NULL},
};

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_help, stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(main_help, stdout);
        return 0;
    }
    for (const struct command *c = commands; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0) {
            int rc = c->fn(argc, argv);
            /* What went to stdout is part of the result: a full disk or a closed pipe there
             * fails the command like any other output. */
            if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
                fprintf(stderr, "clustersim %s: cannot write the output: %s\n", c->name,
                        strerror(errno));
                rc = 1;
            }
            return rc;
        }
    fprintf(stderr, "clustersim: unknown command '%s'\n%s", argv[1], main_help);
    return 2;
}
