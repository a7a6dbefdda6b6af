/* The database model: load-time checks, exact routing, staleness, failover and scaling on
 * small traces, and statistical checks against theory: lost writes at an async failover by
 * Little's law, the stale-read probability of a single key, and M/M/1 latency.
 *
 * Statistical tolerances follow tests/check_theory.c: R independent replications (seeds
 * 1..R), whose mean must lie within t(0.9995, R-1) standard errors of theory (a 99.9%
 * interval; the seeds are fixed, so the outcome is too). */
#include "models/placement.h"
#include "models/registry.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "testutil.h"

#include "tests/testutil.h"

#include <check.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS 8

/* The scenario must be refused with an error at `path` whose message contains `msg`. */
static void load_fails(const char *text, const char *path, const char *msg)
{
    struct sim_error err = {0};
    struct scenario *sc = NULL;
    int rc = scenario_load_text("db.json", text, strlen(text), NULL, 0, model_registry, &sc, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_null(sc);
    ck_assert_msg(strcmp(err.path, path) == 0, "path %s, expected %s (%s)", err.path, path,
                  err.msg);
    ck_assert_msg(strstr(err.msg, msg) != NULL, "message \"%s\" lacks \"%s\"", err.msg, msg);
}

/* A run: the world (for end-to-end figures) and the summary (caller frees both). */
struct run {
    struct world *w;
    cJSON *summary;
    const cJSON *db;
};

static struct run run_scenario(const struct scenario *sc, uint64_t seed)
{
    struct sim_error err = {0};
    struct run r = {0};
    ck_assert_int_eq(world_create(sc, seed, &r.w, &err), 0);
    ck_assert_int_eq(world_run(r.w, NULL, NULL, NULL, &err), 0);
    r.summary = report_summary(r.w);
    r.db = cJSON_GetObjectItem(cJSON_GetObjectItem(r.summary, "components"), "db");
    ck_assert_ptr_nonnull(r.db);
    return r;
}

static void run_free(struct run *r)
{
    cJSON_Delete(r->summary);
    world_free(r->w);
}

static double num(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(obj, name);
    ck_assert_msg(cJSON_IsNumber(v), "no number \"%s\"", name);
    return v->valuedouble;
}

static double node_num(const cJSON *db, int node, const char *name)
{
    return num(cJSON_GetArrayItem(cJSON_GetObjectItem(db, "per_node"), node), name);
}

static const char *node_role(const cJSON *db, int node)
{
    const cJSON *n = cJSON_GetArrayItem(cJSON_GetObjectItem(db, "per_node"), node);
    return cJSON_GetObjectItem(n, "role")->valuestring;
}

/* A scenario over a trace (t_s,op,key,client lines) written to a temporary file. `db` is the
 * database's fields after its id and type; `events` the events array's content. */
static struct scenario *trace_scenario(const char *trace, const char *duration, const char *db,
                                       const char *events)
{
    const char *path = tu_write_temp(trace, ".csv");
    char text[4096];
    snprintf(text, sizeof text,
             "{\"name\":\"db\",\"duration\":\"%s\",\"metrics\":{\"interval\":\"1s\"},"
             "\"workload\":{\"entry\":\"db\",\"ops\":{\"read\":1,\"write\":1},"
             "\"keys\":{\"count\":100,\"dist\":\"uniform\"},\"trace\":\"%s\"},"
             "\"components\":[{\"id\":\"db\",\"type\":\"database\",%s}],\"events\":[%s]}",
             duration, path, db, events);
    return tu_load(text);
}

/* Mean and 99.9% half-width of R replication estimates. */
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

static void check_theory(const char *what, const double *x, double theory)
{
    double m, h;
    interval(x, REPS, &m, &h);
    fprintf(stderr, "database: %-34s simulated %.6g ± %.3g (99.9%%), theory %.6g\n", what, m, h,
            theory);
    ck_assert_msg(fabs(m - theory) <= h, "%s: simulated %.6g, theory %.6g, tolerance %.3g", what, m,
                  theory, h);
}

/* ---- loading --------------------------------------------------------------------------- */

static void db_fails(const char *db, const char *events, const char *path, const char *msg)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"db\",\"duration\":\"10s\",\"workload\":{\"rate\":1,\"entry\":\"db\"},"
             "\"components\":[{\"id\":\"db\",\"type\":\"database\"%s%s}],\"events\":[%s]}",
             db[0] ? "," : "", db, events);
    load_fails(text, path, msg);
}

