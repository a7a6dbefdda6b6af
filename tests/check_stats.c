/* Tests for sim/stats.c: histogram bucket geometry over every bucket, quantiles against exact
 * and theoretical values, merge and reset, running variance, and time-weighted averages. */
#include "sim/stats.h"

#include "tests/testutil.h"

#include <check.h>
#include <float.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Every bucket: hist_index maps both ends of the bucket to it and the neighbours outside it
 * elsewhere; buckets tile [0, 2^64) without gaps; the width is 1 below 2 * HIST_SUB and at
 * most 1/HIST_SUB of the lower bound above, so the midpoint is within 1/(2 HIST_SUB) < 0.4%
 * of any value in the bucket. */
START_TEST(test_bucket_geometry_exhaustive)
{
    uint64_t expect_lo = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        uint64_t lo = hist_bucket_lo(i), w = hist_bucket_width(i);
        uint64_t last = lo + (w - 1);
        ck_assert_uint_eq(lo, expect_lo);
        ck_assert_uint_ge(w, 1);
        ck_assert_uint_eq(hist_index(lo), i);
        ck_assert_uint_eq(hist_index(last), i);
        ck_assert_uint_eq(hist_index(lo + (w - 1) / 2), i);
        if (i > 0)
            ck_assert_uint_eq(hist_index(lo - 1), i - 1);
        if (lo < 2 * HIST_SUB)
            ck_assert_uint_eq(w, 1);
        else
            ck_assert_uint_le(w * HIST_SUB, lo);
        /* Midpoint error relative to the smallest value in the bucket. */
        ck_assert(((double)(w - 1) / 2) / (double)(lo > 0 ? lo : 1) < 0.004);
        if (i + 1 < HIST_BUCKETS) {
            ck_assert_uint_eq(hist_index(last + 1), i + 1);
            expect_lo = last + 1;
        } else {
            ck_assert_uint_eq(last, UINT64_MAX);
        }
    }
    ck_assert_uint_eq(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
}
END_TEST

/* Random values land in the bucket whose bounds contain them (a check independent of the
 * boundary walk above, over values spread across all magnitudes). */
START_TEST(test_bucket_contains_value)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    for (int k = 0; k < 200000; k++) {
        uint64_t v = ((uint64_t)gsl_rng_get(r) << 32) ^ gsl_rng_get(r);
        v >>= gsl_rng_uniform_int(r, 64);
        size_t i = hist_index(v);
        ck_assert_uint_lt(i, HIST_BUCKETS);
        uint64_t lo = hist_bucket_lo(i);
        ck_assert_uint_le(lo, v);
        ck_assert_uint_le(v - lo, hist_bucket_width(i) - 1);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_ns_conversion)
{
    ck_assert_uint_eq(hist_ns(0), 0);
    ck_assert_uint_eq(hist_ns(-1), 0);
    ck_assert_uint_eq(hist_ns(NAN), 0);
    ck_assert_uint_eq(hist_ns(1.4e-9), 1);
    ck_assert_uint_eq(hist_ns(1.6e-9), 2);
    ck_assert_uint_eq(hist_ns(2.5e-9), 3);
    ck_assert_uint_eq(hist_ns(0.012345679), 12345679);
    ck_assert_uint_eq(hist_ns(1e9), 1000000000000000000ull);
    /* 2305843011 / 512 s is exactly 4503599630859375 ns: odd, above 2^52, where every double
     * is an integer and adding 0.5 would round to the even neighbour. */
    ck_assert_uint_eq(hist_ns(2305843011.0 / 512), 4503599630859375ull);
    ck_assert_uint_eq(hist_ns(1e12), UINT64_MAX);
    ck_assert_uint_eq(hist_ns(INFINITY), UINT64_MAX);
}
END_TEST

/* Values 1..100 ns sit in exact buckets, so every quantile is the exact rank statistic:
 * rank ceil(q * 100). */
