/* Tests for models/queue.c through whole scenarios: every accepted message accounted for,
 * exact capacity rejections on a trace, redelivery after a node failure with nothing lost,
 * requeueing and dead-lettering of failing messages, duplicates from visibility timeouts,
 * routing by key, the time series, Erlang C and Erlang B, and a producer's latency that does
 * not depend on the consumers' backlog. */
#include "models/placement.h"
#include "models/registry.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/testutil.h"

#include <check.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A figure of a component's summary object: "enqueued", or "wait_ms.mean". */
static double fig(struct world *w, const char *comp, const char *path)
{
    cJSON *s = report_summary(w);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(s, "components"), comp);
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *part = strtok(buf, "."); part && o; part = strtok(NULL, "."))
        o = cJSON_GetObjectItemCaseSensitive(o, part);
    ck_assert_msg(o && cJSON_IsNumber(o), "no number at %s.%s", comp, path);
    double v = o->valuedouble;
    cJSON_Delete(s);
    return v;
}

static uint64_t count(struct world *w, const char *comp, const char *path)
{
    return (uint64_t)fig(w, comp, path);
}

static struct comp *comp_of(struct world *w, const char *id)
{
    int i = scenario_find(w->sc, id);
    ck_assert_int_ge(i, 0);
    return &w->comps[i];
}

/* A trace file (t_s,op,key,client rows); the path is kept by the caller and removed after. */
static char *trace_file(const char *rows)
{
    const char *p = tu_write_temp(rows, ".csv");
    ck_assert_ptr_nonnull(p);
    return strdup(p);
}

/* A scenario whose workload replays a trace into "mq". */
static const char *trace_scenario(char *buf, size_t len, const char *trace, const char *duration,
                                  const char *components, const char *events)
{
    snprintf(buf, len,
             "{\"name\":\"q\",\"duration\":\"%s\",\"metrics\":{\"interval\":\"1s\"},"
             "\"workload\":{\"trace\":\"%s\",\"entry\":\"mq\",\"keys\":{\"count\":1000}},"
             "\"components\":[%s],\"events\":[%s]}",
             duration, trace, components, events);
    return buf;
}

/* ---- accounting ------------------------------------------------------------------------- */

static const char *drain_scenario(char *buf, size_t len, const char *duration)
{
    snprintf(buf, len,
             "{\"name\":\"q\",\"duration\":\"%s\",\"metrics\":{\"interval\":\"10s\"},"
             "\"workload\":{\"rate\":[[\"0s\",500],[\"100s\",0]],\"ramp\":\"step\","
             "\"entry\":\"mq\"},"
             "\"components\":[{\"id\":\"mq\",\"type\":\"queue\",\"nodes\":3,\"consumers\":1,"
             "\"service\":{\"dist\":\"exp\",\"mean\":\"6ms\"},\"calls\":{\"*\":[\"db\"]}},"
             "{\"id\":\"db\",\"type\":\"service\",\"workers\":\"unlimited\",\"latency\":\"0.5ms\","
             "\"service\":{\"dist\":\"exp\",\"mean\":\"1ms\"}}]}",
             duration);
    return buf;
}

/* Producers at 500/s for 100 s, then none. Three nodes of one consumer each take 8 ms per
 * message on average (6 ms of service, a 1 ms call 0.5 ms away), 375/s in all, so a backlog
 * builds while the rate runs: at any moment every accepted message is delivered, waiting or
 * in a consumer's hands. It drains in about 33 s; after that all are delivered, and the
 * database saw exactly one call per message. */
START_TEST(test_delivers_everything)
{
    char text[2048];
    /* Cut at 60 s, in full flow. */
    drain_scenario(text, sizeof text, "60s");
    struct scenario *sc = tu_load(text);
    struct world *w = tu_run(sc, 7);
    uint64_t enq = count(w, "mq", "enqueued"), del = count(w, "mq", "delivered");
    uint64_t depth = count(w, "mq", "depth"), held = count(w, "mq", "in_process");
    ck_assert_uint_gt(enq, 29000);
    ck_assert_uint_gt(depth, 5000);
    ck_assert_uint_eq(enq, w->arrived);
    ck_assert_uint_eq(enq, del + depth + held);
    ck_assert_uint_eq(count(w, "mq", "pending"), depth + held);
    ck_assert_uint_eq(count(w, "mq", "redelivered"), 0);
    ck_assert_uint_eq(count(w, "mq", "duplicates"), 0);
    /* The producer's call ends at acceptance: every arrival completed at the client. */
    ck_assert_uint_eq(w->completed, w->arrived);
    world_free(w);
    scenario_free(sc);

    drain_scenario(text, sizeof text, "200s");
    sc = tu_load(text);
    w = tu_run(sc, 7);
    enq = count(w, "mq", "enqueued");
    ck_assert_uint_gt(enq, 49000);
    ck_assert_uint_eq(count(w, "mq", "delivered"), enq);
    ck_assert_uint_eq(count(w, "mq", "depth") + count(w, "mq", "in_process") +
                          count(w, "mq", "pending"), 0);
    ck_assert_uint_eq(count(w, "mq", "deliveries"), enq);
    ck_assert_uint_eq(comp_of(w, "db")->requests, enq);
    ck_assert_uint_eq(count(w, "mq", "rejected"), 0);
    /* Every message waited at least 0 and was delivered no sooner than its own processing. */
    ck_assert(fig(w, "mq", "delay_ms.mean") > fig(w, "mq", "wait_ms.mean"));
    world_free(w);
    scenario_free(sc);
}
END_TEST

