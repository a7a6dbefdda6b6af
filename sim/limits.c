/* The memory estimate of a scenario and the limit it must fit. The estimate counts what grows
 * with the scenario's numbers (nodes, components, ops, time-series rows, keys, trace rows,
 * per-client tables through the models' hooks), not what grows with the load at run time
 * (requests in flight, unbounded queues), which no static figure can bound. */
#include "sim/limits.h"

#include "sim/hotkeys.h"
#include "sim/keys.h"
#include "sim/scenario.h"
#include "sim/stats.h"
#include "sim/units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per component, whatever its model: its record and state, two RNG streams (network latency,
 * retries), its latency histogram and its columns in the time series' names. */
#define COMP_BYTES (2 * LIMITS_RNG_BYTES + HIST_BUCKETS * sizeof(uint64_t) + 1024.0)
/* The Zipf alias table over the most popular ranks and blocks of the rest: GSL's table (an
 * index and a probability per outcome) plus the weights it is built from. */
#define ALIAS_BYTES_PER_KEY 24.0

int limits_memory_limit(double *bytes, struct sim_error *err)
{
    *bytes = LIMITS_MEMORY_DEFAULT;
    const char *env = getenv(LIMITS_MEMORY_ENV);
    if (!env || !*env)
        return 0;
    double v;
    int ok = units_parse_size(env, &v) == 0;
    if (!ok && env[0] >= '0' && env[0] <= '9') {
        char *end;
        v = strtod(env, &end);
        ok = *end == '\0' && isfinite(v);
    }
    if (ok && v >= 1) {
        *bytes = v;
        return 0;
    }
    return sim_fail(err, NULL, "%s=\"%.40s\" is not a size such as \"2GiB\" or a number of bytes",
                    LIMITS_MEMORY_ENV, env);
}

int64_t limits_peak(const struct scenario *sc, uint32_t comp, const char *what, int64_t initial)
{
    int64_t most = initial;
    for (size_t i = 0; i < sc->nevents; i++) {
        const struct scn_event *e = &sc->events[i];
        if (e->action == EVA_SCALE && e->target == comp && e->what && strcmp(e->what, what) == 0 &&
            e->nodes > most)
            most = e->nodes;
    }
    return most;
}

int64_t limits_peak_nodes(const struct scenario *sc, uint32_t comp)
{
    return limits_peak(sc, comp, "nodes", sc->comps[comp].nodes);
}

double limits_peak_rate(const struct scenario *sc)
{
    const struct workload *wl = &sc->wl;
    if (wl->trace)
        return 0;
    double users = 0, rpu = wl->rate_per_user, rate = 0;
    for (size_t i = 0; i < wl->users.n; i++)
        users = fmax(users, wl->users.v[i]);
    for (size_t i = 0; i < wl->rate.n; i++)
        rate = fmax(rate, wl->rate.v[i]);
    for (size_t i = 0; i < sc->nevents; i++) {
        const struct scn_event *e = &sc->events[i];
        if (e->action != EVA_SET)
            continue;
        if (strcmp(e->set_path, "workload.rate") == 0)
            rate = fmax(rate, e->set_value);
        else if (strcmp(e->set_path, "workload.users") == 0)
            users = fmax(users, e->set_value);
        else
            rpu = fmax(rpu, e->set_value);
    }
    return wl->by_users ? users * rpu : rate;
}

double limits_max_requests(const struct scenario *sc)
{
    if (sc->wl.trace)
        return (double)sc->wl.ntrace;
    /* Poisson arrivals can exceed the mean; six standard deviations above it (and one) bound
     * them for any run that fits the clock. */
    double mean = limits_peak_rate(sc) * sc->duration;
    return mean + 6 * sqrt(mean) + 1;
}

const char *limits_format_bytes(double bytes, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    size_t u = 0;
    while (bytes >= 1024 && u + 1 < sizeof unit / sizeof unit[0]) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, len, "%.3g %s", bytes, unit[u]);
    return buf;
}

struct part {
    double bytes;
    char path[256];
    char what[160];
};

static void consider(struct part *big, double bytes, const char *path, const char *what)
{
    if (bytes > big->bytes) {
        big->bytes = bytes;
        snprintf(big->path, sizeof big->path, "%s", path);
        snprintf(big->what, sizeof big->what, "%s", what);
    }
}