START_TEST(test_quantile_ranks_exact)
{
    struct hist h;
    hist_init(&h);
    for (int v = 100; v >= 1; v--)
        hist_record(&h, v * 1e-9);
    ck_assert_uint_eq(hist_count(&h), 100);
    ck_assert_double_eq(hist_quantile(&h, 0), 1e-9);
    ck_assert_double_eq(hist_quantile(&h, 0.005), 1e-9);
    ck_assert_double_eq(hist_quantile(&h, 0.011), 2e-9);
    ck_assert_double_eq(hist_quantile(&h, 0.5), 50e-9);
    ck_assert_double_eq(hist_quantile(&h, 0.505), 51e-9);
    /* 0.07 * 100 and 0.14 * 100 come out one ulp above 7 and 14 in doubles. */
    ck_assert_double_eq(hist_quantile(&h, 0.07), 7e-9);
    ck_assert_double_eq(hist_quantile(&h, 0.14), 14e-9);
    ck_assert_double_eq(hist_quantile(&h, 0.99), 99e-9);
    ck_assert_double_eq(hist_quantile(&h, 0.991), 100e-9);
    ck_assert_double_eq(hist_quantile(&h, 1), 100e-9);
    ck_assert_double_eq(hist_quantile(&h, 2), 100e-9);
    ck_assert_double_eq(hist_quantile(&h, -1), 1e-9);
    hist_free(&h);
}
END_TEST

/* A uniform grid 1..100000 us: the exact q-quantile is ceil(q * n) us. The histogram answer
 * is the midpoint of that value's bucket, at most 1/(2 HIST_SUB) of the value away (the
 * geometry test above), so the tolerance is value / 256, tighter than the 1% promised. */
START_TEST(test_quantile_uniform_grid)
{
    struct hist h;
    hist_init(&h);
    const int n = 100000;
    for (int k = 1; k <= n; k++)
        hist_record(&h, k * 1e-6);
    const double qs[] = {0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999};
    for (size_t j = 0; j < sizeof qs / sizeof qs[0]; j++) {
        double exact = ceil(qs[j] * n - 1e-9) * 1e-6;
        double got = hist_quantile(&h, qs[j]);
        ck_assert_msg(fabs(got - exact) <= exact / (2 * HIST_SUB), "q=%g got %.9g exact %.9g",
                      qs[j], got, exact);
    }
    ck_assert_double_eq(hist_min(&h), 1e-6);
    ck_assert_double_eq(hist_max(&h), 0.1);
    ck_assert_double_eq(hist_quantile(&h, 1), 0.1);
    hist_free(&h);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One million exponential samples, mean 10 ms, from GSL with a fixed seed. */
START_TEST(test_quantile_exponential)
{
    const size_t n = 1000000;
    const double mean = 0.010;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    double *x = malloc(n * sizeof *x);
    struct hist h;
    hist_init(&h);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = gsl_ran_exponential(r, mean);
        hist_record(&h, x[i]);
        sum += x[i];
    }
    /* The same additions in the same order: the mean is bit-for-bit the separate sum / n. */
    ck_assert_double_eq(hist_mean(&h), sum / (double)n);
    qsort(x, n, sizeof *x, cmp_double);
    ck_assert_double_eq(hist_min(&h), (double)hist_ns(x[0]) / 1e9);
    ck_assert_double_eq(hist_max(&h), (double)hist_ns(x[n - 1]) / 1e9);
    const double qs[] = {0.5, 0.9, 0.99, 0.999};
    for (size_t j = 0; j < sizeof qs / sizeof qs[0]; j++) {
        double q = qs[j];
        double got = hist_quantile(&h, q);
        /* Against the sample's own rank statistic the error is deterministic: at most half a
         * bucket (value / 256) plus half a nanosecond from rounding to ns. */
        double sample = x[(size_t)ceil(q * (double)n - 1e-9) - 1];
        ck_assert_msg(fabs(got - sample) <= sample / (2 * HIST_SUB) + 0.5e-9,
                      "q=%g got %.9g sample %.9g", q, got, sample);
        /* Against the distribution: x_q = -mean ln(1 - q). The sample quantile's standard
         * error is sqrt(q (1 - q) / n) / f(x_q) with f(x_q) = (1 - q) / mean, i.e.
         * mean sqrt(q / ((1 - q) n)); allow 4 of them (two-sided 6e-5 for a normal) plus
         * the bucket error above. */
        double xq = -mean * log1p(-q);
        double se = mean * sqrt(q / ((1 - q) * (double)n));
        double tol = 4 * se + xq / (2 * HIST_SUB) + 1e-9;
        ck_assert_msg(fabs(got - xq) <= tol, "q=%g got %.9g theory %.9g tol %.3g", q, got, xq, tol);
    }
    hist_free(&h);
    free(x);
    gsl_rng_free(r);
}
END_TEST

