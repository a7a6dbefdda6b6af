/* Tests for models/ratelimit.c: the shared parser (defaults, errors) and the gate inline on a
 * load balancer and on a service, through whole scenarios replaying traces: exact 429 counts,
 * local vs central counting over balancer nodes, the store's round trip, leaky-bucket waits,
 * eventual syncs through the holder's events, and Retry-After for the client's retries. */
#include "models/ratelimit.h"
#include "models/registry.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the parser ------------------------------------------------------------------------ */

START_TEST(test_names_follow_the_enums)
{
    for (int i = 0; ratelimit_algo_names[i]; i++) {
        enum limiter_algo a;
        ck_assert_int_eq(limiter_algo_parse(ratelimit_algo_names[i], &a), 0);
        ck_assert_int_eq(a, i);
        ck_assert_int_lt(i, LIMITER_NALGOS);
    }
    for (int i = 0; ratelimit_key_names[i]; i++) {
        enum limiter_keying k;
        ck_assert_int_eq(limiter_keying_parse(ratelimit_key_names[i], &k), 0);
        ck_assert_int_eq(k, i);
    }
    for (int i = 0; ratelimit_sync_names[i]; i++) {
        enum limiter_sync_mode m;
        ck_assert_int_eq(limiter_sync_parse(ratelimit_sync_names[i], &m), 0);
        ck_assert_int_eq(m, i);
    }
    ck_assert_ptr_null(ratelimit_algo_names[LIMITER_NALGOS]);
    ck_assert_ptr_null(ratelimit_key_names[LIMITER_NKEYINGS]);
    ck_assert_ptr_null(ratelimit_sync_names[LIMITER_NSYNCS]);
}
END_TEST

static int parse(const char *json, enum limiter_sync_mode def, struct ratelimit_cfg **out,
                 struct sim_error *err)
{
    cJSON *obj = cJSON_Parse(json);
    ck_assert_ptr_nonnull(obj);
    int rc = ratelimit_parse(obj, "x.rate_limit", def, out, err);
    cJSON_Delete(obj);
    return rc;
}

START_TEST(test_parse_defaults)
{
    struct sim_error err = {0};
    struct ratelimit_cfg *cfg;
    ck_assert_int_eq(parse("{\"limit\": 5, \"window\": \"2s\"}", LIMITER_SYNC_CENTRAL, &cfg, &err),
                     0);
    ck_assert_int_eq(cfg->lp.algorithm, LIMITER_FIXED_WINDOW);
    ck_assert_int_eq(cfg->lp.key, LIMITER_KEY_GLOBAL);
    ck_assert_int_eq(cfg->lp.sync, LIMITER_SYNC_CENTRAL); /* the holder's default */
    ck_assert_uint_eq(cfg->lp.limit, 5);
    ck_assert_double_eq(cfg->lp.window, 2);
    ck_assert_int_eq(cfg->lp.log_admitted_only, 0);
    ck_assert_double_eq(cfg->sync_interval, 1);
    ck_assert_int_eq(cfg->store_latency.kind, DIST_CONST);
    ck_assert_double_eq(cfg->store_latency.mean, 0);
    ck_assert_double_eq(ratelimit_sustained_rate(cfg, 3), 2.5);
    ck_assert_uint_eq(ratelimit_needs(cfg), 0);
    ratelimit_cfg_free(cfg);

    /* A given sync wins over the default; local counting multiplies by the nodes. */
    ck_assert_int_eq(parse("{\"algorithm\": \"token_bucket\", \"capacity\": 9, "
                           "\"refill_rate\": 4, \"sync\": \"local\", \"key\": \"client\"}",
                           LIMITER_SYNC_CENTRAL, &cfg, &err),
                     0);
    ck_assert_int_eq(cfg->lp.sync, LIMITER_SYNC_LOCAL);
    ck_assert_double_eq(cfg->lp.rate, 4);
    ck_assert_uint_eq(cfg->lp.capacity, 9);
    ck_assert_double_eq(ratelimit_sustained_rate(cfg, 3), 12);
    ck_assert_uint_eq(ratelimit_needs(cfg), NEEDS_CLIENTS);
    ratelimit_cfg_free(cfg);
    ratelimit_cfg_free(NULL);
    ck_assert_uint_eq(ratelimit_needs(NULL), 0);
}
END_TEST

