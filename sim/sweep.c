/* Sweeps: the cross product of parameter values, each point a scenario with --set overrides,
 * each run with R replications; every (point, replication) is an independent piece of work
 * for the process pool, and replication r of every point uses seed + r (common random
 * numbers, so points differ by their parameters and not by their luck). */
#include "sim/sweep.h"
#include "sim/jobs.h"
#include "sim/replicate.h"
#include "sim/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The headline figures of sweep.csv: column name and dotted summary path (NULL: derived). */
static const struct {
    const char *column;
    const char *path;
    const char *ci;
} figures[] = {
    {"throughput_rps", "throughput_rps", "throughput_rps"},
    {"mean_ms", "latency_ms.mean", "latency_ms.mean"},
    {"p50_ms", "latency_ms.p50", "latency_ms.p50"},
    {"p99_ms", "latency_ms.p99", "latency_ms.p99"},
    {"p999_ms", "latency_ms.p999", NULL},
    {"rejected_frac", NULL, NULL},
    {"failed_frac", NULL, NULL},
};
#define NFIGURES (sizeof figures / sizeof figures[0])

int sweep_parse_param(const char *arg, struct sweep_param *out, struct sim_error *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return sim_fail(err, NULL, "--param takes PATH=V1,V2,..., got \"%s\"", arg);
    memset(out, 0, sizeof *out);
    out->path = sim_xmalloc((size_t)(eq - arg) + 1);
    memcpy(out->path, arg, (size_t)(eq - arg));
    out->path[eq - arg] = '\0';
    const char *p = eq + 1;
    while (1) {
        size_t n = strcspn(p, ",");
        if (n == 0) {
            sweep_param_free(out);
            return sim_fail(err, NULL, "--param %.*s: empty value in the list", (int)(eq - arg),
                            arg);
        }
        out->values = sim_xrealloc(out->values, (out->nvalues + 1) * sizeof *out->values);
        out->values[out->nvalues] = sim_xmalloc(n + 1);
        memcpy(out->values[out->nvalues], p, n);
        out->values[out->nvalues][n] = '\0';
        out->nvalues++;
        if (!p[n])
            break;
        p += n + 1;
    }
    return 0;
}

void sweep_param_free(struct sweep_param *p)
{
    for (size_t i = 0; i < p->nvalues; i++)
        free(p->values[i]);
    free(p->values);
    free(p->path);
    memset(p, 0, sizeof *p);
}

size_t sweep_points(const struct sweep_param *params, size_t nparams)
{
    size_t n = 1;
    for (size_t i = 0; i < nparams; i++)
        n *= params[i].nvalues;
    return n;
}

/* The value index of parameter k at point `point` (the first parameter varies slowest). */
static size_t value_index(const struct sweep_param *params, size_t nparams, size_t point,
                          size_t k)
{
    size_t stride = 1;
    for (size_t j = nparams; j-- > k + 1;)
        stride *= params[j].nvalues;
    return (point / stride) % params[k].nvalues;
}

struct sweep_ctx {
    const struct sweep_request *rq;
    struct scenario **scenarios; /* one per point */
    volatile int *stop;
};

static char *sweep_work(size_t i, void *vctx)
{
    struct sweep_ctx *ctx = vctx;
    size_t reps = ctx->rq->replications;
    const struct scenario *sc = ctx->scenarios[i / reps];
    struct sim_error err = {0};
    struct world *w;
    if (world_create(sc, ctx->rq->seed + i % reps, &w, &err))
        return NULL;
    char *text = NULL;
    if (world_run(w, ctx->stop, NULL, NULL, &err) == 0) {
        cJSON *s = report_summary(w);
        text = cJSON_PrintUnformatted(s);
        cJSON_Delete(s);
    }
    world_free(w);
    return text;
}

int sweep_load(const struct sweep_request *rq, const struct model_ops *const *registry,
               struct scenario ***out, struct sim_error *err)
{
    size_t npoints = sweep_points(rq->params, rq->nparams);
    struct scenario **scs = sim_xcalloc(npoints, sizeof *scs);
    size_t nsets = rq->nsets + rq->nparams;
    const char **sets = sim_xcalloc(nsets + 1, sizeof *sets);
    char **owned = sim_xcalloc(rq->nparams + 1, sizeof *owned);
    int rc = 0;
    for (size_t p = 0; p < npoints && rc == 0; p++) {
        for (size_t i = 0; i < rq->nsets; i++)
            sets[i] = rq->sets[i];
        for (size_t k = 0; k < rq->nparams; k++) {
            const struct sweep_param *prm = &rq->params[k];
            const char *v = prm->values[value_index(rq->params, rq->nparams, p, k)];
            size_t len = strlen(prm->path) + strlen(v) + 2;
            owned[k] = sim_xmalloc(len);
            snprintf(owned[k], len, "%s=%s", prm->path, v);
            sets[rq->nsets + k] = owned[k];
        }
        rc = scenario_load(rq->file, sets, nsets, registry, &scs[p], err);
        for (size_t k = 0; k < rq->nparams; k++) {
            free(owned[k]);
            owned[k] = NULL;
        }
    }
    free(owned);
    free(sets);
    if (rc) {
        for (size_t p = 0; p < npoints; p++)
            scenario_free(scs[p]);
        free(scs);
        return -1;
    }
    *out = scs;
    return 0;
}

