/* The results of a run: the summary object, the CSV files and the human summary. Files are
 * written under temporary names and renamed only when all of them were written, so a failed
 * run never leaves a partial result. */
#include "sim/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- atomic output --------------------------------------------------------------------- */

int mkdir_p(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static void tmp_name(const struct outset *o, size_t i, char *buf, size_t len)
{
    snprintf(buf, len, "%s/.%s.tmp%ld", o->dir, o->names[i], (long)getpid());
}

int outset_open(struct outset *o, const char *dir, struct sim_error *err)
{
    memset(o, 0, sizeof *o);
    snprintf(o->dir, sizeof o->dir, "%s", dir);
    if (mkdir_p(dir) != 0)
        return sim_fail_runtime(err, "cannot create the output folder %s: %s", dir,
                                strerror(errno));
    return 0;
}

FILE *outset_file(struct outset *o, const char *name)
{
    SIM_ASSERT(o->n < 16 && !o->cur);
    snprintf(o->names[o->n], sizeof o->names[0], "%s", name);
    char path[4096];
    tmp_name(o, o->n, path, sizeof path);
    o->n++;
    o->cur = fopen(path, "w");
    if (!o->cur)
        o->failed = errno ? errno : EIO;
    return o->cur;
}

int outset_close_file(struct outset *o)
{
    if (!o->cur)
        return -1;
    int bad = ferror(o->cur);
    if (fclose(o->cur) != 0 || bad) {
        o->failed = errno ? errno : EIO;
        o->cur = NULL;
        return -1;
    }
    o->cur = NULL;
    return 0;
}

void outset_abort(struct outset *o)
{
    char path[4096];
    if (o->cur) {
        fclose(o->cur);
        o->cur = NULL;
    }
    for (size_t i = 0; i < o->n; i++) {
        tmp_name(o, i, path, sizeof path);
        unlink(path);
    }
    o->n = 0;
}

int outset_commit(struct outset *o, struct sim_error *err)
{
    char from[4096], to[4096];
    if (o->failed) {
        int e = o->failed;
        outset_abort(o);
        return sim_fail_runtime(err, "cannot write the results in %s: %s", o->dir, strerror(e));
    }
    for (size_t i = 0; i < o->n; i++) {
        tmp_name(o, i, from, sizeof from);
        snprintf(to, sizeof to, "%s/%s", o->dir, o->names[i]);
        if (rename(from, to) != 0) {
            int e = errno;
            outset_abort(o);
            return sim_fail_runtime(err, "cannot write %s: %s", to, strerror(e));
        }
    }
    o->n = 0;
    return 0;
}

/* ---- the summary ----------------------------------------------------------------------- */

/* Numbers in the summary: NaN and infinities have no JSON form, so they become null. */
static void add_num(cJSON *obj, const char *name, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(obj, name, v);
    else
        cJSON_AddNullToObject(obj, name);
}

static cJSON *latency_object(const struct hist *h, int full)
{
    cJSON *o = cJSON_CreateObject();
    int any = hist_count(h) > 0;
    add_num(o, "mean", any ? hist_mean(h) * 1e3 : NAN);
    if (full) {
        add_num(o, "p50", any ? hist_quantile(h, 0.50) * 1e3 : NAN);
        add_num(o, "p90", any ? hist_quantile(h, 0.90) * 1e3 : NAN);
        add_num(o, "p95", any ? hist_quantile(h, 0.95) * 1e3 : NAN);
    }
    add_num(o, "p99", any ? hist_quantile(h, 0.99) * 1e3 : NAN);
    if (full) {
        add_num(o, "p999", any ? hist_quantile(h, 0.999) * 1e3 : NAN);
        add_num(o, "max", any ? hist_max(h) * 1e3 : NAN);
    }
    return o;
}

cJSON *report_hot_keys(const struct hotkeys *h, size_t max)
{
    cJSON *arr = cJSON_CreateArray();
    struct hotkey *top = sim_xmalloc((max ? max : 1) * sizeof *top);
    size_t n = hotkeys_top(h, top, max);
    uint64_t total = hotkeys_total(h);
    for (size_t i = 0; i < n; i++) {
        cJSON *k = cJSON_CreateObject();
        cJSON_AddNumberToObject(k, "key", (double)top[i].key);
        cJSON_AddNumberToObject(k, "requests", (double)top[i].count);
        add_num(k, "share", (double)top[i].count / (double)total);
        /* Space-Saving's bound: the true count is at least requests - max_error. */
        cJSON_AddNumberToObject(k, "max_error", (double)top[i].error);
        cJSON_AddItemToArray(arr, k);
    }
    free(top);
    return arr;
}

static cJSON *component_object(struct world *w, struct comp *c)
{
    struct sim *sim = &w->sim;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", c->ops->name);
    uint32_t nodes = c->ops->node_count ? c->ops->node_count(c) : (uint32_t)c->spec->nodes;
    cJSON_AddNumberToObject(o, "nodes", nodes);
    cJSON_AddNumberToObject(o, "requests", (double)c->requests);
    cJSON_AddNumberToObject(o, "rejected", (double)c->rejected);
    cJSON_AddNumberToObject(o, "failed", (double)c->failed);
    cJSON_AddNumberToObject(o, "retries", (double)c->retries);
    cJSON_AddItemToObject(o, "latency_ms", latency_object(&c->latency, 0));
    if (c->ops->node_stats && nodes > 0) {
        cJSON *per = cJSON_AddArrayToObject(o, "per_node");
        struct runstat load;
        runstat_init(&load);
        double util = 0, most = 0;
        double *reqs = sim_xmalloc(nodes * sizeof *reqs), *keys = sim_xmalloc(nodes * sizeof *keys);
        int any_keys = 0;
        for (uint32_t i = 0; i < nodes; i++) {
            struct node_stats ns = {0};
            c->ops->node_stats(c, sim, i, &ns);
            reqs[i] = (double)ns.requests;
            keys[i] = (double)ns.keys;
            any_keys |= ns.keys > 0;
            cJSON *n = cJSON_CreateObject();
            cJSON_AddNumberToObject(n, "node", i);
            cJSON_AddNumberToObject(n, "requests", (double)ns.requests);
            add_num(n, "utilization", ns.util);
            cJSON_AddItemToArray(per, n);
            runstat_add(&load, (double)ns.requests);
            util += ns.util;
            most = fmax(most, (double)ns.requests);
        }
        add_num(o, "utilization", util / nodes);
        cJSON *skew = cJSON_AddObjectToObject(o, "skew");
        /* Population figures over the nodes: a node count of one has no skew. */
        double mean = load.mean;
        double sd = nodes > 1 ? sqrt(runstat_var(&load) * (nodes - 1) / nodes) : 0;
        add_num(skew, "max_over_mean", mean > 0 ? most / mean : NAN);
        add_num(skew, "cov", mean > 0 ? sd / mean : NAN);
        add_num(skew, "gini", hotkeys_gini(reqs, nodes));
        /* Only models that hold keys report them; the others leave every count 0. */
        if (any_keys)
            add_num(skew, "keys_gini", hotkeys_gini(keys, nodes));
        free(reqs);
        free(keys);
    }
    if (c->ops->report)
        c->ops->report(c, sim, o);
    return o;
}

cJSON *report_summary(struct world *w)
{
    const struct scenario *sc = w->sc;
    world_flush_latency(w); /* a no-op after world_run; for engines driven by hand */
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "scenario", sc->name);
    cJSON_AddNumberToObject(s, "seed", (double)w->seed);
    cJSON_AddNumberToObject(s, "duration_s", sc->duration);
    cJSON_AddNumberToObject(s, "warmup_s", sc->warmup_auto ? w->autowarm.detected : sc->warmup);
    if (sc->warmup_auto) {
        /* MSER-5 over the intervals' mean end-to-end latency; see world.c autowarm_apply. */
        cJSON *aw = cJSON_AddObjectToObject(s, "warmup_auto");
        cJSON_AddStringToObject(aw, "method", "MSER-5 on interval mean latencies");
        cJSON_AddNumberToObject(aw, "intervals", (double)w->autowarm.n);
        cJSON_AddNumberToObject(aw, "intervals_dropped", (double)w->autowarm.cut);
        add_num(aw, "statistic", w->autowarm.statistic);
    }
    cJSON_AddNumberToObject(s, "simulated_s", w->sim.now);
    cJSON_AddNumberToObject(s, "events", (double)w->sim.dispatched);
    cJSON_AddNumberToObject(s, "wall_s", w->wall_s);
    if (w->interrupted)
        cJSON_AddTrueToObject(s, "interrupted");
    cJSON *r = cJSON_AddObjectToObject(s, "requests");
    cJSON_AddNumberToObject(r, "arrived", (double)w->arrived);
    cJSON_AddNumberToObject(r, "completed", (double)w->completed);
    cJSON_AddNumberToObject(r, "rejected", (double)w->rejected);
    cJSON_AddNumberToObject(r, "failed", (double)w->failed);
    cJSON_AddNumberToObject(r, "timed_out", (double)w->timed_out);
    /* With an automatic warm-up, arrivals are trimmed by arrival interval and outcomes by
     * completion interval, so the difference is approximate and kept from going negative. */
    double in_flight = (double)w->arrived - (double)w->completed - (double)w->rejected -
                       (double)w->failed - (double)w->timed_out;
    cJSON_AddNumberToObject(r, "in_flight", in_flight > 0 ? in_flight : 0);
    double span = w->sim.now - (sc->warmup_auto ? w->autowarm.detected : sc->warmup);
    add_num(s, "throughput_rps", span > 0 ? (double)w->completed / span : NAN);
    cJSON_AddItemToObject(s, "latency_ms", latency_object(&w->latency, 1));
    cJSON *ops = cJSON_AddObjectToObject(s, "ops");
    for (size_t i = 0; i < sc->wl.nops; i++) {
        cJSON *op = cJSON_AddObjectToObject(ops, sc->wl.op_names[i]);
        cJSON_AddNumberToObject(op, "completed", (double)w->ops[i].completed);
        cJSON_AddItemToObject(op, "latency_ms",
                              latency_object(sc->wl.nops > 1 ? &w->ops[i].latency : &w->latency,
                                             0));
    }
    if (w->hot)
        cJSON_AddItemToObject(s, "hot_keys", report_hot_keys(w->hot, WORLD_HOT_REPORTED));
    cJSON *comps = cJSON_AddObjectToObject(s, "components");
    for (size_t i = 0; i < w->ncomp; i++)
        cJSON_AddItemToObject(comps, w->comps[i].spec->id, component_object(w, &w->comps[i]));
    cJSON_AddNumberToObject(s, "replications", 1);
    return s;
}

