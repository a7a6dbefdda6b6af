/* Tests for models/rate_limiter.c through whole scenarios replaying traces: exact admissions
 * at the window edge per algorithm, token bucket counts, leaky bucket departures, local vs
 * central vs eventual counting over three nodes, Retry-After honoured by retries, per-client
 * keys, node failure, and the errors of bad configurations. */
#include "models/registry.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/testutil.h"

#include <check.h>
#include <math.h>
#include <stdarg.h>
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
        scenario_load_text("rl.json", text, strlen(text), NULL, 0, model_registry, &r->sc, &err);
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

static const cJSON *comp_json(const struct run *r, const char *id)
{
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(r->summary, "components"), id);
    ck_assert_ptr_nonnull(c);
    return c;
}

static double comp_num(const struct run *r, const char *id, const char *field)
{
    const cJSON *v = cJSON_GetObjectItem(comp_json(r, id), field);
    ck_assert_msg(cJSON_IsNumber(v), "%s.%s is not a number", id, field);
    return v->valuedouble;
}

/* A growing text buffer for traces and scenarios. */
struct buf {
    char *s;
    size_t len, cap;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = 2 * (b->len + (size_t)n + 1);
        b->s = realloc(b->s, b->cap);
        ck_assert_ptr_nonnull(b->s);
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Writes a trace of n requests at times t0 + i * dt (client i % clients) and returns its
 * path (caller frees). */
static char *trace_grid(size_t n, double t0, double dt, unsigned clients)
{
    struct buf b = {0};
    bprintf(&b, "t_s,op,key,client\n");
    for (size_t i = 0; i < n; i++)
        bprintf(&b, "%.9f,read,0,%u\n", t0 + (double)i * dt, (unsigned)(i % clients));
    char *path = strdup(tu_write_temp(b.s, ".csv"));
    free(b.s);
    return path;
}

/* Appends rows to an existing trace text. */
static char *trace_text(const char *rows)
{
    struct buf b = {0};
    bprintf(&b, "t_s,op,key,client\n%s", rows);
    char *path = strdup(tu_write_temp(b.s, ".csv"));
    free(b.s);
    return path;
}

/* client -> [entry] -> limiter -> api (instant answers): a scenario around a limiter's fields. */
static void limiter_scenario(struct run *r, const char *trace, const char *duration,
                             const char *limiter_fields)
{
    struct buf b = {0};
    bprintf(&b,
            "{\"name\":\"rl\",\"duration\":\"%s\",\"metrics\":{\"interval\":\"1s\"},"
            "\"workload\":{\"entry\":\"limiter\",\"trace\":\"%s\"},"
            "\"components\":[{\"id\":\"limiter\",\"type\":\"rate_limiter\",\"backend\":\"api\",%s},"
            "{\"id\":\"api\",\"type\":\"service\",\"workers\":\"unlimited\"}]}",
            duration, trace, limiter_fields);
    run_text(r, b.s);
    free(b.s);
}

/* ---- the window edge ------------------------------------------------------------------- */

/* 100 requests in the last second before the 60 s boundary (every 9 ms from 59 s) and 100 in
 * the first second after it (from 60 s), against 100 per minute. */
static double edge_admitted(const char *algorithm, double *rejected)
{
    struct buf rows = {0};
    for (int i = 0; i < 100; i++)
        bprintf(&rows, "%.3f,read,0,0\n", 59.0 + 0.009 * i);
    for (int i = 0; i < 100; i++)
        bprintf(&rows, "%.3f,read,0,0\n", 60.0 + 0.009 * i);
    char *trace = trace_text(rows.s);
    char fields[256];
    snprintf(fields, sizeof fields, "\"algorithm\":\"%s\",\"limit\":100,\"window\":\"1m\"",
             algorithm);
    struct run r = {0};
    limiter_scenario(&r, trace, "70s", fields);
    double admitted = comp_num(&r, "limiter", "admitted");
    *rejected = comp_num(&r, "limiter", "rejected");
    /* Admitted requests are the ones that complete; refused ones end as 429 at the client. */
    ck_assert_uint_eq(r.w->completed, (uint64_t)admitted);
    ck_assert_uint_eq(r.w->rejected, (uint64_t)*rejected);
    ck_assert_uint_eq(r.w->comps[0].rejected, (uint64_t)*rejected);
    run_free(&r);
    free(rows.s);
    free(trace);
    return admitted;
}

/* Fixed window: both bursts fall in different windows, so all 200 pass in 1.9 s: the book's
 * example of the fixed window's weakness. */
START_TEST(test_window_edge_fixed)
{
    double rej;
    ck_assert_double_eq(edge_admitted("fixed_window", &rej), 200);
    ck_assert_double_eq(rej, 0);
}
END_TEST

/* Sliding log: at 60 s the log still holds the 100 from 59.x s, all within the last minute. */
START_TEST(test_window_edge_log)
{
    double rej;
    ck_assert_double_eq(edge_admitted("sliding_window_log", &rej), 100);
    ck_assert_double_eq(rej, 100);
}
END_TEST

/* Sliding counter: at e s into the new window the estimate is cur + 100 (60 - e) / 60, below
 * 100 when cur < 5e/3: at 60 s itself (e = 0) no; at 60.009 s (cur 0) yes; then cur = 1
 * needs e > 0.6, first at 60.603 s; cur = 2 would need e > 1.2. So 100 + 2. */
START_TEST(test_window_edge_counter)
{
    double rej;
    ck_assert_double_eq(edge_admitted("sliding_window_counter", &rej), 102);
    ck_assert_double_eq(rej, 98);
}
END_TEST

/* ---- buckets --------------------------------------------------------------------------- */

/* A request every ms from 0 to 9.999 s: a full bucket of 50 is emptied at once, then each
 * token is taken by the first request at or after the instant it is due, k / rate for k >= 1:
 * capacity + floor(rate x 9.999 s). */
START_TEST(test_token_bucket_counts)
{
    char *trace = trace_grid(10000, 0, 0.001, 1);
    const double rates[] = {10, 7, 0.5};
    const double expect[] = {50 + 99, 50 + 69, 50 + 4};
    for (size_t k = 0; k < 3; k++) {
        char fields[256];
        snprintf(fields, sizeof fields,
                 "\"algorithm\":\"token_bucket\",\"capacity\":50,\"refill_rate\":%g", rates[k]);
        struct run r = {0};
        limiter_scenario(&r, trace, "11s", fields);
        ck_assert_double_eq(comp_num(&r, "limiter", "admitted"), expect[k]);
        ck_assert_double_eq(comp_num(&r, "limiter", "rejected"), 10000 - expect[k]);
        /* The shadow limiter is the same limiter here: no over-admission. */
        ck_assert_double_eq(comp_num(&r, "limiter", "exact_admitted"), expect[k]);
        ck_assert_double_eq(comp_num(&r, "limiter", "over_admission"), 0);
        run_free(&r);
    }
    free(trace);
}
END_TEST

/* A burst of 10 at t = 1 s into a leaky bucket of 5 draining 10/s: 5 get in and leave at 1.0,
 * 1.1, 1.2, 1.3 and 1.4 s (their latency is the wait), 5 overflow. */
START_TEST(test_leaky_bucket_departures)
{
    char *trace = trace_grid(10, 1, 0, 1);
    struct run r = {0};
    limiter_scenario(&r, trace, "5s",
                     "\"algorithm\":\"leaky_bucket\",\"capacity\":5,\"leak_rate\":10");
    ck_assert_uint_eq(r.w->completed, 5);
    ck_assert_uint_eq(r.w->rejected, 5);
    ck_assert_double_eq_tol(hist_min(&r.w->latency), 0, 1e-9);
    ck_assert_double_eq_tol(hist_max(&r.w->latency), 0.4, 1e-9);
    ck_assert_double_eq_tol(hist_mean(&r.w->latency), 0.2, 1e-9);
    ck_assert_double_eq(comp_num(&r, "limiter", "delayed"), 4);
    ck_assert_double_eq_tol(comp_num(&r, "limiter", "delay_mean_ms"), 200, 1e-6);
    /* Refused requests are not in the limiter's latency: only the 5 admitted are. */
    ck_assert_uint_eq(hist_count(&r.w->comps[0].latency), 5);
    run_free(&r);
    free(trace);
}
END_TEST

/* ---- several nodes --------------------------------------------------------------------- */

/* Three limiter nodes share 600 requests/s in turn (times (i + 0.5) / 600 s, so none falls on
 * a window edge or a sync), 100 per 1 s fixed window, for 10 s: one exact limiter admits
 * 1000. */
static void sync_run(struct run *r, const char *sync_fields)
{
    char *trace = trace_grid(6000, 0.5 / 600, 1.0 / 600, 1);
    char fields[512];
    snprintf(fields, sizeof fields,
             "\"nodes\":3,\"algorithm\":\"fixed_window\",\"limit\":100,\"window\":\"1s\",%s",
             sync_fields);
    limiter_scenario(r, trace, "11s", fields);
    free(trace);
}

/* Local: each node counts only its own 200/s and admits 100/s: 3 x the limit. */
START_TEST(test_sync_local)
{
    struct run r = {0};
    sync_run(&r, "\"sync\":\"local\"");
    ck_assert_double_eq(comp_num(&r, "limiter", "admitted"), 3000);
    ck_assert_double_eq(comp_num(&r, "limiter", "exact_admitted"), 1000);
    ck_assert_double_eq(comp_num(&r, "limiter", "over_admission"), 2);
    const cJSON *nodes = cJSON_GetObjectItem(comp_json(&r, "limiter"), "limiter_nodes");
    ck_assert_int_eq(cJSON_GetArraySize(nodes), 3);
    for (int i = 0; i < 3; i++) {
        const cJSON *n = cJSON_GetArrayItem(nodes, i);
        ck_assert_double_eq(cJSON_GetObjectItem(n, "admitted")->valuedouble, 1000);
        ck_assert_double_eq(cJSON_GetObjectItem(n, "rejected")->valuedouble, 1000);
    }
    run_free(&r);
}
END_TEST

/* Central: one store counts for all; with no store latency and with a constant 0.5 ms round
 * trip (which shifts every decision by 0.5 ms but moves none across a window edge, the
 * nearest arrival being 0.83 ms away) exactly 1000 pass. The round trip is every request's
 * wait, admitted or not. */
START_TEST(test_sync_central)
{
    const char *fields[] = {"\"sync\":\"central\"",
                            "\"sync\":\"central\",\"store_latency\":\"0.5ms\""};
    for (int k = 0; k < 2; k++) {
        struct run r = {0};
        sync_run(&r, fields[k]);
        ck_assert_double_eq(comp_num(&r, "limiter", "admitted"), 1000);
        ck_assert_double_eq(comp_num(&r, "limiter", "rejected"), 5000);
        ck_assert_double_eq(comp_num(&r, "limiter", "over_admission"), 0);
        ck_assert_double_eq_tol(hist_max(&r.w->latency), k ? 0.0005 : 0, 1e-9);
        ck_assert_double_eq_tol(hist_min(&r.w->latency), k ? 0.0005 : 0, 1e-9);
        run_free(&r);
    }
}
END_TEST

/* Eventual, syncing every 100 ms: in the first 100 ms of a window each node admits its 20
 * (the others' counts of the last window are forgotten); after the sync at +0.1 s each sees
 * 20 + 40 = 60 < 100 and admits its next 20; after the sync at +0.2 s each sees 40 + 80 = 120
 * and admits nothing more. 120 per window: between central (100) and local (300). With a
 * sync every 10 ms the overshoot shrinks to what 10 ms of traffic adds after the count
 * reaches the limit. */
START_TEST(test_sync_eventual)
{
    struct run r = {0};
    sync_run(&r, "\"sync\":\"eventual\",\"sync_interval\":\"100ms\"");
    ck_assert_double_eq(comp_num(&r, "limiter", "admitted"), 1200);
    ck_assert_double_eq_tol(comp_num(&r, "limiter", "over_admission"), 0.2, 1e-12);
    run_free(&r);
    /* 10 ms: 6 arrivals per sync interval, 2 per node. The syncs at +0.16 s see 96 (< 100),
     * so each node admits its 2 of the next 10 ms: 102 by +0.17 s, when all stop. */
    sync_run(&r, "\"sync\":\"eventual\",\"sync_interval\":\"10ms\"");
    ck_assert_double_eq(comp_num(&r, "limiter", "admitted"), 1020);
    run_free(&r);
}
END_TEST

/* ---- Retry-After ----------------------------------------------------------------------- */

/* One request per 10 s window. The second request (t = 2 s) is refused with Retry-After 8 s
 * (the next window); the client retries after max(backoff, 8 s) and gets in at 10 s, so its
 * latency is exactly 8 s. With a longer backoff (9 s) the backoff wins. */
START_TEST(test_retry_after_client)
{
    char *trace = trace_text("1,read,0,0\n2,read,0,0\n");
    const char *backoffs[] = {"1ms", "9s"};
    const double expect[] = {8, 9};
    for (int k = 0; k < 2; k++) {
        char fields[512];
        snprintf(fields, sizeof fields,
                 "\"algorithm\":\"fixed_window\",\"limit\":1,\"window\":\"10s\","
                 "\"retries\":{\"max\":3,\"backoff\":\"%s\",\"jitter\":\"none\"}",
                 backoffs[k]);
        struct run r = {0};
        limiter_scenario(&r, trace, "60s", fields);
        ck_assert_uint_eq(r.w->completed, 2);
        ck_assert_uint_eq(r.w->rejected, 0);
        ck_assert_double_eq_tol(hist_max(&r.w->latency), expect[k], 1e-9);
        ck_assert_double_eq_tol(hist_min(&r.w->latency), 0, 1e-9);
        /* One retry, and one refusal, counted at the limiter. */
        ck_assert_uint_eq(r.w->comps[0].retries, 1);
        ck_assert_double_eq(comp_num(&r, "limiter", "rejected"), 1);
        run_free(&r);
    }
    free(trace);
}
END_TEST

/* A service calls the limiter (token bucket of 1 refilled every 4 s) and retries refused
 * calls: the second call (t = 2 s) waits for the token due at 5 s, 3 s. Without Retry-After
 * the 1 ms backoff would retry three times by 2.007 s and fail. */
START_TEST(test_retry_after_service)
{
    char *trace = trace_text("1,read,0,0\n2,read,0,0\n");
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"rl\",\"duration\":\"30s\",\"metrics\":{\"interval\":\"1s\"},"
             "\"workload\":{\"entry\":\"app\",\"trace\":\"%s\"},"
             "\"components\":[{\"id\":\"app\",\"type\":\"service\",\"workers\":\"unlimited\","
             "\"calls\":{\"*\":[\"limiter\"]}},"
             "{\"id\":\"limiter\",\"type\":\"rate_limiter\",\"backend\":\"api\","
             "\"algorithm\":\"token_bucket\",\"capacity\":1,\"refill_rate\":0.25,"
             "\"retries\":{\"max\":3,\"backoff\":\"1ms\",\"multiplier\":2,\"jitter\":\"none\"}},"
             "{\"id\":\"api\",\"type\":\"service\",\"workers\":\"unlimited\"}]}",
             trace);
    struct run r = {0};
    run_text(&r, text);
    ck_assert_uint_eq(r.w->completed, 2);
    ck_assert_double_eq_tol(hist_max(&r.w->latency), 3, 1e-9);
    ck_assert_uint_eq(r.w->comps[1].retries, 1);
    run_free(&r);
    free(trace);
}
END_TEST

