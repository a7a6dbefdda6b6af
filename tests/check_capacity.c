/* Tests for sim/capacity.c: the search brackets and bisects to the analytic capacity, on the
 * safe side (each point must pass at 95% confidence), for load and for resources. */
#include "models/registry.h"
#include "sim/capacity.h"
#include "tests/testutil.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

static double search(const char *text, const char *vary, const char *slo, double errors,
                     int maximise, int integer)
{
    const char *file = tu_write_temp(text, ".json");
    struct capacity_request rq = {.file = file, .vary = vary, .maximise = maximise,
                                  .integer = integer, .from = NAN, .to = NAN,
                                  .tolerance = 0.01, .max_errors = errors, .replications = 5,
                                  .jobs = 2};
    struct sim_error err = {0};
    ck_assert_int_eq(capacity_parse_slo(slo, &rq.slos[0], &err), 0);
    rq.nslos = 1;
    cJSON *result;
    ck_assert_int_eq(capacity_search(&rq, model_registry, &result, &err), 0);
    const cJSON *ans = cJSON_GetObjectItem(result, "answer");
    ck_assert(cJSON_IsNumber(ans));
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(result, "bounded")));
    double a = ans->valuedouble;
    cJSON_Delete(result);
    remove(file);
    return a;
}

/* M/M/1 with 10 ms service: p99 of the time in system is ln(100) / (100 - lambda), under
 * 200 ms for lambda <= 76.97/s. The answer must not exceed it (each point passes only when
 * its upper 95% bound does) and, with 5 replications of 500 s, lies within a few percent. */
START_TEST(test_most_load_mm1)
{
    const char *text = "{\"name\":\"c\",\"duration\":\"500s\",\"metrics\":{\"warmup\":\"20s\"},"
                       "\"workload\":{\"rate\":80,\"entry\":\"s\"},\"components\":[{\"id\":\"s\","
                       "\"type\":\"service\",\"service\":{\"dist\":\"exp\",\"mean\":\"10ms\"}}]}";
    double a = search(text, "workload.rate", "p99=200ms", 0.01, 1, 0);
    double exact = 100 - log(100) / 0.2;
    ck_assert_msg(a <= exact && a >= 0.9 * exact, "answer %g, analytic %g", a, exact);
}
END_TEST

/* No waiting room, 4 Erlangs offered: the fewest workers losing at most 1% is 10 by Erlang B
 * (B(9, 4) = 1.3%, B(10, 4) = 0.53%), far enough apart for 5 replications to tell. */
START_TEST(test_fewest_workers_erlang_b)
{
    const char *text = "{\"name\":\"c\",\"duration\":\"300s\",\"metrics\":{\"warmup\":\"10s\"},"
                       "\"workload\":{\"rate\":400,\"entry\":\"s\"},\"components\":[{\"id\":\"s\","
                       "\"type\":\"service\",\"workers\":2,\"queue\":0,"
                       "\"service\":{\"dist\":\"exp\",\"mean\":\"10ms\"}}]}";
    double a = search(text, "components.s.workers", "mean=1s", 0.01, 0, 1);
    ck_assert_double_eq(a, 10);
}
END_TEST

START_TEST(test_slo_parsing)
{
    struct slo s;
    struct sim_error err = {0};
    ck_assert_int_eq(capacity_parse_slo("p999=1.5s", &s, &err), 0);
    ck_assert_str_eq(s.path, "latency_ms.p999");
    ck_assert_double_eq(s.limit, 1500);
    ck_assert_int_eq(capacity_parse_slo("p98=1s", &s, &err), -1);
    struct sim_error e2 = {0};
    ck_assert_int_eq(capacity_parse_slo("p99=fast", &s, &e2), -1);
    ck_assert(capacity_is_load("workload.users"));
    ck_assert(!capacity_is_load("components.web.nodes"));
}
END_TEST

Suite *capacity_suite(void)
{
    Suite *s = suite_create("capacity");
    TCase *tc = tcase_create("search");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_most_load_mm1);
    tcase_add_test(tc, test_fewest_workers_erlang_b);
    tcase_add_test(tc, test_slo_parsing);
    suite_add_tcase(s, tc);
    return s;
}
