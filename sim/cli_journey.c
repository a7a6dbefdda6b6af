/* The journey: the stages of scaling a system from a thousand to ten million users, one
 * scenario each. Every stage is swept over log-spaced user counts until it misses the
 * objectives, its capacity is then bracketed and bisected (sim/capacity.c), the
 * back-of-envelope estimate names its bottleneck, and the whole story is written as tables,
 * plots and one report. Part of the command-line front: it uses the placement module for the
 * key-movement comparison, as keymove does. */
#include "sim/cli_journey.h"
#include "models/placement.h"
#include "models/registry.h"
#include "sim/capacity.h"
#include "sim/estimate.h"
#include "sim/html.h"
#include "sim/jobs.h"
#include "sim/plot.h"
#include "sim/replicate.h"
#include "sim/report.h"
#include "sim/world.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define JOURNEY_MAX_STAGES 32
#define JOURNEY_MAX_POINTS 32

struct stage {
    char *file;
    char *name;        /* file name without folder and .json: "03-load-balancer" */
    struct scenario *sc;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct stage *)a)->name, ((const struct stage *)b)->name);
}

static int load_stages(const struct journey_opts *o, const struct model_ops *const *registry,
                       struct stage *st, size_t *n, struct sim_error *err)
{
    DIR *d = opendir(o->dir);
    if (!d)
        return sim_fail(err, NULL, "cannot read the stages folder %s", o->dir);
    struct dirent *e;
    *n = 0;
    while ((e = readdir(d)) && *n < JOURNEY_MAX_STAGES) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", o->dir, e->d_name);
        st[*n].file = sim_xstrdup(path);
        st[*n].name = sim_xstrdup(e->d_name);
        st[*n].name[len - 5] = '\0';
        st[*n].sc = NULL;
        (*n)++;
    }
    closedir(d);
    if (*n == 0)
        return sim_fail(err, NULL, "no stage scenarios (*.json) in %s", o->dir);
    qsort(st, *n, sizeof *st, by_name);
    /* Every stage is validated before anything runs. */
    for (size_t i = 0; i < *n; i++)
        if (scenario_load(st[i].file, o->sets, o->nsets, registry, &st[i].sc, err))
            return -1;
    return 0;
}

static double rate_per_user(const struct scenario *sc)
{
    return sc->wl.by_users && sc->wl.rate_per_user > 0 ? sc->wl.rate_per_user : 1;
}

/* The bottleneck the estimate names at a given number of users, and where it saturates. */
static const char *bottleneck(const struct scenario *sc, double users, double *estimate_users)
{
    struct estimate e;
    estimate_at(sc, users * rate_per_user(sc), users, &e);
    const char *id = e.bottleneck != UINT32_MAX ? sc->comps[e.bottleneck].id : "-";
    *estimate_users = isfinite(e.max_rate) ? e.max_rate / rate_per_user(sc) : NAN;
    estimate_free(&e);
    return id;
}

/* A number for a CSV field; empty when there is none (no request completed, say). */
static void csv_field(FILE *f, const cJSON *v)
{
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
        fprintf(f, "%.6g", v->valuedouble);
}

static void write_points_csv(FILE *f, const struct stage *st, size_t idx, const cJSON *points)
{
    for (const cJSON *p = points->child; p; p = p->next) {
        const cJSON *fig = cJSON_GetObjectItem(p, "figures");
        fprintf(f, "%s,%zu,%.6g,%.6g,%.6g,", st->name, idx + 1, summary_number(p, "value"),
                summary_number(fig, "offered_rps"), summary_number(fig, "throughput_rps"));
        csv_field(f, cJSON_GetObjectItem(fig, "latency_ms.mean"));
        fputc(',', f);
        csv_field(f, cJSON_GetObjectItem(fig, "latency_ms.p50"));
        fputc(',', f);
        csv_field(f, cJSON_GetObjectItem(fig, "latency_ms.p99"));
        fprintf(f, ",%.6g,%d\n", summary_number(fig, "errors_frac"),
                cJSON_IsTrue(cJSON_GetObjectItem(p, "pass")));
    }
}

/* Moved fraction when n becomes n + 1, for every scheme: the comparison behind consistent
 * hashing, over a fixed sample of keys. */