START_TEST(test_load_errors)
{
    db_fails("\"nodes\":2", "", "components[0].nodes", "shards x (1 + replicas)");
    db_fails("\"read_from\":\"replicas\"", "", "components[0].read_from", "needs replicas");
    db_fails("\"replication\":{\"mode\":\"semi\"}", "", "components[0].replication.mode",
             "\"async\" or \"sync\"");
    db_fails("\"replication\":{\"mode\":\"sync\",\"lagg\":\"1ms\"}", "",
             "components[0].replication.lagg", "did you mean \"lag\"");
    db_fails("\"replication\":{\"lag\":{\"dist\":\"exp\"}}", "",
             "components[0].replication.lag.mean", "mean");
    db_fails("\"service\":{\"read\":\"1ms\",\"wirte\":\"2ms\"}", "", "components[0].service.wirte",
             "did you mean \"write\"");
    db_fails("\"service\":{\"read\":\"-1ms\"}", "", "components[0].service.read", "");
    db_fails("\"failover\":{}", "", "components[0].failover", "needs \"detect\"");
    db_fails("\"failover\":{\"detect\":\"soon\"}", "", "components[0].failover.detect", "");
    db_fails("\"sharding\":{\"scheme\":\"ring\",\"replication_factor\":2}", "",
             "components[0].sharding", "replication_factor must be 1");
    db_fails("\"sharding\":{\"scheme\":\"spiral\"}", "", "components[0].sharding.scheme", "modulo");
    db_fails("\"replicas\":101", "", "components[0].replicas", "between 0 and 100");
    db_fails("", "{\"at\":\"1s\",\"action\":\"scale\",\"target\":\"db\",\"nodes\":3}",
             "events[0].nodes", "scales by \"shards\" or \"replicas\"");
    db_fails("", "{\"at\":\"1s\",\"action\":\"scale\",\"target\":\"db\",\"shards\":0}",
             "events[0].shards", "from 1 to");
    db_fails("", "{\"at\":\"1s\",\"action\":\"scale\",\"target\":\"db\",\"replicas\":500}",
             "events[0].replicas", "at most 100");
    db_fails("\"shards\":2",
             "{\"at\":\"1s\",\"action\":\"fail\",\"target\":\"db\","
             "\"node\":\"primary\"}",
             "events[0]", "name the primary's \"shard\"");
    db_fails("\"shards\":2",
             "{\"at\":\"1s\",\"action\":\"fail\",\"target\":\"db\","
             "\"node\":\"primary\",\"shard\":2}",
             "events[0].shard", "shards 0..1");
    db_fails("\"replicas\":1",
             "{\"at\":\"1s\",\"action\":\"fail\",\"target\":\"db\","
             "\"node\":2,\"shard\":0}",
             "events[0].node", "nodes 0..1");
}
END_TEST

START_TEST(test_load_forms)
{
    /* One distribution for both ops, the split form, and scale events that raise the replica
     * count a shard can reach (a later node index is then valid). */
    struct scenario *sc =
        tu_load("{\"name\":\"db\",\"duration\":\"10s\",\"workload\":{\"rate\":1,\"entry\":\"db\"},"
             "\"components\":[{\"id\":\"db\",\"type\":\"database\",\"service\":\"2ms\"}]}");
    scenario_free(sc);
    sc = tu_load("{\"name\":\"db\",\"duration\":\"10s\",\"workload\":{\"rate\":1,\"entry\":\"db\"},"
              "\"components\":[{\"id\":\"db\",\"type\":\"database\",\"replicas\":1,"
              "\"service\":{\"read\":\"1ms\",\"write\":{\"dist\":\"exp\",\"mean\":\"3ms\"}},"
              "\"replication\":{\"mode\":\"sync\",\"lag\":\"2ms\"},"
              "\"failover\":{\"detect\":\"10s\"},\"shards\":2,"
              "\"sharding\":{\"scheme\":\"jump\"}}],"
              "\"events\":[{\"at\":\"1s\",\"action\":\"scale\",\"target\":\"db\",\"replicas\":3},"
              "{\"at\":\"2s\",\"action\":\"fail\",\"target\":\"db\",\"node\":3,\"shard\":1}]}");
    scenario_free(sc);
}
END_TEST

/* ---- routing --------------------------------------------------------------------------- */

static const char routing_trace[] = "t_s,op,key,client\n"
                                    "0.1,write,1,0\n"
                                    "0.2,read,1,0\n"
                                    "0.3,read,2,0\n"
                                    "0.4,read,3,0\n"
                                    "0.5,read,4,0\n"
                                    "0.6,write,2,0\n"
                                    "0.7,read,5,0\n"
                                    "0.8,read,6,0\n";

static void check_routing(const char *read_from, const int *expect)
{
    char db[256];
    snprintf(db, sizeof db, "\"replicas\":2,\"read_from\":\"%s\"", read_from);
    struct scenario *sc = trace_scenario(routing_trace, "2s", db, "");
    struct run r = run_scenario(sc, 1);
    ck_assert_int_eq(num(r.db, "nodes"), 3);
    ck_assert_int_eq(num(r.db, "reads"), 6);
    ck_assert_int_eq(num(r.db, "writes"), 2);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(node_num(r.db, i, "requests") == expect[i], "%s: node %d has %g, not %d",
                      read_from, i, node_num(r.db, i, "requests"), expect[i]);
    ck_assert_int_eq(num(r.db, "replica_reads"), expect[1] + expect[2]);
    ck_assert_uint_eq(r.w->completed, 8);
    run_free(&r);
    scenario_free(sc);
}