/* ---- files ----------------------------------------------------------------------------- */

static void write_series(const struct series *s, FILE *f)
{
    for (size_t c = 0; c < s->ncols; c++)
        fprintf(f, "%s%s", c ? "," : "", s->names[c]);
    fputc('\n', f);
    for (size_t r = 0; r < s->nrows; r++) {
        for (size_t c = 0; c < s->ncols; c++) {
            double v = series_get(s, r, c);
            if (c)
                fputc(',', f);
            if (isfinite(v))
                fprintf(f, "%.6g", v);
        }
        fputc('\n', f);
    }
}

static void write_nodes(struct world *w, FILE *f)
{
    fputs("component,node,requests,utilization,keys\n", f);
    for (size_t i = 0; i < w->ncomp; i++) {
        struct comp *c = &w->comps[i];
        if (!c->ops->node_stats)
            continue;
        uint32_t nodes = c->ops->node_count ? c->ops->node_count(c) : (uint32_t)c->spec->nodes;
        for (uint32_t n = 0; n < nodes; n++) {
            struct node_stats ns = {0};
            c->ops->node_stats(c, &w->sim, n, &ns);
            fprintf(f, "%s,%u,%llu,", c->spec->id, n, (unsigned long long)ns.requests);
            if (isfinite(ns.util))
                fprintf(f, "%.6g", ns.util);
            fprintf(f, ",%llu\n", (unsigned long long)ns.keys);
        }
    }
}

