/* Independent replications: run in parallel processes, averaged, with 95% confidence
 * half-widths from Student's t over the replication values (each replication is one i.i.d.
 * observation of the figure, so the interval is exact for normal figures and asymptotically
 * right otherwise). */
#include "sim/replicate.h"
#include "sim/jobs.h"
#include "sim/report.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const replicate_ci_paths[] = {
    "latency_ms.mean", "latency_ms.p50", "latency_ms.p99", "throughput_rps",
    "requests.rejected", "requests.failed", "requests.timed_out", NULL,
};

double summary_number(const cJSON *s, const char *path)
{
    char seg[128];
    const cJSON *node = s;
    while (*path && node) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof seg)
            return NAN;
        memcpy(seg, path, n);
        seg[n] = '\0';
        node = cJSON_GetObjectItemCaseSensitive(node, seg);
        path += n + (path[n] == '.');
    }
    return cJSON_IsNumber(node) ? node->valuedouble : NAN;
}

double replicate_half_width(const double *x, size_t n, double *mean)
{
    double m = 0, v = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m = n ? m / (double)n : NAN;
    if (mean)
        *mean = m;
    if (n < 2)
        return 0;
    for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    v /= (double)(n - 1);
    return gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sqrt(v / (double)n);
}

/* Averages node across the same node in every summary, recursively. */
static cJSON *mean_of(const cJSON *const *nodes, size_t n)
{
    const cJSON *first = nodes[0];
    if (cJSON_IsNumber(first)) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            if (!cJSON_IsNumber(nodes[i]))
                return cJSON_CreateNull();
            sum += nodes[i]->valuedouble;
        }
        return cJSON_CreateNumber(sum / (double)n);
    }
    if (cJSON_IsObject(first) || cJSON_IsArray(first)) {
        cJSON *out = cJSON_IsObject(first) ? cJSON_CreateObject() : cJSON_CreateArray();
        const cJSON **kids = sim_xcalloc(n, sizeof *kids);
        int idx = 0;
        for (const cJSON *c = first->child; c; c = c->next, idx++) {
            int ok = 1;
            for (size_t i = 0; i < n; i++) {
                kids[i] = cJSON_IsObject(first) ? cJSON_GetObjectItemCaseSensitive(nodes[i],
                                                                                  c->string)
                                                : cJSON_GetArrayItem(nodes[i], idx);
                ok &= kids[i] != NULL && kids[i]->type == c->type;
            }
            /* A member that differs in shape between replications is taken from the first. */
            cJSON *m = ok ? mean_of(kids, n) : cJSON_Duplicate(c, 1);
            if (cJSON_IsObject(first))
                cJSON_AddItemToObject(out, c->string, m);
            else
                cJSON_AddItemToArray(out, m);
        }
        free(kids);
        return out;
    }
    return cJSON_Duplicate(first, 1);
}

cJSON *replicate_merge(cJSON *const *summaries, size_t n)
{
    cJSON *out = mean_of((const cJSON *const *)summaries, n);
    /* Figures that are the same in every replication, or that name it, stay as in the first. */
    static const char *const keep[] = {"seed", "duration_s", "warmup_s", "scenario", NULL};
    for (size_t k = 0; keep[k]; k++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(summaries[0], keep[k]);
        if (v)
            cJSON_ReplaceItemInObjectCaseSensitive(out, keep[k], cJSON_Duplicate(v, 1));
    }
    cJSON_ReplaceItemInObjectCaseSensitive(out, "replications", cJSON_CreateNumber((double)n));
    cJSON *ci = cJSON_AddObjectToObject(out, "ci95");
    double *x = sim_xcalloc(n, sizeof *x);
    for (size_t k = 0; replicate_ci_paths[k]; k++) {
        int ok = 1;
        for (size_t i = 0; i < n; i++) {
            x[i] = summary_number(summaries[i], replicate_ci_paths[k]);
            ok &= isfinite(x[i]);
        }
        if (ok)
            cJSON_AddNumberToObject(ci, replicate_ci_paths[k], replicate_half_width(x, n, NULL));
        else
            cJSON_AddNullToObject(ci, replicate_ci_paths[k]);
    }
    free(x);
    cJSON *each = cJSON_AddArrayToObject(out, "replication_results");
    for (size_t i = 0; i < n; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddItemToObject(r, "seed",
                              cJSON_Duplicate(cJSON_GetObjectItem(summaries[i], "seed"), 1));
        for (size_t k = 0; replicate_ci_paths[k]; k++) {
            double v = summary_number(summaries[i], replicate_ci_paths[k]);
            if (isfinite(v))
                cJSON_AddNumberToObject(r, replicate_ci_paths[k], v);
            else
                cJSON_AddNullToObject(r, replicate_ci_paths[k]);
        }
        cJSON_AddItemToArray(each, r);
    }
    return out;
}

struct rep_ctx {
    const struct scenario *sc;
    uint64_t seed;
    volatile int *stop;
    struct world *first;
    int first_rc;
    struct sim_error first_err;
};

static char *rep_work(size_t i, void *vctx)
{
    struct rep_ctx *ctx = vctx;
    struct sim_error err = {0};
    struct world *w;
    if (world_create(ctx->sc, ctx->seed + i + 1, &w, &err))
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

static void rep_first(void *vctx)
{
    struct rep_ctx *ctx = vctx;
    ctx->first_rc = world_create(ctx->sc, ctx->seed, &ctx->first, &ctx->first_err);
    if (ctx->first_rc == 0)
        ctx->first_rc = world_run(ctx->first, ctx->stop, NULL, NULL, &ctx->first_err);
}

int replicate_run(const struct scenario *sc, uint64_t seed, unsigned reps, unsigned jobs,
                  volatile int *stop, struct world **first, cJSON **summary,
                  struct sim_error *err)
{
    *first = NULL;
    *summary = NULL;
    struct rep_ctx ctx = {.sc = sc, .seed = seed, .stop = stop};
    char **texts = sim_xcalloc(reps, sizeof *texts);
    int rc = jobs_run_with(reps - 1, jobs, rep_work, &ctx, texts, err, rep_first, &ctx);
    if (ctx.first_rc != 0) {
        if (!err->code)
            *err = ctx.first_err;
        rc = -1;
    }
    if (rc == 0) {
        cJSON **all = sim_xcalloc(reps, sizeof *all);
        all[0] = report_summary(ctx.first);
        for (unsigned i = 1; i < reps && rc == 0; i++)
            if (!(all[i] = cJSON_Parse(texts[i - 1])))
                rc = sim_fail_runtime(err, "replication %u returned no summary", i);
        if (rc == 0)
            *summary = replicate_merge(all, reps);
        for (unsigned i = 0; i < reps; i++)
            cJSON_Delete(all[i]);
        free(all);
    }
    for (unsigned i = 0; i + 1 < reps; i++)
        free(texts[i]);
    free(texts);
    if (rc) {
        world_free(ctx.first);
        return -1;
    }
    *first = ctx.first;
    return 0;
}