static void write_keymove_csv(FILE *f, size_t keys)
{
    fputs("scheme,nodes_before,nodes_after,moved_fraction,ideal_fraction\n", f);
    uint32_t *before = sim_xcalloc(keys, sizeof *before);
    for (int s = 0; s < PLACEMENT_NSCHEMES; s++) {
        for (uint32_t n = 2; n <= 32; n++) {
            struct placement *a, *b;
            struct sim_error err = {0};
            if (placement_create((enum placement_scheme)s, NULL, n, NULL, &a, &err))
                continue;
            if (placement_create((enum placement_scheme)s, NULL, n + 1, NULL, &b, &err)) {
                placement_free(a);
                continue;
            }
            size_t moved = 0;
            for (size_t k = 0; k < keys; k++) {
                char key[32];
                int len = snprintf(key, sizeof key, "key%zu", k);
                uint64_t ha = placement_hash_bytes(a, key, (size_t)len);
                uint64_t hb = placement_hash_bytes(b, key, (size_t)len);
                before[k] = placement_lookup(a, ha);
                moved += placement_lookup(b, hb) != before[k];
            }
            fprintf(f, "%s,%u,%u,%.6g,%.6g\n", placement_scheme_name((enum placement_scheme)s),
                    n, n + 1, (double)moved / (double)keys, 1.0 / (n + 1));
            placement_free(a);
            placement_free(b);
        }
    }
    free(before);
}

/* The last stage at its capacity, as an ordinary run with its plots and report. */
static int final_run(const struct journey_opts *o, const struct model_ops *const *registry,
                     const struct stage *st, double users, const char *dir,
                     struct sim_error *err)
{
    char assign[128];
    snprintf(assign, sizeof assign, "workload.users=%.0f", users);
    const char **sets = sim_xcalloc(o->nsets + 1, sizeof *sets);
    for (size_t i = 0; i < o->nsets; i++)
        sets[i] = o->sets[i];
    sets[o->nsets] = assign;
    struct scenario *sc;
    int rc = scenario_load(st->file, sets, o->nsets + 1, registry, &sc, err);
    free(sets);
    if (rc)
        return -1;
    struct world *w;
    if ((rc = world_create(sc, o->has_seed ? o->seed : sc->seed, &w, err)) == 0) {
        if ((rc = world_run(w, o->stop, NULL, NULL, err)) == 0) {
            cJSON *summary = report_summary(w);
            struct plot_list plots = {0};
            rc = report_write(w, summary, dir, err);
            if (rc == 0 && !o->no_plots)
                rc = plot_run_list(dir, NULL, 0, &plots, err);
            if (rc == 0)
                rc = html_report(dir, summary, sc->text, o->no_plots ? NULL : &plots, err);
            cJSON_Delete(summary);
        }
        world_free(w);
    }
    scenario_free(sc);
    return rc;
}

