/* The CDN model through the whole simulator: hit ratios under Zipf IRM against Che's
 * approximation, exact TTL expiry, origin offload, coalescing per edge, per-edge isolation,
 * outages that lose nothing, latencies of hits, misses and bypasses, scaling, the estimate. */
#include "models/placement.h"
#include "models/registry.h"
#include "sim/estimate.h"
#include "sim/keys.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/testutil.h"

#include <check.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------------------------- */

/* The first client id at or above `from` whose edge among n is `edge` (the model's routing:
 * jump consistent hashing of the client id's hash). */
static unsigned client_on(int32_t edge, int32_t n, unsigned from)
{
    unsigned c = from;
    while (placement_jump(placement_key_hash(c), n) != edge)
        c++;
    return c;
}

/* A trace-driven scenario: the client sends every op to the CDN "cdn" (its own fields are
 * `cdn`), whose origin is a service "web" (extra fields `web`); `events` is the events list,
 * `top` extra top-level members and `wl` extra workload members (each "" or ending in ','). */
static char *trace_scenario(const char *rows, const char *duration, const char *top, const char *wl,
                            const char *cdn, const char *web, const char *events, char **trace_path)
{
    const char *p = tu_write_temp(rows, ".csv");
    ck_assert_ptr_nonnull(p);
    *trace_path = strdup(p);
    char *text = malloc(8192);
    snprintf(text, 8192,
             "{%s\"name\":\"t\",\"duration\":\"%s\",\"metrics\":{\"interval\":\"1s\"},"
             "\"workload\":{%s\"trace\":\"%s\",\"entry\":\"cdn\","
             "\"ops\":{\"static\":1,\"read\":1},\"keys\":{\"count\":1000},\"clients\":1000},"
             "\"components\":[{\"id\":\"cdn\",\"type\":\"cdn\",\"origin\":\"web\"%s%s},"
             "{\"id\":\"web\",\"type\":\"service\",\"workers\":\"unlimited\"%s%s}],"
             "\"events\":[%s]}",
             top, duration, wl, *trace_path, cdn[0] ? "," : "", cdn, web[0] ? "," : "", web,
             events);
    return text;
}

struct outcome {
    double hits, misses, coalesced, origin_requests, offload, bypassed, passed, expirations;
    double requests, web_requests;
    uint64_t arrived, completed, failed, rejected, timed_out;
    double lat_min, lat_max, lat_mean; /* s, end to end */
    double edge_hits[4], edge_misses[4], edge_bypassed[4], edge_keys[4], edge_requests[4];
    int nedges;
};

static struct outcome run_trace(const char *rows, const char *duration, const char *cdn,
                                const char *web, const char *events)
{
    char *trace;
    char *text = trace_scenario(rows, duration, "", "", cdn, web, events, &trace);
    struct scenario *sc = tu_load(text);
    struct world *w = tu_run(sc, 1);
    cJSON *s = report_summary(w);
    const cJSON *c = tu_comp(s, "cdn");
    struct outcome o = {
        .hits = tu_num(c, "hits"),
        .misses = tu_num(c, "misses"),
        .coalesced = tu_num(c, "coalesced"),
        .origin_requests = tu_num(c, "origin_requests"),
        .offload = tu_num(c, "origin_offload"),
        .bypassed = tu_num(c, "bypassed"),
        .passed = tu_num(c, "passed"),
        .expirations = tu_num(c, "expirations"),
        .requests = tu_num(c, "requests"),
        .web_requests = tu_num(tu_comp(s, "web"), "requests"),
        .arrived = w->arrived,
        .completed = w->completed,
        .failed = w->failed,
        .rejected = w->rejected,
        .timed_out = w->timed_out,
        .lat_min = hist_min(&w->latency),
        .lat_max = hist_max(&w->latency),
        .lat_mean = hist_mean(&w->latency),
    };
    const cJSON *edges = cJSON_GetObjectItem(c, "edges");
    ck_assert_ptr_nonnull(edges);
    o.nedges = cJSON_GetArraySize(edges);
    for (int i = 0; i < o.nedges && i < 4; i++) {
        const cJSON *e = cJSON_GetArrayItem(edges, i);
        o.edge_hits[i] = tu_num(e, "hits");
        o.edge_misses[i] = tu_num(e, "misses");
        o.edge_bypassed[i] = tu_num(e, "bypassed");
        o.edge_keys[i] = tu_num(e, "keys");
        o.edge_requests[i] = tu_num(e, "requests");
    }
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
    free(text);
    unlink(trace);
    free(trace);
    return o;
}

/* ---- TTL ------------------------------------------------------------------------------- */

/* ttl 10 s, fills at the request's own instant (origin time 0): an entry filled at t is valid
 * while now < t + 10. Requests at 0 (miss, fill), 5 (hit), 9.999 (hit), 10 (expired: miss,
 * refill), 15 (hit), 19.5 (hit), 20 (expired: miss). */
