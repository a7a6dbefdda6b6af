/* Tests for sim/keys.c: the Zipf samplers against the exact pmf (chi-square), key spaces
 * beyond 2^32, hot keys, the pmf's normalisation and the harmonic numbers behind it. */
#include "sim/keys.h"
#include "sim/rng.h"

#include <check.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_psi.h>
#include <gsl/gsl_sf_zeta.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Pearson's chi-square of observed counts against bin probabilities, pooling adjacent bins in
 * order until each pooled expected count reaches 5 (Cochran's rule, under which the statistic
 * follows the chi-square law closely). Returns the statistic and sets *df = bins - 1. */
static double chi_square(const long *obs, const double *p, size_t nbins, long n, int *df)
{
    double stat = 0, o = 0, e = 0, last_o = 0, last_e = 0;
    int bins = 0;
    for (size_t i = 0; i < nbins; i++) {
        o += (double)obs[i];
        e += p[i] * (double)n;
        if (e >= 5) {
            if (bins)
                stat += (last_o - last_e) * (last_o - last_e) / last_e;
            last_o = o, last_e = e, bins++;
            o = e = 0;
        }
    }
    /* A short tail joins the last full bin. */
    last_o += o, last_e += e;
    stat += (last_o - last_e) * (last_o - last_e) / last_e;
    *df = bins - 1;
    return stat;
}

/* Critical values at p = 0.001 come from gsl_cdf_chisq_Qinv(0.001, df): 1142.85 for the 999
 * degrees of freedom of 1000 unpooled keys, 27.88 for 9. A correct sampler exceeds it with
 * probability 0.001 for a fresh seed; the seeds here are fixed, so the outcome is
 * deterministic, while a wrong rank, exponent or normaliser inflates the statistic by orders
 * of magnitude at these sample sizes. */
static void assert_fits(const long *obs, const double *p, size_t nbins, long n, const char *what)
{
    int df;
    double stat = chi_square(obs, p, nbins, n, &df);
    double crit = gsl_cdf_chisq_Qinv(0.001, df);
    ck_assert_msg(df >= 5, "%s: only %d degrees of freedom", what, df);
    ck_assert_msg(stat < crit, "%s: chi-square %.1f >= %.1f (df %d)", what, stat, crit, df);
}

#define SMALL 1000
/* Inside sampling loops, violations are counted and asserted once afterwards: every Check
 * assertion, passing or not, records its location with a write to the runner, and 2e5 of
 * those would cost seconds. */
#define NDRAWS 200000

static const double exponents[] = {0.5, 0.99, 1.0, 1.2, 2.0};
#define NEXP (int)(sizeof exponents / sizeof exponents[0])

/* The three ways of drawing, by loop index i % 3: the alias table over every rank, the table
 * over the first 100 ranks and 175 blocks of 1 to 15 of the 900 others, drawn by rejection
 * (every key is checked, so a wrong hat, acceptance or rank at a block's edge shows), and
 * rejection-inversion alone (forced with a table limit of 0). */
static const uint64_t table_max[3] = {SMALL, 100, 0};
static const char *const sampler_name[3] = {"alias", "alias + blocks", "rejection-inversion"};

/* Loop index i: exponent i/3, sampler i % 3. At s = 1.2 the rarest key expects
 * 2e5 * 5.8e-5 = 11.6 draws, so no pooling happens up to there; s = 2 pools its tail. */
START_TEST(test_zipf_chi_square)
{
    double s = exponents[_i / 3];
    int mode = _i % 3;
    struct keydist k;
    char msg[128];
    ck_assert_int_eq(
        keydist_init_table_max(&k, SMALL, 1, s, 0, 0, table_max[mode], msg, sizeof msg), 0);
    ck_assert(mode == 2 ? k.alias == NULL : k.alias != NULL);
    ck_assert_uint_eq(k.head, table_max[mode]);
    ck_assert_uint_eq(k.nblocks, mode == 1 ? 175 : 0);
    static long obs[SMALL];
    static double p[SMALL];
    memset(obs, 0, sizeof obs);
    gsl_rng *r = rng_stream(77, "keys-test", (uint32_t)_i, "zipf");
    long outside = 0;
    for (long i = 0; i < NDRAWS; i++) {
        uint64_t key = keydist_draw(&k, r);
        if (key < SMALL)
            obs[key]++;
        else
            outside++;
    }
    gsl_rng_free(r);
    ck_assert_int_eq(outside, 0);
    for (uint64_t i = 0; i < SMALL; i++)
        p[i] = keydist_pmf(&k, i);
    char what[64];
    snprintf(what, sizeof what, "s=%g %s", s, sampler_name[mode]);
    assert_fits(obs, p, SMALL, NDRAWS, what);
    keydist_free(&k);
}
END_TEST

