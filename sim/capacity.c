/* Capacity searches: bracket the answer by doubling or halving from a start value, then bisect.
 * A point passes when, over its replications, the upper end of the 95% confidence interval of
 * every objective lies within its limit (and likewise the error fraction), so the answer holds
 * with 95% confidence at each point rather than only on average. */
#include "sim/capacity.h"
#include "sim/jobs.h"
#include "sim/replicate.h"
#include "sim/report.h"
#include "sim/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CAP_MAX_POINTS 60

int capacity_parse_slo(const char *arg, struct slo *out, struct sim_error *err)
{
    static const char *const names[] = {"mean", "p50", "p90", "p95", "p99", "p999", "max", NULL};
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : 0;
    int known = 0;
    for (size_t i = 0; names[i] && n; i++)
        known |= strlen(names[i]) == n && strncmp(names[i], arg, n) == 0;
    if (!known)
        return sim_fail(err, NULL, "--slo takes STAT=DURATION with STAT one of mean, p50, p90, "
                                   "p95, p99, p999, max (e.g. p99=200ms), got \"%s\"", arg);
    double limit;
    if (units_parse_duration(eq + 1, &limit) != 0 || !(limit > 0))
        return sim_fail(err, NULL, "--slo %.*s: \"%s\" is not a duration above 0", (int)n, arg,
                        eq + 1);
    snprintf(out->path, sizeof out->path, "latency_ms.%.*s", (int)n, arg);
    out->limit = limit * 1e3;
    return 0;
}

int capacity_is_load(const char *path)
{
    return strncmp(path, "workload.", 9) == 0;
}

/* The scenario's own value at a --set path (components.ID.field or dotted members), if it is
 * a number; NaN otherwise. */
static double current_value(const struct scenario *sc, const char *path)
{
    const cJSON *node = sc->root;
    char seg[256];
    int in_components = 0;
    while (*path && node) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof seg)
            return NAN;
        memcpy(seg, path, n);
        seg[n] = '\0';
        if (in_components) {
            int i = scenario_find(sc, seg);
            node = i >= 0 ? cJSON_GetArrayItem(node, i) : NULL;
            in_components = 0;
        } else {
            node = cJSON_GetObjectItemCaseSensitive(node, seg);
            in_components = node == cJSON_GetObjectItemCaseSensitive(sc->root, "components");
        }
        path += n + (path[n] == '.');
    }
    return cJSON_IsNumber(node) ? node->valuedouble : NAN;
}

struct cap_ctx {
    const struct scenario *sc;
    uint64_t seed;
    volatile int *stop;
};