double limits_memory_estimate(const struct scenario *sc, char *path, size_t pathlen, char *what,
                              size_t whatlen)
{
    struct part big = {0};
    char desc[160];
    /* The world: end-to-end histograms (all, interval, one per op) and four RNG streams. */
    double total =
        (2.0 + (double)sc->wl.nops) * HIST_BUCKETS * sizeof(uint64_t) + 4 * LIMITS_RNG_BYTES;
    for (size_t i = 0; i < sc->ncomp; i++) {
        const struct comp_spec *cs = &sc->comps[i];
        double own = cs->ops->memory
                         ? cs->ops->memory(cs, sc)
                         : (double)limits_peak_nodes(sc, (uint32_t)i) * LIMITS_NODE_BYTES;
        double bytes = COMP_BYTES + own;
        total += bytes;
        long long peak = (long long)limits_peak_nodes(sc, (uint32_t)i);
        if (cs->ops->memory) /* its own sizes: nodes may not be what counts */
            snprintf(desc, sizeof desc, "%s (%s)", cs->id, cs->ops->name);
        else
            snprintf(desc, sizeof desc, "%s (%s, %lld node%s at most)", cs->id, cs->ops->name, peak,
                     peak == 1 ? "" : "s");
        consider(&big, bytes, cs->path, desc);
    }
    /* timeseries: every column of every row, twice (values and prefix sums), in an array
     * that doubles from 64 rows. */
    double rows = floor(sc->duration / sc->interval) + 2, cap = 64;
    while (cap < rows)
        cap *= 2;
    double cols = 8 + 3 * (double)sc->ncomp;
    double series = (2 * cap + 1) * cols * sizeof(double);
    total += series;
    snprintf(desc, sizeof desc, "the time series (%.0f rows of %.0f columns)", rows, cols);
    consider(&big, series, "metrics.interval", desc);
    if (sc->wl.key_zipf && sc->wl.key_s > 0) {
        uint64_t outcomes = keydist_table_size(sc->wl.key_count, KEYDIST_TABLE_MAX);
        double keys = (double)outcomes * ALIAS_BYTES_PER_KEY;
        total += keys;
        snprintf(desc, sizeof desc, "the Zipf table of %llu outcomes",
                 (unsigned long long)outcomes);
        consider(&big, keys, "workload.keys.count", desc);
    }
    /* The exact hot-key counts of drawn keys (sim/hotkeys.c), when some component reads
     * keys (the world's rule: a model without a needs hook reads them). */
    unsigned needs = 0;
    for (size_t i = 0; i < sc->ncomp; i++)
        needs |= sc->comps[i].ops->needs ? sc->comps[i].ops->needs(&sc->comps[i]) : NEEDS_KEYS;
    if (needs & NEEDS_KEYS && !sc->wl.ntrace && sc->wl.key_count <= HOTKEYS_EXACT_MAX) {
        double counts = (double)sc->wl.key_count * HOTKEYS_EXACT_BYTES;
        total += counts;
        snprintf(desc, sizeof desc, "the hot-key counts of %llu keys",
                 (unsigned long long)sc->wl.key_count);
        consider(&big, counts, "workload.keys.count", desc);
    }
    if (sc->wl.ntrace) {
        double trace = (double)sc->wl.ntrace * sizeof(struct trace_row);
        total += trace;
        snprintf(desc, sizeof desc, "the trace (%zu rows)", sc->wl.ntrace);
        consider(&big, trace, "workload.trace", desc);
    }
    if (path)
        snprintf(path, pathlen, "%s", big.path);
    char size[32];
    if (what)
        snprintf(what, whatlen, "%s: about %s", big.what,
                 limits_format_bytes(big.bytes, size, sizeof size));
    return total;
}

int limits_check(const struct scenario *sc, struct sim_error *err)
{
    double limit;
    if (limits_memory_limit(&limit, err))
        return -1;
    char path[256], what[160];
    double need = limits_memory_estimate(sc, path, sizeof path, what, sizeof what);
    if (need <= limit)
        return 0;
    char a[32], b[32];
    return sim_fail(err, path,
                    "the run would need about %s of memory, more than the limit of "
                    "%s (set %s to change it); the largest part is %s",
                    limits_format_bytes(need, a, sizeof a), limits_format_bytes(limit, b, sizeof b),
                    LIMITS_MEMORY_ENV, what);
}
