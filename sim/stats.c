/* Statistics every model shares: the log-linear latency histogram, Welford running mean and
 * variance, and time-weighted averages of piecewise-constant quantities. */
#include "sim/stats.h"

#include "sim/error.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t hist_bucket_lo(size_t i)
{
    SIM_ASSERT(i < HIST_BUCKETS);
    /* Inverts hist_index: the group above the first holds mantissas HIST_SUB..2*HIST_SUB-1
     * shifted left by (group - 1). The first group is the exact values 0..HIST_SUB-1. */
    size_t group = i >> HIST_SUB_BITS;
    if (group == 0)
        return i;
    uint64_t mant = (uint64_t)((i & (HIST_SUB - 1)) | HIST_SUB);
    return mant << (group - 1);
}

uint64_t hist_bucket_width(size_t i)
{
    SIM_ASSERT(i < HIST_BUCKETS);
    size_t group = i >> HIST_SUB_BITS;
    return group == 0 ? 1 : (uint64_t)1 << (group - 1);
}

/* The midpoint of the integers a bucket holds, so that a one-wide bucket gives its value. */
static double bucket_mid_ns(size_t i)
{
    return (double)hist_bucket_lo(i) + (double)(hist_bucket_width(i) - 1) / 2;
}

void hist_init(struct hist *h)
{
    h->counts = sim_xcalloc(HIST_BUCKETS, sizeof h->counts[0]);
    h->total = 0;
    h->min_ns = UINT64_MAX;
    h->max_ns = 0;
    h->sum_s = 0;
}

void hist_free(struct hist *h)
{
    free(h->counts);
    h->counts = NULL;
}

void hist_reset(struct hist *h)
{
    /* Only buckets between the minimum's and the maximum's can be non-zero, so an interval
     * histogram that saw a narrow range is cleared without touching all 58 KiB. */
    if (h->total > 0) {
        size_t lo = hist_index(h->min_ns), hi = hist_index(h->max_ns);
        memset(h->counts + lo, 0, (hi - lo + 1) * sizeof h->counts[0]);
    }
    h->total = 0;
    h->min_ns = UINT64_MAX;
    h->max_ns = 0;
    h->sum_s = 0;
}