/* ---- capacity --------------------------------------------------------------------------- */

/* One consumer, 10 ms per message, two waiting at most. By hand:
 *   0.000 m1 starts (to 0.010)     0.001 m2 waits   0.002 m3 waits (2)   0.003, 0.004 full
 *   0.010 m2 starts (to 0.020)     0.0105 m4 waits (2)                   0.0115, 0.0125 full
 *   0.020 m3 starts   0.030 m4 starts   0.035 m5 waits (alone)   0.040 m5 starts
 * Waits 0, 9, 18, 19.5, 5 ms. With no waiting room only a free consumer accepts: m1, the
 * 0.0105 message and the 0.035 message. */
static const char capacity_trace[] = "t_s,op,key,client\n"
                                     "0.000,read,1,0\n0.001,read,2,0\n0.002,read,3,0\n"
                                     "0.003,read,4,0\n0.004,read,5,0\n0.0105,read,6,0\n"
                                     "0.0115,read,7,0\n0.0125,read,8,0\n0.035,read,9,0\n";

START_TEST(test_capacity_exact)
{
    char *trace = trace_file(capacity_trace);
    char comps[512], text[2048];
    snprintf(comps, sizeof comps,
             "{\"id\":\"mq\",\"type\":\"queue\",\"consumers\":1,\"capacity\":2,"
             "\"service\":\"10ms\"}");
    struct scenario *sc = tu_load(trace_scenario(text, sizeof text, trace, "1s", comps, ""));
    struct world *w = tu_run(sc, 1);
    ck_assert_uint_eq(w->arrived, 9);
    ck_assert_uint_eq(count(w, "mq", "enqueued"), 5);
    ck_assert_uint_eq(count(w, "mq", "rejected"), 4);
    ck_assert_uint_eq(count(w, "mq", "rejected_full"), 4);
    ck_assert_uint_eq(w->rejected, 4);
    ck_assert_uint_eq(w->completed, 5);
    ck_assert_uint_eq(count(w, "mq", "delivered"), 5);
    ck_assert_uint_eq(count(w, "mq", "depth_max"), 2);
    ck_assert_double_eq_tol(fig(w, "mq", "wait_ms.mean"), (0 + 9 + 18 + 19.5 + 5) / 5.0, 1e-9);
    ck_assert_double_eq_tol(fig(w, "mq", "delay_ms.mean"), (0 + 9 + 18 + 19.5 + 5) / 5.0 + 10,
                            1e-9);
    ck_assert_double_eq_tol(fig(w, "mq", "wait_ms.max"), 19.5, 1e-9);
    world_free(w);
    scenario_free(sc);

    snprintf(comps, sizeof comps,
             "{\"id\":\"mq\",\"type\":\"queue\",\"consumers\":1,\"capacity\":0,"
             "\"service\":\"10ms\"}");
    sc = tu_load(trace_scenario(text, sizeof text, trace, "1s", comps, ""));
    w = tu_run(sc, 1);
    ck_assert_uint_eq(count(w, "mq", "enqueued"), 3);
    ck_assert_uint_eq(count(w, "mq", "rejected"), 6);
    ck_assert_uint_eq(count(w, "mq", "depth_max"), 0);
    ck_assert_double_eq_tol(fig(w, "mq", "wait_ms.max"), 0, 1e-12);
    world_free(w);
    scenario_free(sc);
    unlink(trace);
    free(trace);
}
END_TEST

/* ---- node failures ---------------------------------------------------------------------- */

/* Two nodes in turn, one consumer each, no service time; each message makes one 10 ms call
 * to the database. m1 (0.00) goes to node 0, m2 (0.02) to node 1, which fails at 0.025 in the
 * middle of m2's call: m2 is redelivered on node 0 (free since 0.01), and its first call goes
 * on below as an orphan whose answer is dropped. Node 1 is skipped until it recovers at
 * 0.05: m3 (0.04) goes to node 0, m4 (0.06) to node 1 again. */