int journey_run(const struct journey_opts *o, const struct model_ops *const *registry,
                struct sim_error *err)
{
    struct stage st[JOURNEY_MAX_STAGES];
    size_t n = 0;
    int rc = load_stages(o, registry, st, &n, err);
    double grid[JOURNEY_MAX_POINTS];
    size_t npoints = (size_t)o->points;
    for (size_t i = 0; i < npoints; i++)
        grid[i] = round(o->users_from *
                        pow(o->users_to / o->users_from, npoints > 1 ? (double)i / (double)(npoints - 1) : 0));
    cJSON *journey = cJSON_CreateObject();
    cJSON *slo = cJSON_AddObjectToObject(journey, "slo");
    cJSON_AddNumberToObject(slo, "p99_ms", o->slo.limit);
    cJSON_AddNumberToObject(slo, "max_errors", o->max_errors);
    cJSON *users = cJSON_AddArrayToObject(journey, "users");
    for (size_t i = 0; i < npoints; i++)
        cJSON_AddItemToArray(users, cJSON_CreateNumber(grid[i]));
    cJSON *stages = cJSON_AddArrayToObject(journey, "stages");
    double final_users = NAN;
    for (size_t s = 0; s < n && rc == 0 && !(o->stop && *o->stop); s++) {
        struct capacity_request rq = {.file = st[s].file, .sets = o->sets, .nsets = o->nsets,
                                      .vary = "workload.users", .maximise = 1, .from = NAN,
                                      .to = NAN, .tolerance = o->tolerance,
                                      .max_errors = o->max_errors,
                                      .replications = o->replications, .jobs = o->jobs,
                                      .on_mean = 1,
                                      .target_requests = o->target_requests,
                                      .rate_per_unit = rate_per_user(st[s].sc),
                                      .base_duration = st[s].sc->duration,
                                      .base_warmup = st[s].sc->warmup, .min_duration = 4,
                                      .seed = o->seed, .has_seed = o->has_seed, .stop = o->stop};
        rq.slos[0] = o->slo;
        rq.nslos = 1;
        if (o->progress)
            fprintf(o->progress, "stage %zu/%zu %s\n", s + 1, n, st[s].name);
        cJSON *stage = cJSON_CreateObject();
        cJSON_AddItemToArray(stages, stage);
        cJSON_AddNumberToObject(stage, "index", (double)(s + 1));
        cJSON_AddStringToObject(stage, "name", st[s].name);
        cJSON_AddStringToObject(stage, "file", st[s].file);
        cJSON_AddStringToObject(stage, "description",
                                st[s].sc->description ? st[s].sc->description : "");
        cJSON *points = cJSON_AddArrayToObject(stage, "points");
        /* The sweep stops at the first user count that misses: everything above would too. */
        double last_pass = NAN, first_fail = NAN;
        for (size_t i = 0; i < npoints && rc == 0; i++) {
            int pass;
            rc = capacity_point(&rq, registry, grid[i], points, &pass, err);
            if (rc)
                break;
            if (o->progress) {
                const cJSON *p = cJSON_GetArrayItem(points, cJSON_GetArraySize(points) - 1);
                const cJSON *fig = cJSON_GetObjectItem(p, "figures");
                fprintf(o->progress, "  %10.0f users  %10.1f req/s  p99 %8.1f ms  errors %6.2f%%  %s\n",
                        grid[i], summary_number(fig, "throughput_rps"),
                        cJSON_GetObjectItem(fig, "latency_ms.p99")->valuedouble,
                        100 * summary_number(fig, "errors_frac"), pass ? "ok" : "misses");
            }
            if (!pass) {
                first_fail = grid[i];
                break;
            }
            last_pass = grid[i];
        }
        if (rc)
            break;
        /* Bisect between the last count that met the objectives and the first that missed. */
        double capacity = last_pass;
        int bounded = isfinite(first_fail) && isfinite(last_pass);
        if (isfinite(last_pass) && isfinite(first_fail)) {
            rq.from = last_pass;
            rq.to = first_fail;
            cJSON *search;
            if ((rc = capacity_search(&rq, registry, &search, err)) != 0)
                break;
            const cJSON *ans = cJSON_GetObjectItem(search, "answer");
            if (cJSON_IsNumber(ans))
                capacity = ans->valuedouble;
            cJSON_Delete(search);
        }
        double est_users = NAN;
        const char *neck = bottleneck(st[s].sc, isfinite(capacity) ? capacity : grid[0], &est_users);
        if (isfinite(capacity)) {
            cJSON_AddNumberToObject(stage, "capacity_users", capacity);
            cJSON_AddNumberToObject(stage, "capacity_rps", capacity * rate_per_user(st[s].sc));
        } else {
            cJSON_AddNullToObject(stage, "capacity_users");
            cJSON_AddNullToObject(stage, "capacity_rps");
        }
        cJSON_AddBoolToObject(stage, "bounded", bounded);
        cJSON_AddStringToObject(stage, "bottleneck", neck);
        if (isfinite(est_users))
            cJSON_AddNumberToObject(stage, "estimate_users", est_users);
        else
            cJSON_AddNullToObject(stage, "estimate_users");
        if (o->progress && isfinite(capacity))
            fprintf(o->progress, "  capacity %s%.0f users (%.0f req/s); bottleneck %s\n",
                    bounded ? "" : ">= ", capacity, capacity * rate_per_user(st[s].sc), neck);
        else if (o->progress)
            fprintf(o->progress, "  capacity below %.0f users (the smallest tried)\n", grid[0]);
        if (s + 1 == n)
            final_users = capacity;
    }
    if (rc == 0) {
        struct outset out;
        if ((rc = outset_open(&out, o->out, err)) == 0) {
            FILE *f;
            if ((f = outset_file(&out, "journey.csv"))) {
                fputs("stage,index,users,offered_rps,throughput_rps,mean_ms,p50_ms,p99_ms,"
                      "errors_frac,pass\n", f);
                size_t i = 0;
                for (const cJSON *s = stages->child; s; s = s->next, i++)
                    write_points_csv(f, &st[i], i, cJSON_GetObjectItem(s, "points"));
                outset_close_file(&out);
            }
            if ((f = outset_file(&out, "capacity.csv"))) {
                fputs("stage,index,capacity_users,capacity_rps,bounded,bottleneck,"
                      "estimate_users\n", f);
                for (const cJSON *s = stages->child; s; s = s->next)
                    fprintf(f, "%s,%.0f,%.6g,%.6g,%d,%s,%.6g\n",
                            cJSON_GetObjectItem(s, "name")->valuestring,
                            summary_number(s, "index"), summary_number(s, "capacity_users"),
                            summary_number(s, "capacity_rps"),
                            cJSON_IsTrue(cJSON_GetObjectItem(s, "bounded")),
                            cJSON_GetObjectItem(s, "bottleneck")->valuestring,
                            summary_number(s, "estimate_users"));
                outset_close_file(&out);
            }
            if ((f = outset_file(&out, "keymove.csv"))) {
                write_keymove_csv(f, 20000);
                outset_close_file(&out);
            }
            if ((f = outset_file(&out, "journey.json"))) {
                char *text = cJSON_Print(journey);
                fputs(text, f);
                fputc('\n', f);
                free(text);
                outset_close_file(&out);
            }
            rc = outset_commit(&out, err);
        }
    }
    if (rc == 0 && isfinite(final_users) && !(o->stop && *o->stop)) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/final", o->out);
        if (o->progress)
            fprintf(o->progress, "final: %s at %.0f users -> %s/\n", st[n - 1].name, final_users,
                    dir);
        rc = final_run(o, registry, &st[n - 1], final_users, dir, err);
    }
    if (rc == 0)
        rc = journey_report(o, journey, err);
    cJSON_Delete(journey);
    for (size_t i = 0; i < n; i++) {
        scenario_free(st[i].sc);
        free(st[i].file);
        free(st[i].name);
    }
    return rc;
}