START_TEST(test_ttl_exact)
{
    struct outcome o = run_trace("0,static,1,0\n5,static,1,0\n9.999,static,1,0\n10,static,1,0\n"
                                 "15,static,1,0\n19.5,static,1,0\n20,static,1,0\n",
                                 "30s", "\"capacity\":10,\"ttl\":\"10s\"", "", "");
    ck_assert_double_eq(o.hits, 4);
    ck_assert_double_eq(o.misses, 3);
    ck_assert_double_eq(o.expirations, 2);
    ck_assert_double_eq(o.origin_requests, 3);
    ck_assert_double_eq(o.web_requests, 3);
    ck_assert_uint_eq(o.completed, 7);
}
END_TEST

/* ---- origin offload -------------------------------------------------------------------- */

/* Ten requests: static key 1 four times (1 miss, 3 hits), static key 2 twice (1 miss, 1 hit),
 * four reads, which pass through uncached: the origin sees 2 + 4, so the offload is
 * 1 - 6/10. With "ops": ["static", "read"] the reads (of key 3) are cached too: 1 miss and
 * 3 hits more, so the origin sees 3 and the offload is 0.7. */
static const char offload_trace[] = "0,static,1,0\n1,read,3,0\n2,static,1,0\n3,static,2,0\n"
                                    "4,read,3,0\n5,static,1,0\n6,static,2,0\n7,read,3,0\n"
                                    "8,static,1,0\n9,read,3,0\n";

START_TEST(test_offload)
{
    struct outcome o = run_trace(offload_trace, "20s", "\"capacity\":10", "", "");
    ck_assert_double_eq(o.requests, 10);
    ck_assert_double_eq(o.hits, 4);
    ck_assert_double_eq(o.misses, 2);
    ck_assert_double_eq(o.passed, 4);
    ck_assert_double_eq(o.origin_requests, 6);
    ck_assert_double_eq(o.web_requests, 6);
    ck_assert_double_eq_tol(o.offload, 0.4, 1e-15);
    ck_assert_uint_eq(o.completed, 10);
    o = run_trace(offload_trace, "20s", "\"capacity\":10,\"ops\":[\"static\",\"read\"]", "", "");
    ck_assert_double_eq(o.hits, 7);
    ck_assert_double_eq(o.misses, 3);
    ck_assert_double_eq(o.passed, 0);
    ck_assert_double_eq(o.origin_requests, 3);
    ck_assert_double_eq(o.web_requests, 3);
    ck_assert_double_eq_tol(o.offload, 0.7, 1e-15);
    /* Nothing cached: a plain proxy. */
    o = run_trace(offload_trace, "20s", "\"capacity\":10,\"ops\":[]", "", "");
    ck_assert_double_eq(o.hits + o.misses, 0);
    ck_assert_double_eq(o.origin_requests, 10);
    ck_assert_double_eq(o.offload, 0);
}
END_TEST

/* ---- coalescing ------------------------------------------------------------------------ */

static const char burst_trace[] = "0,static,5,0\n0.1,static,5,0\n0.2,static,5,0\n0.3,static,5,0\n"
                                  "0.4,static,5,0\n0.5,static,5,0\n0.6,static,5,0\n"
                                  "0.7,static,5,0\n0.8,static,5,0\n0.9,static,5,0\n"
                                  "2,static,5,0\n";

/* Ten misses for one key at one edge while the origin takes 1 s: one fetch, nine coalesced;
 * the request at 2 hits the fill. Without coalescing, ten fetches, and 2 still hits. */
START_TEST(test_coalesce)
{
    struct outcome o = run_trace(burst_trace, "5s", "\"capacity\":10", "\"service\":\"1s\"", "");
    ck_assert_double_eq(o.origin_requests, 1);
    ck_assert_double_eq(o.web_requests, 1);
    ck_assert_double_eq(o.coalesced, 9);
    ck_assert_double_eq(o.misses, 10);
    ck_assert_double_eq(o.hits, 1);
    ck_assert_uint_eq(o.completed, 11);
    /* Every waiter is answered when the fetch is: at 1 s for all ten. */
    ck_assert_double_eq_tol(o.lat_max, 1.0, 1e-9);
    ck_assert_double_eq_tol(o.lat_min, 0.0, 1e-9);
    o = run_trace(burst_trace, "5s", "\"capacity\":10,\"coalesce\":false", "\"service\":\"1s\"",
                  "");
    ck_assert_double_eq(o.origin_requests, 10);
    ck_assert_double_eq(o.web_requests, 10);
    ck_assert_double_eq(o.coalesced, 0);
    ck_assert_double_eq(o.hits, 1);
    ck_assert_uint_eq(o.completed, 11);
}
END_TEST

/* Coalescing is per edge: the same key missed at two edges at once makes two fetches. Clients
 * a and b use different edges; a at 0 and 0.2, b at 0.1 and 0.3, origin 1 s: two fetches,
 * two coalesced. */
START_TEST(test_coalesce_per_edge)
{
    unsigned a = client_on(0, 2, 0), b = client_on(1, 2, 0);
    char rows[256];
    snprintf(rows, sizeof rows,
             "0,static,5,%u\n0.1,static,5,%u\n0.2,static,5,%u\n0.3,static,5,%u\n", a, b, a, b);
    struct outcome o =
        run_trace(rows, "5s", "\"capacity\":10,\"edges\":2", "\"service\":\"1s\"", "");
    ck_assert_double_eq(o.origin_requests, 2);
    ck_assert_double_eq(o.coalesced, 2);
    ck_assert_double_eq(o.misses, 4);
    ck_assert_uint_eq(o.completed, 4);
}
END_TEST