/* One row per key movement that any component recorded in its summary's "key_moves". */
static void write_keymoves(const cJSON *summary, FILE *f)
{
    static const char *const cols[] = {"nodes_before", "nodes_after", "keys", "moved",
                                       "moved_fraction", "ideal_fraction", NULL};
    /* Empty for a move without a copy stream. */
    static const char *const mig_cols[] = {
        "migration_planned", "migrated_keys",   "migrated_bytes", "migration_dropped",
        "migration_start_s", "migration_end_s", "migration_s",    NULL};
    fputs("at_s,component,nodes_before,nodes_after,keys,moved,moved_fraction,ideal_fraction,"
          "migration_planned,migrated_keys,migrated_bytes,migration_dropped,migration_start_s,"
          "migration_end_s,migration_s\n",
          f);
    const cJSON *comps = cJSON_GetObjectItemCaseSensitive(summary, "components");
    for (const cJSON *c = comps ? comps->child : NULL; c; c = c->next) {
        const cJSON *moves = cJSON_GetObjectItemCaseSensitive(c, "key_moves");
        for (const cJSON *m = cJSON_IsArray(moves) ? moves->child : NULL; m; m = m->next) {
            const cJSON *at = cJSON_GetObjectItemCaseSensitive(m, "at_s");
            fprintf(f, "%.9g,%s", cJSON_IsNumber(at) ? at->valuedouble : NAN, c->string);
            for (size_t i = 0; cols[i]; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, cols[i]);
                fprintf(f, ",%.9g", cJSON_IsNumber(v) ? v->valuedouble : NAN);
            }
            for (size_t i = 0; mig_cols[i]; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, mig_cols[i]);
                if (cJSON_IsNumber(v))
                    fprintf(f, ",%.9g", v->valuedouble);
                else
                    fputc(',', f);
            }
            fputc('\n', f);
        }
    }
}

