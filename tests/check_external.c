/* Tests for models/external.c through whole scenarios replaying traces: the quota throttles
 * exactly (fixed window by default, sliding log when chosen), one quota over several nodes
 * unless told otherwise, workers and waiting room, Retry-After honoured by a retrying caller,
 * a sidecar caching agent keeping calls under the quota, and configuration errors. */
#include "models/registry.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run {
    struct scenario *sc;
    struct world *w;
    cJSON *summary;
};

static void run_text(struct run *r, const char *text)
{
    struct sim_error err = {0};
    int rc =
        scenario_load_text("ext.json", text, strlen(text), NULL, 0, model_registry, &r->sc, &err);
    if (rc)
        sim_error_print(&err);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(world_create(r->sc, 1, &r->w, &err), 0);
    ck_assert_int_eq(world_run(r->w, NULL, NULL, NULL, &err), 0);
    r->summary = report_summary(r->w);
}

static void run_free(struct run *r)
{
    cJSON_Delete(r->summary);
    world_free(r->w);
    scenario_free(r->sc);
}

static double api_num(const struct run *r, const char *field)
{
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(r->summary, "components"), "api");
    const cJSON *v = cJSON_GetObjectItem(c, field);
    ck_assert_msg(cJSON_IsNumber(v), "api.%s is not a number", field);
    return v->valuedouble;
}

/* n requests at (i + 0.5) / rate s: none on a window edge. Returns the path (caller frees). */
static char *trace_even(size_t n, double rate)
{
    size_t cap = 40 * n + 64, len = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    len += (size_t)snprintf(text, cap, "t_s,op,key,client\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%.9f,read,0,0\n", ((double)i + 0.5) / rate);
    char *path = strdup(tu_write_temp(text, ".csv"));
    free(text);
    return path;
}

/* The client calls the API directly. */
static void api_run(struct run *r, const char *trace, const char *duration, const char *fields)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"ext\",\"duration\":\"%s\",\"metrics\":{\"interval\":\"1s\"},"
             "\"workload\":{\"entry\":\"api\",\"trace\":\"%s\"},"
             "\"components\":[{\"id\":\"api\",\"type\":\"external\",%s}]}",
             duration, trace, fields);
    run_text(r, text);
}

/* 150 calls/s for 10 s against 100 per second: 1500 calls, 500 throttled (429), 1000 served;
 * the throttled ones are the API's rejected and the client's. */
START_TEST(test_quota_exact)
{
    char *trace = trace_even(1500, 150);
    struct run r = {0};
    api_run(&r, trace, "11s", "\"service\":\"20ms\",\"quota\":{\"limit\":100,\"window\":\"1s\"}");
    ck_assert_double_eq(api_num(&r, "calls"), 1500);
    ck_assert_double_eq(api_num(&r, "throttled"), 500);
    ck_assert_double_eq(api_num(&r, "served"), 1000);
    ck_assert_double_eq(api_num(&r, "rejected"), 500);
    ck_assert_uint_eq(r.w->rejected, 500);
    ck_assert_uint_eq(r.w->completed, 1000);
    /* Throttling costs no service time and is not in the latency: every served call took
     * exactly its 20 ms (workers are unlimited). */
    ck_assert_double_eq_tol(hist_min(&r.w->latency), 0.02, 1e-9);
    ck_assert_double_eq_tol(hist_max(&r.w->latency), 0.02, 1e-9);
    run_free(&r);
    /* Without a quota nothing is throttled. */
    api_run(&r, trace, "11s", "\"service\":\"20ms\"");
    ck_assert_double_eq(api_num(&r, "throttled"), 0);
    ck_assert_uint_eq(r.w->completed, 1500);
    run_free(&r);
    free(trace);
}
END_TEST

/* 100 calls in the 100 ms before the 1 s boundary and 100 just after, 100 per second: the
 * default fixed window lets all 200 through, a sliding log only the first 100. */