/* A fetch that fails (the origin's timeout of 0.5 s against a 1 s service) fails the misses
 * that waited for it, and fills nothing: the request at 2 misses and fetches again. */
START_TEST(test_coalesce_failure)
{
    struct outcome o = run_trace("0,static,5,0\n0.1,static,5,0\n2,static,5,0\n", "5s",
                                 "\"capacity\":10", "\"service\":\"1s\",\"timeout\":\"0.5s\"", "");
    ck_assert_double_eq(o.coalesced, 1);
    ck_assert_double_eq(o.misses, 3);
    ck_assert_double_eq(o.hits, 0);
    ck_assert_double_eq(o.origin_requests, 2);
    ck_assert_uint_eq(o.completed, 0);
    ck_assert_uint_eq(o.failed + o.timed_out, 3);
}
END_TEST

/* ---- edges ----------------------------------------------------------------------------- */

/* A key cached at one edge misses at another: a and b on edges 0 and 1 each ask for key 5
 * twice. Each edge misses once, then hits, and holds one key. */
START_TEST(test_isolation)
{
    unsigned a = client_on(0, 2, 0), b = client_on(1, 2, 0);
    char rows[256];
    snprintf(rows, sizeof rows, "0,static,5,%u\n1,static,5,%u\n2,static,5,%u\n3,static,5,%u\n", a,
             b, a, b);
    struct outcome o = run_trace(rows, "5s", "\"capacity\":10,\"edges\":2", "", "");
    ck_assert_int_eq(o.nedges, 2);
    ck_assert_double_eq(o.edge_misses[0], 1);
    ck_assert_double_eq(o.edge_misses[1], 1);
    ck_assert_double_eq(o.edge_hits[0], 1);
    ck_assert_double_eq(o.edge_hits[1], 1);
    ck_assert_double_eq(o.edge_keys[0], 1);
    ck_assert_double_eq(o.edge_keys[1], 1);
    ck_assert_double_eq(o.origin_requests, 2);
}
END_TEST

/* Scaling edges: with one edge everyone shares it, so b hits what a fetched. At 10 s a second
 * edge joins and b (whose hash picks edge 1 of 2) moves there and misses; a stays and hits.
 * At 20 s the CDN shrinks back: b hits at edge 0 again. At 30 s edge 1 returns cold: b misses.
 * Requests: a 1, b 2 | a 11, b 12, b 13 | b 21 | b 31, b 32. */
START_TEST(test_scale_edges)
{
    unsigned a = client_on(0, 2, 0), b = client_on(1, 2, 0);
    char rows[512];
    snprintf(rows, sizeof rows,
             "1,static,1,%u\n2,static,1,%u\n11,static,1,%u\n12,static,1,%u\n13,static,1,%u\n"
             "21,static,1,%u\n31,static,1,%u\n32,static,1,%u\n",
             a, b, a, b, b, b, b, b);
    struct outcome o =
        run_trace(rows, "40s", "\"capacity\":10", "",
                  "{\"at\":\"10s\",\"action\":\"scale\",\"target\":\"cdn\",\"edges\":2},"
                  "{\"at\":\"20s\",\"action\":\"scale\",\"target\":\"cdn\",\"edges\":1},"
                  "{\"at\":\"30s\",\"action\":\"scale\",\"target\":\"cdn\",\"edges\":2}");
    ck_assert_double_eq(o.misses, 3);
    ck_assert_double_eq(o.hits, 5);
    ck_assert_int_eq(o.nedges, 2);
    ck_assert_double_eq(o.edge_misses[1], 2);
    ck_assert_double_eq(o.edge_hits[1], 2);
    ck_assert_double_eq(o.edge_requests[0], 4);
    ck_assert_double_eq(o.edge_requests[1], 4);
    ck_assert_uint_eq(o.completed, 8);
}
END_TEST

/* ---- failures -------------------------------------------------------------------------- */

/* Requests every second at 0.5 .. 29.5, clients a and b in turn, all for key 1, with a and b
 * on different edges; the origin takes 0.1 s. */
static char *outage_rows(void)
{
    unsigned a = client_on(0, 2, 0), b = client_on(1, 2, 0);
    char *rows = malloc(4096);
    size_t n = 0;
    for (int i = 0; i < 30; i++)
        n += (size_t)snprintf(rows + n, 4096 - n, "%g,static,1,%u\n", i + 0.5, i % 2 ? b : a);
    return rows;
}

/* The whole CDN fails at 10 s and recovers at 20 s. Before: each edge misses once and hits
 * four times. During: the ten requests go to the origin (bypassed) and all complete. After:
 * the edges come back cold, so again one miss and four hits each. The origin sees 4 misses +
 * 10 bypassed; nothing fails. */