/* The table's size: the head, then blocks 1/64 of their first rank long (at least 1), cut at
 * the last key: 101..127 one rank each (27), then 2 from 128 (32 blocks), ... 175 blocks for
 * 1000 keys after 100; 266 for 1M keys after 2^14, counted by the same rule in Python. */
START_TEST(test_table_size)
{
    ck_assert_uint_eq(keydist_table_size(1000, 100), 275);
    ck_assert_uint_eq(keydist_table_size(1000000, KEYDIST_TABLE_MAX), 16384 + 266);
    ck_assert_uint_eq(keydist_table_size(50, 100), 50);
    ck_assert_uint_eq(keydist_table_size(1000000, 0), 0);
    struct keydist k;
    ck_assert_int_eq(keydist_init(&k, 1000000, 1, 0.99, 0, 0, NULL, 0), 0);
    ck_assert_uint_eq(k.head + k.nblocks, 16384 + 266);
    ck_assert_uint_eq(k.block_lo[0], 16385);
    ck_assert_uint_eq(k.block_lo[k.nblocks], 1000001);
    for (uint64_t b = 0; b < k.nblocks; b++) {
        uint64_t n = k.block_lo[b + 1] - k.block_lo[b];
        ck_assert(n == k.block_lo[b] / 64 || b == k.nblocks - 1);
    }
    keydist_free(&k);
}
END_TEST

/* A tail of a single rank (the table holds all but the last key): one block of one rank,
 * always accepted, and its share is binomial around the pmf; 4 sd allowed. */
START_TEST(test_zipf_tail_of_one)
{
    struct keydist k;
    ck_assert_int_eq(keydist_init_table_max(&k, 101, 1, 1.0, 0, 0, 100, NULL, 0), 0);
    ck_assert_uint_eq(k.head, 100);
    ck_assert_uint_eq(k.nblocks, 1);
    gsl_rng *r = rng_stream(83, "keys-test", 0, "tail-one");
    long last = 0, outside = 0;
    for (long i = 0; i < NDRAWS; i++) {
        uint64_t key = keydist_draw(&k, r);
        last += key == 100;
        outside += key > 100;
    }
    gsl_rng_free(r);
    ck_assert_int_eq(outside, 0);
    double p = keydist_pmf(&k, 100);
    ck_assert_double_eq_tol((double)last / NDRAWS, p, 4 * sqrt(p * (1 - p) / NDRAWS));
    keydist_free(&k);
}
END_TEST

/* 1e9 keys, where a table of every key is out of the question (the table holds the first
 * KEYDIST_TABLE_MAX ranks and blocks of the rest): draws binned by
 * decade of rank ([1,9], [10,99], ..., [1e8,1e9]) against probabilities from the harmonic
 * numbers, (H(hi) - H(lo-1)) / H(1e9): 9 bins, 8 degrees of freedom (critical 26.12). */
START_TEST(test_zipf_huge_count)
{
    static const double s_values[] = {0.7, 1.0, 1.3};
    const double s = s_values[_i];
    const uint64_t n = 1000000000;
    struct keydist k;
    ck_assert_int_eq(keydist_init(&k, n, 1, s, 0, 0, NULL, 0), 0);
    ck_assert_ptr_nonnull(k.alias);
    ck_assert_uint_eq(k.head, KEYDIST_TABLE_MAX);
    long obs[9] = {0};
    double p[9];
    gsl_rng *r = rng_stream(78, "keys-test", (uint32_t)_i, "zipf-huge");
    long outside = 0;
    for (long i = 0; i < NDRAWS; i++) {
        uint64_t key = keydist_draw(&k, r);
        outside += key >= n;
        int bin = 0;
        for (uint64_t rank = key + 1; rank >= 10 && bin < 8; rank /= 10)
            bin++;
        obs[bin]++;
    }
    gsl_rng_free(r);
    ck_assert_int_eq(outside, 0);
    uint64_t lo = 1;
    double total = 0;
    for (int b = 0; b < 9; b++, lo *= 10) {
        uint64_t hi = b < 8 ? lo * 10 - 1 : n;
        p[b] = (keydist_harmonic(hi, s) - keydist_harmonic(lo - 1, s)) / k.harmonic;
        total += p[b];
    }
    /* The decades cover all ranks. */
    ck_assert_double_eq_tol(total, 1, 1e-12);
    assert_fits(obs, p, 9, NDRAWS, "zipf 1e9 keys");
    keydist_free(&k);
}
END_TEST