START_TEST(test_routing_read_from)
{
    /* Writes go to the primary (node 0); reads take turns over the replicas, or over every
     * node of the shard, or stay on the primary. */
    static const int replicas[] = {2, 3, 3}, any[] = {4, 2, 2}, primary[] = {8, 0, 0};
    check_routing("replicas", replicas);
    check_routing("any", any);
    check_routing("primary", primary);
}
END_TEST

START_TEST(test_routing_shards)
{
    /* Each key's write goes to its shard's primary (node 2s) and its read to the replica
     * (node 2s+1), shard-major; the shard is the placement's choice for the key. */
    static const char *const schemes[] = {"modulo", "jump", "ring"};
    static const enum placement_scheme ids[] = {PLACEMENT_MODULO, PLACEMENT_JUMP, PLACEMENT_RING};
    char trace[4096], db[256];
    size_t len = (size_t)snprintf(trace, sizeof trace, "t_s,op,key,client\n");
    for (int k = 0; k < 30; k++)
        len += (size_t)snprintf(trace + len, sizeof trace - len,
                                "%d.1,write,%d,0\n%d.5,read,%d,0\n", k, k, k, k);
    for (int s = 0; s < 3; s++) {
        struct placement *p = NULL;
        struct sim_error err = {0};
        ck_assert_int_eq(placement_create(ids[s], NULL, 3, NULL, &p, &err), 0);
        int expect[6] = {0};
        for (uint64_t k = 0; k < 30; k++) {
            uint32_t shard = placement_lookup(p, placement_hash_id(p, k));
            expect[2 * shard]++;
            expect[2 * shard + 1]++;
        }
        placement_free(p);
        snprintf(db, sizeof db,
                 "\"replicas\":1,\"read_from\":\"replicas\",\"shards\":3,"
                 "\"sharding\":{\"scheme\":\"%s\"}",
                 schemes[s]);
        struct scenario *sc = trace_scenario(trace, "31s", db, "");
        struct run r = run_scenario(sc, 1);
        ck_assert_int_eq(num(r.db, "nodes"), 6);
        for (int i = 0; i < 6; i++) {
            ck_assert_msg(node_num(r.db, i, "requests") == expect[i], "%s node %d: %g, not %d",
                          schemes[s], i, node_num(r.db, i, "requests"), expect[i]);
            ck_assert_int_eq(node_num(r.db, i, "shard"), i / 2);
            ck_assert_str_eq(node_role(r.db, i), i % 2 ? "replica" : "primary");
        }
        run_free(&r);
        scenario_free(sc);
    }
}
END_TEST

/* ---- staleness ------------------------------------------------------------------------- */

/* Lag 1 s. A write of key 5 at 0.5 reaches the replica at 1.5; two writes at 2.0 and 2.1
 * reach it at 3.0 and 3.1, and at 3.05 it holds only the first: stale until 3.1. */
static const char stale_trace[] = "0.5,write,5,0\n"
                                  "1.0,read,5,0\n"
                                  "1.0,read,6,0\n"
                                  "1.4,read,5,0\n"
                                  "1.6,read,5,0\n"
                                  "2.0,write,5,0\n"
                                  "2.1,write,5,0\n"
                                  "3.05,read,5,0\n"
                                  "3.2,read,5,0\n";

static double stale_count(const char *db, double *write_latency)
{
    struct scenario *sc = trace_scenario(stale_trace, "5s", db, "");
    struct run r = run_scenario(sc, 1);
    double stale = num(r.db, "stale_reads");
    ck_assert_uint_eq(r.w->completed, 9);
    /* Every write has finished copying: replication keeps nothing. */
    ck_assert_int_eq(num(r.db, "in_flight_writes"), 0);
    ck_assert_int_eq(num(r.db, "in_flight_keys"), 0);
    *write_latency = hist_mean(&r.w->ops[scenario_op(sc, "write")].latency);
    run_free(&r);
    scenario_free(sc);
    return stale;
}

START_TEST(test_stale_reads_trace)
{
    double lat;
    ck_assert_int_eq(stale_count("\"replicas\":1,\"read_from\":\"replicas\","
                                 "\"replication\":{\"mode\":\"async\",\"lag\":\"1s\"}",
                                 &lat),
                     3);
    ck_assert_double_eq(lat, 0);
    /* Reads at the primary are never stale. */
    ck_assert_int_eq(stale_count("\"replicas\":1,\"read_from\":\"primary\","
                                 "\"replication\":{\"mode\":\"async\",\"lag\":\"1s\"}",
                                 &lat),
                     0);
    /* Sync: a write is acknowledged once the replica has it, so a client waits the lag and
     * no read sees an acknowledged write missing. */
    ck_assert_int_eq(stale_count("\"replicas\":1,\"read_from\":\"replicas\","
                                 "\"workers\":\"unlimited\","
                                 "\"replication\":{\"mode\":\"sync\",\"lag\":\"1s\"}",
                                 &lat),
                     0);
    ck_assert_double_eq_tol(lat, 1.0, 1e-12);
    /* With one worker the primary holds it while a sync write waits: the write of 2.1 s
     * queues behind the one of 2.0 s until 3.0 s, then waits its own lag (1.9 s in all). */
    ck_assert_int_eq(stale_count("\"replicas\":1,\"read_from\":\"replicas\","
                                 "\"replication\":{\"mode\":\"sync\",\"lag\":\"1s\"}",
                                 &lat),
                     0);
    ck_assert_double_eq_tol(lat, (1 + 1 + 1.9) / 3, 1e-12);
}
END_TEST