void hist_record_n(struct hist *h, double seconds, uint64_t n)
{
    if (n == 0)
        return;
    uint64_t ns = hist_ns(seconds);
    h->counts[hist_index(ns)] += n;
    h->total += n;
    h->sum_s += (seconds > 0 ? seconds : 0) * (double)n;
    if (ns < h->min_ns)
        h->min_ns = ns;
    if (ns > h->max_ns)
        h->max_ns = ns;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    if (src->total == 0)
        return;
    size_t lo = hist_index(src->min_ns), hi = hist_index(src->max_ns);
    for (size_t i = lo; i <= hi; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    dst->sum_s += src->sum_s;
    if (src->min_ns < dst->min_ns)
        dst->min_ns = src->min_ns;
    if (src->max_ns > dst->max_ns)
        dst->max_ns = src->max_ns;
}

uint64_t hist_count(const struct hist *h)
{
    return h->total;
}

double hist_mean(const struct hist *h)
{
    return h->total ? h->sum_s / (double)h->total : 0;
}

/* Division rather than multiplication by 1e-9: n / 1e9 is the double nearest the decimal
 * n * 10^-9, so a value given with nine decimals comes back exactly as written. */
double hist_min(const struct hist *h)
{
    return h->total ? (double)h->min_ns / 1e9 : 0;
}

double hist_max(const struct hist *h)
{
    return h->total ? (double)h->max_ns / 1e9 : 0;
}

/* ceil(q * total), at least 1 and at most total. q is usually a rounded decimal (0.99), so a
 * product within a few ulps of an integer is taken as that integer: 0.99 * 100 is rank 99. */
static uint64_t quantile_rank(double q, uint64_t total)
{
    if (!(q > 0))
        return 1;
    if (q >= 1)
        return total;
    double x = q * (double)total;
    double r = nearbyint(x);
    if (fabs(x - r) <= 4 * DBL_EPSILON * x)
        x = r;
    x = ceil(x);
    if (x < 1)
        return 1;
    if (x >= (double)total)
        return total;
    return (uint64_t)x;
}

double hist_quantile(const struct hist *h, double q)
{
    if (h->total == 0)
        return 0;
    uint64_t rank = quantile_rank(q, h->total);
    /* The smallest and largest values are known exactly; only inner ranks need a bucket. */
    if (rank == h->total)
        return hist_max(h);
    if (rank == 1)
        return hist_min(h);
    size_t i = hist_index(h->min_ns), last = hist_index(h->max_ns);
    uint64_t cum = 0;
    for (; i < last; i++) {
        cum += h->counts[i];
        if (cum >= rank)
            break;
    }
    double mid = bucket_mid_ns(i);
    if (mid < (double)h->min_ns)
        mid = (double)h->min_ns;
    if (mid > (double)h->max_ns)
        mid = (double)h->max_ns;
    return mid / 1e9;
}

void hist_foreach(const struct hist *h,
                  void (*fn)(void *ctx, double lo_s, double hi_s, uint64_t count), void *ctx)
{
    if (h->total == 0)
        return;
    size_t lo = hist_index(h->min_ns), hi = hist_index(h->max_ns);
    for (size_t i = lo; i <= hi; i++) {
        if (h->counts[i] == 0)
            continue;
        /* In doubles, because the last bucket's upper bound is 2^64. */
        double b = (double)hist_bucket_lo(i);
        fn(ctx, b / 1e9, (b + (double)hist_bucket_width(i)) / 1e9, h->counts[i]);
    }
}

int hist_write_csv(const struct hist *h, FILE *f)
{
    if (fputs("ms,count,cumulative\n", f) < 0)
        return -1;
    if (h->total > 0) {
        uint64_t cum = 0;
        size_t lo = hist_index(h->min_ns), hi = hist_index(h->max_ns);
        for (size_t i = lo; i <= hi; i++) {
            if (h->counts[i] == 0)
                continue;
            cum += h->counts[i];
            if (fprintf(f, "%.6g,%" PRIu64 ",%" PRIu64 "\n", bucket_mid_ns(i) / 1e6, h->counts[i],
                        cum) < 0)
                return -1;
        }
    }
    return ferror(f) ? -1 : 0;
}

void runstat_init(struct runstat *r)
{
    r->n = 0;
    r->mean = r->m2 = r->min = r->max = 0;
}

void runstat_add(struct runstat *r, double x)
{
    r->n++;
    if (r->n == 1) {
        r->min = r->max = x;
    } else {
        if (x < r->min)
            r->min = x;
        if (x > r->max)
            r->max = x;
    }
    double d = x - r->mean;
    r->mean += d / (double)r->n;
    r->m2 += d * (x - r->mean);
}

/* Chan, Golub and LeVeque's pairwise update: exact in real arithmetic, and as stable as
 * Welford's when the two halves are of similar size. */
void runstat_merge(struct runstat *dst, const struct runstat *src)
{
    if (src->n == 0)
        return;
    if (dst->n == 0) {
        *dst = *src;
        return;
    }
    double na = (double)dst->n, nb = (double)src->n, n = na + nb;
    double d = src->mean - dst->mean;
    dst->mean += d * (nb / n);
    dst->m2 += src->m2 + d * d * (na * nb / n);
    dst->n += src->n;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

double runstat_var(const struct runstat *r)
{
    return r->n < 2 ? 0 : r->m2 / (double)(r->n - 1);
}

double runstat_sd(const struct runstat *r)
{
    return sqrt(runstat_var(r));
}

void twavg_init(struct twavg *w, double t0, double v)
{
    w->t0 = w->last_t = t0;
    w->value = v;
    w->area = 0;
}

double twavg_area(const struct twavg *w, double t)
{
    SIM_ASSERT(t >= w->last_t);
    return w->area + w->value * (t - w->last_t);
}

double twavg_mean(const struct twavg *w, double t)
{
    /* Over an empty interval the average tends to the current value. */
    if (t <= w->t0)
        return w->value;
    return twavg_area(w, t) / (t - w->t0);
}

void twavg_restart(struct twavg *w, double t)
{
    SIM_ASSERT(t >= w->last_t);
    w->t0 = w->last_t = t;
    w->area = 0;
}

void twmark_start(struct twmark *m, const struct twavg *w, double t)
{
    m->t0 = t;
    m->area = twavg_area(w, t);
}

double twmark_mean(const struct twmark *m, const struct twavg *w, double t)
{
    if (t <= m->t0)
        return w->value;
    return (twavg_area(w, t) - m->area) / (t - m->t0);
}

void twmark_rebase(struct twmark *m, const struct twavg *w, double t)
{
    /* After the restart the area counts from 0 at t: the part of the interval before t is
     * taken off the mark instead. */
    m->area -= twavg_area(w, t);
}