static double derived(const cJSON *s, size_t f)
{
    if (figures[f].path)
        return summary_number(s, figures[f].path);
    double arrived = summary_number(s, "requests.arrived");
    double v = f == 5 ? summary_number(s, "requests.rejected")
                      : summary_number(s, "requests.failed") + summary_number(s, "requests.timed_out");
    return arrived > 0 ? v / arrived : NAN;
}

static void csv_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
}

/* The partial file's first line: what the sweep is, so that --resume never mixes sweeps. */
static char *partial_header(const struct sweep_request *rq, size_t n)
{
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "sweep", rq->file);
    cJSON *sets = cJSON_AddArrayToObject(h, "sets");
    for (size_t i = 0; i < rq->nsets; i++)
        cJSON_AddItemToArray(sets, cJSON_CreateString(rq->sets[i]));
    cJSON *params = cJSON_AddObjectToObject(h, "params");
    for (size_t k = 0; k < rq->nparams; k++)
        cJSON_AddItemToObject(params, rq->params[k].path,
                              cJSON_CreateStringArray((const char *const *)rq->params[k].values,
                                                      (int)rq->params[k].nvalues));
    cJSON_AddNumberToObject(h, "replications", rq->replications);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)rq->seed);
    cJSON_AddStringToObject(h, "seed", seed);
    cJSON_AddNumberToObject(h, "pieces", (double)n);
    char *text = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    return text;
}

static void partial_line(FILE *f, size_t i, const char *text)
{
    fprintf(f, "{\"piece\":%zu,\"result\":%s}\n", i, text);
    fflush(f);
}

/* Reads the pieces of an earlier run into texts[]; a line cut short by a kill is skipped. */
static int partial_read(const char *path, const char *header, size_t n, char **texts,
                        size_t *count, struct sim_error *err)
{
    *count = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0, first = 1;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (first) {
            first = 0;
            if (strcmp(line, header) != 0) {
                rc = sim_fail(err, path, "belongs to another sweep (other scenario, parameters, "
                                         "replications or seed); remove it or drop --resume");
                break;
            }
            continue;
        }
        cJSON *o = cJSON_Parse(line);
        const cJSON *piece = cJSON_GetObjectItemCaseSensitive(o, "piece");
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(o, "result");
        if (cJSON_IsNumber(piece) && piece->valuedouble >= 0 && piece->valuedouble < (double)n &&
            cJSON_IsObject(res) && !texts[(size_t)piece->valuedouble]) {
            texts[(size_t)piece->valuedouble] = cJSON_PrintUnformatted(res);
            (*count)++;
        }
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    return rc;
}

struct sweep_progress {
    FILE *f;
    size_t computed;
};

static void sweep_done(size_t i, const char *text, void *vp)
{
    struct sweep_progress *p = vp;
    p->computed++;
    /* An interrupted piece is not finished: a resumed sweep computes it again. */
    cJSON *s = cJSON_Parse(text);
    if (p->f && !cJSON_GetObjectItemCaseSensitive(s, "interrupted"))
        partial_line(p->f, i, text);
    cJSON_Delete(s);
}