static void parse_error(const char *json, const char *path, const char *words)
{
    struct sim_error err = {0};
    struct ratelimit_cfg *cfg = (struct ratelimit_cfg *)&err; /* must be reset to NULL */
    ck_assert_int_eq(parse(json, LIMITER_SYNC_LOCAL, &cfg, &err), -1);
    ck_assert_ptr_null(cfg);
    ck_assert_msg(strcmp(err.path, path) == 0, "path %s, expected %s (%s)", err.path, path,
                  err.msg);
    ck_assert_msg(strstr(err.msg, words), "message \"%s\" lacks \"%s\"", err.msg, words);
}

START_TEST(test_parse_errors)
{
    parse_error("[1]", "x.rate_limit", "object");
    parse_error("{\"limit\": 5, \"window\": \"1s\", \"rate\": 3}", "x.rate_limit.rate", "unknown");
    parse_error("{\"limit\": 5}", "x.rate_limit.window", "window");
    parse_error("{\"limit\": 5, \"window\": \"1s\", \"capacity\": 3}", "x.rate_limit.capacity",
                "applies only to token_bucket and leaky_bucket");
    parse_error("{\"algorithm\": \"sliding_window_log\", \"limit\": 5, \"window\": \"1s\", "
                "\"sync\": \"eventual\"}",
                "x.rate_limit.sync", "eventual");
    parse_error("{\"algorithm\": \"leaky_bucket\", \"capacity\": 5, \"refill_rate\": 1}",
                "x.rate_limit.refill_rate", "token_bucket");
    parse_error("{\"limit\": 5, \"window\": \"1s\", \"sync_interval\": 0}",
                "x.rate_limit.sync_interval", "");
    parse_error("{\"limit\": 5, \"window\": \"1s\", \"store_latency\": {\"dist\": \"exp\"}}",
                "x.rate_limit.store_latency.mean", "");
}
END_TEST

/* ---- the gate inline ------------------------------------------------------------------- */

struct run {
    struct scenario *sc;
    struct world *w;
    cJSON *summary;
};

static void run_text(struct run *r, const char *text)
{
    struct sim_error err = {0};
    int rc =
        scenario_load_text("gate.json", text, strlen(text), NULL, 0, model_registry, &r->sc, &err);
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

/* The figure `field` of the inline limit of component id. */
static double limit_num(const struct run *r, const char *id, const char *field)
{
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(r->summary, "components"), id);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "rate_limit"), field);
    ck_assert_msg(cJSON_IsNumber(v), "%s.rate_limit.%s is not a number", id, field);
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

/* client -> lb (nodes, inline limit) -> web (instant): 150 requests/s for 10 s. */
static void lb_run(struct run *r, int lb_nodes, const char *limit, const char *lb_extra)
{
    char *trace = trace_even(1500, 150);
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"gate\",\"duration\":\"11s\",\"metrics\":{\"interval\":\"1s\"},"
             "\"workload\":{\"entry\":\"lb\",\"trace\":\"%s\"},"
             "\"components\":[{\"id\":\"lb\",\"type\":\"load_balancer\",\"nodes\":%d,"
             "\"backend\":\"web\",\"rate_limit\":%s%s},"
             "{\"id\":\"web\",\"type\":\"service\",\"nodes\":2,\"workers\":\"unlimited\"}]}",
             trace, lb_nodes, limit, lb_extra);
    run_text(r, text);
    free(trace);
}