START_TEST(test_scale_replicas_up_to_date)
{
    /* A replica added at 5 s holds the write of 4.5 s at once; the old replica gets it only at
     * 5.5 s. Reads take turns: 5.2 s on node 1 (stale), 5.3 s on node 2 (fresh). Scaling back
     * to one replica at 6 s retires node 2. */
    static const char trace[] = "4.5,write,1,0\n"
                                "5.2,read,1,0\n"
                                "5.3,read,1,0\n"
                                "6.5,read,1,0\n"
                                "6.6,read,1,0\n";
    struct scenario *sc = trace_scenario(
        trace, "8s", "\"replicas\":1,\"read_from\":\"replicas\",\"replication\":{\"lag\":\"1s\"}",
        "{\"at\":\"5s\",\"action\":\"scale\",\"target\":\"db\",\"replicas\":2},"
        "{\"at\":\"6s\",\"action\":\"scale\",\"target\":\"db\",\"replicas\":1}");
    struct run r = run_scenario(sc, 1);
    ck_assert_int_eq(num(r.db, "nodes"), 3);
    ck_assert_int_eq(num(r.db, "stale_reads"), 1);
    ck_assert_int_eq(node_num(r.db, 1, "requests"), 3);
    ck_assert_int_eq(node_num(r.db, 2, "requests"), 1);
    ck_assert_str_eq(node_role(r.db, 2), "retired");
    ck_assert_int_eq(num(r.db, "replicas"), 1);
    run_free(&r);
    scenario_free(sc);
}
END_TEST

/* The stale-read probability of one key: writes arrive as a Poisson stream of rate lw and
 * reach the replica after a lag L drawn per write. A read at the replica is stale when the
 * newest write has not arrived, i.e. when its lag exceeds its age A, which is exponential
 * with rate lw for a read at a random time (PASTA). P(L > A) = 1 - exp(-lw d) for a constant
 * lag d, and lw m / (1 + lw m) for an exponential lag of mean m. */
static void stale_probability(const char *lag, double theory)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"db\",\"duration\":\"500s\",\"metrics\":{\"interval\":\"10s\","
             "\"warmup\":\"10s\"},\"workload\":{\"rate\":100,\"entry\":\"db\","
             "\"ops\":{\"read\":0.9,\"write\":0.1},\"keys\":{\"count\":1,\"dist\":\"uniform\"}},"
             "\"components\":[{\"id\":\"db\",\"type\":\"database\",\"replicas\":1,"
             "\"read_from\":\"replicas\",\"replication\":{\"mode\":\"async\",\"lag\":%s}}]}",
             lag);
    struct scenario *sc = tu_load(text);
    double x[REPS];
    for (int i = 0; i < REPS; i++) {
        struct run r = run_scenario(sc, (uint64_t)i + 1);
        x[i] = num(r.db, "stale_read_ratio");
        run_free(&r);
    }
    check_theory(lag[0] == '"' ? "P(stale), constant lag" : "P(stale), exponential lag", x, theory);
    scenario_free(sc);
}

START_TEST(test_stale_probability)
{
    stale_probability("\"50ms\"", 1 - exp(-10 * 0.05));
    stale_probability("{\"dist\":\"exp\",\"mean\":\"50ms\"}", 0.5 / 1.5);
}
END_TEST

/* ---- failures -------------------------------------------------------------------------- */

/* Lag 1 s, detection 5 s, the primary fails at 10 s and comes back at 30 s. The writes of 9.5
 * and 9.8 s were acknowledged (async) but had not reached the replica: lost. Writes at 11 and
 * 14 s and the primary read at 12 s fail; from 15 s node 1 is the primary. */
static const char failover_trace[] = "1,write,1,0\n"
                                     "2,write,2,0\n"
                                     "9.5,write,3,0\n"
                                     "9.8,write,4,0\n"
                                     "11,write,5,0\n"
                                     "12,read,1,0\n"
                                     "14,write,6,0\n"
                                     "16,write,7,0\n"
                                     "17,read,1,0\n"
                                     "20,write,8,0\n"
                                     "31,write,9,0\n"
                                     "32,read,9,0\n";

static const char failover_events[] =
    "{\"at\":\"10s\",\"action\":\"fail\",\"target\":\"db\",\"node\":\"primary\"},"
    "{\"at\":\"30s\",\"action\":\"recover\",\"target\":\"db\",\"node\":\"primary\"}";