START_TEST(test_failure_redelivers)
{
    char *trace = trace_file("0.00,read,1,0\n0.02,read,2,0\n0.04,read,3,0\n0.06,read,4,0\n");
    char text[2048];
    const char *comps =
        "{\"id\":\"mq\",\"type\":\"queue\",\"nodes\":2,\"consumers\":1,"
        "\"calls\":{\"*\":[\"db\"]}},"
        "{\"id\":\"db\",\"type\":\"service\",\"workers\":\"unlimited\",\"service\":\"10ms\"}";
    const char *events = "{\"at\":\"0.025s\",\"action\":\"fail\",\"target\":\"mq\",\"node\":1},"
                         "{\"at\":\"0.05s\",\"action\":\"recover\",\"target\":\"mq\",\"node\":1}";
    struct scenario *sc = tu_load(trace_scenario(text, sizeof text, trace, "1s", comps, events));
    struct world *w = tu_run(sc, 1);
    ck_assert_uint_eq(count(w, "mq", "enqueued"), 4);
    ck_assert_uint_eq(count(w, "mq", "delivered"), 4);
    ck_assert_uint_eq(count(w, "mq", "interrupted"), 1);
    ck_assert_uint_eq(count(w, "mq", "redelivered"), 1);
    ck_assert_uint_eq(count(w, "mq", "failed_over"), 1);
    ck_assert_uint_eq(count(w, "mq", "deliveries"), 5);
    ck_assert_uint_eq(count(w, "mq", "duplicates"), 0);
    ck_assert_uint_eq(count(w, "mq", "dead_lettered"), 0);
    ck_assert_uint_eq(count(w, "mq", "pending"), 0);
    /* One call per delivery, the orphan included. */
    ck_assert_uint_eq(comp_of(w, "db")->requests, 5);
    ck_assert_uint_eq(w->completed, 4);
    ck_assert_uint_eq(w->failed, 0);
    struct comp *mq = comp_of(w, "mq");
    struct node_stats ns[2];
    for (uint32_t i = 0; i < 2; i++)
        mq->ops->node_stats(mq, &w->sim, i, &ns[i]);
    ck_assert_uint_eq(ns[0].requests, 2);
    ck_assert_uint_eq(ns[1].requests, 2);
    /* m2 was accepted at 0.02 and acknowledged when its redelivery's call ended at 0.035. */
    ck_assert_double_eq_tol(fig(w, "mq", "delay_ms.max"), 15, 1e-9);
    world_free(w);
    scenario_free(sc);
    unlink(trace);
    free(trace);
}
END_TEST

/* A one-node queue fails with m1 in service and m2, m3 waiting; with no node left they stay
 * parked, and producers fail meanwhile (0.006, 0.007). After the recovery at 0.008 m1 comes
 * first again (0.008 to 0.018), then m2, m3 and m4 (accepted at 0.009). */
START_TEST(test_outage_parks_messages)
{
    char *trace = trace_file("0.000,read,1,0\n0.001,read,2,0\n0.002,read,3,0\n"
                             "0.006,read,4,0\n0.007,read,5,0\n0.009,read,6,0\n");
    char text[2048];
    const char *comps = "{\"id\":\"mq\",\"type\":\"queue\",\"consumers\":1,\"service\":\"10ms\"}";
    const char *events = "{\"at\":\"0.005s\",\"action\":\"fail\",\"target\":\"mq\"},"
                         "{\"at\":\"0.008s\",\"action\":\"recover\",\"target\":\"mq\"}";
    struct scenario *sc = tu_load(trace_scenario(text, sizeof text, trace, "1s", comps, events));
    struct world *w = tu_run(sc, 1);
    ck_assert_uint_eq(count(w, "mq", "enqueued"), 4);
    ck_assert_uint_eq(count(w, "mq", "delivered"), 4);
    ck_assert_uint_eq(count(w, "mq", "rejected"), 2);
    ck_assert_uint_eq(count(w, "mq", "rejected_down"), 2);
    ck_assert_uint_eq(w->failed, 2);
    ck_assert_uint_eq(count(w, "mq", "interrupted"), 1);
    ck_assert_uint_eq(count(w, "mq", "redelivered"), 1);
    ck_assert_uint_eq(count(w, "mq", "failed_over"), 0);
    ck_assert_uint_eq(count(w, "mq", "duplicates"), 0);
    /* Delays: m1 18 ms, m2 27 ms (0.001 to 0.028), m3 36 ms, m4 39 ms (0.009 to 0.048). */
    ck_assert_double_eq_tol(fig(w, "mq", "delay_ms.mean"), (18.0 + 27 + 36 + 39) / 4, 1e-9);
    world_free(w);
    scenario_free(sc);
    unlink(trace);
    free(trace);
}
END_TEST

/* ---- failing calls: requeue and dead letters -------------------------------------------- */