/* ---- keys, failures, warm-up ----------------------------------------------------------- */

/* Per client: 4 clients in turn, 1000 requests each over 10 s (100/s), a sliding log of 10
 * per 1 s logging admitted requests only: 10 per second each, 400; one global limit admits
 * 100. With the book's log (rejected requests logged too) a client sending 100/s never sees
 * fewer than 10 entries in the last second after its first 10: 10 each, 40 in all. */
START_TEST(test_per_client_keys)
{
    char *trace = trace_grid(4000, 0.5 / 400, 1.0 / 400, 4);
    const char *fields[] = {"\"key\":\"client\",\"log_rejected\":false", "\"log_rejected\":false",
                            "\"key\":\"client\""};
    const double expect[] = {400, 100, 40};
    for (int k = 0; k < 3; k++) {
        char f[256];
        snprintf(f, sizeof f,
                 "\"algorithm\":\"sliding_window_log\",\"limit\":10,\"window\":\"1s\",%s",
                 fields[k]);
        struct run r = {0};
        limiter_scenario(&r, trace, "11s", f);
        ck_assert_double_eq(comp_num(&r, "limiter", "admitted"), expect[k]);
        ck_assert_double_eq(comp_num(&r, "limiter", "over_admission"), 0);
        run_free(&r);
    }
    free(trace);
}
END_TEST