START_TEST(test_quota_algorithm)
{
    char text[8192];
    size_t len = (size_t)snprintf(text, sizeof text, "t_s,op,key,client\n");
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%.3f,read,0,0\n", 0.9 + 0.001 * i);
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%.3f,read,0,0\n", 1.0 + 0.001 * i);
    char *trace = strdup(tu_write_temp(text, ".csv"));
    struct run r = {0};
    api_run(&r, trace, "3s", "\"quota\":{\"limit\":100,\"window\":\"1s\"}");
    ck_assert_double_eq(api_num(&r, "throttled"), 0);
    ck_assert_double_eq(api_num(&r, "served"), 200);
    run_free(&r);
    api_run(&r, trace, "3s",
            "\"quota\":{\"algorithm\":\"sliding_window_log\",\"limit\":100,\"window\":\"1s\"}");
    ck_assert_double_eq(api_num(&r, "throttled"), 100);
    ck_assert_double_eq(api_num(&r, "served"), 100);
    run_free(&r);
    free(trace);
}
END_TEST

/* An API with two nodes has one quota (central) unless the quota says otherwise: 150/s over
 * two nodes is 75/s each, under 100 per node but over 100 in all. */
START_TEST(test_quota_over_nodes)
{
    char *trace = trace_even(1500, 150);
    struct run r = {0};
    api_run(&r, trace, "11s", "\"nodes\":2,\"quota\":{\"limit\":100,\"window\":\"1s\"}");
    ck_assert_double_eq(api_num(&r, "throttled"), 500);
    run_free(&r);
    api_run(&r, trace, "11s",
            "\"nodes\":2,\"quota\":{\"limit\":100,\"window\":\"1s\",\"sync\":\"local\"}");
    ck_assert_double_eq(api_num(&r, "throttled"), 0);
    run_free(&r);
    free(trace);
}
END_TEST

/* Two workers, no waiting room, 1 s per call: of three calls at once two are served (in 1 s)
 * and one is refused for want of a worker, which is not throttling. */
START_TEST(test_workers_and_queue)
{
    char *trace =
        strdup(tu_write_temp("t_s,op,key,client\n0,read,0,0\n0,read,0,0\n0,read,0,0\n", ".csv"));
    struct run r = {0};
    api_run(&r, trace, "5s",
            "\"workers\":2,\"queue\":0,\"service\":\"1s\",\"quota\":{\"limit\":10,\"window\":"
            "\"1s\"}");
    ck_assert_double_eq(api_num(&r, "calls"), 3);
    ck_assert_double_eq(api_num(&r, "served"), 2);
    ck_assert_double_eq(api_num(&r, "throttled"), 0);
    ck_assert_double_eq(api_num(&r, "rejected"), 1);
    ck_assert_double_eq_tol(hist_max(&r.w->latency), 1, 1e-9);
    run_free(&r);
    free(trace);
}
END_TEST

/* An app retries throttled calls: with a quota of 1 per 10 s the call at 2 s is throttled with
 * Retry-After 8 s, and the retry after it is served: 8 s plus the API's 10 ms. */
START_TEST(test_retry_after_honoured)
{
    char *trace = strdup(tu_write_temp("t_s,op,key,client\n1,read,0,0\n2,read,0,0\n", ".csv"));
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"ext\",\"duration\":\"30s\",\"metrics\":{\"interval\":\"1s\"},"
             "\"workload\":{\"entry\":\"app\",\"trace\":\"%s\"},"
             "\"components\":[{\"id\":\"app\",\"type\":\"service\",\"workers\":\"unlimited\","
             "\"calls\":{\"*\":[\"api\"]}},"
             "{\"id\":\"api\",\"type\":\"external\",\"service\":\"10ms\","
             "\"retries\":{\"max\":1,\"backoff\":\"100ms\",\"jitter\":\"none\"},"
             "\"quota\":{\"limit\":1,\"window\":\"10s\"}}]}",
             trace);
    struct run r = {0};
    run_text(&r, text);
    ck_assert_uint_eq(r.w->completed, 2);
    ck_assert_double_eq_tol(hist_max(&r.w->latency), 8.01, 1e-9);
    ck_assert_double_eq(api_num(&r, "throttled"), 1);
    ck_assert_double_eq(api_num(&r, "calls"), 3);
    run_free(&r);
    free(trace);
}
END_TEST