/* The database is down from 0 to 5.5 s. Each delivery's call fails, is retried twice by the
 * caller's policy (1 ms, then 2 ms later) and fails for good: the message goes back, and
 * after three deliveries it is dead. Messages at 0..5 s die (nine calls each); those at
 * 6..9 s find the database back (one call each). */
START_TEST(test_dead_letters)
{
    char *trace = trace_file("0,read,0,0\n1,read,1,0\n2,read,2,0\n3,read,3,0\n4,read,4,0\n"
                             "5,read,5,0\n6,read,6,0\n7,read,7,0\n8,read,8,0\n9,read,9,0\n");
    char text[2048];
    const char *comps =
        "{\"id\":\"mq\",\"type\":\"queue\",\"consumers\":2,\"max_deliveries\":3,"
        "\"calls\":{\"*\":[\"db\"]}},"
        "{\"id\":\"db\",\"type\":\"service\",\"service\":\"1ms\","
        "\"retries\":{\"max\":2,\"backoff\":\"1ms\",\"jitter\":\"none\"}}";
    const char *events = "{\"at\":0,\"action\":\"fail\",\"target\":\"db\"},"
                         "{\"at\":\"5.5s\",\"action\":\"recover\",\"target\":\"db\"}";
    struct scenario *sc = tu_load(trace_scenario(text, sizeof text, trace, "20s", comps, events));
    struct world *w = tu_run(sc, 1);
    ck_assert_uint_eq(count(w, "mq", "enqueued"), 10);
    ck_assert_uint_eq(count(w, "mq", "dead_lettered"), 6);
    ck_assert_uint_eq(count(w, "mq", "delivered"), 4);
    ck_assert_uint_eq(count(w, "mq", "pending"), 0);
    ck_assert_uint_eq(count(w, "mq", "deliveries"), 6 * 3 + 4);
    ck_assert_uint_eq(count(w, "mq", "redelivered"), 6 * 2);
    ck_assert_uint_eq(count(w, "mq", "nacked"), 6 * 3);
    struct comp *db = comp_of(w, "db");
    ck_assert_uint_eq(db->requests, 6 * 9 + 4);
    ck_assert_uint_eq(db->retries, 6 * 6);
    /* The producers never noticed. */
    ck_assert_uint_eq(w->completed, 10);
    world_free(w);
    scenario_free(sc);
    unlink(trace);
    free(trace);
}
END_TEST

/* A failing message goes back at the TAIL. One consumer, 5 ms per message, two deliveries at
 * most; the database is down until 0.012. m1 fails at 0.005 and goes behind m2 and m3; m2
 * fails at 0.010 and goes behind m1; the database is back for m3 (done 0.015), m1 (0.020) and
 * m2 (0.025, 24.9 ms after it came). Put back at the head, m1 would have failed twice and
 * died at 0.010. */
START_TEST(test_requeue_at_tail)
{
    char *trace = trace_file("0,read,0,0\n0.0001,read,1,0\n0.0002,read,2,0\n");
    char text[2048];
    const char *comps =
        "{\"id\":\"mq\",\"type\":\"queue\",\"consumers\":1,\"max_deliveries\":2,"
        "\"service\":\"5ms\",\"calls\":{\"*\":[\"db\"]}},"
        "{\"id\":\"db\",\"type\":\"service\",\"workers\":\"unlimited\"}";
    const char *events = "{\"at\":0,\"action\":\"fail\",\"target\":\"db\"},"
                         "{\"at\":\"0.012s\",\"action\":\"recover\",\"target\":\"db\"}";
    struct scenario *sc = tu_load(trace_scenario(text, sizeof text, trace, "1s", comps, events));
    struct world *w = tu_run(sc, 1);
    ck_assert_uint_eq(count(w, "mq", "delivered"), 3);
    ck_assert_uint_eq(count(w, "mq", "dead_lettered"), 0);
    ck_assert_uint_eq(count(w, "mq", "nacked"), 2);
    ck_assert_uint_eq(count(w, "mq", "redelivered"), 2);
    ck_assert_double_eq_tol(fig(w, "mq", "delay_ms.max"), 25 - 0.1, 1e-9);
    world_free(w);
    scenario_free(sc);
    unlink(trace);
    free(trace);
}
END_TEST

/* ---- visibility timeouts and duplicates ------------------------------------------------- */

/* One message, 100 ms of work, visible again after 60 ms. With two consumers the second takes
 * it at 0.06 while the first runs on: the first acknowledges it at 0.1, the second completes
 * it again at 0.16, a duplicate. With one consumer the copy waits, and the first's
 * acknowledgement at 0.1 withdraws it: no second delivery. */