static char *cap_work(size_t i, void *vctx)
{
    struct cap_ctx *ctx = vctx;
    struct sim_error err = {0};
    struct world *w;
    if (world_create(ctx->sc, ctx->seed + i, &w, &err))
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

static double error_fraction(const cJSON *s)
{
    double arrived = summary_number(s, "requests.arrived");
    double bad = summary_number(s, "requests.rejected") + summary_number(s, "requests.failed") +
                 summary_number(s, "requests.timed_out");
    return arrived > 0 ? bad / arrived : 0;
}

int capacity_point(const struct capacity_request *rq, const struct model_ops *const *registry,
                   double value, cJSON *points, int *pass, struct sim_error *err)
{
    char assign[512], dur[64], warm[64];
    snprintf(assign, sizeof assign, rq->integer ? "%s=%.0f" : "%s=%.10g", rq->vary, value);
    const char **sets = sim_xcalloc(rq->nsets + 3, sizeof *sets);
    size_t nsets = 0;
    for (size_t i = 0; i < rq->nsets; i++)
        sets[nsets++] = rq->sets[i];
    sets[nsets++] = assign;
    double rate = value * rq->rate_per_unit;
    if (rq->target_requests > 0 && rate > 0 && rq->base_duration > 0 &&
        rq->target_requests / rate < rq->base_duration) {
        /* At high load fewer seconds give as many requests: the precision of the figures
         * depends on the requests counted, not on the simulated time. */
        double d = fmax(rq->min_duration, rq->target_requests / rate);
        double frac = rq->base_warmup / rq->base_duration;
        snprintf(dur, sizeof dur, "duration=%.6g", d);
        snprintf(warm, sizeof warm, "metrics.warmup=%.6g", d * frac);
        sets[nsets++] = dur;
        sets[nsets++] = warm;
    }
    struct scenario *sc;
    int rc = scenario_load(rq->file, sets, nsets, registry, &sc, err);
    free(sets);
    if (rc)
        return -1;
    unsigned reps = rq->replications;
    struct cap_ctx ctx = {.sc = sc, .seed = rq->has_seed ? rq->seed : sc->seed, .stop = rq->stop};
    char **texts = sim_xcalloc(reps, sizeof *texts);
    rc = jobs_run(reps, rq->jobs, cap_work, &ctx, texts, err);
    scenario_free(sc);
    if (rc) {
        free(texts);
        return -1;
    }
    cJSON **all = sim_xcalloc(reps, sizeof *all);
    double *x = sim_xcalloc(reps, sizeof *x);
    for (unsigned r = 0; r < reps; r++)
        if (!(all[r] = cJSON_Parse(texts[r])))
            rc = sim_fail_runtime(err, "a replication returned no summary");
    cJSON *pt = cJSON_CreateObject();
    cJSON_AddNumberToObject(pt, "value", value);
    *pass = rc == 0;
    for (size_t k = 0; k < rq->nslos && rc == 0; k++) {
        int ok = 1;
        for (unsigned r = 0; r < reps; r++) {
            x[r] = summary_number(all[r], rq->slos[k].path);
            ok &= isfinite(x[r]);
        }
        double mean, half = replicate_half_width(x, reps, &mean);
        /* No completed request at all: nothing meets a latency objective. */
        int meets = ok && mean + (rq->on_mean ? 0 : half) <= rq->slos[k].limit;
        *pass &= meets;
        cJSON *o = cJSON_AddObjectToObject(pt, rq->slos[k].path);
        if (ok) {
            cJSON_AddNumberToObject(o, "mean", mean);
            cJSON_AddNumberToObject(o, "ci95", half);
        }
        cJSON_AddBoolToObject(o, "meets", meets);
    }
    if (rc == 0) {
        for (unsigned r = 0; r < reps; r++)
            x[r] = error_fraction(all[r]);
        double mean, half = replicate_half_width(x, reps, &mean);
        int meets = mean + (rq->on_mean ? 0 : half) <= rq->max_errors;
        *pass &= meets;
        cJSON *o = cJSON_AddObjectToObject(pt, "errors");
        cJSON_AddNumberToObject(o, "mean", mean);
        cJSON_AddNumberToObject(o, "ci95", half);
        cJSON_AddBoolToObject(o, "meets", meets);
        /* The headline figures, averaged over the replications, for tables and plots. */
        static const char *const shown[] = {"throughput_rps", "latency_ms.mean", "latency_ms.p50",
                                            "latency_ms.p99", "requests.arrived", NULL};
        cJSON *fig = cJSON_AddObjectToObject(pt, "figures");
        for (size_t k = 0; shown[k]; k++) {
            int ok = 1;
            for (unsigned r = 0; r < reps; r++) {
                x[r] = summary_number(all[r], shown[k]);
                ok &= isfinite(x[r]);
            }
            replicate_half_width(x, reps, &mean);
            if (ok)
                cJSON_AddNumberToObject(fig, shown[k], mean);
            else
                cJSON_AddNullToObject(fig, shown[k]);
        }
        double span = summary_number(all[0], "duration_s") - summary_number(all[0], "warmup_s");
        const cJSON *arrived = cJSON_GetObjectItem(fig, "requests.arrived");
        cJSON_AddNumberToObject(fig, "offered_rps", span > 0 && cJSON_IsNumber(arrived)
                                                        ? arrived->valuedouble / span
                                                        : 0);
        cJSON_AddNumberToObject(fig, "errors_frac", summary_number(o, "mean"));
        cJSON_AddBoolToObject(pt, "pass", *pass);
        cJSON_AddItemToArray(points, pt);
        if (rq->progress) {
            fprintf(rq->progress, "  %s = %-12.6g %s", rq->vary, value,
                    *pass ? "meets the objectives" : "misses");
            for (size_t k = 0; k < rq->nslos; k++) {
                const cJSON *o2 = cJSON_GetObjectItem(pt, rq->slos[k].path);
                fprintf(rq->progress, "  %s %.4g ms ± %.3g", rq->slos[k].path + 11,
                        summary_number(o2, "mean"), summary_number(o2, "ci95"));
            }
            fprintf(rq->progress, "  errors %.3g%%\n", 100 * summary_number(o, "mean"));
        }
    } else {
        cJSON_Delete(pt);
    }
    for (unsigned r = 0; r < reps; r++) {
        cJSON_Delete(all[r]);
        free(texts[r]);
    }
    free(all);
    free(texts);
    free(x);
    return rc;
}

static int narrow(const struct capacity_request *rq, double lo, double hi)
{
    if (rq->integer)
        return hi - lo > 1;
    return (hi - lo) > rq->tolerance * fmax(fabs(hi), 1e-12);
}

int capacity_search(const struct capacity_request *rq, const struct model_ops *const *registry,
                    cJSON **result, struct sim_error *err)
{
    *result = NULL;
    struct scenario *sc;
    if (scenario_load(rq->file, rq->sets, rq->nsets, registry, &sc, err))
        return -1;
    double start = isfinite(rq->from) ? rq->from : current_value(sc, rq->vary);
    scenario_free(sc);
    if (!isfinite(start) || start <= 0)
        start = 1;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "vary", rq->vary);
    cJSON_AddStringToObject(out, "goal", rq->maximise ? "most that meets the objectives"
                                                      : "fewest that meet the objectives");
    cJSON *points = cJSON_AddArrayToObject(out, "points");
    /* "below" means on the low side of the boundary: passing when maximising load, failing
     * when minimising resources. lo is always below, hi never. */
    double lo = NAN, hi = NAN, v = start;
    double cap = isfinite(rq->to) ? rq->to : start * 1048576;
    double floor_v = isfinite(rq->from) ? rq->from : (rq->integer ? 1 : start / 1048576);
    int pass, rc = 0, tries = 0;
    if ((rc = capacity_point(rq, registry, v, points, &pass, err)) != 0)
        goto done;
    tries++;
    int below = rq->maximise ? pass : !pass;
    if (below)
        lo = v;
    else
        hi = v;
    while (!(isfinite(lo) && isfinite(hi)) && tries < CAP_MAX_POINTS &&
           !(rq->stop && *rq->stop)) {
        double next = below ? fmin(cap, rq->integer ? ceil(v * 2) : v * 2)
                            : fmax(floor_v, rq->integer ? floor(v / 2) : v / 2);
        if (next == v)
            break; /* the end of the range: the answer lies beyond it */
        v = next;
        if ((rc = capacity_point(rq, registry, v, points, &pass, err)) != 0)
            goto done;
        tries++;
        if (rq->maximise ? pass : !pass)
            lo = v;
        else
            hi = v;
    }
    /* Bisection inside [lo, hi]. */
    while (isfinite(lo) && isfinite(hi) && narrow(rq, lo, hi) && tries < CAP_MAX_POINTS &&
           !(rq->stop && *rq->stop)) {
        double mid = rq->integer ? floor((lo + hi) / 2) : (lo + hi) / 2;
        if ((rc = capacity_point(rq, registry, mid, points, &pass, err)) != 0)
            goto done;
        tries++;
        if (rq->maximise ? pass : !pass)
            lo = mid;
        else
            hi = mid;
    }
    double answer = rq->maximise ? lo : hi;
    if (isfinite(answer)) {
        cJSON_AddNumberToObject(out, "answer", answer);
        /* An answer at the end of the range searched is a bound, not the capacity. */
        int open = rq->maximise ? !isfinite(hi)
                                : !isfinite(lo) && !(rq->integer && hi <= floor_v);
        cJSON_AddBoolToObject(out, "bounded", !open);
    } else {
        cJSON_AddNullToObject(out, "answer");
        cJSON_AddBoolToObject(out, "bounded", 0);
    }
done:
    if (rc) {
        cJSON_Delete(out);
        return -1;
    }
    *result = out;
    return 0;
}