/* Two nodes in turn, node 1 fails at 5 s: its half of the later requests fail without a
 * decision; node 0 goes on limiting its own half (local counting). */
START_TEST(test_node_failure)
{
    char *trace = trace_grid(1000, 0.005, 0.01, 1);
    struct buf b = {0};
    bprintf(&b,
            "{\"name\":\"rl\",\"duration\":\"11s\",\"metrics\":{\"interval\":\"1s\"},"
            "\"workload\":{\"entry\":\"limiter\",\"trace\":\"%s\"},"
            "\"components\":[{\"id\":\"limiter\",\"type\":\"rate_limiter\",\"nodes\":2,"
            "\"backend\":\"api\",\"limit\":30,\"window\":\"1s\"},"
            "{\"id\":\"api\",\"type\":\"service\",\"workers\":\"unlimited\"}],"
            "\"events\":[{\"at\":\"5s\",\"action\":\"fail\",\"target\":\"limiter\","
            "\"node\":1}]}",
            trace);
    struct run r = {0};
    run_text(&r, b.s);
    /* 50 requests per node per second: 30 admitted each; node 1 stops deciding at 5 s. */
    ck_assert_uint_eq(r.w->failed, 250);
    ck_assert_double_eq(comp_num(&r, "limiter", "admitted"), 30 * 10 + 30 * 5);
    ck_assert_uint_eq(r.w->completed, 450);
    run_free(&r);
    free(b.s);
    free(trace);
}
END_TEST