START_TEST(test_visibility_duplicates)
{
    char *trace = trace_file("0,read,0,0\n");
    char text[2048];
    const char *two = "{\"id\":\"mq\",\"type\":\"queue\",\"consumers\":2,\"service\":\"100ms\","
                      "\"visibility_timeout\":\"60ms\"}";
    struct scenario *sc = tu_load(trace_scenario(text, sizeof text, trace, "1s", two, ""));
    struct world *w = tu_run(sc, 1);
    ck_assert_uint_eq(count(w, "mq", "delivered"), 1);
    ck_assert_uint_eq(count(w, "mq", "deliveries"), 2);
    ck_assert_uint_eq(count(w, "mq", "redelivered"), 1);
    ck_assert_uint_eq(count(w, "mq", "expired"), 1);
    ck_assert_uint_eq(count(w, "mq", "duplicates"), 1);
    ck_assert_double_eq_tol(fig(w, "mq", "delay_ms.mean"), 100, 1e-9);
    world_free(w);
    scenario_free(sc);

    const char *one = "{\"id\":\"mq\",\"type\":\"queue\",\"consumers\":1,\"service\":\"100ms\","
                      "\"visibility_timeout\":\"60ms\"}";
    sc = tu_load(trace_scenario(text, sizeof text, trace, "1s", one, ""));
    w = tu_run(sc, 1);
    ck_assert_uint_eq(count(w, "mq", "delivered"), 1);
    ck_assert_uint_eq(count(w, "mq", "deliveries"), 1);
    ck_assert_uint_eq(count(w, "mq", "expired"), 1);
    ck_assert_uint_eq(count(w, "mq", "duplicates"), 0);
    ck_assert_uint_eq(count(w, "mq", "depth_max"), 1);
    ck_assert_uint_eq(count(w, "mq", "depth"), 0);
    world_free(w);
    scenario_free(sc);
    unlink(trace);
    free(trace);
}
END_TEST

/* Everything at once: node failures (one node, then the whole queue), a scale-out, visibility
 * timeouts shorter than some deliveries, a database whose node fails and whose calls time
 * out. Whatever happened, after the drain every accepted message is delivered or dead, the
 * queue holds nothing, every producer had its answer and no request is left in the pool. */
START_TEST(test_chaos_accounting)
{
    const char *text =
        "{\"name\":\"q\",\"duration\":\"60s\",\"metrics\":{\"interval\":\"5s\"},"
        "\"workload\":{\"rate\":[[\"0s\",300],[\"20s\",0]],\"ramp\":\"step\",\"entry\":\"mq\"},"
        "\"components\":[{\"id\":\"mq\",\"type\":\"queue\",\"nodes\":3,\"consumers\":2,"
        "\"capacity\":2000,\"visibility_timeout\":\"30ms\",\"max_deliveries\":4,"
        "\"service\":{\"dist\":\"exp\",\"mean\":\"5ms\"},\"calls\":{\"*\":[\"db\"]}},"
        "{\"id\":\"db\",\"type\":\"service\",\"nodes\":2,\"workers\":4,\"timeout\":\"25ms\","
        "\"retries\":{\"max\":1,\"backoff\":\"2ms\"},"
        "\"service\":{\"dist\":\"exp\",\"mean\":\"5ms\"}}],"
        "\"events\":[{\"at\":\"3s\",\"action\":\"fail\",\"target\":\"db\",\"node\":0},"
        "{\"at\":\"5s\",\"action\":\"fail\",\"target\":\"mq\",\"node\":1},"
        "{\"at\":\"6s\",\"action\":\"recover\",\"target\":\"db\",\"node\":0},"
        "{\"at\":\"8s\",\"action\":\"recover\",\"target\":\"mq\",\"node\":1},"
        "{\"at\":\"12s\",\"action\":\"fail\",\"target\":\"mq\"},"
        "{\"at\":\"13s\",\"action\":\"recover\",\"target\":\"mq\"},"
        "{\"at\":\"15s\",\"action\":\"scale\",\"target\":\"mq\",\"nodes\":4}]}";
    struct scenario *sc = tu_load(text);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct world *w = tu_run(sc, seed);
        uint64_t enq = count(w, "mq", "enqueued");
        ck_assert_uint_gt(enq, 5000);
        ck_assert_uint_eq(count(w, "mq", "delivered") + count(w, "mq", "dead_lettered"), enq);
        ck_assert_uint_eq(count(w, "mq", "pending"), 0);
        ck_assert_uint_eq(count(w, "mq", "depth") + count(w, "mq", "in_process"), 0);
        ck_assert_uint_eq(enq + count(w, "mq", "rejected"), w->arrived);
        ck_assert_uint_eq(w->completed + w->rejected + w->failed + w->timed_out, w->arrived);
        ck_assert_uint_eq(w->in_flight, 0);
        /* Each failure mode did happen. */
        ck_assert_uint_gt(count(w, "mq", "interrupted"), 0);
        ck_assert_uint_gt(count(w, "mq", "expired"), 0);
        ck_assert_uint_gt(count(w, "mq", "duplicates"), 0);
        ck_assert_uint_gt(count(w, "mq", "nacked"), 0);
        ck_assert_uint_gt(count(w, "mq", "rejected_down"), 0);
        ck_assert_uint_eq(count(w, "mq", "deliveries"),
                          enq + count(w, "mq", "redelivered"));
        world_free(w);
    }
    scenario_free(sc);
}
END_TEST