/* Recording two halves separately and merging gives the same buckets, count, min and max as
 * recording everything in one histogram. The sums differ only by rounding: each is a
 * recursive sum of n positive terms, within (n - 1) eps sum of exact, so 2 n eps sum. */
START_TEST(test_merge_halves_equals_whole)
{
    const size_t n = 200000;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    struct hist whole, a, b;
    hist_init(&whole);
    hist_init(&a);
    hist_init(&b);
    for (size_t i = 0; i < n; i++) {
        /* Lognormal spreads the values over many powers of two. */
        double v = gsl_ran_lognormal(r, log(0.005), 1.5);
        hist_record(&whole, v);
        hist_record(i < n / 3 ? &a : &b, v);
    }
    hist_merge(&a, &b);
    ck_assert_uint_eq(hist_count(&a), n);
    ck_assert_int_eq(memcmp(a.counts, whole.counts, HIST_BUCKETS * sizeof a.counts[0]), 0);
    ck_assert_uint_eq(a.min_ns, whole.min_ns);
    ck_assert_uint_eq(a.max_ns, whole.max_ns);
    ck_assert(fabs(a.sum_s - whole.sum_s) <= 2 * (double)n * DBL_EPSILON * whole.sum_s);
    for (double q = 0; q <= 1; q += 0.01)
        ck_assert_double_eq(hist_quantile(&a, q), hist_quantile(&whole, q));
    /* Merging an empty histogram changes nothing; merging into an empty one copies. */
    struct hist e;
    hist_init(&e);
    hist_merge(&a, &e);
    ck_assert_uint_eq(a.min_ns, whole.min_ns);
    hist_merge(&e, &whole);
    ck_assert_int_eq(memcmp(e.counts, whole.counts, HIST_BUCKETS * sizeof e.counts[0]), 0);
    ck_assert_uint_eq(e.min_ns, whole.min_ns);
    ck_assert_uint_eq(e.max_ns, whole.max_ns);
    ck_assert_double_eq(e.sum_s, whole.sum_s);
    hist_free(&e);
    hist_free(&whole);
    hist_free(&a);
    hist_free(&b);
    gsl_rng_free(r);
}
END_TEST

static void count_nonzero(void *ctx, double lo_s, double hi_s, uint64_t count)
{
    (void)lo_s;
    (void)hi_s;
    *(uint64_t *)ctx += count;
}

