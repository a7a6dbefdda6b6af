/* Tests for regions (sim/region.c, the latency in req_call, region events) and
 * models/geo_dns.c through whole scenarios: load errors, the exact latency added by calls
 * between regions, routing by the client's region (reproduced draw by draw), and the cost of
 * a region failure: every request sent in the window from the failure to the clients'
 * switch, which comes exactly a health check plus the TTL later. */
#include "models/registry.h"
#include "sim/report.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "sim/world.h"

#include "tests/testutil.h"

#include <check.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The scenario must fail to load with this path and a message containing `msg`. */
static void load_fails(const char *text, const char *path, const char *msg)
{
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    int rc = scenario_load_text("geo.json", text, strlen(text), NULL, 0, model_registry, &sc, &err);
    ck_assert_msg(rc == -1, "loaded: %s", text);
    ck_assert_ptr_null(sc);
    ck_assert_msg(strcmp(err.path, path) == 0, "path %s, expected %s (%s)", err.path, path,
                  err.msg);
    ck_assert_msg(strstr(err.msg, msg) != NULL, "message \"%s\" lacks \"%s\"", err.msg, msg);
    ck_assert_int_gt(err.line, 0);
}

static const cJSON *path_get(const cJSON *o, const char *a, const char *b, const char *c)
{
    o = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        o = cJSON_GetObjectItemCaseSensitive(o, b);
    if (c)
        o = cJSON_GetObjectItemCaseSensitive(o, c);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* ---- load errors ----------------------------------------------------------------------- */

#define HEAD "{\"duration\":\"10s\","
#define WEB "{\"id\":\"web\",\"type\":\"service\""

START_TEST(test_load_errors)
{
    /* A pair left out (us-ap is given from ap's side; eu-ap is missing). */
    load_fails(HEAD "\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{},\"ap\":{\"us\":\"1ms\"}},"
                    "\"workload\":{\"rate\":1,\"entry\":\"web\"},\"components\":[" WEB "}]}",
               "regions.eu", "no latency to \"ap\"");
    /* Given both ways, differently. */
    load_fails(HEAD "\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{\"us\":\"81ms\"}},"
                    "\"workload\":{\"rate\":1,\"entry\":\"web\"},\"components\":[" WEB "}]}",
               "regions.eu.us", "the same both ways");
    /* Given both ways, the same: fine. */
    struct scenario *sc =
        tu_load(HEAD "\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{\"us\":\"80ms\"}},"
                  "\"workload\":{\"rate\":1,\"entry\":\"web\"},\"components\":[" WEB "}]}");
    ck_assert_uint_eq(sc->regions.n, 2);
    ck_assert_double_eq(sc->regions.latency[1].mean, 0.08);
    ck_assert_double_eq(sc->regions.latency[2].mean, 0.08);
    ck_assert_double_eq(sc->regions.latency[3].mean, 0);
    scenario_free(sc);
    load_fails(HEAD "\"regions\":{\"us\":{\"us\":\"1ms\"}},"
                    "\"workload\":{\"rate\":1,\"entry\":\"web\"},\"components\":[" WEB "}]}",
               "regions.us.us", "within a region is 0");
    load_fails(HEAD "\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{}},"
                    "\"workload\":{\"rate\":1,\"entry\":\"web\"},"
                    "\"components\":[" WEB ",\"region\":\"ue\"}]}",
               "components[0].region", "unknown region \"ue\" (did you mean \"us\"?)");
    load_fails(HEAD "\"workload\":{\"rate\":1,\"entry\":\"web\"},"
                    "\"components\":[" WEB ",\"region\":\"us\"}]}",
               "components[0].region", "the scenario has no \"regions\"");
    load_fails(HEAD "\"regions\":{\"us\":{\"eu\":\"x\"},\"eu\":{}},"
                    "\"workload\":{\"rate\":1,\"entry\":\"web\"},\"components\":[" WEB "}]}",
               "regions.us.eu", "");
    /* A region named like a component: events could not tell them apart. */
    load_fails(HEAD "\"regions\":{\"web\":{\"eu\":\"80ms\"},\"eu\":{}},"
                    "\"workload\":{\"rate\":1,\"entry\":\"web\"},\"components\":[" WEB "}]}",
               "regions.web", "names both a region and a component");
    load_fails(HEAD "\"workload\":{\"rate\":1,\"entry\":\"web\",\"regions\":{\"us\":1}},"
                    "\"components\":[" WEB "}]}",
               "workload.regions", "needs the top-level \"regions\"");
    load_fails(HEAD "\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{}},"
                    "\"workload\":{\"rate\":1,\"entry\":\"web\",\"regions\":{\"eux\":1}},"
                    "\"components\":[" WEB "}]}",
               "workload.regions.eux", "did you mean \"eu\"?");
    load_fails(HEAD "\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{}},"
                    "\"workload\":{\"rate\":1,\"entry\":\"web\",\"regions\":{\"eu\":0}},"
                    "\"components\":[" WEB "}]}",
               "workload.regions", "must not all be zero");
    /* Region events: whole regions only, and never scaled. */
#define BASE                                                                                       \
    HEAD "\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{}},"                                       \
         "\"workload\":{\"rate\":1,\"entry\":\"web\"},"                                            \
         "\"components\":[" WEB ",\"region\":\"us\"}],\"events\":[%s]}"
    char text[1024];
    snprintf(text, sizeof text, BASE,
             "{\"at\":\"1s\",\"action\":\"fail\",\"target\":\"us\","
             "\"node\":0}");
    load_fails(text, "events[0].node", "as a whole");
    snprintf(text, sizeof text, BASE,
             "{\"at\":\"1s\",\"action\":\"scale\",\"target\":\"us\","
             "\"nodes\":2}");
    load_fails(text, "events[0].target", "cannot be scaled");
    snprintf(text, sizeof text, BASE, "{\"at\":\"1s\",\"action\":\"fail\",\"target\":\"ue\"}");
    load_fails(text, "events[0].target", "unknown component or region \"ue\" (did you mean");
    snprintf(text, sizeof text, BASE, "{\"at\":\"1s\",\"action\":\"fail\",\"target\":\"us\"}");
    sc = tu_load(text);
    ck_assert_uint_eq(sc->events[0].region_no, 1);
    ck_assert_uint_eq(sc->comps[0].region_no, 1);
    scenario_free(sc);
    /* geo_dns: routes name regions and components placed there; it has no region itself. */
#define GEO                                                                                        \
    HEAD "\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{}},"                                       \
         "\"workload\":{\"rate\":1,\"entry\":\"dns\"},\"components\":["                            \
         "{\"id\":\"dns\",\"type\":\"geo_dns\",%s},"                                               \
         "{\"id\":\"a\",\"type\":\"service\",\"region\":\"us\"},"                                  \
         "{\"id\":\"b\",\"type\":\"service\",\"region\":\"eu\"}]}"
    snprintf(text, sizeof text, GEO, "\"routes\":{\"us\":\"b\"}");
    load_fails(text, "components[0].routes.us", "b is placed in eu, not in us");
    snprintf(text, sizeof text, GEO, "\"routes\":{\"uss\":\"a\"}");
    load_fails(text, "components[0].routes.uss", "did you mean \"us\"?");
    snprintf(text, sizeof text, GEO, "\"routes\":{\"us\":\"c\"}");
    load_fails(text, "components[0].routes.us", "unknown component \"c\"");
    snprintf(text, sizeof text, GEO, "\"routes\":{\"us\":\"a\"},\"region\":\"us\"");
    load_fails(text, "components[0].region", "no region of its own");
    snprintf(text, sizeof text, GEO, "\"routes\":{\"us\":\"a\"},\"health_check\":{\"every\":1}");
    load_fails(text, "components[0].health_check.every", "unknown field");
    snprintf(text, sizeof text, GEO, "\"routes\":{\"us\":\"a\"},\"nodes\":2");
    load_fails(text, "components[0].nodes", "no nodes");
    snprintf(text, sizeof text, GEO, "\"routes\":{}");
    load_fails(text, "components[0].routes", "must be an object of region");
}
END_TEST

/* ---- latency between regions ------------------------------------------------------------ */

/* Clients in eu; a proxy without a region (it runs where its caller is: eu) calls web in us,
 * which calls db in eu. Constant times, so every request takes exactly
 *   proxy -> web: 2 x (1 ms + 80 ms), web 10 ms, web -> db: 2 x (2 ms + 80 ms), db 5 ms
 * = 341 ms. The same with the clients in us: proxy (us) -> web 2 x 1 ms, web 10 ms,
 * web -> db 2 x 82 ms, db 5 ms = 181 ms. */
START_TEST(test_exact_cross_region_latency)
{
#define LATENCY_FMT                                                                                \
    "{\"duration\":\"20s\",\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{}},"                      \
    "\"workload\":{\"rate\":50,\"entry\":\"proxy\",\"regions\":{\"%s\":1}},"                       \
    "\"components\":["                                                                             \
    "{\"id\":\"proxy\",\"type\":\"service\",\"workers\":\"unlimited\","                            \
    "\"calls\":{\"*\":[\"web\"]}},"                                                                \
    "{\"id\":\"web\",\"type\":\"service\",\"region\":\"us\",\"latency\":\"1ms\","                  \
    "\"workers\":\"unlimited\",\"service\":\"10ms\",\"calls\":{\"*\":[\"db\"]}},"                  \
    "{\"id\":\"db\",\"type\":\"service\",\"region\":\"eu\",\"latency\":\"2ms\","                   \
    "\"workers\":\"unlimited\",\"service\":\"5ms\"}]}"
    static const struct {
        const char *clients;
        double want; /* s */
    } cases[] = {{"eu", 0.341}, {"us", 0.181}};
    for (size_t i = 0; i < 2; i++) {
        char text[2048];
        snprintf(text, sizeof text, LATENCY_FMT, cases[i].clients);
        struct scenario *sc = tu_load(text);
        struct world *w = tu_run(sc, 1);
        ck_assert_uint_gt(w->completed, 900);
        /* The histogram keeps whole nanoseconds: min and max are exact to 1 ns. */
        ck_assert_msg(fabs(hist_min(&w->latency) - cases[i].want) < 1e-9, "%s: min %.9f",
                      cases[i].clients, hist_min(&w->latency));
        ck_assert_msg(fabs(hist_max(&w->latency) - cases[i].want) < 1e-9, "%s: max %.9f",
                      cases[i].clients, hist_max(&w->latency));
        world_free(w);
        scenario_free(sc);
    }
}
END_TEST

/* A latency given as a distribution is drawn once per direction: the end-to-end time of a
 * call from eu into us with nothing else is U1 + U2, U uniform on [70, 90] ms: mean 160 ms,
 * variance 2 x 20^2 / 12 ms^2 (sd 8.165 ms). Over n requests the mean is within 4 standard
 * errors, 4 x 8.165 / sqrt(n) ms, of 160 ms. Without workload.regions the clients are in no
 * region and pay nothing. */
START_TEST(test_distribution_latency_mean)
{
    struct scenario *sc =
        tu_load("{\"duration\":\"100s\",\"regions\":{\"us\":{\"eu\":{\"dist\":\"uniform\","
             "\"min\":\"70ms\",\"max\":\"90ms\"}},\"eu\":{}},"
             "\"workload\":{\"rate\":100,\"entry\":\"web\",\"regions\":{\"eu\":1}},"
             "\"components\":[{\"id\":\"web\",\"type\":\"service\",\"region\":\"us\","
             "\"workers\":\"unlimited\"}]}");
    struct world *w = tu_run(sc, 3);
    double n = (double)w->completed, tol = 4 * 8.165e-3 / sqrt(n);
    ck_assert_uint_gt(w->completed, 9000);
    ck_assert_msg(fabs(hist_mean(&w->latency) - 0.160) < tol, "mean %.6f, tolerance %.6f",
                  hist_mean(&w->latency), tol);
    ck_assert_double_ge(hist_min(&w->latency), 0.140 - 1e-9);
    ck_assert_double_le(hist_max(&w->latency), 0.180 + 1e-9);
    world_free(w);
    scenario_free(sc);
    sc = tu_load("{\"duration\":\"10s\",\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{}},"
              "\"workload\":{\"rate\":100,\"entry\":\"web\"},"
              "\"components\":[{\"id\":\"web\",\"type\":\"service\",\"region\":\"us\","
              "\"workers\":\"unlimited\"}]}");
    w = tu_run(sc, 3);
    ck_assert_uint_gt(w->completed, 900);
    ck_assert_double_eq(hist_max(&w->latency), 0);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* ---- routing --------------------------------------------------------------------------- */

/* The counts of each region among draws [from, to) (1-based request numbers) of the workload's
 * "regions" stream: the clients' regions request by request. */
static void region_draws(uint64_t seed, const double *shares, size_t n, uint64_t from, uint64_t to,
                         uint64_t *counts)
{
    gsl_rng *r = rng_stream(seed, "", 0, "regions");
    gsl_ran_discrete_t *t = gsl_ran_discrete_preproc(n, shares);
    for (size_t i = 0; i < n; i++)
        counts[i] = 0;
    for (uint64_t k = 1; k < to; k++) {
        size_t d = gsl_ran_discrete(r, t);
        if (k >= from)
            counts[d]++;
    }
    gsl_ran_discrete_free(t);
    gsl_rng_free(r);
}

#define THREE_REGIONS                                                                              \
    "\"regions\":{\"us\":{\"eu\":\"80ms\",\"ap\":\"150ms\"},\"eu\":{\"ap\":\"120ms\"},"            \
    "\"ap\":{}},"

/* Users in three regions, routes in two: us and eu clients go home, ap clients to the nearer
 * of the two (eu, 120 ms against 150 ms). The counts are exactly the stream's draws, and
 * within 4 binomial standard deviations of the shares. */
START_TEST(test_routing_by_client_region)
{
    struct scenario *sc = tu_load(
        "{\"duration\":\"60s\"," THREE_REGIONS
        "\"workload\":{\"rate\":200,\"entry\":\"dns\",\"regions\":{\"us\":0.5,\"eu\":0.3,"
        "\"ap\":0.2}},\"components\":["
        "{\"id\":\"dns\",\"type\":\"geo_dns\",\"routes\":{\"us\":\"web-us\",\"eu\":\"web-eu\"}},"
        "{\"id\":\"web-us\",\"type\":\"service\",\"region\":\"us\",\"workers\":\"unlimited\"},"
        "{\"id\":\"web-eu\",\"type\":\"service\",\"region\":\"eu\",\"workers\":\"unlimited\"}"
        "]}");
    struct world *w = tu_run(sc, 5);
    cJSON *s = report_summary(w);
    const cJSON *regions = path_get(s, "components", "dns", "regions");
    uint64_t want[3];
    region_draws(5, sc->regions.share, 3, 1, w->arrived + 1, want);
    static const char *const names[] = {"us", "eu", "ap"};
    for (size_t i = 0; i < 3; i++) {
        double got = path_get(regions, names[i], "requests", NULL)->valuedouble;
        ck_assert_msg(got == (double)want[i], "%s: %g requests, the stream drew %llu", names[i],
                      got, (unsigned long long)want[i]);
        double n = (double)w->arrived, p = sc->regions.share[i];
        ck_assert_double_le(fabs(got - n * p), 4 * sqrt(n * p * (1 - p)));
    }
    ck_assert_double_eq(path_get(regions, "us", "sent_to", "us")->valuedouble, (double)want[0]);
    ck_assert_double_eq(path_get(regions, "us", "sent_to", "eu")->valuedouble, 0);
    ck_assert_double_eq(path_get(regions, "ap", "sent_to", "eu")->valuedouble, (double)want[2]);
    ck_assert_double_eq(path_get(regions, "eu", "sent_to", "eu")->valuedouble, (double)want[1]);
    /* Inside us nothing delays the calls: every us request reached web-us. */
    ck_assert_uint_eq(w->comps[scenario_find(sc, "web-us")].requests, want[0]);
    /* The ap clients pay 120 ms each way; the others nothing. */
    ck_assert_double_eq_tol(hist_max(&w->latency), 0.240, 1e-9);
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* ---- region failure -------------------------------------------------------------------- */

/* Half the clients in us, half in eu; evenly spaced arrivals: request k (counting from 1, as
 * the draws of the regions stream) at (k - 1) / 100 s; each
 * region's entry (no network latency inside a region) serves in 1 ms. The us region fails at
 * 42.005 s (between requests 4201 and 4202, none in flight); the router's checks run every
 * 5 s, so it notices at 45 s, and the us clients switch to eu a TTL later. Every us request
 * from 4202 up to the switch fails, exactly, and nothing else does. */
static const char *failover_scenario(char *buf, size_t len, const char *check, const char *ttl,
                                     const char *events)
{
    snprintf(buf, len,
             "{\"duration\":\"200s\",\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{}},"
             "\"workload\":{\"rate\":100,\"arrivals\":\"uniform\",\"entry\":\"dns\","
             "\"regions\":{\"us\":0.5,\"eu\":0.5}},\"components\":["
             "{\"id\":\"dns\",\"type\":\"geo_dns\",\"routes\":{\"us\":\"lb-us\","
             "\"eu\":\"lb-eu\"},\"ttl\":\"%s\",\"health_check\":{\"interval\":\"%s\"}},"
             "{\"id\":\"lb-us\",\"type\":\"load_balancer\",\"region\":\"us\","
             "\"backend\":\"web-us\"},"
             "{\"id\":\"web-us\",\"type\":\"service\",\"region\":\"us\",\"nodes\":2,"
             "\"workers\":4,\"service\":\"1ms\"},"
             "{\"id\":\"lb-eu\",\"type\":\"load_balancer\",\"region\":\"eu\","
             "\"backend\":\"web-eu\"},"
             "{\"id\":\"web-eu\",\"type\":\"service\",\"region\":\"eu\",\"nodes\":2,"
             "\"workers\":4,\"service\":\"1ms\"}],\"events\":[%s]}",
             ttl, check, events);
    return buf;
}

static const double half[] = {0.5, 0.5};

START_TEST(test_failover_after_check_and_ttl)
{
    char text[4096];
    struct scenario *sc =
        tu_load(failover_scenario(text, sizeof text, "5s", "30.005s",
                               "{\"at\":\"42.005s\",\"action\":\"fail\",\"target\":\"us\"},"
                               "{\"at\":\"100.005s\",\"action\":\"recover\",\"target\":\"us\"}"));
    struct world *w = tu_run(sc, 9);
    /* Switch at 45 + 30.005 = 75.005 s: requests 4202..7501 were sent to the failed us. */
    uint64_t in_window[2];
    region_draws(9, half, 2, 4202, 7502, in_window);
    ck_assert_uint_eq(w->failed, in_window[0]);
    /* Arrivals end before 200 s (the last at 199.99 s): every one was answered. */
    ck_assert_uint_eq(w->arrived, 20000);
    ck_assert_uint_eq(w->completed + w->failed, w->arrived);
    cJSON *s = report_summary(w);
    const cJSON *dns = path_get(s, "components", "dns", NULL);
    ck_assert_double_eq(path_get(dns, "regions", "us", "sent_to_failed")->valuedouble,
                        (double)in_window[0]);
    ck_assert_double_eq(path_get(dns, "regions", "us", "failed")->valuedouble,
                        (double)in_window[0]);
    ck_assert_double_eq(path_get(dns, "regions", "eu", "failed")->valuedouble, 0);
    const cJSON *fo = path_get(dns, "failovers", NULL, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(fo), 2);
    const cJSON *f0 = cJSON_GetArrayItem(fo, 0), *f1 = cJSON_GetArrayItem(fo, 1);
    ck_assert_str_eq(path_get(f0, "clients", NULL, NULL)->valuestring, "us");
    ck_assert_str_eq(path_get(f0, "to", NULL, NULL)->valuestring, "eu");
    ck_assert_double_eq(path_get(f0, "decided_at_s", NULL, NULL)->valuedouble, 45);
    ck_assert_double_eq_tol(path_get(f0, "at_s", NULL, NULL)->valuedouble, 75.005, 1e-9);
    /* Unreachable from the first us request that found the region down to the switch. */
    uint64_t first = 4202, c[2];
    for (;; first++) {
        region_draws(9, half, 2, first, first + 1, c);
        if (c[0])
            break;
    }
    ck_assert_double_eq_tol(path_get(f0, "unreachable_s", NULL, NULL)->valuedouble,
                            75.005 - (double)(first - 1) / 100, 1e-6);
    ck_assert_double_eq(path_get(f0, "sent_to_failed", NULL, NULL)->valuedouble,
                        (double)in_window[0]);
    /* Back home: recovered at 100.005 s, noticed at 105 s, switched at 135.005 s; it cost
     * nothing (eu served them meanwhile). */
    ck_assert_str_eq(path_get(f1, "from", NULL, NULL)->valuestring, "eu");
    ck_assert_str_eq(path_get(f1, "to", NULL, NULL)->valuestring, "us");
    ck_assert_double_eq(path_get(f1, "decided_at_s", NULL, NULL)->valuedouble, 105);
    ck_assert_double_eq_tol(path_get(f1, "at_s", NULL, NULL)->valuedouble, 135.005, 1e-9);
    ck_assert_double_eq(path_get(f1, "unreachable_s", NULL, NULL)->valuedouble, 0);
    /* us clients in eu from 75.005 s to 135.005 s: requests 7502..13501. */
    uint64_t moved[2];
    region_draws(9, half, 2, 7502, 13502, moved);
    ck_assert_double_eq(
        path_get(path_get(dns, "regions", "us", "sent_to"), "eu", NULL, NULL)->valuedouble,
        (double)moved[0]);
    /* They paid the transatlantic 80 ms each way: 2 x 80 + 1 ms. */
    ck_assert_double_eq_tol(hist_max(&w->latency), 0.161, 1e-9);
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* A TTL of 0: the clients switch at the check itself. Checks every 5.005 s (off the arrivals'
 * grid): the failure is noticed at 45.045 s, and requests 4202..4505 fail. */
START_TEST(test_failover_ttl_zero)
{
    char text[4096];
    struct scenario *sc =
        tu_load(failover_scenario(text, sizeof text, "5.005s", "0s",
                               "{\"at\":\"42.005s\",\"action\":\"fail\",\"target\":\"us\"}"));
    struct world *w = tu_run(sc, 9);
    uint64_t in_window[2];
    region_draws(9, half, 2, 4202, 4506, in_window);
    ck_assert_uint_eq(w->failed, in_window[0]);
    /* The whole region failed: the balancer's and the pool's nodes. */
    for (size_t i = 1; i < 3; i++) {
        const struct comp *c = &w->comps[i];
        for (uint32_t n = 0; n < c->ops->node_count(c); n++)
            ck_assert(!c->ops->node_up(c, n));
    }
    ck_assert(w->comps[4].ops->node_up(&w->comps[4], 0));
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* Down from 42.005 s to 43.005 s, between two checks: the router never notices, nobody moves;
 * the requests of that second fail, and the us clients were cut off from the first request
 * that found the region down (the first us request from 4202 on) to the first that found it
 * back (the first us request from 4302 on). */
START_TEST(test_blip_between_checks)
{
    char text[4096];
    struct scenario *sc =
        tu_load(failover_scenario(text, sizeof text, "5s", "30s",
                               "{\"at\":\"42.005s\",\"action\":\"fail\",\"target\":\"us\"},"
                               "{\"at\":\"43.005s\",\"action\":\"recover\",\"target\":\"us\"}"));
    struct world *w = tu_run(sc, 9);
    uint64_t in_window[2], c[2];
    region_draws(9, half, 2, 4202, 4302, in_window);
    ck_assert_uint_eq(w->failed, in_window[0]);
    uint64_t down = 4202, up = 4302;
    for (;; down++) {
        region_draws(9, half, 2, down, down + 1, c);
        if (c[0])
            break;
    }
    for (;; up++) {
        region_draws(9, half, 2, up, up + 1, c);
        if (c[0])
            break;
    }
    cJSON *s = report_summary(w);
    const cJSON *dns = path_get(s, "components", "dns", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(path_get(dns, "failovers", NULL, NULL)), 0);
    ck_assert_double_eq_tol(path_get(dns, "regions", "us", "unreachable_s")->valuedouble,
                            (double)(up - down) / 100, 1e-6);
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* ---- replication between regions ------------------------------------------------------ */

/* A database with its primary in us and its replica in eu (or us), sync replication with a
 * 10 ms lag: a write is answered once the replica has it, so each takes exactly the 1 ms
 * service, the lag and, across regions, the 80 ms between them: 91 ms (11 ms in one region).
 * The clients are in no region, so the call into the database adds nothing. */
#define REPLICA_FMT                                                                                \
    "{\"duration\":\"20s\",\"regions\":{\"us\":{\"eu\":\"80ms\"},\"eu\":{}},"                      \
    "\"workload\":{\"rate\":5,\"arrivals\":\"uniform\",\"ops\":{\"write\":1},"                     \
    "\"entry\":\"db\"},\"components\":[{\"id\":\"db\",\"type\":\"database\","                      \
    "\"service\":\"1ms\",\"replicas\":1,\"replication\":{\"mode\":\"sync\",\"lag\":\"10ms\"}%s}]}"

START_TEST(test_cross_region_replication_lag)
{
    static const struct {
        const char *extra;
        double want; /* s */
    } cases[] = {{",\"region\":\"us\",\"replica_regions\":[\"eu\"]", 0.091},
                 {",\"region\":\"us\",\"replica_regions\":[\"us\"]", 0.011},
                 {",\"region\":\"us\"", 0.011}};
    for (size_t i = 0; i < 3; i++) {
        char text[2048];
        snprintf(text, sizeof text, REPLICA_FMT, cases[i].extra);
        struct scenario *sc = tu_load(text);
        struct world *w = tu_run(sc, 1);
        ck_assert_uint_eq(w->completed, 100);
        ck_assert_msg(fabs(hist_min(&w->latency) - cases[i].want) < 1e-9 &&
                          fabs(hist_max(&w->latency) - cases[i].want) < 1e-9,
                      "case %zu: %.9f .. %.9f s", i, hist_min(&w->latency), hist_max(&w->latency));
        world_free(w);
        scenario_free(sc);
    }
    char text[2048];
    snprintf(text, sizeof text, REPLICA_FMT, ",\"replica_regions\":[\"eu\"]");
    load_fails(text, "components[0].replica_regions", "needs the database's \"region\"");
    snprintf(text, sizeof text, REPLICA_FMT, ",\"region\":\"us\",\"replica_regions\":[\"ue\"]");
    load_fails(text, "components[0].replica_regions[0]", "did you mean \"us\"?");
}
END_TEST

Suite *geo_dns_suite(void)
{
    Suite *s = suite_create("geo_dns");
    TCase *tc = tcase_create("regions");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_exact_cross_region_latency);
    tcase_add_test(tc, test_distribution_latency_mean);
    tcase_add_test(tc, test_routing_by_client_region);
    tcase_add_test(tc, test_failover_after_check_and_ttl);
    tcase_add_test(tc, test_failover_ttl_zero);
    tcase_add_test(tc, test_blip_between_checks);
    tcase_add_test(tc, test_cross_region_replication_lag);
    suite_add_tcase(s, tc);
    return s;
}