int journey_report(const struct journey_opts *o, const cJSON *journey, struct sim_error *err)
{
    struct plot_list plots = {0};
    if (!o->no_plots && plot_journey(o->out, NULL, 0, &plots, err))
        return -1;
    if (html_journey(o->out, journey, o->no_plots ? NULL : &plots, err))
        return -1;
    if (!o->progress)
        return 0;
    fprintf(o->progress, "\n%-3s %-26s %14s %12s %8s  %s\n", "", "stage", "capacity users",
            "req/s", "x prev", "bottleneck (estimate)");
    double prev = NAN;
    for (const cJSON *s = cJSON_GetObjectItem(journey, "stages")->child; s; s = s->next) {
        double cap = summary_number(s, "capacity_users");
        char ratio[32] = "-"; /* the first stage has nothing to compare with */
        if (isfinite(prev) && prev > 0)
            snprintf(ratio, sizeof ratio, "%.2f", cap / prev);
        fprintf(o->progress, "%-3.0f %-26s %s%13.0f %12.0f %8s  %s\n",
                summary_number(s, "index"), cJSON_GetObjectItem(s, "name")->valuestring,
                cJSON_IsTrue(cJSON_GetObjectItem(s, "bounded")) ? " " : ">", cap,
                summary_number(s, "capacity_rps"), ratio,
                cJSON_GetObjectItem(s, "bottleneck")->valuestring);
        prev = cap;
    }
    fprintf(o->progress, "results in %s/ (report.html, %zu plots)\n", o->out, plots.n);
    return 0;
}