/* ---- routing ---------------------------------------------------------------------------- */

/* Keys 0..199 once each, routed by a ring over four nodes: each node gets exactly the keys the
 * placement gives it. With node 2 down from the start, its keys go to their next candidate. */
START_TEST(test_hash_routing)
{
    char rows[8192];
    size_t len = 0;
    for (int k = 0; k < 200; k++)
        len += (size_t)snprintf(rows + len, sizeof rows - len, "%g,read,%d,0\n", k * 0.001, k);
    char *trace = trace_file(rows);
    struct placement *p = NULL;
    struct sim_error err = {0};
    ck_assert_int_eq(placement_create(PLACEMENT_RING, NULL, 4, NULL, &p, &err), 0);
    for (int down = -1; down <= 2; down += 3) {
        uint64_t want[4] = {0};
        for (uint64_t k = 0; k < 200; k++) {
            uint32_t cand[4];
            size_t n = placement_lookup_n(p, placement_hash_id(p, k), cand, 4);
            ck_assert_uint_eq(n, 4);
            want[cand[0] == (uint32_t)down ? cand[1] : cand[0]]++;
        }
        char text[2048], events[256] = "";
        if (down >= 0)
            snprintf(events, sizeof events,
                     "{\"at\":0,\"action\":\"fail\",\"target\":\"mq\",\"node\":%d}", down);
        const char *comps = "{\"id\":\"mq\",\"type\":\"queue\",\"nodes\":4,\"routing\":\"hash\","
                            "\"sharding\":{\"scheme\":\"ring\"},\"service\":\"1ms\"}";
        struct scenario *sc = tu_load(trace_scenario(text, sizeof text, trace, "1s", comps, events));
        struct world *w = tu_run(sc, 1);
        struct comp *mq = comp_of(w, "mq");
        for (uint32_t i = 0; i < 4; i++) {
            struct node_stats ns;
            mq->ops->node_stats(mq, &w->sim, i, &ns);
            ck_assert_msg(ns.requests == want[i], "down %d node %u: %llu, want %llu", down, i,
                          (unsigned long long)ns.requests, (unsigned long long)want[i]);
        }
        ck_assert_uint_eq(count(w, "mq", "delivered"), 200);
        world_free(w);
        scenario_free(sc);
    }
    placement_free(p);
    unlink(trace);
    free(trace);
}
END_TEST

/* ---- time series ------------------------------------------------------------------------ */

/* Three messages at 0, one consumer at 1 s each: depth 2 over the first second, 1 over the
 * second, 0 after; the consumer is busy for three seconds. */
START_TEST(test_timeseries)
{
    char *trace = trace_file("0,read,0,0\n0,read,1,0\n0,read,2,0\n");
    char text[2048];
    const char *comps = "{\"id\":\"mq\",\"type\":\"queue\",\"consumers\":1,\"service\":\"1s\"}";
    struct scenario *sc = tu_load(trace_scenario(text, sizeof text, trace, "5s", comps, ""));
    struct world *w = tu_run(sc, 1);
    size_t qcol = SIZE_MAX, ucol = SIZE_MAX;
    for (size_t i = 0; i < w->series.ncols; i++) {
        if (strcmp(w->series.names[i], "mq.queue") == 0)
            qcol = i;
        if (strcmp(w->series.names[i], "mq.util") == 0)
            ucol = i;
    }
    ck_assert(qcol != SIZE_MAX && ucol != SIZE_MAX);
    ck_assert_uint_eq(w->series.nrows, 5);
    static const double depth[] = {2, 1, 0, 0, 0}, util[] = {1, 1, 1, 0, 0};
    for (size_t r = 0; r < 5; r++) {
        ck_assert_double_eq_tol(series_get(&w->series, r, qcol), depth[r], 1e-12);
        ck_assert_double_eq_tol(series_get(&w->series, r, ucol), util[r], 1e-12);
    }
    ck_assert_double_eq_tol(fig(w, "mq", "depth_mean"), 3.0 / 5, 1e-12);
    ck_assert_double_eq_tol(fig(w, "mq", "utilization"), 3.0 / 5, 1e-12);
    world_free(w);
    scenario_free(sc);
    unlink(trace);
    free(trace);
}
END_TEST

/* ---- the producer's side ---------------------------------------------------------------- */