START_TEST(test_outage)
{
    char *rows = outage_rows();
    struct outcome o = run_trace(rows, "31s", "\"capacity\":10,\"edges\":2", "\"service\":\"0.1s\"",
                                 "{\"at\":\"10s\",\"action\":\"fail\",\"target\":\"cdn\"},"
                                 "{\"at\":\"20s\",\"action\":\"recover\",\"target\":\"cdn\"}");
    ck_assert_double_eq(o.bypassed, 10);
    ck_assert_double_eq(o.edge_bypassed[0], 5);
    ck_assert_double_eq(o.edge_bypassed[1], 5);
    ck_assert_double_eq(o.misses, 4);
    ck_assert_double_eq(o.hits, 16);
    ck_assert_double_eq(o.origin_requests, 14);
    ck_assert_double_eq(o.web_requests, 14);
    ck_assert_double_eq_tol(o.offload, 1 - 14.0 / 30, 1e-15);
    ck_assert_uint_eq(o.arrived, 30);
    ck_assert_uint_eq(o.completed, 30);
    ck_assert_uint_eq(o.failed + o.rejected + o.timed_out, 0);
    /* One edge (b's, edge 1) fails instead: only b's five requests of the outage bypass;
     * a misses once and hits fourteen times. */
    o = run_trace(rows, "31s", "\"capacity\":10,\"edges\":2", "\"service\":\"0.1s\"",
                  "{\"at\":\"10s\",\"action\":\"fail\",\"target\":\"cdn\",\"node\":1},"
                  "{\"at\":\"20s\",\"action\":\"recover\",\"target\":\"cdn\",\"node\":1}");
    ck_assert_double_eq(o.bypassed, 5);
    ck_assert_double_eq(o.edge_bypassed[0], 0);
    ck_assert_double_eq(o.edge_bypassed[1], 5);
    ck_assert_double_eq(o.edge_hits[0], 14);
    ck_assert_double_eq(o.edge_misses[0], 1);
    ck_assert_double_eq(o.edge_hits[1], 8);
    ck_assert_double_eq(o.edge_misses[1], 2);
    ck_assert_double_eq(o.origin_requests, 8);
    ck_assert_uint_eq(o.completed, 30);
    ck_assert_uint_eq(o.failed + o.rejected + o.timed_out, 0);
    free(rows);
}
END_TEST

/* Requests inside an edge when it fails are not lost either. The origin takes 2 s: the miss
 * at 0 and the one coalesced on it at 0.5 are waiting when the edge fails at 1 s, and the
 * request at 1.2 bypasses it. The edge recovers at 1.5; the fetch made before the failure
 * answers its two requests at 2 s but does not fill the edge's new life, so key 1 misses at
 * 3 (answered at 5). Everything completes. */
START_TEST(test_inflight_at_failure)
{
    struct outcome o = run_trace("0,static,1,0\n0.5,static,1,0\n1.2,static,1,0\n3,static,1,0\n",
                                 "10s", "\"capacity\":10", "\"service\":\"2s\"",
                                 "{\"at\":\"1s\",\"action\":\"fail\",\"target\":\"cdn\"},"
                                 "{\"at\":\"1.5s\",\"action\":\"recover\",\"target\":\"cdn\"}");
    ck_assert_uint_eq(o.completed, 4);
    ck_assert_uint_eq(o.failed + o.rejected + o.timed_out, 0);
    ck_assert_double_eq(o.bypassed, 1);
    ck_assert_double_eq(o.coalesced, 1);
    ck_assert_double_eq(o.misses, 3);
    ck_assert_double_eq(o.hits, 0);
    ck_assert_double_eq(o.origin_requests, 3);
    /* Latencies: 2, 1.5, 2 (bypass) and 2. */
    ck_assert_double_eq_tol(o.lat_min, 1.5, 1e-9);
    ck_assert_double_eq_tol(o.lat_max, 2.0, 1e-9);
}
END_TEST

/* ---- latency --------------------------------------------------------------------------- */

/* Client to edge 10 ms each way, edge service 2 ms, edge to origin 40 ms each way, the
 * origin's own latency 1 ms each way and its service 5 ms. A hit takes 2 x 10 + 2 = 22 ms; a
 * miss 22 + 2 x 40 + 2 x 1 + 5 = 109 ms; a bypass (the edge failed at 2 s) skips the edge's
 * service: 20 + 80 + 2 + 5 = 107 ms. A pass-through op goes through the edge: 109 ms. */
START_TEST(test_latency)
{
    struct outcome o = run_trace(
        "0,static,1,0\n1,static,1,0\n3,static,1,0\n", "10s",
        "\"capacity\":10,\"latency\":\"10ms\",\"service\":\"2ms\",\"origin_latency\":\"40ms\"",
        "\"latency\":\"1ms\",\"service\":\"5ms\"",
        "{\"at\":\"2s\",\"action\":\"fail\",\"target\":\"cdn\"}");
    ck_assert_double_eq(o.hits, 1);
    ck_assert_double_eq(o.misses, 1);
    ck_assert_double_eq(o.bypassed, 1);
    ck_assert_double_eq_tol(o.lat_min, 0.022, 1e-9);
    ck_assert_double_eq_tol(o.lat_max, 0.109, 1e-9);
    ck_assert_double_eq_tol(o.lat_mean, (0.022 + 0.109 + 0.107) / 3, 1e-9);
    o = run_trace(
        "0,read,1,0\n", "10s",
        "\"capacity\":10,\"latency\":\"10ms\",\"service\":\"2ms\",\"origin_latency\":\"40ms\"",
        "\"latency\":\"1ms\",\"service\":\"5ms\"", "");
    ck_assert_double_eq(o.passed, 1);
    ck_assert_double_eq_tol(o.lat_max, 0.109, 1e-9);
}
END_TEST