/* The secrets-agent pattern: two app nodes read one of 4 secrets on every request (100/s for
 * 10 s, app node i % 2, secret i % 4) from an API 2 ms away that allows 5 calls per second.
 * Calling it directly, 5 of each second's 100 calls pass (the last call reaches the API at
 * 9.997 s, inside the tenth window): 950 of 1000 are throttled. With a sidecar
 * caching agent (a private cache per app node, 10 s TTL) each app node asks the API only for
 * the two secrets it sees, once, when its cache is cold: 4 calls, nothing throttled, every
 * request served. */
START_TEST(test_sidecar_agent_stays_under_quota)
{
    char text[4096];
    size_t cap = 40 * 1000 + 64, len = 0;
    char *rows = malloc(cap);
    ck_assert_ptr_nonnull(rows);
    len += (size_t)snprintf(rows, cap, "t_s,op,key,client\n");
    for (int i = 0; i < 1000; i++)
        len += (size_t)snprintf(rows + len, cap - len, "%.9f,read,%d,0\n", (i + 0.5) / 100, i % 4);
    char *trace = strdup(tu_write_temp(rows, ".csv"));
    free(rows);
    const char *agent =
        "{\"id\":\"agent\",\"type\":\"cache\",\"placement\":\"sidecar\",\"capacity\":10,"
        "\"ttl\":\"10s\",\"backend\":\"api\"},";
    for (int with_agent = 0; with_agent < 2; with_agent++) {
        snprintf(text, sizeof text,
                 "{\"name\":\"ext\",\"duration\":\"11s\",\"metrics\":{\"interval\":\"1s\"},"
                 "\"workload\":{\"entry\":\"app\",\"trace\":\"%s\",\"keys\":{\"count\":4}},"
                 "\"components\":[{\"id\":\"app\",\"type\":\"service\",\"nodes\":2,"
                 "\"workers\":\"unlimited\",\"calls\":{\"*\":[\"%s\"]}},%s"
                 "{\"id\":\"api\",\"type\":\"external\",\"latency\":\"2ms\","
                 "\"service\":\"10ms\",\"quota\":{\"limit\":5,\"window\":\"1s\"}}]}",
                 trace, with_agent ? "agent" : "api", with_agent ? agent : "");
        struct run r = {0};
        run_text(&r, text);
        ck_assert_double_eq(api_num(&r, "calls"), with_agent ? 4 : 1000);
        ck_assert_double_eq(api_num(&r, "throttled"), with_agent ? 0 : 950);
        ck_assert_uint_eq(r.w->completed, with_agent ? 1000 : 50);
        ck_assert_uint_eq(r.w->rejected, with_agent ? 0 : 950);
        run_free(&r);
    }
    free(trace);
}
END_TEST

static void expect_error(const char *fields, const char *path, const char *words)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"name\":\"ext\",\"duration\":\"1s\",\"workload\":{\"rate\":1,\"entry\":\"api\"},"
             "\"components\":[{\"id\":\"api\",\"type\":\"external\",%s}]}",
             fields);
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    ck_assert_int_eq(
        scenario_load_text("ext.json", text, strlen(text), NULL, 0, model_registry, &sc, &err), -1);
    ck_assert_ptr_null(sc);
    ck_assert_msg(strcmp(err.path, path) == 0, "path %s, expected %s (%s)", err.path, path,
                  err.msg);
    ck_assert_msg(strstr(err.msg, words), "message \"%s\" lacks \"%s\"", err.msg, words);
}

START_TEST(test_errors)
{
    expect_error("\"quota\":100", "components[0].quota", "object");
    expect_error("\"quota\":{\"limit\":100}", "components[0].quota.window", "window");
    expect_error("\"quota\":{\"limit\":100,\"window\":\"1s\",\"refill_rate\":3}",
                 "components[0].quota.refill_rate", "applies only to token_bucket");
    expect_error("\"quota\":{\"limit\":100,\"window\":\"1s\",\"backend\":\"x\"}",
                 "components[0].quota.backend", "unknown");
    expect_error("\"workers\":0", "components[0].workers", "");
}
END_TEST

Suite *external_suite(void)
{
    Suite *s = suite_create("external");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_quota_exact);
    tcase_add_test(tc, test_quota_algorithm);
    tcase_add_test(tc, test_quota_over_nodes);
    tcase_add_test(tc, test_workers_and_queue);
    tcase_add_test(tc, test_retry_after_honoured);
    tcase_add_test(tc, test_sidecar_agent_stays_under_quota);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}
