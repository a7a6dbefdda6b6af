/* Statistics every model shares: a log-linear latency histogram (fixed memory, mergeable,
 * under 1% relative error), running mean and variance, time-weighted averages. */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include "sim/error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Values are durations in seconds, stored as integer nanoseconds in log-linear buckets:
 * each power of two is split into HIST_SUB linear sub-buckets, so a bucket is at most
 * 1/HIST_SUB of its lower bound wide. Values from 1 ns to about 584 years fit. */
#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
/* Values below 2 * HIST_SUB ns get one bucket each; above, every power of two from 2^8 to
 * 2^63 adds HIST_SUB buckets: (64 - HIST_SUB_BITS + 1) groups of HIST_SUB in all (7424). */
#define HIST_BUCKETS ((size_t)(64 - HIST_SUB_BITS + 1) << HIST_SUB_BITS)

struct hist {
    uint64_t *counts; /* fixed number of buckets, allocated once by hist_init */
    uint64_t total;
    uint64_t min_ns, max_ns;
    double sum_s;     /* exact sum of recorded values, for the mean */
};

/* Seconds to whole nanoseconds, rounded to nearest; negative and NaN give 0, values past
 * UINT64_MAX ns (about 584 years) saturate. */
static inline uint64_t hist_ns(double seconds)
{
    double x = seconds * 1e9;
    /* From 2^52 up every double is already an integer, and adding 0.5 would round to even.
     * Below, the value fits a signed conversion, one instruction where an unsigned one is a
     * branch and a subtraction. The usual case is tested first, with two compares. */
    if (x > 0 && x < 4503599627370496.0)
        return (uint64_t)(int64_t)(x + 0.5);
    if (!(x > 0))
        return 0;
    return x >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)x;
}

/* The bucket of a value in ns. The OR with 2 * HIST_SUB - 1 makes every value below
 * 2 * HIST_SUB land in the first two groups with shift 0 (exact buckets), so there is no
 * branch; above, the top HIST_SUB_BITS + 1 bits of the value pick the bucket. Inline because
 * hist_record runs once per completed request. */
static inline size_t hist_index(uint64_t ns)
{
    unsigned shift = (unsigned)(63 - __builtin_clzll(ns | (2 * HIST_SUB - 1))) - HIST_SUB_BITS;
    return ((size_t)shift << HIST_SUB_BITS) + (size_t)(ns >> shift);
}
/* Bucket i holds the integers [hist_bucket_lo(i), hist_bucket_lo(i) + hist_bucket_width(i)). */
uint64_t hist_bucket_lo(size_t i);    /* ns */
uint64_t hist_bucket_width(size_t i); /* ns */

void hist_init(struct hist *h);
void hist_free(struct hist *h);
void hist_reset(struct hist *h);
/* Negative values count as 0. Inline: it runs several times per completed request. */
/* The same with the conversion done by the caller (ns = hist_ns(seconds)), for one value
 * recorded in several histograms. */
__attribute__((always_inline)) static inline void hist_record_ns(struct hist *h, uint64_t ns,
                                                                 double seconds)
{
    h->counts[hist_index(ns)]++;
    h->total++;
    h->sum_s += seconds > 0 ? seconds : 0;
    if (ns < h->min_ns)
        h->min_ns = ns;
    if (ns > h->max_ns)
        h->max_ns = ns;
}
static inline void hist_record(struct hist *h, double seconds)
{
    hist_record_ns(h, hist_ns(seconds), seconds);
}
void hist_record_n(struct hist *h, double seconds, uint64_t n);
void hist_merge(struct hist *dst, const struct hist *src);
uint64_t hist_count(const struct hist *h);
double hist_mean(const struct hist *h); /* s; 0 when empty */
double hist_min(const struct hist *h);  /* s; 0 when empty */
double hist_max(const struct hist *h);  /* s; exact; 0 when empty */
/* The q-quantile (0 <= q <= 1) in seconds: the midpoint of the bucket holding the value of
 * rank ceil(q * total), clamped to [min, max]; 0 when empty. */
double hist_quantile(const struct hist *h, double q);
/* Calls fn for every non-empty bucket in increasing order with its bounds in seconds
 * (lo_s inclusive, hi_s exclusive). */
void hist_foreach(const struct hist *h,
                  void (*fn)(void *ctx, double lo_s, double hi_s, uint64_t count), void *ctx);
/* Writes the histogram as CSV: `ms,count,cumulative` (bucket midpoint in ms). */
int hist_write_csv(const struct hist *h, FILE *f);

/* Running mean and variance (Welford). */
struct runstat {
    uint64_t n;
    double mean, m2, min, max;
};
void runstat_init(struct runstat *r);
void runstat_add(struct runstat *r, double x);
void runstat_merge(struct runstat *dst, const struct runstat *src);
double runstat_var(const struct runstat *r); /* sample variance; 0 when n < 2 */
double runstat_sd(const struct runstat *r);

/* The time-weighted average of a piecewise-constant quantity (busy workers, queue length).
 * twavg_set records that the value changes to v at time t (t never decreases). */
struct twavg {
    double t0;     /* s, where the average starts */
    double last_t; /* s */
    double value;
    double area;   /* value x s, accumulated up to last_t */
};
void twavg_init(struct twavg *w, double t0, double v);
/* Inline: stations call it on every worker and queue change. */
static inline void twavg_set(struct twavg *w, double t, double v)
{
    SIM_ASSERT(t >= w->last_t);
    w->area += w->value * (t - w->last_t);
    w->last_t = t;
    w->value = v;
}
static inline void twavg_add(struct twavg *w, double t, double dv)
{
    twavg_set(w, t, w->value + dv);
}
double twavg_mean(const struct twavg *w, double t); /* average over [t0, t] */
double twavg_area(const struct twavg *w, double t); /* integral over [t0, t] */
/* Restarts the average at time t, keeping the current value (for warm-up and intervals). */
void twavg_restart(struct twavg *w, double t);

/* The average of a twavg over a later interval (a time-series row) without a second
 * accumulator updated on every change: the mark keeps the twavg's area where the interval
 * starts, and the interval's area is the difference. Each change is then rounded at the size
 * of the whole run's area rather than the interval's: over 25,000 s of M/M/1 in 100 s rows
 * the rows' means move by up to 5e-12 relative, far below the 6 digits they are printed to. */
struct twmark {
    double t0;   /* s, where the interval starts */
    double area; /* value x s: the twavg's area at t0 */
};
/* Starts the interval at time t (t >= the last change of w). */
void twmark_start(struct twmark *m, const struct twavg *w, double t);
/* The average over [m->t0, t]; the current value over an empty interval. */
double twmark_mean(const struct twmark *m, const struct twavg *w, double t);
/* Call just before twavg_restart(w, t): the mark then still measures its own interval, which
 * began before the restart. */
void twmark_rebase(struct twmark *m, const struct twavg *w, double t);

#endif