/* 100 per 1 s window at one balancer: 1000 of 1500 pass, 500 end as 429 at the balancer. */
START_TEST(test_lb_inline_exact)
{
    struct run r = {0};
    lb_run(&r, 1, "{\"limit\":100,\"window\":\"1s\"}", "");
    ck_assert_uint_eq(r.w->completed, 1000);
    ck_assert_uint_eq(r.w->rejected, 500);
    ck_assert_uint_eq(r.w->comps[0].rejected, 500);
    ck_assert_double_eq(limit_num(&r, "lb", "admitted"), 1000);
    ck_assert_double_eq(limit_num(&r, "lb", "rejected"), 500);
    ck_assert_double_eq(limit_num(&r, "lb", "over_admission"), 0);
    /* Only admitted requests reach the pool, and only they are in the balancer's latency. */
    ck_assert_uint_eq(r.w->comps[1].requests, 1000);
    ck_assert_uint_eq(hist_count(&r.w->comps[0].latency), 1000);
    run_free(&r);
}
END_TEST

/* Two balancer nodes in turn, 75/s each: counting locally each admits all its 75 (< 100), so
 * 1500 pass, half again over the limit; counting centrally 1000. */
START_TEST(test_lb_inline_sync)
{
    struct run r = {0};
    lb_run(&r, 2, "{\"limit\":100,\"window\":\"1s\",\"sync\":\"local\"}", "");
    ck_assert_uint_eq(r.w->completed, 1500);
    ck_assert_double_eq(limit_num(&r, "lb", "over_admission"), 0.5);
    run_free(&r);
    lb_run(&r, 2, "{\"limit\":100,\"window\":\"1s\",\"sync\":\"central\"}", "");
    ck_assert_uint_eq(r.w->completed, 1000);
    ck_assert_double_eq(limit_num(&r, "lb", "over_admission"), 0);
    run_free(&r);
    /* Eventual every 250 ms. The quarters of a window hold 37, 38, 37 and 38 arrivals, split
     * 19/18, 19/19, 18/19 and 19/19 over the two nodes. First quarter: each admits its own
     * (the last window's counts are forgotten). The sync at +0.25 s shows 37, and each node
     * admits its next 19 (own + other < 100). The sync at +0.5 s shows 75: node 0 (own 38,
     * other 37) admits its 18, node 1 (own 37, other 38) its 19, as neither reaches 100
     * alone. The sync at +0.75 s shows 112: nothing more. 112 per window. */
    lb_run(&r, 2,
           "{\"limit\":100,\"window\":\"1s\",\"sync\":\"eventual\",\"sync_interval\":"
           "\"250ms\"}",
           "");
    ck_assert_uint_eq(r.w->completed, 1120);
    ck_assert_double_eq_tol(limit_num(&r, "lb", "over_admission"), 0.12, 1e-12);
    run_free(&r);
}
END_TEST

/* A central store 2 ms away: every decision waits 2 ms, so each admitted request's latency is
 * exactly 2 ms (the pool answers at once), and the 429s take 2 ms too. */
START_TEST(test_lb_inline_store_latency)
{
    struct run r = {0};
    lb_run(&r, 2,
           "{\"limit\":100,\"window\":\"1s\",\"sync\":\"central\",\"store_latency\":"
           "\"2ms\"}",
           "");
    ck_assert_uint_eq(r.w->completed, 1000);
    ck_assert_double_eq_tol(hist_min(&r.w->latency), 0.002, 1e-9);
    ck_assert_double_eq_tol(hist_max(&r.w->latency), 0.002, 1e-9);
    ck_assert_double_eq_tol(limit_num(&r, "lb", "delay_mean_ms"), 2, 1e-6);
    ck_assert_double_eq(limit_num(&r, "lb", "delayed"), 1000);
    run_free(&r);
}
END_TEST

/* The client retries a 429 from the balancer's limit after the Retry-After: 1 per 10 s, the
 * request at 2 s waits to 10 s. */