int report_write(struct world *w, const cJSON *summary, const char *dir, struct sim_error *err)
{
    struct outset o;
    world_flush_latency(w); /* latency.csv; a no-op after world_run */
    if (outset_open(&o, dir, err))
        return -1;
    FILE *f;
    char *text = cJSON_Print(summary);
    if ((f = outset_file(&o, "summary.json"))) {
        fputs(text, f);
        fputc('\n', f);
        outset_close_file(&o);
    }
    free(text);
    if ((f = outset_file(&o, "timeseries.csv"))) {
        write_series(&w->series, f);
        outset_close_file(&o);
    }
    if ((f = outset_file(&o, "latency.csv"))) {
        hist_write_csv(&w->latency, f);
        outset_close_file(&o);
    }
    if ((f = outset_file(&o, "nodes.csv"))) {
        write_nodes(w, f);
        outset_close_file(&o);
    }
    if ((f = outset_file(&o, "keymoves.csv"))) {
        write_keymoves(summary, f);
        outset_close_file(&o);
    }
    return outset_commit(&o, err);
}

/* ---- the human summary ----------------------------------------------------------------- */

static double num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

void report_print(const cJSON *s, FILE *out)
{
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(s, "requests");
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(s, "latency_ms");
    double wall = num(s, "wall_s"), events = num(s, "events");
    fprintf(out, "%s: seed %.0f, %.6g s simulated (warm-up %.6g s), %.0f events in %.2f s wall"
                 " (%.2fM events/s)%s\n",
            cJSON_GetObjectItemCaseSensitive(s, "scenario")->valuestring, num(s, "seed"),
            num(s, "simulated_s"), num(s, "warmup_s"), events, wall,
            wall > 0 ? events / wall / 1e6 : 0,
            cJSON_GetObjectItemCaseSensitive(s, "interrupted") ? "  [INTERRUPTED]" : "");
    fprintf(out, "requests   arrived %.0f  completed %.0f  rejected %.0f  failed %.0f  "
                 "timed out %.0f  throughput %.6g/s\n",
            num(req, "arrived"), num(req, "completed"), num(req, "rejected"), num(req, "failed"),
            num(req, "timed_out"), num(s, "throughput_rps"));
    fprintf(out, "latency ms mean %.4g  p50 %.4g  p90 %.4g  p95 %.4g  p99 %.4g  p99.9 %.4g  "
                 "max %.4g\n",
            num(lat, "mean"), num(lat, "p50"), num(lat, "p90"), num(lat, "p95"), num(lat, "p99"),
            num(lat, "p999"), num(lat, "max"));
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(s, "ci95");
    if (ci)
        fprintf(out, "over %.0f replications, 95%% half-widths: mean ±%.3g ms, p99 ±%.3g ms, "
                     "throughput ±%.3g/s\n",
                num(s, "replications"), num(ci, "latency_ms.mean"), num(ci, "latency_ms.p99"),
                num(ci, "throughput_rps"));
    fprintf(out, "%-16s %-14s %6s %12s %8s %10s %10s %10s %9s\n", "component", "type", "nodes",
            "requests", "util", "rejected", "mean ms", "p99 ms", "max/mean");
    const cJSON *comps = cJSON_GetObjectItemCaseSensitive(s, "components");
    for (const cJSON *c = comps ? comps->child : NULL; c; c = c->next) {
        const cJSON *cl = cJSON_GetObjectItemCaseSensitive(c, "latency_ms");
        const cJSON *skew = cJSON_GetObjectItemCaseSensitive(c, "skew");
        char util[16] = "-";
        if (isfinite(num(c, "utilization")))
            snprintf(util, sizeof util, "%.3f", num(c, "utilization"));
        fprintf(out, "%-16s %-14s %6.0f %12.0f %8s %10.0f %10.4g %10.4g %9.3f\n", c->string,
                cJSON_GetObjectItemCaseSensitive(c, "type")->valuestring, num(c, "nodes"),
                num(c, "requests"), util, num(c, "rejected"), num(cl, "mean"), num(cl, "p99"),
                skew ? num(skew, "max_over_mean") : NAN);
    }
    /* Hit ratios and key movements, for the components that have them. */
    for (const cJSON *c = comps ? comps->child : NULL; c; c = c->next) {
        const cJSON *hr = cJSON_GetObjectItemCaseSensitive(c, "hit_ratio");
        if (hr)
            fprintf(out, "%-16s hit ratio %.4f  hits %.0f  misses %.0f  evictions %.0f\n",
                    c->string, cJSON_IsNumber(hr) ? hr->valuedouble : NAN, num(c, "hits"),
                    num(c, "misses"), num(c, "evictions"));
        const cJSON *moves = cJSON_GetObjectItemCaseSensitive(c, "key_moves");
        for (const cJSON *m = cJSON_IsArray(moves) ? moves->child : NULL; m; m = m->next)
            fprintf(out, "%-16s at %.6gs: %.0f -> %.0f nodes moved %.4f of %.0f keys (ideal "
                         "%.4f)\n",
                    c->string, num(m, "at_s"), num(m, "nodes_before"), num(m, "nodes_after"),
                    num(m, "moved_fraction"), num(m, "keys"), num(m, "ideal_fraction"));
        for (const cJSON *m = cJSON_IsArray(moves) ? moves->child : NULL; m; m = m->next)
            if (cJSON_GetObjectItemCaseSensitive(m, "migrated_keys")) {
                char took[64] = "still copying at the end";
                if (isfinite(num(m, "migration_s")))
                    snprintf(took, sizeof took, "in %.6gs", num(m, "migration_s"));
                fprintf(out,
                        "%-16s at %.6gs: migrated %.0f of %.0f keys (%.4g MB) %s, "
                        "dropped %.0f\n",
                        c->string, num(m, "at_s"), num(m, "migrated_keys"),
                        num(m, "migration_planned"), num(m, "migrated_bytes") / 1e6, took,
                        num(m, "migration_dropped"));
            }
    }
}