/* ---- capacity as a size ---------------------------------------------------------------- */

START_TEST(test_capacity_size)
{
    static const char *const caps[][2] = {
        {"\"10GB\"", "100000"}, {"\"1MB\"", "10"}, {"\"1050KB\"", "10"}, {"25", "25"}};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{\"name\":\"c\",\"duration\":\"1s\",\"workload\":{\"rate\":1,\"entry\":\"cdn\","
                 "\"ops\":{\"static\":1},\"object_size\":\"100KB\"},"
                 "\"components\":[{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":%s,"
                 "\"origin\":\"web\"},{\"id\":\"web\",\"type\":\"service\"}]}",
                 caps[i][0]);
        struct scenario *sc = tu_load(text);
        struct world *w = tu_run(sc, 1);
        cJSON *s = report_summary(w);
        ck_assert_double_eq(tu_num(tu_comp(s, "cdn"), "capacity"), atof(caps[i][1]));
        cJSON_Delete(s);
        world_free(w);
        scenario_free(sc);
    }
}
END_TEST

/* ---- regions -------------------------------------------------------------------------- */

/* Regions us, eu and ap (us-eu 80 ms, us-ap 150 ms, eu-ap 120 ms); edges in us and eu, 10 ms
 * from their users, 5 ms each way from the origin, which is a web service in us (1 ms, no
 * service time). All the users are in `where`; two requests for key 1 (a miss, then a hit). */
static struct outcome run_regions(const char *where)
{
    char *trace, wl[64];
    snprintf(wl, sizeof wl, "\"regions\":{\"%s\":1},", where);
    char *text = trace_scenario(
        "0,static,1,0\n1,static,1,0\n", "5s",
        "\"regions\":{\"us\":{\"eu\":\"80ms\",\"ap\":\"150ms\"},\"eu\":{\"ap\":\"120ms\"},"
        "\"ap\":{}},",
        wl,
        "\"capacity\":10,\"regions\":[\"us\",\"eu\"],\"latency\":\"10ms\",\"origin_latency\":"
        "\"5ms\"",
        "\"region\":\"us\",\"latency\":\"1ms\"", "", &trace);
    struct scenario *sc = tu_load(text);
    struct world *w = tu_run(sc, 1);
    cJSON *s = report_summary(w);
    const cJSON *c = tu_comp(s, "cdn");
    const cJSON *edges = cJSON_GetObjectItem(c, "edges");
    struct outcome o = {
        .hits = tu_num(c, "hits"),
        .misses = tu_num(c, "misses"),
        .completed = w->completed,
        .lat_min = hist_min(&w->latency),
        .lat_max = hist_max(&w->latency),
        .nedges = cJSON_GetArraySize(edges),
    };
    for (int i = 0; i < o.nedges && i < 4; i++)
        o.edge_requests[i] = tu_num(cJSON_GetArrayItem(edges, i), "requests");
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
    free(text);
    unlink(trace);
    free(trace);
    return o;
}

/* Users in us use the us edge: a hit takes 2 x 10 ms; a miss adds 2 x 5 ms to the origin and
 * its 2 x 1 ms (same region). Users in eu use the eu edge, whose fetches cross to the origin
 * in us: 80 ms more each way. Users in ap have no edge: the nearest is eu (120 ms against
 * 150 ms), which they reach 120 ms further each way. */
START_TEST(test_regions_routing)
{
    struct outcome o = run_regions("us");
    ck_assert_double_eq(o.edge_requests[0], 2);
    ck_assert_double_eq(o.edge_requests[1], 0);
    ck_assert_double_eq(o.hits, 1);
    ck_assert_double_eq_tol(o.lat_min, 0.020, 1e-9);
    ck_assert_double_eq_tol(o.lat_max, 0.032, 1e-9);
    o = run_regions("eu");
    ck_assert_double_eq(o.edge_requests[0], 0);
    ck_assert_double_eq(o.edge_requests[1], 2);
    ck_assert_double_eq_tol(o.lat_min, 0.020, 1e-9);
    ck_assert_double_eq_tol(o.lat_max, 0.032 + 0.160, 1e-9);
    o = run_regions("ap");
    ck_assert_double_eq(o.edge_requests[0], 0);
    ck_assert_double_eq(o.edge_requests[1], 2);
    ck_assert_double_eq(o.hits, 1);
    ck_assert_double_eq_tol(o.lat_min, 0.020 + 0.240, 1e-9);
    ck_assert_double_eq_tol(o.lat_max, 0.032 + 0.160 + 0.240, 1e-9);
    ck_assert_uint_eq(o.completed, 2);
}
END_TEST