static void check_failover_record(const cJSON *db, double lost)
{
    const cJSON *fos = cJSON_GetObjectItem(db, "failovers");
    ck_assert_int_eq(cJSON_GetArraySize(fos), 1);
    const cJSON *fo = cJSON_GetArrayItem(fos, 0);
    ck_assert_double_eq(num(fo, "at_s"), 10);
    ck_assert_double_eq(num(fo, "unavailable_s"), 5);
    ck_assert_double_eq(num(fo, "lost_writes"), lost);
    ck_assert_int_eq(num(fo, "shard"), 0);
    ck_assert_int_eq(num(fo, "from_node"), 0);
    ck_assert_int_eq(num(fo, "to_node"), 1);
    ck_assert_double_eq(num(db, "lost_writes"), lost);
    /* The old primary came back as a replica. */
    ck_assert_str_eq(node_role(db, 0), "replica");
    ck_assert_str_eq(node_role(db, 1), "primary");
}

START_TEST(test_failover_async_trace)
{
    struct scenario *sc = trace_scenario(failover_trace, "40s",
                                         "\"replicas\":1,\"replication\":{\"lag\":\"1s\"},"
                                         "\"failover\":{\"detect\":\"5s\"}",
                                         failover_events);
    struct run r = run_scenario(sc, 1);
    check_failover_record(r.db, 2);
    ck_assert_uint_eq(r.w->completed, 9);
    ck_assert_uint_eq(r.w->failed, 3);
    ck_assert_int_eq(num(r.db, "rejected"), 3);
    /* Node 0: four writes, then the three attempts that met it down. */
    ck_assert_int_eq(node_num(r.db, 0, "requests"), 7);
    ck_assert_int_eq(node_num(r.db, 1, "requests"), 5);
    ck_assert_int_eq(num(r.db, "in_flight_keys"), 0);
    run_free(&r);
    scenario_free(sc);
}
END_TEST

START_TEST(test_failover_sync_trace)
{
    /* Sync: the writes of 9.5 and 9.8 s still wait for the replica when the primary fails, so
     * they fail instead of being lost; the others each wait exactly the lag. */
    struct scenario *sc = trace_scenario(failover_trace, "40s",
                                         "\"replicas\":1,\"replication\":{\"mode\":\"sync\","
                                         "\"lag\":\"1s\"},\"failover\":{\"detect\":\"5s\"}",
                                         failover_events);
    struct run r = run_scenario(sc, 1);
    check_failover_record(r.db, 0);
    ck_assert_uint_eq(r.w->completed, 7);
    ck_assert_uint_eq(r.w->failed, 5);
    ck_assert_double_eq_tol(hist_mean(&r.w->ops[scenario_op(sc, "write")].latency), 1.0, 1e-12);
    ck_assert_int_eq(num(r.db, "in_flight_writes"), 0);
    run_free(&r);
    scenario_free(sc);
}
END_TEST

START_TEST(test_no_failover)
{
    /* Without replicas, or without a failover policy, the primary stays down until it
     * recovers: only the write at 12 s fails, and nothing is promoted. */
    static const char trace[] = "5,write,1,0\n12,write,2,0\n25,write,3,0\n26,read,3,0\n";
    static const char events[] =
        "{\"at\":\"10s\",\"action\":\"fail\",\"target\":\"db\",\"node\":\"primary\"},"
        "{\"at\":\"20s\",\"action\":\"recover\",\"target\":\"db\",\"node\":\"primary\"}";
    static const char *const dbs[] = {
        "\"failover\":{\"detect\":\"1s\"}",
        "\"replicas\":1,\"replication\":{\"lag\":\"3s\"}",
    };
    for (int i = 0; i < 2; i++) {
        struct scenario *sc = trace_scenario(trace, "30s", dbs[i], events);
        struct run r = run_scenario(sc, 1);
        ck_assert_uint_eq(r.w->failed, 1);
        ck_assert_uint_eq(r.w->completed, 3);
        ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.db, "failovers")), 0);
        ck_assert_int_eq(num(r.db, "lost_writes"), 0);
        ck_assert_int_eq(node_num(r.db, 0, "requests"), 4);
        ck_assert_str_eq(node_role(r.db, 0), "primary");
        run_free(&r);
        scenario_free(sc);
    }
}
END_TEST

START_TEST(test_replica_failure_routing)
{
    /* Node 1 (a replica) fails at 10 s; clients learn of it at 15 s. Reads take turns over
     * nodes 1 and 2: those of 11 and 13 s meet node 1 down and fail; from 15 s every read
     * goes to node 2; after node 1 recovers at 20 s the turns resume. */
    static const char trace[] = "11,read,1,0\n12,read,1,0\n13,read,1,0\n14,read,1,0\n"
                                "16,read,1,0\n17,read,1,0\n18,read,1,0\n19,read,1,0\n"
                                "21,read,1,0\n22,read,1,0\n";
    struct scenario *sc = trace_scenario(
        trace, "25s", "\"replicas\":2,\"read_from\":\"replicas\",\"failover\":{\"detect\":\"5s\"}",
        "{\"at\":\"10s\",\"action\":\"fail\",\"target\":\"db\",\"node\":1},"
        "{\"at\":\"20s\",\"action\":\"recover\",\"target\":\"db\",\"node\":1}");
    struct run r = run_scenario(sc, 1);
    ck_assert_uint_eq(r.w->failed, 2);
    ck_assert_uint_eq(r.w->completed, 8);
    ck_assert_int_eq(node_num(r.db, 0, "requests"), 0);
    ck_assert_int_eq(node_num(r.db, 1, "requests"), 3);
    ck_assert_int_eq(node_num(r.db, 2, "requests"), 7);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.db, "failovers")), 0);
    run_free(&r);
    scenario_free(sc);
}
END_TEST