/* Requests before the warm-up are decided (they use the limit) but not counted. */
START_TEST(test_warmup_not_counted)
{
    char *trace = trace_grid(2000, 0.0025, 0.005, 1);
    struct buf b = {0};
    bprintf(&b,
            "{\"name\":\"rl\",\"duration\":\"11s\",\"metrics\":{\"interval\":\"1s\","
            "\"warmup\":\"5s\"},\"workload\":{\"entry\":\"limiter\",\"trace\":\"%s\"},"
            "\"components\":[{\"id\":\"limiter\",\"type\":\"rate_limiter\","
            "\"backend\":\"api\",\"limit\":50,\"window\":\"1s\"},"
            "{\"id\":\"api\",\"type\":\"service\",\"workers\":\"unlimited\"}]}",
            trace);
    struct run r = {0};
    run_text(&r, b.s);
    ck_assert_double_eq(comp_num(&r, "limiter", "admitted"), 250);
    ck_assert_double_eq(comp_num(&r, "limiter", "rejected"), 750);
    ck_assert_double_eq(comp_num(&r, "limiter", "exact_admitted"), 250);
    run_free(&r);
    free(b.s);
    free(trace);
}
END_TEST

/* ---- configuration errors -------------------------------------------------------------- */

static void expect_error(const char *fields, const char *path, const char *words)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"rl\",\"duration\":\"1s\",\"workload\":{\"rate\":1,\"entry\":\"limiter\"},"
             "\"components\":[{\"id\":\"limiter\",\"type\":\"rate_limiter\",%s},"
             "{\"id\":\"api\",\"type\":\"service\"}]}",
             fields);
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    ck_assert_int_eq(
        scenario_load_text("rl.json", text, strlen(text), NULL, 0, model_registry, &sc, &err), -1);
    ck_assert_ptr_null(sc);
    ck_assert_msg(strcmp(err.path, path) == 0, "path %s, expected %s (%s)", err.path, path,
                  err.msg);
    ck_assert_msg(strstr(err.msg, words), "message \"%s\" lacks \"%s\"", err.msg, words);
}

