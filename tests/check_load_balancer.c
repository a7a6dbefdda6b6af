/* Tests for models/load_balancer.c through whole scenarios: exact spreading under round
 * robin, key and client affinity, what a failed node costs before and after the health
 * check notices, retries on another node, and the policies compared on unequal nodes. */
#include "models/registry.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/world.h"

#include "tests/testutil.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static uint64_t node_requests(struct world *w, const char *id, uint32_t node)
{
    struct comp *c = &w->comps[scenario_find(w->sc, id)];
    struct node_stats ns = {0};
    c->ops->node_stats(c, &w->sim, node, &ns);
    return ns.requests;
}

static const char *lb_scenario(char *buf, size_t len, const char *policy, const char *extra_web,
                               const char *events, double rate, const char *arrivals)
{
    snprintf(buf, len,
             "{\"name\":\"lb\",\"duration\":\"300s\",\"metrics\":{\"interval\":\"1s\"},"
             "\"workload\":{\"rate\":%g,\"arrivals\":\"%s\",\"entry\":\"lb\","
             "\"keys\":{\"count\":1000},\"clients\":50},"
             "\"components\":[{\"id\":\"lb\",\"type\":\"load_balancer\",\"backend\":\"web\","
             "\"policy\":\"%s\",\"health_check\":{\"interval\":\"5s\"}},"
             "{\"id\":\"web\",\"type\":\"service\",\"nodes\":4,\"workers\":4,"
             "\"service\":\"5ms\"%s}],\"events\":[%s]}",
             rate, arrivals, policy, extra_web, events);
    return buf;
}

/* Evenly spaced arrivals over four nodes in turn: every node gets a quarter, exactly. */
START_TEST(test_round_robin_equal_counts)
{
    char text[2048];
    struct scenario *sc = tu_load(lb_scenario(text, sizeof text, "round_robin", "", "", 400,
                                           "uniform"));
    struct world *w = tu_run(sc, 1);
    /* Arrivals every 1/400 s up to 300 s, less the float drift of the last step. */
    uint64_t total = w->arrived;
    ck_assert_uint_ge(total, 400 * 300 - 1);
    ck_assert_uint_le(total, 400 * 300);
    for (uint32_t n = 0; n < 4; n++) {
        uint64_t got = node_requests(w, "web", n);
        ck_assert_msg(got == total / 4 || got == total / 4 + 1, "node %u got %llu", n,
                      (unsigned long long)got);
    }
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* A node fails at 102 s; the checks run every 5 s, so the balancer keeps sending it a quarter
 * of the traffic until 105 s (300 requests at 400/s), and none after. Every one of them fails
 * at once, and so does what the node held at 102 s (evenly spaced requests 10 ms apart at the
 * node, each served in 5 ms: at most one). Recovery at 201 s: back in at the 205 s check. */
START_TEST(test_failed_node_costs_until_health_check)
{
    char text[2048];
    struct scenario *sc = tu_load(lb_scenario(
        text, sizeof text, "round_robin", "",
        "{\"at\":\"102s\",\"action\":\"fail\",\"target\":\"web\",\"node\":2},"
        "{\"at\":\"201s\",\"action\":\"recover\",\"target\":\"web\",\"node\":2}",
        400, "uniform"));
    struct world *w = tu_run(sc, 1);
    cJSON *s = report_summary(w);
    const cJSON *lb = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "components"), "lb");
    double sent = cJSON_GetObjectItem(lb, "sent_to_failed_nodes")->valuedouble;
    ck_assert_double_eq(sent, 300);
    ck_assert_uint_ge(w->failed, 300);
    ck_assert_uint_le(w->failed, 301);
    /* After the check at 105 s nothing fails; node 2 is back after the check at 205 s. */
    size_t failed_col = 5;
    for (size_t r = 0; r < w->series.nrows; r++) {
        double t = series_get(&w->series, r, 0), failed = series_get(&w->series, r, failed_col);
        if (t <= 102 || t > 105)
            ck_assert_msg(failed == 0, "failures at %g s", t);
    }
    uint64_t n2 = node_requests(w, "web", 2), n0 = node_requests(w, "web", 0);
    /* From 105 s to 205 s the other three share all 40000 requests: node 0 gets 13333 more
     * than node 2 (which still counts the 300 that failed on it, as node 0 got 300 then). */
    ck_assert_uint_ge(n0 - n2, 13332);
    ck_assert_uint_le(n0 - n2, 13334);
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* With retries on calls into the pool, the balancer retries a failed call on another node:
 * the same failure costs nothing end to end. */
START_TEST(test_retry_on_another_node)
{
    char text[2048];
    struct scenario *sc = tu_load(lb_scenario(
        text, sizeof text, "round_robin", ",\"retries\":{\"max\":1,\"backoff\":\"1ms\"}",
        "{\"at\":\"102s\",\"action\":\"fail\",\"target\":\"web\",\"node\":2}", 400, "uniform"));
    struct world *w = tu_run(sc, 1);
    ck_assert_uint_eq(w->failed, 0);
    /* Every call that reached the failed node was retried once, elsewhere. (A retry takes a
     * turn of the round robin, so the failed node gets a fifth of the picks: 400 in 3 s.) */
    struct comp *web = &w->comps[scenario_find(sc, "web")];
    cJSON *s = report_summary(w);
    const cJSON *lb = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "components"), "lb");
    uint64_t sent = (uint64_t)cJSON_GetObjectItem(lb, "sent_to_failed_nodes")->valuedouble;
    /* ... plus the one the node may have held when it failed. */
    ck_assert_uint_ge(web->retries, sent);
    ck_assert_uint_le(web->retries, sent + 1);
    ck_assert_uint_ge(web->retries, 300);
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* The hash policy sends a key to one node and a client under sticky sessions to one node:
 * with a single key (and a single client) all traffic lands on one node. */