int sweep_run(struct sweep_request *rq, struct scenario **scs, volatile int *stop,
              cJSON **result, struct sim_error *err)
{
    size_t npoints = sweep_points(rq->params, rq->nparams);
    size_t reps = rq->replications, n = npoints * reps;
    struct sweep_ctx ctx = {.rq = rq, .scenarios = scs, .stop = stop};
    char **texts = sim_xcalloc(n, sizeof *texts);
    struct sweep_progress prog = {0};
    rq->resumed = rq->computed = 0;
    if (rq->partial) {
        char *header = partial_header(rq, n);
        int rc = rq->resume ? partial_read(rq->partial, header, n, texts, &rq->resumed, err) : 0;
        /* Rewritten from what was kept, so that a line cut short does not stay in the way. */
        if (rc == 0 && !(prog.f = fopen(rq->partial, "w")))
            rc = sim_fail_runtime(err, "cannot write %s: %s", rq->partial, strerror(errno));
        if (rc == 0) {
            fprintf(prog.f, "%s\n", header);
            for (size_t i = 0; i < n; i++)
                if (texts[i])
                    partial_line(prog.f, i, texts[i]);
        }
        free(header);
        if (rc) {
            for (size_t i = 0; i < n; i++)
                free(texts[i]);
            free(texts);
            return -1;
        }
    }
    int jrc = jobs_run_each(n, rq->jobs, sweep_work, &ctx, texts, err, sweep_done, &prog);
    rq->computed = prog.computed;
    if (prog.f)
        fclose(prog.f);
    if (jrc) {
        free(texts);
        return -1;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "scenario", scs[0]->name);
    cJSON_AddNumberToObject(out, "replications", (double)reps);
    cJSON_AddNumberToObject(out, "seed", (double)rq->seed);
    cJSON *params = cJSON_AddArrayToObject(out, "params");
    for (size_t k = 0; k < rq->nparams; k++)
        cJSON_AddItemToArray(params, cJSON_CreateString(rq->params[k].path));
    cJSON *points = cJSON_AddArrayToObject(out, "points");
    cJSON **per = sim_xcalloc(reps, sizeof *per);
    int rc = 0;
    for (size_t p = 0; p < npoints && rc == 0; p++) {
        for (size_t r = 0; r < reps; r++)
            per[r] = cJSON_Parse(texts[p * reps + r]);
        for (size_t r = 0; r < reps; r++)
            if (!per[r])
                rc = sim_fail_runtime(err, "point %zu returned no summary", p + 1);
        if (rc == 0) {
            cJSON *m = replicate_merge(per, reps);
            cJSON *values = cJSON_CreateObject();
            for (size_t k = 0; k < rq->nparams; k++)
                cJSON_AddStringToObject(
                    values, rq->params[k].path,
                    rq->params[k].values[value_index(rq->params, rq->nparams, p, k)]);
            cJSON_AddItemToObject(m, "point", values);
            /* The sweep table's figures: derived ones are averaged over replications too. */
            cJSON *fig = cJSON_AddObjectToObject(m, "figures");
            for (size_t f = 0; f < NFIGURES; f++) {
                double sum = 0;
                for (size_t r = 0; r < reps; r++)
                    sum += derived(per[r], f);
                double v = sum / (double)reps;
                if (isfinite(v))
                    cJSON_AddNumberToObject(fig, figures[f].column, v);
                else
                    cJSON_AddNullToObject(fig, figures[f].column);
            }
            cJSON_AddItemToArray(points, m);
        }
        for (size_t r = 0; r < reps; r++)
            cJSON_Delete(per[r]);
    }
    free(per);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    if (rc) {
        cJSON_Delete(out);
        return -1;
    }
    *result = out;
    return 0;
}

int sweep_write_csv(const cJSON *result, FILE *f)
{
    const cJSON *params = cJSON_GetObjectItem(result, "params");
    int reps = (int)summary_number(result, "replications");
    for (const cJSON *p = params->child; p; p = p->next)
        fprintf(f, "%s,", p->valuestring);
    for (size_t k = 0; k < NFIGURES; k++) {
        fprintf(f, "%s%s", k ? "," : "", figures[k].column);
        if (reps > 1 && figures[k].ci)
            fprintf(f, ",%s_ci95", figures[k].column);
    }
    fputc('\n', f);
    for (const cJSON *pt = cJSON_GetObjectItem(result, "points")->child; pt; pt = pt->next) {
        const cJSON *values = cJSON_GetObjectItem(pt, "point");
        for (const cJSON *p = params->child; p; p = p->next)
            fprintf(f, "%s,", cJSON_GetObjectItem(values, p->valuestring)->valuestring);
        const cJSON *fig = cJSON_GetObjectItem(pt, "figures");
        const cJSON *ci = cJSON_GetObjectItem(pt, "ci95");
        for (size_t k = 0; k < NFIGURES; k++) {
            if (k)
                fputc(',', f);
            csv_number(f, summary_number(fig, figures[k].column));
            if (reps > 1 && figures[k].ci) {
                fputc(',', f);
                /* ci95 keys contain dots, so they are looked up whole. */
                const cJSON *h = cJSON_GetObjectItem(ci, figures[k].ci);
                csv_number(f, cJSON_IsNumber(h) ? h->valuedouble : NAN);
            }
        }
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

void sweep_print(const cJSON *result, FILE *out)
{
    const cJSON *params = cJSON_GetObjectItem(result, "params");
    for (const cJSON *p = params->child; p; p = p->next)
        fprintf(out, "%-24s ", p->valuestring);
    fprintf(out, "%12s %10s %10s %10s %9s %9s\n", "throughput/s", "mean ms", "p50 ms", "p99 ms",
            "rejected", "failed");
    for (const cJSON *pt = cJSON_GetObjectItem(result, "points")->child; pt; pt = pt->next) {
        const cJSON *values = cJSON_GetObjectItem(pt, "point");
        for (const cJSON *p = params->child; p; p = p->next)
            fprintf(out, "%-24s ", cJSON_GetObjectItem(values, p->valuestring)->valuestring);
        const cJSON *fig = cJSON_GetObjectItem(pt, "figures");
        fprintf(out, "%12.6g %10.4g %10.4g %10.4g %8.2f%% %8.2f%%\n",
                summary_number(fig, "throughput_rps"), summary_number(fig, "mean_ms"),
                summary_number(fig, "p50_ms"), summary_number(fig, "p99_ms"),
                100 * summary_number(fig, "rejected_frac"),
                100 * summary_number(fig, "failed_frac"));
    }
}