START_TEST(test_errors)
{
    expect_error("\"backend\":\"api\",\"algorithm\":\"token_bucket\",\"capacity\":5",
                 "components[0].refill_rate", "refill_rate");
    expect_error("\"backend\":\"api\",\"algorithm\":\"token_bucket\",\"capacity\":5,"
                 "\"refill_rate\":1,\"limit\":3",
                 "components[0].limit", "applies only to");
    expect_error("\"backend\":\"api\",\"limit\":3", "components[0].window", "window");
    expect_error("\"backend\":\"api\",\"algorithm\":\"leaky_bucket\",\"capacity\":5,"
                 "\"leak_rate\":1,\"sync\":\"eventual\"",
                 "components[0].sync", "eventual");
    expect_error("\"backend\":\"nope\",\"limit\":3,\"window\":\"1s\"", "components[0].backend",
                 "unknown component");
    expect_error("\"limit\":3,\"window\":\"1s\"", "components[0]", "backend");
    expect_error("\"backend\":\"api\",\"algorithm\":\"token\",\"limit\":3,\"window\":\"1s\"",
                 "components[0].algorithm", "token_bucket");
    expect_error("\"backend\":\"api\",\"limit\":0,\"window\":\"1s\"", "components[0].limit", "");
    expect_error("\"backend\":\"api\",\"limit\":3,\"window\":\"1s\",\"log_rejected\":false",
                 "components[0].log_rejected", "sliding_window_log");
}
END_TEST

Suite *rate_limiter_suite(void)
{
    Suite *s = suite_create("rate_limiter");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_window_edge_fixed);
    tcase_add_test(tc, test_window_edge_log);
    tcase_add_test(tc, test_window_edge_counter);
    tcase_add_test(tc, test_token_bucket_counts);
    tcase_add_test(tc, test_leaky_bucket_departures);
    tcase_add_test(tc, test_sync_local);
    tcase_add_test(tc, test_sync_central);
    tcase_add_test(tc, test_sync_eventual);
    tcase_add_test(tc, test_retry_after_client);
    tcase_add_test(tc, test_retry_after_service);
    tcase_add_test(tc, test_per_client_keys);
    tcase_add_test(tc, test_node_failure);
    tcase_add_test(tc, test_warmup_not_counted);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}