START_TEST(test_hash_and_sticky_affinity)
{
    const char *policies[] = {"hash", "sticky"};
    for (int p = 0; p < 2; p++) {
        char text[2048];
        lb_scenario(text, sizeof text, policies[p], "", "", 100, "poisson");
        /* One key, one client. */
        char *k = strstr(text, "\"count\":1000");
        memcpy(k, "\"count\":   1", 12);
        char *cl = strstr(text, "\"clients\":50");
        memcpy(cl, "\"clients\": 1", 12);
        struct scenario *sc = tu_load(text);
        struct world *w = tu_run(sc, 3);
        int used = 0;
        for (uint32_t n = 0; n < 4; n++)
            used += node_requests(w, "web", n) > 0;
        ck_assert_msg(used == 1, "%s spread one key/client over %d nodes", policies[p], used);
        world_free(w);
        scenario_free(sc);
    }
}
END_TEST

static double p99_of(const char *policy, uint64_t seed)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"lbu\",\"duration\":\"600s\",\"metrics\":{\"interval\":\"10s\","
             "\"warmup\":\"30s\"},\"workload\":{\"rate\":350,\"entry\":\"lb\"},"
             "\"components\":[{\"id\":\"lb\",\"type\":\"load_balancer\",\"backend\":\"web\","
             "\"policy\":\"%s\"},{\"id\":\"web\",\"type\":\"service\",\"nodes\":4,"
             "\"workers\":4,\"speeds\":[1,1,0.5,0.5],"
             "\"service\":{\"dist\":\"exp\",\"mean\":\"20ms\"}}]}",
             policy);
    struct scenario *sc = tu_load(text);
    struct world *w = tu_run(sc, seed);
    double p99 = hist_quantile(&w->latency, 0.99);
    world_free(w);
    scenario_free(sc);
    return p99;
}

/* Two fast and two half-speed nodes at 350 req/s: an oblivious spread loads the slow nodes
 * to 0.875 while the fast ones idle at 0.44; least connections and power of two steer work
 * to whoever is free. The gap is large (measured p99, seed 1: random 347 ms, round robin
 * 248 ms, least connections 146 ms, power of two 149 ms), so it is asserted for each of three
 * seeds rather than statistically. */
START_TEST(test_policies_on_unequal_nodes)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        double rnd = p99_of("random", seed), rr = p99_of("round_robin", seed);
        double lc = p99_of("least_connections", seed), p2 = p99_of("power_of_two", seed);
        fprintf(stderr, "lb: seed %llu p99 ms: random %.1f round_robin %.1f "
                        "least_connections %.1f power_of_two %.1f\n",
                (unsigned long long)seed, rnd * 1e3, rr * 1e3, lc * 1e3, p2 * 1e3);
        ck_assert(lc < rnd / 2);
        ck_assert(p2 < rnd / 2);
        ck_assert(lc < rr);
        ck_assert(p2 < rr);
    }
}
END_TEST

START_TEST(test_bad_backend)
{
    const char *text = "{\"duration\":\"10s\",\"workload\":{\"rate\":1,\"entry\":\"lb\"},"
                       "\"components\":[{\"id\":\"lb\",\"type\":\"load_balancer\","
                       "\"backend\":\"nope\"}]}";
    struct sim_error err = {0};
    struct scenario *sc;
    ck_assert_int_eq(scenario_load_text("lb.json", text, strlen(text), NULL, 0, model_registry,
                                        &sc, &err),
                     -1);
    ck_assert_str_eq(err.path, "components[0].backend");
    const char *text2 = "{\"duration\":\"10s\",\"workload\":{\"rate\":1,\"entry\":\"lb\"},"
                        "\"components\":[{\"id\":\"lb\",\"type\":\"load_balancer\","
                        "\"backend\":\"web\",\"policy\":\"leastconn\"},"
                        "{\"id\":\"web\",\"type\":\"service\"}]}";
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(scenario_load_text("lb.json", text2, strlen(text2), NULL, 0,
                                        model_registry, &sc, &err),
                     -1);
    ck_assert_str_eq(err.path, "components[0].policy");
}
END_TEST

Suite *load_balancer_suite(void)
{
    Suite *s = suite_create("load_balancer");
    TCase *tc = tcase_create("policies");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_round_robin_equal_counts);
    tcase_add_test(tc, test_failed_node_costs_until_health_check);
    tcase_add_test(tc, test_retry_on_another_node);
    tcase_add_test(tc, test_hash_and_sticky_affinity);
    tcase_add_test(tc, test_policies_on_unequal_nodes);
    tcase_add_test(tc, test_bad_backend);
    suite_add_tcase(s, tc);
    return s;
}