/* The estimate weighs each edge by its users: 100 uniform keys that all fit, a TTL of 1 s, 400
 * static req/s, users 3:1 in us and eu (and none in ap, whose edge gets nothing). A key is
 * asked for at p x rate = 3/s at the us edge and 1/s at the eu edge; a TTL cache holds it for
 * r / (1 + r) of its requests, r = that rate x TTL: 0.75 and 0.5, so 0.75 x 0.75 + 0.25 x 0.5. */
START_TEST(test_regions_estimate)
{
    const char *text =
        "{\"name\":\"e\",\"duration\":\"10s\",\"regions\":{\"us\":{\"eu\":\"80ms\","
        "\"ap\":\"150ms\"},\"eu\":{\"ap\":\"120ms\"},\"ap\":{}},\"workload\":{\"rate\":400,"
        "\"entry\":\"cdn\",\"ops\":{\"static\":1},\"keys\":{\"count\":100},"
        "\"regions\":{\"us\":3,\"eu\":1}},\"components\":[{\"id\":\"cdn\",\"type\":\"cdn\","
        "\"regions\":[\"us\",\"eu\",\"ap\"],\"capacity\":1000,\"ttl\":\"1s\","
        "\"origin\":\"web\"},{\"id\":\"web\",\"type\":\"service\"}]}";
    struct scenario *sc = tu_load(text);
    struct estimate est;
    estimate_at(sc, 400, 0, &est);
    ck_assert_double_eq_tol(est.comps[0].hit_ratio, 0.75 * 0.75 + 0.25 * 0.5, 1e-12);
    ck_assert_double_eq_tol(est.comps[1].total, 400 * (1 - 0.6875), 1e-9);
    estimate_free(&est);
    scenario_free(sc);
}
END_TEST

/* ---- validation ------------------------------------------------------------------------ */

#define HEAD                                                                                       \
    "{\"name\":\"v\",\"duration\":\"1s\",\"workload\":{\"rate\":1,\"entry\":\"cdn\","              \
    "\"ops\":{\"static\":1,\"read\":1}},\"components\":["
#define WEB ",{\"id\":\"web\",\"type\":\"service\"}]"
/* The same with three regions. */
#define RHEAD                                                                                      \
    "{\"name\":\"v\",\"duration\":\"1s\",\"regions\":{\"us\":{\"eu\":\"80ms\","                    \
    "\"ap\":\"150ms\"},\"eu\":{\"ap\":\"120ms\"},\"ap\":{}},\"workload\":{\"rate\":1,"             \
    "\"entry\":\"cdn\",\"ops\":{\"static\":1,\"read\":1}},\"components\":["

START_TEST(test_validation)
{
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"nope\"}" WEB "}",
             "unknown component \"nope\"");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10}" WEB "}",
             "missing required field \"origin\"");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"origin\":\"web\"}" WEB "}",
             "missing required field \"capacity\"");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"web\","
                  "\"nodes\":3}" WEB "}",
             "components[0].nodes");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"web\","
                  "\"edges\":2,\"regions\":[\"eu\",\"us\"]}" WEB "}",
             "not both");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"web\","
                  "\"edges\":0}" WEB "}",
             "components[0].edges");
    tu_load_bad(RHEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"web\","
                   "\"regions\":[\"eu\",\"eu\"]}" WEB "}",
             "listed twice");
    tu_load_bad(RHEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"web\","
                   "\"regions\":[]}" WEB "}",
             "non-empty list");
    tu_load_bad(RHEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"web\","
                   "\"regions\":[\"eu\",\"mars\"]}" WEB "}",
             "components[0].regions[1]");
    tu_load_bad(RHEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"web\","
                   "\"regions\":[\"eu\"],\"region\":\"eu\"}" WEB "}",
             "no \"region\" of its own");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"web\","
                  "\"regions\":[\"eu\"]}" WEB "}",
             "declares none");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":\"10GB\",\"origin\":\"web\"}" WEB
                  "}",
             "workload.object_size");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":2.5,\"origin\":\"web\"}" WEB "}",
             "whole number");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":true,\"origin\":\"web\"}" WEB "}",
             "number of keys or a size");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"web\","
                  "\"ops\":[\"statik\"]}" WEB "}",
             "did you mean \"static\"");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"web\","
                  "\"ops\":\"static\"}" WEB "}",
             "must be a list of op names");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"cdn\"}" WEB "}",
             "cycle");
    tu_load_bad(HEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,\"origin\":\"web\","
                  "\"edges\":2}" WEB ",\"events\":[{\"at\":\"0.5s\",\"action\":\"fail\","
                  "\"target\":\"cdn\",\"node\":2}]}",
             "has nodes 0..1");
    /* One edge per region, in the order listed. */
    struct scenario *sc =
        tu_load(RHEAD "{\"id\":\"cdn\",\"type\":\"cdn\",\"capacity\":10,"
                   "\"origin\":\"web\",\"regions\":[\"eu\",\"us\",\"ap\"]}" WEB "}");
    ck_assert_int_eq(sc->comps[0].nodes, 3);
    struct world *w = tu_run(sc, 1);
    cJSON *s = report_summary(w);
    const cJSON *edges = cJSON_GetObjectItem(tu_comp(s, "cdn"), "edges");
    ck_assert_int_eq(cJSON_GetArraySize(edges), 3);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(edges, 2), "region")->valuestring,
                     "ap");
    ck_assert_str_eq(cJSON_GetObjectItem(tu_comp(s, "cdn"), "routing")->valuestring, "region");
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* ---- hit ratio against Che's approximation --------------------------------------------------
 * Che: LRU with characteristic time T (in requests) solving sum_i (1 - exp(-p_i T)) = C has hit
 * ratio sum_i p_i (1 - exp(-p_i T)). */