/* Exponents at the edges of the rejection-inversion formulas (near 0, where H(x) is almost
 * x - 1, and large, where key 0 takes nearly everything) on 1e12 keys: the share of key 0 and
 * of the upper half of the ranks, each binomial around the exact value; 4 sd allowed, and at
 * least 2e-5 (two draws in 1e5): at s = 20 key 0 has 0.999999, the normal approximation
 * breaks down, and the misses are Poisson with mean 0.1, so two of them (p = 0.0045) must
 * still pass while three (p = 1.5e-4) fail. */
START_TEST(test_zipf_extreme_exponents)
{
    static const double s_values[] = {1e-6, 0.999999, 3.0, 20.0};
    const double s = s_values[_i];
    const uint64_t n = 1000000000000ULL;
    const long draws = 100000;
    struct keydist k;
    ck_assert_int_eq(keydist_init(&k, n, 1, s, 0, 0, NULL, 0), 0);
    long first = 0, upper = 0;
    gsl_rng *r = rng_stream(82, "keys-test", (uint32_t)_i, "extreme");
    for (long i = 0; i < draws; i++) {
        uint64_t key = keydist_draw(&k, r);
        first += key == 0;
        upper += key >= n / 2;
    }
    gsl_rng_free(r);
    double p0 = keydist_pmf(&k, 0);
    double pu = (k.harmonic - keydist_harmonic(n / 2, s)) / k.harmonic;
    double tol0 = fmax(4 * sqrt(p0 * (1 - p0) / draws), 2e-5);
    double tolu = fmax(4 * sqrt(pu * (1 - pu) / draws), 2e-5);
    ck_assert_msg(fabs((double)first / draws - p0) <= tol0, "s=%g key 0: %g vs %g", s,
                  (double)first / draws, p0);
    ck_assert_msg(fabs((double)upper / draws - pu) <= tolu, "s=%g upper half: %g vs %g", s,
                  (double)upper / draws, pu);
    keydist_free(&k);
}
END_TEST

/* Uniform over 3e10 keys, beyond gsl_rng_uniform_int's 2^32 - 1: ten equal bins (9 df), and
 * 85.7% of draws must land above 2^32 (binomial, 4 sd). */
START_TEST(test_uniform_beyond_32_bits)
{
    const uint64_t n = 30000000000ULL;
    struct keydist k;
    ck_assert_int_eq(keydist_init(&k, n, 0, 0, 0, 0, NULL, 0), 0);
    long obs[10] = {0}, high = 0;
    double p[10];
    gsl_rng *r = rng_stream(79, "keys-test", 0, "uniform");
    long outside = 0;
    for (long i = 0; i < NDRAWS; i++) {
        uint64_t key = keydist_draw(&k, r);
        if (key < n)
            obs[key / (n / 10)]++;
        else
            outside++;
        high += key >= (UINT64_C(1) << 32);
    }
    gsl_rng_free(r);
    ck_assert_int_eq(outside, 0);
    for (int b = 0; b < 10; b++)
        p[b] = 0.1;
    assert_fits(obs, p, 10, NDRAWS, "uniform 3e10 keys");
    double want = 1 - 4294967296.0 / (double)n;
    ck_assert_double_eq_tol((double)high / NDRAWS, want, 4 * sqrt(want * (1 - want) / NDRAWS));
    ck_assert_double_eq(keydist_pmf(&k, 12345), 1 / (double)n);
}
END_TEST

/* Hot keys take hot_share of the draws on top of their base share: the fraction of draws on
 * keys 0..hot_keys-1 is binomial around the pmf's total over them; 4 sd allowed. */