START_TEST(test_reset_and_empty)
{
    struct hist h;
    hist_init(&h);
    ck_assert_uint_eq(hist_count(&h), 0);
    ck_assert_double_eq(hist_mean(&h), 0);
    ck_assert_double_eq(hist_min(&h), 0);
    ck_assert_double_eq(hist_max(&h), 0);
    ck_assert_double_eq(hist_quantile(&h, 0.5), 0);
    hist_record(&h, 0.001);
    hist_record(&h, 3.0);
    hist_record(&h, 1e-9);
    hist_reset(&h);
    ck_assert_uint_eq(hist_count(&h), 0);
    ck_assert_double_eq(hist_mean(&h), 0);
    ck_assert_double_eq(hist_quantile(&h, 0.99), 0);
    for (size_t i = 0; i < HIST_BUCKETS; i++)
        ck_assert_uint_eq(h.counts[i], 0);
    uint64_t seen = 0;
    hist_foreach(&h, count_nonzero, &seen);
    ck_assert_uint_eq(seen, 0);
    /* Usable again after the reset. */
    hist_record(&h, 0.25);
    ck_assert_double_eq(hist_min(&h), 0.25);
    ck_assert_double_eq(hist_max(&h), 0.25);
    ck_assert_double_eq(hist_quantile(&h, 0.5), 0.25);
    ck_assert_double_eq(hist_mean(&h), 0.25);
    hist_free(&h);
    hist_free(&h); /* a second free is a no-op */
}
END_TEST

/* Min and max are exact to the nanosecond, and a value written with nine decimals comes back
 * as the same double. */
START_TEST(test_min_max_exact)
{
    struct hist h;
    hist_init(&h);
    hist_record(&h, 0.012345679);
    hist_record(&h, 0.000123457);
    hist_record(&h, 7.654321987);
    hist_record(&h, 0.5);
    ck_assert_double_eq(hist_min(&h), 0.000123457);
    ck_assert_double_eq(hist_max(&h), 7.654321987);
    ck_assert_double_eq(hist_quantile(&h, 0), 0.000123457);
    ck_assert_double_eq(hist_quantile(&h, 1), 7.654321987);
    hist_free(&h);
}
END_TEST

/* Zero and negative values go to the exact bucket 0; values beyond 2^64 ns saturate into the
 * last bucket; 1e9 s still fits and is exact. */
START_TEST(test_zero_and_huge)
{
    struct hist h;
    hist_init(&h);
    hist_record(&h, 0);
    hist_record(&h, -3);
    ck_assert_uint_eq(h.counts[0], 2);
    ck_assert_double_eq(hist_min(&h), 0);
    ck_assert_double_eq(hist_max(&h), 0);
    ck_assert_double_eq(hist_mean(&h), 0);
    ck_assert_double_eq(hist_quantile(&h, 0.5), 0);
    hist_record(&h, 1e9);
    ck_assert_double_eq(hist_max(&h), 1e9);
    hist_record(&h, 1e30);
    ck_assert_uint_eq(h.counts[HIST_BUCKETS - 1], 1);
    ck_assert_uint_eq(h.max_ns, UINT64_MAX);
    ck_assert_double_eq(hist_max(&h), (double)UINT64_MAX / 1e9);
    ck_assert_uint_eq(hist_count(&h), 4);
    /* Rank 3 of 4 is 1e9 s: its bucket midpoint is within 1/256 of it. */
    ck_assert(fabs(hist_quantile(&h, 0.75) - 1e9) <= 1e9 / (2 * HIST_SUB));
    hist_free(&h);
}
END_TEST

START_TEST(test_record_n)
{
    struct hist a, b;
    hist_init(&a);
    hist_init(&b);
    /* 0.375 s and multiples by small integers are exact in binary, so sums compare exactly. */
    hist_record_n(&a, 0.375, 5);
    hist_record_n(&a, 0.001, 0);
    for (int i = 0; i < 5; i++)
        hist_record(&b, 0.375);
    ck_assert_uint_eq(hist_count(&a), 5);
    ck_assert_int_eq(memcmp(a.counts, b.counts, HIST_BUCKETS * sizeof a.counts[0]), 0);
    ck_assert_double_eq(a.sum_s, b.sum_s);
    ck_assert_double_eq(hist_min(&a), 0.375);
    ck_assert_double_eq(hist_max(&a), 0.375);
    hist_free(&a);
    hist_free(&b);
}
END_TEST

