/* Tests for sim/series.c: columns and rows, O(1) range sums against a direct loop over random
 * data, and the exact CSV text. */
#include "sim/series.h"

#include "tests/testutil.h"

#include <check.h>
#include <float.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

START_TEST(test_columns_and_rows)
{
    struct series s;
    series_init(&s);
    ck_assert_uint_eq(series_add_column(&s, "t"), 0);
    ck_assert_uint_eq(series_add_column(&s, "rps"), 1);
    ck_assert_uint_eq(series_add_column(&s, "p99"), 2);
    ck_assert_uint_eq(s.ncols, 3);
    ck_assert_str_eq(s.names[1], "rps");
    /* Enough rows to grow the storage several times. */
    for (int r = 0; r < 1000; r++) {
        double row[3] = {r, 2.0 * r, -r};
        series_append(&s, row);
    }
    ck_assert_uint_eq(s.nrows, 1000);
    for (size_t r = 0; r < 1000; r++) {
        ck_assert_double_eq(series_get(&s, r, 0), (double)r);
        ck_assert_double_eq(series_get(&s, r, 1), 2.0 * (double)r);
        ck_assert_double_eq(series_get(&s, r, 2), -(double)r);
    }
    /* Integer data: the prefix sums are exact, so range sums are too. */
    ck_assert_double_eq(series_range_sum(&s, 0, 0, 1000), 999.0 * 1000 / 2);
    ck_assert_double_eq(series_range_sum(&s, 1, 10, 20), 2.0 * (10 + 19) * 10 / 2);
    ck_assert_double_eq(series_range_mean(&s, 2, 10, 20), -14.5);
    ck_assert_double_eq(series_range_sum(&s, 1, 7, 7), 0);
    ck_assert_double_eq(series_range_mean(&s, 1, 7, 7), 0);
    series_free(&s);
    series_free(&s); /* a second free is a no-op */
}
END_TEST

/* Range sums over random data against a direct loop, for random ranges. A prefix sum of up
 * to n terms is within (n - 1) eps sum|x| of exact (recursive summation; Higham, Accuracy and
 * Stability of Numerical Algorithms, ch. 4, with unit roundoff eps / 2). Two of them, the
 * direct loop and the final subtraction stay within 3 n eps sum|x| over rows [0, to). With
 * values of mixed sign up to about 1e3, that is 3.3e-12 of the column's total magnitude,
 * well inside the 1e-9 relative the brief asks for. */
START_TEST(test_range_sum_matches_loop)
{
    const size_t n = 5000, nc = 3;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    struct series s;
    series_init(&s);
    series_add_column(&s, "a");
    series_add_column(&s, "b");
    series_add_column(&s, "c");
    double *data = malloc(n * nc * sizeof *data);
    for (size_t i = 0; i < n; i++) {
        data[i * nc + 0] = gsl_rng_uniform(r);
        data[i * nc + 1] = gsl_ran_gaussian(r, 1000);
        data[i * nc + 2] = gsl_ran_exponential(r, 1e-3);
        series_append(&s, data + i * nc);
    }
    for (int k = 0; k < 2000; k++) {
        size_t a = gsl_rng_uniform_int(r, n + 1), b = gsl_rng_uniform_int(r, n + 1);
        size_t from = a < b ? a : b, to = a < b ? b : a;
        size_t c = gsl_rng_uniform_int(r, nc);
        double direct = 0, mag = 0;
        for (size_t i = from; i < to; i++)
            direct += data[i * nc + c];
        for (size_t i = 0; i < to; i++)
            mag += fabs(data[i * nc + c]);
        double tol = 3 * (double)n * DBL_EPSILON * mag;
        double got = series_range_sum(&s, c, from, to);
        ck_assert_msg(fabs(got - direct) <= tol, "[%zu,%zu) col %zu: %.17g vs %.17g", from, to, c,
                      got, direct);
        if (to > from)
            ck_assert_double_eq(series_range_mean(&s, c, from, to), got / (double)(to - from));
        else
            ck_assert_double_eq(got, 0);
    }
    free(data);
    series_free(&s);
    gsl_rng_free(r);
}
END_TEST

/* Exact CSV text, including %.6g rounding, a negative number and a name that needs quotes. */
START_TEST(test_write_csv)
{
    struct series s;
    series_init(&s);
    series_add_column(&s, "t");
    series_add_column(&s, "p99_ms");
    series_add_column(&s, "web,\"eu\"");
    const double r0[] = {0, 12.3456789, -1};
    const double r1[] = {1.5, 1e-7, 1234567};
    series_append(&s, r0);
    series_append(&s, r1);
    char *dir = tu_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/s.csv", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(series_write_csv(&s, f), 0);
    fclose(f);
    char *text = tu_read_file(path, NULL);
    ck_assert_str_eq(text, "t,p99_ms,\"web,\"\"eu\"\"\"\n"
                           "0,12.3457,-1\n"
                           "1.5,1e-07,1.23457e+06\n");
    free(text);
    tu_remove_tree(dir);
    free(dir);
    series_free(&s);
}
END_TEST

Suite *series_suite(void)
{
    Suite *s = suite_create("series");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_columns_and_rows);
    tcase_add_test(tc, test_range_sum_matches_loop);
    tcase_add_test(tc, test_write_csv);
    suite_add_tcase(s, tc);
    return s;
}