START_TEST(test_lb_inline_retry_after)
{
    char *trace = strdup(tu_write_temp("t_s,op,key,client\n1,read,0,0\n2,read,0,0\n", ".csv"));
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"gate\",\"duration\":\"30s\",\"metrics\":{\"interval\":\"1s\"},"
             "\"workload\":{\"entry\":\"lb\",\"trace\":\"%s\"},"
             "\"components\":[{\"id\":\"lb\",\"type\":\"load_balancer\",\"backend\":\"web\","
             "\"retries\":{\"max\":2,\"backoff\":\"10ms\",\"jitter\":\"none\"},"
             "\"rate_limit\":{\"limit\":1,\"window\":\"10s\"}},"
             "{\"id\":\"web\",\"type\":\"service\",\"workers\":\"unlimited\"}]}",
             trace);
    struct run r = {0};
    run_text(&r, text);
    ck_assert_uint_eq(r.w->completed, 2);
    ck_assert_double_eq_tol(hist_max(&r.w->latency), 8, 1e-9);
    ck_assert_uint_eq(r.w->comps[0].retries, 1);
    run_free(&r);
    free(trace);
}
END_TEST

/* client -> app (one worker, no waiting room, inline limit) with n requests at 100/s. */
static void service_run(struct run *r, const char *limit, const char *service)
{
    char *trace = trace_even(1000, 100);
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"gate\",\"duration\":\"11s\",\"metrics\":{\"interval\":\"1s\"},"
             "\"workload\":{\"entry\":\"app\",\"trace\":\"%s\"},"
             "\"components\":[{\"id\":\"app\",\"type\":\"service\",\"workers\":1,\"queue\":0,"
             "\"service\":\"%s\",\"rate_limit\":%s}]}",
             trace, service, limit);
    run_text(r, text);
    free(trace);
}

/* A token bucket of 5 refilled at 20/s in front of one worker: the first 5 (from 5 ms) pass,
 * then one token every 50 ms after the first arrival: 5 + floor(20 x (9.995 - 0.005)) = 204. The
 * 429s never take the worker: nothing is refused for want of one (service 5 ms < 10 ms apart). */
START_TEST(test_service_inline_token_bucket)
{
    struct run r = {0};
    service_run(&r, "{\"algorithm\":\"token_bucket\",\"capacity\":5,\"refill_rate\":20}", "5ms");
    ck_assert_uint_eq(r.w->completed, 204);
    ck_assert_uint_eq(r.w->rejected, 796);
    ck_assert_double_eq(limit_num(&r, "app", "rejected"), 796);
    ck_assert_double_eq_tol(hist_max(&r.w->latency), 0.005, 1e-9);
    run_free(&r);
}
END_TEST

/* A leaky bucket of 3 draining 50/s in front of a 15 ms worker that cannot queue: requests
 * come every 10 ms and leave the bucket every 20 ms, so the worker is always free when one
 * arrives; each admitted request waits in the bucket for its turn. From an idle bucket: in
 * every 20 ms two arrive and one leaves, so the bucket fills and then refuses half. */
START_TEST(test_service_inline_leaky_bucket)
{
    struct run r = {0};
    service_run(&r, "{\"algorithm\":\"leaky_bucket\",\"capacity\":3,\"leak_rate\":50}", "15ms");
    /* Admissions are those of a token bucket of 3 at 50/s: 3 + floor(50 x 9.99) = 502. */
    ck_assert_uint_eq(r.w->completed + r.w->rejected, 1000);
    ck_assert_double_eq(limit_num(&r, "app", "admitted"), 502);
    ck_assert_uint_eq(r.w->comps[0].rejected, 498);
    ck_assert_double_eq(limit_num(&r, "app", "exact_admitted"), 502);
    /* Two arrive per departure, so the bucket never empties after the first request: every
     * admitted request but the first waits for its turn. */
    ck_assert_double_eq(limit_num(&r, "app", "delayed"), 501);
    /* No admitted request was refused for want of the worker: all 502 completed. */
    ck_assert_uint_eq(r.w->completed, 502);
    run_free(&r);
}
END_TEST

Suite *ratelimit_suite(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_names_follow_the_enums);
    tcase_add_test(tc, test_parse_defaults);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_lb_inline_exact);
    tcase_add_test(tc, test_lb_inline_sync);
    tcase_add_test(tc, test_lb_inline_store_latency);
    tcase_add_test(tc, test_lb_inline_retry_after);
    tcase_add_test(tc, test_service_inline_token_bucket);
    tcase_add_test(tc, test_service_inline_leaky_bucket);
    suite_add_tcase(s, tc);
    return s;
}