struct walk {
    double prev_hi;
    uint64_t total;
    size_t buckets;
};

static void check_bucket(void *ctx, double lo_s, double hi_s, uint64_t count)
{
    struct walk *w = ctx;
    ck_assert(lo_s >= w->prev_hi);
    ck_assert(hi_s > lo_s);
    ck_assert_uint_gt(count, 0);
    w->prev_hi = hi_s;
    w->total += count;
    w->buckets++;
}

START_TEST(test_foreach)
{
    struct hist h;
    hist_init(&h);
    /* 5 ns twice (exact bucket [5, 6) ns), 1000 ns (bucket [1000, 1004) ns), 1 s. */
    hist_record(&h, 5e-9);
    hist_record(&h, 5e-9);
    hist_record(&h, 1e-6);
    hist_record(&h, 1);
    struct walk w = {0, 0, 0};
    hist_foreach(&h, check_bucket, &w);
    ck_assert_uint_eq(w.buckets, 3);
    ck_assert_uint_eq(w.total, 4);
    ck_assert_double_eq(w.prev_hi, (double)(hist_bucket_lo(hist_index(1000000000)) +
                                            hist_bucket_width(hist_index(1000000000))) /
                                       1e9);
    hist_free(&h);
}
END_TEST

/* Exact CSV text: bucket midpoints in ms. 100 ns is exact; 1000 ns is in [1000, 1004) with
 * midpoint 1001.5 ns; 2 ms = 2000000 ns is in a bucket 2^13 wide starting at 1998848 ns,
 * midpoint 2002943.5 ns. */
START_TEST(test_write_csv)
{
    struct hist h;
    hist_init(&h);
    hist_record(&h, 100e-9);
    hist_record(&h, 100e-9);
    hist_record(&h, 1e-6);
    hist_record(&h, 0.002);
    ck_assert_uint_eq(hist_bucket_lo(hist_index(2000000)), 1998848);
    ck_assert_uint_eq(hist_bucket_width(hist_index(2000000)), 8192);
    char *dir = tu_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/h.csv", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(hist_write_csv(&h, f), 0);
    fclose(f);
    char *text = tu_read_file(path, NULL);
    ck_assert_str_eq(text, "ms,count,cumulative\n"
                           "0.0001,2,2\n"
                           "0.0010015,1,3\n"
                           "2.00294,1,4\n");
    free(text);
    /* An empty histogram is just the header. */
    hist_reset(&h);
    f = fopen(path, "w");
    ck_assert_int_eq(hist_write_csv(&h, f), 0);
    fclose(f);
    text = tu_read_file(path, NULL);
    ck_assert_str_eq(text, "ms,count,cumulative\n");
    free(text);
    tu_remove_tree(dir);
    free(dir);
    hist_free(&h);
}
END_TEST

/* Welford against the two-pass formula on data with a large offset (where the naive
 * sum-of-squares formula loses digits). Both are backward stable; for n values the relative
 * error of the variance is bounded by about n eps kappa with kappa = 1 + mean^2 / var the
 * condition number, so the tolerance is 4 n eps kappa. */
START_TEST(test_runstat_two_pass)
{
    const size_t n = 20000;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 9);
    double *x = malloc(n * sizeof *x);
    struct runstat rs;
    runstat_init(&rs);
    ck_assert_double_eq(runstat_var(&rs), 0);
    double mn = INFINITY, mx = -INFINITY, sum = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = 1000 + gsl_ran_gaussian(r, 3);
        runstat_add(&rs, x[i]);
        sum += x[i];
        mn = fmin(mn, x[i]);
        mx = fmax(mx, x[i]);
    }
    double mean = sum / (double)n, ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    double var = ss / (double)(n - 1);
    double kappa = 1 + mean * mean / var;
    ck_assert_uint_eq(rs.n, n);
    ck_assert(fabs(rs.mean - mean) <= 4 * (double)n * DBL_EPSILON * fabs(mean));
    ck_assert_msg(fabs(runstat_var(&rs) - var) <= 4 * (double)n * DBL_EPSILON * kappa * var,
                  "var %.17g two-pass %.17g", runstat_var(&rs), var);
    ck_assert_double_eq(runstat_sd(&rs), sqrt(runstat_var(&rs)));
    ck_assert_double_eq(rs.min, mn);
    ck_assert_double_eq(rs.max, mx);
    free(x);
    gsl_rng_free(r);
}
END_TEST