static const char journey_help[] =
    "usage: clustersim journey [DIR] [--out DIR] [--slo p99=200ms] [--errors 1%]\n"
    "                          [--users-from N] [--users-to N] [--points K]\n"
    "                          [--replications R] [--jobs J] [--seed N] [--set PATH=VALUE]...\n"
    "                          [--no-plots] [--quiet]\n"
    "\n"
    "Runs the stages of scaling a system from zero to millions of users: every scenario in DIR\n"
    "(default scenarios/journey), in file-name order. Each stage is swept over K log-spaced\n"
    "user counts (default 9, from 1000 to 10 million) until it misses the objectives; its\n"
    "capacity (the most users whose p99 and error fraction, averaged over R replications,\n"
    "default 2, meet the objectives) is then found by bisection to 10%, and the\n"
    "back-of-envelope estimate names its bottleneck. Writes journey.csv, capacity.csv,\n"
    "keymove.csv, journey.json, the plots and report.html into DIR (default out/journey),\n"
    "Runs at high load are shortened to about 200000 requests each (never past the\n"
    "scenario's duration; the warm-up keeps its share), since precision follows the number\n"
    "of requests, not the simulated time.\n"
    "and the last stage's run at its capacity into DIR/final.\n"
    "\n"
    "example: clustersim journey scenarios/journey --out out/journey\n";

static int parse_positive(const char *val, double *out)
{
    char *end;
    double x = val ? strtod(val, &end) : NAN;
    if (!val || end == val || *end || !(x > 0) || !isfinite(x))
        return -1;
    *out = x;
    return 0;
}

int cli_journey(int argc, char **argv, volatile int *stop)
{
    const char *sets[256];
    struct journey_opts o = {.dir = "scenarios/journey", .out = "out/journey", .sets = sets,
                             .users_from = 1000, .users_to = 1e7, .points = 9,
                             .max_errors = 0.01, .tolerance = 0.1, .replications = 2,
                             .target_requests = 200000,
                             .stop = stop, .progress = stdout};
    struct sim_error err = {0};
    int dir_given = 0;
    capacity_parse_slo("p99=200ms", &o.slo, &err);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        double x;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(journey_help, stdout);
            return 0;
        } else if (strcmp(a, "--out") == 0 && val && *val) {
            o.out = val;
            i++;
        } else if (strcmp(a, "--slo") == 0 && val) {
            if (capacity_parse_slo(val, &o.slo, &err)) {
                sim_error_print(&err);
                return 2;
            }
            i++;
        } else if (strcmp(a, "--errors") == 0 && val) {
            char *end;
            double e = strtod(val, &end);
            if (end == val || (*end && strcmp(end, "%") != 0) || !(e >= 0 && e <= 100)) {
                fprintf(stderr, "clustersim journey: --errors needs a percentage, got '%s'\n",
                        val);
                return 2;
            }
            o.max_errors = e / 100;
            i++;
        } else if ((strcmp(a, "--users-from") == 0 || strcmp(a, "--users-to") == 0) &&
                   parse_positive(val, &x) == 0) {
            *(a[8] == 'f' ? &o.users_from : &o.users_to) = x;
            i++;
        } else if (strcmp(a, "--points") == 0 && parse_positive(val, &x) == 0 && x >= 2 &&
                   x <= JOURNEY_MAX_POINTS && x == floor(x)) {
            o.points = (int)x;
            i++;
        } else if ((strcmp(a, "--replications") == 0 || strcmp(a, "--jobs") == 0) &&
                   parse_positive(val, &x) == 0 && x == floor(x) && x <= 10000) {
            *(a[2] == 'r' ? &o.replications : &o.jobs) = (unsigned)x;
            i++;
        } else if (strcmp(a, "--seed") == 0 && parse_positive(val, &x) == 0 && x == floor(x)) {
            o.seed = (uint64_t)x;
            o.has_seed = 1;
            i++;
        } else if (strcmp(a, "--set") == 0 && val && strchr(val, '=') && o.nsets < 256) {
            sets[o.nsets++] = val;
            i++;
        } else if (strcmp(a, "--no-plots") == 0) {
            o.no_plots = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o.progress = NULL;
        } else if (a[0] != '-' && !dir_given) {
            o.dir = a;
            dir_given = 1;
        } else {
            fprintf(stderr, "clustersim journey: bad or incomplete option '%s'\n"
                            "(see 'clustersim journey --help')\n", a);
            return 2;
        }
    }
    if (o.users_to <= o.users_from) {
        fprintf(stderr, "clustersim journey: --users-to must be above --users-from\n");
        return 2;
    }
    if (!o.jobs)
        o.jobs = jobs_default();
    int rc = journey_run(&o, model_registry, &err);
    if (rc) {
        sim_error_print(&err);
        return err.code == SIM_EUSAGE ? 2 : 1;
    }
    return stop && *stop ? 130 : 0;
}