static const char *producer_scenario(char *buf, size_t len, const char *service)
{
    snprintf(buf, len,
             "{\"name\":\"q\",\"duration\":\"30s\",\"metrics\":{\"interval\":\"1s\"},"
             "\"workload\":{\"rate\":[[\"0s\",100],[\"29s\",0]],\"ramp\":\"step\","
             "\"entry\":\"web\"},"
             "\"components\":[{\"id\":\"web\",\"type\":\"service\",\"workers\":\"unlimited\","
             "\"calls\":{\"*\":[\"mq\"]}},"
             "{\"id\":\"mq\",\"type\":\"queue\",\"latency\":\"1ms\",\"consumers\":1,"
             "\"service\":{\"dist\":\"exp\",\"mean\":\"%s\"}}]}",
             service);
    return buf;
}

/* A web tier puts every request's message on the queue (1 ms away): its requests take
 * exactly 2 ms whatever the consumers do, a backlog of thousands or none. Producers stop a
 * second before the end, so that every request has its answer. */
START_TEST(test_producer_latency_independent)
{
    double depth_max[2];
    const char *service[2] = {"50ms", "1ms"};
    for (int i = 0; i < 2; i++) {
        char text[1024];
        producer_scenario(text, sizeof text, service[i]);
        struct scenario *sc = tu_load(text);
        struct world *w = tu_run(sc, 3);
        ck_assert_uint_gt(w->completed, 2500);
        ck_assert_uint_eq(w->completed, w->arrived);
        ck_assert_double_eq_tol(hist_mean(&w->latency), 0.002, 1e-12);
        ck_assert_double_eq_tol(hist_max(&w->latency), 0.002, 1e-9);
        depth_max[i] = fig(w, "mq", "depth_max");
        world_free(w);
        scenario_free(sc);
    }
    /* Consumers at 20/s against 100/s: the backlog grows by about 80/s for 29 s. */
    ck_assert(depth_max[0] > 2000);
    ck_assert(depth_max[1] < 20);
}
END_TEST

/* ---- queueing theory -------------------------------------------------------------------- */

/* Replications and 99.9% intervals as in tests/check_theory.c: R independent seeds, the
 * theoretical value within t(0.9995, R-1) standard errors of the replication mean. */
#define REPS 8

static void interval(const double *x, int n, double *mean, double *half)
{
    double m = 0, v = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m /= n;
    for (int i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    v /= n - 1;
    *mean = m;
    *half = gsl_cdf_tdist_Pinv(0.9995, n - 1) * sqrt(v / n);
}

static void check_against(const char *what, const double *x, double theory, double bias)
{
    double m, h;
    interval(x, REPS, &m, &h);
    fprintf(stderr, "queue: %-30s simulated %.6g ± %.3g (99.9%%), theory %.6g\n", what, m,
            h + bias, theory);
    ck_assert_msg(fabs(m - theory) <= h + bias, "%s: simulated %.6g, theory %.6g, tol %.3g",
                  what, m, theory, h + bias);
}

static double erlang_b(int c, double a)
{
    double b = 1;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return b;
}

static double erlang_c(int c, double a)
{
    double b = erlang_b(c, a);
    double rho = a / c;
    return b / (1 - rho + rho * b);
}

/* M/M/4 at rho = 0.75 through the queue: Poisson producers at 300/s, four consumers at
 * 10 ms (exponential). The wait before processing is Erlang C's: mean C / (c mu - lambda),
 * and P(W > t) = C exp(-(c mu - lambda) t), so its 99th percentile is
 * ln(100 C) / (c mu - lambda); the delay adds the service time. The percentile gets the
 * histogram's bucket allowance (0.4% of the value) as in check_theory. */
START_TEST(test_erlang_c_wait)
{
    const char *text =
        "{\"name\":\"q\",\"duration\":\"400s\",\"metrics\":{\"interval\":\"50s\","
        "\"warmup\":\"50s\"},\"workload\":{\"rate\":300,\"entry\":\"mq\"},"
        "\"components\":[{\"id\":\"mq\",\"type\":\"queue\",\"consumers\":4,"
        "\"service\":{\"dist\":\"exp\",\"mean\":\"10ms\"}}]}";
    struct scenario *sc = tu_load(text);
    double wait[REPS], p99[REPS], delay[REPS], util[REPS];
    for (int i = 0; i < REPS; i++) {
        struct world *w = tu_run(sc, (uint64_t)i + 1);
        wait[i] = fig(w, "mq", "wait_ms.mean") / 1e3;
        p99[i] = fig(w, "mq", "wait_ms.p99") / 1e3;
        delay[i] = fig(w, "mq", "delay_ms.mean") / 1e3;
        util[i] = fig(w, "mq", "utilization");
        ck_assert_uint_eq(count(w, "mq", "enqueued"),
                          count(w, "mq", "delivered") + count(w, "mq", "pending"));
        world_free(w);
    }
    scenario_free(sc);
    double lambda = 300, mu = 100, c = 4, cprob = erlang_c(4, lambda / mu);
    double wq = cprob / (c * mu - lambda);
    double q99 = log(100 * cprob) / (c * mu - lambda);
    check_against("M/M/4 wait mean (Erlang C)", wait, wq, 0);
    check_against("M/M/4 wait p99", p99, q99, 0.004 * q99);
    check_against("M/M/4 delay mean", delay, wq + 1 / mu, 0);
    check_against("M/M/4 utilisation", util, lambda / (c * mu), 0);
}
END_TEST

/* No waiting room (capacity 0), five consumers, 4 Erlangs offered: a message is refused
 * exactly when all five are busy, the fraction B(5, 4) of Erlang B. */
START_TEST(test_erlang_b_capacity)
{
    const char *text =
        "{\"name\":\"q\",\"duration\":\"200s\",\"metrics\":{\"interval\":\"50s\","
        "\"warmup\":\"20s\"},\"workload\":{\"rate\":400,\"entry\":\"mq\"},"
        "\"components\":[{\"id\":\"mq\",\"type\":\"queue\",\"consumers\":5,\"capacity\":0,"
        "\"service\":{\"dist\":\"exp\",\"mean\":\"10ms\"}}]}";
    struct scenario *sc = tu_load(text);
    double loss[REPS];
    for (int i = 0; i < REPS; i++) {
        struct world *w = tu_run(sc, (uint64_t)i + 1);
        double rej = fig(w, "mq", "rejected_full"), enq = fig(w, "mq", "enqueued");
        ck_assert_uint_eq((uint64_t)rej, w->rejected);
        loss[i] = rej / (rej + enq);
        world_free(w);
    }
    scenario_free(sc);
    check_against("Erlang B loss (capacity 0)", loss, erlang_b(5, 4.0), 0);
}
END_TEST

/* ---- validation ------------------------------------------------------------------------- */

static void expect_error(const char *comp, const char *path)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"name\":\"q\",\"duration\":\"1s\",\"workload\":{\"rate\":1,\"entry\":\"mq\"},"
             "\"components\":[%s,{\"id\":\"db\",\"type\":\"service\"}]}",
             comp);
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    int rc = scenario_load_text("q.json", text, strlen(text), NULL, 0, model_registry, &sc, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_null(sc);
    ck_assert_str_eq(err.path, path);
}