/* Small exact case: 2, 4, 3, 7, 4, 10, 5, 5 has running means 2, 3, 3, 4, 4, 5, 5, 5, all
 * integers, so every step of Welford's recurrence is exact; the final mean is 5 and the sum
 * of squared deviations 9 + 1 + 4 + 4 + 1 + 25 = 44. */
START_TEST(test_runstat_exact)
{
    const double x[] = {2, 4, 3, 7, 4, 10, 5, 5};
    struct runstat rs;
    runstat_init(&rs);
    runstat_add(&rs, 3);
    ck_assert_double_eq(runstat_var(&rs), 0);
    runstat_init(&rs);
    for (size_t i = 0; i < 8; i++)
        runstat_add(&rs, x[i]);
    ck_assert_double_eq(rs.mean, 5);
    ck_assert_double_eq(rs.m2, 44);
    ck_assert_double_eq(runstat_var(&rs), 44.0 / 7);
    ck_assert_double_eq(rs.min, 2);
    ck_assert_double_eq(rs.max, 10);
}
END_TEST

/* Merging the statistics of two unequal parts equals adding everything sequentially, to the
 * same rounding bound as the two-pass test (4 n eps kappa); n, min and max exactly. */
START_TEST(test_runstat_merge)
{
    const size_t n = 30000;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 13);
    struct runstat all, a, b, empty;
    runstat_init(&all);
    runstat_init(&a);
    runstat_init(&b);
    runstat_init(&empty);
    for (size_t i = 0; i < n; i++) {
        /* The second part has a different mean, which the merge's cross term must restore. */
        double v = i < n / 4 ? gsl_ran_gaussian(r, 1) : 50 + gsl_ran_exponential(r, 2);
        runstat_add(&all, v);
        runstat_add(i < n / 4 ? &a : &b, v);
    }
    struct runstat m = a;
    runstat_merge(&m, &b);
    double kappa = 1 + all.mean * all.mean / runstat_var(&all);
    ck_assert_uint_eq(m.n, n);
    ck_assert(fabs(m.mean - all.mean) <= 4 * (double)n * DBL_EPSILON * fabs(all.mean));
    ck_assert(fabs(runstat_var(&m) - runstat_var(&all)) <=
              4 * (double)n * DBL_EPSILON * kappa * runstat_var(&all));
    ck_assert_double_eq(m.min, all.min);
    ck_assert_double_eq(m.max, all.max);
    /* Empty on either side. */
    struct runstat c = a;
    runstat_merge(&c, &empty);
    ck_assert_int_eq(memcmp(&c, &a, sizeof c), 0);
    runstat_merge(&empty, &a);
    ck_assert_int_eq(memcmp(&empty, &a, sizeof a), 0);
    gsl_rng_free(r);
}
END_TEST

/* A step function with binary-exact times and values: 2 on [0,1), 4 on [1,3), 1 on [3,4).
 * Area 2 + 8 + 1 = 11, mean over [0,4] 2.75, all exact. */