struct che_problem {
    const double *p;
    size_t n;
    double cap;
};

static double che_occupancy(double t, void *arg)
{
    const struct che_problem *q = arg;
    double sum = 0;
    for (size_t i = 0; i < q->n; i++)
        sum += -expm1(-q->p[i] * t);
    return sum - q->cap;
}

static double che_lru(size_t keys, double s, double cap)
{
    struct keydist kd;
    char msg[128];
    ck_assert_int_eq(keydist_init(&kd, keys, 1, s, 0, 0, msg, sizeof msg), 0);
    double *p = malloc(keys * sizeof *p);
    for (size_t i = 0; i < keys; i++)
        p[i] = keydist_pmf(&kd, i);
    keydist_free(&kd);
    struct che_problem q = {p, keys, cap};
    gsl_function f = {che_occupancy, &q};
    double hi = 1;
    while (che_occupancy(hi, &q) < 0)
        hi *= 2;
    gsl_root_fsolver *sol = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    gsl_root_fsolver_set(sol, &f, 0, hi);
    int status = GSL_CONTINUE;
    for (int it = 0; it < 200 && status == GSL_CONTINUE; it++) {
        gsl_root_fsolver_iterate(sol);
        status = gsl_root_test_interval(gsl_root_fsolver_x_lower(sol),
                                        gsl_root_fsolver_x_upper(sol), 0, 1e-12);
    }
    ck_assert_int_eq(status, GSL_SUCCESS);
    double t = gsl_root_fsolver_root(sol);
    gsl_root_fsolver_free(sol);
    double hit = 0;
    for (size_t i = 0; i < keys; i++)
        hit += p[i] * -expm1(-p[i] * t);
    free(p);
    return hit;
}

#define IRM_KEYS 10000
#define IRM_CAP 1000
#define IRM_S 0.9
#define IRM_RATE 10000 /* req/s */
#define IRM_WARMUP 3   /* s: 30000 requests, 30 times an edge's capacity */
#define IRM_BATCHES 40 /* 1 s intervals after the warm-up: 400000 measured requests */

/* Static requests only, an origin that answers at once (no latency, no service), so a miss is
 * filled at its own instant before the next request arrives: the independent reference model
 * the approximation assumes. `edges` edges of IRM_CAP keys each, 1000 clients. */
static const char *irm_scenario(char *text, size_t len, int edges)
{
    snprintf(text, len,
             "{\"name\":\"irm\",\"duration\":\"%ds\",\"metrics\":{\"interval\":\"1s\","
             "\"warmup\":\"%ds\"},\"workload\":{\"rate\":%d,\"entry\":\"cdn\","
             "\"ops\":{\"static\":1},\"keys\":{\"count\":%d,\"dist\":\"zipf\",\"s\":%g},"
             "\"clients\":1000},"
             "\"components\":[{\"id\":\"cdn\",\"type\":\"cdn\",\"edges\":%d,\"capacity\":%d,"
             "\"origin\":\"web\"},"
             "{\"id\":\"web\",\"type\":\"service\",\"workers\":\"unlimited\"}]}",
             IRM_WARMUP + IRM_BATCHES, IRM_WARMUP, IRM_RATE, IRM_KEYS, IRM_S, edges, IRM_CAP);
    return text;
}

/* The summary's hit ratio, and its standard error from the 1 s rows of the time series'
 * cdn.hit_ratio column as batch means. */
static double sim_hit_ratio(int edges, double *se)
{
    char text[2048];
    struct scenario *sc = tu_load(irm_scenario(text, sizeof text, edges));
    struct world *w = tu_run(sc, 11);
    cJSON *s = report_summary(w);
    const cJSON *c = tu_comp(s, "cdn");
    double h = tu_num(c, "hit_ratio");
    /* Counted after the warm-up only, and every static request is a hit or a miss. */
    ck_assert_double_eq(tu_num(c, "hits") + tu_num(c, "misses"), tu_num(c, "requests"));
    ck_assert_double_eq_tol(tu_num(c, "origin_offload"), h, 1e-12);
    size_t col = 0;
    while (col < w->series.ncols && strcmp(w->series.names[col], "cdn.hit_ratio") != 0)
        col++;
    ck_assert_uint_lt(col, w->series.ncols);
    ck_assert_uint_eq(w->series.nrows, IRM_WARMUP + IRM_BATCHES);
    double m = series_range_mean(&w->series, col, IRM_WARMUP, w->series.nrows), var = 0;
    for (size_t r = IRM_WARMUP; r < w->series.nrows; r++) {
        double d = series_get(&w->series, r, col) - m;
        var += d * d;
    }
    *se = sqrt(var / (IRM_BATCHES - 1) / IRM_BATCHES);
    cJSON_Delete(s);
    world_free(w);
    scenario_free(sc);
    return h;
}

