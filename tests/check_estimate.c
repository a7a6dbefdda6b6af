/* Tests for sim/estimate.c: Erlang B and C against published values, the M/M/1, M/D/1 and
 * M/M/c formulas through whole scenarios, response times composed along the call graph,
 * average and peak rates with ramps and `set` events. */
#include "models/registry.h"
#include "sim/estimate.h"

#include "tests/testutil.h"

#include <check.h>
#include <math.h>
#include <string.h>

/* Reference values from standard Erlang tables (e.g. B(5, 4) = 0.19907, C(4, 3) = 0.50943). */
START_TEST(test_erlang)
{
    ck_assert_double_eq_tol(erlang_b(5, 4), 0.199067, 1e-6);
    ck_assert_double_eq_tol(erlang_b(1, 1), 0.5, 1e-12);
    ck_assert_double_eq_tol(erlang_c(4, 3), 0.509434, 1e-6);
    ck_assert_double_eq_tol(erlang_c(1, 0.8), 0.8, 1e-12);
    ck_assert_double_eq(erlang_c(2, 2), 1);
}
END_TEST

static double entry_response(const char *text, double *util)
{
    struct scenario *sc = tu_load(text);
    struct estimate e;
    estimate_at(sc, estimate_average_rate(sc, 0, sc->duration), 0, &e);
    double r = e.end_to_end;
    if (util)
        *util = e.comps[0].util;
    estimate_free(&e);
    scenario_free(sc);
    return r;
}

START_TEST(test_single_server_formulas)
{
    double util;
    /* M/M/1, rho 0.8: W = 1 / (mu - lambda) = 50 ms. */
    double w = entry_response("{\"duration\":\"100s\",\"workload\":{\"rate\":80,\"entry\":\"s\"},"
                              "\"components\":[{\"id\":\"s\",\"type\":\"service\",\"service\":"
                              "{\"dist\":\"exp\",\"mean\":\"10ms\"}}]}",
                              &util);
    ck_assert_double_eq_tol(w, 0.050, 1e-12);
    ck_assert_double_eq_tol(util, 0.8, 1e-12);
    /* M/D/1: Wq = rho / (2 mu (1 - rho)) = 20 ms, W = 30 ms. */
    w = entry_response("{\"duration\":\"100s\",\"workload\":{\"rate\":80,\"entry\":\"s\"},"
                       "\"components\":[{\"id\":\"s\",\"type\":\"service\",\"service\":\"10ms\"}]}",
                       NULL);
    ck_assert_double_eq_tol(w, 0.030, 1e-12);
    /* M/M/4 at 300/s, 10 ms: W = C(4, 3) / (400 - 300) + 10 ms. */
    w = entry_response("{\"duration\":\"100s\",\"workload\":{\"rate\":300,\"entry\":\"s\"},"
                       "\"components\":[{\"id\":\"s\",\"type\":\"service\",\"workers\":4,"
                       "\"service\":{\"dist\":\"exp\",\"mean\":\"10ms\"}}]}",
                       NULL);
    ck_assert_double_eq_tol(w, erlang_c(4, 3) / 100 + 0.010, 1e-12);
}
END_TEST

/* web holds its worker while db answers: web's holding time is its service plus db's whole
 * response (db's queueing and both network legs), and the end to end adds web's own legs. */
START_TEST(test_composition)
{
    const char *text = "{\"duration\":\"100s\",\"workload\":{\"rate\":50,\"entry\":\"web\"},"
                       "\"components\":[{\"id\":\"web\",\"type\":\"service\",\"workers\":100,"
                       "\"latency\":\"1ms\",\"service\":\"2ms\",\"calls\":{\"*\":[\"db\"]}},"
                       "{\"id\":\"db\",\"type\":\"service\",\"latency\":\"3ms\","
                       "\"service\":{\"dist\":\"exp\",\"mean\":\"10ms\"}}]}";
    struct scenario *sc = tu_load(text);
    struct estimate e;
    estimate_at(sc, 50, 0, &e);
    double db = 2 * 0.003 + 1 / (100.0 - 50.0); /* M/M/1 at 50/s plus two legs */
    ck_assert_double_eq_tol(e.comps[1].response, db, 1e-12);
    ck_assert_double_eq_tol(e.comps[0].service + e.comps[0].downstream, 0.002 + db, 1e-12);
    ck_assert_double_eq_tol(e.end_to_end, 2 * 0.001 + 0.002 + db + e.comps[0].wait, 1e-12);
    ck_assert_uint_eq(e.bottleneck, 1);
    ck_assert_double_eq_tol(e.max_rate, 100, 1e-9);
    estimate_free(&e);
    scenario_free(sc);
}
END_TEST

START_TEST(test_average_and_peak)
{
    const char *text =
        "{\"duration\":\"100s\",\"workload\":{\"users\":[[\"0s\",0],[\"100s\",1000]],"
        "\"rate_per_user\":0.1,\"entry\":\"s\"},\"components\":[{\"id\":\"s\",\"type\":"
        "\"service\"}],\"events\":[{\"at\":\"50s\",\"action\":\"set\",\"path\":"
        "\"workload.rate_per_user\",\"value\":0.2}]}";
    struct scenario *sc = tu_load(text);
    /* Users ramp 0 -> 1000 (u = 10 t): the rate is 0.1 u = t until 50 s and 0.2 u = 2 t
     * after; its mean is (25 x 50 + 150 x 50) / 100 = 87.5 req/s. */
    ck_assert_double_eq_tol(estimate_average_rate(sc, 0, 100), 87.5, 1e-6);
    double at;
    ck_assert_double_eq_tol(estimate_peak_rate(sc, &at), 200, 1e-9);
    ck_assert_double_eq(at, 100);
    scenario_free(sc);
}
END_TEST

Suite *estimate_suite(void)
{
    Suite *s = suite_create("estimate");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_erlang);
    tcase_add_test(tc, test_single_server_formulas);
    tcase_add_test(tc, test_composition);
    tcase_add_test(tc, test_average_and_peak);
    suite_add_tcase(s, tc);
    return s;
}