START_TEST(test_hot_keys_share)
{
    static const struct {
        uint64_t count;
        int zipf;
        double s;
        uint64_t hot;
        double share;
        uint64_t table_max;
    } c[] = {
        {1000, 1, 1.0, 3, 0.2, KEYDIST_TABLE_MAX},
        {1000000, 0, 0, 10, 0.5, KEYDIST_TABLE_MAX},
        {1000000000, 1, 0.8, 100, 0.3, KEYDIST_TABLE_MAX},
        {1000, 1, 1.2, 10, 0.9, 0},
    };
    struct keydist k;
    ck_assert_int_eq(keydist_init_table_max(&k, c[_i].count, c[_i].zipf, c[_i].s, c[_i].hot,
                                            c[_i].share, c[_i].table_max, NULL, 0),
                     0);
    double want = 0;
    for (uint64_t i = 0; i < c[_i].hot; i++)
        want += keydist_pmf(&k, i);
    long hits = 0;
    gsl_rng *r = rng_stream(80, "keys-test", (uint32_t)_i, "hot");
    long outside = 0;
    for (long i = 0; i < NDRAWS; i++) {
        uint64_t key = keydist_draw(&k, r);
        outside += key >= c[_i].count;
        hits += key < c[_i].hot;
    }
    gsl_rng_free(r);
    ck_assert_int_eq(outside, 0);
    ck_assert_double_eq_tol((double)hits / NDRAWS, want, 4 * sqrt(want * (1 - want) / NDRAWS));
    /* The mixture as the header states it. */
    double base0 = c[_i].zipf ? 1 / k.harmonic : 1 / (double)c[_i].count;
    ck_assert_double_eq_tol(keydist_pmf(&k, 0),
                            (1 - c[_i].share) * base0 + c[_i].share / (double)c[_i].hot, 1e-15);
    keydist_free(&k);
}
END_TEST

/* The pmf sums to 1 over all keys (compensated sum; 1e-12 allows for a million roundings of
 * pow), is 0 past the last key, and is the same for both Zipf samplers. */
START_TEST(test_pmf_sums_to_one)
{
    static const struct {
        uint64_t count;
        int zipf;
        double s;
        uint64_t hot;
        double share;
    } c[] = {
        {1000, 1, 0.5, 0, 0},     {1000, 1, 1.0, 5, 0.1},  {1000, 0, 0, 7, 0.3},
        {1000000, 1, 0.99, 0, 0}, {1000000, 1, 1.0, 0, 0}, {1000000, 1, 1.2, 20, 0.4},
        {1000000, 1, 0.0, 0, 0},  {1, 1, 1.0, 1, 0.5},
    };
    struct keydist k, ri;
    ck_assert_int_eq(
        keydist_init(&k, c[_i].count, c[_i].zipf, c[_i].s, c[_i].hot, c[_i].share, NULL, 0), 0);
    ck_assert_int_eq(keydist_init_table_max(&ri, c[_i].count, c[_i].zipf, c[_i].s, c[_i].hot,
                                            c[_i].share, 0, NULL, 0),
                     0);
    double sum = 0, comp = 0;
    long differ = 0;
    for (uint64_t i = 0; i < c[_i].count; i++) {
        double t = keydist_pmf(&k, i), u = sum + t;
        comp += fabs(sum) >= t ? (sum - u) + t : (t - u) + sum;
        sum = u;
        differ += keydist_pmf(&ri, i) != t;
    }
    ck_assert_int_eq(differ, 0);
    ck_assert_double_eq_tol(sum + comp, 1, 1e-12);
    ck_assert_double_eq(keydist_pmf(&k, c[_i].count), 0);
    keydist_free(&k);
    keydist_free(&ri);
}
END_TEST

static double harmonic_direct(uint64_t n, double s)
{
    double sum = 0, comp = 0;
    for (uint64_t i = n; i >= 1; i--) {
        double t = pow((double)i, -s), u = sum + t;
        comp += fabs(sum) >= t ? (sum - u) + t : (t - u) + sum;
        sum = u;
    }
    return sum + comp;
}

/* Euler-Maclaurin beyond 65536 terms against a direct compensated sum (1e6 terms, so the
 * tail formula carries 93% of the range); the two agree to a few roundings, 1e-13. */
START_TEST(test_harmonic_matches_direct_sum)
{
    static const double s_values[] = {0, 0.3, 0.5, 0.99, 1.0, 1.01, 1.2, 2.0};
    for (size_t i = 0; i < sizeof s_values / sizeof s_values[0]; i++) {
        double s = s_values[i];
        double direct = harmonic_direct(1000000, s);
        ck_assert_msg(fabs(keydist_harmonic(1000000, s) - direct) <= 1e-13 * direct,
                      "s=%g: %.17g vs %.17g", s, keydist_harmonic(1000000, s), direct);
        ck_assert_double_eq(keydist_harmonic(1000, s), harmonic_direct(1000, s));
    }
    ck_assert_double_eq(keydist_harmonic(0, 1.0), 0);
    ck_assert_double_eq(keydist_harmonic(1, 1.7), 1);
    /* s = 0 counts the terms exactly. */
    ck_assert_double_eq(keydist_harmonic(123456789, 0), 123456789);
}
END_TEST