/* Tolerance: within 0.01 of the approximation. The batch-means standard error is asserted
 * below 0.0025, so sampling alone stays inside the tolerance at 4 standard errors (for
 * 400000 requests at h ~ 0.6 the binomial figure is 0.0008). Under IRM the hit ratio does
 * not depend on the request rate, so four edges of IRM_CAP keys, each seeing its clients'
 * share, must give the same figure as one: isolation and even popularity per edge. */
START_TEST(test_che)
{
    double che = che_lru(IRM_KEYS, IRM_S, IRM_CAP);
    /* The estimate command's figure is the same approximation (exact over 10^4 keys). */
    char text[2048];
    struct scenario *sc = tu_load(irm_scenario(text, sizeof text, 4));
    struct estimate est;
    estimate_at(sc, IRM_RATE, 0, &est);
    ck_assert_double_eq_tol(est.comps[0].hit_ratio, che, 1e-9);
    ck_assert_double_eq_tol(est.comps[1].total, IRM_RATE * (1 - che), 1e-6);
    estimate_free(&est);
    scenario_free(sc);
    double se1, se4;
    double h1 = sim_hit_ratio(1, &se1);
    double h4 = sim_hit_ratio(4, &se4);
    fprintf(stderr, "cdn: lru one edge %.4f, four edges %.4f (Che %.4f, se %.4f %.4f)\n", h1, h4,
            che, se1, se4);
    ck_assert_double_lt(se1, 0.0025);
    ck_assert_double_lt(se4, 0.0025);
    ck_assert_msg(fabs(h1 - che) < 0.01, "one edge %.4f vs Che %.4f", h1, che);
    ck_assert_msg(fabs(h4 - che) < 0.01, "four edges %.4f vs Che %.4f", h4, che);
}
END_TEST

/* ---- estimate -------------------------------------------------------------------------- */

/* 3/4 static through 2 edges of 1000 keys each (the hit ratio is Che's for one edge: under
 * IRM without a TTL it does not depend on the rate), 1/4 reads passed through. The origin sees
 * the misses and the reads; the CDN's response adds its latency both ways and, for the share
 * that goes to the origin, the edge-to-origin legs and the origin's response. */
START_TEST(test_estimate)
{
    const char *text =
        "{\"name\":\"e\",\"duration\":\"10s\",\"workload\":{\"rate\":1000,\"entry\":\"cdn\","
        "\"ops\":{\"static\":3,\"read\":1},\"keys\":{\"count\":10000,\"dist\":\"zipf\","
        "\"s\":0.9}},\"components\":[{\"id\":\"cdn\",\"type\":\"cdn\",\"edges\":2,"
        "\"capacity\":1000,\"latency\":\"10ms\",\"origin_latency\":\"40ms\","
        "\"origin\":\"web\"},{\"id\":\"web\",\"type\":\"service\",\"workers\":\"unlimited\","
        "\"latency\":\"1ms\",\"service\":\"5ms\"}]}";
    struct scenario *sc = tu_load(text);
    struct estimate est;
    estimate_at(sc, 1000, 0, &est);
    double h = che_lru(10000, 0.9, 1000);
    double share = 0.75 * (1 - h) + 0.25;
    ck_assert_double_eq_tol(est.comps[0].hit_ratio, h, 1e-9);
    ck_assert_uint_eq(est.comps[0].nodes, 2);
    ck_assert_double_eq_tol(est.comps[1].total, 1000 * share, 1e-6);
    double web = 2 * 0.001 + 0.005;
    ck_assert_double_eq_tol(est.comps[1].response, web, 1e-12);
    ck_assert_double_eq_tol(est.comps[0].response, 2 * 0.010 + share * (2 * 0.040 + web), 1e-9);
    char want[64];
    snprintf(want, sizeof want, "origin offload %.3f", 1 - share);
    ck_assert_msg(strstr(est.comps[0].note, want), "note \"%s\" lacks \"%s\"", est.comps[0].note,
                  want);
    estimate_free(&est);
    scenario_free(sc);
}
END_TEST

Suite *cdn_suite(void)
{
    Suite *s = suite_create("cdn");
    TCase *tc = tcase_create("exact");
    tcase_add_test(tc, test_ttl_exact);
    tcase_add_test(tc, test_offload);
    tcase_add_test(tc, test_coalesce);
    tcase_add_test(tc, test_coalesce_per_edge);
    tcase_add_test(tc, test_coalesce_failure);
    tcase_add_test(tc, test_isolation);
    tcase_add_test(tc, test_scale_edges);
    tcase_add_test(tc, test_outage);
    tcase_add_test(tc, test_inflight_at_failure);
    tcase_add_test(tc, test_latency);
    tcase_add_test(tc, test_capacity_size);
    tcase_add_test(tc, test_regions_routing);
    tcase_add_test(tc, test_regions_estimate);
    tcase_add_test(tc, test_validation);
    tcase_add_test(tc, test_estimate);
    suite_add_tcase(s, tc);
    tc = tcase_create("statistical");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_che);
    suite_add_tcase(s, tc);
    return s;
}
