/* Tests for jobs_run_each (sim/jobs.c): pieces already present are kept and not computed,
 * on_done sees each computed piece exactly once, and a failure clears every result. */
#include "sim/error.h"
#include "sim/jobs.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *cube(size_t i, void *ctx)
{
    (void)ctx;
    char *s = malloc(32);
    snprintf(s, 32, "%zu", i * i * i);
    return s;
}

static char *fail_on_five(size_t i, void *ctx)
{
    return i == 5 ? NULL : cube(i, ctx);
}

struct seen {
    unsigned calls[12];
    unsigned total;
};

static void on_done(size_t i, const char *text, void *vctx)
{
    struct seen *s = vctx;
    ck_assert_int_eq(atoi(text), (int)(i * i * i));
    s->calls[i]++;
    s->total++;
}

START_TEST(test_kept_pieces_are_not_computed)
{
    for (unsigned jobs = 1; jobs <= 3; jobs++) {
        char *out[12] = {0};
        /* A kept piece holds a text the work function would never return. */
        out[0] = strdup("kept0");
        out[4] = strdup("kept4");
        out[11] = strdup("kept11");
        struct seen seen = {0};
        struct sim_error err = {0};
        ck_assert_int_eq(jobs_run_each(12, jobs, cube, NULL, out, &err, on_done, &seen), 0);
        ck_assert_uint_eq(seen.total, 9);
        for (size_t i = 0; i < 12; i++) {
            if (i == 0 || i == 4 || i == 11) {
                char want[16];
                snprintf(want, sizeof want, "kept%zu", i);
                ck_assert_str_eq(out[i], want);
                ck_assert_uint_eq(seen.calls[i], 0);
            } else {
                ck_assert_int_eq(atoi(out[i]), (int)(i * i * i));
                ck_assert_uint_eq(seen.calls[i], 1);
            }
            free(out[i]);
        }
    }
}
END_TEST

START_TEST(test_all_kept_computes_nothing)
{
    char *out[3] = {strdup("a"), strdup("b"), strdup("c")};
    struct seen seen = {0};
    struct sim_error err = {0};
    ck_assert_int_eq(jobs_run_each(3, 2, fail_on_five, NULL, out, &err, on_done, &seen), 0);
    ck_assert_uint_eq(seen.total, 0);
    ck_assert_str_eq(out[1], "b");
    for (size_t i = 0; i < 3; i++)
        free(out[i]);
}
END_TEST

START_TEST(test_failure_clears_kept_too)
{
    for (unsigned jobs = 1; jobs <= 3; jobs += 2) {
        char *out[8] = {0};
        out[2] = strdup("kept");
        struct sim_error err = {0};
        ck_assert_int_eq(jobs_run_each(8, jobs, fail_on_five, NULL, out, &err, NULL, NULL), -1);
        ck_assert_int_eq(err.code, SIM_ERUNTIME);
        for (size_t i = 0; i < 8; i++)
            ck_assert_ptr_null(out[i]);
    }
}
END_TEST

Suite *jobseach_suite(void)
{
    Suite *s = suite_create("jobseach");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_kept_pieces_are_not_computed);
    tcase_add_test(tc, test_all_kept_computes_nothing);
    tcase_add_test(tc, test_failure_clears_kept_too);
    suite_add_tcase(s, tc);
    return s;
}