START_TEST(test_validation)
{
    expect_error("{\"id\":\"mq\",\"type\":\"queue\",\"calls\":{\"*\":[\"nope\"]}}",
                 "components[0].calls.*[0]");
    expect_error("{\"id\":\"mq\",\"type\":\"queue\",\"calls\":{\"reed\":[\"db\"]}}",
                 "components[0].calls.reed");
    expect_error("{\"id\":\"mq\",\"type\":\"queue\",\"sharding\":{\"scheme\":\"ring\"}}",
                 "components[0].sharding");
    expect_error("{\"id\":\"mq\",\"type\":\"queue\",\"routing\":\"hash\","
                 "\"sharding\":{\"replication_factor\":2}}",
                 "components[0].sharding");
    expect_error("{\"id\":\"mq\",\"type\":\"queue\",\"consumers\":0}", "components[0].consumers");
    expect_error("{\"id\":\"mq\",\"type\":\"queue\",\"capacity\":-1}", "components[0].capacity");
    expect_error("{\"id\":\"mq\",\"type\":\"queue\",\"max_deliveries\":0}",
                 "components[0].max_deliveries");
    expect_error("{\"id\":\"mq\",\"type\":\"queue\",\"routing\":\"random\"}",
                 "components[0].routing");
}
END_TEST

Suite *queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("exact");
    tcase_add_test(tc, test_delivers_everything);
    tcase_add_test(tc, test_capacity_exact);
    tcase_add_test(tc, test_failure_redelivers);
    tcase_add_test(tc, test_outage_parks_messages);
    tcase_add_test(tc, test_dead_letters);
    tcase_add_test(tc, test_requeue_at_tail);
    tcase_add_test(tc, test_visibility_duplicates);
    tcase_add_test(tc, test_chaos_accounting);
    tcase_add_test(tc, test_hash_routing);
    tcase_add_test(tc, test_timeseries);
    tcase_add_test(tc, test_producer_latency_independent);
    tcase_add_test(tc, test_validation);
    suite_add_tcase(s, tc);
    TCase *th = tcase_create("theory");
    tcase_set_timeout(th, 600);
    tcase_add_test(th, test_erlang_c_wait);
    tcase_add_test(th, test_erlang_b_capacity);
    suite_add_tcase(s, th);
    return s;
}