/* Failover cycles on one shard: the primary fails at 10 + 5i s and the replaced primary
 * comes back (as a replica) at 12 + 5i s, so a failover happens every 5 s. */
static struct scenario *cycle_scenario(const char *db, int cycles, double rate)
{
    char text[32768];
    size_t len =
        (size_t)snprintf(text, sizeof text,
                         "{\"name\":\"db\",\"duration\":\"%ds\",\"metrics\":{\"interval\":\"5s\"},"
                         "\"workload\":{\"rate\":%g,\"entry\":\"db\",\"ops\":{\"write\":1},"
                         "\"keys\":{\"count\":1000,\"dist\":\"uniform\"}},"
                         "\"components\":[{\"id\":\"db\",\"type\":\"database\",%s}],\"events\":[",
                         10 + 5 * cycles, rate, db);
    for (int i = 0; i < cycles; i++)
        len += (size_t)snprintf(
            text + len, sizeof text - len,
            "%s{\"at\":%d,\"action\":\"fail\",\"target\":\"db\",\"node\":\"primary\"},"
            "{\"at\":%d,\"action\":\"recover\",\"target\":\"db\",\"node\":\"primary\"}",
            i ? "," : "", 10 + 5 * i, 12 + 5 * i);
    snprintf(text + len, sizeof text - len, "]}");
    return tu_load(text);
}

START_TEST(test_lost_writes_little)
{
    /* Async, one replica: at the failure instant the writes acknowledged but not yet applied
     * on the replica are those sent within their lag, an M/G/inf system fed by the write
     * stream (Poisson, acknowledged on arrival: no service time). By Little's law its mean
     * content is the write rate x the mean lag = 500/s x 20 ms = 10 writes. Each failover
     * comes 4 s after the previous promotion, 200 mean lags: stationary to within e^-200. */
    enum { CYCLES = 80 };
    struct scenario *sc = cycle_scenario(
        "\"replicas\":1,\"replication\":{\"mode\":\"async\",\"lag\":{\"dist\":\"exp\","
        "\"mean\":\"20ms\"}},\"failover\":{\"detect\":\"1s\"}",
        CYCLES, 500);
    double x[REPS];
    for (int i = 0; i < REPS; i++) {
        struct run r = run_scenario(sc, (uint64_t)i + 1);
        const cJSON *fos = cJSON_GetObjectItem(r.db, "failovers");
        ck_assert_int_eq(cJSON_GetArraySize(fos), CYCLES);
        double sum = 0;
        for (const cJSON *fo = fos->child; fo; fo = fo->next) {
            ck_assert_double_eq_tol(num(fo, "unavailable_s"), 1, 1e-9);
            sum += num(fo, "lost_writes");
        }
        ck_assert_double_eq(sum, num(r.db, "lost_writes"));
        x[i] = sum / CYCLES;
        run_free(&r);
    }
    check_theory("lost writes per async failover", x, 500 * 0.02);
    scenario_free(sc);
}
END_TEST

START_TEST(test_sync_loses_nothing)
{
    enum { CYCLES = 20 };
    struct scenario *sc = cycle_scenario(
        "\"replicas\":1,\"replication\":{\"mode\":\"sync\",\"lag\":{\"dist\":\"exp\","
        "\"mean\":\"20ms\"}},\"failover\":{\"detect\":\"1s\"}",
        CYCLES, 500);
    for (int i = 0; i < 3; i++) {
        struct run r = run_scenario(sc, (uint64_t)i + 1);
        ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.db, "failovers")), CYCLES);
        ck_assert_int_eq(num(r.db, "lost_writes"), 0);
        /* Writes caught waiting at each failure fail instead. */
        ck_assert_uint_gt(r.w->failed, 0);
        run_free(&r);
    }
    scenario_free(sc);
}
END_TEST