START_TEST(test_twavg_step)
{
    struct twavg w;
    twavg_init(&w, 0, 2);
    ck_assert_double_eq(twavg_mean(&w, 0), 2);
    twavg_set(&w, 1, 4);
    ck_assert_double_eq(twavg_area(&w, 2), 6);
    twavg_add(&w, 3, -3);
    ck_assert_double_eq(w.value, 1);
    ck_assert_double_eq(twavg_area(&w, 4), 11);
    ck_assert_double_eq(twavg_mean(&w, 4), 2.75);
    /* Several changes at the same instant: only the last value holds any time. */
    twavg_set(&w, 4, 100);
    twavg_set(&w, 4, 3);
    ck_assert_double_eq(twavg_area(&w, 6), 17);
    ck_assert_double_eq(twavg_mean(&w, 8), 23.0 / 8);
}
END_TEST

/* After a restart at t = 3 the average covers only [3, t], starting from the value then held. */
START_TEST(test_twavg_restart)
{
    struct twavg w;
    twavg_init(&w, 0.5, 8);
    twavg_set(&w, 1, 1);
    twavg_set(&w, 2, 2);
    twavg_restart(&w, 3);
    ck_assert_double_eq(w.t0, 3);
    ck_assert_double_eq(twavg_area(&w, 3), 0);
    ck_assert_double_eq(twavg_mean(&w, 3), 2);
    twavg_set(&w, 4, 6);
    ck_assert_double_eq(twavg_area(&w, 5), 2 + 6);
    ck_assert_double_eq(twavg_mean(&w, 5), 4);
}
END_TEST

/* A mark reads an interval's average off the running twavg: 1 over [0, 2) then 4, so the
 * interval [1, 3) averages (1 + 4) / 2; a restart of the twavg at 4 (warm-up) inside the
 * interval [3, 5) keeps that interval's average: value 4 over [3, 4.5), 2 over [4.5, 5).
 * Every value is a binary fraction: the results are exact. */
START_TEST(test_twmark)
{
    struct twavg w;
    struct twmark m;
    twavg_init(&w, 0, 1);
    twmark_start(&m, &w, 1);
    ck_assert_double_eq(twmark_mean(&m, &w, 1), 1); /* empty interval: the current value */
    twavg_set(&w, 2, 4);
    ck_assert_double_eq(twmark_mean(&m, &w, 3), 2.5);
    twmark_start(&m, &w, 3);
    ck_assert_double_eq(m.area, 2 + 4);
    twmark_rebase(&m, &w, 4);
    twavg_restart(&w, 4);
    twavg_set(&w, 4.5, 2);
    ck_assert_double_eq(twmark_mean(&m, &w, 5), (4 * 1.5 + 2 * 0.5) / 2);
    ck_assert_double_eq(twavg_mean(&w, 5), (4 * 0.5 + 2 * 0.5) / 1);
    twmark_start(&m, &w, 5);
    ck_assert_double_eq(twmark_mean(&m, &w, 6), 2);
}
END_TEST

Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("hist");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_bucket_geometry_exhaustive);
    tcase_add_test(tc, test_bucket_contains_value);
    tcase_add_test(tc, test_ns_conversion);
    tcase_add_test(tc, test_quantile_ranks_exact);
    tcase_add_test(tc, test_quantile_uniform_grid);
    tcase_add_test(tc, test_quantile_exponential);
    tcase_add_test(tc, test_merge_halves_equals_whole);
    tcase_add_test(tc, test_reset_and_empty);
    tcase_add_test(tc, test_min_max_exact);
    tcase_add_test(tc, test_zero_and_huge);
    tcase_add_test(tc, test_record_n);
    tcase_add_test(tc, test_foreach);
    tcase_add_test(tc, test_write_csv);
    suite_add_tcase(s, tc);
    tc = tcase_create("runstat");
    tcase_add_test(tc, test_runstat_two_pass);
    tcase_add_test(tc, test_runstat_exact);
    tcase_add_test(tc, test_runstat_merge);
    suite_add_tcase(s, tc);
    tc = tcase_create("twavg");
    tcase_add_test(tc, test_twavg_step);
    tcase_add_test(tc, test_twavg_restart);
    tcase_add_test(tc, test_twmark);
    suite_add_tcase(s, tc);
    return s;
}