/* For huge n, references outside the project: H(n, s) = zeta(s) - zeta(s, n+1) (Hurwitz) for
 * s > 1 and H(n, 1) = psi(n+1) + Euler's gamma, both from GSL. 1e-12 relative covers GSL's
 * own error (a few 1e-15) and ours. */
START_TEST(test_harmonic_huge_against_gsl)
{
    static const double ns[] = {1e7, 1e9, 1e12, 4e15};
    static const double s_values[] = {1.2, 2.0, 3.0};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        uint64_t n = (uint64_t)ns[i];
        for (size_t j = 0; j < sizeof s_values / sizeof s_values[0]; j++) {
            double s = s_values[j];
            double want = gsl_sf_zeta(s) - gsl_sf_hzeta(s, ns[i] + 1);
            double got = keydist_harmonic(n, s);
            ck_assert_msg(fabs(got - want) <= 1e-12 * want, "n=%g s=%g: %.17g vs %.17g", ns[i], s,
                          got, want);
        }
        double want = gsl_sf_psi(ns[i] + 1) + M_EULER;
        double got = keydist_harmonic(n, 1.0);
        ck_assert_msg(fabs(got - want) <= 1e-12 * want, "n=%g s=1: %.17g vs %.17g", ns[i], got,
                      want);
    }
}
END_TEST

START_TEST(test_init_rejects)
{
    static const struct {
        uint64_t count;
        int zipf;
        double s;
        uint64_t hot;
        double share;
        const char *msg;
    } c[] = {
        {0, 0, 0, 0, 0, "at least 1"},
        {10, 2, 1, 0, 0, "zipf must be 0"},
        {10, 1, -0.5, 0, 0, "s must be >= 0"},
        {10, 1, NAN, 0, 0, "s must be >= 0"},
        {10, 1, INFINITY, 0, 0, "s must be >= 0"},
        {10, 0, 0, 1, 1.5, "within [0, 1]"},
        {10, 0, 0, 1, -0.1, "within [0, 1]"},
        {10, 0, 0, 1, NAN, "within [0, 1]"},
        {10, 0, 0, 11, 0.1, "exceed the key count"},
        {10, 0, 0, 0, 0.1, "at least one hot key"},
        {(UINT64_C(1) << 52) + 1, 1, 1, 0, 0, "at most 2^52"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct keydist k;
        char msg[128];
        ck_assert_int_eq(
            keydist_init(&k, c[i].count, c[i].zipf, c[i].s, c[i].hot, c[i].share, msg, sizeof msg),
            -1);
        ck_assert_msg(strstr(msg, c[i].msg) != NULL, "case %zu: \"%s\"", i, msg);
        ck_assert_ptr_null(k.alias);
        keydist_free(&k);
        /* No message buffer: still an error, and no write. */
        ck_assert_int_eq(
            keydist_init(&k, c[i].count, c[i].zipf, c[i].s, c[i].hot, c[i].share, NULL, 0), -1);
    }
    /* The largest Zipf key space is accepted and drawn from (blocks of up to 2^46 ranks). */
    struct keydist k;
    ck_assert_int_eq(keydist_init(&k, UINT64_C(1) << 52, 1, 1.1, 0, 0, NULL, 0), 0);
    gsl_rng *r = rng_stream(81, "keys-test", 0, "edge");
    long outside = 0;
    for (int i = 0; i < 1000; i++)
        outside += keydist_draw(&k, r) >= UINT64_C(1) << 52;
    ck_assert_int_eq(outside, 0);
    gsl_rng_free(r);
    keydist_free(&k);
    keydist_free(&k);
}
END_TEST

Suite *keys_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_zipf_chi_square, 0, 3 * NEXP);
    tcase_add_test(tc, test_zipf_tail_of_one);
    tcase_add_test(tc, test_table_size);
    tcase_add_loop_test(tc, test_zipf_huge_count, 0, 3);
    tcase_add_loop_test(tc, test_zipf_extreme_exponents, 0, 4);
    tcase_add_test(tc, test_uniform_beyond_32_bits);
    tcase_add_loop_test(tc, test_hot_keys_share, 0, 4);
    tcase_add_loop_test(tc, test_pmf_sums_to_one, 0, 8);
    tcase_add_test(tc, test_harmonic_matches_direct_sum);
    tcase_add_test(tc, test_harmonic_huge_against_gsl);
    tcase_add_test(tc, test_init_rejects);
    suite_add_tcase(s, tc);
    return s;
}
