/* Tests for sim/mser.c: a stationary series keeps everything; a series with an initial
 * transient is cut where the transient has died out; short or empty series give 0. */
#include "sim/mser.h"

#include <check.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>

#define N 400

START_TEST(test_stationary_keeps_everything)
{
    double s[N], w[N];
    for (size_t i = 0; i < N; i++) {
        s[i] = 10;
        w[i] = 1;
    }
    double stat;
    ck_assert_uint_eq(mser5(s, w, N, &stat), 0);
    ck_assert_double_eq(stat, 0);
}
END_TEST

/* A level of 1 plus 20 e^(-i/15) plus unit-variance noise: the transient is below the noise
 * (one standard deviation) after about 15 ln 20 = 45 observations. MSER-5 must cut past the
 * big part of it (at least 30) and not throw away much of the stationary rest (at most 120). */
START_TEST(test_transient_is_cut)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    double s[N], w[N];
    for (size_t i = 0; i < N; i++) {
        s[i] = 1 + 20 * exp(-(double)i / 15) + gsl_ran_gaussian(r, 1);
        w[i] = 1;
    }
    double stat;
    size_t d = mser5(s, w, N, &stat);
    ck_assert_uint_eq(d % 5, 0);
    ck_assert_uint_ge(d, 30);
    ck_assert_uint_le(d, 120);
    ck_assert(stat > 0);
    gsl_rng_free(r);
}
END_TEST

/* Hand-checked: batches (of five, weight 1 each) with means 9, 1, 1, 1: dropping the first
 * batch leaves zero variance, the minimum. */
START_TEST(test_hand_checked)
{
    double s[20], w[20];
    for (size_t i = 0; i < 20; i++) {
        s[i] = i < 5 ? 9 : 1;
        w[i] = 1;
    }
    double stat;
    ck_assert_uint_eq(mser5(s, w, 20, &stat), 5);
    ck_assert_double_eq(stat, 0);
}
END_TEST

START_TEST(test_short_and_empty)
{
    double s[9] = {0}, w[9] = {0};
    ck_assert_uint_eq(mser5(s, w, 9, NULL), 0);
    double s2[20] = {0}, w2[20] = {0};
    ck_assert_uint_eq(mser5(s2, w2, 20, NULL), 0);
}
END_TEST

Suite *mser_suite(void)
{
    Suite *s = suite_create("mser");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_stationary_keeps_everything);
    tcase_add_test(tc, test_transient_is_cut);
    tcase_add_test(tc, test_hand_checked);
    tcase_add_test(tc, test_short_and_empty);
    suite_add_tcase(s, tc);
    return s;
}