START_TEST(test_promotes_most_up_to_date)
{
    /* Two replicas with widely spread lags: each promotion picks a live replica missing the
     * fewest writes (the first such slot on a tie), and loses exactly what it misses. */
    enum { CYCLES = 12 };
    struct scenario *sc =
        cycle_scenario("\"replicas\":2,\"replication\":{\"lag\":{\"dist\":\"uniform\",\"min\":0,"
                       "\"max\":\"200ms\"}},\"failover\":{\"detect\":\"1s\"}",
                       CYCLES, 300);
    struct run r = run_scenario(sc, 7);
    const cJSON *fos = cJSON_GetObjectItem(r.db, "failovers");
    ck_assert_int_eq(cJSON_GetArraySize(fos), CYCLES);
    int differed = 0;
    for (const cJSON *fo = fos->child; fo; fo = fo->next) {
        const cJSON *cands = cJSON_GetObjectItem(fo, "candidates");
        ck_assert_int_eq(cJSON_GetArraySize(cands), 2);
        const cJSON *a = cJSON_GetArrayItem(cands, 0), *b = cJSON_GetArrayItem(cands, 1);
        const cJSON *best = num(b, "behind") < num(a, "behind") ? b : a;
        ck_assert_double_eq(num(fo, "to_node"), num(best, "node"));
        ck_assert_double_eq(num(fo, "lost_writes"), num(best, "behind"));
        differed += num(a, "behind") != num(b, "behind");
    }
    /* The choice mattered in some cycles: with about 30 writes in flight per replica, equal
     * counts are rare (so this cannot pass by ties alone). */
    ck_assert_int_ge(differed, CYCLES / 2);
    run_free(&r);
    scenario_free(sc);

    /* A replica that is down is no candidate. */
    static const char trace[] = "1,write,1,0\n";
    sc = trace_scenario(trace, "30s", "\"replicas\":2,\"failover\":{\"detect\":\"1s\"}",
                        "{\"at\":\"10s\",\"action\":\"fail\",\"target\":\"db\",\"node\":1},"
                        "{\"at\":\"20s\",\"action\":\"fail\",\"target\":\"db\","
                        "\"node\":\"primary\"}");
    r = run_scenario(sc, 1);
    fos = cJSON_GetObjectItem(r.db, "failovers");
    ck_assert_int_eq(cJSON_GetArraySize(fos), 1);
    ck_assert_int_eq(num(cJSON_GetArrayItem(fos, 0), "to_node"), 2);
    ck_assert_int_eq(
        cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(fos, 0), "candidates")), 1);
    run_free(&r);
    scenario_free(sc);
}
END_TEST

/* ---- scaling --------------------------------------------------------------------------- */

/* The moved fraction on a 20,000-key sample: a binomial proportion, within 4 standard errors
 * of its expectation (a false alarm about once in 16,000 runs). Jump moves the ideal 1/5 when
 * a fifth shard joins; modulo keeps a key only when h mod 4 = h mod 5, i.e. for 4 of the 20
 * residues of h mod 20, so it moves 4/5. */
static void check_key_move(const char *scheme, double expect)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"name\":\"db\",\"duration\":\"4s\",\"metrics\":{\"interval\":\"1s\","
             "\"key_sample\":20000},\"workload\":{\"rate\":500,\"entry\":\"db\","
             "\"keys\":{\"count\":100000,\"dist\":\"uniform\"}},"
             "\"components\":[{\"id\":\"db\",\"type\":\"database\",\"shards\":4,"
             "\"sharding\":{\"scheme\":\"%s\"}}],"
             "\"events\":[{\"at\":\"1s\",\"action\":\"scale\",\"target\":\"db\",\"shards\":5},"
             "{\"at\":\"3s\",\"action\":\"scale\",\"target\":\"db\",\"shards\":4}]}",
             scheme);
    struct scenario *sc = tu_load(text);
    struct run r = run_scenario(sc, 1);
    const cJSON *moves = cJSON_GetObjectItem(r.db, "key_moves");
    ck_assert_int_eq(cJSON_GetArraySize(moves), 2);
    const cJSON *m = cJSON_GetArrayItem(moves, 0), *back = cJSON_GetArrayItem(moves, 1);
    ck_assert_double_eq(num(m, "at_s"), 1);
    ck_assert_int_eq(num(m, "nodes_before"), 4);
    ck_assert_int_eq(num(m, "nodes_after"), 5);
    ck_assert_int_eq(num(m, "keys"), 20000);
    ck_assert_double_eq(num(m, "ideal_fraction"), 0.2);
    ck_assert_double_eq(num(m, "moved_fraction"), num(m, "moved") / 20000);
    double se = sqrt(expect * (1 - expect) / 20000);
    ck_assert_msg(fabs(num(m, "moved_fraction") - expect) <= 4 * se, "%s moved %g, expected %g",
                  scheme, num(m, "moved_fraction"), expect);
    /* Going back moves exactly the same keys. */
    ck_assert_double_eq(num(back, "moved"), num(m, "moved"));
    ck_assert_int_eq(num(back, "nodes_after"), 4);
    /* The fifth shard (node 4) took requests while it existed, and is retired now. */
    ck_assert_int_eq(num(r.db, "nodes"), 5);
    ck_assert_int_gt(node_num(r.db, 4, "requests"), 0);
    ck_assert_str_eq(node_role(r.db, 4), "retired");
    ck_assert_int_eq(num(r.db, "shards"), 4);
    run_free(&r);
    scenario_free(sc);
}

START_TEST(test_key_moves)
{
    check_key_move("jump", 0.2);
    check_key_move("modulo", 0.8);
}
END_TEST

