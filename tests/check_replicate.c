/* Tests for sim/replicate.c and sim/jobs.c: pieces run in parallel processes come back in
 * order; summaries average; and the 95% intervals cover the true M/M/1 mean at their
 * nominal rate. */
#include "models/registry.h"
#include "sim/jobs.h"
#include "sim/replicate.h"
#include "sim/report.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *square(size_t i, void *ctx)
{
    (void)ctx;
    char *s = malloc(32);
    snprintf(s, 32, "%zu", i * i);
    return s;
}

static char *fail_on_three(size_t i, void *ctx)
{
    return i == 3 ? NULL : square(i, ctx);
}

static int ran_meanwhile;
static void meanwhile(void *ctx)
{
    (void)ctx;
    ran_meanwhile++;
}

START_TEST(test_jobs_in_order)
{
    for (unsigned jobs = 1; jobs <= 4; jobs++) {
        char *out[10];
        struct sim_error err = {0};
        ran_meanwhile = 0;
        ck_assert_int_eq(jobs_run_with(10, jobs, square, NULL, out, &err, meanwhile, NULL), 0);
        ck_assert_int_eq(ran_meanwhile, 1);
        for (size_t i = 0; i < 10; i++) {
            ck_assert_int_eq(atoi(out[i]), (int)(i * i));
            free(out[i]);
        }
    }
}
END_TEST

START_TEST(test_jobs_failure_is_reported)
{
    for (unsigned jobs = 1; jobs <= 3; jobs += 2) {
        char *out[6];
        struct sim_error err = {0};
        ck_assert_int_eq(jobs_run(6, jobs, fail_on_three, NULL, out, &err), -1);
        ck_assert_int_eq(err.code, SIM_ERUNTIME);
        for (size_t i = 0; i < 6; i++)
            ck_assert_ptr_null(out[i]);
    }
}
END_TEST

START_TEST(test_merge_means_and_intervals)
{
    cJSON *s[3];
    const double means[] = {10, 12, 14};
    for (int i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "{\"scenario\":\"x\",\"seed\":%d,\"replications\":1,\"throughput_rps\":%g,"
                 "\"latency_ms\":{\"mean\":%g,\"p50\":1,\"p99\":%g},"
                 "\"requests\":{\"rejected\":0,\"failed\":0,\"timed_out\":0},"
                 "\"components\":{\"a\":{\"per_node\":[{\"requests\":%d}]}}}",
                 i + 1, 100.0 + i, means[i], 2 * means[i], 10 * (i + 1));
        s[i] = cJSON_Parse(text);
    }
    cJSON *m = replicate_merge(s, 3);
    ck_assert_double_eq_tol(summary_number(m, "latency_ms.mean"), 12, 1e-12);
    ck_assert_double_eq_tol(summary_number(m, "throughput_rps"), 101, 1e-12);
    ck_assert_double_eq(summary_number(m, "seed"), 1);
    ck_assert_double_eq(summary_number(m, "replications"), 3);
    const cJSON *per = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
                                              cJSON_GetObjectItem(m, "components"), "a"),
                                                              "per_node"),
                                          0);
    ck_assert_double_eq_tol(cJSON_GetObjectItem(per, "requests")->valuedouble, 20, 1e-12);
    /* s = 2, n = 3: half-width t(0.975, 2) x 2 / sqrt(3) = 4.302653 x 1.154701 = 4.968275. */
    const cJSON *ci = cJSON_GetObjectItem(m, "ci95");
    ck_assert_double_eq_tol(cJSON_GetObjectItem(ci, "latency_ms.mean")->valuedouble, 4.968275,
                            1e-5);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "replication_results")), 3);
    cJSON_Delete(m);
    for (int i = 0; i < 3; i++)
        cJSON_Delete(s[i]);
}
END_TEST

/* 100 intervals, each from 10 replications of a short M/M/1 run (rate 50/s, service 10 ms:
 * mean time in system 1/(mu - lambda) = 20 ms). A 95% interval covers the truth in 95% of
 * experiments; with 100 experiments the count is Binomial(100, 0.95): 90..99 holds with
 * probability 0.985 (and the seeds are fixed, so the outcome is repeatable). */
START_TEST(test_intervals_cover_mm1_mean)
{
    const char *text = "{\"name\":\"cov\",\"duration\":\"120s\",\"metrics\":{\"interval\":"
                       "\"60s\",\"warmup\":\"10s\"},\"workload\":{\"rate\":50,\"entry\":\"s\"},"
                       "\"components\":[{\"id\":\"s\",\"type\":\"service\","
                       "\"service\":{\"dist\":\"exp\",\"mean\":\"10ms\"}}]}";
    struct sim_error err = {0};
    struct scenario *sc;
    ck_assert_int_eq(scenario_load_text("cov.json", text, strlen(text), NULL, 0, model_registry,
                                        &sc, &err),
                     0);
    int covered = 0;
    for (int e = 0; e < 100; e++) {
        double x[10];
        for (int r = 0; r < 10; r++) {
            struct world *w;
            ck_assert_int_eq(world_create(sc, (uint64_t)(1000 + e * 10 + r), &w, &err), 0);
            ck_assert_int_eq(world_run(w, NULL, NULL, NULL, &err), 0);
            x[r] = hist_mean(&w->latency);
            world_free(w);
        }
        double mean, half = replicate_half_width(x, 10, &mean);
        covered += fabs(mean - 0.020) <= half;
    }
    fprintf(stderr, "replicate: 95%% intervals covered the M/M/1 mean in %d of 100\n", covered);
    ck_assert_int_ge(covered, 90);
    ck_assert_int_le(covered, 99);
    scenario_free(sc);
}
END_TEST

Suite *replicate_suite(void)
{
    Suite *s = suite_create("replicate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_jobs_in_order);
    tcase_add_test(tc, test_jobs_failure_is_reported);
    tcase_add_test(tc, test_merge_means_and_intervals);
    tcase_add_test(tc, test_intervals_cover_mm1_mean);
    suite_add_tcase(s, tc);
    return s;
}
