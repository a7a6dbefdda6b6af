/* Tests for models/service.c: per-op service times (an M/G/1 mixture against
 * Pollaczek-Khinchine), node speeds, calls in order, and the field checks. */
#include "models/registry.h"
#include "sim/scenario.h"
#include "sim/world.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static struct scenario *load(const char *text, struct sim_error *err)
{
    struct scenario *sc = NULL;
    scenario_load_text("s.json", text, strlen(text), NULL, 0, model_registry, &sc, err);
    return sc;
}

/* Reads at 5 ms and writes at 45 ms (constant), 80% / 20%, at 40 req/s: the service time is
 * a two-point mixture with E[S] = 13 ms and E[S^2] = 0.8 x 25 + 0.2 x 2025 = 425 ms^2, so
 * P-K gives W = lambda E[S^2] / (2 (1 - rho)) + E[S] = 0.04 x 425 / (2 x 0.48) + 13
 * = 30.708 ms. 8 replications of 2000 s; 99.9% interval as in check_theory.c. */
START_TEST(test_per_op_service_pk)
{
    const char *text = "{\"duration\":\"2000s\",\"metrics\":{\"interval\":\"100s\",\"warmup\":"
                       "\"50s\"},\"workload\":{\"rate\":40,\"entry\":\"s\",\"ops\":{\"read\":0.8,"
                       "\"write\":0.2}},\"components\":[{\"id\":\"s\",\"type\":\"service\","
                       "\"service\":{\"read\":\"5ms\",\"write\":\"45ms\"}}]}";
    struct sim_error err = {0};
    struct scenario *sc = load(text, &err);
    ck_assert_ptr_nonnull(sc);
    double x[8], m = 0, v = 0;
    for (int r = 0; r < 8; r++) {
        struct world *w;
        ck_assert_int_eq(world_create(sc, (uint64_t)r + 1, &w, &err), 0);
        ck_assert_int_eq(world_run(w, NULL, NULL, NULL, &err), 0);
        x[r] = hist_mean(&w->latency);
        m += x[r] / 8;
        world_free(w);
    }
    for (int r = 0; r < 8; r++)
        v += (x[r] - m) * (x[r] - m) / 7;
    double half = 5.408 * sqrt(v / 8); /* t(0.9995, 7) = 5.408 */
    fprintf(stderr, "service: per-op M/G/1 mean %.4f ms ± %.3f, theory 30.708 ms\n", m * 1e3,
            half * 1e3);
    ck_assert(fabs(m - 0.030708) <= half);
    scenario_free(sc);
}
END_TEST

/* A node at half speed takes twice as long: with constant 10 ms and evenly spaced arrivals,
 * node 0 answers in 10 ms and node 1 in 20 ms. */
START_TEST(test_speeds)
{
    const char *text = "{\"duration\":\"10s\",\"workload\":{\"rate\":10,\"arrivals\":\"uniform\","
                       "\"entry\":\"s\"},\"components\":[{\"id\":\"s\",\"type\":\"service\","
                       "\"nodes\":2,\"speeds\":[1,0.5],\"service\":\"10ms\"}]}";
    struct sim_error err = {0};
    struct scenario *sc = load(text, &err);
    ck_assert_ptr_nonnull(sc);
    struct world *w;
    ck_assert_int_eq(world_create(sc, 1, &w, &err), 0);
    ck_assert_int_eq(world_run(w, NULL, NULL, NULL, &err), 0);
    ck_assert_uint_eq(w->completed, 100);
    ck_assert_double_eq_tol(hist_mean(&w->latency), 0.015, 1e-6);
    ck_assert_double_eq_tol(hist_max(&w->latency), 0.020, 1e-6);
    world_free(w);
    scenario_free(sc);
}
END_TEST

START_TEST(test_field_errors)
{
    static const struct {
        const char *component;
        const char *path;
        const char *needle;
    } cases[] = {
        {"\"service\":{\"raed\":\"5ms\"}", "components[0].service.raed", "did you mean"},
        {"\"service\":{\"dist\":\"exp\"}", "components[0].service.mean", "mean"},
        {"\"speeds\":[1,0]", "components[0].speeds[1]", "above 0"},
        {"\"speeds\":[1,1,1]", "components[0].speeds", "one per node"},
        {"\"calls\":{\"read\":[\"nope\"]}", "components[0].calls.read[0]", "unknown component"},
        {"\"calls\":{\"reed\":[\"s\"]}", "components[0].calls.reed", "did you mean"},
        {"\"workers\":0", "components[0].workers", "between"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"duration\":\"10s\",\"workload\":{\"rate\":1,\"entry\":\"s\"},"
                 "\"components\":[{\"id\":\"s\",\"type\":\"service\",\"nodes\":2,%s}]}",
                 cases[i].component);
        struct sim_error err = {0};
        struct scenario *sc = load(text, &err);
        ck_assert_msg(sc == NULL, "case %zu accepted", i);
        ck_assert_msg(strcmp(err.path, cases[i].path) == 0, "case %zu: path %s", i, err.path);
        ck_assert_msg(strstr(err.msg, cases[i].needle), "case %zu: %s", i, err.msg);
    }
}
END_TEST

Suite *service_suite(void)
{
    Suite *s = suite_create("service");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_per_op_service_pk);
    tcase_add_test(tc, test_speeds);
    tcase_add_test(tc, test_field_errors);
    suite_add_tcase(s, tc);
    return s;
}