START_TEST(test_scale_under_load)
{
    /* Shards and replicas change while requests wait and run on every node, and primaries
     * fail and recover: every arrival still ends exactly once (the memory checker watches
     * node records being moved while requests are resident on them). */
    struct scenario *sc = tu_load(
        "{\"name\":\"db\",\"duration\":\"20s\",\"metrics\":{\"interval\":\"1s\"},"
        "\"workload\":{\"rate\":2000,\"entry\":\"db\",\"ops\":{\"read\":0.7,\"write\":0.3},"
        "\"keys\":{\"count\":5000,\"dist\":\"zipf\",\"s\":0.99}},"
        "\"components\":[{\"id\":\"db\",\"type\":\"database\",\"workers\":2,\"replicas\":1,"
        "\"read_from\":\"any\",\"service\":{\"read\":{\"dist\":\"exp\",\"mean\":\"1ms\"},"
        "\"write\":{\"dist\":\"exp\",\"mean\":\"2ms\"}},\"replication\":{\"mode\":\"sync\","
        "\"lag\":{\"dist\":\"exp\",\"mean\":\"5ms\"}},\"failover\":{\"detect\":\"1s\"},"
        "\"shards\":2,\"sharding\":{\"scheme\":\"ring\"},\"timeout\":\"200ms\"}],"
        "\"events\":[{\"at\":\"3s\",\"action\":\"scale\",\"target\":\"db\",\"replicas\":3},"
        "{\"at\":\"5s\",\"action\":\"scale\",\"target\":\"db\",\"shards\":5},"
        "{\"at\":\"7s\",\"action\":\"fail\",\"target\":\"db\",\"node\":\"primary\",\"shard\":3},"
        "{\"at\":\"8s\",\"action\":\"fail\",\"target\":\"db\",\"shard\":1},"
        "{\"at\":\"10s\",\"action\":\"scale\",\"target\":\"db\",\"replicas\":0},"
        "{\"at\":\"11s\",\"action\":\"recover\",\"target\":\"db\"},"
        "{\"at\":\"12s\",\"action\":\"scale\",\"target\":\"db\",\"shards\":3},"
        "{\"at\":\"14s\",\"action\":\"scale\",\"target\":\"db\",\"replicas\":2},"
        "{\"at\":\"15s\",\"action\":\"scale\",\"target\":\"db\",\"shards\":6}]}");
    struct run r = run_scenario(sc, 3);
    struct world *w = r.w;
    ck_assert_uint_gt(w->completed, 30000);
    uint64_t ended = w->completed + w->failed + w->rejected + w->timed_out;
    ck_assert_uint_le(ended, w->arrived);
    ck_assert_uint_le(w->arrived - ended, w->in_flight);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.db, "failovers")), 1);
    ck_assert_int_eq(num(r.db, "shards"), 6);
    ck_assert_int_eq(num(r.db, "replicas"), 2);
    run_free(&r);
    scenario_free(sc);
}
END_TEST

/* ---- queueing -------------------------------------------------------------------------- */

START_TEST(test_mm1_latency)
{
    /* One node, one worker, Poisson arrivals at 70/s, exponential service of mean 10 ms for
     * reads and writes alike (given separately, so each query is served in two phases on the
     * same worker): M/M/1 with mean time in system 1/(mu - lambda) = 1/30 s. */
    struct scenario *sc =
        tu_load("{\"name\":\"db\",\"duration\":\"1500s\",\"metrics\":{\"interval\":\"50s\","
             "\"warmup\":\"50s\"},\"workload\":{\"rate\":70,\"entry\":\"db\","
             "\"ops\":{\"read\":0.8,\"write\":0.2}},"
             "\"components\":[{\"id\":\"db\",\"type\":\"database\","
             "\"service\":{\"read\":{\"dist\":\"exp\",\"mean\":\"10ms\"},"
             "\"write\":{\"dist\":\"exp\",\"mean\":\"10ms\"}}}]}");
    double x[REPS];
    for (int i = 0; i < REPS; i++) {
        struct run r = run_scenario(sc, (uint64_t)i + 1);
        x[i] = hist_mean(&r.w->latency);
        run_free(&r);
    }
    check_theory("M/M/1 mean (read/write phases)", x, 1.0 / 30);
    scenario_free(sc);
}
END_TEST

Suite *database_suite(void)
{
    Suite *s = suite_create("database");
    TCase *tc = tcase_create("database");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_load_forms);
    tcase_add_test(tc, test_routing_read_from);
    tcase_add_test(tc, test_routing_shards);
    tcase_add_test(tc, test_stale_reads_trace);
    tcase_add_test(tc, test_scale_replicas_up_to_date);
    tcase_add_test(tc, test_stale_probability);
    tcase_add_test(tc, test_failover_async_trace);
    tcase_add_test(tc, test_failover_sync_trace);
    tcase_add_test(tc, test_no_failover);
    tcase_add_test(tc, test_replica_failure_routing);
    tcase_add_test(tc, test_lost_writes_little);
    tcase_add_test(tc, test_sync_loses_nothing);
    tcase_add_test(tc, test_promotes_most_up_to_date);
    tcase_add_test(tc, test_key_moves);
    tcase_add_test(tc, test_scale_under_load);
    tcase_add_test(tc, test_mm1_latency);
    suite_add_tcase(s, tc);
    return s;
}
